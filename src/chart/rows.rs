//! The chart's rows, in order: the `[internal]` group, then each stage with the rows that say it
//! ran alongside its source and its steps. Each row carries everything a view draws: its label,
//! marker, state, the time segments to paint and the words at its right.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::words::{
    alongside_label, info, internal_label, shared_note, stage_label, step_label, STALE_MARK,
};
use crate::analysis::{measure, merge, Analysis, Certainty, Red, Span, Step, StepId, StepRed};
use crate::model::{Nanos, State};

/// What stays the same for a row while the build changes (selection and folds follow it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowKey {
    Internal,
    Stage(String),
    /// `(stage, source)`.
    Alongside(String, String),
    Step(Arc<str>),
}

/// What a row stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    /// BuildKit's own steps (and any not named after a stage), as one group.
    Internal(Vec<StepId>),
    /// A stage, by its index in [`Analysis::stages`].
    Stage(usize),
    /// A stage ran alongside a source, by its index in [`Analysis::overlaps`].
    Alongside(usize),
    Step(StepId),
}

/// The mark left of a row's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `⚠`: one side of a cache mount nothing orders (or a stage holding one).
    Hazard,
    /// `»`: on the critical path.
    Critical,
    /// `◆`: in a comparison, a root cause of what re-ran.
    Cause,
    /// `∅`: read a cache that no step of the build filled (its writers were cache hits), or a
    /// stage holding such a step.
    Stale,
}

/// How a stretch of a row's bar is painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// A step's time, in its state.
    State(State),
    /// Ran alongside its COPY --from / from= source.
    Red,
    /// Could have (a plain log allows it but does not prove it).
    PossiblyRed,
    /// Waited for its mounts (a locked cache among them) before its container was made: what a
    /// build record's trace shows, drawn over the step's own time.
    Wait,
    /// In a comparison, when the same step ran in the build before (on this build's clock).
    Before,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub span: Span,
    pub paint: Paint,
}

/// One line of the chart.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: RowKey,
    pub kind: RowKind,
    /// 0 for groups (internal, stages), 1 for what is under them.
    pub depth: u8,
    /// For groups, whether their steps are shown under them.
    pub open: Option<bool>,
    pub label: String,
    pub marker: Option<Marker>,
    /// Drawn as on the critical path (a step on it, when the view shows the path).
    pub critical: bool,
    /// The state that matters most (a group's: failed, running, cancelled, waiting, done, cached).
    pub state: State,
    /// State segments first, the most important last (on top), then a lock wait, then possibly
    /// red, then red.
    pub segments: Vec<Segment>,
    /// Where to mark a bar that has no time (a cache hit).
    pub instant: Option<Nanos>,
    /// Time active (the union of its steps' runs).
    pub active: Nanos,
    /// Some of a group's steps ran and the rest wait.
    partial: bool,
    /// The build is over (a waiting step never ran).
    finished: bool,
    /// When it was active: its first start and, once over, its last end.
    pub span: Option<(Nanos, Option<Nanos>)>,
    /// Words on its bar, after its end: `⚠ took demo.mods.v1 first` on a hazard's first taker.
    pub badge: Option<String>,
    /// A remark under the row: a stage whose first steps BuildKit ran once for another stage.
    pub note: Option<String>,
}

impl Row {
    /// Time and state in words, for the right-hand column: `0.19s ✓`, `cached`, `never ran`;
    /// for a `! alongside` row, how long.
    pub fn info(&self) -> String {
        match self.kind {
            RowKind::Alongside(_) => super::words::secs(self.active),
            _ => info(self.state, self.active, self.finished, self.partial),
        }
    }

    /// When it was active, since `zero` (the build's start): `0.05s–3.80s`.
    pub fn when(&self, zero: Nanos) -> Option<String> {
        self.span.map(|(s, e)| super::words::range(zero, s, e))
    }
}

/// What a view chooses to show.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Stages folded to one row.
    pub collapsed: HashSet<String>,
    /// The `[internal]` group shows its steps.
    pub internal_open: bool,
    /// Stage rows only (no step rows at all).
    pub stages_only: bool,
    /// A `! alongside SOURCE` row under each stage that ran alongside its source.
    pub alongside_rows: bool,
    /// Mark the critical path.
    pub critical: bool,
    /// The build is over: a step still waiting never ran, and a stage with no step is left out.
    pub finished: bool,
    /// In a multi-platform build, show this platform's stages only (and the shared ones).
    pub platform: Option<String>,
    /// In a comparison: the build before, drawn under this one.
    pub ghost: Option<Arc<Ghost>>,
}

/// The build before, in a comparison (`compare` on a terminal): when each of its steps ran, on
/// this build's clock (both start at 0), by the step's name here; and the steps of this build
/// that are root causes of what re-ran.
#[derive(Debug, Clone, Default)]
pub struct Ghost {
    pub spans: HashMap<Arc<str>, Vec<Span>>,
    pub causes: HashSet<Arc<str>>,
}

impl Ghost {
    /// Its last instant (the chart's window reaches it).
    pub fn end(&self) -> Option<Nanos> {
        self.spans.values().flatten().map(|s| s.1).max()
    }

    fn of(&self, steps: &[&Step]) -> Vec<Segment> {
        let spans = steps
            .iter()
            .filter_map(|s| self.spans.get(s.name()))
            .flatten()
            .copied()
            .collect();
        merge(spans)
            .into_iter()
            .map(|span| Segment {
                span,
                paint: Paint::Before,
            })
            .collect()
    }
}

/// The rows, in order.
pub fn rows(a: &Analysis, c: &Choices) -> Vec<Row> {
    let mut out = Vec::with_capacity(a.steps.len() + a.stages.len() + 1);
    each_row(a, c, |row| out.push(row));
    out
}

/// Each row in order, made as it is handed over (a report of a huge build never holds them all).
pub fn each_row(a: &Analysis, c: &Choices, mut f: impl FnMut(Row)) {
    let ctx = Ctx::new(a, c);
    walk(a, c, |item| {
        f(match item {
            Item::Internal(ids, open) => ctx.internal_row(ids, open),
            Item::Stage(i, open) => ctx.stage_row(i, open),
            Item::Alongside(i) => ctx.alongside_row(i),
            Item::Step(id) => ctx.step_row(id),
        })
    });
}

/// How many rows [`rows`] makes, without making them.
pub fn row_count(a: &Analysis, c: &Choices) -> usize {
    let mut n = 0;
    walk(a, c, |_| n += 1);
    n
}

/// What a row will stand for, before it is made.
enum Item {
    Internal(Vec<StepId>, bool),
    Stage(usize, bool),
    Alongside(usize),
    Step(StepId),
}

/// The chart's order: the `[internal]` group, then each stage, its `! alongside` rows, its steps.
fn walk(a: &Analysis, c: &Choices, mut f: impl FnMut(Item)) {
    let internal = a.internal_steps();
    if !internal.is_empty() {
        let open = c.internal_open && !c.stages_only;
        let steps = if open { internal.clone() } else { Vec::new() };
        f(Item::Internal(internal, open));
        steps.into_iter().for_each(|id| f(Item::Step(id)));
    }
    for (i, stage) in a.stages.iter().enumerate() {
        if stage.steps.is_empty() && c.finished {
            continue;
        }
        let platform = stage.steps.first().and_then(|&s| a.steps[s].platform());
        if platform.is_some() && c.platform.is_some() && platform != c.platform.as_deref() {
            continue;
        }
        let open = !c.stages_only && !c.collapsed.contains(&stage.name) && !stage.steps.is_empty();
        f(Item::Stage(i, open));
        if c.alongside_rows {
            let overlaps = a.overlaps.iter().enumerate();
            for (oi, _) in overlaps.filter(|(_, o)| o.stage == stage.name) {
                f(Item::Alongside(oi));
            }
        }
        if open {
            stage.steps.iter().for_each(|&id| f(Item::Step(id)));
        }
    }
}

/// What every row of one chart looks up.
struct Ctx<'a> {
    a: &'a Analysis,
    c: &'a Choices,
    /// By step id: on a hazard, on the critical path, red, the cache it took first.
    hazard: Vec<bool>,
    /// By step id: reads a stale cache (the cache id).
    stale: Vec<Option<&'a str>>,
    critical: Vec<bool>,
    step_red: Vec<StepRed>,
    took_first: Vec<Option<&'a str>>,
    stage_red: HashMap<&'a str, Red>,
    /// How many bake targets the build has.
    bake_targets: usize,
}

impl<'a> Ctx<'a> {
    fn new(a: &'a Analysis, c: &'a Choices) -> Ctx<'a> {
        let n = a.steps.len();
        let mut critical = vec![false; n];
        if let Some(p) = a.critical_path.as_ref().filter(|_| c.critical) {
            p.steps.iter().for_each(|&s| critical[s] = true);
        }
        let mut hazard = vec![false; n];
        a.hazard_steps().into_iter().for_each(|s| hazard[s] = true);
        let mut stale = vec![None; n];
        for s in &a.stale {
            stale[s.reader] = stale[s.reader].or(Some(s.cache_id.as_str()));
        }
        let mut took_first = vec![None; n];
        for h in &a.hazards {
            if let Some(f) = h.first {
                took_first[f] = took_first[f].or(Some(h.cache_id.as_str()));
            }
        }
        Ctx {
            a,
            c,
            hazard,
            stale,
            critical,
            step_red: a.step_overlaps(),
            took_first,
            stage_red: a.stage_overlaps(),
            bake_targets: a.targets().len(),
        }
    }

    fn internal_row(&self, ids: Vec<StepId>, open: bool) -> Row {
        let steps: Vec<&Step> = ids.iter().map(|&id| &self.a.steps[id]).collect();
        let mut row = self.group(&steps, Vec::new(), Vec::new());
        row.label = internal_label(ids.len());
        row.open = Some(open);
        row.key = RowKey::Internal;
        row.kind = RowKind::Internal(ids);
        row
    }

    fn stage_row(&self, i: usize, open: bool) -> Row {
        let stage = &self.a.stages[i];
        let steps: Vec<&Step> = stage.steps.iter().map(|&id| &self.a.steps[id]).collect();
        let (red, maybe) = self
            .stage_red
            .get(stage.name.as_str())
            .cloned()
            .unwrap_or_default();
        let mut row = self.group(&steps, red, maybe);
        if let Some(g) = self.c.ghost.as_deref() {
            row.segments.extend(g.of(&steps));
        }
        row.label = stage_label(self.a, stage, self.bake_targets);
        row.open = Some(open);
        if stage.steps.iter().any(|&id| self.hazard[id]) {
            row.marker = Some(Marker::Hazard);
        } else if stage.steps.iter().any(|&id| self.stale[id].is_some()) {
            row.marker = Some(Marker::Stale);
        }
        row.span = stage.start().map(|s| (s, stage.end()));
        row.note = shared_note(self.a, stage);
        row.key = RowKey::Stage(stage.name.clone());
        row.kind = RowKind::Stage(i);
        row
    }

    /// A group of steps: each step's time in its own state, the one that matters most on top.
    fn group(&self, steps: &[&Step], red: Vec<Span>, maybe: Vec<Span>) -> Row {
        let state = steps
            .iter()
            .map(|s| s.state)
            .min_by_key(|&s| s.rank())
            .unwrap_or(State::Waiting);
        let mut ordered = steps.to_vec();
        ordered.sort_by_key(|s| std::cmp::Reverse(s.state.rank()));
        let mut segments: Vec<Segment> = ordered
            .iter()
            .flat_map(|s| state_segments(&s.spans, s.state))
            .collect();
        segments.extend(red_segments(&red, &maybe));
        let active = measure(&merge(
            steps.iter().flat_map(|s| s.spans.iter().copied()).collect(),
        ));
        let partial = active > 0;
        Row {
            key: RowKey::Internal,
            kind: RowKind::Internal(Vec::new()),
            depth: 0,
            open: None,
            label: String::new(),
            marker: None,
            critical: false,
            state,
            segments,
            instant: steps.iter().filter_map(|s| first_start(s)).min(),
            active,
            partial,
            finished: self.c.finished,
            span: None,
            badge: None,
            note: None,
        }
    }

    fn step_row(&self, id: StepId) -> Row {
        let s = &self.a.steps[id];
        let (red, maybe) = (&self.step_red[id].0, &self.step_red[id].1);
        let mut segments: Vec<Segment> = state_segments(&s.spans, s.state).collect();
        // A wait of a few milliseconds is mounting; only a longer one is drawn (and said).
        let waited = s
            .wait()
            .filter(|_| s.lock_wait() >= crate::analysis::WORTH_SAYING);
        segments.extend(waited.map(|span| Segment {
            span,
            paint: Paint::Wait,
        }));
        segments.extend(red_segments(red, maybe));
        let critical = self.critical[id];
        let ghost = self.c.ghost.as_deref();
        segments.extend(ghost.map_or(Vec::new(), |g| g.of(&[s])));
        let marker = if ghost.is_some_and(|g| g.causes.contains(s.name())) {
            Some(Marker::Cause)
        } else if self.hazard[id] {
            Some(Marker::Hazard)
        } else if self.stale[id].is_some() {
            Some(Marker::Stale)
        } else {
            critical.then_some(Marker::Critical)
        };
        Row {
            key: RowKey::Step(Arc::clone(s.name())),
            kind: RowKind::Step(id),
            depth: 1,
            open: None,
            label: step_label(s),
            marker,
            critical,
            state: s.state,
            segments,
            instant: first_start(s),
            active: s.active(),
            partial: false,
            finished: self.c.finished,
            span: s.start().map(|b| (b, s.end())),
            badge: (self.took_first[id])
                .filter(|_| s.end().is_some())
                .map(|cache| format!("⚠ took {cache} first"))
                .or_else(|| {
                    let cache = self.stale[id]?;
                    Some(format!("{STALE_MARK} {cache}: nothing filled it"))
                })
                .or_else(|| super::words::moved_badge(s)),
            note: None,
        }
    }

    fn alongside_row(&self, i: usize) -> Row {
        let o = &self.a.overlaps[i];
        let paint = match o.certainty {
            Certainty::Certain => Paint::Red,
            Certainty::Possible => Paint::PossiblyRed,
        };
        Row {
            key: RowKey::Alongside(o.stage.clone(), o.source.clone()),
            kind: RowKind::Alongside(i),
            depth: 1,
            open: None,
            label: alongside_label(o),
            marker: None,
            critical: false,
            state: State::Done,
            segments: o
                .spans
                .iter()
                .map(|&span| Segment { span, paint })
                .collect(),
            instant: None,
            active: o.duration,
            partial: false,
            finished: self.c.finished,
            span: None,
            badge: None,
            note: None,
        }
    }
}

fn first_start(s: &Step) -> Option<Nanos> {
    s.intervals.first().map(|i| i.start.best)
}

fn state_segments(spans: &[Span], state: State) -> impl Iterator<Item = Segment> + '_ {
    spans.iter().map(move |&span| Segment {
        span,
        paint: Paint::State(state),
    })
}

fn red_segments(red: &[Span], maybe: &[Span]) -> Vec<Segment> {
    let paint = |spans: &[Span], paint: Paint| -> Vec<Segment> {
        spans.iter().map(|&span| Segment { span, paint }).collect()
    };
    let mut out = paint(maybe, Paint::PossiblyRed);
    out.extend(paint(red, Paint::Red));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Build, Event, EventKind, LogRetention, VertexUpdate};

    /// A build of steps `(name, start ms, end ms or none while it runs, error)`.
    fn build(steps: &[(&str, i64, Option<i64>, Option<&str>)]) -> Analysis {
        let mut b = Build::new(LogRetention::default());
        for (i, (name, start, end, error)) in steps.iter().enumerate() {
            b.apply(Event {
                arrived: 0,
                kind: EventKind::Vertex(VertexUpdate {
                    digest: format!("sha256:{i}"),
                    name: Some(name.to_string()),
                    started: Some(start * 1_000_000),
                    completed: end.map(|e| e * 1_000_000),
                    error: error.map(String::from),
                    ..Default::default()
                }),
            });
        }
        Analysis::of(&b, None)
    }

    fn finished() -> Choices {
        Choices {
            finished: true,
            ..Choices::default()
        }
    }

    #[test]
    fn a_stage_row_is_active_for_the_union_of_its_steps_runs_not_their_sum() {
        // 0–100 and 50–150 overlap: 150 ms of time, though the steps ran 200 ms between them.
        let a = build(&[
            ("[s 1/2] RUN a", 0, Some(100), None),
            ("[s 2/2] RUN b", 50, Some(150), None),
        ]);
        let rows = rows(&a, &finished());
        let stage = rows.iter().find(|r| r.kind == RowKind::Stage(0)).unwrap();
        assert_eq!(stage.active, 150_000_000);
        assert_eq!(stage.info(), "0.15s ✓");
        assert_eq!(stage.span, Some((0, Some(150_000_000))));
    }

    #[test]
    fn a_group_takes_the_state_that_matters_most_and_draws_it_on_top() {
        let a = build(&[
            ("[s 1/3] RUN a", 0, Some(10), None),
            ("[s 2/3] RUN b", 10, Some(20), Some("exit code: 1")),
            ("[s 3/3] RUN c", 20, None, None),
        ]);
        let stage = rows(&a, &finished()).remove(0);
        assert_eq!(stage.state, State::Failed);
        let last = stage.segments.last().unwrap();
        assert_eq!(last.paint, Paint::State(State::Failed), "{stage:?}");
    }

    #[test]
    fn stages_only_and_a_folded_stage_leave_their_steps_out() {
        let a = build(&[
            ("[x 1/1] RUN a", 0, Some(10), None),
            ("[y 1/1] RUN b", 10, Some(20), None),
        ]);
        let labels =
            |c: &Choices| -> Vec<String> { rows(&a, c).into_iter().map(|r| r.label).collect() };
        assert_eq!(labels(&finished()), ["x", "1/1 RUN a", "y", "1/1 RUN b"]);
        let mut folded = finished();
        folded.collapsed.insert("x".into());
        assert_eq!(labels(&folded), ["x", "y", "1/1 RUN b"]);
        assert_eq!(row_count(&a, &folded), 3);
        let stages = Choices {
            stages_only: true,
            ..finished()
        };
        assert_eq!(labels(&stages), ["x", "y"]);
    }

    #[test]
    fn proven_red_is_drawn_over_possible_red() {
        let red = red_segments(&[(5, 6)], &[(1, 9)]);
        let paints: Vec<Paint> = red.iter().map(|s| s.paint).collect();
        assert_eq!(paints, [Paint::PossiblyRed, Paint::Red]);
    }

    #[test]
    fn a_ghost_ends_at_its_last_run_and_merges_a_stages_runs() {
        let mut g = Ghost::default();
        g.spans.insert("[s 1/2] RUN a".into(), vec![(0, 10)]);
        g.spans.insert("[s 2/2] RUN b".into(), vec![(5, 30)]);
        assert_eq!(g.end(), Some(30));
        let a = build(&[
            ("[s 1/2] RUN a", 0, Some(10), None),
            ("[s 2/2] RUN b", 10, Some(20), None),
        ]);
        let steps: Vec<&Step> = a.steps.iter().collect();
        let before: Vec<Span> = g.of(&steps).iter().map(|s| s.span).collect();
        assert_eq!(before, [(0, 30)]);
    }
}
