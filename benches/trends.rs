//! Benchmark of `buildx-gantt trends` as a user runs it (the release binary, start to exit): a
//! pile of 1,000 build records — copies of the 20 real race records in tests/fixtures/trends,
//! each read as its own build — and the same pile as 1,000 rawjson logs; wall time and peak
//! memory (the process's own high-water mark). Run with `cargo bench --bench trends`; the numbers
//! go into docs/BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The bound the issue sets: 1,000 records in at most this much memory.
const PEAK_BOUND_MIB: f64 = 256.0;

fn pile(kind: &str, ext: &str, n: usize) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trends")
        .join(kind);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-trends-{kind}-{n}"));
    if dir.join(format!("build-{n:04}.{ext}")).is_file() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let mut real: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    real.sort();
    for i in 1..=n {
        let from = &real[(i - 1) % real.len()];
        std::fs::copy(from, dir.join(format!("build-{i:04}.{ext}"))).unwrap();
    }
    dir
}

struct Run {
    wall_ms: f64,
    peak_mib: f64,
    builds: u64,
}

fn trends(dir: &Path, jobs: Option<&str>) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_buildx-gantt"));
    c.args(["trends", dir.to_str().unwrap(), "--format", "json"]);
    if let Some(j) = jobs {
        c.args(["--jobs", j]);
    }
    let t = Instant::now();
    let o = c
        .env("BUILDX_GANTT_STATS", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let wall_ms = t.elapsed().as_secs_f64() * 1e3;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let peak_kib: f64 = err
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .expect("stats line");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    Run {
        wall_ms,
        peak_mib: peak_kib / 1024.0,
        builds: v["builds"].as_u64().unwrap(),
    }
}

fn bench(label: &str, dir: &Path, jobs: Option<&str>, runs: usize) {
    let _ = trends(dir, jobs); // warm the page cache
    let mut all: Vec<Run> = (0..runs).map(|_| trends(dir, jobs)).collect();
    all.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
    let median = &all[all.len() / 2];
    let peak = all.iter().map(|r| r.peak_mib).fold(0.0, f64::max);
    println!(
        "{label}: {} builds in {:.0} ms (median of {runs}; {:.2} ms a build), peak RSS {peak:.1} MiB",
        median.builds,
        median.wall_ms,
        median.wall_ms / median.builds as f64
    );
    assert!(
        peak <= PEAK_BOUND_MIB,
        "{label}: {peak:.1} MiB is over {PEAK_BOUND_MIB} MiB"
    );
}

fn main() {
    let records = pile("records", "dockerbuild", 1000);
    let logs = pile("logs", "jsonl", 1000);
    bench(
        "trends of 1,000 records (default threads)",
        &records,
        None,
        5,
    );
    bench("trends of 1,000 records (--jobs 1)", &records, Some("1"), 3);
    bench("trends of 1,000 logs (default threads)", &logs, None, 5);
    let big = pile("records", "dockerbuild", 5000);
    bench("trends of 5,000 records (default threads)", &big, None, 3);
}
