//! `buildx-gantt [DOCKERFILE] [CONTEXT] [-- BUILDX_ARGS]`: the live build on the screen, recorded,
//! then its report (and `--verify-layers`, `--check`).

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{eyre, Result};

use super::keep_record::{self, Kept};
use super::output::{append_line, default_recording};
use super::session::{present, print_report};
use super::verify_layers::verify;
use super::{build, check, Outcome};
use crate::analysis::Analysis;
use crate::cli::{BuildArgs, FailOn, LiveArgs};
use crate::exit::Exit;

use crate::model::{Event, EventKind, TextLine};
use crate::source::child;
use crate::source::feed::Recording;
use crate::source::request::BuildRequest;
use crate::source::runner::Started;
use crate::ui::app::{App, Live, Mode};
use crate::ui::run::{self, Ending, Feed, Options};

pub fn run(args: BuildArgs) -> Outcome {
    let request = build::request(
        &args.dockerfile,
        &args.context,
        &args.buildx_args,
        &args.engine,
    )?;
    let how = How::new(args.dockerfile.clone(), &args.live);
    run_request(request, how)
}

/// What a live run was asked for besides the build itself.
pub struct How {
    /// What the screen and the default recording are named after (the Dockerfile, `bake`).
    pub title: String,
    pub record: Option<String>,
    pub no_record: bool,
    pub cold: bool,
    pub exit_on_finish: bool,
    pub fail_on: Option<FailOn>,
    /// `--otlp [URL]`: send the build as a trace when it is over.
    pub otlp: Option<String>,
}

impl How {
    pub fn new(title: String, live: &LiveArgs) -> How {
        How {
            title,
            record: live.record.record.clone(),
            no_record: live.record.no_record,
            cold: live.cold,
            exit_on_finish: live.screen.exit_on_finish,
            fail_on: live.check.fail_on(),
            otlp: live.otlp.otlp.clone(),
        }
    }
}

/// Runs `request` live: recorded, on the screen (or narrated), then reported and checked.
pub fn run_request(mut request: BuildRequest, how: How) -> Outcome {
    request.record = match (&how.record, how.no_record) {
        (_, true) => None,
        (Some(p), false) => Some(PathBuf::from(p)),
        (None, false) => default_recording(&how.title, request.runner.recording_extension()),
    };
    if how.cold {
        let said = request.prune().map_err(|e| eyre!(e))?;
        eprintln!("buildx-gantt: --cold: {said}");
    }
    let recording = create_recording(&request)?;
    // Ctrl-C, SIGTERM and SIGHUP are ours from before the build starts.
    crate::ui::session::Signals::listen_now()?;
    let origin = crate::source::now();
    let mut build = request.start().map_err(|e| {
        if let Some(p) = &request.record {
            let _ = std::fs::remove_file(p);
        }
        eyre!(e)
    })?;
    let mut feed = start_feed(&mut build, recording, &request, origin)?;
    let mode = Mode::Live(Live::default());
    let mut app = App::new(how.title.clone(), request.parsed.clone(), mode);
    let opts = Options {
        exit_on_finish: how.exit_on_finish,
    };
    let ending = present(&mut app, &mut feed, Some(build.job.as_mut()), opts);
    // Whatever happened on screen, the build does not outlive us.
    let status = build.job.wait_cancelled(child::CANCEL_GRACE);
    run::take_rest(&mut app, &mut feed, Some(Duration::from_secs(2)));
    let ending = ending?;
    let mut code = exit_code(ending, status, build.job.was_cancelled());
    note_exit(&request, &mut app, code);
    // Nobody is left to wait for the record when the terminal hung up, and a user who
    // interrupted the build asked to leave: its builder is not asked for it (a daemon that never
    // answers held the exit 20 s, past the 5 s the cancel may take).
    let kept = if matches!(code, Exit::INTERRUPTED | Exit::HUNG_UP) {
        Kept::Not(None)
    } else {
        keep_record::keep(&request, &build, origin, &mut app.build)
    };
    // The build as it ended: for the report and for --check.
    let analysis = Analysis::of(&app.build, app.dockerfile.as_ref());
    tell_outcome(&app, &analysis, code);
    if request.verify_layers && code == Exit::OK {
        code = verify_layers(&mut build, &request, &app);
    }
    tell_recording(&request, &feed);
    tell_kept(kept);
    super::otlp::send_if_asked(how.otlp.as_deref(), &how.title, &app.build, &analysis);
    // Last, so CI logs end with it.
    Ok(check::apply(how.fail_on, &app.build, &analysis, code))
}

fn create_recording(request: &BuildRequest) -> Result<Option<(Recording, std::fs::File)>> {
    let Some(path) = &request.record else {
        return Ok(None);
    };
    Recording::create(path.clone()).map(Some).map_err(|e| {
        eyre!(
            "cannot create the recording {}: {e} (choose another with --record PATH, or --no-record)",
            path.display()
        )
    })
}

fn start_feed(
    build: &mut Started,
    recording: Option<(Recording, std::fs::File)>,
    request: &BuildRequest,
    origin: crate::model::Nanos,
) -> Result<Feed> {
    let output = build
        .output
        .take()
        .ok_or_else(|| eyre!("the build has no output to read"))?;
    Feed::start(output, recording, None, request.reading(origin)).map_err(|e| {
        build.job.kill();
        eyre!("cannot read the build's output: {e}")
    })
}

/// The build's own exit code: 130 when it was interrupted or cancelled.
fn exit_code(ending: Ending, status: Option<i32>, cancelled: bool) -> Exit {
    match (ending, status) {
        (Ending::HungUp, _) => Exit::HUNG_UP,
        (Ending::Interrupted, _) => Exit::INTERRUPTED,
        _ if cancelled => Exit::INTERRUPTED,
        (_, Some(s)) => Exit::of_status(s),
        (_, None) => Exit::BUILD_FAILED,
    }
}

/// What the build's exit said that its output did not (a build killed before buildx could say,
/// a docker that exits 1 without a word): told to the model and appended to the recording, so a
/// `report` of the recording agrees with this run.
fn note_exit(request: &BuildRequest, app: &mut App, code: Exit) {
    let said = app.build.failed() || app.build.cancelled();
    let line = match code {
        _ if said => return,
        Exit::OK => return,
        Exit::INTERRUPTED | Exit::HUNG_UP => {
            "buildx-gantt: the build was interrupted: context canceled".to_string()
        }
        c => format!(
            "ERROR: the build exited with code {} (recorded by buildx-gantt)",
            c.code()
        ),
    };
    app.build.apply(Event {
        arrived: crate::source::now(),
        kind: EventKind::Text(TextLine {
            line: 0,
            text: line.clone(),
        }),
    });
    if let Some(path) = &request.record {
        if let Err(e) = append_line(path, &line) {
            eprintln!(
                "buildx-gantt: cannot note the exit in {}: {e}",
                path.display()
            );
        }
    }
}

/// The text report; or, when no step ran, buildx's own words.
fn tell_outcome(app: &App, analysis: &Analysis, code: Exit) {
    if !app.build.vertexes().is_empty() {
        if let Err(e) = print_report(app, analysis) {
            eprintln!("buildx-gantt: {e}");
        }
        return;
    }
    if code != Exit::OK {
        let b = &app.build;
        eprintln!(
            "buildx-gantt: the build failed before any step ran (exit {}):",
            code.code()
        );
        let diagnostics = b.diagnostics().iter().map(|d| &d.message);
        for l in b
            .error_text
            .iter()
            .chain(&b.tool_warnings)
            .chain(diagnostics)
        {
            eprintln!("  {l}");
        }
    }
}

/// `--verify-layers` after a build that passed: a missing layer fails it.
fn verify_layers(build: &mut Started, request: &BuildRequest, app: &App) -> Exit {
    if !request.bake.is_empty() {
        return verify_bake(build, request);
    }
    let target = request.target.as_deref();
    match verify(build.image_id(), app.dockerfile.as_ref(), target) {
        Ok(check) => {
            println!("{}", check.describe());
            Exit::of_build(!check.ok())
        }
        Err(e) => {
            eprintln!("buildx-gantt: --verify-layers: {e}");
            Exit::OK
        }
    }
}

/// `bake --verify-layers`: one check per target, each of its own Dockerfile and stage; a missing
/// layer in any fails the bake.
fn verify_bake(build: &Started, request: &BuildRequest) -> Exit {
    let images = build.bake_images();
    let mut failed = false;
    for t in &request.bake {
        let checked = t
            .parsed()
            .and_then(|df| verify(images.get(&t.name).cloned(), Some(&df), t.stage.as_deref()));
        match checked {
            Ok(check) => {
                println!("target {}: {}", t.name, check.describe());
                failed |= !check.ok();
            }
            Err(e) => eprintln!("buildx-gantt: --verify-layers: target {}: {e}", t.name),
        }
    }
    Exit::of_build(failed)
}

fn tell_recording(request: &BuildRequest, feed: &Feed) {
    let Some(path) = &request.record else { return };
    let failed = feed
        .recording()
        .and_then(|r| r.error.as_ref().map(|e| (r.bytes, e)));
    let path = path.display();
    match failed {
        None => eprintln!("buildx-gantt: recorded to {path} (replay: buildx-gantt replay {path})"),
        Some((bytes, e)) => {
            eprintln!("buildx-gantt: the recording {path} stopped after {bytes} bytes: {e}")
        }
    }
}

fn tell_kept(kept: Kept) {
    match kept {
        Kept::Saved(p) => {
            let p = p.display();
            eprintln!(
                "buildx-gantt: its build record (with the trace) is {p} (buildx-gantt report {p})"
            )
        }
        Kept::Not(Some(why)) => eprintln!("buildx-gantt: no build record kept: {why}"),
        Kept::Read | Kept::Not(None) => {}
    }
}
