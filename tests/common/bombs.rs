//! Build records (`.dockerbuild`) that cost far more unpacked than they weigh, made by the tests
//! (and the benchmark) that read them: never committed. The gzip stream is written by hand so that
//! hundreds of MB of repeated bytes cost a few hundred KB and no time to make: a repeated unit is
//! compressed once (ending on a sync flush, so copies of it follow one another), written as many
//! times as asked, and its CRC-32 combined in.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;

use flate2::{Compress, Compression, Crc, FlushCompress};

/// A file's bytes: as they are, or a unit repeated.
pub enum Data<'a> {
    Bytes(&'a [u8]),
    Repeat(&'a [u8], usize),
}

impl Data<'_> {
    fn len(&self) -> u64 {
        match self {
            Data::Bytes(b) => b.len() as u64,
            Data::Repeat(u, n) => (u.len() * n) as u64,
        }
    }
}

/// A gzip'd tar written piece by piece.
pub struct Bomb {
    out: Vec<u8>,
    crc: Crc,
}

impl Default for Bomb {
    fn default() -> Self {
        Self::new()
    }
}

impl Bomb {
    pub fn new() -> Bomb {
        // gzip header: magic, deflate, no flags, no time, no extra flags, unknown OS.
        let out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
        Bomb {
            out,
            crc: Crc::new(),
        }
    }

    pub fn plain(&mut self, bytes: &[u8]) {
        self.out.extend(deflate_sync(bytes));
        self.crc.update(bytes);
    }

    fn repeated(&mut self, unit: &[u8], times: usize) {
        let packed = deflate_sync(unit);
        let mut one = Crc::new();
        one.update(unit);
        for _ in 0..times {
            self.out.extend_from_slice(&packed);
            self.crc.combine(&one);
        }
    }

    /// A regular file in the tar, its data these parts one after another.
    pub fn file(&mut self, path: &str, parts: &[Data]) -> &mut Self {
        let size: u64 = parts.iter().map(Data::len).sum();
        let mut h = tar::Header::new_ustar();
        h.set_path(path).unwrap();
        h.set_size(size);
        h.set_mode(0o444);
        h.set_cksum();
        self.plain(h.as_bytes());
        for part in parts {
            match part {
                Data::Bytes(b) => self.plain(b),
                Data::Repeat(u, n) => self.repeated(u, *n),
            }
        }
        self.plain(&vec![0; ((512 - size % 512) % 512) as usize]);
        self
    }

    /// The whole bundle: the tar's end, a last empty deflate block, the CRC and the length.
    pub fn finish(&mut self) -> Vec<u8> {
        self.plain(&[0; 1024]);
        let mut out = std::mem::take(&mut self.out);
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
        out.extend_from_slice(&self.crc.sum().to_le_bytes());
        out.extend_from_slice(&self.crc.amount().to_le_bytes());
        out
    }
}

/// Raw deflate of `data`, ending byte-aligned on a sync flush (no final block).
fn deflate_sync(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() / 64 + 4096);
    loop {
        if out.capacity() - out.len() < 4096 {
            out.reserve(1 << 16);
        }
        let fed = c.total_in() as usize;
        c.compress_vec(&data[fed..], &mut out, FlushCompress::Sync)
            .unwrap();
        if c.total_in() as usize == data.len() && out.capacity() - out.len() >= 4096 {
            return out;
        }
    }
}

/// A bundle's files, in order.
pub fn files_of(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let f = std::fs::File::open(bundle).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if !e.header().entry_type().is_file() {
            continue;
        }
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        out.push((path, bytes));
    }
    out
}

/// Files as a bundle.
pub fn bundle(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = Bomb::new();
    for (path, bytes) in files {
        b.file(path, &[Data::Bytes(bytes)]);
    }
    b.finish()
}

/// The JSON documents among the files (index, manifests, the record's config).
pub fn json(bytes: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(bytes).ok()
}

/// The path of the blob the record's config names for `key` (`logs`, `trace`).
pub fn blob_of(files: &[(String, Vec<u8>)], key: &str) -> String {
    let config = files
        .iter()
        .filter_map(|(_, b)| json(b))
        .find(|v| v.get("Ref").is_some())
        .expect("a record config");
    let digest = config[key]["digest"].as_str().unwrap();
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

/// `path`'s bytes among the files.
pub fn bytes_of<'f>(files: &'f [(String, Vec<u8>)], path: &str) -> &'f [u8] {
    &files.iter().find(|(p, _)| p == path).unwrap().1
}

/// The files with `path`'s bytes replaced.
pub fn replaced(files: &[(String, Vec<u8>)], path: &str, bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(p, b)| (p.clone(), if p == path { bytes.clone() } else { b.clone() }))
        .collect()
}

/// A blob path for a made-up digest.
pub fn blob_path(n: usize) -> String {
    format!("blobs/sha256/{n:064x}")
}

/// An OCI index listing these descriptors.
pub fn index(manifests: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }))
    .unwrap()
}

/// A descriptor of a nested index with this made-up digest.
pub fn index_descriptor(n: usize) -> serde_json::Value {
    serde_json::json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": format!("sha256:{n:064x}"),
        "size": 1,
    })
}

/// The fixture bundle's index.json: its manifests' descriptors.
pub fn manifests_of(files: &[(String, Vec<u8>)]) -> Vec<serde_json::Value> {
    let index = json(bytes_of(files, "index.json")).unwrap();
    index["manifests"].as_array().unwrap().clone()
}

/// Bombs of the shapes an attacker would send, all built on a real record (`base`, a
/// `.dockerbuild` with one record), each read as that record whatever it adds.
pub mod shapes {
    use super::*;

    /// index.json lists the record's manifest `n` times; its trace is padded with `mib` MiB of
    /// spans of a vertex the build does not have.
    pub fn listed_many_times(base: &Path, n: usize, mib: usize) -> Vec<u8> {
        let files = files_of(base);
        let m = manifests_of(&files);
        let many: Vec<_> = (0..n).map(|_| m[0].clone()).collect();
        let files = replaced(&files, "index.json", index(&many));
        let trace = blob_of(&files, "trace");
        let real = bytes_of(&files, &trace).to_vec();
        let unit = exec_spans(&format!("sha256:{}", "cd".repeat(32)));
        with_file(
            &files,
            &trace,
            &[Data::Repeat(unit.as_bytes(), mib), Data::Bytes(&real)],
        )
    }

    /// Indexes nested `depth` deep, each listing the next `fan` times: fan^(depth+1) listings
    /// of the one record, in a file of about a kilobyte.
    pub fn nested(base: &Path, fan: usize, depth: usize) -> Vec<u8> {
        let mut files = files_of(base);
        let m = manifests_of(&files);
        for level in 0..depth {
            let child = if level + 1 == depth {
                m[0].clone()
            } else {
                index_descriptor(level + 2)
            };
            files.push((blob_path(level + 1), index(&vec![child; fan])));
        }
        let top = vec![index_descriptor(1); fan];
        bundle(&replaced(&files, "index.json", index(&top)))
    }

    /// `blobs` blobs of `mib` MiB of zeros that nothing refers to, before the record's own files.
    pub fn unreferenced(base: &Path, blobs: usize, mib: usize) -> Vec<u8> {
        let files = files_of(base);
        let zeros = vec![0u8; 1 << 20];
        let mut b = Bomb::new();
        for i in 0..blobs {
            b.file(&blob_path(1000 + i), &[Data::Repeat(&zeros, mib)]);
        }
        for (p, bytes) in &files {
            b.file(p, &[Data::Bytes(bytes)]);
        }
        b.finish()
    }

    /// The record's trace preceded by `mib` MiB of repeated exec spans of `vertex` (a digest of
    /// the build's, or one it never had): the real spans come last, so they are what holds.
    pub fn big_trace(base: &Path, mib: usize, vertex: &str) -> Vec<u8> {
        let files = files_of(base);
        let trace = blob_of(&files, "trace");
        let unit = exec_spans(vertex);
        let real = bytes_of(&files, &trace).to_vec();
        with_file(
            &files,
            &trace,
            &[Data::Repeat(unit.as_bytes(), mib), Data::Bytes(&real)],
        )
    }

    /// The record's progress followed by `mib` MiB of frames, each a 4 KiB log chunk of one
    /// of its vertexes.
    pub fn big_progress(base: &Path, mib: usize) -> Vec<u8> {
        use prost::Message;
        let files = files_of(base);
        let logs = blob_of(&files, "logs");
        let real = bytes_of(&files, &logs).to_vec();
        // A frame of the record's with a log line, its message made to fill 4 KiB.
        let mut frame = frames(&real)
            .into_iter()
            .find(|f| !f.logs.is_empty())
            .expect("a log frame");
        frame.vertexes.clear();
        frame.statuses.clear();
        frame.logs.truncate(1);
        let mut size = 4000;
        let unit = loop {
            frame.logs[0].msg = vec![b'x'; size];
            let body = frame.encode_to_vec();
            match 4096 - 4 - body.len() as i64 {
                0 => {
                    let mut u = (body.len() as u32).to_le_bytes().to_vec();
                    u.extend(body);
                    break u.repeat(256);
                }
                d => size = (size as i64 + d) as usize,
            }
        };
        with_file(
            &files,
            &logs,
            &[Data::Bytes(&real), Data::Repeat(&unit, mib)],
        )
    }

    /// About a MiB of exec spans of `vertex`, as a build record's trace has them.
    fn exec_spans(vertex: &str) -> String {
        let span = format!(
            "{{\"Name\":\"exec\",\"Attributes\":[{{\"Key\":\"vertex\",\"Value\":{{\"Type\":\"STRING\",\"Value\":\"{vertex}\"}}}}],\"Events\":[{{\"Name\":\"ExecOp started\",\"Time\":\"2026-11-22T10:00:00.000000001Z\"}},{{\"Name\":\"Container created\",\"Time\":\"2026-11-22T10:00:00.5Z\"}},{{\"Name\":\"Container exited\",\"Time\":\"2026-11-22T10:00:01Z\"}}]}}\n"
        );
        span.repeat((1 << 20) / span.len())
    }

    /// The files, `path`'s data made of `parts` (and written last).
    fn with_file(files: &[(String, Vec<u8>)], path: &str, parts: &[Data]) -> Vec<u8> {
        let mut b = Bomb::new();
        for (p, bytes) in files.iter().filter(|(p, _)| p != path) {
            b.file(p, &[Data::Bytes(bytes)]);
        }
        b.file(path, parts);
        b.finish()
    }

    fn frames(mut blob: &[u8]) -> Vec<bollard::moby::buildkit::v1::StatusResponse> {
        use prost::Message;
        let mut out = Vec::new();
        while blob.len() >= 4 {
            let len = u32::from_le_bytes(blob[..4].try_into().unwrap()) as usize;
            out.push(
                bollard::moby::buildkit::v1::StatusResponse::decode(&blob[4..4 + len]).unwrap(),
            );
            blob = &blob[4 + len..];
        }
        out
    }
}
