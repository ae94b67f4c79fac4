//! A vertex's output, kept as a bounded tail: memory stays flat however much a build prints, while
//! byte and line counts stay exact.

use std::collections::VecDeque;

/// How much output to keep per vertex (the newest bytes win).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRetention {
    pub bytes_per_vertex: usize,
}

impl Default for LogRetention {
    fn default() -> Self {
        LogRetention {
            bytes_per_vertex: 1 << 20,
        }
    }
}

#[derive(Debug, Clone)]
struct Chunk {
    stream: u8,
    data: Vec<u8>,
}

/// One line of output, with the stream it came from (1 stdout, 2 stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: u8,
    pub text: String,
}

/// A vertex's output as kept: nothing at all (one pointer) until its first byte, as most
/// vertexes of a large build never print.
#[derive(Debug, Clone, Default)]
pub struct VertexLog(Option<Box<Kept>>);

#[derive(Debug, Clone, Default)]
struct Kept {
    chunks: VecDeque<Chunk>,
    retained: usize,
    /// Bytes ever received, per stream (index 0 stdout, 1 stderr).
    pub total_bytes: [u64; 2],
    /// Newlines ever received, per stream.
    pub total_newlines: [u64; 2],
    /// Bytes dropped from the front to respect the retention, per stream.
    pub dropped_bytes: [u64; 2],
}

fn slot(stream: u8) -> usize {
    if stream == 2 {
        1
    } else {
        0
    }
}

/// Nothing received: what an empty log's counts read from.
static NONE: Kept = Kept {
    chunks: VecDeque::new(),
    retained: 0,
    total_bytes: [0; 2],
    total_newlines: [0; 2],
    dropped_bytes: [0; 2],
};

impl VertexLog {
    fn kept(&self) -> &Kept {
        self.0.as_deref().unwrap_or(&NONE)
    }

    /// Bytes ever received, per stream (index 0 stdout, 1 stderr).
    pub fn total_bytes(&self) -> [u64; 2] {
        self.kept().total_bytes
    }

    /// Newlines ever received, per stream.
    pub fn total_newlines(&self) -> [u64; 2] {
        self.kept().total_newlines
    }

    /// Bytes dropped from the front to respect the retention, per stream.
    pub fn dropped_bytes(&self) -> [u64; 2] {
        self.kept().dropped_bytes
    }

    pub fn append(&mut self, stream: u8, data: &[u8], keep: usize) {
        self.0.get_or_insert_default().append(stream, data, keep)
    }

    pub fn is_empty(&self) -> bool {
        self.kept().total_bytes == [0, 0]
    }

    /// The kept bytes of one stream, joined.
    pub fn stream_bytes(&self, stream: u8) -> Vec<u8> {
        let mut out = Vec::new();
        for c in self.kept().chunks.iter().filter(|c| c.stream == stream) {
            out.extend_from_slice(&c.data);
        }
        out
    }
}

impl Kept {
    fn append(&mut self, stream: u8, data: &[u8], keep: usize) {
        let s = slot(stream);
        self.total_bytes[s] += data.len() as u64;
        self.total_newlines[s] += memchr::memchr_iter(b'\n', data).count() as u64;
        if keep == 0 || data.is_empty() {
            self.dropped_bytes[s] += data.len() as u64;
            return;
        }
        // Only the last `keep` bytes of an oversized chunk can survive.
        let data = if data.len() > keep {
            self.dropped_bytes[s] += (data.len() - keep) as u64;
            &data[data.len() - keep..]
        } else {
            data
        };
        match self.chunks.back_mut() {
            Some(last) if last.stream == stream && last.data.len() < 4096 => {
                last.data.extend_from_slice(data)
            }
            _ => self.chunks.push_back(Chunk {
                stream,
                data: data.to_vec(),
            }),
        }
        self.retained += data.len();
        while self.retained > keep {
            let Some(front) = self.chunks.front_mut() else {
                break;
            };
            let excess = self.retained - keep;
            let fs = slot(front.stream);
            if front.data.len() <= excess {
                self.retained -= front.data.len();
                self.dropped_bytes[fs] += front.data.len() as u64;
                self.chunks.pop_front();
            } else {
                front.data.drain(..excess);
                self.retained -= excess;
                self.dropped_bytes[fs] += excess as u64;
            }
        }
    }
}

impl VertexLog {
    /// The kept lines, both streams interleaved in arrival order. Chunks are joined per stream
    /// first, so a line split across chunks (or interrupted by the other stream) comes out whole.
    /// A final line without a newline is included.
    pub fn lines(&self) -> Vec<LogLine> {
        let mut out = Vec::new();
        let mut partial: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        for c in &self.kept().chunks {
            let s = slot(c.stream);
            let mut rest = &c.data[..];
            while let Some(i) = memchr::memchr(b'\n', rest) {
                partial[s].extend_from_slice(&rest[..i]);
                let bytes = std::mem::take(&mut partial[s]);
                out.push(LogLine {
                    stream: c.stream,
                    text: super::text::clean(&String::from_utf8_lossy(trim_cr(&bytes))),
                });
                rest = &rest[i + 1..];
            }
            partial[s].extend_from_slice(rest);
        }
        for (s, p) in partial.iter().enumerate() {
            if !p.is_empty() {
                out.push(LogLine {
                    stream: s as u8 + 1,
                    text: super::text::clean(&String::from_utf8_lossy(trim_cr(p))),
                });
            }
        }
        out
    }

    /// Whether output was dropped to respect the retention.
    pub fn clipped(&self) -> bool {
        self.kept().dropped_bytes != [0, 0]
    }
}

fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_split_lines_per_stream() {
        let mut l = VertexLog::default();
        l.append(1, b"hel", 100);
        l.append(2, b"err one\n", 100);
        l.append(1, b"lo\nworld", 100);
        let lines = l.lines();
        assert_eq!(
            lines,
            vec![
                LogLine {
                    stream: 2,
                    text: "err one".into()
                },
                LogLine {
                    stream: 1,
                    text: "hello".into()
                },
                LogLine {
                    stream: 1,
                    text: "world".into()
                },
            ]
        );
        assert_eq!(l.total_newlines(), [1, 1]);
    }

    #[test]
    fn keeps_a_bounded_tail() {
        let mut l = VertexLog::default();
        for i in 0..1000 {
            l.append(1, format!("line {i}\n").as_bytes(), 64);
        }
        assert!(l.kept().retained <= 64);
        assert!(l.clipped());
        assert_eq!(l.total_newlines()[0], 1000);
        assert_eq!(l.lines().last().unwrap().text, "line 999");
        l.append(1, &[b'x'; 1000], 64);
        assert_eq!(l.stream_bytes(1).len(), 64);
    }
}
