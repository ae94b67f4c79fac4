//! Sets of time spans: merging, intersecting, measuring.

use crate::model::Nanos;

/// A half-open span `[start, end)` on best-estimate times.
pub type Span = (Nanos, Nanos);

/// A few spans, kept without an allocation when there is one (two steps mostly overlap once, and
/// a huge build has hundreds of thousands of such pairs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spans {
    One(Span),
    Many(Box<[Span]>),
}

impl From<Vec<Span>> for Spans {
    fn from(v: Vec<Span>) -> Spans {
        match v.as_slice() {
            [one] => Spans::One(*one),
            _ => Spans::Many(v.into_boxed_slice()),
        }
    }
}

impl std::ops::Deref for Spans {
    type Target = [Span];
    fn deref(&self) -> &[Span] {
        match self {
            Spans::One(s) => std::slice::from_ref(s),
            Spans::Many(v) => v,
        }
    }
}

/// Sorts and merges overlapping or touching spans; empty ones are dropped.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|(a, b)| b > a);
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Merged spans without the time in `cut`.
pub fn subtract(spans: &[Span], cut: Span) -> Vec<Span> {
    let mut out = Vec::with_capacity(spans.len() + 1);
    for &(a, b) in spans {
        if cut.0 > a {
            out.push((a, b.min(cut.0)));
        }
        if cut.1 < b {
            out.push((a.max(cut.1), b));
        }
    }
    out.retain(|(a, b)| b > a);
    out
}

/// Intersection of two merged span lists.
pub fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if hi > lo {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

pub fn measure(spans: &[Span]) -> Nanos {
    spans.iter().map(|(a, b)| b - a).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_and_intersect() {
        let a = merge(vec![(5, 7), (0, 2), (1, 3), (9, 9)]);
        assert_eq!(a, vec![(0, 3), (5, 7)]);
        let b = merge(vec![(2, 6)]);
        assert_eq!(intersect(&a, &b), vec![(2, 3), (5, 6)]);
        assert_eq!(measure(&intersect(&a, &b)), 2);
    }
}
