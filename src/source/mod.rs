//! Where bytes come from, turned into [`crate::model::Event`]s. One module per origin; none of them
//! knows anything about drawing.

pub mod bake;
pub mod bakefile;
pub mod child;
pub mod context;
pub mod daemon_tls;
pub mod demos;
pub mod docker_cli;
pub mod docker_context;
pub mod docker_setup;
pub mod engine;
pub mod feed;
pub mod garbage;
pub mod history;
pub mod image;
pub mod job;
pub mod lines;
pub mod pile;
pub mod plain;
pub mod predict;
pub mod rawjson;
pub mod record;
pub mod repeat;
pub mod replay;
pub mod request;
pub mod runner;
pub mod saved;
pub mod spawn;
pub mod zip;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::Nanos;

/// The wall clock now, as the model's time unit.
pub fn now() -> Nanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as Nanos)
        .unwrap_or(0)
}

/// What kind of progress log a stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `--progress=rawjson`: one JSON object per line.
    RawJson,
    /// `--progress=plain`: BuildKit's text printer.
    Plain,
}

/// How far ahead the reader looks for the first line that tells the format (`format_of`).
pub const SNIFF_LIMIT: usize = 4 << 20;

/// The format a line shows: a JSON object, a `#N …` progress line, or neither (its first 256
/// bytes are enough).
fn format_of(line: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(&line[..line.len().min(256)]);
    let t = text.trim_start();
    if is_record_start(crate::model::strip_ansi(t).trim_start()) {
        Some(Format::RawJson)
    } else if plain::is_pasted_progress(&text) {
        Some(Format::Plain)
    } else {
        None
    }
}

/// Whether a line begins like a `SolveStatus` record: is `{}`, or opens `{"` and one of its fields.
fn is_record_start(t: &str) -> bool {
    let Some(rest) = t.strip_prefix('{') else {
        return false;
    };
    let rest = rest.trim_start();
    rest.trim_end() == "}"
        || ["vertexes", "statuses", "logs", "warnings"]
            .iter()
            .any(|k| rest.strip_prefix('"').is_some_and(|r| r.starts_with(k)))
}

/// Reads a saved log or a rawjson stream to its end, rawjson or plain as its content shows (a
/// stream that is neither is read as rawjson: every line becomes a diagnostic). Returns the
/// format found and what the reader saw.
pub fn read<R: std::io::BufRead>(
    input: R,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
    emit: &mut dyn FnMut(crate::model::Event),
) -> std::io::Result<(Option<Format>, rawjson::ReadSummary)> {
    let (format, prefix, rest) = sniff_parts(input)?;
    let whole = std::io::Read::chain(std::io::Cursor::new(prefix), rest);
    let summary = match format {
        Some(Format::Plain) => plain::read(whole, dockerfile, emit)?,
        Some(Format::RawJson) => rawjson::read(whole, emit)?,
        None => {
            // Its first lines, for the diagnostics; nothing past them.
            let (prefix, mut rest) = whole.into_inner();
            let more = !rest.fill_buf()?.is_empty();
            let mut summary = rawjson::read(prefix, &mut |e| match e.kind {
                crate::model::EventKind::End { .. } if more => {}
                _ => emit(e),
            })?;
            if more {
                summary.gave_up = Some(garbage::GaveUp::NoProgress);
                emit(crate::model::Event {
                    arrived: now(),
                    kind: crate::model::EventKind::Unreadable {
                        line: 0,
                        message: garbage::GaveUp::NoProgress.message(),
                        excerpt: String::new(),
                    },
                });
                emit(crate::model::Event {
                    arrived: now(),
                    kind: crate::model::EventKind::End { complete: true },
                });
            }
            summary
        }
    };
    Ok((format, summary))
}

/// Reads ahead until a line shows the format (a JSON record, or a `#N …` line), skipping whatever
/// came before the build (make's echo of commands, `docker --version`). Returns the format
/// (`None`: neither, in the first 4 MiB), the bytes read ahead and the rest of the input.
fn sniff_parts<R: std::io::BufRead>(mut input: R) -> std::io::Result<(Option<Format>, Vec<u8>, R)> {
    let mut prefix: Vec<u8> = Vec::new();
    let mut line_start = 0;
    let format = loop {
        // Decide on every complete line (and on a long enough partial one).
        let mut decided = None;
        while line_start < prefix.len() {
            let rest = &prefix[line_start..];
            let end = memchr::memchr(b'\n', rest);
            if end.is_none() && rest.len() < 64 {
                break;
            }
            decided = format_of(&rest[..end.unwrap_or(rest.len())]);
            if decided.is_some() {
                break;
            }
            match end {
                Some(e) => line_start += e + 1,
                None => break, // a long partial line: wait for its end
            }
        }
        if decided.is_some() {
            break decided;
        }
        if prefix.len() >= SNIFF_LIMIT {
            break None;
        }
        let buf = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            // The end: a last line without a newline still counts.
            break format_of(&prefix[line_start.min(prefix.len())..]);
        }
        let n = buf
            .len()
            .min(SNIFF_LIMIT + 1 - prefix.len().min(SNIFF_LIMIT));
        prefix.extend_from_slice(&buf[..n]);
        input.consume(n);
    };
    Ok((format, prefix, input))
}

/// Reads a whole log, rawjson or plain (told apart by content), into its events.
pub fn read_events<R: std::io::Read>(
    input: R,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) -> std::io::Result<Vec<crate::model::Event>> {
    let mut events = Vec::new();
    read(std::io::BufReader::new(input), dockerfile, &mut |e| {
        events.push(e)
    })?;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sniffed(s: &str) -> (Option<Format>, String) {
        let (f, prefix, rest) = sniff_parts(s.as_bytes()).unwrap();
        let mut all = String::new();
        std::io::Cursor::new(prefix)
            .chain(rest)
            .read_to_string(&mut all)
            .unwrap();
        (f, all)
    }

    #[test]
    fn sniffs_formats_and_keeps_every_byte() {
        let plain = "docker --version\nDocker version 24.0.6\n#1 [internal] load\n#1 DONE 0.0s\n";
        assert_eq!(sniffed(plain), (Some(Format::Plain), plain.to_string()));
        let json = "{\"vertexes\":[]}\n";
        assert_eq!(sniffed(json).0, Some(Format::RawJson));
        assert_eq!(sniffed("hello\nworld").0, None);
        assert_eq!(sniffed("").0, None);
        assert_eq!(sniffed("\x1b[34m#1 DONE 0.1s").0, Some(Format::Plain));
        // What random bytes may hold: neither is a record or a `#N` line the readers would see.
        assert_eq!(sniffed("{}x junk\n").0, None);
        assert_eq!(sniffed("  #5 DONE\n").0, None);
        assert_eq!(sniffed("{}\n").0, Some(Format::RawJson));
    }
}
