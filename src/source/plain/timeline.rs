//! Reconstructing when each step of a plain log ran.
//!
//! # Method
//!
//! A plain log has no clock times. Every instant we want (each run's start `S` and end `E`) is a
//! variable, and everything the log proves is a *difference constraint* `x_v − x_u ≤ w`:
//!
//! * **Durations.** `#N DONE d` is the printer's sum of the vertex's active time so far, printed
//!   to 0.1 s, so a run that added `Δ` lasts at least `Δ − 0.05 s` (`Δ − 0.1 s` for a later run,
//!   whose `Δ` is a difference of two rounded sums). A Dockerfile step that completed once
//!   (not `FROM`, whose image pulls run in pieces) lasts at most `Δ + 0.05 s`. `CACHED` takes no
//!   time (≤ 0.05 s).
//! * **Completion order.** The printer prints finished vertexes in order of completion, so
//!   completion lines are ordered in time as in print: `E_a ≤ E_b` for consecutive ones.
//! * **Print order.** In each print the printer writes completed vertexes first and then at most
//!   one running vertex's new lines. So a log or status line of a run happened before the next
//!   completion line printed after it (`S + t ≤ E_next` for a log line `#N t …`).
//! * **Log offsets.** `#N t text` happened `t` after its run began: the run lasted at least `t`.
//! * **The build graph, from step names.** Steps of a stage run in index order (each builds on
//!   the previous one's result), except `COPY --link`; `COPY --from=X` and `--mount=…,from=X`
//!   start after `X`'s last step; with a Dockerfile, a stage `FROM X` starts after `X`. A step
//!   waits for its input's *last* completion (a vertex that ran more than once, such as an image
//!   pulled in pieces, is ready after its last run).
//! * **The Dockerfile frontend.** It reads the Dockerfile, `.dockerignore` and every base image's
//!   metadata before it hands BuildKit any step, so every Dockerfile step starts after those
//!   (`[internal] load build definition`, `load .dockerignore`, `load metadata for …`); a `COPY`
//!   or `ADD` from the context starts after `[internal] load build context`.
//! * **Arrival (live builds only).** A line that arrived at `A` is about something that happened
//!   by `A`. A completion is printed as soon as the printer hears of it, so it happened after
//!   `A − 1 s` — an assumption (a loaded machine can stall longer), used for the earliest bounds
//!   only where it agrees with everything else, and never for proofs.
//!
//! The tightest bounds follow from shortest paths (Bellman–Ford, as the system has negative
//! weights): `earliest(x) = −dist(x → origin)`, `latest(x) = dist(origin → x)`. Whether the log
//! *proves* `x < y` is `dist(y → x) < 0`, answered later by [`Proofs`] for the overlap verdicts.
//!
//! Nothing in a saved plain log bounds how long BuildKit sat idle, so `latest` needs one stated
//! assumption: **the build lasted no longer than its longest proven chain of steps with every
//! duration at its rounding maximum** (BuildKit starts a step as soon as its inputs are ready).
//! Live builds need no such assumption: arrival times bound everything.
//!
//! The best estimate of a saved log is the earliest timeline in which every duration is its
//! printed value (`0.0 s` counts as 25 ms) and distinct completions are at least 1 ms apart. A
//! live build's is the *latest* such timeline (lines are printed as soon as the printer hears of
//! them), with a running step started by its first print. If those preferences contradict the
//! proven facts (they are not facts), fewer of them are used, down to the proven bounds alone.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::log::{Finish, PlainLog, PlainVertex, Run};
use crate::dockerfile::{DepKind, Dockerfile};
use crate::graph::{self, Dependency, Stage, Step};
use crate::model::{
    Build, Estimate, Event, EventKind, Interval, IntervalPoints, LogRetention, Nanos, PointId,
    Proofs, StepName, VertexUpdate,
};

const MS: Nanos = 1_000_000;
/// Half the precision of `DONE 1.2s` (plus a microsecond for the printer's float formatting).
const HALF: Nanos = 50 * MS + 1_000;
/// What a `0.0s` step is taken to have lasted.
const NOMINAL_ZERO: Nanos = 25 * MS;
/// A completion is printed within this of happening (live builds; a bound).
const LIVE_WINDOW: Nanos = 1_000 * MS;

/// Where a saved plain log's instants count from: no clock time is known, so the origin is an
/// arbitrary instant (the Unix epoch) and views show times relative to the build's start.
pub const RELATIVE_ORIGIN: Nanos = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// A saved log: times relative to the build's start.
    Relative,
    /// A live build started at `origin`, solved at `now`, with lines' arrival times.
    Live { origin: Nanos, now: Nanos },
}

/// The reconstruction: each vertex's runs with estimated bounds.
#[derive(Debug, Clone)]
pub struct Solved {
    pub runs: Vec<Vec<Interval>>,
    /// Each vertex's inputs in the build graph, as step names and the Dockerfile reveal them.
    pub inputs: Vec<Vec<usize>>,
    pub proofs: Arc<Proofs>,
    /// The timeline's origin (nothing happened before it).
    pub start: Nanos,
    /// Set when the log contradicts itself and only durations could be used.
    pub problem: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Set {
    /// What the log proves.
    Proven,
    /// Preferences for the best estimate.
    Nominal,
    /// Durations of runs that may hide gaps (internal steps, image pulls, several runs): taken
    /// as printed when nothing contradicts it.
    NominalLoose,
    /// A live completion was printed within [`LIVE_WINDOW`] (a loaded machine can stall longer:
    /// used for the earliest bounds only where it agrees with everything else).
    LiveWindow,
    /// Distinct completions at least 1 ms apart (so the order in print shows in the estimates).
    Strict,
    /// Preferences only about live printing delays (dropped first if they contradict).
    LiveNominal,
    /// Durations at their maximum: the longest the build could have been without idling.
    MaxDuration,
}

const ORIGIN: PointId = 0;
const END: PointId = 1;

#[derive(Default)]
struct System {
    points: usize,
    edges: Vec<(PointId, PointId, Nanos, SetTag)>,
}

type SetTag = u8;

fn tag(s: Set) -> SetTag {
    match s {
        Set::Proven => 0,
        Set::Nominal => 1,
        Set::LiveNominal => 2,
        Set::MaxDuration => 3,
        Set::NominalLoose => 4,
        Set::Strict => 5,
        Set::LiveWindow => 6,
    }
}

impl System {
    fn point(&mut self) -> PointId {
        let p = self.points as PointId;
        self.points += 1;
        if p > END {
            // Everything happens after the origin and by the end.
            self.after(Set::Proven, ORIGIN, p, 0);
            self.after(Set::Proven, p, END, 0);
        }
        p
    }

    /// `x_b ≥ x_a + gap`.
    fn after(&mut self, set: Set, a: PointId, b: PointId, gap: Nanos) {
        self.edges.push((b, a, -gap, tag(set)));
    }

    /// `x_b ≤ x_a + max`.
    fn within(&mut self, set: Set, a: PointId, b: PointId, max: Nanos) {
        self.edges.push((a, b, max, tag(set)));
    }

    fn select(&self, sets: &[Set]) -> Vec<(PointId, PointId, Nanos)> {
        let tags: Vec<SetTag> = sets.iter().map(|&s| tag(s)).collect();
        self.edges
            .iter()
            .filter(|e| tags.contains(&e.3))
            .map(|&(u, v, w, _)| (u, v, w))
            .collect()
    }
}

/// Shortest paths from `src` over `edges` (`(u, v, w)`: edge u→v); `None` on a negative cycle
/// (constraints that contradict each other).
///
/// First sweeps over the points, in their order and back: points are numbered as the log tells
/// of them, so a chain of constraints runs along the numbers one way or the other and settles in
/// a sweep or two (a queue of improved points alone re-relaxed a long chain once for each of its
/// points: a 20,000-step log took most of a minute). What the sweeps leave unsettled (a
/// contradiction, or a path that turns back and forth many times) the queue finishes from there.
fn shortest(
    n: usize,
    edges: &[(PointId, PointId, Nanos)],
    src: PointId,
    reverse: bool,
) -> Option<Vec<Option<Nanos>>> {
    let mut adj: Vec<Vec<(PointId, Nanos)>> = vec![Vec::new(); n];
    for &(u, v, w) in edges {
        if reverse {
            adj[v as usize].push((u, w));
        } else {
            adj[u as usize].push((v, w));
        }
    }
    let mut dist: Vec<Option<Nanos>> = vec![None; n];
    dist[src as usize] = Some(0);
    for _ in 0..SWEEPS {
        if !sweep(&adj, &mut dist) {
            return Some(dist);
        }
    }
    settle(&adj, dist)
}

/// How many sweeps before the queue takes over.
const SWEEPS: usize = 8;

/// One sweep over the points, forwards and back; whether any distance improved.
fn sweep(adj: &[Vec<(PointId, Nanos)>], dist: &mut [Option<Nanos>]) -> bool {
    let mut changed = false;
    for u in (0..adj.len()).chain((0..adj.len()).rev()) {
        let Some(du) = dist[u] else { continue };
        for &(v, w) in &adj[u] {
            let nd = du.saturating_add(w);
            if dist[v as usize].is_none_or(|d| nd < d) {
                dist[v as usize] = Some(nd);
                changed = true;
            }
        }
    }
    changed
}

/// Label-correcting shortest paths from distances already reached along real paths (a queue of
/// the points whose distance improved); `None` when a point improves more than `n` times.
fn settle(
    adj: &[Vec<(PointId, Nanos)>],
    mut dist: Vec<Option<Nanos>>,
) -> Option<Vec<Option<Nanos>>> {
    let n = adj.len();
    let mut queue: VecDeque<PointId> = (0..n as PointId)
        .filter(|&u| dist[u as usize].is_some())
        .collect();
    let mut queued: Vec<bool> = dist.iter().map(Option::is_some).collect();
    let mut rounds = vec![0usize; n];
    while let Some(u) = queue.pop_front() {
        queued[u as usize] = false;
        let Some(du) = dist[u as usize] else { continue };
        for &(v, w) in &adj[u as usize] {
            let nd = du.saturating_add(w);
            if dist[v as usize].is_none_or(|d| nd < d) {
                dist[v as usize] = Some(nd);
                if !queued[v as usize] {
                    rounds[v as usize] += 1;
                    if rounds[v as usize] > n {
                        return None;
                    }
                    queued[v as usize] = true;
                    queue.push_back(v);
                }
            }
        }
    }
    Some(dist)
}

/// The earliest value of every point (`−dist(x → origin)`), or `None` if the set contradicts itself.
fn earliest(n: usize, edges: &[(PointId, PointId, Nanos)]) -> Option<Vec<Nanos>> {
    let d = shortest(n, edges, ORIGIN, true)?;
    Some(d.into_iter().map(|d| d.map_or(0, |d| -d)).collect())
}

/// A step name's instruction keyword.
fn keyword(step: &StepName) -> Option<std::borrow::Cow<'static, str>> {
    step.instruction().map(|i| i.keyword)
}

/// The build's steps, stages and dependencies, as the step names tell them.
struct Structure {
    steps: Vec<Step>,
    stages: Vec<Stage>,
    dependencies: Vec<Dependency>,
}

/// Pairs `(a, b, input)`: vertex `b`'s first run starts after vertex `a` first completed, by the
/// build graph that step names (and the Dockerfile) reveal. `input`: `a`'s result is an input of
/// `b` (an edge of the build graph), not only something the frontend waited for.
fn graph_order(log: &PlainLog, dockerfile: Option<&Dockerfile>) -> Vec<(usize, usize, bool)> {
    let mut build = Build::new(LogRetention::default());
    for v in &log.vertexes {
        build.apply(Event {
            arrived: 0,
            kind: EventKind::Vertex(VertexUpdate {
                digest: v.key.clone(),
                name: Some(v.name.clone()).filter(|n| !n.is_empty()),
                ..Default::default()
            }),
        });
    }
    let steps = graph::steps(&build, None, dockerfile);
    let stages = graph::stages(&steps, dockerfile);
    let dependencies = graph::dependencies(&steps, &stages, dockerfile);
    let a = Structure {
        steps,
        stages,
        dependencies,
    };
    let vertex_of = |step: usize| a.steps[step].vertexes[0];
    let linked = |step: usize| {
        a.steps[step]
            .parsed
            .instruction()
            .is_some_and(|i| i.flags.iter().any(|(k, _)| k == "link"))
    };
    let mut out = Vec::new();
    for stage in &a.stages {
        for w in stage.steps.windows(2) {
            if !linked(w[0]) && !linked(w[1]) {
                out.push((vertex_of(w[0]), vertex_of(w[1]), true));
            }
        }
    }
    // A stage whose first steps were de-duplicated into another's continues from that one.
    for stage in &a.stages {
        let (Some((other, n)), Some(&first)) = (&stage.shares, stage.steps.first()) else {
            continue;
        };
        let prev = a.stages.iter().find(|s| &s.name == other).and_then(|s| {
            s.steps
                .iter()
                .copied()
                .find(|&x| a.steps[x].parsed.index().map(|i| i.0) == Some(*n))
        });
        if let Some(prev) = prev {
            if !linked(first) {
                out.push((vertex_of(prev), vertex_of(first), true));
            }
        }
    }
    let last_of = |name: &str| {
        a.stages
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.steps.last().copied())
    };
    for d in &a.dependencies {
        let (Some(src), target) = (
            last_of(&d.source),
            match d.kind {
                DepKind::CopyFrom | DepKind::MountFrom => d.step,
                DepKind::From => a
                    .stages
                    .iter()
                    .find(|s| s.name == d.stage)
                    .and_then(|s| s.steps.first().copied()),
                #[allow(unreachable_patterns)]
                _ => None,
            },
        ) else {
            continue;
        };
        if let Some(t) = target {
            out.push((vertex_of(src), vertex_of(t), true));
        }
    }
    // The frontend's own inputs come before any step; the context before copies from it.
    let frontend: Vec<usize> = log
        .vertexes
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            v.name.starts_with("[internal] load build definition")
                || v.name.starts_with("[internal] load .dockerignore")
                || v.name.starts_with("[internal] load metadata for ")
        })
        .map(|(i, _)| i)
        .collect();
    let context: Vec<usize> = log
        .vertexes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.name == "[internal] load build context")
        .map(|(i, _)| i)
        .collect();
    for s in &a.steps {
        if !s.parsed.is_dockerfile_step() {
            continue;
        }
        let v = vertex_of(s.id);
        out.extend(frontend.iter().map(|&f| (f, v, false)));
        let from_context = matches!(keyword(&s.parsed).as_deref(), Some("COPY" | "ADD"))
            && s.parsed
                .instruction()
                .is_some_and(|i| i.copy_from().is_none());
        if from_context {
            out.extend(context.iter().map(|&c| (c, v, true)));
        }
    }
    out.extend(after_the_solve(&a.steps).map(|(x, y)| (vertex_of(x), vertex_of(y), false)));
    out
}

/// Pairs `(a, b)` of steps: `b` runs once the build's result exists (an export, a push, the
/// cache's export; [`crate::model::after_solve`]) and `a` is a Dockerfile step of its target —
/// every one, since BuildKit exports only what it solved — or, for buildx's provenance, another
/// export of its target. A bake target's export (`[frontend] exporting to image`) waits for that
/// target's steps; one without a target in a log of several targets, for none (its own are not
/// known).
fn after_the_solve(steps: &[Step]) -> impl Iterator<Item = (usize, usize)> + '_ {
    use crate::model::after_solve;
    let targeted = steps.iter().any(|s| !s.targets().is_empty());
    let of = move |d: &Step, target: Option<&str>| match target {
        Some(t) => d.targets().iter().any(|x| x == t),
        None => !targeted,
    };
    steps
        .iter()
        .filter_map(move |e| Some((e, after_solve(&e.parsed)?)))
        .flat_map(move |(e, at)| {
            steps.iter().filter_map(move |d| {
                let before = match after_solve(&d.parsed) {
                    None => d.parsed.is_dockerfile_step() && of(d, at.target),
                    Some(other) => at.provenance && !other.provenance && other.target == at.target,
                };
                (before && d.id != e.id).then_some((d.id, e.id))
            })
        })
}

/// Vertexes the log left unfinished although a step that waited for them started, each with
/// where the first such step began (its first line). BuildKit starts a step once its inputs are
/// done, and the frontend hands it none before the metadata it reads: a printer that never
/// printed their `DONE` (BuildKit v0.8's, which leaves a pull at `#5 ...` when it switches to
/// another vertex and never comes back) did not see them finish, but they had.
pub fn finished_inputs(log: &PlainLog, dockerfile: Option<&Dockerfile>) -> Vec<(usize, u64)> {
    let open = |v: usize| log.vertexes[v].runs.last().is_some_and(|r| r.end.is_none());
    let mut out: Vec<(usize, u64)> = Vec::new();
    for (a, b, _) in graph_order(log, dockerfile) {
        let Some(started) = log.vertexes[b].runs.first().map(|r| r.first_seq) else {
            continue;
        };
        if a == b
            || !open(a)
            || log.vertexes[a]
                .runs
                .last()
                .is_some_and(|r| r.first_seq > started)
        {
            continue;
        }
        match out.iter_mut().find(|(v, _)| *v == a) {
            Some((_, seq)) => *seq = (*seq).min(started),
            None => out.push((a, started)),
        }
    }
    out
}

/// Reconstructs every run's start and end with bounds (see the module's doc for the method):
/// every fact the log states becomes a constraint, then the bounds and the best estimate are
/// the system's shortest paths.
pub fn solve(log: &PlainLog, dockerfile: Option<&Dockerfile>, clock: Clock) -> Solved {
    let mut sys = System::default();
    sys.point(); // ORIGIN
    sys.point(); // END
    let frame = Frame::of(log, clock);
    let pts = run_points(&mut sys, log);
    for (vi, v) in log.vertexes.iter().enumerate() {
        vertex_facts(&mut sys, log, &frame, &pts, vi, v);
    }
    completion_order(&mut sys, log, &pts, frame.print_order);
    let inputs = build_graph(&mut sys, log, dockerfile, &pts);
    let (lower, proven, problem) = lower_bounds(&sys, &pts);
    let best = best_timeline(&sys, frame.live, &lower, problem.is_some());
    let upper = upper_bounds(&sys, &proven, frame.live, &best, problem.is_some());
    let n = sys.points;
    Solved {
        runs: intervals(&pts, frame.base, &lower, &upper, &best),
        inputs,
        proofs: Arc::new(Proofs::new(
            n,
            &proven,
            lower,
            frame.live.is_some() || log.clock_origin.is_some(),
        )),
        start: frame.base,
        problem,
    }
}

/// Each vertex's runs as points: `(start, end)`, no end while it runs.
type Points = Vec<Vec<(PointId, Option<PointId>)>>;

/// A constraint `x_v − x_u ≤ w` as `(u, v, w)`.
type Edge = (PointId, PointId, Nanos);

/// Where times count from, and what kind of log it is.
struct Frame {
    /// The instant the solution's times count from.
    base: Nanos,
    /// A live build: how long after `base` it was solved.
    live: Option<Nanos>,
    /// The log prints vertexes in the printer's order (old logs do not: only their clock times
    /// order them).
    print_order: bool,
}

impl Frame {
    fn of(log: &PlainLog, clock: Clock) -> Frame {
        let (base, live) = match clock {
            // BuildKit ≤ v0.5 printed clock times: the log's own clock is the origin.
            Clock::Relative => (log.clock_origin.unwrap_or(RELATIVE_ORIGIN), None),
            Clock::Live { origin, now } => (origin, Some(now - origin)),
        };
        Frame {
            base,
            live,
            print_order: log.clock_origin.is_none(),
        }
    }

    /// An instant relative to `base`.
    fn rel(&self, a: Option<Nanos>) -> Option<Nanos> {
        a.map(|a| a - self.base)
    }

    /// An arrival, relative to `base`, for a live build only (a saved log's arrivals say nothing).
    fn arrived(&self, a: Option<Nanos>) -> Option<Nanos> {
        self.live.and(self.rel(a))
    }
}

fn run_points(sys: &mut System, log: &PlainLog) -> Points {
    let mut pts: Points = Vec::with_capacity(log.vertexes.len());
    for v in &log.vertexes {
        let mut runs = Vec::with_capacity(v.runs.len());
        for run in &v.runs {
            let s = sys.point();
            let e = run.end.as_ref().map(|_| sys.point());
            runs.push((s, e));
        }
        pts.push(runs);
    }
    pts
}

/// What the log says of each run of one vertex: order, clock times, durations, arrivals, lines.
fn vertex_facts(
    sys: &mut System,
    log: &PlainLog,
    frame: &Frame,
    pts: &Points,
    vi: usize,
    v: &PlainVertex,
) {
    let step = StepName::parse(&v.name);
    let tight =
        v.runs.len() == 1 && step.is_dockerfile_step() && keyword(&step).as_deref() != Some("FROM");
    let mut total = 0;
    for (ri, run) in v.runs.iter().enumerate() {
        let (s, e) = pts[vi][ri];
        if ri > 0 {
            // Runs start in order; a run that added time mostly began after the last ended.
            let (ps, pe) = pts[vi][ri - 1];
            sys.after(Set::Proven, ps, s, 0);
            if let Some(pe) = pe {
                sys.after(Set::Nominal, pe, s, 0);
            }
        }
        for (point, at) in [(Some(s), run.clock.0), (e, run.clock.1)] {
            if let (Some(p), Some(t)) = (point, frame.rel(at)) {
                sys.after(Set::Proven, ORIGIN, p, t);
                sys.within(Set::Proven, ORIGIN, p, t);
            }
        }
        if let Some(e) = e {
            sys.after(Set::Proven, s, e, 0);
            duration_facts(sys, run, (s, e), ri, tight, &mut total);
            if let Some(a) = frame.arrived(run.end.as_ref().and_then(|c| c.arrival)) {
                sys.within(Set::Proven, ORIGIN, e, a);
                sys.after(Set::LiveWindow, ORIGIN, e, a - LIVE_WINDOW);
            }
        } else if let Some(a) = frame.arrived(run.first_arrival) {
            // Still running: it had started when it was first printed.
            sys.within(Set::LiveNominal, ORIGIN, s, a);
        }
        line_facts(sys, log, frame, pts, (vi, ri), run);
    }
}

/// How long a finished run lasted: `DONE d` (the vertex's sum so far, `total`, to 0.1 s) or
/// `CACHED`.
fn duration_facts(
    sys: &mut System,
    run: &Run,
    (s, e): (PointId, PointId),
    ri: usize,
    tight: bool,
    total: &mut Nanos,
) {
    match run.end.as_ref().map(|c| &c.finish) {
        Some(Finish::Done(Some(d))) => {
            let delta = (d - *total).max(0);
            let half = if ri == 0 { HALF } else { 2 * HALF };
            sys.after(Set::Proven, s, e, (delta - half).max(0));
            // As printed, but never shorter than its own last log line.
            let logged = run.logs.iter().map(|m| m.offset).max().unwrap_or(0);
            let nominal = if delta == 0 { NOMINAL_ZERO } else { delta }.max(logged);
            sys.after(Set::Nominal, s, e, nominal);
            sys.after(Set::MaxDuration, s, e, delta + half);
            if tight {
                sys.within(Set::Proven, s, e, delta + half);
                sys.within(Set::Nominal, s, e, nominal);
            } else {
                sys.within(Set::NominalLoose, s, e, nominal);
            }
            *total = *d;
        }
        Some(Finish::Cached) => {
            sys.within(Set::Proven, s, e, HALF);
            sys.within(Set::Nominal, s, e, 0);
        }
        _ => {}
    }
}

/// A run's log and status lines: during the run (`#N t …` happened `t` after it began), by
/// their arrival (live), and before the next completion printed after them.
fn line_facts(
    sys: &mut System,
    log: &PlainLog,
    frame: &Frame,
    pts: &Points,
    (vi, ri): (usize, usize),
    run: &Run,
) {
    let (s, e) = pts[vi][ri];
    let mut before_next: HashMap<usize, Nanos> = HashMap::new();
    let next = |seq: u64| log.completions.partition_point(|c| c.0 < seq);
    // One constraint per kind, the tightest: a chatty step has thousands of lines.
    let mut longest_lag: Option<Nanos> = None;
    let mut started_by: Option<Nanos> = None;
    for m in &run.logs {
        let lag = (m.offset - m.half).max(0);
        longest_lag = longest_lag.max(Some(lag));
        let slot = before_next.entry(next(m.seq)).or_insert(lag);
        *slot = (*slot).max(lag);
        if let Some(a) = frame.arrived(m.arrival) {
            started_by = Some(started_by.map_or(a - lag, |b| b.min(a - lag)));
        }
    }
    if let (Some(e), Some(lag)) = (e, longest_lag) {
        sys.after(Set::Proven, s, e, lag);
    }
    if let Some(by) = started_by {
        sys.within(Set::Proven, ORIGIN, s, by);
    }
    for &(seq, arrival) in &run.busy {
        before_next.entry(next(seq)).or_insert(0);
        if let Some(a) = frame.arrived(arrival) {
            sys.within(Set::Proven, ORIGIN, s, a);
        }
    }
    for (idx, lag) in before_next.into_iter().filter(|_| frame.print_order) {
        let Some(&(_, cv, cr)) = log.completions.get(idx) else {
            continue;
        };
        if (cv, cr) == (vi, ri) {
            continue; // its own end: covered above
        }
        if let Some(ce) = pts[cv][cr].1 {
            sys.after(Set::Proven, s, ce, lag);
        }
    }
}

/// Completion lines are ordered in time as in print (and distinct ones, 1 ms apart, preferred).
fn completion_order(sys: &mut System, log: &PlainLog, pts: &Points, print_order: bool) {
    for w in log.completions.windows(2).filter(|_| print_order) {
        let (_, av, ar) = w[0];
        let (_, bv, br) = w[1];
        if let (Some(a), Some(b)) = (pts[av][ar].1, pts[bv][br].1) {
            sys.after(Set::Proven, a, b, 0);
            if av != bv {
                sys.after(Set::Strict, a, b, MS);
            }
        }
    }
}

/// A step starts after its inputs' last completion; returns each vertex's inputs.
fn build_graph(
    sys: &mut System,
    log: &PlainLog,
    dockerfile: Option<&Dockerfile>,
    pts: &Points,
) -> Vec<Vec<usize>> {
    let mut inputs: Vec<Vec<usize>> = vec![Vec::new(); log.vertexes.len()];
    for (a, b, input) in graph_order(log, dockerfile) {
        if input && a != b && !inputs[b].contains(&a) {
            inputs[b].push(a);
        }
        let last_end = pts[a].iter().rev().find_map(|p| p.1);
        let first_start = pts[b].first().map(|p| p.0);
        if let (Some(e), Some(s)) = (last_end, first_start) {
            if a != b {
                sys.after(Set::Proven, e, s, 0);
            }
        }
    }
    inputs
}

/// The earliest each point can be, the proven constraints that gave it, and the problem when
/// the log contradicts itself (then only what each run says of itself is kept).
fn lower_bounds(sys: &System, pts: &Points) -> (Vec<Nanos>, Vec<Edge>, Option<String>) {
    let n = sys.points;
    let mut proven = sys.select(&[Set::Proven]);
    let windowed = earliest(n, &sys.select(&[Set::Proven, Set::LiveWindow]));
    if let Some(lower) = windowed.or_else(|| earliest(n, &proven)) {
        return (lower, proven, None);
    }
    // The log contradicts this reading of it (two builds interleaved, a clock jump): keep only
    // what each run says about itself.
    let problem = "the plain log's order and durations contradict each other; its timeline is \
                   reconstructed from durations alone";
    proven.retain(|&(u, v, _)| u <= END || v <= END || same_run(pts, u, v));
    let lower = earliest(n, &proven).unwrap_or_else(|| vec![0; n]);
    (lower, proven, Some(problem.to_string()))
}

/// The best estimate: a saved log's earliest timeline with durations as printed, a live build's
/// latest one (lines are printed as soon as they can be); fewer preferences where they
/// contradict the proven facts, down to the lower bounds.
fn best_timeline(sys: &System, live: Option<Nanos>, lower: &[Nanos], problem: bool) -> Vec<Nanos> {
    use Set::{LiveNominal, Nominal, NominalLoose, Proven, Strict};
    let n = sys.points;
    let tiers: [&[Set]; 6] = [
        &[Proven, Nominal, NominalLoose, Strict, LiveNominal],
        &[Proven, Nominal, NominalLoose, Strict],
        &[Proven, Nominal, NominalLoose],
        &[Proven, Nominal, Strict],
        &[Proven, Nominal],
        // Live: the latest proven timeline still puts each line near its arrival.
        &[Proven],
    ];
    let found = match live {
        None => tiers
            .iter()
            .find_map(|sets| (!problem).then(|| earliest(n, &sys.select(sets))).flatten()),
        Some(now) => tiers.iter().find_map(|sets| {
            let mut edges = sys.select(sets);
            edges.push((ORIGIN, END, now.max(0)));
            let d = shortest(n, &edges, ORIGIN, false).filter(|_| !problem)?;
            Some(
                d.iter()
                    .zip(lower)
                    .map(|(d, &l)| d.map_or(l, |d| d.max(l)))
                    .collect::<Vec<Nanos>>(),
            )
        }),
    };
    found.unwrap_or_else(|| lower.to_vec())
}

/// The latest each point can be: a live build's by now; a saved log's under its one assumption,
/// no idle time beyond the longest chain of steps at their longest.
fn upper_bounds(
    sys: &System,
    proven: &[Edge],
    live: Option<Nanos>,
    best: &[Nanos],
    problem: bool,
) -> Vec<Option<Nanos>> {
    let n = sys.points;
    let mut upper_edges = proven.to_vec();
    match live {
        None => {
            let longest = earliest(n, &sys.select(&[Set::Proven, Set::MaxDuration]))
                .filter(|_| !problem)
                .unwrap_or_else(|| best.to_vec());
            let h = longest.iter().chain(best).copied().max().unwrap_or(0);
            upper_edges.push((ORIGIN, END, h));
        }
        Some(now) => upper_edges.push((ORIGIN, END, now.max(0))),
    }
    shortest(n, &upper_edges, ORIGIN, false).unwrap_or_else(|| vec![None; n])
}

/// Each run's start and end as estimates: bounds, and the best estimate kept within them.
fn intervals(
    pts: &Points,
    base: Nanos,
    lower: &[Nanos],
    upper: &[Option<Nanos>],
    best: &[Nanos],
) -> Vec<Vec<Interval>> {
    let estimate = |p: PointId| {
        let i = p as usize;
        let earliest = lower[i];
        let latest = upper[i].map_or(Nanos::MAX, |u| u.max(earliest));
        Estimate {
            best: base + best[i].clamp(earliest, latest),
            earliest: base + earliest,
            latest: if latest == Nanos::MAX {
                Nanos::MAX
            } else {
                base + latest
            },
        }
    };
    pts.iter()
        .map(|runs| {
            runs.iter()
                .map(|&(s, e)| Interval {
                    start: estimate(s),
                    end: e.map(estimate),
                    points: Some(IntervalPoints { start: s, end: e }),
                })
                .collect()
        })
        .collect()
}

fn same_run(pts: &Points, u: PointId, v: PointId) -> bool {
    pts.iter()
        .flatten()
        .any(|&(s, e)| (s == u && e == Some(v)) || (s == v && e == Some(u)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solved(lines: &[&str]) -> Solved {
        let mut log = PlainLog::new(false);
        for l in lines {
            log.push(l, None);
        }
        log.close();
        solve(&log, None, Clock::Relative)
    }

    /// A run's best start and end, in ms.
    fn best(s: &Solved, v: usize) -> (Nanos, Nanos) {
        let i = &s.runs[v][0];
        (i.start.best / MS, i.end.unwrap().best / MS)
    }

    /// Bellman–Ford as the textbook has it: n − 1 rounds over every edge, then one more finds
    /// a negative cycle.
    fn textbook(n: usize, edges: &[(PointId, PointId, Nanos)]) -> Option<Vec<Option<Nanos>>> {
        let mut d = vec![None; n];
        d[0] = Some(0);
        for round in 0..n {
            let mut changed = false;
            for &(u, v, w) in edges {
                if let Some(du) = d[u as usize] {
                    if d[v as usize].is_none_or(|dv: Nanos| du + w < dv) {
                        d[v as usize] = Some(du + w);
                        changed = true;
                    }
                }
            }
            if !changed {
                return Some(d);
            }
            if round == n - 1 {
                return None;
            }
        }
        Some(d)
    }

    #[test]
    fn shortest_paths_are_the_textbooks_on_any_graph_with_or_without_a_negative_cycle() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % m
        };
        let (mut cycles, mut settled) = (0, 0);
        for _ in 0..400 {
            let n = 2 + next(30) as usize;
            let edges: Vec<(PointId, PointId, Nanos)> = (0..next(4 * n as u64) + 1)
                .map(|_| {
                    let (u, v) = (next(n as u64) as PointId, next(n as u64) as PointId);
                    (u, v, next(40) as Nanos - 8)
                })
                .collect();
            let want = textbook(n, &edges);
            assert_eq!(shortest(n, &edges, 0, false), want, "{n} points: {edges:?}");
            if want.is_none() {
                cycles += 1
            } else {
                settled += 1
            }
        }
        assert!(
            cycles > 20 && settled > 20,
            "{cycles} with a cycle, {settled} without"
        );
        // A chain numbered against the sweeps' grain, longer than the sweeps alone settle.
        let n = 200;
        let chain: Vec<_> = (1..n as PointId)
            .map(|i| {
                if i % 2 == 0 {
                    (i - 1, i, 1)
                } else {
                    (i - 1, i, 2)
                }
            })
            .collect();
        let mut zigzag: Vec<_> = chain
            .iter()
            .map(|&(u, v, w)| (u * 7 % 200, v * 7 % 200, w))
            .collect();
        zigzag.sort();
        assert_eq!(shortest(n, &zigzag, 0, false), textbook(n, &zigzag));
    }

    #[test]
    fn steps_of_a_stage_follow_each_other_and_last_as_printed() {
        let s = solved(&[
            "#1 [a 1/2] RUN x",
            "#1 DONE 1.0s",
            "",
            "#2 [a 2/2] RUN y",
            "#2 DONE 0.5s",
        ]);
        assert_eq!(best(&s, 0), (0, 1000));
        assert_eq!(best(&s, 1), (1000, 1500));
        assert_eq!(s.inputs[1], [0]);
        // Printed to 0.1 s: the first run ended no sooner than 0.95 s, no later than 1.05 s.
        let end = s.runs[0][0].end.unwrap();
        assert!(
            end.earliest >= 950 * MS - 1_000 && end.earliest < 1000 * MS,
            "{end:?}"
        );
        assert_eq!(s.problem, None);
    }

    #[test]
    fn a_cache_hit_takes_no_time() {
        let s = solved(&["#1 [a 1/1] RUN x", "#1 CACHED"]);
        let (start, end) = best(&s, 0);
        assert_eq!(start, end);
        let i = &s.runs[0][0];
        assert!(i.end.unwrap().latest - i.start.earliest <= HALF);
    }

    #[test]
    fn completions_are_ordered_as_printed_and_apart() {
        // b finished after a (printed after it), though it ran for less time.
        let s = solved(&[
            "#1 [a 1/1] RUN x",
            "#1 DONE 0.2s",
            "",
            "#2 [b 1/1] RUN y",
            "#2 DONE 0.1s",
        ]);
        let (a, b) = (s.runs[0][0].end.unwrap(), s.runs[1][0].end.unwrap());
        assert!(b.best >= a.best + MS, "{a:?} {b:?}");
        assert!(b.earliest >= a.earliest, "{a:?} {b:?}");
        let (start, end) = best(&s, 1);
        assert_eq!(end - start, 100);
    }

    #[test]
    fn a_step_still_running_has_no_end() {
        let s = solved(&["#1 [a 1/1] RUN x", "#1 0.300 hello"]);
        assert!(s.runs[0][0].end.is_none());
    }
}
