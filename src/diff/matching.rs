//! Which step of one build is which step of the other. Vertex digests differ between builds (the
//! local context carries the session), so a step is known by its stage, its index in the stage
//! and its instruction: first all three, then stage and instruction (a step moved by an edit
//! above it); internal steps match by name. Last, what is left of a stage pairs with the step of
//! the same keyword whose instruction shares at least half its words (an edit, or a build
//! argument's value in it). What is left is new (only after) or gone (only before). A `FROM` is
//! known by its image without the digest it resolved to: the same tag pushed anew is the same
//! step, whose image changed.
//!
//! That last rule is near-linear however many steps changed: a step's candidates are found
//! through the words they share with it (only a step holding one of its rarer words can share
//! half of them), never by trying every step of its stage; where even its rarer words are in
//! hundreds of steps, the nearest of those to its index are tried.

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
    pair_counting(before, after).0
}

/// [`pair`], and how many pairs of steps the last rule compared (the work it did).
fn pair_counting(before: &[Step], after: &[Step]) -> (Vec<Pair>, usize) {
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
    pair_from_images(before, after, &mut taken, &mut found);
    let work = Alike::new(before, &taken).pair(after, &mut taken, &mut found);
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
    (out, work)
}

/// A `FROM` two stages share is one vertex named after either stage, whichever BuildKit picked
/// this time (`[builder 1/4]` in one build, `[stage-2 1/5]` in the next): the same image is the
/// same step. One lookup per `FROM`, however many stages there are.
fn pair_from_images(
    before: &[Step],
    after: &[Step],
    taken: &mut [bool],
    found: &mut [Option<(StepId, Match)>],
) {
    let mut free: HashMap<&str, Vec<StepId>> = HashMap::new();
    for b in before.iter().filter(|b| !taken[b.id]).rev() {
        if let Some((image, _)) = b.parsed.from_image() {
            free.entry(image).or_default().push(b.id);
        }
    }
    for a in after {
        let Some((image, _)) = a.parsed.from_image().filter(|_| found[a.id].is_none()) else {
            continue;
        };
        if let Some(b) = free.get_mut(image).and_then(Vec::pop) {
            taken[b] = true;
            found[a.id] = Some((b, Match::Moved));
        }
    }
}

/// Of the steps of a word that are tried for one step, at most this many on each side of its
/// index.
const NEAREST: usize = 128;

/// The before build's free Dockerfile steps by stage and keyword, each group indexed by word:
/// the last rule's candidates. Words are numbered once for both builds.
struct Alike<'s> {
    before: &'s [Step],
    words: HashMap<&'s str, u32>,
    /// Each before step's words (numbers, sorted, once each).
    of: Vec<Vec<u32>>,
    groups: HashMap<(&'s str, Option<String>), Group>,
}

#[derive(Default)]
struct Group {
    /// The group's steps holding each word, by index.
    with: HashMap<u32, Vec<(u32, StepId)>>,
}

impl<'s> Alike<'s> {
    fn new(before: &'s [Step], taken: &[bool]) -> Alike<'s> {
        let mut me = Alike {
            before,
            words: HashMap::new(),
            of: vec![Vec::new(); before.len()],
            groups: HashMap::new(),
        };
        for b in before
            .iter()
            .filter(|b| !taken[b.id] && b.parsed.is_dockerfile_step())
        {
            let words = me.words_of(b);
            let group = me.groups.entry((stage(b), keyword(b))).or_default();
            for &w in &words {
                group
                    .with
                    .entry(w)
                    .or_default()
                    .push((index(b).unwrap_or(u32::MAX), b.id));
            }
            me.of[b.id] = words;
        }
        for g in me.groups.values_mut() {
            for steps in g.with.values_mut() {
                steps.sort_unstable();
            }
        }
        me
    }

    fn words_of(&mut self, s: &'s Step) -> Vec<u32> {
        let mut w: Vec<u32> = text(s)
            .split_whitespace()
            .map(|word| {
                let next = self.words.len() as u32;
                *self.words.entry(word).or_insert(next)
            })
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// Pairs each unmatched Dockerfile step of `after` with the free step of its stage and
    /// keyword whose instruction shares the most words with its own (at least half of them);
    /// the nearest index breaks a tie. Returns the number of pairs compared.
    fn pair(
        mut self,
        after: &'s [Step],
        taken: &mut [bool],
        found: &mut [Option<(StepId, Match)>],
    ) -> usize {
        let mut work = 0;
        for a in after.iter().filter(|a| a.parsed.is_dockerfile_step()) {
            if found[a.id].is_some() {
                continue;
            }
            let mine = self.words_of(a);
            let Some(group) = self.groups.get(&(stage(a), keyword(a))) else {
                continue;
            };
            let tried = candidates(group, &mine, index(a), taken);
            work += tried.len();
            let best = tried
                .into_iter()
                .map(|b| (similarity(&mine, &self.of[b]), b))
                .filter(|(sc, _)| *sc >= 0.5)
                .max_by(|(x, b1), (y, b2)| {
                    let d = |b: StepId| distance(a, &self.before[b]);
                    x.total_cmp(y)
                        .then_with(|| d(*b2).cmp(&d(*b1)))
                        .then_with(|| b1.cmp(b2))
                });
            if let Some((_, b)) = best {
                taken[b] = true;
                found[a.id] = Some((b, Match::Changed));
            }
        }
        work
    }
}

/// The free steps of `group` that could share half of `mine`: each holds one of the words a step
/// must hold to (the rarest `|mine| - ⌈|mine|/2⌉ + 1` of them); of a word's steps, the
/// [`NEAREST`] on each side of `at`.
fn candidates(group: &Group, mine: &[u32], at: Option<u32>, taken: &[bool]) -> Vec<StepId> {
    // (A word no step of the group holds is the rarest: it stands for one that cannot be shared.)
    let none = Vec::new();
    let mut rare: Vec<(usize, &Vec<(u32, StepId)>)> = mine
        .iter()
        .map(|w| group.with.get(w).map_or((0, &none), |s| (s.len(), s)))
        .collect();
    rare.sort_unstable_by_key(|(n, _)| *n);
    let needed = mine.len() - mine.len().div_ceil(2) + 1;
    let at = at.unwrap_or(u32::MAX);
    let mut out = HashSet::new();
    for (_, steps) in rare.into_iter().take(needed) {
        let mid = steps.partition_point(|(i, _)| *i < at);
        let free = |&&(_, b): &&(u32, StepId)| !taken[b];
        out.extend(
            steps[mid..]
                .iter()
                .filter(free)
                .take(NEAREST)
                .map(|(_, b)| *b),
        );
        out.extend(
            steps[..mid]
                .iter()
                .rev()
                .filter(free)
                .take(NEAREST)
                .map(|(_, b)| *b),
        );
    }
    let mut out: Vec<StepId> = out.into_iter().collect();
    out.sort_unstable();
    out
}

/// Words in common over words in all (both lists sorted, each word once).
fn similarity(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common).max(1) as f64
}

fn distance(a: &Step, b: &Step) -> u32 {
    index(a)
        .zip(index(b))
        .map_or(u32::MAX, |(x, y)| x.abs_diff(y))
}

fn keyword(s: &Step) -> Option<String> {
    s.parsed.instruction().map(|i| i.keyword.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(names: &[String]) -> Vec<Step> {
        crate::analysis::of_names(names).steps
    }

    /// `n` steps of stage `stage`, each with its own words and `flavour` in it.
    fn build(stage: &str, n: usize, flavour: &str) -> Vec<Step> {
        let names: Vec<String> = (1..=n)
            .map(|i| format!("[{stage} {i}/{n}] RUN ./build.sh part-{i} --flavour={flavour} && echo done-{i}"))
            .collect();
        steps(&names)
    }

    #[test]
    fn every_step_changed_is_paired_with_its_own_in_near_linear_work() {
        let n = 3_000;
        let (before, after) = (build("app", n, "old"), build("app", n, "new"));
        let (pairs, work) = pair_counting(&before, &after);
        assert!(pairs.iter().all(|p| p.how == Match::Changed), "{pairs:?}");
        for p in &pairs {
            let (b, a) = (p.before.unwrap(), p.after.unwrap());
            assert_eq!(index(&before[b]), index(&after[a]));
        }
        // Trying every step of the stage for each was n² = 9,000,000 comparisons; now at most the
        // nearest of a word's steps on each side, for one common word of its four.
        assert!(work <= 2 * NEAREST * n, "{work} comparisons");
    }

    #[test]
    fn steps_only_alike_in_common_words_are_tried_near_their_index_only() {
        // Every step's words are the same four in another order: each word is in every step.
        let words = ["alpha", "beta", "gamma", "delta"];
        let names = |shift: usize| -> Vec<String> {
            let n = 2_000;
            (1..=n)
                .map(|i| {
                    let w: Vec<&str> = (0..4).map(|k| words[(i + k + shift) % 4]).collect();
                    format!("[app {i}/{n}] RUN x{} {}", i % 7, w.join(" "))
                })
                .collect()
        };
        let (before, after) = (steps(&names(0)), steps(&names(1)));
        let (pairs, work) = pair_counting(&before, &after);
        assert!(pairs
            .iter()
            .all(|p| p.how != Match::New && p.how != Match::Gone));
        assert!(work <= 2_000 * 2 * NEAREST * 3, "{work}");
    }

    #[test]
    fn builds_that_differ_in_stage_names_only_cost_nothing_to_compare() {
        let (before, after) = (build("app", 2_000, "x"), build("renamed", 2_000, "x"));
        let (pairs, work) = pair_counting(&before, &after);
        assert_eq!(work, 0);
        assert_eq!(pairs.iter().filter(|p| p.how == Match::New).count(), 2_000);
    }

    #[test]
    fn an_edit_pairs_with_the_step_most_like_it_then_the_nearest() {
        let before = steps(&[
            "[a 1/3] RUN make alpha beta".into(),
            "[a 2/3] RUN make gamma delta".into(),
            "[a 3/3] RUN make alpha beta".into(),
        ]);
        let after = steps(&[
            "[a 1/2] RUN make gamma delta epsilon".into(),
            "[a 2/2] RUN make alpha beta zeta".into(),
        ]);
        let pairs = pair(&before, &after);
        assert_eq!((pairs[0].before, pairs[0].how), (Some(1), Match::Changed));
        // Both [a 1/3] and [a 3/3] are as alike; [a 3/3] is nearer [a 2/2] (one away, as
        // [a 1/3] is): the later one, as before.
        assert_eq!(pairs[1].how, Match::Changed);
        assert_eq!(pairs.iter().filter(|p| p.how == Match::Gone).count(), 1);
    }
}
