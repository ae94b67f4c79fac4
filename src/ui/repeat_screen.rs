//! The screen of `repeat`: one row per run (pass/fail, duration, a miniature of its timeline in
//! which a stage running alongside its COPY --from source is red, who took the shared cache
//! first), the summary so far, and any finished run opened in the full chart with Enter.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{self as term, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::app::{App, Mode, Replay};
use super::run::{self, Feed, Options};
use super::terminal::Screen;
use crate::repeat::{self, Plan, Progress, RunResult, Stop};
use crate::source::feed::Reading;

/// What the screen shows.
#[derive(Debug, Default)]
pub struct RepeatView {
    pub title: String,
    pub total: u32,
    pub results: Vec<RunResult>,
    /// The run under way and when it started.
    pub current: Option<(u32, Instant)>,
    pub selected: usize,
    pub done: bool,
    pub error: Option<String>,
    pub stopping: usize,
    pub color: bool,
}

impl RepeatView {
    pub fn apply(&mut self, p: Progress) {
        match p {
            Progress::Starting { run, .. } => self.current = Some((run, Instant::now())),
            Progress::Finished(r) => {
                self.current = None;
                self.results.push(*r);
                self.selected = self.results.len() - 1;
            }
            Progress::Error(e) => {
                self.error = Some(e);
                self.done = true;
            }
            Progress::Done => {
                self.current = None;
                self.done = true;
            }
        }
    }
}

/// Draws the table into `buf`.
pub fn render(v: &RepeatView, area: Rect, buf: &mut Buffer) {
    let red = if v.color {
        Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let dim = Style::default().add_modifier(Modifier::DIM);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let width = area.width as usize;
    let mut y = area.y;
    let bottom = area.y + area.height;
    let line = |buf: &mut Buffer, y: &mut u16, text: &str, style: Style| {
        if *y < bottom {
            buf.set_stringn(area.x, *y, text, width, style);
            *y += 1;
        }
    };
    let head = format!(
        "buildx-gantt repeat · {} · {} of {} run{}{}",
        v.title,
        v.results.len(),
        v.total,
        if v.total == 1 { "" } else { "s" },
        match (v.done, v.stopping) {
            (true, _) => " · finished",
            (false, 0) => "",
            (false, 1) => " · STOPPING after this run",
            _ => " · CANCELLING this run",
        }
    );
    line(buf, &mut y, &head, bold);
    line(
        buf,
        &mut y,
        &format!(
            "{:>4}  {:<6} {:>7}  {:<w$}  who took the shared cache first",
            "run",
            "result",
            "time",
            "timeline",
            w = repeat::MINI_WIDTH
        ),
        dim,
    );
    // Keep the selected row on screen: rows above it scroll away.
    let room = (bottom.saturating_sub(y + 6)) as usize;
    let first = v.selected.saturating_sub(room.saturating_sub(1));
    for (i, r) in v.results.iter().enumerate().skip(first).take(room) {
        if y >= bottom {
            break;
        }
        let text = repeat::row(r);
        let style = if i == v.selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if !r.passed && v.color {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        buf.set_stringn(area.x, y, &text, width, style);
        // The miniature's overlap columns in red (after "#NN  result  time  ").
        let x0 = area.x as usize + 4 + 2 + 7 + 8 + 2;
        for (c, &o) in r.overlap.iter().enumerate() {
            if o && x0 + c < area.x as usize + width {
                let cell = &mut buf[(x0 as u16 + c as u16, y)];
                cell.set_style(red);
            }
        }
        y += 1;
    }
    if let Some((run, t)) = v.current {
        line(
            buf,
            &mut y,
            &format!(
                "{:>4}  {:<6} {:>7}  building…",
                format!("#{run}"),
                "",
                format!("{:.1}s", t.elapsed().as_secs_f64())
            ),
            dim,
        );
    }
    y += 1;
    let summary = repeat::summarize(&v.results);
    if !v.results.is_empty() {
        for l in repeat::summary_lines(&summary) {
            line(buf, &mut y, &l, bold);
        }
    }
    if let Some(e) = &v.error {
        line(buf, &mut y, &format!("error: {e}"), red);
    }
    let keys = if v.done {
        "↑↓ select · Enter open the run in the chart · q leave"
    } else {
        "↑↓ select · Enter open the run in the chart · q stop after this run (twice: cancel it)"
    };
    if bottom > area.y {
        buf.set_stringn(area.x, bottom - 1, keys, width, dim);
    }
}

/// Runs the loop on a thread and the table on the terminal; returns the runs.
pub fn run(plan: &Plan, stop: Arc<Stop>) -> Result<Vec<RunResult>, String> {
    let (tx, rx) = mpsc::channel();
    let mut view = RepeatView {
        title: plan.request.dockerfile.clone(),
        total: plan.runs,
        color: super::no_color_unset(),
        ..Default::default()
    };
    std::thread::scope(|scope| {
        let stop2 = stop.clone();
        scope.spawn(move || {
            repeat::run(plan, &stop2, &mut |p| {
                let _ = tx.send(p);
            })
        });
        let result = table(&mut view, &rx, &stop, plan.request.parsed.as_ref());
        if result.is_err() {
            // The screen failed: stop the loop rather than build on unseen.
            stop.press();
            stop.press();
        }
        // Whatever is left (the run being cancelled) is taken before leaving.
        while let Ok(p) = rx.recv() {
            view.apply(p);
        }
        result
    })?;
    Ok(view.results)
}

fn table(
    view: &mut RepeatView,
    rx: &mpsc::Receiver<Progress>,
    stop: &Stop,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) -> Result<(), String> {
    let err = |e: std::io::Error| format!("the screen failed: {e}");
    let mut screen = Screen::enter().map_err(err)?;
    loop {
        while let Ok(p) = rx.try_recv() {
            view.apply(p);
        }
        screen
            .terminal
            .draw(|f| render(view, f.area(), f.buffer_mut()))
            .map_err(err)?;
        if !term::poll(Duration::from_millis(100)).map_err(err)? {
            continue;
        }
        let TermEvent::Key(k) = term::read().map_err(err)? else {
            continue;
        };
        if k.kind == KeyEventKind::Release {
            continue;
        }
        let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            _ if ctrl_c || k.code == KeyCode::Char('q') || k.code == KeyCode::Esc => {
                if view.done {
                    return Ok(());
                }
                view.stopping = stop.press();
            }
            KeyCode::Up | KeyCode::Char('k') => view.selected = view.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                view.selected = (view.selected + 1).min(view.results.len().saturating_sub(1))
            }
            KeyCode::Enter => {
                let Some(r) = view.results.get(view.selected) else {
                    continue;
                };
                if !repeat::openable(&r.recording) {
                    continue;
                }
                let path = r.recording.clone();
                let name = format!("run {} · {}", r.run, path.display());
                // The chart takes the terminal; the table comes back when it is left.
                drop(screen);
                open_chart(&path, name, dockerfile);
                screen = Screen::enter().map_err(err)?;
            }
            _ => {}
        }
    }
}

/// A run's recording in the full chart, at its final state.
fn open_chart(
    path: &std::path::Path,
    name: String,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) {
    let Ok((_, input)) = crate::report::open(&path.to_string_lossy()) else {
        return;
    };
    let Ok(mut feed) = Feed::start(input, None, None, Reading::Detect(None)) else {
        return;
    };
    let mut app = App::new(
        name,
        dockerfile.cloned(),
        Mode::Replay(Replay::new(0.0, false)),
    );
    app.color = super::no_color_unset();
    let _ = run::run_screen(&mut app, &mut feed, None, Options::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repeat::CacheOrder;

    fn result(run: u32, passed: bool, first: &str, reader_first: bool) -> RunResult {
        RunResult {
            run,
            passed,
            exit: if passed { 0 } else { 1 },
            reason: (!passed).then(|| "[stage-2 4/4] failed".to_string()),
            seconds: 4.5,
            cache_reset: None,
            cached_steps: 0,
            hazards: vec![CacheOrder {
                cache_id: "demo.mods.v1".into(),
                first: Some(first.into()),
                reader_first: Some(reader_first),
            }],
            recording: "run.jsonl".into(),
            activity: vec![2; repeat::MINI_WIDTH],
            overlap: (0..repeat::MINI_WIDTH).map(|c| c < 5).collect(),
            layers: None,
            interrupted: false,
        }
    }

    #[test]
    fn rows_summary_and_red_overlap_columns() {
        let view = RepeatView {
            title: "Dockerfile".into(),
            total: 3,
            results: vec![
                result(1, false, "[stage-2 2/4]", true),
                result(2, true, "[builder 2/3]", false),
            ],
            current: Some((3, Instant::now())),
            selected: 1,
            color: true,
            ..Default::default()
        };
        let area = Rect::new(0, 0, 110, 16);
        let mut buf = Buffer::empty(area);
        render(&view, area, &mut buf);
        let text: Vec<String> = (0..area.height)
            .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let all = text.join("\n");
        assert!(all.contains("2 of 3 runs"), "{all}");
        assert!(
            text[2].contains("#1") && text[2].contains("FAIL") && text[2].contains("race lost")
        );
        assert!(text[3].contains("#2") && text[3].contains("pass"));
        assert!(
            text[4].contains("#3") && text[4].contains("building"),
            "{all}"
        );
        assert!(all.contains("the builds where `[stage-2 2/4]` took `demo.mods.v1` first failed 1 of 1 time; the others 0 of 1"), "{all}");
        assert!(all.contains("called 2 of 2 outcomes"), "{all}");
        // Run 2 passed: its miniature is red only where a stage overlapped its source.
        let x0 = 4 + 2 + 7 + 8 + 2;
        assert_eq!(buf[(x0 as u16, 3)].fg, Color::Red);
        assert_ne!(buf[(x0 as u16 + 10, 3)].fg, Color::Red);
    }
}
