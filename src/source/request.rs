//! What the user asked to build, parsed once: the Dockerfile (its path, and its text read with
//! the build's arguments), the context, the arguments for buildx and what they say (build args,
//! target, builder), how the build runs, where it is recorded. The live build and `repeat` start
//! their builds from one of these.

use std::path::PathBuf;

use super::feed::Reading;
use super::runner::{flag_value, flag_values, Runner, Started};
use crate::dockerfile::Dockerfile;
use crate::model::Nanos;

#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// The Dockerfile's path, or `-` for standard input.
    pub dockerfile: String,
    /// The context: a directory, `-`, or a remote (git, https) context.
    pub context: String,
    /// Everything after `--`, passed to buildx as given.
    pub buildx_args: Vec<String>,
    /// `--build-arg K=V` among them (and `K` alone, from the environment).
    pub build_args: Vec<(String, String)>,
    /// `--target`.
    pub target: Option<String>,
    /// `--builder`.
    pub builder: Option<String>,
    /// The Dockerfile as the build reads it (none from standard input or when unreadable).
    pub parsed: Option<Dockerfile>,
    pub runner: Runner,
    /// Check the image's layers afterwards (`--verify-layers`).
    pub verify_layers: bool,
    /// Where the build is recorded: a file for one build, a directory for `repeat`'s runs.
    pub record: Option<PathBuf>,
    /// For a bake with `--verify-layers`: its targets as resolved (one layer check each).
    pub bake: Vec<super::bake::BakeTarget>,
}

impl BuildRequest {
    /// Reads what `buildx_args` say, and the Dockerfile with its build arguments.
    pub fn new(dockerfile: &str, context: &str, buildx_args: &[String], runner: Runner) -> Self {
        let build_args: Vec<(String, String)> = flag_values(buildx_args, "--build-arg")
            .iter()
            .filter_map(|v| parse_build_arg(v).ok())
            .collect();
        let parsed = (dockerfile != "-")
            .then(|| std::fs::read(dockerfile).ok())
            .flatten()
            .map(|bytes| Dockerfile::parse(&String::from_utf8_lossy(&bytes), &build_args));
        BuildRequest {
            dockerfile: dockerfile.to_string(),
            context: context.to_string(),
            buildx_args: buildx_args.to_vec(),
            target: flag_value(buildx_args, "--target"),
            builder: flag_value(buildx_args, "--builder"),
            build_args,
            parsed,
            runner,
            verify_layers: false,
            record: None,
            bake: Vec::new(),
        }
    }

    /// Starts the build.
    pub fn start(&self) -> Result<Started, String> {
        self.runner.start(
            &self.dockerfile,
            &self.context,
            &self.buildx_args,
            self.verify_layers,
        )
    }

    /// Empties the build cache the build uses (`--cold`, `repeat`'s resets); says what went.
    pub fn prune(&self) -> Result<String, String> {
        self.runner.prune(self.builder.as_deref())
    }

    /// How to read the build's output, which began at `origin`.
    pub fn reading(&self, origin: Nanos) -> Reading {
        self.runner.reading(origin, self.parsed.as_ref())
    }
}

/// `K=V`, or `K` alone: its value from the environment (as `docker build` does; unset is empty).
pub fn parse_build_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some(("", _)) => Err(format!("`{s}`: the build arg has no name")),
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None if s.is_empty() => Err("an empty build arg".into()),
        None => Ok((s.to_string(), std::env::var(s).unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_target_and_builder_are_read_from_the_buildx_arguments() {
        let args: Vec<String> = ["--build-arg", "A=1", "--build-arg=B=2", "--target", "app"]
            .into_iter()
            .chain(["--builder=remote"])
            .map(String::from)
            .collect();
        let runner = Runner::Cli {
            docker: "docker".into(),
            plan: super::super::child::Plan::DockerBuildPlain,
        };
        let r = BuildRequest::new("-", ".", &args, runner);
        assert_eq!(
            r.build_args,
            [("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(r.target.as_deref(), Some("app"));
        assert_eq!(r.builder.as_deref(), Some("remote"));
        assert!(r.parsed.is_none());
    }
}
