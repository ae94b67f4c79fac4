//! The stale cache, on real recordings (`tests/fixtures/stale/`, recorded on a private builder):
//! the workaround Dockerfile with an `ARG APPVER` step in stage-2, built once (the writer ran),
//! its cache mounts pruned, rebuilt with another APPVER (the writer `[builder 2/4]` a cache hit,
//! the reader `[stage-2 4/6]` ran and the build failed "modules missing"). Every reading of the
//! stale build — rawjson, plain, the build record — names the reader, the cache and the writer
//! that did not run, in every view; the first build names nothing of the kind.

mod common;

use common::*;
use serde_json::Value;

const STALE: [&str; 3] = [
    "stale/rawjson-stale.jsonl",
    "stale/plain-stale.log",
    "stale/stale.dockerbuild",
];

fn report(rel: &str, args: &[&str]) -> std::process::Output {
    let path = fixture(rel);
    let mut all = vec!["report", path.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&all, None)
}

fn json(rel: &str) -> Value {
    let out = report(rel, &["--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn step_name(j: &Value, id: &Value) -> String {
    let id = id.as_u64().unwrap() as usize;
    j["steps"][id]["name"].as_str().unwrap().to_string()
}

#[test]
fn every_reading_of_the_stale_build_names_reader_cache_and_the_writer_that_did_not_run() {
    for rel in STALE {
        let j = json(rel);
        let stale = j["stale_caches"].as_array().unwrap();
        assert_eq!(stale.len(), 1, "{rel}: {stale:?}");
        let s = &stale[0];
        assert_eq!(s["kind"], "stale-cache", "{rel}");
        assert_eq!(s["cache_id"], "demo.mods.v1", "{rel}");
        assert!(
            step_name(&j, &s["reader"]).starts_with("[stage-2 4/6] RUN --mount=type=cache"),
            "{rel}"
        );
        let writers = s["writers"].as_array().unwrap();
        assert_eq!(writers.len(), 1, "{rel}");
        assert!(
            step_name(&j, &writers[0]).starts_with("[builder 2/4] RUN --mount=type=cache"),
            "{rel}"
        );
        let w = writers[0].as_u64().unwrap() as usize;
        assert_eq!(
            j["steps"][w]["state"], "cached",
            "{rel}: the writer was a cache hit"
        );
        // The failure that followed is connected to it.
        assert!(
            step_name(&j, &s["failure"]).starts_with("[stage-2 6/6]"),
            "{rel}"
        );
        let explanation = s["explanation"].as_str().unwrap();
        assert!(
            explanation.contains("the failure is likely the empty cache"),
            "{rel}: {explanation}"
        );
        let fix = s["fix"].as_str().unwrap();
        assert!(fix.contains("COPY --from=builder"), "{rel}: {fix}");
        // Nothing orders nothing here: the workaround's marker orders the two steps.
        assert_eq!(j["hazards"].as_array().unwrap().len(), 0, "{rel}");

        let text = stdout(&report(rel, &["--color", "never", "--width", "100"]));
        assert!(
            text.contains("Stale cache (a cache mount is not a layer)"),
            "{rel}\n{text}"
        );
        assert!(
            text.contains(
                "∅ stale cache \"demo.mods.v1\": [stage-2 4/6] ran, its writer [builder 2/4] did not (a cache hit)"
            ),
            "{rel}\n{text}"
        );
        assert!(
            text.contains("∅ read a cache no step of this build filled"),
            "{rel}"
        );
        // The reader's row carries the marker.
        assert!(
            text.lines().any(|l| l.starts_with("∅   4/6 RUN --mount")),
            "{rel}\n{text}"
        );
    }
}

#[test]
fn the_first_build_where_the_writer_ran_names_nothing_of_the_kind() {
    for rel in ["stale/rawjson-first.jsonl", "stale/first.dockerbuild"] {
        let j = json(rel);
        assert_eq!(j["outcome"], "succeeded", "{rel}");
        assert_eq!(j["stale_caches"].as_array().unwrap().len(), 0, "{rel}");
        let text = stdout(&report(rel, &["--color", "never"]));
        assert!(
            !text.contains('∅') && !text.contains("Stale cache"),
            "{rel}\n{text}"
        );
        let check = report(rel, &["--check"]);
        assert_eq!(check.status.code(), Some(0), "{rel}: {}", stderr(&check));
    }
}

#[test]
fn a_warm_rebuild_that_passed_still_read_a_cache_nothing_filled() {
    // Rebuilt without a prune: the cache held an earlier build's files, so it passed; on a fresh
    // runner it would not have. The finding stands, with no failure to connect.
    let j = json("stale/rawjson-warm.jsonl");
    assert_eq!(j["outcome"], "succeeded");
    let s = &j["stale_caches"][0];
    assert_eq!(s["cache_id"], "demo.mods.v1");
    assert!(s["failure"].is_null());
    assert!(!s["explanation"]
        .as_str()
        .unwrap()
        .contains("likely the empty cache"));
}

#[test]
fn check_fails_on_a_stale_cache_and_says_why() {
    for (args, code) in [
        (&["--check"][..], 3),
        (&["--fail-on", "stale"][..], 3),
        (&["--fail-on", "hazard"][..], 3),
        (&["--fail-on", "overlap"][..], 1),
        (&["--fail-on", "never"][..], 1),
    ] {
        let out = report("stale/rawjson-stale.jsonl", args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        if code == 3 {
            let said = stderr(&out);
            assert!(said.contains("1 stale cache"), "{said}");
            assert!(said.contains("[stage-2 4/6]") && said.contains("[builder 2/4]"));
            assert!(
                said.contains("Fix: Pass the files through the stage"),
                "{said}"
            );
        }
    }
    // A build that passed on a warm cache fails the check all the same: a CI runner is not warm.
    let warm = report("stale/rawjson-warm.jsonl", &["--fail-on", "stale"]);
    assert_eq!(warm.status.code(), Some(3), "{}", stderr(&warm));
}

#[test]
fn markdown_html_svg_and_the_trace_say_it_too() {
    let dir = tmp_dir("stale-views");
    for (format, needle) in [
        ("markdown", "### Stale cache"),
        ("html", "Stale cache (a cache mount is not a layer)"),
        ("svg", "∅ stale cache"),
        ("trace", "\"cat\":\"stale cache\""),
    ] {
        let out = dir.join(format!("r.{format}"));
        let o = report(
            "stale/stale.dockerbuild",
            &["--format", format, "-o", out.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(needle), "{format}");
        assert!(
            text.contains("demo.mods.v1") && text.contains("[builder 2/4]"),
            "{format}"
        );
    }
}

#[test]
fn a_writer_the_progress_does_not_show_is_named_from_the_dockerfile() {
    // The stale build's recording without any sign of [builder 2/4]: the Dockerfile says stage-2
    // builds on builder, whose step 2/4 mounts the cache, and the build shows no such step.
    let text = std::fs::read_to_string(fixture("stale/rawjson-stale.jsonl")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(mut j) if j.is_object() => {
                if let Some(vs) = j["vertexes"].as_array_mut() {
                    vs.retain(|v| {
                        !v["name"]
                            .as_str()
                            .unwrap_or("")
                            .starts_with("[builder 2/4]")
                    });
                }
                out.push_str(&j.to_string());
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    let dir = tmp_dir("stale-absent");
    let rec = dir.join("no-writer.jsonl");
    std::fs::write(&rec, out).unwrap();
    let df = fixture("stale/Dockerfile");
    let o = run(
        &[
            "report",
            rec.to_str().unwrap(),
            "-f",
            df.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &j["stale_caches"][0];
    assert_eq!(s["writers"].as_array().unwrap().len(), 0, "{s}");
    assert_eq!(
        s["writers_absent"][0],
        "[builder 2/4] (line 14, not in this build)"
    );
    assert!(s["explanation"]
        .as_str()
        .unwrap()
        .contains("[builder 2/4] (line 14, not in this build), which fills it, did not run"));
    // Without the Dockerfile nothing says there was a writer.
    let o = run(&["report", rec.to_str().unwrap(), "--format", "json"], None);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["stale_caches"].as_array().unwrap().len(), 0);
}
