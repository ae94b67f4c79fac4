//! The whole command-line interface, in one place.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "buildx-gantt",
    version,
    about = "Shows a Docker (BuildKit) build as a Gantt chart and finds the stages that race their COPY --from source",
    long_about = None,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain a saved build log (`--progress=rawjson`): stages, overlaps, cache hazards, errors.
    Report(ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A cache mount shared by steps nothing orders.
    Hazard,
    /// Any stage running at the same time as its COPY --from / from= source.
    Overlap,
    /// Only the build's own outcome.
    Never,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The log: a file written by `docker buildx build --progress=rawjson 2> FILE`, or `-` for stdin.
    pub log: String,

    /// The Dockerfile of the build (adds stage order and dependencies the log does not show).
    #[arg(short = 'f', long = "file", value_name = "DOCKERFILE")]
    pub dockerfile: Option<String>,

    /// A build argument the build used (`NAME=VALUE`), for expanding the Dockerfile. Repeatable.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub build_args: Vec<(String, String)>,

    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// For CI: exit 3 when the build has a cache hazard (see --fail-on).
    #[arg(long)]
    pub check: bool,

    /// What makes --check fail.
    #[arg(long, value_enum, value_name = "WHAT", requires = "check", default_value_t = FailOn::Hazard)]
    pub fail_on: FailOn,

    /// Colour in the text report (auto: when writing to a terminal and NO_COLOR is unset).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Width of the text report in columns (default: the terminal's, else $COLUMNS, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
}

fn parse_build_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}
