//! `demo [NAME] [--list]`: a bundled real recording on the live screen (for talks).

use color_eyre::eyre::bail;

use super::output::write_out;
use super::session::play;
use super::Outcome;
use crate::cli::DemoArgs;
use crate::dockerfile::Dockerfile;
use crate::exit::Exit;
use crate::source::demos::{self, DEMOS};
use crate::ui::app::{App, Mode, Replay};
use crate::ui::run::{Ending, Reopen};

pub fn run(args: DemoArgs) -> Outcome {
    if args.list {
        let mut s = String::from("Bundled recordings (buildx-gantt demo NAME):\n");
        for d in DEMOS {
            s.push_str(&format!(
                "  {:<15} {}\n  {:<15} {}\n",
                d.name, d.title, "", d.about
            ));
        }
        write_out(&s)?;
        return Ok(Exit::OK);
    }
    let name = args.name.as_deref().unwrap_or(DEMOS[0].name);
    let Some(d) = demos::find(name) else {
        let names: Vec<&str> = DEMOS.iter().map(|d| d.name).collect();
        bail!("no demo called `{name}`; there are: {}", names.join(", "));
    };
    let dockerfile = d.dockerfile.map(|text| Dockerfile::parse(text, &[]));
    let mode = Mode::Replay(Replay::new(args.speed, true));
    let mut app = App::new(format!("demo {}", d.name), dockerfile, mode);
    app.title = Some(d.title.to_string());
    let log = d.log;
    let reopen: Reopen = Box::new(move || Ok(Box::new(log) as Box<dyn std::io::Read + Send>));
    let ending = play(&mut app, Box::new(log), Some(reopen), &args.screen)?;
    Ok(if ending == Ending::HungUp {
        Exit::HUNG_UP
    } else {
        Exit::OK
    })
}
