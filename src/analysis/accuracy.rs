//! How accurate a reconstructed timeline is: the same build seen twice, once as a plain log (times
//! estimated) and once as rawjson (times exact), e.g. `docker buildx history logs` in both
//! formats, step by step and verdict by verdict. Used by `report --compare-with` (its text is
//! [`crate::export::accuracy`]) and the accuracy tests. Not the `compare` command ([`crate::diff`]).

use super::{Analysis, Certainty};
use crate::graph::short_name;
use crate::model::Nanos;

/// One step seen in both builds, times relative to each build's start.
#[derive(Debug, Clone)]
pub struct StepComparison {
    pub name: String,
    pub truth: (Nanos, Nanos),
    /// Best estimates.
    pub estimate: (Nanos, Nanos),
    /// `[earliest, latest]` of the start and of the end (`Nanos::MAX`: unbounded).
    pub start_bounds: (Nanos, Nanos),
    pub end_bounds: (Nanos, Nanos),
}

impl StepComparison {
    pub fn start_error(&self) -> Nanos {
        (self.estimate.0 - self.truth.0).abs()
    }
    pub fn end_error(&self) -> Nanos {
        (self.estimate.1 - self.truth.1).abs()
    }
    /// Whether the true start and end lie within the estimated bounds.
    pub fn within(&self) -> bool {
        let inside = |t: Nanos, (lo, hi): (Nanos, Nanos)| lo <= t && t <= hi;
        inside(self.truth.0, self.start_bounds) && inside(self.truth.1, self.end_bounds)
    }
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub steps: Vec<StepComparison>,
    /// Steps that ran in one build and not (or not under that name) in the other.
    pub unmatched: Vec<String>,
    /// `stage ⇄ source (certainty)` verdicts of each side.
    /// Step pairs that executed at the same time across a `COPY --from` (see [`overlaps`]).
    pub truth_overlaps: Vec<String>,
    pub estimate_overlaps: Vec<String>,
    /// …of which the estimate proves these.
    pub estimate_proven: Vec<String>,
    /// `cache: writer/reader, first` verdicts of each side.
    pub truth_hazards: Vec<String>,
    pub estimate_hazards: Vec<String>,
}

impl Comparison {
    /// Every start and end error, sorted.
    fn errors(&self) -> Vec<Nanos> {
        let mut e: Vec<Nanos> = self
            .steps
            .iter()
            .flat_map(|s| [s.start_error(), s.end_error()])
            .collect();
        e.sort_unstable();
        e
    }

    pub fn median_error(&self) -> Option<Nanos> {
        let e = self.errors();
        match e.len() {
            0 => None,
            n if n % 2 == 1 => Some(e[n / 2]),
            n => Some((e[n / 2 - 1] + e[n / 2]) / 2),
        }
    }

    pub fn max_error(&self) -> Option<Nanos> {
        self.errors().last().copied()
    }

    pub fn all_within(&self) -> bool {
        self.steps.iter().all(StepComparison::within)
    }

    /// The same pairs ran alongside, the estimate proves none the truth lacks, and the same
    /// hazards. A plain log may prove fewer pairs than the truth has: it allows the rest.
    pub fn verdicts_match(&self) -> bool {
        let over_claims = self.over_claims();
        self.truth_overlaps == self.estimate_overlaps
            && over_claims.is_empty()
            && self.truth_hazards == self.estimate_hazards
    }

    /// Pairs the estimate calls proven that did not run alongside in the truth.
    pub fn over_claims(&self) -> Vec<&String> {
        let proven = self.estimate_proven.iter();
        proven
            .filter(|p| !self.truth_overlaps.contains(p))
            .collect()
    }

    /// Whether the estimate holds up: the truth within its bounds, the same verdicts.
    pub fn agrees(&self) -> bool {
        self.all_within() && self.verdicts_match() && !self.steps.is_empty()
    }
}

/// Every pair of steps that executed at the same time across a `COPY --from` dependency:
/// `[stage-2 1/4] ⇄ [builder 1/3]`, sorted; `proven`: only those the log proves.
fn overlaps(a: &Analysis, proven: bool) -> Vec<String> {
    let pairs = a.overlaps.iter().flat_map(|o| &o.pairs);
    let mut v: Vec<String> = pairs
        .filter(|p| !proven || p.certainty == Certainty::Certain)
        .map(|p| {
            format!(
                "{} ⇄ {}",
                short_name(a.step(p.step)),
                short_name(a.step(p.source_step))
            )
        })
        .collect();
    v.sort();
    v
}

fn hazards(a: &Analysis) -> Vec<String> {
    let mut v: Vec<String> = a
        .hazards
        .iter()
        .map(|h| {
            let mut pair = [
                short_name(a.step(h.writer.step)),
                short_name(a.step(h.reader.step)),
            ];
            pair.sort();
            let first = h
                .first
                .map(|f| short_name(a.step(f)))
                .unwrap_or_else(|| "nobody".into());
            format!(
                "cache {}: {} and {}, {first} finished first",
                h.cache_id, pair[0], pair[1]
            )
        })
        .collect();
    v.sort();
    v
}

/// Compares `ea` (the analysis of a reconstructed build) with `ta` (the same build, exact times).
pub fn compare(ta: &Analysis, ea: &Analysis) -> Comparison {
    let t0 = ta.start.unwrap_or(0);
    let e0 = ea.start.unwrap_or(0);
    let rel = |t: Nanos, zero: Nanos| if t == Nanos::MAX { t } else { t - zero };
    let mut steps = Vec::new();
    let mut unmatched = Vec::new();
    for t in &ta.steps {
        let (Some(ts), Some(te)) = (t.start(), t.end()) else {
            continue;
        };
        let Some(e) = ea.steps.iter().find(|e| e.name() == t.name()) else {
            unmatched.push(t.name().to_string());
            continue;
        };
        let (Some(first), Some(last)) = (e.intervals.first(), e.intervals.last()) else {
            unmatched.push(t.name().to_string());
            continue;
        };
        let Some(end) = last.end else {
            unmatched.push(t.name().to_string());
            continue;
        };
        steps.push(StepComparison {
            name: t.name().to_string(),
            truth: (ts - t0, te - t0),
            estimate: (first.start.best - e0, end.best - e0),
            start_bounds: (rel(first.start.earliest, e0), rel(first.start.latest, e0)),
            end_bounds: (rel(end.earliest, e0), rel(end.latest, e0)),
        });
    }
    for e in &ea.steps {
        if e.start().is_some() && !ta.steps.iter().any(|t| t.name() == e.name()) {
            unmatched.push(e.name().to_string());
        }
    }
    Comparison {
        steps,
        unmatched,
        truth_overlaps: overlaps(ta, false),
        estimate_overlaps: overlaps(ea, false),
        estimate_proven: overlaps(ea, true),
        truth_hazards: hazards(ta),
        estimate_hazards: hazards(ea),
    }
}
