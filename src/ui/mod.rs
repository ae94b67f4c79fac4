//! The live screen: an [`app::App`] that owns the state, a key table, a pure `view`, the terminal
//! guard and the loop that ties them to a source (`run`).

pub mod app;
pub(crate) mod help;
pub mod keys;
pub mod layout;
pub mod logpane;
pub(crate) mod repeat_screen;
pub mod rows;
pub mod run;
pub(crate) mod session;
pub(crate) mod terminal;
pub(crate) mod trends_screen;
pub mod view;
pub mod window;

pub use app::{App, Effect, Mode, Replay};

/// Moves a list's selection for ↑ ↓ Home End (`last`: the last index); other actions leave it.
pub(crate) fn select(selected: &mut usize, last: usize, action: keys::Action) {
    use keys::Action;
    match action {
        Action::Up => *selected = selected.saturating_sub(1),
        Action::Down => *selected = (*selected + 1).min(last),
        Action::Top => *selected = 0,
        Action::Bottom => *selected = last,
        _ => {}
    }
}

/// Colour is wanted on a terminal unless `NO_COLOR` is set to something (https://no-color.org)
/// or the terminal can do nothing but print ([`capable_terminal`]).
pub fn colour_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && capable_terminal()
}

/// Whether the terminal can be drawn on: `TERM` names one, and not `dumb` (a terminal that only
/// prints: Emacs' shell, some CI consoles, `TERM` unset by a service manager).
pub fn capable_terminal() -> bool {
    std::env::var("TERM").is_ok_and(|t| !t.is_empty() && t != "dumb")
}

/// Whether a full screen can be drawn: standard output is a terminal, and a capable one.
/// Elsewhere the session is told line by line.
pub fn screen_possible() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdout()) && capable_terminal()
}
