//! `buildx-gantt repeat`: the same build N times, the cache emptied every K, each run recorded;
//! per run whether it passed, how long it took, a miniature of its timeline and who took the
//! shared cache first; at the end the failure rate and how well that verdict predicted the
//! outcome. Races are intermittent, so one build proves little; this is the loop people write by
//! hand (moby/buildkit#2198) with the verdict attached.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::analysis::{short_name, Analysis};
use crate::layers;
use crate::model::{Build, LogRetention, Nanos, State};
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

/// Which step took a shared cache first in one run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CacheOrder {
    pub cache_id: String,
    /// Short name of the step that completed first (`[stage-2 2/4]`).
    pub first: Option<String>,
    /// Whether that step is the reader (the one in the dependent stage): the race was lost.
    pub reader_first: Option<bool>,
    /// No race ran: one or both steps were cache hits.
    pub no_race: bool,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// 1-based.
    pub run: u32,
    pub passed: bool,
    /// The build's own exit code.
    pub exit: i32,
    /// Why it failed (the failed step and its error, missing layers, an interruption).
    pub reason: Option<String>,
    pub seconds: f64,
    pub cache_reset: Option<String>,
    pub cached_steps: usize,
    pub hazards: Vec<CacheOrder>,
    pub recording: PathBuf,
    /// How many steps ran at each of [`MINI_WIDTH`] moments of the run (the miniature).
    pub activity: Vec<u8>,
    /// Columns of the miniature where a stage ran alongside its COPY --from source.
    pub overlap: Vec<bool>,
    pub layers: Option<String>,
    #[serde(skip)]
    pub interrupted: bool,
}

pub const MINI_WIDTH: usize = 24;

/// What the loop tells whoever shows it.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Run N starts (after the cache reset, if any).
    Starting {
        run: u32,
        reset: Option<String>,
    },
    Finished(Box<RunResult>),
    /// A run could not start or its cache could not be reset; the loop stops.
    Error(String),
    Done,
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

/// Runs the loop, telling `tell` as it goes.
pub fn run(plan: &Plan, stop: &Stop, tell: &mut dyn FnMut(Progress)) {
    if let Err(e) = std::fs::create_dir_all(plan.record_dir()) {
        tell(Progress::Error(format!(
            "cannot create {}: {e}",
            plan.record_dir().display()
        )));
        return;
    }
    for i in 0..plan.runs {
        if stop.after_run.load(Ordering::SeqCst) {
            break;
        }
        let reset = if plan.reset_every > 0 && i % plan.reset_every == 0 {
            match plan.request.prune() {
                Ok(s) => Some(s),
                Err(e) => {
                    tell(Progress::Error(e));
                    return;
                }
            }
        } else {
            None
        };
        tell(Progress::Starting {
            run: i + 1,
            reset: reset.clone(),
        });
        match run_one(plan, i + 1, reset, stop) {
            Ok(r) => {
                let interrupted = r.interrupted;
                tell(Progress::Finished(Box::new(r)));
                if interrupted {
                    break;
                }
            }
            Err(e) => {
                tell(Progress::Error(e));
                return;
            }
        }
    }
    tell(Progress::Done);
}

fn run_one(plan: &Plan, run: u32, reset: Option<String>, stop: &Stop) -> Result<RunResult, String> {
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
    let analysis = Analysis::of(&build, plan.request.parsed.as_ref());
    let mut reason = if interrupted {
        Some("interrupted".to_string())
    } else if exit != 0 {
        Some(failure_reason(&build, &analysis))
    } else {
        None
    };
    let mut layers_said = None;
    if plan.request.verify_layers && exit == 0 && !interrupted {
        let target = plan.request.target.as_deref();
        match layers::verify(started.image_id(), plan.request.parsed.as_ref(), target) {
            Ok(c) => {
                if !c.ok() {
                    reason = Some(c.describe());
                }
                layers_said = Some(c.describe());
            }
            Err(e) => layers_said = Some(format!("not checked: {e}")),
        }
    }
    let (activity, overlap) = miniature(&analysis);
    Ok(RunResult {
        run,
        passed: reason.is_none(),
        exit,
        reason,
        seconds,
        cache_reset: reset,
        cached_steps: analysis
            .steps
            .iter()
            .filter(|s| s.state == State::Cached && s.parsed.is_dockerfile_step())
            .count(),
        hazards: analysis
            .hazards
            .iter()
            .map(|h| CacheOrder {
                cache_id: h.cache_id.clone(),
                first: h.first.map(|f| short_name(&analysis.steps[f])),
                reader_first: h
                    .first
                    .filter(|_| h.roles_known)
                    .map(|f| f == h.reader.step),
                no_race: h.race != crate::analysis::Race::Ran,
            })
            .collect(),
        recording: path,
        activity,
        overlap,
        layers: layers_said,
        interrupted,
    })
}

fn failure_reason(build: &Build, a: &Analysis) -> String {
    match a.steps.iter().find(|s| s.state == State::Failed) {
        Some(s) => format!(
            "{} failed: {}",
            short_name(s),
            s.error().unwrap_or_default()
        ),
        None => build
            .error_message()
            .unwrap_or_else(|| "the build failed".into()),
    }
}

/// Steps running at each of [`MINI_WIDTH`] moments, and where a stage overlapped its source.
fn miniature(a: &Analysis) -> (Vec<u8>, Vec<bool>) {
    let (Some(start), Some(end)) = (a.start, a.end) else {
        return (vec![0; MINI_WIDTH], vec![false; MINI_WIDTH]);
    };
    let span = (end - start).max(1);
    let at = |c: usize| start + span * (2 * c as Nanos + 1) / (2 * MINI_WIDTH as Nanos);
    let running =
        |t: Nanos, spans: &[crate::analysis::Span]| spans.iter().any(|&(s, e)| s <= t && t < e);
    let activity = (0..MINI_WIDTH)
        .map(|c| {
            let t = at(c);
            a.steps
                .iter()
                .filter(|s| running(t, &s.spans))
                .count()
                .min(255) as u8
        })
        .collect();
    let overlap = (0..MINI_WIDTH)
        .map(|c| {
            let t = at(c);
            a.overlaps.iter().any(|o| running(t, &o.spans))
        })
        .collect();
    (activity, overlap)
}

/// The miniature as text: a sparkline of how many steps ran.
pub fn sparkline(activity: &[u8]) -> String {
    const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = activity.iter().copied().max().unwrap_or(0).max(1) as usize;
    activity
        .iter()
        .map(|&n| {
            if n == 0 {
                '·'
            } else {
                BARS[(n as usize * 8).div_ceil(max).clamp(1, 8)]
            }
        })
        .collect()
}

/// The summary over the runs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub runs: usize,
    pub failed: usize,
    /// "the builds where X took C first failed a of b times; the others c of d".
    pub prediction: Option<String>,
    /// Runs whose outcome the verdict (reader first ⇒ fail) got right, of those it spoke on.
    pub predicted: Option<(usize, usize)>,
}

pub fn summarize(results: &[RunResult]) -> Summary {
    let done: Vec<&RunResult> = results.iter().filter(|r| !r.interrupted).collect();
    let failed = done.iter().filter(|r| !r.passed).count();
    // The first cache hazard seen, grouped by which step took the cache first.
    let cache = done
        .iter()
        .find_map(|r| r.hazards.first().map(|h| h.cache_id.clone()));
    let (mut prediction, mut predicted) = (None, None);
    if let Some(cache) = cache {
        let order = |r: &RunResult| r.hazards.iter().find(|h| h.cache_id == cache).cloned();
        let mut takers: Vec<String> = done.iter().filter_map(|r| order(r)?.first).collect();
        takers.sort();
        takers.dedup();
        let rate = |who: &str, same: bool| {
            let group: Vec<&&RunResult> = done
                .iter()
                .filter(|r| (order(r).and_then(|h| h.first).as_deref() == Some(who)) == same)
                .collect();
            (group.iter().filter(|r| !r.passed).count(), group.len())
        };
        // Say it of the taker whose runs failed most.
        if let Some(who) = takers.iter().max_by(|a, b| {
            let (fa, na) = rate(a, true);
            let (fb, nb) = rate(b, true);
            (fa * nb).cmp(&(fb * na))
        }) {
            let (f, n) = rate(who, true);
            let (of, on) = rate(who, false);
            prediction = Some(format!(
                "the builds where `{who}` took `{cache}` first failed {f} of {n} time{}; the others {of} of {on}",
                if n == 1 { "" } else { "s" }
            ));
        }
        let spoken: Vec<(bool, bool)> = done
            .iter()
            .filter_map(|r| Some((order(r)?.reader_first?, !r.passed)))
            .collect();
        if !spoken.is_empty() {
            let right = spoken
                .iter()
                .filter(|(lost, failed)| lost == failed)
                .count();
            predicted = Some((right, spoken.len()));
        }
    }
    Summary {
        runs: done.len(),
        failed,
        prediction,
        predicted,
    }
}

/// The summary in words.
pub fn summary_lines(s: &Summary) -> Vec<String> {
    let mut out = vec![format!(
        "{} of {} build{} failed ({:.0}%)",
        s.failed,
        s.runs,
        if s.runs == 1 { "" } else { "s" },
        if s.runs == 0 {
            0.0
        } else {
            100.0 * s.failed as f64 / s.runs as f64
        }
    )];
    match &s.prediction {
        Some(p) => out.push(p.clone()),
        None => {
            out.push("no cache hazard in these builds: the verdict has nothing to predict".into())
        }
    }
    if let Some((right, of)) = s.predicted {
        out.push(format!(
            "the verdict (\"the reader took the cache first, so it saw it empty\") called {right} of {of} outcomes"
        ));
    }
    out
}

/// One run as a table row (text output and the screen).
pub fn row(r: &RunResult) -> String {
    let verdict = match r.hazards.first() {
        Some(h) if h.no_race => format!("no race on {} (cache hits)", h.cache_id),
        Some(h) => format!(
            "{} took {} first{}",
            h.first.as_deref().unwrap_or("?"),
            h.cache_id,
            match h.reader_first {
                Some(true) => " (race lost)",
                Some(false) => " (race won)",
                None => "",
            }
        ),
        None => "no cache hazard".into(),
    };
    format!(
        "{:>4}  {:<6} {:>7}  {}  {}",
        format!("#{}", r.run),
        if r.interrupted {
            "STOP"
        } else if r.passed {
            "pass"
        } else {
            "FAIL"
        },
        crate::model::tenths(r.seconds),
        sparkline(&r.activity),
        verdict
    )
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
