//! `completions SHELL` and `man`: clap's own generators over the one command-line definition.

use clap::CommandFactory;
use color_eyre::eyre::eyre;

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;

pub fn completions(args: CompletionsArgs) -> Outcome {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "buildx-gantt", &mut out);
    super::output::write_out(&String::from_utf8_lossy(&out))?;
    Ok(Exit::OK)
}

pub fn man() -> Outcome {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| eyre!("cannot write the manual page: {e}"))?;
    super::output::write_out(&String::from_utf8_lossy(&out))?;
    Ok(Exit::OK)
}
