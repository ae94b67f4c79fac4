//! Concurrency with a source: a stage that needs another through `COPY --from` or a `from=` mount
//! waits for it only at that instruction, so its earlier steps may run at the same time as the
//! source. That time is what the chart draws red.

use std::collections::HashMap;

use crate::dockerfile::DepKind;
use crate::graph::{intersect, measure, merge, Span, Spans};
use crate::graph::{Dependency, Step, StepId};
use crate::model::{Interval, Nanos, PointId, Proofs, State};

/// How sure the log makes us: exact times (rawjson) are always certain; estimated times (plain
/// logs) may only allow an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    Possible,
    Certain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPair {
    /// A step of the dependent stage.
    pub step: StepId,
    /// A step of the source stage executing at the same time.
    pub source_step: StepId,
    /// When both executed (best estimates).
    pub spans: Spans,
    pub certainty: Certainty,
}

impl StepPair {
    /// How long both executed.
    pub fn duration(&self) -> Nanos {
        measure(&self.spans)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The dependent stage.
    pub stage: String,
    /// The stage it copies or mounts from.
    pub source: String,
    pub kind: DepKind,
    /// The instruction that waits for the source.
    pub via_step: Option<StepId>,
    /// When a step of each executed at the same time (the union of the pairs', best estimates).
    pub spans: Vec<Span>,
    pub duration: Nanos,
    pub certainty: Certainty,
    pub pairs: Vec<StepPair>,
    /// Steps of the dependent stage proven to execute at the same time as a step of the source.
    pub certain_steps: Vec<StepId>,
}

/// The one meaning of "ran alongside": a stage runs alongside its `COPY --from` / `from=` source
/// when one of its steps *executes* while one of the source's steps executes, for more than zero
/// time. Cache hits do not execute. With a plain log, a pair is certain when the log proves both
/// ran at the same time, and possible when it only allows it.
pub fn find(steps: &[Step], deps: &[Dependency], proofs: Option<&Proofs>) -> Vec<Overlap> {
    let mut out: Vec<Overlap> = Vec::new();
    let mut by_stage: HashMap<&str, Vec<&Step>> = HashMap::new();
    for s in steps.iter().filter(|s| s.state != State::Cached) {
        if let Some(stage) = &s.stage {
            by_stage.entry(stage.as_ref()).or_default().push(s);
        }
    }
    for dep in deps {
        let seen = out
            .iter()
            .any(|o| o.stage == dep.stage && o.source == dep.source);
        if seen || !matches!(dep.kind, DepKind::CopyFrom | DepKind::MountFrom) {
            continue;
        }
        let stage = |name: &str| by_stage.get(name).map_or(&[][..], Vec::as_slice);
        let (own, src) = (stage(&dep.stage), stage(&dep.source));
        let mut pairs: Vec<StepPair> = own
            .iter()
            .flat_map(|a| src.iter().filter_map(move |b| pair(a, b, proofs)))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        pairs.shrink_to_fit();
        pairs.sort_by_key(|p| (steps[p.step].start(), steps[p.source_step].start()));
        out.push(overlap(dep, pairs, steps));
    }
    out
}

/// Two steps executing at the same time for more than zero time, and how sure that is.
fn pair(a: &Step, b: &Step, proofs: Option<&Proofs>) -> Option<StepPair> {
    if a.id == b.id {
        return None; // a de-duplicated vertex cannot race with itself
    }
    // A step that waits for the other (`COPY --from=deps` for `[deps 1/1]`) cannot run with it,
    // whatever a fraction of a millisecond between their clocks says.
    if a.inputs.binary_search(&b.id).is_ok() || b.inputs.binary_search(&a.id).is_ok() {
        return None;
    }
    // Waiting for a lock is not running: only the time both executed is red.
    let spans = intersect(&a.executing(), &b.executing());
    let certainty = pair_certainty(&a.intervals, &b.intervals, proofs)?;
    (measure(&spans) > 0).then_some(StepPair {
        step: a.id,
        source_step: b.id,
        spans: spans.into(),
        certainty,
    })
}

fn overlap(dep: &Dependency, pairs: Vec<StepPair>, steps: &[Step]) -> Overlap {
    let mut certain_steps: Vec<StepId> = pairs
        .iter()
        .filter(|p| p.certainty == Certainty::Certain)
        .map(|p| p.step)
        .collect();
    certain_steps.sort_by_key(|&s| (steps[s].parsed.index(), s));
    certain_steps.dedup();
    let spans = merge(pairs.iter().flat_map(|p| p.spans.iter().copied()).collect());
    let certainty = if certain_steps.is_empty() {
        Certainty::Possible
    } else {
        Certainty::Certain
    };
    Overlap {
        stage: dep.stage.clone(),
        source: dep.source.clone(),
        kind: dep.kind,
        via_step: dep.step,
        duration: measure(&spans),
        spans,
        certainty,
        pairs,
        certain_steps,
    }
}

/// Whether two steps' runs overlap for sure, possibly, or not at all. A run still going has no
/// end yet: it overlaps anything that started after it started. With a reconstructed timeline,
/// "for sure" is what its proofs show.
fn pair_certainty(a: &[Interval], b: &[Interval], proofs: Option<&Proofs>) -> Option<Certainty> {
    let mut best = None;
    for x in a {
        for y in b {
            if let (Some(p), Some(xp), Some(yp)) = (proofs, x.points, y.points) {
                let proven = |s: PointId, e: Option<PointId>| e.is_some_and(|e| p.before(s, e));
                if proven(xp.start, yp.end) && proven(yp.start, xp.end) {
                    return Some(Certainty::Certain);
                }
            }
            let end = |i: &Interval, latest: bool| {
                i.end
                    .map_or(Nanos::MAX, |e| if latest { e.latest } else { e.earliest })
            };
            let certain = x.start.latest.max(y.start.latest) < end(x, false).min(end(y, false));
            let possible = x.start.earliest.max(y.start.earliest) < end(x, true).min(end(y, true));
            if certain {
                return Some(Certainty::Certain);
            }
            if possible {
                best = Some(Certainty::Possible);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use crate::analysis::{of_steps, ran};

    const MS: i64 = 1_000_000;

    #[test]
    fn a_stage_runs_alongside_its_copy_from_source_while_both_execute() {
        let a = of_steps(&[
            ran("[builder 1/2] RUN fetch", 0, 100),
            ran("[builder 2/2] RUN make", 100, 300),
            ran("[stage-2 1/2] RUN apk add curl", 50, 150),
            ran("[stage-2 2/2] COPY --from=builder /out /out", 300, 310),
        ]);
        assert_eq!(a.overlaps.len(), 1, "{:?}", a.overlaps);
        let o = &a.overlaps[0];
        assert_eq!(
            (o.stage.as_str(), o.source.as_str()),
            ("stage-2", "builder")
        );
        assert_eq!(o.duration, 100 * MS);
        assert!(o.pairs.iter().all(|p| p.step == 2));
    }

    #[test]
    fn a_stage_that_waits_for_its_source_does_not_run_alongside_it() {
        let a = of_steps(&[
            ran("[builder 1/1] RUN make", 0, 100),
            ran("[stage-2 1/2] RUN apk add curl", 100, 150),
            ran("[stage-2 2/2] COPY --from=builder /out /out", 150, 160),
        ]);
        assert!(a.overlaps.is_empty(), "{:?}", a.overlaps);
    }
}
