//! The words of `repeat`'s table, for its text output and its screen alike: one row per run (with
//! a sparkline of its miniature) and the summary over the runs.

use super::words::{outcome_short, took_first};
use crate::analysis::repeat::{RunResult, Summary};
use crate::analysis::Outcome;

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
            "{}{}",
            took_first(h.first.as_deref().unwrap_or("?"), &h.cache_id),
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
        outcome_short(if r.interrupted {
            Outcome::Cancelled
        } else if r.passed {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        }),
        crate::model::tenths(r.seconds),
        sparkline(&r.activity),
        verdict
    )
}
