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

use super::text::{cut, secs, tick_label, tick_step, wrap};
use super::{
    counts, hazard_title, hazard_verdict, outcome, outcome_words, overlap_sentence, overlap_verdict,
};
use crate::analysis::{short_name, Analysis, Certainty, Overlap, Span, StepId};
use crate::model::{Build, Nanos, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Theme {
    Light,
    Dark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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

/// Prose broken into lines of at most `n` characters (a word longer than a line is cut).
fn lines_of(text: &str, n: usize) -> Vec<String> {
    wrap(text, n, "").lines().map(|l| cut(l, n)).collect()
}

fn chars_in(px: f64, font: f64) -> usize {
    (px / (font * ADVANCE)).floor().max(4.0) as usize
}

/// One row of the chart.
enum Row<'a> {
    Internal(Vec<StepId>),
    Stage(usize),
    Alongside(&'a Overlap),
    Step(StepId),
}

fn rows(a: &Analysis, which: Rows) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    let internal = a.internal_steps();
    if !internal.is_empty() {
        out.push(Row::Internal(internal));
    }
    for (i, stage) in a.stages.iter().enumerate() {
        if stage.steps.is_empty() {
            continue;
        }
        out.push(Row::Stage(i));
        for o in a.overlaps.iter().filter(|o| o.stage == stage.name) {
            out.push(Row::Alongside(o));
        }
        if which == Rows::Steps {
            out.extend(stage.steps.iter().map(|&s| Row::Step(s)));
        }
    }
    out
}

struct Axis {
    start: Nanos,
    end: Nanos,
    px_per_ns: f64,
}

impl Axis {
    fn x(&self, t: Nanos) -> f64 {
        CHART_X0 + (t - self.start) as f64 * self.px_per_ns
    }
    fn secs(&self, t: Nanos) -> String {
        format!("{:.6}", (t - self.start) as f64 / 1e9)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Draws shapes and text into `out`, with the data attributes of interactive mode.
struct Pen {
    out: String,
    interactive: bool,
}

impl Pen {
    /// A bar over `span` at row top `y`: at least 2 px wide so an instant still shows.
    fn bar(&mut self, axis: &Axis, (a, b): Span, y: f64, h: f64, attrs: &str) {
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

/// What the row says at the right: its time or state in words.
fn info_of(state: State, active: Nanos) -> String {
    match state {
        State::Waiting => "never ran".into(),
        State::Cached => "cached".into(),
        State::Running => format!("{} …", secs(active)),
        State::Failed => format!("✗ {}", secs(active)),
        State::Cancelled => "cancelled".into(),
        State::Done => secs(active),
    }
}

fn defs(p: &Palette) -> String {
    // Patterns: each state its own texture, so print in grey and colour-blind readers lose nothing.
    format!(
        r##"<defs>
<pattern id="bg-cached" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{bg}"/><rect width="2.5" height="6" fill="{cached}"/></pattern>
<pattern id="bg-cancelled" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="{bg}"/><rect width="3" height="6" fill="{cancelled}"/></pattern>
<pattern id="bg-running" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="{running}"/><rect width="1.5" height="4" fill="{bg}" opacity="0.6"/></pattern>
<pattern id="bg-failed" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="{failed}"/><path d="M0 0L6 6M6 0L0 6" stroke="{bg}" stroke-width="1.2"/></pattern>
<pattern id="bg-possible" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="{red}" opacity="0.25"/><rect width="2" height="6" fill="{red}" opacity="0.7"/></pattern>
<style>
.band{{fill:{band}}} .hit{{fill:transparent}} .dim{{fill:{dim}}} .b{{font-weight:bold}} .end{{text-anchor:end}}
.s-done,.s-cached,.s-failed,.s-cancelled,.s-running{{stroke-width:1}}
.s-done{{fill:{done};stroke:{done}}} .s-cached{{fill:url(#bg-cached);stroke:{cached}}}
.s-failed{{fill:url(#bg-failed);stroke:{failed}}} .s-cancelled{{fill:url(#bg-cancelled);stroke:{cancelled}}}
.s-running{{fill:url(#bg-running);stroke:{running}}}
.c-done{{fill:{done}}} .c-cached{{fill:{cached}}} .c-failed{{fill:{failed}}} .c-cancelled{{fill:{cancelled}}} .c-running{{fill:{running}}} .c-waiting{{fill:{dim}}}
.alongside{{fill:{red};fill-opacity:0.85;stroke:{red};stroke-width:1.5}}
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

/// The SVG document. `title` names the build (its Dockerfile, else its log); `source` is the
/// log it was read from.
pub fn render(title: &str, source: &str, build: &Build, a: &Analysis, opt: &SvgOptions) -> String {
    let p = palette(opt.theme);
    let mut pen = Pen {
        out: String::new(),
        interactive: opt.interactive,
    };
    let rows = rows(a, opt.rows);
    let hazard_steps = a.hazard_steps();
    let critical: Vec<StepId> = a
        .critical_path
        .as_ref()
        .map(|c| c.steps.clone())
        .unwrap_or_default();
    let prose_chars = chars_in(WIDTH - 2.0 * MARGIN - 24.0, 14.0);

    // Heights first: the document's height depends on everything below the chart.
    let (head, verdict) = header(title, source, build, a);
    let verdict_chars = chars_in(WIDTH - 2.0 * MARGIN, 15.0);
    let verdict_lines: Vec<(String, Tone)> = verdict
        .iter()
        .flat_map(|(text, tone)| match tone {
            // The error is the build's own words, often long: one line of it, the rest below.
            Tone::Failed => vec![(cut(text, verdict_chars), *tone)],
            _ => lines_of(text, verdict_chars)
                .into_iter()
                .map(|l| (l, *tone))
                .collect(),
        })
        .collect();
    let chart_top = 84.0 + verdict_lines.len() as f64 * 20.0 + 34.0;
    let chart_h = rows.len().max(1) as f64 * ROW_H;
    let legend_y = chart_top + chart_h + 28.0;
    let legend_layout = legend_layout(&p, a.estimated);
    let legend_lines = legend_layout.last().map_or(1, |l| l.1 + 1);
    let callout = callout_lines(a, prose_chars);
    let callout_y = legend_y + legend_lines as f64 * LEGEND_LINE + 12.0;
    let callout_h = if callout.is_empty() {
        0.0
    } else {
        callout.len() as f64 * 19.0 + 24.0
    };
    let critical_y = callout_y + callout_h + if callout.is_empty() { 0.0 } else { 22.0 };
    let critical_text = a.critical_path.as_ref().map(|cp| {
        let chain: Vec<String> = cp.steps.iter().map(|&s| short_name(&a.steps[s])).collect();
        lines_of(
            &format!(
                "» critical path ({}): {}",
                secs(cp.end - cp.start),
                chain.join(" → ")
            ),
            prose_chars,
        )
    });
    let height = critical_y
        + critical_text
            .as_ref()
            .map_or(0.0, |l| l.len() as f64 * 19.0)
        + 20.0;

    let _ = writeln!(
        pen.out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="{FONTS}" font-size="{FONT}" fill="{fg}" role="img" aria-label="{label}"{data}>"#,
        fg = p.fg,
        label = escape(&format!("Gantt chart: {}", head.0)),
        data = if opt.interactive {
            format!(
                r#" id="chart" data-x0="{CHART_X0}" data-x1="{CHART_X1}" data-end="{}""#,
                match (a.start, a.end) {
                    (Some(s), Some(e)) => format!("{:.6}", (e - s).max(1) as f64 / 1e9),
                    _ => "1".into(),
                }
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(pen.out, "<title>{}</title>", escape(&head.0));
    pen.out.push_str(&defs(&p));
    let _ = writeln!(
        pen.out,
        r#"<rect width="100%" height="100%" fill="{}"/>"#,
        p.bg
    );
    // Title, subtitle, verdict.
    pen.text(
        MARGIN,
        38.0,
        r#"font-size="22" font-weight="bold""#,
        &cut(&head.0, chars_in(WIDTH - 2.0 * MARGIN, 22.0)),
    );
    pen.text(
        MARGIN,
        62.0,
        &format!(r#"font-size="14" fill="{}""#, p.dim),
        &cut(&head.1, chars_in(WIDTH - 2.0 * MARGIN, 14.0)),
    );
    let mut y = 88.0;
    for (line, tone) in &verdict_lines {
        let c = match tone {
            Tone::Hazard => p.hazard,
            Tone::Red => p.red,
            Tone::Ok => p.ok,
            Tone::Failed => p.failed,
        };
        pen.text(
            MARGIN,
            y,
            &format!(r#"font-size="15" font-weight="bold" fill="{c}" class="verdict""#),
            line,
        );
        y += 20.0;
    }

    let axis = match (a.start, a.end) {
        (Some(s), Some(e)) => Some(Axis {
            start: s,
            end: e.max(s + 1),
            px_per_ns: (CHART_X1 - CHART_X0) / (e.max(s + 1) - s) as f64,
        }),
        _ => None,
    };
    let Some(axis) = axis else {
        pen.text(
            MARGIN,
            chart_top + 16.0,
            &format!(r#"fill="{}""#, p.dim),
            "No step started: nothing to chart.",
        );
        pen.out.push_str("</svg>\n");
        return pen.out;
    };

    // Axis: ticks with seconds and grid lines down the chart (the script redraws them on zoom).
    let _ = writeln!(pen.out, r#"<g id="ticks" fill="{}">"#, p.dim);
    let step = tick_step(1.0 / axis.px_per_ns, 80);
    let mut t = 0.0;
    while t * 1e9 <= (axis.end - axis.start) as f64 + 1.0 {
        let x = axis.x(axis.start + (t * 1e9) as Nanos);
        let _ = writeln!(
            pen.out,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{}" stroke-width="1"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            chart_top - 8.0,
            chart_top + chart_h,
            p.grid,
            chart_top - 12.0,
            tick_label(t, step)
        );
        t += step;
    }
    pen.out.push_str("</g>\n");

    if opt.interactive {
        let _ = writeln!(
            pen.out,
            r#"<clipPath id="chart-clip"><rect x="{CHART_X0}" y="{:.1}" width="{:.1}" height="{chart_h:.1}"/></clipPath>"#,
            chart_top,
            CHART_X1 - CHART_X0
        );
    }
    let label_chars = chars_in(LABEL_W - 28.0, FONT);
    for (i, row) in rows.iter().enumerate() {
        let top = chart_top + i as f64 * ROW_H;
        let bar_y = top + (ROW_H - BAR_H) / 2.0;
        let text_y = top + ROW_H / 2.0 + FONT * 0.35;
        let attrs = match row {
            Row::Step(id) if opt.interactive => format!(r#" data-step="{id}""#),
            Row::Stage(si) if opt.interactive => {
                format!(r#" data-stage="{}""#, escape(&a.stages[*si].name))
            }
            _ => String::new(),
        };
        // The full name, for a viewer's tooltip.
        let tip = match row {
            Row::Step(id) => {
                let st = &a.steps[*id];
                let when = match (st.start(), st.end()) {
                    (Some(b), Some(e)) => format!(
                        "{} → {}, {} active",
                        secs(b - axis.start),
                        secs(e - axis.start),
                        secs(st.active())
                    ),
                    (Some(b), None) => format!("from {}", secs(b - axis.start)),
                    _ => "never ran".into(),
                };
                // The name cut, so a long RUN line cannot swell the file.
                format!("{} — {}: {when}", cut(&st.name, 300), st.state.word())
            }
            Row::Stage(si) => format!("stage {}", a.stages[*si].name),
            Row::Internal(_) => "BuildKit's own steps".into(),
            Row::Alongside(o) => overlap_sentence(a, o),
        };
        let _ = writeln!(
            pen.out,
            r#"<g class="row"{attrs}><title>{}</title>"#,
            escape(&tip)
        );
        if i % 2 == 1 || opt.interactive {
            let _ = writeln!(
                pen.out,
                r#"<rect class="{}" x="{MARGIN}" y="{top:.1}" width="{:.1}" height="{ROW_H}"/>"#,
                if i % 2 == 1 { "hit band" } else { "hit" },
                WIDTH - 2.0 * MARGIN
            );
        }
        // The bars of a row, clipped to the chart when the script zooms.
        let (open, close) = if opt.interactive {
            ("<g clip-path=\"url(#chart-clip)\">\n", "</g>\n")
        } else {
            ("", "")
        };
        let info_x = WIDTH - MARGIN;
        match row {
            Row::Internal(ids) => {
                pen.text(
                    MARGIN + 14.0,
                    text_y,
                    r#"class="dim b""#,
                    &format!("[internal] {} steps", ids.len()),
                );
                let spans = crate::analysis::merge(
                    ids.iter()
                        .flat_map(|&id| a.steps[id].spans.iter().copied())
                        .collect(),
                );
                pen.out.push_str(open);
                for s in spans {
                    pen.bar(
                        &axis,
                        s,
                        top + ROW_H / 2.0 - 2.0,
                        4.0,
                        r#"class="internal""#,
                    );
                }
                pen.out.push_str(close);
            }
            Row::Stage(si) => {
                let stage = &a.stages[*si];
                if stage.steps.iter().any(|id| hazard_steps.contains(id)) {
                    pen.text(MARGIN, text_y, r#"class="hz""#, "⚠");
                }
                pen.text(
                    MARGIN + 14.0,
                    text_y,
                    r#"class="b""#,
                    &cut(&stage.name, label_chars + 2),
                );
                // Its steps' bars, the state that matters most on top.
                let mut steps: Vec<StepId> = stage.steps.clone();
                steps.sort_by_key(|&s| std::cmp::Reverse(a.steps[s].state.rank()));
                pen.out.push_str(open);
                for s in steps {
                    let st = &a.steps[s];
                    for &span in &st.spans {
                        pen.bar(
                            &axis,
                            span,
                            bar_y,
                            BAR_H,
                            &format!(r#"class="{}""#, class_of(st.state)),
                        );
                    }
                }
                let (red, maybe) = a.stage_overlap(&stage.name);
                overlap_bands(&mut pen, &axis, &red, &maybe, bar_y);
                pen.out.push_str(close);
                let info = match (stage.start(), stage.end()) {
                    (Some(s), Some(e)) => {
                        format!("{}–{}", secs(s - axis.start), secs(e - axis.start))
                    }
                    (Some(s), None) => format!("{}–", secs(s - axis.start)),
                    _ => "never ran".into(),
                };
                pen.text(info_x, text_y, r#"class="end dim" font-size="12""#, &info);
            }
            Row::Alongside(o) => {
                let word = if o.certainty == Certainty::Certain {
                    "alongside"
                } else {
                    "maybe alongside"
                };
                pen.text(
                    MARGIN + 28.0,
                    text_y,
                    r#"class="red b""#,
                    &cut(
                        &format!(
                            "! {word} {} (its {} source)",
                            o.source,
                            o.kind.instruction()
                        ),
                        label_chars,
                    ),
                );
                pen.out.push_str(open);
                for &span in &o.spans {
                    let class = if o.certainty == Certainty::Certain {
                        "alongside"
                    } else {
                        "possible"
                    };
                    pen.bar(
                        &axis,
                        span,
                        top + 6.0,
                        ROW_H - 12.0,
                        &format!(r#"class="{class}""#),
                    );
                }
                pen.out.push_str(close);
                pen.text(info_x, text_y, r#"class="end red b""#, &secs(o.duration));
            }
            Row::Step(id) => {
                let s = &a.steps[*id];
                let marker = if hazard_steps.contains(id) {
                    Some(("⚠", "hz"))
                } else if critical.contains(id) {
                    Some(("»", "cp"))
                } else {
                    None
                };
                if let Some((m, c)) = marker {
                    pen.text(MARGIN, text_y, &format!(r#"class="{c}""#), m);
                }
                let label = match s.parsed.index() {
                    Some((n, t)) => format!("{n}/{t} {}", s.parsed.text),
                    None => s.name.clone(),
                };
                pen.text(MARGIN + 28.0, text_y, "", &cut(&label, label_chars));
                pen.out.push_str(open);
                let attrs = format!(r#"class="{}""#, class_of(s.state));
                if s.spans.is_empty() {
                    if let Some(t) = s.intervals.first().map(|i| i.start.best) {
                        pen.bar(&axis, (t, t), bar_y, BAR_H, &attrs);
                    }
                }
                for &span in &s.spans {
                    pen.bar(&axis, span, bar_y, BAR_H, &attrs);
                }
                if critical.contains(id) {
                    for &span in &s.spans {
                        pen.bar(&axis, span, bar_y + BAR_H + 1.5, 2.5, r#"class="cp""#);
                    }
                }
                let (red, maybe) = a.step_overlap(*id);
                overlap_bands(&mut pen, &axis, &red, &maybe, bar_y);
                // The hazard's winner says so on its bar.
                if let Some(h) = a.hazards.iter().find(|h| h.first == Some(*id)) {
                    if let Some(end) = s.end() {
                        let x = axis.x(end) + 6.0;
                        let text = format!("⚠ took {} first", h.cache_id);
                        let fits = x + text.chars().count() as f64 * 12.0 * ADVANCE < CHART_X1;
                        let data = if opt.interactive {
                            format!(r#" data-after="{}""#, axis.secs(end))
                        } else {
                            String::new()
                        };
                        let (x, anchor) = if fits {
                            (x, "start")
                        } else {
                            (axis.x(s.start().unwrap_or(end)) - 6.0, "end")
                        };
                        pen.text(
                            x,
                            text_y,
                            &format!(
                                r#"font-size="12" text-anchor="{anchor}" class="winner hz b"{data}"#
                            ),
                            &text,
                        );
                    }
                }
                pen.out.push_str(close);
                pen.text(
                    info_x,
                    text_y,
                    &format!(r#"class="end c-{}""#, s.state.word()),
                    &info_of(s.state, s.active()),
                );
            }
        }
        pen.out.push_str("</g>\n");
    }
    legend(&mut pen, legend_y, legend_layout);
    if !callout.is_empty() {
        let _ = writeln!(
            pen.out,
            r#"<g class="callout"><rect x="{MARGIN}" y="{callout_y:.1}" width="{:.1}" height="{callout_h:.1}" rx="6" fill="none" stroke="{}" stroke-width="2"/>"#,
            WIDTH - 2.0 * MARGIN,
            p.hazard
        );
        let mut y = callout_y + 24.0;
        for (line, bold) in &callout {
            let attrs = if *bold {
                format!(r#"font-size="14" font-weight="bold" fill="{}""#, p.hazard)
            } else {
                r#"font-size="14""#.to_string()
            };
            pen.text(MARGIN + 12.0, y, &attrs, line);
            y += 19.0;
        }
        pen.out.push_str("</g>\n");
    }
    if let Some(lines) = critical_text {
        let mut y = critical_y;
        for line in lines {
            pen.text(
                MARGIN,
                y,
                &format!(r#"font-size="14" fill="{}""#, p.critical),
                &line,
            );
            y += 19.0;
        }
    }
    pen.out.push_str("</svg>\n");
    pen.out
}

/// Time alongside a source over a bar: a taller red band (proven) or a hatched one (possible).
fn overlap_bands(pen: &mut Pen, axis: &Axis, red: &[Span], maybe: &[Span], bar_y: f64) {
    for &span in maybe {
        pen.bar(axis, span, bar_y - 3.0, BAR_H + 6.0, r#"class="possible""#);
    }
    for &span in red {
        pen.bar(axis, span, bar_y - 3.0, BAR_H + 6.0, r#"class="alongside""#);
    }
}

/// One entry of the legend: its swatch and its words.
struct Entry {
    swatch: String,
    words: &'static str,
    colour: &'static str,
}

/// The legend's entries, each placed at `(x, line)`, wrapped to the width.
fn legend_layout(p: &Palette, estimated: bool) -> Vec<(f64, usize, Entry)> {
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
            words: "ran alongside its COPY --from source",
            colour: p.red,
        },
    ];
    if estimated {
        entries.push(Entry {
            swatch: format!(
                r#"<rect x="{{x}}" y="{{tall}}" width="22" height="18" fill="url(#bg-possible)" stroke="{}" stroke-dasharray="3 2"/>"#,
                p.red
            ),
            words: "may have (plain log)",
            colour: p.red,
        });
    }
    entries.push(Entry {
        swatch: String::new(),
        words: "⚠ shares a cache mount nothing orders",
        colour: p.hazard,
    });
    entries.push(Entry {
        swatch: format!(
            r#"<rect x="{{x}}" y="{{line}}" width="22" height="3" fill="{}"/>"#,
            p.critical
        ),
        words: "» critical path",
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

#[derive(Clone, Copy)]
enum Tone {
    Hazard,
    Red,
    Ok,
    Failed,
}

/// The title line: `Dockerfiles/race/Dockerfile — build FAILED in 4.14s` (also the HTML page's
/// title).
pub(crate) fn headline(title: &str, build: &Build, a: &Analysis) -> String {
    let total = match (a.start, a.end) {
        (Some(s), Some(e)) => format!(" in {}", secs(e - s)),
        _ => String::new(),
    };
    let word = outcome_words(outcome(build, a));
    format!("{title} — build {word}{total}")
}

/// `(title, subtitle)` and the verdict lines under them.
fn header(
    title: &str,
    source: &str,
    build: &Build,
    a: &Analysis,
) -> ((String, String), Vec<(String, Tone)>) {
    let c = counts(a);
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
    let mut steps = format!("{} steps: {} done, {} cached", c.steps, c.done, c.cached);
    for (n, w) in [
        (c.failed, "failed"),
        (c.cancelled, "cancelled"),
        (c.never_started, "never ran"),
    ] {
        if n > 0 {
            steps.push_str(&format!(", {n} {w}"));
        }
    }
    sub.push(steps);
    sub.push(if a.estimated {
        "times estimated from a plain log".into()
    } else {
        "exact times (rawjson)".into()
    });
    let mut verdict = Vec::new();
    if let Some(h) = a.hazards.first() {
        verdict.push((hazard_verdict(a, h, true), Tone::Hazard));
    } else if let Some(o) = a.overlaps.first() {
        verdict.push((overlap_verdict(o), Tone::Red));
    } else if a.start.is_some() {
        verdict.push((
            "No stage ran alongside its COPY --from source.".into(),
            Tone::Ok,
        ));
    }
    if let Some(s) = super::failed_steps(a).first() {
        verdict.push((
            format!(
                "✗ {} failed{}",
                short_name(s),
                s.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            Tone::Failed,
        ));
    }
    ((head, sub.join(" · ")), verdict)
}

/// The hazard call-out: `(line, is heading)`.
fn callout_lines(a: &Analysis, chars: usize) -> Vec<(String, bool)> {
    let mut out = Vec::new();
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
