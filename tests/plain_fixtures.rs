//! Plain progress logs (`--progress=plain`, BUILDKIT.md §2) on the real recordings: the facts
//! tests/fixtures/README.md lists, the reconstructed timing against the paired rawjson truth,
//! and every other plain fixture reading cleanly.

mod common;

use buildx_gantt::analysis::accuracy;
use buildx_gantt::analysis::{Analysis, Certainty};
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::export::accuracy as accuracy_text;
use buildx_gantt::model::{LogRetention, State};
use buildx_gantt::source::saved;
use common::*;

fn load_with(rel: &str, dockerfile: Option<&str>) -> (buildx_gantt::model::Build, Analysis) {
    let df =
        dockerfile.map(|d| Dockerfile::parse(&std::fs::read_to_string(fixture(d)).unwrap(), &[]));
    let path = fixture(rel);
    let l = saved::load(path.to_str().unwrap(), LogRetention::default(), df.as_ref())
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    let a = Analysis::of(&l.build, df.as_ref());
    (l.build, a)
}

#[test]
fn bug_log_every_fact_of_the_seed_report() {
    let (b, a) = analyse("seed/bug.log");
    assert!(b.is_estimated());
    // [stage-1 4/8] is proven to execute at the same time as a builder step (#8 logs at 0.359 s
    // before #9 [builder 4/7] is DONE). [stage-1 5/8] ran while builder was under way, but the log
    // only allows it ran at the same time as one of builder's steps.
    let o = a
        .overlaps
        .iter()
        .find(|o| o.stage == "stage-1" && o.source == "builder")
        .expect("stage-1 overlaps builder");
    assert_eq!(o.certainty, Certainty::Certain);
    let certain: Vec<&str> = o.certain_steps.iter().map(|&s| name(&a, s)).collect();
    assert!(
        certain.iter().any(|n| n.starts_with("[stage-1 4/8]")),
        "{certain:?}"
    );
    let five = step(&a, "[stage-1 5/8]");
    assert!(!o.certain_steps.contains(&five), "{certain:?}");
    assert!(o
        .pairs
        .iter()
        .any(|p| p.step == five && p.certainty == Certainty::Possible));
    // Every pair runs together for more than zero time.
    assert!(o.pairs.iter().all(|p| p.duration() > 0));
    // The hazard on the node-modules cache, [stage-1 5/8] completing first.
    assert_eq!(a.hazards.len(), 1);
    let h = &a.hazards[0];
    assert_eq!(h.cache_id, "com.github.naftulikay.my-repo.node-modules.v1");
    assert!(h.roles_known);
    assert!(name(&a, h.reader.step).starts_with("[stage-1 5/8]"));
    assert!(name(&a, h.writer.step).starts_with("[builder 6/7]"));
    assert_eq!(h.first, Some(h.reader.step), "the reader finished first");
    // The failure at [stage-1 8/8] with its message.
    assert!(b.failed());
    let failed = step(&a, "[stage-1 8/8]");
    assert_eq!(a.steps[failed].state, State::Failed);
    let v = b.vertex(a.steps[failed].vertexes[0]);
    assert!(String::from_utf8_lossy(&v.log.stream_bytes(1))
        .contains("node modules were not copied over"));
    assert!(b.error_message().unwrap().contains("sanity.sh --clean"));
    // #5's three DONE lines (and the first, of its resolve) are one step, in runs.
    let from = step(&a, "[builder 1/7]");
    assert_eq!(a.steps[from].vertexes.len(), 1);
    assert_eq!(a.steps[from].intervals.len(), 4);
    assert_eq!(
        a.steps
            .iter()
            .filter(|s| s.name().starts_with("[builder 1/7]"))
            .count(),
        1
    );
    // [stage-1 1/8]–[stage-1 3/8] never appear: they are builder's first three steps.
    let st = a.stages.iter().find(|s| s.name == "stage-1").unwrap();
    assert_eq!(st.shares, Some(("builder".to_string(), 3)));
    // make's echo of its commands is kept as diagnostics, not errors.
    let diags: Vec<&str> = b.diagnostics().iter().map(|d| d.message.as_str()).collect();
    assert!(
        diags.iter().any(|d| d.contains("docker --version")),
        "{diags:?}"
    );
    assert!(diags.iter().any(|d| d.contains("Docker version 24.0.6")));
}

#[test]
fn workaround_log_has_no_hazard_and_succeeded() {
    let (b, a) = analyse("seed/workaround.log");
    assert!(a.hazards.is_empty(), "{:?}", a.hazards);
    assert!(!b.failed());
    assert!(b.vertexes().iter().all(|v| v.state() == State::Done));
}

#[test]
fn race_plain_fail_reader_wins_and_build_fails() {
    let (b, a) = analyse("race/plain-fail.log");
    assert_eq!(a.hazards.len(), 1);
    let h = &a.hazards[0];
    assert_eq!(h.cache_id, "demo.mods.v1");
    assert!(name(&a, h.first.unwrap()).starts_with("[stage-2 2/4]"));
    assert!(b.failed());
    let o = &a.overlaps[0];
    assert_eq!(
        (o.stage.as_str(), o.source.as_str()),
        ("stage-2", "builder")
    );
    // A plain log of the race proves the order of the cache steps, not that stage-2's steps
    // executed at the same time as builder's: only possible.
    assert_eq!(o.certainty, Certainty::Possible);
    assert!(o.pairs.iter().all(|p| p.duration() > 0));
}

#[test]
fn buildkit_v08_logs_with_digest_lines_read() {
    let (b, a) = analyse("race/plain-dockerd20-pass.log");
    assert!(!b.failed());
    // `#N sha256:…` lines give the vertexes their digests.
    assert!(b
        .vertexes()
        .iter()
        .all(|v| b.digest(v.digest).to_string().starts_with("sha256:")));
    let h = &a.hazards[0];
    assert!(
        name(&a, h.first.unwrap()).starts_with("[builder 2/3]"),
        "the writer won"
    );
    assert_eq!(a.steps.len(), 12, "11 steps and `exporting to image`");

    let (b, a) = analyse("fail/plain-dockerd20.log");
    assert!(b.failed());
    assert_eq!(a.steps[step(&a, "[bad 1/1]")].state, State::Failed);
    assert_eq!(a.steps[step(&a, "[good 1/1]")].state, State::Cancelled);
}

#[test]
fn other_plain_fixtures_read_like_their_rawjson() {
    for (plain, raw) in [
        ("fail/plain.log", "fail/rawjson.jsonl"),
        ("linkwarn/plain.log", "linkwarn/rawjson.jsonl"),
        ("chatty/plain.log", "chatty/rawjson.jsonl"),
        ("workaround/plain.log", "workaround/rawjson.jsonl"),
        ("race/plain-fail.log", "race/rawjson-fail.jsonl"),
    ] {
        let (pb, pa) = analyse(plain);
        let (rb, ra) = analyse(raw);
        assert_eq!(pb.failed(), rb.failed(), "{plain}");
        let started = |a: &Analysis| {
            let mut v: Vec<String> = a
                .steps
                .iter()
                .filter(|s| s.state != State::Waiting && s.parsed.is_dockerfile_step())
                .map(|s| s.name().to_string())
                .collect();
            v.sort();
            v
        };
        // COPY --link: rawjson shows one group step, plain the same name.
        assert_eq!(started(&pa), started(&ra), "{plain}");
        assert_eq!(pa.hazards.len(), ra.hazards.len(), "{plain}");
        assert!(
            pb.diagnostics().iter().all(|d| !d.message.contains("#")),
            "{plain}: a progress line was not understood: {:?}",
            pb.diagnostics()
        );
    }
    // The chatty step's 20,000 lines are all there.
    let (b, a) = analyse("chatty/plain.log");
    let chatty = a
        .steps
        .iter()
        .find(|s| s.parsed.is_dockerfile_step())
        .unwrap();
    let log = &b.vertex(chatty.vertexes[0]).log;
    let lines = log.total_newlines()[0] + log.total_newlines()[1];
    assert!(lines >= 20_000, "{lines}");
    // The lint warnings of linkwarn: per vertex, and buildx's summary kept as tool warnings.
    let (b, _) = analyse("linkwarn/plain.log");
    assert_eq!(b.warnings.len(), 3);
    assert!(b
        .tool_warnings
        .iter()
        .any(|w| w.contains("3 warnings found")));
    assert!(b.diagnostics().is_empty(), "{:?}", b.diagnostics());
}

/// The acceptance check of the reconstruction: one build seen twice.
#[test]
fn paired_plain_log_reconstructs_the_rawjson_truth() {
    for dockerfile in [None, Some("race/Dockerfile")] {
        let (_, ta) = load_with("race/paired-rawjson.jsonl", dockerfile);
        let (_, ea) = load_with("race/paired-plain.log", dockerfile);
        let c = accuracy::compare(&ta, &ea);
        let report = accuracy_text::render(&c, "truth", "plain");
        assert_eq!(c.steps.len(), 11, "{report}");
        assert!(c.unmatched.is_empty(), "{report}");
        for s in &c.steps {
            assert!(s.within(), "{}: truth outside the bounds\n{report}", s.name);
        }
        let median = c.median_error().unwrap();
        assert!(median <= 100_000_000, "median error {median} ns\n{report}");
        assert!(c.verdicts_match(), "{report}");
        assert!(c.agrees());
        assert!(!c.truth_hazards.is_empty() && !c.truth_overlaps.is_empty());
    }
}

#[test]
fn compare_with_is_a_command() {
    let o = run(
        &[
            "report",
            fixture("race/paired-plain.log").to_str().unwrap(),
            "--compare-with",
            fixture("race/paired-rawjson.jsonl").to_str().unwrap(),
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.contains("11 steps compared: median error"), "{out}");
    assert!(out.contains("true times within the bounds: all"), "{out}");
    assert!(out.contains("overlap verdicts: the same"), "{out}");
    // A truth from another build does not agree: exit 3.
    let o = run(
        &[
            "report",
            fixture("race/plain-fail.log").to_str().unwrap(),
            "--compare-with",
            fixture("race/rawjson-pass.jsonl").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3), "{}", stdout(&o));
}

#[test]
fn plain_report_text_and_json_say_what_is_certain() {
    let o = run(
        &[
            "report",
            fixture("seed/bug.log").to_str().unwrap(),
            "--width",
            "400",
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "the recorded build failed");
    assert!(
        out.contains("The log proves [stage-1 4/8] ran at the same time as a step of builder"),
        "{out}"
    );
    assert!(
        out.contains(
            "[stage-1 1/8]–[stage-1 3/8] never show: they are [builder 1/7]–[builder 3/7]"
        ),
        "{out}"
    );
    let o = run(
        &[
            "report",
            fixture("seed/bug.log").to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["timing"], "estimated");
    assert_eq!(j["overlaps"][0]["certainty"], "certain");
    // [stage-1 4/8] alone is proven to execute alongside a builder step.
    assert_eq!(
        j["overlaps"][0]["certain_steps"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        j["hazards"][0]["cache_id"],
        "com.github.naftulikay.my-repo.node-modules.v1"
    );
    let s = &j["steps"][0];
    assert!(s["start_bounds"].is_array(), "{s}");
}

/// A plain log and the rawjson of the same build (`docker buildx history logs`, twice) name the
/// same pairs of steps that ran alongside, and the plain log proves none the rawjson lacks.
#[test]
fn plain_and_rawjson_of_one_build_give_the_same_overlap_pairs() {
    for (plain, raw) in [
        ("race/paired-plain.log", "race/paired-rawjson.jsonl"),
        ("race/paired2-plain.log", "race/paired2-rawjson.jsonl"),
    ] {
        let (_, ta) = load_with(raw, None);
        let (_, ea) = load_with(plain, None);
        let c = accuracy::compare(&ta, &ea);
        let report = accuracy_text::render(&c, "truth", "plain");
        assert!(!c.truth_overlaps.is_empty(), "{report}");
        assert_eq!(c.truth_overlaps, c.estimate_overlaps, "{report}");
        assert!(
            c.estimate_proven
                .iter()
                .all(|p| c.truth_overlaps.contains(p)),
            "{report}"
        );
        assert!(c.verdicts_match(), "{report}");
        for o in ta.overlaps.iter().chain(&ea.overlaps) {
            assert!(
                o.duration > 0 && o.pairs.iter().all(|p| p.duration() > 0),
                "{o:?}"
            );
        }
    }
}

/// The classic CLI (`DOCKER_BUILDKIT=1 docker build`, dockerd 20.10) on a Dockerfile it cannot
/// parse: no step fails, the failure is its last line. The recording reads as failed.
#[test]
fn a_dockerfile_parse_error_through_the_classic_cli_reads_as_failed() {
    let (b, _) = analyse("fail/plain-dockerd20-parse-error.log");
    assert!(b.failed());
    let o = run(
        &[
            "report",
            fixture("fail/plain-dockerd20-parse-error.log")
                .to_str()
                .unwrap(),
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("build FAILED"), "{out}");
    assert!(out.contains("unknown instruction: FORM"), "{out}");
}

/// A build interrupted through the classic CLI (SIGINT while builder slept): steps CANCELED and
/// `context canceled` last. It reads as cancelled (exit 130), never as succeeded.
#[test]
fn a_build_cancelled_through_the_classic_cli_reads_as_cancelled() {
    let path = fixture("race/plain-dockerd20-cancelled.log");
    let o = run(&["report", path.to_str().unwrap()], None);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(130), "{out}");
    assert!(out.contains("build CANCELLED"), "{out}");
    assert!(!out.contains("succeeded"), "{out}");
}
