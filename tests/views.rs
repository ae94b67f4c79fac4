//! Every recording in tests/fixtures/ drawn by each view — the screen (TestBackend), the text
//! report, the SVG and the HTML report — read back from what each view drew: the same stage and
//! step rows, in the same order, with the same labels and the same words at their right.

mod common;

use std::path::{Path, PathBuf};

use buildx_gantt::analysis::Analysis;
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::export::html::{self, HtmlOptions};
use buildx_gantt::export::svg::{self, Rows, SvgOptions, Theme};
use buildx_gantt::export::text::{self, TextOptions};
use buildx_gantt::model::LogRetention;
use buildx_gantt::source;
use buildx_gantt::source::saved;
use buildx_gantt::ui::app::{App, Mode, Replay};
use buildx_gantt::ui::keys::Action;
use buildx_gantt::ui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// One row as a view drew it: whether it is a group, its label, the words at its right.
#[derive(Debug, Clone, PartialEq)]
struct Drawn {
    group: bool,
    label: String,
    info: String,
}

/// Every recorded log under tests/fixtures/, with the Dockerfile beside it.
fn recordings() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let root = common::fixture("");
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "jsonl" | "log" | "dockerbuild") {
                out.push(f);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 15, "fixtures missing: {out:?}");
    out
}

fn dockerfile_of(path: &Path) -> Option<Dockerfile> {
    let text = std::fs::read_to_string(path.parent()?.join("Dockerfile")).ok()?;
    Some(Dockerfile::parse(&text, &[]))
}

/// Stage and step rows only: the `[internal]` group and its steps, and the `! alongside` rows
/// (which only the reports draw), are left out.
fn comparable(rows: Vec<Drawn>) -> Vec<Drawn> {
    let mut out = Vec::new();
    let mut in_internal = false;
    for r in rows {
        if r.group {
            in_internal = r.label.starts_with("[internal]");
        }
        if !in_internal && !r.label.starts_with("! ") {
            out.push(r);
        }
    }
    out
}

fn screen_rows(path: &Path) -> Vec<Drawn> {
    let dockerfile = dockerfile_of(path);
    // Through `saved::open`: a build record (`.dockerbuild`) reads as its stream.
    let (_, input) = saved::open(path.to_str().unwrap()).unwrap();
    let events = source::read_events(input, dockerfile.as_ref()).unwrap();
    let mut app = App::new("x".into(), dockerfile, Mode::Replay(Replay::new(0.0, true)));
    for e in events {
        app.push(e);
    }
    app.input_ended();
    app.tick(std::time::Instant::now());
    app.refresh();
    app.handle(Action::ToggleAll);
    let (w, h) = (200u16, (app.rows.rows().len() as u16 + 12).max(24));
    app.resize(w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut areas = None;
    t.draw(|f| areas = Some(view::render(&app, f.area(), f.buffer_mut())))
        .unwrap();
    let areas = areas.unwrap();
    let buf = t.backend().buffer().clone();
    let line = |y: u16, from: u16, to: u16| -> String {
        (from..to)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect()
    };
    let chart = areas.chart;
    (chart.y..chart.y + app.rows.rows().len() as u16)
        .map(|y| {
            let label = line(y, chart.x + 1, chart.x + areas.label_w);
            let info = line(y, chart.x + chart.width - 10, chart.x + chart.width);
            let group = label.starts_with('▾') || label.starts_with('▸');
            Drawn {
                group,
                label: label.chars().skip(2).collect::<String>().trim().to_string(),
                info: info
                    .trim()
                    .replace(['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'], "…"),
            }
        })
        .collect()
}

fn text_rows(text: &str, rows: usize) -> Vec<Drawn> {
    // The chart starts after the summary, a blank line and the ticks.
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| l.is_empty()).unwrap() + 2;
    let label_w = 44;
    lines[first..first + rows]
        .iter()
        .filter(|l| !l.trim_start().starts_with('↳'))
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            let label: String = chars[1..label_w].iter().collect();
            // The info follows the bar and one space: the bar has no run of two blanks and a
            // word, so the info is what follows the last glyph cell.
            let bar_end = label_w + 1 + (200 - label_w - 16 - 2);
            let info: String = chars[bar_end + 1..].iter().collect();
            Drawn {
                group: !label.starts_with("   "),
                label: label.trim().to_string(),
                info: info.trim().to_string(),
            }
        })
        .collect()
}

fn svg_rows(svg: &str) -> Vec<Drawn> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("row"))
        .map(|g| {
            let texts: Vec<roxmltree::Node> =
                g.descendants().filter(|n| n.has_tag_name("text")).collect();
            let class = |n: &roxmltree::Node| n.attribute("class").unwrap_or("").to_string();
            let words = |n: &roxmltree::Node| n.text().unwrap_or("").to_string();
            let label = texts
                .iter()
                .find(|n| {
                    let c = class(n);
                    !c.contains("end")
                        && !c.contains("winner")
                        && !matches!(c.as_str(), "hz" | "cp")
                })
                .unwrap();
            let info = texts.iter().find(|n| class(n).contains("end")).unwrap();
            Drawn {
                group: label.attribute("x") == Some("38.0"),
                label: words(label),
                info: words(info),
            }
        })
        .collect()
}

/// `a` and `b` name the same row: equal, or one is the other cut (`…`).
fn same_label(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('…'), b.trim_end_matches('…'));
    a.starts_with(b) || b.starts_with(a)
}

fn assert_same(what: &str, path: &Path, want: &[Drawn], got: &[Drawn]) {
    let names = |v: &[Drawn]| v.iter().map(|r| r.label.clone()).collect::<Vec<_>>();
    assert_eq!(
        want.len(),
        got.len(),
        "{}: {what} has other rows:\n{:?}\n{:?}",
        path.display(),
        names(want),
        names(got)
    );
    for (w, g) in want.iter().zip(got) {
        let ok = w.group == g.group && same_label(&w.label, &g.label) && w.info == g.info;
        assert!(
            ok,
            "{}: {what} drew {g:?} where the screen drew {w:?}",
            path.display()
        );
    }
}

#[test]
fn every_view_draws_the_same_rows_labels_and_words() {
    for path in recordings() {
        let rel = path.to_str().unwrap();
        let loaded = saved::load(rel, LogRetention::default(), None).unwrap();
        let dockerfile = dockerfile_of(&path);
        let a = Analysis::of(&loaded.build, dockerfile.as_ref());
        let screen = comparable(screen_rows(&path));
        // A build that failed before any stage (a Dockerfile that does not parse) has none.
        let stages = a.stages.iter().any(|s| !s.steps.is_empty());
        assert_eq!(!screen.is_empty(), stages, "{rel}: rows on the screen");
        let opts = TextOptions {
            width: 200,
            ..TextOptions::default()
        };
        let text = text::render("x", &loaded.build, &a, &opts);
        let all_text_rows = text_row_count(&text);
        assert_same(
            "the text report",
            &path,
            &screen,
            &comparable(text_rows(&text, all_text_rows)),
        );
        let svg_opts = SvgOptions::default();
        let svg = svg::render("x", rel, &loaded.build, &a, &svg_opts);
        assert_same("the SVG", &path, &screen, &comparable(svg_rows(&svg)));
        let html_opts = HtmlOptions {
            theme: Theme::Light,
            rows: Rows::Steps,
            logs: false,
        };
        let page = html::render("x", rel, &loaded.build, &a, &html_opts);
        let start = page.find("<svg").unwrap();
        let end = page.find("</svg>").unwrap() + "</svg>".len();
        assert_same(
            "the HTML report",
            &path,
            &screen,
            &comparable(svg_rows(&page[start..end])),
        );
    }
}

/// Rows of the text report's chart: the lines between the ticks and the blank line before the
/// legend.
fn text_row_count(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| l.is_empty()).unwrap() + 2;
    lines[first..].iter().take_while(|l| !l.is_empty()).count()
}
