//! The Engine API path, `repeat`, `--cold`, `--verify-layers` and `doctor`, against a real Docker
//! daemon (Debian's dockerd 20.10: BuildKit, no buildx plugin). `.ci/run` starts one and sets
//! BUILDX_GANTT_REQUIRE (engine or all), so these cannot skip there; elsewhere they print SKIPPED and why.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use buildx_gantt::analysis::Analysis;
use buildx_gantt::dockerfile::Dockerfile;
use common::builders::{hold, Held, Use};
use common::engine::*;
use common::*;

/// One engine test at a time in this binary, each holding the daemon's lock as it uses it
/// (`repeat` and `--cold` empty the daemon's whole build cache, which would pull it from under a
/// build running in parallel, here or in another test binary). The lock first, then the mutex,
/// in every test: never the other way round.
static DAEMON: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn daemon(how: Use) -> (Held, std::sync::MutexGuard<'static, ()>) {
    let held = hold(&[("default", how)]);
    (held, DAEMON.lock().unwrap_or_else(|e| e.into_inner()))
}

/// These tests are about building where buildx is missing: the docker CLI runs without plugins.
fn gantt(cli: &str, args: &[&str]) -> Command {
    let mut c = bin();
    c.arg("--docker").arg(cli);
    c.args(args).env("COLUMNS", "120").stdin(Stdio::null());
    without_buildx(&mut c);
    c
}

fn sub(cli: &str, args: &[&str]) -> Command {
    let mut c = bin();
    c.args(args)
        .env("BUILDX_GANTT_DOCKER", cli)
        .env("COLUMNS", "120")
        .stdin(Stdio::null());
    without_buildx(&mut c);
    c
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stderr\n{}\n--- stdout\n{}",
        o.status.code(),
        stderr(o),
        stdout(o)
    )
}

#[test]
fn without_buildx_the_race_builds_through_the_engine_api_with_the_fixture_steps_and_hazard() {
    let Some(cli) = engine_or_skip("engine_race") else {
        return;
    };
    let _daemon = daemon(Use::Build);
    let ctx = context_of("race", "engine-race");
    let rec = ctx.join("build.jsonl");
    let cache_id = unique("engine");
    let out = gantt(
        &cli,
        &[
            "--check",
            "--record",
            rec.to_str().unwrap(),
            ctx.join("Dockerfile").to_str().unwrap(),
            ctx.to_str().unwrap(),
            "--",
            "--no-cache",
            "--build-arg",
            &format!("CACHE_ID={cache_id}"),
        ],
    )
    .output()
    .unwrap();
    let all = show(&out);
    // --check: the hazard is in the Dockerfile, so 3 whichever way the race went.
    assert_eq!(out.status.code(), Some(3), "{all}");
    let said = stderr(&out);
    let said = said.lines().last().unwrap_or("");
    assert!(
        said.starts_with("buildx-gantt --check: 1 cache hazard") && said.contains(&cache_id),
        "{all}"
    );
    assert!(
        stderr(&out).contains("building through the Docker Engine API"),
        "chosen automatically and announced: {all}"
    );
    assert!(stdout(&out).contains("HAZARD"), "{all}");
    // The recording is rawjson: it replays, with the fixture's Dockerfile steps and the hazard.
    let df = Dockerfile::parse(
        &std::fs::read_to_string(ctx.join("Dockerfile")).unwrap(),
        &[("CACHE_ID".into(), cache_id.clone())],
    );
    let loaded =
        buildx_gantt::source::saved::load(rec.to_str().unwrap(), Default::default(), Some(&df))
            .unwrap();
    assert!(
        !loaded.build.is_estimated(),
        "exact times, not reconstructed"
    );
    let a = Analysis::of(&loaded.build, Some(&df));
    let (_, fixture_a) = analyse("race/rawjson-fail.jsonl");
    assert_eq!(
        dockerfile_steps(&a, &cache_id),
        dockerfile_steps(&fixture_a, "demo.mods.v1")
    );
    assert_eq!(a.hazards.len(), 1);
    assert_eq!(a.hazards[0].cache_id, cache_id);
    let replay = bin()
        .args(["replay", "--instant", rec.to_str().unwrap()])
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // Either outcome of the race, as the build's own exit code; the check said which.
    let built = replay.status.code();
    assert!(matches!(built, Some(0 | 1)), "{}", show(&replay));
    assert_eq!(
        said.contains("The build itself also failed (exit 1)"),
        built == Some(1),
        "{said}"
    );
    assert!(
        stdout(&replay).contains(&format!("cache \"{cache_id}\"")),
        "{}",
        show(&replay)
    );
}

#[test]
fn repeat_six_times_prints_each_run_and_the_prediction() {
    let Some(cli) = engine_or_skip("engine_repeat") else {
        return;
    };
    let _daemon = daemon(Use::Own);
    let ctx = context_of("race", "engine-repeat");
    let dir = ctx.join("runs");
    let cache_id = unique("repeat");
    let out = sub(
        &cli,
        &[
            "repeat",
            ctx.join("Dockerfile").to_str().unwrap(),
            ctx.to_str().unwrap(),
            "-n",
            "6",
            "--engine",
            "api",
            "--record-dir",
            dir.to_str().unwrap(),
            "--",
            "--build-arg",
            &format!("CACHE_ID={cache_id}"),
        ],
    )
    .output()
    .unwrap();
    let (so, all) = (stdout(&out), show(&out));
    for run in 1..=6 {
        assert!(
            so.lines()
                .any(|l| l.trim_start().starts_with(&format!("#{run} "))),
            "row for run {run}: {all}"
        );
    }
    let rows: Vec<&str> = so
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(rows.len(), 6, "{all}");
    for r in &rows {
        assert!(
            r.contains("took") && r.contains(&cache_id),
            "each row names who took the cache: {r}"
        );
    }
    let failed = rows.iter().filter(|r| r.contains("FAIL")).count();
    assert!(
        so.contains(&format!("{failed} of 6 builds failed")),
        "{all}"
    );
    assert!(
        so.contains("the builds where `[") && so.contains("first failed"),
        "{all}"
    );
    assert!(so.contains("outcomes"), "{all}");
    // Each run's cache was emptied and said so; each run was recorded.
    assert_eq!(
        stderr(&out)
            .matches("emptied the daemon's build cache")
            .count(),
        6,
        "{all}"
    );
    for run in 1..=6 {
        assert!(dir.join(format!("run-{run:03}.jsonl")).is_file(), "{all}");
    }
    assert_eq!(
        out.status.code(),
        Some(if failed > 0 { 1 } else { 0 }),
        "{all}"
    );
}

/// Cached Dockerfile steps in a recording.
fn cached_steps(rec: &Path) -> usize {
    let l =
        buildx_gantt::source::saved::load(rec.to_str().unwrap(), Default::default(), None).unwrap();
    Analysis::of(&l.build, None)
        .steps
        .iter()
        .filter(|s| s.parsed.is_dockerfile_step() && s.state == buildx_gantt::model::State::Cached)
        .count()
}

#[test]
fn cold_empties_the_cache_and_verify_layers_checks_the_image() {
    let Some(cli) = engine_or_skip("engine_cold_layers") else {
        return;
    };
    let _daemon = daemon(Use::Own);
    let ctx = context_of("workaround", "engine-cold");
    // A root filesystem no other build has: the prune cannot leave `[base 1/1]` cached because
    // a build elsewhere on the daemon holds the same layer (a record in use is not pruned).
    std::fs::write(ctx.join("rootfs/.cold-test"), unique("cold")).unwrap();
    let (df, c) = (
        ctx.join("Dockerfile").to_str().unwrap().to_string(),
        ctx.to_str().unwrap().to_string(),
    );
    let tag = format!("buildx-gantt-test:{}", unique("cold"));
    // A cache mount of its own: one that others' builds share (the Dockerfile's default id) may
    // be emptied by them while a writer's layer stays cached.
    let arg = format!("CACHE_ID={}", unique("cold"));
    let build = |name: &str, extra: &[&str]| {
        let rec = ctx.join(name);
        let mut args = vec!["--engine", "api", "--record", rec.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend([df.as_str(), c.as_str(), "--", "--tag", tag.as_str()]);
        args.extend(["--build-arg", arg.as_str()]);
        let out = gantt(&cli, &args).output().unwrap();
        (out, rec)
    };
    // Warm, then warm again: the second build is all cache.
    let (out, _) = build("warm.jsonl", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    // …and the workaround has no hazard: --check passes it.
    let (out, rec) = build("again.jsonl", &["--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(cached_steps(&rec) > 0, "a warm build uses the cache");
    // --cold says what it removed, and nothing is cached afterwards.
    let (out, rec) = build("cold.jsonl", &["--cold", "--verify-layers"]);
    let all = show(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        stderr(&out).contains("--cold: emptied the daemon's build cache: ")
            && stderr(&out).contains("removed"),
        "{all}"
    );
    assert_eq!(cached_steps(&rec), 0, "{all}");
    // The workaround's image: COPY rootfs, then RUN, WORKDIR, COPY, RUN, COPY, RUN.
    assert!(
        stdout(&out).contains("Layers OK") && stdout(&out).contains("has 7 layers"),
        "{all}"
    );
    // An image that lacks a layer: the same Dockerfile without one COPY, checked against it.
    let lacking = ctx.join("Dockerfile.lacking");
    let text = std::fs::read_to_string(&df).unwrap();
    std::fs::write(
        &lacking,
        text.lines()
            .filter(|l| !l.starts_with("COPY --from=builder /src/index"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let lacking_tag = format!("{tag}-lacking");
    let out = gantt(
        &cli,
        &[
            "--engine",
            "api",
            "--no-record",
            lacking.to_str().unwrap(),
            &c,
            "--",
            "--tag",
            &lacking_tag,
            "--build-arg",
            &arg,
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = sub(&cli, &["verify-layers", &lacking_tag, "-f", &df])
        .output()
        .unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        stdout(&out).contains("MISSING LAYER")
            && stdout(&out).contains("COPY /src/index /app/")
            && stdout(&out).contains("has 6 layers"),
        "{all}"
    );
    let out = sub(&cli, &["verify-layers", &tag, "-f", &df])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for t in [&tag, &lacking_tag] {
        let _ = Command::new(&cli).args(["rmi", "-f", t]).output();
    }
}

#[test]
fn doctor_reports_the_daemon_and_the_missing_buildx() {
    let Some(cli) = engine_or_skip("engine_doctor") else {
        return;
    };
    let _daemon = daemon(Use::Build);
    let version = Command::new(&cli)
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let out = sub(&cli, &["doctor"]).output().unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(stdout(&out).contains(&format!("Docker {version}")), "{all}");
    assert!(stdout(&out).contains("API 1."), "{all}");
    assert!(stdout(&out).contains("buildx plugin: missing"), "{all}");
    assert!(
        stdout(&out).contains("fix: install the buildx plugin"),
        "{all}"
    );
    // No daemon and no CLI: nothing can build, and it says so.
    let out = bin()
        .args(["doctor", "--docker", "/nonexistent/docker"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("Nothing can build"), "{}", show(&out));
}

#[test]
fn a_dead_daemon_a_syntax_error_and_an_unreadable_context_are_explained() {
    let Some(cli) = engine_or_skip("engine_errors") else {
        return;
    };
    let _daemon = daemon(Use::Build);
    let ctx = context_of("race", "engine-errors");
    let df = ctx.join("Dockerfile");
    // No daemon at DOCKER_HOST.
    let out = gantt(
        &cli,
        &[
            "--engine",
            "api",
            "--no-record",
            df.to_str().unwrap(),
            ctx.to_str().unwrap(),
        ],
    )
    .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    .output()
    .unwrap();
    let all = show(&out);
    assert!(matches!(out.status.code(), Some(1 | 2)), "{all}");
    assert!(
        stderr(&out).contains("/nonexistent/docker.sock"),
        "names where it looked: {all}"
    );
    assert!(!stderr(&out).contains("panicked"), "{all}");
    // A Dockerfile syntax error, reported by BuildKit; the recording is kept.
    let bad = ctx.join("Dockerfile.bad");
    std::fs::write(&bad, "FROM scratch\nFORM scratch\n").unwrap();
    let rec = ctx.join("bad.jsonl");
    let out = gantt(
        &cli,
        &[
            "--engine",
            "api",
            "--record",
            rec.to_str().unwrap(),
            bad.to_str().unwrap(),
            ctx.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("unknown instruction: FORM"),
        "BuildKit's words: {all}"
    );
    assert!(
        rec.is_file() && std::fs::metadata(&rec).unwrap().len() > 0,
        "{all}"
    );
    // An unreadable file in the context (as an unprivileged user: root reads everything).
    let secret = ctx.join("secret");
    std::fs::write(&secret, "x").unwrap();
    Command::new("chmod")
        .args(["000"])
        .arg(&secret)
        .status()
        .unwrap();
    Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(&ctx)
        .status()
        .unwrap();
    Command::new("chmod")
        .args(["000"])
        .arg(&secret)
        .status()
        .unwrap();
    let mut cmd = // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_buildx-gantt"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_buildx-gantt"))
    };
    let out = cmd
        .args([
            "--engine",
            "api",
            "--no-record",
            df.to_str().unwrap(),
            ctx.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        stderr(&out).contains("cannot read the build context")
            && stderr(&out).contains("secret")
            && stderr(&out).contains("ermission denied"),
        "{all}"
    );
}

/// A socket that forwards to the daemon until told to drop everything: a daemon going away.
fn doomed_proxy(path: &Path, to: &str, dead: Arc<AtomicBool>) {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).unwrap();
    let to = to.to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { return };
            if dead.load(Ordering::SeqCst) {
                return;
            }
            let Ok(server) = UnixStream::connect(&to) else {
                return;
            };
            for (mut a, mut b) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                let dead = dead.clone();
                std::thread::spawn(move || {
                    let _ = a.set_read_timeout(Some(Duration::from_millis(50)));
                    let mut buf = [0u8; 65536];
                    loop {
                        if dead.load(Ordering::SeqCst) {
                            let _ = a.shutdown(std::net::Shutdown::Both);
                            let _ = b.shutdown(std::net::Shutdown::Both);
                            return;
                        }
                        match a.read(&mut buf) {
                            Ok(0) => {
                                let _ = b.shutdown(std::net::Shutdown::Write);
                                return;
                            }
                            Ok(n) => {
                                if b.write_all(&buf[..n]).is_err() {
                                    return;
                                }
                            }
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                ) => {}
                            Err(_) => return,
                        }
                    }
                });
            }
        }
    });
}

#[test]
fn a_daemon_that_goes_away_mid_build_is_reported_and_the_recording_kept() {
    let Some(cli) = engine_or_skip("engine_daemon_gone") else {
        return;
    };
    let _daemon = daemon(Use::Build);
    let ctx = context_of("race", "engine-gone");
    // builder's long step lasts two minutes here, not 3 s: the build is still running whenever
    // the plug is pulled, however loaded the machine.
    let df = ctx.join("Dockerfile");
    let text = std::fs::read_to_string(&df).unwrap();
    assert!(text.contains("sleep 3;"));
    std::fs::write(&df, text.replace("sleep 3;", "sleep 120;")).unwrap();
    let sock = ctx.join("proxy.sock");
    let dead = Arc::new(AtomicBool::new(false));
    doomed_proxy(&sock, "/var/run/docker.sock", dead.clone());
    let rec = ctx.join("gone.jsonl");
    let cache_id = unique("gone");
    let mut child = gantt(
        &cli,
        &[
            "--engine",
            "api",
            "--record",
            rec.to_str().unwrap(),
            ctx.join("Dockerfile").to_str().unwrap(),
            ctx.to_str().unwrap(),
            "--",
            "--no-cache",
            "--build-arg",
            &format!("CACHE_ID={cache_id}"),
        ],
    )
    .env("DOCKER_HOST", format!("unix://{}", sock.display()))
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Pull the plug once the long RUN has started.
    wait_for_line(&rec, "the long RUN started", |l| {
        l.contains("sleep 120") && l.contains("\"started\"")
    });
    dead.store(true, Ordering::SeqCst);
    // (A hang guard: the bug was waiting for the client's 600 s.)
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < HANG_GUARD, "stuck after the daemon went away");
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let all = format!("{status:?}\n{}\n{}", stderr(&out), stdout(&out));
    assert_eq!(status.code(), Some(1), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    assert!(all.contains("lost the Docker daemon"), "{all}");
    assert!(stderr(&out).contains("recorded to"), "{all}");
    let kept = std::fs::read_to_string(&rec).unwrap();
    assert!(
        kept.contains("sleep 120"),
        "the recording up to then is kept"
    );
}

#[test]
fn a_dockerfile_on_standard_input_builds_through_the_engine_api() {
    let Some(cli) = engine_or_skip("engine_stdin_dockerfile") else {
        return;
    };
    let _daemon = daemon(Use::Build);
    let ctx = context_of("race", "engine-stdin");
    let marker = unique("stdin");
    // Not the context's Dockerfile: one only standard input holds.
    let dockerfile =
        format!("FROM scratch\nCOPY rootfs/ /\nRUN echo {marker} > /marker && cat /marker\n");
    let mut child = gantt(
        &cli,
        &["--engine", "api", "--no-record", "-", ctx.to_str().unwrap()],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dockerfile.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let all = show(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        stdout(&out).contains(&format!("RUN echo {marker}")),
        "the step of the Dockerfile from standard input: {all}"
    );
}
