//! `docker buildx history`: the build records a builder keeps, listed and exported to a
//! `.dockerbuild` (which `source::record` reads). The docker driver on dockerd 20.10 keeps none:
//! its BuildKit answers `Unimplemented`, which is said as such.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::docker_cli;

/// Listing asks the builder only; exporting may wait for a build to be finalized.
const LIST_DEADLINE: Duration = Duration::from_secs(20);
const EXPORT_DEADLINE: Duration = Duration::from_secs(30);

/// One record, as `docker buildx history ls --format json` prints it.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// `BUILDER/NODE/ID`.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default)]
    pub total_steps: Option<u64>,
    #[serde(default)]
    pub cached_steps: Option<u64>,
}

impl Entry {
    /// The record's own id (the last part of its reference).
    pub fn id(&self) -> &str {
        id_of(&self.reference)
    }

    /// One line of `history --list`: `^0  ID  NAME  STATUS  in 3.5s  CREATED  14 steps (2 cached)`.
    pub fn line(&self, n: usize) -> String {
        let time = |t: &Option<String>| t.as_deref().and_then(crate::model::parse_rfc3339);
        super::record::ListLine {
            head: &format!("^{n:<3} {}", self.id()),
            name: &self.name,
            status: &self.status,
            took: time(&self.created_at)
                .zip(time(&self.completed_at))
                .map(|(a, b)| b - a),
            created: self.created_at.as_deref().unwrap_or("?"),
            steps: self.total_steps,
            cached: self.cached_steps,
        }
        .to_string()
    }
}

/// A record's own id: the last part of its reference (`BUILDER/NODE/ID`).
pub fn id_of(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The builder named in a reference (`BUILDER/NODE/ID`).
pub fn builder_of(reference: &str) -> Option<&str> {
    let mut parts = reference.split('/');
    let b = parts.next()?;
    (parts.count() == 2).then_some(b)
}

fn builder_args(builder: Option<&str>) -> Vec<&str> {
    builder.map_or(Vec::new(), |b| vec!["--builder", b])
}

/// The builder's records, latest first.
pub fn list(docker: &str, builder: Option<&str>) -> Result<Vec<Entry>, String> {
    let mut args = vec!["buildx", "history", "ls", "--format", "json", "--no-trunc"];
    args.extend(builder_args(builder));
    let said =
        docker_cli::output(docker, &args, LIST_DEADLINE).map_err(|e| cannot_run(docker, &e))?;
    if !said.ok {
        return Err(refusal(&said.stderr, builder));
    }
    let mut out: Vec<Entry> = said
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    Ok(out)
}

/// The record `want` names: `^N` (N before the latest), an id or its unique start; default the
/// latest.
pub fn resolve<'a>(entries: &'a [Entry], want: Option<&str>) -> Result<&'a Entry, String> {
    let want = want.unwrap_or("^0");
    if let Some(n) = want.strip_prefix('^') {
        let n: usize = n.parse().map_err(|_| {
            format!("{want}: not a record: use ^N (0 is the latest) or a reference")
        })?;
        return entries.get(n).ok_or_else(|| {
            format!(
                "{want}: the builder keeps {} records (^0 to ^{})",
                entries.len(),
                entries.len().saturating_sub(1)
            )
        });
    }
    let id = id_of(want);
    let found: Vec<&Entry> = entries.iter().filter(|e| e.id().starts_with(id)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "{want}: no such build record (history --list lists them)"
        )),
        _ => Err(format!(
            "{want}: {} records start so; give more of it",
            found.len()
        )),
    }
}

/// `docker buildx history export --finalize` of these records (all of one builder) to `out`.
pub fn export(docker: &str, references: &[&str], out: &Path) -> Result<(), String> {
    export_as(docker, references, out, true)
}

/// [`export`] of a bake's records, in the time of one: the first is finalized alone (its trace
/// then written), then all are exported as they are. A bake's targets share one trace, and buildx
/// reads it again to finalize each record (0.6 s a target for 50: past the export's deadline), so
/// the others are kept without it; the first record's trace holds every target's exec steps.
pub fn export_bake(docker: &str, references: &[&str], out: &Path) -> Result<(), String> {
    let [first, _, ..] = references else {
        return export(docker, references, out);
    };
    let scratch = out.with_extension("finalizing.dockerbuild");
    let finalized = export_as(docker, &[first], &scratch, true);
    let _ = std::fs::remove_file(&scratch);
    finalized?;
    export_as(docker, references, out, false)
}

/// `docker buildx history export`, finalizing the records when `finalize` says so (a record
/// exported as it is may lack its trace, and costs no time).
pub fn export_as(
    docker: &str,
    references: &[&str],
    out: &Path,
    finalize: bool,
) -> Result<(), String> {
    let builder = references.first().and_then(|r| builder_of(r));
    let out_s = out.display().to_string();
    let mut args = vec!["buildx", "history", "export"];
    if finalize {
        args.push("--finalize");
    }
    args.extend(["-o", &out_s]);
    args.extend(builder_args(builder));
    args.extend(references.iter().map(|r| id_of(r)));
    let said =
        docker_cli::output(docker, &args, EXPORT_DEADLINE).map_err(|e| cannot_run(docker, &e))?;
    if said.ok && out.is_file() {
        return Ok(());
    }
    let _ = std::fs::remove_file(out);
    Err(refusal(&said.stderr, builder))
}

/// The references a build's `--metadata-file` names (`buildx.build.ref`): one for a build, one
/// per target for a bake.
pub fn refs_in_metadata(path: &Path) -> Vec<String> {
    const KEY: &str = "buildx.build.ref";
    let Ok(text) = std::fs::read(path) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    if let Some(r) = v.get(KEY).and_then(|r| r.as_str()) {
        return vec![r.to_string()];
    }
    let Some(targets) = v.as_object() else {
        return Vec::new();
    };
    targets
        .values()
        .filter_map(|t| Some(t.get(KEY)?.as_str()?.to_string()))
        .collect()
}

fn cannot_run(docker: &str, e: &std::io::Error) -> String {
    format!("cannot run `{docker} buildx history`: {e}")
}

/// What buildx said, in the words that help: a builder that keeps no history says what works
/// instead.
fn refusal(stderr: &str, builder: Option<&str>) -> String {
    let b = builder.unwrap_or("the current builder");
    if stderr.contains("Unimplemented") || stderr.contains("unknown method ListenBuildHistory") {
        return format!(
            "{b} keeps no build history (its BuildKit answers Unimplemented: the docker driver of \
             an older dockerd). Use a builder that does (`docker buildx create --driver \
             docker-container --use`, or a remote BuildKit), or replay the recording a live build \
             leaves: buildx-gantt replay FILE"
        );
    }
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("it failed without a word");
    format!(
        "docker buildx history: {}",
        crate::model::visible(last.trim())
    )
}
