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
