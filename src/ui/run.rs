//! A build's chart tied to its source: the [`ChartSession`] the screen loop
//! ([`super::session`]) drives — events applied as they come, drawn at most a frame apart, so a
//! flood of log output never starves input — and, without a terminal on stdout, a loop that prints
//! a line per finished step instead.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::MouseEvent;
use ratatui::Frame;
use tokio::sync::mpsc;

use super::app::{App, Effect, Mode};
use super::keys::Action;
use super::session::{self, Flow, Session, Signals};
use super::view;
use crate::chart::short_name;
use crate::chart::words::{hazard_news, overlap_news, secs, stale_news};
use crate::model::{Event, State};
use crate::source::child::CANCEL_GRACE;
use crate::source::feed::{self, ReadOutcome, Reading, Recording, CHANNEL_BOUND};
use crate::source::job::Job;
use crate::source::job::INTERRUPTED;

/// How long one turn of the loop may spend applying queued events before it looks at input again.
const EVENT_BUDGET: Duration = Duration::from_millis(8);

/// Opens the input again (a replay restarting).
pub type Reopen = Box<dyn FnMut() -> io::Result<Box<dyn Read + Send>>>;

/// A running source of events: the reader thread and its channel.
pub struct Feed {
    rx: mpsc::Receiver<Event>,
    handle: Option<JoinHandle<ReadOutcome>>,
    done: bool,
    /// What the reader reported when its input ended.
    pub outcome: Option<ReadOutcome>,
    reopen: Option<Reopen>,
    reading: Reading,
    /// Set by the reader when the recording fails.
    recording_failed: Option<std::sync::Arc<std::sync::OnceLock<String>>>,
}

impl Feed {
    pub fn start(
        input: Box<dyn Read + Send>,
        record: Option<(Recording, std::fs::File)>,
        reopen: Option<Reopen>,
        reading: Reading,
    ) -> io::Result<Feed> {
        let (tx, rx) = mpsc::channel(CHANNEL_BOUND);
        let recording_failed = record.as_ref().map(|(r, _)| r.failed.clone());
        let handle = feed::spawn(input, record, reading.clone(), tx)?;
        Ok(Feed {
            rx,
            handle: Some(handle),
            done: false,
            outcome: None,
            reopen,
            reading,
            recording_failed,
        })
    }

    /// Why the recording stopped, as soon as it did.
    pub fn recording_failure(&self) -> Option<&str> {
        self.recording_failed.as_ref()?.get().map(String::as_str)
    }

    fn finish(&mut self) {
        self.done = true;
        if let Some(h) = self.handle.take() {
            if let Ok(o) = h.join() {
                self.outcome = Some(o);
            }
        }
    }

    /// Starts reading from the beginning again; the old reader stops at its next read.
    fn restart(&mut self) -> io::Result<()> {
        let Some(reopen) = self.reopen.as_mut() else {
            return Err(io::Error::other("this input cannot be read again"));
        };
        let input = reopen()?;
        let (tx, rx) = mpsc::channel(CHANNEL_BOUND);
        let handle = feed::spawn(input, None, self.reading.clone(), tx)?;
        // Dropping the old receiver tells the old reader to stop.
        self.rx = rx;
        self.handle = Some(handle);
        self.done = false;
        Ok(())
    }

    /// Whether the input has ended and every event was taken.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The recording's path and how it went.
    pub fn recording(&self) -> Option<&Recording> {
        self.outcome.as_ref().and_then(|o| o.recording.as_ref())
    }
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The build (or replay) ended, or the user left after it did.
    Finished,
    /// The user (or a signal) stopped it before it ended.
    Interrupted,
    /// The terminal went away (SIGHUP, or its input ended): the user is gone.
    HungUp,
}

/// Options of a session.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub exit_on_finish: bool,
}

/// Runs the live screen until the user leaves (or the build ends with `exit_on_finish`).
pub fn run_screen(
    app: &mut App,
    feed: &mut Feed,
    child: Option<&mut dyn Job>,
    opts: Options,
) -> io::Result<Ending> {
    let mut chart = ChartSession {
        app,
        feed,
        child: child.map(|c| c as &mut dyn Job),
        opts,
        quit_presses: 0,
        signals: 0,
        gone: false,
    };
    session::on_terminal(async |ctx| session::drive(&mut chart, ctx).await)?;
    Ok(chart.ending())
}

/// The chart of a build (live, or a replay) in the screen loop.
pub struct ChartSession<'a> {
    pub app: &'a mut App,
    pub feed: &'a mut Feed,
    pub child: Option<&'a mut dyn Job>,
    pub opts: Options,
    /// q pressed (the build is being cancelled from the first).
    quit_presses: u32,
    signals: u32,
    /// The terminal went away.
    gone: bool,
}

impl<'a> ChartSession<'a> {
    pub fn new(app: &'a mut App, feed: &'a mut Feed, opts: Options) -> Self {
        ChartSession {
            app,
            feed,
            child: None,
            opts,
            quit_presses: 0,
            signals: 0,
            gone: false,
        }
    }

    fn quitting(&self) -> bool {
        self.quit_presses + self.signals > 0
    }

    /// How the session ended.
    pub fn ending(&mut self) -> Ending {
        poll_child(self.app, &mut self.child);
        match (
            self.gone,
            self.app.finished() && !quit_interrupted(self.app),
        ) {
            (true, _) => Ending::HungUp,
            (false, true) => Ending::Finished,
            (false, false) => Ending::Interrupted,
        }
    }

    fn leave_if(&self, done: bool) -> Flow {
        if done {
            Flow::Leave
        } else {
            Flow::Stay
        }
    }
}

impl Session for ChartSession<'_> {
    type Event = Option<Event>;

    async fn next_event(&mut self) -> Option<Event> {
        if self.feed.done || !self.app.wants_events() {
            return std::future::pending().await;
        }
        self.feed.rx.recv().await
    }

    fn on_event(&mut self, ev: Option<Event>) {
        on_event(self.app, self.feed, ev);
    }

    fn handle(&mut self, action: Action) -> Flow {
        match self.app.handle(action) {
            Effect::Quit => {
                self.quit_presses += 1;
                // A second q while cancelling: stop waiting, kill it.
                let done = quit_step(self.app, &mut self.child, self.quit_presses > 1);
                self.leave_if(done)
            }
            Effect::Restart => {
                match self.feed.restart() {
                    Err(e) => self.app.say(&format!("cannot restart: {e}")),
                    Ok(()) => self.app.restart(),
                }
                Flow::Stay
            }
            Effect::None => Flow::Stay,
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        self.app.handle_mouse(m);
    }

    fn resize(&mut self, w: u16, h: u16) {
        self.app.resize(w, h);
    }

    fn hangup(&mut self) -> Flow {
        self.gone = true;
        self.signal()
    }

    fn signal(&mut self) -> Flow {
        self.signals += 1;
        let done = quit_step(self.app, &mut self.child, self.signals > 2);
        self.leave_if(done)
    }

    fn tick(&mut self, now: Instant) -> Flow {
        self.app.tick(now);
        if self.app.recording_failed.is_none() {
            self.app.recording_failed = self.feed.recording_failure().map(str::to_string);
        }
        poll_child(self.app, &mut self.child);
        if self.quitting() && quit_step(self.app, &mut self.child, false) {
            return Flow::Leave;
        }
        let app = &*self.app;
        self.leave_if(app.finished() && (self.opts.exit_on_finish || failed_at_once(app)))
    }

    fn draw(&mut self, f: &mut Frame) {
        self.app.refresh();
        let areas = view::render(self.app, f.area(), f.buffer_mut());
        self.app.drawn(areas);
        // Fault injection for the tests (debug builds only): a panic mid-screen must still
        // leave the terminal restored.
        #[cfg(debug_assertions)]
        if self.app.frame() == 5 && std::env::var_os("BUILDX_GANTT_TEST_PANIC").is_some() {
            panic!("injected panic (BUILDX_GANTT_TEST_PANIC)");
        }
    }
}

/// The quit sequence of a live build: cancel, wait, kill. Returns true once it is safe to leave.
fn quit_step(app: &mut App, child: &mut Option<&mut dyn Job>, force: bool) -> bool {
    let Some(c) = child.as_deref_mut() else {
        return true;
    };
    if c.poll().is_some() {
        return true;
    }
    if force {
        c.kill();
        return true;
    }
    c.cancel();
    app.cancelling();
    c.enforce_cancel(CANCEL_GRACE)
}

/// An event from the source (or its end), then whatever else is already waiting.
fn on_event(app: &mut App, feed: &mut Feed, ev: Option<Event>) {
    match ev {
        Some(e) => {
            app.push(e);
            drain(app, feed);
        }
        None => {
            feed.finish();
            app.input_ended();
        }
    }
}

/// Drains events already waiting, for at most [`EVENT_BUDGET`].
pub fn drain(app: &mut App, feed: &mut Feed) {
    let t = Instant::now();
    while app.wants_events() && t.elapsed() < EVENT_BUDGET {
        match feed.rx.try_recv() {
            Ok(e) => app.push(e),
            Err(mpsc::error::TryRecvError::Empty) => break,
            Err(mpsc::error::TryRecvError::Disconnected) => {
                feed.finish();
                app.input_ended();
                break;
            }
        }
    }
}

/// Polls the child; tells the app once it has exited.
fn poll_child(app: &mut App, child: &mut Option<&mut dyn Job>) {
    if let Some(c) = child.as_deref_mut() {
        if let Some(status) = c.poll() {
            if matches!(&app.mode, Mode::Live(l) if l.exit.is_none()) {
                let code = if c.was_cancelled() {
                    INTERRUPTED
                } else {
                    status
                };
                app.child_exited(code);
            }
        }
    }
}

fn quit_interrupted(app: &App) -> bool {
    matches!(&app.mode, Mode::Live(l) if l.exit == Some(INTERRUPTED))
}

/// A build that failed before any step appeared: nothing to inspect, the message is in buildx's
/// own text, which is printed after the screen is gone.
fn failed_at_once(app: &App) -> bool {
    matches!(&app.mode, Mode::Live(l) if l.exit.is_some_and(|c| c != 0))
        && app.build.vertexes().is_empty()
}

/// Without a terminal: applies events as they come (paced for replays) and prints one line per
/// step as it finishes, plus a line when a race or cache hazard first shows.
pub fn run_headless(
    app: &mut App,
    feed: &mut Feed,
    child: Option<&mut dyn Job>,
    out: &mut dyn Write,
) -> io::Result<Ending> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(headless_loop(app, feed, child, out))
}

async fn headless_loop(
    app: &mut App,
    feed: &mut Feed,
    mut child: Option<&mut dyn Job>,
    out: &mut dyn Write,
) -> io::Result<Ending> {
    let mut signals = Signals::new()?;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut narrator = Narrator::default();
    let mut quitting = false;
    let mut signals_seen = 0;
    let mut hung_up = false;
    loop {
        tokio::select! {
            biased;
            hup = signals.any() => {
                hung_up |= hup;
                signals_seen += 1;
                quitting = true;
                if quit_step(app, &mut child, signals_seen > 2) {
                    break;
                }
            }
            ev = feed.rx.recv(), if !feed.done && app.wants_events() => on_event(app, feed, ev),
            _ = tick.tick() => {
                app.tick(Instant::now());
                poll_child(app, &mut child);
                app.refresh();
                narrator.tell(app, out)?;
                if quitting && quit_step(app, &mut child, false) {
                    break;
                }
                if app.finished() {
                    break;
                }
            }
        }
    }
    poll_child(app, &mut child);
    app.invalidate();
    app.refresh();
    narrator.tell(app, out)?;
    Ok(match (hung_up, app.finished() && !quit_interrupted(app)) {
        (true, _) => Ending::HungUp,
        (false, true) => Ending::Finished,
        (false, false) => Ending::Interrupted,
    })
}

/// Tells a build's story line by line, each step once, as it finishes.
#[derive(Default)]
pub struct Narrator {
    /// Step names, `stage source` pairs and cache ids already told.
    steps: HashSet<String>,
    overlaps: HashSet<(String, String)>,
    hazards: HashSet<String>,
    /// Stale caches told: `(cache id, reader's name)`.
    stale: HashSet<(String, String)>,
}

impl Narrator {
    pub fn tell(&mut self, app: &App, out: &mut dyn Write) -> io::Result<()> {
        let a = &app.analysis;
        let zero = a.start.unwrap_or(0);
        let mut finished: Vec<_> = a
            .steps
            .iter()
            .filter(|s| !matches!(s.state, State::Waiting | State::Running))
            .filter(|s| !self.steps.contains(&**s.name()))
            .collect();
        finished.sort_by_key(|s| (s.end().or(s.start()).unwrap_or(0), s.id));
        for s in finished {
            self.steps.insert(s.name().to_string());
            let at = s.end().or(s.start()).map_or(0, |t| t - zero);
            let took = match s.state {
                State::Cached => String::new(),
                _ if s.spans.is_empty() => String::new(),
                _ => format!(" ({})", secs(s.active())),
            };
            writeln!(
                out,
                "{:>8} {:<9} {}{took}",
                format!("+{}", secs(at)),
                s.state.word(),
                s.name()
            )?;
            if let (State::Failed, Some(e)) = (s.state, s.error()) {
                writeln!(out, "{:>8} {:<9} {e}", "", "")?;
            }
        }
        for o in &a.overlaps {
            if self.overlaps.insert((o.stage.clone(), o.source.clone())) {
                writeln!(out, "{:>8} {:<9} {}", "", "RACE", overlap_news(o))?;
            }
        }
        for h in &a.hazards {
            if self.hazards.insert(h.cache_id.clone()) {
                writeln!(out, "{:>8} {:<9} {}", "", "HAZARD", hazard_news(a, h))?;
            }
        }
        for c in &a.stale {
            let reader = short_name(&a.steps[c.reader]);
            if self.stale.insert((c.cache_id.clone(), reader)) {
                writeln!(out, "{:>8} {:<9} {}", "", "STALE", stale_news(a, c))?;
            }
        }
        out.flush()
    }
}

/// Takes everything left in the source now (a replay left before its end plays the rest at
/// once), so the report afterwards is complete. With a `timeout`, gives up waiting for the input to
/// close after that long (a live build's output can be held open by a stray process).
pub fn take_rest(app: &mut App, feed: &mut Feed, timeout: Option<Duration>) {
    if let Mode::Replay(r) = &mut app.mode {
        r.hurry();
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    while !feed.done && deadline.is_none_or(|d| Instant::now() < d) {
        let next = match deadline {
            None => feed
                .rx
                .blocking_recv()
                .ok_or(mpsc::error::TryRecvError::Disconnected),
            Some(_) => feed.rx.try_recv(),
        };
        match next {
            Ok(e) => app.push(e),
            Err(mpsc::error::TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(10)),
            Err(mpsc::error::TryRecvError::Disconnected) => {
                feed.finish();
                app.input_ended();
            }
        }
    }
    app.tick(Instant::now());
    app.invalidate();
    app.refresh();
}
