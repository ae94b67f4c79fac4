//! A reader thread: turns a byte stream (a child's stderr, a saved log, stdin) into events sent
//! over a channel, optionally writing every byte it reads to a recording first, so that nothing is
//! lost even if the screen dies mid-build.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use tokio::sync::mpsc;

use super::plain;
use super::rawjson::ReadSummary;
use crate::dockerfile::Dockerfile;
use crate::model::{Event, Nanos};

/// Events are sent one by one; the bound gives back-pressure to the producer (a build flooding
/// its log waits for us instead of filling memory).
pub const CHANNEL_BOUND: usize = 4096;

/// Where the bytes are being recorded, and how that went.
#[derive(Debug)]
pub struct Recording {
    pub path: PathBuf,
    pub bytes: u64,
    /// Set when a write failed; recording stops there (the build goes on).
    pub error: Option<io::Error>,
    /// The same failure, said at once to whoever shows the build (the screen says it while the
    /// build runs, not only after).
    pub failed: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Recording {
    /// Creates (truncates) the recording file, making its directory if needed.
    pub fn create(path: PathBuf) -> io::Result<(Recording, File)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::create(&path)?;
        Ok((
            Recording {
                path,
                bytes: 0,
                error: None,
                failed: Default::default(),
            },
            file,
        ))
    }
}

/// How to read the input.
#[derive(Debug, Clone)]
pub enum Reading {
    /// A saved log, stdin, or a rawjson stream: the format is told from the content (a plain
    /// log's timeline is reconstructed, with this Dockerfile's stage graph when given).
    Detect(Option<Arc<Dockerfile>>),
    /// A live `docker build --progress=plain` started at `origin`: each line's arrival time is
    /// evidence for the timeline.
    PlainLive {
        origin: Nanos,
        dockerfile: Option<Arc<Dockerfile>>,
    },
}

/// What the reader thread found when its input ended.
#[derive(Debug)]
pub struct ReadOutcome {
    pub result: io::Result<ReadSummary>,
    pub recording: Option<Recording>,
}

/// Reads `input` on its own thread until it ends (or the receiver is dropped), sending each event.
pub fn spawn(
    input: Box<dyn Read + Send>,
    record: Option<(Recording, File)>,
    reading: Reading,
    tx: mpsc::Sender<Event>,
) -> io::Result<JoinHandle<ReadOutcome>> {
    thread::Builder::new()
        .name("buildx-gantt-reader".into())
        .spawn(move || {
            let mut tee = Tee {
                input,
                record,
                closed: tx.clone(),
            };
            let mut emit = |e: Event| {
                // A closed channel means nobody listens any more; the reader stops at its next read.
                let _ = tx.blocking_send(e);
            };
            let input = BufReader::with_capacity(64 << 10, &mut tee);
            let result = match reading {
                Reading::Detect(dockerfile) => {
                    super::read(input, dockerfile.as_deref(), &mut emit).map(|(_, s)| s)
                }
                Reading::PlainLive { origin, dockerfile } => {
                    plain::read_live(input, origin, dockerfile.as_deref(), &mut emit)
                }
            };
            ReadOutcome {
                result,
                recording: tee.record.map(|(r, _)| r),
            }
        })
}

struct Tee {
    input: Box<dyn Read + Send>,
    record: Option<(Recording, File)>,
    closed: mpsc::Sender<Event>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.closed.is_closed() {
            return Ok(0);
        }
        let n = self.input.read(buf)?;
        if let Some((rec, file)) = &mut self.record {
            if rec.error.is_none() && n > 0 {
                // Written straight through (no buffer): what we read is on disk before we parse it.
                match file.write_all(&buf[..n]) {
                    Ok(()) => rec.bytes += n as u64,
                    Err(e) => {
                        let _ = rec.failed.set(e.to_string());
                        rec.error = Some(e);
                    }
                }
            }
        }
        Ok(n)
    }
}
