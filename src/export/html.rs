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
use crate::analysis::{failed_steps, short_name, Analysis};
use crate::chart::words::{
    hazard_fact, hazard_title, hazards_unlisted, headline, lock_wait_sentence, overlap_fact,
    overlap_sentence, pair_sentence, path_step, secs, stale_title, transfer_lines,
};
use crate::model::Build;

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
/// hazard from its writer's and its reader's side (as the screen's step facts say it), and each
/// stage's overlaps (as its stage facts do).
fn page_words(a: &Analysis) -> serde_json::Value {
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
    let mut stages: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for o in &a.overlaps {
        stages.entry(&o.stage).or_default().push(overlap_fact(o));
    }
    serde_json::json!({ "hazards": hazards, "stages": stages })
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
main {{ max-width: 1320px; margin: 0 auto; padding: 12px 20px 40px; }}
#controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 4px 0 8px; color: var(--dim); }}
#controls button {{ font: inherit; color: var(--fg); background: var(--band); border: 1px solid var(--grid); border-radius: 4px; padding: 2px 10px; cursor: pointer; }}
#chart-wrap {{ overflow-x: auto; border: 1px solid var(--grid); border-radius: 6px; }}
#chart {{ display: block; width: 100%; height: auto; min-width: 960px; cursor: grab; user-select: none; }}
#chart.dragging {{ cursor: grabbing; }}
#chart g.row[data-step], #chart g.row[data-stage] {{ cursor: pointer; }}
#chart g.row:hover .hit {{ fill: var(--grid); fill-opacity: 0.45; }}
#chart g.row.selected .hit {{ fill: var(--critical); fill-opacity: 0.18; }}
#details {{ margin: 12px 0; padding: 10px 14px; border: 1px solid var(--grid); border-left: 4px solid var(--critical); border-radius: 6px; }}
#details h2 {{ margin: 0 0 6px; font-size: 16px; word-break: break-all; }}
#details table {{ border-collapse: collapse; }}
#details td {{ padding: 1px 12px 1px 0; vertical-align: top; }}
#details td:first-child {{ color: var(--dim); white-space: nowrap; }}
main a {{ color: inherit; }}
pre.log {{ max-height: 420px; overflow: auto; background: var(--band); padding: 8px; border-radius: 4px; margin: 6px 0 0; white-space: pre-wrap; word-break: break-all; }}
pre.log .err {{ color: var(--failed); }}
section h2 {{ font-size: 17px; margin: 22px 0 6px; }}
.red {{ color: var(--red); }}
.hazard {{ color: var(--hazard); }}
.critical {{ color: var(--critical); }}
.dim {{ color: var(--dim); }}
#script-errors {{ color: var(--red); white-space: pre-wrap; }}
</style>
</head>
<body data-ready="no">
<main>
<div id="controls"><button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (-)">−</button><button id="zoom-fit" title="the whole build (0)">fit</button><span id="window"></span><span>· wheel: zoom · drag: pan · click a step: its times, inputs and output</span></div>
<div id="chart-wrap">
"#,
        version = env!("CARGO_PKG_VERSION"),
        head = escape(head),
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
const SCRIPT: &str = r#"(function () {
'use strict';
var body = document.body;
var errors = document.getElementById('script-errors');
window.addEventListener('error', function (e) {
  errors.hidden = false;
  errors.textContent += 'script error: ' + e.message + '\n';
  body.setAttribute('data-ready', 'error');
});
var report = JSON.parse(document.getElementById('report-json').textContent);
var movedEl = document.getElementById('moved-json');
var moved = movedEl ? JSON.parse(movedEl.textContent) : {};
var words = JSON.parse(document.getElementById('words-json').textContent);
var logsEl = document.getElementById('logs-json');
var logs = logsEl ? JSON.parse(logsEl.textContent) : null;
var svg = document.getElementById('chart');
var details = document.getElementById('details');
var NS = 'http://www.w3.org/2000/svg';
if (!svg || !svg.getAttribute('data-x0')) { body.setAttribute('data-ready', 'ok'); return; }
var X0 = +svg.getAttribute('data-x0'), X1 = +svg.getAttribute('data-x1');
var END = +svg.getAttribute('data-end');
var vb = svg.viewBox.baseVal;
var ticks = document.getElementById('ticks');
var first = ticks.querySelector('line');
var TOP = first ? +first.getAttribute('y1') : 0, BOTTOM = first ? +first.getAttribute('y2') : 0;
var shapes = Array.prototype.map.call(svg.querySelectorAll('[data-t]'), function (el) {
  var p = el.getAttribute('data-t').split(' ');
  return [el, +p[0], +p[1]];
});
var winners = Array.prototype.slice.call(svg.querySelectorAll('[data-after]'));
var view = [0, END];

function x(t) { return X0 + (t - view[0]) / (view[1] - view[0]) * (X1 - X0); }
function fmt(t, step) {
  var d = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  return t.toFixed(d) + 's';
}
function tickStep() {
  var min = (view[1] - view[0]) / (X1 - X0) * 80, s = 0.001;
  for (var i = 0; i < 40; i++) {
    if (s >= min) return s;
    if (2 * s >= min) return 2 * s;
    if (5 * s >= min) return 5 * s;
    s *= 10;
  }
  return s;
}
function drawTicks() {
  while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
  var step = tickStep();
  for (var t = Math.ceil(view[0] / step) * step; t <= view[1] + 1e-9; t += step) {
    var px = x(t).toFixed(1);
    var l = document.createElementNS(NS, 'line');
    l.setAttribute('x1', px); l.setAttribute('x2', px);
    l.setAttribute('y1', TOP); l.setAttribute('y2', BOTTOM);
    l.setAttribute('stroke', getComputedStyle(body).getPropertyValue('--grid'));
    ticks.appendChild(l);
    var s = document.createElementNS(NS, 'text');
    s.setAttribute('x', px); s.setAttribute('y', TOP - 4); s.setAttribute('text-anchor', 'middle');
    s.textContent = fmt(t, step);
    ticks.appendChild(s);
  }
}
function draw() {
  for (var i = 0; i < shapes.length; i++) {
    var e = shapes[i], a = x(e[1]);
    e[0].setAttribute('x', a.toFixed(1));
    e[0].setAttribute('width', Math.max(2, x(e[2]) - a).toFixed(1));
  }
  winners.forEach(function (w) {
    var a = x(+w.getAttribute('data-after')) + 6;
    w.setAttribute('x', a.toFixed(1));
    w.setAttribute('text-anchor', 'start');
    w.style.display = a > X0 && a < X1 ? '' : 'none';
  });
  drawTicks();
  document.getElementById('window').textContent =
    view[0].toFixed(2) + 's–' + view[1].toFixed(2) + 's of ' + END.toFixed(2) + 's';
}
function setView(a, b) {
  var span = Math.min(END, Math.max(b - a, Math.min(0.001, END)));
  a = Math.max(0, Math.min(a, END - span));
  view = [a, a + span];
  draw();
  saveHash();
}
function zoom(f, at) {
  if (at === undefined) at = (view[0] + view[1]) / 2;
  setView(at - (at - view[0]) * f, at + (view[1] - at) * f);
}
function svgX(ev) {
  var r = svg.getBoundingClientRect();
  return vb.x + (ev.clientX - r.left) * vb.width / r.width;
}
function timeAt(px) { return view[0] + (px - X0) / (X1 - X0) * (view[1] - view[0]); }

svg.addEventListener('wheel', function (ev) {
  ev.preventDefault();
  var px = Math.min(X1, Math.max(X0, svgX(ev)));
  zoom(Math.exp(ev.deltaY * 0.0015), timeAt(px));
}, { passive: false });
var drag = null;
svg.addEventListener('mousedown', function (ev) {
  drag = { x: svgX(ev), view: view.slice(), moved: false };
});
window.addEventListener('mousemove', function (ev) {
  if (!drag) return;
  var dx = svgX(ev) - drag.x;
  if (Math.abs(dx) > 3) { drag.moved = true; svg.classList.add('dragging'); }
  if (drag.moved) {
    var dt = dx / (X1 - X0) * (drag.view[1] - drag.view[0]);
    setView(drag.view[0] - dt, drag.view[1] - dt);
  }
});
window.addEventListener('mouseup', function () { svg.classList.remove('dragging'); setTimeout(function () { drag = null; }, 0); });
svg.addEventListener('click', function (ev) {
  if (drag && drag.moved) return;
  var row = ev.target.closest ? ev.target.closest('g.row') : null;
  if (!row) return;
  if (row.hasAttribute('data-step')) select(+row.getAttribute('data-step'));
  else if (row.hasAttribute('data-stage')) selectStage(row.getAttribute('data-stage'));
  else return;
  if (details.scrollIntoView) details.scrollIntoView({ block: 'nearest' });
});
document.getElementById('zoom-in').onclick = function () { zoom(0.5); };
document.getElementById('zoom-out').onclick = function () { zoom(2); };
document.getElementById('zoom-fit').onclick = function () { setView(0, END); };
document.addEventListener('keydown', function (ev) {
  if (ev.target && /INPUT|TEXTAREA/.test(ev.target.tagName)) return;
  var span = view[1] - view[0];
  if (ev.key === '+' || ev.key === '=') zoom(0.5);
  else if (ev.key === '-') zoom(2);
  else if (ev.key === '0') setView(0, END);
  else if (ev.key === 'ArrowLeft') setView(view[0] - span / 10, view[1] - span / 10);
  else if (ev.key === 'ArrowRight') setView(view[0] + span / 10, view[1] + span / 10);
  else if (ev.key === 'Escape') select(null);
});

var selected = null;
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function secs(t) { return t === null || t === undefined ? '?' : t.toFixed(3) + 's'; }
function bounds(b) {
  if (!b) return '';
  return ' (between ' + secs(b[0]) + ' and ' + (b[1] === null ? 'later' : secs(b[1])) + ')';
}
function stepLink(id) {
  var a = el('a', report.steps[id].name);
  a.href = '#step=' + id;
  a.onclick = function (ev) { ev.preventDefault(); select(id); };
  return a;
}
function addRow(table, key, value) {
  var tr = el('tr');
  tr.appendChild(el('td', key));
  var td = el('td');
  if (typeof value === 'string') td.textContent = value; else td.appendChild(value);
  tr.appendChild(td);
  table.appendChild(tr);
}
function mark(find) {
  Array.prototype.forEach.call(svg.querySelectorAll('g.row.selected'), function (g) { g.classList.remove('selected'); });
  var g = find && svg.querySelector(find);
  if (g) g.classList.add('selected');
}
function select(id) {
  selected = id;
  if (id === null || !report.steps[id]) { details.hidden = true; mark(null); saveHash(); return; }
  var s = report.steps[id];
  mark('g.row[data-step="' + id + '"]');
  details.hidden = false;
  details.textContent = '';
  details.appendChild(el('h2', s.name));
  var t = el('table');
  addRow(t, 'stage', s.stage || '(BuildKit internal)');
  addRow(t, 'state', s.state);
  addRow(t, 'started', secs(s.start) + bounds(s.start_bounds));
  addRow(t, 'ended', secs(s.end) + bounds(s.end_bounds));
  addRow(t, 'active', secs(s.active));
  if (s.inputs.length) {
    var ins = el('span');
    s.inputs.forEach(function (i, n) { if (n) ins.appendChild(document.createTextNode(', ')); ins.appendChild(stepLink(i)); });
    addRow(t, 'waits for', ins);
  }
  s.cache_mounts.forEach(function (m) {
    addRow(t, 'cache mount', (m.id || m.target) + ' at ' + m.target + (m.sharing ? ' (sharing=' + m.sharing + ')' : ''));
  });
  if (s.error) addRow(t, 'error', s.error);
  if (moved[id]) addRow(t, 'moved', moved[id]);
  report.overlaps.forEach(function (o) {
    o.pairs.forEach(function (p) {
      if (p.step !== id && p.source_step !== id) return;
      var other = p.step === id ? p.source_step : p.step;
      var span = el('span', '', 'red');
      span.appendChild(document.createTextNode((p.certainty === 'certain' ? 'ran' : 'may have run') + ' alongside '));
      span.appendChild(stepLink(other));
      span.appendChild(document.createTextNode(' for ' + secs(p.duration)));
      addRow(t, 'alongside', span);
    });
  });
  report.hazards.forEach(function (h, i) {
    if (h.writer !== id && h.reader !== id) return;
    addRow(t, 'cache hazard', words.hazards[i][h.writer === id ? 0 : 1] + '. ' + h.explanation);
  });
  report.stale_caches.forEach(function (c) {
    if (c.reader === id) addRow(t, 'stale cache', '∅ ' + c.cache_id + ': ' + c.explanation);
    else if (c.writers.indexOf(id) >= 0) addRow(t, 'stale cache', '∅ fills ' + c.cache_id + ' for ' + c.reader_name + ', but was a cache hit: it filled nothing');
  });
  details.appendChild(t);
  var log = logs ? logs[id] : null;
  if (!logs) {
    details.appendChild(el('p', 'Output left out (--no-logs).', 'dim'));
  } else if (!log) {
    details.appendChild(el('p', 'No output.', 'dim'));
  } else {
    var pre = el('pre', null, 'log');
    pre.id = 'log';
    if (log.dropped > 0) pre.appendChild(el('span', '… the first ' + log.dropped + ' of ' + log.total + ' bytes are not kept\n', 'dim'));
    log.lines.forEach(function (l) { pre.appendChild(el('span', l[1] + '\n', l[0] === 2 ? 'err' : '')); });
    details.appendChild(pre);
  }
  saveHash();
}
function selectStage(name) {
  var st = report.stages.filter(function (s) { return s.name === name; })[0];
  if (!st) return;
  selected = null;
  mark('g.row[data-stage="' + name.replace(/"/g, '\\"') + '"]');
  details.hidden = false;
  details.textContent = '';
  details.appendChild(el('h2', 'stage ' + st.name));
  var t = el('table');
  addRow(t, 'active', secs(st.start) + ' – ' + secs(st.end));
  var steps = el('span');
  st.steps.forEach(function (i, n) { if (n) steps.appendChild(document.createTextNode(', ')); steps.appendChild(stepLink(i)); });
  addRow(t, 'steps', steps);
  (words.stages[name] || []).forEach(function (said) { addRow(t, 'alongside', el('span', said, 'red')); });
  details.appendChild(t);
}
function saveHash() {
  var parts = [];
  if (selected !== null) parts.push('step=' + selected);
  if (view[0] > 0 || view[1] < END) parts.push('t=' + view[0].toFixed(3) + '-' + view[1].toFixed(3));
  var h = parts.length ? '#' + parts.join('&') : ' ';
  if (history.replaceState) history.replaceState(null, '', h === ' ' ? location.pathname + location.search : h);
}
function readHash() {
  var h = location.hash.replace(/^#/, '');
  var step = null, t = null;
  h.split('&').forEach(function (kv) {
    var p = kv.split('=');
    if (p[0] === 'step' && /^\d+$/.test(p[1] || '')) step = +p[1];
    if (p[0] === 't') { var m = /^([\d.]+)-([\d.]+)$/.exec(p[1] || ''); if (m && +m[2] > +m[1]) t = [+m[1], +m[2]]; }
  });
  if (t) { view = [Math.max(0, t[0]), Math.min(END, t[1])]; }
  draw();
  select(step);
}
window.addEventListener('hashchange', readHash);
readHash();
body.setAttribute('data-ready', 'ok');
})();
"#;
