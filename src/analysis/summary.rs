//! The build in a few numbers and one word: counts of steps by state, the outcome, the steps that
//! failed.

use super::Analysis;
use crate::graph::Step;
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

/// How the build ended, as far as its log tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Failed,
    /// It was interrupted: steps were cancelled and none failed.
    Cancelled,
    /// The log ends before the build did.
    Incomplete,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Incomplete => "incomplete",
        }
    }
}

pub fn outcome(build: &Build, analysis: &Analysis) -> Outcome {
    if build.failed() {
        Outcome::Failed
    } else if build.cancelled() || analysis.steps.iter().any(|s| s.state == State::Cancelled) {
        Outcome::Cancelled
    } else if analysis.steps.iter().any(|s| s.state == State::Running)
        || build.ended() == Some(false)
    {
        Outcome::Incomplete
    } else {
        Outcome::Succeeded
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

/// A stage in a build that used the cache: how many of its steps were cache hits, and the first
/// that executed (where its cache chain broke), if one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheBreak {
    pub stage: String,
    pub steps: usize,
    pub hits: usize,
    pub broke_at: Option<super::StepId>,
}

/// Where each stage's cache chain broke, for a build with any cache hit (none for a cold build).
pub fn cache_breaks(analysis: &Analysis) -> Vec<CacheBreak> {
    if counts(analysis).cached == 0 {
        return Vec::new();
    }
    let steps = &analysis.steps;
    let ran = |s: &Step| !matches!(s.state, State::Cached | State::Waiting);
    analysis
        .stages
        .iter()
        .filter(|st| !st.steps.is_empty())
        .map(|st| CacheBreak {
            stage: st.name.clone(),
            steps: st.steps.len(),
            hits: st
                .steps
                .iter()
                .filter(|&&s| steps[s].state == State::Cached)
                .count(),
            broke_at: st.steps.iter().copied().find(|&s| ran(&steps[s])),
        })
        .collect()
}
