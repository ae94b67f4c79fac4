//! `replay FILE|-`: a saved log on the live screen, at its original pace (or faster), then its
//! report.

use std::io;

use color_eyre::eyre::bail;

use super::output::dockerfile_arg;
use super::session::play;
use super::Outcome;
use crate::cli::ReplayArgs;
use crate::model::LogRetention;
use crate::source::saved;
use crate::ui::app::{App, Mode, Replay};
use crate::ui::run::{Ending, Reopen};

pub fn run(args: ReplayArgs) -> Outcome {
    if args.bundle.list {
        return super::report::list(&args.log);
    }
    let dockerfile = dockerfile_arg(args.df.dockerfile.as_deref(), &args.df.build_args)?;
    // A pipe (`-`, a FIFO, `<(…)`) can be read once: no check ahead, no restart.
    let once = args.log == "-" || !is_regular_file(&args.log);
    if !once {
        // Read it once first: a file that is not a progress log is told before any screen.
        let nothing = LogRetention {
            bytes_per_vertex: 0,
        };
        saved::load_record(&args.log, &pick(&args, true), nothing, dockerfile.as_ref())?;
    }
    let (name, input) = saved::open_record(&args.log, &pick(&args, once))?;
    let reopen: Option<Reopen> = (!once).then(|| {
        let path = args.log.clone();
        let again = pick(&args, false);
        Box::new(move || {
            saved::open_record(&path, &again)
                .map(|(_, r)| r)
                .map_err(|e| io::Error::other(e.to_string()))
        }) as Reopen
    });
    let speed = if args.instant { 0.0 } else { args.speed };
    let mode = Mode::Replay(Replay::new(speed, !once));
    let mut app = App::new(name, dockerfile, mode);
    let ending = play(&mut app, input, reopen, &args.screen)?;
    if ending == Ending::HungUp {
        return Ok(crate::exit::Exit::HUNG_UP);
    }
    if once && app.build.vertexes().is_empty() {
        bail!(
            "{}: no build progress in it (expected a --progress=rawjson or --progress=plain log)",
            app.name
        );
    }
    let a = crate::analysis::Analysis::of(&app.build, app.dockerfile.as_ref());
    Ok(super::report::exit_of(&app.build, &a))
}

/// The record of a bundle the arguments ask for; `say`: tell which on stderr.
fn pick(args: &ReplayArgs, say: bool) -> saved::Pick {
    saved::Pick {
        reference: args.bundle.reference.clone(),
        say,
    }
}

/// Whether `path` is a plain file (one that can be read twice).
fn is_regular_file(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}
