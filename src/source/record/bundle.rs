//! A build record's bundle (a gzip'd tar) read as the stream it is, within bounds whatever its
//! headers claim: a first reading keeps only its small JSON documents (the index, manifests and
//! record configs) and every blob's size; a record's progress and trace are read when wanted, by
//! reading the bundle again up to that blob and streaming it. So what a bundle costs follows what
//! is read of it, never what it carries. Standard input is kept as it is first read (in memory,
//! spilling to an unlinked temporary file past a bound) so that it can be read again.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use flate2::read::GzDecoder;

/// The most a bundle may unpack to, and the most one blob in it may hold.
pub const MAX_UNPACKED: u64 = 1 << 30;
pub const MAX_BLOB: u64 = 256 << 20;
/// Files looked at in one bundle (a record has five or so).
const MAX_ENTRIES: usize = 100_000;
/// A JSON document is kept when it is this small; all of them together at most `MAX_DOCS`.
pub const MAX_DOC: u64 = 1 << 20;
const MAX_DOCS: u64 = 32 << 20;
/// A PAX or GNU long-name header's data, read for the path it gives when this small.
const MAX_NAME_DATA: u64 = 64 << 10;

pub type Source = Box<dyn Read + Send>;

/// A bundle's bytes from the start again: a file is opened again, standard input replayed.
pub trait Reopen: Send {
    fn reopen(&mut self) -> io::Result<Source>;
}

/// What a first reading found: the JSON documents (by path: `index.json`, or a blob's hex
/// digest) and every blob's size.
#[derive(Debug, Default)]
pub struct Contents {
    pub docs: HashMap<String, Vec<u8>>,
    pub sizes: HashMap<String, u64>,
}

/// Reads a whole bundle once, keeping what [`Contents`] says, and checks the gzip stream's
/// CRC-32 and length at its end.
pub fn scan(input: impl Read) -> Result<Contents, String> {
    let mut tar = Tar::new(input);
    let mut found = Contents::default();
    let mut kept = 0u64;
    while let Some(entry) = tar.next_entry()? {
        let key = match entry.blob() {
            Some(hex) => hex.to_string(),
            None if entry.path == "index.json" => entry.path.clone(),
            None => continue,
        };
        if found.sizes.insert(key.clone(), entry.size).is_some() {
            return Err(format!("{} is in it twice", entry.path));
        }
        if entry.size > MAX_DOC {
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size as usize);
        tar.read_to_end(&mut bytes).map_err(unreadable)?;
        if !is_document(&bytes) {
            continue;
        }
        kept += bytes.len() as u64;
        if kept > MAX_DOCS {
            return Err(format!(
                "it holds more than {} MiB of JSON documents: not a build record's index, \
                 manifests and records",
                MAX_DOCS >> 20
            ));
        }
        found.docs.insert(key, bytes);
    }
    tar.finish()?;
    Ok(found)
}

/// One JSON object, whole (a record's config, a manifest, an index): not a trace's stream of
/// spans, not a progress blob.
fn is_document(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// The bundle read again up to blob `hex`: a reader of its data alone.
pub fn open_blob(again: &mut dyn Reopen, hex: &str) -> Result<Tar<Source>, String> {
    let input = again.reopen().map_err(unreadable)?;
    let mut tar = Tar::new(input);
    while let Some(entry) = tar.next_entry()? {
        if entry.blob() == Some(hex) {
            return Ok(tar);
        }
    }
    Err(format!(
        "sha256:{hex} is no longer in it (did the file change while it was read?)"
    ))
}

fn unreadable(e: io::Error) -> String {
    format!("not a readable build record: {e}")
}

/// A file of the tar.
#[derive(Debug)]
pub struct Entry {
    pub path: String,
    pub size: u64,
}

impl Entry {
    /// The hex digest of a `blobs/sha256/…` file.
    pub fn blob(&self) -> Option<&str> {
        self.path.strip_prefix("blobs/sha256/")
    }
}

/// The files of a gzip'd tar, one after another; reading it reads the current file's data.
/// Headers are read here (not by a tar library) so that nothing in one is ever held whole: a
/// long name or PAX header is read for its path only when small, and skipped otherwise.
pub struct Tar<R: Read> {
    inner: Bounded<GzDecoder<R>>,
    /// Bytes of the current file's data not yet read, and the padding after it.
    left: u64,
    pad: u64,
    entries: usize,
}

impl<R: Read> Tar<R> {
    pub fn new(input: R) -> Self {
        Tar {
            inner: Bounded {
                inner: GzDecoder::new(input),
                left: MAX_UNPACKED,
            },
            left: 0,
            pad: 0,
            entries: 0,
        }
    }

    /// The next regular file, past what is left of this one; None at the tar's end.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, String> {
        let mut named: Option<String> = None;
        loop {
            self.skip(self.left + self.pad)?;
            let mut h = [0u8; 512];
            if !self.header(&mut h)? {
                return Ok(None);
            }
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(format!(
                    "it has more than {MAX_ENTRIES} files: not a build record"
                ));
            }
            let size = size_of(&h[124..136]);
            let (kind, path) = (h[156], named.take().unwrap_or_else(|| path_of(&h)));
            if matches!(kind, b'0' | 0 | b'7')
                && (path.starts_with("blobs/") || path == "index.json")
                && size > MAX_BLOB
            {
                return Err(format!(
                    "{path} claims {size} bytes, more than a build record's blob may hold ({MAX_BLOB})"
                ));
            }
            self.left = size;
            self.pad = (512 - size % 512) % 512;
            match kind {
                b'0' | 0 | b'7' => return Ok(Some(Entry { path, size })),
                b'x' | b'L' => named = self.long_name(kind, size)?,
                _ => {}
            }
        }
    }

    /// A header block; false at the tar's end (a block of zeros, or the stream's end).
    fn header(&mut self, h: &mut [u8; 512]) -> Result<bool, String> {
        let mut got = 0;
        while got < 512 {
            match self.inner.read(&mut h[got..]).map_err(unreadable)? {
                0 if got == 0 => return Ok(false),
                0 => return Err("not a readable build record: it ends inside a tar header".into()),
                n => got += n,
            }
        }
        if h.iter().all(|b| *b == 0) {
            return Ok(false);
        }
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    *b as u64
                }
            })
            .sum();
        if size_of(&h[148..156]) != sum {
            return Err("not a readable build record: a tar header's checksum is wrong".into());
        }
        Ok(true)
    }

    /// The path a GNU long name (`L`) or PAX (`x`) header gives the next file, if small.
    fn long_name(&mut self, kind: u8, size: u64) -> Result<Option<String>, String> {
        if size > MAX_NAME_DATA {
            return Ok(None);
        }
        let mut data = Vec::with_capacity(size as usize);
        self.read_to_end(&mut data).map_err(unreadable)?;
        let text = String::from_utf8_lossy(&data);
        Ok(match kind {
            b'L' => Some(text.trim_end_matches('\0').to_string()),
            _ => text.lines().find_map(|l| {
                let (_, kv) = l.split_once(' ')?;
                kv.strip_prefix("path=").map(str::to_string)
            }),
        }
        .map(|p| clean_path(&p)))
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        let copied =
            io::copy(&mut (&mut self.inner).take(n), &mut io::sink()).map_err(unreadable)?;
        if copied < n {
            return Err("not a readable build record: it ends inside a file".into());
        }
        self.left = 0;
        self.pad = 0;
        Ok(())
    }

    /// What is left of the current file's data.
    pub fn remaining(&self) -> u64 {
        self.left
    }

    /// Reads on to the gzip stream's end: its CRC-32 and length are checked there (a damaged
    /// download fails them).
    pub fn finish(mut self) -> Result<(), String> {
        self.left = 0;
        io::copy(&mut self.inner, &mut io::sink()).map_err(unreadable)?;
        Ok(())
    }
}

impl<R: Read> Read for Tar<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        if max == 0 {
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "it ends inside a file",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A tar number: octal text, or GNU's base-256 (first byte's high bit set); past u64, the most.
fn size_of(field: &[u8]) -> u64 {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        return field[1..]
            .iter()
            .try_fold(u64::from(field[0] & 0x7f), |n, b| {
                n.checked_mul(256).map(|n| n + u64::from(*b))
            })
            .unwrap_or(u64::MAX);
    }
    let text = String::from_utf8_lossy(field);
    u64::from_str_radix(text.trim_matches(|c: char| c == '\0' || c == ' '), 8).unwrap_or(u64::MAX)
}

/// The name field, after the ustar prefix when there is one.
fn path_of(h: &[u8; 512]) -> String {
    let field = |r: std::ops::Range<usize>| {
        let f = &h[r];
        let end = f.iter().position(|b| *b == 0).unwrap_or(f.len());
        String::from_utf8_lossy(&f[..end]).into_owned()
    };
    let name = field(0..100);
    let path = if &h[257..262] == b"ustar" && h[345] != 0 {
        format!("{}/{name}", field(345..500))
    } else {
        name
    };
    clean_path(&path)
}

fn clean_path(p: &str) -> String {
    p.trim_start_matches("./").to_string()
}

/// A reader that fails past `left` bytes: a bundle cannot unpack without end.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 && !buf.is_empty() {
            // At the bound: the stream must end here.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(format!(
                    "it unpacks to more than {} MiB",
                    MAX_UNPACKED >> 20
                ))),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Standard input kept as it is read, for reading it again.
pub fn tee(input: Source) -> (Source, Box<dyn Reopen>) {
    let kept = Arc::new(Mutex::new(Spill::Memory(Vec::new())));
    (
        Box::new(Tee {
            input,
            kept: kept.clone(),
        }),
        Box::new(Kept(kept)),
    )
}

/// Kept in memory up to this, then in a temporary file.
const MAX_IN_MEMORY: usize = 64 << 20;

enum Spill {
    Memory(Vec<u8>),
    File(std::fs::File),
}

impl Spill {
    fn keep(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Spill::Memory(v) = self {
            if v.len() + bytes.len() <= MAX_IN_MEMORY {
                v.extend_from_slice(bytes);
                return Ok(());
            }
            let mut f = unlinked_file()?;
            f.write_all(v)?;
            *self = Spill::File(f);
        }
        match self {
            Spill::File(f) => f.write_all(bytes),
            Spill::Memory(_) => unreachable!("spilled above"),
        }
    }

    fn read_at(&self, at: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Spill::Memory(v) => {
                let from = (at as usize).min(v.len());
                let n = buf.len().min(v.len() - from);
                buf[..n].copy_from_slice(&v[from..from + n]);
                Ok(n)
            }
            Spill::File(f) => std::os::unix::fs::FileExt::read_at(f, buf, at),
        }
    }
}

/// A temporary file nobody else can reach: removed as soon as it is made.
fn unlinked_file() -> io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!(
        "buildx-gantt-stdin-{}-{}",
        std::process::id(),
        crate::source::now()
    ));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot keep standard input in {}: {e}", path.display()),
            )
        })?;
    std::fs::remove_file(&path)?;
    Ok(f)
}

struct Tee {
    input: Source,
    kept: Arc<Mutex<Spill>>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        let mut kept = self.kept.lock().map_err(|_| io::Error::other("poisoned"))?;
        kept.keep(&buf[..n])?;
        Ok(n)
    }
}

struct Kept(Arc<Mutex<Spill>>);

impl Reopen for Kept {
    fn reopen(&mut self) -> io::Result<Source> {
        Ok(Box::new(Replay {
            kept: self.0.clone(),
            at: 0,
        }))
    }
}

struct Replay {
    kept: Arc<Mutex<Spill>>,
    at: u64,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let kept = self.kept.lock().map_err(|_| io::Error::other("poisoned"))?;
        let n = kept.read_at(self.at, buf)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_numbers_octal_and_base_256() {
        assert_eq!(size_of(b"00000001750\0"), 1000);
        assert_eq!(size_of(b"      1750 \0"), 1000);
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[11] = 5;
        assert_eq!(size_of(&big), 5);
        assert_eq!(size_of(&[0xff; 12]), u64::MAX);
        assert_eq!(size_of(b"zzz"), u64::MAX);
    }

    #[test]
    fn standard_input_reads_again_from_memory_and_from_its_spill() {
        for len in [10usize, MAX_IN_MEMORY + 10] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (mut first, mut again) = tee(Box::new(io::Cursor::new(data.clone())));
            let mut once = Vec::new();
            first.read_to_end(&mut once).unwrap();
            let mut twice = Vec::new();
            again.reopen().unwrap().read_to_end(&mut twice).unwrap();
            assert_eq!(once.len(), len);
            assert!(once == data && twice == data);
        }
    }
}
