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
        // Only steps with a cache mount wait for a lock (the record's other steps' few ms
        // before their containers are made is preparing their mounts).
        section.contains("steps waited 3.10s for locked caches"),
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

/// What `report` says of each build of a folder: (outcome, who took each cache first, whether
/// the record's trace proves it), one build at a time — what `trends` must add up.
/// The files of a folder, by name.
fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// One build as `report` says it: its outcome, (cache, who took it first) for each shared cache,
/// and whether its record's trace proves them.
type Said = (String, Vec<(String, String)>, bool);

fn one_by_one(dir: &std::path::Path) -> Vec<Said> {
    let files = files_in(dir);
    files
        .iter()
        .map(|p| {
            let r = json_of(&["report", p.to_str().unwrap(), "--format", "json"]);
            let steps = r["steps"].as_array().unwrap();
            let short = |id: &Value| {
                let name = steps[id.as_u64().unwrap() as usize]["name"]
                    .as_str()
                    .unwrap();
                name[..=name.find(']').unwrap()].to_string()
            };
            let hazards = r["hazards"].as_array().unwrap();
            let firsts = hazards
                .iter()
                .map(|h| {
                    (
                        h["cache_id"].as_str().unwrap().to_string(),
                        short(&h["first"]),
                    )
                })
                .collect();
            let proven = hazards.iter().all(|h| {
                h["explanation"]
                    .as_str()
                    .unwrap()
                    .contains("The build record's trace proves it")
            });
            (r["outcome"].as_str().unwrap().to_string(), firsts, proven)
        })
        .collect()
}

/// `trends --format json` of these sources.
fn trends(sources: &[&str]) -> Value {
    let mut args = vec!["trends", "--format", "json"];
    args.extend_from_slice(sources);
    let o = run(&args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The pile's counts, as `trends` says them and as the builds say them one by one.
fn assert_counts(t: &Value, each: &[Said], proven: bool) {
    let n = each.len();
    let failed = each.iter().filter(|b| b.0 == "failed").count();
    assert_eq!(t["builds"], n);
    assert_eq!(t["failed"], failed);
    assert_eq!(
        t["cancelled"],
        each.iter().filter(|b| b.0 == "cancelled").count()
    );
    let h = &t["hazards"][0];
    assert_eq!(h["cache"], "demo.mods.v1");
    assert_eq!(t["hazards"].as_array().unwrap().len(), 1);
    for who in ["[stage-2 2/4]", "[builder 2/3]"] {
        let first: Vec<&Said> = each.iter().filter(|b| b.1[0].1 == who).collect();
        assert_eq!(h["first"][who], first.len(), "{who}: {h}");
        let lost = first.iter().filter(|b| b.0 == "failed").count();
        assert_eq!(h["failed_when_first"][who], lost, "{who}: {h}");
    }
    assert_eq!(h["builds"], n);
    let traced = each.iter().filter(|b| b.2).count();
    assert_eq!(h["proven"], if proven { traced } else { 0 }, "{h}");
    // Each step ran in every build (none was a cache hit: the cache was emptied before each).
    let steps = t["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 11, "{steps:?}");
    for s in steps {
        assert_eq!(s["runs"], n, "{s}");
        assert_eq!(s["cached"], 0, "{s}");
        assert!(
            s["median"].as_f64().unwrap() > 0.0
                && s["p90"].as_f64().unwrap() >= s["median"].as_f64().unwrap()
        );
        assert_eq!(s["series"].as_array().unwrap().len(), n);
    }
    let builder = steps
        .iter()
        .find(|s| s["name"].as_str().unwrap().starts_with("[builder 2/3]"))
        .unwrap();
    assert!(
        (builder["median"].as_f64().unwrap() - 3.1).abs() < 0.2,
        "its sleep 3: {builder}"
    );
    // With a trace the writer is on every build's critical path (the reader waited for its
    // lock as for an input); a log cannot tell that wait from work.
    if proven {
        assert_eq!(builder["critical"], n, "{builder}");
    }
}

/// The committed pile: 20 cold builds of the race on a private builder, a record and a log of
/// each. From the records, the first-takers are the traces' (who held the lock), and the race is
/// proven from history: the reader took the cache first in 11 builds and all 11 failed.
#[test]
fn trends_of_the_race_pile_from_records_logs_and_zips() {
    let records = fixture("trends/records");
    let each = one_by_one(&records);
    assert!(each.iter().all(|b| b.2), "every record has its trace");
    let t = trends(&[records.to_str().unwrap()]);
    assert_counts(&t, &each, true);
    // The pile as recorded (see tests/fixtures/README.md).
    assert_eq!(
        (t["builds"].as_u64(), t["failed"].as_u64()),
        (Some(20), Some(11))
    );
    assert_eq!(t["hazards"][0]["first"]["[stage-2 2/4]"], 11);
    assert_eq!(t["hazards"][0]["failed_when_first"]["[stage-2 2/4]"], 11);
    assert_eq!(t["hazards"][0]["first"]["[builder 2/3]"], 9);
    assert_eq!(t["hazards"][0]["failed_when_first"]["[builder 2/3]"], 0);
    // Their logs, as buildx printed them live: the same counts, from the order of the steps.
    let logs = fixture("trends/logs");
    let from_logs = one_by_one(&logs);
    let lt = trends(&[logs.to_str().unwrap()]);
    assert_counts(&lt, &from_logs, false);
    assert_eq!(lt["hazards"][0]["first"], t["hazards"][0]["first"]);
    assert_eq!(
        lt["hazards"][0]["failed_when_first"],
        t["hazards"][0]["failed_when_first"]
    );
    // A zip of the logs (`zip -r logs.zip logs`), and a zip of the records written here.
    let zt = trends(&[fixture("trends/logs.zip").to_str().unwrap()]);
    assert_counts(&zt, &from_logs, false);
    let zipped = tmp_dir("trends-zip").join("records.zip");
    write_zip(&zipped, &records);
    let rz = trends(&[zipped.to_str().unwrap()]);
    assert_counts(&rz, &each, true);
    // Records and their logs in one folder: each build once, read from its record.
    let both = tmp_dir("trends-both");
    for dir in [&records, &logs] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            std::fs::copy(e.path(), both.join(e.file_name())).unwrap();
        }
    }
    let bt = trends(&[both.to_str().unwrap()]);
    assert_counts(&bt, &each, true);
    // The builds, oldest first: the same order from records and from logs.
    let refs = |t: &Value| -> Vec<String> {
        t["build_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(refs(&t), refs(&lt));
    assert!(
        t["build_list"][0]["reference"].is_string() && lt["build_list"][0]["reference"].is_null()
    );
}

/// A pile held out of the committed order: any twelve of the records, four of them failed, say
/// what they say one by one.
#[test]
fn trends_of_any_twelve_records_adds_them_up() {
    let records = fixture("trends/records");
    let each = one_by_one(&records);
    let files = files_in(&records);
    let (fail, pass): (Vec<usize>, Vec<usize>) =
        (0..files.len()).partition(|&i| each[i].0 == "failed");
    let pick: Vec<usize> = fail
        .iter()
        .rev()
        .take(4)
        .chain(pass.iter().take(8))
        .copied()
        .collect();
    let dir = tmp_dir("trends-twelve");
    for &i in &pick {
        std::fs::copy(&files[i], dir.join(files[i].file_name().unwrap())).unwrap();
    }
    let picked: Vec<_> = {
        let mut v = pick.clone();
        v.sort();
        v.iter().map(|&i| each[i].clone()).collect()
    };
    let t = trends(&[dir.to_str().unwrap()]);
    assert_counts(&t, &picked, true);
    assert_eq!(t["builds"], 12);
    assert_eq!(t["failed"], 4);
    // The files given one by one say the same.
    let paths: Vec<String> = pick
        .iter()
        .map(|&i| files[i].to_string_lossy().into_owned())
        .collect();
    let given: Vec<&str> = paths.iter().map(String::as_str).collect();
    assert_eq!(trends(&given)["hazards"], t["hazards"]);
}

/// A zip of the files of `dir` (deflate), as an Actions artifact download is.
fn write_zip(path: &std::path::Path, dir: &std::path::Path) {
    use std::io::Write;
    let files = files_in(dir);
    let (mut out, mut central) = (Vec::new(), Vec::new());
    let count = files.len() as u16;
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let name = format!("artifact/{}", f.file_name().unwrap().to_string_lossy());
        let mut crc = flate2::Crc::new();
        crc.update(&data);
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&data).unwrap();
        let packed = z.finish().unwrap();
        let offset = out.len() as u32;
        let mut head = Vec::new();
        head.extend_from_slice(b"PK\x03\x04");
        head.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        head.extend_from_slice(&crc.sum().to_le_bytes());
        head.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        head.extend_from_slice(&(data.len() as u32).to_le_bytes());
        head.extend_from_slice(&(name.len() as u16).to_le_bytes());
        head.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&head);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&[20, 0]);
        central.extend_from_slice(&head[4..]);
        central.extend_from_slice(&[0; 10]); // comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    std::fs::write(path, out).unwrap();
}

/// The same pile as text (the race sentence, a table, sparklines), Markdown and one HTML page
/// (a bar per build, the failed ones red; the JSON embedded).
#[test]
fn trends_text_markdown_and_html_say_the_race() {
    let records = fixture("trends/records");
    let dir = records.to_str().unwrap();
    let sentence = "[stage-2 2/4] took demo.mods.v1 first in 11 of 20 builds, and all 11 failed; [builder 2/3] first in 9, none failed";
    let o = run(&["trends", dir, "--width", "400"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("20 builds: 11 failed, 0 cancelled; wall time median"),
        "{text}"
    );
    assert!(text.contains(sentence), "{text}");
    assert!(
        text.contains("proven by the build records' traces in all 20"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("[builder 2/3] RUN"))
        .expect("its row");
    assert!(
        row.split_whitespace()
            .any(|w| w.chars().count() == 20 && w.chars().all(|c| "▁▂▃▄▅▆▇█".contains(c))),
        "a sparkline of its 20 runs: {row}"
    );
    assert!(
        text.contains("Failed builds (11)") && text.contains("11 × [stage-2 4/4] failed"),
        "{text}"
    );
    let md = stdout(&run(&["trends", dir, "--format", "markdown"], None));
    assert!(md.starts_with("## Build trends: "), "{md}");
    assert!(
        md.contains("\\[stage-2 2/4\\] took demo.mods.v1 first in 11 of 20 builds"),
        "{md}"
    );
    assert!(
        md.contains("| step | runs | cached | median | p90 | critical | trend |"),
        "{md}"
    );
    let page = tmp_dir("trends-html").join("trends.html");
    let o = run(
        &[
            "trends",
            dir,
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<rect class=\"fail\"").count(), 11);
    assert_eq!(html.matches("<rect class=\"pass\"").count(), 9);
    assert!(
        html.contains(&sentence.replace('\'', "&#39;")) || html.contains(sentence),
        "{html}"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    let data = html
        .split("id=\"trends\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let v: Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["failed"], 11);
}

/// Bad input is data: what cannot be read is skipped and said; nothing readable is exit 2.
#[test]
fn trends_skips_what_it_cannot_read_and_says_why() {
    let o = run(&["trends", "/nonexistent/pile"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/pile: no such file or folder"),
        "{}",
        stderr(&o)
    );
    let o = run(&["trends"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--builder NAME"), "{}", stderr(&o));
    let empty = tmp_dir("trends-empty");
    std::fs::write(empty.join("notes.txt"), "hello").unwrap();
    let o = run(&["trends", empty.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no builds in"), "{}", stderr(&o));
    // Garbage among real builds: the builds are read, the garbage named.
    let dir = tmp_dir("trends-garbage");
    for i in 1..=3 {
        let f = format!("run-00{i}.dockerbuild");
        std::fs::copy(fixture("trends/records").join(&f), dir.join(&f)).unwrap();
    }
    std::fs::write(dir.join("broken.dockerbuild"), b"\x1f\x8b\x08\0garbage").unwrap();
    std::fs::write(
        dir.join("random.jsonl"),
        [0u8, 1, 2, 3, 255, 254].repeat(1000),
    )
    .unwrap();
    std::fs::write(dir.join("cut.zip"), b"PK\x03\x04 not really").unwrap();
    let o = run(&["trends", dir.to_str().unwrap(), "--format", "json"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(t["builds"], 3);
    let skipped = t["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    for name in ["broken.dockerbuild", "random.jsonl", "cut.zip"] {
        assert!(
            skipped.iter().any(|s| s.as_str().unwrap().contains(name)),
            "{name}: {skipped:?}"
        );
        assert!(stderr(&o).contains(name), "{}", stderr(&o));
    }
    // Nothing readable at all.
    std::fs::remove_file(dir.join("run-001.dockerbuild")).unwrap();
    std::fs::remove_file(dir.join("run-002.dockerbuild")).unwrap();
    std::fs::remove_file(dir.join("run-003.dockerbuild")).unwrap();
    let o = run(&["trends", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("none of the"), "{}", stderr(&o));
}
