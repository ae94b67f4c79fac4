//! `buildx-gantt lint`: both cache hazards predicted from the Dockerfile(s) before any build, on
//! the project's Dockerfiles and bake files (`tests/fixtures/lint/` holds the cases written for
//! it), through the real binary; and what lint predicts checked against what the report of a
//! real recording of the same Dockerfile shows (one notion of "ordered": the graph).

mod common;

use std::collections::BTreeSet;

use buildx_gantt::analysis::Analysis;
use buildx_gantt::chart::short_name;
use buildx_gantt::dockerfile::Dockerfile;
use common::*;
use serde_json::Value;

/// A finding as (kind, cache, steps, lines).
type Found = (String, String, Vec<String>, Vec<u64>);

/// `lint ARGS --format json`: its exit code and findings.
fn lint(args: &[&str]) -> (Option<i32>, Vec<Found>) {
    let mut all = vec!["lint", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all, None);
    let j: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", stderr(&out)));
    let findings = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            // The fields the issue names, and each line's file.
            let keys: BTreeSet<&str> = f.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["kind", "cache", "steps", "lines", "files", "fix"]),
                "{f}"
            );
            assert!(!f["fix"].as_str().unwrap().is_empty());
            let files = f["files"].as_array().unwrap();
            assert_eq!(files.len(), f["lines"].as_array().unwrap().len(), "{f}");
            assert!(files.iter().all(|p| !p.as_str().unwrap().is_empty()), "{f}");
            let strings = |v: &Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect()
            };
            (
                f["kind"].as_str().unwrap().to_string(),
                f["cache"].as_str().unwrap().to_string(),
                strings(&f["steps"]),
                f["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_u64().unwrap())
                    .collect(),
            )
        })
        .collect();
    (out.status.code(), findings)
}

fn path(rel: &str) -> String {
    fixture(rel).to_str().unwrap().to_string()
}

fn kinds(f: &[Found], kind: &str) -> usize {
    f.iter().filter(|x| x.0 == kind).count()
}

#[test]
fn the_race_is_an_unordered_cache_and_data_passed_through_it() {
    let (code, f) = lint(&[&path("race/Dockerfile")]);
    assert_eq!(code, Some(1));
    assert_eq!(
        f,
        [
            (
                "unordered-cache".to_string(),
                "demo.mods.v1".to_string(),
                vec!["[builder 2/3]".to_string(), "[stage-2 2/4]".to_string()],
                vec![12, 18]
            ),
            (
                "cache-passes-data".to_string(),
                "demo.mods.v1".to_string(),
                vec!["[builder 2/3]".to_string(), "[stage-2 2/4]".to_string()],
                vec![12, 18]
            )
        ]
    );
    // A build argument changes the id, as it changes the build's.
    let (_, f) = lint(&[&path("race/Dockerfile"), "--build-arg", "CACHE_ID=other"]);
    assert!(f.iter().all(|x| x.1 == "other"), "{f:?}");
}

#[test]
fn three_stage_variants_race_too() {
    let (code, f) = lint(&[&path("lint/three-stage.Dockerfile")]);
    assert_eq!(code, Some(1));
    assert_eq!(kinds(&f, "unordered-cache"), 1, "{f:?}");
    assert_eq!(f[0].2, ["[fetch 1/1]", "[build 1/3]"]);
    assert_eq!(f[0].3, [7, 10]);
    // The reader's stage waits for a stage that never waits for the writer's.
    let (_, f) = lint(&[&path("lint/three-stage-chain.Dockerfile")]);
    assert_eq!(kinds(&f, "unordered-cache"), 1, "{f:?}");
    assert_eq!(f[0].2, ["[a 1/1]", "[c 1/2]"]);
}

#[test]
fn a_multi_platform_build_races_per_platform_with_targetarch_ids() {
    let df = path("lint/multiplat.Dockerfile");
    let (code, f) = lint(&[&df, "--platform", "linux/amd64,linux/arm64"]);
    assert_eq!(code, Some(1));
    let unordered: Vec<_> = f.iter().filter(|x| x.0 == "unordered-cache").collect();
    assert_eq!(unordered.len(), 2, "{f:?}");
    for (arch, u) in ["amd64", "arm64"].iter().zip(&unordered) {
        assert_eq!(u.1, format!("mp.{arch}"));
        assert_eq!(
            u.2,
            [
                format!("[linux/{arch} builder 2/3]"),
                format!("[linux/{arch} stage-2 2/4]")
            ]
        );
        assert_eq!(u.3, [9, 15]);
    }
    // One platform (this machine's, or one given): one cache, no platform in the names.
    let (_, f) = lint(&[&df, "--platform", "linux/arm64"]);
    assert_eq!(f[0].1, "mp.arm64");
    assert_eq!(f[0].2[0], "[builder 2/3]");
    // The same id on two platforms is one cache both platforms' steps race on.
    let (_, f) = lint(&[
        &path("race/Dockerfile"),
        "--platform",
        "linux/amd64,linux/386",
    ]);
    assert_eq!(kinds(&f, "unordered-cache"), 6, "{f:?}");
}

#[test]
fn a_bake_file_with_a_cross_target_reader_races() {
    for file in ["docker-bake.hcl", "compose.yaml"] {
        let (code, f) = lint(&["--bake", &path(&format!("lint/bake-cross/{file}"))]);
        assert_eq!(code, Some(1), "{file}");
        assert_eq!(f.len(), 1, "{file}: {f:?}");
        assert_eq!(f[0].0, "unordered-cache");
        assert_eq!(f[0].1, "cross.v1");
        let steps: BTreeSet<&str> = f[0].2.iter().map(String::as_str).collect();
        assert_eq!(
            steps,
            BTreeSet::from(["[deps stage-0 2/2]", "[app stage-0 2/2]"]),
            "{file}"
        );
    }
    // A named context `target:deps` that the reader copies from first orders them.
    let (_, f) = lint(&["--bake", &path("lint/bake-cross/docker-bake-ordered.hcl")]);
    assert_eq!(kinds(&f, "unordered-cache"), 0, "{f:?}");
    assert_eq!(kinds(&f, "cache-passes-data"), 1, "{f:?}");
    // The project's own bake fixtures: one Dockerfile, three users of one cache.
    let (_, f) = lint(&["--bake", &path("bake/docker-bake.hcl")]);
    assert_eq!(kinds(&f, "unordered-cache"), 3, "{f:?}");
    let (_, f) = lint(&[
        "--bake",
        &path("bake/docker-bake.hcl"),
        "--bake-target",
        "api",
    ]);
    assert_eq!(kinds(&f, "unordered-cache"), 1, "{f:?}");
    let (_, f) = lint(&["--bake", &path("bake-two/docker-bake.hcl")]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].2, ["[api builder 2/2]", "[worker builder 2/2]"]);
}

#[test]
fn the_workaround_passes_data_through_the_cache_but_races_no_more() {
    for df in ["workaround/Dockerfile", "stale/Dockerfile"] {
        let (code, f) = lint(&[&path(df)]);
        assert_eq!(code, Some(1), "{df}");
        assert_eq!(f.len(), 1, "{df}: {f:?}");
        assert_eq!(f[0].0, "cache-passes-data");
    }
    let (_, f) = lint(&[&path("workaround/Dockerfile")]);
    assert_eq!(f[0].2, ["[builder 2/4]", "[stage-2 4/6]"]);
    assert_eq!(f[0].3, [12, 21]);
}

#[test]
fn a_real_edge_orders_the_steps() {
    for df in [
        "lint/copy-from.Dockerfile",
        "lint/mount-from.Dockerfile",
        "lint/from-stage.Dockerfile",
    ] {
        let (_, f) = lint(&[&path(df)]);
        assert_eq!(kinds(&f, "unordered-cache"), 0, "{df}: {f:?}");
        assert_eq!(kinds(&f, "cache-passes-data"), 1, "{df}: {f:?}");
    }
    // A cache seeded from= a stage is an edge and another cache: nothing at all.
    let (code, f) = lint(&[&path("lint/seeded.Dockerfile")]);
    assert_eq!((code, f.len()), (Some(0), 0), "{f:?}");
}

#[test]
fn read_only_mounts_fill_no_cache() {
    let (code, f) = lint(&[&path("lint/readonly.Dockerfile")]);
    assert_eq!((code, f.len()), (Some(0), 0), "{f:?}");
    // A read-only reader of a cache that a writable mount fills: both findings stand.
    let (code, f) = lint(&[&path("lint/readonly-reader.Dockerfile")]);
    assert_eq!(code, Some(1), "{f:?}");
    assert_eq!(kinds(&f, "unordered-cache"), 1, "{f:?}");
    assert_eq!(kinds(&f, "cache-passes-data"), 1, "{f:?}");
}

#[test]
fn unordered_stages_with_no_data_between_them_and_a_stage_not_in_the_build() {
    let (_, f) = lint(&[&path("lint/independent.Dockerfile")]);
    assert_eq!(kinds(&f, "unordered-cache"), 1, "{f:?}");
    assert_eq!(kinds(&f, "cache-passes-data"), 0, "{f:?}");
    // Only the stages the built one needs are in the build.
    for target in [None, Some("test")] {
        let df = path("lint/unbuilt.Dockerfile");
        let mut args = vec![df.as_str()];
        args.extend(target.map(|t| ["--target", t]).into_iter().flatten());
        let (code, f) = lint(&args);
        assert_eq!((code, f.len()), (Some(0), 0), "{target:?}: {f:?}");
    }
}

#[test]
fn exit_codes_text_and_standard_input() {
    let (code, f) = lint(&[&path("ctxchange/Dockerfile")]);
    assert_eq!((code, f.len()), (Some(0), 0));
    for args in [
        vec!["lint", "/nonexistent/Dockerfile"],
        vec!["lint", "--bake", "/nonexistent/docker-bake.hcl"],
        vec!["lint", &path("race/Dockerfile"), "--target", "nope"],
    ] {
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("buildx-gantt: error:"),
            "{}",
            stderr(&out)
        );
    }
    let dir = tmp_dir("lint-bad-bake");
    let bad = dir.join("docker-bake.hcl");
    std::fs::write(&bad, "target \"a\" {\n  args = [join(\",\", x)]\n}\n").unwrap();
    let out = run(&["lint", "--bake", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));

    let race = path("race/Dockerfile");
    let out = run(&["lint", &race, "--width", "100"], None);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains(&format!(
            "{race}:18: ⚠ unordered-cache \"demo.mods.v1\": [builder 2/3] (line 12) and [stage-2 2/4] (line 18)"
        )),
        "{text}"
    );
    assert!(text.contains("Fix: "), "{text}");
    assert!(
        text.ends_with("(1 unordered-cache, 1 cache-passes-data)\n"),
        "{text}"
    );
    // As a pre-commit hook runs it: the staged Dockerfiles, each read on its own.
    let quiet = path("ctxchange/Dockerfile");
    let both = run(&["lint", &quiet, &race], None);
    assert_eq!(both.status.code(), Some(1));
    assert!(stdout(&both).ends_with(&format!(
        "lint: 2 findings in {quiet}, {race} (1 unordered-cache, 1 cache-passes-data)\n"
    )));
    let (code, f) = lint(&[&quiet, &path("workaround/Dockerfile")]);
    assert_eq!((code, f.len()), (Some(1), 1));
    let piped = run(
        &["lint", "-"],
        Some(&std::fs::read(fixture("race/Dockerfile")).unwrap()),
    );
    assert_eq!(piped.status.code(), Some(1));
    assert!(stdout(&piped).contains("<stdin>:18:"), "{}", stdout(&piped));
}

/// Unordered pairs of a report, as lint names them: (cache, {two short names}).
fn pairs(a: &Analysis) -> BTreeSet<(String, BTreeSet<String>)> {
    a.hazards
        .iter()
        .map(|h| {
            let names = [h.writer.step, h.reader.step]
                .iter()
                .map(|&s| short_name(&a.steps[s]))
                .collect();
            (h.cache_id.clone(), names)
        })
        .collect()
}

fn lint_pairs(args: &[&str]) -> BTreeSet<(String, BTreeSet<String>)> {
    lint(args)
        .1
        .into_iter()
        .filter(|f| f.0 == "unordered-cache")
        .map(|f| (f.1, f.2.into_iter().collect()))
        .collect()
}

fn recorded(rel: &str, dockerfile: Option<&str>) -> Analysis {
    let df =
        dockerfile.map(|d| Dockerfile::parse(&std::fs::read_to_string(fixture(d)).unwrap(), &[]));
    let l = buildx_gantt::source::saved::load(
        fixture(rel).to_str().unwrap(),
        Default::default(),
        df.as_ref(),
    )
    .unwrap();
    Analysis::of(&l.build, df.as_ref())
}

#[test]
fn what_lint_predicts_is_what_the_report_of_a_real_build_shows() {
    // The race: every recording, whichever way it went, shows the pair lint predicts.
    let predicted = lint_pairs(&[&path("race/Dockerfile")]);
    assert_eq!(predicted.len(), 1);
    for rec in [
        "race/rawjson-fail.jsonl",
        "race/rawjson-pass.jsonl",
        "race/plain-fail.log",
        "records/race-fail.dockerbuild",
    ] {
        assert_eq!(
            pairs(&recorded(rec, Some("race/Dockerfile"))),
            predicted,
            "{rec}"
        );
    }
    // The seed bug report's plain log, and its Dockerfile as the log shows it (its first three
    // stage-1 steps are builder's, run once: predicted so too).
    let predicted = lint_pairs(&[&path("lint/seed.Dockerfile")]);
    assert_eq!(predicted.len(), 1);
    assert_eq!(pairs(&recorded("seed/bug.log", None)), predicted);
    // Two platforms (recorded with --platform linux/amd64,linux/386).
    let predicted = lint_pairs(&[
        &path("multiplat/Dockerfile"),
        "--platform",
        "linux/amd64,linux/386",
    ]);
    assert_eq!(predicted.len(), 2);
    assert_eq!(pairs(&recorded("multiplat/rawjson.jsonl", None)), predicted);
    // Bake: one Dockerfile, three users of one cache; two Dockerfiles; a cross-target reader.
    for (file, rec) in [
        ("bake/docker-bake.hcl", "bake/rawjson-fail.jsonl"),
        ("bake-two/docker-bake.hcl", "bake-two/rawjson.jsonl"),
        (
            "lint/bake-cross/docker-bake.hcl",
            "lint/bake-cross/rawjson-fail.jsonl",
        ),
    ] {
        let predicted = lint_pairs(&["--bake", &path(file)]);
        assert!(!predicted.is_empty(), "{file}");
        assert_eq!(pairs(&recorded(rec, None)), predicted, "{file}");
    }
    // The workaround: no pair in lint, none in its recordings; the data it passes through the
    // cache is what the stale build's report says did not arrive.
    assert!(lint_pairs(&[&path("workaround/Dockerfile")]).is_empty());
    assert!(pairs(&recorded(
        "workaround/rawjson.jsonl",
        Some("workaround/Dockerfile")
    ))
    .is_empty());
    let (_, f) = lint(&[&path("stale/Dockerfile")]);
    let stale = recorded("stale/rawjson-stale.jsonl", Some("stale/Dockerfile"));
    assert!(pairs(&stale).is_empty());
    let s = &stale.stale[0];
    assert_eq!(f[0].1, s.cache_id);
    let mut shown: Vec<String> = s
        .writers
        .iter()
        .map(|&w| short_name(&stale.steps[w]))
        .collect();
    shown.push(short_name(&stale.steps[s.reader]));
    assert_eq!(f[0].2, shown);
}
