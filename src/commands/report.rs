//! `report LOG`: the build explained as text, JSON, SVG or HTML; `--compare-with` checks a plain
//! log's reconstructed timing against the same build's rawjson.

use std::io::{self, IsTerminal};

use color_eyre::eyre::{bail, Result};

use super::output::{
    color_for, dockerfile_arg, read_dockerfile, terminal_width, write_file_with, write_out,
    write_out_with,
};
use super::{check, otlp, Outcome};
use crate::analysis::accuracy;
use crate::analysis::Analysis;
use crate::cli::{Format, ReportArgs};
use crate::dockerfile::Dockerfile;
use crate::exit::Exit;
use crate::export::accuracy as accuracy_text;
use crate::export::{html, json, markdown, svg, text, trace};
use crate::model::LogRetention;
use crate::source::runner::human_bytes;
use crate::source::saved::{self, Loaded};

/// `--list`: the records of a bundle, a line each.
pub fn list(path: &str) -> Outcome {
    for line in saved::list_records(path)? {
        println!("{}", crate::model::visible(&line));
    }
    Ok(Exit::OK)
}

pub fn run(args: ReportArgs) -> Outcome {
    if args.bundle.list {
        return list(&args.log);
    }
    let dockerfile = dockerfile_arg(args.df.dockerfile.as_deref(), &args.df.build_args)?;
    // The text report prints only the last lines of failed steps: keep a small tail per vertex.
    // The HTML report shows each step's output: keep more of it.
    let html_logs = args.format == Format::Html && !args.no_logs;
    let retention = LogRetention {
        bytes_per_vertex: if html_logs {
            html::LOG_BYTES_PER_STEP
        } else {
            64 << 10
        },
    };
    let pick = saved::Pick {
        reference: args.bundle.reference.clone(),
        say: true,
    };
    let loaded = saved::load_record(&args.log, &pick, retention, dockerfile.as_ref())?;
    let dockerfile = with_record_args(&args, &loaded)?.or(dockerfile);
    let analysis = Analysis::of(&loaded.build, dockerfile.as_ref());
    if let Some(truth) = &args.compare_with {
        return compare_with(truth, retention, dockerfile.as_ref(), &loaded, &analysis);
    }
    write(&args, &mut |w| render(w, &args, &loaded, &analysis))?;
    let source = args.df.dockerfile.as_deref().unwrap_or(&loaded.name);
    otlp::send_if_asked(args.otlp.otlp.as_deref(), source, &loaded.build, &analysis);
    let code = exit_of(&loaded.build, &analysis);
    Ok(check::apply(
        args.check.fail_on(),
        &loaded.build,
        &analysis,
        code,
    ))
}

/// The Dockerfile (`-f`) read again with a build record's `--build-arg`s under the user's own,
/// when the log is a record that has any.
fn with_record_args(args: &ReportArgs, loaded: &Loaded) -> Result<Option<Dockerfile>> {
    let (Some(path), Some(record)) = (&args.df.dockerfile, &loaded.build.record) else {
        return Ok(None);
    };
    if record.build_args.is_empty() {
        return Ok(None);
    }
    let mut all: Vec<(String, String)> = record.build_args.clone().into_iter().collect();
    all.extend(args.df.build_args.iter().cloned());
    read_dockerfile(path, &all).map(Some)
}

/// `--compare-with TRUTH`: 0 when the reconstruction agrees with the truth, 3 when not.
fn compare_with(
    truth: &str,
    retention: LogRetention,
    dockerfile: Option<&Dockerfile>,
    loaded: &Loaded,
    analysis: &Analysis,
) -> Outcome {
    let truth = saved::load(truth, retention, dockerfile)?;
    let truth_analysis = Analysis::of(&truth.build, dockerfile);
    let c = accuracy::compare(&truth_analysis, analysis);
    write_out(&accuracy_text::render(&c, &truth.name, &loaded.name))?;
    Ok(if c.agrees() { Exit::OK } else { Exit::CHECK })
}

/// Writes the report in the format asked for, streamed (a large build's report is large).
fn render(
    w: &mut dyn io::Write,
    args: &ReportArgs,
    loaded: &Loaded,
    analysis: &Analysis,
) -> io::Result<()> {
    let title = args.df.dockerfile.as_deref().unwrap_or(&loaded.name);
    let (name, build) = (&loaded.name, &loaded.build);
    match args.format {
        Format::Json => json::write(w, name, build, analysis),
        Format::Text => {
            let tty = args.output.is_none() && io::stdout().is_terminal();
            let opts = text::TextOptions {
                width: args.width.unwrap_or_else(|| terminal_width(tty)).max(40),
                color: color_for(args.color, tty),
                ..Default::default()
            };
            text::write(w, name, build, analysis, &opts)
        }
        Format::Markdown => w.write_all(markdown::render(title, build, analysis).as_bytes()),
        Format::Otlp => w.write_all(otlp::json(title, build, analysis).as_bytes()),
        Format::Trace => trace::write(w, title, build, analysis),
        Format::Svg => {
            let opts = svg::SvgOptions {
                theme: args.theme.into(),
                rows: args.rows.into(),
                interactive: false,
            };
            svg::write(w, title, name, build, analysis, &opts)
        }
        Format::Html => {
            let opts = html::HtmlOptions {
                theme: args.theme.into(),
                rows: args.rows.into(),
                logs: !args.no_logs,
            };
            html::write(w, title, name, build, analysis, &opts)
        }
    }
}

/// To `--output` (whole or not at all, said on stderr), else standard output; SVG and HTML are
/// files to open, not text for a terminal.
fn write(
    args: &ReportArgs,
    put: &mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>,
) -> Result<()> {
    let markup = match args.format {
        Format::Svg => Some("SVG"),
        Format::Html => Some("HTML"),
        _ => None,
    };
    match (&args.output, markup) {
        (Some(path), _) => {
            let n = write_file_with(path, put)?;
            eprintln!("buildx-gantt: wrote {path} ({})", human_bytes(n));
            Ok(())
        }
        (None, Some(what)) if io::stdout().is_terminal() => bail!(
            "the {what} report is a file to open, not terminal text: write it with \
             --output FILE (or redirect standard output)"
        ),
        (None, _) => write_out_with(put).map(|_| ()),
    }
}

/// What a recorded build's outcome makes the exit code: 1 failed, 130 interrupted, 4 the log
/// ends before the build did, else 0.
pub(super) fn exit_of(build: &crate::model::Build, a: &Analysis) -> Exit {
    match crate::analysis::outcome(build, a) {
        crate::analysis::Outcome::Failed => Exit::BUILD_FAILED,
        crate::analysis::Outcome::Cancelled => Exit::INTERRUPTED,
        crate::analysis::Outcome::Incomplete => Exit::INCOMPLETE,
        crate::analysis::Outcome::Succeeded => Exit::OK,
    }
}
