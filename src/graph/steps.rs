//! Steps: what a user calls one line of the chart. Usually one vertex; the two vertexes of a
//! `COPY --link` (its weak copy and the `LINK COPY` merge, one progress group) are one step.

use std::collections::HashMap;
use std::sync::Arc;

use super::intervals::{merge, Span};
use crate::dockerfile::Dockerfile;
use crate::model::{
    progress, Build, Estimate, Few, Interval, Nanos, Progress, State, StepName, Transfer, VertexId,
    WorkKind,
};

pub type StepId = usize;

#[derive(Debug, Clone)]
pub struct Step {
    pub id: StepId,
    /// The name as BuildKit shows it (`[builder 2/3] RUN …`), parsed.
    pub parsed: Arc<StepName>,
    pub vertexes: Few<VertexId>,
    /// The stage this step is named after (with the platform first in multi-platform builds).
    pub stage: Option<Arc<str>>,
    /// Every run of every member vertex, by start (a lone vertex's own, shared).
    pub intervals: Arc<[Interval]>,
    /// The runs merged into disjoint spans (best estimates; a running one ends at the horizon).
    pub spans: Few<Span>,
    pub state: State,
    pub inputs: Few<StepId>,
    /// What few steps have, kept apart so that the many without it cost a pointer.
    rare: Option<Box<Rare>>,
}

/// A step's fields that most steps leave empty.
#[derive(Debug, Clone, Default)]
pub struct Rare {
    pub error: Option<Box<str>>,
    /// The bake targets that needed it (its vertexes'), empty outside bake.
    pub targets: Vec<String>,
    /// In a multi-platform build, the one platform it belongs to (none when shared).
    pub platform: Option<Arc<str>>,
    /// In a bake whose targets loaded different Dockerfiles, the one it comes from.
    pub origin: Option<Arc<str>>,
    /// From a build record's trace: from when its exec asked for its container to when the
    /// container was made, waiting for its mounts (a locked cache another step held, among them).
    pub wait: Option<Span>,
    /// What it moved (a pull's layers, a push, `--load`, a cache export), from its statuses.
    pub progress: Vec<Progress>,
}

impl Step {
    /// A step of these vertexes, not yet read: no runs, no inputs, waiting.
    pub fn new(id: StepId, parsed: Arc<StepName>, vertexes: Few<VertexId>) -> Step {
        Step {
            id,
            parsed,
            vertexes,
            stage: None,
            intervals: Arc::new([]),
            spans: Few::Empty,
            state: State::Waiting,
            inputs: Few::Empty,
            rare: None,
        }
    }

    /// The name as BuildKit shows it (`[builder 2/3] RUN …`).
    pub fn name(&self) -> &Arc<str> {
        self.parsed.full()
    }

    /// Its rare fields, to be set (made when first needed).
    pub fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    pub fn error(&self) -> Option<&str> {
        self.rare.as_ref()?.error.as_deref()
    }

    pub fn targets(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| &r.targets)
    }

    pub fn platform(&self) -> Option<&str> {
        self.rare.as_ref()?.platform.as_deref()
    }

    pub fn origin(&self) -> Option<&str> {
        self.rare.as_ref()?.origin.as_deref()
    }

    pub fn wait(&self) -> Option<Span> {
        self.rare.as_ref()?.wait
    }

    /// What it moved, one entry per kind of transfer (empty for most steps).
    pub fn progress(&self) -> &[Progress] {
        self.rare.as_ref().map_or(&[], |r| &r.progress)
    }

    /// What it moved of one kind.
    pub fn moved(&self, t: Transfer) -> Option<&Progress> {
        self.progress().iter().find(|p| p.transfer == t)
    }

    /// The kind of work it is: its name's ([`WorkKind::of`]), and an export that pushed is a push.
    pub fn kind(&self) -> WorkKind {
        match WorkKind::of(&self.parsed) {
            WorkKind::Export if self.moved(Transfer::Upload).is_some() => WorkKind::Push,
            k => k,
        }
    }

    /// A `FROM` that downloaded or unpacked layers, rather than only resolving its image.
    pub fn pulled(&self) -> bool {
        self.parsed.is_from()
            && (self.moved(Transfer::Download).is_some() || self.moved(Transfer::Extract).is_some())
    }

    pub fn start(&self) -> Option<Nanos> {
        self.spans
            .first()
            .map(|s| s.0)
            .or_else(|| self.intervals.first().map(|i| i.start.best))
    }

    /// When the step last finished; `None` while running or before it started.
    pub fn end(&self) -> Option<Nanos> {
        if self.is_open() {
            return None;
        }
        self.intervals
            .iter()
            .filter_map(|i| i.end.map(|e| e.best))
            .max()
    }

    /// Its first start with that estimate's bounds (exact where the log gives times).
    pub fn start_estimate(&self) -> Option<Estimate> {
        self.intervals.first().map(|i| i.start)
    }

    /// Its last end with that estimate's bounds; `None` while running (as [`Step::end`]).
    pub fn end_estimate(&self) -> Option<Estimate> {
        self.end()?;
        self.intervals
            .iter()
            .filter_map(|i| i.end)
            .max_by_key(|e| e.best)
    }

    pub fn is_open(&self) -> bool {
        self.intervals.iter().any(|i| i.end.is_none())
    }

    /// Time spent active (the union of its runs).
    pub fn active(&self) -> Nanos {
        super::intervals::measure(&self.spans)
    }

    /// How long it waited for its mounts (0 without a trace).
    pub fn lock_wait(&self) -> Nanos {
        self.wait().map_or(0, |(a, b)| (b - a).max(0))
    }

    /// When it executed: its spans without the time it waited for its mounts. The trace's clock
    /// and the progress's differ by a little: a wait that begins just after the step's start
    /// begins at it (no sliver of "execution" before the wait).
    pub fn executing(&self) -> std::borrow::Cow<'_, [Span]> {
        const SLACK: Nanos = 10_000_000;
        match self.wait().filter(|(a, b)| b > a) {
            None => std::borrow::Cow::Borrowed(&self.spans),
            Some((a, b)) => {
                let start = self.spans.first().map_or(a, |s| s.0);
                let a = if a >= start && a - start <= SLACK {
                    start
                } else {
                    a
                };
                std::borrow::Cow::Owned(super::intervals::subtract(&self.spans, (a, b)))
            }
        }
    }

    pub fn is_internal(&self) -> bool {
        !self.parsed.is_dockerfile_step()
    }
}

/// The stage of a parsed name: `builder`, or for a single-stage build (no stage in the name) the
/// Dockerfile's only stage or `stage-0`. In a multi-platform build the platform is added later,
/// from the graph (see `platforms`).
pub fn stage_key(parsed: &StepName, dockerfile: Option<&Dockerfile>) -> Option<String> {
    if !parsed.is_dockerfile_step() {
        return None;
    }
    Some(match parsed.stage() {
        Some(s) => s.to_string(),
        None => dockerfile
            .filter(|d| d.stages.len() == 1)
            .map(|d| d.stages[0].label())
            .unwrap_or_else(|| "stage-0".into()),
    })
}

/// One copy of each stage's name, shared by its steps.
fn intern(names: &mut HashMap<String, Arc<str>>, name: String) -> Arc<str> {
    Arc::clone(
        names
            .entry(name)
            .or_insert_with_key(|k| Arc::from(k.as_str())),
    )
}

/// Every run of `members`, by start: the vertex's own when it is alone and in order.
fn runs(build: &Build, members: &[VertexId]) -> Arc<[Interval]> {
    if let [one] = members {
        let own = &build.vertex(*one).intervals;
        if own.is_sorted_by_key(|i| i.start.best) {
            return Arc::clone(own);
        }
    }
    let mut all: Vec<Interval> = members
        .iter()
        .flat_map(|&v| build.vertex(v).intervals.iter().copied())
        .collect();
    all.sort_by_key(|i| i.start.best);
    all.into()
}

pub fn group(build: &Build, horizon: Option<Nanos>, dockerfile: Option<&Dockerfile>) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::with_capacity(build.vertexes().len());
    let mut of_vertex: Vec<Option<StepId>> = vec![None; build.vertexes().len()];
    let mut by_group: HashMap<&str, StepId> = HashMap::new();
    let mut stage_names = HashMap::new();
    for (vid, v) in build.vertexes().iter().enumerate() {
        if v.name().is_empty() {
            continue; // only seen through a log or status; never announced
        }
        let group = v.progress_group();
        if let Some(&sid) = group.and_then(|g| by_group.get(g.id.as_str())) {
            steps[sid].vertexes.push(vid);
            for t in v.targets() {
                if !steps[sid].targets().contains(t) {
                    steps[sid].rare_mut().targets.push(t.clone());
                }
            }
            of_vertex[vid] = Some(sid);
            continue;
        }
        let id = steps.len();
        // A group is named after its plain member (`COPY --link …`, not `LINK COPY …`).
        let parsed = match group.map(|g| &g.name).filter(|n| !n.is_empty()) {
            Some(n) => Arc::new(StepName::parse(n)),
            // The vertex's own name was parsed when it arrived.
            None => v.step.clone(),
        };
        let mut step = Step::new(id, Arc::clone(&parsed), Few::One(vid));
        step.stage = stage_key(&parsed, dockerfile).map(|k| intern(&mut stage_names, k));
        if !v.targets().is_empty() {
            step.rare_mut().targets = v.targets().to_vec();
        }
        steps.push(step);
        if let Some(g) = group {
            by_group.insert(g.id.as_str(), id);
        }
        of_vertex[vid] = Some(id);
    }
    for step in &mut steps {
        let vertexes = step.vertexes.clone();
        let members = vertexes.iter().map(|&v| build.vertex(v));
        let intervals = runs(build, &vertexes);
        step.spans = merge(
            intervals
                .iter()
                .filter_map(|i| Some((i.start.best, i.end.map(|e| e.best).or(horizon)?)))
                .collect(),
        )
        .into();
        step.intervals = intervals;
        step.state = combine(members.clone().map(|v| v.state()));
        // Only a step with a cache mount can wait for a lock; another's time before its
        // container is made is preparing its mounts, part of its running.
        let wait = members
            .clone()
            .filter_map(|v| v.exec())
            .map(|x| (x.started, x.created))
            .max_by_key(|(a, b)| b - a)
            .filter(|_| has_cache_mount(&step.parsed));
        if wait.is_some() {
            step.rare_mut().wait = wait;
        }
        if let Some(e) = members.clone().find_map(|v| v.error()) {
            step.rare_mut().error = Some(Box::from(e));
        }
        if members.clone().any(|v| !v.statuses().is_empty()) {
            let moved = progress(members.clone().flat_map(|v| v.statuses()));
            if !moved.is_empty() {
                step.rare_mut().progress = moved;
            }
        }
        let mut inputs: Vec<StepId> = members
            .flat_map(|v| v.inputs.iter())
            .filter_map(|&d| build.vertex_with(d).and_then(|vid| of_vertex[vid]))
            .filter(|&s| s != step.id)
            .collect();
        inputs.sort_unstable();
        inputs.dedup();
        step.inputs = inputs.into();
    }
    steps
}

/// Whether a step mounts a cache (`RUN --mount=type=cache,…`): the one mount another step can
/// hold locked.
fn has_cache_mount(parsed: &StepName) -> bool {
    parsed
        .flagged_instruction()
        .is_some_and(|i| i.mounts().iter().any(|m| m.cache_id().is_some()))
}

/// The state of a step made of several vertexes.
fn combine(states: impl Iterator<Item = State>) -> State {
    let all: Vec<State> = states.collect();
    let any = |s: State| all.contains(&s);
    if any(State::Failed) {
        State::Failed
    } else if any(State::Cancelled) {
        State::Cancelled
    } else if any(State::Running) {
        State::Running
    } else if all.iter().all(|s| *s == State::Cached) {
        State::Cached
    } else if all.iter().all(|s| *s == State::Waiting) {
        State::Waiting
    } else if any(State::Waiting) {
        // One part ran, another has not started yet: the step as a whole is under way.
        State::Running
    } else {
        State::Done
    }
}

/// The label a step goes by in every view and sentence: the display vocabulary offers it as
/// [`crate::chart::short_name`]; it is defined here, with the step, because the analysis's
/// sentences (a hazard's explanation and fix) name steps too.
///
/// `[builder 2/3]`: the bracket part of a Dockerfile step's name; other steps' whole name. A step
/// of one platform in a multi-platform build says which (`[linux/386 builder 2/3]`), as BuildKit
/// does for only some of them, and one of a bake whose targets loaded different Dockerfiles its
/// target (`[api builder 2/2]`).
pub fn short_name(s: &Step) -> String {
    let short = match s.name().find(']') {
        Some(i) if s.parsed.is_dockerfile_step() => s.name()[..=i].to_string(),
        _ => s.name().to_string(),
    };
    let short = match (s.platform(), short.strip_prefix('[')) {
        (Some(p), Some(rest)) if !short.contains(p) => format!("[{p} {rest}"),
        _ => short,
    };
    // Stages of different Dockerfiles in one bake: named with the target, as bake does.
    match (s.origin(), s.targets().first(), short.strip_prefix('[')) {
        (Some(_), Some(t), Some(rest)) => format!("[{t} {rest}"),
        _ => short,
    }
}
