//! The time axis every view draws: the window of build time shown, where zero is (the build's
//! start, which tick labels count from), and its ticks. Cell views (the screen, the text report)
//! map it to columns with [`Cells`]; the SVG maps [`Axis::frac`] to pixels.

use super::rows::{Paint, Row};
use super::words::{tick_label, tick_step};
use crate::analysis::{Analysis, Span};
use crate::model::{Nanos, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    /// The window shown: `[t0, t1)` in build time.
    pub t0: Nanos,
    pub t1: Nanos,
    /// The build's start: tick labels and times in words count from here.
    pub zero: Nanos,
}

/// A labelled instant on the axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: Nanos,
    /// Seconds since zero.
    pub secs: f64,
    pub label: String,
}

impl Axis {
    /// The whole build, from its first step's start to the last instant it reached.
    pub fn whole(a: &Analysis) -> Option<Axis> {
        let (start, end) = (a.start?, a.end?);
        Some(Axis {
            t0: start,
            t1: end.max(start + 1),
            zero: start,
        })
    }

    pub fn span(&self) -> Nanos {
        (self.t1 - self.t0).max(1)
    }

    /// Where `t` falls, as a fraction of the window (0 at `t0`, 1 at `t1`).
    pub fn frac(&self, t: Nanos) -> f64 {
        (t - self.t0) as f64 / self.span() as f64
    }

    /// Ticks at whole 1, 2 or 5 × 10^k seconds from zero, at least `min_gap` nanoseconds apart,
    /// inside the window (its end included).
    pub fn ticks(&self, min_gap: f64) -> Vec<Tick> {
        let step = tick_step(min_gap);
        let first = ((self.t0 - self.zero) as f64 / 1e9 / step).ceil() as i64;
        let mut out = Vec::new();
        for k in first..first + 500 {
            let secs = k as f64 * step;
            let at = self.zero + (secs * 1e9).round() as Nanos;
            if at > self.t1 {
                break;
            }
            out.push(Tick {
                at,
                secs,
                label: tick_label(secs, step),
            });
        }
        out
    }

    /// The axis over `n` columns.
    pub fn cells(&self, n: usize) -> Cells {
        Cells { axis: *self, n }
    }
}

/// An [`Axis`] over a row of `n` character cells.
#[derive(Debug, Clone, Copy)]
pub struct Cells {
    axis: Axis,
    n: usize,
}

impl Cells {
    pub fn count(&self) -> usize {
        self.n
    }

    /// Nanoseconds one cell stands for.
    pub fn per_cell(&self) -> f64 {
        self.axis.span() as f64 / self.n.max(1) as f64
    }

    /// The cells a span touches, clipped to the window (an instant still marks its cell).
    pub fn of(&self, (a, b): Span) -> Option<(usize, usize)> {
        let Axis { t0, t1, .. } = self.axis;
        if b < t0 || a >= t1 || self.n == 0 {
            return None;
        }
        let pc = self.per_cell();
        let ca = ((a.max(t0) - t0) as f64 / pc).floor() as i64;
        let cb = (((b.min(t1) - t0) as f64 / pc).ceil() as i64 - 1).max(ca);
        let max = self.n as i64 - 1;
        Some((ca.clamp(0, max) as usize, cb.clamp(0, max) as usize))
    }

    /// The cell an instant falls in.
    pub fn at(&self, t: Nanos) -> Option<usize> {
        self.of((t, t)).map(|c| c.0)
    }

    /// What each cell of a row's bar shows: the state on top there, and red over it.
    pub fn marks(&self, row: &Row) -> Vec<Mark> {
        let mut out = vec![Mark::default(); self.n];
        let mut any_state = false;
        for seg in &row.segments {
            let Some((a, b)) = self.of(seg.span) else {
                continue;
            };
            for m in &mut out[a..=b] {
                match seg.paint {
                    Paint::State(s) => m.state = Some(s),
                    Paint::Wait => m.wait = true,
                    Paint::Before => m.before = true,
                    red => m.red = Some(red),
                }
            }
            any_state |= matches!(seg.paint, Paint::State(_));
        }
        if !any_state {
            if let Some(c) = row.instant.and_then(|t| self.at(t)) {
                out[c].state = Some(row.state);
            }
        }
        out
    }

    /// The last cell of a running step's time in the row: where its live edge pulses.
    pub fn live_edge(&self, row: &Row) -> Option<usize> {
        row.segments
            .iter()
            .filter(|s| s.paint == Paint::State(State::Running))
            .filter_map(|s| self.of(s.span).map(|c| c.1))
            .max()
    }
}

/// One cell of a bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    /// The state drawn here, if any step's time (or a cache hit's instant) falls here.
    pub state: Option<State>,
    /// [`Paint::Red`] or [`Paint::PossiblyRed`] over it.
    pub red: Option<Paint>,
    /// The step waited here for its mounts ([`Paint::Wait`]).
    pub wait: bool,
    /// In a comparison, the build before ran it here ([`Paint::Before`]).
    pub before: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Nanos = 1_000_000_000;

    #[test]
    fn ticks_count_from_zero_not_from_the_window() {
        let axis = Axis {
            t0: 10 * S + S / 2,
            t1: 14 * S,
            zero: 10 * S,
        };
        let labels: Vec<String> = axis.ticks(0.9e9).into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["1s", "2s", "3s", "4s"]);
    }

    #[test]
    fn an_instant_marks_its_cell_and_spans_outside_are_clipped() {
        let cells = Axis {
            t0: 0,
            t1: 10 * S,
            zero: 0,
        }
        .cells(10);
        assert_eq!(cells.at(S * 3 / 2), Some(1));
        assert_eq!(cells.of((2 * S, 4 * S)), Some((2, 3)));
        assert_eq!(cells.of((9 * S, 20 * S)), Some((9, 9)));
        assert_eq!(cells.of((11 * S, 12 * S)), None);
    }
}
