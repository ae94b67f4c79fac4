//! What the live build and `repeat` share: checking the Dockerfile and context exist, choosing
//! how the build runs (said when it is not the obvious way), and the one build request.

use std::path::Path;

use color_eyre::eyre::{bail, eyre, Result};

use crate::cli::EngineOptions;
use crate::source::request::BuildRequest;
use crate::source::runner::Runner;

/// The request for building `dockerfile` in `context` with `buildx_args`, as `engine` says.
pub fn request(
    dockerfile: &str,
    context: &str,
    buildx_args: &[String],
    engine: &EngineOptions,
) -> Result<BuildRequest> {
    check_paths(dockerfile, context)?;
    let platforms = crate::source::runner::flag_value(buildx_args, "--platform");
    if engine.verify_layers && platforms.as_deref().is_some_and(|p| p.contains(',')) {
        bail!(
            "--verify-layers checks an image in the daemon, and a build for several platforms \
             ({}) cannot be loaded into it (the docker driver builds one platform; `--load` \
             refuses several): build one platform to check its layers",
            platforms.unwrap_or_default()
        );
    }

    let (runner, notice) = Runner::choose(
        engine.engine.into(),
        &engine.bin.docker,
        engine.plain,
        buildx_args,
    )
    .map_err(|e| eyre!(e))?;
    if let Some(n) = &notice {
        eprintln!("buildx-gantt: {n}");
    }
    let mut request = BuildRequest::new(dockerfile, context, buildx_args, runner);
    request.verify_layers = engine.verify_layers;
    Ok(request)
}

/// The Dockerfile is a file (or `-`) and the context a directory (or `-`, or remote).
fn check_paths(dockerfile: &str, context: &str) -> Result<()> {
    let df = Path::new(dockerfile);
    if dockerfile != "-" && !df.is_file() {
        if df.exists() {
            bail!("{dockerfile}: not a file (the first argument is the Dockerfile)");
        }
        bail!(
            "{dockerfile}: no such Dockerfile. Usage: buildx-gantt [DOCKERFILE] [CONTEXT] [-- BUILDX_ARGS…]; \
             `buildx-gantt demo` shows a recorded build, `buildx-gantt --help` the rest."
        );
    }
    let remote = context.contains("://") || context.starts_with("git@");
    if !remote && context != "-" && !Path::new(context).is_dir() {
        bail!("{context}: the build context is not a directory");
    }
    Ok(())
}
