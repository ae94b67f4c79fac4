//! Where commands read and write: the Dockerfile, standard output, report files written whole,
//! the terminal's width and colour, and the state directory recordings go to.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use color_eyre::eyre::{bail, eyre, Result};

use crate::cli::ColorChoice;
use crate::dockerfile::Dockerfile;
use crate::ui::colour_wanted;

pub fn color_for(choice: ColorChoice, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => tty && colour_wanted(),
    }
}

/// The terminal's width, else `$COLUMNS`, else 100.
pub fn terminal_width(tty: bool) -> usize {
    let term = tty
        .then(|| crossterm::terminal::size().ok())
        .flatten()
        .map(|(w, _)| w as usize);
    let columns = || std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
    term.filter(|&w| w > 0)
        .or_else(|| columns().filter(|&w: &usize| w > 0))
        .unwrap_or(100)
}

pub fn read_dockerfile(path: &str, build_args: &[(String, String)]) -> Result<Dockerfile> {
    let bytes =
        std::fs::read(path).map_err(|e| eyre!("{path}: cannot read the Dockerfile: {e}"))?;
    Ok(Dockerfile::parse(
        &String::from_utf8_lossy(&bytes),
        build_args,
    ))
}

/// `-f DOCKERFILE` when given.
pub fn dockerfile_arg(
    path: Option<&str>,
    build_args: &[(String, String)],
) -> Result<Option<Dockerfile>> {
    path.map(|p| read_dockerfile(p, build_args)).transpose()
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
pub fn write_out(s: &str) -> Result<()> {
    write_out_with(&mut |w| w.write_all(s.as_bytes())).map(|_| ())
}

/// Streams what `put` writes to standard output (a closed pipe ends it quietly); returns the
/// bytes written.
pub fn write_out_with(put: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>) -> Result<u64> {
    let stdout = io::stdout();
    let mut w = Counter::new(io::BufWriter::with_capacity(1 << 16, stdout.lock()));
    match put(&mut w).and_then(|_| w.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            bail!("cannot write the report: {e}")
        }
        _ => Ok(w.written),
    }
}

/// Streams what `put` writes to `path` whole or not at all: a temporary file beside it, renamed
/// over it. Returns the bytes written.
pub fn write_file_with(
    path: &str,
    put: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> Result<u64> {
    let target = Path::new(path);
    if target.is_dir() {
        bail!("{path}: is a directory (--output takes a file name)");
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp).and_then(|f| {
        let mut w = Counter::new(io::BufWriter::with_capacity(1 << 16, f));
        put(&mut w)?;
        w.flush()?;
        Ok(w.written)
    });
    let result = result.and_then(|n| std::fs::rename(&tmp, target).map(|_| n));
    result.or_else(|e| {
        let _ = std::fs::remove_file(&tmp);
        bail!("cannot write {path}: {e}")
    })
}

/// A writer that counts what passes through it.
struct Counter<W> {
    inner: W,
    written: u64,
}

impl<W> Counter<W> {
    fn new(inner: W) -> Self {
        Counter { inner, written: 0 }
    }
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where a build is recorded by default: `$XDG_STATE_HOME/buildx-gantt/recordings/` (or
/// `~/.local/state/…`), one file per build, named after when it started.
pub fn default_recording(dockerfile: &str, extension: &str) -> Option<PathBuf> {
    let mut path = state_path("recordings", dockerfile)?.into_os_string();
    path.push(format!(".{extension}"));
    Some(path.into())
}

/// `$XDG_STATE_HOME/buildx-gantt/KIND/<time>-<Dockerfile>-<pid>` (or under `~/.local/state`): a
/// new name for what one command records.
pub fn state_path(kind: &str, dockerfile: &str) -> Option<PathBuf> {
    let set = |v: std::ffi::OsString| (!v.is_empty()).then_some(v);
    let base = std::env::var_os("XDG_STATE_HOME")
        .and_then(set)
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("HOME").and_then(set)?;
            Some(PathBuf::from(home).join(".local/state"))
        })?;
    let safe = |c: char| {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '_'
        }
    };
    let stem: String = Path::new(dockerfile)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build".into())
        .chars()
        .map(safe)
        .collect();
    let when = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let name = format!("{when}-{stem}-{}", std::process::id());
    Some(base.join("buildx-gantt").join(kind).join(name))
}

/// Appends `line` to the file at `path`, on a line of its own.
pub fn append_line(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)?;
    let mut last = [0u8; 1];
    let len = f.seek(SeekFrom::End(0))?;
    let newline = len == 0 || {
        f.seek(SeekFrom::End(-1))?;
        f.read_exact(&mut last)?;
        last[0] == b'\n'
    };
    let sep = if newline { "" } else { "\n" };
    f.write_all(format!("{sep}{line}\n").as_bytes())
}
