//! `trends SOURCE… [--builder NAME]`: a pile of builds read in parallel and summed up as text (on
//! a terminal, the builds on a screen first), JSON, Markdown or HTML. Exit 0 when builds were
//! read, 2 when none could be.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use color_eyre::eyre::{bail, eyre, Result};

use super::output::{dockerfile_arg, terminal_width, write_file_with, write_out_with};
use super::Outcome;
use crate::cli::{TrendsArgs, TrendsFormat};
use crate::exit::Exit;
use crate::export::trends as export;
use crate::source::pile::{self, Item, Pile};
use crate::trends::{self, Trends};

pub fn run(args: TrendsArgs) -> Outcome {
    if args.sources.is_empty() && args.builder.is_none() {
        bail!(
            "trends reads builds: give folders, build records, logs or zips of CI artifacts, or \
             --builder NAME for a builder's history"
        );
    }
    let dockerfile = dockerfile_arg(args.df.dockerfile.as_deref(), &args.df.build_args)?;
    let scratch = Scratch::new();
    let pile = gather(&args, &scratch)?;
    let threads = args.jobs.map_or_else(default_threads, |n| n as usize);
    let tty = io::stderr().is_terminal();
    let (facts, refused) = trends::read(&pile.items, dockerfile.as_ref(), threads, &mut |p| {
        if tty && (p.done % 50 == 0 || p.done == p.of) {
            eprint!("\rbuildx-gantt: read {} of {} builds", p.done, p.of);
            if p.done == p.of {
                eprintln!();
            }
        }
    });
    let mut skipped = pile.skipped.clone();
    skipped.extend(refused);
    if facts.is_empty() {
        let why = skipped.first().map_or(String::new(), |s| format!(": {s}"));
        bail!("none of the {} inputs could be read{why}", pile.items.len());
    }
    for s in &skipped {
        eprintln!("buildx-gantt: skipped {s}");
    }
    let t = Trends::of(facts, skipped);
    let title = title(&args);
    let screen = args.format == TrendsFormat::Text
        && args.output.is_none()
        && !args.no_screen
        && crate::ui::screen_possible();
    if screen {
        let open = |i: usize| openable(&pile.items[i], &scratch);
        crate::ui::trends_screen::run(&t, title.clone(), dockerfile.as_ref(), &open)
            .map_err(|e| eyre!("the screen failed: {e}"))?;
    }
    let width = args
        .width
        .unwrap_or_else(|| terminal_width(args.output.is_none() && io::stdout().is_terminal()));
    let body = match args.format {
        TrendsFormat::Text => export::text(&t, &title, width),
        TrendsFormat::Json => export::json(&t),
        TrendsFormat::Markdown => export::markdown(&t, &title),
        TrendsFormat::Html => export::html(&t, &title),
    };
    let mut put = |w: &mut dyn io::Write| w.write_all(body.as_bytes());
    match &args.output {
        Some(path) => {
            write_file_with(path, &mut put)?;
            eprintln!("buildx-gantt: wrote {path}");
        }
        None if args.format == TrendsFormat::Html && io::stdout().is_terminal() => {
            bail!("the HTML page is a file to open, not terminal text: write it with --output FILE")
        }
        None => {
            write_out_with(&mut put)?;
        }
    }
    Ok(Exit::OK)
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(8))
}

/// The builds of the sources and of `--builder`'s history (exported into `scratch`).
fn gather(args: &TrendsArgs, scratch: &Scratch) -> Result<Pile> {
    let mut pile = pile::gather(&args.sources).map_err(|e| eyre!(e))?;
    if let Some(builder) = &args.builder {
        let dir = scratch.dir()?;
        pile::from_builder(&args.bin.docker, builder, &dir, args.last, &mut pile)
            .map_err(|e| eyre!(e))?;
    }
    if pile.items.is_empty() {
        let why = pile
            .skipped
            .first()
            .map_or(String::new(), |s| format!(" ({s})"));
        bail!(
            "no builds in {}: records are *.dockerbuild, logs *.jsonl or *.log, zips *.zip{why}",
            args.sources.join(", ")
        );
    }
    Ok(pile)
}

/// What the pile is called in the reports.
fn title(args: &TrendsArgs) -> String {
    let mut parts: Vec<String> = args.sources.clone();
    if let Some(b) = &args.builder {
        parts.push(format!("builder {b}"));
    }
    if let Some(d) = &args.df.dockerfile {
        parts.insert(0, d.clone());
    }
    crate::model::visible(&parts.join(", ")).into_owned()
}

/// A file the chart can open for the build: the file itself, or a zip's entry written out.
fn openable(item: &Item, scratch: &Scratch) -> Option<PathBuf> {
    match item {
        Item::File(p) => Some(p.clone()),
        Item::Zipped { entry, .. } => {
            let name: String = Path::new(&entry.name)
                .file_name()?
                .to_string_lossy()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let out = scratch.dir().ok()?.join(name);
            let mut input = item.open().ok()?;
            let mut f = std::fs::File::create(&out).ok()?;
            io::copy(&mut input, &mut f).ok()?;
            Some(out)
        }
    }
}

/// A temporary folder for exported records and unzipped builds, removed when done.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        Scratch(std::env::temp_dir().join(format!(
            "buildx-gantt-trends-{}-{}",
            std::process::id(),
            crate::source::now()
        )))
    }

    fn dir(&self) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.0)
            .map_err(|e| eyre!("cannot create {}: {e}", self.0.display()))?;
        Ok(self.0.clone())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
