//! What the build means: pure functions of a [`Build`] (plus an optional [`Dockerfile`]). No I/O;
//! cheap enough to recompute on every frame.

pub mod accuracy;
mod cache;
mod critical;
pub mod layers;
mod locks;
mod overlap;
pub mod repeat;
mod spent;
mod stale;
mod summary;

pub use crate::graph::{
    intersect, measure, merge, Dependency, Evidence, Few, Span, Stage, Step, StepId,
};
pub use cache::{CacheHazard, CacheUse, Race, SharedCache};
pub use critical::CriticalPath;
pub use locks::{LockWait, WORTH_SAYING};
pub use overlap::{Certainty, Overlap, StepPair};
pub use spent::{time_breakdown, KindTime, TimeBreakdown};
pub use stale::{absent_names, CachePass, StaleCache};
pub use summary::{
    cache_breaks, could_hit, counts, failed_steps, is_from, nothing_ran, outcome, CacheBreak,
    Counts, Outcome,
};

use std::collections::HashMap;
use std::hash::Hash;

use crate::dockerfile::Dockerfile;
use crate::graph;
use crate::model::{Build, Nanos};

#[derive(Debug, Clone)]
pub struct Analysis {
    pub steps: Vec<Step>,
    pub stages: Vec<Stage>,
    pub dependencies: Vec<Dependency>,
    pub overlaps: Vec<Overlap>,
    pub hazards: Vec<CacheHazard>,
    /// Hazard pairs not listed in `hazards` (over its limits), counted.
    pub hazards_unlisted: u64,
    /// Data passed between stages through a cache mount, from the graph alone (what `lint`
    /// predicts; it holds whatever the cache did).
    pub cache_passes: Vec<CachePass>,
    /// Readers of a cache that ran while every writer of it was a cache hit (or absent).
    pub stale: Vec<StaleCache>,
    pub critical_path: Option<CriticalPath>,
    /// Steps that waited for a locked cache or mount, longest first (from a build record's trace).
    pub lock_waits: Vec<LockWait>,
    /// When the build's first step started (the chart's zero).
    pub start: Option<Nanos>,
    /// The last instant the build is known to have reached (open intervals end here).
    pub end: Option<Nanos>,
    /// Times are estimates reconstructed from a plain log (certainty comes from its proofs).
    pub estimated: bool,
}

impl Analysis {
    /// Analyses a finished (or stopped) build: open intervals end at the last time it reported.
    pub fn of(build: &Build, dockerfile: Option<&Dockerfile>) -> Analysis {
        Self::at(build, dockerfile, None)
    }

    /// Analyses a build as of `now` (live views): running steps extend to `now`.
    pub fn at(build: &Build, dockerfile: Option<&Dockerfile>, now: Option<Nanos>) -> Analysis {
        let horizon = now.or(build.time_range().map(|r| r.1));
        let steps = graph::steps(build, horizon, dockerfile);
        let stages = graph::stages(&steps, dockerfile);
        let dependencies = graph::dependencies(&steps, &stages, dockerfile);
        let overlaps = overlap::find(&steps, &dependencies, build.proofs());
        let caches = cache::shared(&steps);
        let cache::Hazards { listed, unlisted } = cache::find(&steps, &dependencies, &caches);
        let cache_passes = stale::passes(&steps, &dependencies, &caches, dockerfile);
        let stale = stale::stale(&steps, &dependencies, &cache_passes);
        let lock_waits = locks::find(&steps);
        let critical_path = critical::find(&steps, &lock_waits);
        let start = steps.iter().filter_map(|s| s.start()).min();
        let end = steps
            .iter()
            .filter_map(|s| s.end())
            .max()
            .max(horizon.filter(|_| steps.iter().any(|s| s.is_open())));
        Analysis {
            steps,
            stages,
            dependencies,
            overlaps,
            hazards: listed,
            hazards_unlisted: unlisted,
            cache_passes,
            stale,
            critical_path,
            lock_waits,
            start,
            end,
            estimated: build.is_estimated(),
        }
    }

    pub fn step(&self, id: StepId) -> &Step {
        &self.steps[id]
    }

    /// When each stage ran alongside a COPY --from / from= source: `(proven, only possible)`,
    /// each merged (what the charts draw red and dim red on its row).
    pub fn stage_overlaps(&self) -> HashMap<&str, Red> {
        let mut out: HashMap<&str, Red> = HashMap::new();
        for o in &self.overlaps {
            let red = out.entry(o.stage.as_str()).or_default();
            match o.certainty {
                Certainty::Certain => red.0.extend(o.spans.iter().copied()),
                Certainty::Possible => red.1.extend(o.spans.iter().copied()),
            }
        }
        merged(out)
    }

    /// When each step ran alongside its stage's source: `(proven, only possible)`, merged; by
    /// step id (empty for the steps that did not). One span is kept inline: a huge build's red is
    /// mostly one stretch a step.
    pub fn step_overlaps(&self) -> Vec<StepRed> {
        let mut out: Vec<StepRed> = vec![Default::default(); self.steps.len()];
        for p in self.overlaps.iter().flat_map(|o| &o.pairs) {
            let red = &mut out[p.step];
            let spans = match p.certainty {
                Certainty::Certain => &mut red.0,
                Certainty::Possible => &mut red.1,
            };
            p.spans.iter().for_each(|&s| spans.push(s));
        }
        for (red, maybe) in &mut out {
            for spans in [red, maybe] {
                if spans.len() > 1 {
                    *spans = merge(spans.to_vec()).into();
                }
            }
        }
        out
    }

    /// BuildKit's own steps and any not named after a stage (the charts' `[internal]` group).
    pub fn internal_steps(&self) -> Vec<StepId> {
        self.steps
            .iter()
            .filter(|s| s.stage.is_none())
            .map(|s| s.id)
            .collect()
    }

    /// The platforms of a multi-platform build, in the order first seen (empty otherwise).
    pub fn platforms(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in self.steps.iter().filter_map(|s| s.platform()) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The bake targets of the build, in the order first seen (empty outside bake).
    pub fn targets(&self) -> Vec<&str> {
        targets_of(self.steps.iter())
    }

    /// The bake targets that needed a stage.
    pub fn stage_targets(&self, stage: &Stage) -> Vec<&str> {
        targets_of(stage.steps.iter().map(|&id| &self.steps[id]))
    }

    /// What `lint` says of a cache pass (why the data may not arrive) and its fix.
    pub fn pass_words(&self, p: &CachePass) -> (String, String) {
        (
            stale::pass_explanation(&self.steps, p),
            stale::fix(&self.steps, p),
        )
    }

    /// Readers of a stale cache (the ones the chart marks ∅).
    pub fn stale_readers(&self) -> Vec<StepId> {
        self.stale.iter().map(|s| s.reader).collect()
    }

    /// Steps on either side of a cache hazard (the ones the chart marks ⚠).
    pub fn hazard_steps(&self) -> Vec<StepId> {
        self.hazards
            .iter()
            .flat_map(|h| [h.writer.step, h.reader.step])
            .collect()
    }
}

fn targets_of<'a>(steps: impl Iterator<Item = &'a Step>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for t in steps.flat_map(|s| s.targets()) {
        if !out.contains(&t.as_str()) {
            out.push(t);
        }
    }
    out
}

/// Time drawn red (proven) and dim red (only possible).
pub type Red = (Vec<Span>, Vec<Span>);
/// [`Red`] of one step.
pub type StepRed = (Few<Span>, Few<Span>);

fn merged<K: Eq + Hash>(map: HashMap<K, Red>) -> HashMap<K, Red> {
    map.into_iter()
        .map(|(k, (red, maybe))| (k, (merge(red), merge(maybe))))
        .collect()
}

/// The analysis of a build of these steps, one after another (1 ms apart, 0.5 ms each): for the
/// tests of what reads an analysis.
#[cfg(test)]
pub(crate) fn of_names<S: AsRef<str>>(names: &[S]) -> Analysis {
    use crate::model::{Event, EventKind, LogRetention, VertexUpdate};
    let mut b = Build::new(LogRetention::default());
    for (i, n) in names.iter().enumerate() {
        b.apply(Event {
            arrived: 0,
            kind: EventKind::Vertex(VertexUpdate {
                digest: format!("sha256:{i}"),
                name: Some(n.as_ref().to_string()),
                started: Some(i as i64 * 1_000_000),
                completed: Some(i as i64 * 1_000_000 + 500_000),
                ..Default::default()
            }),
        });
    }
    Analysis::of(&b, None)
}

/// One step for [`of_steps`]: its name, the steps it takes as inputs (by index), when it ran in
/// ms (no end while it runs), whether it was a cache hit and its error.
#[cfg(test)]
pub(crate) struct Given<'a> {
    pub name: &'a str,
    pub inputs: &'a [usize],
    pub ms: (i64, Option<i64>),
    pub cached: bool,
    pub error: Option<&'a str>,
}

/// A step that ran from `start` to `end` ms with no inputs, for [`of_steps`].
#[cfg(test)]
pub(crate) fn ran(name: &str, start: i64, end: i64) -> Given<'_> {
    Given {
        name,
        inputs: &[],
        ms: (start, Some(end)),
        cached: false,
        error: None,
    }
}

/// The analysis of a build of these steps (exact times, as from rawjson).
#[cfg(test)]
pub(crate) fn of_steps(steps: &[Given]) -> Analysis {
    use crate::model::{Event, EventKind, LogRetention, VertexUpdate};
    let mut b = Build::new(LogRetention::default());
    for (i, g) in steps.iter().enumerate() {
        b.apply(Event {
            arrived: 0,
            kind: EventKind::Vertex(VertexUpdate {
                digest: format!("sha256:{i}"),
                name: Some(g.name.to_string()),
                inputs: g.inputs.iter().map(|j| format!("sha256:{j}")).collect(),
                started: Some(g.ms.0 * 1_000_000),
                completed: g.ms.1.map(|e| e * 1_000_000),
                cached: g.cached,
                error: g.error.map(String::from),
                ..Default::default()
            }),
        });
    }
    Analysis::of(&b, None)
}

/// Cache hazards (cache.rs) as the analysis finds them in a build.
#[cfg(test)]
mod hazard_tests {
    use super::Race;
    use crate::analysis::{of_steps, ran, Given};

    const MS: i64 = 1_000_000;
    const FILL: &str = "[builder 2/2] RUN --mount=type=cache,id=mods,target=/m fill";
    const READ: &str = "[stage-2 1/2] RUN --mount=type=cache,id=mods,target=/m read";

    #[test]
    fn two_steps_on_one_cache_that_nothing_orders_are_a_hazard_and_who_finished_first_says() {
        let a = of_steps(&[
            ran("[builder 1/2] RUN setup", 0, 10),
            Given {
                inputs: &[0],
                ..ran(FILL, 10, 500)
            },
            ran(READ, 0, 200),
            // stage-2 copies from builder: builder's step is the writer.
            Given {
                inputs: &[2, 1],
                ..ran("[stage-2 2/2] COPY --from=builder /out /out", 500, 510)
            },
        ]);
        assert_eq!(a.hazards.len(), 1, "{:?}", a.hazards);
        let h = &a.hazards[0];
        assert_eq!(h.cache_id, "mods");
        assert!(h.roles_known);
        assert_eq!((h.writer.step, h.reader.step), (1, 2));
        assert_eq!(h.race, Race::Ran);
        assert_eq!(h.first, Some(2), "the reader finished first");
        assert_eq!(h.margin, Some(300 * MS));
        assert!(
            h.explanation
                .contains("the reader won: [stage-2 1/2] finished 0.30s before"),
            "{}",
            h.explanation
        );
    }

    #[test]
    fn a_step_whose_inputs_lead_to_the_other_is_ordered_and_no_hazard() {
        let a = of_steps(&[
            ran(FILL, 0, 100),
            Given {
                inputs: &[0],
                ..ran(READ, 100, 200)
            },
        ]);
        assert!(a.hazards.is_empty(), "{:?}", a.hazards);
    }

    #[test]
    fn when_both_were_cache_hits_nothing_raced() {
        let hit = |name| Given {
            cached: true,
            ..ran(name, 0, 0)
        };
        let a = of_steps(&[hit(FILL), hit(READ)]);
        assert_eq!(a.hazards.len(), 1, "{:?}", a.hazards);
        assert_eq!(a.hazards[0].race, Race::BothHits);
        assert_eq!(a.hazards[0].first, None);
    }
}
