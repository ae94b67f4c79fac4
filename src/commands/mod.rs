//! What each command does, from parsed arguments to an exit code: one file per command. `main`
//! only calls [`run`]. Errors travel up as `eyre` reports and are told here, once, as
//! `buildx-gantt: error: …` with exit 2.

mod bake;
mod build;
mod check;
mod compare;
mod demo;
mod doctor;
mod generate;
mod history;
mod keep_record;
mod lint;
mod live;
mod otlp;
mod output;
mod repeat;
mod replay;
mod report;
mod session;
mod trends;
mod verify_layers;

use color_eyre::eyre::Result;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

pub use output::{default_recording, state_path, terminal_width};

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Exit {
    if let Some(name) = &cli.docker_context {
        use_context(name);
    }
    let result = match cli.command {
        Some(Command::Report(mut args)) => {
            args.output = file_not_dash(args.output);
            report::run(args)
        }
        Some(Command::Bake(args)) => bake::run(args),
        Some(Command::Replay(args)) => replay::run(args),
        Some(Command::History(args)) => history::run(args),
        Some(Command::Compare(mut args)) => {
            args.output = file_not_dash(args.output);
            compare::run(args)
        }
        Some(Command::Demo(args)) => demo::run(args),
        Some(Command::Repeat(args)) => repeat::run(args),
        Some(Command::Trends(mut args)) => {
            args.output = file_not_dash(args.output);
            trends::run(args)
        }
        Some(Command::Doctor(args)) => doctor::run(args),
        Some(Command::VerifyLayers(args)) => verify_layers::run(args),
        Some(Command::Lint(args)) => lint::run(args),
        Some(Command::Completions(args)) => generate::completions(args),
        Some(Command::Man) => generate::man(),
        Some(Command::InstallPlugin(args)) => generate::install_plugin(args),
        None => live::run(cli.build),
    };
    result.unwrap_or_else(|e| tell(&e))
}

/// `--output -` is standard output, as everywhere else on the command line (not a file named `-`).
fn file_not_dash(output: Option<String>) -> Option<String> {
    output.filter(|p| p != "-")
}

/// Says what went wrong; the exit code for it. An error may quote a file's text (a record's
/// digest, a log's line): shown, never acted on.
fn tell(e: &color_eyre::eyre::Report) -> Exit {
    eprintln!(
        "buildx-gantt: error: {}",
        crate::model::visible(&format!("{e:#}"))
    );
    Exit::BAD_INPUT
}

type Outcome = Result<Exit>;

/// `--context NAME`: what `docker --context NAME` means, for us and every docker CLI we run (the
/// flag outranks DOCKER_HOST and DOCKER_CONTEXT). Set before any thread starts.
fn use_context(name: &str) {
    std::env::set_var("DOCKER_CONTEXT", name);
    std::env::remove_var("DOCKER_HOST");
}
