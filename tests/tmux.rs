//! End to end: the real binary on a real terminal (tmux), driven with send-keys and read back
//! with capture-pane. tmux is required (CI installs it); without it these tests fail, they do not
//! skip.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
    dir: PathBuf,
}

impl Tmux {
    /// Starts `command` in a detached 120×30 session; after it exits the shell records the
    /// terminal's settings, then the exit code (whole, by a rename: once `exit` exists both are
    /// complete), then waits.
    fn start(name: &str, command: &str) -> Tmux {
        let dir = tmp_dir(name);
        let socket = format!("bxg-{name}-{}", std::process::id());
        let t = Tmux { socket, dir };
        let script = format!(
            "{command}; code=$?; stty -a > {stty}; echo \"EXIT=$code\" > {exit}.new; \
             mv {exit}.new {exit}; sleep 600",
            exit = t.dir.join("exit").display(),
            stty = t.dir.join("stty").display(),
        );
        let ok = t
            .cmd(&[
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .unwrap_or_else(|e| {
                panic!("tmux is required for this test ({e}): apt-get install tmux")
            });
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    /// `tmux ARGS` on our server. The server (started by the first) passes its environment to
    /// the program, so it gets only what the tests mean it to have (see `scrub`).
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).args(args);
        c.env_remove("TMUX");
        scrub(&mut c);
        c
    }

    fn capture(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-S", "-200"];
        if escapes {
            args.push("-e");
        }
        let out = self.cmd(&args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status().unwrap().success());
    }

    fn display(&self, format: &str) -> String {
        let out = self
            .cmd(&["display-message", "-p", format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the screen satisfies `pred`, returning it (a hang guard of [`HANG_GUARD`]:
    /// what is waited for comes in a second or two on a quiet machine).
    fn wait(&self, what: &str, escapes: bool, pred: impl Fn(&str) -> bool) -> String {
        let t = Instant::now();
        loop {
            let screen = self.capture(escapes);
            if pred(&screen) {
                return screen;
            }
            if t.elapsed() > HANG_GUARD {
                panic!("no {what} within {HANG_GUARD:?} (a hang guard); the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The program's exit code, once it has exited (a hang guard of [`HANG_GUARD`]).
    fn exit_code(&self) -> i32 {
        let path = self.dir.join("exit");
        let t = Instant::now();
        while !path.exists() {
            assert!(
                t.elapsed() < HANG_GUARD,
                "the program did not exit; screen:\n{}",
                self.capture(false)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let s = std::fs::read_to_string(&path).unwrap();
        s.trim().trim_start_matches("EXIT=").parse().unwrap()
    }

    /// The terminal is back to normal: cooked mode with echo, main screen, cursor shown.
    fn assert_restored(&self) {
        let stty = std::fs::read_to_string(self.dir.join("stty")).unwrap();
        let words: Vec<&str> = stty.split_whitespace().collect();
        assert!(words.contains(&"icanon"), "still in raw mode: {stty}");
        assert!(words.contains(&"echo"), "echo is off: {stty}");
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "still on the alternate screen"
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "the cursor is hidden");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

fn bin_path() -> String {
    env!("CARGO_BIN_EXE_buildx-gantt").to_string()
}

/// Whether the line of the screen holding `needle` has red in it (tmux writes colours as SGR).
fn line_has_red(screen: &str, needle: &str) -> bool {
    screen.lines().filter(|l| l.contains(needle)).any(|l| {
        l.contains("[31m") || l.contains(";31m") || l.contains("38;5;1m") || l.contains("[91m")
    })
}

#[test]
fn demo_draws_the_race_in_red_opens_help_and_quits_cleanly() {
    let tmux = Tmux::start("demo", &format!("env -u NO_COLOR {} demo", bin_path()));
    // The race shows in red while the build plays, and the verdict comes when it is decided.
    let screen = tmux.wait("the red", true, |s| line_has_red(s, "stage-2"));
    assert!(screen.contains("The race that fails"), "{screen}");
    tmux.wait("the verdict", false, |s| {
        s.contains("race lost: [stage-2 2/4]")
    });
    tmux.keys(&["?"]);
    tmux.wait("the help", false, |s| {
        s.contains("keys (any key closes)") && s.contains("critical path on / off")
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_code(), 0);
    tmux.assert_restored();
    // The text report is printed on the normal screen.
    let after = tmux.wait("the report", false, |s| s.contains("build FAILED in 4.14s"));
    assert!(
        !after.contains("? help  q quit"),
        "the screen was left behind:\n{after}"
    );
}

#[test]
fn ctrl_c_on_the_screen_cancels_a_live_build_and_restores_the_terminal() {
    let dir = tmp_dir("tmux-live");
    let play = play_file("race/rawjson-pass.jsonl", 3.0, &dir);
    let pid_file = dir.join("pid");
    let command = format!(
        "BUILDX_GANTT_DOCKER={docker} FAKE_DOCKER_PLAY={play} FAKE_DOCKER_PID={pid} \
         FAKE_DOCKER_HOLD=600 {bin} --no-record {df} {ctx}",
        docker = fake_docker().display(),
        play = play.display(),
        pid = pid_file.display(),
        bin = bin_path(),
        df = fixture("race/Dockerfile").display(),
        ctx = fixture("race").display(),
    );
    let tmux = Tmux::start("live", &command);
    tmux.wait("the live build", false, |s| {
        s.contains("LIVE") && s.contains("building") && s.contains("builder")
    });
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    tmux.keys(&["C-c"]);
    assert_eq!(tmux.exit_code(), 130);
    tmux.assert_restored();
    // SAFETY: kill(2) with signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.contains(") Z "))
        .unwrap_or(true);
    assert!(!alive || zombie, "the build ({pid}) outlived buildx-gantt");
}

#[test]
fn replay_keys_pause_and_quit() {
    let log = fixture("race/rawjson-fail.jsonl");
    let tmux = Tmux::start(
        "replay",
        // 1/20 of its speed (83 s): it is still playing whenever the keys come.
        &format!("{} replay --speed 0.05 {}", bin_path(), log.display()),
    );
    tmux.wait("the replay", false, |s| s.contains("REPLAY · 1/20×"));
    tmux.keys(&["Space"]);
    tmux.wait("paused", false, |s| s.contains("REPLAY · paused"));
    tmux.keys(&["d"]);
    tmux.wait("the details pane", false, |s| {
        s.contains("details (d: close")
    });
    tmux.keys(&["q"]);
    // Leaving a replay early still reports the whole log (a failed build: exit 1).
    assert_eq!(tmux.exit_code(), 1);
    tmux.assert_restored();
    tmux.wait("the report", false, |s| s.contains("build FAILED in 4.14s"));
}

/// `repeat` of the race, `runs` times, against the fake docker playing `play`.
fn repeat_command(play: &std::path::Path, dir: &std::path::Path, runs: u32) -> String {
    format!(
        "BUILDX_GANTT_DOCKER={docker} FAKE_DOCKER_PLAY={play} {bin} repeat {df} {ctx} -n {runs} \
         --engine cli --reset-every 0 --record-dir {rec}",
        docker = fake_docker().display(),
        play = play.display(),
        bin = bin_path(),
        df = fixture("race/Dockerfile").display(),
        ctx = fixture("race").display(),
        rec = dir.join("runs").display(),
    )
}

/// The pid of the program the pane's shell runs.
fn program_pid(tmux: &Tmux) -> i32 {
    let shell: i32 = tmux.display("#{pane_pid}").parse().unwrap();
    let t = Instant::now();
    loop {
        if let Some(p) = processes()
            .into_iter()
            .find(|p| p.ppid == shell && p.comm == "buildx-gantt")
        {
            return p.pid;
        }
        assert!(t.elapsed() < HANG_GUARD, "buildx-gantt is not running");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_leaves_the_screen_and_restores_the_terminal() {
    let log = fixture("race/rawjson-fail.jsonl");
    let tmux = Tmux::start(
        "sigterm",
        &format!("{} replay --speed 0.1 {}", bin_path(), log.display()),
    );
    tmux.wait("the replay", false, |s| s.contains("REPLAY"));
    let pid = program_pid(&tmux);
    // SAFETY: kill(2) on the program under test.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    tmux.exit_code();
    tmux.assert_restored();
    tmux.wait("the report", false, |s| s.contains("build FAILED in 4.14s"));
}

#[test]
fn exit_on_finish_leaves_by_itself() {
    let tmux = Tmux::start(
        "finish",
        &format!("{} demo race-pass --speed 8 --exit-on-finish", bin_path()),
    );
    assert_eq!(tmux.exit_code(), 0);
    tmux.assert_restored();
    tmux.wait("the report", false, |s| s.contains("build succeeded"));
}

#[test]
fn a_panic_on_the_screen_still_restores_the_terminal() {
    // BUILDX_GANTT_TEST_PANIC (debug builds only) panics on the fifth frame.
    let tmux = Tmux::start(
        "panic",
        &format!("BUILDX_GANTT_TEST_PANIC=1 {} demo", bin_path()),
    );
    assert_eq!(tmux.exit_code(), 101);
    tmux.assert_restored();
    tmux.wait("the panic report", false, |s| s.contains("injected panic"));
}

#[test]
fn repeat_shares_the_chart_loop_keys_help_and_signals() {
    // Builds against the fake docker (a real recording, faster); the table's help, a run opened
    // in the chart and back, then signals: the first stops after the run, the next leaves. A
    // thousand runs asked for: they are still going whenever the signals come.
    let dir = tmp_dir("repeat-screen");
    let play = play_file("race/rawjson-fail.jsonl", 0.4, &dir);
    let command = repeat_command(&play, &dir, 1000);
    let tmux = Tmux::start("repeat", &command);
    tmux.wait("the first run", false, |s| {
        s.contains("#1  FAIL") || s.contains("#1  pass")
    });
    tmux.keys(&["?"]);
    tmux.wait("the table's help", false, |s| {
        s.contains("open the run in the chart") && !s.contains("zoom in")
    });
    tmux.keys(&["Escape", "g", "Enter"]);
    tmux.wait("run 1 in the chart", false, |s| {
        s.contains("run 1 ·") && s.contains("REPLAY · end") && s.contains("stage-2")
    });
    tmux.keys(&["q"]);
    tmux.wait("the table again", false, |s| {
        s.contains("buildx-gantt repeat ·") && !s.contains("REPLAY")
    });
    let pid = program_pid(&tmux);
    // SAFETY: kill(2) on the program under test.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    tmux.wait("stopping", false, |s| {
        s.contains("STOPPING after this run") || s.contains("finished")
    });
    tmux.wait("the runs over", false, |s| s.contains("· finished"));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    // Fewer runs than asked for: interrupted.
    assert_eq!(tmux.exit_code(), 130);
    tmux.assert_restored();
    tmux.wait("the summary", false, |s| {
        s.contains("recordings:") && s.contains("build")
    });
}

#[test]
fn a_closed_terminal_ends_the_session_instead_of_spinning() {
    // `tmux kill-session` closes the terminal under the program, as a dropped SSH connection does.
    let tmux = Tmux::start("hangup", &format!("{} demo", bin_path()));
    tmux.wait("the demo", false, |s| s.contains("REPLAY"));
    let pid = program_pid(&tmux);
    let _ = tmux.cmd(&["kill-session"]).status();
    let t = Instant::now();
    let gone = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
    };
    // (A hang guard: the bug was spinning for ever.)
    while !gone(pid) {
        assert!(
            t.elapsed() < HANG_GUARD,
            "buildx-gantt ({pid}) still runs {HANG_GUARD:?} after its terminal closed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn compare_draws_both_builds_marks_the_root_cause_and_explains_it() {
    let (before, after) = (
        fixture("ctxchange/rawjson-first.jsonl"),
        fixture("ctxchange/rawjson-rebuild.jsonl"),
    );
    let tmux = Tmux::start(
        "compare",
        &format!(
            "NO_COLOR=1 {} compare {} {}",
            bin_path(),
            before.display(),
            after.display()
        ),
    );
    let screen = tmux.wait("the comparison", false, |s| {
        s.contains("compare: ▀") && s.contains("◆   1/2 COPY src/version")
    });
    let row = |label: &str| {
        screen
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("no row {label}:\n{screen}"))
            .to_string()
    };
    // tools ran before and was a cache hit after: the upper half only, mostly.
    assert!(
        row("1/1 RUN mkdir -p /tools").matches('▀').count() > 20,
        "{screen}"
    );
    // [app 2/2] ran both times, about as long: whole cells.
    assert!(
        row("2/2 RUN sleep 1 && cat").matches('█').count() > 20,
        "{screen}"
    );
    // The details of [app 2/2]: both sides and why it ran.
    tmux.keys(&["j", "j", "j", "j", "j", "d"]);
    tmux.wait("the details", false, |s| {
        s.contains("compare: before 1.13s done · after 1.08s done · -50ms")
            && s.contains("why it ran: follows [app 1/2], which re-ran")
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.exit_code(), 0);
    tmux.assert_restored();
    tmux.wait("the comparison printed", false, |s| {
        s.contains("Critical path") && s.contains("off it now: [base 1/1]")
    });
}

#[test]
fn repeat_compares_two_runs_in_the_chart() {
    let dir = tmp_dir("repeat-compare");
    let play = play_file("race/rawjson-fail.jsonl", 0.2, &dir);
    let command = repeat_command(&play, &dir, 2);
    let tmux = Tmux::start("repeat-cmp", &command);
    tmux.wait("the runs over", false, |s| s.contains("· finished"));
    // The second run in the chart, the first (the last that went the same way: both failed,
    // so the run before it) under it.
    tmux.keys(&["G", "c"]);
    tmux.wait("runs 2 and 1 compared", false, |s| {
        s.contains("compare: ▀") && s.contains("run-001.jsonl") && s.contains("stage-2")
    });
    tmux.keys(&["q"]);
    tmux.wait("the table again", false, |s| {
        s.contains("buildx-gantt repeat ·") && !s.contains("REPLAY")
    });
    tmux.keys(&["q"]);
    tmux.exit_code();
    tmux.assert_restored();
}

/// What a pane shows and says when the program ran on a terminal that can only print.
fn on_a_printing_terminal(name: &str, env: &str) {
    let tmux = Tmux::start(
        name,
        &format!("{env} {} demo race-pass --speed 8", bin_path()),
    );
    // No screen to leave: the demo is told line by line and ends by itself.
    assert_eq!(tmux.exit_code(), 0);
    let seen = tmux.capture(true);
    assert!(seen.contains("done      [builder 2/3]"), "{seen}");
    assert!(seen.contains("build succeeded"), "{seen}");
    assert!(!seen.contains("? help  q quit"), "{seen}");
    // Nothing but text reached it: no colour (tmux shows colours as SGR with -e).
    assert!(!seen.contains("\u{1b}["), "{seen:?}");
    tmux.assert_restored();
}

#[test]
fn a_dumb_terminal_gets_the_narration_not_the_screen() {
    on_a_printing_terminal("dumb", "env TERM=dumb");
    on_a_printing_terminal("noterm", "env -u TERM");
}

/// The state of process `pid` as /proc says it (`T` when stopped).
fn proc_state(pid: i32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .and_then(|r| r.trim().chars().next())
        .unwrap_or('?')
}

#[test]
fn ctrl_z_and_sigtstp_give_the_terminal_back_stop_and_redraw_when_continued() {
    let log = fixture("race/rawjson-fail.jsonl");
    for how in ["ctrl-z", "sigtstp"] {
        let tmux = Tmux::start(
            &format!("suspend-{how}"),
            &format!("{} replay --speed 0.1 {}", bin_path(), log.display()),
        );
        tmux.wait("the replay", false, |s| s.contains("REPLAY"));
        let pid = program_pid(&tmux);
        match how {
            "ctrl-z" => tmux.keys(&["C-z"]),
            // SAFETY: kill(2) on the program under test.
            _ => unsafe {
                libc::kill(pid, libc::SIGTSTP);
            },
        }
        wait_until(&format!("{how}: the program stopped"), || {
            proc_state(pid) == 'T'
        });
        // Stopped, the terminal is the shell's again: main screen, cursor, cooked mode.
        assert_eq!(tmux.display("#{alternate_on}"), "0", "{how}");
        assert_eq!(tmux.display("#{cursor_flag}"), "1", "{how}");
        let tty = tmux.display("#{pane_tty}");
        let stty = Command::new("stty")
            .args(["-a", "-F", &tty])
            .output()
            .unwrap();
        let stty = String::from_utf8_lossy(&stty.stdout).to_string();
        let words: Vec<&str> = stty.split_whitespace().collect();
        assert!(
            words.contains(&"icanon") && words.contains(&"echo"),
            "{how}: {stty}"
        );
        // Continued (as `fg` does), it takes the screen again and draws it.
        // SAFETY: kill(2) on the program under test.
        unsafe {
            libc::kill(pid, libc::SIGCONT);
        }
        tmux.wait("the screen again", false, |s| {
            s.contains("REPLAY") && s.contains("? help")
        });
        assert_eq!(tmux.display("#{alternate_on}"), "1", "{how}");
        tmux.keys(&["q"]);
        assert_eq!(tmux.exit_code(), 1, "{how}");
        tmux.assert_restored();
    }
}

#[test]
fn a_recording_that_fills_the_disk_is_said_on_the_screen_while_the_build_runs() {
    let dir = tmp_dir("tmux-full");
    let play = play_file("race/rawjson-pass.jsonl", 3.0, &dir);
    // /dev/full: every write fails as on a full disk.
    let command = format!(
        "BUILDX_GANTT_DOCKER={docker} FAKE_DOCKER_PLAY={play} {bin} --record /dev/full {df} {ctx}",
        docker = fake_docker().display(),
        play = play.display(),
        bin = bin_path(),
        df = fixture("race/Dockerfile").display(),
        ctx = fixture("race").display(),
    );
    let tmux = Tmux::start("full", &command);
    tmux.wait("the failure, while building", false, |s| {
        s.contains("building") && s.contains("NOT RECORDING: No space left on device")
    });
    tmux.keys(&["C-c"]);
    assert_eq!(tmux.exit_code(), 130);
    tmux.assert_restored();
}
