//! Opening and loading a saved progress log (rawjson, plain, a `.dockerbuild` record, a `.zip`
//! around one) into a [`Build`], with the user-facing errors for inputs that are not one. Every
//! command and screen that reads a saved file reads it through here.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::dockerfile::Dockerfile;
use crate::model::{Build, Event, LogRetention};
use crate::source::record::{self, bundle};
use crate::source::{self, rawjson::ReadSummary, zip};

#[derive(Debug)]
pub enum LoadError {
    NotFound(String),
    IsDirectory(String),
    Io(String, io::Error),
    Empty(String),
    /// A build record (`.dockerbuild`) that cannot be read, and why.
    Bundle(String, String),
    /// Nothing in it is BuildKit progress.
    NotProgress {
        name: String,
        lines: u64,
        first: Option<String>,
        /// Reading stopped early: why.
        stopped: Option<String>,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound(n) => write!(f, "{n}: no such file"),
            LoadError::IsDirectory(n) => write!(f, "{n}: is a directory, not a log file"),
            LoadError::Io(n, e) => write!(f, "{n}: cannot read: {e}"),
            LoadError::Empty(n) => write!(f, "{n}: empty: no build progress in it"),
            LoadError::Bundle(n, why) => write!(f, "{n}: {why}"),
            LoadError::NotProgress {
                name,
                lines,
                first,
                stopped,
            } => {
                write!(
                    f,
                    "{name}: not a BuildKit progress log: neither --progress=rawjson (JSON lines) \
                     nor --progress=plain (`#1 …` lines) ({lines} lines, no build steps found)"
                )?;
                if let Some(stopped) = stopped {
                    write!(f, "; {stopped}")?;
                }
                if let Some(first) = first {
                    write!(f, "; first problem: {first}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A log read into a model.
pub struct Loaded {
    pub name: String,
    pub build: Build,
    pub summary: ReadSummary,
}

/// Opens `path` (`-` for standard input) for reading, with the user-facing errors; returns the
/// name to show for it. A build record (`.dockerbuild`) reads as its latest record's progress.
pub fn open(path: &str) -> Result<(String, Box<dyn Read + Send>), LoadError> {
    open_record(path, &Pick::default())
}

/// Which record of a bundle to read, and whether to say what was chosen (once per input).
#[derive(Debug, Clone, Default)]
pub struct Pick {
    pub reference: Option<String>,
    pub say: bool,
}

/// [`open`], reading the record `pick` asks for when it is a bundle.
pub fn open_record(path: &str, pick: &Pick) -> Result<(String, Box<dyn Read + Send>), LoadError> {
    let (name, input) = open_unzipped(path)?;
    open_stream(name, input, again(path), pick)
}

/// What `input` (named `name`: a zip's entry, say) holds: a log as it is, a build record's
/// progress as rawjson (the record kept as it is read, to read its progress again).
pub fn open_reader(
    name: String,
    input: Box<dyn Read + Send>,
    pick: &Pick,
) -> Result<(String, Box<dyn Read + Send>), LoadError> {
    open_stream(name, BufReader::with_capacity(1 << 16, input), None, pick)
}

fn open_stream(
    name: String,
    input: Input,
    again: Option<Box<dyn bundle::Reopen>>,
    pick: &Pick,
) -> Result<(String, Box<dyn Read + Send>), LoadError> {
    let (name, bundle) = match opened_from(name, input, again)? {
        Opened::Log(name, input) => return Ok((name, Box::new(input))),
        Opened::Bundle(name, bundle) => (name, bundle),
    };
    let bad = |e: String| LoadError::Bundle(name.clone(), e);
    let (chosen, note) = record::pick(bundle, pick.reference.as_deref()).map_err(bad)?;
    for said in [note.as_deref(), chosen.lacks()].into_iter().flatten() {
        if pick.say {
            eprintln!("buildx-gantt: {name}: {said}");
        }
    }
    Ok((name, chosen.into_stream()))
}

/// The record `reference` names in the bundle at `path`.
pub fn chosen_record(path: &str, reference: &str) -> Result<record::Chosen, LoadError> {
    match opened(path)? {
        Opened::Bundle(name, bundle) => record::pick(bundle, Some(reference))
            .map(|(chosen, _)| chosen)
            .map_err(|e| LoadError::Bundle(name, e)),
        Opened::Log(name, _) => Err(LoadError::Bundle(name, "not a build record".into())),
    }
}

/// The records of a bundle, a line each (`--list`).
pub fn list_records(path: &str) -> Result<Vec<String>, LoadError> {
    match opened(path)? {
        Opened::Bundle(_, bundle) => {
            Ok(bundle.records.iter().map(record::Record::summary).collect())
        }
        Opened::Log(name, _) => Err(LoadError::Bundle(
            name,
            "not a build record (.dockerbuild): --list lists the records of one".into(),
        )),
    }
}

/// An input: a log as it is, or a build record (bundle) read once for its records.
enum Opened {
    Log(String, Input),
    Bundle(String, record::Bundle),
}

fn opened(path: &str) -> Result<Opened, LoadError> {
    let (name, input) = open_unzipped(path)?;
    opened_from(name, input, again(path))
}

/// How a file is read again from its start; None for standard input.
fn again(path: &str) -> Option<Box<dyn bundle::Reopen>> {
    (path != "-").then(|| Box::new(Again(path.to_string())) as Box<dyn bundle::Reopen>)
}

/// What `input` holds; a bundle is read for its records, and is read again by `again` (else it
/// is kept as it is read, for a record's progress to be read again).
fn opened_from(
    name: String,
    mut input: Input,
    again: Option<Box<dyn bundle::Reopen>>,
) -> Result<Opened, LoadError> {
    let head = input
        .fill_buf()
        .map_err(|e| LoadError::Io(name.clone(), e))?;
    if !record::is_bundle(head) {
        return Ok(Opened::Log(name, input));
    }
    let (first, again): (Box<dyn Read + Send>, Box<dyn bundle::Reopen>) = match again {
        Some(again) => (Box::new(input), again),
        None => bundle::tee(Box::new(input)),
    };
    match record::read_bundle(first, again) {
        Ok(bundle) => Ok(Opened::Bundle(name, bundle)),
        Err(e) => Err(LoadError::Bundle(name, e)),
    }
}

/// A file read again from its start (unzipped again when it is a zip).
struct Again(String);

impl bundle::Reopen for Again {
    fn reopen(&mut self) -> io::Result<Box<dyn Read + Send>> {
        match open_unzipped(&self.0) {
            Ok((_, input)) => Ok(Box::new(input)),
            Err(e) => Err(io::Error::other(e.to_string())),
        }
    }
}

type Input = BufReader<Box<dyn Read + Send>>;

/// The file (or standard input), or the build record in it when it is a zip (a CI artifact).
fn open_unzipped(path: &str) -> Result<(String, Input), LoadError> {
    let (name, raw) = open_file(path)?;
    let mut input = BufReader::with_capacity(1 << 16, raw);
    let head = input
        .fill_buf()
        .map_err(|e| LoadError::Io(name.clone(), e))?;
    if !zip::is_zip(head) {
        return Ok((name, input));
    }
    let entry = zip::record_entry(input).map_err(|e| LoadError::Bundle(name.clone(), e))?;
    Ok((name, BufReader::with_capacity(1 << 16, entry)))
}

fn open_file(path: &str) -> Result<(String, Box<dyn Read + Send>), LoadError> {
    if path == "-" {
        return Ok(("<stdin>".to_string(), Box::new(io::stdin())));
    }
    let name = path.to_string();
    let p = Path::new(path);
    if p.is_dir() {
        return Err(LoadError::IsDirectory(name));
    }
    match File::open(p) {
        Ok(f) => Ok((name, Box::new(f))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(LoadError::NotFound(name)),
        Err(e) => Err(LoadError::Io(name, e)),
    }
}

/// Reads `path` (`-` for standard input), rawjson or plain (told apart by their content). A
/// plain log's timeline is reconstructed, with the Dockerfile's stage graph when given.
pub fn load(
    path: &str,
    retention: LogRetention,
    dockerfile: Option<&Dockerfile>,
) -> Result<Loaded, LoadError> {
    load_record(path, &Pick::default(), retention, dockerfile)
}

/// [`load`], reading the record `pick` asks for when it is a bundle.
pub fn load_record(
    path: &str,
    pick: &Pick,
    retention: LogRetention,
    dockerfile: Option<&Dockerfile>,
) -> Result<Loaded, LoadError> {
    let (name, input) = open_record(path, pick)?;
    load_from(name, input, retention, dockerfile)
}

pub fn load_from(
    name: String,
    input: impl Read,
    retention: LogRetention,
    dockerfile: Option<&Dockerfile>,
) -> Result<Loaded, LoadError> {
    let mut build = Build::new(retention);
    let mut apply = |e: Event| build.apply(e);
    let io_err = |e: io::Error| match e
        .get_ref()
        .and_then(|r| r.downcast_ref::<record::Unreadable>())
    {
        Some(why) => LoadError::Bundle(name.clone(), why.0.clone()),
        None => LoadError::Io(name.clone(), e),
    };
    let (_, summary) = source::read(
        BufReader::with_capacity(1 << 20, input),
        dockerfile,
        &mut apply,
    )
    .map_err(io_err)?;
    if summary.bytes == 0 {
        return Err(LoadError::Empty(name));
    }
    if build.vertexes().is_empty() {
        let first = build.diagnostics().first().map(|d| match d.line {
            Some(l) => format!("line {l}: {}", d.message),
            None => d.message.clone(),
        });
        return Err(LoadError::NotProgress {
            name,
            lines: summary.lines,
            first,
            stopped: summary.gave_up.map(|g| g.message()),
        });
    }
    build.settle();
    Ok(Loaded {
        name,
        build,
        summary,
    })
}
