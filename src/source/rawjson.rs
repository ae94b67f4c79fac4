//! `docker buildx build --progress=rawjson`: one `SolveStatus` JSON object per line on stderr,
//! mixed with buildx's own text lines (see BUILDKIT.md §1).
//!
//! Each line is parsed straight into events: vertexes, statuses, logs and warnings are emitted one
//! by one as they are parsed, so a whole build on one line (`docker buildx history logs`) streams in
//! bounded memory. Lines that are not JSON become [`EventKind::Text`]; JSON that does not parse
//! becomes [`EventKind::Unreadable`]. Nothing here panics on any input.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::garbage::{GaveUp, Watch};
use super::lines::{Line, LineReader};
use crate::model::{
    excerpt, parse_rfc3339, Event, EventKind, ExecTimes, ExecUpdate, LogChunk, ProgressGroup,
    StatusUpdate, TextLine, VertexUpdate, Warning,
};

/// Longest non-JSON line kept as text; the rest is summarised (a log of garbage must not fill memory).
const MAX_TEXT: usize = 4096;

/// What reading a stream found, beyond the events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    pub lines: u64,
    pub json_lines: u64,
    pub bytes: u64,
    /// Reading stopped before the input's end: it was not a log from there on.
    pub gave_up: Option<GaveUp>,
}

/// Reads a rawjson stream to its end, handing every event to `emit`. I/O errors end the read
/// (after an `End { complete: false }` event); bad content never does.
pub fn read<R: BufRead>(input: R, emit: &mut dyn FnMut(Event)) -> io::Result<ReadSummary> {
    read_with_limit(input, LineReader::<R>::MAX_BUFFERED, emit)
}

/// [`read`], streaming every line longer than `max_buffered` bytes instead of buffering it.
pub fn read_with_limit<R: BufRead>(
    input: R,
    max_buffered: usize,
    emit: &mut dyn FnMut(Event),
) -> io::Result<ReadSummary> {
    let mut reader = LineReader::with_limit(input, max_buffered);
    let mut summary = ReadSummary::default();
    let mut watch = Watch::default();
    let mut complete = true;
    let result = loop {
        let line = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break Ok(()),
            Err(e) => {
                complete = false;
                break Err(e);
            }
        };
        let arrived = super::now();
        let mut out = |kind| emit(Event { arrived, kind });
        summary.lines += 1;
        let line_no = summary.lines;
        let seen = match line {
            Line::Whole { bytes, terminated } => whole_line(bytes, terminated, line_no, &mut out),
            Line::Long { head, rest } => match long_line(head, rest, line_no, &mut out) {
                Ok(seen) => seen,
                Err(e) => {
                    complete = false;
                    break Err(e);
                }
            },
        };
        summary.bytes += seen.bytes;
        summary.json_lines += seen.json as u64;
        complete &= seen.terminated;
        let stop = watch.see(line_no, seen.bytes, seen.record, seen.nul);
        if let Some(stop) = stop.or(seen.unread.then_some(GaveUp::Nul { line: line_no })) {
            out(EventKind::Unreadable {
                line: line_no,
                message: stop.message(),
                excerpt: String::new(),
            });
            summary.gave_up = Some(stop);
            complete = true;
            break Ok(());
        }
    };
    emit(Event {
        arrived: super::now(),
        kind: EventKind::End { complete },
    });
    result.map(|()| summary)
}

/// What one line was.
struct Seen {
    bytes: u64,
    terminated: bool,
    /// It began like a JSON object.
    json: bool,
    /// It was a whole, valid record.
    record: bool,
    /// It is not a record and holds a NUL byte (for a long line: in its first part).
    nul: bool,
    /// The rest of a long line was left unread (binary data: it may never end).
    unread: bool,
}

fn whole_line(
    bytes: &[u8],
    terminated: bool,
    line_no: u64,
    out: &mut dyn FnMut(EventKind),
) -> Seen {
    let trimmed = trim(bytes);
    let json = trimmed.first() == Some(&b'{');
    let mut record = false;
    if json {
        let mut de = serde_json::Deserializer::from_slice(trimmed);
        let r = LineSeed { emit: out }
            .deserialize(&mut de)
            .and_then(|()| de.end());
        match r {
            Ok(()) => record = true,
            // A cut-off last line is reported once, as truncation.
            Err(e) if terminated || !e.is_eof() => out(bad_json(line_no, &e, trimmed)),
            Err(_) => {}
        }
    } else if !trimmed.is_empty() {
        out(text(line_no, trimmed));
    }
    Seen {
        bytes: bytes.len() as u64 + terminated as u64,
        terminated,
        json,
        record,
        nul: !record && memchr::memchr(0, bytes).is_some(),
        unread: false,
    }
}

/// A line too long to buffer: a record parsed as it streams, anything else skipped (not even
/// skipped when its first part shows binary data: `/dev/zero` is one endless line).
fn long_line<R: BufRead>(
    head: &[u8],
    mut rest: super::lines::RestOfLine<'_, R>,
    line_no: u64,
    out: &mut dyn FnMut(EventKind),
) -> io::Result<Seen> {
    let head_len = head.len() as u64;
    let trimmed = trim(head);
    let json = trimmed.first() == Some(&b'{');
    if !json && memchr::memchr(0, head).is_some() {
        out(text(line_no, trimmed));
        return Ok(Seen {
            bytes: head_len,
            terminated: true,
            json,
            record: false,
            nul: true,
            unread: true,
        });
    }
    let r = if json {
        let stream = io::Cursor::new(head).chain(&mut rest);
        let mut de = serde_json::Deserializer::from_reader(stream);
        LineSeed { emit: out }
            .deserialize(&mut de)
            .and_then(|()| de.end())
            .map_err(|e| bad_json(line_no, &e, trimmed))
    } else {
        Err(text(line_no, trimmed))
    };
    let (_, terminated) = rest.skip()?;
    let record = r.is_ok();
    if let Err(kind) = r {
        out(kind);
    }
    Ok(Seen {
        bytes: head_len + rest.bytes_read() + terminated as u64,
        terminated,
        json,
        record,
        nul: false,
        unread: false,
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn text(line: u64, bytes: &[u8]) -> EventKind {
    let cut = &bytes[..bytes.len().min(MAX_TEXT)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > MAX_TEXT {
        s.push_str(&format!("… ({} bytes and more)", bytes.len()));
    }
    EventKind::Text(TextLine { line, text: s })
}

fn bad_json(line: u64, e: &serde_json::Error, bytes: &[u8]) -> EventKind {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]);
    EventKind::Unreadable {
        line,
        message: format!("not a valid rawjson record ({e})"),
        excerpt: excerpt(&head, 120),
    }
}

/// The top-level `SolveStatus` object, applied field by field.
struct LineSeed<'e> {
    emit: &'e mut dyn FnMut(EventKind),
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SolveStatus object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let emit = &mut *self.emit;
            match key.as_ref() {
                "vertexes" => map.next_value_seed(Each::<WireVertex>::new(emit))?,
                "statuses" => map.next_value_seed(Each::<WireStatus>::new(emit))?,
                "logs" => map.next_value_seed(Each::<WireLog>::new(emit))?,
                "warnings" => map.next_value_seed(Each::<WireWarning>::new(emit))?,
                EXECS => map.next_value_seed(Each::<WireExec>::new(emit))?,
                RECORD => emit(EventKind::Record(Box::new(map.next_value()?))),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Wire records that turn into one event each.
trait IntoEvent {
    fn into_event(self) -> Option<EventKind>;
}

/// A JSON array (or null) whose elements are emitted as they are parsed.
struct Each<'e, T> {
    emit: &'e mut dyn FnMut(EventKind),
    _t: std::marker::PhantomData<T>,
}

impl<'e, T> Each<'e, T> {
    fn new(emit: &'e mut dyn FnMut(EventKind)) -> Self {
        Each {
            emit,
            _t: std::marker::PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de> + IntoEvent> DeserializeSeed<'de> for Each<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de> + IntoEvent> Visitor<'de> for Each<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            if let Some(kind) = item.into_event() {
                (self.emit)(kind);
            }
        }
        Ok(())
    }
}

fn time(s: &Option<Cow<'_, str>>) -> Option<i64> {
    s.as_deref().and_then(parse_rfc3339)
}

/// A vertex's time, or the text that cannot be one. BuildKit writes `0001-01-01T00:00:00Z` for
/// "unset": that is no time and no complaint.
fn vertex_time(s: &Option<Cow<'_, str>>) -> Result<Option<i64>, String> {
    match s.as_deref().map(str::trim) {
        None | Some("") | Some("0001-01-01T00:00:00Z") => Ok(None),
        Some(t) => parse_rfc3339(t).map(Some).ok_or_else(|| t.to_string()),
    }
}

#[derive(Deserialize)]
struct WireVertex<'a> {
    #[serde(borrow)]
    digest: Option<Cow<'a, str>>,
    #[serde(default)]
    inputs: Option<Vec<String>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    started: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    completed: Option<Cow<'a, str>>,
    #[serde(default)]
    cached: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "progressGroup")]
    progress_group: Option<WireGroup>,
}

#[derive(Deserialize)]
struct WireGroup {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    weak: Option<bool>,
}

impl IntoEvent for WireVertex<'_> {
    fn into_event(self) -> Option<EventKind> {
        let digest = self.digest.filter(|d| !d.is_empty())?.into_owned();
        let (started, completed) = (vertex_time(&self.started), vertex_time(&self.completed));
        let bad_time = started.clone().err().or(completed.clone().err());
        Some(EventKind::Vertex(VertexUpdate {
            started: started.ok().flatten(),
            completed: completed.ok().flatten(),
            bad_time,
            digest,
            name: self.name.map(Cow::into_owned),
            inputs: self.inputs.unwrap_or_default(),
            cached: self.cached.unwrap_or(false),
            error: self.error.filter(|e| !e.is_empty()),
            progress_group: self.progress_group.and_then(|g| {
                Some(ProgressGroup {
                    id: g.id.filter(|i| !i.is_empty())?,
                    name: g.name.unwrap_or_default(),
                    weak: g.weak.unwrap_or(false),
                })
            }),
            estimated: None,
        }))
    }
}

#[derive(Deserialize)]
struct WireStatus<'a> {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    vertex: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    total: Option<i64>,
    #[serde(default)]
    current: Option<i64>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    started: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    completed: Option<Cow<'a, str>>,
}

impl IntoEvent for WireStatus<'_> {
    fn into_event(self) -> Option<EventKind> {
        Some(EventKind::Status(StatusUpdate {
            timestamp: time(&self.timestamp),
            started: time(&self.started),
            completed: time(&self.completed),
            id: self.id.unwrap_or_default(),
            vertex: self.vertex,
            name: self.name,
            current: self.current.unwrap_or(0),
            total: self.total.filter(|t| *t > 0),
            ..Default::default()
        }))
    }
}

/// A base64 field, decoded while parsing. Invalid base64 is kept as the raw text rather than lost.
#[derive(Default)]
struct B64(Vec<u8>);

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = B64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<B64, E> {
                Ok(B64(base64_simd::STANDARD
                    .decode_to_vec(s)
                    .unwrap_or_else(|_| s.as_bytes().to_vec())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<B64, E> {
                Ok(B64(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

impl B64 {
    fn text(self) -> String {
        String::from_utf8(self.0)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[derive(Deserialize)]
struct WireLog<'a> {
    #[serde(default)]
    vertex: Option<String>,
    #[serde(default)]
    stream: Option<i64>,
    #[serde(default)]
    data: B64,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
}

impl IntoEvent for WireLog<'_> {
    fn into_event(self) -> Option<EventKind> {
        Some(EventKind::Log(LogChunk {
            timestamp: time(&self.timestamp),
            vertex: self.vertex.unwrap_or_default(),
            stream: if self.stream == Some(2) { 2 } else { 1 },
            data: self.data.0,
        }))
    }
}

/// The key of our own record of what a build record's trace says of exec vertexes (see
/// `source::record`): `{"x-exec":[{"vertex":…,"started":…,"created":…,"exited":…}]}`. BuildKit
/// never sends it.
pub const EXECS: &str = "x-exec";
/// …and of what the record says of the build ([`crate::model::RecordInfo`]).
pub const RECORD: &str = "x-record";

#[derive(Deserialize)]
struct WireExec<'a> {
    vertex: String,
    #[serde(borrow)]
    started: Cow<'a, str>,
    #[serde(borrow)]
    created: Cow<'a, str>,
    #[serde(borrow, default)]
    exited: Option<Cow<'a, str>>,
}

impl IntoEvent for WireExec<'_> {
    fn into_event(self) -> Option<EventKind> {
        let times = ExecTimes {
            started: parse_rfc3339(&self.started)?,
            created: parse_rfc3339(&self.created)?,
            exited: time(&self.exited),
        };
        (times.created >= times.started).then_some(EventKind::Exec(ExecUpdate {
            vertex: self.vertex,
            times,
        }))
    }
}

#[derive(Deserialize)]
struct WireWarning {
    #[serde(default)]
    vertex: Option<String>,
    #[serde(default)]
    level: Option<i64>,
    #[serde(default)]
    short: B64,
    #[serde(default)]
    detail: Option<Vec<B64>>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, rename = "sourceInfo")]
    source_info: Option<WireSourceInfo>,
    #[serde(default)]
    range: Option<Vec<WireRange>>,
}

#[derive(Deserialize)]
struct WireSourceInfo {
    #[serde(default)]
    filename: Option<String>,
}

#[derive(Deserialize)]
struct WireRange {
    #[serde(default)]
    start: Option<WirePosition>,
}

#[derive(Deserialize)]
struct WirePosition {
    #[serde(default)]
    line: Option<i64>,
}

impl IntoEvent for WireWarning {
    fn into_event(self) -> Option<EventKind> {
        let line = self
            .range
            .as_ref()
            .and_then(|r| r.first())
            .and_then(|r| r.start.as_ref())
            .and_then(|p| p.line)
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| *l > 0);
        Some(EventKind::Warning(Warning {
            vertex: self.vertex,
            level: self.level.unwrap_or(0),
            short: self.short.text(),
            detail: self
                .detail
                .unwrap_or_default()
                .into_iter()
                .map(B64::text)
                .collect(),
            url: self.url.filter(|u| !u.is_empty()),
            file: self.source_info.and_then(|s| s.filename),
            line,
        }))
    }
}

/// Reads a whole rawjson stream from `input` into events (convenience for tests and small inputs).
pub fn read_events<R: Read>(input: R) -> io::Result<Vec<Event>> {
    let mut events = Vec::new();
    read(io::BufReader::new(input), &mut |e| events.push(e))?;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<EventKind> {
        read_events(input.as_bytes())
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    #[test]
    fn vertex_log_and_text() {
        let k = kinds(concat!(
            "WARNING: hello\n",
            r#"{"vertexes":[{"digest":"sha256:a","name":"[a 1/1] RUN x","started":"2026-11-22T12:52:39.4Z"}],"logs":[{"vertex":"sha256:a","stream":2,"data":"aGk=","timestamp":"2026-11-22T12:52:39.5Z"}]}"#,
            "\n"
        ));
        assert!(matches!(&k[0], EventKind::Text(t) if t.text == "WARNING: hello"));
        assert!(
            matches!(&k[1], EventKind::Vertex(v) if v.digest == "sha256:a" && v.started.is_some())
        );
        assert!(matches!(&k[2], EventKind::Log(l) if l.data == b"hi" && l.stream == 2));
        assert_eq!(k[3], EventKind::End { complete: true });
    }

    #[test]
    fn bad_json_and_truncation() {
        let k = kinds("{\"vertexes\": 3}\n{\"vertexes\":[{\"digest\":\"x\"},{\"dig");
        assert!(matches!(&k[0], EventKind::Unreadable { line: 1, .. }));
        assert!(matches!(&k[1], EventKind::Vertex(v) if v.digest == "x"));
        assert_eq!(k[2], EventKind::End { complete: false });
        assert_eq!(k.len(), 3);
    }
}
