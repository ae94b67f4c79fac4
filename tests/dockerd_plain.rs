//! The live plain fallback against a real Docker daemon: where `docker buildx` is missing,
//! `buildx-gantt Dockerfile` runs `DOCKER_BUILDKIT=1 docker build --progress=plain` and reads its
//! output as it arrives. Needs a daemon and a docker CLI with the classic BuildKit builder
//! (Debian's docker.io, /usr/bin/docker 20.10); `.ci/run` provides both and sets
//! BUILDX_GANTT_REQUIRE (engine or all), which turns a missing daemon into a failure instead of a skip.

mod common;

use std::process::Stdio;

use buildx_gantt::analysis::Analysis;
use common::builders::{hold, Use};
use common::engine::*;
use common::*;

#[test]
fn without_buildx_a_real_plain_build_is_charted_from_arrival_times() {
    let Some(cli) =
        engine_or_skip("without_buildx_a_real_plain_build_is_charted_from_arrival_times")
    else {
        return;
    };
    // The daemon's cache must stay as the build leaves it while it runs.
    let _builder = hold(&[("default", Use::Build)]);
    let ctx = context_of("race", "dockerd-plain");
    let rec = ctx.join("build.log");
    let cache_id = unique("plain");
    let out = bin()
        .args([
            "--engine",
            "cli",
            "--docker",
            &cli,
            "--record",
            rec.to_str().unwrap(),
            ctx.join("Dockerfile").to_str().unwrap(),
            ctx.to_str().unwrap(),
            "--",
            "--no-cache",
            "--build-arg",
            &format!("CACHE_ID={cache_id}"),
        ])
        .env("COLUMNS", "120")
        .env("DOCKER_CONFIG", no_plugins_config())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (so, se) = (stdout(&out), stderr(&out));
    // The race: either outcome, but it is the build's own exit code.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{se}\n{so}");
    assert!(se.contains("is not available"), "{se}");
    assert!(se.contains("DOCKER_BUILDKIT=1"), "{se}");

    // What was charted is what the recording says: the same steps as the recorded fixture, the
    // durations the printer gave, the hazard on our cache id.
    let df = buildx_gantt::dockerfile::Dockerfile::parse(
        &std::fs::read_to_string(ctx.join("Dockerfile")).unwrap(),
        &[("CACHE_ID".into(), cache_id.clone())],
    );
    let live_text = std::fs::read_to_string(&rec).unwrap();
    // The step is there with its time; its number is whichever order dockerd started it in
    // (`[internal] load .dockerignore` runs at the same moment and may take #1).
    let number = live_text
        .lines()
        .find_map(|l| l.strip_suffix(" [internal] load build definition from Dockerfile"))
        .unwrap_or_else(|| panic!("no [internal] load build definition:\n{live_text}"));
    assert!(
        number.starts_with('#') && number[1..].parse::<u32>().is_ok(),
        "{number}: {live_text}"
    );
    assert!(
        live_text
            .lines()
            .any(|l| l.starts_with(&format!("{number} DONE ")) && l.ends_with('s')),
        "{number} has no DONE time:\n{live_text}"
    );
    let (_, fixture_a) = analyse("race/rawjson-fail.jsonl");
    let l = buildx_gantt::source::saved::load(rec.to_str().unwrap(), Default::default(), Some(&df))
        .unwrap();
    let a = Analysis::of(&l.build, Some(&df));
    assert_eq!(
        dockerfile_steps(&a, &cache_id),
        dockerfile_steps(&fixture_a, &cache_id)
    );
    assert_eq!(a.hazards.len(), 1, "{so}");
    assert_eq!(a.hazards[0].cache_id, cache_id);
    assert!(so.contains(&format!("cache \"{cache_id}\"")), "{so}");
    assert!(
        so.contains("HAZARD"),
        "the headless narration says it as it happens: {so}"
    );
    // The live estimates (the narration, as the build ran) give each step its printed duration.
    let narrated = |name: &str| -> Option<f64> {
        let line = so
            .lines()
            .find(|l| l.contains(" done ") && l.contains(name))?;
        let d = line.rsplit_once(" (")?.1.trim_end_matches(')');
        if let Some(ms) = d.strip_suffix("ms") {
            ms.parse::<f64>().ok().map(|v| v / 1000.0)
        } else {
            d.trim_end_matches('s').parse().ok()
        }
    };
    let mut checked = 0;
    for line in live_text.lines() {
        let Some((n, d)) = line.split_once(" DONE ") else {
            continue;
        };
        let secs: f64 = d.trim_end_matches('s').parse().unwrap();
        let header = live_text
            .lines()
            .find(|l| l.starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("no header for {n}"));
        let name = &header[n.len() + 1..];
        if let Some(got) = narrated(name) {
            let want = if secs == 0.0 { 0.025 } else { secs };
            assert!(
                (got - want).abs() <= 0.051,
                "{name}: {got} s live, DONE {secs} s\n{so}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "{so}");
    // Nothing of the build is left running: no process names our cache id (the build's
    // `docker build … --build-arg CACHE_ID=…`).
    let left = processes_mentioning(&cache_id);
    assert!(left.is_empty(), "{left:?}");
}
