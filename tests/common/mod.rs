//! Helpers shared by the integration tests: fixtures, loading, and running the real binary.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use buildx_gantt::analysis::Analysis;
use buildx_gantt::model::{Build, LogRetention};
use buildx_gantt::report;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn load(rel: &str) -> Build {
    load_keeping(rel, LogRetention::default())
}

pub fn load_keeping(rel: &str, retention: LogRetention) -> Build {
    let path = fixture(rel);
    match report::load(path.to_str().unwrap(), retention) {
        Ok(l) => l.build,
        Err(e) => panic!("{rel}: {e}"),
    }
}

pub fn analyse(rel: &str) -> (Build, Analysis) {
    let b = load(rel);
    let a = Analysis::of(&b, None);
    (b, a)
}

/// The name of a step, by id.
pub fn name(a: &Analysis, id: usize) -> &str {
    &a.steps[id].name
}

/// The id of the step whose name starts with `prefix` (`[stage-2 2/4]`).
pub fn step(a: &Analysis, prefix: &str) -> usize {
    a.steps
        .iter()
        .find(|s| s.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no step {prefix}"))
        .id
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_buildx-gantt"))
}

/// Runs the binary with `args`, stdin from `input` (or empty), and returns its output.
pub fn run(args: &[&str], input: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .env_remove("NO_COLOR")
        .env("COLUMNS", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run buildx-gantt");
    let mut stdin = child.stdin.take().unwrap();
    let data = input.map(|d| d.to_vec()).unwrap_or_default();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
