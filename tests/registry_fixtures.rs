//! What a correct reading of the registry recordings must find (tests/fixtures/README.md,
//! "registry/"): builds that pull, push, export and import cache, load, use a secret, fail to
//! pull, and a base changed under its tag — each in rawjson, plain and (where the builder keeps
//! them) as a build record.

mod common;

use buildx_gantt::analysis::{short_name, Analysis};
use common::*;

/// Every recording of a shape: its rawjson, its plain log and its record where there is one.
fn recordings(shape: &str) -> Vec<String> {
    ["jsonl", "log", "dockerbuild"]
        .iter()
        .map(|ext| format!("registry/{shape}.{ext}"))
        .filter(|rel| fixture(rel).exists())
        .collect()
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
