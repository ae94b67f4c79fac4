//! The text report: a Gantt chart per stage that fits the terminal, then what the build means
//! (concurrency with a source, cache hazards, the critical path, the error, warnings, diagnostics).
//! Every state has its own glyph, so nothing depends on colour.

use std::fmt::Write as _;

use super::{counts, failed_steps, hazard_title, outcome, outcome_words, overlap_sentence};
use crate::analysis::{Analysis, Certainty, Span, Stage, Step};
use crate::model::{Build, Nanos, State};

#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Total width in columns.
    pub width: usize,
    pub color: bool,
    /// How many log lines of a failed step to show.
    pub log_lines: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            width: 100,
            color: false,
            log_lines: 12,
        }
    }
}

pub const LEGEND: &[(char, &str)] = &[
    ('█', "done"),
    ('▒', "running"),
    ('░', "cached"),
    ('▓', "failed"),
    ('╳', "cancelled"),
    ('·', "waiting"),
    ('!', "ran alongside its COPY --from source"),
];

pub fn glyph(state: State) -> char {
    match state {
        State::Done => '█',
        State::Running => '▒',
        State::Cached => '░',
        State::Failed => '▓',
        State::Cancelled => '╳',
        State::Waiting => '·',
    }
}

/// Styles as ANSI SGR codes; empty when colour is off.
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn state(&self, state: State, s: &str) -> String {
        match state {
            State::Failed => self.red(s),
            State::Cancelled => self.yellow(s),
            State::Cached | State::Waiting => self.dim(s),
            State::Running => self.wrap("36", s),
            State::Done => self.wrap("34", s),
        }
    }
}

/// Maps time to chart columns.
struct Axis {
    start: Nanos,
    per_cell: f64,
    cells: usize,
}

impl Axis {
    fn cell(&self, t: Nanos) -> usize {
        let c = ((t - self.start) as f64 / self.per_cell).floor();
        (c.max(0.0) as usize).min(self.cells.saturating_sub(1))
    }

    /// Which cells a set of spans touches (an instant still marks its cell).
    fn cover(&self, spans: &[Span]) -> Vec<bool> {
        let mut out = vec![false; self.cells];
        for &(a, b) in spans {
            let (ca, cb) = (self.cell(a), self.cell((b - 1).max(a)));
            for c in out.iter_mut().take(cb + 1).skip(ca) {
                *c = true;
            }
        }
        out
    }
}

pub fn secs(n: Nanos) -> String {
    let s = n as f64 / 1e9;
    if s < 0.1 {
        format!("{:.0}ms", s * 1e3)
    } else if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 100.0 {
        format!("{s:.1}s")
    } else {
        format!("{s:.0}s")
    }
}

/// `s` cut to `n` characters (columns), the cut marked with `…`.
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `s` in exactly `w` columns: cut (see [`cut`]) or padded with spaces.
fn fit(s: &str, w: usize) -> String {
    if w == 0 {
        return String::new();
    }
    format!("{:<w$}", cut(s, w))
}

/// Wraps prose to `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    wrap_items(text.split_whitespace(), " ", width, indent)
}

/// Fills lines of `width` columns with whole items joined by `sep`, each line starting with
/// `indent`.
fn wrap_items<'a>(
    items: impl IntoIterator<Item = &'a str>,
    sep: &str,
    width: usize,
    indent: &str,
) -> String {
    let avail = width.saturating_sub(indent.chars().count()).max(20);
    let sep_w = sep.chars().count();
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.chars().count() + sep_w + item.chars().count() > avail {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(sep);
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A tick interval of 1, 2 or 5 × 10^k seconds giving labels at least `min_cells` apart.
pub fn tick_step(per_cell: f64, min_cells: usize) -> f64 {
    let min = per_cell * min_cells as f64 / 1e9;
    let mut step = 0.001;
    for _ in 0..40 {
        for m in [1.0, 2.0, 5.0] {
            if step * m >= min {
                return step * m;
            }
        }
        step *= 10.0;
    }
    step
}

pub fn tick_label(t: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{t:.0}s")
    } else if step >= 0.1 {
        format!("{t:.1}s")
    } else {
        format!("{t:.2}s")
    }
}

pub fn render(name: &str, build: &Build, a: &Analysis, opt: &TextOptions) -> String {
    let p = Paint { on: opt.color };
    let mut out = String::new();
    let c = counts(a);
    let total = match (a.start, a.end) {
        (Some(s), Some(e)) => secs(e - s),
        _ => "?".into(),
    };
    let o = outcome(build, a);
    let verdict = match o {
        "failed" => p.red(outcome_words(o)),
        "incomplete" => p.yellow(outcome_words(o)),
        _ => p.green(outcome_words(o)),
    };
    let _ = writeln!(out, "{}", p.bold(name));
    let summary = format!(
        "build {verdict} in {total}: {} steps ({} done, {} cached, {} failed, {} cancelled, {} never started{})",
        c.steps,
        c.done,
        c.cached,
        c.failed,
        c.cancelled,
        c.never_started,
        if c.running > 0 { format!(", {} unfinished", c.running) } else { String::new() }
    );
    out.push_str(&wrap(&summary, opt.width, ""));
    out.push('\n');
    chart(&mut out, a, opt, &p);
    concurrency(&mut out, a, opt, &p);
    hazards(&mut out, a, opt, &p);
    critical(&mut out, a, opt, &p);
    errors(&mut out, build, a, opt, &p);
    notes(&mut out, build, opt, &p);
    out
}

fn chart(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Paint) {
    let (Some(start), Some(end)) = (a.start, a.end) else {
        out.push_str("No step started: nothing to chart.\n\n");
        return;
    };
    let label_w = (opt.width / 3).clamp(16, 44);
    let info_w = 16;
    let cells = opt.width.saturating_sub(label_w + info_w + 2).max(10);
    let axis = Axis {
        start,
        per_cell: ((end - start).max(1) as f64 / cells as f64).max(1.0),
        cells,
    };
    // Time axis.
    let step = tick_step(axis.per_cell, 8);
    let mut ticks = vec![' '; cells];
    let mut t = 0.0;
    while t * 1e9 < (end - start) as f64 {
        let c = axis.cell(start + (t * 1e9) as Nanos);
        let label = tick_label(t, step);
        if c + label.len() <= cells {
            for (i, ch) in label.chars().enumerate() {
                ticks[c + i] = ch;
            }
        }
        t += step;
    }
    let _ = writeln!(
        out,
        "{} {}",
        " ".repeat(label_w),
        p.dim(&ticks.iter().collect::<String>())
    );
    let hazard_steps = a.hazard_steps();
    let row = |out: &mut String, label: String, bar: String, info: String| {
        let _ = writeln!(out, "{} {} {}", label, bar, info);
    };
    let step_row = |out: &mut String, s: &Step| {
        let name = match s.parsed.index() {
            Some((i, n)) => format!("  {i}/{n} {}", s.parsed.text),
            None => format!("  {}", s.name),
        };
        let mark = if hazard_steps.contains(&s.id) {
            "⚠"
        } else {
            " "
        };
        let cover = axis.cover(&s.spans);
        let g = glyph(s.state).to_string();
        let mut bar: String = cover
            .iter()
            .map(|&c| if c { g.as_str() } else { " " })
            .collect();
        if s.spans.is_empty() {
            bar = " ".repeat(cells);
        }
        let bar = p.state(s.state, &bar);
        let info = match s.state {
            State::Waiting => "never started".to_string(),
            State::Cached => "cached".to_string(),
            st => format!("{:>6} {}", secs(s.active()), st.word()),
        };
        row(
            out,
            format!(
                "{}{}",
                fit(&name, label_w - 1),
                if mark == "⚠" {
                    p.yellow(mark)
                } else {
                    mark.to_string()
                }
            ),
            bar,
            p.state(s.state, &info),
        );
    };
    // Internal and other steps first, as one group.
    let internal: Vec<&Step> = a.steps.iter().filter(|s| s.stage.is_none()).collect();
    if !internal.is_empty() {
        let spans = crate::analysis::merge(internal.iter().flat_map(|s| s.spans.clone()).collect());
        let bar: String = axis
            .cover(&spans)
            .iter()
            .map(|&c| if c { '─' } else { ' ' })
            .collect();
        row(
            out,
            p.dim(&fit("internal", label_w)),
            p.dim(&bar),
            String::new(),
        );
        for s in &internal {
            step_row(out, s);
        }
    }
    for stage in &a.stages {
        if stage.steps.is_empty() {
            continue;
        }
        stage_rows(out, a, stage, &axis, label_w, p);
        if let Some(note) = shared_note(a, stage) {
            out.push_str(&p.dim(&wrap(&note, opt.width, "  ")));
        }
        for &s in &stage.steps {
            step_row(out, &a.steps[s]);
        }
    }
    let mut items: Vec<String> = LEGEND.iter().map(|(g, w)| format!("{g} {w}")).collect();
    items.push("⚠ shares a cache mount nothing orders".into());
    out.push('\n');
    out.push_str(&p.dim(&wrap_items(
        items.iter().map(String::as_str),
        "  ",
        opt.width,
        "",
    )));
    out.push('\n');
}

/// `1/8–3/8 are [builder 1/7]–[builder 3/7] (BuildKit ran them once for both stages)`.
pub fn shared_note(a: &Analysis, stage: &Stage) -> Option<String> {
    let (other, n) = stage.shares.as_ref()?;
    let total = a.steps[*stage.steps.first()?].parsed.index()?.1;
    let other_total = a
        .stages
        .iter()
        .find(|s| &s.name == other)
        .and_then(|s| s.steps.first())
        .and_then(|&s| a.steps[s].parsed.index())
        .map_or(0, |i| i.1);
    let range = |st: &str, t: u32| {
        if *n == 1 {
            format!("[{st} 1/{t}]")
        } else {
            format!("[{st} 1/{t}]–[{st} {n}/{t}]")
        }
    };
    Some(format!(
        "{} never show: they are {} (identical steps, run once for both stages)",
        range(&stage.name, total),
        range(other, other_total)
    ))
}

fn stage_rows(
    out: &mut String,
    a: &Analysis,
    stage: &Stage,
    axis: &Axis,
    label_w: usize,
    p: &Paint,
) {
    let bar: String = axis
        .cover(&stage.spans)
        .iter()
        .map(|&c| if c { '━' } else { ' ' })
        .collect();
    let info = match (stage.start(), stage.end(), a.start) {
        (Some(s), Some(e), Some(t0)) => format!("{}–{}", secs(s - t0), secs(e - t0)),
        _ => "never started".into(),
    };
    let _ = writeln!(
        out,
        "{} {} {}",
        p.bold(&fit(&stage.name, label_w)),
        bar,
        p.dim(&info)
    );
    for o in a.overlaps.iter().filter(|o| o.stage == stage.name) {
        let cover = axis.cover(&o.spans);
        let mark = if o.certainty == Certainty::Certain {
            "!"
        } else {
            "?"
        };
        let bar: String = cover.iter().map(|&c| if c { mark } else { " " }).collect();
        let label = fit(&format!("  ! alongside {}", o.source), label_w);
        let _ = writeln!(
            out,
            "{} {} {}",
            p.red(&label),
            p.red(&bar),
            p.red(&secs(o.duration))
        );
    }
}

fn concurrency(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Paint) {
    if a.overlaps.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold("Concurrency with a COPY --from source"));
    for o in &a.overlaps {
        let line = overlap_sentence(a, o);
        out.push_str(&p.red(&wrap(&line, opt.width, "  ")));
        for pair in &o.pairs {
            let pw = opt.width.saturating_sub(16) / 2;
            let _ = writeln!(
                out,
                "    {} ⇄ {} {}",
                fit(&a.steps[pair.step].name, pw.saturating_sub(4)),
                fit(&a.steps[pair.source_step].name, pw.saturating_sub(4)),
                secs(pair.duration)
            );
        }
    }
    out.push('\n');
}

fn hazards(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Paint) {
    if a.hazards.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold("Cache hazards"));
    for h in &a.hazards {
        let title = hazard_title(a, h);
        out.push_str(&wrap(&title, opt.width, "  ").replacen('⚠', &p.yellow("⚠"), 1));
        out.push_str(&wrap(&h.explanation, opt.width, "    "));
        out.push_str(&wrap(&format!("Fix: {}", h.fix), opt.width, "    "));
    }
    out.push('\n');
}

fn critical(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Paint) {
    let Some(cp) = &a.critical_path else { return };
    let _ = writeln!(
        out,
        "{} ({})",
        p.bold("Critical path"),
        secs(cp.end - cp.start)
    );
    let chain: Vec<String> = cp
        .steps
        .iter()
        .map(|&s| {
            let st = &a.steps[s];
            format!("{} {}", crate::analysis::short_name(st), secs(st.active()))
        })
        .collect();
    out.push_str(&wrap(&chain.join(" → "), opt.width, "  "));
    out.push('\n');
}

fn errors(out: &mut String, build: &Build, a: &Analysis, opt: &TextOptions, p: &Paint) {
    let failed = failed_steps(a);
    if failed.is_empty() && build.error_text.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold(&p.red("Build error")));
    for s in failed {
        out.push_str(&p.red(&wrap(&format!("{} failed:", s.name), opt.width, "  ")));
        if let Some(e) = &s.error {
            out.push_str(&wrap(e, opt.width, "    "));
        }
        let mut lines = Vec::new();
        for &v in &s.vertexes {
            lines.extend(build.vertex(v).log.lines());
        }
        if !lines.is_empty() {
            let skip = lines.len().saturating_sub(opt.log_lines);
            let _ = writeln!(
                out,
                "    its output{}:",
                if skip > 0 { " (last lines)" } else { "" }
            );
            for l in &lines[skip..] {
                let tag = if l.stream == 2 {
                    p.dim("err│")
                } else {
                    p.dim("   │")
                };
                let _ = writeln!(out, "    {tag} {}", l.text);
            }
        }
    }
    if !build.error_text.is_empty() {
        let _ = writeln!(out, "  buildx said:");
        for l in &build.error_text {
            let _ = writeln!(out, "    {l}");
        }
    }
    out.push('\n');
}

fn notes(out: &mut String, build: &Build, opt: &TextOptions, p: &Paint) {
    if !build.warnings.is_empty() {
        let _ = writeln!(
            out,
            "{} ({})",
            p.bold("Dockerfile warnings"),
            build.warnings.len()
        );
        for w in &build.warnings {
            let at = match (&w.file, w.line) {
                (Some(f), Some(l)) => format!("{f}:{l}: "),
                (None, Some(l)) => format!("line {l}: "),
                _ => String::new(),
            };
            out.push_str(&wrap(&format!("{at}{}", w.short), opt.width, "  "));
            for d in &w.detail {
                out.push_str(&p.dim(&wrap(d, opt.width, "      ")));
            }
        }
        out.push('\n');
    }
    if !build.tool_warnings.is_empty() {
        let _ = writeln!(out, "{}", p.bold("buildx warnings"));
        for w in &build.tool_warnings {
            out.push_str(&wrap(w, opt.width, "  "));
        }
        out.push('\n');
    }
    if !build.diagnostics().is_empty() {
        let _ = writeln!(out, "{}", p.bold(&p.yellow("Input problems")));
        for d in build.diagnostics() {
            let at = d.line.map(|l| format!("line {l}: ")).unwrap_or_default();
            out.push_str(&wrap(&format!("{at}{}", d.message), opt.width, "  "));
        }
        if build.diagnostics_dropped() > 0 {
            let _ = writeln!(out, "  … and {} more", build.diagnostics_dropped());
        }
        out.push('\n');
    }
}
