//! Lock waits: what a build record's trace shows and no progress stream does. A step's exec span
//! starts (`ExecOp started`) before its container is made (`Container created`); between the two
//! its mounts are granted, a `sharing=locked` cache among them, which another step may hold. The
//! wait is the step's own time on the chart, but not time it ran.

use crate::graph::{Step, StepId};
use crate::model::Nanos;

/// A wait shorter than this is mounting, not waiting for anyone: not worth a sentence.
pub const WORTH_SAYING: Nanos = 100_000_000;

/// Execution shorter than this inside a wait is the two clocks (trace, progress) disagreeing.
const HELD_AT_LEAST: Nanos = 1_000_000;

/// One step that waited for its mounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockWait {
    pub step: StepId,
    pub wait: Nanos,
    /// The cache it shares with the holder (the first such, by the step's mounts).
    pub cache: Option<String>,
    /// The step that held it: one sharing a cache with it, executing while it waited, whose
    /// end came last before its container was made.
    pub holder: Option<StepId>,
}

/// Every wait worth saying, longest first.
pub fn find(steps: &[Step]) -> Vec<LockWait> {
    let mut out: Vec<LockWait> = steps
        .iter()
        .filter(|s| s.lock_wait() >= WORTH_SAYING)
        .map(|s| wait_of(steps, s))
        .collect();
    out.sort_by_key(|w| std::cmp::Reverse(w.wait));
    out
}

fn caches(s: &Step) -> Vec<String> {
    let Some(i) = s.parsed.flagged_instruction() else {
        return Vec::new();
    };
    i.mounts()
        .iter()
        .filter_map(|m| m.cache_id().map(str::to_string))
        .collect()
}

fn wait_of(steps: &[Step], s: &Step) -> LockWait {
    let (from, until) = s.wait().unwrap_or_default();
    let mine = caches(s);
    let held = |o: &Step| -> Option<(Nanos, String)> {
        let shared = caches(o).into_iter().find(|c| mine.contains(c))?;
        // It held the lock if it executed (for more than a clock's slack) while this one waited.
        let ran = o.executing();
        let end = ran
            .iter()
            .filter(|(a, b)| b.min(&until) - a.max(&from) > HELD_AT_LEAST)
            .map(|x| x.1)
            .max()?;
        Some((end, shared))
    };
    let best = steps
        .iter()
        .filter(|o| o.id != s.id)
        .filter_map(|o| held(o).map(|(end, c)| (end.min(until), o.id, c)))
        .max_by_key(|(end, _, _)| *end);
    LockWait {
        step: s.id,
        wait: s.lock_wait(),
        cache: best
            .as_ref()
            .map(|b| b.2.clone())
            .or(mine.into_iter().next()),
        holder: best.map(|b| b.1),
    }
}
