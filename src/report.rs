//! Loading a saved progress log into a [`Build`], with the user-facing errors for inputs that are
//! not one. Shared by `report` and (later) `replay`.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::model::{Build, Event, LogRetention};
use crate::source::rawjson::{self, ReadSummary};

#[derive(Debug)]
pub enum LoadError {
    NotFound(String),
    IsDirectory(String),
    Io(String, io::Error),
    Empty(String),
    /// Looks like `--progress=plain` output.
    PlainLog(String),
    /// Nothing in it is BuildKit progress.
    NotProgress {
        name: String,
        lines: u64,
        first: Option<String>,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound(n) => write!(f, "{n}: no such file"),
            LoadError::IsDirectory(n) => write!(f, "{n}: is a directory, not a log file"),
            LoadError::Io(n, e) => write!(f, "{n}: cannot read: {e}"),
            LoadError::Empty(n) => write!(f, "{n}: empty: no build progress in it"),
            LoadError::PlainLog(n) => write!(
                f,
                "{n}: this is a --progress=plain log; this version reads --progress=rawjson logs \
                 (record one with `docker buildx build --progress=rawjson … 2> build.jsonl`)"
            ),
            LoadError::NotProgress { name, lines, first } => {
                write!(
                    f,
                    "{name}: not a BuildKit progress log ({lines} lines, no build steps found)"
                )?;
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
/// name to show for it.
pub fn open(path: &str) -> Result<(String, Box<dyn Read + Send>), LoadError> {
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

/// Reads `path` (`-` for standard input) as a rawjson log.
pub fn load(path: &str, retention: LogRetention) -> Result<Loaded, LoadError> {
    let (name, input) = open(path)?;
    load_from(name, input, retention)
}

pub fn load_from(
    name: String,
    input: impl Read,
    retention: LogRetention,
) -> Result<Loaded, LoadError> {
    let mut build = Build::new(retention);
    let mut plain_like = 0u64;
    let mut apply = |e: Event| {
        if let crate::model::EventKind::Text(t) = &e.kind {
            if looks_plain(&t.text) {
                plain_like += 1;
            }
        }
        build.apply(e);
    };
    let summary = rawjson::read(BufReader::with_capacity(1 << 20, input), &mut apply)
        .map_err(|e| LoadError::Io(name.clone(), e))?;
    if summary.bytes == 0 {
        return Err(LoadError::Empty(name));
    }
    if build.vertexes().is_empty() {
        if plain_like > 0 && plain_like * 4 >= summary.lines.saturating_sub(summary.json_lines) {
            return Err(LoadError::PlainLog(name));
        }
        let first = build.diagnostics().first().map(|d| match d.line {
            Some(l) => format!("line {l}: {}", d.message),
            None => d.message.clone(),
        });
        return Err(LoadError::NotProgress {
            name,
            lines: summary.lines,
            first,
        });
    }
    Ok(Loaded {
        name,
        build,
        summary,
    })
}

/// `#12 [builder 2/3] RUN …`, `#12 DONE 0.1s`: the shape of a plain progress line.
fn looks_plain(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('#') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest[digits..].starts_with(' ')
}
