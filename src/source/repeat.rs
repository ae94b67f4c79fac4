//! Running the same build again and again, for `repeat`: the plan, each run started, recorded
//! and folded into a [`Build`] as it comes, stop requests (Ctrl-C, SIGTERM, SIGHUP). What a run
//! means is [`crate::analysis::repeat`]; the loop that puts the two together is the command's
//! (`commands/repeat/`). Races are intermittent, so one build proves little; this is the loop
//! people write by hand (moby/buildkit#2198) with the verdict attached.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::{Build, LogRetention};
use crate::source::child::CANCEL_GRACE;
use crate::source::feed::{self, Recording};
use crate::source::request::BuildRequest;

/// What the loop is told to do.
pub struct Plan {
    /// Each run's build; its recordings go in the request's `record` directory.
    pub request: BuildRequest,
    pub runs: u32,
    pub reset_every: u32,
}

impl Plan {
    /// Where the runs are recorded.
    pub fn record_dir(&self) -> PathBuf {
        self.request
            .record
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// Stop requests: after the current run, or now.
#[derive(Debug, Default)]
pub struct Stop {
    pub after_run: AtomicBool,
    pub now: AtomicBool,
}

impl Stop {
    /// Stop now: cancel the current run, start no other.
    pub fn now(&self) {
        self.after_run.store(true, Ordering::SeqCst);
        self.now.store(true, Ordering::SeqCst);
    }

    /// A Ctrl-C: the first stops after the current run, the second cancels it.
    pub fn press(&self) -> usize {
        if self.after_run.swap(true, Ordering::SeqCst) {
            self.now.store(true, Ordering::SeqCst);
            2
        } else {
            1
        }
    }
}

/// One build of the plan, run to its end.
pub struct Ran {
    pub build: Build,
    /// The build's own exit code.
    pub exit: i32,
    /// It was cancelled (a stop request) or killed.
    pub interrupted: bool,
    pub seconds: f64,
    pub recording: PathBuf,
    /// The image it left in the daemon, when it says so.
    pub image_id: Option<String>,
}

/// Runs build number `run` of the plan, recording it, until it ends or `stop` cancels it.
pub fn run_build(plan: &Plan, run: u32, stop: &Stop) -> Result<Ran, String> {
    let ext = plan.request.runner.recording_extension();
    let path = plan.record_dir().join(format!("run-{run:03}.{ext}"));
    let record = Recording::create(path.clone())
        .map_err(|e| format!("cannot create the recording {}: {e}", path.display()))?;
    let origin = crate::source::now();
    let t0 = Instant::now();
    let mut started = plan.request.start()?;
    let output: Box<dyn Read + Send> = started
        .output
        .take()
        .ok_or("the build has no output to read")?;
    let reading = plan.request.reading(origin);
    let (tx, mut rx) = tokio::sync::mpsc::channel(feed::CHANNEL_BOUND);
    let reader = feed::spawn(output, Some(record), reading, tx)
        .map_err(|e| format!("cannot read the build's output: {e}"))?;
    let mut build = Build::new(LogRetention {
        bytes_per_vertex: 64 << 10,
    });
    let mut cancelled = false;
    loop {
        if stop.now.load(Ordering::SeqCst) && !cancelled {
            started.job.cancel();
            cancelled = true;
        }
        if cancelled {
            started.job.enforce_cancel(CANCEL_GRACE);
        }
        match rx.try_recv() {
            Ok(e) => build.apply(e),
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => break,
        }
    }
    let _ = reader.join();
    // The output has closed, so the build is ending: give it the grace to exit by itself, and
    // cancel only one that does not (cancelling at once would mark a run that just finished as
    // interrupted).
    let exit = match started.job.wait(CANCEL_GRACE) {
        Some(code) => code,
        None => started.job.wait_cancelled(CANCEL_GRACE).unwrap_or(1),
    };
    let interrupted = cancelled || started.job.was_cancelled();
    let seconds = t0.elapsed().as_secs_f64();
    let image_id = started.image_id();
    Ok(Ran {
        build,
        exit,
        interrupted,
        seconds,
        recording: path,
        image_id,
    })
}

/// Signals while no screen is up, on a thread of their own: Ctrl-C stops after the current run
/// (a second cancels it); SIGTERM and SIGHUP (a CI job killed, the session gone) cancel it at
/// once.
/// The handlers are installed before it returns (before any build starts): a signal in between
/// would otherwise take its default action and kill us.
pub fn watch_signals(stop: Arc<Stop>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut int, mut term, mut hup) = {
        let _in = rt.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
            signal(SignalKind::hangup())?,
        )
    };
    std::thread::Builder::new()
        .name("buildx-gantt-signals".into())
        .spawn(move || {
            rt.block_on(async move {
                loop {
                    tokio::select! {
                        _ = int.recv() => {
                            if stop.press() == 1 {
                                eprintln!("buildx-gantt: stopping after this run (Ctrl-C again cancels it)");
                            }
                        }
                        _ = term.recv() => stop.now(),
                        _ = hup.recv() => stop.now(),
                    }
                }
            })
        })?;
    Ok(())
}

/// Whether `path` holds a recording that can be opened in the chart.
pub fn openable(path: &Path) -> bool {
    path.metadata().map(|m| m.len() > 0).unwrap_or(false)
}
