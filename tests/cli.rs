//! The `report` command as a user runs it: output, exit codes, errors on bad input.

mod common;

use common::*;

fn report(args: &[&str]) -> std::process::Output {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    run(&all, None)
}

fn path(rel: &str) -> String {
    fixture(rel).to_string_lossy().into_owned()
}

#[test]
fn failed_build_exits_1_and_passing_build_exits_0() {
    let fail = report(&[&path("race/rawjson-fail.jsonl")]);
    assert_eq!(fail.status.code(), Some(1), "{}", stderr(&fail));
    let out = stdout(&fail);
    assert!(out.contains("build FAILED"));
    assert!(out.contains("stage-2 ran at the same time as builder"));
    assert!(out.contains("cache \"demo.mods.v1\": [builder 2/3] and [stage-2 2/4] — [stage-2 2/4] took the cache first"));
    assert!(out.contains("ERROR: failed to build"));
    assert!(!out.contains('\x1b'), "no colour when not a terminal");
    let pass = report(&[&path("race/rawjson-pass.jsonl")]);
    assert_eq!(pass.status.code(), Some(0));
    assert!(stdout(&pass).contains("[builder 2/3] took the cache first"));
}

#[test]
fn text_report_fits_the_width() {
    for width in ["80", "132"] {
        let o = report(&[&path("race/rawjson-fail.jsonl"), "--width", width]);
        let w: usize = width.parse().unwrap();
        for line in stdout(&o).lines() {
            // The build's output and buildx's error text are quoted verbatim; everything else fits.
            if line.starts_with("    ERROR:") || line.contains(" | ") || line.contains('│') {
                continue;
            }
            assert!(
                line.chars().count() <= w,
                "{width}: {line:?} is {} wide",
                line.chars().count()
            );
        }
    }
}

#[test]
fn colour_on_request_and_never_with_no_color() {
    let o = report(&[&path("race/rawjson-fail.jsonl"), "--color", "always"]);
    assert!(stdout(&o).contains("\x1b[1;31m"), "red when asked for");
    let o = bin()
        .args(["report", &path("race/rawjson-fail.jsonl")])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn json_report_follows_the_schema() {
    let o = report(&[&path("race/rawjson-fail.jsonl"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["schema"], "buildx-gantt/report");
    assert_eq!(v["version"], 1);
    assert_eq!(v["outcome"], "failed");
    let steps = v["steps"].as_array().unwrap();
    let step_name = |id: &serde_json::Value| {
        steps[id.as_u64().unwrap() as usize]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let h = &v["hazards"][0];
    assert_eq!(h["cache_id"], "demo.mods.v1");
    assert!(step_name(&h["first"]).starts_with("[stage-2 2/4]"));
    assert!(h["first_name"]
        .as_str()
        .unwrap()
        .starts_with("[stage-2 2/4]"));
    let o0 = &v["overlaps"][0];
    assert_eq!(o0["stage"], "stage-2");
    assert_eq!(o0["source"], "builder");
    assert_eq!(o0["certainty"], "certain");
    assert!(v["critical_path"]["steps"].as_array().unwrap().len() >= 5);
    for key in [
        "vertexes",
        "stages",
        "dependencies",
        "diagnostics",
        "warnings",
    ] {
        assert!(v[key].is_array(), "{key}");
    }
    let failed = v["vertexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["state"] == "failed")
        .unwrap();
    assert_eq!(failed["log"]["tail"][0], "modules missing");
    assert!(failed["intervals"][0]["start"].as_f64().unwrap() > 3.0);
}

#[test]
fn check_exit_codes() {
    let code = |f: &str, extra: &[&str]| {
        let mut args = vec![path(f)];
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        report(&refs).status.code()
    };
    assert_eq!(code("race/rawjson-fail.jsonl", &["--check"]), Some(3));
    assert_eq!(code("race/rawjson-pass.jsonl", &["--check"]), Some(3));
    assert_eq!(code("workaround/rawjson.jsonl", &["--check"]), Some(0));
    assert_eq!(
        code(
            "workaround/rawjson.jsonl",
            &["--check", "--fail-on", "hazard"]
        ),
        Some(0)
    );
    assert_eq!(
        code(
            "workaround/rawjson.jsonl",
            &["--check", "--fail-on", "overlap"]
        ),
        Some(3)
    );
    assert_eq!(
        code(
            "race/rawjson-fail.jsonl",
            &["--check", "--fail-on", "never"]
        ),
        Some(1)
    );
    assert_eq!(
        code(
            "race/rawjson-pass.jsonl",
            &["--check", "--fail-on", "never"]
        ),
        Some(0)
    );
    let o = report(&[&path("race/rawjson-fail.jsonl"), "--check"]);
    let e = stderr(&o);
    assert!(
        e.contains("demo.mods.v1")
            && e.contains("The build itself also failed (exit 1): [stage-2 4/4] failed"),
        "{e}"
    );
}

#[test]
fn dockerfile_and_build_args_are_used() {
    let o = report(&[
        &path("race/rawjson-fail.jsonl"),
        "--file",
        &path("race/Dockerfile"),
        "--build-arg",
        "CACHE_ID=demo.mods.v1",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let stages: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["base", "builder", "stage-2"]);
    let bad = report(&[&path("race/rawjson-fail.jsonl"), "--build-arg", "NOEQUALS"]);
    assert_eq!(bad.status.code(), Some(2));
    let missing = report(&[
        &path("race/rawjson-fail.jsonl"),
        "--file",
        "/nonexistent/Dockerfile",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read the Dockerfile"));
}

fn one_line_error(o: &std::process::Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let e = stderr(o);
    assert!(e.contains(needle), "{e}");
    assert_eq!(
        e.trim_end().lines().count(),
        1,
        "one line, no backtrace: {e}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn unreadable_inputs_get_a_clear_one_line_error() {
    one_line_error(&report(&["/nonexistent/build.jsonl"]), "no such file");
    one_line_error(&report(&[&path("race")]), "is a directory");
    one_line_error(&run(&["report", "-"], Some(b"")), "empty");
    let random: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    one_line_error(
        &run(&["report", "-"], Some(&random)),
        "not a BuildKit progress log",
    );
    one_line_error(
        &run(&["report", "-"], Some(b"make: Nothing to be done\nhello\n")),
        "neither --progress=rawjson (JSON lines) nor --progress=plain",
    );
    let usage = run(&["report"], None);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn truncated_log_still_reports_and_says_so() {
    let text = std::fs::read(fixture("race/rawjson-fail.jsonl")).unwrap();
    let cut = &text[..text.len() * 2 / 3];
    let o = run(&["report", "-"], Some(cut));
    let out = stdout(&o);
    assert!(out.contains("INCOMPLETE"), "{out}");
    assert!(out.contains("the log ends in the middle of a line"));
    // The recorded part did not fail; an incomplete log has its own exit code.
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn garbage_lines_become_diagnostics() {
    let mut text = std::fs::read(fixture("race/rawjson-pass.jsonl")).unwrap();
    text.extend_from_slice(b"{\"vertexes\": [1, 2]}\nsome stray line\n\xff\xfe binary\n");
    let o = run(&["report", "-"], Some(&text));
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("Input problems"));
    assert!(out.contains("not a valid rawjson record"));
    assert!(out.contains("not progress data: some stray line"));
}

/// Runs the binary on `input` and returns its exit code, its peak resident memory in bytes (as
/// it reports it with BUILDX_GANTT_STATS=1) and its stderr.
fn run_measuring_memory(args: &[&str], input: std::fs::File) -> (Option<i32>, u64, String) {
    let o = bin()
        .args(args)
        .env("BUILDX_GANTT_STATS", "1")
        .stdin(input)
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = stderr(&o);
    let kib: u64 = err
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no stats in {err}"));
    (o.status.code(), kib * 1024, err)
}

#[test]
fn a_100_mb_line_of_garbage_is_rejected_in_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("bxg-garbage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, first) in [("text.log", b'x'), ("json.log", b'{')] {
        let p = dir.join(name);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        let chunk = vec![b'a'; 1 << 20];
        use std::io::Write;
        f.write_all(&[first]).unwrap();
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        f.flush().unwrap();
        drop(f);
        let (status, peak, err) =
            run_measuring_memory(&["report", "-"], std::fs::File::open(&p).unwrap());
        assert_eq!(status, Some(2), "{name}: {err}");
        assert!(err.contains("not a BuildKit progress log"), "{name}: {err}");
        assert!(peak < 64 << 20, "{name}: peak memory {} MiB", peak >> 20);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn replay_and_report_read_a_fifo_once() {
    let dir = tmp_dir("fifo");
    for cmd in [vec!["replay", "--instant"], vec!["report"]] {
        let fifo = dir.join(format!("{}.fifo", cmd[0]));
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid, NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let data = std::fs::read(fixture("race/rawjson-fail.jsonl")).unwrap();
        let path = fifo.clone();
        let writer = std::thread::spawn(move || std::fs::write(path, data));
        let mut args = cmd.clone();
        args.push(fifo.to_str().unwrap());
        let o = run(&args, None);
        writer.join().unwrap().unwrap();
        // The race failed: exit 1, and the whole report, not an empty one.
        assert_eq!(o.status.code(), Some(1), "{cmd:?}: {}", stderr(&o));
        assert!(
            stdout(&o).contains("build FAILED in 4.14s"),
            "{cmd:?}: {}",
            stdout(&o)
        );
    }
}

/// A loopback port that accepts connections and never answers, like a hung daemon.
fn silent_daemon() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c); // accepted, never answered
        }
    });
    addr
}

/// A daemon that never answers: `doctor` says so within its deadlines (5 s a call, not the
/// client's 600 s: the bound below tells the two apart whatever the machine's load) and does not
/// promise a build that cannot run.
#[test]
fn doctor_is_honest_and_quick_about_a_daemon_that_never_answers() {
    let addr = silent_daemon();
    let t = std::time::Instant::now();
    let o = bin()
        .args(["doctor"])
        .env("DOCKER_HOST", format!("tcp://{addr}"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let took = t.elapsed();
    let out = stdout(&o);
    assert!(out.contains("no answer within 5 s"), "{out}");
    assert!(out.contains("Nothing can build"), "{out}");
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(took < common::HANG_GUARD, "doctor took {took:?}");
}

/// An Engine API build against a daemon that never answers fails in seconds, saying so (it froze
/// at "building · 0s" for the client's 600 s: the bound below is far from both), and does not
/// claim the daemon was lost mid-build.
#[test]
fn an_engine_build_against_a_silent_daemon_fails_in_seconds() {
    let addr = silent_daemon();
    let t = std::time::Instant::now();
    let df = fixture("race/Dockerfile");
    let o = bin()
        .args(["--engine", "api", "--no-record", df.to_str().unwrap()])
        .arg(fixture("race"))
        .env("DOCKER_HOST", format!("tcp://{addr}"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let took = t.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no answer within 5 s"), "{err}");
    assert!(!err.contains("mid-build"), "{err}");
    assert!(took < common::HANG_GUARD, "took {took:?}: {err}");
}

/// Runs the binary with `args` (standard input closed), killing it after [`HANG_GUARD`] (reading
/// an endless input for ever is the failure; how fast it is refused is no test of ours): its
/// exit code (None when it had to be killed), peak memory in bytes and standard output and error.
fn run_bounded(args: &[&str]) -> (Option<i32>, u64, String, String) {
    use std::io::Read;
    let mut child = bin()
        .args(args)
        .env("BUILDX_GANTT_STATS", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let mut out_pipe = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        out_pipe.read_to_string(&mut s).ok();
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).ok();
    let out = reader.join().unwrap();
    let kib: u64 = err
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (status, kib * 1024, out, err)
}

#[test]
fn endless_or_random_bytes_are_refused_at_once_in_bounded_memory() {
    // Each once read forever (or to 2.6 GB): /dev/zero is one endless line.
    for path in ["/dev/zero", "/dev/urandom"] {
        let (status, peak, _, err) = run_bounded(&["report", path]);
        assert_eq!(status, Some(2), "{path}: {err}");
        assert!(err.contains("not a BuildKit progress log"), "{path}: {err}");
        assert!(peak < 64 << 20, "{path}: peak memory {} MiB", peak >> 20);
    }
    let dir = tmp_dir("random");
    let p = dir.join("random.bin");
    let mut random = Vec::with_capacity(64 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while random.len() < 64 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        random.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&p, &random).unwrap();
    let (status, peak, _, err) = run_bounded(&["report", p.to_str().unwrap()]);
    assert_eq!(status, Some(2), "{err}");
    assert!(err.contains("stopped reading"), "{err}");
    assert!(peak < 64 << 20, "peak memory {} MiB", peak >> 20);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_log_followed_by_binary_data_or_endless_text_is_read_up_to_there() {
    let dir = tmp_dir("tail-junk");
    let binary: Vec<u8> = (0..50_000u32).map(|i| (i * 7919 % 256) as u8).collect();
    let text: Vec<u8> = b"junk that is not progress\n".repeat(5_000);
    let mut cases = Vec::new();
    for log in ["race/rawjson-fail.jsonl", "race/plain-fail.log"] {
        cases.push((log, binary.clone(), "a NUL byte"));
        cases.push((
            log,
            text.clone(),
            "1000 lines in a row that are not progress",
        ));
    }
    for (i, (log, tail, said)) in cases.into_iter().enumerate() {
        let name = format!("{log} + {said}");
        let p = dir.join(i.to_string());
        let log_bytes = std::fs::read(fixture(log)).unwrap();
        std::fs::write(&p, [log_bytes.as_slice(), &tail].concat()).unwrap();
        let (status, _, out, err) = run_bounded(&["report", p.to_str().unwrap()]);
        // The race's failure is read whole: exit 1, as for the fixture alone.
        assert_eq!(status, Some(1), "{name}: {err}");
        assert!(out.contains("build FAILED"), "{name}: {out}");
        assert!(out.contains(said), "{name}: {out}");
        assert!(out.len() < 100_000, "{name}: {} bytes of report", out.len());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn megabyte_names_and_errors_are_cut_and_memory_stays_bounded() {
    let dir = tmp_dir("huge-names");
    let p = dir.join("names.jsonl");
    let mut log = String::new();
    let long = "x".repeat(1 << 20);
    for i in 0..100 {
        log.push_str(&format!(
            r#"{{"vertexes":[{{"digest":"sha256:{i:064x}","name":"[s {n}/100] RUN {long}","started":"2026-11-18T10:00:00Z","completed":"2026-11-18T10:00:01Z","error":"{long}"}}]}}"#,
            n = i + 1
        ));
        log.push('\n');
    }
    std::fs::write(&p, log).unwrap();
    for format in ["text", "json", "html"] {
        let (status, peak, out, err) =
            run_bounded(&["report", p.to_str().unwrap(), "--format", format]);
        assert_eq!(status, Some(1), "{format}: {err}");
        assert!(out.contains("bytes in all"), "{format}: the cut is said");
        assert!(
            out.len() < 20 << 20,
            "{format}: {} bytes of output",
            out.len()
        );
        assert!(peak < 160 << 20, "{format}: peak memory {} MiB", peak >> 20);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verify_layers_of_a_multi_platform_build_is_refused_before_it_starts() {
    let df = fixture("race/Dockerfile");
    let ctx = tmp_dir("verify-multi");
    let o = bin()
        .args(["--verify-layers", "--docker", "/nonexistent/docker"])
        .arg(&df)
        .arg(&ctx)
        .args(["--", "--platform=linux/amd64,linux/arm64"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot be loaded into it"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_for_every_shell_and_a_man_page_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(&["completions", shell], None);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for word in ["bake", "report", "replay", "--verify-layers"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script, loaded in a real bash, completes subcommands.
    let bin = env!("CARGO_BIN_EXE_buildx-gantt");
    let probe = format!(
        "source <({bin} completions bash) && COMP_WORDS=(buildx-gantt ba) COMP_CWORD=1 \
         && _buildx__gantt buildx-gantt ba buildx-gantt && printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let o = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .unwrap();
    assert!(
        stdout(&o).lines().any(|l| l == "bake"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let man = run(&["man"], None);
    assert_eq!(man.status.code(), Some(0));
    let page = stdout(&man);
    assert!(
        page.contains(".TH buildx-gantt 1") && page.contains("bake"),
        "{page}"
    );
}

#[test]
fn a_dockerfile_named_like_a_subcommand_is_given_as_a_path() {
    let dir = tmp_dir("named-report");
    std::fs::copy(fixture("race/Dockerfile"), dir.join("report")).unwrap();
    let o = bin()
        .args(["./report", "/nonexistent-context"])
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    // Taken for the Dockerfile (its context is what is wrong), not for `report`.
    assert!(
        stderr(&o).contains("the build context is not a directory"),
        "{}",
        stderr(&o)
    );
}

/// `install-plugin`, then the real docker CLIs (28.x at /usr/local/bin, Debian's 20.10 at
/// /usr/bin) list `gantt`, run `docker gantt report` and pass its exit code through. A CLI that is
/// missing is SKIPPED (where BUILDX_GANTT_REQUIRE names the engine, as .ci/run sets it, Debian's must be there).
#[test]
fn the_docker_cli_runs_it_as_a_plugin() {
    let config = tmp_dir("plugin-config");
    let o = bin()
        .arg("install-plugin")
        .env("DOCKER_CONFIG", &config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let link = config.join("cli-plugins/docker-gantt");
    assert!(
        stderr(&o).contains(link.to_str().unwrap()),
        "says where: {}",
        stderr(&o)
    );
    let log = fixture("race/rawjson-fail.jsonl");
    for cli in ["/usr/local/bin/docker", "/usr/bin/docker"] {
        if !std::path::Path::new(cli).exists() {
            let required = common::required(common::Need::Engine);
            assert!(!(required && cli == "/usr/bin/docker"), "{cli} is missing");
            eprintln!("SKIPPED the_docker_cli_runs_it_as_a_plugin with {cli}: not installed");
            continue;
        }
        let docker = |args: &[&str]| {
            std::process::Command::new(cli)
                .args(args)
                .env("DOCKER_CONFIG", &config)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap()
        };
        let help = docker(&["--help"]);
        assert!(stdout(&help).contains("gantt"), "{cli}: {}", stdout(&help));
        let report = docker(&["gantt", "report", log.to_str().unwrap()]);
        assert_eq!(report.status.code(), Some(1), "{cli}: {}", stderr(&report));
        assert!(stdout(&report).contains("build FAILED"), "{cli}");
        let version = docker(&["gantt", "--version"]);
        assert!(
            stdout(&version).contains(env!("CARGO_PKG_VERSION")),
            "{cli}"
        );
        assert!(stdout(&version).contains("commit "), "{cli}");
    }
}

/// `BUILDX_GANTT_REQUIRE` (one switch, `all` or a list); the old per-need names fail, naming it.
#[test]
fn one_switch_requires_what_it_names_and_the_old_names_fail() {
    use common::Need;
    assert!(common::requires("all", Need::Registry));
    assert!(common::requires("ALL", Need::Buildx));
    assert!(common::requires("engine, browser", Need::Browser));
    assert!(!common::requires("engine,browser", Need::Buildx));
    assert!(!common::requires("", Need::Engine));
    assert_eq!(common::retired_switch(|_| None), None);
    let old = |name: &str| {
        let name = name.to_string();
        move |var: &str| (var == name).then(|| "1".to_string())
    };
    let said = common::retired_switch(old("BUILDX_GANTT_REQUIRE_ENGINE")).unwrap();
    assert!(said.contains("BUILDX_GANTT_REQUIRE=engine"), "{said}");
    let said = common::retired_switch(old("BUILDX_GANTT_REQUIRE_REGISTRY")).unwrap();
    assert!(said.contains("BUILDX_GANTT_REQUIRE=registry"), "{said}");
}
