//! Benchmarks of `buildx-gantt report` as a user runs it (the release binary, start to exit):
//! throughput and peak memory on generated large logs, and wall time on a real fixture.
//! Run with `cargo bench --bench report`; the numbers go into docs/BENCHMARKS.md.

#[path = "../tests/common/bombs.rs"]
mod bombs;
#[path = "gen.rs"]
mod gen;

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn data_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn generate(
    name: &str,
    f: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<u64>,
) -> (PathBuf, u64) {
    let p = data_dir().join(name);
    if let Ok(m) = std::fs::metadata(&p) {
        return (p, m.len());
    }
    let tmp = p.with_extension("part");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp).unwrap());
    let n = f(&mut w).unwrap();
    drop(w);
    std::fs::rename(&tmp, &p).unwrap();
    (p, n)
}

struct Run {
    wall_ms: f64,
    peak_kib: u64,
}

fn report(file: &Path, format: &str) -> Run {
    run_on(&["report", "--format", format], file)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn bench_file(label: &str, file: &Path, bytes: u64, runs: usize) {
    let _ = report(file, "json"); // warm the page cache
    let results: Vec<Run> = (0..runs).map(|_| report(file, "json")).collect();
    let ms = median(results.iter().map(|r| r.wall_ms).collect());
    let peak = results.iter().map(|r| r.peak_kib).max().unwrap();
    println!(
        "{label}: {:.1} MB in {ms:.0} ms (median of {runs}) = {:.2} GB/s; peak RSS {:.1} MiB",
        bytes as f64 / 1e6,
        bytes as f64 / 1e9 / (ms / 1e3),
        peak as f64 / 1024.0
    );
}

/// `report --format svg|html` of a generated build: time, peak memory and the output's size.
fn bench_export(file: &Path, steps: usize, format: &str, runs: usize) {
    let size = Command::new(env!("CARGO_BIN_EXE_buildx-gantt"))
        .args(["report", file.to_str().unwrap(), "--format", format])
        .output()
        .unwrap()
        .stdout
        .len();
    let results: Vec<Run> = (0..runs).map(|_| report(file, format)).collect();
    let ms = median(results.iter().map(|r| r.wall_ms).collect());
    let peak = results.iter().map(|r| r.peak_kib).max().unwrap();
    println!(
        "report --format {format}, DAG ({steps} steps): {ms:.0} ms (median of {runs}), peak RSS {:.1} MiB, {:.0} kB written",
        peak as f64 / 1024.0,
        size as f64 / 1e3
    );
}

/// A 100,000-step build (5,000 stages of 20 steps; 2,000 steps when quick), without step output:
/// every format's time and peak memory against the file's size.
fn bench_huge(quick: bool) {
    let stages = if quick { 100 } else { 5_000 };
    let shapes = [
        (
            "lean",
            gen::Shape::BuildKit,
            "three lines a step, as BuildKit sends them",
        ),
        (
            "oneline",
            gen::Shape::OneLine,
            "one line a step, the leanest a log can be",
        ),
    ];
    for (tag, shape, words) in shapes {
        let (file, bytes) = generate(&format!("dag-{tag}-{stages}x20.jsonl"), |w| {
            gen::dag_with(w, stages, 20, shape)
        });
        let _ = report(&file, "json"); // warm the page cache
        for format in ["text", "json", "svg", "html"] {
            let r = report(&file, format);
            println!(
                "report --format {format}, {} steps ({:.1} MB, {words}): {:.0} ms, peak RSS {:.1} MiB = {:.2} × the file",
                stages * 20,
                bytes as f64 / 1e6,
                r.wall_ms,
                r.peak_kib as f64 / 1024.0,
                r.peak_kib as f64 * 1024.0 / bytes as f64
            );
        }
    }
}

/// Build records made to cost far more than they weigh (tests/record_bombs.rs reads each within
/// 256 MiB): each one's size, and `report`'s and `--list`'s time and peak memory on it.
fn bench_bombs() {
    let base =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/records/race-pass.dockerbuild");
    let stranger = format!("sha256:{}", "ab".repeat(32));
    let made: Vec<(&str, Vec<u8>)> = vec![
        (
            "index listing its manifest 300 times, trace padded to 100 MB",
            bombs::shapes::listed_many_times(&base, 300, 100),
        ),
        (
            "indexes nested 5 deep, 20 listings each (3.2 million)",
            bombs::shapes::nested(&base, 20, 4),
        ),
        (
            "3 × 200 MB of zeros nothing refers to",
            bombs::shapes::unreferenced(&base, 3, 200),
        ),
        (
            "a 250 MB trace",
            bombs::shapes::big_trace(&base, 250, &stranger),
        ),
        ("a 200 MB progress", bombs::shapes::big_progress(&base, 200)),
    ];
    for (what, bytes) in made {
        let path = data_dir().join("bomb.dockerbuild");
        std::fs::write(&path, &bytes).unwrap();
        let list = run_on(&["report", "--list"], &path);
        let r = run_on(&["report"], &path);
        println!(
            "record bomb: {what} ({:.0} kB): report {:.2} s, peak RSS {:.1} MiB; --list {:.2} s, {:.1} MiB",
            bytes.len() as f64 / 1e3,
            r.wall_ms / 1e3,
            r.peak_kib as f64 / 1024.0,
            list.wall_ms / 1e3,
            list.peak_kib as f64 / 1024.0
        );
    }
}

/// `compare` of two builds whose every step changed, or whose stages only were renamed: time
/// and peak memory.
fn bench_compare() {
    let shapes = [
        (
            "one stage of 20,000 steps, every instruction changed",
            1,
            20_000,
            gen::Change::Instructions,
        ),
        (
            "1,000 stages × 20 steps, every instruction changed",
            1_000,
            20,
            gen::Change::Instructions,
        ),
        (
            "1,000 stages × 20 steps, only the stages renamed",
            1_000,
            20,
            gen::Change::StageNames,
        ),
        (
            "one stage of 100,000 steps, every instruction changed",
            1,
            100_000,
            gen::Change::Instructions,
        ),
    ];
    for (what, stages, per, change) in shapes {
        let tag = match change {
            gen::Change::Instructions => "instr",
            gen::Change::StageNames => "stages",
        };
        let (sides, bytes): (Vec<PathBuf>, Vec<u64>) = (0..2)
            .map(|side| {
                generate(&format!("changed-{tag}-{stages}x{per}-{side}.jsonl"), |w| {
                    gen::changed(w, stages, per, change, side)
                })
            })
            .unzip();
        let t = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_buildx-gantt"))
            .arg("compare")
            .args(&sides)
            .args(["--no-screen", "--format", "json"])
            .env("BUILDX_GANTT_STATS", "1")
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
        let peak: u64 = err
            .split("peak_rss_kib=")
            .nth(1)
            .and_then(|v| v.trim().parse().ok())
            .expect("stats line");
        println!(
            "compare, {what} (2 × {:.1} MB): {secs:.2} s, peak RSS {:.1} MiB",
            bytes[0] as f64 / 1e6,
            peak as f64 / 1024.0
        );
    }
}

/// Plain logs at scale: `report` of one stage of 20,000 and 100,000 steps (the reader
/// reconstructs every step's time from the order of the lines), and `compare` of two 20,000-step
/// logs whose every instruction changed.
fn bench_plain() {
    let mut logs = Vec::new();
    for steps in [20_000, 100_000] {
        let (log, bytes) = generate(&format!("plain-{steps}-0.log"), |w| gen::plain(w, steps, 0));
        let runs: Vec<Run> = (0..3).map(|_| report(&log, "text")).collect();
        let ms = median(runs.iter().map(|r| r.wall_ms).collect());
        let peak = runs.iter().map(|r| r.peak_kib).max().unwrap();
        println!(
            "report --format text, plain log of {steps} steps ({:.1} MB): {:.2} s (median of 3), peak RSS {:.1} MiB",
            bytes as f64 / 1e6,
            ms / 1e3,
            peak as f64 / 1024.0
        );
        logs.push(log);
    }
    let (other, _) = generate("plain-20000-1.log", |w| gen::plain(w, 20_000, 1));
    let r = run_on(
        &[
            "compare",
            "--no-screen",
            "--format",
            "json",
            logs[0].to_str().unwrap(),
        ],
        &other,
    );
    println!(
        "compare of two plain logs of 20,000 steps, every instruction changed: {:.2} s, peak RSS {:.1} MiB",
        r.wall_ms / 1e3,
        r.peak_kib as f64 / 1024.0
    );
}

/// The release binary with `args` then `file`, timed, with its peak memory.
fn run_on(args: &[&str], file: &Path) -> Run {
    let t = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_buildx-gantt"))
        .args(args)
        .arg(file)
        .env("BUILDX_GANTT_STATS", "1")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let wall_ms = t.elapsed().as_secs_f64() * 1e3;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    let peak_kib = err
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .expect("stats line");
    Run { wall_ms, peak_kib }
}

fn main() {
    if std::env::args().any(|a| a == "bombs") {
        return bench_bombs();
    }
    if std::env::args().any(|a| a == "compare") {
        return bench_compare();
    }
    if std::env::args().any(|a| a == "plain") {
        return bench_plain();
    }
    // `cargo test --benches` runs this with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (chunks, dag_stages) = if quick { (2_000, 5) } else { (40_000, 50) };
    let (heavy, heavy_bytes) = generate(&format!("log-heavy-{chunks}.jsonl"), |w| {
        gen::log_heavy(w, chunks, 3_900)
    });
    let (dag, dag_bytes) = generate(&format!("dag-{dag_stages}x20.jsonl"), |w| {
        gen::dag(w, dag_stages, 20)
    });
    let runs = if quick { 1 } else { 5 };
    bench_file(
        &format!("report --format json, log-heavy ({chunks} log chunks)"),
        &heavy,
        heavy_bytes,
        runs,
    );
    bench_file(
        &format!("report --format json, DAG ({} steps)", dag_stages * 20),
        &dag,
        dag_bytes,
        runs,
    );
    for format in ["svg", "html"] {
        bench_export(&dag, dag_stages * 20, format, runs);
    }
    bench_huge(quick);
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/race/rawjson-fail.jsonl");
    let n = if quick { 3 } else { 50 };
    for format in ["text", "json", "svg", "html"] {
        let _ = report(&fixture, format);
        let times: Vec<f64> = (0..n).map(|_| report(&fixture, format).wall_ms).collect();
        println!(
            "report --format {format} of race/rawjson-fail.jsonl: median {:.2} ms, max {:.2} ms over {n} runs (process start to exit)",
            median(times.clone()),
            times.iter().cloned().fold(0.0, f64::max)
        );
    }
}
