//! The window of build time the chart shows: the whole build (fit), a span that follows the live
//! edge, or wherever the user panned and zoomed to.

use crate::model::Nanos;

/// The narrowest window: 10 ms.
pub const MIN_SPAN: Nanos = 10_000_000;
const SECOND: Nanos = 1_000_000_000;

/// How the time axis is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    /// The whole build fits the window (and keeps fitting as it grows).
    Fit,
    /// A fixed span whose right edge follows the live edge.
    Follow,
    /// Where the user panned and zoomed to.
    Manual,
}

#[derive(Debug, Clone, Copy)]
pub struct TimeWindow {
    mode: ViewMode,
    /// Offset of the left edge from the build's start (Manual).
    offset: Nanos,
    /// Visible duration (Follow, Manual).
    span: Nanos,
}

impl Default for TimeWindow {
    fn default() -> Self {
        TimeWindow {
            mode: ViewMode::Fit,
            offset: 0,
            span: 0,
        }
    }
}

impl TimeWindow {
    pub fn mode(&self) -> ViewMode {
        self.mode
    }

    /// `[t0, t1)` for a build from `start` to `end`; `live`: leave room at the right for the
    /// live edge.
    pub fn window(&self, start: Option<Nanos>, end: Option<Nanos>, live: bool) -> (Nanos, Nanos) {
        let (Some(start), Some(end)) = (start, end) else {
            return (0, SECOND);
        };
        let total = (end - start).max(SECOND);
        match self.mode {
            ViewMode::Fit => (start, start + if live { total + total / 12 } else { total }),
            ViewMode::Follow => {
                let span = self.span.max(MIN_SPAN);
                let t1 = end + span / 12;
                (t1 - span, t1)
            }
            ViewMode::Manual => {
                let t0 = start + self.offset;
                (t0, t0 + self.span.max(MIN_SPAN))
            }
        }
    }

    pub fn fit(&mut self) {
        self.mode = ViewMode::Fit;
    }

    /// Follows the live edge with the span shown now.
    pub fn follow(&mut self, (t0, t1): (Nanos, Nanos)) {
        if self.mode != ViewMode::Follow {
            self.span = (t1 - t0).max(MIN_SPAN);
            self.mode = ViewMode::Follow;
        }
    }

    /// Moves an eighth of the window left (`dir` < 0) or right.
    pub fn pan(&mut self, dir: i64, (t0, t1): (Nanos, Nanos), start: Nanos) {
        let span = t1 - t0;
        *self = TimeWindow {
            mode: ViewMode::Manual,
            offset: t0 - start + dir * (span / 8).max(1),
            span,
        };
    }

    /// Scales the window by `factor` around `centre` (which stays where it is on screen); a
    /// following window only changes its span.
    pub fn zoom(
        &mut self,
        factor: f64,
        (t0, t1): (Nanos, Nanos),
        start: Nanos,
        total: Nanos,
        centre: Nanos,
    ) {
        let span = t1 - t0;
        let new_span = ((span as f64 * factor) as Nanos).clamp(MIN_SPAN, total.max(SECOND) * 8);
        if self.mode == ViewMode::Follow {
            self.span = new_span;
            return;
        }
        let frac = (centre - t0) as f64 / span.max(1) as f64;
        let new_t0 = centre - (new_span as f64 * frac) as Nanos;
        *self = TimeWindow {
            mode: ViewMode::Manual,
            offset: new_t0 - start,
            span: new_span,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_keeps_its_centre_and_pan_moves_an_eighth() {
        let mut w = TimeWindow::default();
        let whole = w.window(Some(0), Some(8 * SECOND), false);
        assert_eq!(whole, (0, 8 * SECOND));
        w.zoom(0.5, whole, 0, 8 * SECOND, 2 * SECOND);
        assert_eq!(
            w.window(Some(0), Some(8 * SECOND), false),
            (SECOND, 5 * SECOND)
        );
        w.pan(1, (SECOND, 5 * SECOND), 0);
        assert_eq!(
            w.window(Some(0), Some(8 * SECOND), false),
            (SECOND + SECOND / 2, 5 * SECOND + SECOND / 2)
        );
        w.fit();
        assert_eq!(w.mode(), ViewMode::Fit);
    }
}
