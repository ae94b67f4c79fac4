//! buildx-gantt's entry point: parse the command line, install the error hooks, dispatch.

use std::process::ExitCode;

use buildx_gantt::cli::{Cli, Command};
use buildx_gantt::commands;
use clap::Parser;

fn main() -> ExitCode {
    // Panics still get a readable report; the screen's own hook restores the terminal first.
    let _ = color_eyre::install();
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Report(args)) => commands::report(args),
        Some(Command::Replay(args)) => commands::replay(args),
        Some(Command::Demo(args)) => commands::demo(args),
        Some(Command::Repeat(args)) => commands::repeat(args),
        Some(Command::Doctor(args)) => commands::doctor(args),
        Some(Command::VerifyLayers(args)) => commands::verify_layers(args),
        None => commands::live(cli.build),
    };
    if std::env::var_os("BUILDX_GANTT_STATS").is_some() {
        print_stats(started);
    }
    ExitCode::from(code)
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
