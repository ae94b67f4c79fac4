//! Where the time went: the build's wall time against the time its steps executed, how parallel
//! it was, how long nothing executed, the time by kind of step, and the share of cache hits. A
//! step's time is its execution: a wait for a locked cache (a build record's trace) is counted
//! apart, as it is drawn apart.

use super::Analysis;
use crate::graph::{measure, merge, Span};
use crate::model::{Nanos, State, WorkKind};

/// The time of one kind of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindTime {
    pub kind: WorkKind,
    /// Steps of this kind that executed.
    pub steps: usize,
    /// The sum of their execution.
    pub time: Nanos,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeBreakdown {
    /// From the first step's start to the last known instant.
    pub wall: Nanos,
    /// The sum of every step's execution (steps running together each count).
    pub work: Nanos,
    /// When at least one step executed (the union).
    pub busy: Nanos,
    /// Wall time when no step executed: `wall - busy`.
    pub idle: Nanos,
    /// The sum of the steps' waits for a locked cache (in their bars, not in `work`).
    pub lock_wait: Nanos,
    /// Kinds with any step, in [`WorkKind::ALL`]'s order; their times add up to `work`.
    pub by_kind: Vec<KindTime>,
    /// Dockerfile steps that executed, and that were cache hits.
    pub executed: usize,
    pub cached: usize,
}

impl TimeBreakdown {
    /// `work / wall`: 1.0 when steps ran one at a time, 2.0 when two at once on average.
    pub fn parallelism(&self) -> Option<f64> {
        (self.wall > 0).then(|| self.work as f64 / self.wall as f64)
    }

    /// Cache hits among the Dockerfile steps that ran or hit (0–1).
    pub fn cache_hit_share(&self) -> Option<f64> {
        let all = self.executed + self.cached;
        (all > 0).then(|| self.cached as f64 / all as f64)
    }
}

/// The breakdown of an analysed build (`None` before any step started).
pub fn time_breakdown(a: &Analysis) -> Option<TimeBreakdown> {
    let (start, end) = (a.start?, a.end?);
    let wall = (end - start).max(0);
    let mut all: Vec<Span> = Vec::new();
    let mut by_kind: Vec<KindTime> = Vec::new();
    let (mut executed, mut cached, mut work, mut lock_wait) = (0, 0, 0, 0);
    for s in &a.steps {
        if s.state == State::Cached {
            cached += usize::from(s.parsed.is_dockerfile_step());
            continue;
        }
        let ran = s.executing();
        let time = measure(&ran);
        if time == 0 && s.spans.is_empty() {
            continue;
        }
        executed += usize::from(s.parsed.is_dockerfile_step());
        work += time;
        lock_wait += s.lock_wait();
        all.extend(ran.iter().copied());
        let kind = s.kind();
        match by_kind.iter_mut().find(|k| k.kind == kind) {
            Some(k) => {
                k.steps += 1;
                k.time += time;
            }
            None => by_kind.push(KindTime {
                kind,
                steps: 1,
                time,
            }),
        }
    }
    by_kind.sort_by_key(|k| k.kind);
    // Clipped to the build's span: a vertex buildx stamps with its own clock may start before
    // the first step of the daemon's.
    let busy = measure(&merge(all)).min(wall);
    Some(TimeBreakdown {
        wall,
        work,
        busy,
        idle: wall - busy,
        lock_wait,
        by_kind,
        executed,
        cached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{of_steps, ran, Given};

    const MS: Nanos = 1_000_000;

    #[test]
    fn work_counts_each_step_busy_counts_the_union_and_idle_the_rest() {
        // Two steps at once for 100 ms, a gap of 100 ms, one more for 100 ms; and a cache hit.
        let a = of_steps(&[
            ran("[a 1/1] RUN x", 0, 100),
            ran("[b 1/2] RUN y", 0, 100),
            ran("[b 2/2] RUN z", 200, 300),
            Given {
                cached: true,
                ..ran("[c 1/1] RUN w", 300, 300)
            },
        ]);
        let t = time_breakdown(&a).unwrap();
        assert_eq!(t.wall, 300 * MS);
        assert_eq!(t.work, 300 * MS);
        assert_eq!(t.busy, 200 * MS);
        assert_eq!(t.idle, 100 * MS);
        assert_eq!((t.executed, t.cached), (3, 1));
        assert_eq!(t.parallelism(), Some(1.0));
        assert_eq!(t.cache_hit_share(), Some(0.25));
        let by_kind: Nanos = t.by_kind.iter().map(|k| k.time).sum();
        assert_eq!(by_kind, t.work, "the kinds add up to the work");
    }

    #[test]
    fn nothing_started_has_no_breakdown() {
        assert_eq!(time_breakdown(&of_steps(&[])), None);
    }
}
