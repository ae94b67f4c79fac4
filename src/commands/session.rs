//! A session on the screen (or, without a terminal, told line by line), and the text report
//! printed after it: shared by the live build, `replay` and `demo`.

use std::io::{self, IsTerminal};

use color_eyre::eyre::{eyre, Result};

use super::output::{terminal_width, write_out};
use crate::analysis::Analysis;
use crate::cli::ScreenArgs;
use crate::export::text;
use crate::source::feed::Reading;
use crate::source::job::Job;
use crate::ui::app::App;
use crate::ui::colour_wanted;
use crate::ui::run::{self, Ending, Feed, Options, Reopen};

/// Shows a session on the screen (or, without a terminal on stdout, line by line).
pub fn present(
    app: &mut App,
    feed: &mut Feed,
    child: Option<&mut dyn Job>,
    opts: Options,
) -> Result<Ending> {
    app.color = colour_wanted();
    if crate::ui::screen_possible() {
        return run::run_screen(app, feed, child, opts)
            .map_err(|e| eyre!("the screen failed: {e}"));
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match run::run_headless(app, feed, child, &mut out) {
        Ok(e) => Ok(e),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Ending::Finished),
        Err(e) => Err(eyre!("cannot write: {e}")),
    }
}

/// Prints the session's text report; `analysis` is its final one.
pub fn print_report(app: &App, analysis: &Analysis) -> Result<()> {
    let tty = io::stdout().is_terminal();
    let mut s = String::new();
    if !tty {
        s.push('\n');
    }
    let color = tty && colour_wanted();
    s.push_str(&final_report(app, analysis, terminal_width(tty), color));
    write_out(&s)
}

/// The text report printed when the screen is gone (or at the end of a headless run).
/// The text report of the session, from its final analysis (`Analysis::of` its build).
fn final_report(app: &App, analysis: &Analysis, width: usize, color: bool) -> String {
    text::render(
        &app.name,
        &app.build,
        analysis,
        &text::TextOptions {
            width: width.max(40),
            color,
            ..Default::default()
        },
    )
}

/// Plays a replay (or demo) and prints the report of the whole log, also when the user left
/// early; how the session ended.
pub fn play(
    app: &mut App,
    input: Box<dyn io::Read + Send>,
    reopen: Option<Reopen>,
    screen: &ScreenArgs,
) -> Result<Ending> {
    let reading = Reading::Detect(app.dockerfile.clone().map(std::sync::Arc::new));
    let mut feed = Feed::start(input, None, reopen, reading)
        .map_err(|e| eyre!("cannot start reading: {e}"))?;
    let opts = Options {
        exit_on_finish: screen.exit_on_finish,
    };
    let ending = present(app, &mut feed, None, opts)?;
    // Left before the end: the report is still of the whole log.
    run::take_rest(app, &mut feed, None);
    let analysis = Analysis::of(&app.build, app.dockerfile.as_ref());
    if let Err(e) = print_report(app, &analysis) {
        eprintln!("buildx-gantt: {e}");
    }
    Ok(ending)
}
