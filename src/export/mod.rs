//! Views that are not the TUI: a text report for terminals and CI logs, and a JSON report for tools.

pub mod json;
pub mod text;

use crate::analysis::{Analysis, Step};
use crate::model::{Build, State};

/// Counts of steps by state, for summaries (internal steps excluded).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub steps: usize,
    pub done: usize,
    pub cached: usize,
    pub running: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub never_started: usize,
}

pub fn counts(analysis: &Analysis) -> Counts {
    let mut c = Counts::default();
    for s in analysis.steps.iter().filter(|s| !s.is_internal()) {
        c.steps += 1;
        match s.state {
            State::Done => c.done += 1,
            State::Cached => c.cached += 1,
            State::Running => c.running += 1,
            State::Failed => c.failed += 1,
            State::Cancelled => c.cancelled += 1,
            State::Waiting => c.never_started += 1,
        }
    }
    c
}

/// The build's outcome in one word.
pub fn outcome(build: &Build, analysis: &Analysis) -> &'static str {
    if build.failed() {
        "failed"
    } else if analysis.steps.iter().any(|s| s.state == State::Running)
        || build.ended() == Some(false)
    {
        "incomplete"
    } else {
        "succeeded"
    }
}

/// The steps that failed on their own (not cancelled), in order of failure.
pub fn failed_steps(analysis: &Analysis) -> Vec<&Step> {
    let mut v: Vec<&Step> = analysis
        .steps
        .iter()
        .filter(|s| s.state == State::Failed)
        .collect();
    v.sort_by_key(|s| s.end());
    v
}
