//! The HTML report: one self-contained file (no network, no external script, style or font) for a
//! CI system to keep as an artifact. The SVG chart with a small script for zoom, pan and step
//! details; the verdicts and their explanation as text; the JSON report embedded for tools
//! (`<script type="application/json" id="report-json">`), and each step's output unless
//! `--no-logs`.
//!
//! Links: `#step=N` opens step N's details, `#t=A-B` shows seconds A to B (both together:
//! `#step=N&t=A-B`); the page keeps the hash up to date, so a link shows what its sender saw.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;

use serde::Serialize;

use super::json;
use super::svg::{self, escape, palette, Rows, SvgOptions, Theme};
use crate::analysis::{failed_steps, Analysis};
use crate::chart::short_name;
use crate::chart::words::{
    hazard_fact, hazard_title, hazards_unlisted, headline, lock_wait_sentence, overlap_fact,
    overlap_sentence, pair_facts, pair_sentence, path_step, secs, stage_active, stale_lines,
    stale_title, transfer_lines, when,
};
use crate::model::{Build, Estimate, Nanos};

/// How much of each vertex's output the HTML report keeps (the last bytes).
pub const LOG_BYTES_PER_STEP: usize = 256 << 10;

#[derive(Debug, Clone, Copy)]
pub struct HtmlOptions {
    pub theme: Theme,
    pub rows: Rows,
    /// Embed each step's output.
    pub logs: bool,
}

/// One step's output as embedded: `[stream, text]` lines, and how much was not kept.
#[derive(Serialize)]
struct StepLog {
    lines: Vec<(u8, String)>,
    /// Bytes the build printed that the report does not hold (oldest first).
    dropped: u64,
    total: u64,
}

fn logs_of(build: &Build, a: &Analysis) -> BTreeMap<usize, StepLog> {
    let mut out = BTreeMap::new();
    for s in &a.steps {
        let mut log = StepLog {
            lines: Vec::new(),
            dropped: 0,
            total: 0,
        };
        for &v in &s.vertexes {
            let l = &build.vertex(v).log;
            log.lines
                .extend(l.lines().into_iter().map(|line| (line.stream, line.text)));
            log.dropped += l.dropped_bytes().iter().sum::<u64>();
            log.total += l.total_bytes().iter().sum::<u64>();
        }
        if log.total > 0 {
            out.insert(s.id, log);
        }
    }
    out
}

pub fn render(title: &str, source: &str, build: &Build, a: &Analysis, opt: &HtmlOptions) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out, title, source, build, a, opt);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`render`], written into `w` as it is made: the chart and the embedded JSON are never whole
/// in memory.
pub fn write(
    w: &mut dyn io::Write,
    title: &str,
    source: &str,
    build: &Build,
    a: &Analysis,
    opt: &HtmlOptions,
) -> io::Result<()> {
    w.write_all(page_head(&headline(title, build, a), opt).as_bytes())?;
    let chart = SvgOptions {
        theme: opt.theme,
        rows: opt.rows,
        interactive: true,
    };
    svg::write(w, title, source, build, a, &chart)?;
    w.write_all(CHART_END.as_bytes())?;
    sections(w, build, a)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<p class="dim">Made by buildx-gantt {} from {}. The JSON report (schema {} v{}) is embedded in this page: <code>JSON.parse(document.getElementById("report-json").textContent)</code>.</p>"#,
        env!("CARGO_PKG_VERSION"),
        escape(source),
        json::SCHEMA,
        json::VERSION
    );
    out.push_str("</main>\n");
    w.write_all(out.as_bytes())?;
    json_script(w, "report-json", &json::report(source, build, a))?;
    // What each step moved, in the report's words (its details say it).
    let moved: std::collections::BTreeMap<String, String> = transfer_lines(build, a)
        .into_iter()
        .map(|(id, line)| (id.to_string(), line))
        .collect();
    if !moved.is_empty() {
        json_script(w, "moved-json", &moved)?;
    }
    json_script(w, "words-json", &page_words(a))?;
    if opt.logs {
        json_script(w, "logs-json", &logs_of(build, a))?;
    }
    write!(w, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n")
}

/// The chart's sentences the details panel says, so that the script makes none of its own: each
/// hazard from its writer's and its reader's side (as the screen's step facts say it), each
/// stage's overlaps (as its stage facts do) and when it was active, and each step's words
/// ([`step_words`]).
fn page_words(a: &Analysis) -> PageWords<'_> {
    let hazards: Vec<[String; 2]> = a
        .hazards
        .iter()
        .map(|h| {
            [
                hazard_fact(a, h, h.writer.step),
                hazard_fact(a, h, h.reader.step),
            ]
        })
        .collect();
    let mut stages: BTreeMap<&str, Vec<String>> = Default::default();
    for o in &a.overlaps {
        stages.entry(&o.stage).or_default().push(overlap_fact(o));
    }
    let zero = a.start.unwrap_or(0);
    let stage_times: BTreeMap<&str, String> = a
        .stages
        .iter()
        .filter_map(|st| Some((st.name.as_str(), stage_active(zero, st)?)))
        .collect();
    PageWords {
        hazards,
        stages,
        stage_times,
        steps: StepsWords(a),
    }
}

/// The page's `words-json`.
#[derive(Serialize)]
struct PageWords<'a> {
    hazards: Vec<[String; 2]>,
    stages: BTreeMap<&'a str, Vec<String>>,
    stage_times: BTreeMap<&'a str, String>,
    steps: StepsWords<'a>,
}

/// Every step's words by its id, made as they are written (a build of 100,000 steps would hold
/// them all at once otherwise).
struct StepsWords<'a>(&'a Analysis);

impl Serialize for StepsWords<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = ser.serialize_map(Some(self.0.steps.len()))?;
        for s in &self.0.steps {
            map.serialize_entry(&s.id, &step_words(self.0, s))?;
        }
        map.end()
    }
}

/// What a step's details say in the chart's words: its times (`[row, words]`: started and ended
/// since the build's start with an estimate's bounds, how long it was active), each pair of steps
/// it is in (the sentence, and the other step it names, for a link), its stale-cache lines.
fn step_words(a: &Analysis, s: &crate::analysis::Step) -> serde_json::Value {
    let zero = a.start.unwrap_or(0);
    // The step's own start and end, with the bounds of its first start and its last end (as the
    // JSON report gives them).
    let bounded = |t: Option<Nanos>, e: Option<Estimate>| {
        t.map(|best| Estimate {
            best,
            ..e.unwrap_or(Estimate::exact(best))
        })
    };
    let mut times = Vec::new();
    let started = bounded(s.start(), s.start_estimate());
    times.extend(started.map(|e| ["started".to_string(), when(zero, &e)]));
    let ended = bounded(s.end(), s.end_estimate());
    times.extend(ended.map(|e| ["ended".to_string(), when(zero, &e)]));
    times.push(["active".to_string(), secs(s.active())]);
    let alongside: Vec<serde_json::Value> = pair_facts(a, s.id)
        .into_iter()
        .map(|(text, other)| {
            serde_json::json!({ "text": text, "step": other, "name": short_name(&a.steps[other]) })
        })
        .collect();
    serde_json::json!({ "times": times, "alongside": alongside, "stale": stale_lines(a, s.id) })
}

/// JSON made safe inside `<script>` as it is written: `<`, `>` and `&` only occur in its strings,
/// where `\u003c` … mean the same.
struct ScriptSafe<'w>(&'w mut dyn io::Write);

impl io::Write for ScriptSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| matches!(b, b'<' | b'>' | b'&')) {
            self.0.write_all(&rest[..i])?;
            self.0.write_all(match rest[i] {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                _ => b"\\u0026",
            })?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// A `<script type="application/json">` element holding `value`, streamed.
pub(super) fn json_script(
    w: &mut dyn io::Write,
    id: &str,
    value: &impl Serialize,
) -> io::Result<()> {
    write!(w, "<script type=\"application/json\" id=\"{id}\">")?;
    serde_json::to_writer(ScriptSafe(&mut *w), value)?;
    w.write_all(b"</script>\n")
}

/// What follows the chart: its details and the script's error box.
const CHART_END: &str =
    "</div>\n<div id=\"details\" hidden></div>\n<pre id=\"script-errors\" hidden></pre>\n";

/// The page up to the chart and its details: the head with the theme's stylesheet, the controls,
/// the chart.
fn page_head(head: &str, opt: &HtmlOptions) -> String {
    let p = palette(opt.theme);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="buildx-gantt {version}">
<title>buildx-gantt: {head}</title>
<style>
:root {{ --bg: {bg}; --fg: {fg}; --dim: {dim}; --grid: {grid}; --band: {band}; --red: {red}; --hazard: {hazard}; --critical: {critical}; --failed: {failed}; }}
body {{ margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 {fonts}; }}
{style}</style>
</head>
<body data-ready="no">
<main>
<div id="controls"><button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (-)">−</button><button id="zoom-fit" title="the whole build (0)">fit</button><span id="window"></span><span>· wheel: zoom · drag: pan · click a step: its times, inputs and output</span></div>
<div id="chart-wrap">
"#,
        version = env!("CARGO_PKG_VERSION"),
        head = escape(head),
        style = STYLE,
        bg = p.bg,
        fg = p.fg,
        dim = p.dim,
        grid = p.grid,
        band = p.band,
        red = p.red,
        hazard = p.hazard,
        critical = p.critical,
        failed = p.failed,
        fonts = svg::FONTS,
    );
    out
}

/// What the build means, as the text report says it.
/// The verdicts under the chart, written as they are made (a huge build's list of step pairs is
/// never held whole).
fn sections(w: &mut dyn io::Write, build: &Build, a: &Analysis) -> io::Result<()> {
    let mut buf = String::new();
    let out = &mut buf;
    let link = |id: usize| {
        format!(
            r##"<a href="#step={id}">{}</a>"##,
            escape(&short_name(&a.steps[id]))
        )
    };
    out.push_str("<section id=\"verdicts\">\n");
    if !a.overlaps.is_empty() {
        out.push_str("<h2 class=\"red\">Concurrency with a COPY --from source</h2>\n");
        for o in &a.overlaps {
            let _ = writeln!(out, "<p>{}</p>", escape(&overlap_sentence(a, o)));
            out.push_str("<ul>\n");
            for pair in &o.pairs {
                let said =
                    pair_sentence(&link(pair.step), &link(pair.source_step), pair.duration());
                let _ = writeln!(out, "<li>{said}</li>");
                spill(w, out)?;
            }
            out.push_str("</ul>\n");
        }
    }
    if !a.hazards.is_empty() {
        out.push_str("<h2 class=\"hazard\">Cache hazards</h2>\n");
        for h in &a.hazards {
            let _ = writeln!(
                out,
                "<p class=\"hazard\"><b>{}</b></p>\n<p>{}</p>\n<p><b>Fix:</b> {}</p>",
                escape(&hazard_title(a, h)),
                escape(&h.explanation),
                escape(&h.fix)
            );
        }
        if let Some(more) = hazards_unlisted(a) {
            let _ = writeln!(out, "<p class=\"dim\">{}</p>", escape(&more));
        }
    }
    if !a.stale.is_empty() {
        out.push_str("<h2 class=\"hazard\">Stale cache (a cache mount is not a layer)</h2>\n");
        for s in &a.stale {
            let _ = writeln!(
                out,
                "<p class=\"hazard\"><b>{}</b></p>\n<p>{}</p>\n<p><b>Fix:</b> {}</p>",
                escape(&stale_title(a, s)),
                escape(&s.explanation),
                escape(&s.fix)
            );
        }
    }
    if !a.lock_waits.is_empty() {
        out.push_str(
            "<h2 class=\"hazard\">Lock waits (from the build record's trace)</h2>\n<ul>\n",
        );
        for w in &a.lock_waits {
            let _ = writeln!(out, "<li>{}</li>", escape(&lock_wait_sentence(a, w)));
        }
        out.push_str("</ul>\n");
    }
    let moved = transfer_lines(build, a);
    if !moved.is_empty() {
        out.push_str("<h2>Pulls, pushes and exports</h2>\n<ul id=\"moved\">\n");
        for (id, line) in moved {
            let name = short_name(&a.steps[id]);
            let rest = line.strip_prefix(name.as_str()).unwrap_or(&line);
            let _ = writeln!(out, "<li>{}{}</li>", link(id), escape(rest));
        }
        out.push_str("</ul>\n");
    }
    if let Some(cp) = &a.critical_path {
        let _ = write!(
            out,
            "<h2 class=\"critical\">Critical path ({})</h2>\n<p>",
            secs(cp.end - cp.start)
        );
        for (i, &s) in cp.steps.iter().enumerate() {
            let words = path_step(&a.steps[s]);
            let name = short_name(&a.steps[s]);
            let arrow = if i > 0 { " → " } else { "" };
            let _ = write!(out, "{arrow}{}{}", link(s), escape(&words[name.len()..]));
            spill(w, out)?;
        }
        out.push_str("</p>\n");
    }
    if let Some(t) = crate::analysis::time_breakdown(a) {
        out.push_str("<h2>Where the time went</h2>\n<ul id=\"time\">\n");
        for line in crate::chart::words::time_lines(&t) {
            let _ = writeln!(out, "<li>{}</li>", escape(&line));
        }
        out.push_str("</ul>\n");
    }
    let failed = failed_steps(a);
    if !failed.is_empty() || !build.error_text.is_empty() {
        out.push_str("<h2 class=\"red\">Build error</h2>\n");
        for s in failed {
            let _ = writeln!(
                out,
                "<p>{} failed{}</p>",
                link(s.id),
                s.error()
                    .as_ref()
                    .map(|e| format!(": {}", escape(e)))
                    .unwrap_or_default()
            );
        }
        if !build.error_text.is_empty() {
            let _ = writeln!(
                out,
                "<pre class=\"log\">{}</pre>",
                escape(&build.error_text.join("\n"))
            );
        }
    }
    let mut notes: Vec<String> = Vec::new();
    for w in &build.warnings {
        let at = w.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        notes.push(format!("{at}{}", w.short));
    }
    notes.extend(build.tool_warnings.iter().cloned());
    for d in build.diagnostics() {
        let at = d.line.map(|l| format!("line {l}: ")).unwrap_or_default();
        notes.push(format!("input: {at}{}", d.message));
    }
    if !notes.is_empty() {
        out.push_str("<h2>Warnings</h2>\n<ul>\n");
        for n in notes {
            let _ = writeln!(out, "<li>{}</li>", escape(&n));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    w.write_all(out.as_bytes())
}

/// Writes out what `out` holds once it is large (a huge build's lists are never whole in memory).
fn spill(w: &mut dyn io::Write, out: &mut String) -> io::Result<()> {
    if out.len() > 1 << 16 {
        w.write_all(out.as_bytes())?;
        out.clear();
    }
    Ok(())
}

/// The page's script: zoom and pan by rewriting the time-positioned shapes (`data-t="start end"`,
/// seconds) and the ticks; step details from the embedded JSON. Plain ES5, no library.
const SCRIPT: &str = include_str!("../../assets/report.js");

/// The page's stylesheet past the theme's colours and font (which `page_head` writes first, as
/// CSS variables the rules use).
const STYLE: &str = include_str!("../../assets/report.css");
