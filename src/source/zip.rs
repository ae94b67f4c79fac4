//! A `.zip` around a build record: how a CI artifact downloads (GitHub's build-push-action uploads
//! the `.dockerbuild`, and the Actions page hands it back zipped). Read as a stream of local file
//! headers, so standard input works too: the first entry named `*.dockerbuild` is the record. Its
//! data is a gzip stream, which ends itself, so an entry whose sizes come after it (a data
//! descriptor, as streaming zip writers do) still reads.

use std::io::{self, Read};

use flate2::read::DeflateDecoder;

/// Entries looked at before giving up (a zip of a whole directory is not a record's artifact).
const MAX_ENTRIES: usize = 64;
const LOCAL_HEADER: &[u8; 4] = b"PK\x03\x04";

/// Whether these first bytes open a zip archive.
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(LOCAL_HEADER)
}

/// The data of the archive's first `*.dockerbuild` entry, unpacked as it is read.
pub fn record_entry<R: Read + Send + 'static>(mut z: R) -> Result<Box<dyn Read + Send>, String> {
    for _ in 0..MAX_ENTRIES {
        let h = header(&mut z)?;
        if h.encrypted {
            return Err(format!("{}: encrypted in the zip: cannot read it", h.name));
        }
        if h.name.ends_with(".dockerbuild") {
            return match h.method {
                0 if h.descriptor => Ok(Box::new(z)),
                0 => Ok(Box::new(z.take(h.size))),
                8 => Ok(Box::new(DeflateDecoder::new(z))),
                m => Err(format!(
                    "{}: zip compression method {m} is not supported (stored and deflate are)",
                    h.name
                )),
            };
        }
        if h.descriptor {
            return Err(format!(
                "the zip's entry {} comes before the record and does not say its size: unzip it, then read the .dockerbuild",
                h.name
            ));
        }
        io::copy(&mut (&mut z).take(h.size), &mut io::sink()).map_err(bad)?;
    }
    Err("no .dockerbuild in the zip".into())
}

struct Header {
    name: String,
    method: u16,
    /// Its sizes come after its data (general purpose flag bit 3).
    descriptor: bool,
    encrypted: bool,
    /// Compressed size, when the header says it.
    size: u64,
}

fn header(z: &mut impl Read) -> Result<Header, String> {
    let mut h = [0u8; 30];
    match z.read_exact(&mut h) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err("no .dockerbuild in the zip (it ends before one)".into())
        }
        Err(e) => return Err(bad(e)),
    }
    if &h[..4] != LOCAL_HEADER {
        return Err("no .dockerbuild in the zip (its entries end before one)".into());
    }
    let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
    let flags = u16_at(6);
    let size = u32::from_le_bytes([h[18], h[19], h[20], h[21]]);
    let (name_len, extra_len) = (u16_at(26) as usize, u16_at(28) as u64);
    let mut name = vec![0u8; name_len];
    z.read_exact(&mut name).map_err(bad)?;
    io::copy(&mut z.take(extra_len), &mut io::sink()).map_err(bad)?;
    Ok(Header {
        // An entry's name is the archive's text, not ours: shown, it must not drive a terminal.
        name: crate::model::visible(&String::from_utf8_lossy(&name)).into_owned(),
        method: u16_at(8),
        descriptor: flags & 0x08 != 0 || size == u32::MAX,
        encrypted: flags & 0x01 != 0,
        size: size as u64,
    })
}

fn bad(e: io::Error) -> String {
    format!("the zip is damaged: {e}")
}

/// An archive of many builds (a CI run's artifacts, zipped): its entries, through the central
/// directory at its end, so each can be read on its own (and by several readers at once).
pub mod archive {
    use std::fs::File;
    use std::io::{self, Read, Seek, SeekFrom};

    use flate2::read::DeflateDecoder;

    /// Entries listed at most; a zip of more is refused (zip64 archives are not read).
    const MAX_ENTRIES: usize = 100_000;
    /// The central directory read at most (an entry's record is 46 bytes and its name).
    const MAX_DIRECTORY: u64 = 64 << 20;
    const END: &[u8; 4] = b"PK\x05\x06";
    const CENTRAL: &[u8; 4] = b"PK\x01\x02";

    /// One file in the archive.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Entry {
        /// Its name in the archive, shown sanitised.
        pub name: String,
        method: u16,
        encrypted: bool,
        compressed: u64,
        /// Where its local header is.
        offset: u64,
    }

    /// The files of the archive (folders left out), in the archive's order.
    pub fn entries(f: &mut File) -> Result<Vec<Entry>, String> {
        let len = f.seek(SeekFrom::End(0)).map_err(super::bad)?;
        // The end record is in the last 22 bytes, or before a comment of up to 64 KiB.
        let tail = len.min(22 + 0xFFFF);
        f.seek(SeekFrom::Start(len - tail)).map_err(super::bad)?;
        let mut buf = vec![0u8; tail as usize];
        f.read_exact(&mut buf).map_err(super::bad)?;
        let at = (0..buf.len().saturating_sub(21))
            .rev()
            .find(|&i| &buf[i..i + 4] == END)
            .ok_or("not a zip archive: it has no central directory (is it cut short?)")?;
        let e = &buf[at..];
        let count = u16::from_le_bytes([e[10], e[11]]) as usize;
        let size = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as u64;
        let start = u32::from_le_bytes([e[16], e[17], e[18], e[19]]) as u64;
        if count == 0xFFFF || size == u32::MAX as u64 || start == u32::MAX as u64 {
            return Err("a zip64 archive (over 65,535 entries or 4 GiB): unzip it first".into());
        }
        if size > MAX_DIRECTORY || start + size > len {
            return Err("the zip's central directory is damaged".into());
        }
        f.seek(SeekFrom::Start(start)).map_err(super::bad)?;
        let mut dir = vec![0u8; size as usize];
        f.read_exact(&mut dir).map_err(super::bad)?;
        parse_directory(&dir, count.min(MAX_ENTRIES))
    }

    fn parse_directory(dir: &[u8], count: usize) -> Result<Vec<Entry>, String> {
        let mut out = Vec::new();
        let mut at = 0usize;
        let damaged = || "the zip's central directory is damaged".to_string();
        for _ in 0..count {
            let h = dir.get(at..at + 46).ok_or_else(damaged)?;
            if &h[..4] != CENTRAL {
                return Err(damaged());
            }
            let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]) as usize;
            let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
            let (name_len, extra, comment) = (u16_at(28), u16_at(30), u16_at(32));
            let name = dir.get(at + 46..at + 46 + name_len).ok_or_else(damaged)?;
            let name = crate::model::visible(&String::from_utf8_lossy(name)).into_owned();
            if !name.ends_with('/') {
                out.push(Entry {
                    name,
                    method: u16_at(10) as u16,
                    encrypted: u16_at(8) & 1 != 0,
                    compressed: u32_at(20) as u64,
                    offset: u32_at(42) as u64,
                });
            }
            at += 46 + name_len + extra + comment;
        }
        Ok(out)
    }

    /// The entry's data, unpacked as it is read.
    pub fn open(mut f: File, e: &Entry) -> Result<Box<dyn Read + Send>, String> {
        if e.encrypted {
            return Err(format!("{}: encrypted in the zip: cannot read it", e.name));
        }
        f.seek(SeekFrom::Start(e.offset)).map_err(super::bad)?;
        let mut h = [0u8; 30];
        f.read_exact(&mut h).map_err(super::bad)?;
        if &h[..4] != super::LOCAL_HEADER {
            return Err(format!("{}: the zip's entry is damaged", e.name));
        }
        let skip =
            u16::from_le_bytes([h[26], h[27]]) as u64 + u16::from_le_bytes([h[28], h[29]]) as u64;
        io::copy(&mut (&mut f).take(skip), &mut io::sink()).map_err(super::bad)?;
        let data = f.take(e.compressed);
        match e.method {
            0 => Ok(Box::new(data)),
            8 => Ok(Box::new(DeflateDecoder::new(data))),
            m => Err(format!(
                "{}: zip compression method {m} is not supported (stored and deflate are)",
                e.name
            )),
        }
    }
}
