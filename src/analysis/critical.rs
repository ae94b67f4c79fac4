//! The critical path: the chain of steps, each waiting on the one before it, that ends with the
//! last step to finish. Shortening anything else does not make the build faster.

use crate::graph::{Step, StepId};
use crate::model::Nanos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalPath {
    /// From the first step of the chain to the last.
    pub steps: Vec<StepId>,
    pub start: Nanos,
    pub end: Nanos,
}

pub fn find(steps: &[Step]) -> Option<CriticalPath> {
    let finish = |s: &Step| s.spans.last().map(|x| x.1);
    let last = steps
        .iter()
        .filter(|s| finish(s).is_some())
        .max_by_key(|s| finish(s))?;
    let mut chain = vec![last.id];
    let mut cur = last;
    // Walk back through the input that finished last: that is the one `cur` waited for.
    while let Some(prev) = cur
        .inputs
        .iter()
        .map(|&i| &steps[i])
        .filter(|s| finish(s).is_some() && !chain.contains(&s.id))
        .max_by_key(|s| finish(s))
    {
        chain.push(prev.id);
        cur = prev;
    }
    chain.reverse();
    let start = steps[chain[0]].start()?;
    Some(CriticalPath {
        end: finish(last)?,
        start,
        steps: chain,
    })
}
