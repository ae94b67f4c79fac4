//! Choosing how a build runs (the docker CLI's buildx, the classic `docker build`, or the Engine
//! API), starting it, emptying its cache for `--cold`, and finding the image it left. The live
//! build and `repeat` both start builds through here.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use super::child::{self, BuildProcess, Plan, StartError};
use super::context::Context;
use super::engine::{self, EngineArgs, EngineBuild};
use super::feed::Reading;
use super::job::Job;
use crate::dockerfile::Dockerfile;
use crate::model::Nanos;

/// `--engine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// buildx when the docker CLI has it, else the Engine API.
    Auto,
    /// The docker CLI: `docker buildx build`, or `DOCKER_BUILDKIT=1 docker build` without buildx.
    Cli,
    /// The Docker Engine API (bollard, BuildKit session), at $DOCKER_HOST.
    Api,
}

/// How builds run.
#[derive(Debug, Clone)]
pub enum Runner {
    Cli { docker: String, plan: Plan },
    Engine { args: EngineArgs },
}

/// A started build: the job to wait on and its progress stream.
pub struct Started {
    pub job: Box<dyn Job>,
    /// Taken by the reader.
    pub output: Option<Box<dyn Read + Send>>,
    /// Where a CLI build writes its image id (`--iidfile`), when asked for.
    iidfile: Option<PathBuf>,
    /// Where buildx writes what it built (`--metadata-file`): each bake target's image, the
    /// build record's reference.
    metadata: Option<PathBuf>,
    /// Whether that file is ours to remove (not the user's own `--metadata-file`).
    own_metadata: bool,
}

impl Started {
    /// The image the build left in the daemon, once it has ended (engine builds, and CLI builds
    /// started with `want_image`).
    pub fn image_id(&mut self) -> Option<String> {
        if let Some(id) = self.job.image_id() {
            return Some(id);
        }
        let id = std::fs::read_to_string(self.iidfile.as_ref()?).ok()?;
        let id = id.trim();
        (!id.is_empty()).then(|| id.to_string())
    }
}

impl Started {
    /// The image each bake target left in the daemon (a bake started with `want_image`).
    pub fn bake_images(&self) -> std::collections::BTreeMap<String, String> {
        self.metadata
            .as_deref()
            .map(super::bake::images)
            .unwrap_or_default()
    }
}

impl Started {
    /// The build records buildx made (`buildx.build.ref`: one for a build, one a bake target),
    /// once it has ended.
    pub fn record_refs(&self) -> Vec<String> {
        self.metadata
            .as_deref()
            .map(super::history::refs_in_metadata)
            .unwrap_or_default()
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        let ours = self.metadata.iter().filter(|_| self.own_metadata);
        for f in self.iidfile.iter().chain(ours) {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// A file of ours in the temporary directory, named for this process and moment.
fn scratch_file(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "buildx-gantt-{}-{}.{ext}",
        std::process::id(),
        super::now()
    ))
}

/// The user's own `--metadata-file FILE` (or `=FILE`) among the buildx arguments.
fn user_metadata_file(buildx_args: &[String]) -> Option<PathBuf> {
    let mut it = buildx_args.iter();
    while let Some(a) = it.next() {
        if a == "--metadata-file" {
            return it.next().map(PathBuf::from);
        }
        if let Some(f) = a.strip_prefix("--metadata-file=") {
            return Some(PathBuf::from(f));
        }
    }
    None
}

impl Runner {
    /// Chooses, with a sentence for the user when the choice is not the obvious one.
    pub fn choose(
        choice: EngineChoice,
        docker: &str,
        plain: bool,
        buildx_args: &[String],
    ) -> Result<(Runner, Option<String>), String> {
        let engine = |notice: Option<String>| -> Result<(Runner, Option<String>), String> {
            if plain {
                return Err(
                    "--plain reads the docker CLI's output; the Engine API gives exact times \
                     without it (drop --plain, or use --engine cli)"
                        .into(),
                );
            }
            let args = EngineArgs::parse(buildx_args)?;
            Ok((Runner::Engine { args }, notice))
        };
        match choice {
            EngineChoice::Api => engine(None),
            EngineChoice::Cli => child::plan(docker, plain)
                .map(|(plan, notice)| {
                    (
                        Runner::Cli {
                            docker: docker.to_string(),
                            plan,
                        },
                        notice,
                    )
                })
                .map_err(|e| e.to_string()),
            EngineChoice::Auto => match child::check_buildx(docker) {
                Ok(_) | Err(StartError::BuildxTooOld { .. }) => {
                    Runner::choose(EngineChoice::Cli, docker, plain, buildx_args)
                }
                Err(e @ StartError::BuildxMissing { .. })
                | Err(e @ StartError::DockerMissing { .. })
                    if !plain =>
                {
                    let why = match e {
                        StartError::DockerMissing { .. } => format!("`{docker}` was not found"),
                        _ => format!("`{docker} buildx` is not available"),
                    };
                    let reachable =
                        engine::with_client(|d| async move { engine::versions(&d).await });
                    match reachable {
                        Ok((version, _)) => engine(Some(format!(
                            "{why}: building through the Docker Engine API at {} (Docker {version}) \
                             instead; --engine cli runs the docker CLI's own builder",
                            engine::host()
                        ))),
                        Err(api) => Err(format!("{why}, and {api}")),
                    }
                }
                Err(_) => Runner::choose(EngineChoice::Cli, docker, plain, buildx_args),
            },
        }
    }

    pub fn is_plain(&self) -> bool {
        matches!(self, Runner::Cli { plan, .. } if plan.is_plain())
    }

    /// How to read this build's output: plain output is reconstructed from when each line
    /// arrives (since `origin`), with the Dockerfile's stage graph; rawjson is read as it comes.
    pub fn reading(&self, origin: Nanos, dockerfile: Option<&Dockerfile>) -> Reading {
        if self.is_plain() {
            Reading::PlainLive {
                origin,
                dockerfile: dockerfile.cloned().map(Arc::new),
            }
        } else {
            Reading::Detect(None)
        }
    }

    /// The extension of a recording of this build's output.
    pub fn recording_extension(&self) -> &'static str {
        if self.is_plain() {
            "log"
        } else {
            "jsonl"
        }
    }

    /// What the user would call this way of building.
    pub fn describe(&self) -> String {
        match self {
            Runner::Cli { docker, plan } => plan.command(docker),
            Runner::Engine { .. } => format!("the Docker Engine API at {}", engine::host()),
        }
    }

    /// Starts a build. `want_image` asks a CLI build to write its image id (`--iidfile`).
    pub fn start(
        &self,
        dockerfile: &str,
        context: &str,
        buildx_args: &[String],
        want_image: bool,
    ) -> Result<Started, String> {
        match self {
            Runner::Cli { docker, plan } => {
                let mut args = buildx_args.to_vec();
                // What the build leaves: its image id (`--iidfile`), and through buildx its
                // metadata (each bake target's image, the build record's reference).
                let iidfile = (want_image && *plan != Plan::Bake).then(|| scratch_file("iid"));
                if let Some(f) = &iidfile {
                    args.extend(["--iidfile".to_string(), f.display().to_string()]);
                }
                // (A plain log's clock is reconstructed: a record's times are for rawjson.)
                let (metadata, own_metadata) = match plan {
                    Plan::DockerBuildPlain | Plan::BuildxPlain => (None, false),
                    _ => match user_metadata_file(buildx_args) {
                        Some(theirs) => (Some(theirs), false),
                        None => (Some(scratch_file("json")), true),
                    },
                };
                if let (Some(f), true) = (&metadata, own_metadata) {
                    args.extend(["--metadata-file".to_string(), f.display().to_string()]);
                }
                let argv = plan.argv(dockerfile, context, &args);
                // `-f -` or a context of `-`: buildx reads them from our standard input.
                let from_stdin = dockerfile == "-" || context == "-";
                let (process, stderr) = BuildProcess::spawn(docker, &argv, plan.env(), from_stdin)
                    .map_err(|e| e.to_string())?;
                Ok(Started {
                    job: Box::new(process),
                    output: Some(Box::new(stderr)),
                    iidfile,
                    metadata,
                    own_metadata,
                })
            }
            Runner::Engine { args } => {
                if context == "-" || context.contains("://") {
                    return Err(
                        "building through the Engine API needs a local context directory \
                                (use buildx for a context on standard input or a remote one)"
                            .into(),
                    );
                }
                let ctx = if dockerfile == "-" {
                    let mut text = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut text).map_err(|e| {
                        format!("cannot read the Dockerfile from standard input: {e}")
                    })?;
                    Context::with_dockerfile_text(Path::new(context), text)
                } else {
                    Context::new(Path::new(context), Path::new(dockerfile))
                }
                .map_err(|e| e.to_string())?;
                let (build, output) = EngineBuild::start(ctx, args.clone())
                    .map_err(|e| format!("cannot start the engine build: {e}"))?;
                Ok(Started {
                    job: Box::new(build),
                    output: Some(Box::new(output)),
                    iidfile: None,
                    metadata: None,
                    own_metadata: false,
                })
            }
        }
    }

    /// Empties the build cache this way of building uses (`--cold`); says what it removed.
    pub fn prune(&self, builder: Option<&str>) -> Result<String, String> {
        match self {
            Runner::Engine { .. } => {
                let p = engine::with_client(|d| async move { engine::prune(&d).await })
                    .map_err(|e| format!("cannot empty the build cache: {e}"))?;
                Ok(format!(
                    "emptied the daemon's build cache: {} record{} removed, {} reclaimed",
                    p.records,
                    if p.records == 1 { "" } else { "s" },
                    human_bytes(p.bytes)
                ))
            }
            Runner::Cli { docker, plan } => {
                let mut argv: Vec<String> = match plan {
                    Plan::DockerBuildPlain => vec!["builder".into(), "prune".into(), "-af".into()],
                    _ => vec!["buildx".into(), "prune".into(), "-af".into()],
                };
                if let (Some(b), false) = (builder, *plan == Plan::DockerBuildPlain) {
                    argv.extend(["--builder".into(), b.to_string()]);
                }
                let out = super::spawn::command(docker)
                    .args(&argv)
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| format!("cannot run `{docker} {}`: {e}", argv.join(" ")))?;
                let said = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                if !out.status.success() {
                    return Err(format!(
                        "`{docker} {}` failed: {}",
                        argv.join(" "),
                        said.trim()
                    ));
                }
                let total = said
                    .lines()
                    .rev()
                    .find(|l| l.trim_start().starts_with("Total"))
                    .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
                    .unwrap_or_else(|| "nothing".into());
                let records = said
                    .lines()
                    .filter(|l| {
                        let w = l.split_whitespace().next().unwrap_or("");
                        w.len() >= 12 && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
                    })
                    .count();
                Ok(format!(
                    "emptied the build cache{} (`{docker} {}`): {records} record{} removed, {total} reclaimed",
                    builder.map(|b| format!(" of builder {b}")).unwrap_or_default(),
                    argv.join(" "),
                    if records == 1 { "" } else { "s" },
                ))
            }
        }
    }
}

/// `--flag V` or `--flag=V` among the buildx arguments (the last one wins, as in buildx).
pub fn flag_value(args: &[String], flag: &str) -> Option<String> {
    flag_values(args, flag).pop()
}

/// Every `--flag V` and `--flag=V` among the buildx arguments, in order.
pub fn flag_values(args: &[String], flag: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            found.extend(it.next().cloned());
        } else if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            found.push(v.to_string());
        }
    }
    found
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
