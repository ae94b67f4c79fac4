//! The screen's state and everything that changes it: events arriving (live or paced by the replay
//! clock), actions from keys and the mouse, the clock. Drawing is elsewhere (`view`) and only
//! reads this.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::keys::Action;
use crate::analysis::{Analysis, StepId};
use crate::chart::{self, Choices, Row, RowKey, RowKind};
use crate::dockerfile::Dockerfile;
use crate::model::{Build, Event, LogLine, LogRetention, Nanos, State};
use crate::source::replay::Pacing;

/// How many events a replay may hold ahead of its clock before the reader is made to wait.
const REPLAY_QUEUE: usize = 16_384;

const MIN_SPAN: Nanos = 10_000_000;

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

#[derive(Debug)]
pub struct Replay {
    pub speed: f64,
    pub paused: bool,
    /// The replay clock, in build time.
    pub position: Option<Nanos>,
    queue: VecDeque<(Option<Nanos>, Event)>,
    pacing: Pacing,
    pub input_done: bool,
    /// Whether the input can be read again (not stdin).
    pub restartable: bool,
    last_tick: Option<Instant>,
}

impl Replay {
    pub fn new(speed: f64, restartable: bool) -> Replay {
        Replay {
            speed,
            paused: false,
            position: None,
            queue: VecDeque::new(),
            pacing: Pacing::default(),
            input_done: false,
            restartable,
            last_tick: None,
        }
    }

    pub fn finished(&self) -> bool {
        self.input_done && self.queue.is_empty()
    }

    pub fn instant(&self) -> bool {
        self.speed == 0.0
    }
}

/// How the time axis is placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    /// The whole build fits the window (and keeps fitting as it grows).
    Fit,
    /// A fixed span whose right edge follows the live edge.
    Follow,
    /// Where the user panned and zoomed to.
    Manual,
}

#[derive(Debug, Clone, Copy)]
pub struct TimeView {
    pub mode: ViewMode,
    /// Offset of the left edge from the build's start (Manual).
    pub offset: Nanos,
    /// Visible duration (Follow, Manual).
    pub span: Nanos,
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
    dirty: bool,
    /// The `now` the analysis was made at.
    analysed_at: Option<Nanos>,
    retention: LogRetention,
    /// What the chart shows: folds, the critical path.
    choices: Choices,
    pub rows: Vec<Row>,
    pub selected: usize,
    selected_key: Option<RowKey>,
    /// First row shown (scrolling).
    pub row_offset: usize,
    pub view: TimeView,
    pub details: bool,
    /// Log lines scrolled back from the end; 0 follows the end.
    pub log_scroll: usize,
    pub help: bool,
    /// Frames drawn: animates running bars.
    pub frame: u64,
    /// The terminal's size, for the mouse and paging.
    pub size: (u16, u16),
    clock: Instant,
    /// The selected step's log, kept between frames (key, total bytes seen, lines).
    log_cache: Option<(RowKey, u64, Vec<LogLine>)>,
    /// A short note for the status line (e.g. why a key did nothing) and when it was set.
    pub note: Option<(String, Instant)>,
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
            dirty: true,
            analysed_at: None,
            retention,
            choices: Choices::default(),
            rows: Vec::new(),
            selected: 0,
            selected_key: None,
            row_offset: 0,
            view: TimeView {
                mode: ViewMode::Fit,
                offset: 0,
                span: 0,
            },
            details: false,
            log_scroll: 0,
            help: false,
            frame: 0,
            size: (80, 24),
            clock: Instant::now(),
            log_cache: None,
            note: None,
        }
    }

    /// Whether the loop should hand us more events now (a replay holds only so many ahead).
    pub fn wants_events(&self) -> bool {
        match &self.mode {
            Mode::Live(_) => true,
            Mode::Replay(r) => r.queue.len() < REPLAY_QUEUE || r.instant(),
        }
    }

    /// An event from the source: applied now (live) or queued for the replay clock.
    pub fn push(&mut self, event: Event) {
        match &mut self.mode {
            Mode::Live(live) => {
                self.build.apply(event);
                self.dirty = true;
                if let Some((_, last)) = self.build.time_range() {
                    if live.anchor.is_none_or(|(t, _)| last > t) {
                        live.anchor = Some((last, Instant::now()));
                    }
                }
            }
            Mode::Replay(r) => {
                let due = r.pacing.due(&event);
                if r.instant() || (r.position.is_none() && due.is_none()) {
                    self.build.apply(event);
                    self.dirty = true;
                } else {
                    r.queue.push_back((due, event));
                }
            }
        }
    }

    /// The source has no more events.
    pub fn input_ended(&mut self) {
        if let Mode::Replay(r) = &mut self.mode {
            r.input_done = true;
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

    /// Advances the clock to `now`: a replay releases the events it has reached.
    pub fn tick(&mut self, now: Instant) {
        self.clock = now;
        if let Mode::Replay(r) = &mut self.mode {
            let last = r.last_tick.replace(now);
            if let (false, Some(pos), Some(last)) = (r.paused, r.position, last) {
                let step = now.saturating_duration_since(last).as_nanos() as f64 * r.speed;
                r.position = Some(pos + step as Nanos);
            }
            if r.position.is_none() {
                r.position = r.queue.front().and_then(|(d, _)| *d);
            }
            let pos = r.position;
            while let Some((due, _)) = r.queue.front() {
                if due.is_some() && *due > pos && !r.instant() {
                    break;
                }
                if let Some((_, e)) = r.queue.pop_front() {
                    self.build.apply(e);
                    self.dirty = true;
                }
            }
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
            Mode::Live(l) => {
                if l.exit.is_some() || self.build.ended().is_some() {
                    return None;
                }
                let (t, at) = l.anchor?;
                Some(t + self.clock.saturating_duration_since(at).as_nanos() as Nanos)
            }
            Mode::Replay(r) => {
                if r.finished() {
                    None
                } else {
                    r.position
                }
            }
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
        self.refresh_log();
    }

    /// Marks the analysis stale (after changing the Dockerfile, tests).
    pub fn invalidate(&mut self) {
        self.dirty = true;
    }

    fn rebuild_rows(&mut self) {
        self.choices.finished = self.finished();
        self.rows = chart::rows(&self.analysis, &self.choices);
        self.reselect();
    }

    /// Whether the chart marks the critical path (`c`).
    pub fn shows_critical(&self) -> bool {
        self.choices.critical
    }

    fn reselect(&mut self) {
        if let Some(key) = &self.selected_key {
            if let Some(i) = self.rows.iter().position(|r| &r.key == key) {
                self.selected = i;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
        self.selected_key = self.rows.get(self.selected).map(|r| r.key.clone());
        self.scroll_to_selection();
    }

    fn select(&mut self, i: usize) {
        if self.rows.is_empty() {
            return;
        }
        let i = i.min(self.rows.len() - 1);
        if i != self.selected {
            self.log_scroll = 0;
        }
        self.selected = i;
        self.selected_key = Some(self.rows[i].key.clone());
        self.scroll_to_selection();
        self.refresh_log();
    }

    /// Rows the chart can show at the current size.
    pub fn visible_rows(&self) -> usize {
        super::view::layout(self.size_rect(), self)
            .chart
            .height
            .max(1) as usize
    }

    pub fn size_rect(&self) -> ratatui::layout::Rect {
        ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1)
    }

    fn scroll_to_selection(&mut self) {
        let h = self.visible_rows();
        if self.selected < self.row_offset {
            self.row_offset = self.selected;
        } else if self.selected >= self.row_offset + h {
            self.row_offset = self.selected + 1 - h;
        }
        let max_offset = self.rows.len().saturating_sub(h);
        self.row_offset = self.row_offset.min(max_offset);
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    /// The selected step's log lines (both streams, in arrival order).
    pub fn log_lines(&self) -> &[LogLine] {
        match &self.log_cache {
            Some((key, _, lines)) if Some(key) == self.selected_key.as_ref() => lines,
            _ => &[],
        }
    }

    fn refresh_log(&mut self) {
        if !self.details {
            return;
        }
        let Some((key, RowKind::Step(id))) =
            self.selected_row().map(|r| (r.key.clone(), r.kind.clone()))
        else {
            self.log_cache = None;
            return;
        };
        let Some(step) = self.analysis.steps.get(id) else {
            return;
        };
        let total: u64 = step
            .vertexes
            .iter()
            .map(|&v| {
                let l = &self.build.vertex(v).log;
                l.total_bytes[0] + l.total_bytes[1]
            })
            .sum();
        if matches!(&self.log_cache, Some((k, t, _)) if *k == key && *t == total) {
            return;
        }
        let mut lines = Vec::new();
        for &v in &step.vertexes {
            lines.extend(self.build.vertex(v).log.lines());
        }
        self.log_cache = Some((key, total, lines));
    }

    /// Applies an action; returns what the surrounding loop must do.
    pub fn handle(&mut self, action: Action) -> Effect {
        if self.help && !matches!(action, Action::Quit | Action::Help | Action::Back) {
            // Any other key closes the help and does its own job.
            self.help = false;
        }
        match action {
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => self.select(self.selected + 1),
            Action::PageUp => self.select(self.selected.saturating_sub(self.visible_rows())),
            Action::PageDown => self.select(self.selected + self.visible_rows()),
            Action::Top => self.select(0),
            Action::Bottom => self.select(self.rows.len().saturating_sub(1)),
            Action::Toggle => self.toggle_selected(),
            Action::ToggleAll => self.toggle_all(),
            Action::PanLeft => self.pan(-1),
            Action::PanRight => self.pan(1),
            Action::ZoomIn => self.zoom(1.0 / 1.5),
            Action::ZoomOut => self.zoom(1.5),
            Action::Fit => self.view.mode = ViewMode::Fit,
            Action::Follow => {
                if self.view.mode != ViewMode::Follow {
                    let (t0, t1) = self.window();
                    self.view.span = (t1 - t0).max(MIN_SPAN);
                    self.view.mode = ViewMode::Follow;
                }
            }
            Action::CriticalPath => {
                self.choices.critical = !self.choices.critical;
                if self.choices.critical && self.analysis.critical_path.is_none() {
                    self.say("no critical path yet: no step has finished");
                }
                self.rebuild_rows();
            }
            Action::NextHazard => self.jump_hazard(true),
            Action::PrevHazard => self.jump_hazard(false),
            Action::Details => {
                self.details = !self.details;
                self.log_scroll = 0;
                self.refresh_log();
                self.scroll_to_selection();
            }
            Action::LogUp => {
                self.details = true;
                let page = self.log_page();
                let max = self.log_lines().len().saturating_sub(page);
                self.log_scroll = (self.log_scroll + page.max(1)).min(max);
                self.refresh_log();
            }
            Action::LogDown => {
                self.log_scroll = self.log_scroll.saturating_sub(self.log_page().max(1));
            }
            Action::LogFollow => {
                self.details = true;
                self.log_scroll = 0;
                self.refresh_log();
            }
            Action::Pause => self.replay_control(|r| {
                r.paused = !r.paused;
                None
            }),
            Action::Step => {
                self.replay_control(|r| {
                    r.paused = true;
                    let next = r
                        .queue
                        .iter()
                        .filter_map(|(d, _)| *d)
                        .find(|&d| Some(d) > r.position);
                    if next.is_none() && !r.queue.is_empty() {
                        // Only timeless events left: release them.
                        r.position = r.queue.back().and_then(|(d, _)| *d).or(r.position);
                    } else if next.is_some() {
                        r.position = next;
                    }
                    None
                });
                let now = self.clock;
                self.tick(now);
            }
            Action::Restart => {
                if let Mode::Replay(r) = &self.mode {
                    if r.restartable {
                        return Effect::Restart;
                    }
                    self.say("cannot restart: the log came from standard input");
                } else {
                    self.say("restart is for replays");
                }
            }
            Action::Faster => self.replay_control(|r| {
                r.speed = (r.speed * 2.0).min(1024.0);
                Some(format!("speed {}", speed_label(r.speed)))
            }),
            Action::Slower => self.replay_control(|r| {
                if r.speed > 0.0 {
                    r.speed = (r.speed / 2.0).max(1.0 / 64.0);
                }
                Some(format!("speed {}", speed_label(r.speed)))
            }),
            Action::Help => self.help = !self.help,
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.details {
                    self.details = false;
                }
            }
            Action::Quit => return Effect::Quit,
        }
        Effect::None
    }

    fn replay_control(&mut self, f: impl FnOnce(&mut Replay) -> Option<String>) {
        match &mut self.mode {
            Mode::Replay(r) => {
                if let Some(msg) = f(r) {
                    self.say(&msg);
                }
            }
            Mode::Live(_) => self.say("pause, step, restart and speed are for replays"),
        }
    }

    pub fn say(&mut self, msg: &str) {
        self.note = Some((msg.to_string(), self.clock));
    }

    /// Resets to an empty build for a replay that starts again.
    pub fn restart(&mut self) {
        self.build = Build::new(self.retention);
        if let Mode::Replay(r) = &mut self.mode {
            *r = Replay {
                paused: r.paused,
                ..Replay::new(r.speed, r.restartable)
            };
        }
        self.log_cache = None;
        self.dirty = true;
    }

    fn log_page(&self) -> usize {
        super::view::layout(self.size_rect(), self)
            .details
            .map_or(10, |d| d.height.saturating_sub(6) as usize)
    }

    fn toggle_selected(&mut self) {
        match self.selected_row().map(|r| r.kind.clone()) {
            Some(RowKind::Internal(_)) => self.choices.internal_open = !self.choices.internal_open,
            Some(RowKind::Stage(i)) => {
                let name = self.analysis.stages[i].name.clone();
                if !self.choices.collapsed.remove(&name) {
                    self.choices.collapsed.insert(name);
                }
            }
            Some(RowKind::Alongside(_)) => {}
            Some(RowKind::Step(id)) => {
                // On a step: collapse its stage (or group) and select that.
                let step = &self.analysis.steps[id];
                match &step.stage {
                    Some(stage) => {
                        self.choices.collapsed.insert(stage.clone());
                        self.selected_key = Some(RowKey::Stage(stage.clone()));
                    }
                    None => {
                        self.choices.internal_open = false;
                        self.selected_key = Some(RowKey::Internal);
                    }
                }
            }
            None => {}
        }
        self.rebuild_rows();
    }

    fn toggle_all(&mut self) {
        let all_open = self.choices.internal_open && self.choices.collapsed.is_empty();
        if all_open {
            self.choices.internal_open = false;
            self.choices.collapsed = self
                .analysis
                .stages
                .iter()
                .map(|s| s.name.clone())
                .collect();
            if let Some(RowKind::Step(id)) = self.selected_row().map(|r| r.kind.clone()) {
                self.selected_key = Some(match &self.analysis.steps[id].stage {
                    Some(s) => RowKey::Stage(s.clone()),
                    None => RowKey::Internal,
                });
            }
        } else {
            self.choices.internal_open = true;
            self.choices.collapsed.clear();
        }
        self.rebuild_rows();
    }

    /// Steps to visit with n/N: both sides of every cache hazard, and every step that ran
    /// alongside its stage's COPY --from source.
    pub fn hazard_steps(&self) -> Vec<StepId> {
        let a = &self.analysis;
        let mut ids = a.hazard_steps();
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
            self.say("no race and no cache hazard (yet)");
            return;
        }
        for &id in &targets {
            if let Some(stage) = &self.analysis.steps[id].stage {
                self.choices.collapsed.remove(stage);
            } else {
                self.choices.internal_open = true;
            }
        }
        self.rebuild_rows();
        let mut rows: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.kind, RowKind::Step(id) if targets.contains(&id)))
            .map(|(i, _)| i)
            .collect();
        rows.sort_unstable();
        let next = if forward {
            rows.iter().find(|&&i| i > self.selected).or(rows.first())
        } else {
            rows.iter()
                .rev()
                .find(|&&i| i < self.selected)
                .or(rows.last())
        };
        if let Some(&i) = next {
            self.select(i);
        }
    }

    /// The visible time window `[t0, t1)` (absolute build times).
    pub fn window(&self) -> (Nanos, Nanos) {
        let a = &self.analysis;
        let (Some(start), Some(end)) = (a.start, a.end) else {
            return (0, 1_000_000_000);
        };
        let total = (end - start).max(1_000_000_000);
        let live = !self.finished();
        match self.view.mode {
            ViewMode::Fit => {
                // A live chart keeps a little room at the right, so the live edge stays visible.
                let span = if live { total + total / 12 } else { total };
                (start, start + span)
            }
            ViewMode::Follow => {
                let span = self.view.span.max(MIN_SPAN);
                let t1 = end + span / 12;
                (t1 - span, t1)
            }
            ViewMode::Manual => {
                let span = self.view.span.max(MIN_SPAN);
                let t0 = start + self.view.offset;
                (t0, t0 + span)
            }
        }
    }

    fn pan(&mut self, dir: i64) {
        let (t0, t1) = self.window();
        let span = t1 - t0;
        let start = self.analysis.start.unwrap_or(0);
        self.view = TimeView {
            mode: ViewMode::Manual,
            offset: t0 - start + dir * (span / 8).max(1),
            span,
        };
    }

    fn zoom(&mut self, factor: f64) {
        let (t0, t1) = self.window();
        let span = t1 - t0;
        let total = self
            .analysis
            .start
            .zip(self.analysis.end)
            .map_or(1_000_000_000, |(s, e)| (e - s).max(1_000_000_000));
        let new_span = ((span as f64 * factor) as Nanos).clamp(MIN_SPAN, total * 8);
        let start = self.analysis.start.unwrap_or(0);
        if self.view.mode == ViewMode::Follow {
            self.view.span = new_span;
            return;
        }
        // Zoom around the selected step's start when it is visible, else the window's centre.
        let centre = self
            .selected_row()
            .and_then(|r| match r.kind {
                RowKind::Step(id) => self.analysis.steps[id].start(),
                RowKind::Stage(i) => self.analysis.stages[i].start(),
                RowKind::Internal(_) | RowKind::Alongside(_) => None,
            })
            .filter(|&t| t >= t0 && t < t1)
            .unwrap_or(t0 + span / 2);
        let frac = (centre - t0) as f64 / span.max(1) as f64;
        let new_t0 = centre - (new_span as f64 * frac) as Nanos;
        self.view = TimeView {
            mode: ViewMode::Manual,
            offset: new_t0 - start,
            span: new_span,
        };
    }

    /// A mouse click on chart row `row` (0 = the first visible one).
    pub fn click_row(&mut self, row: usize) {
        let i = self.row_offset + row;
        if i >= self.rows.len() {
            return;
        }
        if i == self.selected && !matches!(self.rows[i].kind, RowKind::Step(_)) {
            self.toggle_selected();
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

impl App {
    /// Wheel: moves the selection over the chart, scrolls the log over the details pane.
    /// Click: selects a row (a second click on a stage expands or collapses it).
    pub fn handle_mouse(&mut self, m: crossterm::event::MouseEvent) {
        use crossterm::event::{MouseButton, MouseEventKind};
        let areas = super::view::layout(self.size_rect(), self);
        let pos = ratatui::layout::Position::new(m.column, m.row);
        let in_details = areas.details.is_some_and(|d| d.contains(pos));
        match m.kind {
            MouseEventKind::ScrollDown if in_details => {
                self.log_scroll = self.log_scroll.saturating_sub(3);
            }
            MouseEventKind::ScrollUp if in_details => {
                let max = self.log_lines().len().saturating_sub(self.log_page());
                self.log_scroll = (self.log_scroll + 3).min(max);
            }
            MouseEventKind::ScrollDown => {
                self.handle(Action::Down);
            }
            MouseEventKind::ScrollUp => {
                self.handle(Action::Up);
            }
            MouseEventKind::Down(MouseButton::Left) if areas.chart.contains(pos) => {
                self.help = false;
                self.click_row((m.row - areas.chart.y) as usize);
            }
            _ => {}
        }
    }
}
