//! The one loop every screen runs in — the chart of a build (live or replayed) and `repeat`'s
//! table alike: a `tokio::select!` over key and mouse input (mapped through the key table),
//! signals, the session's own events and a frame tick, drawing at most every [`FRAME`]; all of it
//! inside the terminal guard, which gives the terminal back on every way out. A session can open
//! another on top of itself (repeat opens a run in the chart) and gets the screen back after.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self as term, Event as TermEvent, MouseEvent};
use ratatui::backend::CrosstermBackend;
use ratatui::{Frame, Terminal};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use super::keys::{action_for, Action};
use super::terminal::Screen;

/// ~30 frames a second at most.
pub const FRAME: Duration = Duration::from_millis(33);

pub type Tui = Terminal<CrosstermBackend<io::Stdout>>;

/// What the loop does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    Stay,
    Leave,
    /// Show this recording in the chart, then come back.
    Open {
        recording: PathBuf,
        name: String,
    },
    /// Show `after` in the chart with `before` under it (a comparison), then come back.
    Compare {
        before: PathBuf,
        after: PathBuf,
        name: String,
    },
}

/// A screen the loop drives.
pub trait Session {
    type Event;
    /// The session's next event from outside (a build's progress, a run's result); pending
    /// forever when it has nothing to wait for.
    fn next_event(&mut self) -> impl Future<Output = Self::Event>;
    fn on_event(&mut self, event: Self::Event);
    /// An action from the key table.
    fn handle(&mut self, action: Action) -> Flow;
    fn mouse(&mut self, _m: MouseEvent) {}
    fn resize(&mut self, w: u16, h: u16);
    /// SIGINT, SIGTERM or SIGHUP.
    fn signal(&mut self) -> Flow;
    /// The terminal hung up (SIGHUP, or its input ended): nobody is there to answer; by default
    /// as a signal.
    fn hangup(&mut self) -> Flow {
        self.signal()
    }
    /// The frame tick: clocks advance, children are polled.
    fn tick(&mut self, now: Instant) -> Flow;
    fn draw(&mut self, frame: &mut Frame);
}

/// What every session on one terminal shares: the terminal, its input and the signals.
pub struct Ctx<'a> {
    pub tui: &'a mut Tui,
    input: mpsc::UnboundedReceiver<TermEvent>,
    input_open: bool,
    signals: Signals,
    /// SIGTSTP from outside (`kill -TSTP`; Ctrl-Z arrives as a key in raw mode).
    stop: tokio::signal::unix::Signal,
}

/// Takes over the terminal, runs `body` with it (sessions driven one after another, or one on
/// top of another), gives the terminal back, whatever happened.
pub fn on_terminal<T>(body: impl AsyncFnOnce(&mut Ctx<'_>) -> io::Result<T>) -> io::Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut screen = Screen::enter()?;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, input) = mpsc::unbounded_channel();
    let input_thread = spawn_input(stop.clone(), tx)?;
    let result = rt.block_on(async {
        let mut ctx = Ctx {
            tui: &mut screen.terminal,
            input,
            input_open: true,
            signals: Signals::new()?,
            stop: signal(SignalKind::from_raw(libc::SIGTSTP))?,
        };
        body(&mut ctx).await
    });
    finish_input(&stop, input_thread);
    drop(screen);
    result
}

/// The loop: until the session leaves, or asks for a recording to be opened (returned, for the
/// caller to show and then drive this session again).
pub async fn drive<S: Session>(s: &mut S, ctx: &mut Ctx<'_>) -> io::Result<Flow> {
    let size = ctx.tui.size()?;
    s.resize(size.width, size.height);
    ctx.tui.clear()?;
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut redraw = true;
    let mut last_draw: Option<Instant> = None;
    loop {
        let flow = tokio::select! {
            biased;
            ev = ctx.input.recv(), if ctx.input_open => {
                redraw = true;
                match ev {
                    Some(TermEvent::Key(k)) if action_for(k) == Some(Action::Suspend) => {
                        suspend(s, ctx.tui)?
                    }
                    Some(ev) => on_input(s, ev),
                    // The terminal hung up: the user is gone, as after SIGHUP.
                    None => {
                        ctx.input_open = false;
                        s.hangup()
                    }
                }
            }
            hup = ctx.signals.any() => if hup { s.hangup() } else { s.signal() },
            _ = ctx.stop.recv() => {
                redraw = true;
                suspend(s, ctx.tui)?
            }
            ev = s.next_event() => {
                s.on_event(ev);
                Flow::Stay
            }
            _ = tick.tick() => {
                redraw = true;
                s.tick(Instant::now())
            }
        };
        if flow != Flow::Stay {
            return Ok(flow);
        }
        // Input is drawn at once unless a frame was drawn less than FRAME ago (then the tick
        // draws it): at most ~30 frames a second, whatever arrives.
        let due = last_draw.is_none_or(|t| t.elapsed() + Duration::from_millis(5) >= FRAME);
        if redraw && due && ctx.input.is_empty() {
            ctx.tui.draw(|f| s.draw(f))?;
            redraw = false;
            last_draw = Some(Instant::now());
        }
    }
}

/// Ctrl-Z or SIGTSTP: the terminal given back while stopped, then the session redrawn at the
/// terminal's size (it may have changed meanwhile).
fn suspend<S: Session>(s: &mut S, tui: &mut Tui) -> io::Result<Flow> {
    super::terminal::suspend(tui)?;
    let size = tui.size()?;
    s.resize(size.width, size.height);
    Ok(Flow::Stay)
}

fn on_input<S: Session>(s: &mut S, ev: TermEvent) -> Flow {
    match ev {
        TermEvent::Key(k) => action_for(k).map_or(Flow::Stay, |a| s.handle(a)),
        TermEvent::Mouse(m) => {
            s.mouse(m);
            Flow::Stay
        }
        TermEvent::Resize(w, h) => {
            s.resize(w, h);
            Flow::Stay
        }
        _ => Flow::Stay,
    }
}

/// Reads terminal input on its own thread (crossterm's reader blocks), until told to stop or the
/// terminal hangs up (then the channel closes: the user is gone).
fn spawn_input(
    stop: Arc<AtomicBool>,
    tx: mpsc::UnboundedSender<TermEvent>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("buildx-gantt-input".into())
        .spawn(move || {
            while !stop.load(Ordering::SeqCst) && !hung_up() {
                match term::poll(Duration::from_millis(50)) {
                    // crossterm's read spins on a terminal at end of input: ask again first.
                    Ok(true) if hung_up() => return,
                    Ok(true) => {
                        let sent = term::read().map(|ev| tx.send(ev).is_ok());
                        if !matches!(sent, Ok(true)) {
                            return;
                        }
                    }
                    Ok(false) => {}
                    Err(_) => return,
                }
            }
        })
}

/// Whether standard input is a terminal that hung up (closed, the SSH session gone).
fn hung_up() -> bool {
    // SAFETY: isatty and poll only read the descriptor's state; `fds` lives across the call.
    unsafe {
        if libc::isatty(0) != 1 {
            return false;
        }
        let mut fds = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        let gone = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
        libc::poll(&mut fds, 1, 0) == 1 && fds.revents & gone != 0
    }
}

/// Waits a little for the input thread to end; one stuck in a read is left to the process's exit.
fn finish_input(stop: &AtomicBool, thread: JoinHandle<()>) {
    stop.store(true, Ordering::SeqCst);
    let t = Instant::now();
    while !thread.is_finished() && t.elapsed() < Duration::from_millis(300) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if thread.is_finished() {
        let _ = thread.join();
    }
}

/// SIGINT, SIGTERM and SIGHUP, as one stream.
pub struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

/// Listeners made by [`Signals::listen_now`], for the session that comes next.
static EARLY: std::sync::Mutex<Option<Signals>> = std::sync::Mutex::new(None);

impl Signals {
    /// The signals from now on: those [`Signals::listen_now`] made (and whatever came since), or
    /// new ones.
    pub fn new() -> io::Result<Signals> {
        let early = EARLY.lock().unwrap_or_else(|e| e.into_inner()).take();
        match early {
            Some(s) => Ok(s),
            None => Signals::here(),
        }
    }

    fn here() -> io::Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Handles SIGINT, SIGTERM and SIGHUP from now on, for the next session to hear: called
    /// before a build starts. Without it a signal in the moment between the start and the
    /// session's own listening took its default action, killing us and leaving the build to
    /// its death signal, unrecorded. (The handlers are the process's, whichever runtime later
    /// reads them; the listeners keep what arrives until then.)
    pub fn listen_now() -> io::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let _in = rt.enter();
        let s = Signals::here()?;
        *EARLY.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
        Ok(())
    }

    /// The next signal; true when it is SIGHUP (the terminal is gone).
    pub async fn any(&mut self) -> bool {
        tokio::select! {
            _ = self.int.recv() => false,
            _ = self.term.recv() => false,
            _ = self.hup.recv() => true,
        }
    }
}
