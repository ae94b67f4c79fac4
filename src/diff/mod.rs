//! Two builds compared (`compare BEFORE AFTER`): each step of one matched to the other's, what
//! got slower, why each step of the build after ran, which way each cache race went on each side,
//! and the totals and critical paths.

mod causes;
mod matching;

use std::collections::{BTreeMap, HashSet};

pub use causes::{executed, Args, Cause};
pub use matching::{Match, Pair};

use crate::analysis::{outcome, Analysis, Outcome};
use crate::dockerfile::Dockerfile;
use crate::graph::short_name;
use crate::graph::StepId;
use crate::model::{Build, Nanos, State};

/// One build of the two.
pub struct Side<'a> {
    pub name: &'a str,
    pub build: &'a Build,
    pub a: &'a Analysis,
}

/// A step as one build saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub state: State,
    /// Time it ran (0 for a cache hit).
    pub active: Nanos,
}

/// One step of either build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDiff {
    pub pair: Pair,
    pub before: Option<Seen>,
    pub after: Option<Seen>,
    /// Why it ran in the build after (an executed Dockerfile step of a build that used the cache).
    pub cause: Option<Cause>,
    /// For a step that follows others: the root causes it comes down from.
    pub because: Vec<StepId>,
}

impl StepDiff {
    /// How much longer it ran after than before (negative: faster).
    pub fn change(&self) -> Nanos {
        self.after.map_or(0, |s| s.active) - self.before.map_or(0, |s| s.active)
    }
}

/// What one side's build came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub outcome: Outcome,
    pub wall: Option<Nanos>,
    /// Dockerfile steps that executed, and that were cache hits.
    pub executed: usize,
    pub cached: usize,
    /// Time the executed Dockerfile steps ran, added up.
    pub work: Nanos,
    pub critical: Option<Nanos>,
}

/// One cache race (a hazard) on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaceDiff {
    pub cache: String,
    /// Short names (`[builder 2/3]`) of the step that took the cache first, each side.
    pub before: Option<String>,
    pub after: Option<String>,
    /// Whether the two raced on each side (`None`: the pair is not in that build); a side whose
    /// steps were cache hits ran no race.
    pub before_race: Option<crate::analysis::Race>,
    pub after_race: Option<crate::analysis::Race>,
}

impl RaceDiff {
    pub fn flipped(&self) -> bool {
        self.before.is_some() && self.after.is_some() && self.before != self.after
    }
}

/// A stage running alongside its source, each side (seconds alongside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlapDiff {
    pub stage: String,
    pub source: String,
    pub before: Option<Nanos>,
    pub after: Option<Nanos>,
}

#[derive(Debug, Clone)]
pub struct Diff {
    pub steps: Vec<StepDiff>,
    pub before: Totals,
    pub after: Totals,
    pub races: Vec<RaceDiff>,
    pub overlaps: Vec<OverlapDiff>,
    /// Steps of the build after on its critical path whose counterpart was not on the path
    /// before, and the reverse.
    pub path_added: Vec<StepId>,
    pub path_removed: Vec<StepId>,
}

impl Diff {
    /// The steps whose cause is a root cause, in the build after.
    pub fn root_causes(&self) -> impl Iterator<Item = (&StepDiff, &Cause)> {
        self.steps
            .iter()
            .filter_map(|d| d.cause.as_ref().filter(|c| c.is_root()).map(|c| (d, c)))
    }
}

pub fn diff(before: &Side, after: &Side, args: &Args, dockerfile: Option<&Dockerfile>) -> Diff {
    let (bs, as_) = (&before.a.steps, &after.a.steps);
    let pairs = matching::pair(bs, as_);
    let mut causes = causes::find(bs, as_, &pairs, args, dockerfile);
    let because = roots_of(&causes);
    let seen = |steps: &[crate::graph::Step], id: Option<StepId>| {
        id.map(|i| Seen {
            state: steps[i].state,
            active: if executed(&steps[i]) {
                steps[i].active()
            } else {
                0
            },
        })
    };
    let steps = pairs
        .iter()
        .map(|&pair| StepDiff {
            pair,
            before: seen(bs, pair.before),
            after: seen(as_, pair.after),
            cause: pair.after.and_then(|a| causes.remove(&a)),
            because: pair
                .after
                .and_then(|a| because.get(&a).cloned())
                .unwrap_or_default(),
        })
        .collect();
    let (path_added, path_removed) = path_changes(before.a, after.a, &pairs);
    Diff {
        steps,
        before: totals(before),
        after: totals(after),
        races: races(before.a, after.a),
        overlaps: overlaps(before.a, after.a),
        path_added,
        path_removed,
    }
}

/// The root causes each following step comes down from (none for a root itself), each step's
/// worked out once (a long chain of followers must not be walked again for every step on it).
fn roots_of(causes: &BTreeMap<StepId, Cause>) -> BTreeMap<StepId, Vec<StepId>> {
    let ups = |id: StepId| match causes.get(&id) {
        Some(Cause::Follows(up)) => up.as_slice(),
        _ => &[],
    };
    // For each step: the roots below it, itself for a root.
    let mut below: BTreeMap<StepId, Vec<StepId>> = BTreeMap::new();
    let mut visiting = HashSet::new();
    for &start in causes.keys() {
        let mut stack = vec![(start, false)];
        while let Some((id, expanded)) = stack.pop() {
            if below.contains_key(&id) || (!expanded && !visiting.insert(id)) {
                continue;
            }
            if !expanded {
                stack.push((id, true));
                stack.extend(ups(id).iter().map(|&u| (u, false)));
                continue;
            }
            let mine: std::collections::BTreeSet<StepId> = match causes.get(&id) {
                Some(Cause::Follows(up)) => up
                    .iter()
                    .flat_map(|u| below.get(u).into_iter().flatten().copied())
                    .collect(),
                _ => [id].into(),
            };
            below.insert(id, mine.into_iter().collect());
        }
    }
    below
        .into_iter()
        .map(|(id, roots)| match causes.get(&id) {
            Some(Cause::Follows(_)) => (id, roots),
            _ => (id, Vec::new()),
        })
        .collect()
}

fn totals(side: &Side) -> Totals {
    let docker = || {
        side.a
            .steps
            .iter()
            .filter(|s| s.parsed.is_dockerfile_step())
    };
    Totals {
        outcome: outcome(side.build, side.a),
        wall: side.a.start.zip(side.a.end).map(|(s, e)| e - s),
        executed: docker().filter(|s| executed(s)).count(),
        cached: docker().filter(|s| s.state == State::Cached).count(),
        work: docker().filter(|s| executed(s)).map(|s| s.active()).sum(),
        critical: side.a.critical_path.as_ref().map(|c| c.end - c.start),
    }
}

/// Each hazard of either side, by its pair of steps (a cache id may differ between runs).
fn races(before: &Analysis, after: &Analysis) -> Vec<RaceDiff> {
    let key = |a: &Analysis, h: &crate::analysis::CacheHazard| {
        let mut k = [
            short_name(&a.steps[h.writer.step]),
            short_name(&a.steps[h.reader.step]),
        ];
        k.sort();
        k
    };
    let first =
        |a: &Analysis, h: &crate::analysis::CacheHazard| h.first.map(|f| short_name(&a.steps[f]));
    let mut out: Vec<RaceDiff> = Vec::new();
    let mut matched = HashSet::new();
    for h in &after.hazards {
        let k = key(after, h);
        let b = before.hazards.iter().position(|x| key(before, x) == k);
        matched.extend(b);
        out.push(RaceDiff {
            cache: h.cache_id.clone(),
            before: b.and_then(|i| first(before, &before.hazards[i])),
            after: first(after, h),
            before_race: b.map(|i| before.hazards[i].race),
            after_race: Some(h.race),
        });
    }
    for (i, h) in before.hazards.iter().enumerate() {
        if !matched.contains(&i) {
            out.push(RaceDiff {
                cache: h.cache_id.clone(),
                before: first(before, h),
                after: None,
                before_race: Some(h.race),
                after_race: None,
            });
        }
    }
    out
}

fn overlaps(before: &Analysis, after: &Analysis) -> Vec<OverlapDiff> {
    let mut all: BTreeMap<(String, String), OverlapDiff> = BTreeMap::new();
    for (side, a) in [(0, before), (1, after)] {
        for o in &a.overlaps {
            let d = all
                .entry((o.stage.clone(), o.source.clone()))
                .or_insert_with(|| OverlapDiff {
                    stage: o.stage.clone(),
                    source: o.source.clone(),
                    before: None,
                    after: None,
                });
            *(if side == 0 {
                &mut d.before
            } else {
                &mut d.after
            }) = Some(o.duration);
        }
    }
    all.into_values().collect()
}

/// Steps on one critical path whose counterpart is not on the other's.
fn path_changes(before: &Analysis, after: &Analysis, pairs: &[Pair]) -> (Vec<StepId>, Vec<StepId>) {
    let on = |a: &Analysis| -> HashSet<StepId> {
        a.critical_path
            .iter()
            .flat_map(|c| c.steps.iter().copied())
            .collect()
    };
    let (on_before, on_after) = (on(before), on(after));
    let off = |theirs: Option<StepId>, other: &HashSet<StepId>| {
        !theirs.is_some_and(|t| other.contains(&t))
    };
    let added = pairs
        .iter()
        .filter_map(|p| {
            p.after
                .filter(|a| on_after.contains(a) && off(p.before, &on_before))
        })
        .collect();
    let removed = pairs
        .iter()
        .filter_map(|p| {
            p.before
                .filter(|b| on_before.contains(b) && off(p.after, &on_after))
        })
        .collect();
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_come_down_from_their_roots_through_diamonds_and_long_chains() {
        // 0 is a root; 1 and 2 follow 0; 3 follows 1 and 2; 4 is a root; 5 follows 3 and 4.
        let mut causes = BTreeMap::new();
        causes.insert(0, Cause::Context);
        causes.insert(1, Cause::Follows(vec![0]));
        causes.insert(2, Cause::Follows(vec![0]));
        causes.insert(3, Cause::Follows(vec![1, 2]));
        causes.insert(
            4,
            Cause::Image {
                image: "x:1".into(),
                before: None,
                after: None,
            },
        );
        causes.insert(5, Cause::Follows(vec![3, 4]));
        let r = roots_of(&causes);
        assert_eq!(r[&0], Vec::<StepId>::new());
        assert_eq!(r[&3], vec![0]);
        assert_eq!(r[&5], vec![0, 4]);
        // A chain of 100,000 followers is worked out once, not walked for each (quadratic).
        let n = 100_000;
        let mut chain = BTreeMap::new();
        chain.insert(0, Cause::Context);
        for i in 1..n {
            chain.insert(i, Cause::Follows(vec![i - 1]));
        }
        let r = roots_of(&chain);
        assert_eq!(r[&(n - 1)], vec![0]);
    }
}
