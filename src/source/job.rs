//! A running build, whatever runs it: a `docker` child process or an Engine API session. The live
//! screen and `repeat` drive both the same way: poll for the exit, cancel as Ctrl-C would, and
//! make sure it stops.

use std::time::Duration;

/// The exit code of a build that was cancelled or killed: what a shell reports for one stopped
/// by Ctrl-C (128 + SIGINT), and what buildx-gantt then exits with.
pub const INTERRUPTED: i32 = 130;

pub trait Job {
    /// The exit code once the build has ended (never blocks): 0 passed, 1 failed, 130
    /// interrupted, or the child's own.
    fn poll(&mut self) -> Option<i32>;

    /// Asks the build to stop, as Ctrl-C in a terminal would.
    fn cancel(&mut self);

    /// Stops the build now.
    fn kill(&mut self);

    /// Kills the build if it was cancelled more than `grace` ago and is still running. Returns
    /// whether it has ended.
    fn enforce_cancel(&mut self, grace: Duration) -> bool;

    /// Whether it was cancelled or killed (its exit code is then reported as 130).
    fn was_cancelled(&self) -> bool;

    /// The image the build left in the daemon, when it says so itself (Engine API builds).
    fn image_id(&mut self) -> Option<String> {
        None
    }

    /// Waits up to `timeout` for the build to end by itself (its output has closed, the exit
    /// follows); never cancels it.
    fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let t = std::time::Instant::now();
        loop {
            if let Some(code) = self.poll() {
                return Some(code);
            }
            if t.elapsed() >= timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the end, cancelling and then killing after `grace`.
    fn wait_cancelled(&mut self, grace: Duration) -> Option<i32> {
        self.cancel();
        while !self.enforce_cancel(grace) {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.poll()
    }
}
