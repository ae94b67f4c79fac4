//! What each command does, from parsed arguments to an exit code. `main` only dispatches here.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::analysis::failed_steps;
use crate::analysis::{short_name, Analysis, Certainty};
use crate::chart::words::overlap_sentence;
use crate::cli::{
    BuildArgs, ColorChoice, DemoArgs, DoctorArgs, EngineOptions, FailOn, Format, RepeatArgs,
    ReplayArgs, ReportArgs, SummaryFormat, VerifyLayersArgs,
};
use crate::compare;
use crate::demo::{self, DEMOS};
use crate::dockerfile::Dockerfile;
use crate::doctor;
use crate::export::{html, json, svg, text};
use crate::layers;
use crate::model::{Build, LogRetention};
use crate::repeat;
use crate::report;
use crate::source::child;
use crate::source::feed::{Reading, Recording};
use crate::source::job::Job;
use crate::source::runner::{flag_values, human_bytes, Runner};
use crate::ui::app::{App, Live, Mode, Replay};
use crate::ui::no_color_unset;
use crate::ui::repeat_screen;
use crate::ui::run::{self, Ending, Feed, Options, Reopen};

/// Exit codes: 0 ok, 1 the build failed, 2 usage, unreadable input or a build that cannot start,
/// 3 `--check` found what it was told to fail on, 130 interrupted.
pub const EXIT_OK: u8 = 0;
pub const EXIT_BUILD_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_CHECK: u8 = 3;
pub const EXIT_INTERRUPTED: u8 = 130;

fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("buildx-gantt: error: {msg}");
    EXIT_BAD_INPUT
}

fn color_for(choice: ColorChoice, tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => tty && no_color_unset(),
    }
}

pub fn terminal_width(tty: bool) -> usize {
    if tty {
        if let Ok((w, _)) = crossterm::terminal::size() {
            if w > 0 {
                return w as usize;
            }
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w > 0)
        .unwrap_or(100)
}

fn read_dockerfile(path: &str, build_args: &[(String, String)]) -> Result<Dockerfile, String> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Dockerfile::parse(
            &String::from_utf8_lossy(&bytes),
            build_args,
        )),
        Err(e) => Err(format!("{path}: cannot read the Dockerfile: {e}")),
    }
}

fn write_out(s: &str) -> Result<(), String> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    match lock.write_all(s.as_bytes()).and_then(|_| lock.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the report: {e}"))
        }
        _ => Ok(()),
    }
}

pub fn report(args: ReportArgs) -> u8 {
    let dockerfile = match &args.dockerfile {
        Some(path) => match read_dockerfile(path, &args.build_args) {
            Ok(d) => Some(d),
            Err(e) => return fail(e),
        },
        None => None,
    };
    // The text report prints only the last lines of failed steps: keep a small tail per vertex.
    // The HTML report shows each step's output: keep more of it.
    let retention = LogRetention {
        bytes_per_vertex: if args.format == Format::Html && !args.no_logs {
            html::LOG_BYTES_PER_STEP
        } else {
            64 << 10
        },
    };
    let loaded = match report::load(&args.log, retention, dockerfile.as_ref()) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let analysis = Analysis::of(&loaded.build, dockerfile.as_ref());
    if let Some(truth) = &args.compare_with {
        let truth = match report::load(truth, retention, dockerfile.as_ref()) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let truth_analysis = Analysis::of(&truth.build, dockerfile.as_ref());
        let c = compare::compare(&truth_analysis, &analysis);
        if let Err(e) = write_out(&compare::render(&c, &truth.name, &loaded.name)) {
            return fail(e);
        }
        return if c.agrees() { EXIT_OK } else { EXIT_CHECK };
    }
    let title = args
        .dockerfile
        .clone()
        .unwrap_or_else(|| loaded.name.clone());
    let out = match args.format {
        Format::Json => {
            let mut s = json::render(&loaded.name, &loaded.build, &analysis);
            s.push('\n');
            s
        }
        Format::Text => {
            let tty = args.output.is_none() && io::stdout().is_terminal();
            let width = args.width.unwrap_or_else(|| terminal_width(tty));
            let opts = text::TextOptions {
                width: width.max(40),
                color: color_for(args.color, tty),
                ..Default::default()
            };
            text::render(&loaded.name, &loaded.build, &analysis, &opts)
        }
        Format::Svg => {
            let opts = svg::SvgOptions {
                theme: args.theme,
                rows: args.rows,
                interactive: false,
            };
            svg::render(&title, &loaded.name, &loaded.build, &analysis, &opts)
        }
        Format::Html => {
            let opts = html::HtmlOptions {
                theme: args.theme,
                rows: args.rows,
                logs: !args.no_logs,
            };
            html::render(&title, &loaded.name, &loaded.build, &analysis, &opts)
        }
    };
    let markup = match args.format {
        Format::Svg => Some("SVG"),
        Format::Html => Some("HTML"),
        _ => None,
    };
    let written = match (&args.output, markup) {
        (Some(path), _) => write_file(path, out.as_bytes()),
        (None, Some(what)) if io::stdout().is_terminal() => Err(format!(
            "the {what} report is a file to open, not terminal text: write it with \
             --output FILE (or redirect standard output)"
        )),
        (None, _) => write_out(&out),
    };
    if let Err(e) = written {
        return fail(e);
    }
    if let Some(path) = &args.output {
        eprintln!(
            "buildx-gantt: wrote {path} ({})",
            human_bytes(out.len() as u64)
        );
    }
    let code = if loaded.build.failed() {
        EXIT_BUILD_FAILED
    } else {
        EXIT_OK
    };
    apply_check(args.check.fail_on(), &loaded.build, &analysis, code)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, renamed over it.
fn write_file(path: &str, bytes: &[u8]) -> Result<(), String> {
    let target = Path::new(path);
    if target.is_dir() {
        return Err(format!(
            "{path}: is a directory (--output takes a file name)"
        ));
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, target));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {path}: {e}"));
    }
    Ok(())
}

/// `--check`: whether the build has what `on` names.
fn violates(a: &Analysis, on: FailOn) -> bool {
    match on {
        FailOn::Hazard => !a.hazards.is_empty(),
        FailOn::Overlap => a.overlaps.iter().any(|o| o.certainty == Certainty::Certain),
        FailOn::Never => false,
    }
}

/// The exit code under `--check` (`on`), given the build's own `code`; a violation is explained
/// in one paragraph on stderr. An interrupted build keeps its 130, with the explanation.
fn apply_check(on: Option<FailOn>, build: &Build, a: &Analysis, code: u8) -> u8 {
    let Some(on) = on.filter(|&on| violates(a, on)) else {
        return code;
    };
    eprintln!("{}", check_explanation(build, a, on, code));
    if code == EXIT_INTERRUPTED {
        code
    } else {
        EXIT_CHECK
    }
}

fn check_explanation(build: &Build, a: &Analysis, on: FailOn, code: u8) -> String {
    let mut s = String::from("buildx-gantt --check: ");
    match on {
        FailOn::Hazard => {
            let h = &a.hazards[0];
            s.push_str(&format!(
                "{} cache hazard{} (--fail-on hazard). {} Fix: {}",
                a.hazards.len(),
                if a.hazards.len() == 1 { "" } else { "s" },
                h.explanation,
                h.fix
            ));
            if a.hazards.len() > 1 {
                s.push_str(" (`buildx-gantt report` lists the others.)");
            }
        }
        _ => {
            let proven: Vec<String> = a
                .overlaps
                .iter()
                .filter(|o| o.certainty == Certainty::Certain)
                .map(|o| overlap_sentence(a, o))
                .collect();
            s.push_str(&format!(
                "a stage ran alongside its COPY --from source (--fail-on overlap). {}",
                proven.join(" ")
            ));
            if a.hazards.is_empty() {
                s.push_str(
                    " They share no cache mount, so this is concurrency, not a cache hazard \
                     (--fail-on hazard passes).",
                );
            }
        }
    }
    if code == EXIT_INTERRUPTED {
        s.push_str(" The build was interrupted before it ended.");
    } else if code != EXIT_OK || build.failed() {
        s.push_str(&format!(" The build itself also failed (exit {code})"));
        match failed_steps(a).first() {
            Some(f) => s.push_str(&format!(
                ": {} failed{}.",
                short_name(f),
                f.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )),
            None => s.push('.'),
        }
    }
    s
}

/// Shows a session on the screen (or, without a terminal on stdout, line by line), then prints
/// the text report.
fn present(
    app: &mut App,
    feed: &mut Feed,
    child: Option<&mut dyn Job>,
    opts: Options,
) -> Result<Ending, String> {
    let tty = io::stdout().is_terminal();
    app.color = no_color_unset();
    let ending = if tty {
        run::run_screen(app, feed, child, opts).map_err(|e| format!("the screen failed: {e}"))?
    } else {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        match run::run_headless(app, feed, child, &mut out) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => run::Ending::Finished,
            Err(e) => return Err(format!("cannot write: {e}")),
        }
    };
    Ok(ending)
}

/// Prints the session's text report; `analysis` is its final one.
fn print_report(app: &App, analysis: &Analysis) -> Result<(), String> {
    let tty = io::stdout().is_terminal();
    let mut s = String::new();
    if !tty {
        s.push('\n');
    }
    s.push_str(&run::final_report(
        app,
        analysis,
        terminal_width(tty),
        tty && no_color_unset(),
    ));
    write_out(&s)
}

/// Where a build is recorded by default: `$XDG_STATE_HOME/buildx-gantt/recordings/` (or
/// `~/.local/state/…`), one file per build, named after when it started.
pub fn default_recording(dockerfile: &str, extension: &str) -> Option<PathBuf> {
    let mut path = state_path("recordings", dockerfile)?.into_os_string();
    path.push(format!(".{extension}"));
    Some(path.into())
}

/// `$XDG_STATE_HOME/buildx-gantt/KIND/<time>-<Dockerfile>-<pid>` (or under `~/.local/state`): a
/// new name for what one command records.
pub fn state_path(kind: &str, dockerfile: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })?;
    let stem: String = Path::new(dockerfile)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "build".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let when = chrono::Local::now().format("%Y%m%d-%H%M%S");
    Some(
        base.join("buildx-gantt")
            .join(kind)
            .join(format!("{when}-{stem}-{}", std::process::id())),
    )
}

/// `--build-arg K=V` / `--build-arg=K=V` among the buildx arguments, to expand the Dockerfile the
/// same way the build does.
fn build_args_of(buildx_args: &[String]) -> Vec<(String, String)> {
    flag_values(buildx_args, "--build-arg")
        .iter()
        .filter_map(|v| crate::cli::parse_build_arg(v).ok())
        .collect()
}

/// How builds run, told to the user when it is not the obvious way.
fn choose_runner(engine: &EngineOptions, buildx_args: &[String]) -> Result<Runner, String> {
    let (runner, notice) =
        Runner::choose(engine.engine, &engine.docker, engine.plain, buildx_args)?;
    if let Some(n) = &notice {
        eprintln!("buildx-gantt: {n}");
    }
    Ok(runner)
}

/// `buildx-gantt [DOCKERFILE] [CONTEXT] [-- BUILDX_ARGS]`: the live build.
pub fn live(args: BuildArgs) -> u8 {
    let df_path = Path::new(&args.dockerfile);
    if args.dockerfile != "-" && !df_path.is_file() {
        return fail(if df_path.exists() {
            format!(
                "{}: not a file (the first argument is the Dockerfile)",
                args.dockerfile
            )
        } else {
            format!(
                "{}: no such Dockerfile. Usage: buildx-gantt [DOCKERFILE] [CONTEXT] [-- BUILDX_ARGS…]; \
                 `buildx-gantt demo` shows a recorded build, `buildx-gantt --help` the rest.",
                args.dockerfile
            )
        });
    }
    let remote_context = args.context.contains("://") || args.context.starts_with("git@");
    if !remote_context && args.context != "-" && !Path::new(&args.context).is_dir() {
        return fail(format!(
            "{}: the build context is not a directory",
            args.context
        ));
    }
    let runner = match choose_runner(&args.engine, &args.buildx_args) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let dockerfile = if args.dockerfile == "-" {
        None
    } else {
        read_dockerfile(&args.dockerfile, &build_args_of(&args.buildx_args)).ok()
    };
    if args.cold {
        match runner.prune(&args.buildx_args) {
            Ok(said) => eprintln!("buildx-gantt: --cold: {said}"),
            Err(e) => return fail(e),
        }
    }
    let record_path = if args.no_record {
        None
    } else {
        match args.record.clone().map(PathBuf::from) {
            Some(p) => Some(p),
            None => default_recording(&args.dockerfile, runner.recording_extension()),
        }
    };
    let record = match record_path.clone() {
        Some(p) => match Recording::create(p.clone()) {
            Ok(r) => Some(r),
            Err(e) => {
                return fail(format!(
                    "cannot create the recording {}: {e} (choose another with --record PATH, or --no-record)",
                    p.display()
                ))
            }
        },
        None => None,
    };
    let started = crate::source::now();
    let mut build = match runner.start(
        &args.dockerfile,
        &args.context,
        &args.buildx_args,
        args.engine.verify_layers,
    ) {
        Ok(b) => b,
        Err(e) => {
            if let Some(p) = &record_path {
                let _ = std::fs::remove_file(p);
            }
            return fail(e);
        }
    };
    let reading = runner.reading(started, dockerfile.as_ref());
    let Some(output) = build.output.take() else {
        return fail("the build has no output to read");
    };
    let mut feed = match Feed::start(output, record, None, reading) {
        Ok(f) => f,
        Err(e) => {
            build.job.kill();
            return fail(format!("cannot read the build's output: {e}"));
        }
    };
    let mut app = App::new(
        args.dockerfile.clone(),
        dockerfile,
        Mode::Live(Live::default()),
    );
    let opts = Options {
        exit_on_finish: args.screen.exit_on_finish,
    };
    let ending = present(&mut app, &mut feed, Some(build.job.as_mut()), opts);
    // Whatever happened on screen, the build does not outlive us.
    let status = build.job.wait_cancelled(child::CANCEL_GRACE);
    run::take_rest(&mut app, &mut feed, Some(std::time::Duration::from_secs(2)));
    let ending = match ending {
        Ok(e) => e,
        Err(e) => {
            drop(build);
            return fail(e);
        }
    };
    let mut code = match (ending, status) {
        (Ending::Interrupted, _) => EXIT_INTERRUPTED,
        _ if build.job.was_cancelled() => EXIT_INTERRUPTED,
        (_, Some(s)) => s.clamp(0, 255) as u8,
        (_, None) => EXIT_BUILD_FAILED,
    };
    // The build as it ended: for the report and for --check.
    let analysis = Analysis::of(&app.build, app.dockerfile.as_ref());
    if app.build.vertexes().is_empty() {
        // Nothing ran: buildx's own words are the message.
        let mut said: Vec<String> = app.build.error_text.clone();
        said.extend(app.build.tool_warnings.iter().cloned());
        said.extend(app.build.diagnostics().iter().map(|d| d.message.clone()));
        if code != EXIT_OK {
            eprintln!("buildx-gantt: the build failed before any step ran (exit {code}):");
            for l in &said {
                eprintln!("  {l}");
            }
        }
    } else if let Err(e) = print_report(&app, &analysis) {
        eprintln!("buildx-gantt: {e}");
    }
    if args.engine.verify_layers && code == EXIT_OK {
        let target = runner.target(&args.buildx_args);
        match layers::verify(build.image_id(), app.dockerfile.as_ref(), target.as_deref()) {
            Ok(check) => {
                println!("{}", check.describe());
                if !check.ok() {
                    code = EXIT_BUILD_FAILED;
                }
            }
            Err(e) => eprintln!("buildx-gantt: --verify-layers: {e}"),
        }
    }
    if let Some(path) = &record_path {
        match feed
            .recording()
            .and_then(|r| r.error.as_ref().map(|e| (r.bytes, e)))
        {
            None => eprintln!(
                "buildx-gantt: recorded to {} (replay: buildx-gantt replay {})",
                path.display(),
                path.display()
            ),
            Some((bytes, e)) => eprintln!(
                "buildx-gantt: the recording {} stopped after {bytes} bytes: {e}",
                path.display()
            ),
        }
    }
    // Last, so CI logs end with it.
    apply_check(args.check.fail_on(), &app.build, &analysis, code)
}

/// `doctor`.
pub fn doctor(args: DoctorArgs) -> u8 {
    let d = doctor::diagnose(&args.docker);
    if let Err(e) = write_out(&d.render(&args.docker)) {
        return fail(e);
    }
    if d.can_build() {
        EXIT_OK
    } else {
        EXIT_BUILD_FAILED
    }
}

/// `verify-layers IMAGE -f DOCKERFILE`.
pub fn verify_layers(args: VerifyLayersArgs) -> u8 {
    let df = match read_dockerfile(&args.dockerfile, &args.build_args) {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    match layers::verify(Some(args.image.clone()), Some(&df), args.target.as_deref()) {
        Ok(check) => {
            if let Err(e) = write_out(&format!("{}\n", check.describe())) {
                return fail(e);
            }
            if check.ok() {
                EXIT_OK
            } else {
                EXIT_BUILD_FAILED
            }
        }
        Err(e) => fail(e),
    }
}

/// `repeat [DOCKERFILE] [CONTEXT] -n N [--reset-every K] [-- ARGS]`.
pub fn repeat(args: RepeatArgs) -> u8 {
    if !Path::new(&args.dockerfile).is_file() {
        return fail(format!("{}: no such Dockerfile", args.dockerfile));
    }
    if !Path::new(&args.context).is_dir() {
        return fail(format!(
            "{}: the build context is not a directory",
            args.context
        ));
    }
    let runner = match choose_runner(&args.engine, &args.buildx_args) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let record_dir = match args
        .record_dir
        .clone()
        .map(PathBuf::from)
        .or_else(|| state_path("repeats", &args.dockerfile))
    {
        Some(d) => d,
        None => return fail("no place for the recordings: set --record-dir (HOME is not set)"),
    };
    let plan = repeat::Plan {
        parsed: read_dockerfile(&args.dockerfile, &build_args_of(&args.buildx_args)).ok(),
        runner,
        dockerfile: args.dockerfile.clone(),
        context: args.context.clone(),
        buildx_args: args.buildx_args.clone(),
        runs: args.runs,
        reset_every: args.reset_every,
        verify_layers: args.engine.verify_layers,
        record_dir,
    };
    eprintln!(
        "buildx-gantt: {} build{} through {}, {}; recordings in {}",
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
        plan.runner.describe(),
        match plan.reset_every {
            0 => "never emptying the build cache".to_string(),
            1 => "emptying the build cache before each (build cache only; images are kept)"
                .to_string(),
            k => format!(
                "emptying the build cache before every {k}th (build cache only; images are kept)"
            ),
        },
        plan.record_dir.display()
    );
    let stop = std::sync::Arc::new(repeat::Stop::default());
    let tty = io::stdout().is_terminal() && !args.no_screen && args.format == SummaryFormat::Text;
    let results = if tty {
        match repeat_screen::run(&plan, stop.clone()) {
            Ok(r) => r,
            Err(e) => return fail(e),
        }
    } else {
        if let Err(e) = repeat::watch_signals(stop.clone()) {
            return fail(format!("cannot watch for Ctrl-C: {e}"));
        }
        let mut results = Vec::new();
        let mut error = None;
        let text = args.format == SummaryFormat::Text;
        let mut tell = |p: repeat::Progress| match p {
            repeat::Progress::Starting { run, reset } => {
                if let Some(r) = reset {
                    eprintln!("buildx-gantt: run {run}: {r}");
                }
            }
            repeat::Progress::Finished(r) => {
                if text {
                    println!("{}", repeat::row(&r));
                    if let Some(why) = &r.reason {
                        println!("{:>14}{}", "", why);
                    }
                }
                results.push(*r);
            }
            repeat::Progress::Error(e) => error = Some(e),
            repeat::Progress::Done => {}
        };
        repeat::run(&plan, &stop, &mut tell);
        if let Some(e) = error {
            eprintln!("buildx-gantt: error: {e}");
            if results.is_empty() {
                return EXIT_BAD_INPUT;
            }
        }
        results
    };
    let summary = repeat::summarize(&results);
    let out = if args.format == SummaryFormat::Json {
        let v = serde_json::json!({
            "dockerfile": plan.dockerfile,
            "engine": plan.runner.describe(),
            "recordings": plan.record_dir,
            "runs": results,
            "summary": summary,
        });
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
    } else {
        let mut s = String::new();
        if tty {
            for r in &results {
                s.push_str(&repeat::row(r));
                s.push('\n');
            }
        }
        s.push('\n');
        for l in repeat::summary_lines(&summary) {
            s.push_str(&l);
            s.push('\n');
        }
        s.push_str(&format!(
            "recordings: {} (open one: buildx-gantt replay {}/run-001.{})\n",
            plan.record_dir.display(),
            plan.record_dir.display(),
            plan.runner.recording_extension()
        ));
        s
    };
    if let Err(e) = write_out(&out) {
        return fail(e);
    }
    if results.iter().any(|r| r.interrupted) || results.len() < plan.runs as usize {
        EXIT_INTERRUPTED
    } else if summary.failed > 0 {
        EXIT_BUILD_FAILED
    } else {
        EXIT_OK
    }
}

/// `replay FILE|-`.
pub fn replay(args: ReplayArgs) -> u8 {
    let dockerfile = match &args.dockerfile {
        Some(path) => match read_dockerfile(path, &args.build_args) {
            Ok(d) => Some(d),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let from_stdin = args.log == "-";
    if !from_stdin {
        // Read it once first: a file that is not a progress log is told before any screen.
        if let Err(e) = report::load(
            &args.log,
            LogRetention {
                bytes_per_vertex: 0,
            },
            dockerfile.as_ref(),
        ) {
            return fail(e);
        }
    }
    let (name, input) = match report::open(&args.log) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let reopen: Option<Reopen> = if from_stdin {
        None
    } else {
        let path = args.log.clone();
        Some(Box::new(move || {
            report::open(&path)
                .map(|(_, r)| r)
                .map_err(|e| io::Error::other(e.to_string()))
        }))
    };
    let speed = if args.instant { 0.0 } else { args.speed };
    let mode = Mode::Replay(Replay::new(speed, !from_stdin));
    let mut app = App::new(name, dockerfile, mode);
    let code = play(&mut app, input, reopen, &args.screen);
    if code != EXIT_OK {
        return code;
    }
    if from_stdin && app.build.vertexes().is_empty() {
        return fail("<stdin>: no build progress in it (expected a --progress=rawjson or --progress=plain log)");
    }
    if app.build.failed() {
        EXIT_BUILD_FAILED
    } else {
        EXIT_OK
    }
}

/// Plays a replay (or demo) and prints the report of the whole log, also when the user left early.
fn play(
    app: &mut App,
    input: Box<dyn std::io::Read + Send>,
    reopen: Option<Reopen>,
    screen: &crate::cli::ScreenArgs,
) -> u8 {
    let reading = Reading::Detect(app.dockerfile.clone().map(std::sync::Arc::new));
    let mut feed = match Feed::start(input, None, reopen, reading) {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot start reading: {e}")),
    };
    let opts = Options {
        exit_on_finish: screen.exit_on_finish,
    };
    if let Err(e) = present(app, &mut feed, None, opts) {
        return fail(e);
    }
    // Left before the end: the report is still of the whole log.
    run::take_rest(app, &mut feed, None);
    let analysis = Analysis::of(&app.build, app.dockerfile.as_ref());
    if let Err(e) = print_report(app, &analysis) {
        eprintln!("buildx-gantt: {e}");
    }
    EXIT_OK
}

/// `demo [NAME] [--list]`.
pub fn demo(args: DemoArgs) -> u8 {
    if args.list {
        let mut s = String::from("Bundled recordings (buildx-gantt demo NAME):\n");
        for d in DEMOS {
            s.push_str(&format!(
                "  {:<15} {}\n  {:<15} {}\n",
                d.name, d.title, "", d.about
            ));
        }
        return match write_out(&s) {
            Ok(()) => EXIT_OK,
            Err(e) => fail(e),
        };
    }
    let name = args.name.as_deref().unwrap_or(DEMOS[0].name);
    let Some(d) = demo::find(name) else {
        let names: Vec<&str> = DEMOS.iter().map(|d| d.name).collect();
        return fail(format!(
            "no demo called `{name}`; there are: {}",
            names.join(", ")
        ));
    };
    let dockerfile = d.dockerfile.map(|text| Dockerfile::parse(text, &[]));
    let mode = Mode::Replay(Replay::new(args.speed, true));
    let mut app = App::new(format!("demo {}", d.name), dockerfile, mode);
    app.title = Some(d.title.to_string());
    let log = d.log;
    let reopen: Reopen = Box::new(move || Ok(Box::new(log) as Box<dyn std::io::Read + Send>));
    play(&mut app, Box::new(log), Some(reopen), &args.screen)
}
