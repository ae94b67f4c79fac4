//! Every program the tool starts (docker, and through it the buildx plugin) begins with the signal
//! state a program expects: every signal at its default action and none blocked, whatever ours
//! was. Ignored signals survive exec: a tool started with SIGINT ignored (a background job of a
//! non-interactive shell, `nohup`, some CI runners) would otherwise pass that on, and a build it
//! cancels with SIGINT would never hear it (and be killed after the grace period instead).

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// `Command::new(program)`, set to start with default signal dispositions and an empty mask.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    // Read here, before fork: the child only calls async-signal-safe functions.
    let last = last_signal();
    // SAFETY: between fork and exec the closure calls only sigaction(2), sigemptyset(3) and
    // sigprocmask(2), which are async-signal-safe, on the child's own state; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || reset_signals(last));
    }
    cmd
}

/// The highest signal number (the last real-time one on Linux).
fn last_signal() -> libc::c_int {
    #[cfg(target_os = "linux")]
    {
        libc::SIGRTMAX()
    }
    #[cfg(not(target_os = "linux"))]
    {
        31
    }
}

/// Every signal to its default action, then nothing blocked.
fn reset_signals(last: libc::c_int) -> io::Result<()> {
    // SAFETY: plain calls on zeroed C structs that live on this stack frame.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut default.sa_mask);
        for sig in 1..=last {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            // A number the C library keeps for itself fails (EINVAL): it is not ours to reset.
            libc::sigaction(sig, &default, std::ptr::null_mut());
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        if libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut()) == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
