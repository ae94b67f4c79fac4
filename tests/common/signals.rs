//! Signals in tests: starting the binary with a chosen signal state (not the one the suite was
//! started with: a background job of a non-interactive shell ignores SIGINT, and its children
//! inherit that), and knowing when it is ready for one (sent before its handler is installed, a
//! signal kills it instead of being handled).

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes `cmd` start with every signal at its default action and none blocked, but those in
/// `ignored`, which it starts ignoring (as a shell's background job starts with SIGINT ignored),
/// and those in `blocked`.
pub fn start_with<'c>(
    cmd: &'c mut Command,
    ignored: &'static [libc::c_int],
    blocked: &'static [libc::c_int],
) -> &'c mut Command {
    // SAFETY: sigaction(2), sigemptyset(3) and sigprocmask(2) are async-signal-safe and act on
    // the child's own state; nothing is allocated.
    unsafe {
        cmd.pre_exec(move || {
            let mut sa: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut sa.sa_mask);
            for sig in 1..=libc::SIGRTMAX() {
                sa.sa_sigaction = if ignored.contains(&sig) {
                    libc::SIG_IGN
                } else {
                    libc::SIG_DFL
                };
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
            let mut mask: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut mask);
            for &sig in blocked {
                libc::sigaddset(&mut mask, sig);
            }
            libc::sigprocmask(libc::SIG_SETMASK, &mask, std::ptr::null_mut());
            Ok(())
        })
    }
}

/// A signal mask line of `/proc/PID/status` (`SigIgn`, `SigBlk`, `SigCgt`…), or None when the
/// process is gone.
pub fn mask(pid: i32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?;
    u64::from_str_radix(line[field.len() + 1..].trim(), 16).ok()
}

/// Whether the process has a handler for `sig`.
pub fn catches(pid: i32, sig: libc::c_int) -> bool {
    mask(pid, "SigCgt").is_some_and(|m| m & (1 << (sig - 1)) != 0)
}

/// Waits until the process handles every one of `sigs` (a hang guard only).
pub fn wait_until_catching(pid: i32, sigs: &[libc::c_int]) {
    super::wait_until(&format!("process {pid} handling signals {sigs:?}"), || {
        sigs.iter().all(|&s| catches(pid, s))
    });
}
