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
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::app::{speed_label, App, Mode};
use super::layout::{self, Areas, MIN_HEIGHT, MIN_WIDTH};
use super::window::ViewMode;
use crate::analysis::StepId;
use crate::chart::short_name;
use crate::chart::words::{
    cache_summary, critical_summary, cut, glyph, hazard_fact, lock_wait_sentence, overlap_fact,
    pair_fact, secs, since, stale_lines, state_word, Tone, CRITICAL_LEGEND, HAZARD_LEGEND,
    HAZARD_MARK, LEGEND, POSSIBLY_RED_GLYPH, POSSIBLY_RED_LEGEND, RED_GLYPH, RED_LEGEND,
    STALE_LEGEND, STALE_MARK, WAIT_GLYPH, WAIT_WORDS,
};
use crate::chart::{Axis, Cells, Marker, Paint, Row, RowKind};
use crate::model::State;
use crate::source::job::INTERRUPTED;

const INFO_W: u16 = 10;
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Draws the screen into `buf`; returns where each part went (for the app to resolve the mouse
/// against).
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Areas {
    let areas = layout::areas(area, app.log.is_open());
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf);
        return areas;
    }
    let th = Theme { color: app.color };
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
        zero: app.analysis.start.unwrap_or(t0),
    };
    let cells = axis.cells(bar.width as usize);
    axis_row(app, &axis, &cells, areas, buf, &th);
    chart(app, &cells, areas, buf, &th);
    if let Some(d) = areas.details {
        details(app, d, buf, &th);
    }
    status(app, areas.status, buf, &th);
    if app.help_open() {
        help(area, buf, &th);
    }
    areas
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

fn title(app: &App, area: Rect, buf: &mut Buffer, th: &Theme) {
    let mode = match &app.mode {
        Mode::Live(l) if l.cancelling => "CANCELLING".to_string(),
        Mode::Live(l) if l.exit.is_none() => "LIVE".to_string(),
        Mode::Live(_) => "BUILD ENDED".to_string(),
        Mode::Replay(r) if r.finished() => "REPLAY · end".to_string(),
        Mode::Replay(r) if r.paused() => format!("REPLAY · paused · {}", speed_label(r.speed())),
        Mode::Replay(r) => format!("REPLAY · {}", speed_label(r.speed())),
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

fn axis_row(app: &App, axis: &Axis, cells: &Cells, areas: Areas, buf: &mut Buffer, th: &Theme) {
    let a = areas.axis;
    let x0 = a.x + areas.label_w;
    let label = match app.window.mode() {
        ViewMode::Fit => "time (fit)",
        ViewMode::Follow => "time (following)",
        ViewMode::Manual => "time",
    };
    buf.set_string(a.x + 1, a.y, label, th.dim());
    if app.analysis.start.is_none() {
        buf.set_string(x0, a.y, "waiting for the first step to start…", th.dim());
        return;
    }
    for t in axis.ticks(cells.per_cell() * 9.0) {
        if let Some(c) = cells.at(t.at) {
            let label = format!("╷{}", t.label);
            if c + label.chars().count() <= cells.count() {
                buf.set_string(x0 + c as u16, a.y, label, th.dim());
            }
        }
    }
    if let Some(c) = app.now().and_then(|now| cells.at(now)) {
        buf.set_string(x0 + c as u16, a.y, "▼", th.fg(Color::Cyan));
    }
}

fn chart(app: &App, cells: &Cells, areas: Areas, buf: &mut Buffer, th: &Theme) {
    let area = areas.chart;
    if app.rows.rows().is_empty() {
        let msg = "No steps yet: waiting for the build's first progress report…";
        buf.set_string(area.x + 1, area.y, msg, th.dim());
        return;
    }
    let bar_x = area.x + areas.label_w;
    let shown = app.rows.rows().iter().enumerate().skip(app.rows.offset());
    for (i, row) in shown.take(area.height as usize) {
        let y = area.y + (i - app.rows.offset()) as u16;
        label(
            row,
            i == app.rows.selected(),
            area.x,
            y,
            areas.label_w,
            buf,
            th,
        );
        if app.compare.is_some() {
            draw_pair(row, cells, bar_x, y, buf, th);
        } else {
            draw_bar(row, cells, bar_x, y, buf, th, app.frame());
            draw_moved(row, cells, bar_x, y, buf, th);
        }
        let info = match row.state {
            State::Running => row.info().replace('…', &spinner(app.frame()).to_string()),
            _ => row.info(),
        };
        let ix = area.x + area.width - INFO_W;
        let info = format!(" {info:>w$}", w = INFO_W as usize - 1);
        buf.set_string(ix, y, info, th.state(row.state));
    }
    // A scroll hint when rows are hidden.
    if app.rows.rows().len() > area.height as usize {
        let shown_to = (app.rows.offset() + area.height as usize).min(app.rows.rows().len());
        let hint = format!(
            " {}-{}/{} ",
            app.rows.offset() + 1,
            shown_to,
            app.rows.rows().len()
        );
        let w = hint.chars().count() as u16;
        let x = area.x + areas.label_w.saturating_sub(w);
        buf.set_string(x, areas.axis.y, hint, th.dim());
    }
}

fn spinner(frame: u64) -> char {
    SPINNER[(frame as usize / 2) % SPINNER.len()]
}

/// The label column: marker, fold or indent, the label (cut to fit).
fn label(row: &Row, selected: bool, x: u16, y: u16, w: u16, buf: &mut Buffer, th: &Theme) {
    match row.marker {
        Some(Marker::Hazard) => buf.set_string(x, y, "⚠", th.hazard()),
        Some(Marker::Critical) => buf.set_string(x, y, "»", th.critical()),
        Some(Marker::Cause) => buf.set_string(x, y, "◆", th.hazard()),
        Some(Marker::Stale) => buf.set_string(x, y, STALE_MARK.to_string(), th.hazard()),
        None => {}
    }
    let text = match row.open {
        Some(open) => format!("{} {}", if open { "▾" } else { "▸" }, row.label),
        None => format!("   {}", row.label),
    };
    let lw = w.saturating_sub(2) as usize;
    let mut style = if selected {
        th.selected()
    } else {
        Style::new()
    };
    if row.depth == 0 {
        style = style.add_modifier(Modifier::BOLD);
    }
    buf.set_string(x + 1, y, format!("{:<lw$}", cut(&text, lw)), style);
}

/// A row's bar: each cell in the state on top there; the live edge of a running step pulses;
/// red over time alongside a source (dim red where a plain log only allows it), or without colour
/// its own glyph.
fn draw_bar(row: &Row, cells: &Cells, x: u16, y: u16, buf: &mut Buffer, th: &Theme, frame: u64) {
    let marks = cells.marks(row);
    for (c, m) in marks.iter().enumerate() {
        if let Some(st) = m.state {
            let mut style = th.state(st);
            if row.critical {
                style = style.patch(th.critical());
            }
            let ch = if m.wait { WAIT_GLYPH } else { glyph(st) };
            let style = if m.wait { th.hazard() } else { style };
            buf[(x + c as u16, y)].set_char(ch).set_style(style);
        }
    }
    if let Some(c) = cells.live_edge(row).filter(|_| row.state == State::Running) {
        let ch = if frame % 2 == 0 { '▌' } else { '▒' };
        buf[(x + c as u16, y)]
            .set_char(ch)
            .set_style(th.state(State::Running));
    }
    for (c, m) in marks.iter().enumerate() {
        let (style, fill, bare) = match m.red {
            Some(Paint::Red) => (th.overlap(), glyph(row.state), RED_GLYPH),
            Some(Paint::PossiblyRed) => (th.possible_overlap(), '┄', POSSIBLY_RED_GLYPH),
            _ => continue,
        };
        let cell = &mut buf[(x + c as u16, y)];
        if !th.color {
            cell.set_char(bare);
            continue;
        }
        if cell.symbol() == " " {
            cell.set_char(fill);
        }
        cell.set_style(style);
    }
}

/// What a step moved to or from a registry (`↓ 2.1/24.0 MB 9%`), beside its bar: after it where
/// there is room, else before it, else on it (a long pull under way reaches the live edge).
fn draw_moved(row: &Row, cells: &Cells, x: u16, y: u16, buf: &mut Buffer, th: &Theme) {
    let Some(text) = row
        .badge
        .as_deref()
        .filter(|b| crate::chart::words::is_moved_badge(b))
    else {
        return;
    };
    let marks = cells.marks(row);
    let drawn: Vec<usize> = (0..marks.len())
        .filter(|&c| marks[c].state.is_some())
        .collect();
    let (Some(&first), Some(&last)) = (drawn.first(), drawn.last()) else {
        return;
    };
    let w = text.chars().count();
    let (at, style) = if last + 2 + w <= marks.len() {
        (last + 2, th.dim())
    } else if first > w + 1 {
        (first - w - 1, th.dim())
    } else if last - first > w {
        (
            first + 1,
            th.state(row.state).add_modifier(Modifier::REVERSED),
        )
    } else {
        return;
    };
    buf.set_string(x + at as u16, y, text, style);
}

/// A row of a comparison: the build before in the upper half of each cell (grey), this one in
/// the lower half (its state's colour); without colour `▀` before, `▄` after, `█` both.
fn draw_pair(row: &Row, cells: &Cells, x: u16, y: u16, buf: &mut Buffer, th: &Theme) {
    for (c, m) in cells.marks(row).iter().enumerate() {
        let cell = &mut buf[(x + c as u16, y)];
        match (m.before, m.state) {
            (true, Some(st)) if th.color => {
                let bg = Color::DarkGray;
                cell.set_char('▄').set_style(th.state(st).bg(bg));
            }
            (true, Some(st)) => {
                cell.set_char('█').set_style(th.state(st));
            }
            (false, Some(st)) => {
                cell.set_char('▄').set_style(th.state(st));
            }
            (true, None) => {
                cell.set_char('▀').set_style(th.dim());
            }
            (false, None) => {}
        }
    }
}

fn details(app: &App, area: Rect, buf: &mut Buffer, th: &Theme) {
    let block = Block::default().borders(Borders::TOP).title(Span::styled(
        " details (d: close · PgUp/PgDn: log · L: follow) ",
        th.dim(),
    ));
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = match app.selected_row().map(|r| &r.kind) {
        None => vec![Line::from("Nothing selected.")],
        Some(RowKind::Internal(ids)) => internal_details(app, ids, inner.height as usize, th),
        Some(RowKind::Stage(i)) => stage_details(app, *i, th),
        Some(RowKind::Alongside(i)) => {
            let o = &app.analysis.overlaps[*i];
            let sentence = crate::chart::words::overlap_sentence(&app.analysis, o);
            vec![Line::styled(sentence, th.overlap())]
        }
        Some(RowKind::Step(id)) => {
            let mut lines = step_facts(app, *id, th);
            log_lines(app, *id, inner.height as usize, &mut lines, th);
            lines
        }
    };
    Paragraph::new(lines).render(inner, buf);
}

fn internal_details<'a>(app: &App, ids: &[StepId], room: usize, th: &Theme) -> Vec<Line<'a>> {
    let a = &app.analysis;
    let mut lines = vec![Line::styled("[internal] and export steps", th.bold())];
    for &id in ids.iter().take(room.saturating_sub(1)) {
        let s = &a.steps[id];
        let word = state_word(s.state, app.finished());
        lines.push(Line::from(format!(
            "{} {word:<9} {}",
            glyph(s.state),
            s.name()
        )));
    }
    lines
}

fn stage_details<'a>(app: &App, i: usize, th: &Theme) -> Vec<Line<'a>> {
    let a = &app.analysis;
    let st = &a.stages[i];
    let zero = a.start.unwrap_or(0);
    let when = crate::chart::words::stage_active(zero, st)
        .map_or("not started".into(), |w| format!("active {w}"));
    let mut lines = vec![
        Line::styled(format!("stage {}", st.name), th.bold()),
        Line::from(format!("{} steps · {when}", st.steps.len())),
    ];
    for d in a.dependencies.iter().filter(|d| d.stage == st.name) {
        let line = d.line.map(|l| format!(", Dockerfile line {l}"));
        lines.push(Line::from(format!(
            "needs {} ({}{})",
            d.source,
            d.kind.instruction(),
            line.unwrap_or_default()
        )));
    }
    let involved = a
        .overlaps
        .iter()
        .filter(|o| o.stage == st.name || o.source == st.name);
    for o in involved {
        lines.push(Line::styled(overlap_fact(o), th.overlap()));
    }
    lines
}

/// A step's name, state and times, inputs, hazards, overlaps and error.
fn step_facts<'a>(app: &App, id: StepId, th: &Theme) -> Vec<Line<'a>> {
    let a = &app.analysis;
    let s = &a.steps[id];
    let zero = a.start.unwrap_or(0);
    let mut facts = vec![
        format!("stage {}", s.stage.as_deref().unwrap_or("(internal)")),
        state_word(s.state, app.finished()).to_string(),
    ];
    facts.extend(s.start().map(|t| format!("started {}", since(zero, t))));
    facts.extend(s.end().map(|t| format!("ended {}", since(zero, t))));
    if !s.spans.is_empty() {
        facts.push(format!("took {}", secs(s.active())));
    }
    if s.intervals.len() > 1 {
        facts.push(format!("{} runs", s.intervals.len()));
    }
    let inputs: Vec<String> = s.inputs.iter().map(|&i| short_name(&a.steps[i])).collect();
    let inputs = if inputs.is_empty() {
        "none".to_string()
    } else {
        inputs.join(", ")
    };
    let mut lines = vec![
        Line::styled(s.name().to_string(), th.bold()),
        Line::styled(facts.join(" · "), th.state(s.state)),
        Line::from(format!("inputs: {inputs}")),
    ];
    let moved = crate::chart::words::moved_sentences(s);
    if !moved.is_empty() {
        lines.push(Line::styled(moved, th.bold()));
    }
    // What a pull, an export or a cache import did, status by status.
    if !s.parsed.is_dockerfile_step() || s.parsed.is_from() {
        let statuses = s
            .vertexes
            .iter()
            .flat_map(|&v| app.build.vertex(v).statuses().iter().cloned());
        let statuses: Vec<crate::model::StatusEntry> = statuses.collect();
        if let Some(story) = crate::chart::words::status_story(&statuses, 8) {
            lines.push(Line::from(story));
        }
    }
    lines.extend(
        hazard_lines(a, id)
            .into_iter()
            .map(|l| Line::styled(l, th.hazard())),
    );
    lines.extend(
        stale_lines(a, id)
            .into_iter()
            .map(|l| Line::styled(l, th.hazard())),
    );
    lines.extend(a.lock_waits.iter().filter(|w| w.step == id).map(|w| {
        Line::styled(
            format!("{WAIT_GLYPH} {}", lock_wait_sentence(a, w)),
            th.hazard(),
        )
    }));
    lines.extend(
        overlap_lines(a, id)
            .into_iter()
            .map(|l| Line::styled(l, th.overlap())),
    );
    if let Some(e) = s.error() {
        lines.push(Line::styled(format!("error: {e}"), th.state(s.state)));
    }
    let compared = app.compare.as_ref().and_then(|c| c.facts.get(s.name()));
    lines.extend(
        compared
            .into_iter()
            .flatten()
            .map(|l| Line::styled(l.clone(), th.bold())),
    );
    lines
}

/// `⚠ fills (writer) cache X with [stage-2 2/4], nothing orders them; …`, one per hazard.
fn hazard_lines(a: &crate::analysis::Analysis, id: StepId) -> Vec<String> {
    let mine = a
        .hazards
        .iter()
        .filter(|h| h.writer.step == id || h.reader.step == id);
    mine.map(|h| hazard_fact(a, h, id)).collect()
}

/// `ran alongside [builder 2/3] of builder (its COPY --from source) for 0.17s`, one per pair.
fn overlap_lines(a: &crate::analysis::Analysis, id: StepId) -> Vec<String> {
    let pairs = a
        .overlaps
        .iter()
        .flat_map(|o| o.pairs.iter().map(move |p| (o, p)));
    pairs
        .filter(|(_, p)| p.step == id)
        .map(|(o, p)| pair_fact(a, o, p))
        .collect()
}

/// The step's log under its facts, filling the pane: a heading, then the lines scrolled to.
fn log_lines<'a>(app: &'a App, id: StepId, height: usize, lines: &mut Vec<Line<'a>>, th: &Theme) {
    let s = &app.analysis.steps[id];
    let log = app.log_lines();
    let room = height.saturating_sub(lines.len() + 1);
    let vlog = |v: usize| &app.build.vertex(v).log;
    let total: u64 = s
        .vertexes
        .iter()
        .map(|&v| vlog(v).total_newlines().iter().sum::<u64>())
        .sum();
    let end = log.len().saturating_sub(app.log.scroll());
    let begin = end.saturating_sub(room);
    let clipped = s.vertexes.iter().any(|&v| vlog(v).clipped());
    let head = if log.is_empty() {
        "log: empty".to_string()
    } else {
        let kept = if clipped {
            format!(" kept ({total} in all, the oldest dropped)")
        } else {
            String::new()
        };
        let follow = if app.log.scroll() == 0 {
            " · following"
        } else {
            " · scrolled (L: follow)"
        };
        format!(
            "log: lines {}-{} of {}{kept}{follow}",
            begin + 1,
            end,
            log.len()
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
                    SPINNER[(app.frame() as usize / 2) % SPINNER.len()]
                ),
                th.state(State::Running),
            ),
            Some(c) if c == INTERRUPTED => {
                ("interrupted (exit 130)".into(), th.state(State::Cancelled))
            }
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
        Mode::Replay(r) if r.paused() => ("⏸ paused".into(), th.state(State::Cancelled)),
        Mode::Replay(_) => ("▶ replaying".into(), th.state(State::Running)),
    };
    let elapsed = match (a.start, a.end) {
        (Some(s), Some(e)) => secs(e - s),
        _ => "0s".into(),
    };
    let mut said = format!("· {elapsed} · {finished}/{total} steps · {cached} cached");
    // While it runs: what is coming in or going out (`↓ [builder 1/4] 2.1/24.0 MB 9%`).
    if !app.finished() {
        let moving = a.steps.iter().filter(|s| s.state == State::Running);
        if let Some((s, b)) = moving
            .filter_map(|s| Some((s, crate::chart::words::moved_badge(s)?)))
            .next()
        {
            let more = format!(" · {} {b}", short_name(s));
            let room = (area.width as usize).saturating_sub(state.chars().count() + 20);
            if said.chars().count() + more.chars().count() <= room {
                said.push_str(&more);
            }
        }
    }
    // Once it is over: where the time went, when there is room beside the help.
    if app.finished() {
        if let Some(t) = crate::analysis::time_breakdown(a) {
            let more = format!(" · {}", crate::chart::words::time_short(&t));
            let room = (area.width as usize).saturating_sub(state.chars().count() + 20);
            if said.chars().count() + more.chars().count() <= room {
                said.push_str(&more);
            }
        }
    }
    let mut spans = vec![Span::styled(format!(" {state} "), style), Span::raw(said)];
    if let Some(why) = &app.recording_failed {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("NOT RECORDING: {why}"),
            th.state(State::Failed),
        ));
    }
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
    if let Some(note) = app.note() {
        return (note.to_string(), th.bold());
    }
    let a = &app.analysis;
    let critical = || critical_summary(a).filter(|_| app.rows.critical());
    let found = crate::chart::words::verdict(a, wide)
        .or_else(|| cache_summary(a, wide).map(|c| (c, Tone::Cache)))
        .or_else(|| critical().map(|c| (c, Tone::Critical)));
    match found {
        Some((text, Tone::Hazard)) => (text, th.hazard()),
        Some((text, Tone::Critical)) => (text, th.critical()),
        Some((text, Tone::Cache)) => (text, th.dim()),
        Some((text, _)) => (text, th.overlap()),
        None => (String::new(), Style::new()),
    }
}

/// The key table, then what the chart's glyphs and colours mean.
fn help(area: Rect, buf: &mut Buffer, th: &Theme) {
    let legend: Vec<String> = LEGEND
        .iter()
        .filter(|(c, _)| *c != RED_GLYPH)
        .map(|(c, w)| format!("{c} {w}"))
        .collect();
    let extra = vec![
        Line::from(" mouse: the wheel scrolls, a click selects (a second one expands)"),
        Line::from(format!(" {}", legend.join("  "))),
        Line::from(vec![
            Span::styled(" red", th.overlap()),
            Span::raw(format!(" (or {RED_GLYPH} without colour): {RED_LEGEND}")),
        ]),
        Line::from(vec![
            Span::styled(" dim red", th.possible_overlap()),
            Span::raw(format!(" (or {POSSIBLY_RED_GLYPH}): {POSSIBLY_RED_LEGEND}")),
        ]),
        Line::from(vec![
            Span::styled(format!(" {WAIT_GLYPH}"), th.hazard()),
            Span::raw(format!(" {WAIT_WORDS}")),
        ]),
        Line::from(vec![
            Span::styled(format!(" {HAZARD_MARK}"), th.hazard()),
            Span::raw(format!(
                "{}  {CRITICAL_LEGEND}",
                HAZARD_LEGEND.trim_start_matches(HAZARD_MARK)
            )),
        ]),
        Line::from(vec![
            Span::styled(format!(" {STALE_MARK}"), th.hazard()),
            Span::raw(STALE_LEGEND.trim_start_matches(STALE_MARK)),
        ]),
    ];
    super::help::render(area, buf, &super::help::Offer::All, extra);
}
