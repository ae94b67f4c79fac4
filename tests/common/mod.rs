//! Helpers shared by the integration tests: fixtures, loading, and running the real binary.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use buildx_gantt::analysis::Analysis;
use buildx_gantt::model::{Build, LogRetention};
use buildx_gantt::source::saved;

pub mod bombs;
pub mod builders;
pub mod buildkitd;
pub mod engine;
pub mod live;
pub mod registry;
pub mod signals;

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
    match saved::load(path.to_str().unwrap(), retention, None) {
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
    a.steps[id].name()
}

/// The id of the step whose name starts with `prefix` (`[stage-2 2/4]`).
pub fn step(a: &Analysis, prefix: &str) -> usize {
    a.steps
        .iter()
        .find(|s| s.name().starts_with(prefix))
        .unwrap_or_else(|| panic!("no step {prefix}"))
        .id
}

/// Something a real-world test needs that a machine may lack. Where it is missing the test says
/// `SKIPPED test: why` and passes, unless the environment requires it (see [`required`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A Docker daemon and its CLI (tests/engine.rs, dockerd_plain.rs, cli.rs, contexts.rs).
    Engine,
    /// Real buildx with a BuildKit builder (tests/buildx.rs, stale_live.rs).
    Buildx,
    /// Chromium and the page renderers in tests/mermaid and tests/speedscope (tests/browser.rs).
    Browser,
    /// A registry and a buildkitd of the tests' own (tests/registry.rs).
    Registry,
}

impl Need {
    pub const ALL: [Need; 4] = [Need::Engine, Need::Buildx, Need::Browser, Need::Registry];

    /// Its name in `BUILDX_GANTT_REQUIRE`'s list.
    pub fn word(self) -> &'static str {
        match self {
            Need::Engine => "engine",
            Need::Buildx => "buildx",
            Need::Browser => "browser",
            Need::Registry => "registry",
        }
    }

    /// The switch of its own it had before [`REQUIRE`], no longer read: set, it fails the test
    /// (see [`retired_switch`]).
    fn retired(self) -> &'static str {
        match self {
            Need::Engine => "BUILDX_GANTT_REQUIRE_ENGINE",
            Need::Buildx => "BUILDX_GANTT_REQUIRE_BUILDX",
            Need::Browser => "BUILDX_GANTT_REQUIRE_BROWSER",
            Need::Registry => "BUILDX_GANTT_REQUIRE_REGISTRY",
        }
    }
}

/// The one switch that makes a missing need a failure instead of a skip: `BUILDX_GANTT_REQUIRE=all`
/// or a comma list of [`Need::word`]s (`engine,browser`); `.ci/run` sets `all`.
pub const REQUIRE: &str = "BUILDX_GANTT_REQUIRE";

/// Whether this run requires `need`: [`REQUIRE`] names it (or says `all`). Panics when a retired
/// per-need switch is set, naming the one that replaced it.
pub fn required(need: Need) -> bool {
    if let Some(said) = retired_switch(|var| std::env::var(var).ok()) {
        panic!("{said}");
    }
    requires(&std::env::var(REQUIRE).unwrap_or_default(), need)
}

/// [`required`] given [`REQUIRE`]'s value.
pub fn requires(list: &str, need: Need) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|w| w.eq_ignore_ascii_case("all") || w.eq_ignore_ascii_case(need.word()))
}

/// What to say when a retired switch (`BUILDX_GANTT_REQUIRE_ENGINE` …) is set in the environment
/// `var` reads: it is no longer read, and [`REQUIRE`] says the same.
pub fn retired_switch(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let need = Need::ALL.into_iter().find(|n| var(n.retired()).is_some())?;
    Some(format!(
        "{} is no longer read: set {REQUIRE}={} (or all, or a list such as engine,browser)",
        need.retired(),
        need.word()
    ))
}

/// Says that `test` is skipped because `why` on stderr (`SKIPPED test: why`), or panics when this
/// run requires `need`. Every real-world test's skip goes through here.
pub fn skip(test: &str, need: Need, why: &str) {
    if required(need) {
        panic!("{test}: {why}, and {REQUIRE} requires {}", need.word());
    }
    eprintln!(
        "SKIPPED {test}: {why} (set {REQUIRE}={} to make this a failure)",
        need.word()
    );
}

/// `Some(found)`, or `None` after [`skip`] (a failure where `need` is required).
pub fn found_or_skip<T>(test: &str, need: Need, found: Result<T, String>) -> Option<T> {
    // A retired switch fails the test whether or not the need is found.
    required(need);
    match found {
        Ok(t) => Some(t),
        Err(why) => {
            skip(test, need, &why);
            None
        }
    }
}

/// The binary under test, with none of the environment the program reads that the tests do not
/// mean to give it (see [`scrub`]).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_buildx-gantt"));
    scrub(&mut c);
    c
}

/// Removes from `c`'s environment what the program reads and a test sets only on purpose, so that
/// no test depends on the shell that started the suite: colour and width (`NO_COLOR`, `COLUMNS`,
/// `LINES`), OpenTelemetry's `OTEL_*`, every `BUILDX_GANTT_*` (the tool's switches; the tests'
/// own, `BUILDX_GANTT_REQUIRE…` and `…_TEST_DOCKER`, are read by the tests, not the binary), and
/// backtraces (`RUST_BACKTRACE` adds lines to every error). The Docker variables (`DOCKER_HOST`…)
/// stay: the engine tests use the machine's daemon as the docker CLI finds it.
pub fn scrub(c: &mut Command) -> &mut Command {
    for var in [
        "NO_COLOR",
        "COLUMNS",
        "LINES",
        "RUST_BACKTRACE",
        "RUST_LIB_BACKTRACE",
    ] {
        c.env_remove(var);
    }
    for (var, _) in std::env::vars_os() {
        let v = var.to_string_lossy();
        if v.starts_with("OTEL_") || v.starts_with("BUILDX_GANTT_") {
            c.env_remove(&var);
        }
    }
    c
}

/// Unique enough for a cache id, an image tag or a file's content: no two runs of the suite, nor
/// two tests, share one (the process id alone comes round again).
pub fn unique(tag: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!(
        "{tag}.{}.{}.{}",
        std::process::id(),
        buildx_gantt::source::now(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// How long a wait that only guards against a hang may take: what it waits for takes a second or
/// two on a quiet machine, and this is far more than any load adds. It is not a speed check.
pub const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(120);

/// Polls `ready` until it holds; panics with `what` if that takes longer than [`HANG_GUARD`].
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !ready() {
        assert!(
            t.elapsed() < HANG_GUARD,
            "{what}: not within {HANG_GUARD:?} (a hang guard)"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits until `path` holds a line for which `line` is true.
pub fn wait_for_line(path: &std::path::Path, what: &str, line: impl Fn(&str) -> bool) {
    wait_until(&format!("{what} in {}", path.display()), || {
        std::fs::read_to_string(path).is_ok_and(|t| t.lines().any(&line))
    });
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

/// A fresh directory under cargo's target tmp dir for one test.
pub fn tmp_dir(name: &str) -> PathBuf {
    // Only [A-Za-z0-9-] in the name: shell scripts (tmux tests) use these paths unquoted.
    let thread: String = format!("{:?}", std::thread::current().id())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}-{thread}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The fake `docker` (tests/support/fake-docker).
pub fn fake_docker() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake-docker")
}

/// Writes a play file for the fake docker: each line of the recording with the time to wait
/// before it (the growth of the newest timestamp it carries), times `scale`.
pub fn play_file(rel: &str, scale: f64, dir: &std::path::Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    let mut out = String::new();
    let mut latest: Option<i64> = None;
    for line in text.lines() {
        let newest = timestamps(line).into_iter().max();
        let delay = match (latest, newest) {
            (Some(l), Some(n)) if n > l => (n - l) as f64 / 1e9 * scale,
            // A plain log has no times: a completion takes its printed duration.
            _ => line
                .split_once(" DONE ")
                .and_then(|(_, d)| d.trim_end_matches('s').parse::<f64>().ok())
                .map_or(0.0, |d| d * scale),
        };
        if let Some(n) = newest {
            latest = Some(latest.map_or(n, |l| l.max(n)));
        }
        if delay > 0.0 {
            out.push_str(&format!("{delay:.3}\t{line}\n"));
        } else {
            out.push_str(&format!("0\t{line}\n"));
        }
    }
    let path = dir.join("play.tsv");
    std::fs::write(&path, out).unwrap();
    path
}

fn timestamps(line: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for key in ["\"timestamp\":\"", "\"started\":\"", "\"completed\":\""] {
        let mut rest = line;
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            if let Some(end) = rest.find('"') {
                if let Some(t) = buildx_gantt::model::parse_rfc3339(&rest[..end]) {
                    out.push(t);
                }
            }
        }
    }
    out
}

/// A live process as /proc tells it: (pid, state, ppid, process group, command name).
#[derive(Debug)]
pub struct Proc {
    pub pid: i32,
    pub state: String,
    pub ppid: i32,
    pub pgrp: i32,
    pub comm: String,
}

/// Every process on the machine.
pub fn processes() -> Vec<Proc> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let num = |i: usize| fields.get(i).and_then(|f| f.parse().ok()).unwrap_or(-1);
        out.push(Proc {
            pid,
            state: fields.first().unwrap_or(&"?").to_string(),
            ppid: num(1),
            pgrp: num(2),
            comm: stat[open + 1..close].to_string(),
        });
    }
    out
}

/// The context-change pair with `[app 2/2]`'s command made `echo <!--<script>` on both sides:
/// text an HTML parser treats specially inside a script element.
pub fn script_named_pair(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let hostile = r#"RUN echo \"\u003c!--\u003cscript\u003e\" \u0026\u0026 sleep 1"#;
    let mut out = Vec::new();
    for (rel, name) in [
        ("ctxchange/rawjson-first.jsonl", "before.jsonl"),
        ("ctxchange/rawjson-rebuild.jsonl", "after.jsonl"),
    ] {
        let text = std::fs::read_to_string(fixture(rel))
            .unwrap()
            .replace(r"RUN sleep 1 \u0026\u0026 cat", &format!("{hostile} cat"));
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        out.push(path);
    }
    (out.remove(0), out.remove(0))
}

/// Step names that are markup in a pull-request comment or a Mermaid chart: mentions, a team,
/// strikethrough, math, an emoji, issue references, an entity; and internal steps named like
/// Mermaid's own statements.
pub const MARKUP_STEP: &str =
    "[notify~~@octocat~~@org/team~$E=mc^2$:tada:#123&#64;ghost 1/1] RUN notify @octocat :tada:";
pub const MERMAID_STEPS: &[&str] = &[
    "click s1 call alert(1)",
    "section hidden",
    "excludes weekends",
    "%%{init: {'theme':'forest'}}%%",
    "title pwned",
    "2026-01-01 dated",
    "  todayMarker off",
];

/// The race's failing log with [`MARKUP_STEP`] and [`MERMAID_STEPS`] added, each with a time.
pub fn markup_log(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(fixture("race/rawjson-fail.jsonl")).unwrap();
    let names = std::iter::once(MARKUP_STEP).chain(MERMAID_STEPS.iter().copied());
    for (i, name) in names.enumerate() {
        let v = serde_json::json!({"vertexes": [{
            "digest": format!("sha256:{:064x}", 0xe1 + i),
            "name": name,
            "started": "2026-11-22T12:52:29Z",
            "completed": "2026-11-22T12:52:30Z",
        }]});
        text.push_str(&format!("{v}\n"));
    }
    let path = dir.join("markup.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// `compare BEFORE AFTER --format html -o PAGE`.
pub fn compare_html(
    before: &std::path::Path,
    after: &std::path::Path,
    page: &std::path::Path,
) -> Output {
    run(
        &[
            "compare",
            before.to_str().unwrap(),
            after.to_str().unwrap(),
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
        None,
    )
}

/// Live processes (not zombies) whose command line holds `needle`: what a test started and must
/// not leave behind, found by an argument unique to it.
pub fn processes_mentioning(needle: &str) -> Vec<Proc> {
    processes()
        .into_iter()
        .filter(|p| p.state != "Z")
        .filter(|p| {
            std::fs::read(format!("/proc/{}/cmdline", p.pid))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}
