//! Plain logs from the wild: 29 `--progress=plain` logs other people pasted into their
//! repositories and issues (`fixtures/plain-wild/`, copied as they are from the shared
//! third-party set; `SOURCES.md` says where each comes from, `truth.json` what a person reads off
//! each log's own text). Every fact in `truth.json` is checked on the real binary's JSON report:
//! outcome (and its exit code), vertices, cached and failing vertices, the Dockerfile's stage
//! names and the services and platforms kept apart; and no cache-break claim at a `FROM` or with
//! hits after it.

mod common;

use common::*;
use serde_json::Value;

const DIR: &str = "plain-wild";

/// Vertices a log's numbering under-counts, with the truth's own note: `08` prints `#30` for two
/// different vertices.
const EXTRA_VERTICES: [(&str, usize); 1] = [("08-compose-2022-cached-shared-export-number.log", 1)];

fn truth() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(fixture(&format!("{DIR}/truth.json"))).unwrap();
    match serde_json::from_str(&text).unwrap() {
        Value::Object(m) => m,
        _ => panic!("truth.json is not an object"),
    }
}

fn report(file: &str, format: &str) -> (Value, i32) {
    let path = fixture(&format!("{DIR}/{file}"));
    let out = run(
        &["report", path.to_str().unwrap(), "--format", format],
        None,
    );
    let code = out.status.code().unwrap_or(-1);
    let json = if format == "json" {
        serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{file}: {e}: {}", stderr(&out)))
    } else {
        Value::String(stdout(&out))
    };
    (json, code)
}

fn count(d: &Value, key: &str, want: &Value) -> usize {
    d["vertexes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| &v[key] == want)
        .count()
}

/// What is wrong with the report of one log, checked against its truth.
fn problems(file: &str, t: &Value) -> Vec<String> {
    let (d, code) = report(file, "json");
    let mut p = Vec::new();
    let outcome = match t["outcome"].as_str().unwrap() {
        "unknown(truncated)" => "incomplete",
        o => o,
    };
    if d["outcome"] != outcome {
        p.push(format!("outcome {} (truth {outcome})", d["outcome"]));
    }
    let exit = match outcome {
        "succeeded" => 0,
        "failed" => 1,
        "cancelled" => 130,
        _ => 4,
    };
    if code != exit {
        p.push(format!("exit code {code} (want {exit})"));
    }
    let extra = EXTRA_VERTICES
        .iter()
        .find(|e| e.0 == file)
        .map_or(0, |e| e.1);
    let vertices = t["vertices"].as_u64().unwrap() as usize + extra;
    if d["vertexes"].as_array().unwrap().len() != vertices {
        p.push(format!(
            "{} vertices (truth {vertices})",
            d["vertexes"].as_array().unwrap().len()
        ));
    }
    let cached = count(&d, "cached", &Value::Bool(true));
    if cached != t["cached"].as_u64().unwrap() as usize {
        p.push(format!("{cached} cached (truth {})", t["cached"]));
    }
    for (state, key) in [("failed", "errors"), ("cancelled", "canceled")] {
        let n = count(&d, "state", &Value::String(state.into()));
        let want = t[key].as_array().unwrap().len();
        if n != want {
            p.push(format!("{n} {state} vertices (truth {want}: {})", t[key]));
        }
    }
    p.extend(stage_problems(&d, t));
    p.extend(cache_problems(&d));
    p
}

/// The Dockerfile's stage names, and each service's (or platform's) stages apart.
fn stage_problems(d: &Value, t: &Value) -> Vec<String> {
    let stages: Vec<&str> = d["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let mut ours: Vec<&str> = stages
        .iter()
        .map(|s| s.split(" · ").next().unwrap())
        .collect();
    ours.sort_unstable();
    ours.dedup();
    let mut theirs: Vec<&str> = t["stages_dockerfile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match s.as_str().unwrap() {
            "(unnamed)" => "stage-0",
            s => s,
        })
        .collect();
    theirs.sort_unstable();
    theirs.dedup();
    let mut p = Vec::new();
    if ours != theirs {
        p.push(format!("stage names {ours:?} (truth {theirs:?})"));
    }
    let apart = t["stages"].as_array().unwrap().len();
    if stages.len() != apart {
        p.push(format!(
            "stages {stages:?}: {apart} kept apart in truth {}",
            t["stages"]
        ));
    }
    // A dependency never joins two services' (or platforms') stages.
    for dep in d["dependencies"].as_array().unwrap() {
        let side = |k: &str| {
            dep[k]
                .as_str()
                .unwrap()
                .split_once(" · ")
                .map(|x| x.1.to_string())
        };
        if side("stage") != side("source") {
            p.push(format!(
                "{} depends on {} across services",
                dep["stage"], dep["source"]
            ));
        }
    }
    p
}

/// No stage's cache is said to break at a `FROM`, or at a step with a cache hit after it.
fn cache_problems(d: &Value) -> Vec<String> {
    let Some(cache) = d["cache"].as_object() else {
        return Vec::new();
    };
    let steps = d["steps"].as_array().unwrap();
    let mut p = Vec::new();
    for st in cache["stages"].as_array().unwrap() {
        let Some(b) = st["broke_at"].as_u64() else {
            continue;
        };
        let at = &steps[b as usize];
        let text = at["name"]
            .as_str()
            .unwrap()
            .split_once("] ")
            .map_or("", |x| x.1);
        if text.starts_with("FROM ") {
            p.push(format!("cache broke at a FROM: {}", at["name"]));
        }
        let index = at["index"][0].as_u64().unwrap();
        let hit_after = steps.iter().any(|s| {
            s["stage"] == at["stage"]
                && s["state"] == "cached"
                && s["index"][0].as_u64().is_some_and(|i| i > index)
        });
        if hit_after {
            p.push(format!("cache broke at {} with hits after it", at["name"]));
        }
    }
    p
}

#[test]
fn every_pasted_log_is_read_right_on_every_fact_of_its_truth() {
    let truth = truth();
    assert_eq!(truth.len(), 29);
    let wrong: Vec<String> = truth
        .iter()
        .map(|(file, t)| (file, problems(file, t)))
        .filter(|(_, p)| !p.is_empty())
        .map(|(file, p)| format!("{file}: {}", p.join("; ")))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of 29 wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_reports_say_what_the_issue_said_they_got_wrong() {
    // A cached rebuild is not "broke at [deps 1/5] FROM".
    let (text, _) = report("16-deploy-dockerfile-syntax-rebuild.log", "text");
    let text = text.as_str().unwrap().to_string();
    assert!(!text.contains("broke at [deps 1/5] FROM"), "{text}");
    assert!(text.contains("FROM only resolved its image"), "{text}");
    // A fully cached compose rebuild whose FROMs resolved is fully cached.
    let (text, _) = report("08-compose-2022-cached-shared-export-number.log", "text");
    assert!(text.as_str().unwrap().contains("Fully cached"), "{text}");
    // A build killed by a timeout is cancelled, not failed.
    let (d, code) = report("15-deploy-timeout-cancelled.log", "json");
    assert_eq!((d["outcome"].as_str(), code), (Some("cancelled"), 130));
    // A paste cut short says where, and is incomplete.
    let (d, _) = report("18-compose-v1-2024-truncated-paste.log", "json");
    let said = d["diagnostics"].to_string();
    assert!(said.contains("it was cut before the build's end"), "{said}");
    // Numbers the printer skipped are said, not guessed at.
    let (d, _) = report("20-gha-multiplatform-go-fail-skipped-numbers.log", "json");
    let said = d["diagnostics"].to_string();
    assert!(said.contains("#11–#20 are not in the log"), "{said}");
    // ... and the critical path stays on the platform that failed.
    let path: Vec<String> = d["critical_path"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| d["steps"][i.as_u64().unwrap() as usize]["name"].to_string())
        .collect();
    assert!(path.iter().all(|n| n.contains("linux/amd64")), "{path:?}");
    // A log that starts mid-build says so.
    let (d, _) = report("29-compose-paste-starts-mid-build-cargo-fail.log", "json");
    assert!(d["diagnostics"]
        .to_string()
        .contains("starts in the middle of the build"));
}

#[test]
fn ci_prefixes_and_wrapped_lines_read_as_the_printers_own_lines() {
    // GitHub Actions timestamps, Codespaces' (glued to line ends too), Coolify's timestamp lines,
    // a PowerShell console's wrapping: the same vertices as a clean log would give.
    for (file, first_step) in [
        ("14-gha-timestamps-multiplatform-metadata-fail.log", None),
        ("22-gha-timestamps-action-image-build.log", Some("[1/")),
        ("26-codespaces-timestamps-glued-parse-error.log", None),
        ("01-coolify-nextjs-build-fail.log", Some("[deps 1/5] FROM")),
        (
            "27-powershell-wrapped-lines-success.log",
            Some("[1/9] FROM docker.io/library/python"),
        ),
    ] {
        let (d, _) = report(file, "json");
        let names: Vec<&str> = d["vertexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with("transferring") && !n.starts_with("docker.io")),
            "{file}: {names:?}"
        );
        if let Some(f) = first_step {
            assert!(names.iter().any(|n| n.starts_with(f)), "{file}: {names:?}");
        }
    }
}

/// The logs that came as the printer wrote them: ours, and the pasted ones without a CI's dress.
fn clean_logs() -> Vec<String> {
    let ours = [
        "chatty/plain.log",
        "cmp-plain/plain-first.log",
        "cmp-plain/plain-rebuild.log",
        "fail/plain-dockerd20.log",
        "fail/plain.log",
        "linkwarn/plain.log",
        "race/paired-plain.log",
        "race/plain-dockerd20-cancelled.log",
        "race/plain-fail.log",
        "seed/bug.log",
        "workaround/plain.log",
    ];
    let dressed = ["01-", "02-", "04-", "14-", "22-", "26-", "27-"];
    let mut logs: Vec<String> = ours.iter().map(|s| s.to_string()).collect();
    logs.extend(
        truth()
            .keys()
            .filter(|f| !dressed.iter().any(|d| f.starts_with(d)))
            .map(|f| format!("{DIR}/{f}")),
    );
    logs
}

/// A log dressed as a CI system or a console would show it.
fn dress(text: &str, how: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let stamp = format!(
            "2025-11-07T22:19:{:02}.{:07}Z",
            i % 60,
            i * 7919 % 10_000_000
        );
        match how {
            "github" => out.push_str(&format!("{stamp} {line}")),
            "gitlab" => out.push_str(&format!("{stamp} 01O {line}")),
            "jenkins" => out.push_str(&format!("[{stamp}] {line}")),
            "codespaces" if i % 3 == 0 => {
                out.push_str(&format!("2025-03-09 15:44:11.997Z: {line}"))
            }
            "coolify" => out.push_str(&format!("2026-Feb-28 01:44:00.{i:06}\n{line}")),
            // Buildkite's raw log: an APC escape sequence with the time in ms before each line.
            "buildkite" => out.push_str(&format!(
                "\x1b_bk;t={}\x07{line}",
                1_700_000_000_000u64 + i as u64
            )),
            "terminal" => out.push_str(&cut_at(line, 100)),
            "powershell" => out.push_str(&word_wrap(line, 120)),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// A terminal's wrap: every 100 characters a new line.
fn cut_at(line: &str, width: usize) -> String {
    let chars: Vec<char> = line.chars().collect();
    let pieces: Vec<String> = chars.chunks(width).map(|c| c.iter().collect()).collect();
    if pieces.is_empty() {
        String::new()
    } else {
        pieces.join("\n")
    }
}

/// A console's wrap at words: the wrapped line keeps its trailing space.
fn word_wrap(line: &str, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in line.split_inclusive(' ') {
        let n = word.chars().count();
        if col > 0 && col + n > width && !word.trim().is_empty() {
            out.push('\n');
            col = 0;
        }
        out.push_str(word);
        col += n;
    }
    out
}

fn json_of(text: &str) -> Value {
    use buildx_gantt::{analysis::Analysis, export::json, model::LogRetention, source::saved};
    let l = saved::load_from("log".into(), text.as_bytes(), LogRetention::default(), None).unwrap();
    let a = Analysis::of(&l.build, None);
    let mut v: Value = serde_json::from_str(&json::render("log", &l.build, &a)).unwrap();
    // Lines are numbered as in the file: a dressed log's numbers differ.
    v["diagnostics"] = Value::Null;
    v
}

#[test]
fn a_log_dressed_by_any_ci_reads_as_the_printers_own() {
    let hows = [
        "github",
        "gitlab",
        "jenkins",
        "codespaces",
        "coolify",
        "buildkite",
        "terminal",
        "powershell",
    ];
    let mut wrong = Vec::new();
    for log in clean_logs() {
        let text = std::fs::read_to_string(fixture(&log)).unwrap();
        let want = json_of(&text);
        for how in hows {
            if json_of(&dress(&text, how)) != want {
                wrong.push(format!("{log} as {how}"));
            }
        }
    }
    assert!(wrong.is_empty(), "reads differently: {wrong:?}");
}
