//! `compare --format html`: the comparison as one self-contained page (an artifact to open):
//! the totals, why each step ran, every step with its two runs drawn on one axis, the races and
//! the critical paths, and the JSON comparison embedded for tools.

use std::fmt::Write;

use super::diff_text::{in_order, side_line, went};
use super::svg::escape;
use crate::analysis::Analysis;
use crate::chart::short_name;
use crate::chart::words::{
    cause_words, critical_chain_then, lock_wait_then, overlap_change, race_sentence, seen, signed,
};
use crate::chart::Axis;
use crate::diff::{Cause, Diff, Match, Side, StepDiff};
use crate::graph::Step;
use crate::model::Nanos;

/// The page's stylesheet, one rule a line in the file and run together on the page.
const STYLE: &str = include_str!("../../assets/compare.css");

pub fn render(d: &Diff, before: &Side, after: &Side) -> String {
    let mut out = String::new();
    let title = format!("{} → {}", before.name, after.name);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>compare: {}</title>\
         <style>{style}</style></head><body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title),
        style = STYLE.lines().collect::<String>()
    );
    for line in [
        Some(format!("before: {}", side_line(&d.before))),
        Some(format!("after: {}", side_line(&d.after))),
        went(d, before.a, after.a),
    ]
    .into_iter()
    .flatten()
    {
        let _ = writeln!(out, "<p>{}</p>", escape(&line));
    }
    causes(&mut out, d, after.a);
    steps(&mut out, d, before, after);
    races(&mut out, d, before.a, after.a);
    // The JSON as the report embeds its own: nothing in it can end or reopen the element.
    let mut script = Vec::new();
    let json = super::diff_json::report(d, before, after);
    let _ = super::html::json_script(&mut script, "compare", &json);
    out.push_str(&String::from_utf8_lossy(&script));
    out.push_str("</body></html>\n");
    out
}

fn causes(out: &mut String, d: &Diff, after: &Analysis) {
    out.push_str("<h2>Why steps ran in the build after</h2>\n<ul>\n");
    for s in in_order(d, after) {
        let (Some(c), Some(a)) = (&s.cause, s.pair.after) else {
            continue;
        };
        let class = if c.is_root() { " class=\"root\"" } else { "" };
        let from = match c {
            Cause::Follows(_) if !s.because.is_empty() => {
                let roots: Vec<String> = s
                    .because
                    .iter()
                    .map(|&i| short_name(&after.steps[i]))
                    .collect();
                format!(" (because of {})", roots.join(", "))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<li{class}>{} — {}{}</li>",
            escape(after.steps[a].name()),
            escape(&cause_words(c, after)),
            escape(&from)
        );
    }
    out.push_str("</ul>\n");
}

/// Every step: both runs drawn on one axis (each build from its own start), the numbers, why.
fn steps(out: &mut String, d: &Diff, before: &Side, after: &Side) {
    let axis = shared_axis(d);
    let mut rows: Vec<&StepDiff> = d.steps.iter().collect();
    rows.sort_by_key(|s| std::cmp::Reverse(s.change()));
    out.push_str(
        "<h2>Steps, largest slowdown first</h2>\n<table><tr><th>step</th><th>before / after",
    );
    out.push_str(&ruler(&axis));
    out.push_str("</th><th>before</th><th>after</th><th class=\"num\">change</th></tr>\n");
    for s in rows {
        let b = s.pair.before.map(|i| &before.a.steps[i]);
        let a = s.pair.after.map(|i| &after.a.steps[i]);
        let Some(name) = a.or(b).map(|x| x.name().to_string()) else {
            continue;
        };
        let mark = match s.pair.how {
            Match::New => " (new)",
            Match::Gone => " (gone)",
            Match::Changed => " (changed)",
            _ => "",
        };
        let class = match s.change() {
            c if c > 0 => "num slower",
            c if c < 0 => "num faster",
            _ => "num",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}{mark}</td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            escape(&name),
            lane(b, before.a.start, &axis, "b"),
            lane(a, after.a.start, &axis, "a"),
            escape(&seen(s.before)),
            escape(&seen(s.after)),
            signed(s.change())
        );
    }
    out.push_str("</table>\n");
}

/// The time axis both lanes share: each build from its own start (0) to the longer one's end.
fn shared_axis(d: &Diff) -> Axis {
    let span = d.before.wall.max(d.after.wall).unwrap_or(1).max(1);
    Axis {
        t0: 0,
        t1: span,
        zero: 0,
    }
}

/// The chart's ticks over the lanes (a label at least every 60 of the lane's 360 pixels).
fn ruler(axis: &Axis) -> String {
    let mut out = String::from("<div class=\"axis\">");
    for t in axis.ticks(axis.span() as f64 / 6.0) {
        let left = axis.frac(t.at) * 100.0;
        let _ = write!(out, "<span style=\"left:{left:.2}%\">{}</span>", t.label);
    }
    out.push_str("</div>");
    out
}

/// A step's runs as bars on a lane as wide as the longer build.
fn lane(step: Option<&Step>, zero: Option<Nanos>, axis: &Axis, class: &str) -> String {
    let mut bars = String::new();
    if let (Some(s), Some(z)) = (step, zero) {
        for (x0, x1) in &s.spans {
            let left = (x0 - z) as f64 * 100.0 / axis.span() as f64;
            let width = (x1 - x0) as f64 * 100.0 / axis.span() as f64;
            let _ = write!(
                bars,
                "<span class=\"{class}\" style=\"left:{left:.2}%;width:{width:.2}%\"></span>"
            );
        }
    }
    format!("<div class=\"lane\">{bars}</div>")
}

fn races(out: &mut String, d: &Diff, before: &Analysis, after: &Analysis) {
    out.push_str("<h2>Races and critical paths</h2>\n<ul>\n");
    for line in d
        .races
        .iter()
        .map(race_sentence)
        .chain(d.overlaps.iter().map(overlap_change))
    {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    for (when, a) in [("before", before), ("after", after)] {
        for w in &a.lock_waits {
            let _ = writeln!(out, "<li>{}</li>", escape(&lock_wait_then(a, w, when)));
        }
        if let Some(line) = critical_chain_then(a, when) {
            let _ = writeln!(out, "<li class=\"dim\">{}</li>", escape(&line));
        }
    }
    out.push_str("</ul>\n");
}
