//! The chart as SVG: slide-ready (1280 wide, readable at 1280×720 and in print), with every word
//! as real `<text>`. The same drawing, with data attributes for its script, is the HTML report's
//! chart.
//!
//! ```text
//!  title      Dockerfile — build FAILED in 4.14s
//!  subtitle   when · log · steps · exact or estimated times
//!  verdict    ⚠ race lost: [stage-2 2/4] read cache … (the screen's status line, word for word)
//!  axis       0s   1s   2s …  (grid lines down the chart)
//!  rows       [internal] · each stage (its steps' bars) · ! alongside SOURCE · its steps
//!  legend     a swatch per state, red, ⚠, critical path
//!  call-out   ⚠ cache hazard: who took the cache first, why it can happen, the fix
//! ```
//!
//! Nothing depends on colour alone: cached, cancelled and running bars are hatched differently,
//! failed bars are cross-hatched and marked ✗, time alongside a source is a taller outlined band,
//! and every row says its state in words at the right.

use std::fmt::Write as _;
use std::io;

use crate::analysis::{Analysis, Span};
use crate::chart::words::{
    cache_summary, critical_chain, cut, failure_line, hazard_title, headline, lines_of,
    overlap_sentence, secs, stale_title, state_word, step_counts, verdict, Tone, CRITICAL_LEGEND,
    HAZARD_LEGEND, NO_OVERLAP, POSSIBLY_RED_LEGEND, RED_LEGEND, STALE_LEGEND, STALE_MARK,
    WAIT_WORDS,
};
use crate::chart::{each_row, row_count, Axis, Choices, Marker, Paint, Row, RowKind};
use crate::model::{Build, Nanos, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Each stage and its steps.
    Steps,
    /// The stages alone.
    Stages,
}

#[derive(Debug, Clone, Copy)]
pub struct SvgOptions {
    pub theme: Theme,
    pub rows: Rows,
    /// For the HTML report: time-positioned shapes carry `data-t`, rows `data-step`/`data-stage`,
    /// and the ticks are left to the script (which redraws them on zoom).
    pub interactive: bool,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions {
            theme: Theme::Light,
            rows: Rows::Steps,
            interactive: false,
        }
    }
}

/// Colours per theme, the TUI's hues made readable on paper and on a projector.
pub struct Palette {
    pub bg: &'static str,
    pub fg: &'static str,
    pub dim: &'static str,
    pub grid: &'static str,
    pub band: &'static str,
    pub done: &'static str,
    pub running: &'static str,
    pub cached: &'static str,
    pub failed: &'static str,
    pub cancelled: &'static str,
    pub red: &'static str,
    pub hazard: &'static str,
    pub critical: &'static str,
    pub ok: &'static str,
}

pub fn palette(theme: Theme) -> Palette {
    match theme {
        Theme::Light => Palette {
            bg: "#ffffff",
            fg: "#1f2328",
            dim: "#59636e",
            grid: "#d8dee4",
            band: "#f6f8fa",
            done: "#1f6feb",
            running: "#0aa2c0",
            cached: "#8c959f",
            failed: "#bf3989",
            cancelled: "#b08800",
            red: "#d1242f",
            hazard: "#9a6700",
            critical: "#8250df",
            ok: "#1a7f37",
        },
        Theme::Dark => Palette {
            bg: "#0d1117",
            fg: "#e6edf3",
            dim: "#9198a1",
            grid: "#30363d",
            band: "#151b23",
            done: "#4493f8",
            running: "#39c5cf",
            cached: "#6e7681",
            failed: "#db61a2",
            cancelled: "#d29922",
            red: "#ff4d4d",
            hazard: "#e3b341",
            critical: "#a371f7",
            ok: "#3fb950",
        },
    }
}

const WIDTH: f64 = 1280.0;
const MARGIN: f64 = 24.0;
const LABEL_W: f64 = 400.0;
const INFO_W: f64 = 96.0;
const ROW_H: f64 = 24.0;
const BAR_H: f64 = 14.0;
const FONT: f64 = 13.0;
/// Monospace advance, as a fraction of the font size (DejaVu Sans Mono, Menlo, Consolas: 0.6).
const ADVANCE: f64 = 0.6;
pub const FONTS: &str =
    "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";

/// Where the time axis is drawn, for the HTML report's script.
pub const CHART_X0: f64 = MARGIN + LABEL_W;
pub const CHART_X1: f64 = WIDTH - MARGIN - INFO_W;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn chars_in(px: f64, font: f64) -> usize {
    (px / (font * ADVANCE)).floor().max(4.0) as usize
}

/// The time axis in pixels.
struct XAxis {
    axis: Axis,
}

impl XAxis {
    fn x(&self, t: Nanos) -> f64 {
        CHART_X0 + self.axis.frac(t) * (CHART_X1 - CHART_X0)
    }
    /// Seconds since the build's start, as short as they can be written (`data-t`).
    fn secs(&self, t: Nanos) -> String {
        format!("{:.6}", (t - self.axis.zero) as f64 / 1e9)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Draws shapes and text into `out`, with the data attributes of interactive mode; with a sink,
/// hands `out` over to it now and then ([`Pen::spill`]) so a large chart is never whole in memory.
struct Pen<'w> {
    out: String,
    interactive: bool,
    sink: Option<&'w mut dyn io::Write>,
    failed: Option<io::Error>,
}

impl Pen<'_> {
    /// Writes what was drawn so far to the sink, once there is enough of it (or `all`).
    fn spill(&mut self, all: bool) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if (all || self.out.len() >= 1 << 16) && self.failed.is_none() {
            if let Err(e) = sink.write_all(self.out.as_bytes()) {
                self.failed = Some(e);
            }
            self.out.clear();
        }
    }

    /// A bar over `span` at row top `y`: at least 2 px wide so an instant still shows.
    fn bar(&mut self, axis: &XAxis, (a, b): Span, y: f64, h: f64, attrs: &str) {
        let x = axis.x(a);
        let w = (axis.x(b) - x).max(2.0);
        let data = if self.interactive {
            format!(" data-t=\"{} {}\"", axis.secs(a), axis.secs(b))
        } else {
            String::new()
        };
        let _ = writeln!(
            self.out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"{data} {attrs}/>"#
        );
    }

    fn text(&mut self, x: f64, y: f64, attrs: &str, s: &str) {
        let _ = writeln!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{}</text>"#,
            escape(s)
        );
    }
}

/// A bar's class (fill and outline per state, in the stylesheet); its text's is `c-` + the word.
fn class_of(s: State) -> String {
    format!("s-{}", s.word())
}

fn defs(p: &Palette) -> String {
    // Patterns: each state its own texture, so print in grey and colour-blind readers lose nothing.
    format!(
        r##"<defs>
<pattern id="bg-cached" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{bg}"/><rect width="2.5" height="6" fill="{cached}"/></pattern>
<pattern id="bg-cancelled" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="{bg}"/><rect width="3" height="6" fill="{cancelled}"/></pattern>
<pattern id="bg-running" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="{running}"/><rect width="1.5" height="4" fill="{bg}" opacity="0.6"/></pattern>
<pattern id="bg-failed" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="{failed}"/><path d="M0 0L6 6M6 0L0 6" stroke="{bg}" stroke-width="1.2"/></pattern>
<pattern id="bg-wait" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{bg}"/><rect y="3" width="5" height="2" fill="{hazard}"/></pattern>
<pattern id="bg-possible" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{red}" opacity="0.25"/><rect width="2" height="6" fill="{red}" opacity="0.7"/></pattern>
<style>
.band{{fill:{band}}} .hit{{fill:transparent}} .dim{{fill:{dim}}} .b{{font-weight:bold}} .end{{text-anchor:end}}
.s-done,.s-cached,.s-failed,.s-cancelled,.s-running{{stroke-width:1}}
.s-done{{fill:{done};stroke:{done}}} .s-cached{{fill:url(#bg-cached);stroke:{cached}}}
.s-failed{{fill:url(#bg-failed);stroke:{failed}}} .s-cancelled{{fill:url(#bg-cancelled);stroke:{cancelled}}}
.s-running{{fill:url(#bg-running);stroke:{running}}}
.c-done{{fill:{done}}} .c-cached{{fill:{cached}}} .c-failed{{fill:{failed}}} .c-cancelled{{fill:{cancelled}}} .c-running{{fill:{running}}} .c-waiting{{fill:{dim}}}
.alongside{{fill:{red};fill-opacity:0.85;stroke:{red};stroke-width:1.5}}
.wait{{fill:url(#bg-wait);stroke:{hazard};stroke-width:1}}
.possible{{fill:url(#bg-possible);stroke:{red};stroke-width:1;stroke-dasharray:3 2}}
.red{{fill:{red}}} .hz{{fill:{hazard}}} .cp{{fill:{critical}}} .internal{{fill:{dim}}}
</style>
</defs>
"##,
        band = p.band,
        dim = p.dim,
        done = p.done,
        hazard = p.hazard,
        critical = p.critical,
        bg = p.bg,
        cached = p.cached,
        cancelled = p.cancelled,
        running = p.running,
        failed = p.failed,
        red = p.red,
    )
}

/// Everything below the title, placed: the document's height depends on all of it.
struct Page {
    head: (String, String),
    verdict: Vec<(String, Tone)>,
    choices: Choices,
    chart_top: f64,
    chart_h: f64,
    legend_y: f64,
    legend: Vec<(f64, usize, Entry)>,
    callout: Vec<(String, bool)>,
    callout_y: f64,
    callout_h: f64,
    critical: Option<Vec<String>>,
    critical_y: f64,
    height: f64,
}

impl Page {
    fn of(title: &str, source: &str, build: &Build, a: &Analysis, opt: &SvgOptions) -> Page {
        let p = palette(opt.theme);
        let prose_chars = chars_in(WIDTH - 2.0 * MARGIN - 24.0, 14.0);
        let (head, verdict) = header(title, source, build, a);
        let verdict = verdict_lines(verdict);
        let choices = Choices {
            stages_only: opt.rows == Rows::Stages,
            alongside_rows: true,
            critical: true,
            finished: true,
            ..Choices::default()
        };
        let rows = row_count(a, &choices);
        let chart_top = 84.0 + verdict.len() as f64 * 20.0 + 34.0;
        let chart_h = rows.max(1) as f64 * ROW_H;
        let legend_y = chart_top + chart_h + 28.0;
        let waits = !a.lock_waits.is_empty();
        let legend = legend_layout(&p, a.estimated, waits, !a.stale.is_empty());
        let legend_lines = legend.last().map_or(1, |l| l.1 + 1);
        let callout = callout_lines(a, prose_chars);
        let callout_y = legend_y + legend_lines as f64 * LEGEND_LINE + 12.0;
        let (callout_h, gap) = match callout.len() {
            0 => (0.0, 0.0),
            n => (n as f64 * 19.0 + 24.0, 22.0),
        };
        let critical_y = callout_y + callout_h + gap;
        let critical = critical_chain(a).map(|c| lines_of(&c, prose_chars));
        let height = critical_y + critical.as_ref().map_or(0.0, |l| l.len() as f64 * 19.0) + 20.0;
        Page {
            head,
            verdict,
            choices,
            chart_top,
            chart_h,
            legend_y,
            legend,
            callout,
            callout_y,
            callout_h,
            critical,
            critical_y,
            height,
        }
    }
}

/// The verdict lines as drawn: the build's own error on one line (the rest is below), the rest
/// wrapped.
fn verdict_lines(verdict: Vec<(String, Tone)>) -> Vec<(String, Tone)> {
    let chars = chars_in(WIDTH - 2.0 * MARGIN, 15.0);
    verdict
        .into_iter()
        .flat_map(|(text, tone)| match tone {
            Tone::Failed => vec![(cut(&text, chars), tone)],
            _ => lines_of(&text, chars)
                .into_iter()
                .map(|l| (l, tone))
                .collect(),
        })
        .collect()
}

/// The SVG document. `title` names the build (its Dockerfile, else its log); `source` is the
/// log it was read from.
pub fn render(title: &str, source: &str, build: &Build, a: &Analysis, opt: &SvgOptions) -> String {
    let mut pen = Pen {
        out: String::new(),
        interactive: opt.interactive,
        sink: None,
        failed: None,
    };
    draw(&mut pen, title, source, build, a, opt);
    pen.out
}

/// [`render`], written into `w` as it is drawn.
pub fn write(
    w: &mut dyn io::Write,
    title: &str,
    source: &str,
    build: &Build,
    a: &Analysis,
    opt: &SvgOptions,
) -> io::Result<()> {
    let mut pen = Pen {
        out: String::new(),
        interactive: opt.interactive,
        sink: Some(w),
        failed: None,
    };
    draw(&mut pen, title, source, build, a, opt);
    pen.spill(true);
    pen.failed.map_or(Ok(()), Err)
}

fn draw(pen: &mut Pen, title: &str, source: &str, build: &Build, a: &Analysis, opt: &SvgOptions) {
    let p = palette(opt.theme);
    let page = Page::of(title, source, build, a, opt);
    open(pen, &page, &p, a);
    let Some(axis) = Axis::whole(a).map(|axis| XAxis { axis }) else {
        let attrs = format!(r#"fill="{}""#, p.dim);
        let msg = "No step started: nothing to chart.";
        pen.text(MARGIN, page.chart_top + 16.0, &attrs, msg);
        pen.out.push_str("</svg>\n");
        return;
    };
    ticks(pen, &axis, &page, &p);
    if opt.interactive {
        let _ = writeln!(
            pen.out,
            r#"<clipPath id="chart-clip"><rect x="{CHART_X0}" y="{:.1}" width="{:.1}" height="{:.1}"/></clipPath>"#,
            page.chart_top,
            CHART_X1 - CHART_X0,
            page.chart_h
        );
    }
    let mut i = 0;
    each_row(a, &page.choices, |row| {
        let top = page.chart_top + i as f64 * ROW_H;
        draw_row(pen, a, &axis, &row, i, top);
        pen.spill(false);
        i += 1;
    });
    legend(pen, page.legend_y, page.legend);
    callout(pen, &page.callout, page.callout_y, page.callout_h, &p);
    let mut y = page.critical_y;
    for line in page.critical.unwrap_or_default() {
        let attrs = format!(r#"font-size="14" fill="{}""#, p.critical);
        pen.text(MARGIN, y, &attrs, &line);
        y += 19.0;
    }
    pen.out.push_str("</svg>\n");
}

/// The `<svg>` element, its title and style, the background, the title, subtitle and verdict.
fn open(pen: &mut Pen, page: &Page, p: &Palette, a: &Analysis) {
    let data = if pen.interactive {
        let end = match (a.start, a.end) {
            (Some(s), Some(e)) => format!("{:.6}", (e - s).max(1) as f64 / 1e9),
            _ => "1".into(),
        };
        format!(r#" id="chart" data-x0="{CHART_X0}" data-x1="{CHART_X1}" data-end="{end}""#)
    } else {
        String::new()
    };
    let _ = writeln!(
        pen.out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="{FONTS}" font-size="{FONT}" fill="{fg}" role="img" aria-label="{label}"{data}>"#,
        height = page.height,
        fg = p.fg,
        label = escape(&format!("Gantt chart: {}", page.head.0)),
    );
    let _ = writeln!(pen.out, "<title>{}</title>", escape(&page.head.0));
    pen.out.push_str(&defs(p));
    let _ = writeln!(
        pen.out,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        p.bg
    );
    let title = cut(&page.head.0, chars_in(WIDTH - 2.0 * MARGIN, 22.0));
    pen.text(MARGIN, 38.0, r#"font-size="22" font-weight="bold""#, &title);
    let sub = cut(&page.head.1, chars_in(WIDTH - 2.0 * MARGIN, 14.0));
    pen.text(
        MARGIN,
        62.0,
        &format!(r#"font-size="14" fill="{}""#, p.dim),
        &sub,
    );
    for (i, (line, tone)) in page.verdict.iter().enumerate() {
        let c = match tone {
            Tone::Hazard => p.hazard,
            Tone::Red => p.red,
            Tone::Ok => p.ok,
            Tone::Failed => p.failed,
            Tone::Critical => p.critical,
            Tone::Cache => p.dim,
        };
        let attrs = format!(r#"font-size="15" font-weight="bold" fill="{c}" class="verdict""#);
        pen.text(MARGIN, 88.0 + i as f64 * 20.0, &attrs, line);
    }
}

/// Ticks with seconds and grid lines down the chart (the HTML report's script redraws them on
/// zoom).
fn ticks(pen: &mut Pen, axis: &XAxis, page: &Page, p: &Palette) {
    let _ = writeln!(pen.out, r#"<g id="ticks" fill="{}">"#, p.dim);
    let ns_per_px = axis.axis.span() as f64 / (CHART_X1 - CHART_X0);
    for t in axis.axis.ticks(ns_per_px * 80.0) {
        let x = axis.x(t.at);
        let _ = writeln!(
            pen.out,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}" stroke-width="1"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            page.chart_top - 8.0,
            page.chart_top + page.chart_h,
            p.grid,
            page.chart_top - 12.0,
            t.label
        );
    }
    pen.out.push_str("</g>\n");
}

/// One row: its group (with a tooltip and, in the HTML report, what a click selects), the band,
/// the marker and label, the bars and the words at the right.
fn draw_row(pen: &mut Pen, a: &Analysis, axis: &XAxis, row: &Row, i: usize, top: f64) {
    let text_y = top + ROW_H / 2.0 + FONT * 0.35;
    let attrs = match &row.kind {
        RowKind::Step(id) if pen.interactive => format!(r#" data-step="{id}""#),
        RowKind::Stage(si) if pen.interactive => {
            format!(r#" data-stage="{}""#, escape(&a.stages[*si].name))
        }
        _ => String::new(),
    };
    let tip = escape(&tooltip(a, row));
    let _ = writeln!(pen.out, r#"<g class="row"{attrs}><title>{tip}</title>"#);
    if i % 2 == 1 || pen.interactive {
        let _ = writeln!(
            pen.out,
            r#"<rect class="{}" x="{MARGIN}" y="{top:.1}" width="{:.1}" height="{ROW_H}"/>"#,
            if i % 2 == 1 { "hit band" } else { "hit" },
            WIDTH - 2.0 * MARGIN
        );
    }
    label(pen, row, text_y);
    // The bars of a row, clipped to the chart when the script zooms.
    if pen.interactive {
        pen.out.push_str("<g clip-path=\"url(#chart-clip)\">\n");
    }
    bars(pen, axis, row, top);
    badge(pen, axis, a, row, text_y);
    if pen.interactive {
        pen.out.push_str("</g>\n");
    }
    let info = &row.info();
    let class = match row.kind {
        RowKind::Step(_) | RowKind::Stage(_) => format!("c-{}", row.state.word()),
        RowKind::Alongside(_) => "red b".into(),
        _ => "dim".into(),
    };
    let size = match row.kind {
        RowKind::Stage(_) | RowKind::Internal(_) => r#" font-size="12""#,
        _ => "",
    };
    pen.text(
        WIDTH - MARGIN,
        text_y,
        &format!(r#"class="end {class}"{size}"#),
        info,
    );
    pen.out.push_str("</g>\n");
}

/// The marker and the label, indented by depth.
fn label(pen: &mut Pen, row: &Row, y: f64) {
    match row.marker {
        Some(Marker::Hazard) => pen.text(MARGIN, y, r#"class="hz""#, "⚠"),
        Some(Marker::Critical) => pen.text(MARGIN, y, r#"class="cp""#, "»"),
        Some(Marker::Cause) => pen.text(MARGIN, y, r#"class="hz""#, "◆"),
        Some(Marker::Stale) => pen.text(MARGIN, y, r#"class="hz""#, &STALE_MARK.to_string()),
        None => {}
    }
    let x = MARGIN + 14.0 * (1.0 + row.depth as f64);
    let chars = chars_in(LABEL_W - 28.0, FONT) + if row.depth == 0 { 2 } else { 0 };
    let class = match row.kind {
        RowKind::Internal(_) => r#"class="dim b""#,
        RowKind::Stage(_) => r#"class="b""#,
        RowKind::Alongside(_) => r#"class="red b""#,
        RowKind::Step(_) => "",
    };
    pen.text(x, y, class, &cut(&row.label, chars));
}

/// A row's segments: state bars (thin for the internal group), the critical path underlined,
/// then time alongside a source as a taller red band (proven) or a hatched one (possible); a
/// `! alongside` row is all band.
fn bars(pen: &mut Pen, axis: &XAxis, row: &Row, top: f64) {
    let bar_y = top + (ROW_H - BAR_H) / 2.0;
    let internal = matches!(row.kind, RowKind::Internal(_));
    let alongside = matches!(row.kind, RowKind::Alongside(_));
    let mut any_state = false;
    for seg in &row.segments {
        let (y, h, class) = match seg.paint {
            Paint::State(_) if internal => (top + ROW_H / 2.0 - 2.0, 4.0, "internal".into()),
            Paint::State(s) => (bar_y, BAR_H, class_of(s)),
            Paint::Wait => (bar_y, BAR_H, "wait".into()),
            // (Only the screen draws a comparison.)
            Paint::Before => continue,
            Paint::Red if alongside => (top + 6.0, ROW_H - 12.0, "alongside".into()),
            Paint::PossiblyRed if alongside => (top + 6.0, ROW_H - 12.0, "possible".into()),
            Paint::Red => (bar_y - 3.0, BAR_H + 6.0, "alongside".into()),
            Paint::PossiblyRed => (bar_y - 3.0, BAR_H + 6.0, "possible".into()),
        };
        any_state |= matches!(seg.paint, Paint::State(_));
        pen.bar(axis, seg.span, y, h, &format!(r#"class="{class}""#));
        if row.critical && matches!(seg.paint, Paint::State(_)) {
            pen.bar(axis, seg.span, bar_y + BAR_H + 1.5, 2.5, r#"class="cp""#);
        }
    }
    if let (false, Some(t), RowKind::Step(_)) = (any_state, row.instant, &row.kind) {
        let class = format!(r#"class="{}""#, class_of(row.state));
        pen.bar(axis, (t, t), bar_y, BAR_H, &class);
    }
}

/// The row's badge after its bar (or before it, where the chart ends too soon).
fn badge(pen: &mut Pen, axis: &XAxis, a: &Analysis, row: &Row, y: f64) {
    let (Some(text), RowKind::Step(id)) = (&row.badge, &row.kind) else {
        return;
    };
    let s = &a.steps[*id];
    let Some(end) = s.end() else { return };
    let x = axis.x(end) + 6.0;
    let fits = x + text.chars().count() as f64 * 12.0 * ADVANCE < CHART_X1;
    let data = if pen.interactive {
        format!(r#" data-after="{}""#, axis.secs(end))
    } else {
        String::new()
    };
    let (x, anchor) = if fits {
        (x, "start")
    } else {
        (axis.x(s.start().unwrap_or(end)) - 6.0, "end")
    };
    // A hazard's winner and a stale cache stand out; what a step moved (`↓ 24.0 MB`) is a quiet
    // remark.
    let class = if crate::chart::words::is_moved_badge(text) {
        "dim"
    } else {
        "winner hz b"
    };
    let attrs = format!(r#"font-size="12" text-anchor="{anchor}" class="{class}"{data}"#);
    pen.text(x, y, &attrs, text);
}

/// What a viewer shows on hover: the full name, its state and when.
fn tooltip(a: &Analysis, row: &Row) -> String {
    match &row.kind {
        RowKind::Step(id) => {
            let st = &a.steps[*id];
            let when = match &row.when(a.start.unwrap_or(0)) {
                Some(w) => format!("{w}, {} active", secs(row.active)),
                None => state_word(row.state, true).to_string(),
            };
            // The name cut, so a long RUN line cannot swell the file.
            let state = state_word(row.state, true);
            format!("{} — {state}: {when}", cut(st.name(), 300))
        }
        RowKind::Stage(si) => {
            let when = row.when(a.start.unwrap_or(0));
            let when = when.as_deref().unwrap_or("never ran");
            format!("stage {}: {when}", a.stages[*si].name)
        }
        RowKind::Internal(_) => "BuildKit's own steps".into(),
        RowKind::Alongside(oi) => overlap_sentence(a, &a.overlaps[*oi]),
    }
}

/// The hazard call-out box.
fn callout(pen: &mut Pen, lines: &[(String, bool)], y: f64, h: f64, p: &Palette) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        pen.out,
        r#"<g class="callout"><rect x="{MARGIN}" y="{y:.1}" width="{:.1}" height="{h:.1}" rx="6" fill="none" stroke="{}" stroke-width="2"/>"#,
        WIDTH - 2.0 * MARGIN,
        p.hazard
    );
    for (i, (line, bold)) in lines.iter().enumerate() {
        let attrs = if *bold {
            format!(r#"font-size="14" font-weight="bold" fill="{}""#, p.hazard)
        } else {
            r#"font-size="14""#.to_string()
        };
        pen.text(MARGIN + 12.0, y + 24.0 + i as f64 * 19.0, &attrs, line);
    }
    pen.out.push_str("</g>\n");
}

/// One entry of the legend: its swatch and its words.
struct Entry {
    swatch: String,
    words: &'static str,
    colour: &'static str,
}

/// The legend's entries, each placed at `(x, line)`, wrapped to the width.
fn legend_layout(
    p: &Palette,
    estimated: bool,
    waits: bool,
    stale: bool,
) -> Vec<(f64, usize, Entry)> {
    let bar = |fill: &str, stroke: &str, extra: &str| {
        format!(
            r#"<rect x="{{x}}" y="{{y}}" width="22" height="12" fill="{fill}" stroke="{stroke}" stroke-width="1"{extra}/>"#
        )
    };
    let mut entries = vec![
        Entry {
            swatch: bar(p.done, p.dim, ""),
            words: "done",
            colour: p.fg,
        },
        Entry {
            swatch: bar("url(#bg-cached)", p.dim, ""),
            words: "cached",
            colour: p.fg,
        },
        Entry {
            swatch: bar("url(#bg-failed)", p.dim, ""),
            words: "failed",
            colour: p.fg,
        },
        Entry {
            swatch: bar("url(#bg-cancelled)", p.dim, ""),
            words: "cancelled",
            colour: p.fg,
        },
        Entry {
            swatch: bar("url(#bg-running)", p.dim, ""),
            words: "running",
            colour: p.fg,
        },
        Entry {
            swatch: format!(
                r#"<rect x="{{x}}" y="{{tall}}" width="22" height="18" fill="{}" stroke="{}" stroke-width="1"/>"#,
                p.red, p.red
            ),
            words: RED_LEGEND,
            colour: p.red,
        },
    ];
    if estimated {
        entries.push(Entry {
            swatch: format!(
                r#"<rect x="{{x}}" y="{{tall}}" width="22" height="18" fill="url(#bg-possible)" stroke="{}" stroke-dasharray="3 2"/>"#,
                p.red
            ),
            words: POSSIBLY_RED_LEGEND,
            colour: p.red,
        });
    }
    if waits {
        entries.push(Entry {
            swatch: bar("url(#bg-wait)", p.hazard, ""),
            words: WAIT_WORDS,
            colour: p.fg,
        });
    }
    entries.push(Entry {
        swatch: String::new(),
        words: HAZARD_LEGEND,
        colour: p.hazard,
    });
    if stale {
        entries.push(Entry {
            swatch: String::new(),
            words: STALE_LEGEND,
            colour: p.hazard,
        });
    }
    entries.push(Entry {
        swatch: format!(
            r#"<rect x="{{x}}" y="{{line}}" width="22" height="3" fill="{}"/>"#,
            p.critical
        ),
        words: CRITICAL_LEGEND,
        colour: p.critical,
    });
    let mut out = Vec::new();
    let (mut x, mut line) = (MARGIN, 0);
    for e in entries {
        let w = if e.swatch.is_empty() { 0.0 } else { 28.0 }
            + e.words.chars().count() as f64 * 13.0 * ADVANCE;
        if x + w > WIDTH - MARGIN && x > MARGIN {
            x = MARGIN;
            line += 1;
        }
        out.push((x, line, e));
        x += w + 22.0;
    }
    out
}

const LEGEND_LINE: f64 = 22.0;

fn legend(pen: &mut Pen, y: f64, layout: Vec<(f64, usize, Entry)>) {
    let _ = writeln!(pen.out, r#"<g class="legend" font-size="13">"#);
    for (x, line, e) in layout {
        let y = y + line as f64 * LEGEND_LINE;
        let tx = if e.swatch.is_empty() {
            x
        } else {
            pen.out.push_str(
                &e.swatch
                    .replace("{x}", &format!("{x:.1}"))
                    .replace("{y}", &format!("{:.1}", y - 10.0))
                    .replace("{tall}", &format!("{:.1}", y - 13.0))
                    .replace("{line}", &format!("{:.1}", y - 1.0)),
            );
            pen.out.push('\n');
            x + 28.0
        };
        pen.text(tx, y, &format!(r#"fill="{}""#, e.colour), e.words);
    }
    pen.out.push_str("</g>\n");
}

/// `(title, subtitle)` and the verdict lines under them.
fn header(
    title: &str,
    source: &str,
    build: &Build,
    a: &Analysis,
) -> ((String, String), Vec<(String, Tone)>) {
    let head = headline(title, build, a);
    let mut sub = Vec::new();
    if let Some(t) = a.start.filter(|_| build.has_clock()) {
        sub.push(
            chrono::DateTime::<chrono::Utc>::from_timestamp_nanos(t)
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        );
    }
    if source != title {
        sub.push(source.to_string());
    }
    sub.push(step_counts(a));
    sub.push(if a.estimated {
        "times estimated from a plain log".into()
    } else {
        "exact times (rawjson)".into()
    });
    let mut verdict: Vec<(String, Tone)> = verdict(a, true).into_iter().collect();
    if verdict.is_empty() && a.start.is_some() {
        verdict.push((NO_OVERLAP.into(), Tone::Ok));
    }
    verdict.extend(cache_summary(a, true).map(|l| (l, Tone::Cache)));
    verdict.extend(failure_line(a).map(|l| (l, Tone::Failed)));
    ((head, sub.join(" · ")), verdict)
}

/// The hazard call-out: `(line, is heading)`.
fn callout_lines(a: &Analysis, chars: usize) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for s in &a.stale {
        for l in lines_of(&stale_title(a, s), chars) {
            out.push((l, true));
        }
        for text in [&s.explanation, &format!("Fix: {}", s.fix)] {
            out.extend(lines_of(text, chars).into_iter().map(|l| (l, false)));
        }
    }
    for h in &a.hazards {
        for l in lines_of(&hazard_title(a, h), chars) {
            out.push((l, true));
        }
        out.extend(
            lines_of(&h.explanation, chars)
                .into_iter()
                .map(|l| (l, false)),
        );
        out.extend(
            lines_of(&format!("Fix: {}", h.fix), chars)
                .into_iter()
                .map(|l| (l, false)),
        );
    }
    out
}
