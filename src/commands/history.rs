//! `history [REF|^N] [--builder NAME] [--list]`: a past build of a builder, exported from its
//! build history to a `.dockerbuild` and opened as a replay is (the final state at once).

use std::path::{Path, PathBuf};

use color_eyre::eyre::eyre;

use super::output::write_out;
use super::Outcome;
use crate::cli::{BundleArgs, HistoryArgs, ReplayArgs};
use crate::exit::Exit;
use crate::model::visible;
use crate::source::history;

pub fn run(args: HistoryArgs) -> Outcome {
    let entries = history::list(&args.bin.docker, args.builder.as_deref()).map_err(|e| eyre!(e))?;
    if args.list {
        let lines: String = entries
            .iter()
            .enumerate()
            .map(|(n, e)| format!("{}\n", visible(&e.line(n))))
            .collect();
        write_out(&lines)?;
        if entries.is_empty() {
            eprintln!("buildx-gantt: the builder keeps no build records yet");
        }
        return Ok(Exit::OK);
    }
    let entry = history::resolve(&entries, args.reference.as_deref()).map_err(|e| eyre!(e))?;
    let file = Exported::new(args.output.as_deref(), entry.id());
    history::export(&args.bin.docker, &[&entry.reference], file.path()).map_err(|e| eyre!(e))?;
    if args.output.is_some() {
        eprintln!(
            "buildx-gantt: saved {} to {} (buildx-gantt report {})",
            entry.id(),
            file.path().display(),
            file.path().display()
        );
    }
    super::replay::run(replay_args(&args, file.path()))
}

fn replay_args(args: &HistoryArgs, path: &Path) -> ReplayArgs {
    ReplayArgs {
        log: path.display().to_string(),
        bundle: BundleArgs::default(),
        speed: 0.0,
        instant: true,
        df: args.df.clone(),
        screen: args.screen.clone(),
    }
}

/// Where the record is exported: the user's file, or `ID.dockerbuild` in a temporary directory
/// removed afterwards.
struct Exported {
    path: PathBuf,
    temporary: Option<PathBuf>,
}

impl Exported {
    fn new(output: Option<&str>, id: &str) -> Exported {
        if let Some(p) = output {
            return Exported {
                path: PathBuf::from(p),
                temporary: None,
            };
        }
        let dir = std::env::temp_dir().join(format!(
            "buildx-gantt-history-{}-{}",
            std::process::id(),
            crate::source::now()
        ));
        let _ = std::fs::create_dir_all(&dir);
        // The id is buildx's (letters and digits); keep the file name plain whatever it says.
        let safe: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
        Exported {
            path: dir.join(format!("{safe}.dockerbuild")),
            temporary: Some(dir),
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Exported {
    fn drop(&mut self) {
        if let Some(dir) = &self.temporary {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_dir(dir);
        }
    }
}
