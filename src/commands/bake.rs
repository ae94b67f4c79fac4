//! `bake [TARGET…] [-f FILE…] [-- BAKE_ARGS…]`: `docker buildx bake --progress=rawjson` drawn
//! live, recorded, reported and checked as a build is (the stream names each step with its
//! target, which the reader takes off).

use color_eyre::eyre::{eyre, Result};

use super::live::{run_request, How};
use super::output::state_path;
use super::Outcome;
use crate::cli::{BakeArgs, SummaryFormat};
use crate::source::bake;
use crate::source::child::{self, Plan};
use crate::source::request::BuildRequest;
use crate::source::runner::Runner;

pub fn run(args: BakeArgs) -> Outcome {
    child::check_buildx(&args.bin.docker)
        .map_err(|e| eyre!("bake needs the buildx plugin: {e}"))?;
    let mut request = request(&args)?;
    if args.verify_layers {
        request.bake = bake::print(&args.bin.docker, &request.buildx_args).map_err(|e| eyre!(e))?;
        request.verify_layers = true;
    }
    eprintln!(
        "buildx-gantt: {} {}",
        request.runner.describe(),
        request.buildx_args.join(" ")
    );
    if let Some(runs) = args.repeat {
        return repeat(request, runs, &args);
    }
    let how = How::new(title(&args), &args.live);
    run_request(request, how)
}

/// `--repeat N`: the bake as `repeat` runs a build, recorded under the state directory's
/// `repeats/` (or --record as the directory).
fn repeat(mut request: BuildRequest, runs: u32, args: &BakeArgs) -> Outcome {
    let dir = args
        .live
        .record
        .record
        .clone()
        .map(std::path::PathBuf::from);
    request.record = Some(
        dir.or_else(|| state_path("repeats", &title(args)))
            .ok_or_else(|| {
                eyre!("no place for the recordings: set --record DIR (HOME is not set)")
            })?,
    );
    let plan = crate::source::repeat::Plan {
        request,
        runs,
        reset_every: args.reset_every,
    };
    super::repeat::run_plan(&plan, false, SummaryFormat::Text)
}

/// bake's own arguments: the files, what came after `--`, then the targets.
fn request(args: &BakeArgs) -> Result<BuildRequest> {
    for f in &args.files {
        if !std::path::Path::new(f).is_file() {
            return Err(eyre!("{f}: no such bake or compose file"));
        }
    }
    let mut argv: Vec<String> = Vec::new();
    for f in &args.files {
        argv.extend(["-f".to_string(), f.clone()]);
    }
    argv.extend(args.bake_args.iter().cloned());
    argv.extend(args.targets.iter().cloned());
    let runner = Runner::Cli {
        docker: args.bin.docker.clone(),
        plan: Plan::Bake,
    };
    Ok(BuildRequest::new("", ".", &argv, runner))
}

/// What the screen and the recording are named after: `bake api worker`, or `bake`.
fn title(args: &BakeArgs) -> String {
    std::iter::once("bake")
        .chain(args.targets.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}
