//! When a stream stops being a build log: reading goes on through anything a log may hold
//! (buildx's own lines, a CI job's output around the build), but not through megabytes of
//! something else. After the first progress line, a NUL byte (binary data: no text log has one)
//! or [`MAX_RUN`] lines in a row that are not progress end the read, with what was read kept.

/// Lines in a row that are neither rawjson records nor `#N` lines, after which reading stops.
pub const MAX_RUN: u32 = 1_000;
/// Bytes before the first progress line, after which reading stops: the format was told from a
/// line that begins in the first [`super::SNIFF_LIMIT`] bytes, so a reader that agrees with the
/// sniffing sees it before this.
pub const MAX_PREAMBLE: u64 = 2 * super::SNIFF_LIMIT as u64;

/// Why a read stopped before the end of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GaveUp {
    /// No progress line in the first [`super::SNIFF_LIMIT`] bytes.
    NoProgress,
    /// A NUL byte on this line.
    Nul { line: u64 },
    /// [`MAX_RUN`] lines that are not progress, ending at this one.
    Run { line: u64 },
}

impl GaveUp {
    /// What to tell the user, as a diagnostic.
    pub fn message(self) -> String {
        match self {
            GaveUp::NoProgress => format!(
                "no BuildKit progress line in the first {} MiB: stopped reading",
                super::SNIFF_LIMIT >> 20
            ),
            GaveUp::Nul { .. } => {
                "a NUL byte: binary data, not a log; stopped reading there".to_string()
            }
            GaveUp::Run { .. } => {
                format!("{MAX_RUN} lines in a row that are not progress: stopped reading there")
            }
        }
    }

    /// The line reading stopped at (0: none in particular).
    pub fn line(self) -> u64 {
        match self {
            GaveUp::NoProgress => 0,
            GaveUp::Nul { line } | GaveUp::Run { line } => line,
        }
    }
}

/// Watches the lines of one stream.
#[derive(Debug, Default)]
pub struct Watch {
    seen_progress: bool,
    run: u32,
    preamble: u64,
}

impl Watch {
    /// Line `line` (`bytes` long) was progress or not, and held a NUL byte or not: whether to
    /// stop here.
    pub fn see(&mut self, line: u64, bytes: u64, progress: bool, nul: bool) -> Option<GaveUp> {
        if progress {
            self.seen_progress = true;
            self.run = 0;
            return None;
        }
        if !self.seen_progress {
            self.preamble += bytes;
            return (self.preamble >= MAX_PREAMBLE).then_some(GaveUp::NoProgress);
        }
        if nul {
            return Some(GaveUp::Nul { line });
        }
        self.run += 1;
        (self.run >= MAX_RUN).then_some(GaveUp::Run { line })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_on_nul_or_a_long_run_only_after_progress() {
        let mut w = Watch::default();
        for i in 0..5_000 {
            assert_eq!(w.see(i, 20, false, true), None, "preamble");
        }
        let mut endless = Watch::default();
        let stop = (0..).find_map(|i| endless.see(i, 1 << 16, false, false));
        assert_eq!(stop, Some(GaveUp::NoProgress), "a preamble that never ends");
        assert_eq!(w.see(1, 20, true, false), None);
        assert_eq!(w.see(2, 20, false, true), Some(GaveUp::Nul { line: 2 }));
        let mut w = Watch::default();
        w.see(1, 20, true, false);
        for i in 2..(MAX_RUN as u64 + 1) {
            assert_eq!(w.see(i, 20, false, false), None);
            if i % 500 == 0 {
                w.see(i, 20, true, false);
            }
        }
        let stop = (0..MAX_RUN as u64).find_map(|i| w.see(5_000 + i, 20, false, false));
        assert!(matches!(stop, Some(GaveUp::Run { .. })));
    }
}
