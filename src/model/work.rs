//! What kind of work a step is — pulling a base, a `RUN`, a `COPY`/`ADD`, an export, a cache
//! import or export, BuildKit's own bookkeeping — told from its name alone, so every build
//! (rawjson, plain, a record) gets the same answer. The report's "where the time went" adds time
//! up by it; registry work (pulls, pushes, cache import/export) can grow it into finer kinds.

use super::step::{StepKind, StepName};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// `[stage 1/n] FROM image`: resolving and pulling a base image.
    Pull,
    /// A `RUN` instruction.
    Run,
    /// `COPY`, `ADD` (and `COPY --link`'s `LINK COPY` merge).
    Copy,
    /// Exporting the result: `exporting to image`, `… docker image format`, `… oci image format`,
    /// `sending tarball`, `importing to docker`.
    Export,
    /// Sending the result to a registry: the docker driver's `pushing … with docker`, and an
    /// export whose statuses push (`pushing layers`; [`crate::graph::Step::kind`]).
    Push,
    /// `importing cache manifest from …`.
    CacheImport,
    /// `exporting cache to …`.
    CacheExport,
    /// BuildKit's and buildx's own steps: `[internal] load …`, `resolving provenance …`.
    Internal,
    /// Anything else (`WORKDIR`, `[auth] …`, steps this version does not know).
    Other,
}

impl WorkKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [WorkKind; 9] = [
        WorkKind::Pull,
        WorkKind::Run,
        WorkKind::Copy,
        WorkKind::Export,
        WorkKind::Push,
        WorkKind::CacheImport,
        WorkKind::CacheExport,
        WorkKind::Internal,
        WorkKind::Other,
    ];

    /// The kind of the step so named.
    pub fn of(name: &StepName) -> WorkKind {
        match name.kind {
            StepKind::Dockerfile { .. } => instruction_kind(name.text()),
            StepKind::Internal => WorkKind::Internal,
            StepKind::Other => other_kind(name.text()),
        }
    }

    /// Its key in JSON (`cache_import`).
    pub fn key(self) -> &'static str {
        match self {
            WorkKind::Pull => "pull",
            WorkKind::Run => "run",
            WorkKind::Copy => "copy",
            WorkKind::Export => "export",
            WorkKind::Push => "push",
            WorkKind::CacheImport => "cache_import",
            WorkKind::CacheExport => "cache_export",
            WorkKind::Internal => "internal",
            WorkKind::Other => "other",
        }
    }

    /// Its name in the reports' words.
    pub fn words(self) -> &'static str {
        match self {
            WorkKind::Pull => "pull (FROM)",
            WorkKind::Run => "RUN",
            WorkKind::Copy => "COPY/ADD",
            WorkKind::Export => "export",
            WorkKind::Push => "push",
            WorkKind::CacheImport => "cache import",
            WorkKind::CacheExport => "cache export",
            WorkKind::Internal => "internal",
            WorkKind::Other => "other",
        }
    }
}

fn instruction_kind(text: &str) -> WorkKind {
    let word = text.split_whitespace().next().unwrap_or("");
    match word.to_ascii_uppercase().as_str() {
        "FROM" => WorkKind::Pull,
        "RUN" => WorkKind::Run,
        "COPY" | "ADD" => WorkKind::Copy,
        "LINK" if text.split_whitespace().nth(1) == Some("COPY") => WorkKind::Copy,
        _ => WorkKind::Other,
    }
}

/// A step BuildKit or buildx runs once the build's result exists: exporting it (and pushing or
/// loading it), writing its cache, buildx's provenance. `[frontend] exporting to image` runs for
/// bake target `frontend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterSolve<'a> {
    /// The bake target it runs for, when its name says.
    pub target: Option<&'a str>,
    /// buildx's `resolving provenance for metadata file`: after every other export too.
    pub provenance: bool,
}

/// Whether the step so named runs after the solve (see [`AfterSolve`]).
pub fn after_solve(name: &StepName) -> Option<AfterSolve<'_>> {
    if name.is_dockerfile_step() {
        return None;
    }
    let (target, text) = without_target(name.text());
    const WORDS: [&str; 8] = [
        "exporting ",
        "writing image",
        "naming to",
        "pushing ",
        "resolving provenance",
        "preparing build cache for export",
        "importing to docker",
        "sending tarball",
    ];
    WORDS
        .iter()
        .any(|p| text.starts_with(p))
        .then(|| AfterSolve {
            target,
            provenance: text.starts_with("resolving provenance"),
        })
}

/// `[frontend] exporting to image` → (`frontend`, `exporting to image`): a bake target's own step.
fn without_target(text: &str) -> (Option<&str>, &str) {
    match text.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((target, rest)) if !target.contains(' ') && target != "internal" => {
            (Some(target), rest)
        }
        _ => (None, text),
    }
}

fn other_kind(text: &str) -> WorkKind {
    let t = without_target(text).1.to_ascii_lowercase();
    if t.starts_with("exporting cache") {
        WorkKind::CacheExport
    } else if t.starts_with("importing cache") {
        WorkKind::CacheImport
    } else if t.starts_with("pushing") {
        WorkKind::Push
    } else if t.starts_with("exporting to")
        || t.starts_with("importing to")
        || t.starts_with("sending tarball")
        || t.starts_with("writing image")
    {
        WorkKind::Export
    } else if t.contains("resolving provenance") || t.contains("booting buildkit") {
        WorkKind::Internal
    } else {
        WorkKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> WorkKind {
        WorkKind::of(&StepName::parse(name))
    }

    #[test]
    fn kinds_from_real_names() {
        assert_eq!(
            kind("[builder 1/7] FROM docker.io/library/node:18@sha256:ab"),
            WorkKind::Pull
        );
        assert_eq!(
            kind("[builder 2/3] RUN --mount=type=cache,id=x true"),
            WorkKind::Run
        );
        assert_eq!(kind("[2/5] RUN make"), WorkKind::Run);
        assert_eq!(kind("[base 1/1] COPY rootfs/ /"), WorkKind::Copy);
        assert_eq!(kind("[app 2/2] ADD x /x"), WorkKind::Copy);
        assert_eq!(
            kind("[stage-3 2/4] LINK COPY --link --from=other /o /app/"),
            WorkKind::Copy
        );
        assert_eq!(kind("[a 3/4] WORKDIR /app"), WorkKind::Other);
        assert_eq!(kind("exporting to image"), WorkKind::Export);
        assert_eq!(kind("exporting to docker image format"), WorkKind::Export);
        assert_eq!(kind("exporting to oci image format"), WorkKind::Export);
        assert_eq!(kind("importing to docker"), WorkKind::Export);
        assert_eq!(
            kind("pushing 127.0.0.1:5001/gantt/app:dd with docker"),
            WorkKind::Push
        );
        assert_eq!(kind("exporting cache to registry"), WorkKind::CacheExport);
        assert_eq!(
            kind("exporting cache to client directory"),
            WorkKind::CacheExport
        );
        assert_eq!(
            kind("importing cache manifest from 127.0.0.1:5000/c:x"),
            WorkKind::CacheImport
        );
        assert_eq!(
            kind("[internal] load build definition from Dockerfile"),
            WorkKind::Internal
        );
        assert_eq!(
            kind("[internal] load metadata for 127.0.0.1:5000/base:1"),
            WorkKind::Internal
        );
        assert_eq!(
            kind("resolving provenance for metadata file"),
            WorkKind::Internal
        );
        assert_eq!(
            kind("[api] resolving provenance for metadata file"),
            WorkKind::Internal
        );
        assert_eq!(kind("[auth] library/node:pull"), WorkKind::Other);
        assert_eq!(kind("[frontend] exporting to image"), WorkKind::Export);
    }

    #[test]
    fn what_runs_after_the_solve() {
        let after = |n: &str| {
            let name = StepName::parse(n);
            after_solve(&name).map(|a| (a.target.map(str::to_string), a.provenance))
        };
        for n in [
            "exporting to image",
            "exporting to docker image format",
            "exporting cache to registry",
            "exporting cache to client directory",
            "importing to docker",
            "pushing 127.0.0.1:5001/gantt/app:dd with docker",
        ] {
            assert_eq!(after(n), Some((None, false)), "{n}");
        }
        assert_eq!(
            after("resolving provenance for metadata file"),
            Some((None, true))
        );
        assert_eq!(
            after("[frontend] exporting to image"),
            Some((Some("frontend".into()), false))
        );
        assert_eq!(
            after("[frontend] resolving provenance for metadata file"),
            Some((Some("frontend".into()), true))
        );
        for n in [
            "[internal] load metadata for 127.0.0.1:5000/base:1",
            "importing cache manifest from 127.0.0.1:5001/gantt/cache:app",
            "[stage-0 2/2] RUN exporting things",
            "[auth] library/node:pull",
        ] {
            assert_eq!(after(n), None, "{n}");
        }
    }
}
