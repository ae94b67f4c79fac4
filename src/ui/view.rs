//! Drawing the screen: a pure function of the [`App`] into a ratatui `Buffer` (no I/O), so every
//! screen can be rendered into a `TestBackend` and compared.
//!
//! ```text
//!  title      buildx-gantt · name · mode
//!  axis       0s      1s      2s …
//!  chart      one row per stage (▾/▸), its steps under it, the [internal] group first
//!  details    the selected step: times, inputs, hazards, its log (when open)
//!  status     state · elapsed · steps · cached · the verdict                       ? help
//! ```

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::{speed_label, App, Mode, RowKind, ViewMode};
use super::keys::{key_name, BINDINGS};
use crate::analysis::{merge, short_name, Certainty, Span as TimeSpan, Step, StepId};
use crate::export::text::{cut, glyph, secs, tick_label, tick_step, LEGEND};
use crate::export::{hazard_verdict, overlap_verdict};
use crate::model::{Nanos, State};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const INFO_W: u16 = 10;
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/// Drawn instead of a bar's glyph on cells that ran alongside the source, when there is no colour.
const OVERLAP_GLYPH: char = '!';
/// …where a plain log only allows it.
const POSSIBLE_GLYPH: char = '?';

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub title: Rect,
    pub axis: Rect,
    pub chart: Rect,
    pub details: Option<Rect>,
    pub status: Rect,
    pub label_w: u16,
}

pub fn layout(area: Rect, app: &App) -> Areas {
    let details_h = if app.details {
        (area.height * 2 / 5).max(9)
    } else {
        0
    };
    let [title, axis, chart, details, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(details_h),
        Constraint::Length(2),
    ])
    .areas(area);
    Areas {
        title,
        axis,
        chart,
        details: app.details.then_some(details),
        status,
        label_w: (area.width * 7 / 20).clamp(24, 52),
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf);
        return;
    }
    let th = Theme { color: app.color };
    let areas = layout(area, app);
    title(app, areas.title, buf, &th);
    let bar = Rect {
        x: areas.chart.x + areas.label_w,
        width: areas.chart.width.saturating_sub(areas.label_w + INFO_W),
        ..areas.chart
    };
    let (t0, t1) = app.window();
    let axis = Axis {
        t0,
        t1,
        cells: bar.width,
        zero: app.analysis.start.unwrap_or(t0),
    };
    axis_row(app, &axis, areas, buf, &th);
    chart(app, &axis, areas, buf, &th);
    if let Some(d) = areas.details {
        details(app, d, buf, &th);
    }
    status(app, areas.status, buf, &th);
    if app.help {
        help(area, buf, &th);
    }
}

fn too_small(area: Rect, buf: &mut Buffer) {
    let msg = vec![
        Line::from("buildx-gantt needs a terminal of at least 80×24"),
        Line::from(format!("(this one is {}×{}).", area.width, area.height)),
        Line::from("Enlarge it, or press q to quit."),
    ];
    let h = (msg.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    Paragraph::new(msg)
        .wrap(Wrap { trim: true })
        .alignment(ratatui::layout::Alignment::Center)
        .render(Rect::new(area.x, y, area.width, h.max(1)), buf);
}

/// Styles, or none of them under NO_COLOR (glyphs carry every meaning on their own).
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    fn state(&self, s: State) -> Style {
        match s {
            State::Done => self.fg(Color::Blue),
            State::Running => self.fg(Color::Cyan),
            State::Cached => self.fg(Color::DarkGray),
            State::Failed => self.fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            State::Cancelled => self.fg(Color::Yellow),
            State::Waiting => self.fg(Color::DarkGray),
        }
    }
    fn overlap(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Weaker than [`Theme::overlap`]: a plain log allows the overlap but does not prove it.
    fn possible_overlap(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::DIM)
    }
    fn hazard(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    fn critical(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::UNDERLINED)
    }
    fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

/// Maps build time to bar cells.
struct Axis {
    t0: Nanos,
    t1: Nanos,
    cells: u16,
    /// The build's start: tick labels count from here.
    zero: Nanos,
}

impl Axis {
    fn per_cell(&self) -> f64 {
        (self.t1 - self.t0).max(1) as f64 / self.cells.max(1) as f64
    }

    /// The cells a span touches, clipped to the window (an instant still marks its cell).
    fn cells_of(&self, (a, b): TimeSpan) -> Option<(u16, u16)> {
        if b < self.t0 || a >= self.t1 || self.cells == 0 {
            return None;
        }
        let pc = self.per_cell();
        let ca = ((a.max(self.t0) - self.t0) as f64 / pc).floor() as i64;
        let cb = (((b.min(self.t1) - self.t0) as f64 / pc).ceil() as i64 - 1).max(ca);
        let max = self.cells as i64 - 1;
        Some((ca.clamp(0, max) as u16, cb.clamp(0, max) as u16))
    }

    fn cell(&self, t: Nanos) -> Option<u16> {
        self.cells_of((t, t)).map(|c| c.0)
    }
}

fn title(app: &App, area: Rect, buf: &mut Buffer, th: &Theme) {
    let mode = match &app.mode {
        Mode::Live(l) if l.cancelling => "CANCELLING".to_string(),
        Mode::Live(l) if l.exit.is_none() => "LIVE".to_string(),
        Mode::Live(_) => "BUILD ENDED".to_string(),
        Mode::Replay(r) if r.finished() => "REPLAY · end".to_string(),
        Mode::Replay(r) if r.paused => format!("REPLAY · paused · {}", speed_label(r.speed)),
        Mode::Replay(r) => format!("REPLAY · {}", speed_label(r.speed)),
    };
    let mut spans = vec![Span::styled(" buildx-gantt ", th.bold()), Span::raw("· ")];
    match &app.title {
        Some(t) => {
            spans.push(Span::styled(t.clone(), th.bold()));
            spans.push(Span::styled(format!("  ({})", app.name), th.dim()));
        }
        None => spans.push(Span::raw(app.name.clone())),
    }
    // Times from a plain log are reconstructed: say so where the mode is.
    let tag = if app.analysis.estimated {
        format!(" {mode} · plain: times estimated ")
    } else {
        format!(" {mode} ")
    };
    let w = tag.chars().count() as u16;
    // The title gives way to the mode tag, marked as cut.
    let line = Line::from(spans);
    let room = area.width.saturating_sub(w + 1);
    let cut = line.width() > room as usize;
    line.render(
        Rect {
            width: room,
            ..area
        },
        buf,
    );
    if cut && room > 0 {
        buf.set_string(area.x + room - 1, area.y, "…", th.dim());
    }
    if area.width > w {
        buf.set_string(
            area.x + area.width - w,
            area.y,
            tag,
            th.fg(Color::Black)
                .bg(if th.color { Color::Cyan } else { Color::Reset })
                .add_modifier(Modifier::BOLD),
        );
    }
}

fn axis_row(app: &App, axis: &Axis, areas: Areas, buf: &mut Buffer, th: &Theme) {
    let a = areas.axis;
    let x0 = a.x + areas.label_w;
    let label = match app.view.mode {
        ViewMode::Fit => "time (fit)",
        ViewMode::Follow => "time (following)",
        ViewMode::Manual => "time",
    };
    buf.set_string(a.x + 1, a.y, label, th.dim());
    if app.analysis.start.is_none() {
        buf.set_string(x0, a.y, "waiting for the first step to start…", th.dim());
        return;
    }
    let step = tick_step(axis.per_cell(), 9);
    let first = ((axis.t0 - axis.zero) as f64 / 1e9 / step).ceil() as i64;
    let mut k = first;
    loop {
        let t = k as f64 * step;
        let at = axis.zero + (t * 1e9).round() as Nanos;
        if at >= axis.t1 {
            break;
        }
        if let Some(c) = axis.cell(at) {
            let label = format!("╷{}", tick_label(t, step));
            if c + label.chars().count() as u16 <= axis.cells {
                buf.set_string(x0 + c, a.y, label, th.dim());
            }
        }
        k += 1;
        if k - first > 500 {
            break;
        }
    }
    if let Some(now) = app.now() {
        if let Some(c) = axis.cell(now) {
            buf.set_string(x0 + c, a.y, "▼", th.fg(Color::Cyan));
        }
    }
}

/// What a row's bar shows.
struct Bar {
    spans: Vec<TimeSpan>,
    state: State,
    /// Parts drawn in another state than the row's (a stage's steps, each in its own).
    segments: Vec<(Vec<TimeSpan>, State)>,
    /// Sub-spans drawn red: running alongside a COPY --from source.
    red: Vec<TimeSpan>,
    /// Sub-spans where that is only possible (plain logs), drawn weaker.
    maybe: Vec<TimeSpan>,
    /// An instant to mark when the spans are empty (cached steps).
    instant: Option<Nanos>,
}

fn chart(app: &App, axis: &Axis, areas: Areas, buf: &mut Buffer, th: &Theme) {
    let area = areas.chart;
    let a = &app.analysis;
    let hazard_steps = a.hazard_steps();
    let critical: Vec<StepId> = match (&a.critical_path, app.critical) {
        (Some(c), true) => c.steps.clone(),
        _ => Vec::new(),
    };
    if app.rows.is_empty() {
        buf.set_string(
            area.x + 1,
            area.y,
            "No steps yet: waiting for the build's first progress report…",
            th.dim(),
        );
        return;
    }
    let bar_x = area.x + areas.label_w;
    for (i, row) in app
        .rows
        .iter()
        .enumerate()
        .skip(app.row_offset)
        .take(area.height as usize)
    {
        let y = area.y + (i - app.row_offset) as u16;
        let selected = i == app.selected;
        let (label, bar, marker) = match &row.kind {
            RowKind::Internal(ids) => {
                let open = app.rows.get(i + 1).is_some_and(
                    |r| matches!(r.kind, RowKind::Step(id) if a.steps[id].stage.is_none()),
                );
                let label = format!(
                    "{} [internal] {} step{}",
                    if open { "▾" } else { "▸" },
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" }
                );
                let steps: Vec<&Step> = ids.iter().map(|&id| &a.steps[id]).collect();
                (label, group_bar(&steps, Vec::new(), Vec::new()), ' ')
            }
            RowKind::Stage(si) => {
                let stage = &a.stages[*si];
                let open = app
                    .rows
                    .get(i + 1)
                    .is_some_and(|r| matches!(r.kind, RowKind::Step(_)));
                let label = format!("{} {}", if open { "▾" } else { "▸" }, stage.name);
                let steps: Vec<&Step> = stage.steps.iter().map(|&id| &a.steps[id]).collect();
                let (red, maybe) = a.stage_overlap(&stage.name);
                let marker = if stage.steps.iter().any(|id| hazard_steps.contains(id)) {
                    '⚠'
                } else {
                    ' '
                };
                (label, group_bar(&steps, red, maybe), marker)
            }
            RowKind::Step(id) => {
                let s = &a.steps[*id];
                let text = match s.parsed.index() {
                    Some((n, t)) => format!("   {n}/{t} {}", s.parsed.text),
                    None => format!("   {}", s.name),
                };
                let (red, maybe) = a.step_overlap(*id);
                let marker = if hazard_steps.contains(id) {
                    '⚠'
                } else if critical.contains(id) {
                    '»'
                } else {
                    ' '
                };
                let bar = Bar {
                    spans: s.spans.clone(),
                    state: s.state,
                    segments: Vec::new(),
                    red,
                    maybe,
                    instant: s.intervals.first().map(|i| i.start.best),
                };
                (text, bar, marker)
            }
        };
        // Label column: marker, name (cut to fit).
        let lw = areas.label_w.saturating_sub(2) as usize;
        let name = cut(&label, lw);
        let marker_style = if marker == '⚠' {
            th.hazard()
        } else {
            th.critical()
        };
        if marker != ' ' {
            buf.set_string(area.x, y, marker.to_string(), marker_style);
        }
        let label_style = if selected {
            th.selected()
        } else {
            Style::new()
        };
        let label_style = match &row.kind {
            RowKind::Stage(_) | RowKind::Internal(_) => label_style.add_modifier(Modifier::BOLD),
            RowKind::Step(_) => label_style,
        };
        buf.set_string(area.x + 1, y, format!("{name:<lw$}"), label_style);
        // The bar.
        let on_critical = matches!(row.kind, RowKind::Step(id) if critical.contains(&id));
        draw_bar(&bar, axis, bar_x, y, buf, th, on_critical, app.frame);
        // Info column.
        let info = info_text(&row.kind, &bar, app.frame);
        let ix = area.x + area.width - INFO_W;
        buf.set_string(
            ix,
            y,
            format!(" {info:>w$}", w = INFO_W as usize - 1),
            th.state(bar.state),
        );
    }
    // A scroll hint when rows are hidden.
    if app.rows.len() > area.height as usize {
        let shown_to = (app.row_offset + area.height as usize).min(app.rows.len());
        let hint = format!(" {}-{}/{} ", app.row_offset + 1, shown_to, app.rows.len());
        let w = hint.chars().count() as u16;
        buf.set_string(
            area.x + areas.label_w.saturating_sub(w),
            areas.axis.y,
            hint,
            th.dim(),
        );
    }
}

/// A stage's (or the internal group's) bar: each step's time in its own state; the row's state
/// is the one that matters most (failed, running, cancelled, then waiting for a later step).
fn group_bar(steps: &[&Step], red: Vec<TimeSpan>, maybe: Vec<TimeSpan>) -> Bar {
    let spans = merge(steps.iter().flat_map(|s| s.spans.iter().copied()).collect());
    let state = steps
        .iter()
        .map(|s| s.state)
        .min_by_key(|&s| s.rank())
        .unwrap_or(State::Waiting);
    // Running steps last, so their live edge is on top.
    let mut segments: Vec<(Vec<TimeSpan>, State)> =
        steps.iter().map(|s| (s.spans.clone(), s.state)).collect();
    segments.sort_by_key(|(_, st)| std::cmp::Reverse(st.rank()));
    Bar {
        instant: steps
            .iter()
            .filter_map(|s| s.intervals.first().map(|i| i.start.best))
            .min(),
        spans,
        state,
        segments,
        red,
        maybe,
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_bar(
    bar: &Bar,
    axis: &Axis,
    x: u16,
    y: u16,
    buf: &mut Buffer,
    th: &Theme,
    critical: bool,
    frame: u64,
) {
    let g = glyph(bar.state);
    let mut style = th.state(bar.state);
    if critical {
        style = style.patch(th.critical());
    }
    let mut last = None;
    if bar.segments.is_empty() {
        for &span in &bar.spans {
            if let Some((a, b)) = axis.cells_of(span) {
                for c in a..=b {
                    buf.set_string(x + c, y, g.to_string(), style);
                }
                last = Some(b);
            }
        }
    }
    for (spans, state) in &bar.segments {
        let (g, style) = (glyph(*state), th.state(*state));
        for &span in spans {
            if let Some((a, b)) = axis.cells_of(span) {
                for c in a..=b {
                    buf.set_string(x + c, y, g.to_string(), style);
                }
                if *state == State::Running {
                    last = Some(b);
                }
            }
        }
    }
    if bar.spans.is_empty() {
        if let Some(c) = bar.instant.and_then(|t| axis.cell(t)) {
            buf.set_string(x + c, y, g.to_string(), style);
        }
    }
    // The live edge of a running bar pulses.
    if let Some(c) = last.filter(|_| bar.state == State::Running) {
        let ch = if frame % 2 == 0 { '▌' } else { '▒' };
        buf.set_string(x + c, y, ch.to_string(), th.state(State::Running));
    }
    // A possible overlap: dim red over the bar (or `?`), under any certain red; then red over
    // whatever is drawn there (or, without colour, its own glyph).
    let marks = [
        (&bar.maybe, th.possible_overlap(), '┄', POSSIBLE_GLYPH),
        (&bar.red, th.overlap(), g, OVERLAP_GLYPH),
    ];
    for (spans, style, fill, bare) in marks {
        for &span in spans {
            let Some((a, b)) = axis.cells_of(span) else {
                continue;
            };
            for c in a..=b {
                let cell = &mut buf[(x + c, y)];
                if th.color {
                    if cell.symbol() == " " {
                        cell.set_char(fill);
                    }
                    cell.set_style(style);
                } else {
                    cell.set_char(bare);
                }
            }
        }
    }
}

fn info_text(kind: &RowKind, bar: &Bar, frame: u64) -> String {
    let active = crate::analysis::measure(&bar.spans);
    match bar.state {
        State::Waiting => match kind {
            RowKind::Step(_) => "waiting".into(),
            // A stage with some steps done and some not started: it waits on something.
            _ if active > 0 => format!("{} ·", secs(active)),
            _ => "waiting".into(),
        },
        State::Cached => "cached".into(),
        State::Running => format!(
            "{} {}",
            SPINNER[(frame as usize / 2) % SPINNER.len()],
            secs(active)
        ),
        State::Failed => format!("✗ {}", secs(active)),
        State::Cancelled => "cancelled".into(),
        State::Done => format!("{} ✓", secs(active)),
    }
}

fn details(app: &App, area: Rect, buf: &mut Buffer, th: &Theme) {
    let a = &app.analysis;
    let block = Block::default().borders(Borders::TOP).title(Span::styled(
        " details (d: close · PgUp/PgDn: log · L: follow) ",
        th.dim(),
    ));
    let inner = block.inner(area);
    block.render(area, buf);
    let rel = |t: Nanos| rel(a, t);
    let mut lines: Vec<Line> = Vec::new();
    match app.selected_row().map(|r| &r.kind) {
        None => lines.push(Line::from("Nothing selected.")),
        Some(RowKind::Internal(ids)) => {
            lines.push(Line::styled("[internal] and export steps", th.bold()));
            for &id in ids.iter().take(inner.height as usize - 1) {
                let s = &a.steps[id];
                lines.push(Line::from(format!(
                    "{} {:<9} {}",
                    glyph(s.state),
                    s.state.word(),
                    s.name
                )));
            }
        }
        Some(RowKind::Stage(i)) => {
            let st = &a.stages[*i];
            lines.push(Line::styled(format!("stage {}", st.name), th.bold()));
            let when = match (st.start(), st.end()) {
                (Some(s), Some(e)) => format!(
                    "active {} → {} ({} in all)",
                    rel(s),
                    rel(e),
                    secs(crate::analysis::measure(&st.spans))
                ),
                _ => "not started".into(),
            };
            lines.push(Line::from(format!("{} steps · {when}", st.steps.len())));
            for d in a.dependencies.iter().filter(|d| d.stage == st.name) {
                lines.push(Line::from(format!(
                    "needs {} ({}{})",
                    d.source,
                    d.kind.instruction(),
                    d.line
                        .map(|l| format!(", Dockerfile line {l}"))
                        .unwrap_or_default()
                )));
            }
            for o in a
                .overlaps
                .iter()
                .filter(|o| o.stage == st.name || o.source == st.name)
            {
                lines.push(Line::styled(
                    format!(
                        "{} ran alongside {} (its {} source) for {}{}",
                        o.stage,
                        o.source,
                        o.kind.instruction(),
                        secs(o.duration),
                        if o.certainty == Certainty::Possible {
                            " (possibly)"
                        } else {
                            ""
                        }
                    ),
                    th.overlap(),
                ));
            }
        }
        Some(RowKind::Step(id)) => step_details(app, *id, inner, &mut lines, th),
    }
    Paragraph::new(lines).render(inner, buf);
}

/// `t` as time since the build's start: `+1.23s`.
fn rel(a: &crate::analysis::Analysis, t: Nanos) -> String {
    format!("+{}", secs(t - a.start.unwrap_or(t)))
}

fn step_details<'a>(app: &'a App, id: StepId, inner: Rect, lines: &mut Vec<Line<'a>>, th: &Theme) {
    let a = &app.analysis;
    let s = &a.steps[id];
    let rel = |t: Nanos| rel(a, t);
    lines.push(Line::styled(s.name.clone(), th.bold()));
    let mut facts = vec![
        format!("stage {}", s.stage.as_deref().unwrap_or("(internal)")),
        s.state.word().to_string(),
    ];
    if let Some(t) = s.start() {
        facts.push(format!("started {}", rel(t)));
    }
    if let Some(t) = s.end() {
        facts.push(format!("ended {}", rel(t)));
    }
    if !s.spans.is_empty() {
        facts.push(format!("took {}", secs(s.active())));
    }
    if s.intervals.len() > 1 {
        facts.push(format!("{} runs", s.intervals.len()));
    }
    lines.push(Line::styled(facts.join(" · "), th.state(s.state)));
    let inputs: Vec<String> = s.inputs.iter().map(|&i| short_name(&a.steps[i])).collect();
    lines.push(Line::from(format!(
        "inputs: {}",
        if inputs.is_empty() {
            "none".to_string()
        } else {
            inputs.join(", ")
        }
    )));
    for h in a
        .hazards
        .iter()
        .filter(|h| h.writer.step == id || h.reader.step == id)
    {
        let other = if h.writer.step == id {
            h.reader.step
        } else {
            h.writer.step
        };
        let role = if !h.roles_known {
            "shares"
        } else if h.writer.step == id {
            "fills (writer)"
        } else {
            "reads (reader)"
        };
        let first = match h.first {
            Some(f) if f == id => "; this step finished first".to_string(),
            Some(_) => format!("; {} finished first", short_name(&a.steps[other])),
            None => String::new(),
        };
        lines.push(Line::styled(
            format!(
                "⚠ {role} cache {} with {}, nothing orders them{first}",
                h.cache_id,
                short_name(&a.steps[other])
            ),
            th.hazard(),
        ));
    }
    for o in a.overlaps.iter() {
        for p in o.pairs.iter().filter(|p| p.step == id) {
            lines.push(Line::styled(
                format!(
                    "ran alongside {} of {} (its {} source) for {}",
                    short_name(&a.steps[p.source_step]),
                    o.source,
                    o.kind.instruction(),
                    secs(p.duration)
                ),
                th.overlap(),
            ));
        }
    }
    if let Some(e) = &s.error {
        lines.push(Line::styled(format!("error: {e}"), th.state(s.state)));
    }
    // The log fills the rest.
    let log = app.log_lines();
    let room = (inner.height as usize).saturating_sub(lines.len() + 1);
    let total: u64 = s
        .vertexes
        .iter()
        .map(|&v| {
            let l = &app.build.vertex(v).log;
            l.total_newlines[0] + l.total_newlines[1]
        })
        .sum();
    let end = log.len().saturating_sub(app.log_scroll);
    let begin = end.saturating_sub(room);
    let clipped = s
        .vertexes
        .iter()
        .any(|&v| app.build.vertex(v).log.clipped());
    let head = if log.is_empty() {
        "log: empty".to_string()
    } else {
        format!(
            "log: lines {}-{} of {}{}{}",
            begin + 1,
            end,
            log.len(),
            if clipped {
                format!(" kept ({total} in all, the oldest dropped)")
            } else {
                String::new()
            },
            if app.log_scroll == 0 {
                " · following"
            } else {
                " · scrolled (L: follow)"
            }
        )
    };
    lines.push(Line::styled(head, th.dim()));
    for l in &log[begin..end] {
        let (tag, style) = if l.stream == 2 {
            ("err│", th.fg(Color::Yellow))
        } else {
            ("out│", Style::new())
        };
        lines.push(Line::from(vec![
            Span::styled(tag, th.dim()),
            Span::styled(l.text.as_str(), style),
        ]));
    }
}

fn status(app: &App, area: Rect, buf: &mut Buffer, th: &Theme) {
    let a = &app.analysis;
    let (finished, total, cached) = app.progress();
    let failed = app.build.failed();
    let (state, style) = match &app.mode {
        Mode::Live(l) if l.cancelling => (
            "cancelling the build…".to_string(),
            th.state(State::Cancelled),
        ),
        Mode::Live(l) => match l.exit {
            None => (
                format!(
                    "{} building",
                    SPINNER[(app.frame as usize / 2) % SPINNER.len()]
                ),
                th.state(State::Running),
            ),
            Some(130) => ("interrupted (exit 130)".into(), th.state(State::Cancelled)),
            Some(0) => (
                "succeeded".into(),
                th.fg(Color::Green).add_modifier(Modifier::BOLD),
            ),
            Some(c) => (format!("FAILED (exit {c})"), th.state(State::Failed)),
        },
        Mode::Replay(r) if r.finished() => {
            if failed {
                ("replayed: FAILED".into(), th.state(State::Failed))
            } else if app.build.ended() == Some(false) {
                (
                    "replayed: log incomplete".into(),
                    th.state(State::Cancelled),
                )
            } else {
                (
                    "replayed: succeeded".into(),
                    th.fg(Color::Green).add_modifier(Modifier::BOLD),
                )
            }
        }
        Mode::Replay(r) if r.paused => ("⏸ paused".into(), th.state(State::Cancelled)),
        Mode::Replay(_) => ("▶ replaying".into(), th.state(State::Running)),
    };
    let elapsed = match (a.start, a.end) {
        (Some(s), Some(e)) => secs(e - s),
        _ => "0s".into(),
    };
    let spans = vec![
        Span::styled(format!(" {state} "), style),
        Span::raw(format!(
            "· {elapsed} · {finished}/{total} steps · {cached} cached"
        )),
    ];
    Line::from(spans).render(area, buf);
    let help = " ? help  q quit ";
    let w = help.chars().count() as u16;
    if area.width > w {
        buf.set_string(
            area.x + area.width - w,
            area.y,
            help,
            th.dim().add_modifier(Modifier::REVERSED),
        );
    }
    let (mut verdict, vstyle) = verdict(app, th, true);
    if verdict.chars().count() + 1 > area.width as usize {
        verdict = self::verdict(app, th, false).0;
    }
    if area.height > 1 && !verdict.is_empty() {
        let line = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        Line::from(Span::styled(format!(" {verdict}"), vstyle)).render(line, buf);
    }
}

/// The one sentence that matters most now: a note, the cache verdict, the race, the critical path.
/// `wide`: with the margin and every word; else the short form for narrow terminals.
fn verdict(app: &App, th: &Theme, wide: bool) -> (String, Style) {
    let a = &app.analysis;
    if let Some((note, _)) = &app.note {
        return (note.clone(), th.bold());
    }
    if let Some(h) = a.hazards.first() {
        return (hazard_verdict(a, h, wide), th.hazard());
    }
    if let Some(o) = a.overlaps.first() {
        return (overlap_verdict(o), th.overlap());
    }
    if app.critical {
        if let Some(c) = &a.critical_path {
            return (
                format!(
                    "» critical path: {} steps, {}",
                    c.steps.len(),
                    secs(c.end - c.start)
                ),
                th.critical(),
            );
        }
    }
    (String::new(), Style::new())
}

fn help(area: Rect, buf: &mut Buffer, th: &Theme) {
    // Two columns of keys, so the whole table fits 80×24.
    let entry = |i: usize| -> Vec<Span<'static>> {
        BINDINGS.get(i).map_or_else(Vec::new, |b| {
            let keys: Vec<String> = b.keys.iter().map(key_name).collect();
            vec![
                Span::styled(format!(" {:<10}", keys.join(" ")), th.bold()),
                Span::raw(format!("{:<28}", b.help)),
            ]
        })
    };
    let half = BINDINGS.len().div_ceil(2);
    let mut lines: Vec<Line> = (0..half)
        .map(|i| {
            let mut spans = entry(i);
            spans.extend(entry(i + half));
            Line::from(spans)
        })
        .collect();
    lines.push(Line::from(
        " mouse: the wheel scrolls, a click selects (a second one expands)",
    ));
    let legend: Vec<String> = LEGEND
        .iter()
        .filter(|(c, _)| *c != '!')
        .map(|(c, w)| format!("{c} {w}"))
        .collect();
    lines.push(Line::from(format!(" {}", legend.join("  "))));
    lines.push(Line::from(vec![
        Span::styled(" red", th.overlap()),
        Span::raw(format!(
            " (or {OVERLAP_GLYPH} without colour): ran alongside its COPY --from source"
        )),
    ]));
    lines.push(Line::from(vec![
        Span::styled(" dim red", th.possible_overlap()),
        Span::raw(format!(
            " (or {POSSIBLE_GLYPH}): a plain log allows that but does not prove it"
        )),
    ]));
    lines.push(Line::from(vec![
        Span::styled(" ⚠", th.hazard()),
        Span::raw(" shares a cache mount nothing orders   » critical path"),
    ]));
    let h = (lines.len() as u16 + 2).min(area.height);
    let w = 80.min(area.width);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" keys (any key closes) "),
        )
        .render(r, buf);
}
