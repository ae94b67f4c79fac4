//! Build records: the `.dockerbuild` bundles `docker buildx history export` writes (and GitHub's
//! build-push-action uploads). A bundle is a gzip'd tar of an OCI layout: `index.json` → a manifest
//! per record → its config, the record (JSON: `Ref`, `FrontendAttrs`, `error`, counts, and the
//! descriptors of its `logs` and `trace` blobs). The logs are the progress: `[u32 little-endian
//! length][protobuf StatusResponse]` repeated. The trace is a stream of JSON span objects, whose
//! exec spans say when each step's container was made (after its mounts, a locked cache among
//! them, were granted).
//!
//! A record becomes the rawjson stream the rest of the tool reads: its progress as buildx would
//! have printed it, then one `x-exec` line of what the trace says, then buildx's `ERROR:` line for
//! a failed build. Bundles are untrusted: a record costs what it refers to, once, whatever its
//! index claims (listings are followed once each, to a bounded depth and number of records), and
//! its progress and trace are streamed from the bundle (see [`super::bundle`]), never held whole.

pub mod bundle;
mod stream;
mod trace;

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::model::{format_rfc3339, Nanos, RecordInfo};
use bundle::{Contents, Reopen, Source};
pub use stream::Unreadable;

/// Records in one bundle, listings followed, and how deep indexes nest.
const MAX_RECORDS: usize = 1_000;
const MAX_LISTINGS: usize = 10_000;
const MAX_DEPTH: u8 = 4;

/// One build in a bundle.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Its reference, name, target, Dockerfile and build arguments.
    pub info: RecordInfo,
    pub created: Option<Nanos>,
    pub completed: Option<Nanos>,
    pub total_steps: Option<u64>,
    pub cached_steps: Option<u64>,
    pub error: Option<String>,
    /// The hex digests of its progress and trace blobs.
    status: Option<String>,
    trace: Option<String>,
}

/// One build record as a list says it, `report --list` and `history --list` alike:
/// `HEAD  NAME  STATUS in 3.5s  CREATED  14 steps (2 cached)`.
pub struct ListLine<'a> {
    /// What picks the record: its reference, or `^0  ID` in `history`.
    pub head: &'a str,
    pub name: &'a str,
    pub status: &'a str,
    pub took: Option<Nanos>,
    pub created: &'a str,
    pub steps: Option<u64>,
    pub cached: Option<u64>,
}

impl std::fmt::Display for ListLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}  {}  {}", self.head, self.name, self.status)?;
        if let Some(t) = self.took {
            write!(f, " in {}", crate::model::tenths(t as f64 / 1e9))?;
        }
        write!(f, "  {}", self.created)?;
        match (self.steps, self.cached) {
            (Some(t), Some(c)) if c > 0 => write!(f, "  {t} steps ({c} cached)"),
            (Some(t), _) => write!(f, "  {t} steps"),
            _ => Ok(()),
        }
    }
}

impl Record {
    /// One line for `--list`: reference, target, status, when, steps ([`ListLine`]).
    pub fn summary(&self) -> String {
        let status = match (&self.error, self.completed) {
            (Some(_), _) => "failed",
            (None, Some(_)) => "completed",
            (None, None) => "running",
        };
        let created = self.created.map(format_rfc3339);
        ListLine {
            head: &self.info.reference,
            name: self.info.name.as_deref().unwrap_or("-"),
            status,
            took: self.created.zip(self.completed).map(|(a, b)| b - a),
            created: created.as_deref().unwrap_or("?"),
            steps: self.total_steps,
            cached: self.cached_steps,
        }
        .to_string()
    }

    /// What is missing from it, said once it is read.
    pub fn lacks(&self) -> Option<&'static str> {
        if self.trace.is_none() {
            Some("no trace in it (older BuildKit, or exported without --finalize): no lock waits")
        } else {
            None
        }
    }
}

/// Whether these first bytes open a gzip stream (a `.dockerbuild`).
pub fn is_bundle(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// A bundle's records, and how to read it again for a record's progress and trace.
pub struct Bundle {
    pub records: Vec<Record>,
    again: Box<dyn Reopen>,
}

/// The records of a bundle, oldest first, read from `input` (the bundle's bytes from the start,
/// which `again` gives once more).
pub fn read_bundle(input: Source, again: Box<dyn Reopen>) -> Result<Bundle, String> {
    let found = bundle::scan(input)?;
    let index =
        found
            .docs
            .get("index.json")
            .ok_or_else(|| match found.sizes.get("index.json") {
                Some(n) => format!("its index.json is {n} bytes: not a build record's"),
                None => "not a build record: no index.json in it".into(),
            })?;
    let mut walk = Walk::default();
    walk.index(index, &found, 0)?;
    let mut records = Vec::new();
    let mut configs = HashSet::new();
    for m in &walk.manifests {
        if let Some(r) = record(m, &found, &mut configs)? {
            records.push(r);
        }
    }
    if records.is_empty() {
        return Err("not a build record: its index lists no record".into());
    }
    records.sort_by_key(|r| r.created);
    Ok(Bundle { records, again })
}

/// The record picked from a bundle, ready to be read.
pub struct Chosen {
    pub record: Record,
    again: Box<dyn Reopen>,
}

impl Chosen {
    pub fn lacks(&self) -> Option<&'static str> {
        self.record.lacks()
    }

    /// What the record adds to a live build of the same steps, as rawjson lines: its `x-record`
    /// line, and its trace's `x-exec` line for the vertexes `ours` knows. (A bake's targets share
    /// one trace: one record's covers them all.)
    pub fn facts(mut self, ours: &dyn Fn(&str) -> bool) -> Result<String, String> {
        let mut out =
            serde_json::json!({ crate::source::rawjson::RECORD: self.record.info }).to_string();
        out.push('\n');
        if let Some(hex) = self.record.trace.clone() {
            let trace = bundle::open_blob(self.again.as_mut(), &hex)?;
            out.push_str(&trace::exec_line(trace, ours)?);
        }
        Ok(out)
    }

    /// Whether it is the record of the build whose vertexes `ours` knows: its `[internal] load
    /// …` vertexes (read through the build's own session) are that build's.
    pub fn is_of(mut self, ours: &dyn Fn(&str) -> bool) -> Result<bool, String> {
        let session = stream::session_vertexes(&self.record, self.again.as_mut())?;
        Ok(session.iter().any(|d| ours(d)))
    }

    /// Its rawjson stream (see the module's comment), made as it is read.
    pub fn into_stream(self) -> Source {
        Box::new(stream::Stream::new(self.record, self.again))
    }
}

/// Picks a record by reference (or a unique prefix of one); with none asked for, the only one or
/// the latest. Returns it and, when it chose among several, a note saying so.
pub fn pick(bundle: Bundle, asked: Option<&str>) -> Result<(Chosen, Option<String>), String> {
    let Bundle { mut records, again } = bundle;
    let refs = |records: &[Record]| {
        records
            .iter()
            .map(|r| r.info.reference.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (record, note) = match asked {
        Some(a) => {
            let hits: Vec<usize> = (0..records.len())
                .filter(|&i| records[i].info.reference.starts_with(a))
                .collect();
            match hits.as_slice() {
                [i] => (records.swap_remove(*i), None),
                [] => return Err(format!("no record {a} in it (it has {})", refs(&records))),
                _ => return Err(format!("{a} matches several records ({})", refs(&records))),
            }
        }
        None if records.len() == 1 => (records.remove(0), None),
        None => {
            let note = format!(
                "{} records in it; reading the latest, {} (--list shows them, --ref REF picks one)",
                records.len(),
                records.last().map_or("", |r| r.info.reference.as_str())
            );
            (records.pop().expect("several"), Some(note))
        }
    };
    Ok((Chosen { record, again }, note))
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", alias = "media_type", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Manifest {
    config: Descriptor,
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// A JSON document the record refers to, as the first reading kept it.
fn doc<'c>(found: &'c Contents, digest: &str, what: &str) -> Result<&'c [u8], String> {
    let h = hex(digest);
    match (found.docs.get(h), found.sizes.get(h)) {
        (Some(d), _) => Ok(d),
        (None, Some(n)) if *n > bundle::MAX_DOC => Err(format!(
            "its {what} {digest} is {n} bytes: not a build record's"
        )),
        (None, Some(_)) => Err(format!("its {what} {digest} is not JSON")),
        (None, None) => Err(format!("the record refers to {digest}, which is not in it")),
    }
}

/// The record manifests an index lists, each once: nested indexes are followed once each, to a
/// bounded depth, and the listings counted.
#[derive(Default)]
struct Walk {
    manifests: Vec<Descriptor>,
    seen: HashSet<String>,
    listings: usize,
}

impl Walk {
    fn index(&mut self, index: &[u8], found: &Contents, depth: u8) -> Result<(), String> {
        let index: Index = serde_json::from_slice(index)
            .map_err(|e| format!("its index is not an OCI index: {e}"))?;
        for m in index.manifests {
            self.listings += 1;
            if self.listings > MAX_LISTINGS {
                return Err(format!(
                    "its indexes list more than {MAX_LISTINGS} manifests: not a build record's"
                ));
            }
            if !self.seen.insert(m.digest.clone()) {
                continue;
            }
            if !m.media_type.ends_with("image.index.v1+json") {
                self.manifests.push(m);
            } else if depth >= MAX_DEPTH {
                return Err(format!(
                    "its indexes nest more than {MAX_DEPTH} deep: not a build record's"
                ));
            } else {
                self.index(doc(found, &m.digest, "index")?, found, depth + 1)?;
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Stamp {
    #[serde(default)]
    seconds: i64,
    #[serde(default)]
    nanos: i64,
}

impl Stamp {
    /// The instant, when it is one our clock can hold (after 1970, before 2262): a record's
    /// numbers are the file's, and seconds × 10⁹ must not overflow.
    fn nanos(&self) -> Option<Nanos> {
        let nanos = u32::try_from(self.nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000)?;
        chrono::DateTime::from_timestamp(self.seconds, nanos)?
            .timestamp_nanos_opt()
            .filter(|t| *t > 0)
    }
}

#[derive(Deserialize)]
struct RpcError {
    #[serde(default)]
    message: String,
}

/// The history record: what of it we use.
#[derive(Deserialize)]
struct HistoryRecord {
    #[serde(rename = "Ref", default)]
    reference: String,
    #[serde(rename = "FrontendAttrs", default)]
    frontend_attrs: HashMap<String, String>,
    #[serde(rename = "CreatedAt")]
    created_at: Option<Stamp>,
    #[serde(rename = "CompletedAt")]
    completed_at: Option<Stamp>,
    error: Option<RpcError>,
    logs: Option<Descriptor>,
    trace: Option<Descriptor>,
    #[serde(rename = "numTotalSteps")]
    total_steps: Option<u64>,
    #[serde(rename = "numCachedSteps")]
    cached_steps: Option<u64>,
}

/// The record a manifest names; None when its config was read already (listed twice).
fn record(
    m: &Descriptor,
    found: &Contents,
    configs: &mut HashSet<String>,
) -> Result<Option<Record>, String> {
    let manifest: Manifest = serde_json::from_slice(doc(found, &m.digest, "manifest")?)
        .map_err(|e| format!("a record's manifest is not an OCI manifest: {e}"))?;
    if !configs.insert(manifest.config.digest.clone()) {
        return Ok(None);
    }
    if configs.len() > MAX_RECORDS {
        return Err(format!(
            "it holds more than {MAX_RECORDS} records: read a smaller export"
        ));
    }
    let h: HistoryRecord =
        serde_json::from_slice(doc(found, &manifest.config.digest, "record")?)
            .map_err(|e| format!("a record's config is not a BuildKit history record: {e}"))?;
    let stamp = |s: &Option<Stamp>| s.as_ref().and_then(Stamp::nanos);
    let reference = m
        .annotations
        .get("vnd.buildkit.history.reference")
        .cloned()
        .unwrap_or(h.reference);
    let present = |d: &Descriptor| found.sizes.contains_key(hex(&d.digest));
    let status = match &h.logs {
        Some(d) if present(d) => Some(hex(&d.digest).to_string()),
        Some(d) => {
            return Err(format!(
                "the record refers to {}, which is not in it",
                d.digest
            ))
        }
        None => None,
    };
    Ok(Some(Record {
        info: info(reference, &h.frontend_attrs),
        created: stamp(&h.created_at),
        completed: stamp(&h.completed_at),
        total_steps: h.total_steps,
        cached_steps: h.cached_steps,
        error: h.error.map(|e| e.message).filter(|m| !m.is_empty()),
        status,
        trace: h.trace.filter(present).map(|d| hex(&d.digest).to_string()),
    }))
}

/// What the frontend attributes say: `target`, `filename`, `build-arg:NAME`; the name buildx
/// gives it (the target, else the context directory's).
fn info(reference: String, attrs: &HashMap<String, String>) -> RecordInfo {
    let attr = |k: &str| attrs.get(k).filter(|v| !v.is_empty()).cloned();
    let dir = attr("vcs:localdir:context").or_else(|| attr("context"));
    let base = dir.map(|d| {
        d.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string()
    });
    let target = attr("target");
    let build_args = attrs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("build-arg:")?.to_string(), v.clone())))
        .collect();
    // The bundle's text, shown (`--list`, the note of which record is read) before the model
    // sees it: neutralised here as the model would.
    RecordInfo {
        reference,
        name: target.clone().or(base.filter(|b| !b.is_empty())),
        target,
        dockerfile: attr("filename"),
        build_args,
    }
    .shown()
}

#[cfg(test)]
mod tests {
    use super::ListLine;

    #[test]
    fn a_list_line_says_what_it_knows() {
        let line = |took, steps, cached| {
            ListLine {
                head: "^0   abc",
                name: "app",
                status: "completed",
                took,
                created: "2026-11-30T01:20:15Z",
                steps,
                cached,
            }
            .to_string()
        };
        assert_eq!(
            line(Some(3_450_000_000), Some(14), Some(2)),
            "^0   abc  app  completed in 3.5s  2026-11-30T01:20:15Z  14 steps (2 cached)"
        );
        assert_eq!(
            line(None, Some(11), Some(0)),
            "^0   abc  app  completed  2026-11-30T01:20:15Z  11 steps"
        );
        assert_eq!(
            line(None, None, None),
            "^0   abc  app  completed  2026-11-30T01:20:15Z"
        );
    }
}
