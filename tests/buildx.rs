//! The main path against the real thing: `buildx-gantt Dockerfile` running the real
//! `docker buildx build --progress=rawjson`, with buildx's docker driver (builder `default`,
//! dockerd 20.10's BuildKit v0.8) and its remote driver (builder `buildkit-remote`, BuildKit
//! v0.32), both set up by `../shared/buildkit/setup.sh`. Each build's live chart (the report
//! printed when the session ends) is checked against `report` of its recording, and what it says
//! against what happened. Without buildx or the builders these tests say SKIPPED and why;
//! `.ci/run` sets BUILDX_GANTT_REQUIRE=all, which makes that a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use buildx_gantt::analysis::{cache_breaks, Analysis};
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::model::State;
use common::builders::{hold, Held, Use};
use common::buildkitd::PrivateBuilder;
use common::signals::{catches, wait_until_catching};
use common::*;

const DRIVERS: [&str; 2] = ["default", "buildkit-remote"];

/// The docker CLI with buildx, or why there is none.
fn docker() -> Result<String, String> {
    let cli = std::env::var("BUILDX_GANTT_TEST_DOCKER").unwrap_or_else(|_| "docker".into());
    let run = |args: &[&str]| Command::new(&cli).args(args).stdin(Stdio::null()).output();
    let version = run(&["buildx", "version"]).map_err(|e| format!("cannot run {cli}: {e}"))?;
    if !version.status.success() {
        return Err(format!(
            "`{cli} buildx` is not available (run ../shared/buildkit/setup.sh)"
        ));
    }
    for b in DRIVERS {
        let out = run(&["buildx", "inspect", "--bootstrap", b]).map_err(|e| e.to_string())?;
        if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains("running") {
            return Err(format!("the buildx builder `{b}` is not running (setup.sh adds it; `default` needs dockerd)"));
        }
    }
    if !Path::new("/usr/bin/busybox").exists() {
        return Err("busybox-static is not installed (the test context is made from it)".into());
    }
    Ok(cli)
}

fn buildx_or_skip(test: &str) -> Option<String> {
    found_or_skip(test, common::Need::Buildx, docker())
}

/// One build at a time in this binary: the race needs the machine to itself to be a race, and
/// the cache tests must not see each other's builds. And the locks of the builders a test uses
/// (see `common::builders`: shared to build, exclusive to empty a cache or read the latest
/// build), across test binaries; always the locks first, then the mutex.
static BUILDS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time(on: &[(&str, Use)]) -> (Held, std::sync::MutexGuard<'static, ()>) {
    let held = hold(on);
    (held, BUILDS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Both builders, to build on.
const BOTH: [(&str, Use); 2] = [("default", Use::Build), ("buildkit-remote", Use::Build)];
const REMOTE: [(&str, Use); 1] = [("buildkit-remote", Use::Build)];

/// A context: the fixture's Dockerfile (and `src/`) with a busybox root filesystem.
fn context(fixture_dir: &str, name: &str) -> PathBuf {
    let dir = tmp_dir(name);
    let from = fixture(fixture_dir);
    std::fs::copy(from.join("Dockerfile"), dir.join("Dockerfile")).unwrap();
    if from.join("src").is_dir() {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        for f in std::fs::read_dir(from.join("src")).unwrap().flatten() {
            std::fs::copy(f.path(), dir.join("src").join(f.file_name())).unwrap();
        }
    }
    common::engine::make_context(&dir);
    dir
}

struct Built {
    out: Output,
    rec: PathBuf,
}

impl Built {
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }

    fn show(&self) -> String {
        format!(
            "exit {:?}\n--- stderr\n{}\n--- stdout\n{}",
            self.code(),
            stderr(&self.out),
            stdout(&self.out)
        )
    }
}

/// `buildx-gantt --record REC DOCKERFILE CTX -- --builder B ARGS…`, without a terminal.
fn gantt(cli: &str, ctx: &Path, rec: &str, builder: &str, args: &[&str]) -> Command {
    let rec = ctx.join(rec);
    let mut c = bin();
    c.args(["--docker", cli, "--engine", "cli", "--record"])
        .arg(&rec)
        .arg(ctx.join("Dockerfile"))
        .arg(ctx)
        .args(["--", "--builder", builder])
        .args(args)
        .env("COLUMNS", "120")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    c
}

fn build(cli: &str, ctx: &Path, rec: &str, builder: &str, args: &[&str]) -> Built {
    let out = gantt(cli, ctx, rec, builder, args).output().unwrap();
    Built {
        out,
        rec: ctx.join(rec),
    }
}

/// The recording, analysed with the build's Dockerfile.
fn analysed(b: &Built, ctx: &Path, build_args: &[(String, String)]) -> Analysis {
    let text = std::fs::read_to_string(ctx.join("Dockerfile")).unwrap();
    let df = Dockerfile::parse(&text, build_args);
    let l =
        buildx_gantt::source::saved::load(b.rec.to_str().unwrap(), Default::default(), Some(&df))
            .unwrap_or_else(|e| panic!("{e}\n{}", b.show()));
    Analysis::of(&l.build, Some(&df))
}

/// What the live session printed when it ended is what `report` says of its recording (all but
/// the first line, which names the Dockerfile on one side and the recording on the other).
fn live_chart_is_the_recordings_report(b: &Built, ctx: &Path) {
    let df = ctx.join("Dockerfile");
    let report = run(
        &[
            "report",
            b.rec.to_str().unwrap(),
            "-f",
            df.to_str().unwrap(),
            "--width",
            "120",
            "--color",
            "never",
        ],
        None,
    );
    let report = stdout(&report);
    let body: String = report.lines().skip(1).collect::<Vec<_>>().join("\n");
    let live = stdout(&b.out);
    assert!(
        !body.trim().is_empty() && live.contains(body.trim()),
        "the live report differs from the recording's:\n--- report\n{report}\n{}",
        b.show()
    );
}

fn build_args(cache_id: &str) -> Vec<(String, String)> {
    vec![("CACHE_ID".into(), cache_id.into())]
}

#[test]
fn the_race_on_both_drivers_says_what_happened() {
    let Some(cli) = buildx_or_skip("the_race_on_both_drivers_says_what_happened") else {
        return;
    };
    let _one = one_at_a_time(&BOTH);
    for builder in DRIVERS {
        let ctx = context("race", &format!("buildx-race-{builder}"));
        let cache_id = unique("race");
        let arg = format!("CACHE_ID={cache_id}");
        let b = build(
            &cli,
            &ctx,
            "race.jsonl",
            builder,
            &["--no-cache", "--build-arg", &arg],
        );
        assert!(matches!(b.code(), Some(0 | 1)), "{builder}: {}", b.show());
        let a = analysed(&b, &ctx, &build_args(&cache_id));
        // The verdict matches what happened: the build failed exactly when the reader took the
        // cache first.
        assert_eq!(a.hazards.len(), 1, "{builder}: {}", b.show());
        let h = &a.hazards[0];
        assert_eq!(h.cache_id, cache_id);
        let reader_first = h.first == Some(h.reader.step);
        assert_eq!(reader_first, b.code() == Some(1), "{builder}: {}", b.show());
        // …and the report says who took it first.
        let first = if reader_first {
            "[stage-2 2/4]"
        } else {
            "[builder 2/3]"
        };
        let said = format!("{first} took the cache first");
        assert!(
            stdout(&b.out).contains(&said),
            "{builder}: {said}\n{}",
            b.show()
        );
        // stage-2's first steps ran alongside builder, for real time.
        let o = a
            .overlaps
            .iter()
            .find(|o| o.stage == "stage-2")
            .expect("stage-2 overlaps");
        assert!(o.duration > 0 && o.pairs.iter().all(|p| p.duration() > 0));
        live_chart_is_the_recordings_report(&b, &ctx);
    }
}

#[test]
fn the_workaround_and_a_failing_build_on_both_drivers() {
    let Some(cli) = buildx_or_skip("the_workaround_and_a_failing_build_on_both_drivers") else {
        return;
    };
    let _one = one_at_a_time(&BOTH);
    for builder in DRIVERS {
        let ctx = context("workaround", &format!("buildx-workaround-{builder}"));
        let cache_id = unique("wa");
        let arg = format!("CACHE_ID={cache_id}");
        let b = build(
            &cli,
            &ctx,
            "wa.jsonl",
            builder,
            &["--no-cache", "--build-arg", &arg],
        );
        assert_eq!(b.code(), Some(0), "{builder}: {}", b.show());
        let a = analysed(&b, &ctx, &build_args(&cache_id));
        assert!(a.hazards.is_empty(), "{builder}: {:?}", a.hazards);
        // The critical path runs through the stages on every driver.
        let cp = a.critical_path.as_ref().expect("a critical path");
        let chain: Vec<&str> = cp.steps.iter().map(|&s| name(&a, s)).collect();
        assert!(
            chain.iter().any(|n| n.starts_with("[builder 2/4]")),
            "{builder}: {chain:?}"
        );
        assert!(
            chain.iter().any(|n| n.starts_with("[stage-2 6/6]")),
            "{builder}: {chain:?}"
        );
        live_chart_is_the_recordings_report(&b, &ctx);

        let ctx = context("fail", &format!("buildx-fail-{builder}"));
        let b = build(&cli, &ctx, "fail.jsonl", builder, &["--no-cache"]);
        assert_eq!(b.code(), Some(1), "{builder}: {}", b.show());
        let a = analysed(&b, &ctx, &[]);
        let bad = step(&a, "[bad 1/1]");
        assert_eq!(a.steps[bad].state, State::Failed, "{builder}");
        assert!(
            stdout(&b.out).contains("build FAILED"),
            "{builder}: {}",
            b.show()
        );
        assert!(
            stdout(&b.out).contains("bad: something on stderr"),
            "{builder}: {}",
            b.show()
        );
        live_chart_is_the_recordings_report(&b, &ctx);
    }
}

#[test]
fn a_cold_build_a_cached_rebuild_and_a_rebuild_after_a_context_change() {
    let test = "a_cold_build_a_cached_rebuild_and_a_rebuild_after_a_context_change";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let _one = one_at_a_time(&BOTH);
    for builder in DRIVERS {
        let ctx = context("ctxchange", &format!("buildx-ctx-{builder}"));
        // Content no other build has seen: the first build is cold.
        std::fs::write(ctx.join("src/README"), unique("readme")).unwrap();
        std::fs::write(ctx.join("src/version"), unique("v1")).unwrap();
        let cold = build(&cli, &ctx, "cold.jsonl", builder, &[]);
        assert_eq!(cold.code(), Some(0), "{builder}: {}", cold.show());
        let a = analysed(&cold, &ctx, &[]);
        let app = step(&a, "[app 2/2]");
        assert_eq!(a.steps[app].state, State::Done, "{builder}");

        let again = build(&cli, &ctx, "again.jsonl", builder, &[]);
        assert_eq!(again.code(), Some(0), "{builder}: {}", again.show());
        let a = analysed(&again, &ctx, &[]);
        assert!(
            a.overlaps.is_empty(),
            "{builder}: cache hits are not races: {:?}",
            a.overlaps
        );
        let dockerfile_steps = a.steps.iter().filter(|s| s.parsed.is_dockerfile_step());
        assert!(
            dockerfile_steps.clone().all(|s| s.state == State::Cached),
            "{builder}"
        );
        // All 10 Dockerfile steps; 11 when another build on the same builder ran the same
        // `[base 1/1]` at that moment: BuildKit shares the vertex and reports it to both builds.
        let said = stdout(&again.out);
        assert!(
            said.contains("Fully cached: all 10 steps were cache hits")
                || said.contains("Fully cached: all 11 steps were cache hits"),
            "{builder}: {}",
            again.show()
        );
        live_chart_is_the_recordings_report(&again, &ctx);

        std::fs::write(ctx.join("src/version"), unique("v2")).unwrap();
        let changed = build(&cli, &ctx, "changed.jsonl", builder, &[]);
        assert_eq!(changed.code(), Some(0), "{builder}: {}", changed.show());
        let a = analysed(&changed, &ctx, &[]);
        assert!(a.overlaps.is_empty(), "{builder}: {:?}", a.overlaps);
        let breaks = cache_breaks(&a);
        let of = |stage: &str| breaks.iter().find(|b| b.stage == stage).unwrap();
        assert_eq!(of("docs").broke_at, None, "{builder}");
        assert_eq!(of("tools").broke_at, None, "{builder}");
        let app = of("app").broke_at.map(|s| name(&a, s));
        assert!(
            app.is_some_and(|n| n.starts_with("[app 1/2]")),
            "{builder}: {app:?}"
        );
        assert!(
            stdout(&changed.out).contains("the cache broke at [app 1/2]"),
            "{builder}: {}",
            changed.show()
        );
        live_chart_is_the_recordings_report(&changed, &ctx);
    }
}

#[test]
fn ctrl_c_mid_build_cancels_it_and_keeps_the_recording() {
    let Some(cli) = buildx_or_skip("ctrl_c_mid_build_cancels_it_and_keeps_the_recording") else {
        return;
    };
    let _one = one_at_a_time(&BOTH);
    for builder in DRIVERS {
        let ctx = context("race", &format!("buildx-cancel-{builder}"));
        // builder's long step lasts a minute here, not 3 s: the build is still running whenever
        // the Ctrl-C comes, however loaded the machine.
        let df = ctx.join("Dockerfile");
        let text = std::fs::read_to_string(&df).unwrap();
        assert!(text.contains("sleep 3;"));
        std::fs::write(&df, text.replace("sleep 3;", "sleep 60;")).unwrap();
        let arg = format!("CACHE_ID={}", unique("cancel"));
        let child = gantt(
            &cli,
            &ctx,
            "cancel.jsonl",
            builder,
            &["--no-cache", "--build-arg", &arg],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let me = child.id() as i32;
        // Once builder's long step runs (and we handle Ctrl-C), Ctrl-C.
        let rec = ctx.join("cancel.jsonl");
        wait_for_line(&rec, "builder's long step started", |l| {
            l.contains("sleep 60") && l.contains("\"started\"")
        });
        wait_until_catching(me, &[libc::SIGINT]);
        let ours: Vec<i32> = descendants(me);
        assert!(!ours.is_empty(), "{builder}: buildx runs as our child");
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(me, libc::SIGINT) };
        let out = child.wait_with_output().unwrap();
        let b = Built { out, rec };
        assert_eq!(b.code(), Some(130), "{builder}: {}", b.show());
        // Nothing we started is left running (a hang guard: they go within the grace period).
        wait_until(&format!("{builder}: {ours:?} ending"), || {
            !ours.iter().any(|&p| alive(p))
        });
        // The recording is kept, and reads as a build that did not end well.
        let a = analysed(&b, &ctx, &[]);
        assert!(!a.steps.is_empty(), "{builder}");
        assert!(
            a.steps.iter().all(|s| s.state != State::Running),
            "{builder}"
        );
        assert!(
            stderr(&b.out).contains("recorded to"),
            "{builder}: {}",
            b.show()
        );
    }
}

/// Every live process whose ancestry leads to `pid`.
fn descendants(pid: i32) -> Vec<i32> {
    let all = processes();
    let mut out = vec![];
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for c in all.iter().filter(|c| c.ppid == p && c.state != "Z") {
            out.push(c.pid);
            frontier.push(c.pid);
        }
    }
    out
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
}

#[test]
fn doctor_names_the_builders_their_drivers_and_history() {
    let Some(cli) = buildx_or_skip("doctor_names_the_builders_their_drivers_and_history") else {
        return;
    };
    let out = bin()
        .args(["doctor", "--docker", &cli])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{said}{}", stderr(&out));
    let line = |name: &str| {
        said.lines()
            .find(|l| l.contains(&format!("builder {name}")) && l.contains("driver,"))
            .unwrap_or_else(|| panic!("no line for builder {name}:\n{said}"))
            .to_string()
    };
    let remote = line("buildkit-remote");
    assert!(
        remote.contains("remote driver, BuildKit v0.") && remote.contains("build history: yes"),
        "{remote}"
    );
    let default = line("default");
    assert!(
        default.contains("docker driver") && default.contains("build history: no"),
        "{default}"
    );
}

#[test]
fn a_dockerfile_from_standard_input_reaches_buildx() {
    let Some(cli) = buildx_or_skip("a_dockerfile_from_standard_input_reaches_buildx") else {
        return;
    };
    let _one = one_at_a_time(&REMOTE);
    let ctx = context("workaround", "buildx-stdin");
    let arg = format!("CACHE_ID={}", unique("stdin"));
    let out = bin()
        .args(["--docker", &cli, "--engine", "cli", "--no-record", "-"])
        .arg(&ctx)
        .args(["--", "--builder", "buildkit-remote", "--build-arg", &arg])
        .env("COLUMNS", "120")
        .stdin(std::fs::File::open(ctx.join("Dockerfile")).unwrap())
        .output()
        .unwrap();
    let so = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{so}\n{}", stderr(&out));
    assert!(
        so.contains("[stage-2 6/6]") && so.contains("build succeeded"),
        "{so}"
    );
}

/// A context for `bake`: the bake fixture's Dockerfile with its cache id made unique (cache
/// mounts outlive `--no-cache`), its bake file, and a compose file building the same targets.
fn bake_context(name: &str, cache_id: &str) -> PathBuf {
    let dir = tmp_dir(name);
    let from = fixture("bake");
    let df = std::fs::read_to_string(from.join("Dockerfile")).unwrap();
    std::fs::write(dir.join("Dockerfile"), df.replace("shared.v1", cache_id)).unwrap();
    std::fs::copy(from.join("docker-bake.hcl"), dir.join("docker-bake.hcl")).unwrap();
    let compose = "services:\n  api:\n    build:\n      context: .\n      target: api\n  \
                   worker:\n    build:\n      context: .\n      target: worker\n";
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    common::engine::make_context(&dir);
    dir
}

/// The bake race, read from its recording: what the fixtures show, and the verdict matches the
/// exit (bake fails exactly when `[api 2/4]` took the cache before `[deps 1/1]`).
fn the_bake_race_as_it_happened(out: &Output, rec: &Path, cache_id: &str) {
    let code = out.status.code();
    let all = format!("exit {code:?}\n{}\n{}", stderr(out), stdout(out));
    assert!(matches!(code, Some(0 | 1)), "{all}");
    let l =
        buildx_gantt::source::saved::load(rec.to_str().unwrap(), Default::default(), None).unwrap();
    let a = Analysis::of(&l.build, None);
    let mut stages: Vec<&str> = a.stages.iter().map(|s| s.name.as_str()).collect();
    stages.sort();
    assert_eq!(stages, ["api", "base", "deps", "worker"], "{all}");
    assert_eq!(a.hazards.len(), 3, "{all}");
    assert!(a.hazards.iter().all(|h| h.cache_id == cache_id));
    let h = a
        .hazards
        .iter()
        .find(|h| {
            let n = |s| buildx_gantt::chart::short_name(&a.steps[s]);
            n(h.writer.step) == "[deps 1/1]" && n(h.reader.step) == "[api 2/4]"
        })
        .unwrap_or_else(|| panic!("no deps/api hazard: {all}"));
    assert_eq!(h.first == Some(h.reader.step), code == Some(1), "{all}");
    // Each target's stage ran alongside deps, or (the build record's trace says) one of them was
    // waiting for the cache the other held: waiting is not running.
    let deps = a
        .steps
        .iter()
        .find(|s| s.name().contains("[deps 1/1]"))
        .map(|s| s.id);
    let in_stage = |id: usize, stage: &str| a.steps[id].stage.as_deref() == Some(stage);
    for stage in ["api", "worker"] {
        let alongside = a
            .overlaps
            .iter()
            .any(|o| o.stage == stage && o.source == "deps");
        // (A step may wait for several holders in turn: the one said is the last.)
        let took_turns = a
            .lock_waits
            .iter()
            .any(|w| w.holder.is_some() && (in_stage(w.step, stage) || Some(w.step) == deps));
        assert!(alongside || took_turns, "{stage} alongside deps: {all}");
    }
}

#[test]
fn bake_of_two_targets_and_of_a_compose_file_says_what_happened() {
    let Some(cli) = buildx_or_skip("bake_of_two_targets_and_of_a_compose_file_says_what_happened")
    else {
        return;
    };
    // The builder to itself: a failed bake's records are found as those made since it started
    // (buildx writes no metadata for it), so another bake meanwhile would be taken for ours.
    let _one = one_at_a_time(&[("buildkit-remote", Use::Own)]);
    for file in ["docker-bake.hcl", "compose.yaml"] {
        let cache_id = unique("bake");
        let ctx = bake_context(&format!("buildx-bake-{}", &file[..4]), &cache_id);
        let rec = ctx.join("bake.jsonl");
        let out = bin()
            .args(["bake", "--docker", &cli, "-f", file, "--record"])
            .arg(&rec)
            .args(["--", "--builder", "buildkit-remote", "--no-cache"])
            .current_dir(&ctx)
            .env("COLUMNS", "120")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        the_bake_race_as_it_happened(&out, &rec, &cache_id);
        // The live chart said the same.
        assert!(stdout(&out).contains("took the cache first"), "{file}");
        // Both targets' build records, in one bundle beside the recording.
        let bundle = ctx.join("bake.dockerbuild");
        let list = run(&["report", bundle.to_str().unwrap(), "--list"], None);
        let listed = stdout(&list);
        let names: Vec<&str> = listed
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect();
        assert_eq!(names.len(), 2, "{file}: {}{}", stdout(&list), stderr(&list));
        assert!(
            names.contains(&"api") && names.contains(&"worker"),
            "{names:?}"
        );
    }
}

#[test]
fn a_multi_platform_race_is_told_per_platform() {
    let Some(cli) = buildx_or_skip("a_multi_platform_race_is_told_per_platform") else {
        return;
    };
    let _one = one_at_a_time(&REMOTE);
    let ctx = tmp_dir("buildx-multiplat");
    let prefix = format!("{}.", unique("mp"));
    let df = std::fs::read_to_string(fixture("multiplat").join("Dockerfile")).unwrap();
    // As the race: the last step fails when the reader copied the cache before it was filled.
    let df = df
        .replace("id=mp.", &format!("id={prefix}"))
        .replace("RUN ls /app", "RUN test -e /app/a");
    std::fs::write(ctx.join("Dockerfile"), df).unwrap();
    common::engine::make_context(&ctx);
    let platforms = "linux/amd64,linux/386";
    let b = build(
        &cli,
        &ctx,
        "multiplat.jsonl",
        "buildkit-remote",
        &["--no-cache", "--platform", platforms],
    );
    assert!(matches!(b.code(), Some(0 | 1)), "{}", b.show());
    let a = analysed(&b, &ctx, &[]);
    let mut reader_first = false;
    for p in ["linux/amd64", "linux/386"] {
        let arch = p.trim_start_matches("linux/");
        let Some(h) = a
            .hazards
            .iter()
            .find(|h| h.cache_id == format!("{prefix}{arch}"))
        else {
            panic!("no hazard for {p}: {}", b.show());
        };
        for s in [h.writer.step, h.reader.step] {
            assert_eq!(a.steps[s].platform(), Some(p), "{}", b.show());
        }
        reader_first |= h.first == Some(h.reader.step);
        let stage2 = format!("stage-2 · {p}");
        assert!(
            a.overlaps.iter().any(|o| o.stage == stage2),
            "{stage2} alongside its builder: {}",
            b.show()
        );
    }
    assert_eq!(reader_first, b.code() == Some(1), "{}", b.show());
    live_chart_is_the_recordings_report(&b, &ctx);
}

#[test]
fn bake_verify_layers_checks_each_targets_image() {
    let Some(cli) = buildx_or_skip("bake_verify_layers_checks_each_targets_image") else {
        return;
    };
    let _one = one_at_a_time(&[("default", Use::Build)]);
    let ctx = bake_context("buildx-bake-verify", &unique("verify"));
    // Two targets that cannot fail (the race's `api` can), with images the docker driver loads,
    // tagged for this run only (another run's images must not stand in for these).
    let tag = unique("t");
    let hcl = format!(
        "group \"default\" {{\n  targets = [\"deps\", \"worker\"]\n}}\n\
         target \"deps\" {{\n  target = \"deps\"\n  tags = [\"bxg-verify-deps:{tag}\"]\n}}\n\
         target \"worker\" {{\n  target = \"worker\"\n  tags = [\"bxg-verify-worker:{tag}\"]\n}}\n"
    );
    std::fs::write(ctx.join("verify.hcl"), hcl).unwrap();
    let out = bin()
        .args([
            "bake",
            "--docker",
            &cli,
            "-f",
            "verify.hcl",
            "--verify-layers",
        ])
        .args(["--no-record", "--", "--builder", "default", "--no-cache"])
        .current_dir(&ctx)
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = format!("{}\n{}", stderr(&out), stdout(&out));
    for t in ["deps", "worker"] {
        let image = format!("bxg-verify-{t}:{tag}");
        let _ = Command::new(&cli).args(["rmi", "-f", &image]).output();
    }
    assert_eq!(out.status.code(), Some(0), "{all}");
    for t in ["deps", "worker"] {
        let line = format!("target {t}: Layers OK");
        assert!(stdout(&out).contains(&line), "{line}: {all}");
    }
}

#[test]
fn bake_repeat_runs_the_bake_and_tells_each_run() {
    let Some(cli) = buildx_or_skip("bake_repeat_runs_the_bake_and_tells_each_run") else {
        return;
    };
    let _one = one_at_a_time(&[("buildkit-remote", Use::Own)]);
    let ctx = bake_context("buildx-bake-repeat", &unique("repeat"));
    let runs = ctx.join("runs");
    let out = bin()
        .args(["bake", "--docker", &cli, "--repeat", "2", "--record"])
        .arg(&runs)
        .args(["--", "--builder", "buildkit-remote"])
        .current_dir(&ctx)
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = format!("{}\n{}", stderr(&out), stdout(&out));
    assert!(matches!(out.status.code(), Some(0 | 1)), "{all}");
    let mut failed = 0;
    for run in ["run-001.jsonl", "run-002.jsonl"] {
        let rec = runs.join(run);
        let report = bin().arg("report").arg(&rec).output().unwrap();
        failed += (report.status.code() == Some(1)) as usize;
        let said = stdout(&report);
        assert!(
            said.contains("deps (api, worker)") || said.contains("deps (worker, api)"),
            "{run}: {said}"
        );
    }
    assert!(
        stdout(&out).contains(&format!("{failed} of 2 builds failed")),
        "{all}"
    );
    assert_eq!(out.status.code(), Some((failed > 0) as i32), "{all}");
}

/// The race built cold on `buildkit-remote` with a cache id of its own (its record kept beside
/// the recording `race.jsonl`): the context, the build, the cache id.
fn cold_race(cli: &str, name: &str, tag: &str) -> (PathBuf, Built, String) {
    let ctx = context("race", name);
    let cache_id = unique(tag);
    let arg = format!("CACHE_ID={cache_id}");
    let b = build(
        cli,
        &ctx,
        "race.jsonl",
        "buildkit-remote",
        &["--no-cache", "--build-arg", &arg],
    );
    assert!(matches!(b.code(), Some(0 | 1)), "{}", b.show());
    (ctx, b, cache_id)
}

/// `buildx-gantt history ARGS…` against the real builders.
fn history(cli: &str, args: &[&str]) -> Output {
    bin()
        .args(["history", "--docker", cli])
        .args(args)
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_live_build_keeps_its_record_and_history_opens_it_with_its_lock_waits() {
    let test = "a_live_build_keeps_its_record_and_history_opens_it_with_its_lock_waits";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let _one = one_at_a_time(&[("buildkit-remote", Use::Own)]);
    let (ctx, b, cache_id) = cold_race(&cli, "buildx-keeps-record", "kept");
    // The record beside the recording, said on stderr; its trace's facts in the live report.
    let kept = ctx.join("race.dockerbuild");
    assert!(kept.is_file(), "{}", b.show());
    assert!(stderr(&b.out).contains("race.dockerbuild"), "{}", b.show());
    // The lock, as the trace shows it: the step that took the cache first had its container
    // made first; the other's was made only once the first had exited.
    let a = analysed(&b, &ctx, &build_args(&cache_id));
    let h = &a.hazards[0];
    let first = h.first.expect("someone took the cache first");
    let waiter = if first == h.writer.step {
        h.reader.step
    } else {
        h.writer.step
    };
    let (held, waited) = (&a.steps[first], &a.steps[waiter]);
    let created = |s: &buildx_gantt::analysis::Step| s.wait().expect("an exec span in the trace").1;
    assert!(created(held) < created(waited), "{}", b.show());
    assert!(
        created(waited) + 50_000_000 >= held.end().unwrap(),
        "{}",
        b.show()
    );
    // A wait long enough to say (0.1 s or more: the reader's copy of an empty cache can be quicker)
    // is said, held by the first.
    let said_wait = waited.lock_wait() >= buildx_gantt::analysis::WORTH_SAYING;
    if said_wait {
        let w = a.lock_waits.iter().find(|w| w.step == waiter).unwrap();
        assert_eq!(w.holder, Some(first), "{}", b.show());
        assert!(stdout(&b.out).contains("Lock waits"), "{}", b.show());
    }
    live_chart_is_the_recordings_report(&b, &ctx);
    // The record reads as the build went.
    let report = run(
        &["report", kept.to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(report.status.code(), b.code(), "{}", stderr(&report));
    let r: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(r["record"]["build_args"]["CACHE_ID"], cache_id.as_str());
    let reference = r["record"]["ref"].as_str().unwrap().to_string();
    // Both steps' waits are in it (a slow mount under load may add a wait held by nobody).
    // (By name: the record's steps are numbered without buildx's own client-side ones.)
    let step_wait = |id: usize| {
        let name = &**a.steps[id].name();
        let steps = r["steps"].as_array().unwrap();
        let s = steps.iter().find(|s| s["name"] == name).unwrap();
        s["lock_wait"].as_f64()
    };
    assert!(
        step_wait(first).is_some() && step_wait(waiter).is_some(),
        "{r}"
    );
    // `history` opens the latest build of the builder: this one, with its lock wait.
    let out = history(&cli, &["--builder", "buildkit-remote"]);
    assert_eq!(out.status.code(), b.code(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains(&format!("build record {reference}")),
        "{said}"
    );
    if said_wait {
        assert!(
            said.contains("Lock waits") && said.contains(&format!("for cache {cache_id}")),
            "{said}"
        );
    }
    let list = stdout(&history(&cli, &["--builder", "buildkit-remote", "--list"]));
    assert!(
        list.lines()
            .next()
            .is_some_and(|l| l.starts_with("^0") && l.contains(&reference)),
        "{list}"
    );
    let saved = ctx.join("saved.dockerbuild");
    let out = history(
        &cli,
        &[
            "--builder",
            "buildkit-remote",
            &reference[..8],
            "-o",
            saved.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), b.code(), "{}", stderr(&out));
    assert!(saved.is_file());
}

#[test]
fn the_docker_driver_keeps_no_history_and_says_what_works_instead() {
    let test = "the_docker_driver_keeps_no_history_and_says_what_works_instead";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let out = history(&cli, &["--builder", "default"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("default keeps no build history") && said.contains("replay"),
        "{said}"
    );
    let _one = one_at_a_time(&[("default", Use::Build)]);
    let ctx = context("race", "buildx-no-record");
    let arg = format!("CACHE_ID={}", unique("norec"));
    let b = build(&cli, &ctx, "race.jsonl", "default", &["--build-arg", &arg]);
    assert!(matches!(b.code(), Some(0 | 1)), "{}", b.show());
    assert!(!ctx.join("race.dockerbuild").exists(), "{}", b.show());
    assert!(!stderr(&b.out).contains("build record"), "{}", b.show());
}

/// `trends --builder NAME`: the builder's history, exported record by record and read as a pile.
/// Two races built here are in it (other builds may be too: the builder is shared), each as its
/// record says; the docker driver keeps no history, and says so.
#[test]
fn trends_reads_a_builders_history() {
    let test = "trends_reads_a_builders_history";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    // Ours must be among the builder's latest 20: no build of the suite's in between.
    let _remote = hold(&[("buildkit-remote", Use::Own)]);
    let mut ours: Vec<(String, serde_json::Value)> = Vec::new();
    {
        let _one = one_at_a_time(&[]);
        for i in 0..2 {
            let (ctx, _, _) = cold_race(&cli, &format!("buildx-trends-{i}"), "trends");
            let kept = ctx.join("race.dockerbuild");
            let o = run(
                &["report", kept.to_str().unwrap(), "--format", "json"],
                None,
            );
            let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            ours.push((r["record"]["ref"].as_str().unwrap().to_string(), r));
        }
    }
    let o = bin()
        .args([
            "trends",
            "--docker",
            &cli,
            "--builder",
            "buildkit-remote",
            "--last",
            "20",
            "--format",
            "json",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = t["build_list"].as_array().unwrap();
    assert!(
        t["builds"].as_u64().unwrap() >= 2 && list.len() <= 20,
        "{t}"
    );
    for (reference, r) in &ours {
        let b = list
            .iter()
            .find(|b| b["reference"] == reference.as_str())
            .unwrap_or_else(|| panic!("{reference} not in {list:?}"));
        assert_eq!(b["outcome"], r["outcome"], "{b}");
        let cache = r["hazards"][0]["cache_id"].as_str().unwrap();
        let first = r["hazards"][0]["first_name"].as_str().unwrap();
        let short = &first[..=first.find(']').unwrap()];
        assert_eq!(b["first"][cache], short, "{b}");
    }
    // A builder that keeps no history: said, with what works instead.
    let o = bin()
        .args(["trends", "--docker", &cli, "--builder", "default"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("default keeps no build history"),
        "{}",
        stderr(&o)
    );
}

/// A docker CLI that writes each of its calls down, in `dir`: the script, and the file of calls.
fn logging_docker(cli: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let calls = dir.join("calls");
    let docker = dir.join("docker");
    std::fs::write(
        &docker,
        format!(
            "#!/bin/sh\necho \"$*\" >> {}\nexec {cli} \"$@\"\n",
            calls.display()
        ),
    )
    .unwrap();
    assert!(Command::new("chmod")
        .arg("755")
        .arg(&docker)
        .status()
        .unwrap()
        .success());
    (docker, calls)
}

/// A Docker daemon that accepts connections and never answers.
fn hung_daemon() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    port
}

#[test]
fn a_signal_against_a_daemon_that_never_answers_leaves_without_waiting_for_a_record() {
    let test = "a_signal_against_a_daemon_that_never_answers_leaves_without_waiting_for_a_record";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let port = hung_daemon();
    let dir = tmp_dir("hung-daemon");
    std::fs::write(dir.join("Dockerfile"), "FROM scratch\nCOPY Dockerfile /x\n").unwrap();
    let (docker, calls) = logging_docker(&cli, &dir);
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let _ = std::fs::remove_file(&calls);
        let child = bin()
            .args(["--docker", docker.to_str().unwrap(), "--no-record"])
            .arg(dir.join("Dockerfile"))
            .arg(&dir)
            .args(["--", "--builder", "default"])
            .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        wait_until(&format!("{name}: the build started"), || {
            std::fs::read_to_string(&calls).is_ok_and(|c| c.contains("buildx build"))
                && catches(pid as i32, signal)
        });
        // SAFETY: our own child, not yet reaped.
        unsafe { libc::kill(pid as i32, signal) };
        let out = child.wait_with_output().unwrap();
        let said = format!("{}{}", stderr(&out), stdout(&out));
        assert_eq!(out.status.code(), Some(130), "{name}: {said}");
        // The user asked to leave: nothing more is asked of a daemon that does not answer (it
        // waited 20 s for `docker buildx history ls` to give up).
        let asked = std::fs::read_to_string(&calls).unwrap_or_default();
        assert!(!asked.contains("history"), "{name}: {asked}");
    }
}

#[test]
fn a_bake_of_50_targets_keeps_every_record_without_waiting_a_second_per_target() {
    let test = "a_bake_of_50_targets_keeps_every_record_without_waiting_a_second_per_target";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let Some(builder) = private_builder(&cli, test, "bake50") else {
        return;
    };
    let dir = tmp_dir("bake50");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nARG N\nCOPY Dockerfile /x$N\n",
    )
    .unwrap();
    let targets: Vec<String> = (1..=50).map(|i| format!("t{i}")).collect();
    let mut hcl = format!(
        "group \"default\" {{\n  targets = [{}]\n}}\n",
        targets
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (i, t) in targets.iter().enumerate() {
        hcl.push_str(&format!(
            "target \"{t}\" {{\n  args = {{ N = \"{i}\" }}\n}}\n"
        ));
    }
    std::fs::write(dir.join("docker-bake.hcl"), hcl).unwrap();
    let (docker, calls) = logging_docker(&cli, &dir);
    let rec = dir.join("bake.jsonl");
    let out = bin()
        .args(["bake", "--docker", docker.to_str().unwrap(), "--record"])
        .arg(&rec)
        .args(["--", "--builder", &builder.name])
        .current_dir(&dir)
        .env("COLUMNS", "120")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = format!(
        "exit {:?}\n{}\n{}",
        out.status.code(),
        stderr(&out),
        stdout(&out)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    // Every target's record, in the one bundle beside the recording.
    let bundle = dir.join("bake.dockerbuild");
    assert!(said.contains("bake.dockerbuild"), "{said}");
    let list = run(&["report", bundle.to_str().unwrap(), "--list"], None);
    assert_eq!(
        stdout(&list).lines().count(),
        50,
        "{}{}",
        stdout(&list),
        stderr(&list)
    );
    // One record is finalized for its trace (the bake's targets share it); finalizing each was
    // 0.6 s a target in buildx, and 50 targets passed the export's 30 s.
    let asked = std::fs::read_to_string(&calls).unwrap();
    let finalized: Vec<&str> = asked.lines().filter(|l| l.contains("--finalize")).collect();
    assert_eq!(finalized.len(), 1, "{asked}");
    let refs: Vec<&str> = finalized[0]
        .split_whitespace()
        .filter(|w| w.len() == 25)
        .collect();
    assert_eq!(refs.len(), 1, "{asked}");
    // Its trace is in the bundle, with that record.
    let first = run(
        &["report", bundle.to_str().unwrap(), "--ref", refs[0]],
        None,
    );
    drop(builder);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        !stderr(&first).contains("no trace in it"),
        "{}",
        stderr(&first)
    );
}

/// The private builder for a test, or why there is none (a failure under
/// BUILDX_GANTT_REQUIRE naming buildx).
fn private_builder(cli: &str, test: &str, tag: &str) -> Option<PrivateBuilder> {
    match PrivateBuilder::start(cli, tag, None) {
        Ok(b) => Some(b),
        Err(why) => {
            common::skip(test, common::Need::Buildx, &why);
            None
        }
    }
}

/// A build's reference and its `load build definition` vertex (the session's own: no two builds
/// share it), as a report of `file` (a recording or a record) says them.
fn identity(file: &Path) -> (String, String) {
    let o = run(
        &["report", file.to_str().unwrap(), "--format", "json"],
        None,
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}: {}", file.display(), stderr(&o)));
    let definition = r["vertexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["name"]
                .as_str()
                .unwrap_or("")
                .contains("load build definition")
        })
        .map(|v| v["digest"].as_str().unwrap().to_string())
        .unwrap_or_default();
    (
        r["record"]["ref"].as_str().unwrap_or("").to_string(),
        definition,
    )
}

#[test]
fn two_failing_builds_in_one_directory_each_keep_their_own_record() {
    let test = "two_failing_builds_in_one_directory_each_keep_their_own_record";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let Some(builder) = private_builder(&cli, test, "twofail") else {
        return;
    };
    let ctx = tmp_dir("two-failing");
    common::engine::make_context(&ctx);
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY rootfs/ /\nRUN sleep 1 && false\n",
    )
    .unwrap();
    // The second starts half a second after the first, in the same directory.
    let first = gantt(&cli, &ctx, "one.jsonl", &builder.name, &[])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let second = gantt(&cli, &ctx, "two.jsonl", &builder.name, &[])
        .spawn()
        .unwrap();
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for (out, name) in outs.iter().zip(["one", "two"]) {
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(out));
        let kept = ctx.join(format!("{name}.dockerbuild"));
        assert!(kept.is_file(), "{name}: {}", stderr(out));
        // The record kept is the build's own (its session's vertex is the recording's), and the
        // recording names it.
        let (record_ref, record_def) = identity(&kept);
        let (recording_ref, recording_def) = identity(&ctx.join(format!("{name}.jsonl")));
        assert_eq!(record_def, recording_def, "{name}: another build's record");
        assert_eq!(record_ref, recording_ref, "{name}");
    }
    let refs: Vec<String> = ["one", "two"]
        .iter()
        .map(|n| identity(&ctx.join(format!("{n}.dockerbuild"))).0)
        .collect();
    assert_ne!(refs[0], refs[1]);
}

#[test]
fn a_failing_build_of_another_dockerfile_keeps_its_record() {
    let test = "a_failing_build_of_another_dockerfile_keeps_its_record";
    let Some(cli) = buildx_or_skip(test) else {
        return;
    };
    let Some(builder) = private_builder(&cli, test, "otherdf") else {
        return;
    };
    let ctx = tmp_dir("other-dockerfile");
    std::fs::write(
        ctx.join("Dockerfile.other"),
        "FROM scratch\nCOPY Dockerfile.other /x\nRUN false\n",
    )
    .unwrap();
    let rec = ctx.join("other.jsonl");
    let out = bin()
        .args(["--docker", &cli, "--engine", "cli", "--record"])
        .arg(&rec)
        .arg(ctx.join("Dockerfile.other"))
        .arg(&ctx)
        .args(["--", "--builder", &builder.name])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    let kept = ctx.join("other.dockerbuild");
    assert!(
        kept.is_file() && said.contains("its build record"),
        "{said}"
    );
    assert_eq!(identity(&kept).1, identity(&rec).1);
}
