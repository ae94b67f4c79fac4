//! What a correct reading of the real rawjson recordings must find (tests/fixtures/README.md and
//! the `report` issue).

mod common;

use buildx_gantt::analysis::{Analysis, Certainty};
use buildx_gantt::dockerfile::{DepKind, Dockerfile};
use buildx_gantt::model::{Build, LogRetention, State};
use buildx_gantt::source::rawjson;
use common::*;

fn overlap_pairs(a: &Analysis, stage: &str, source: &str) -> Vec<(String, String)> {
    let o = a
        .overlaps
        .iter()
        .find(|o| o.stage == stage && o.source == source)
        .unwrap_or_else(|| panic!("no overlap {stage} / {source}"));
    assert_eq!(o.certainty, Certainty::Certain);
    o.pairs
        .iter()
        .map(|p| {
            (
                buildx_gantt::chart::short_name(&a.steps[p.step]),
                buildx_gantt::chart::short_name(&a.steps[p.source_step]),
            )
        })
        .collect()
}

fn the_race(a: &Analysis) {
    let pairs = overlap_pairs(a, "stage-2", "builder");
    for own in ["[stage-2 1/4]", "[stage-2 2/4]"] {
        assert!(
            pairs
                .iter()
                .any(|(s, b)| s == own && b.starts_with("[builder")),
            "{own} overlaps builder: {pairs:?}"
        );
    }
    assert!(pairs
        .iter()
        .all(|(s, _)| s != "[stage-2 3/4]" && s != "[stage-2 4/4]"));
    assert_eq!(a.hazards.len(), 1, "{:#?}", a.hazards);
    let h = &a.hazards[0];
    assert_eq!(h.cache_id, "demo.mods.v1");
    assert!(name(a, h.writer.step).starts_with("[builder 2/3]"));
    assert!(name(a, h.reader.step).starts_with("[stage-2 2/4]"));
    assert!(h.roles_known);
    assert_eq!(h.writer.mount.sharing, "locked");
}

#[test]
fn race_fail_stage2_overlaps_builder_and_reader_wins() {
    let (b, a) = analyse("race/rawjson-fail.jsonl");
    the_race(&a);
    let h = &a.hazards[0];
    assert_eq!(h.first, Some(step(&a, "[stage-2 2/4]")));
    assert!(
        h.explanation.contains("the reader won"),
        "{}",
        h.explanation
    );
    assert!(h.fix.contains("COPY --from=builder"));
    assert!(b.failed());
    let failed: Vec<&str> = a
        .steps
        .iter()
        .filter(|s| s.state == State::Failed)
        .map(|s| &**s.name())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].starts_with("[stage-2 4/4]"));
    assert!(b
        .error_message()
        .unwrap()
        .starts_with("ERROR: failed to build"));
}

#[test]
fn race_pass_same_hazard_writer_wins() {
    let (b, a) = analyse("race/rawjson-pass.jsonl");
    the_race(&a);
    assert_eq!(a.hazards[0].first, Some(step(&a, "[builder 2/3]")));
    assert!(a.hazards[0].explanation.contains("the writer won"));
    assert!(!b.failed());
}

#[test]
fn workaround_has_no_hazard_but_a_short_overlap() {
    let (b, a) = analyse("workaround/rawjson.jsonl");
    assert!(a.hazards.is_empty(), "{:#?}", a.hazards);
    assert!(!b.failed());
    let o = &a.overlaps[0];
    assert_eq!(
        (o.stage.as_str(), o.source.as_str()),
        ("stage-2", "builder")
    );
    let secs = o.duration as f64 / 1e9;
    assert!((0.15..0.2).contains(&secs), "about 0.17 s, got {secs}");
    // The dependency is credited to the first COPY --from, the cookie.
    assert!(
        name(&a, o.via_step.unwrap()).starts_with("[stage-2 3/6] COPY --from=builder /src/.cookie")
    );
}

#[test]
fn docker_driver_buildkit_v08_reads_like_the_modern_one() {
    let (b, a) = analyse("race/rawjson-docker-driver-fail.jsonl");
    the_race(&a);
    assert_eq!(a.hazards[0].first, Some(step(&a, "[stage-2 2/4]")));
    assert!(b.failed());
    assert_eq!(a.steps[step(&a, "[stage-2 4/4]")].state, State::Failed);
    assert!(b
        .error_message()
        .unwrap()
        .contains("executor failed running"));
    let modern = analyse("race/rawjson-fail.jsonl").1;
    let names = |a: &Analysis| {
        let mut v: Vec<String> = a
            .steps
            .iter()
            .filter(|s| !s.is_internal())
            .map(|s| s.name().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&a), names(&modern));
}

#[test]
fn failed_build_error_logs_cancellation_and_never_started() {
    let (b, a) = analyse("fail/rawjson.jsonl");
    let bad = &a.steps[step(&a, "[bad 1/1]")];
    assert_eq!(bad.state, State::Failed);
    assert!(bad
        .error()
        .unwrap()
        .ends_with("did not complete successfully: exit code: 1"));
    let log = b.vertex(bad.vertexes[0]).log.lines();
    let text: Vec<(u8, &str)> = log.iter().map(|l| (l.stream, l.text.as_str())).collect();
    assert_eq!(
        text,
        vec![
            (1, "bad: preparing"),
            (2, "bad: something on stderr"),
            (1, "bad: about to fail")
        ]
    );
    assert_eq!(a.steps[step(&a, "[good 1/1]")].state, State::Cancelled);
    let waiting: Vec<&str> = a
        .steps
        .iter()
        .filter(|s| s.state == State::Waiting)
        .map(|s| &**s.name())
        .collect();
    assert_eq!(waiting.len(), 3, "{waiting:?}");
    for w in waiting {
        assert!(w.starts_with("[stage-3 "), "{w}");
    }
    assert!(b.error_text.iter().any(|l| l == "Dockerfile:10"));
    assert!(b
        .error_text
        .iter()
        .any(|l| l.contains(">>> RUN echo \"bad: preparing\"")));
    assert!(b
        .error_text
        .last()
        .unwrap()
        .starts_with("ERROR: failed to build: failed to solve: process"));
    assert!(b.failed());
    assert!(b.diagnostics().is_empty(), "{:?}", b.diagnostics());
    assert_eq!(b.tool_warnings.len(), 1);
}

#[test]
fn chatty_log_is_exactly_what_the_build_printed() {
    let b = load_keeping(
        "chatty/rawjson.jsonl",
        LogRetention {
            bytes_per_vertex: 16 << 20,
        },
    );
    let a = Analysis::of(&b, None);
    let s = &a.steps[step(&a, "[stage-1 1/1]")];
    let log = &b.vertex(s.vertexes[0]).log;
    let stdout = String::from_utf8(log.stream_bytes(1)).unwrap();
    let expected: String = (1..=20000).map(|i| format!("{i}\n")).collect();
    assert!(stdout == expected, "stdout differs from 1..20000");
    let stderr = String::from_utf8(log.stream_bytes(2)).unwrap();
    let mut want: Vec<String> = (0..20).map(|i| format!("batch {i} starting")).collect();
    want.push("all batches done".into());
    assert_eq!(stderr.lines().collect::<Vec<_>>(), want);
    assert_eq!(log.lines().len(), 20021);
    assert_eq!(log.total_newlines(), [20000, 21]);
}

#[test]
fn chatty_log_memory_is_bounded_but_counts_are_exact() {
    let b = load_keeping(
        "chatty/rawjson.jsonl",
        LogRetention {
            bytes_per_vertex: 1000,
        },
    );
    let a = Analysis::of(&b, None);
    let log = &b.vertex(a.steps[step(&a, "[stage-1 1/1]")].vertexes[0]).log;
    assert!(log.clipped());
    assert_eq!(log.total_newlines(), [20000, 21]);
    assert_eq!(log.lines().last().unwrap().text, "all batches done");
}

#[test]
fn linkwarn_warnings_decoded_and_link_copy_is_one_step() {
    let (b, a) = analyse("linkwarn/rawjson.jsonl");
    let shorts: Vec<&str> = b.warnings.iter().map(|w| w.short.as_str()).collect();
    assert_eq!(shorts.len(), 3, "{shorts:?}");
    assert!(shorts[0].starts_with("FromAsCasing: 'as' and 'FROM' keywords' casing do not match"));
    assert!(shorts.iter().any(|s| s.starts_with("MaintainerDeprecated")));
    assert!(shorts.iter().any(|s| s.starts_with("LegacyKeyValueFormat")));
    assert_eq!(b.warnings[0].line, Some(7));
    assert_eq!(
        b.warnings[0].detail,
        vec!["The 'as' keyword should match the case of the 'from' keyword"]
    );
    assert!(!a.steps.iter().any(|s| s.name().contains("LINK COPY")));
    for prefix in ["[stage-3 1/4]", "[stage-3 2/4]", "[stage-3 3/4]"] {
        let s = &a.steps[step(&a, prefix)];
        assert_eq!(s.vertexes.len(), 2, "{prefix}");
        assert!(s.name().contains("COPY --link"));
    }
    assert_eq!(
        a.steps
            .iter()
            .filter(|s| s.name().starts_with("[stage-3 "))
            .count(),
        4
    );
}

/// Re-writes a log as one record per line (what a live build streams).
fn one_record_per_line(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(line)
        else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        for (key, items) in map {
            for item in items.as_array().cloned().unwrap_or_default() {
                out.push_str(&serde_json::json!({ key.clone(): [item] }).to_string());
                out.push('\n');
            }
        }
    }
    out
}

fn summary(b: &Build) -> Vec<String> {
    let mut v: Vec<String> = b
        .vertexes()
        .iter()
        .map(|v| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?}",
                v.name(),
                v.intervals,
                v.state(),
                v.inputs
                    .iter()
                    .map(|&d| b.digest(d).to_string())
                    .collect::<Vec<_>>(),
                v.log.lines(),
                v.statuses()
            )
        })
        .collect();
    v.sort();
    v
}

fn read_str(text: &str, limit: usize) -> Build {
    let mut b = Build::new(LogRetention::default());
    rawjson::read_with_limit(text.as_bytes(), limit, &mut |e| b.apply(e)).unwrap();
    b
}

#[test]
fn one_line_history_log_reads_like_a_line_per_update_log() {
    let text = std::fs::read_to_string(fixture("race/paired-rawjson.jsonl")).unwrap();
    assert_eq!(text.trim_end().lines().count(), 1);
    let whole = read_str(&text, 1 << 30);
    let split = read_str(&one_record_per_line(&text), 1 << 30);
    assert_eq!(summary(&whole), summary(&split));
    // Streamed in small pieces (as a line over the buffering limit is), it reads the same again.
    let streamed = read_str(&text, 64);
    assert_eq!(summary(&whole), summary(&streamed));
    let a = Analysis::of(&whole, None);
    the_race(&a);
    assert_eq!(a.hazards[0].first, Some(step(&a, "[stage-2 2/4]")));
}

#[test]
fn every_fixture_reads_the_same_streamed_or_buffered() {
    for f in [
        "race/rawjson-fail.jsonl",
        "fail/rawjson.jsonl",
        "linkwarn/rawjson.jsonl",
        "chatty/rawjson.jsonl",
    ] {
        let text = std::fs::read_to_string(fixture(f)).unwrap();
        assert_eq!(
            summary(&read_str(&text, 1 << 30)),
            summary(&read_str(&text, 100)),
            "{f}"
        );
    }
}

/// The race's shape (the race and the heredoc fixture): stages `base`, `builder`, `stage-2`, and
/// `stage-2`'s `COPY --from=builder`.
fn stage2_copies_from_builder(a: &Analysis) -> &buildx_gantt::analysis::Dependency {
    let names: Vec<&str> = a.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["base", "builder", "stage-2"]);
    a.dependencies
        .iter()
        .find(|d| d.stage == "stage-2" && d.source == "builder" && d.kind == DepKind::CopyFrom)
        .unwrap()
}

#[test]
fn dockerfile_adds_dependencies_and_stage_order() {
    let df = Dockerfile::parse(
        &std::fs::read_to_string(fixture("race/Dockerfile")).unwrap(),
        &[],
    );
    let b = load("race/rawjson-fail.jsonl");
    let a = Analysis::of(&b, Some(&df));
    let d = stage2_copies_from_builder(&a);
    assert_eq!(d.line, Some(19));
    assert_eq!(
        d.evidence.len(),
        3,
        "graph, step name and Dockerfile agree: {:?}",
        d.evidence
    );
    the_race(&a);
}

#[test]
fn critical_path_follows_the_builder() {
    let (_, a) = analyse("race/rawjson-fail.jsonl");
    let cp = a.critical_path.as_ref().unwrap();
    let names: Vec<String> = cp
        .steps
        .iter()
        .map(|&s| buildx_gantt::chart::short_name(&a.steps[s]))
        .collect();
    assert_eq!(
        names,
        [
            "[internal] load build context",
            "[base 1/1]",
            "[builder 1/3]",
            "[builder 2/3]",
            "[builder 3/3]",
            "[stage-2 3/4]",
            "[stage-2 4/4]"
        ]
    );
}

fn with_dockerfile(rel: &str, dir: &str) -> (Build, Analysis) {
    let text = std::fs::read_to_string(fixture(&format!("{dir}/Dockerfile"))).unwrap();
    let df = Dockerfile::parse(&text, &[]);
    let b = load(rel);
    let a = Analysis::of(&b, Some(&df));
    (b, a)
}

#[test]
fn a_rebuild_after_a_context_change_is_cache_hits_not_races() {
    let (_, a) = with_dockerfile("ctxchange/rawjson-rebuild.jsonl", "ctxchange");
    // Cache hits do not execute: nothing ran alongside its source, nothing is red.
    assert!(a.overlaps.is_empty(), "{:?}", a.overlaps);
    let no_red = |r: &(Vec<_>, Vec<_>)| r.0.is_empty() && r.1.is_empty();
    assert!(a
        .step_overlaps()
        .iter()
        .all(|r| r.0.is_empty() && r.1.is_empty()));
    assert!(a.stage_overlaps().values().all(no_red));
    // Stages made only of cache hits are cached, not "never started".
    let breaks = buildx_gantt::analysis::cache_breaks(&a);
    let of = |stage: &str| breaks.iter().find(|b| b.stage == stage).unwrap();
    for stage in ["base", "tools", "docs"] {
        let b = of(stage);
        assert_eq!((b.hits, b.broke_at), (b.steps, None), "{stage}");
        let st = a.stages.iter().find(|s| s.name == stage).unwrap();
        assert!(st.steps.iter().all(|&s| a.steps[s].state == State::Cached));
    }
    // The app stage is where the cache broke: the file it copies changed.
    let app = of("app");
    assert_eq!(app.hits, 0);
    assert!(name(&a, app.broke_at.unwrap()).starts_with("[app 1/2] COPY src/version"));
    let s4 = of("stage-4");
    assert_eq!(s4.hits, 1);
    assert!(name(&a, s4.broke_at.unwrap()).starts_with("[stage-4 2/4]"));
    // The critical path goes through what re-ran.
    let cp = a.critical_path.as_ref().unwrap();
    let chain: Vec<&str> = cp.steps.iter().map(|&s| name(&a, s)).collect();
    assert!(
        chain.iter().any(|n| n.starts_with("[app 2/2]")),
        "{chain:?}"
    );
    let text = buildx_gantt::chart::words::cache_summary(&a, true).unwrap();
    assert_eq!(
        text,
        "Rebuild: 5 of 10 steps were cache hits; the cache broke at [app 1/2], [stage-4 2/4]"
    );
}

#[test]
fn the_docker_driver_critical_path_runs_through_the_stages_to_the_export() {
    let (_, a) = with_dockerfile("workaround/rawjson-docker-driver.jsonl", "workaround");
    let cp = a.critical_path.as_ref().expect("a critical path");
    let chain: Vec<&str> = cp.steps.iter().map(|&s| name(&a, s)).collect();
    assert!(
        chain[0].starts_with("[internal] load build context"),
        "{chain:?}"
    );
    assert_eq!(*chain.last().unwrap(), "exporting to image");
    for step in [
        "[base 1/1]",
        "[builder 2/4]",
        "[builder 4/4]",
        "[stage-2 6/6]",
    ] {
        assert!(
            chain.iter().any(|n| n.starts_with(step)),
            "{step}: {chain:?}"
        );
    }
    // It covers most of the wall time.
    let wall = a.end.unwrap() - a.start.unwrap();
    assert!(
        (cp.end - cp.start) * 10 >= wall * 9,
        "{} of {wall}",
        cp.end - cp.start
    );
}

#[test]
fn no_overlap_is_reported_for_zero_time() {
    for rel in [
        "race/rawjson-fail.jsonl",
        "race/rawjson-pass.jsonl",
        "workaround/rawjson.jsonl",
        "ctxchange/rawjson-first.jsonl",
        "ctxchange/rawjson-rebuild.jsonl",
        "race/plain-fail.log",
        "seed/bug.log",
    ] {
        let (_, a) = analyse(rel);
        for o in &a.overlaps {
            assert!(o.duration > 0 && !o.pairs.is_empty(), "{rel}: {o:?}");
            assert!(o.pairs.iter().all(|p| p.duration() > 0), "{rel}: {o:?}");
        }
    }
}

#[test]
fn a_fully_cached_rebuild_says_so_and_races_nothing() {
    let (_, a) = with_dockerfile("ctxchange/rawjson-cached.jsonl", "ctxchange");
    assert!(a.overlaps.is_empty());
    let steps = a.steps.iter().filter(|s| s.parsed.is_dockerfile_step());
    assert!(steps.clone().all(|s| s.state == State::Cached));
    // Every stage is cached (none "never started"), and drawn where BuildKit resolved it.
    for st in &a.stages {
        assert!(
            st.steps.iter().all(|&s| a.steps[s].start().is_some()),
            "{}",
            st.name
        );
    }
    let line = buildx_gantt::chart::words::cache_summary(&a, false).unwrap();
    assert_eq!(
        line,
        "Fully cached: all 10 steps were cache hits; nothing ran."
    );
    assert!(a.critical_path.is_none(), "nothing ran: no path to shorten");
    let o = run(
        &[
            "report",
            fixture("ctxchange/rawjson-cached.jsonl").to_str().unwrap(),
        ],
        None,
    );
    let out = stdout(&o);
    assert!(
        out.contains("0 never ran") && !out.contains("never started"),
        "{out}"
    );
    assert!(
        out.contains("Fully cached: all 10 steps were cache hits"),
        "{out}"
    );
}

#[test]
fn a_rebuild_after_a_build_arg_change_breaks_the_cache_where_the_arg_is_used() {
    // CACHE_ID changed: builder declares it (every RUN after the ARG re-runs), stage-2's mount
    // uses it; base is a cache hit. The rebuild still races: stage-2 ran alongside builder.
    let text = std::fs::read_to_string(fixture("race/Dockerfile")).unwrap();
    let df = Dockerfile::parse(&text, &[("CACHE_ID".into(), "rec.b.1123".into())]);
    let b = load("race/rawjson-buildarg-rebuild.jsonl");
    let a = Analysis::of(&b, Some(&df));
    let breaks = buildx_gantt::analysis::cache_breaks(&a);
    let of = |stage: &str| breaks.iter().find(|b| b.stage == stage).unwrap();
    assert_eq!((of("base").hits, of("base").broke_at), (1, None));
    let at = |stage: &str| name(&a, of(stage).broke_at.unwrap());
    assert!(at("builder").starts_with("[builder 1/3]"));
    assert!(at("stage-2").starts_with("[stage-2 1/4]"));
    assert_eq!(a.hazards.len(), 1);
    assert_eq!(a.hazards[0].cache_id, "rec.b.1123");
    assert!(a
        .overlaps
        .iter()
        .any(|o| o.stage == "stage-2" && o.duration > 0));
}

#[test]
fn impossible_timestamps_are_told_and_the_rest_is_read() {
    let line = |digest: &str, name: &str, started: &str, completed: &str| {
        format!(
            "{{\"vertexes\":[{{\"digest\":\"sha256:{digest}\",\"name\":\"{name}\",\"started\":\"{started}\",\"completed\":\"{completed}\"}}]}}\n"
        )
    };
    let mut text = std::fs::read_to_string(fixture("race/rawjson-pass.jsonl")).unwrap();
    text.push_str(&line(
        "e1",
        "[x 1/3] RUN a",
        "1970-01-01T00:00:00Z",
        "2026-11-22T12:52:40Z",
    ));
    text.push_str(&line(
        "e2",
        "[x 2/3] RUN b",
        "2026-11-22T12:52:40Z",
        "9999-12-31T23:59:59Z",
    ));
    text.push_str(&line(
        "e3",
        "[x 3/3] RUN c",
        "2026-11-22T12:52:41Z",
        "2026-11-22T12:52:40Z",
    ));
    let b = read_str(&text, 1 << 20);
    let a = Analysis::of(&b, None);
    let said: Vec<&str> = b.diagnostics().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(said.len(), 3, "{said:?}");
    assert!(
        said[0].contains("`1970-01-01T00:00:00Z` cannot be right"),
        "{said:?}"
    );
    assert!(
        said[1].contains("`9999-12-31T23:59:59Z` cannot be right"),
        "{said:?}"
    );
    assert!(said[2].contains("completed before it started"), "{said:?}");
    // A step with a valid completion did not "never start"; none stays open.
    let state = |prefix: &str| a.steps[step(&a, prefix)].state;
    assert_eq!(state("[x 1/3]"), State::Done);
    assert_ne!(state("[x 2/3]"), State::Waiting);
    assert_eq!(state("[x 3/3]"), State::Done);
    // …and the real build around them reads as before.
    assert_eq!(a.hazards.len(), 1);
}

#[test]
fn thirty_unordered_steps_on_one_cache_list_twenty_pairs_and_count_the_rest() {
    let mut log = String::new();
    for i in 0..30 {
        log.push_str(&format!(
            r#"{{"vertexes":[{{"digest":"sha256:{i:064x}","name":"[s{i} 1/1] RUN --mount=type=cache,id=shared,target=/c make","started":"2026-11-18T10:00:00Z","completed":"2026-11-18T10:00:0{}Z"}}]}}"#,
            1 + i % 5
        ));
        log.push('\n');
    }
    let mut build = Build::new(LogRetention::default());
    for e in buildx_gantt::source::rawjson::read_events(log.as_bytes()).unwrap() {
        build.apply(e);
    }
    let a = Analysis::of(&build, None);
    assert_eq!(a.hazards.len(), 20);
    assert_eq!(a.hazards_unlisted, 30 * 29 / 2 - 20);
    let text = buildx_gantt::export::text::render("t", &build, &a, &Default::default());
    assert!(text.contains("… and 415 more pairs"), "{text}");
}

/// Both bake recordings: the stages as the Dockerfile names them, `deps` one row both targets
/// need, `api` and `worker` red alongside `deps`, the three `shared.v1` hazards.
fn the_bake(log: &str) -> (Build, Analysis) {
    let (b, a) = analyse(log);
    let mut stages: Vec<&str> = a.stages.iter().map(|s| s.name.as_str()).collect();
    stages.sort();
    assert_eq!(stages, ["api", "base", "deps", "worker"], "{log}");
    assert_eq!(a.targets(), ["api", "worker"]);
    let deps = a.stages.iter().find(|s| s.name == "deps").unwrap();
    assert_eq!(a.stage_targets(deps), ["api", "worker"]);
    // One vertex sent under both targets' prefixes is one step.
    assert_eq!(deps.steps.len(), 1);
    for stage in ["api", "worker"] {
        let pairs = overlap_pairs(&a, stage, "deps");
        assert!(!pairs.is_empty(), "{log}: {stage} alongside deps");
    }
    assert_eq!(a.hazards.len(), 3, "{log}: {:#?}", a.hazards);
    assert!(a.hazards.iter().all(|h| h.cache_id == "shared.v1"));
    for h in &a.hazards {
        for text in [&h.fix, &h.explanation] {
            assert!(
                !text.contains("api api") && !text.contains("worker deps"),
                "{text}"
            );
        }
    }
    (b, a)
}

fn first_taker(a: &Analysis, x: &str, y: &str) -> String {
    let h = a
        .hazards
        .iter()
        .find(|h| {
            let pair = [name(a, h.writer.step), name(a, h.reader.step)];
            pair.iter().any(|n| n.starts_with(x)) && pair.iter().any(|n| n.starts_with(y))
        })
        .unwrap_or_else(|| panic!("no hazard {x} / {y}"));
    buildx_gantt::chart::short_name(&a.steps[h.first.unwrap()])
}

#[test]
fn bake_fail_api_read_the_cache_before_deps_filled_it() {
    let (b, a) = the_bake("bake/rawjson-fail.jsonl");
    assert!(b.failed());
    assert_eq!(first_taker(&a, "[deps 1/1]", "[api 2/4]"), "[api 2/4]");
    let h = a
        .hazards
        .iter()
        .find(|h| name(&a, h.writer.step).starts_with("[deps 1/1]"))
        .unwrap();
    assert!(h.roles_known);
    assert!(
        h.fix
            .contains("`COPY --from=deps /.deps-cache-ready /tmp/`"),
        "{}",
        h.fix
    );
}

#[test]
fn bake_pass_deps_filled_the_cache_first() {
    let (b, a) = the_bake("bake/rawjson-pass.jsonl");
    assert!(!b.failed());
    assert_eq!(first_taker(&a, "[deps 1/1]", "[api 2/4]"), "[deps 1/1]");
}

#[test]
fn multiplat_each_platform_races_its_own_builder() {
    let (_, a) = analyse("multiplat/rawjson.jsonl");
    for p in ["linux/amd64", "linux/386"] {
        let stage2 = format!("stage-2 · {p}");
        let builder = format!("builder · {p}");
        let pairs = overlap_pairs(&a, &stage2, &builder);
        assert!(
            pairs.iter().any(|(s, _)| s.contains("stage-2 2/4")),
            "{p}: {pairs:?}"
        );
        let arch = p.trim_start_matches("linux/");
        let h = a
            .hazards
            .iter()
            .find(|h| h.cache_id == format!("mp.{arch}"))
            .unwrap_or_else(|| panic!("no hazard mp.{arch}: {:#?}", a.hazards));
        for s in [h.writer.step, h.reader.step] {
            assert_eq!(a.steps[s].platform(), Some(p), "{}", name(&a, s));
        }
        let first = buildx_gantt::chart::short_name(&a.steps[h.first.unwrap()]);
        assert_eq!(first, format!("[{p} stage-2 2/4]"));
        assert!(h
            .fix
            .contains("`COPY --from=builder /.builder-cache-ready /tmp/`"));
    }
    assert_eq!(a.hazards.len(), 2);
    // `base` is the platforms' shared step, whatever its name says.
    let base = a
        .stages
        .iter()
        .find(|s| s.name == "base")
        .expect("one base");
    assert_eq!(base.steps.len(), 1);
}

/// `bake-two/`: targets `api` and `worker` from two Dockerfiles, each with a stage `builder`
/// (recorded here with real buildx bake on BuildKit v0.32), and one cache both builders mount.
#[test]
fn bake_targets_from_two_dockerfiles_keep_their_stages_apart() {
    let (_, a) = analyse("bake-two/rawjson.jsonl");
    let names: Vec<&str> = a.stages.iter().map(|s| s.name.as_str()).collect();
    for s in ["builder · Dockerfile.api", "builder · Dockerfile.worker"] {
        assert!(names.contains(&s), "{names:?}");
    }
    for o in &a.overlaps {
        let file = o.stage.rsplit(" · ").next().unwrap();
        assert!(
            o.source.ends_with(file),
            "{} alongside {}",
            o.stage,
            o.source
        );
    }
    assert_eq!(a.hazards.len(), 1, "{:#?}", a.hazards);
    let h = &a.hazards[0];
    let mut origins =
        [h.writer.step, h.reader.step].map(|s| a.steps[s].origin().unwrap().to_string());
    origins.sort();
    assert_eq!(origins, ["Dockerfile.api", "Dockerfile.worker"]);
    assert!(h.fix.contains("contexts = {"), "{}", h.fix);
    let short = |s| buildx_gantt::chart::short_name(&a.steps[s]);
    assert_ne!(short(h.writer.step), short(h.reader.step));
}

/// The bake on buildx's docker driver (dockerd 20.10's BuildKit v0.8), recorded here: each target
/// solved on its own, so `deps` comes twice (once cached) and each target loads its Dockerfile in
/// a step of its own. Still one Dockerfile: stages unqualified, three hazards, not six.
#[test]
fn bake_on_the_docker_driver_reads_as_one_dockerfile() {
    let (b, a) = analyse("bake/rawjson-docker-driver.jsonl");
    assert!(!b.failed());
    let mut stages: Vec<&str> = a.stages.iter().map(|s| s.name.as_str()).collect();
    stages.sort();
    assert_eq!(stages, ["api", "base", "deps", "worker"]);
    assert_eq!(a.hazards.len(), 3, "{:#?}", a.hazards);
}

#[test]
fn heredocs_are_one_line_steps_and_their_stages_still_race() {
    // BuildKit names a heredoc by its first line (`RUN <<EOT (mkdir -p /out...)`) and writes its
    // documents in an `[internal] preparing inline document` step; the Dockerfile's heredoc bodies
    // are not instructions.
    let (b, a) = with_dockerfile("heredoc/rawjson.jsonl", "heredoc");
    assert!(b.vertexes().iter().all(|v| !v.name().contains('\n')));
    assert!(a
        .steps
        .iter()
        .any(|s| s.is_internal() && &**s.name() == "[internal] preparing inline document"));
    let d = stage2_copies_from_builder(&a);
    assert_eq!(d.line, Some(19));
    let pairs = overlap_pairs(&a, "stage-2", "builder");
    assert!(
        pairs.contains(&("[stage-2 1/3]".into(), "[builder 1/1]".into())),
        "{pairs:?}"
    );
}
