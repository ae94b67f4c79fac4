//! The real Docker daemon for the engine tests: which CLI to use, skipping (or failing, with
//! BUILDX_GANTT_REQUIRE names the engine) when there is none, and build contexts made from busybox.

use std::path::PathBuf;

use buildx_gantt::analysis::Analysis;
use std::process::{Command, Stdio};

use super::{fixture, tmp_dir};

/// The docker CLI to test with, or why there is none.
pub fn docker() -> Result<String, String> {
    let cli =
        std::env::var("BUILDX_GANTT_TEST_DOCKER").unwrap_or_else(|_| "/usr/bin/docker".into());
    let out = Command::new(&cli)
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cli}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "no Docker daemon answers {cli}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if !std::path::Path::new("/usr/bin/busybox").exists() {
        return Err("busybox-static is not installed (the test context is made from it)".into());
    }
    Ok(cli)
}

/// `Some(cli)`, or prints why the test is skipped (and fails if the engine is required).
pub fn engine_or_skip(test: &str) -> Option<String> {
    super::found_or_skip(test, super::Need::Engine, docker())
}

/// `Dockerfiles/WHICH` with a busybox root filesystem next to it, in a new directory.
pub fn context_of(which: &str, name: &str) -> PathBuf {
    let dir = tmp_dir(name);
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("Dockerfiles")
            .join(which)
            .join("Dockerfile"),
        dir.join("Dockerfile"),
    )
    .unwrap();
    make_context(&dir);
    dir
}

/// Puts the busybox root filesystem every test Dockerfile copies into `dir` (make-context.sh).
pub fn make_context(dir: &std::path::Path) {
    let ok = Command::new("sh")
        .arg(fixture("make-context.sh"))
        .arg(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "make-context.sh failed");
}

/// The Dockerfile steps of a build, sorted, with the test's cache id written as the fixtures'.
pub fn dockerfile_steps(a: &Analysis, cache_id: &str) -> Vec<String> {
    let mut v: Vec<String> = a
        .steps
        .iter()
        .filter(|s| s.parsed.is_dockerfile_step())
        .map(|s| s.name().replace(cache_id, "demo.mods.v1"))
        .collect();
    v.sort();
    v
}

/// A docker configuration with no CLI plugins: the docker CLI behaves as where `docker buildx`
/// is missing, whatever this machine has installed (for the tests of the fallbacks).
pub fn without_buildx(c: &mut Command) -> &mut Command {
    c.env("DOCKER_CONFIG", no_plugins_config())
}

/// An empty docker configuration directory (no `cli-plugins/`).
pub fn no_plugins_config() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("buildx-gantt-no-plugins-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
