//! buildx-gantt's entry point: parse the command line, install the error hooks, dispatch.

use std::process::ExitCode;

use buildx_gantt::cli::Cli;
use buildx_gantt::commands;
use clap::Parser;

fn main() -> ExitCode {
    // Panics still get a readable report; the screen's own hook restores the terminal first.
    // An error we report is a message for the user, not a bug: it needs no backtrace (capturing
    // one under RUST_BACKTRACE=1 costs a second and ~150 MB). Panics keep theirs.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let _ = color_eyre::install();
    let started = std::time::Instant::now();
    let cli = match buildx_gantt::plugin::invoked() {
        buildx_gantt::plugin::Invoked::Metadata => {
            println!("{}", buildx_gantt::plugin::metadata());
            return ExitCode::SUCCESS;
        }
        buildx_gantt::plugin::Invoked::AsPlugin(args) => Cli::parse_from(args),
        buildx_gantt::plugin::Invoked::Direct => Cli::parse(),
    };
    let code = commands::run(cli);
    if std::env::var_os("BUILDX_GANTT_STATS").is_some() {
        print_stats(started);
    }
    code.into()
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
