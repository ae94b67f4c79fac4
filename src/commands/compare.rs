//! `compare BEFORE AFTER`: two builds side by side (see `crate::diff`).

use std::io::{self, IsTerminal};

use std::sync::Arc;

use color_eyre::eyre::{bail, eyre, Result};

use super::output::{read_dockerfile, terminal_width, write_file_with, write_out};
use super::session::present;
use super::Outcome;
use crate::analysis::Analysis;
use crate::cli::{CompareArgs, CompareFormat};
use crate::diff::{self, Args, Side};
use crate::dockerfile::Dockerfile;
use crate::exit::Exit;
use crate::export::{diff_html, diff_json, diff_text};
use crate::model::LogRetention;
use crate::source::feed::Reading;
use crate::source::runner::human_bytes;
use crate::source::saved::{self, Loaded, Pick};
use crate::ui::app::{App, Comparing, Mode, Replay};
use crate::ui::run::{Ending, Feed, Options};

pub fn run(args: CompareArgs) -> Outcome {
    if args.before == "-" && args.after == "-" {
        bail!("only one side can be standard input (`-`)");
    }
    let before = load(&args, &args.before)?;
    let after = load(&args, &args.after)?;
    let (bdf, adf) = (dockerfile(&args, &before)?, dockerfile(&args, &after)?);
    let (ba, aa) = (
        Analysis::of(&before.build, bdf.as_ref()),
        Analysis::of(&after.build, adf.as_ref()),
    );
    let b = Side {
        name: &before.name,
        build: &before.build,
        a: &ba,
    };
    let a = Side {
        name: &after.name,
        build: &after.build,
        a: &aa,
    };
    let d = diff::diff(&b, &a, &side_args(&args, &before, &after), adf.as_ref());
    let on_screen = args.format == CompareFormat::Text
        && args.output.is_none()
        && !args.no_screen
        && args.after != "-"
        && crate::ui::screen_possible();
    if on_screen {
        let ending = screen(&args, &d, &b, &a, adf.clone())?;
        if ending == Ending::HungUp {
            return Ok(Exit::HUNG_UP);
        }
    }
    let text = match args.format {
        CompareFormat::Json => diff_json::render(&d, &b, &a),
        CompareFormat::Html if args.output.is_none() && io::stdout().is_terminal() => bail!(
            "the HTML comparison is a file to open, not terminal text: write it with --output \
             FILE (or redirect standard output)"
        ),
        CompareFormat::Html => diff_html::render(&d, &b, &a),
        CompareFormat::Text => {
            let tty = args.output.is_none() && io::stdout().is_terminal();
            let width = args.width.unwrap_or_else(|| terminal_width(tty)).max(40);
            diff_text::render(&d, &b, &a, width)
        }
    };
    match &args.output {
        Some(path) => {
            let n = write_file_with(path, &mut |w| w.write_all(text.as_bytes()))?;
            eprintln!("buildx-gantt: wrote {path} ({})", human_bytes(n));
        }
        None => write_out(&text)?,
    }
    Ok(Exit::OK)
}

fn load(args: &CompareArgs, path: &str) -> Result<Loaded> {
    let pick = Pick {
        reference: None,
        say: true,
    };
    let df = match &args.df.dockerfile {
        Some(p) => Some(read_dockerfile(p, &args.df.build_args)?),
        None => None,
    };
    Ok(saved::load_record(
        path,
        &pick,
        LogRetention {
            bytes_per_vertex: 0,
        },
        df.as_ref(),
    )?)
}

/// The Dockerfile, expanded with the side's record's build arguments under the user's own.
fn dockerfile(args: &CompareArgs, side: &Loaded) -> Result<Option<Dockerfile>> {
    let Some(path) = &args.df.dockerfile else {
        return Ok(None);
    };
    let mut all: Vec<(String, String)> = side
        .build
        .record
        .as_ref()
        .map(|r| r.build_args.clone().into_iter().collect())
        .unwrap_or_default();
    all.extend(args.df.build_args.iter().cloned());
    read_dockerfile(path, &all).map(Some)
}

/// The build arguments each side used: its record's, then `--build-arg-before`/`-after`.
fn side_args(args: &CompareArgs, before: &Loaded, after: &Loaded) -> Args {
    let of = |l: &Loaded, given: &[(String, String)]| {
        let mut m = l
            .build
            .record
            .as_ref()
            .map(|r| r.build_args.clone())
            .unwrap_or_default();
        m.extend(given.iter().cloned());
        m
    };
    Args {
        before: of(before, &args.args_before),
        after: of(after, &args.args_after),
    }
}

/// The build after on the chart, the build before under it (see [`Comparing`]).
fn screen(
    args: &CompareArgs,
    d: &diff::Diff,
    b: &Side,
    a: &Side,
    dockerfile: Option<Dockerfile>,
) -> Result<Ending> {
    let pick = Pick {
        reference: None,
        say: false,
    };
    let (name, input) = saved::open_record(&args.after, &pick)?;
    let mut app = App::new(name, dockerfile, Mode::Replay(Replay::new(0.0, false)));
    app.title = Some(format!("compare: ▀ {} · ▄ this · ◆ root cause", b.name));
    app.set_compare(Comparing::of(d, b, a));
    let reading = Reading::Detect(app.dockerfile.clone().map(Arc::new));
    let mut feed =
        Feed::start(input, None, None, reading).map_err(|e| eyre!("cannot start reading: {e}"))?;
    let opts = Options {
        exit_on_finish: false,
    };
    present(&mut app, &mut feed, None, opts)
}
