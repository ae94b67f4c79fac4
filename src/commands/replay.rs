//! `replay FILE|-`: a saved log on the live screen, at its original pace (or faster), then its
//! report.

use std::io;

use color_eyre::eyre::bail;

use super::output::dockerfile_arg;
use super::session::play;
use super::Outcome;
use crate::cli::ReplayArgs;
use crate::exit::Exit;
use crate::model::LogRetention;
use crate::report;
use crate::ui::app::{App, Mode, Replay};
use crate::ui::run::Reopen;

pub fn run(args: ReplayArgs) -> Outcome {
    let dockerfile = dockerfile_arg(args.dockerfile.as_deref(), &args.build_args)?;
    let from_stdin = args.log == "-";
    if !from_stdin {
        // Read it once first: a file that is not a progress log is told before any screen.
        let nothing = LogRetention {
            bytes_per_vertex: 0,
        };
        report::load(&args.log, nothing, dockerfile.as_ref())?;
    }
    let (name, input) = report::open(&args.log)?;
    let reopen: Option<Reopen> = (!from_stdin).then(|| {
        let path = args.log.clone();
        Box::new(move || {
            report::open(&path)
                .map(|(_, r)| r)
                .map_err(|e| io::Error::other(e.to_string()))
        }) as Reopen
    });
    let speed = if args.instant { 0.0 } else { args.speed };
    let mode = Mode::Replay(Replay::new(speed, !from_stdin));
    let mut app = App::new(name, dockerfile, mode);
    play(&mut app, input, reopen, &args.screen)?;
    if from_stdin && app.build.vertexes().is_empty() {
        bail!("<stdin>: no build progress in it (expected a --progress=rawjson or --progress=plain log)");
    }
    Ok(Exit::of_build(app.build.failed()))
}
