//! What a log proves about instants it cannot time exactly. A plain progress log gives no clock
//! times, only facts of the form "this happened at least/at most w after that" (durations, print
//! order, log offsets, the build graph). Those are difference constraints `x_v − x_u ≤ w`; the
//! tightest bound on `x − y` over every timeline that satisfies them is a shortest path, which is
//! how [`Proofs::max_diff`] answers "does the log prove `x` came before `y`?".

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::time::Nanos;

/// One instant of a reconstructed timeline (a run's start or end).
pub type PointId = u32;

/// The instants of one run of a vertex, in the [`Proofs`] of its build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalPoints {
    pub start: PointId,
    pub end: Option<PointId>,
}

/// A system of proven difference constraints, queried by shortest paths.
pub struct Proofs {
    /// `edges[u]` holds `(v, w)`: the log proves `x_v − x_u ≤ w`.
    edges: Vec<Vec<(PointId, Nanos)>>,
    /// A timeline satisfying every constraint: makes all reduced edge weights non-negative, so
    /// each query is one Dijkstra run.
    potential: Vec<Nanos>,
    memo: Mutex<HashMap<PointId, Arc<Vec<Option<Nanos>>>>>,
    /// Whether instants are clock times (a live build) or only relative to the build's start.
    pub absolute: bool,
}

impl fmt::Debug for Proofs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Proofs({} points, {} constraints)",
            self.edges.len(),
            self.edges.iter().map(Vec::len).sum::<usize>()
        )
    }
}

impl PartialEq for Proofs {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Proofs {
    /// `constraints` are `(u, v, w)`: `x_v − x_u ≤ w`. `feasible` must satisfy all of them.
    pub fn new(
        points: usize,
        constraints: &[(PointId, PointId, Nanos)],
        feasible: Vec<Nanos>,
        absolute: bool,
    ) -> Proofs {
        let mut edges = vec![Vec::new(); points];
        for &(u, v, w) in constraints {
            edges[u as usize].push((v, w));
        }
        Proofs {
            edges,
            potential: feasible,
            memo: Mutex::new(HashMap::new()),
            absolute,
        }
    }

    /// The largest `x − y` any timeline consistent with the log allows; `None` when the log does
    /// not bound it.
    pub fn max_diff(&self, x: PointId, y: PointId) -> Option<Nanos> {
        if x as usize >= self.edges.len() || y as usize >= self.edges.len() {
            return None;
        }
        let row = {
            let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            memo.get(&y).cloned()
        };
        let row = match row {
            Some(r) => r,
            None => {
                let r = Arc::new(self.from(y));
                let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
                memo.insert(y, r.clone());
                r
            }
        };
        row[x as usize]
    }

    /// Whether every consistent timeline has `x` strictly before `y`.
    pub fn before(&self, x: PointId, y: PointId) -> bool {
        self.max_diff(x, y).is_some_and(|d| d < 0)
    }

    /// Shortest paths from `src` (Dijkstra on reduced weights).
    fn from(&self, src: PointId) -> Vec<Option<Nanos>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let n = self.edges.len();
        let p = &self.potential;
        let mut dist: Vec<Option<Nanos>> = vec![None; n];
        let mut heap = BinaryHeap::new();
        dist[src as usize] = Some(0);
        heap.push(Reverse((0i64, src)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if dist[u as usize].is_some_and(|best| best < d) {
                continue;
            }
            for &(v, w) in &self.edges[u as usize] {
                let reduced = (w + p[u as usize] - p[v as usize]).max(0);
                let nd = d.saturating_add(reduced);
                if dist[v as usize].is_none_or(|cur| nd < cur) {
                    dist[v as usize] = Some(nd);
                    heap.push(Reverse((nd, v)));
                }
            }
        }
        let ps = p[src as usize];
        dist.into_iter()
            .enumerate()
            .map(|(x, d)| d.map(|d| d + p[x] - ps))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proves_order_through_a_chain() {
        // 0 = a.start, 1 = a.end, 2 = b.start, 3 = b.end
        // a lasts ≥ 5; b starts after a ends; so b.start − a.start ≥ 5.
        let c = [(1, 0, -5), (2, 1, 0), (3, 2, -1)];
        let p = Proofs::new(4, &c, vec![0, 5, 5, 6], false);
        assert_eq!(p.max_diff(0, 2), Some(-5));
        assert!(p.before(0, 2));
        assert!(p.before(1, 3));
        assert!(!p.before(2, 0));
        assert_eq!(p.max_diff(2, 0), None, "nothing bounds b after a");
    }
}
