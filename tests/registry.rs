//! Builds that use a registry, for real: a registry of the tests' own on loopback and a buildkitd
//! of their own configured for it (tests/common/registry.rs), the bases built `FROM scratch`
//! with busybox and pushed, then every shape of tests/fixtures/registry/ built live through
//! `buildx-gantt` — a push-only build, cold and warm pulls with a secret, a push, `--load`, a
//! failed pull, cache exported to and imported from a registry and a directory, a cache step
//! whose writer was a hit, a base image changed under its tag, and the docker driver pulling
//! from and pushing to the registry. Each live report is checked against `report` of its
//! recording, and what it says against what happened. Without the registry, buildkitd or buildx
//! these tests say SKIPPED and why; `.ci/run` sets BUILDX_GANTT_REQUIRE=all.

mod common;

use std::path::{Path, PathBuf};

use buildx_gantt::analysis::{cache_breaks, counts, nothing_ran, outcome, Analysis, Outcome, Race};
use buildx_gantt::chart::short_name;
use buildx_gantt::model::{State, Transfer, WorkKind};
use common::live::{build, build_with, Built};
use common::registry::{lab_or_skip, Lab};
use common::*;

/// One lab at a time: each builds for real on the machine (and the docker driver's daemon is
/// shared).
static LABS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    LABS.lock().unwrap_or_else(|e| e.into_inner())
}

/// A test's lab, its contexts, and its turn (dropped in that order: the lab is gone before the
/// next test starts its own).
struct Setup {
    lab: Lab,
    ctx: PathBuf,
    _one: std::sync::MutexGuard<'static, ()>,
}

/// The lab for `test`, with its contexts; `None` (said) where it cannot run.
fn setup(test: &str, name: &str) -> Option<Setup> {
    let cli = lab_or_skip(test, true)?;
    let one = one_at_a_time();
    let lab = Lab::start(&cli, name, true);
    let ctx = contexts(&lab);
    Some(Setup {
        lab,
        ctx,
        _one: one,
    })
}

/// `tests/fixtures/registry/{base,tools,app,missing,onehit}` in `lab.dir`, each with busybox
/// where it copies it, and the registry's address written where a Dockerfile names it.
fn contexts(lab: &Lab) -> PathBuf {
    let root = lab.dir.join("ctx");
    for which in ["base", "tools", "app", "missing", "onehit"] {
        let dir = root.join(which);
        std::fs::create_dir_all(&dir).unwrap();
        let text =
            std::fs::read_to_string(fixture(&format!("registry/{which}/Dockerfile"))).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            text.replace("127.0.0.1:5001", &lab.registry()),
        )
        .unwrap();
        if matches!(which, "base" | "tools") {
            common::engine::make_context(&dir);
        }
    }
    std::fs::write(root.join("token"), "s3cr3t-token\n").unwrap();
    root
}

/// A name no other run uses (cache ids on a shared daemon, image tags).
fn unique(tag: &str) -> String {
    format!(
        "{tag}.{}.{}",
        std::process::id(),
        buildx_gantt::source::now()
    )
}

/// Builds and pushes the bases (`base` with `VERSION`: a new image each time; `tools` too unless
/// `base_only`).
fn push_bases(lab: &Lab, ctx: &Path, version: &str, base_only: bool) {
    let reg = lab.registry();
    let bases = [("base", "gantt/base:1"), ("tools", "gantt/tools:1")];
    for (which, tag) in &bases[..if base_only { 1 } else { 2 }] {
        let dir = ctx.join(which);
        let arg = format!("VERSION={version}");
        let image = format!("{reg}/{tag}");
        lab.docker(&[
            "buildx",
            "build",
            "--builder",
            &lab.builder,
            "--progress",
            "quiet",
            "--no-cache",
            "--build-arg",
            &arg,
            "--push",
            "-t",
            &image,
            dir.to_str().unwrap(),
        ]);
    }
}

/// A report's words with its lines joined (a sentence may wrap anywhere).
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The step that pulled the base (`[builder 1/4]`, or `[stage-2 1/5]`: BuildKit names the `FROM`
/// two stages share after either, as it picks).
fn base_from(a: &Analysis) -> usize {
    let base = |s: &&buildx_gantt::analysis::Step| {
        s.parsed
            .from_image()
            .is_some_and(|(i, _)| i.ends_with("/gantt/base:1"))
    };
    a.steps.iter().find(base).expect("the base's FROM").id
}

/// The critical path, as short names.
fn path(a: &Analysis) -> Vec<String> {
    a.critical_path
        .iter()
        .flat_map(|p| &p.steps)
        .map(|&s| short_name(&a.steps[s]))
        .collect()
}

/// A live build that succeeded and whose live report is its recording's: its analysis.
fn passed(b: &Built, what: &str) -> (buildx_gantt::model::Build, Analysis) {
    assert_eq!(b.code(), Some(0), "{what}: {}", b.show());
    let (recorded, a) = b.analysed();
    assert_eq!(
        outcome(&recorded, &a),
        Outcome::Succeeded,
        "{what}: {}",
        b.show()
    );
    assert!(
        stdout(&b.out).contains("build succeeded in "),
        "{what}: {}",
        b.show()
    );
    b.live_report_is_the_recordings();
    (recorded, a)
}

/// The critical path reaches `export` and ends with buildx's provenance.
fn path_reaches(a: &Analysis, export: &str, what: &str) {
    path_reaches_one_of(a, &[export], &[PROVENANCE], what);
}

const PROVENANCE: &str = "resolving provenance for metadata file";

/// The critical path reaches one of `exports`, and ends with one of `ends`: the step that
/// finished last (what the path starts from, traced back).
fn path_reaches_one_of(a: &Analysis, exports: &[&str], ends: &[&str], what: &str) {
    let p = path(a);
    assert!(
        p.iter().any(|s| exports.contains(&s.as_str())),
        "{what}: {p:?}"
    );
    let last = p.last().map(String::as_str).unwrap_or_default();
    assert!(ends.contains(&last), "{what}: {p:?}");
    let latest = a.steps.iter().filter_map(|s| s.end()).max();
    assert_eq!(a.steps[step(a, last)].end(), latest, "{what}: {p:?}");
}

/// The app built through `lab`'s builder with the secret and the registry's address.
fn app(lab: &Lab, ctx: &Path, rec: &str, cache_id: &str, more: &[&str]) -> Built {
    app_with(&[], lab, ctx, rec, cache_id, more)
}

/// [`app`] with buildx-gantt's own `options` (`--plain`).
fn app_with(
    options: &[&str],
    lab: &Lab,
    ctx: &Path,
    rec: &str,
    cache_id: &str,
    more: &[&str],
) -> Built {
    let secret = format!("id=token,src={}", ctx.join("token").display());
    let reg = format!("REG={}", lab.registry());
    let cache = format!("CACHE_ID={cache_id}");
    let meta = ctx.join(format!("{rec}.meta.json"));
    let mut args = vec![
        "--secret",
        &secret,
        "--build-arg",
        &reg,
        "--build-arg",
        &cache,
        "--metadata-file",
        meta.to_str().unwrap(),
    ];
    args.extend(more);
    build_with(
        options,
        &lab.cli,
        &ctx.join("app"),
        "Dockerfile",
        rec,
        &lab.builder,
        &args,
    )
}

#[test]
fn pushes_pulls_with_a_secret_a_load_and_a_failed_pull() {
    let Some(setup) = setup(
        "pushes_pulls_with_a_secret_a_load_and_a_failed_pull",
        "gantt-registry-pull",
    ) else {
        return;
    };
    let (lab, ctx) = (&setup.lab, &setup.ctx);
    let cli = lab.cli.clone();
    let reg = lab.registry();

    // A push-only build: FROM scratch, pushed; the path reaches the push.
    let meta = ctx.join("base.meta.json");
    let image = format!("{reg}/gantt/base:1");
    let b = build(
        &cli,
        &ctx.join("base"),
        "Dockerfile",
        "base.jsonl",
        &lab.builder,
        &[
            "--push",
            "-t",
            &image,
            "--metadata-file",
            meta.to_str().unwrap(),
        ],
    );
    let (_, a) = passed(&b, "push-only");
    path_reaches(&a, "exporting to image", "push-only");
    assert_eq!(
        a.steps[step(&a, "exporting to image")].kind(),
        WorkKind::Push
    );
    lab.docker(&[
        "buildx",
        "build",
        "--builder",
        &lab.builder,
        "--progress",
        "quiet",
        "--push",
        "-t",
        &format!("{reg}/gantt/tools:1"),
        ctx.join("tools").to_str().unwrap(),
    ]);

    // Cold: both bases pulled (the big layer's bytes), the secret read, the race run.
    lab.prune(None);
    let cache_id = unique("reg.pull");
    let b = app(lab, ctx, "cold.jsonl", &cache_id, &[]);
    let (_, a) = passed(&b, "cold");
    let base = &a.steps[base_from(&a)];
    let got = base
        .moved(Transfer::Download)
        .unwrap_or_else(|| panic!("cold: {}", b.show()));
    assert!(
        got.finished() && got.total.is_some_and(|t| t >= 24_000_000),
        "cold: {got:?}"
    );
    assert!(base.pulled());
    assert!(
        stdout(&b.out).contains("Pulls, pushes and exports"),
        "cold: {}",
        b.show()
    );
    assert_eq!(
        a.steps[step(&a, "[tools 3/3]")].state,
        State::Done,
        "the secret was there"
    );
    for s in [&short_name(base), "[builder 3/4]", "[stage-2 5/5]"] {
        assert!(
            path(&a).iter().any(|x| x == s),
            "cold: {s} in {:?}",
            path(&a)
        );
    }
    assert_eq!(a.hazards[0].race, Race::Ran, "cold");
    assert!(a.hazards[0].first.is_some(), "cold");

    // Warm: all hits; the FROMs only resolve. No race, no cache break, no path.
    let b = app(lab, ctx, "warm.jsonl", &cache_id, &[]);
    let (_, a) = passed(&b, "warm");
    assert_eq!(a.hazards[0].race, Race::BothHits, "warm");
    assert!(nothing_ran(&cache_breaks(&a)), "warm");
    assert!(a.critical_path.is_none(), "warm: {:?}", path(&a));
    let said = words(&stdout(&b.out));
    assert!(
        said.contains("— no race ran: both were cache hits"),
        "warm: {said}"
    );
    assert!(
        !said.contains("won") && !said.contains("broke at"),
        "warm: {said}"
    );

    // A push of the result: the path reaches it, and the registry has it.
    lab.prune(None);
    let image = format!("{reg}/gantt/app:1");
    let b = app(lab, ctx, "push.jsonl", &cache_id, &["--push", "-t", &image]);
    let (_, a) = passed(&b, "push");
    path_reaches(&a, "exporting to image", "push");
    let pushed = lab.docker(&["buildx", "imagetools", "inspect", &image]);
    assert!(pushed.contains("Digest:"), "{pushed}");

    // --load from the remote driver: the tarball to docker, its layers' bytes.
    lab.prune(None);
    let tag = format!("gantt-registry-test:{}", std::process::id());
    let b = app(lab, ctx, "load.jsonl", &cache_id, &["--load", "-t", &tag]);
    let (_, a) = passed(&b, "load");
    // buildx imports the tarball into docker beside resolving the provenance: which ends last
    // (and so whether the import is on the path or ran beside it) is the machine's timing (seen
    // under load), not the build's. The export is on the path either way, or the import is.
    let load_steps = ["exporting to docker image format", "importing to docker"];
    path_reaches_one_of(
        &a,
        &load_steps,
        &[PROVENANCE, "importing to docker"],
        "load",
    );
    let import = &a.steps[step(&a, "importing to docker")];
    assert!(
        import
            .moved(Transfer::Load)
            .is_some_and(|l| l.current > 24_000_000),
        "load"
    );
    lab.docker(&["image", "inspect", &tag]);
    lab.docker(&["image", "rm", &tag]);

    // The same cold build read live from buildx's plain output: the pull's bytes from its status
    // lines, the path through the stages to the end.
    lab.prune(None);
    let b = app_with(
        &["--plain"],
        lab,
        ctx,
        "cold.log",
        &unique("reg.plain"),
        &[],
    );
    assert_eq!(b.code(), Some(0), "plain: {}", b.show());
    let (recorded, a) = b.analysed();
    assert_eq!(
        outcome(&recorded, &a),
        Outcome::Succeeded,
        "plain: {}",
        b.show()
    );
    let base = &a.steps[base_from(&a)];
    let got = base.moved(Transfer::Download);
    assert!(
        got.is_some_and(|d| d.finished() && d.current >= 24_000_000),
        "plain: {got:?}"
    );
    path_reaches(&a, "[stage-2 5/5]", "plain");
    let said = words(&stdout(&b.out));
    assert!(
        said.contains(&format!("{} pulled ", short_name(base))),
        "plain: {said}"
    );

    // A base that is not there: the pull fails, and is counted.
    let b = build(
        &cli,
        &ctx.join("missing"),
        "Dockerfile",
        "missing.jsonl",
        &lab.builder,
        &[],
    );
    assert_eq!(b.code(), Some(1), "missing: {}", b.show());
    let (recorded, a) = b.analysed();
    assert_eq!(outcome(&recorded, &a), Outcome::Failed);
    assert_eq!(counts(&a).failed, 1, "missing: {}", b.show());
    assert!(
        stdout(&b.out).contains("gantt/missing:1: not found"),
        "{}",
        b.show()
    );
    b.live_report_is_the_recordings();
}

#[test]
fn cache_exported_to_and_imported_from_a_registry_and_a_directory() {
    let Some(setup) = setup(
        "cache_exported_to_and_imported_from_a_registry_and_a_directory",
        "gantt-registry-cache",
    ) else {
        return;
    };
    let (lab, ctx) = (&setup.lab, &setup.ctx);
    let cli = lab.cli.clone();
    push_bases(lab, ctx, &unique("v"), false);
    let cache_id = unique("reg.cache");
    let dir = lab.dir.join("cache-dir");
    let to_registry = format!("type=registry,ref={}/gantt/cache:app", lab.registry());
    let to_dir = format!("type=local,dest={}", dir.display());
    let from_dir = format!("type=local,src={}", dir.display());
    let shapes = [
        (
            "registry",
            to_registry.clone(),
            to_registry.clone(),
            "exporting cache to registry",
        ),
        (
            "local",
            to_dir,
            from_dir,
            "exporting cache to client directory",
        ),
    ];
    for (kind, to, from, export) in shapes {
        lab.prune(None);
        let to = format!("{to},mode=max");
        let b = app(
            lab,
            ctx,
            &format!("{kind}-export.jsonl"),
            &cache_id,
            &["--cache-to", &to],
        );
        let (_, a) = passed(&b, export);
        path_reaches(&a, export, export);
        let step_of = &a.steps[step(&a, export)];
        assert_eq!(step_of.kind(), WorkKind::CacheExport);
        assert!(
            step_of
                .moved(Transfer::CacheWrite)
                .is_some_and(|w| w.items > 0),
            "{export}"
        );

        // Into an empty builder: the cache imported, every step a hit, no race, no break.
        lab.prune(None);
        let b = app(
            lab,
            ctx,
            &format!("{kind}-import.jsonl"),
            &cache_id,
            &["--cache-from", &from],
        );
        let (_, a) = passed(&b, kind);
        let import = a.steps.iter().find(|s| s.kind() == WorkKind::CacheImport);
        assert!(
            import.is_some_and(|s| s.state == State::Done),
            "{kind}: {}",
            b.show()
        );
        assert_eq!(counts(&a).cached, 9, "{kind}: {}", b.show());
        assert!(nothing_ran(&cache_breaks(&a)), "{kind}");
        assert_eq!(a.hazards[0].race, Race::BothHits, "{kind}");
        assert!(!stdout(&b.out).contains("won"), "{kind}: {}", b.show());
    }

    // One side a cache hit: the writer's stage unchanged, the reader's re-run by a build argument
    // only it uses, the cache mounts emptied in between (a fresh runner's state).
    let onehit = ctx.join("onehit");
    lab.docker(&[
        "buildx",
        "build",
        "--builder",
        &lab.builder,
        "--progress",
        "quiet",
        "--build-arg",
        "SALT=1",
        onehit.to_str().unwrap(),
    ]);
    lab.prune(Some("type=exec.cachemount"));
    let meta = ctx.join("onehit.meta.json");
    let b = build(
        &cli,
        &onehit,
        "Dockerfile",
        "onehit.jsonl",
        &lab.builder,
        &[
            "--build-arg",
            "SALT=2",
            "--metadata-file",
            meta.to_str().unwrap(),
        ],
    );
    let (recorded, a) = passed(&b, "one hit");
    common::registry::the_writer_was_a_cache_hit(&recorded, &a, "one hit");
    let said = words(&stdout(&b.out));
    assert!(
        said.contains("[builder 2/3] was a cache hit, so it did not run and filled nothing"),
        "{}",
        b.show()
    );
}

#[test]
fn a_base_image_changed_under_its_tag_and_the_docker_driver() {
    let Some(setup) = setup(
        "a_base_image_changed_under_its_tag_and_the_docker_driver",
        "gantt-registry-image",
    ) else {
        return;
    };
    let (lab, ctx) = (&setup.lab, &setup.ctx);
    let cli = lab.cli.clone();
    push_bases(lab, ctx, &unique("v1"), false);
    let cache_id = unique("reg.image");
    let warm_up = app(lab, ctx, "first.jsonl", &cache_id, &[]);
    passed(&warm_up, "first");
    let before = app(lab, ctx, "before.jsonl", &cache_id, &[]);
    passed(&before, "before");
    // The same tag, another image (tools stays as it was).
    push_bases(lab, ctx, &unique("v2"), true);
    let after = app(lab, ctx, "after.jsonl", &cache_id, &[]);
    let (_, a) = passed(&after, "after");
    let out = run(
        &[
            "compare",
            before.rec.to_str().unwrap(),
            after.rec.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let roots = d["root_causes"].as_array().unwrap();
    assert_eq!(roots.len(), 1, "{d}");
    let image = format!("] FROM {}/gantt/base:1@", lab.registry());
    assert!(roots[0].as_str().unwrap().contains(&image), "{d}");
    let base = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap().contains(&image))
        .unwrap();
    // `same`, or `moved` where BuildKit named the shared FROM after the other stage this time.
    assert!(
        base["match"] == "same" || base["match"] == "moved",
        "{base}"
    );
    assert_eq!(base["cause"]["kind"], "image", "{base}");
    let (was, is) = (
        &base["cause"]["image"]["before"],
        &base["cause"]["image"]["after"],
    );
    assert!(
        was.as_str().unwrap().starts_with("sha256:") && is.as_str().unwrap().starts_with("sha256:"),
        "{base}"
    );
    assert_ne!(was, is);
    let now = a.steps[base_from(&a)].name().to_string();
    assert!(now.ends_with(is.as_str().unwrap()), "{now} / {is}");

    // Both bases anew: nothing is a cache hit, yet the build did use the cache — both images
    // changed, and everything stands on one of them.
    push_bases(lab, ctx, &unique("v3"), false);
    let both = app(lab, ctx, "both.jsonl", &cache_id, &[]);
    passed(&both, "both");
    let out = run(
        &[
            "compare",
            after.rec.to_str().unwrap(),
            both.rec.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let roots: Vec<&str> = d["root_causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(roots.len(), 2, "{d}");
    assert!(roots.iter().any(|r| r.contains(&image)), "{d}");
    assert!(
        roots.iter().any(|r| r.starts_with("[tools 1/3] FROM ")),
        "{d}"
    );
    for s in d["steps"].as_array().unwrap() {
        assert_ne!(s["cause"]["kind"], "no_cache", "{s}");
    }

    // The docker driver (dockerd's BuildKit) pulls the bases from the registry and pushes the
    // result there: its own push step ends the path.
    let cache_id = unique("reg.dd");
    let image = format!("{}/gantt/app:dd", lab.registry());
    let secret = format!("id=token,src={}", ctx.join("token").display());
    let reg = format!("REG={}", lab.registry());
    let cache = format!("CACHE_ID={cache_id}");
    let b = build(
        &cli,
        &ctx.join("app"),
        "Dockerfile",
        "docker-driver.jsonl",
        "default",
        &[
            "--secret",
            &secret,
            "--build-arg",
            &reg,
            "--build-arg",
            &cache,
            "--push",
            "-t",
            &image,
        ],
    );
    let (_, a) = passed(&b, "docker driver");
    let p = path(&a);
    let push = format!("pushing {image} with docker");
    assert_eq!(p.last(), Some(&push), "docker driver: {p:?}");
    assert!(p.iter().any(|s| s == "[stage-2 5/5]"), "{p:?}");
    let pushed = &a.steps[step(&a, &push)];
    assert_eq!(pushed.kind(), WorkKind::Push);
    assert!(
        pushed.moved(Transfer::Upload).is_some_and(|u| u.finished()),
        "{}",
        b.show()
    );
    assert!(
        a.steps[base_from(&a)].moved(Transfer::Download).is_some(),
        "dockerd pulled the base: {}",
        b.show()
    );
}
