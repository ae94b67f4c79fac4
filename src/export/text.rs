//! The text report: a Gantt chart per stage that fits the terminal, then what the build means
//! (concurrency with a source, cache hazards, the critical path, the error, warnings, diagnostics).
//! Every state has its own glyph, so nothing depends on colour.

use std::fmt::Write as _;
use std::io;

use crate::analysis::{cache_breaks, failed_steps, outcome, Analysis, Outcome};
use crate::chart::words::{
    cache_break_line, cache_summary, cut, fit, glyph, hazard_title, hazards_unlisted,
    lock_wait_sentence, outcome_words, overlap_sentence, path_step, secs, stale_title, step_counts,
    transfer_lines, wrap, wrap_items, CRITICAL_LEGEND, HAZARD_LEGEND, LEGEND, POSSIBLY_RED_GLYPH,
    RED_GLYPH, STALE_LEGEND, STALE_MARK, WAIT_GLYPH, WAIT_WORDS,
};
use crate::chart::{each_row, Axis, Cells, Choices, Marker, Paint, Row, RowKind};
use crate::model::{Build, State};

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

/// How a run of text is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Dim,
    Red,
    State(State),
}

/// Styles as ANSI SGR codes; none when colour is off.
struct Ansi {
    on: bool,
}

impl Ansi {
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
    fn style(&self, style: Style, s: &str) -> String {
        match style {
            Style::Plain => s.to_string(),
            Style::Dim => self.dim(s),
            Style::Red => self.red(s),
            Style::State(st) => self.state(st, s),
        }
    }
}

/// Columns at the right of each row: its time or state.
const INFO_W: usize = 16;

pub fn render(name: &str, build: &Build, a: &Analysis, opt: &TextOptions) -> String {
    let mut whole = String::new();
    let _ = emit(name, build, a, opt, &mut |part: &str| {
        whole.push_str(part);
        Ok(())
    });
    whole
}

/// The report written to `w` as it is made: a huge build's chart is never held whole.
pub fn write(
    w: &mut dyn io::Write,
    name: &str,
    build: &Build,
    a: &Analysis,
    opt: &TextOptions,
) -> io::Result<()> {
    emit(name, build, a, opt, &mut |part: &str| {
        w.write_all(part.as_bytes())
    })
}

/// Where the report's text goes, a part at a time.
type Flush<'a> = dyn FnMut(&str) -> io::Result<()> + 'a;

fn emit(
    name: &str,
    build: &Build,
    a: &Analysis,
    opt: &TextOptions,
    flush: &mut Flush,
) -> io::Result<()> {
    let p = Ansi { on: opt.color };
    let mut out = String::new();
    let total = match (a.start, a.end) {
        (Some(s), Some(e)) => secs(e - s),
        _ => "?".into(),
    };
    let o = outcome(build, a);
    let verdict = match o {
        Outcome::Failed => p.red(outcome_words(o)),
        Outcome::Incomplete | Outcome::Cancelled => p.yellow(outcome_words(o)),
        Outcome::Succeeded => p.green(outcome_words(o)),
    };
    let _ = writeln!(out, "{}", p.bold(name));
    if let Some(r) = &build.record {
        let named = r
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" ({n})"));
        let line = format!("build record {}{named}", r.reference);
        let _ = writeln!(out, "{}", p.dim(&cut(&line, opt.width)));
    }
    let summary = format!("build {verdict} in {total}: {}", step_counts(a));
    out.push_str(&wrap(&summary, opt.width, ""));
    out.push('\n');
    chart(&mut out, a, opt, &p, flush)?;
    concurrency(&mut out, a, opt, &p, flush)?;
    let sections: [&dyn Fn(&mut String); 9] = [
        &|out| hazards(out, a, opt, &p),
        &|out| stale(out, a, opt, &p),
        &|out| lock_waits(out, a, opt, &p),
        &|out| cache(out, a, opt, &p),
        &|out| transfers(out, build, a, opt, &p),
        &|out| critical(out, a, opt, &p),
        &|out| time_spent(out, a, opt, &p),
        &|out| errors(out, build, a, opt, &p),
        &|out| notes(out, build, opt, &p),
    ];
    for section in sections {
        section(&mut out);
        spill(&mut out, flush, 0)?;
    }
    Ok(())
}

/// Hands what `out` holds to `flush` once it is over `above` bytes.
fn spill(out: &mut String, flush: &mut Flush, above: usize) -> io::Result<()> {
    if out.len() > above {
        flush(out)?;
        out.clear();
    }
    Ok(())
}

/// The chart's rows: every group open, a `! alongside` row under each stage that ran alongside
/// its source, the critical path marked.
fn chart(
    out: &mut String,
    a: &Analysis,
    opt: &TextOptions,
    p: &Ansi,
    flush: &mut Flush,
) -> io::Result<()> {
    let Some(axis) = Axis::whole(a) else {
        out.push_str("No step started: nothing to chart.\n\n");
        return Ok(());
    };
    let label_w = (opt.width / 3).clamp(16, 44);
    let cells = axis.cells(opt.width.saturating_sub(label_w + INFO_W + 2).max(10));
    let mut ticks = vec![' '; cells.count()];
    for t in axis.ticks(cells.per_cell() * 8.0) {
        let Some(c) = cells.at(t.at) else { continue };
        if c + t.label.len() <= cells.count() {
            for (i, ch) in t.label.chars().enumerate() {
                ticks[c + i] = ch;
            }
        }
    }
    let ticks: String = ticks.into_iter().collect();
    let _ = writeln!(out, "{} {}", " ".repeat(label_w), p.dim(&ticks));
    let choices = Choices {
        internal_open: true,
        alongside_rows: true,
        critical: true,
        finished: true,
        ..Choices::default()
    };
    let mut failed = Ok(());
    each_row(a, &choices, |row| {
        row_line(out, &row, &cells, label_w, p);
        if let Some(note) = &row.note {
            // One line, so it can never be taken for a row.
            let note = cut(note, opt.width.saturating_sub(4));
            let _ = writeln!(out, "  {}", p.dim(&format!("↳ {note}")));
        }
        if failed.is_ok() {
            failed = spill(out, flush, 1 << 16);
        }
    });
    failed?;
    let mut items: Vec<String> = LEGEND.iter().map(|(g, w)| format!("{g} {w}")).collect();
    if !a.lock_waits.is_empty() {
        items.push(format!("{WAIT_GLYPH} {WAIT_WORDS}"));
    }
    items.push(HAZARD_LEGEND.to_string());
    if !a.stale.is_empty() {
        items.push(STALE_LEGEND.to_string());
    }
    items.push(CRITICAL_LEGEND.to_string());
    out.push('\n');
    out.push_str(&p.dim(&wrap_items(
        items.iter().map(String::as_str),
        "  ",
        opt.width,
        "",
    )));
    out.push('\n');
    Ok(())
}

/// `⚠  2/3 RUN …  ████████   0.19s ✓`: marker, label, bar, info.
fn row_line(out: &mut String, row: &Row, cells: &Cells, label_w: usize, p: &Ansi) {
    let marker = match row.marker {
        Some(Marker::Hazard) => p.yellow("⚠"),
        Some(Marker::Critical) => "»".to_string(),
        Some(Marker::Cause) => p.yellow("◆"),
        Some(Marker::Stale) => p.yellow(&STALE_MARK.to_string()),
        None => " ".to_string(),
    };
    let indent = format!(" {}", "  ".repeat(row.depth as usize));
    let label = fit(&format!("{indent}{}", row.label), label_w - 1);
    let (label, info) = match row.kind {
        RowKind::Internal(_) => (p.dim(&label), p.dim(&row.info())),
        RowKind::Stage(_) => (p.bold(&label), p.state(row.state, &row.info())),
        RowKind::Alongside(_) => (p.red(&label), p.red(&row.info())),
        RowKind::Step(_) => (label, p.state(row.state, &row.info())),
    };
    let _ = writeln!(out, "{marker}{label} {} {info}", bar(row, cells, p));
}

/// A row's bar: a line for groups, each state's glyph for steps, red (or `!`/`?` without colour)
/// where it ran alongside its source.
fn bar(row: &Row, cells: &Cells, p: &Ansi) -> String {
    let (line, base) = match row.kind {
        RowKind::Internal(_) => (Some('─'), Style::Dim),
        RowKind::Stage(_) => (Some('━'), Style::Plain),
        _ => (None, Style::Plain),
    };
    let glyphs = cells.marks(row).into_iter().map(|m| {
        let under = m.state.map(|s| line.unwrap_or(glyph(s)));
        let style = m.state.map_or(base, |s| {
            if line.is_some() {
                base
            } else {
                Style::State(s)
            }
        });
        let red_glyph = match m.red {
            Some(Paint::PossiblyRed) => POSSIBLY_RED_GLYPH,
            _ => RED_GLYPH,
        };
        let (under, style) = match under {
            Some(_) if m.wait => (Some(WAIT_GLYPH), Style::Dim),
            u => (u, style),
        };
        match (m.red, under) {
            (Some(_), Some(c)) if p.on => (c, Style::Red),
            (Some(_), _) => (red_glyph, Style::Red),
            (None, Some(c)) => (c, style),
            (None, None) => (' ', Style::Plain),
        }
    });
    // One escape sequence per run of cells in the same style.
    let mut out = String::new();
    let mut run = (String::new(), Style::Plain);
    for (c, style) in glyphs {
        if style != run.1 && !run.0.is_empty() {
            out.push_str(&p.style(run.1, &std::mem::take(&mut run.0)));
        }
        run.1 = style;
        run.0.push(c);
    }
    out.push_str(&p.style(run.1, &run.0));
    out
}

fn concurrency(
    out: &mut String,
    a: &Analysis,
    opt: &TextOptions,
    p: &Ansi,
    flush: &mut Flush,
) -> io::Result<()> {
    if a.overlaps.is_empty() {
        return Ok(());
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
                fit(a.steps[pair.step].name(), pw.saturating_sub(4)),
                fit(a.steps[pair.source_step].name(), pw.saturating_sub(4)),
                secs(pair.duration())
            );
        }
        spill(out, flush, 1 << 16)?;
    }
    out.push('\n');
    Ok(())
}

fn hazards(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Ansi) {
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
    if let Some(more) = hazards_unlisted(a) {
        out.push_str(&wrap(&more, opt.width, "  "));
    }
    out.push('\n');
}

/// Readers of a cache whose writers did not run in the build: why, and the fix that holds in CI.
fn stale(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    if a.stale.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        p.bold("Stale cache (a cache mount is not a layer)")
    );
    let mark = STALE_MARK.to_string();
    for s in &a.stale {
        let title = stale_title(a, s);
        out.push_str(&wrap(&title, opt.width, "  ").replacen(&mark, &p.yellow(&mark), 1));
        out.push_str(&wrap(&s.explanation, opt.width, "    "));
        out.push_str(&wrap(&format!("Fix: {}", s.fix), opt.width, "    "));
    }
    out.push('\n');
}

/// What a build record's trace shows: the steps that waited for a locked cache, and for whom.
fn lock_waits(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    if a.lock_waits.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        p.bold("Lock waits (from the build record's trace)")
    );
    for w in &a.lock_waits {
        out.push_str(&wrap(&lock_wait_sentence(a, w), opt.width, "  "));
    }
    out.push('\n');
}

/// What the build pulled, pushed, exported and moved to or from a cache.
fn transfers(out: &mut String, build: &Build, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    let lines = transfer_lines(build, a);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold("Pulls, pushes and exports"));
    for (_, line) in lines {
        out.push_str(&wrap(&line, opt.width, "    ")[2..]);
    }
    out.push('\n');
}

/// A build that used the cache: how many steps were hits, and where each stage's chain broke.
fn cache(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    let Some(summary) = cache_summary(a, true) else {
        return;
    };
    let _ = writeln!(out, "{}", p.bold("Cache"));
    out.push_str(&wrap(&summary, opt.width, "  "));
    if summary.starts_with("Rebuild") {
        let breaks = cache_breaks(a);
        let w = breaks
            .iter()
            .map(|b| b.stage.chars().count())
            .max()
            .unwrap_or(0);
        let indent = " ".repeat(w + 6);
        for b in &breaks {
            let text = wrap(&cache_break_line(a, b), opt.width, &indent);
            let _ = write!(out, "    {:<w$}  {}", b.stage, &text[indent.len()..]);
        }
    }
    out.push('\n');
}

fn critical(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    let Some(cp) = &a.critical_path else { return };
    let _ = writeln!(
        out,
        "{} ({})",
        p.bold("Critical path"),
        secs(cp.end - cp.start)
    );
    let mut chain = String::new();
    for (i, &s) in cp.steps.iter().enumerate() {
        if i > 0 {
            chain.push_str(" → ");
        }
        chain.push_str(&path_step(&a.steps[s]));
    }
    out.push_str(&wrap(&chain, opt.width, "  "));
    out.push('\n');
}

/// Where the time went: wall time against the steps' time, by kind, the cache hits.
fn time_spent(out: &mut String, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    let Some(t) = crate::analysis::time_breakdown(a) else {
        return;
    };
    let _ = writeln!(out, "{}", p.bold("Where the time went"));
    for line in crate::chart::words::time_lines(&t) {
        out.push_str(&wrap(&line, opt.width, "  "));
    }
    out.push('\n');
}

fn errors(out: &mut String, build: &Build, a: &Analysis, opt: &TextOptions, p: &Ansi) {
    let failed = failed_steps(a);
    if failed.is_empty() && build.error_text.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.bold(&p.red("Build error")));
    for s in failed {
        out.push_str(&p.red(&wrap(&format!("{} failed:", s.name()), opt.width, "  ")));
        if let Some(e) = s.error() {
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
        let _ = writeln!(out, "  the docker CLI said:");
        for l in &build.error_text {
            let _ = writeln!(out, "    {l}");
        }
    }
    out.push('\n');
}

fn notes(out: &mut String, build: &Build, opt: &TextOptions, p: &Ansi) {
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
