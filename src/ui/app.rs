//! The screen's state and everything that changes it: events arriving (live, or paced by the
//! replay clock), actions from keys and the mouse, the clock. The state is held in parts that
//! keep their own fields — the replay clock ([`Replay`]), the rows and selection ([`RowList`]),
//! the time window ([`TimeWindow`]), the log pane ([`LogPane`]) — and [`App::handle`] dispatches
//! to them. Drawing is elsewhere (`view`) and only reads this; the layout it drew is recorded
//! here ([`App::drawn`]) and mouse clicks are resolved against it.

use std::time::{Duration, Instant};

use super::keys::Action;
use super::layout::{self, Areas};
use super::logpane::LogPane;
use super::rows::RowList;
use super::window::TimeWindow;
use crate::analysis::{Analysis, StepId};
use crate::chart::words::step_facts;
use crate::chart::{Row, RowKind};
use crate::diff::{Diff, Side};
use crate::dockerfile::Dockerfile;
use crate::model::{Build, Event, LogLine, LogRetention, Nanos, State};
pub use crate::source::replay::Replay;

/// Where the events come from, and that source's own state.
#[derive(Debug)]
pub enum Mode {
    Live(Live),
    Replay(Replay),
}

#[derive(Debug, Default)]
pub struct Live {
    /// The child's exit code, once it exited.
    pub exit: Option<i32>,
    /// Quit was asked for while the build ran: it is being cancelled.
    pub cancelling: bool,
    /// Newest build time seen and when we saw it: the live edge moves on from there, so the chart
    /// runs on the daemon's clock, whatever ours says.
    anchor: Option<(Nanos, Instant)>,
}

/// What the loop around the app must do after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Leave (cancelling a running build first).
    Quit,
    /// Re-open the replay's input from the start.
    Restart,
}

pub struct App {
    /// What is shown: the Dockerfile or the log's name.
    pub name: String,
    /// A title line (demos).
    pub title: Option<String>,
    pub build: Build,
    pub dockerfile: Option<Dockerfile>,
    pub analysis: Analysis,
    pub mode: Mode,
    pub color: bool,
    pub rows: RowList,
    pub window: TimeWindow,
    pub log: LogPane,
    help: bool,
    /// Frames drawn: animates running bars.
    frame: u64,
    /// The terminal's size.
    size: (u16, u16),
    /// The areas last drawn.
    layout: Option<Areas>,
    /// A short note for the status line (e.g. why a key did nothing) and when it was set.
    note: Option<(String, Instant)>,
    dirty: bool,
    /// The `now` the analysis was made at.
    analysed_at: Option<Nanos>,
    retention: LogRetention,
    clock: Instant,
    /// `compare` on a terminal: the build before, under this one.
    pub compare: Option<Box<Comparing>>,
    /// Why the recording stopped (a full disk): said on the status line while the build runs.
    pub recording_failed: Option<String>,
}

/// A comparison on the chart: the build before drawn under each row of this one (the upper
/// half of a cell before, the lower half after), its root causes marked, and what the details
/// pane says of each step.
#[derive(Debug, Default)]
pub struct Comparing {
    pub ghost: std::sync::Arc<crate::chart::Ghost>,
    /// By step name: before and after, the change, and why it ran.
    pub facts: std::collections::HashMap<std::sync::Arc<str>, Vec<String>>,
}

impl Comparing {
    /// The build before on the after build's clock (both from 0), the root causes marked, and
    /// what the details pane says of each step.
    pub fn of(d: &Diff, b: &Side, a: &Side) -> Comparing {
        use std::sync::Arc;
        let shift = a.a.start.unwrap_or(0) - b.a.start.unwrap_or(0);
        let mut ghost = crate::chart::Ghost::default();
        for s in &d.steps {
            let (Some(bi), Some(ai)) = (s.pair.before, s.pair.after) else {
                continue;
            };
            let spans = b.a.steps[bi]
                .spans
                .iter()
                .map(|x| (x.0 + shift, x.1 + shift));
            ghost
                .spans
                .insert(Arc::clone(a.a.steps[ai].name()), spans.collect());
        }
        for (s, _) in d.root_causes() {
            if let Some(ai) = s.pair.after {
                ghost.causes.insert(Arc::clone(a.a.steps[ai].name()));
            }
        }
        Comparing {
            ghost: Arc::new(ghost),
            facts: step_facts(d, b.a, a.a).into_iter().collect(),
        }
    }
}

impl App {
    pub fn new(name: String, dockerfile: Option<Dockerfile>, mode: Mode) -> App {
        let retention = LogRetention::default();
        let build = Build::new(retention);
        let analysis = Analysis::of(&build, dockerfile.as_ref());
        App {
            name,
            title: None,
            build,
            dockerfile,
            analysis,
            mode,
            color: true,
            rows: RowList::default(),
            window: TimeWindow::default(),
            log: LogPane::default(),
            help: false,
            frame: 0,
            size: (80, 24),
            layout: None,
            note: None,
            dirty: true,
            analysed_at: None,
            retention,
            clock: Instant::now(),
            compare: None,
            recording_failed: None,
        }
    }

    pub fn frame(&self) -> u64 {
        self.frame
    }

    pub fn help_open(&self) -> bool {
        self.help
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_ref().map(|n| n.0.as_str())
    }

    /// The terminal changed size.
    pub fn resize(&mut self, w: u16, h: u16) {
        self.size = (w, h);
        self.layout = None;
        self.dirty = true;
    }

    /// The view drew a frame into `areas`: mouse clicks and paging use them from now on.
    pub fn drawn(&mut self, areas: Areas) {
        self.layout = Some(areas);
        self.frame += 1;
    }

    /// The areas on screen: as last drawn, else as they will be.
    fn areas(&self) -> Areas {
        let drawn = self
            .layout
            .filter(|l| l.details.is_some() == self.log.is_open());
        let size = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        drawn.unwrap_or_else(|| layout::areas(size, self.log.is_open()))
    }

    /// Whether the loop should hand us more events now (a replay holds only so many ahead).
    pub fn wants_events(&self) -> bool {
        match &self.mode {
            Mode::Live(_) => true,
            Mode::Replay(r) => r.wants_events(),
        }
    }

    /// An event from the source: applied now (live) or queued for the replay clock.
    pub fn push(&mut self, event: Event) {
        let event = match &mut self.mode {
            Mode::Replay(r) => r.offer(event),
            Mode::Live(_) => Some(event),
        };
        let Some(event) = event else { return };
        self.build.apply(event);
        self.dirty = true;
        if let (Mode::Live(live), Some((_, last))) = (&mut self.mode, self.build.time_range()) {
            if live.anchor.is_none_or(|(t, _)| last > t) {
                live.anchor = Some((last, Instant::now()));
            }
        }
    }

    /// The source has no more events.
    pub fn input_ended(&mut self) {
        if let Mode::Replay(r) = &mut self.mode {
            r.end_input();
        }
        self.dirty = true;
    }

    /// The live build's process exited.
    pub fn child_exited(&mut self, code: i32) {
        if let Mode::Live(l) = &mut self.mode {
            l.exit = Some(code);
            l.cancelling = false;
        }
        self.dirty = true;
    }

    /// The build is being cancelled (the user asked to quit while it ran).
    pub fn cancelling(&mut self) {
        if let Mode::Live(l) = &mut self.mode {
            l.cancelling = true;
        }
    }

    /// Advances the clock to `now`: a replay releases the events it has reached.
    pub fn tick(&mut self, now: Instant) {
        self.clock = now;
        if let Mode::Replay(r) = &mut self.mode {
            let (build, dirty) = (&mut self.build, &mut self.dirty);
            r.tick(now, |e| {
                build.apply(e);
                *dirty = true;
            });
        }
        if let Some((_, t)) = &self.note {
            if now.saturating_duration_since(*t) > Duration::from_secs(4) {
                self.note = None;
            }
        }
    }

    /// The build time the chart is drawn at: running bars reach it. `None` once the build is over.
    pub fn now(&self) -> Option<Nanos> {
        match &self.mode {
            Mode::Live(l) if l.exit.is_some() || self.build.ended().is_some() => None,
            Mode::Live(l) => {
                let (t, at) = l.anchor?;
                Some(t + self.clock.saturating_duration_since(at).as_nanos() as Nanos)
            }
            Mode::Replay(r) if r.finished() => None,
            Mode::Replay(r) => r.position(),
        }
    }

    /// Whether the build (or its replay) is over: no more change will come.
    pub fn finished(&self) -> bool {
        match &self.mode {
            Mode::Live(l) => l.exit.is_some() && self.build.ended().is_some(),
            Mode::Replay(r) => r.finished(),
        }
    }

    /// Recomputes the analysis and the rows when something changed (or time moved for a running
    /// step). Call before drawing.
    pub fn refresh(&mut self) {
        let now = self.now();
        // Time only matters to running steps (their bars end at `now`); a paused replay's clock
        // stands still.
        let moved = now != self.analysed_at && self.analysis.steps.iter().any(|s| s.is_open());
        if !self.dirty && !moved {
            return;
        }
        self.dirty = false;
        self.analysed_at = now;
        self.analysis = Analysis::at(&self.build, self.dockerfile.as_ref(), now);
        self.rebuild_rows();
    }

    /// Marks the analysis stale (after changing the Dockerfile, tests).
    pub fn invalidate(&mut self) {
        self.dirty = true;
    }

    fn rebuild_rows(&mut self) {
        let visible = self.visible_rows();
        self.rows.rebuild(&self.analysis, self.finished(), visible);
        self.refresh_log();
    }

    /// Rows the chart can show at the current size.
    pub fn visible_rows(&self) -> usize {
        self.areas().chart.height.max(1) as usize
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.selected_row()
    }

    /// The selected step's log lines (both streams, in arrival order).
    pub fn log_lines(&self) -> &[LogLine] {
        self.log.lines(self.rows.selected_key())
    }

    fn refresh_log(&mut self) {
        let step = match self.rows.selected_row() {
            Some(Row {
                key,
                kind: RowKind::Step(id),
                ..
            }) => self.analysis.steps.get(*id).map(|s| (key, s)),
            _ => None,
        };
        self.log.refresh(&self.build, step);
    }

    fn select(&mut self, i: usize) {
        if self.rows.select(i, self.visible_rows()) {
            self.log.reset();
        }
        self.refresh_log();
    }

    /// Applies an action; returns what the surrounding loop must do.
    pub fn handle(&mut self, action: Action) -> Effect {
        if self.help && !matches!(action, Action::Quit | Action::Help | Action::Back) {
            // Any other key closes the help and does its own job.
            self.help = false;
        }
        let visible = self.visible_rows();
        let selected = self.rows.selected();
        match action {
            Action::Up => self.select(selected.saturating_sub(1)),
            Action::Down => self.select(selected + 1),
            Action::PageUp => self.select(selected.saturating_sub(visible)),
            Action::PageDown => self.select(selected + visible),
            Action::Top => self.select(0),
            Action::Bottom => self.select(self.rows.rows().len().saturating_sub(1)),
            Action::Toggle | Action::ToggleAll => self.fold(action == Action::Toggle),
            Action::NextHazard => self.jump_hazard(true),
            Action::PrevHazard => self.jump_hazard(false),
            Action::CriticalPath => self.toggle_critical(),
            Action::Platform => self.next_platform(),
            Action::PanLeft | Action::PanRight | Action::ZoomIn | Action::ZoomOut => {
                self.move_window(action)
            }
            Action::Fit => self.window.fit(),
            Action::Follow => self.window.follow(self.window()),
            Action::Details | Action::LogUp | Action::LogDown | Action::LogFollow => {
                self.log_action(action)
            }
            Action::Pause | Action::Step | Action::Faster | Action::Slower => {
                self.replay_action(action)
            }
            Action::Restart => return self.restart_asked(),
            Action::Help => self.help = !self.help,
            Action::Back if self.help => self.help = false,
            Action::Back => self.log.close(),
            Action::Quit => return Effect::Quit,
            // The loop suspends every screen itself.
            Action::Suspend => {}
        }
        Effect::None
    }

    /// Folds or unfolds the selected group (`one`), or all of them.
    fn fold(&mut self, one: bool) {
        let visible = self.visible_rows();
        if one {
            self.rows.toggle(&self.analysis, visible);
        } else {
            self.rows.toggle_all(&self.analysis, visible);
        }
        self.refresh_log();
    }

    fn toggle_critical(&mut self) {
        self.rows.toggle_critical();
        if self.rows.critical() && self.analysis.critical_path.is_none() {
            self.say("no critical path yet: no step has finished");
        }
        self.rebuild_rows();
    }

    fn next_platform(&mut self) {
        let platforms = self.analysis.platforms();
        if platforms.len() < 2 {
            self.say("one platform: nothing to choose (P is for multi-platform builds)");
            return;
        }
        let said = match self.rows.next_platform(&platforms) {
            Some(p) => format!("{p} only (P: the next platform)"),
            None => "every platform".to_string(),
        };
        self.say(&said);
        self.rebuild_rows();
    }

    fn move_window(&mut self, action: Action) {
        let window = self.window();
        let start = self.analysis.start.unwrap_or(0);
        let factor = match action {
            Action::PanLeft => return self.window.pan(-1, window, start),
            Action::PanRight => return self.window.pan(1, window, start),
            Action::ZoomIn => 1.0 / 1.5,
            _ => 1.5,
        };
        let a = &self.analysis;
        let total = a.start.zip(a.end).map_or(0, |(s, e)| e - s);
        // Zoom around the selected row's start when it is visible, else the window's centre.
        let centre = self
            .selected_row()
            .and_then(|r| match r.kind {
                RowKind::Step(id) => a.steps[id].start(),
                RowKind::Stage(i) => a.stages[i].start(),
                RowKind::Internal(_) | RowKind::Alongside(_) => None,
            })
            .filter(|&t| t >= window.0 && t < window.1)
            .unwrap_or(window.0 + (window.1 - window.0) / 2);
        self.window.zoom(factor, window, start, total, centre);
    }

    fn log_action(&mut self, action: Action) {
        match action {
            Action::Details => self.log.toggle(),
            Action::LogUp => {
                let page = self.log_page();
                self.log.back(page);
            }
            Action::LogDown => self.log.forward(self.log_page()),
            _ => self.log.follow(),
        }
        self.layout = None;
        self.refresh_log();
        // The pane takes room from the chart: keep the selection in view.
        let (selected, visible) = (self.rows.selected(), self.visible_rows());
        self.rows.select(selected, visible);
    }

    fn replay_action(&mut self, action: Action) {
        let Mode::Replay(r) = &mut self.mode else {
            return self.say("pause, step, restart and speed are for replays");
        };
        let said = match action {
            Action::Pause => {
                r.set_paused(!r.paused());
                None
            }
            Action::Step => {
                r.step();
                None
            }
            Action::Faster => Some(speed_label(r.faster())),
            _ => Some(speed_label(r.slower())),
        };
        if let Some(speed) = said {
            self.say(&format!("speed {speed}"));
        }
        if action == Action::Step {
            self.tick(self.clock);
        }
    }

    fn restart_asked(&mut self) -> Effect {
        match &self.mode {
            Mode::Replay(r) if r.restartable() => return Effect::Restart,
            Mode::Replay(_) => self.say("cannot restart: the log came from standard input"),
            Mode::Live(_) => self.say("restart is for replays"),
        }
        Effect::None
    }

    pub fn say(&mut self, msg: &str) {
        self.note = Some((msg.to_string(), self.clock));
    }

    /// Resets to an empty build for a replay that starts again.
    pub fn restart(&mut self) {
        self.build = Build::new(self.retention);
        if let Mode::Replay(r) = &mut self.mode {
            r.restart();
        }
        self.log.clear();
        self.dirty = true;
    }

    fn log_page(&self) -> usize {
        self.areas()
            .details
            .map_or(10, |d| d.height.saturating_sub(6) as usize)
    }

    /// Steps to visit with n/N: both sides of every cache hazard, the readers of a stale cache,
    /// and every step that ran alongside its stage's COPY --from source.
    pub fn hazard_steps(&self) -> Vec<StepId> {
        let a = &self.analysis;
        let mut ids = a.hazard_steps();
        ids.extend(a.stale_readers());
        ids.extend(
            a.overlaps
                .iter()
                .flat_map(|o| o.pairs.iter().map(|p| p.step)),
        );
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn jump_hazard(&mut self, forward: bool) {
        let targets = self.hazard_steps();
        if targets.is_empty() {
            return self.say("no race and no cache hazard (yet)");
        }
        let visible = self.visible_rows();
        self.rows.jump(&self.analysis, &targets, forward, visible);
        self.log.reset();
        self.refresh_log();
    }

    /// The visible time window `[t0, t1)` (absolute build times).
    pub fn window(&self) -> (Nanos, Nanos) {
        let a = &self.analysis;
        let ghost_end = self.compare.as_ref().and_then(|c| c.ghost.end());
        self.window
            .window(a.start, a.end.max(ghost_end), !self.finished())
    }

    /// Shows `c` on the chart: the build before under this one.
    pub fn set_compare(&mut self, c: Comparing) {
        self.rows.set_ghost(Some(std::sync::Arc::clone(&c.ghost)));
        self.compare = Some(Box::new(c));
        self.dirty = true;
    }

    /// A mouse click on chart row `row` (0 = the first visible one): selects it; a second click
    /// on a group folds or unfolds it.
    pub fn click_row(&mut self, row: usize) {
        let i = self.rows.offset() + row;
        let Some(r) = self.rows.rows().get(i) else {
            return;
        };
        if i == self.rows.selected() && !matches!(r.kind, RowKind::Step(_)) {
            self.handle(Action::Toggle);
        } else {
            self.select(i);
        }
    }

    /// Counts for the status line.
    pub fn progress(&self) -> (usize, usize, usize) {
        let steps = &self.analysis.steps;
        let finished = steps
            .iter()
            .filter(|s| !matches!(s.state, State::Waiting | State::Running))
            .count();
        let cached = steps.iter().filter(|s| s.state == State::Cached).count();
        (finished, steps.len(), cached)
    }

    /// Wheel: moves the selection over the chart, scrolls the log over the details pane.
    /// Click: selects a row (a second click on a stage expands or collapses it).
    pub fn handle_mouse(&mut self, m: crossterm::event::MouseEvent) {
        use crossterm::event::{MouseButton, MouseEventKind};
        let areas = self.areas();
        let pos = ratatui::layout::Position::new(m.column, m.row);
        let in_details = areas.details.is_some_and(|d| d.contains(pos));
        match m.kind {
            MouseEventKind::ScrollDown if in_details => self.log.forward(3),
            MouseEventKind::ScrollUp if in_details => self.log.scroll_back(3, self.log_page()),
            MouseEventKind::ScrollDown => _ = self.handle(Action::Down),
            MouseEventKind::ScrollUp => _ = self.handle(Action::Up),
            MouseEventKind::Down(MouseButton::Left) if areas.chart.contains(pos) => {
                self.help = false;
                self.click_row((m.row - areas.chart.y) as usize);
            }
            _ => {}
        }
    }
}

pub fn speed_label(speed: f64) -> String {
    if speed == 0.0 {
        "instant".into()
    } else if speed >= 1.0 {
        format!("{}×", speed)
    } else {
        format!("1/{}×", (1.0 / speed).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, VertexUpdate};

    /// A live app that was given steps `(name, cached, finished)`, one after another.
    fn app(steps: &[(&str, bool, bool)]) -> App {
        let mut app = App::new("t".into(), None, Mode::Live(Live::default()));
        for (i, &(name, cached, finished)) in steps.iter().enumerate() {
            let t = i as i64 * 1_000_000;
            app.push(Event {
                arrived: t,
                kind: EventKind::Vertex(VertexUpdate {
                    digest: format!("sha256:{i}"),
                    name: Some(name.into()),
                    started: Some(t),
                    completed: finished.then_some(t + 500_000),
                    cached,
                    ..Default::default()
                }),
            });
        }
        app.refresh();
        app
    }

    #[test]
    fn progress_counts_finished_steps_of_all_and_the_cache_hits() {
        let app = app(&[
            ("[a 1/3] RUN x", true, true),
            ("[a 2/3] RUN y", false, true),
            ("[a 3/3] RUN z", false, false),
        ]);
        assert_eq!(app.progress(), (2, 3, 1));
    }

    #[test]
    fn n_without_a_hazard_or_a_race_says_so_and_keeps_the_selection() {
        let mut app = app(&[
            ("[a 1/2] RUN x", false, true),
            ("[a 2/2] RUN y", false, true),
        ]);
        app.handle(Action::Down);
        assert_eq!(app.handle(Action::NextHazard), Effect::None);
        assert_eq!(app.note(), Some("no race and no cache hazard (yet)"));
        assert_eq!(app.rows.selected(), 1);
        assert!(app.hazard_steps().is_empty());
    }

    #[test]
    fn replay_keys_in_a_live_build_explain_themselves() {
        let mut app = app(&[("[a 1/1] RUN x", false, false)]);
        app.handle(Action::Faster);
        assert_eq!(
            app.note(),
            Some("pause, step, restart and speed are for replays")
        );
        assert_eq!(app.handle(Action::Restart), Effect::None);
        assert_eq!(app.note(), Some("restart is for replays"));
    }

    #[test]
    fn a_replay_restarts_only_when_its_input_can_be_read_again() {
        let mut from_file = App::new("t".into(), None, Mode::Replay(Replay::new(1.0, true)));
        assert_eq!(from_file.handle(Action::Restart), Effect::Restart);
        let mut from_stdin = App::new("t".into(), None, Mode::Replay(Replay::new(1.0, false)));
        assert_eq!(from_stdin.handle(Action::Restart), Effect::None);
        assert_eq!(
            from_stdin.note(),
            Some("cannot restart: the log came from standard input")
        );
        from_file.handle(Action::Faster);
        assert!(from_file.note().is_some_and(|n| n.starts_with("speed ")));
    }

    #[test]
    fn any_key_but_quit_help_and_back_closes_the_help_and_still_does_its_job() {
        let mut app = app(&[
            ("[a 1/2] RUN x", false, true),
            ("[a 2/2] RUN y", false, true),
        ]);
        app.handle(Action::Help);
        assert!(app.help_open());
        app.handle(Action::Down);
        assert!(!app.help_open());
        assert_eq!(app.rows.selected(), 1);
        app.handle(Action::Help);
        app.handle(Action::Back);
        assert!(!app.help_open());
        assert_eq!(app.handle(Action::Quit), Effect::Quit);
    }

    #[test]
    fn the_details_key_opens_and_closes_the_log_pane_and_back_closes_it() {
        let mut app = app(&[("[a 1/1] RUN x", false, true)]);
        app.handle(Action::Details);
        assert!(app.log.is_open());
        app.handle(Action::Back);
        assert!(!app.log.is_open());
        app.handle(Action::LogFollow);
        assert!(app.log.is_open());
    }

    #[test]
    fn speeds_are_said_as_multiples_or_fractions() {
        assert_eq!(speed_label(0.0), "instant");
        assert_eq!(speed_label(2.0), "2×");
        assert_eq!(speed_label(0.25), "1/4×");
    }
}
