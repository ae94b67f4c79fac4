//! What a correct reading of the registry recordings must find (tests/fixtures/README.md,
//! "registry/"): builds that pull, push, export and import cache, load, use a secret, fail to
//! pull, and a base changed under its tag — each in rawjson, plain and (where the builder keeps
//! them) as a build record.

mod common;

use buildx_gantt::analysis::Analysis;
use buildx_gantt::chart::short_name;
use common::*;

/// The shapes where every step but the `FROM`s was a cache hit: a warm build, two imported
/// caches, the build before the base changed.
const WARM: [&str; 4] = [
    "pull-warm",
    "cache-registry-import",
    "cache-local-import",
    "changed-before",
];

/// Every recording of a shape: its rawjson, its plain log and its record where there is one.
fn recordings(shape: &str) -> Vec<String> {
    ["jsonl", "log", "dockerbuild"]
        .iter()
        .map(|ext| format!("registry/{shape}.{ext}"))
        .filter(|rel| fixture(rel).exists())
        .collect()
}

/// `compare` of the base changed under its tag (rawjson), as text.
fn compare_changed() -> String {
    let (b, a) = (
        fixture("registry/changed-before.jsonl"),
        fixture("registry/changed-after.jsonl"),
    );
    let args = [
        "compare",
        b.to_str().unwrap(),
        a.to_str().unwrap(),
        "--no-screen",
    ];
    stdout(&run(&args, None))
}

/// The critical path, as short names.
fn path(a: &Analysis) -> Vec<String> {
    a.critical_path
        .iter()
        .flat_map(|p| &p.steps)
        .map(|&s| short_name(&a.steps[s]))
        .collect()
}

#[test]
fn the_critical_path_reaches_the_export_and_its_length_is_its_steps() {
    // (shape, the export the path must reach)
    let shapes = [
        ("base-push", "exporting to image"),
        ("push", "exporting to image"),
        ("load", "importing to docker"),
        ("cache-registry-export", "exporting cache to registry"),
        ("cache-local-export", "exporting cache to client directory"),
        (
            "docker-driver",
            "pushing 127.0.0.1:5001/gantt/app:dd with docker",
        ),
    ];
    for (shape, logged) in shapes {
        for rel in recordings(shape) {
            // buildx's own steps are not in a build record: `--load`'s import into docker.
            let export = match (rel.ends_with(".dockerbuild"), shape) {
                (true, "load") => "exporting to docker image format",
                _ => logged,
            };
            let (_, a) = analyse(&rel);
            let p = path(&a);
            assert!(p.iter().any(|s| s == export), "{rel}: {p:?}");
            // A build record has no provenance step (buildx makes it): the export is last.
            let last = p.last().unwrap();
            if rel.ends_with(".dockerbuild") || shape == "docker-driver" {
                assert_eq!(last, export, "{rel}: {p:?}");
            } else {
                assert_eq!(last, "resolving provenance for metadata file", "{rel}");
            }
            // Its stated length is from its first step's start to its last step's end.
            let cp = a.critical_path.as_ref().unwrap();
            let first = &a.steps[cp.steps[0]];
            let end = cp.steps.iter().filter_map(|&s| a.steps[s].end()).max();
            assert_eq!(Some(cp.start), first.start(), "{rel}");
            assert_eq!(Some(cp.end), end, "{rel}");
            assert_eq!(
                Some(cp.end),
                a.end,
                "{rel}: the path ends where the build did"
            );
            if shape != "base-push" {
                // It runs through the long chain: the base's pull, builder's cache step, the
                // final stage's last step.
                for s in ["[builder 1/4]", "[builder 3/4]", "[stage-2 5/5]"] {
                    assert!(p.iter().any(|x| x == s), "{rel}: {s} in {p:?}");
                }
            } else {
                assert!(p.iter().any(|x| x == "[2/2]"), "{rel}: {p:?}");
            }
        }
    }
}

#[test]
fn a_plain_log_starts_an_export_after_every_step_it_exports() {
    for rel in [
        "registry/push.log",
        "registry/base-push.log",
        "registry/load.log",
    ] {
        let (_, a) = analyse(rel);
        let last_step = a
            .steps
            .iter()
            .filter(|s| s.parsed.is_dockerfile_step())
            .filter_map(|s| s.end())
            .max()
            .unwrap();
        // Exports, pushes and provenance: what is neither a Dockerfile step nor `[internal]`.
        let after = |s: &&buildx_gantt::analysis::Step| {
            !s.parsed.is_dockerfile_step() && !s.name().starts_with("[internal]")
        };
        for e in a.steps.iter().filter(after) {
            assert!(e.start().unwrap() >= last_step, "{rel}: {}", e.name());
        }
    }
}

#[test]
fn a_pull_says_the_bytes_of_its_layers_in_every_format() {
    use buildx_gantt::model::Transfer;
    for rel in recordings("pull-cold") {
        let (_, a) = analyse(&rel);
        let base = &a.steps[step(&a, "[builder 1/4]")];
        let got = base
            .moved(Transfer::Download)
            .unwrap_or_else(|| panic!("{rel}"));
        // The base's 24 MB of random bytes (and busybox, 1.08 MB, unless the other base's pull
        // fetched that layer, which they share).
        assert!((1..=2).contains(&got.items), "{rel}: {got:?}");
        assert!(got.finished(), "{rel}");
        let total = got.total.unwrap();
        assert!((24_000_000..25_200_000).contains(&total), "{rel}: {total}");
        assert_eq!(got.current, total, "{rel}");
        assert!(base.moved(Transfer::Extract).is_some(), "{rel}");
        assert!(base.pulled(), "{rel}");
        // Through the slow port, 8 MB/s: the big layer took seconds.
        assert!(got.seconds().unwrap() > 2_000_000_000, "{rel}: {got:?}");
        assert_eq!(base.kind(), buildx_gantt::model::WorkKind::Pull);
    }
    // In a warm build the FROMs only resolve: nothing pulled, and no path to shorten.
    for rel in recordings("pull-warm") {
        let (_, a) = analyse(&rel);
        assert!(!a.steps[step(&a, "[builder 1/4]")].pulled(), "{rel}");
        assert!(a.critical_path.is_none(), "{rel}: {:?}", path(&a));
    }
}

#[test]
fn a_pull_under_way_says_how_far_it_got() {
    use buildx_gantt::model::Transfer;
    // The rawjson as it stood while the big layer was coming in: cut after its 1 MiB update.
    let text = std::fs::read_to_string(fixture("registry/pull-cold.jsonl")).unwrap();
    let cut: String = text
        .lines()
        .take_while(|l| !l.contains("\"current\":2097152"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(cut.len() < text.len());
    let dir = tmp_dir("registry-cut");
    let file = dir.join("cut.jsonl");
    std::fs::write(&file, cut).unwrap();
    let l = buildx_gantt::source::saved::load(file.to_str().unwrap(), Default::default(), None)
        .unwrap();
    let a = Analysis::of(&l.build, None);
    let base = &a.steps[step(&a, "[builder 1/4]")];
    let got = base.moved(Transfer::Download).unwrap();
    assert!(!got.finished());
    let f = got.fraction().unwrap();
    assert!((0.03..0.1).contains(&f), "{got:?}");
}

#[test]
fn pushes_loads_and_cache_exports_are_what_they_are() {
    use buildx_gantt::model::{Transfer, WorkKind};
    let kind_of = |a: &Analysis, name: &str| {
        let s = &a.steps[step(a, name)];
        (
            s.kind(),
            s.progress().iter().map(|p| p.transfer).collect::<Vec<_>>(),
        )
    };
    for rel in recordings("push")
        .into_iter()
        .chain(recordings("base-push"))
    {
        let (_, a) = analyse(&rel);
        let (kind, moved) = kind_of(&a, "exporting to image");
        assert_eq!(kind, WorkKind::Push, "{rel}");
        assert!(moved.contains(&Transfer::Upload), "{rel}");
    }
    for rel in recordings("docker-driver") {
        let (_, a) = analyse(&rel);
        let push = &a.steps[step(&a, "pushing 127.0.0.1:5001/gantt/app:dd")];
        assert_eq!(push.kind(), WorkKind::Push, "{rel}");
        let up = push.moved(Transfer::Upload).unwrap();
        assert!(up.items >= 6 && up.finished(), "{rel}: {up:?}");
        assert_eq!(
            kind_of(&a, "exporting to image").0,
            WorkKind::Export,
            "{rel}"
        );
    }
    for rel in recordings("load") {
        let (_, a) = analyse(&rel);
        let (kind, moved) = kind_of(&a, "exporting to docker image format");
        assert_eq!(
            (kind, moved),
            (WorkKind::Export, vec![Transfer::Load]),
            "{rel}"
        );
    }
    // buildx's own import into docker, with each layer's bytes (not in the record).
    let (_, a) = analyse("registry/load.jsonl");
    let import = &a.steps[step(&a, "importing to docker")];
    let load = import.moved(Transfer::Load).unwrap();
    assert_eq!(load.items, 6);
    assert!(
        load.current > 25_000_000 && load.total == Some(load.current),
        "{load:?}"
    );
    for kind in ["registry", "local"] {
        for rel in recordings(&format!("cache-{kind}-export")) {
            let (_, a) = analyse(&rel);
            let (k, moved) = kind_of(&a, "exporting cache to");
            assert_eq!(k, WorkKind::CacheExport, "{rel}");
            assert_eq!(moved, vec![Transfer::CacheWrite], "{rel}");
        }
        for rel in recordings(&format!("cache-{kind}-import")) {
            let (_, a) = analyse(&rel);
            assert_eq!(
                kind_of(&a, "importing cache manifest from").0,
                WorkKind::CacheImport,
                "{rel}"
            );
        }
    }
}

#[test]
fn the_reports_say_what_was_pulled_pushed_and_exported() {
    for rel in [
        "registry/push.jsonl",
        "registry/push.log",
        "registry/push.dockerbuild",
    ] {
        let path = fixture(rel);
        let path = path.to_str().unwrap();
        let text = stdout(&run(&["report", path, "--width", "200"], None));
        let section = text
            .split("Pulls, pushes and exports\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{rel}: {text}"));
        let base = section
            .lines()
            .find(|l| l.starts_with("  [builder 1/4] "))
            .unwrap_or_else(|| panic!("{rel}: {section}"));
        assert!(
            base.contains(" pulled ") && base.contains(" MB") && base.contains("extracted "),
            "{rel}: {section}"
        );
        assert!(
            section.contains("exporting to image (push, ") && section.contains("pushing layers"),
            "{rel}: {section}"
        );
        // JSON: each step's kind and what it moved.
        let json: serde_json::Value =
            serde_json::from_slice(&run(&["report", path, "--format", "json"], None).stdout)
                .unwrap();
        let steps = json["steps"].as_array().unwrap();
        let named = |p: &str| {
            steps
                .iter()
                .find(|s| s["name"].as_str().unwrap().starts_with(p))
                .unwrap()
        };
        let base = named("[builder 1/4]");
        assert_eq!(base["kind"], "pull", "{rel}");
        let download = &base["transfers"][0];
        assert_eq!(download["kind"], "download", "{rel}");
        assert!(download["bytes"].as_i64().unwrap() >= 24_000_000, "{rel}");
        assert_eq!(download["bytes"], download["total"], "{rel}");
        assert_eq!(named("exporting to image")["kind"], "push", "{rel}");
        // HTML: the section, and each step's words for its details.
        // `-o -` is standard output, not a file named `-`.
        let html = stdout(&run(&["report", path, "--format", "html", "-o", "-"], None));
        assert!(html.contains("<h2>Pulls, pushes and exports</h2>"), "{rel}");
        assert!(html.contains("id=\"moved-json\""), "{rel}");
    }
}

#[test]
fn no_race_verdict_when_the_cache_steps_were_hits() {
    use buildx_gantt::analysis::Race;
    // Warm and imported-cache builds: both steps of the hazard were cache hits.
    for shape in WARM {
        for rel in recordings(shape) {
            let (_, a) = analyse(&rel);
            assert_eq!(a.hazards.len(), 1, "{rel}");
            let h = &a.hazards[0];
            assert_eq!(h.race, Race::BothHits, "{rel}");
            assert_eq!((h.first, h.margin), (None, None), "{rel}");
            assert!(
                h.explanation.contains("no race ran: both were cache hits"),
                "{rel}"
            );
            assert!(!h.explanation.contains("won"), "{rel}: {}", h.explanation);
            let path = fixture(&rel);
            let path = path.to_str().unwrap();
            let text = stdout(&run(&["report", path, "--width", "200"], None));
            assert!(
                text.contains("— no race ran: both were cache hits"),
                "{rel}: {text}"
            );
            assert!(
                !text.contains("ahead") && !text.contains("won"),
                "{rel}: {text}"
            );
            let md = stdout(&run(&["report", path, "--format", "markdown"], None));
            assert!(
                !md.contains("race won") && !md.contains("race lost"),
                "{rel}: {md}"
            );
            assert!(md.contains("no race ran"), "{rel}: {md}");
            let json: serde_json::Value =
                serde_json::from_slice(&run(&["report", path, "--format", "json"], None).stdout)
                    .unwrap();
            assert_eq!(json["hazards"][0]["race"], "both_hits", "{rel}");
            assert_eq!(
                json["hazards"][0]["first"],
                serde_json::Value::Null,
                "{rel}"
            );
            assert_eq!(
                json["hazards"][0]["hits"].as_array().unwrap().len(),
                2,
                "{rel}"
            );
            // A hazard is a property of the Dockerfile: --check still fails on it.
            assert_eq!(
                run(&["report", path, "--check"], None).status.code(),
                Some(3),
                "{rel}"
            );
        }
    }
    // A cold build raced, and says who won.
    for rel in recordings("pull-cold") {
        let (_, a) = analyse(&rel);
        assert_eq!(a.hazards[0].race, Race::Ran, "{rel}");
        assert!(a.hazards[0].first.is_some(), "{rel}");
    }
    // compare says there was no race before, rather than a winner.
    let out = compare_changed();
    assert!(
        out.contains("reg.mods: no race ran (both were cache hits) before, "),
        "{out}"
    );
}

#[test]
fn a_writer_that_was_a_cache_hit_filled_nothing_and_no_race_ran() {
    for rel in recordings("cache-hit-writer") {
        let (b, a) = analyse(&rel);
        common::registry::the_writer_was_a_cache_hit(&b, &a, &rel);
    }
}

#[test]
fn a_failed_pull_is_a_failed_step_and_the_build_failed() {
    use buildx_gantt::analysis::{counts, outcome, Outcome};
    for rel in recordings("pull-missing") {
        let (b, a) = analyse(&rel);
        assert_eq!(outcome(&b, &a), Outcome::Failed, "{rel}");
        let c = counts(&a);
        assert_eq!((c.steps, c.failed), (1, 1), "{rel}: {c:?}");
        let path = fixture(&rel);
        let out = run(&["report", path.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(1), "{rel}");
        assert!(
            stdout(&out).contains("build FAILED in ")
                && stdout(&out).contains(": 1 step (0 done, 0 cached, 1 failed"),
            "{rel}: {}",
            stdout(&out)
        );
        assert!(
            stdout(&out).contains("127.0.0.1:5001/gantt/missing:1: not found"),
            "{rel}"
        );
    }
}

#[test]
fn a_build_that_passed_while_buildx_logged_write_errors_succeeded() {
    use buildx_gantt::analysis::{outcome, Outcome};
    for rel in [
        "registry/cache-write-locked.jsonl",
        "registry/cache-write-locked.log",
    ] {
        let (b, a) = analyse(rel);
        assert_eq!(outcome(&b, &a), Outcome::Succeeded, "{rel}");
        assert!(
            b.error_message().is_none(),
            "{rel}: {:?}",
            b.error_message()
        );
        // buildx's lines are kept, as what buildx said, and nothing is an input problem.
        assert!(
            b.tool_warnings.iter().any(
                |w| w.starts_with("ERROR: (*service).Write failed") && w.contains("locked for")
            ),
            "{rel}: {:?}",
            b.tool_warnings
        );
        assert!(b.diagnostics().is_empty(), "{rel}: {:?}", b.diagnostics());
        let out = run(&["report", fixture(rel).to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{rel}: {}", stdout(&out));
        assert!(stdout(&out).contains("build succeeded in "), "{rel}");
    }
}

#[test]
fn a_step_the_printer_left_at_dots_had_finished_when_the_steps_after_it_ran() {
    use buildx_gantt::analysis::{counts, outcome, Outcome};
    let (b, a) = analyse("registry/docker-driver-again.log");
    assert_eq!(outcome(&b, &a), Outcome::Succeeded);
    let c = counts(&a);
    assert_eq!((c.done, c.running, c.steps), (11, 0, 11), "{c:?}");
    let from = &a.steps[step(&a, "[builder 1/4]")];
    let next = &a.steps[step(&a, "[builder 2/4]")];
    assert!(from.end().unwrap() <= next.start().unwrap());
    assert!(a
        .steps
        .iter()
        .all(|s| s.state != buildx_gantt::model::State::Running));
    let out = run(
        &[
            "report",
            fixture("registry/docker-driver-again.log")
                .to_str()
                .unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains(": 11 steps (11 done, 0 cached, 0 failed"),
        "{}",
        stdout(&out)
    );
}

/// The digest in a recording's `[builder 1/4] FROM …@sha256:…` step name.
fn base_digest(rel: &str) -> String {
    let (_, a) = analyse(rel);
    let name = a.steps[step(&a, "[builder 1/4]")].name().to_string();
    name.rsplit_once('@').unwrap().1.to_string()
}

#[test]
fn compare_names_a_base_image_changed_under_its_tag_as_the_image_with_both_digests() {
    let pairs = [
        ("changed-before.jsonl", "changed-after.jsonl", None),
        (
            "changed-before.dockerbuild",
            "changed-after.dockerbuild",
            None,
        ),
        ("changed-before.log", "changed-after.log", None),
        (
            "changed-before.log",
            "changed-after.log",
            Some("app/Dockerfile"),
        ),
    ];
    for (b, a, df) in pairs {
        let (rb, ra) = (format!("registry/{b}"), format!("registry/{a}"));
        let (pb, pa) = (fixture(&rb), fixture(&ra));
        let mut args = vec![
            "compare",
            pb.to_str().unwrap(),
            pa.to_str().unwrap(),
            "--format",
            "json",
        ];
        let dockerfile = df.map(|d| fixture(&format!("registry/{d}")));
        if let Some(d) = &dockerfile {
            args.extend(["-f", d.to_str().unwrap()]);
        }
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(0), "{b}: {}", stderr(&out));
        let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let case = format!("{b} → {a} (-f {df:?})");
        // One root cause: the base image, with the digest it had on each side.
        let roots = d["root_causes"].as_array().unwrap();
        assert_eq!(roots.len(), 1, "{case}: {roots:?}");
        assert!(
            roots[0]
                .as_str()
                .unwrap()
                .starts_with("[builder 1/4] FROM "),
            "{case}"
        );
        let steps = d["steps"].as_array().unwrap();
        let named = |p: &str| -> Vec<&serde_json::Value> {
            steps
                .iter()
                .filter(|s| s["name"].as_str().unwrap().starts_with(p))
                .collect()
        };
        let base = named("[builder 1/4]");
        assert_eq!(
            base.len(),
            1,
            "{case}: matched across the digest change, once"
        );
        assert_eq!(base[0]["match"], "same", "{case}");
        let cause = &base[0]["cause"];
        assert_eq!(cause["kind"], "image", "{case}");
        assert_eq!(
            cause["image"]["name"], "127.0.0.1:5001/gantt/base:1",
            "{case}"
        );
        assert_eq!(
            cause["image"]["before"],
            base_digest(&rb).as_str(),
            "{case}"
        );
        assert_eq!(cause["image"]["after"], base_digest(&ra).as_str(), "{case}");
        assert_ne!(cause["image"]["before"], cause["image"]["after"], "{case}");
        // tools' image did not change: no cause of anything, and its steps stayed hits.
        let tools = named("[tools 1/3]");
        assert_eq!(tools.len(), 1, "{case}");
        assert!(tools[0]["cause"].is_null(), "{case}: {}", tools[0]);
        // Everything that re-ran comes down from the image, stage-2's mount step included.
        for s in steps.iter().filter(|s| s["cause"]["kind"] == "follows") {
            assert_eq!(
                s["cause"]["because_of"],
                serde_json::json!(["[builder 1/4]"]),
                "{case}: {s}"
            );
        }
        assert_eq!(
            named("[stage-2 2/5]")[0]["cause"]["follows"],
            serde_json::json!(["[builder 1/4]"]),
            "{case}"
        );
        // Never both on and off the critical path.
        let cp = &d["critical_path"];
        for x in cp["added"].as_array().unwrap() {
            assert!(
                !cp["removed"].as_array().unwrap().contains(x),
                "{case}: {cp}"
            );
        }
    }
    let text = compare_changed();
    assert!(
        text.contains(
            "— image: 127.0.0.1:5001/gantt/base:1 is another image under the same name (sha256:"
        ),
        "{text}"
    );
}

#[test]
fn only_a_step_with_a_cache_mount_waits_for_a_lock() {
    // On a loaded builder `[builder 2/4] RUN mkdir -p /src` took 0.103 s to get its container:
    // it has no cache mount, so that was its mounts being prepared, not a lock.
    let (_, a) = analyse("registry/loaded.dockerbuild");
    let mkdir = &a.steps[step(&a, "[builder 2/4]")];
    assert_eq!(mkdir.lock_wait(), 0);
    assert!(
        a.lock_waits.iter().all(|w| w.step != mkdir.id),
        "{:?}",
        a.lock_waits
    );
    for w in &a.lock_waits {
        assert!(
            a.steps[w.step].name().contains("--mount=type=cache"),
            "{w:?}"
        );
    }
    let out = run(
        &[
            "report",
            fixture("registry/loaded.dockerbuild").to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for s in json["steps"].as_array().unwrap() {
        let mounts = s["cache_mounts"].as_array().unwrap();
        let cached = mounts.iter().any(|m| m["kind"] == "cache");
        assert_eq!(
            s["lock_wait"].is_null(),
            !cached || s["state"] == "cached",
            "{s}"
        );
    }
    let text = stdout(&run(
        &[
            "report",
            fixture("registry/loaded.dockerbuild").to_str().unwrap(),
        ],
        None,
    ));
    assert!(!text.contains("[builder 2/4] waited"), "{text}");
    assert!(
        !text.contains("waiting for a lock)") || !text.contains("[builder 2/4] 0."),
        "{text}"
    );
}

#[test]
fn stages_that_pulled_one_base_once_are_not_built_from_each_other() {
    use buildx_gantt::dockerfile::DepKind;
    for shape in [
        "pull-cold",
        "push",
        "load",
        "docker-driver",
        "changed-after",
    ] {
        for rel in recordings(shape) {
            let (_, a) = analyse(&rel);
            let mut deps: Vec<(String, String, DepKind)> = a
                .dependencies
                .iter()
                .map(|d| (d.stage.clone(), d.source.clone(), d.kind))
                .collect();
            deps.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
            assert_eq!(
                deps,
                [
                    ("stage-2".into(), "builder".into(), DepKind::CopyFrom),
                    ("stage-2".into(), "tools".into(), DepKind::CopyFrom)
                ],
                "{rel}"
            );
        }
    }
}

#[test]
fn a_pulled_or_resolved_from_is_never_where_the_cache_broke() {
    use buildx_gantt::analysis::{cache_breaks, nothing_ran};
    for shape in WARM {
        for rel in recordings(shape) {
            let (_, a) = analyse(&rel);
            let breaks = cache_breaks(&a);
            assert!(nothing_ran(&breaks), "{rel}: {breaks:?}");
            let text = stdout(&run(
                &["report", fixture(&rel).to_str().unwrap(), "--width", "200"],
                None,
            ));
            assert!(
                text.contains("Fully cached: 9 of 11 steps were cache hits"),
                "{rel}: {text}"
            );
            assert!(!text.contains("broke at"), "{rel}");
        }
    }
    // A base changed under its tag: builder breaks after its FROM, and stage-2 (whose FROM was
    // builder's) at its first step; tools stayed hits.
    for rel in recordings("changed-after") {
        let (_, a) = analyse(&rel);
        let mut broke: Vec<String> = cache_breaks(&a)
            .iter()
            .filter_map(|b| b.broke_at)
            .map(|s| short_name(&a.steps[s]))
            .collect();
        broke.sort();
        assert_eq!(broke, ["[builder 2/4]", "[stage-2 2/5]"], "{rel}");
    }
}
