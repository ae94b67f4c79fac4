//! Build records (`.dockerbuild`, `docker buildx history export --finalize`): read as their live
//! builds were, the trace's lock waits proving who held the cache, and damaged or hostile bundles
//! refused with a clear message.

mod common;

use std::collections::BTreeMap;
use std::io::Write;

use buildx_gantt::analysis::Analysis;
use common::bombs::{self, blob_of};
use common::{analyse, fixture, run, stderr, stdout, step, tmp_dir};

/// The facts a correct reading must find, the same from the record as from the live rawjson.
fn same_build(record: &str, live: &str) {
    let (rb, ra) = analyse(record);
    let (lb, la) = analyse(live);
    // BuildKit's record has its own steps; the live stream adds buildx's client-side ones
    // (`resolving provenance for metadata file`).
    let names = |a: &Analysis| {
        let mut n: Vec<String> = a
            .steps
            .iter()
            .filter(|s| s.name().starts_with('['))
            .map(|s| s.name().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&ra), names(&la));
    assert_eq!(rb.failed(), lb.failed());
    assert_eq!(ra.hazards.len(), la.hazards.len());
    assert_eq!(ra.overlaps.len(), la.overlaps.len());
}

#[test]
fn a_passing_record_reads_as_its_live_build_and_proves_the_writer_held_the_lock() {
    same_build(
        "records/race-pass.dockerbuild",
        "records/race-pass.rawjson.jsonl",
    );
    let (_, a) = analyse("records/race-pass.dockerbuild");
    let (builder, reader) = (step(&a, "[builder 2/3]"), step(&a, "[stage-2 2/4]"));
    let wait = a.steps[reader].lock_wait() as f64 / 1e9;
    assert!((3.0..3.2).contains(&wait), "waited {wait}");
    assert!(a.steps[builder].lock_wait() < 100_000_000);
    assert_eq!(a.hazards[0].first, Some(builder));
    let path = fixture("records/race-pass.dockerbuild");
    let out = run(&["report", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out).replace("\n    ", " ");
    assert!(
        text.contains(
            "[stage-2 2/4] waited 3.09s for cache \"demo.mods.v1\", held by [builder 2/3]"
        ),
        "{text}"
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn a_failing_record_exits_1_and_proves_the_reader_took_the_cache_first() {
    same_build(
        "records/race-fail.dockerbuild",
        "records/race-fail.rawjson.jsonl",
    );
    let (b, a) = analyse("records/race-fail.dockerbuild");
    assert!(b.failed());
    let (builder, reader) = (step(&a, "[builder 2/3]"), step(&a, "[stage-2 2/4]"));
    let wait = a.steps[builder].lock_wait() as f64 / 1e9;
    assert!((0.2..0.3).contains(&wait), "waited {wait}");
    assert_eq!(a.hazards[0].first, Some(reader));
    let path = fixture("records/race-fail.dockerbuild");
    let out = run(
        &["report", path.to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["outcome"], "failed");
    let waits: BTreeMap<String, f64> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| Some((s["name"].as_str()?.to_string(), s["lock_wait"].as_f64()?)))
        .collect();
    let builder_wait = waits.iter().find(|(n, _)| n.starts_with("[builder 2/3]"));
    assert!(
        builder_wait.is_some_and(|(_, w)| (0.2..0.3).contains(w)),
        "{waits:?}"
    );
}

#[test]
fn red_leaves_out_the_time_a_step_waited_for_the_lock() {
    let (_, live) = analyse("records/race-pass.rawjson.jsonl");
    let (_, rec) = analyse("records/race-pass.dockerbuild");
    let pair_time = |a: &Analysis| {
        let (b, r) = (step(a, "[builder 2/3]"), step(a, "[stage-2 2/4]"));
        a.overlaps
            .iter()
            .flat_map(|o| &o.pairs)
            .filter(|p| p.step == r && p.source_step == b)
            .map(|p| p.duration())
            .sum::<i64>()
    };
    // Live, the two "ran" together for ~3 s; the trace shows [stage-2 2/4] was waiting for the
    // lock [builder 2/3] held, so they hardly executed together at all.
    assert!(pair_time(&live) > 2_500_000_000, "{}", pair_time(&live));
    assert!(pair_time(&rec) < 200_000_000, "{}", pair_time(&rec));
}

#[test]
fn list_and_ref_pick_a_record_and_a_wrong_ref_is_a_clear_error() {
    let path = fixture("records/race-pass.dockerbuild");
    let p = path.to_str().unwrap();
    let out = run(&["report", p, "--list"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("7yc0yiq36agy82xvf1rkyhbec  history  completed in 3.7s"),
        "{}",
        stdout(&out)
    );
    let out = run(&["report", p, "--ref", "7yc0"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&["report", p, "--ref", "nope"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no record nope in it (it has 7yc0yiq36agy82xvf1rkyhbec)"),
        "{}",
        stderr(&out)
    );
    let log = fixture("records/race-pass.rawjson.jsonl");
    let out = run(&["report", log.to_str().unwrap(), "--list"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a build record"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_record_reads_from_stdin_and_replays() {
    let bytes = std::fs::read(fixture("records/race-fail.dockerbuild")).unwrap();
    let out = run(&["report", "-"], Some(&bytes));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("held by [stage-2 2/4]"));
    let path = fixture("records/race-fail.dockerbuild");
    let out = run(&["replay", "--instant", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("held by [stage-2 2/4]"),
        "{}",
        stdout(&out)
    );
}

/// The fixture's files, to rebuild damaged bundles from.
fn unpacked(rel: &str) -> Vec<(String, Vec<u8>)> {
    bombs::files_of(&fixture(rel))
}

fn report_of(bytes: &[u8], name: &str) -> std::process::Output {
    let dir = tmp_dir(name);
    let path = dir.join("damaged.dockerbuild");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    run(&["report", path.to_str().unwrap()], None)
}

fn refused(out: &std::process::Output, words: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    assert!(stderr(out).contains(words), "{}", stderr(out));
    assert!(!stderr(out).contains("panicked"), "{}", stderr(out));
}

#[test]
fn damaged_bundles_are_refused_with_a_clear_message() {
    let whole = std::fs::read(fixture("records/race-pass.dockerbuild")).unwrap();
    refused(
        &report_of(&whole[..whole.len() / 2], "truncated"),
        "not a readable build record",
    );
    let files = unpacked("records/race-pass.dockerbuild");
    let logs = blob_of(&files, "logs");
    let bad_len: Vec<_> = files
        .iter()
        .map(|(p, b)| {
            let mut b = b.clone();
            if *p == logs {
                b[..4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
            }
            (p.clone(), b)
        })
        .collect();
    refused(
        &report_of(&bombs::bundle(&bad_len), "badlen"),
        "the progress blob has a frame of 2147483647 bytes",
    );
    let trace = blob_of(&files, "trace");
    let bad_trace: Vec<_> = files
        .iter()
        .map(|(p, b)| {
            (
                p.clone(),
                if *p == trace {
                    b"not json".to_vec()
                } else {
                    b.clone()
                },
            )
        })
        .collect();
    refused(
        &report_of(&bombs::bundle(&bad_trace), "badtrace"),
        "the record's trace is not a stream of spans",
    );
    let no_index: Vec<_> = files
        .iter()
        .filter(|(p, _)| p != "index.json")
        .cloned()
        .collect();
    refused(
        &report_of(&bombs::bundle(&no_index), "noindex"),
        "no index.json in it",
    );
}

#[test]
fn a_record_without_a_trace_reads_and_says_what_it_lacks() {
    let files = unpacked("records/race-pass.dockerbuild");
    let trace = blob_of(&files, "trace");
    let without: Vec<_> = files.iter().filter(|(p, _)| *p != trace).cloned().collect();
    let out = report_of(&bombs::bundle(&without), "notrace");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("no trace in it"), "{}", stderr(&out));
    assert!(stdout(&out).contains("[builder 2/3] took the cache first"));
}

#[test]
fn a_tar_entry_claiming_10_gb_is_refused_at_once() {
    let mut h = tar::Header::new_gnu();
    h.set_path("blobs/sha256/aaaa").unwrap();
    h.set_size(10 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(h.as_bytes()).unwrap();
    gz.write_all(&[0u8; 4096]).unwrap();
    let bytes = gz.finish().unwrap();
    // (A hang guard, not a speed check: refusing takes no time; making room for 10 GB would.)
    let started = std::time::Instant::now();
    refused(&report_of(&bytes, "huge"), "claims 10737418240 bytes");
    assert!(started.elapsed() < common::HANG_GUARD);
}

/// The text report's row of a step, by the start of its label.
fn row_of<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no row {label} in\n{text}"))
}

#[test]
fn a_lock_wait_is_drawn_said_and_counted_on_the_critical_path() {
    let path = fixture("records/race-fail.dockerbuild");
    let out = run(
        &[
            "report",
            path.to_str().unwrap(),
            "--color",
            "never",
            "--width",
            "100",
        ],
        None,
    );
    let text = stdout(&out);
    // The waiter's bar opens with its wait, in its own glyph; the holder's has none.
    assert!(row_of(&text, "2/3 RUN --mount").contains('╌'), "{text}");
    assert!(!row_of(&text, "2/4 RUN --mount").contains('╌'), "{text}");
    assert!(text.contains("╌ waited for a locked cache"), "{text}");
    assert!(
        text.contains("Lock waits (from the build record's trace)\n  [builder 2/3] waited 0.24s for cache demo.mods.v1, held by [stage-2 2/4], then ran"),
        "{text}"
    );
    // [builder 2/3] waited for [stage-2 2/4]: the path runs through the holder.
    let (_, a) = analyse("records/race-fail.dockerbuild");
    let cp = a.critical_path.as_ref().unwrap();
    let (builder, reader) = (step(&a, "[builder 2/3]"), step(&a, "[stage-2 2/4]"));
    let at = |id| cp.steps.iter().position(|&s| s == id);
    assert!(
        at(reader).unwrap() + 1 == at(builder).unwrap(),
        "{:?}",
        cp.steps
    );
    let json = run(
        &["report", path.to_str().unwrap(), "--format", "json"],
        None,
    );
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(r["lock_waits"].as_array().unwrap().len(), 1);
    assert_eq!(r["lock_waits"][0]["step"], builder);
    assert_eq!(r["lock_waits"][0]["holder"], reader);
    assert_eq!(r["lock_waits"][0]["cache"], "demo.mods.v1");
}

#[test]
fn a_rawjson_log_has_no_lock_waits_to_draw() {
    let path = fixture("records/race-fail.rawjson.jsonl");
    let out = run(
        &["report", path.to_str().unwrap(), "--color", "never"],
        None,
    );
    let text = stdout(&out);
    assert!(
        !text.contains('╌') && !text.contains("Lock waits"),
        "{text}"
    );
}

#[test]
fn svg_and_html_draw_the_wait_and_name_it() {
    let path = fixture("records/race-pass.dockerbuild");
    for format in ["svg", "html"] {
        let out = run(
            &["report", path.to_str().unwrap(), "--format", format],
            None,
        );
        let doc = stdout(&out);
        assert!(doc.contains(r#"class="wait""#), "{format}: no wait bar");
        assert!(
            doc.contains("waited for a locked cache"),
            "{format}: no legend"
        );
    }
    let out = run(
        &["report", path.to_str().unwrap(), "--format", "html"],
        None,
    );
    assert!(stdout(&out)
        .contains("[stage-2 2/4] waited 3.09s for cache demo.mods.v1, held by [builder 2/3]"));
}

#[test]
fn a_zip_around_a_record_reads_as_the_record_from_a_file_or_stdin() {
    let plain = run(
        &[
            "report",
            fixture("records/race-pass.dockerbuild").to_str().unwrap(),
        ],
        None,
    );
    // A streamed zip (sizes after the data, as CI artifacts are written), and a stored one with
    // another file before the record.
    for zip in [
        "records/race-pass-artifact.zip",
        "records/race-pass-stored.zip",
    ] {
        let path = fixture(zip);
        let out = run(&["report", path.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{zip}: {}", stderr(&out));
        let body =
            |o: &std::process::Output| stdout(o).lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(body(&out), body(&plain), "{zip}");
        let bytes = std::fs::read(&path).unwrap();
        let out = run(&["report", "-", "--list"], Some(&bytes));
        assert!(
            stdout(&out).contains("completed"),
            "{zip}: {}",
            stderr(&out)
        );
    }
    let out = run(
        &["report", fixture("records/no-record.zip").to_str().unwrap()],
        None,
    );
    refused(&out, "no .dockerbuild in the zip");
    let mut cut = std::fs::read(fixture("records/race-pass-artifact.zip")).unwrap();
    cut.truncate(cut.len() / 2);
    refused(&report_of(&cut, "half-zip"), "not a readable build record");
}

#[test]
fn a_bake_bundle_holds_each_target_and_ref_picks_one() {
    // Recorded here: `buildx-gantt bake --no-cache` of tests/fixtures/bake on buildkit-remote,
    // whose api target lost the race (a live bake keeps both targets' records in one bundle).
    let path = fixture("records/bake-api-failed.dockerbuild");
    let p = path.to_str().unwrap();
    let list = stdout(&run(&["report", p, "--list"], None));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let (api, worker) = (
        lines.iter().find(|l| l.contains("  api  failed")).unwrap(),
        lines
            .iter()
            .find(|l| l.contains("  worker  completed"))
            .unwrap(),
    );
    let reference = |l: &str| l.split_whitespace().next().unwrap()[..6].to_string();
    let out = run(&["report", p, "--ref", &reference(api)], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("build record") && stdout(&out).contains("(api)"));
    let out = run(&["report", p, "--ref", &reference(worker)], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Default: the latest, said on stderr.
    let out = run(&["report", p], None);
    assert!(
        stderr(&out).contains("2 records in it; reading the latest"),
        "{}",
        stderr(&out)
    );
    // The api record's trace: [api 2/4] waited for the cache [worker 1/3] held.
    let json = run(
        &["report", p, "--ref", &reference(api), "--format", "json"],
        None,
    );
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(!r["lock_waits"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(r["record"]["target"], "api");
}

#[test]
fn a_failed_build_record_exits_1_with_buildkits_error() {
    // Recorded here: run-false.Dockerfile (`RUN false`) on buildkit-remote, kept by the live build.
    let path = fixture("records/run-false.dockerbuild");
    let out = run(&["report", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("build FAILED"), "{text}");
    assert!(
        text.contains("\"/bin/sh -c false\" did not complete successfully: exit code: 1"),
        "{text}"
    );
}

#[test]
fn a_slow_mount_is_a_wait_held_by_nobody() {
    // Recorded by CI's own run of the race on buildkit-remote: both steps asked for their
    // containers at once; [stage-2 2/4]'s mounts took 0.10 s (nobody held the cache: [builder 2/3]
    // was waiting too), then [builder 2/3] waited 0.20 s for the lock [stage-2 2/4] held. The
    // trace's clock starts [builder 2/3]'s wait 3 µs after the progress says the step started:
    // that sliver is not execution.
    let (_, a) = analyse("records/race-slow-mount.dockerbuild");
    let (builder, reader) = (step(&a, "[builder 2/3]"), step(&a, "[stage-2 2/4]"));
    let of = |s| a.lock_waits.iter().find(|w| w.step == s).unwrap();
    assert_eq!(of(builder).holder, Some(reader));
    assert_eq!(of(reader).holder, None);
    assert_eq!(a.hazards[0].first, Some(reader));
    let path = fixture("records/race-slow-mount.dockerbuild");
    let out = run(
        &["report", path.to_str().unwrap(), "--color", "never"],
        None,
    );
    let text = stdout(&out).replace("\n  ", " ");
    assert!(
        text.contains("[stage-2 2/4] waited 0.10s for its mounts"),
        "{text}"
    );
}

/// The fixture's files with the record's config (the blob with a `Ref`) changed by `edit`.
fn with_config(rel: &str, edit: impl Fn(&mut serde_json::Value)) -> Vec<(String, Vec<u8>)> {
    unpacked(rel)
        .into_iter()
        .map(
            |(p, b)| match serde_json::from_slice::<serde_json::Value>(&b) {
                Ok(mut v) if v.get("Ref").is_some() => {
                    edit(&mut v);
                    (p, serde_json::to_vec(&v).unwrap())
                }
                _ => (p, b),
            },
        )
        .collect()
}

#[test]
fn a_record_time_out_of_range_is_unknown_not_wrapped() {
    // 9e18 seconds: times 10^9 it overflows 64 bits (it was listed as a year 1680 — or panicked).
    for seconds in [9_000_000_000_000_000_000i64, i64::MAX, -5] {
        let files = with_config("records/race-pass.dockerbuild", |v| {
            v["CreatedAt"]["seconds"] = seconds.into();
        });
        let path = tmp_dir("overflow").join("r.dockerbuild");
        std::fs::write(&path, bombs::bundle(&files)).unwrap();
        let out = run(&["report", path.to_str().unwrap(), "--list"], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let line = stdout(&out);
        assert!(line.contains("completed  ?"), "{seconds}: {line}");
        let out = run(&["report", path.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn a_gzip_checksum_or_length_that_does_not_match_is_refused() {
    let whole = std::fs::read(fixture("records/race-pass.dockerbuild")).unwrap();
    // The gzip trailer: CRC-32 of the data, then its length, little-endian.
    for (at, what) in [(8, "crc"), (4, "size")] {
        let mut bad = whole.clone();
        let i = bad.len() - at;
        bad[i] ^= 0x55;
        let out = report_of(&bad, &format!("gz-{what}"));
        refused(&out, "not a readable build record");
        let out = run(&["report", "-", "--list"], Some(&bad));
        refused(&out, "not a readable build record");
    }
}
