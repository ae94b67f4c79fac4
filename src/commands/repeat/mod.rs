//! `repeat [DOCKERFILE] [CONTEXT] -n N [--reset-every K] [-- ARGS]`: the same build N times, each
//! recorded, with the failure rate and whether the cache verdict predicted each outcome.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use color_eyre::eyre::{bail, eyre, Result};

use super::output::{state_path, write_out};
use super::{build, Outcome};
use crate::analysis::repeat::{summarize, Progress, RunResult, Summary};
use crate::chart::repeat::{row, summary_lines};
use crate::cli::{RepeatArgs, SummaryFormat};
use crate::exit::Exit;
use crate::source::repeat::{watch_signals, Plan, Stop};
use crate::ui::repeat_screen;

mod rounds;

pub fn run(args: RepeatArgs) -> Outcome {
    if !Path::new(&args.dockerfile).is_file() {
        bail!("{}: no such Dockerfile", args.dockerfile);
    }
    if !Path::new(&args.context).is_dir() {
        bail!("{}: the build context is not a directory", args.context);
    }
    let mut request = build::request(
        &args.dockerfile,
        &args.context,
        &args.buildx_args,
        &args.engine,
    )?;
    let record_dir = args.record_dir.clone().map(PathBuf::from);
    request.record = Some(
        record_dir
            .or_else(|| state_path("repeats", &args.dockerfile))
            .ok_or_else(|| {
                eyre!("no place for the recordings: set --record-dir (HOME is not set)")
            })?,
    );
    let plan = Plan {
        request,
        runs: args.runs,
        reset_every: args.reset_every,
    };
    let outcome = run_plan(&plan, args.no_screen, args.format);
    send_runs(args.otlp.otlp.as_deref(), &plan);
    outcome
}

/// `--otlp`: each run's recording, sent as a trace of its own.
fn send_runs(url: Option<&str>, plan: &Plan) {
    let Some(url) = url else { return };
    let dir = plan.record_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut runs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("run-"))
        })
        .collect();
    runs.sort();
    runs.truncate(plan.runs as usize);
    let nothing = crate::model::LogRetention {
        bytes_per_vertex: 0,
    };
    let dockerfile = plan.request.parsed.as_ref();
    for path in runs {
        let Ok(l) = crate::source::saved::load(&path.to_string_lossy(), nothing, dockerfile) else {
            continue;
        };
        let a = crate::analysis::Analysis::of(&l.build, dockerfile);
        super::otlp::send_if_asked(Some(url), &l.name, &l.build, &a);
    }
}

/// Runs the loop of `plan`, on the table screen on a terminal (unless `no_screen`), and prints
/// the summary; exits 1 when a run failed, 130 when stopped early.
pub fn run_plan(plan: &Plan, no_screen: bool, format: SummaryFormat) -> Outcome {
    announce(plan);
    let stop = Arc::new(Stop::default());
    let tty = crate::ui::screen_possible() && !no_screen && format == SummaryFormat::Text;
    let results = if tty {
        repeat_screen::run(plan, stop.clone(), |stop, tell| {
            rounds::run(plan, stop, tell)
        })
        .map_err(|e| eyre!(e))?
    } else {
        without_screen(plan, &stop, format == SummaryFormat::Text)?
    };
    let summary = summarize(&results);
    write_out(&summary_text(plan, &results, &summary, format, tty))?;
    Ok(
        if results.iter().any(|r| r.interrupted) || results.len() < plan.runs as usize {
            Exit::INTERRUPTED
        } else {
            Exit::of_build(summary.failed > 0)
        },
    )
}

fn announce(plan: &Plan) {
    let resets = match plan.reset_every {
        0 => "never emptying the build cache".to_string(),
        1 => "emptying the build cache before each (build cache only; images are kept)".into(),
        k => format!(
            "emptying the build cache before every {k}th (build cache only; images are kept)"
        ),
    };
    eprintln!(
        "buildx-gantt: {} build{} through {}, {resets}; recordings in {}",
        plan.runs,
        if plan.runs == 1 { "" } else { "s" },
        plan.request.runner.describe(),
        plan.record_dir().display()
    );
}

/// The runs told line by line (text) or silently (JSON); Ctrl-C stops after the current run.
fn without_screen(plan: &Plan, stop: &Arc<Stop>, text: bool) -> Result<Vec<RunResult>> {
    watch_signals(stop.clone()).map_err(|e| eyre!("cannot watch for Ctrl-C: {e}"))?;
    let mut results = Vec::new();
    let mut error = None;
    let mut tell = |p: Progress| match p {
        Progress::Starting { run, reset } => {
            if let Some(r) = reset {
                eprintln!("buildx-gantt: run {run}: {r}");
            }
        }
        Progress::Finished(r) => {
            if text {
                println!("{}", row(&r));
                if let Some(why) = &r.reason {
                    println!("{:>14}{}", "", why);
                }
            }
            results.push(*r);
        }
        Progress::Error(e) => error = Some(e),
        Progress::Done => {}
    };
    rounds::run(plan, stop, &mut tell);
    match error {
        Some(e) if results.is_empty() => bail!(e),
        Some(e) => eprintln!(
            "buildx-gantt: error: {}",
            crate::model::visible(&e.to_string())
        ),
        None => {}
    }
    Ok(results)
}

fn summary_text(
    plan: &Plan,
    results: &[RunResult],
    summary: &Summary,
    format: SummaryFormat,
    tty: bool,
) -> String {
    if format == SummaryFormat::Json {
        let v = serde_json::json!({
            "dockerfile": plan.request.dockerfile,
            "engine": plan.request.runner.describe(),
            "recordings": plan.record_dir(),
            "runs": results,
            "summary": summary,
        });
        return format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    let mut s = String::new();
    if tty {
        for r in results {
            s.push_str(&row(r));
            s.push('\n');
        }
    }
    s.push('\n');
    for l in summary_lines(summary) {
        s.push_str(&l);
        s.push('\n');
    }
    let dir = plan.record_dir();
    let ext = plan.request.runner.recording_extension();
    s.push_str(&format!(
        "recordings: {} (open one: buildx-gantt replay {}/run-001.{ext})\n",
        dir.display(),
        dir.display()
    ));
    s
}
