//! A build record's trace (a stream of JSON spans, as OpenTelemetry's Go exporter writes them):
//! what it says of each exec vertex — when its ExecOp started, when its container was made (its
//! mounts, a locked cache among them, granted) and when it exited — read span by span.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use serde::Deserialize;

use crate::model::parse_rfc3339;
use crate::source::rawjson::EXECS;

/// The most one span of a trace may be.
const MAX_SPAN: u64 = 1 << 20;

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

/// What the trace says of the build's exec vertexes (`ours`), as our `x-exec` rawjson line: one
/// entry a vertex (its last span holds, as the model takes them), read span by span.
pub fn exec_line(trace: impl Read, ours: &dyn Fn(&str) -> bool) -> Result<String, String> {
    let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counted = Counted {
        inner: trace,
        read: read.clone(),
    };
    let mut spans =
        serde_json::Deserializer::from_reader(BufReader::new(counted)).into_iter::<Span>();
    let mut execs: Vec<serde_json::Value> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    loop {
        read.set(0);
        let span = match spans.next() {
            None => break,
            Some(Ok(span)) => span,
            Some(Err(e)) if read.get() > MAX_SPAN => {
                return Err(format!(
                    "the record's trace has a span of more than {} KiB ({e})",
                    MAX_SPAN >> 10
                ))
            }
            Some(Err(e)) => {
                return Err(format!("the record's trace is not a stream of spans: {e}"))
            }
        };
        let vertex = span.attributes.iter().flatten().find(|a| a.key == "vertex");
        let Some(vertex) = vertex.and_then(|a| a.value.value.as_str()) else {
            continue;
        };
        if !ours(vertex) {
            continue;
        }
        let time = |name: &str| {
            let e = span.events.iter().flatten().find(|e| e.name == name)?;
            parse_rfc3339(&e.time).map(|_| e.time.as_str())
        };
        if let (Some(started), Some(created)) = (time("ExecOp started"), time("Container created"))
        {
            let exec = serde_json::json!({
                "vertex": vertex,
                "started": started,
                "created": created,
                "exited": time("Container exited"),
            });
            match at.get(vertex) {
                Some(&i) => execs[i] = exec,
                None => {
                    at.insert(vertex.to_string(), execs.len());
                    execs.push(exec);
                }
            }
        }
    }
    if execs.is_empty() {
        return Ok(String::new());
    }
    Ok(format!("{}\n", serde_json::json!({ EXECS: execs })))
}

/// A reader that counts what it gave since its counter was last reset (one span's bytes, give
/// or take the buffer ahead of it), and stops a span past [`MAX_SPAN`].
struct Counted<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read.get() > MAX_SPAN {
            return Err(io::Error::other("span too long"));
        }
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}
