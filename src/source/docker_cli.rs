//! One call of the docker CLI, with a deadline: a daemon that accepts and never answers must not
//! hang us.

use std::process::Stdio;
use std::time::Duration;

/// Runs `docker ARGS…`: whether it succeeded and what it said (stdout then stderr). A call that
/// does not end within `deadline` is killed and reported as not answering.
pub fn run(
    docker: &str,
    args: &[&str],
    deadline: Duration,
) -> Result<(bool, String), std::io::Error> {
    let out = output(docker, args, deadline)?;
    let mut said = out.stdout;
    said.push_str(&out.stderr);
    Ok((out.ok, said))
}

/// What one call printed, each stream on its own.
pub struct Said {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// [`run`], keeping stdout and stderr apart.
pub fn output(docker: &str, args: &[&str], deadline: Duration) -> Result<Said, std::io::Error> {
    let child = super::spawn::command(docker)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(deadline) {
        Ok(out) => {
            let out = out?;
            Ok(Said {
                ok: out.status.success(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
        Err(_) => {
            // SAFETY: kill(2) on the child we spawned and have not reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            Ok(Said {
                ok: false,
                stdout: String::new(),
                stderr: format!(
                    "`{docker} {}`: no answer within {} s",
                    args.join(" "),
                    deadline.as_secs()
                ),
            })
        }
    }
}
