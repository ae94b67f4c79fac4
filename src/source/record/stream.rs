//! A build record as the rawjson stream the rest of the tool reads, made as it is read: its
//! `x-record` line, each progress frame's line as the bundle is read again up to its progress, the
//! trace's `x-exec` line, buildx's `ERROR:` line.

use std::collections::HashSet;
use std::io::{self, Read};

use bollard::moby::buildkit::v1::StatusResponse;
use prost::Message;

use super::bundle::{self, Reopen, Source, Tar};
use super::trace::exec_line;
use super::Record;
use crate::source::engine::to_rawjson;
use crate::source::rawjson::RECORD;

/// The most one StatusResponse may claim to be.
const MAX_FRAME: usize = 32 << 20;

/// A record's rawjson stream, made as it is read: its `x-record` line, each progress frame's
/// line as the bundle is read again up to its progress, the trace's line, the error.
pub struct Stream {
    record: Record,
    again: Box<dyn Reopen>,
    stage: Stage,
    /// The line being handed out, and how much of it was.
    line: Vec<u8>,
    at: usize,
    /// The digests of the vertexes the progress named (the trace is read for these).
    vertexes: HashSet<String>,
}

enum Stage {
    Start,
    Progress(Box<Tar<Source>>),
    Trace,
    Error,
    Done,
}

/// A record that cannot be read (its progress or trace is damaged): said as such, not as an I/O
/// failure.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreadable {}

impl Stream {
    pub fn new(record: Record, again: Box<dyn Reopen>) -> Stream {
        Stream {
            record,
            again,
            stage: Stage::Start,
            line: Vec::new(),
            at: 0,
            vertexes: HashSet::new(),
        }
    }

    /// The next line (empty when a stage has nothing to say), or None at the end.
    fn next_line(&mut self) -> Result<Option<Vec<u8>>, String> {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Start => {
                let hex = self
                    .record
                    .status
                    .clone()
                    .ok_or("the record has no progress (logs) blob")?;
                self.stage =
                    Stage::Progress(Box::new(bundle::open_blob(self.again.as_mut(), &hex)?));
                let mut line = serde_json::json!({ RECORD: self.record.info })
                    .to_string()
                    .into_bytes();
                line.push(b'\n');
                Ok(Some(line))
            }
            Stage::Progress(mut blob) => match frame(&mut blob)? {
                Some(s) => {
                    self.vertexes
                        .extend(s.vertexes.iter().map(|v| v.digest.clone()));
                    self.stage = Stage::Progress(blob);
                    let mut line = to_rawjson(&s).into_bytes();
                    line.push(b'\n');
                    Ok(Some(line))
                }
                None => {
                    self.stage = Stage::Trace;
                    Ok(Some(Vec::new()))
                }
            },
            Stage::Trace => {
                self.stage = Stage::Error;
                let Some(hex) = self.record.trace.clone() else {
                    return Ok(Some(Vec::new()));
                };
                let trace = bundle::open_blob(self.again.as_mut(), &hex)?;
                let ours = |d: &str| self.vertexes.contains(d);
                Ok(Some(exec_line(trace, &ours)?.into_bytes()))
            }
            Stage::Error => Ok(Some(match &self.record.error {
                Some(e) => {
                    let one_line: String =
                        e.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
                    format!("ERROR: {one_line}\n").into_bytes()
                }
                None => Vec::new(),
            })),
            Stage::Done => Ok(None),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.line.len() {
            match self.next_line() {
                Ok(Some(line)) => (self.line, self.at) = (line, 0),
                Ok(None) => return Ok(0),
                Err(e) => {
                    self.stage = Stage::Done;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, Unreadable(e)));
                }
            }
        }
        let n = buf.len().min(self.line.len() - self.at);
        buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The next length-prefixed StatusResponse of a progress blob, or None at its end.
fn frame(blob: &mut Tar<Source>) -> Result<Option<StatusResponse>, String> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match blob.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err("the progress blob ends inside a frame's length".into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("not a readable build record: {e}")),
        }
    }
    let len = u32::from_le_bytes(len) as usize;
    let rest = blob.remaining();
    if len > MAX_FRAME || len as u64 > rest {
        return Err(format!(
            "the progress blob has a frame of {len} bytes where {rest} remain"
        ));
    }
    let mut bytes = vec![0u8; len];
    blob.read_exact(&mut bytes)
        .map_err(|e| format!("not a readable build record: {e}"))?;
    StatusResponse::decode(bytes.as_slice())
        .map(Some)
        .map_err(|e| format!("the progress blob is not BuildKit status: {e}"))
}

/// The digests of a record's `[internal] load …` vertexes: its Dockerfile, `.dockerignore` and
/// context, read through the build's own session, so no two builds share them.
pub(super) fn session_vertexes(
    record: &Record,
    again: &mut dyn Reopen,
) -> Result<HashSet<String>, String> {
    let hex = record
        .status
        .as_deref()
        .ok_or("the record has no progress (logs) blob")?;
    let mut blob = bundle::open_blob(again, hex)?;
    let mut out = HashSet::new();
    while let Some(s) = frame(&mut blob)? {
        out.extend(
            s.vertexes
                .into_iter()
                .filter(|v| v.name.contains("internal] load "))
                .map(|v| v.digest),
        );
    }
    Ok(out)
}
