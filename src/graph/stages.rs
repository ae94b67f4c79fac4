//! Stages and the dependencies between them, from the graph (vertex inputs), from step names
//! (`COPY --from=X`, `--mount=…,from=X`) and from the Dockerfile when given.

use std::collections::BTreeMap;

use super::intervals::{merge, Span};
use super::steps::{Step, StepId};
use crate::dockerfile::{DepKind, Dockerfile};
use crate::model::Nanos;

#[derive(Debug, Clone)]
pub struct Stage {
    /// The stage's label as in step names (`builder`, `stage-2`), with the platform in a
    /// multi-platform build where the platforms' steps differ (`builder · linux/arm64`).
    pub name: String,
    /// Position in the Dockerfile, when known (from the Dockerfile or a `stage-N` name).
    pub index: Option<usize>,
    /// Steps named after this stage, by step index.
    pub steps: Vec<StepId>,
    /// When any of its steps was active, merged.
    pub spans: Vec<Span>,
    /// Its first steps never show under its own name because BuildKit ran them once for two
    /// stages: `(other stage, how many)`. Inferred when exactly one other stage shows steps
    /// `1…k` that this stage lacks.
    pub shares: Option<(String, u32)>,
}

impl Stage {
    pub fn start(&self) -> Option<Nanos> {
        self.spans.first().map(|s| s.0)
    }
    pub fn end(&self) -> Option<Nanos> {
        self.spans.last().map(|s| s.1)
    }
}

/// How a dependency is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// A vertex input edge (the build graph itself).
    Graph,
    /// An instruction in a step name.
    StepName,
    /// The Dockerfile given with `--file`.
    Dockerfile,
}

/// `stage` needs `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub stage: String,
    pub source: String,
    pub kind: DepKind,
    /// The step of `stage` that introduces the dependency, when known.
    pub step: Option<StepId>,
    /// The Dockerfile line, when known.
    pub line: Option<usize>,
    pub evidence: Vec<Evidence>,
}

pub fn collect(steps: &[Step], dockerfile: Option<&Dockerfile>) -> Vec<Stage> {
    let mut by_name: BTreeMap<String, Stage> = BTreeMap::new();
    if let Some(df) = dockerfile {
        for s in &df.stages {
            by_name.insert(
                s.label(),
                Stage {
                    name: s.label(),
                    index: Some(s.index),
                    steps: Vec::new(),
                    spans: Vec::new(),
                    shares: None,
                },
            );
        }
    }
    for step in steps {
        let Some(name) = &step.stage else { continue };
        let stage = by_name.entry(name.to_string()).or_insert_with(|| Stage {
            name: name.to_string(),
            index: name
                .split(' ')
                .next()
                .and_then(|n| n.strip_prefix("stage-"))
                .and_then(|n| n.parse().ok()),
            steps: Vec::new(),
            spans: Vec::new(),
            shares: None,
        });
        stage.steps.push(step.id);
    }
    let mut stages: Vec<Stage> = by_name.into_values().collect();
    for stage in &mut stages {
        stage
            .steps
            .sort_by_key(|&s| (steps[s].parsed.index().map(|i| i.0), steps[s].start()));
        stage.spans = merge(
            stage
                .steps
                .iter()
                .flat_map(|&s| steps[s].spans.iter().copied())
                .collect(),
        );
    }
    let present = |st: &Stage, i: u32| {
        st.steps
            .iter()
            .any(|&s| steps[s].parsed.index().map(|x| x.0) == Some(i))
    };
    for i in 0..stages.len() {
        let first = stages[i]
            .steps
            .first()
            .and_then(|&s| steps[s].parsed.index())
            .map(|x| x.0);
        let Some(k) = first.filter(|&k| k > 1) else {
            continue;
        };
        let mut candidates: Vec<&Stage> = stages
            .iter()
            .enumerate()
            .filter(|&(j, st)| {
                j != i
                    && (1..k).all(|n| present(st, n))
                    && can_share(runs_on(steps, &stages[i]), runs_on(steps, st))
            })
            .map(|(_, st)| st)
            .collect();
        // Several stages start FROM an image: the Dockerfile says which one this stage's is.
        let base = dockerfile.and_then(|df| {
            let own = df.stages.iter().find(|d| d.label() == stages[i].name)?;
            Some(own.base.as_str())
        });
        if let (Some(base), true) = (base, candidates.len() > 1) {
            candidates.retain(|st| {
                let first = st.steps.first().and_then(|&s| steps[s].parsed.from_image());
                first.is_some_and(|(image, _)| same_image(image, base))
            });
        }
        if let [only] = candidates[..] {
            let name = only.name.clone();
            stages[i].shares = Some((name, k - 1));
        }
    }
    // Dockerfile order when every stage's place is known; otherwise by when each stage started
    // (a `stage-N` name alone does not place the named stages around it). Never-started ones last.
    if stages.iter().all(|s| s.index.is_some()) {
        stages.sort_by_key(|s| s.index);
    } else {
        stages.sort_by_key(|s| (s.start().is_none(), s.start(), s.index, s.name.clone()));
    }
    stages
}

/// The platform a stage's steps run on, as their names say (`linux/arm64`; the build platform
/// of a cross-build `linux/amd64->arm64`), when they say one.
/// Whether a step's image (`docker.io/library/node:18`) is the one a Dockerfile names (`node:18`).
fn same_image(shown: &str, named: &str) -> bool {
    let bare = |s: &str| {
        let s = s.strip_prefix("docker.io/").unwrap_or(s);
        s.strip_prefix("library/").unwrap_or(s).to_string()
    };
    bare(shown) == bare(named)
}

fn runs_on<'a>(steps: &'a [Step], stage: &Stage) -> Option<&'a str> {
    let named = stage
        .steps
        .iter()
        .find_map(|&s| steps[s].parsed.platform())?;
    Some(named.split("->").next().unwrap_or(named))
}

/// Two stages can share steps (BuildKit ran them once for both) only on one platform: a step
/// run for `linux/arm64` is never the one run for `linux/amd64`.
fn can_share(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// A stage's name as its Dockerfile says it: `builder · linux/386` is `builder`.
pub fn dockerfile_name(stage: &str) -> &str {
    stage.split(" · ").next().unwrap_or(stage)
}

/// Resolves a `--from` reference made inside `step` to a stage name: the stage of its own
/// Dockerfile (bake) and platform, else the nearest one that exists.
fn resolve(
    reference: &str,
    step: &Step,
    stages: &[Stage],
    dockerfile: Option<&Dockerfile>,
) -> Option<String> {
    let base = if let Ok(n) = reference.parse::<usize>() {
        match dockerfile {
            Some(df) => df.stages.get(n)?.label(),
            None => format!("stage-{n}"),
        }
    } else {
        reference.to_lowercase()
    };
    // The source in the same Dockerfile and on the same platform, else one they share.
    let origin = step.origin().map(|o| format!("{base} · {o}"));
    let with = |k: &Option<String>, p: Option<&str>| Some(format!("{} · {}", k.as_deref()?, p?));
    let platform = step.platform();
    let keys = [
        with(&origin, platform),
        origin.clone(),
        with(&Some(base.clone()), platform),
        Some(base),
    ];
    keys.into_iter()
        .flatten()
        .find(|k| stages.iter().any(|s| s.name == *k))
}

pub fn dependencies(
    steps: &[Step],
    stages: &[Stage],
    dockerfile: Option<&Dockerfile>,
) -> Vec<Dependency> {
    let mut deps: Vec<Dependency> = Vec::new();
    let mut add = |d: Dependency| match deps
        .iter_mut()
        .find(|e| e.stage == d.stage && e.source == d.source && e.kind == d.kind)
    {
        Some(e) => {
            for ev in d.evidence {
                if !e.evidence.contains(&ev) {
                    e.evidence.push(ev);
                }
            }
            e.step = e.step.or(d.step);
            e.line = e.line.or(d.line);
        }
        None => deps.push(d),
    };
    // In index order, so a dependency is credited to the first instruction that waits for it.
    let mut ordered: Vec<&Step> = steps.iter().collect();
    ordered.sort_by_key(|s| (s.parsed.index().map(|i| i.0), s.id));
    for step in ordered {
        let Some(stage) = step.stage.as_deref() else {
            continue;
        };
        let mut named: Vec<(String, DepKind)> = Vec::new();
        if let Some(instr) = step.parsed.flagged_instruction() {
            if let Some(src) = instr
                .copy_from()
                .and_then(|r| resolve(r, step, stages, dockerfile))
            {
                named.push((src, DepKind::CopyFrom));
            }
            for m in instr.mounts() {
                if let Some(src) = m
                    .from
                    .as_deref()
                    .and_then(|r| resolve(r, step, stages, dockerfile))
                {
                    named.push((src, DepKind::MountFrom));
                }
            }
        }
        for (source, kind) in &named {
            if source.as_str() != stage {
                add(Dependency {
                    stage: stage.to_string(),
                    source: source.clone(),
                    kind: *kind,
                    step: Some(step.id),
                    line: None,
                    evidence: vec![Evidence::StepName],
                });
            }
        }
        for &input in &step.inputs {
            let Some(source) = steps[input].stage.as_deref() else {
                continue;
            };
            // A base image two stages pulled once is shared, not a dependency.
            if source == stage || steps[input].parsed.is_from() {
                continue;
            }
            // An edge the name explains is that dependency; any other cross-stage edge means the
            // stage builds on the other one (`FROM`, or a prefix de-duplicated into it).
            let kind = named
                .iter()
                .find(|(s, _)| s == source)
                .map(|(_, k)| *k)
                .unwrap_or(DepKind::From);
            add(Dependency {
                stage: stage.to_string(),
                source: source.to_string(),
                kind,
                step: Some(step.id),
                line: None,
                evidence: vec![Evidence::Graph],
            });
        }
    }
    if let Some(df) = dockerfile {
        for d in df.dependencies() {
            add(Dependency {
                stage: df.stages[d.stage].label(),
                source: df.stages[d.source].label(),
                kind: d.kind,
                step: None,
                line: Some(d.line),
                evidence: vec![Evidence::Dockerfile],
            });
        }
    }
    deps
}

/// Which stage needs which, for asking "does X build on Y" many times.
pub struct StageGraph<'a> {
    needs: std::collections::HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> StageGraph<'a> {
    pub fn new(deps: &'a [Dependency]) -> Self {
        let mut needs: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for d in deps {
            needs
                .entry(d.stage.as_str())
                .or_default()
                .push(d.source.as_str());
        }
        StageGraph { needs }
    }

    /// Every stage `stage` depends on, directly or not (itself not included).
    pub fn upstream(&self, stage: &str) -> std::collections::HashSet<&'a str> {
        let mut seen: std::collections::HashSet<&'a str> = Default::default();
        let mut todo: Vec<&'a str> = self.needs.get(stage).cloned().unwrap_or_default();
        while let Some(s) = todo.pop() {
            if seen.insert(s) {
                todo.extend(self.needs.get(s).map_or(&[][..], |v| v.as_slice()));
            }
        }
        seen
    }

    /// Whether `upstream` is `stage` or something it depends on, directly or not.
    pub fn depends_on(&self, stage: &str, upstream: &str) -> bool {
        let mut seen: std::collections::HashSet<&str> = [stage].into();
        let mut todo: Vec<&str> = vec![stage];
        while let Some(s) = todo.pop() {
            if s == upstream {
                return true;
            }
            for &src in self.needs.get(s).map_or(&[][..], |v| v.as_slice()) {
                if seen.insert(src) {
                    todo.push(src);
                }
            }
        }
        false
    }
}
