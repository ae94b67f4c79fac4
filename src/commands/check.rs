//! `--check` / `--fail-on` for CI: whether the build has what the user fails on, the exit code
//! that follows, and the one paragraph on stderr that says why.

use crate::analysis::{failed_steps, outcome, Analysis, Certainty, Outcome};
use crate::chart::short_name;
use crate::chart::words::{overlap_sentence, RED_LEGEND};
use crate::cli::FailOn;
use crate::exit::Exit;
use crate::model::Build;

/// Whether the build has what `on` names.
fn violates(build: &Build, a: &Analysis, on: FailOn) -> bool {
    match on {
        FailOn::Hazard => !a.hazards.is_empty() || !a.stale.is_empty(),
        FailOn::Stale => !a.stale.is_empty(),
        FailOn::Overlap => a.overlaps.iter().any(|o| o.certainty == Certainty::Certain),
        FailOn::Incomplete => outcome(build, a) == Outcome::Incomplete,
        FailOn::Never => false,
    }
}

/// The exit code under `--check` (`on`), given the build's own `code`; a violation is explained
/// in one paragraph on stderr. An interrupted build keeps its 130, with the explanation.
pub fn apply(on: Option<FailOn>, build: &Build, a: &Analysis, code: Exit) -> Exit {
    let Some(on) = on.filter(|&on| violates(build, a, on)) else {
        return code;
    };
    eprintln!("{}", explanation(build, a, on, code));
    if code == Exit::INTERRUPTED {
        code
    } else {
        Exit::CHECK
    }
}

fn explanation(build: &Build, a: &Analysis, on: FailOn, code: Exit) -> String {
    let mut s = String::from("buildx-gantt --check: ");
    match on {
        FailOn::Hazard if a.hazards.is_empty() => s.push_str(&stale(a, on)),
        FailOn::Hazard if a.stale.is_empty() => s.push_str(&hazards(a)),
        FailOn::Hazard => s.push_str(&format!("{} Also: {}", hazards(a), stale(a, on))),
        FailOn::Stale => s.push_str(&stale(a, on)),
        FailOn::Incomplete => s.push_str(
            "the log ends before the build did (--fail-on incomplete): it is not the whole \
             build, so what it shows may not be what the build did.",
        ),
        _ => s.push_str(&overlaps(a)),
    }
    if code == Exit::INTERRUPTED {
        s.push_str(" The build was interrupted before it ended.");
    } else if code == Exit::INCOMPLETE {
        if on != FailOn::Incomplete {
            s.push_str(" The log also ends before the build did.");
        }
    } else if code != Exit::OK || build.failed() {
        s.push_str(&format!(
            " The build itself also failed (exit {})",
            code.code()
        ));
        match failed_steps(a).first() {
            Some(f) => {
                let why = f.error().map(|e| format!(" ({e})"));
                s.push_str(&format!(
                    ": {} failed{}.",
                    short_name(f),
                    why.unwrap_or_default()
                ));
            }
            None => s.push('.'),
        }
    }
    s
}

fn hazards(a: &Analysis) -> String {
    let h = &a.hazards[0];
    first_of(
        a.hazards.len(),
        "cache hazard",
        "hazard",
        &h.explanation,
        &h.fix,
    )
}

/// `2 cache hazards (--fail-on hazard). WHY Fix: FIX (`buildx-gantt report` lists the others.)`
fn first_of(n: usize, what: &str, flag: &str, explanation: &str, fix: &str) -> String {
    let mut s = format!(
        "{n} {what}{} (--fail-on {flag}). {explanation} Fix: {fix}",
        if n == 1 { "" } else { "s" },
    );
    if n > 1 {
        s.push_str(" (`buildx-gantt report` lists the others.)");
    }
    s
}

/// The first stale cache (a failure it explains first), why, and the fix.
fn stale(a: &Analysis, on: FailOn) -> String {
    let first = a.stale.iter().find(|s| s.failure.is_some());
    let Some(s) = first.or(a.stale.first()) else {
        return String::new();
    };
    let flag = if on == FailOn::Stale {
        "stale"
    } else {
        "hazard"
    };
    first_of(a.stale.len(), "stale cache", flag, &s.explanation, &s.fix)
}

fn overlaps(a: &Analysis) -> String {
    let proven: Vec<String> = a
        .overlaps
        .iter()
        .filter(|o| o.certainty == Certainty::Certain)
        .map(|o| overlap_sentence(a, o))
        .collect();
    let mut s = format!(
        "a stage {RED_LEGEND} (--fail-on overlap). {}",
        proven.join(" ")
    );
    if a.hazards.is_empty() {
        s.push_str(
            " They share no cache mount, so this is concurrency, not a cache hazard \
             (--fail-on hazard passes).",
        );
    }
    s
}
