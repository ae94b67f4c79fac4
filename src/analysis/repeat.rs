//! What the runs of `repeat` say: per run whether it passed, why not, a miniature of its
//! timeline and who took the shared cache first; over the runs the failure rate and how well the
//! cache verdict predicted the outcome. Running them is [`crate::source::repeat`]; their words
//! are [`crate::chart::repeat`].

use std::path::PathBuf;

use serde::Serialize;

use super::{Analysis, Race};
use crate::graph::short_name;
use crate::model::{Build, Nanos, State};

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

/// The summary over the runs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub runs: usize,
    pub failed: usize,
    /// How the builds failed by who took the first cache hazard's cache first (said by
    /// `chart::repeat`).
    pub prediction: Option<Prediction>,
    /// Runs whose outcome the verdict (reader first ⇒ fail) got right, of those it spoke on.
    pub predicted: Option<(usize, usize)>,
}

/// Of the builds where `who` took `cache` first, `failed` of `runs` failed; of the others,
/// `others_failed` of `others`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Prediction {
    pub who: String,
    pub cache: String,
    pub failed: usize,
    pub runs: usize,
    pub others_failed: usize,
    pub others: usize,
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
            let (failed, runs) = rate(who, true);
            let (others_failed, others) = rate(who, false);
            prediction = Some(Prediction {
                who: who.clone(),
                cache: cache.clone(),
                failed,
                runs,
                others_failed,
                others,
            });
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

/// Why a run failed: its failed step and the step's error, else the build's own message.
pub fn failure_reason(build: &Build, a: &Analysis) -> String {
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
pub fn miniature(a: &Analysis) -> (Vec<u8>, Vec<bool>) {
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

/// Dockerfile steps that were cache hits.
pub fn cached_steps(a: &Analysis) -> usize {
    a.steps
        .iter()
        .filter(|s| s.state == State::Cached && s.parsed.is_dockerfile_step())
        .count()
}

/// Who took each shared cache first in this run.
pub fn cache_orders(a: &Analysis) -> Vec<CacheOrder> {
    a.hazards
        .iter()
        .map(|h| CacheOrder {
            cache_id: h.cache_id.clone(),
            first: h.first.map(|f| short_name(&a.steps[f])),
            reader_first: h
                .first
                .filter(|_| h.roles_known)
                .map(|f| f == h.reader.step),
            no_race: h.race != Race::Ran,
        })
        .collect()
}
