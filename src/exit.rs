//! The process's exit codes, one type for every command: 0 ok, 1 the build failed (or `lint`
//! found something), 2 usage, unreadable input or a build that cannot start, 3 `--check` found
//! what it was told to fail on, 4 a saved log ends before its build did (a truncated paste), 129
//! the terminal went away, 130 interrupted. A live build's own status passes through as it is.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exit(u8);

impl Exit {
    pub const OK: Exit = Exit(0);
    pub const BUILD_FAILED: Exit = Exit(1);
    /// `lint` found something (the build's "failed" code: what a pre-commit hook or CI step
    /// stops on).
    pub const FINDINGS: Exit = Exit(1);
    pub const BAD_INPUT: Exit = Exit(2);
    pub const CHECK: Exit = Exit(3);
    /// A saved log that ends before its build did: neither success nor failure is known.
    pub const INCOMPLETE: Exit = Exit(4);
    pub const INTERRUPTED: Exit = Exit(crate::source::job::INTERRUPTED as u8);
    /// The terminal went away (SIGHUP, or its input ended).
    pub const HUNG_UP: Exit = Exit(129);

    /// A build's exit status as ours (clamped to a byte).
    pub fn of_status(status: i32) -> Exit {
        Exit(status.clamp(0, 255) as u8)
    }

    /// The build's status as a job reports it.
    pub const fn status(self) -> i32 {
        self.0 as i32
    }

    pub const fn code(self) -> u8 {
        self.0
    }

    /// 1 when the build failed, else 0.
    pub fn of_build(failed: bool) -> Exit {
        if failed {
            Exit::BUILD_FAILED
        } else {
            Exit::OK
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.0)
    }
}
