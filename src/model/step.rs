//! Parsing BuildKit vertex names: `[builder 6/7] RUN …`, `[stage-10  2/11] …`,
//! `[linux/arm64 builder 2/7] …`, single-stage `[2/5] …`, `[internal] load …`, `exporting to image`.

use std::sync::Arc;

use crate::instruction::Instruction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A Dockerfile instruction: `[platform stage i/n] INSTRUCTION`.
    Dockerfile { index: u32, total: u32 },
    /// `[internal] …` (loading the definition, metadata, context).
    Internal,
    /// Anything else: `exporting to image`, `importing to docker`, `[auth] …`, ….
    Other,
}

/// Where a part of the name is: `(start, end)` byte offsets.
type Part = (u32, u32);

/// A parsed name. It keeps the name and where its parts are rather than copies of them (a huge
/// build has one per step); the instruction is parsed from it when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepName {
    full: Arc<str>,
    /// Where the text after the bracket is (the whole name, trimmed, for [`StepKind::Other`]).
    text_at: Part,
    /// `None` in a single-stage build, where BuildKit drops the stage name.
    stage_at: Option<Part>,
    platform_at: Option<Part>,
    pub kind: StepKind,
}

impl StepName {
    pub fn parse(name: &str) -> StepName {
        let full: Arc<str> = Arc::from(name);
        let (kind, text_at, stage_at, platform_at) = parts(&full);
        StepName {
            full,
            text_at,
            stage_at,
            platform_at,
            kind,
        }
    }

    /// The whole name, as given.
    pub fn full(&self) -> &Arc<str> {
        &self.full
    }

    fn part(&self, (a, b): Part) -> &str {
        &self.full[a as usize..b as usize]
    }

    /// The text after the bracket (the whole name, trimmed, for [`StepKind::Other`]).
    pub fn text(&self) -> &str {
        self.part(self.text_at)
    }

    /// The instruction of a Dockerfile step, parsed from its text.
    pub fn instruction(&self) -> Option<Instruction> {
        self.is_dockerfile_step()
            .then(|| Instruction::parse(self.text()))
    }

    /// The instruction when it may have `--flags`, for what only flags say (`--mount`, `--from`):
    /// the many steps without any are not parsed for them (the analysis asks on every frame).
    pub fn flagged_instruction(&self) -> Option<Instruction> {
        if !self.text().contains("--") {
            return None;
        }
        self.instruction()
    }

    pub fn stage(&self) -> Option<&str> {
        self.stage_at.map(|p| self.part(p))
    }

    /// The platform a multi-platform build's name starts with (`[linux/arm64 builder 2/7]`).
    pub fn platform(&self) -> Option<&str> {
        self.platform_at.map(|p| self.part(p))
    }

    pub fn index(&self) -> Option<(u32, u32)> {
        match self.kind {
            StepKind::Dockerfile { index, total } => Some((index, total)),
            _ => None,
        }
    }

    pub fn is_dockerfile_step(&self) -> bool {
        matches!(self.kind, StepKind::Dockerfile { .. })
    }

    /// A `FROM` step's image: its reference as the Dockerfile names it after expansion
    /// (`127.0.0.1:5001/gantt/base:1`) and the digest BuildKit resolved it to, when the name says
    /// (`sha256:…` after `@`). The same tag can resolve to another digest in the next build: the
    /// image changed under it.
    pub fn from_image(&self) -> Option<(&str, Option<&str>)> {
        if !self.is_from() {
            return None;
        }
        let image = self.text()[5..].split_whitespace().next()?;
        Some(match image.rsplit_once('@') {
            Some((reference, digest)) if digest.contains(':') => (reference, Some(digest)),
            _ => (image, None),
        })
    }

    /// A `FROM` step: it resolves or pulls a base image (never a cache miss, and a vertex
    /// stages built on the same image share without depending on each other).
    pub fn is_from(&self) -> bool {
        self.is_dockerfile_step()
            && self
                .text()
                .get(..5)
                .is_some_and(|k| k.eq_ignore_ascii_case("FROM "))
    }
}

/// The kind of a name and where its text, stage and platform are.
fn parts(full: &str) -> (StepKind, Part, Option<Part>, Option<Part>) {
    if full.len() > u32::MAX as usize {
        return (StepKind::Other, (0, 0), None, None);
    }
    // Where `s`, a slice of `full`, is in it.
    let at = |s: &str| {
        let a = s.as_ptr() as usize - full.as_ptr() as usize;
        (a as u32, (a + s.len()) as u32)
    };
    let name = full.trim();
    let other = (StepKind::Other, at(name), None, None);
    let Some(rest) = name.strip_prefix('[') else {
        return other;
    };
    let Some(close) = rest.find(']') else {
        return other;
    };
    let inside = &rest[..close];
    let text = at(rest[close + 1..].trim());
    let words: Vec<&str> = inside.split_whitespace().collect();
    if words.len() == 1 && words[0] == "internal" {
        return (StepKind::Internal, text, None, None);
    }
    let Some((&last, before)) = words.split_last() else {
        return other;
    };
    let Some((index, total)) = parse_fraction(last) else {
        return other;
    };
    let (platform, stage) = match before {
        [] => (None, None),
        [one] if one.contains('/') => (Some(at(one)), None),
        [one] => (None, Some(at(one))),
        [p, s] => (Some(at(p)), Some(at(s))),
        _ => return other,
    };
    (StepKind::Dockerfile { index, total }, text, stage, platform)
}

/// A name as `docker buildx bake` sends it, without its target: `[api deps 1/1] RUN …` is step
/// 1/1 of stage `deps`, sent for target `api` → (`[deps 1/1] RUN …`, `api`); `[api internal] load
/// …` → (`[internal] load …`, `api`); `[api linux/amd64 deps 1/1]` keeps its platform. A name
/// without a target (a platform comes with a `/`, a stage alone is one word) is returned as it is.
pub fn split_target(name: &str) -> (std::borrow::Cow<'_, str>, Option<String>) {
    let unchanged = (std::borrow::Cow::Borrowed(name), None);
    let Some(close) = name.strip_prefix('[').and_then(|r| r.find(']')) else {
        return unchanged;
    };
    let inside = &name[1..=close];
    let rest = &name[close + 2..];
    let words: Vec<&str> = inside.split_whitespace().collect();
    let target = match words.as_slice() {
        [t, "internal"] => Some(*t),
        [t, .., last] if words.len() >= 3 && parse_fraction(last).is_some() => {
            Some(*t).filter(|t| !t.contains('/'))
        }
        _ => None,
    };
    match target {
        Some(t) => (
            std::borrow::Cow::Owned(format!("[{}]{rest}", words[1..].join(" "))),
            Some(t.to_string()),
        ),
        None => unchanged,
    }
}

fn parse_fraction(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('/')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn df(name: &str) -> (Option<String>, Option<String>, u32, u32, String) {
        let s = StepName::parse(name);
        let own = |p: Option<&str>| p.map(str::to_string);
        match s.kind {
            StepKind::Dockerfile { index, total } => (
                own(s.platform()),
                own(s.stage()),
                index,
                total,
                s.text().to_string(),
            ),
            k => panic!("{name}: {k:?}"),
        }
    }

    #[test]
    fn bake_names_lose_their_target() {
        let t = |n: &str| {
            let (name, target) = split_target(n);
            (name.into_owned(), target)
        };
        assert_eq!(
            t("[api deps 1/1] RUN x"),
            ("[deps 1/1] RUN x".into(), Some("api".into()))
        );
        assert_eq!(
            t("[worker internal] load .dockerignore"),
            (
                "[internal] load .dockerignore".into(),
                Some("worker".into())
            )
        );
        assert_eq!(
            t("[api linux/amd64 deps 2/3] RUN x"),
            ("[linux/amd64 deps 2/3] RUN x".into(), Some("api".into()))
        );
        for plain in [
            "[linux/amd64 builder 2/3] RUN x",
            "[builder 2/3] RUN x",
            "[2/3] RUN x",
            "[internal] load build context",
            "[worker] resolving provenance for metadata file",
            "exporting to image",
        ] {
            assert_eq!(t(plain), (plain.to_string(), None), "{plain}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            df("[builder 6/7] RUN --mount=type=cache,id=x npm ci"),
            (
                None,
                Some("builder".into()),
                6,
                7,
                "RUN --mount=type=cache,id=x npm ci".into()
            )
        );
        assert_eq!(
            df("[stage-10  2/11] COPY a b").1.as_deref(),
            Some("stage-10")
        );
        assert_eq!(df("[stage-10  2/11] COPY a b").2, 2);
        let p = df("[linux/arm64 builder 2/7] RUN x");
        assert_eq!(p.0.as_deref(), Some("linux/arm64"));
        assert_eq!(p.1.as_deref(), Some("builder"));
        assert_eq!(df("[2/5] RUN make"), (None, None, 2, 5, "RUN make".into()));
        assert_eq!(
            df("[linux/amd64 2/5] RUN make").0.as_deref(),
            Some("linux/amd64")
        );
        assert_eq!(
            StepName::parse("[internal] load build definition from Dockerfile").kind,
            StepKind::Internal
        );
        for other in [
            "exporting to image",
            "[auth] library/node:pull",
            "[",
            "[a b c 1/2] x",
            "[x y]",
        ] {
            assert_eq!(StepName::parse(other).kind, StepKind::Other, "{other}");
        }
        let link = StepName::parse("[stage-3 2/4] LINK COPY --link --from=other /out/other /app/");
        assert_eq!(link.instruction().unwrap().copy_from(), Some("other"));
        assert!(link.flagged_instruction().is_some());
        assert!(StepName::parse("[a 1/2] RUN make")
            .flagged_instruction()
            .is_none());
        assert!(StepName::parse("[a 1/2] RUN make").instruction().is_some());
        let from = StepName::parse("[builder 1/4] FROM 127.0.0.1:5001/gantt/base:1@sha256:85c2");
        assert_eq!(
            from.from_image(),
            Some(("127.0.0.1:5001/gantt/base:1", Some("sha256:85c2")))
        );
        assert_eq!(
            StepName::parse("[1/2] FROM docker.io/library/alpine:3").from_image(),
            Some(("docker.io/library/alpine:3", None))
        );
        assert_eq!(StepName::parse("[1/2] RUN x").from_image(), None);
        let spaced = StepName::parse("  exporting to image ");
        assert_eq!(spaced.text(), "exporting to image");
    }
}
