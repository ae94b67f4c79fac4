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
//! a failed build. Bundles are untrusted: what is read is bounded whatever the sizes inside say.

use std::collections::HashMap;
use std::io::{self, Read};

use bollard::moby::buildkit::v1::StatusResponse;
use prost::Message;
use serde::Deserialize;

use super::engine::to_rawjson;
use super::rawjson::{EXECS, RECORD};
use crate::model::{format_rfc3339, parse_rfc3339, Nanos, RecordInfo};

/// The most a bundle may unpack to, and the most one blob in it may hold.
const MAX_UNPACKED: u64 = 1 << 30;
const MAX_BLOB: u64 = 256 << 20;
/// The most one StatusResponse may claim to be.
const MAX_FRAME: usize = 64 << 20;

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
    status: Option<Vec<u8>>,
    trace: Option<Vec<u8>>,
}

impl Record {
    /// One line for `--list`: reference, target, status, when, steps.
    pub fn summary(&self) -> String {
        let status = match (&self.error, self.completed) {
            (Some(_), _) => "failed",
            (None, Some(_)) => "completed",
            (None, None) => "running",
        };
        let when = self
            .created
            .map(format_rfc3339)
            .unwrap_or_else(|| "?".into());
        let secs = match (self.created, self.completed) {
            (Some(a), Some(b)) => format!(" in {:.1}s", (b - a) as f64 / 1e9),
            _ => String::new(),
        };
        let steps = self
            .total_steps
            .map_or(String::new(), |n| format!(", {n} steps"));
        let name = self.info.name.as_deref().unwrap_or("-");
        format!(
            "{}  {name}  {status}{secs}  {when}{steps}",
            self.info.reference
        )
    }

    /// What is missing from it, said once it is read.
    pub fn lacks(&self) -> Option<&'static str> {
        if self.trace.is_none() {
            Some("no trace in it (older BuildKit, or exported without --finalize): no lock waits")
        } else {
            None
        }
    }

    /// The record as a rawjson stream (see the module's comment).
    pub fn to_stream(&self) -> Result<Vec<u8>, String> {
        let mut out = serde_json::json!({ RECORD: self.info })
            .to_string()
            .into_bytes();
        out.push(b'\n');
        let status = self
            .status
            .as_deref()
            .ok_or("the record has no progress (logs) blob")?;
        for frame in frames(status) {
            let s = StatusResponse::decode(frame?)
                .map_err(|e| format!("the progress blob is not BuildKit status: {e}"))?;
            out.extend_from_slice(to_rawjson(&s).as_bytes());
            out.push(b'\n');
        }
        if let Some(trace) = &self.trace {
            out.extend_from_slice(exec_line(trace)?.as_bytes());
        }
        if let Some(e) = &self.error {
            let one_line: String = e.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
            out.extend_from_slice(format!("ERROR: {one_line}\n").as_bytes());
        }
        Ok(out)
    }
}

/// Whether these first bytes open a gzip stream (a `.dockerbuild`).
pub fn is_bundle(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// The records of a bundle, oldest first.
pub fn read_bundle(input: impl Read) -> Result<Vec<Record>, String> {
    let blobs = unpack(input)?;
    let index = blobs
        .get("index.json")
        .ok_or("not a build record: no index.json in it")?;
    let mut records = Vec::new();
    for m in manifests(index, &blobs, 0)? {
        records.push(record(&m, &blobs)?);
    }
    if records.is_empty() {
        return Err("not a build record: its index lists no record".into());
    }
    records.sort_by_key(|r| r.created);
    Ok(records)
}

/// Picks a record by reference (or a unique prefix of one); with none asked for, the only one or
/// the latest. Returns it and, when it chose among several, a note saying so.
pub fn pick(
    mut records: Vec<Record>,
    asked: Option<&str>,
) -> Result<(Record, Option<String>), String> {
    let refs = || {
        records
            .iter()
            .map(|r| r.info.reference.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match asked {
        Some(a) => {
            let hits: Vec<usize> = (0..records.len())
                .filter(|&i| records[i].info.reference.starts_with(a))
                .collect();
            match hits.as_slice() {
                [i] => Ok((records.swap_remove(*i), None)),
                [] => Err(format!("no record {a} in it (it has {})", refs())),
                _ => Err(format!("{a} matches several records ({})", refs())),
            }
        }
        None if records.len() == 1 => Ok((records.remove(0), None)),
        None => {
            let note = format!(
                "{} records in it; reading the latest, {} (--list shows them, --ref REF picks one)",
                records.len(),
                records.last().map_or("", |r| r.info.reference.as_str())
            );
            Ok((records.pop().expect("several"), Some(note)))
        }
    }
}

/// The bundle's files that matter (`index.json`, `blobs/sha256/…`), read within the bounds.
fn unpack(input: impl Read) -> Result<HashMap<String, Vec<u8>>, String> {
    let gz = flate2::read::GzDecoder::new(input);
    let mut archive = tar::Archive::new(Bounded {
        inner: gz,
        left: MAX_UNPACKED,
    });
    let bad = |e: io::Error| format!("not a readable build record: {e}");
    let mut blobs = HashMap::new();
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").to_string();
        if path != "index.json" && !path.starts_with("blobs/sha256/") {
            continue;
        }
        let claimed = entry.header().size().unwrap_or(0);
        if claimed > MAX_BLOB {
            return Err(format!(
                "{path} claims {claimed} bytes, more than a build record's blob may hold ({MAX_BLOB})"
            ));
        }
        let mut bytes = Vec::with_capacity(claimed.min(1 << 20) as usize);
        entry.take(MAX_BLOB).read_to_end(&mut bytes).map_err(bad)?;
        blobs.insert(path, bytes);
    }
    // The tar ends before the gzip stream does: reading it to its end checks its CRC-32 and
    // length, which a damaged download fails.
    io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(bad)?;
    Ok(blobs)
}

/// A reader that fails past `left` bytes: a bundle cannot unpack without end.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other(format!(
                "it unpacks to more than {} MiB",
                MAX_UNPACKED >> 20
            )));
        }
        let max = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
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

fn blob<'b>(blobs: &'b HashMap<String, Vec<u8>>, digest: &str) -> Result<&'b [u8], String> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    blobs
        .get(&format!("blobs/sha256/{hex}"))
        .map(Vec::as_slice)
        .ok_or_else(|| format!("the record refers to {digest}, which is not in it"))
}

/// The record manifests an index lists, following nested indexes (a bounded depth).
fn manifests(
    index: &[u8],
    blobs: &HashMap<String, Vec<u8>>,
    depth: u8,
) -> Result<Vec<Descriptor>, String> {
    let index: Index =
        serde_json::from_slice(index).map_err(|e| format!("its index is not an OCI index: {e}"))?;
    let mut out = Vec::new();
    for m in index.manifests {
        if m.media_type.ends_with("image.index.v1+json") && depth < 4 {
            out.extend(manifests(blob(blobs, &m.digest)?, blobs, depth + 1)?);
        } else {
            out.push(m);
        }
    }
    Ok(out)
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

fn record(m: &Descriptor, blobs: &HashMap<String, Vec<u8>>) -> Result<Record, String> {
    let manifest: Manifest = serde_json::from_slice(blob(blobs, &m.digest)?)
        .map_err(|e| format!("a record's manifest is not an OCI manifest: {e}"))?;
    let h: HistoryRecord = serde_json::from_slice(blob(blobs, &manifest.config.digest)?)
        .map_err(|e| format!("a record's config is not a BuildKit history record: {e}"))?;
    let stamp = |s: &Option<Stamp>| s.as_ref().and_then(Stamp::nanos);
    let reference = m
        .annotations
        .get("vnd.buildkit.history.reference")
        .cloned()
        .unwrap_or(h.reference);
    Ok(Record {
        info: info(reference, &h.frontend_attrs),
        created: stamp(&h.created_at),
        completed: stamp(&h.completed_at),
        total_steps: h.total_steps,
        cached_steps: h.cached_steps,
        error: h.error.map(|e| e.message).filter(|m| !m.is_empty()),
        status: match &h.logs {
            Some(d) => Some(blob(blobs, &d.digest)?.to_vec()),
            None => None,
        },
        trace: h
            .trace
            .as_ref()
            .and_then(|d| blob(blobs, &d.digest).ok())
            .map(<[u8]>::to_vec),
    })
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
    RecordInfo {
        reference,
        name: target.clone().or(base.filter(|b| !b.is_empty())),
        target,
        dockerfile: attr("filename"),
        build_args,
    }
}

/// The length-prefixed frames of a status blob.
fn frames(mut blob: &[u8]) -> impl Iterator<Item = Result<&[u8], String>> {
    std::iter::from_fn(move || {
        if blob.is_empty() {
            return None;
        }
        let Some((len, rest)) = blob.split_first_chunk::<4>() else {
            blob = &[];
            return Some(Err("the progress blob ends inside a frame's length".into()));
        };
        let len = u32::from_le_bytes(*len) as usize;
        if len > MAX_FRAME || len > rest.len() {
            blob = &[];
            return Some(Err(format!(
                "the progress blob has a frame of {len} bytes where {} remain",
                rest.len()
            )));
        }
        let (frame, after) = rest.split_at(len);
        blob = after;
        Some(Ok(frame))
    })
}

#[derive(Deserialize)]
struct Span {
    #[serde(rename = "Attributes", default)]
    attributes: Option<Vec<Attribute>>,
    #[serde(rename = "Events", default)]
    events: Option<Vec<SpanEvent>>,
}

#[derive(Deserialize)]
struct Attribute {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value")]
    value: AttrValue,
}

#[derive(Deserialize)]
struct AttrValue {
    #[serde(rename = "Value")]
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct SpanEvent {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Time")]
    time: String,
}

/// What the trace says of each exec vertex, as our `x-exec` rawjson line.
fn exec_line(trace: &[u8]) -> Result<String, String> {
    let mut execs = Vec::new();
    for span in serde_json::Deserializer::from_slice(trace).into_iter::<Span>() {
        let span = span.map_err(|e| format!("the record's trace is not a stream of spans: {e}"))?;
        let vertex = span.attributes.iter().flatten().find(|a| a.key == "vertex");
        let Some(vertex) = vertex.and_then(|a| a.value.value.as_str()) else {
            continue;
        };
        let at = |name: &str| {
            let e = span.events.iter().flatten().find(|e| e.name == name)?;
            parse_rfc3339(&e.time).map(|_| e.time.as_str())
        };
        if let (Some(started), Some(created)) = (at("ExecOp started"), at("Container created")) {
            execs.push(serde_json::json!({
                "vertex": vertex,
                "started": started,
                "created": created,
                "exited": at("Container exited"),
            }));
        }
    }
    if execs.is_empty() {
        return Ok(String::new());
    }
    Ok(format!("{}\n", serde_json::json!({ EXECS: execs })))
}
