//! Bake targets and Compose services built from different Dockerfiles: two may each have a stage
//! `builder`, and the names BuildKit sends (`[api builder 1/3]`, `[worker builder 1/3]`, the
//! target taken off) would make them one. Targets are grouped by the Dockerfile they evidently
//! share; the stages of different groups are told apart (`builder · Dockerfile.api`, or
//! `builder · website` when both services load a file named `Dockerfile`).
//!
//! Two targets loaded different Dockerfiles when their `[T internal] load build definition from
//! F` steps name different files, or when their steps contradict one Dockerfile: a stage with a
//! different number of steps (`[website builder 2/7]`, `[frontend builder 2/5]`), or the same step
//! of a stage with a different instruction. Targets with no contradiction share one (older
//! BuildKit sends a definition step per target even then), and so share its stages.
//!
//! A target's single unnamed stage shows as `[frontend 8/11]`: its name is the target's.

use std::collections::HashMap;

use super::steps::Step;
use crate::model::StepKind;

/// What a target's steps say of its Dockerfile.
#[derive(Default)]
struct Evidence {
    file: Option<String>,
    /// (stage, index) → (total, instruction text).
    steps: HashMap<(String, u32), (u32, String)>,
    /// stage → the totals its steps carry.
    totals: HashMap<String, Vec<u32>>,
}

impl Evidence {
    /// Whether these two could be one Dockerfile.
    fn agrees(&self, other: &Evidence) -> bool {
        if let (Some(a), Some(b)) = (&self.file, &other.file) {
            if a != b {
                return false;
            }
        }
        let totals_agree = self.totals.iter().all(|(stage, mine)| {
            other
                .totals
                .get(stage)
                .is_none_or(|theirs| mine.iter().any(|t| theirs.contains(t)))
        });
        totals_agree
            && self.steps.iter().all(|(key, (n, text))| {
                other
                    .steps
                    .get(key)
                    .is_none_or(|(m, t)| m != n || t == text)
            })
    }
}

/// Gives a bake target's unnamed stage its name, then sets each Dockerfile step's origin, and its
/// stage to that origin's, when the build's targets used more than one Dockerfile.
pub fn attribute(steps: &mut [Step]) {
    name_unnamed_stages(steps);
    let (order, evidence) = gather(steps);
    let groups = group(&order, &evidence);
    if groups.len() < 2 {
        return;
    }
    let labels = labels(&groups, &evidence);
    let group_of: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, ts)| ts.iter().map(move |t| (t.as_str(), g)))
        .collect();
    for s in steps.iter_mut().filter(|s| s.parsed.is_dockerfile_step()) {
        // A step several targets share belongs where its step count fits (`[builder 1/10]`
        // shared by a 10-step and an 11-step builder is the 10-step one's).
        let fits = |t: &&String| {
            let (Some(stage), Some((_, n))) = (s.stage.as_deref(), s.parsed.index()) else {
                return false;
            };
            evidence[*t].totals.get(stage).is_some_and(|ns| ns == &[n])
        };
        let target = s.targets().iter().find(fits).or(s.targets().first());
        let g = target.and_then(|t| group_of.get(t.as_str()).copied());
        let (Some(g), Some(stage)) = (g, &mut s.stage) else {
            continue;
        };
        *stage = format!("{stage} · {}", labels[g]).into();
        s.rare_mut().origin = Some(labels[g].as_str().into());
    }
}

/// `[frontend 8/11]` in a bake whose targets include `frontend`: step 8/11 of frontend's only
/// (unnamed) stage, not of a stage called `frontend`.
fn name_unnamed_stages(steps: &mut [Step]) {
    let mut targets: Vec<String> = steps.iter().flat_map(|s| s.targets().to_vec()).collect();
    targets.sort_unstable();
    targets.dedup();
    if targets.is_empty() {
        return;
    }
    for s in steps.iter_mut() {
        let named_for_target = s.targets().is_empty()
            && s.parsed.platform().is_none()
            && s.parsed
                .stage()
                .is_some_and(|st| targets.binary_search_by(|t| t.as_str().cmp(st)).is_ok());
        if named_for_target {
            let target = s.parsed.stage().unwrap_or_default().to_string();
            s.stage = Some("stage-0".into());
            s.rare_mut().targets.push(target);
        }
    }
}

/// Each target (in order of first appearance) and what its steps say of its Dockerfile.
fn gather(steps: &[Step]) -> (Vec<String>, HashMap<String, Evidence>) {
    let mut order: Vec<String> = Vec::new();
    let mut evidence: HashMap<String, Evidence> = HashMap::new();
    for s in steps {
        for t in s.targets() {
            if !evidence.contains_key(t) {
                order.push(t.clone());
            }
            let e = evidence.entry(t.clone()).or_default();
            if matches!(s.parsed.kind, StepKind::Internal) {
                if let Some(f) = s.parsed.text().strip_prefix("load build definition from ") {
                    e.file = Some(f.trim().to_string());
                }
            }
            let (Some((i, n)), Some(stage)) = (s.parsed.index(), s.stage.as_deref()) else {
                continue;
            };
            let totals = e.totals.entry(stage.to_string()).or_default();
            if !totals.contains(&n) {
                totals.push(n);
            }
            e.steps
                .entry((stage.to_string(), i))
                .or_insert_with(|| (n, s.parsed.text().to_string()));
        }
    }
    (order, evidence)
}

/// Targets grouped by the Dockerfile they can share: each joins the first group all of whose
/// members it agrees with.
fn group(order: &[String], evidence: &HashMap<String, Evidence>) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for t in order {
        let e = &evidence[t];
        let fits = |g: &Vec<String>| {
            g.iter()
                .all(|m| e.agrees(&evidence[m]) && evidence[m].agrees(e))
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some(g) => g.push(t.clone()),
            None => groups.push(vec![t.clone()]),
        }
    }
    groups
}

/// A group's label: its Dockerfile's name when no other group's has that name, else its targets.
fn labels(groups: &[Vec<String>], evidence: &HashMap<String, Evidence>) -> Vec<String> {
    let file = |g: &Vec<String>| g.iter().find_map(|t| evidence[t].file.clone());
    let files: Vec<Option<String>> = groups.iter().map(file).collect();
    groups
        .iter()
        .zip(&files)
        .map(|(g, f)| match f {
            Some(f) if files.iter().filter(|x| x.as_ref() == Some(f)).count() == 1 => f.clone(),
            _ => g.join("+"),
        })
        .collect()
}
