//! A live build through buildx keeps its build record: exported from the builder's history
//! (`buildx.build.ref` in the build's `--metadata-file`) to a `.dockerbuild` beside the recording,
//! and what its trace says (lock waits) added to the build before it is reported. A builder that
//! keeps no history (the docker driver on an older dockerd) answers at once: nothing waits.

use super::output::append_line;
use std::path::{Path, PathBuf};

use crate::model::{Build, Event, EventKind, Nanos};
use crate::source::child::Plan;
use crate::source::history;
use crate::source::request::BuildRequest;
use crate::source::runner::{Runner, Started};
use crate::source::saved;

/// What became of the record.
pub enum Kept {
    /// Saved here, and its facts added to the build.
    Saved(PathBuf),
    /// Read from a temporary file (the build is not recorded), its facts added.
    Read,
    /// Not kept: why (None when the builder keeps no records, or the build made none).
    Not(Option<String>),
}

/// `since`: when the build was started (a failed build's records are looked for among those made
/// since, and known by their own vertexes).
pub fn keep(request: &BuildRequest, started: &Started, since: Nanos, build: &mut Build) -> Kept {
    // A plain log has its own (reconstructed) clock: the trace's times are for rawjson.
    let Runner::Cli {
        docker,
        plan: Plan::Rawjson | Plan::Bake,
    } = &request.runner
    else {
        return Kept::Not(None);
    };
    let mut refs = started.record_refs();
    if refs.is_empty() {
        refs =
            match made_by(docker, request, since, build) {
                Ok(refs) if refs.is_empty() => return Kept::Not(Some(
                    "none of the builder's records made since the build started is this build's \
                     (`buildx-gantt history --list` lists them)"
                        .into(),
                )),
                Ok(refs) => refs,
                Err(e) if e.contains("keeps no build history") => return Kept::Not(None),
                Err(e) => return Kept::Not(Some(e)),
            };
    }
    let (path, temporary) = match &request.record {
        Some(rec) if rec.is_file() => (beside(rec), false),
        _ => (scratch(), true),
    };
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    if let Err(e) = history::export_bake(docker, &refs, &path) {
        let unkept = e.contains("keeps no build history");
        return Kept::Not((!unkept).then_some(e));
    }
    let applied = facts(&path, &refs, build).map(|lines| {
        add(&lines, build);
        // The recording says it too: its report is what this build's was.
        if let (Some(rec), false) = (&request.record, temporary) {
            if let Err(e) = append_line(rec, lines.trim_end()) {
                eprintln!(
                    "buildx-gantt: cannot add the record's facts to {}: {e}",
                    rec.display()
                );
            }
        }
    });
    if temporary {
        let _ = std::fs::remove_file(&path);
    }
    match applied {
        Err(e) => Kept::Not(Some(e)),
        Ok(()) if temporary => Kept::Read,
        Ok(()) => Kept::Saved(path),
    }
}

/// This build's records when buildx named none (it writes no `--metadata-file` for a build that
/// failed): of the builder's latest records made since it started, those whose `[internal] load
/// …` vertexes are this build's (read through its own session: no other build shares them) — by
/// what they hold, never by their time or name (another build in the same directory half a
/// second apart, or of `-f Dockerfile.other`, is told apart).
fn made_by(
    docker: &str,
    request: &BuildRequest,
    since: Nanos,
    build: &Build,
) -> Result<Vec<String>, String> {
    let entries = history::list(docker, request.builder.as_deref())?;
    // The builder's clock may be a little off ours.
    let after = |e: &&history::Entry| {
        let t = e
            .created_at
            .as_deref()
            .and_then(crate::model::parse_rfc3339);
        t.is_some_and(|t| t >= since - SKEW)
    };
    let candidates: Vec<&str> = entries
        .iter()
        .filter(after)
        .take(MAX_CANDIDATES)
        .map(|e| e.reference.as_str())
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let scratch = scratch();
    let exported = history::export_as(docker, &candidates, &scratch, false);
    let ours = |d: &str| build.find(d).is_some();
    let path = scratch.display().to_string();
    let found = exported.and_then(|()| {
        let mut mine = Vec::new();
        for r in &candidates {
            let chosen =
                saved::chosen_record(&path, history::id_of(r)).map_err(|e| e.to_string())?;
            if chosen.is_of(&ours)? {
                mine.push(r.to_string());
            }
        }
        Ok(mine)
    });
    let _ = std::fs::remove_file(&scratch);
    found
}

/// Records made since a build started that are looked at to find its own.
const MAX_CANDIDATES: usize = 16;

const SKEW: Nanos = 2_000_000_000;

/// What the records add to the live build, as rawjson lines: what each says of its build
/// (`x-record`), and the exec times of the build's steps their traces hold (`x-exec`).
fn facts(path: &Path, refs: &[&str], build: &Build) -> Result<String, String> {
    let ours = |d: &str| build.find(d).is_some();
    let mut out = String::new();
    for r in refs {
        let id = r.rsplit('/').next().unwrap_or(r);
        let chosen =
            saved::chosen_record(&path.display().to_string(), id).map_err(|e| e.to_string())?;
        out.push_str(&chosen.facts(&ours)?);
    }
    Ok(out)
}

/// Applies those lines to the build.
fn add(lines: &str, build: &mut Build) {
    let mut apply = |e: Event| {
        if matches!(e.kind, EventKind::Exec(_) | EventKind::Record(_)) {
            build.apply(e);
        }
    };
    let _ = crate::source::read(lines.as_bytes(), None, &mut apply);
}

/// `build.jsonl` → `build.dockerbuild` (never the recording itself).
fn beside(recording: &Path) -> PathBuf {
    let p = recording.with_extension("dockerbuild");
    if p == recording {
        recording.with_extension("record.dockerbuild")
    } else {
        p
    }
}

fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!(
        "buildx-gantt-record-{}-{}.dockerbuild",
        std::process::id(),
        crate::source::now()
    ))
}
