//! Every key the screen answers to, in one table: the help overlay is drawn from it and input is
//! mapped through it, so the two cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Toggle,
    ToggleAll,
    PanLeft,
    PanRight,
    ZoomIn,
    ZoomOut,
    Fit,
    Follow,
    CriticalPath,
    /// One platform of a multi-platform build, the next, then all.
    Platform,
    NextHazard,
    PrevHazard,
    Details,
    LogUp,
    LogDown,
    LogFollow,
    Pause,
    Step,
    Restart,
    Faster,
    Slower,
    Help,
    /// Esc: closes the help overlay or the details pane, else nothing.
    Back,
    Quit,
    /// Ctrl-Z: give the terminal back and stop, as every full-screen program does (`fg` resumes).
    /// The loop does it, for every screen.
    Suspend,
}

/// A key: the code, and whether Ctrl must be held.
#[derive(Debug, Clone, Copy)]
pub struct Key(pub KeyCode, pub bool);

const fn k(c: char) -> Key {
    Key(KeyCode::Char(c), false)
}

const fn code(c: KeyCode) -> Key {
    Key(c, false)
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
}

/// The table. Order is the order of the help overlay.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[code(KeyCode::Up), k('k')],
        action: Action::Up,
        help: "row above",
    },
    Binding {
        keys: &[code(KeyCode::Down), k('j')],
        action: Action::Down,
        help: "row below",
    },
    Binding {
        keys: &[code(KeyCode::Home), k('g')],
        action: Action::Top,
        help: "first row",
    },
    Binding {
        keys: &[code(KeyCode::End), k('G')],
        action: Action::Bottom,
        help: "last row",
    },
    Binding {
        keys: &[code(KeyCode::Enter), k('o')],
        action: Action::Toggle,
        help: "expand / collapse",
    },
    Binding {
        keys: &[k('a')],
        action: Action::ToggleAll,
        help: "expand / collapse all",
    },
    Binding {
        keys: &[code(KeyCode::Left), k('h')],
        action: Action::PanLeft,
        help: "pan left",
    },
    Binding {
        keys: &[code(KeyCode::Right), k('l')],
        action: Action::PanRight,
        help: "pan right",
    },
    Binding {
        keys: &[k('+'), k('=')],
        action: Action::ZoomIn,
        help: "zoom in",
    },
    Binding {
        keys: &[k('-'), k('_')],
        action: Action::ZoomOut,
        help: "zoom out",
    },
    Binding {
        keys: &[k('f'), k('0')],
        action: Action::Fit,
        help: "fit the build to the window",
    },
    Binding {
        keys: &[k('F')],
        action: Action::Follow,
        help: "follow the live edge",
    },
    Binding {
        keys: &[k('c')],
        action: Action::CriticalPath,
        help: "critical path on / off",
    },
    Binding {
        keys: &[k('P')],
        action: Action::Platform,
        help: "platforms: one, next, all",
    },
    Binding {
        keys: &[k('n')],
        action: Action::NextHazard,
        help: "next race / cache hazard",
    },
    Binding {
        keys: &[k('N')],
        action: Action::PrevHazard,
        help: "previous race / hazard",
    },
    Binding {
        keys: &[k('d'), code(KeyCode::Tab)],
        action: Action::Details,
        help: "details pane (step, log)",
    },
    Binding {
        keys: &[code(KeyCode::PageUp), k('K')],
        action: Action::LogUp,
        help: "log: scroll up",
    },
    Binding {
        keys: &[code(KeyCode::PageDown), k('J')],
        action: Action::LogDown,
        help: "log: scroll down",
    },
    Binding {
        keys: &[k('L')],
        action: Action::LogFollow,
        help: "log: follow its end",
    },
    Binding {
        keys: &[k(' '), k('p')],
        action: Action::Pause,
        help: "replay: pause / resume",
    },
    Binding {
        keys: &[k('.'), k('s')],
        action: Action::Step,
        help: "replay: next event",
    },
    Binding {
        keys: &[k('r')],
        action: Action::Restart,
        help: "replay: start again",
    },
    Binding {
        keys: &[k('>'), k(']')],
        action: Action::Faster,
        help: "replay: 2× faster",
    },
    Binding {
        keys: &[k('<'), k('[')],
        action: Action::Slower,
        help: "replay: 2× slower",
    },
    Binding {
        keys: &[k('?'), code(KeyCode::F(1))],
        action: Action::Help,
        help: "this help",
    },
    Binding {
        keys: &[code(KeyCode::Esc)],
        action: Action::Back,
        help: "close help / details",
    },
    Binding {
        keys: &[k('q'), Key(KeyCode::Char('c'), true)],
        action: Action::Quit,
        help: "quit (cancels a build)",
    },
    Binding {
        keys: &[Key(KeyCode::Char('z'), true)],
        action: Action::Suspend,
        help: "suspend (fg resumes)",
    },
];

/// The action for a key press, if any (releases and repeats of non-movement keys are ignored).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let code = match key.code {
        // Shifted letters arrive as upper case already; BackTab is Shift-Tab.
        KeyCode::BackTab => KeyCode::Tab,
        c => c,
    };
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.0 == code && k.1 == ctrl))
        .map(|b| b.action)
}

/// How a key is written in the help.
pub fn key_name(key: &Key) -> String {
    let base = match key.0 {
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::Enter => "Enter".to_string(),
        KeyCode::Tab => "Tab".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::Esc => "Esc".to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        _ => "?".to_string(),
    };
    if key.1 {
        format!("Ctrl-{base}")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in BINDINGS {
            for key in b.keys {
                let name = key_name(key);
                assert!(!seen.contains(&name), "{name} is bound twice");
                seen.push(name);
            }
        }
    }

    #[test]
    fn ctrl_c_quits_and_plain_c_is_the_critical_path() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(ctrl_c), Some(Action::Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(c), Some(Action::CriticalPath));
        let shift_n = KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(action_for(shift_n), Some(Action::PrevHazard));
    }
}
