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

/// The Markdown report's stage table, read back: each row's label (unescaped), time and state.
fn markdown_stages(md: &str) -> Vec<(String, String, String)> {
    let unescape = |s: &str| {
        s.replace("&#8203;", "")
            .replace('\\', "")
            .replace("&amp;", "&")
    };
    md.lines()
        .skip_while(|l| !l.starts_with("| stage | time | state |"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let label = unescape(cells[0].trim_start_matches("| "));
            (label, cells[1].to_string(), cells[2].to_string())
        })
        .collect()
}

/// What the screen says at a stage row's right for a time and a state word (chart::words::info).
fn info_for(time: &str, state: &str) -> Vec<String> {
    match state {
        "done" => vec![format!("{time} ✓")],
        "failed" => vec![format!("✗ {time}")],
        "running" => vec![format!("{time} …")],
        "never ran" => vec!["never ran".into(), format!("{time} ·")],
        other => vec![other.to_string()],
    }
}

#[test]
fn the_markdown_table_has_the_charts_stage_rows_and_words() {
    for path in recordings() {
        let rel = path.to_str().unwrap();
        let loaded = saved::load(rel, LogRetention::default(), None).unwrap();
        let a = Analysis::of(&loaded.build, dockerfile_of(&path).as_ref());
        let screen: Vec<Drawn> = comparable(screen_rows(&path))
            .into_iter()
            .filter(|r| r.group)
            .collect();
        let md = buildx_gantt::export::markdown::render("x", &loaded.build, &a);
        let table = markdown_stages(&md);
        let names = |v: &[Drawn]| v.iter().map(|r| r.label.clone()).collect::<Vec<_>>();
        assert_eq!(
            table.len(),
            screen.len(),
            "{rel}: the Markdown table has other stages:\n{table:?}\n{:?}",
            names(&screen)
        );
        for ((label, time, state), row) in table.iter().zip(&screen) {
            assert!(
                same_label(&row.label, label),
                "{rel}: Markdown's stage {label:?} where the screen has {:?}",
                row.label
            );
            assert!(
                info_for(time, state).contains(&row.info),
                "{rel}: {label}: Markdown says {time} {state}, the screen {:?}",
                row.info
            );
        }
    }
}

/// `compare`'s text and HTML views of one pair: the steps table's rows as each drew them (name,
/// before, after, change), in order.
fn compare_tables(before: &Path, after: &Path) -> (Vec<[String; 4]>, Vec<[String; 4]>) {
    let (b, a) = (before.to_str().unwrap(), after.to_str().unwrap());
    let out = |format: &str| {
        let o = common::run(
            &[
                "compare",
                b,
                a,
                "--format",
                format,
                "--no-screen",
                "--width",
                "200",
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
        common::stdout(&o)
    };
    let text = out("text");
    let text_rows = text
        .lines()
        .skip_while(|l| !l.starts_with("Steps, largest slowdown first"))
        .skip(2)
        .take_while(|l| l.starts_with("  ") && !l.starts_with("  …"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim()
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect();
            [0, 1, 2, 3].map(|i| cells[i].clone())
        })
        .collect();
    let html = out("html");
    let cell = |s: &str| {
        let mut s = s.replace("&#39;", "'").replace("&quot;", "\"");
        s = s
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        s
    };
    let html_rows = html
        .lines()
        .filter(|l| l.starts_with("<tr><td>"))
        .map(|l| {
            let tds: Vec<&str> = l.split("<td").skip(1).collect();
            let inner = |t: &str| cell(&t[t.find('>').unwrap() + 1..t.find("</td>").unwrap()]);
            [inner(tds[0]), inner(tds[2]), inner(tds[3]), inner(tds[4])]
        })
        .collect();
    (text_rows, html_rows)
}

/// A step's chart label from its name: `[app 2/3] RUN make` is `2/3 RUN make`.
fn step_label_of(name: &str) -> String {
    let split = name.strip_prefix('[').and_then(|r| r.split_once("] "));
    match split {
        Some((head, rest)) => format!("{} {rest}", head.rsplit(' ').next().unwrap_or(head)),
        None => name.to_string(),
    }
}

#[test]
fn compares_text_and_html_say_the_same_of_every_step_in_the_charts_words() {
    let pairs = [
        (
            "ctxchange/rawjson-first.jsonl",
            "ctxchange/rawjson-rebuild.jsonl",
        ),
        ("cmp-plain/plain-first.log", "cmp-plain/plain-rebuild.log"),
        ("cmp-args/rawjson-v1.jsonl", "cmp-args/rawjson-v2.jsonl"),
    ];
    for (before, after) in pairs {
        let (b, a) = (common::fixture(before), common::fixture(after));
        let (text, html) = compare_tables(&b, &a);
        assert!(!text.is_empty(), "{after}: no steps in compare's text");
        for (t, h) in text.iter().zip(&html) {
            assert!(same_label(&t[0], &h[0]), "{after}: {t:?} vs {h:?}");
            assert_eq!(t[1..], h[1..], "{after}: the text and the HTML disagree");
        }
        // The words for the build after are the chart's: a step's time and state as its row
        // says them (`0.19s ✓` is `0.19s done`).
        let screen = comparable(screen_rows(&a));
        let mut matched = 0;
        for t in &text {
            let label = step_label_of(&t[0]);
            let Some(row) = screen
                .iter()
                .find(|r| !r.group && same_label(&label, &r.label))
            else {
                continue;
            };
            matched += 1;
            let (time, state) = t[2].rsplit_once(' ').unwrap_or(("", &t[2]));
            let words = if time.is_empty() {
                vec![state.to_string()]
            } else {
                info_for(time, state)
            };
            assert!(
                words.contains(&row.info),
                "{after}: compare says {:?} of {}, the chart {:?}",
                t[2],
                t[0],
                row.info
            );
        }
        assert!(
            matched > 0,
            "{after}: no step of compare's table found on the chart"
        );
    }
}
