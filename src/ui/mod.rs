//! The live screen: an [`app::App`] that owns the state, a key table, a pure `view`, the terminal
//! guard and the loop that ties them to a source (`run`).

pub mod app;
pub mod keys;
pub mod repeat_screen;
pub mod run;
pub mod terminal;
pub mod view;

pub use app::{App, Effect, Mode, Replay};
