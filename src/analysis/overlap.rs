//! Concurrency with a source: a stage that needs another through `COPY --from` or a `from=` mount
//! waits for it only at that instruction, so its earlier steps may run at the same time as the
//! source. That time is what the chart draws red.

use super::intervals::{intersect, measure, Span};
use super::stages::Dependency;
use super::steps::{Step, StepId};
use crate::dockerfile::DepKind;
use crate::model::{Interval, Nanos};

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
}

pub fn find(steps: &[Step], deps: &[Dependency]) -> Vec<Overlap> {
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
        for a in own {
            for b in src {
                if a.id == b.id {
                    continue; // a de-duplicated vertex cannot race with itself
                }
                let duration = measure(&intersect(&a.spans, &b.spans));
                if let Some(certainty) = pair_certainty(&a.intervals, &b.intervals) {
                    pairs.push(StepPair {
                        step: a.id,
                        source_step: b.id,
                        duration,
                        certainty,
                    });
                }
            }
        }
        if pairs.is_empty() {
            continue;
        }
        pairs.sort_by_key(|p| (steps[p.step].start(), steps[p.source_step].start()));
        let own_spans = super::merge(own.iter().flat_map(|s| s.spans.clone()).collect());
        let src_spans = super::merge(src.iter().flat_map(|s| s.spans.clone()).collect());
        let spans = intersect(&own_spans, &src_spans);
        let certainty = pairs
            .iter()
            .map(|p| p.certainty)
            .max()
            .unwrap_or(Certainty::Possible);
        out.push(Overlap {
            stage: dep.stage.clone(),
            source: dep.source.clone(),
            kind: dep.kind,
            via_step: dep.step,
            duration: measure(&spans),
            spans,
            certainty,
            pairs,
        });
    }
    out
}

/// Whether two steps' runs overlap for sure, possibly, or not at all. A run still going has no
/// end yet: it overlaps anything that started after it started.
fn pair_certainty(a: &[Interval], b: &[Interval]) -> Option<Certainty> {
    let mut best = None;
    for x in a {
        for y in b {
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
