//! `completions SHELL` and `man`: clap's own generators over the one command-line definition;
//! `install-plugin`: the binary linked where the docker CLI finds its plugins.

use clap::CommandFactory;
use color_eyre::eyre::eyre;

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs, InstallPluginArgs};
use crate::exit::Exit;
use crate::plugin;

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

pub fn install_plugin(args: InstallPluginArgs) -> Outcome {
    let dir = match args.dir {
        Some(d) => std::path::PathBuf::from(d),
        None => plugin::user_dir()
            .ok_or_else(|| eyre!("neither DOCKER_CONFIG nor HOME is set: give --dir"))?,
    };
    let link = plugin::install(&dir).map_err(|e| eyre!(e))?;
    eprintln!(
        "buildx-gantt: linked {} → this binary: `docker {}` now runs it (`docker --help` lists it)",
        link.display(),
        plugin::NAME
    );
    Ok(Exit::OK)
}
