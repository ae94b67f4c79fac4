//! The loop that ties an [`App`] to its source and to the terminal: one `tokio::select!` over key
//! and mouse input, signals, the build's events and a frame tick. Events are applied as they come
//! and the screen is drawn at most [`FRAME`] apart, so a flood of log output never starves input.
//! Without a terminal on stdout the same loop prints a line per finished step instead.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self as term, Event as TermEvent};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use super::app::{App, Effect, Mode};
use super::keys::action_for;
use super::terminal::Screen;
use super::view;
use crate::analysis::{short_name, Analysis};
use crate::chart::words::secs;
use crate::exit::Exit;
use crate::export::text;
use crate::model::{Event, State};
use crate::source::child::CANCEL_GRACE;
use crate::source::feed::{self, ReadOutcome, Reading, Recording, CHANNEL_BOUND};
use crate::source::job::Job;

/// ~30 frames a second at most.
pub const FRAME: Duration = Duration::from_millis(33);

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
}

impl Feed {
    pub fn start(
        input: Box<dyn Read + Send>,
        record: Option<(Recording, std::fs::File)>,
        reopen: Option<Reopen>,
        reading: Reading,
    ) -> io::Result<Feed> {
        let (tx, rx) = mpsc::channel(CHANNEL_BOUND);
        let handle = feed::spawn(input, record, reading.clone(), tx)?;
        Ok(Feed {
            rx,
            handle: Some(handle),
            done: false,
            outcome: None,
            reopen,
            reading,
        })
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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut screen = Screen::enter()?;
    let size = screen.terminal.size()?;
    app.resize(size.width, size.height);
    let stop = Arc::new(AtomicBool::new(false));
    let (input_tx, input_rx) = mpsc::unbounded_channel();
    let input_thread = spawn_input(stop.clone(), input_tx)?;
    let result = rt.block_on(screen_loop(app, feed, child, opts, &mut screen, input_rx));
    stop.store(true, Ordering::SeqCst);
    let _ = input_thread.join();
    drop(screen);
    result
}

/// Reads terminal input on its own thread (crossterm's reader blocks), until told to stop.
fn spawn_input(
    stop: Arc<AtomicBool>,
    tx: mpsc::UnboundedSender<TermEvent>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("buildx-gantt-input".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match term::poll(Duration::from_millis(50)) {
                    Ok(true) => match term::read() {
                        Ok(ev) => {
                            if tx.send(ev).is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    },
                    Ok(false) => {}
                    Err(_) => return,
                }
            }
        })
}

struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn any(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
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
                    Exit::INTERRUPTED.status()
                } else {
                    status
                };
                app.child_exited(code);
            }
        }
    }
}

async fn screen_loop(
    app: &mut App,
    feed: &mut Feed,
    mut child: Option<&mut dyn Job>,
    opts: Options,
    screen: &mut Screen,
    mut input: mpsc::UnboundedReceiver<TermEvent>,
) -> io::Result<Ending> {
    let mut signals = Signals::new()?;
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut quitting = false;
    let mut quit_presses = 0;
    let mut redraw = true;
    let mut last_draw: Option<Instant> = None;
    let mut input_open = true;
    loop {
        tokio::select! {
            biased;
            ev = input.recv(), if input_open => {
                let Some(ev) = ev else {
                    // The terminal's input is gone (closed tty): keep showing, stop listening.
                    input_open = false;
                    continue;
                };
                redraw = true;
                match ev {
                    TermEvent::Key(k) => {
                        if let Some(action) = action_for(k) {
                            match app.handle(action) {
                                Effect::Quit => {
                                    quit_presses += 1;
                                    quitting = true;
                                    // A second q while cancelling: stop waiting, kill it.
                                    if quit_step(app, &mut child, quit_presses > 1) {
                                        break;
                                    }
                                }
                                Effect::Restart => {
                                    if let Err(e) = feed.restart() {
                                        app.say(&format!("cannot restart: {e}"));
                                    } else {
                                        app.restart();
                                    }
                                }
                                Effect::None => {}
                            }
                        }
                    }
                    TermEvent::Mouse(m) => app.handle_mouse(m),
                    TermEvent::Resize(w, h) => app.resize(w, h),
                    _ => {}
                }
            }
            _ = signals.any() => {
                quit_presses += 1;
                quitting = true;
                if quit_step(app, &mut child, quit_presses > 2) {
                    break;
                }
            }
            ev = feed.rx.recv(), if !feed.done && app.wants_events() => on_event(app, feed, ev),
            _ = tick.tick() => {
                app.tick(Instant::now());
                poll_child(app, &mut child);
                if quitting && quit_step(app, &mut child, false) {
                    break;
                }
                if app.finished() && (opts.exit_on_finish || failed_at_once(app)) {
                    break;
                }
                redraw = true;
            }
        }
        // Input is drawn at once unless a frame was drawn less than FRAME ago (then the tick
        // draws it): at most ~30 frames a second, whatever arrives.
        let due = last_draw.is_none_or(|t| t.elapsed() + Duration::from_millis(5) >= FRAME);
        if redraw && due && !input_pending(&input) {
            app.refresh();
            let mut areas = None;
            screen
                .terminal
                .draw(|f| areas = Some(view::render(app, f.area(), f.buffer_mut())))?;
            if let Some(areas) = areas {
                app.drawn(areas);
            }
            redraw = false;
            last_draw = Some(Instant::now());
            // Fault injection for the tests (debug builds only): a panic mid-screen must still
            // leave the terminal restored.
            #[cfg(debug_assertions)]
            if app.frame() == 5 && std::env::var_os("BUILDX_GANTT_TEST_PANIC").is_some() {
                panic!("injected panic (BUILDX_GANTT_TEST_PANIC)");
            }
        }
    }
    poll_child(app, &mut child);
    Ok(if app.finished() && !quit_interrupted(app) {
        Ending::Finished
    } else {
        Ending::Interrupted
    })
}

fn input_pending(rx: &mpsc::UnboundedReceiver<TermEvent>) -> bool {
    !rx.is_empty()
}

fn quit_interrupted(app: &App) -> bool {
    matches!(&app.mode, Mode::Live(l) if l.exit == Some(Exit::INTERRUPTED.status()))
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
    loop {
        tokio::select! {
            biased;
            _ = signals.any() => {
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
    Ok(if app.finished() && !quit_interrupted(app) {
        Ending::Finished
    } else {
        Ending::Interrupted
    })
}

/// Tells a build's story line by line, each step once, as it finishes.
#[derive(Default)]
pub struct Narrator {
    /// Step names, `stage source` pairs and cache ids already told.
    steps: HashSet<String>,
    overlaps: HashSet<(String, String)>,
    hazards: HashSet<String>,
}

impl Narrator {
    pub fn tell(&mut self, app: &App, out: &mut dyn Write) -> io::Result<()> {
        let a = &app.analysis;
        let zero = a.start.unwrap_or(0);
        let mut finished: Vec<_> = a
            .steps
            .iter()
            .filter(|s| !matches!(s.state, State::Waiting | State::Running))
            .filter(|s| !self.steps.contains(s.name.as_str()))
            .collect();
        finished.sort_by_key(|s| (s.end().or(s.start()).unwrap_or(0), s.id));
        for s in finished {
            self.steps.insert(s.name.clone());
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
                s.name
            )?;
            if let (State::Failed, Some(e)) = (s.state, &s.error) {
                writeln!(out, "{:>8} {:<9} {e}", "", "")?;
            }
        }
        for o in &a.overlaps {
            if self.overlaps.insert((o.stage.clone(), o.source.clone())) {
                writeln!(
                    out,
                    "{:>8} {:<9} {} runs alongside {}, its {} source",
                    "",
                    "RACE",
                    o.stage,
                    o.source,
                    o.kind.instruction()
                )?;
            }
        }
        for h in &a.hazards {
            if self.hazards.insert(h.cache_id.clone()) {
                writeln!(
                    out,
                    "{:>8} {:<9} {} and {} share cache {}, nothing orders them",
                    "",
                    "HAZARD",
                    short_name(&a.steps[h.writer.step]),
                    short_name(&a.steps[h.reader.step]),
                    h.cache_id
                )?;
            }
        }
        out.flush()
    }
}

/// The text report printed when the screen is gone (or at the end of a headless run).
/// The text report of the session, from its final analysis (`Analysis::of` its build).
pub fn final_report(app: &App, analysis: &Analysis, width: usize, color: bool) -> String {
    text::render(
        &app.name,
        &app.build,
        analysis,
        &text::TextOptions {
            width: width.max(40),
            color,
            ..Default::default()
        },
    )
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
