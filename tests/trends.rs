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
