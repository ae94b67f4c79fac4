//! `compare BEFORE AFTER` as text: the totals, why each step of the build after ran, the steps by
//! largest slowdown, the races on each side, and the critical paths.

use std::fmt::Write;

use crate::analysis::Analysis;
use crate::chart::short_name;
use crate::chart::words::{
    cause_words, critical_chain_then, cut, lock_wait_then, outcome_words, overlap_change,
    race_sentence, secs, seen, signed, wrap,
};
use crate::diff::{Cause, Diff, Match, Side, StepDiff, Totals};
use crate::model::visible;

/// Steps listed in the table; the rest are counted.
const TABLE_ROWS: usize = 40;

pub fn render(d: &Diff, before: &Side, after: &Side, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} → {}", visible(before.name), visible(after.name));
    totals(&mut out, d, width);
    if let Some(w) = went(d, before.a, after.a) {
        out.push_str(&wrap(&w, width, "  "));
        out.push('\n');
    }
    causes(&mut out, d, after.a, width);
    table(&mut out, d, before.a, after.a, width);
    races(&mut out, d, before.a, after.a, width);
    paths(&mut out, d, before.a, after.a, width);
    out
}

pub fn side_line(t: &Totals) -> String {
    let wall = t.wall.map_or("?".into(), secs);
    let path = t
        .critical
        .map_or(String::new(), |c| format!("; critical path {}", secs(c)));
    format!(
        "build {} in {wall}: {} steps ran ({} of work), {} cache hits{path}",
        outcome_words(t.outcome),
        t.executed,
        secs(t.work),
        t.cached
    )
}

fn totals(out: &mut String, d: &Diff, width: usize) {
    out.push_str(&wrap(
        &format!("before: {}", side_line(&d.before)),
        width,
        "  ",
    ));
    out.push_str(&wrap(
        &format!("after:  {}", side_line(&d.after)),
        width,
        "  ",
    ));
    if let (Some(b), Some(a)) = (d.before.wall, d.after.wall) {
        let work = signed(d.after.work - d.before.work);
        let line = format!(
            "wall time {} ({} → {}); work {work}",
            signed(a - b),
            secs(b),
            secs(a)
        );
        out.push_str(&wrap(&line, width, "  "));
    }
}

fn causes(out: &mut String, d: &Diff, after: &Analysis, width: usize) {
    let _ = writeln!(out, "Why steps ran in the build after");
    if d.steps.iter().any(|s| s.cause == Some(Cause::NoCache)) {
        out.push_str(&wrap(&cause_words(&Cause::NoCache, after), width, "  "));
        out.push('\n');
        return;
    }
    let by_start = in_order(d, after);
    let roots: Vec<String> = by_start
        .iter()
        .filter_map(|s| Some((*s, s.cause.as_ref().filter(|c| c.is_root())?)))
        .filter_map(|(s, c)| {
            let name = visible(after.steps[s.pair.after?].name());
            Some(format!("{name} — {}", cause_words(c, after)))
        })
        .collect();
    if roots.is_empty() && d.after.executed == 0 {
        let _ = writeln!(out, "  nothing: every step was a cache hit");
    } else if roots.is_empty() {
        let _ = writeln!(out, "  no root cause found");
    } else {
        let _ = writeln!(out, "  root causes:");
        for r in &roots {
            out.push_str(&wrap(r, width, "    "));
        }
    }
    let follows: Vec<String> = by_start
        .iter()
        .copied()
        .filter_map(|s| match &s.cause {
            Some(c @ Cause::Follows(_)) => {
                let direct = matches!(c, Cause::Follows(up) if *up == s.because);
                let roots: Vec<String> = s
                    .because
                    .iter()
                    .map(|&i| short_name(&after.steps[i]))
                    .collect();
                let from = if roots.is_empty() || direct {
                    String::new()
                } else {
                    format!(" (because of {})", roots.join(", "))
                };
                Some(format!(
                    "{} {}{from}",
                    short(s, after),
                    cause_words(c, after)
                ))
            }
            _ => None,
        })
        .collect();
    if !follows.is_empty() {
        let _ = writeln!(out, "  and because of them:");
        for f in &follows {
            out.push_str(&wrap(f, width, "    "));
        }
    }
    let hits: Vec<String> = by_start
        .iter()
        .copied()
        .filter(|s| {
            s.after
                .is_some_and(|a| a.state == crate::model::State::Cached)
        })
        .map(|s| short(s, after))
        .collect();
    if !hits.is_empty() {
        let line = format!("cache hits ({}): {}", hits.len(), hits.join(", "));
        out.push_str(&wrap(&line, width, "  "));
    }
    out.push('\n');
}

/// The steps of the build after, by when they started.
pub fn in_order<'d>(d: &'d Diff, after: &Analysis) -> Vec<&'d StepDiff> {
    let mut v: Vec<&StepDiff> = d.steps.iter().filter(|s| s.pair.after.is_some()).collect();
    v.sort_by_key(|s| s.pair.after.and_then(|i| after.steps[i].start()));
    v
}

/// Where the wall time went: what the cache saved, and the largest changes either way.
pub fn went(d: &Diff, before: &Analysis, after: &Analysis) -> Option<String> {
    let name = |s: &StepDiff| match (s.pair.after, s.pair.before) {
        (Some(a), _) => short_name(&after.steps[a]),
        (_, Some(b)) => short_name(&before.steps[b]),
        _ => String::new(),
    };
    let mut moved: Vec<&StepDiff> = d.steps.iter().filter(|s| s.change() != 0).collect();
    moved.sort_by_key(|s| std::cmp::Reverse(s.change().abs()));
    let list = |keep: &dyn Fn(&&StepDiff) -> bool| -> Vec<String> {
        moved
            .iter()
            .filter(|s| keep(s))
            .take(3)
            .map(|s| format!("{} {}", name(s), signed(s.change())))
            .collect()
    };
    let hit = |s: &&StepDiff| {
        s.after
            .is_some_and(|a| a.state == crate::model::State::Cached)
    };
    let mut parts = Vec::new();
    let saved: i64 = d
        .steps
        .iter()
        .filter(hit)
        .filter_map(|s| s.before.map(|b| b.active))
        .sum();
    if saved > 0 {
        parts.push(format!("cache hits saved {} of work", secs(saved)));
    }
    let slower = list(&|s| s.change() > 0);
    if !slower.is_empty() {
        parts.push(format!("slower: {}", slower.join(", ")));
    }
    let faster = list(&|s| s.change() < 0 && !hit(s));
    if !faster.is_empty() {
        parts.push(format!("faster: {}", faster.join(", ")));
    }
    (!parts.is_empty()).then(|| format!("where it went: {}", parts.join("; ")))
}

fn short(s: &StepDiff, after: &Analysis) -> String {
    s.pair
        .after
        .map_or(String::new(), |i| short_name(&after.steps[i]))
}

fn table(out: &mut String, d: &Diff, before: &Analysis, after: &Analysis, width: usize) {
    let mut rows: Vec<&StepDiff> = d.steps.iter().collect();
    rows.sort_by_key(|s| std::cmp::Reverse(s.change()));
    let _ = writeln!(out, "Steps, largest slowdown first");
    let name_w = width.saturating_sub(40).clamp(20, 60);
    let _ = writeln!(
        out,
        "  {:<name_w$}  {:<12}  {:<12}  change",
        "step", "before", "after"
    );
    for s in rows.iter().take(TABLE_ROWS) {
        let name = match (s.pair.after, s.pair.before) {
            (Some(a), _) => visible(after.steps[a].name()),
            (None, Some(b)) => visible(before.steps[b].name()),
            _ => continue,
        };
        let mark = match s.pair.how {
            Match::New => " (new)",
            Match::Gone => " (gone)",
            Match::Changed => " (changed)",
            _ => "",
        };
        let label = cut(&format!("{name}{mark}"), name_w);
        let _ = writeln!(
            out,
            "  {label:<name_w$}  {:<12}  {:<12}  {}",
            seen(s.before),
            seen(s.after),
            signed(s.change())
        );
    }
    if rows.len() > TABLE_ROWS {
        let _ = writeln!(out, "  … and {} more steps", rows.len() - TABLE_ROWS);
    }
    out.push('\n');
}

fn races(out: &mut String, d: &Diff, before: &Analysis, after: &Analysis, width: usize) {
    let waits = !before.lock_waits.is_empty() || !after.lock_waits.is_empty();
    if d.races.is_empty() && d.overlaps.is_empty() && !waits {
        return;
    }
    let _ = writeln!(out, "Races");
    for line in d
        .races
        .iter()
        .map(race_sentence)
        .chain(d.overlaps.iter().map(overlap_change))
    {
        out.push_str(&wrap(&line, width, "  "));
    }
    for (when, a) in [("before", before), ("after", after)] {
        for w in &a.lock_waits {
            out.push_str(&wrap(&lock_wait_then(a, w, when), width, "  "));
        }
    }
    out.push('\n');
}

fn paths(out: &mut String, d: &Diff, before: &Analysis, after: &Analysis, width: usize) {
    let (Some(b), Some(a)) = (
        critical_chain_then(before, "before"),
        critical_chain_then(after, "after"),
    ) else {
        return;
    };
    let _ = writeln!(out, "Critical path");
    out.push_str(&wrap(&b, width, "  "));
    out.push_str(&wrap(&a, width, "  "));
    let names = |ids: &[usize], a: &Analysis| -> Vec<String> {
        ids.iter().map(|&s| short_name(&a.steps[s])).collect()
    };
    if !d.path_added.is_empty() {
        let line = format!("on it now: {}", names(&d.path_added, after).join(", "));
        out.push_str(&wrap(&line, width, "  "));
    }
    if !d.path_removed.is_empty() {
        let line = format!("off it now: {}", names(&d.path_removed, before).join(", "));
        out.push_str(&wrap(&line, width, "  "));
    }
}
