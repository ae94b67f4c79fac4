//! Views that are not the TUI: a text report for terminals and CI logs, a JSON report for tools,
//! an SVG chart for slides and pages, and an HTML report for CI artifacts; and the verdict wording
//! they share with the screen.

pub mod html;
pub mod json;
pub mod svg;
pub mod text;

use crate::analysis::{short_name, Analysis, CacheHazard, Certainty, Overlap, Step};
use crate::model::{Build, State};
use text::secs;

/// Counts of steps by state, for summaries (internal steps excluded).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub steps: usize,
    pub done: usize,
    pub cached: usize,
    pub running: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub never_started: usize,
}

pub fn counts(analysis: &Analysis) -> Counts {
    let mut c = Counts::default();
    for s in analysis.steps.iter().filter(|s| !s.is_internal()) {
        c.steps += 1;
        match s.state {
            State::Done => c.done += 1,
            State::Cached => c.cached += 1,
            State::Running => c.running += 1,
            State::Failed => c.failed += 1,
            State::Cancelled => c.cancelled += 1,
            State::Waiting => c.never_started += 1,
        }
    }
    c
}

/// The build's outcome in one word.
pub fn outcome(build: &Build, analysis: &Analysis) -> &'static str {
    if build.failed() {
        "failed"
    } else if analysis.steps.iter().any(|s| s.state == State::Running)
        || build.ended() == Some(false)
    {
        "incomplete"
    } else {
        "succeeded"
    }
}

/// The outcome as the reports word it (`outcome` is what [`outcome`] returns).
pub fn outcome_words(outcome: &str) -> &'static str {
    match outcome {
        "failed" => "FAILED",
        "incomplete" => "INCOMPLETE (the log ends before the build did)",
        _ => "succeeded",
    }
}

/// The steps that failed on their own (not cancelled), in order of failure.
pub fn failed_steps(analysis: &Analysis) -> Vec<&Step> {
    let mut v: Vec<&Step> = analysis
        .steps
        .iter()
        .filter(|s| s.state == State::Failed)
        .collect();
    v.sort_by_key(|s| s.end());
    v
}

/// The cache verdict in one sentence, as the screen's status line says it (and the SVG and HTML
/// call-outs repeat it). `wide`: with the margin and every word; else the short form.
pub fn hazard_verdict(a: &Analysis, h: &CacheHazard, wide: bool) -> String {
    let w = short_name(&a.steps[h.writer.step]);
    let r = short_name(&a.steps[h.reader.step]);
    // A plain log proves the order, not the margin: that is an estimate.
    let about = if a.estimated { "~" } else { "" };
    let margin = h
        .margin
        .filter(|_| wide)
        .map(|m| format!(" ({about}{} ahead)", secs(m)))
        .unwrap_or_default();
    match h.first {
        Some(f) if h.roles_known && f == h.reader.step => format!(
            "⚠ race lost: {r} read {}{} before {w} filled it{margin}",
            if wide { "cache " } else { "" },
            h.cache_id
        ),
        Some(f) if h.roles_known && f == h.writer.step => format!(
            "⚠ race won this time: {w} filled {}{} before {r} read it{margin}{}",
            if wide { "cache " } else { "" },
            h.cache_id,
            if wide { "; nothing makes it so" } else { "" }
        ),
        Some(f) => format!(
            "⚠ cache {}: {} finished first{margin}; nothing orders {w} and {r}",
            h.cache_id,
            short_name(&a.steps[f])
        ),
        None => format!(
            "⚠ cache {} is shared by {w} and {r}, and nothing orders them",
            h.cache_id
        ),
    }
}

/// What one overlap means, in the words of the text report (also the SVG/HTML and `--check`):
/// `stage-2 ran at the same time as builder, its source, for 0.32s. It waits for builder only at …`
pub fn overlap_sentence(a: &Analysis, o: &Overlap) -> String {
    let via = o
        .via_step
        .map(|s| format!(" It waits for {} only at {}.", o.source, a.steps[s].name))
        .unwrap_or_default();
    let sure = match o.certainty {
        Certainty::Certain => "",
        Certainty::Possible => " (possibly: the log allows it but does not prove it)",
    };
    let mut line = format!(
        "{} ran at the same time as {}, its source, for {}{sure}.{via}",
        o.stage,
        o.source,
        secs(o.duration)
    );
    if a.estimated && !o.certain_steps.is_empty() {
        let names: Vec<String> = o
            .certain_steps
            .iter()
            .map(|&s| short_name(&a.steps[s]))
            .collect();
        line.push_str(&format!(
            " The log proves {} ran while {} was still under way; the times are estimates.",
            names.join(" and "),
            o.source
        ));
    }
    line
}

/// The screen's status line for the first overlap (no hazard): `stage-2 runs alongside builder,
/// its COPY --from source (0.17s)`.
pub fn overlap_verdict(o: &Overlap) -> String {
    format!(
        "{} {} alongside {}, its {} source ({})",
        o.stage,
        if o.certainty == Certainty::Certain {
            "runs"
        } else {
            "may have run"
        },
        o.source,
        o.kind.instruction(),
        secs(o.duration)
    )
}

/// A hazard's heading: `⚠ cache "demo.mods.v1": [builder 2/3] and [stage-2 2/4] — [stage-2 2/4]
/// took the cache first`.
pub fn hazard_title(a: &Analysis, h: &CacheHazard) -> String {
    let first = h
        .first
        .map(|f| format!(" — {} took the cache first", short_name(&a.steps[f])))
        .unwrap_or_default();
    format!(
        "⚠ cache \"{}\": {} and {}{first}",
        h.cache_id,
        short_name(&a.steps[h.writer.step]),
        short_name(&a.steps[h.reader.step]),
    )
}
