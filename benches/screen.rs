//! Benchmarks of the live screen: how long a frame takes on a big build, and how long input can
//! wait while a build floods its log. Run with `cargo bench --bench screen`; the numbers go into
//! docs/BENCHMARKS.md.

#[path = "gen.rs"]
mod gen;

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use buildx_gantt::source::feed::Reading;
use buildx_gantt::source::rawjson;
use buildx_gantt::ui::app::{App, Live, Mode, Replay};
use buildx_gantt::ui::keys::Action;
use buildx_gantt::ui::run::{self, Feed};
use buildx_gantt::ui::view;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn generate(
    name: &str,
    f: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<u64>,
) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    if p.exists() {
        return p;
    }
    let tmp = p.with_extension("part");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
    f(&mut w).unwrap();
    drop(w);
    std::fs::rename(&tmp, &p).unwrap();
    p
}

/// Median, 99th percentile and maximum.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (
        v[v.len() / 2],
        v[(v.len() * 99 / 100).min(v.len() - 1)],
        v[v.len() - 1],
    )
}

/// Frames of the whole 1,000-step build, every stage open, in a 200×60 terminal.
fn frames(stages: usize, n: usize) {
    let path = generate(&format!("dag-{stages}x20.jsonl"), |w| {
        gen::dag(w, stages, 20)
    });
    let events = rawjson::read_events(std::fs::File::open(&path).unwrap()).unwrap();
    let mut app = App::new("dag".into(), None, Mode::Replay(Replay::new(0.0, false)));
    for e in events {
        app.push(e);
    }
    app.input_ended();
    app.resize(200, 60);
    app.refresh();
    app.handle(Action::ToggleAll);
    app.handle(Action::Details);
    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    let mut draw_only = Vec::new();
    let mut with_analysis = Vec::new();
    for i in 0..n {
        // Move the selection so the frames differ, as they do while someone looks around.
        app.handle(if i % 20 < 10 {
            Action::Down
        } else {
            Action::Up
        });
        let t = Instant::now();
        view::render(&app, area, &mut buf);
        draw_only.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        app.invalidate();
        app.refresh();
        view::render(&app, area, &mut buf);
        with_analysis.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let steps = app.analysis.steps.len();
    let (m, p, x) = stats(draw_only);
    println!("frame, {steps} steps into 200×60, render: median {m:.3} ms, p99 {p:.3} ms, max {x:.3} ms over {n} frames");
    let (m, p, x) = stats(with_analysis);
    println!("frame, {steps} steps into 200×60, analysis + render: median {m:.3} ms, p99 {p:.3} ms, max {x:.3} ms");
}

/// A live build printing `chunks` × 3.9 kB of log, read through the real reader thread and
/// channel, with the screen loop's turns (drain within the event budget, refresh, draw with the
/// flooding step's log open): the longest turn is the longest a key can wait.
fn flood(chunks: usize) {
    let path = generate(&format!("log-heavy-{chunks}.jsonl"), |w| {
        gen::log_heavy(w, chunks, 3_900)
    });
    let bytes = std::fs::metadata(&path).unwrap().len();
    let input = std::fs::File::open(&path).unwrap();
    let mut feed = Feed::start(Box::new(input), None, None, Reading::Detect(None)).unwrap();
    let mut app = App::new("flood".into(), None, Mode::Live(Live::default()));
    app.resize(200, 60);
    let area = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(area);
    let mut turns = Vec::new();
    let started = Instant::now();
    let mut opened = false;
    while !feed.is_done() {
        let t = Instant::now();
        run::drain(&mut app, &mut feed);
        app.tick(Instant::now());
        app.refresh();
        if !opened && !app.rows.rows().is_empty() {
            app.handle(Action::Bottom);
            app.handle(Action::Details);
            opened = true;
        }
        view::render(&app, area, &mut buf);
        turns.push(t.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_micros(200));
    }
    let total = started.elapsed().as_secs_f64();
    let (m, _, x) = stats(turns.clone());
    println!(
        "log flood, {:.0} MB of rawjson through the live loop in {total:.2} s: {} turns, median {m:.2} ms, longest {x:.2} ms (a key waits at most one turn)",
        bytes as f64 / 1e6,
        turns.len()
    );
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    if quick {
        frames(5, 20);
        flood(500);
    } else {
        frames(50, 500);
        flood(20_000);
    }
}
