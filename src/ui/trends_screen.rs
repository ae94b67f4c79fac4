//! The screen of `trends`: the pile's headline and cache races on top, then the builds as rows of
//! a chart, oldest first — one bar per build as long as its wall time, failures red — with who
//! took each shared cache first; Enter opens the selected build in the full chart.

use std::path::PathBuf;
use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;

use super::help::{self, Offer};
use super::keys::Action;
use super::session::{self, Flow, Session};
use crate::chart::words::{cut, outcome_short, took_first};
use crate::trends::words::{headline, race_sentence, seconds};
use crate::trends::{BuildFacts, Trends};

/// What the screen shows.
#[derive(Debug, Default)]
pub struct TrendsView {
    pub title: String,
    pub selected: usize,
    pub color: bool,
}

/// The longest a build's bar is.
const BAR: usize = 30;

/// One build as a row: `#3  FAIL  3.42s  ██████…  [stage-2 2/4] took demo.mods.v1 first  source`.
pub fn row(i: usize, b: &BuildFacts, longest: i64) -> String {
    let len = if longest > 0 {
        ((b.wall as f64 / longest as f64) * BAR as f64)
            .round()
            .max(1.0) as usize
    } else {
        1
    };
    let result = outcome_short(b.outcome);
    let firsts: Vec<String> = b
        .hazards
        .iter()
        .filter_map(|h| Some(took_first(h.first.as_deref()?, &h.cache)))
        .collect();
    format!(
        "{:>5}  {result}  {:>7}  {:<BAR$}  {}  {}",
        format!("#{}", i + 1),
        seconds(b.wall as f64 / 1e9),
        "█".repeat(len.min(BAR)),
        firsts.join("; "),
        b.source.rsplit(['/', ':']).next().unwrap_or(&b.source)
    )
}

/// Draws the screen into `buf`.
pub fn render(t: &Trends, v: &TrendsView, area: Rect, buf: &mut Buffer) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let dim = Style::default().add_modifier(Modifier::DIM);
    let w = area.width as usize;
    let bottom = area.y + area.height;
    let mut y = area.y;
    let line = |buf: &mut Buffer, y: &mut u16, text: &str, style: Style| {
        if *y < bottom {
            buf.set_stringn(area.x, *y, text, w, style);
            *y += 1;
        }
    };
    line(
        buf,
        &mut y,
        &format!("buildx-gantt trends · {}", v.title),
        bold,
    );
    line(buf, &mut y, &headline(t), Style::default());
    let hazard = if v.color {
        Style::default().fg(Color::Yellow)
    } else {
        Style::default()
    };
    for h in &t.hazards {
        line(
            buf,
            &mut y,
            &cut(&format!("⚠ {}", race_sentence(h)), w),
            hazard,
        );
    }
    y += 1;
    let head = format!(
        "{:>5}  {:<4}  {:>7}  {:<BAR$}  who took each shared cache first · file",
        "build", "", "wall", "wall time"
    );
    line(buf, &mut y, &head, dim);
    let room = bottom.saturating_sub(y + 1) as usize;
    let first = v.selected.saturating_sub(room.saturating_sub(1));
    let longest = t.builds.iter().map(|b| b.wall).max().unwrap_or(0);
    for (i, b) in t.builds.iter().enumerate().skip(first).take(room) {
        let style = if i == v.selected {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        };
        let at = y;
        line(buf, &mut y, &row(i, b, longest), style);
        if b.failed() {
            // The failure shows on the bar: red, or reversed without colour.
            let red = if v.color {
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
            } else {
                Style::default().add_modifier(Modifier::REVERSED)
            };
            for x in 7..(7 + 4).min(w) {
                buf[(area.x + x as u16, at)].set_style(red);
            }
            let bar_at = 7 + 4 + 2 + 7 + 2;
            for x in bar_at..(bar_at + BAR).min(w) {
                if buf[(area.x + x as u16, at)].symbol() == "█" {
                    buf[(area.x + x as u16, at)].set_style(red);
                }
            }
        }
    }
    if area.height > 0 {
        let keys = "↑↓ select · Enter open the build in the chart · q leave · ? help";
        buf.set_stringn(area.x, bottom - 1, keys, w, dim);
    }
}

/// The keys the screen answers to, in its own words.
const KEYS: &[(Action, &str)] = &[
    (Action::Up, "build above"),
    (Action::Down, "build below"),
    (Action::Top, "oldest build"),
    (Action::Bottom, "newest build"),
    (Action::Toggle, "open the build in the chart"),
    (Action::Help, "this help"),
    (Action::Back, "close the help"),
    (Action::Quit, "leave"),
    (Action::Suspend, "suspend (fg resumes)"),
];

/// Where the selected build can be opened from: its file (a zip's entry written out first).
pub type Opener<'a> = dyn Fn(usize) -> Option<PathBuf> + 'a;

struct Screen<'a> {
    trends: &'a Trends,
    view: TrendsView,
    open: &'a Opener<'a>,
    help: bool,
}

impl Session for Screen<'_> {
    type Event = ();

    async fn next_event(&mut self) {
        std::future::pending().await
    }

    fn on_event(&mut self, _: ()) {}

    fn handle(&mut self, action: Action) -> Flow {
        if self.help && !matches!(action, Action::Help | Action::Back | Action::Quit) {
            self.help = false;
        }
        let last = self.trends.builds.len().saturating_sub(1);
        let v = &mut self.view;
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                super::select(&mut v.selected, last, action);
            }
            Action::Toggle => {
                let b = &self.trends.builds[v.selected.min(last)];
                if let Some(recording) = (self.open)(b.index) {
                    return Flow::Open {
                        recording,
                        name: format!("build {} · {}", v.selected + 1, b.source),
                    };
                }
            }
            Action::Help => self.help = !self.help,
            Action::Back => self.help = false,
            Action::Quit => return Flow::Leave,
            _ => {}
        }
        Flow::Stay
    }

    fn resize(&mut self, _w: u16, _h: u16) {}

    fn signal(&mut self) -> Flow {
        Flow::Leave
    }

    fn tick(&mut self, _now: Instant) -> Flow {
        Flow::Stay
    }

    fn draw(&mut self, f: &mut Frame) {
        render(self.trends, &self.view, f.area(), f.buffer_mut());
        if self.help {
            help::render(f.area(), f.buffer_mut(), &Offer::Only(KEYS), Vec::new());
        }
    }
}

/// The screen on the terminal until `q`; Enter shows a build in the chart and comes back.
pub fn run(
    t: &Trends,
    title: String,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
    open: &Opener<'_>,
) -> std::io::Result<()> {
    let mut screen = Screen {
        trends: t,
        view: TrendsView {
            title,
            selected: t.builds.len().saturating_sub(1),
            color: super::colour_wanted(),
        },
        open,
        help: false,
    };
    session::on_terminal(async |ctx| loop {
        match session::drive(&mut screen, ctx).await? {
            Flow::Open { recording, name } => {
                super::repeat_screen::open_chart(ctx, &recording, name, dockerfile).await?
            }
            _ => return Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Outcome;
    use crate::trends::CacheRace;

    fn build(i: usize, failed: bool, wall: i64) -> BuildFacts {
        BuildFacts {
            source: format!("run-{i:03}.dockerbuild"),
            index: i,
            reference: None,
            start: Some(i as i64 * 1_000_000_000),
            wall,
            outcome: if failed {
                Outcome::Failed
            } else {
                Outcome::Succeeded
            },
            traced: true,
            failure: None,
            steps: Vec::new(),
            hazards: vec![CacheRace {
                cache: "demo.mods.v1".into(),
                steps: vec!["[builder 2/3]".into(), "[stage-2 2/4]".into()],
                first: Some(
                    if failed {
                        "[stage-2 2/4]"
                    } else {
                        "[builder 2/3]"
                    }
                    .into(),
                ),
                proven: true,
            }],
        }
    }

    #[test]
    fn builds_are_rows_with_bars_and_failures_red() {
        let t = Trends::of(
            vec![
                build(0, false, 3_600_000_000),
                build(1, true, 1_800_000_000),
            ],
            Vec::new(),
        );
        let v = TrendsView {
            title: "pile".into(),
            selected: 0,
            color: true,
        };
        let area = Rect::new(0, 0, 120, 12);
        let mut buf = Buffer::empty(area);
        render(&t, &v, area, &mut buf);
        let text: Vec<String> = (0..area.height)
            .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let all = text.join("\n");
        assert!(all.contains("2 builds: 1 failed"), "{all}");
        assert!(
            all.contains("⚠ [builder 2/3] took demo.mods.v1 first in 1 of 2 builds, and it passed; [stage-2 2/4] first in 1, and it failed"),
            "{all}"
        );
        let pass = text.iter().position(|l| l.contains("#1 ")).unwrap();
        let fail = text.iter().position(|l| l.contains("#2 ")).unwrap();
        assert!(text[pass].contains("pass") && text[pass].contains(&"█".repeat(30)));
        assert!(text[fail].contains("FAIL") && text[fail].contains(&"█".repeat(15)));
        assert!(!text[fail].contains(&"█".repeat(16)), "{all}");
        assert_eq!(buf[(7, fail as u16)].fg, Color::Red);
        assert_eq!(buf[(25, fail as u16)].fg, Color::Red);
        assert_ne!(buf[(25, pass as u16)].fg, Color::Red);
    }
}
