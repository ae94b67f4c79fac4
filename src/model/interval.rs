//! One run of a vertex: when it started and, once it has, when it ended (exact, or estimated from
//! a plain log with the instants that bound it).

use super::proof::IntervalPoints;
use super::time::{Estimate, Nanos};

/// One run of a vertex. `end` is `None` while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: Estimate,
    pub end: Option<Estimate>,
    /// Its instants in the build's proofs (reconstructed timelines only).
    pub points: Option<IntervalPoints>,
}

impl Interval {
    pub fn exact(start: Nanos, end: Option<Nanos>) -> Self {
        Interval {
            start: Estimate::exact(start),
            end: end.map(Estimate::exact),
            points: None,
        }
    }
}
