//! Which step of one build is which step of the other. Vertex digests differ between builds (the
//! local context carries the session), so a step is known by its stage, its index in the stage
//! and its instruction: first all three, then stage and instruction (a step moved by an edit
//! above it); internal steps match by name. Last, what is left of a stage pairs with the step of
//! the same keyword whose instruction shares at least half its words (an edit, or a build
//! argument's value in it). What is left is new (only after) or gone (only before). A `FROM` is
//! known by its image without the digest it resolved to: the same tag pushed anew is the same
//! step, whose image changed.

use std::collections::{HashMap, HashSet};

use crate::graph::{Step, StepId};

/// How two matched steps relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Same stage, index and instruction.
    Same,
    /// Same stage and instruction at another index (a step added or removed above it).
    Moved,
    /// Same stage and keyword, an instruction much like it (an edit, or a build argument in it).
    Changed,
    /// Only in the build after.
    New,
    /// Only in the build before.
    Gone,
}

/// One step of either build, and its counterpart in the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub before: Option<StepId>,
    pub after: Option<StepId>,
    pub how: Match,
}

fn stage(s: &Step) -> &str {
    s.stage.as_deref().unwrap_or("")
}

fn index(s: &Step) -> Option<u32> {
    s.parsed.index().map(|(i, _)| i)
}

fn text(s: &Step) -> &str {
    if let Some((image, Some(_))) = s.parsed.from_image() {
        // `FROM x:1@sha256:…` → `x:1`: the digest is what it resolved to, not the instruction.
        image
    } else if s.parsed.is_dockerfile_step() {
        s.parsed.text()
    } else {
        s.name()
    }
}

/// What a rule matches steps by.
type Key = fn(&Step) -> String;

/// Every step of both builds, paired: the after build's order, then what is gone.
pub fn pair(before: &[Step], after: &[Step]) -> Vec<Pair> {
    let mut taken = vec![false; before.len()];
    let mut found: Vec<Option<(StepId, Match)>> = vec![None; after.len()];
    let rules: [(Match, Key); 2] = [
        (Match::Same, |s| {
            format!("{}\0{:?}\0{}", stage(s), index(s), text(s))
        }),
        (Match::Moved, |s| format!("{}\0{}", stage(s), text(s))),
    ];
    for (how, key) in rules {
        let mut free: HashMap<String, Vec<StepId>> = HashMap::new();
        for s in before.iter().filter(|s| !taken[s.id]).rev() {
            free.entry(key(s)).or_default().push(s.id);
        }
        for a in after {
            if found[a.id].is_some() {
                continue;
            }
            if let Some(b) = free.get_mut(&key(a)).and_then(Vec::pop) {
                taken[b] = true;
                found[a.id] = Some((b, how));
            }
        }
    }
    // A `FROM` two stages share is one vertex named after either stage, whichever BuildKit
    // picked this time (`[builder 1/4]` in one build, `[stage-2 1/5]` in the next): the same
    // image is the same step.
    for a in after {
        let Some((image, _)) = a.parsed.from_image().filter(|_| found[a.id].is_none()) else {
            continue;
        };
        let same =
            |b: &&Step| !taken[b.id] && b.parsed.from_image().is_some_and(|(i, _)| i == image);
        if let Some(b) = before.iter().find(same) {
            taken[b.id] = true;
            found[a.id] = Some((b.id, Match::Moved));
        }
    }
    for a in after.iter().filter(|a| a.parsed.is_dockerfile_step()) {
        if found[a.id].is_none() {
            if let Some(b) = most_like(before, &taken, a) {
                taken[b] = true;
                found[a.id] = Some((b, Match::Changed));
            }
        }
    }
    let mut out: Vec<Pair> = after
        .iter()
        .map(|a| match found[a.id] {
            Some((b, how)) => Pair {
                before: Some(b),
                after: Some(a.id),
                how,
            },
            None => Pair {
                before: None,
                after: Some(a.id),
                how: Match::New,
            },
        })
        .collect();
    out.extend(before.iter().filter(|b| !taken[b.id]).map(|b| Pair {
        before: Some(b.id),
        after: None,
        how: Match::Gone,
    }));
    out
}

/// The free step of the same stage and keyword whose instruction shares the most words with
/// `a`'s (at least half of them); the nearest index breaks a tie.
fn most_like(before: &[Step], taken: &[bool], a: &Step) -> Option<StepId> {
    let words =
        |s: &Step| -> HashSet<String> { text(s).split_whitespace().map(str::to_string).collect() };
    let keyword = |s: &Step| s.parsed.instruction().map(|i| i.keyword.clone());
    let mine = words(a);
    let score = |b: &Step| {
        let theirs = words(b);
        let common = mine.intersection(&theirs).count();
        common as f64 / mine.union(&theirs).count().max(1) as f64
    };
    let distance = |b: &Step| {
        index(a)
            .zip(index(b))
            .map_or(u32::MAX, |(x, y)| x.abs_diff(y))
    };
    before
        .iter()
        .filter(|b| !taken[b.id] && stage(b) == stage(a) && keyword(b) == keyword(a))
        .map(|b| (score(b), b))
        .filter(|(sc, _)| *sc >= 0.5)
        .max_by(|(x, b1), (y, b2)| x.total_cmp(y).then_with(|| distance(b2).cmp(&distance(b1))))
        .map(|(_, b)| b.id)
}
