//! `trends` as text (a table with sparklines), JSON (schema `buildx-gantt/trends`, in
//! docs/JSON.md), Markdown (a job summary) and one self-contained HTML page (the builds as bars,
//! failures red; the steps' table; the JSON embedded).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::chart::words::{cut, wrap};
use crate::export::markdown::inline;
use crate::export::svg::escape;
use crate::model::format_rfc3339;
use crate::trends::words::{
    headline, race_evidence, race_sentence, seconds, signed_seconds, sparkline,
};
use crate::trends::{BuildFacts, StepTrend, Trends};

pub const SCHEMA: &str = "buildx-gantt/trends";
pub const VERSION: u32 = 1;

/// Steps listed as having grown most.
const GREW: usize = 5;
/// Failed builds named in the text and Markdown (the rest counted).
const FAILED_LISTED: usize = 10;
/// Sparkline width in the text and Markdown.
const SPARK: usize = 24;

#[derive(Serialize)]
pub struct JTrends<'a> {
    pub schema: &'static str,
    pub version: u32,
    pub builds: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub incomplete: usize,
    pub wall: JWall,
    pub hazards: Vec<JHazard<'a>>,
    pub steps: Vec<JStep<'a>>,
    /// The steps whose median grew most (names), most first.
    pub grew_most: Vec<&'a str>,
    /// Every build, oldest first.
    pub build_list: Vec<JBuild<'a>>,
    /// Inputs that could not be read, and why.
    pub skipped: &'a [String],
}

#[derive(Serialize)]
pub struct JWall {
    pub median: Option<f64>,
    pub p90: Option<f64>,
    /// The newer half's median less the older half's.
    pub change: Option<f64>,
}

#[derive(Serialize)]
pub struct JHazard<'a> {
    pub cache: &'a str,
    pub first: BTreeMap<&'a str, usize>,
    pub failed_when_first: BTreeMap<&'a str, usize>,
    pub builds: usize,
    pub proven: usize,
    pub unknown: usize,
}

#[derive(Serialize)]
pub struct JStep<'a> {
    pub name: &'a str,
    pub runs: usize,
    pub cached: usize,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub critical: usize,
    pub change: Option<f64>,
    /// Seconds in each build, oldest first (null: a cache hit, or not in that build).
    pub series: &'a [Option<f64>],
}

#[derive(Serialize)]
pub struct JBuild<'a> {
    pub source: &'a str,
    pub reference: Option<&'a str>,
    pub start: Option<String>,
    pub outcome: &'static str,
    pub wall: f64,
    pub failure: Option<&'a str>,
    /// Per cache: the step that took it first.
    pub first: BTreeMap<&'a str, Option<&'a str>>,
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

pub fn json_of(t: &Trends) -> JTrends<'_> {
    JTrends {
        schema: SCHEMA,
        version: VERSION,
        builds: t.builds.len(),
        failed: t.failed,
        cancelled: t.cancelled,
        incomplete: t.incomplete,
        wall: JWall {
            median: t.wall.median.map(round),
            p90: t.wall.p90.map(round),
            change: t.wall_change.map(round),
        },
        hazards: t
            .hazards
            .iter()
            .map(|h| JHazard {
                cache: &h.cache,
                first: h.first.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
                failed_when_first: h
                    .failed_when_first
                    .iter()
                    .map(|(k, v)| (k.as_str(), *v))
                    .collect(),
                builds: h.builds,
                proven: h.proven,
                unknown: h.unknown,
            })
            .collect(),
        steps: t
            .steps
            .iter()
            .map(|s| JStep {
                name: &s.name,
                runs: s.runs,
                cached: s.cached,
                median: s.stats.median.map(round),
                p90: s.stats.p90.map(round),
                critical: s.critical,
                change: s.change.map(round),
                series: &s.series,
            })
            .collect(),
        grew_most: t.grew_most(GREW).iter().map(|s| s.name.as_str()).collect(),
        build_list: t.builds.iter().map(build).collect(),
        skipped: &t.skipped,
    }
}

fn build(b: &BuildFacts) -> JBuild<'_> {
    JBuild {
        source: &b.source,
        reference: b.reference.as_deref(),
        start: b.start.map(format_rfc3339),
        outcome: b.outcome.as_str(),
        wall: round(b.wall as f64 / 1e9),
        failure: b.failure.as_deref(),
        first: b
            .hazards
            .iter()
            .map(|h| (h.cache.as_str(), h.first.as_deref()))
            .collect(),
    }
}

pub fn json(t: &Trends) -> String {
    let mut s = serde_json::to_string_pretty(&json_of(t)).unwrap_or_default();
    s.push('\n');
    s
}

/// The builds' wall times, oldest first, as a sparkline.
fn wall_series(t: &Trends) -> Vec<Option<f64>> {
    t.builds.iter().map(|b| Some(b.wall as f64 / 1e9)).collect()
}

/// The text report, `width` columns wide.
pub fn text(t: &Trends, title: &str, width: usize) -> String {
    let width = width.max(60);
    let mut out = String::new();
    let _ = writeln!(out, "{}", cut(title, width));
    out.push_str(&wrap(&headline(t), width, ""));
    let _ = writeln!(out, "  wall time {}", sparkline(&wall_series(t), SPARK));
    out.push('\n');
    if !t.hazards.is_empty() {
        out.push_str("Cache races (who took each shared cache first, build by build)\n");
        for h in &t.hazards {
            out.push_str(&wrap(&format!("⚠ {}", race_sentence(h)), width, "  "));
            out.push_str(&wrap(&format!("({})", race_evidence(h)), width, "    "));
        }
        out.push('\n');
    }
    steps_table(&mut out, t, width);
    let grew = t.grew_most(GREW);
    if !grew.is_empty() {
        let list: Vec<String> = grew
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    short(&s.name),
                    signed_seconds(s.change.unwrap_or(0.0))
                )
            })
            .collect();
        out.push_str(&wrap(
            &format!(
                "Grew most (median, newer half against older): {}",
                list.join(", ")
            ),
            width,
            "  ",
        ));
        out.push('\n');
    }
    failed_list(&mut out, t, width);
    for s in &t.skipped {
        out.push_str(&wrap(&format!("skipped: {s}"), width, "  "));
    }
    out
}

/// A step's numbers as every table shows them: runs, cached, median, p90, critical.
fn cells(s: &StepTrend) -> [String; 5] {
    let opt = |v: Option<f64>| v.map_or("-".to_string(), seconds);
    [
        s.runs.to_string(),
        s.cached.to_string(),
        opt(s.stats.median),
        opt(s.stats.p90),
        s.critical.to_string(),
    ]
}

/// `[builder 2/3]` of `[builder 2/3] RUN …`; BuildKit's own steps whole.
fn short(name: &str) -> &str {
    match name.find(']') {
        Some(i) if name.starts_with('[') && !name.starts_with("[internal]") => &name[..=i],
        _ => name,
    }
}

fn steps_table(out: &mut String, t: &Trends, width: usize) {
    let num = 5 + 7 + 9 + 9 + 6 + 2 + SPARK;
    let name_w = width.saturating_sub(num + 2).max(16);
    let _ = writeln!(
        out,
        "{:<name_w$}  {:>5} {:>6} {:>8} {:>8} {:>5}  trend (oldest → newest)",
        "Steps", "runs", "cached", "median", "p90", "crit"
    );
    for s in &t.steps {
        let [runs, cached, median, p90, critical] = cells(s);
        let _ = writeln!(
            out,
            "{:<name_w$}  {runs:>5} {cached:>6} {median:>8} {p90:>8} {critical:>5}  {}",
            cut(&s.name, name_w),
            sparkline(&s.series, SPARK)
        );
    }
    out.push('\n');
}

fn failed_list(out: &mut String, t: &Trends, width: usize) {
    let groups = failures(t);
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "Failed builds ({})", t.failed);
    for (why, sources) in &groups {
        let n = sources.len();
        out.push_str(&wrap(&format!("{n} × {why}"), width, "  "));
        out.push_str(&wrap(&examples(sources), width, "    "));
    }
    out.push('\n');
}

/// The failed builds grouped by what failed, most first: (the failure, its builds).
fn failures(t: &Trends) -> Vec<(&str, Vec<&str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for b in t.builds.iter().filter(|b| b.failed()) {
        let why = b.failure.as_deref().unwrap_or("failed");
        match groups.iter_mut().find(|(w, _)| *w == why) {
            Some((_, v)) => v.push(&b.source),
            None => groups.push((why, vec![&b.source])),
        }
    }
    groups.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    groups
}

/// `run-003.dockerbuild, run-005.dockerbuild, … and 6 more`.
fn examples(sources: &[&str]) -> String {
    let name = |s: &&str| s.rsplit(['/', ':']).next().unwrap_or(s).to_string();
    let mut s: Vec<String> = sources.iter().take(FAILED_LISTED).map(name).collect();
    if sources.len() > FAILED_LISTED {
        s.push(format!("… and {} more", sources.len() - FAILED_LISTED));
    }
    s.join(", ")
}

/// The Markdown summary (for `$GITHUB_STEP_SUMMARY`).
pub fn markdown(t: &Trends, title: &str) -> String {
    let mut out = format!("## Build trends: {}\n\n", inline(title));
    let _ = writeln!(out, "{}\n", inline(&headline(t)));
    let _ = writeln!(out, "Wall time: `{}`\n", sparkline(&wall_series(t), SPARK));
    if !t.hazards.is_empty() {
        out.push_str("### Cache races\n\n");
        for h in &t.hazards {
            let _ = writeln!(
                out,
                "- ⚠ {} ({})",
                inline(&race_sentence(h)),
                inline(&race_evidence(h))
            );
        }
        out.push('\n');
    }
    out.push_str("### Steps\n\n| step | runs | cached | median | p90 | critical | trend |\n|---|---:|---:|---:|---:|---:|---|\n");
    for s in &t.steps {
        let [runs, cached, median, p90, critical] = cells(s);
        let name = inline(&cut(&s.name, 80));
        let spark = sparkline(&s.series, SPARK);
        let _ = writeln!(
            out,
            "| {name} | {runs} | {cached} | {median} | {p90} | {critical} | `{spark}` |"
        );
    }
    out.push('\n');
    let groups = failures(t);
    if !groups.is_empty() {
        let _ = writeln!(out, "### Failed builds ({})\n", t.failed);
        for (why, sources) in &groups {
            let n = sources.len();
            let _ = writeln!(
                out,
                "- {n} × {} ({})",
                inline(why),
                inline(&examples(sources))
            );
        }
        out.push('\n');
    }
    out
}

/// One self-contained page: no network, no script needed to read it.
pub fn html(t: &Trends, title: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>buildx-gantt trends: {}</title>\n<style>{style}</style></head>\n<body>\n<h1>Build trends: {}</h1>\n<p id=\"headline\">{}</p>\n",
        escape(title),
        escape(title),
        escape(&headline(t)),
        style = STYLE.lines().collect::<String>()
    );
    builds_chart(&mut out, t);
    if !t.hazards.is_empty() {
        out.push_str("<h2>Cache races</h2>\n<ul id=\"races\">\n");
        for h in &t.hazards {
            let _ = writeln!(
                out,
                "<li class=\"hazard\">⚠ {} <span class=\"dim\">({})</span></li>",
                escape(&race_sentence(h)),
                escape(&race_evidence(h))
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Steps</h2>\n<table id=\"steps\"><tr><th>step</th><th>runs</th><th>cached</th><th>median</th><th>p90</th><th>critical</th><th>trend</th></tr>\n");
    for s in &t.steps {
        let cells: Vec<String> = cells(s).iter().map(|c| format!("<td>{c}</td>")).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td>{}<td class=\"spark\">{}</td></tr>",
            escape(&s.name),
            cells.concat(),
            sparkline(&s.series, 48)
        );
    }
    out.push_str("</table>\n");
    for s in &t.skipped {
        let _ = writeln!(out, "<p class=\"dim\">skipped: {}</p>", escape(s));
    }
    let data = serde_json::to_string(&json_of(t)).unwrap_or_default();
    // Inside a script element only `</` could end it early.
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"trends\">{}</script>\n</body></html>",
        data.replace("</", "<\\/")
    );
    out
}

/// The builds as bars, oldest first, as tall as their wall time; failures red.
fn builds_chart(out: &mut String, t: &Trends) {
    let n = t.builds.len().max(1);
    let (w, h) = (960.0, 160.0);
    let bar = w / n as f64;
    let max = t.builds.iter().map(|b| b.wall).max().unwrap_or(1).max(1) as f64;
    let _ = writeln!(
        out,
        "<svg id=\"builds\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"each build's wall time, oldest first; failures red\">",
        h + 20.0,
        h + 20.0
    );
    for (i, b) in t.builds.iter().enumerate() {
        let bh = (b.wall as f64 / max * h).max(1.0);
        let class = if b.failed() { "fail" } else { "pass" };
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{}</title></rect>",
            i as f64 * bar,
            h - bh,
            (bar - 1.0).max(0.5),
            escape(&format!(
                "{} · {} · {}",
                b.source,
                b.outcome.as_str(),
                seconds(b.wall as f64 / 1e9)
            ))
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"0\" y=\"{}\" class=\"dim\">oldest</text><text x=\"{w}\" y=\"{}\" text-anchor=\"end\" class=\"dim\">newest · tallest {}</text></svg>",
        h + 16.0,
        h + 16.0,
        seconds(max / 1e9)
    );
}

/// The page's stylesheet, one rule a line in the file and run together on the page.
const STYLE: &str = include_str!("../../assets/trends.css");
