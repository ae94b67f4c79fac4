//! The stale cache, live: a private BuildKit (its own buildkitd, root and buildx builder, made
//! here and removed at the end, so emptying its cache mounts touches no other test's builder)
//! builds the workaround with an `ARG APPVER` step in stage-2 through the real binary, its cache
//! mounts are pruned, and it is rebuilt with another APPVER: the writer is a cache hit, the reader
//! runs, the build fails, and the live report, the recording and the build record it kept all
//! say why. Without buildx, buildkitd or root this says SKIPPED and why;
//! BUILDX_GANTT_REQUIRE=all (set by .ci/run) makes that a failure.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::buildkitd::PrivateBuilder;
use common::*;
use serde_json::Value;

/// The docker CLI with buildx and what a private builder needs, or why there is none.
fn ready() -> Result<String, String> {
    let cli = std::env::var("BUILDX_GANTT_TEST_DOCKER").unwrap_or_else(|_| "docker".into());
    let version = Command::new(&cli)
        .args(["buildx", "version"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cli}: {e}"))?;
    if !version.status.success() {
        return Err(format!(
            "`{cli} buildx` is not available (run ../shared/buildkit/setup.sh)"
        ));
    }
    if let Some(why) = common::buildkitd::missing() {
        return Err(why);
    }
    if !Path::new("/usr/bin/busybox").exists() {
        return Err("busybox-static is not installed (the test context is made from it)".into());
    }
    Ok(cli)
}

fn ready_or_skip(test: &str) -> Option<String> {
    found_or_skip(test, common::Need::Buildx, ready())
}

/// `buildx-gantt --record REC Dockerfile CTX -- --builder B ARGS…`, without a terminal.
fn gantt(b: &PrivateBuilder, ctx: &Path, rec: &str, extra: &[&str], args: &[&str]) -> Output {
    bin()
        .args(["--docker", &b.cli, "--engine", "cli", "--record"])
        .arg(ctx.join(rec))
        .args(extra)
        .arg(ctx.join("Dockerfile"))
        .arg(ctx)
        .args(["--", "--builder", &b.name])
        .args(args)
        .env("COLUMNS", "120")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

fn stale_of(file: &Path) -> Vec<Value> {
    let out = run(
        &["report", file.to_str().unwrap(), "--format", "json"],
        None,
    );
    let j: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", file.display(), stderr(&out)));
    j["stale_caches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s["reader_name"] = j["steps"][s["reader"].as_u64().unwrap() as usize]["name"].clone();
            s
        })
        .collect()
}

#[test]
fn a_rebuild_after_the_cache_mounts_were_pruned_reads_a_stale_cache_and_says_so() {
    let test = "a_rebuild_after_the_cache_mounts_were_pruned_reads_a_stale_cache_and_says_so";
    let Some(cli) = ready_or_skip(test) else {
        return;
    };
    let b = PrivateBuilder::start(&cli, "stale", None).unwrap_or_else(|e| panic!("{test}: {e}"));
    let ctx = tmp_dir("stale-live");
    std::fs::copy(fixture("stale/Dockerfile"), ctx.join("Dockerfile")).unwrap();
    common::engine::make_context(&ctx);

    // The first build: the writer runs, the build passes, nothing stale.
    let first = gantt(&b, &ctx, "first.jsonl", &[], &["--build-arg", "APPVER=1"]);
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    assert!(!stdout(&first).contains("Stale cache"), "{}", show(&first));
    assert!(stale_of(&ctx.join("first.jsonl")).is_empty());

    // What a fresh CI runner with --cache-from has: layers cached, cache mounts empty.
    b.prune(Some("type=exec.cachemount"));
    let second = gantt(
        &b,
        &ctx,
        "stale.jsonl",
        &["--check"],
        &["--build-arg", "APPVER=2"],
    );
    // The check fails on the stale cache (3), and says why on stderr.
    assert_eq!(second.status.code(), Some(3), "{}", show(&second));
    let said = stderr(&second);
    assert!(
        said.contains("stale cache") && said.contains("[builder 2/4]"),
        "{}",
        show(&second)
    );
    // The live report names reader, cache, the writer that did not run, and the failure.
    let live = stdout(&second);
    assert!(
        live.contains("∅ stale cache \"demo.mods.v1\": [stage-2 4/6] ran, its writer [builder 2/4] did not (a cache hit)"),
        "{}",
        show(&second)
    );
    assert!(
        live.contains("The build then failed at [stage-2 6/6]"),
        "{}",
        show(&second)
    );
    assert!(live.contains("modules missing"), "{}", show(&second));
    // So do the recording and the build record the live build kept beside it.
    for file in [ctx.join("stale.jsonl"), ctx.join("stale.dockerbuild")] {
        assert!(file.exists(), "{}: {}", file.display(), show(&second));
        let stale = stale_of(&file);
        assert_eq!(stale.len(), 1, "{}: {stale:?}", file.display());
        assert_eq!(stale[0]["cache_id"], "demo.mods.v1");
        assert!(stale[0]["reader_name"]
            .as_str()
            .unwrap()
            .starts_with("[stage-2 4/6]"));
        assert!(stale[0]["failure"].is_u64(), "{}", file.display());
    }

    // A cache seeded `from=` a stage is another cache than the same id without it: the lint
    // fixture's reader sees the seed, not what `builder` wrote to `id=seeded` (lint finds nothing
    // there, and this is why).
    let seeded = tmp_dir("stale-live-seeded");
    let df = std::fs::read_to_string(fixture("lint/seeded.Dockerfile"))
        .unwrap()
        .replace(
            "cat /c/x",
            "sh -c 'ls -la /c; test -e /c/x && test ! -e /c/written'",
        )
        .replace("cp /out/x /c/", "touch /c/written");
    std::fs::write(seeded.join("Dockerfile"), df).unwrap();
    common::engine::make_context(&seeded);
    let out = gantt(&b, &seeded, "seeded.jsonl", &[], &["--no-cache"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    drop(b);
}
