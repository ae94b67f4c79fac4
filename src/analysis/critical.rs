//! The critical path: the chain of steps, each waiting on the one before it, that ends with the
//! last step to finish. Shortening anything else does not make the build faster.

use super::locks::LockWait;
use crate::graph::{Step, StepId};
use crate::model::{Nanos, State};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalPath {
    /// From the first step of the chain to the last.
    pub steps: Vec<StepId>,
    pub start: Nanos,
    pub end: Nanos,
}

fn finish(s: &Step) -> Option<Nanos> {
    s.spans.last().map(|x| x.1)
}

/// The path; a step that waited for a lock waited for its holder as much as for its inputs
/// (`locks`, from a build record's trace).
pub fn find(steps: &[Step], locks: &[LockWait]) -> Option<CriticalPath> {
    let last = steps
        .iter()
        .filter(|s| finish(s).is_some())
        .max_by_key(|s| finish(s))?;
    let mut chain = vec![last.id];
    // Whether a step is on the chain already, at a glance (a chain may be 100,000 steps long).
    let mut on_chain = vec![false; steps.len()];
    on_chain[last.id] = true;
    let mut cur = last;
    while let Some(prev) = waited_for(steps, cur, &on_chain)
        .into_iter()
        .chain(holder(steps, locks, cur, &on_chain))
        .max_by_key(|s| finish(s))
    {
        chain.push(prev.id);
        on_chain[prev.id] = true;
        cur = prev;
    }
    chain.reverse();
    // A fully cached build has no path worth shortening: cache hits, BuildKit's own steps and
    // a `FROM` that only resolved its image (a pull is work).
    let idle = |s: &Step| {
        s.state == State::Cached
            || !s.parsed.is_dockerfile_step()
            || (s.parsed.is_from() && !s.pulled())
    };
    if chain.iter().all(|&s| idle(&steps[s])) {
        return None;
    }
    let start = steps[chain[0]].start()?;
    Some(CriticalPath {
        end: finish(last)?,
        start,
        steps: chain,
    })
}

/// The step holding the lock `cur` waited for, if it did.
fn holder<'a>(
    steps: &'a [Step],
    locks: &[LockWait],
    cur: &Step,
    on_chain: &[bool],
) -> Option<&'a Step> {
    let h = locks.iter().find(|w| w.step == cur.id)?.holder?;
    (!on_chain[h] && finish(&steps[h]).is_some()).then(|| &steps[h])
}

/// What `cur` waited for: the input that finished last — an executed one before a cache hit,
/// whose time is only when BuildKit resolved it. A step BuildKit runs after the solve without
/// naming inputs (exporting the image, pushing it, writing the cache, provenance) waited for the
/// Dockerfile step or the export that finished last before it started: the target's last step,
/// or the export before it (buildx's provenance comes after the push it describes).
fn waited_for<'a>(steps: &'a [Step], cur: &Step, on_chain: &[bool]) -> Option<&'a Step> {
    let candidates: Vec<&Step> = if cur.inputs.is_empty() && !cur.parsed.is_dockerfile_step() {
        let start = cur.start()?;
        let before = |s: &&Step| finish(s).is_some_and(|f| f <= start);
        steps
            .iter()
            .filter(|s| s.id != cur.id)
            .filter(|s| s.parsed.is_dockerfile_step() || super::summary::is_export(s))
            .filter(before)
            .collect()
    } else {
        cur.inputs.iter().map(|&i| &steps[i]).collect()
    };
    let open = |s: &&&Step| finish(s).is_some() && !on_chain[s.id];
    let executed = candidates
        .iter()
        .filter(open)
        .filter(|s| s.state != State::Cached);
    let latest = executed.max_by_key(|s| finish(s));
    latest
        .or_else(|| candidates.iter().filter(open).max_by_key(|s| finish(s)))
        .copied()
}

#[cfg(test)]
mod tests {
    use crate::analysis::{of_steps, ran, Given};

    const MS: i64 = 1_000_000;

    #[test]
    fn the_path_follows_the_input_that_finished_last() {
        let a = of_steps(&[
            ran("[x 1/1] RUN quick", 0, 10),
            ran("[y 1/1] RUN slow", 0, 30),
            Given {
                inputs: &[0, 1],
                ..ran("[z 1/1] RUN both", 30, 40)
            },
        ]);
        let p = a.critical_path.expect("a path");
        assert_eq!(p.steps, [1, 2]);
        assert_eq!((p.start, p.end), (0, 40 * MS));
    }

    #[test]
    fn a_fully_cached_build_has_no_path_worth_shortening() {
        let hit = |name| Given {
            cached: true,
            ..ran(name, 0, 0)
        };
        let a = of_steps(&[hit("[x 1/2] RUN a"), hit("[x 2/2] RUN b")]);
        assert_eq!(a.critical_path, None);
    }
}
