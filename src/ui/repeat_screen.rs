//! The screen of `repeat`: one row per run (pass/fail, duration, a miniature of its timeline in
//! which a stage running alongside its COPY --from source is red, who took the shared cache
//! first), the summary so far, and any finished run opened in the full chart with Enter.

use std::sync::Arc;
use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;
use tokio::sync::mpsc;

use super::app::{App, Comparing, Mode, Replay};
use super::help::{self, Offer};
use super::keys::Action;
use super::run::{ChartSession, Feed, Options};
use super::session::{self, Flow, Session};
use crate::analysis::repeat::{Progress, RunResult, MINI_WIDTH};
use crate::chart::repeat::{row, summary_lines};
use crate::source::feed::Reading;
use crate::source::repeat::{openable, Plan, Stop};

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

/// Writes the table's lines top down, never past the bottom of its area.
struct Lines<'b> {
    buf: &'b mut Buffer,
    area: Rect,
    y: u16,
}

impl Lines<'_> {
    fn bottom(&self) -> u16 {
        self.area.y + self.area.height
    }

    fn line(&mut self, text: &str, style: Style) {
        if self.y < self.bottom() {
            let w = self.area.width as usize;
            self.buf.set_stringn(self.area.x, self.y, text, w, style);
            self.y += 1;
        }
    }
}

fn red(v: &RepeatView) -> Style {
    if v.color {
        Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

/// Draws the table into `buf`.
pub fn render(v: &RepeatView, area: Rect, buf: &mut Buffer) {
    let dim = Style::default().add_modifier(Modifier::DIM);
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut out = Lines {
        buf,
        area,
        y: area.y,
    };
    let state = match (v.done, v.stopping) {
        (true, _) => " · finished",
        (false, 0) => "",
        (false, 1) => " · STOPPING after this run",
        _ => " · CANCELLING this run",
    };
    let runs = if v.total == 1 { "run" } else { "runs" };
    let head = format!(
        "buildx-gantt repeat · {} · {} of {} {runs}{state}",
        v.title,
        v.results.len(),
        v.total
    );
    out.line(&head, bold);
    let w = MINI_WIDTH;
    let columns = format!(
        "{:>4}  {:<6} {:>7}  {:<w$}  who took the shared cache first",
        "run", "result", "time", "timeline"
    );
    out.line(&columns, dim);
    runs_rows(v, &mut out);
    if let Some((run, t)) = v.current {
        let took = crate::model::tenths(t.elapsed().as_secs_f64());
        out.line(
            &format!("{:>4}  {:<6} {took:>7}  building…", format!("#{run}"), ""),
            dim,
        );
    }
    out.y += 1;
    if !v.results.is_empty() {
        for l in summary_lines(&crate::analysis::repeat::summarize(&v.results)) {
            out.line(&l, bold);
        }
    }
    if let Some(e) = &v.error {
        out.line(&format!("error: {e}"), red(v));
    }
    let keys = if v.done {
        "↑↓ select · Enter open the run in the chart · c compare · q leave · ? help"
    } else {
        "↑↓ select · Enter open · c compare · q stop after this run (twice: cancel it) · ? help"
    };
    if out.bottom() > area.y {
        out.y = out.bottom() - 1;
        out.line(keys, dim);
    }
}

/// One row per finished run, the selected one in view; the miniature's overlap columns in red.
fn runs_rows(v: &RepeatView, out: &mut Lines) {
    // Keep the selected row on screen: rows above it scroll away.
    let room = out.bottom().saturating_sub(out.y + 6) as usize;
    let first = v.selected.saturating_sub(room.saturating_sub(1));
    for (i, r) in v.results.iter().enumerate().skip(first).take(room) {
        let style = if i == v.selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if !r.passed && v.color {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        let y = out.y;
        out.line(&row(r), style);
        // The miniature starts after "#NN  result  time  ".
        let x0 = out.area.x as usize + 4 + 2 + 7 + 8 + 2;
        let right = (out.area.x + out.area.width) as usize;
        for (c, _) in r.overlap.iter().enumerate().filter(|(_, &o)| o) {
            if x0 + c < right && y < out.bottom() {
                out.buf[(x0 as u16 + c as u16, y)].set_style(red(v));
            }
        }
    }
}

/// Runs the loop (`rounds`, which tells each step of the runs) on a thread and the table on the
/// terminal; returns the runs.
pub fn run(
    plan: &Plan,
    stop: Arc<Stop>,
    rounds: impl FnOnce(&Stop, &mut dyn FnMut(Progress)) + Send,
) -> Result<Vec<RunResult>, String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut table = Table {
        view: RepeatView {
            title: plan.request.dockerfile.clone(),
            total: plan.runs,
            color: super::colour_wanted(),
            ..Default::default()
        },
        rx,
        stop: stop.clone(),
        help: false,
        closed: false,
        gone: false,
    };
    let dockerfile = plan.request.parsed.as_ref();
    std::thread::scope(|scope| {
        let stop2 = stop.clone();
        scope.spawn(move || {
            rounds(&stop2, &mut |p| {
                let _ = tx.send(p);
            })
        });
        let result = session::on_terminal(async |ctx| loop {
            match session::drive(&mut table, ctx).await? {
                Flow::Open { recording, name } => {
                    open_chart(ctx, &recording, name, dockerfile).await?
                }
                Flow::Compare {
                    before,
                    after,
                    name,
                } => open_compare(ctx, (&before, &after), name, dockerfile).await?,
                _ => return Ok(()),
            }
        });
        if result.is_err() {
            // The screen failed: stop the loop rather than build on unseen.
            stop.press();
            stop.press();
        }
        // Whatever is left (the run being cancelled) is taken before leaving.
        while let Some(p) = table.rx.blocking_recv().filter(|_| !table.closed) {
            table.view.apply(p);
        }
        result.map_err(|e| format!("the screen failed: {e}"))
    })?;
    Ok(table.view.results)
}

/// The keys the table answers to, in its own words.
const KEYS: &[(Action, &str)] = &[
    (Action::Up, "run above"),
    (Action::Down, "run below"),
    (Action::Top, "first run"),
    (Action::Bottom, "last run"),
    (Action::Toggle, "open the run in the chart"),
    (
        Action::CriticalPath,
        "compare the run with the last one that went the other way",
    ),
    (Action::Help, "this help"),
    (Action::Back, "close the help"),
    (Action::Quit, "stop after this run, or leave"),
    (Action::Suspend, "suspend (fg resumes)"),
];

/// The table in the screen loop: runs arrive from the loop's thread.
struct Table {
    view: RepeatView,
    rx: mpsc::UnboundedReceiver<Progress>,
    stop: Arc<Stop>,
    help: bool,
    /// The loop's thread is done: nothing more will come.
    closed: bool,
    /// The terminal hung up: leave as soon as the runs are over.
    gone: bool,
}

impl Table {
    /// q, Ctrl-C or a signal: the first stops after this run, the second cancels it; once the
    /// runs are over, it leaves.
    fn quit(&mut self) -> Flow {
        if self.view.done {
            return Flow::Leave;
        }
        self.view.stopping = self.stop.press();
        Flow::Stay
    }

    fn open(&self) -> Flow {
        match self.view.results.get(self.view.selected) {
            Some(r) if openable(&r.recording) => Flow::Open {
                recording: r.recording.clone(),
                name: format!("run {} · {}", r.run, r.recording.display()),
            },
            _ => Flow::Stay,
        }
    }
}

impl Table {
    /// The selected run against the last run that went the other way (passed where it failed,
    /// or the reverse), else the run before it.
    fn compare(&self) -> Flow {
        let results = &self.view.results;
        let Some(r) = results.get(self.view.selected) else {
            return Flow::Stay;
        };
        let other = results
            .iter()
            .rev()
            .find(|o| o.passed != r.passed)
            .or_else(|| self.view.selected.checked_sub(1).map(|i| &results[i]));
        match other {
            Some(o) if openable(&o.recording) && openable(&r.recording) => Flow::Compare {
                before: o.recording.clone(),
                after: r.recording.clone(),
                name: format!("run {} against run {}", r.run, o.run),
            },
            _ => Flow::Stay,
        }
    }
}

impl Session for Table {
    type Event = Option<Progress>;

    async fn next_event(&mut self) -> Option<Progress> {
        if self.closed {
            return std::future::pending().await;
        }
        self.rx.recv().await
    }

    fn on_event(&mut self, p: Option<Progress>) {
        match p {
            Some(p) => self.view.apply(p),
            None => {
                self.closed = true;
                self.view.done = true;
            }
        }
    }

    fn handle(&mut self, action: Action) -> Flow {
        if self.help && !matches!(action, Action::Help | Action::Back | Action::Quit) {
            self.help = false;
        }
        let last = self.view.results.len().saturating_sub(1);
        let v = &mut self.view;
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                super::select(&mut v.selected, last, action);
            }
            Action::Toggle => return self.open(),
            Action::CriticalPath => return self.compare(),
            Action::Help => self.help = !self.help,
            Action::Back => self.help = false,
            Action::Quit => return self.quit(),
            _ => {}
        }
        Flow::Stay
    }

    fn resize(&mut self, _w: u16, _h: u16) {}

    fn signal(&mut self) -> Flow {
        self.quit()
    }

    /// Nobody is left to press q twice: cancel the run now and leave when it is over.
    fn hangup(&mut self) -> Flow {
        self.gone = true;
        self.stop.press();
        self.view.stopping = self.stop.press();
        Flow::Stay
    }

    fn tick(&mut self, _now: Instant) -> Flow {
        if self.gone && self.view.done {
            Flow::Leave
        } else {
            Flow::Stay
        }
    }

    fn draw(&mut self, f: &mut Frame) {
        render(&self.view, f.area(), f.buffer_mut());
        if self.help {
            help::render(f.area(), f.buffer_mut(), &Offer::Only(KEYS), Vec::new());
        }
    }
}

/// A run's recording in the full chart, at its final state, on the table's terminal.
pub(super) async fn open_chart(
    ctx: &mut session::Ctx<'_>,
    path: &std::path::Path,
    name: String,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) -> std::io::Result<()> {
    let Ok((_, input)) = crate::source::saved::open(&path.to_string_lossy()) else {
        return Ok(());
    };
    let Ok(mut feed) = Feed::start(input, None, None, Reading::Detect(None)) else {
        return Ok(());
    };
    let mode = Mode::Replay(Replay::new(0.0, false));
    let mut app = App::new(name, dockerfile.cloned(), mode);
    app.color = super::colour_wanted();
    let mut chart = ChartSession::new(&mut app, &mut feed, Options::default());
    session::drive(&mut chart, ctx).await.map(|_| ())
}

/// Two runs' recordings compared on the table's terminal: `after` in the chart, `before` under it.
async fn open_compare(
    ctx: &mut session::Ctx<'_>,
    (before, after): (&std::path::Path, &std::path::Path),
    name: String,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) -> std::io::Result<()> {
    let load = |p: &std::path::Path| {
        let nothing = crate::model::LogRetention {
            bytes_per_vertex: 0,
        };
        crate::source::saved::load(&p.to_string_lossy(), nothing, dockerfile).ok()
    };
    let (Some(b), Some(a)) = (load(before), load(after)) else {
        return Ok(());
    };
    let (ba, aa) = (
        crate::analysis::Analysis::of(&b.build, dockerfile),
        crate::analysis::Analysis::of(&a.build, dockerfile),
    );
    let bs = crate::diff::Side {
        name: "",
        build: &b.build,
        a: &ba,
    };
    let as_ = crate::diff::Side {
        name: "",
        build: &a.build,
        a: &aa,
    };
    let d = crate::diff::diff(&bs, &as_, &crate::diff::Args::default(), dockerfile);
    let Ok((_, input)) = crate::source::saved::open(&after.to_string_lossy()) else {
        return Ok(());
    };
    let Ok(mut feed) = Feed::start(input, None, None, Reading::Detect(None)) else {
        return Ok(());
    };
    let mut app = App::new(
        name,
        dockerfile.cloned(),
        Mode::Replay(Replay::new(0.0, false)),
    );
    app.title = Some(format!(
        "compare: ▀ {} · ▄ this · ◆ root cause",
        before.display()
    ));
    app.color = super::colour_wanted();
    app.set_compare(Comparing::of(&d, &bs, &as_));
    let mut chart = ChartSession::new(&mut app, &mut feed, Options::default());
    session::drive(&mut chart, ctx).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::repeat::CacheOrder;

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
                no_race: false,
            }],
            recording: "run.jsonl".into(),
            activity: vec![2; MINI_WIDTH],
            overlap: (0..MINI_WIDTH).map(|c| c < 5).collect(),
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
