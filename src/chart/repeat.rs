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
        Some(p) => out.push(format!(
            "the builds where `{}` took `{}` first failed {} of {} time{}; the others {} of {}",
            p.who,
            p.cache,
            p.failed,
            p.runs,
            if p.runs == 1 { "" } else { "s" },
            p.others_failed,
            p.others
        )),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::repeat::Prediction;

    #[test]
    fn the_summary_says_who_took_the_cache_first_and_how_those_builds_ended() {
        let s = Summary {
            runs: 6,
            failed: 2,
            prediction: Some(Prediction {
                who: "[stage-2 2/4]".into(),
                cache: "demo.mods.v1".into(),
                failed: 2,
                runs: 2,
                others_failed: 0,
                others: 4,
            }),
            predicted: Some((6, 6)),
        };
        assert_eq!(
            summary_lines(&s),
            [
                "2 of 6 builds failed (33%)",
                "the builds where `[stage-2 2/4]` took `demo.mods.v1` first failed 2 of 2 times; the others 0 of 4",
                "the verdict (\"the reader took the cache first, so it saw it empty\") called 6 of 6 outcomes",
            ]
        );
    }
}
