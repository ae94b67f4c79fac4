//! buildx-gantt's entry point: parse the command line, install the error hooks, dispatch.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use buildx_gantt::analysis::Analysis;
use buildx_gantt::cli::{Cli, ColorChoice, Command, FailOn, Format, ReportArgs};
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::export::{json, text};
use buildx_gantt::model::LogRetention;
use buildx_gantt::report;
use clap::Parser;

/// Exit codes: 0 ok, 1 the recorded build failed, 2 usage or unreadable input, 3 `--check` found
/// what it was told to fail on.
const EXIT_BUILD_FAILED: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
const EXIT_CHECK: u8 = 3;

fn main() -> ExitCode {
    // Panics still get a readable report (and, once there is a TUI, a restored terminal).
    let _ = color_eyre::install();
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Report(args) => run_report(args),
    };
    if std::env::var_os("BUILDX_GANTT_STATS").is_some() {
        print_stats(started);
    }
    code
}

/// `BUILDX_GANTT_STATS=1`: wall time and peak resident memory on stderr, for benchmarks and the
/// memory tests (the kernel's own high-water mark of this process, which exec resets).
fn print_stats(started: std::time::Instant) {
    let peak_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    eprintln!(
        "buildx-gantt stats: elapsed_ms={:.3} peak_rss_kib={peak_kib}",
        started.elapsed().as_secs_f64() * 1e3
    );
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("buildx-gantt: error: {msg}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn run_report(args: ReportArgs) -> ExitCode {
    let dockerfile = match &args.dockerfile {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => Some(Dockerfile::parse(
                &String::from_utf8_lossy(&bytes),
                &args.build_args,
            )),
            Err(e) => return fail(format!("{path}: cannot read the Dockerfile: {e}")),
        },
        None => None,
    };
    // The report prints only the last lines of failed steps: keep a small tail per vertex.
    let retention = LogRetention {
        bytes_per_vertex: 64 << 10,
    };
    let loaded = match report::load(&args.log, retention) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let analysis = Analysis::of(&loaded.build, dockerfile.as_ref());
    let stdout = std::io::stdout();
    let out = match args.format {
        Format::Json => {
            let mut s = json::render(&loaded.name, &loaded.build, &analysis);
            s.push('\n');
            s
        }
        Format::Text => {
            let tty = stdout.is_terminal();
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let width = args.width.unwrap_or_else(|| terminal_width(tty));
            let opts = text::TextOptions {
                width: width.max(40),
                color,
                ..Default::default()
            };
            text::render(&loaded.name, &loaded.build, &analysis, &opts)
        }
    };
    let mut lock = stdout.lock();
    if let Err(e) = lock.write_all(out.as_bytes()).and_then(|_| lock.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(format!("cannot write the report: {e}"));
        }
    }
    let violation = args.check
        && match args.fail_on {
            FailOn::Hazard => !analysis.hazards.is_empty(),
            FailOn::Overlap => !analysis.overlaps.is_empty(),
            FailOn::Never => false,
        };
    if violation {
        eprintln!(
            "{}",
            check_explanation(&loaded.build, &analysis, args.fail_on)
        );
        ExitCode::from(EXIT_CHECK)
    } else if loaded.build.failed() {
        ExitCode::from(EXIT_BUILD_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

fn check_explanation(build: &buildx_gantt::model::Build, a: &Analysis, on: FailOn) -> String {
    let mut s = String::from("buildx-gantt --check: ");
    match on {
        FailOn::Hazard => {
            let h = &a.hazards[0];
            s.push_str(&format!(
                "{} cache hazard(s). {} {}",
                a.hazards.len(),
                h.explanation,
                h.fix
            ));
        }
        _ => {
            let o = &a.overlaps[0];
            s.push_str(&format!(
                "{} ran at the same time as its COPY --from source {} for {:.2} s.",
                o.stage,
                o.source,
                o.duration as f64 / 1e9
            ));
        }
    }
    if build.failed() {
        s.push_str(" The build itself also failed.");
    }
    s
}

fn terminal_width(tty: bool) -> usize {
    if tty {
        if let Ok((w, _)) = crossterm::terminal::size() {
            if w > 0 {
                return w as usize;
            }
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w > 0)
        .unwrap_or(100)
}
