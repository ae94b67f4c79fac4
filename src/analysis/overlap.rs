//! Concurrency with a source: a stage that needs another through `COPY --from` or a `from=` mount
//! waits for it only at that instruction, so its earlier steps may run at the same time as the
//! source. That time is what the chart draws red.

use crate::dockerfile::DepKind;
use crate::graph::{intersect, measure, Span};
use crate::graph::{Dependency, Step, StepId};
use crate::model::{Interval, Nanos, PointId, Proofs};

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
    /// A step of the source stage running at the same time.
    pub source_step: StepId,
    pub duration: Nanos,
    pub certainty: Certainty,
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
    /// When both stages were active (best estimates).
    pub spans: Vec<Span>,
    pub duration: Nanos,
    pub certainty: Certainty,
    pub pairs: Vec<StepPair>,
    /// Steps of the dependent stage that certainly ran while the source was still under way.
    pub certain_steps: Vec<StepId>,
}

pub fn find(steps: &[Step], deps: &[Dependency], proofs: Option<&Proofs>) -> Vec<Overlap> {
    let mut out: Vec<Overlap> = Vec::new();
    let mut by_stage: std::collections::HashMap<&str, Vec<&Step>> = Default::default();
    for s in steps {
        if let Some(stage) = &s.stage {
            by_stage.entry(stage.as_str()).or_default().push(s);
        }
    }
    let none: Vec<&Step> = Vec::new();
    for dep in deps {
        if !matches!(dep.kind, DepKind::CopyFrom | DepKind::MountFrom) {
            continue;
        }
        if out
            .iter()
            .any(|o| o.stage == dep.stage && o.source == dep.source)
        {
            continue;
        }
        let own = by_stage.get(dep.stage.as_str()).unwrap_or(&none);
        let src = by_stage.get(dep.source.as_str()).unwrap_or(&none);
        let mut pairs = Vec::new();
        let mut certain_steps = Vec::new();
        for a in own {
            // A step runs while its source stage is under way if the log proves it started
            // before one of the source's steps ended and ended after one of them started (the
            // source may be between two steps at that moment, but it has not finished).
            if let Some(p) = proofs {
                let src_runs = || {
                    src.iter()
                        .filter(|b| b.id != a.id)
                        .flat_map(|b| &b.intervals)
                };
                let proven = a.intervals.iter().any(|x| {
                    let Some(xp) = x.points else { return false };
                    let started_before = src_runs().any(|y| {
                        y.points
                            .and_then(|yp| yp.end)
                            .is_some_and(|ye| p.before(xp.start, ye))
                    });
                    let ended_after = src_runs().any(|y| {
                        y.points.is_some_and(|yp| match xp.end {
                            Some(xe) => p.before(yp.start, xe),
                            None => false,
                        })
                    });
                    started_before && ended_after
                });
                if proven {
                    certain_steps.push(a.id);
                }
            }
            for b in src {
                if a.id == b.id {
                    continue; // a de-duplicated vertex cannot race with itself
                }
                let duration = measure(&intersect(&a.spans, &b.spans));
                let certainty = pair_certainty(&a.intervals, &b.intervals, proofs);
                // A reconstructed pair that only might overlap, and does not in the best
                // estimate, is noise.
                if certainty == Some(Certainty::Possible) && duration == 0 && proofs.is_some() {
                    continue;
                }
                if certainty == Some(Certainty::Certain) && !certain_steps.contains(&a.id) {
                    certain_steps.push(a.id);
                }
                if let Some(certainty) = certainty {
                    pairs.push(StepPair {
                        step: a.id,
                        source_step: b.id,
                        duration,
                        certainty,
                    });
                }
            }
        }
        if pairs.is_empty() && certain_steps.is_empty() {
            continue;
        }
        pairs.sort_by_key(|p| (steps[p.step].start(), steps[p.source_step].start()));
        let own_spans = crate::graph::merge(own.iter().flat_map(|s| s.spans.clone()).collect());
        let src_spans = crate::graph::merge(src.iter().flat_map(|s| s.spans.clone()).collect());
        let spans = intersect(&own_spans, &src_spans);
        let certainty = if certain_steps.is_empty() {
            Certainty::Possible
        } else {
            Certainty::Certain
        };
        certain_steps.sort_by_key(|&s| steps[s].parsed.index());
        out.push(Overlap {
            stage: dep.stage.clone(),
            source: dep.source.clone(),
            kind: dep.kind,
            via_step: dep.step,
            duration: measure(&spans),
            spans,
            certainty,
            pairs,
            certain_steps,
        });
    }
    out
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
