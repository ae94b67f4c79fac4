//! The build in a few numbers and one word: counts of steps by state, the outcome, the steps that
//! failed.

use super::Analysis;
use crate::graph::Step;
use crate::model::{Build, State};

/// Counts of steps by state, for summaries: the Dockerfile's steps, and the build's own steps
/// that failed where the build failed with them — a pull (`[internal] load metadata for IMAGE`:
/// the image could not be resolved), an export, a push, a cache export or import.
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
    for s in analysis
        .steps
        .iter()
        .filter(|s| !s.is_internal() || failed_pull_or_export(s))
    {
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

/// One of the build's own steps that failed and is the build's failure: a pull that could not
/// resolve its image, an export, a push, a cache's export or import.
fn failed_pull_or_export(s: &Step) -> bool {
    use crate::model::WorkKind;
    s.state == State::Failed
        && (s.parsed.text().starts_with("load metadata for ")
            || matches!(
                s.kind(),
                WorkKind::Export | WorkKind::Push | WorkKind::CacheExport | WorkKind::CacheImport
            ))
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

/// How the build ended. Failed and cancelled are what the log says; otherwise it succeeded when
/// its result was exported last (whatever an old printer left unfinished), or when nothing is
/// left unfinished: no step running or never started, no stage without its last step, no cut.
pub fn outcome(build: &Build, analysis: &Analysis) -> Outcome {
    let steps = &analysis.steps;
    if build.failed() {
        Outcome::Failed
    } else if build.cancelled() || steps.iter().any(|s| s.state == State::Cancelled) {
        Outcome::Cancelled
    } else if exported_last(steps) {
        Outcome::Succeeded
    } else if steps.iter().any(|s| {
        s.state == State::Running || (s.state == State::Waiting && s.parsed.is_dockerfile_step())
    }) || build.ended() == Some(false)
        || build.cut().is_some()
        || analysis.stages.iter().any(|st| lacks_last_step(steps, st))
    {
        Outcome::Incomplete
    } else {
        Outcome::Succeeded
    }
}

/// Whether the step that finished last exported the build's result, and every export finished:
/// nothing comes after the export.
fn exported_last(steps: &[Step]) -> bool {
    let exports: Vec<&Step> = steps.iter().filter(|s| is_export(s)).collect();
    let last = steps.iter().filter_map(|s| Some((s.end()?, s.id))).max();
    !exports.is_empty()
        && exports.iter().all(|s| s.state == State::Done)
        && last.is_some_and(|(_, id)| is_export(&steps[id]))
}

/// A step that runs once the result exists: its export, its cache's, buildx's provenance.
pub fn is_export(s: &Step) -> bool {
    crate::model::after_solve(&s.parsed).is_some()
}

/// A stage some of whose steps ran and whose last step (`n/n`) never showed: the log ends
/// before it was built (a stage is always built to its last step).
fn lacks_last_step(steps: &[Step], stage: &crate::graph::Stage) -> bool {
    let indexes = || stage.steps.iter().filter_map(|&s| steps[s].parsed.index());
    let Some(total) = indexes().map(|(_, n)| n).max() else {
        return false;
    };
    !indexes().any(|(i, n)| i == n && n == total)
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

/// A stage in a build that used the cache: how many of its steps were cache hits, and where its
/// cache chain broke, if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheBreak {
    pub stage: String,
    pub steps: usize,
    pub hits: usize,
    /// Its first step after its last hit that executed and could have been a hit.
    pub broke_at: Option<super::StepId>,
    /// Steps that executed although a later step of the stage was a hit (BuildKit matches a
    /// `COPY`'s cache by content: a step can run and the next hit again).
    pub ran_between_hits: Vec<super::StepId>,
    /// `FROM` steps that executed: they resolve or pull an image, never a cache miss.
    pub resolved: usize,
    /// Of those, the ones that pulled layers (downloaded or unpacked), not only resolved.
    pub pulled: usize,
}

/// Whether a step could have been a cache hit: a Dockerfile step that is not `FROM`.
pub fn could_hit(s: &Step) -> bool {
    s.parsed.is_dockerfile_step() && !is_from(s)
}

/// A `FROM` step (resolving or pulling the base image).
pub fn is_from(s: &Step) -> bool {
    s.parsed.is_from()
}

/// Whether a step executed (rather than being a hit, or never starting).
fn ran(s: &Step) -> bool {
    !matches!(s.state, State::Cached | State::Waiting)
}

/// Where each stage's cache chain broke, for a build with any cache hit (none for a cold build).
/// The chain breaks at the first step that executed and could have been a hit, with no hit
/// after it; a pulled or resolved `FROM` is not a miss.
pub fn cache_breaks(analysis: &Analysis) -> Vec<CacheBreak> {
    if counts(analysis).cached == 0 {
        return Vec::new();
    }
    let steps = &analysis.steps;
    analysis
        .stages
        .iter()
        .filter(|st| !st.steps.is_empty())
        .map(|st| {
            let of = |s: &usize| &steps[*s];
            let missed: Vec<usize> = st
                .steps
                .iter()
                .copied()
                .filter(|s| ran(of(s)) && could_hit(of(s)))
                .collect();
            let last_hit = st.steps.iter().rposition(|s| of(s).state == State::Cached);
            let at = |m: usize| st.steps.iter().position(|&s| s == m);
            let (between, after): (Vec<usize>, Vec<usize>) = missed
                .into_iter()
                .partition(|&m| last_hit.is_some_and(|h| at(m) < Some(h)));
            CacheBreak {
                stage: st.name.clone(),
                steps: st.steps.len(),
                hits: st
                    .steps
                    .iter()
                    .filter(|s| of(s).state == State::Cached)
                    .count(),
                broke_at: after.first().copied(),
                ran_between_hits: between,
                resolved: st
                    .steps
                    .iter()
                    .filter(|s| ran(of(s)) && is_from(of(s)))
                    .count(),
                pulled: st.steps.iter().filter(|s| of(s).pulled()).count(),
            }
        })
        .collect()
}

/// Whether a build with cache hits ran nothing that could have been one (its `FROM`s aside).
pub fn nothing_ran(breaks: &[CacheBreak]) -> bool {
    !breaks.is_empty()
        && breaks
            .iter()
            .all(|b| b.broke_at.is_none() && b.ran_between_hits.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{of_steps, ran, Given};

    #[test]
    fn counts_leave_buildkits_own_steps_out_and_say_every_state() {
        let a = of_steps(&[
            ran("[internal] load build definition from Dockerfile", 0, 1),
            ran("[a 1/4] RUN done", 1, 2),
            Given {
                cached: true,
                ..ran("[a 2/4] RUN hit", 2, 2)
            },
            Given {
                error: Some("exit code: 1"),
                ..ran("[a 3/4] RUN fails", 2, 3)
            },
            Given {
                ms: (3, None),
                ..ran("[a 4/4] RUN runs", 0, 0)
            },
        ]);
        let c = counts(&a);
        assert_eq!(
            (c.steps, c.done, c.cached, c.failed, c.running),
            (4, 1, 1, 1, 1)
        );
    }
}
