//! Many builds at once and the time of one: `report`'s "where the time went" (it adds up),
//! `--format trace` (Chrome trace events: nothing overlaps on a track), and `trends` over a pile
//! of real race builds (records, their logs, a zip of them, the builder's history).

mod common;

use common::*;
use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    let o = run(args, None);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The report's `time` of every kind of build adds up: busy + idle = wall, the kinds' seconds =
/// the steps' work, the steps' own times sum to the work, and a lock wait is not work.
#[test]
fn where_the_time_went_adds_up() {
    for rel in [
        "race/rawjson-fail.jsonl",
        "race/rawjson-pass.jsonl",
        "records/race-pass.dockerbuild",
        "records/race-fail.dockerbuild",
        "ctxchange/rawjson-rebuild.jsonl",
        "bake/rawjson-fail.jsonl",
        "seed/bug.log",
        "workaround/rawjson-docker-driver.jsonl",
    ] {
        let r = json_of(&["report", fixture(rel).to_str().unwrap(), "--format", "json"]);
        let t = &r["time"];
        let close = |a: f64, b: f64| (a - b).abs() < 1e-5;
        assert!(
            close(f(&t["busy"]) + f(&t["idle"]), f(&t["wall"])),
            "{rel}: {t}"
        );
        assert!(close(f(&t["wall"]), f(&r["duration"])), "{rel}: {t}");
        let kinds: f64 = t["by_kind"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| f(&k["seconds"]))
            .sum();
        assert!((kinds - f(&t["work"])).abs() < 1e-4, "{rel}: {t}");
        assert!(f(&t["busy"]) <= f(&t["work"]) + 1e-6, "{rel}: {t}");
        // Each step's own time (its active time less its lock wait) sums to the work.
        let steps: f64 = r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["state"] != "cached")
            .map(|s| f(&s["active"]) - s["lock_wait"].as_f64().unwrap_or(0.0))
            .sum();
        assert!(
            (steps - f(&t["work"])).abs() < 2e-3,
            "{rel}: {steps} vs {t}"
        );
        let p = f(&t["parallelism"]);
        assert!(
            close(p, f(&t["work"]) / f(&t["wall"]))
                || (p - f(&t["work"]) / f(&t["wall"])).abs() < 1e-4
        );
        let c = &r["counts"];
        assert_eq!(t["cached"], c["cached"], "{rel}");
    }
    // The rebuild: half its steps were cache hits, and the record's lock wait is counted apart.
    let r = json_of(&[
        "report",
        fixture("ctxchange/rawjson-rebuild.jsonl").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(f(&r["time"]["cache_hit_share"]), 0.5);
    let r = json_of(&[
        "report",
        fixture("records/race-pass.dockerbuild").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(f(&r["time"]["lock_wait"]) > 3.0, "{}", r["time"]);
    let kinds: Vec<&str> = r["time"]["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["run", "copy", "internal"]);
    // The text report says it.
    let o = run(
        &[
            "report",
            fixture("records/race-pass.dockerbuild").to_str().unwrap(),
        ],
        None,
    );
    let text = stdout(&o);
    let at = text.find("Where the time went").expect("the section");
    let section = &text[at..];
    assert!(section.contains("wall time 3.74s"), "{section}");
    assert!(section.contains("× parallel"), "{section}");
    assert!(section.contains("RUN "), "{section}");
    assert!(
        section.contains("steps waited 3.18s for locked caches"),
        "{section}"
    );
}

/// `report --format trace`: one process per stage (and one for BuildKit's own steps), steps as
/// complete events on tracks where nothing overlaps (a lock wait nests inside its step), cache
/// hits, hazards and lock waits as instants.
#[test]
fn the_trace_has_a_process_per_stage_and_no_overlap_on_a_track() {
    for rel in [
        "race/rawjson-fail.jsonl",
        "records/race-pass.dockerbuild",
        "ctxchange/rawjson-rebuild.jsonl",
        "bake/rawjson-fail.jsonl",
        "multiplat/rawjson.jsonl",
        "seed/bug.log",
        "chatty/rawjson.jsonl",
    ] {
        let t = json_of(&[
            "report",
            fixture(rel).to_str().unwrap(),
            "--format",
            "trace",
        ]);
        let events = t["traceEvents"].as_array().unwrap();
        let mut slices: Vec<(u64, u64, f64, f64, bool)> = Vec::new();
        for e in events {
            match e["ph"].as_str().unwrap() {
                "X" => {
                    let (ts, dur) = (f(&e["ts"]), f(&e["dur"]));
                    assert!(ts >= 0.0 && dur >= 0.0, "{rel}: {e}");
                    let nested = e["cat"] == "lock wait";
                    slices.push((
                        e["pid"].as_u64().unwrap(),
                        e["tid"].as_u64().unwrap(),
                        ts,
                        ts + dur,
                        nested,
                    ));
                }
                "M" | "i" => {}
                other => panic!("{rel}: event {other}"),
            }
        }
        let mut own: Vec<_> = slices.iter().filter(|s| !s.4).collect();
        own.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        for w in own.windows(2) {
            if (w[0].0, w[0].1) == (w[1].0, w[1].1) {
                assert!(w[1].2 >= w[0].3 - 1e-3, "{rel}: overlap on a track: {w:?}");
            }
        }
        for n in slices.iter().filter(|s| s.4) {
            assert!(
                own.iter()
                    .any(|o| (o.0, o.1) == (n.0, n.1) && o.2 <= n.2 + 1e-3 && n.3 <= o.3 + 1e-3),
                "{rel}: a lock wait outside its step: {n:?}"
            );
        }
        let report = json_of(&["report", fixture(rel).to_str().unwrap(), "--format", "json"]);
        let names: Vec<&str> = events
            .iter()
            .filter(|e| e["name"] == "process_name")
            .map(|e| e["args"]["name"].as_str().unwrap())
            .collect();
        for s in report["stages"].as_array().unwrap() {
            let want = format!("stage {}", s["name"].as_str().unwrap());
            assert!(names.contains(&want.as_str()), "{rel}: {want} in {names:?}");
        }
        // Every step is there: its runs as slices, or an instant for a cache hit.
        for s in report["steps"].as_array().unwrap() {
            if s["state"] == "waiting" {
                continue;
            }
            assert!(
                events.iter().any(|e| e["name"] == s["name"]),
                "{rel}: {}",
                s["name"]
            );
        }
        let hazards = events
            .iter()
            .filter(|e| e["cat"] == "cache hazard" && e["ph"] == "i")
            .count();
        let said = report["hazards"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| !h["first"].is_null())
            .count();
        assert_eq!(hazards, said, "{rel}");
    }
    // A build record's lock wait: a slice inside the waiting step, and an instant that says it.
    let t = json_of(&[
        "report",
        fixture("records/race-pass.dockerbuild").to_str().unwrap(),
        "--format",
        "trace",
    ]);
    let events = t["traceEvents"].as_array().unwrap();
    let wait = events
        .iter()
        .find(|e| e["cat"] == "lock wait" && e["ph"] == "X")
        .expect("the wait as a slice");
    assert_eq!(
        wait["name"],
        "waiting for cache demo.mods.v1 (locked, held by [builder 2/3])"
    );
    assert!((f(&wait["dur"]) / 1e6 - 3.085).abs() < 0.01, "{wait}");
    assert!(events.iter().any(|e| e["ph"] == "i"
        && e["name"]
            .as_str()
            .unwrap()
            .starts_with("[stage-2 2/4] waited 3.09s for cache demo.mods.v1")));
    assert!(events.iter().any(|e| e["ph"] == "i"
        && e["name"]
            .as_str()
            .unwrap()
            .contains("[builder 2/3] took the cache first")));
    assert_eq!(t["otherData"]["outcome"], "succeeded");
    // A rebuild's cache hits are instants.
    let t = json_of(&[
        "report",
        fixture("ctxchange/rawjson-rebuild.jsonl").to_str().unwrap(),
        "--format",
        "trace",
    ]);
    let hits = t["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cat"] == "cache hit")
        .count();
    assert_eq!(hits, 5);
}
