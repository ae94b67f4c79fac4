//! Splitting a byte stream into lines of any length with bounded memory: a line up to
//! [`LineReader::MAX_BUFFERED`] is handed out whole; a longer one is handed out as its first part
//! plus a reader over the rest, so a caller can stream it (a whole build on one rawjson line) or
//! skip it (a 100 MB line of garbage) without holding it.

use std::io::{self, BufRead, Read};

pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: u64,
    max_buffered: usize,
}

/// One line from [`LineReader::next_line`].
pub enum Line<'a, R> {
    /// A whole line, without its `\n` (`terminated` is false for a last line with none).
    Whole { bytes: &'a [u8], terminated: bool },
    /// A line too long to buffer: its first bytes and the rest as a reader that stops at `\n`.
    Long {
        head: &'a [u8],
        rest: RestOfLine<'a, R>,
    },
}

impl<R: BufRead> LineReader<R> {
    /// Lines longer than this are streamed, not buffered.
    pub const MAX_BUFFERED: usize = 8 << 20;

    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, Self::MAX_BUFFERED)
    }

    pub fn with_limit(inner: R, max_buffered: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            line_no: 0,
            max_buffered: max_buffered.max(1),
        }
    }

    /// 1-based number of the line last returned.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    pub fn next_line(&mut self) -> io::Result<Option<Line<'_, R>>> {
        self.buf.clear();
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                self.line_no += 1;
                return Ok(Some(Line::Whole {
                    bytes: &self.buf,
                    terminated: false,
                }));
            }
            let room = self.max_buffered - self.buf.len();
            let window = &avail[..avail.len().min(room)];
            if let Some(i) = memchr::memchr(b'\n', window) {
                self.buf.extend_from_slice(&window[..i]);
                self.inner.consume(i + 1);
                self.line_no += 1;
                return Ok(Some(Line::Whole {
                    bytes: &self.buf,
                    terminated: true,
                }));
            }
            let n = window.len();
            self.buf.extend_from_slice(window);
            self.inner.consume(n);
            if self.buf.len() >= self.max_buffered {
                self.line_no += 1;
                return Ok(Some(Line::Long {
                    head: &self.buf,
                    rest: RestOfLine {
                        inner: &mut self.inner,
                        done: false,
                        terminated: false,
                        bytes: 0,
                    },
                }));
            }
        }
    }
}

/// The unbuffered rest of a long line: reads up to (and consumes, but does not yield) the `\n`.
pub struct RestOfLine<'a, R> {
    inner: &'a mut R,
    done: bool,
    terminated: bool,
    bytes: u64,
}

impl<R: BufRead> RestOfLine<'_, R> {
    /// Skips whatever of the line is left. Returns (bytes skipped, whether a `\n` ended it).
    pub fn skip(&mut self) -> io::Result<(u64, bool)> {
        let mut sink = [0u8; 64 * 1024];
        while self.read(&mut sink)? > 0 {}
        Ok((self.bytes, self.terminated))
    }

    /// Bytes of the rest read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

impl<R: BufRead> Read for RestOfLine<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let avail = loop {
            match self.inner.fill_buf() {
                Ok(a) => break a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if avail.is_empty() {
            self.done = true;
            return Ok(0);
        }
        let window = &avail[..avail.len().min(out.len())];
        let (n, hit_newline) = match memchr::memchr(b'\n', window) {
            Some(i) => (i, true),
            None => (window.len(), false),
        };
        out[..n].copy_from_slice(&window[..n]);
        self.inner.consume(n + hit_newline as usize);
        self.bytes += n as u64;
        if hit_newline {
            self.done = true;
            self.terminated = true;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_streamed() {
        let mut data = b"short\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100));
        data.extend(b"\nlast");
        let mut r = LineReader::with_limit(&data[..], 16);
        match r.next_line().unwrap().unwrap() {
            Line::Whole { bytes, terminated } => {
                assert_eq!((bytes, terminated), (&b"short"[..], true))
            }
            Line::Long { .. } => panic!(),
        }
        match r.next_line().unwrap().unwrap() {
            Line::Long { head, mut rest } => {
                assert_eq!(head.len(), 16);
                assert_eq!(rest.skip().unwrap(), (84, true));
            }
            Line::Whole { .. } => panic!(),
        }
        match r.next_line().unwrap().unwrap() {
            Line::Whole { bytes, terminated } => {
                assert_eq!((bytes, terminated), (&b"last"[..], false))
            }
            Line::Long { .. } => panic!(),
        }
        assert!(r.next_line().unwrap().is_none());
        assert_eq!(r.line_no(), 3);
    }
}
