//! `docker buildx build --progress=rawjson` as a child process: checking that it can run at all,
//! starting it with its stderr piped to us, cancelling it the way a user's Ctrl-C would, and never
//! leaving it behind.

use std::fmt;
use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::job::Job;

/// The oldest buildx that accepts `--progress=rawjson`.
pub const MIN_BUILDX: (u32, u32) = (0, 12);

/// How long a cancelled build gets to stop by itself before it is killed.
pub const CANCEL_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub enum StartError {
    DockerMissing { docker: String },
    DockerFailed { docker: String, error: io::Error },
    BuildxMissing { docker: String, output: String },
    BuildxTooOld { version: String },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::DockerMissing { docker } => write!(
                f,
                "`{docker}` was not found. Install Docker (with the buildx plugin), or point \
                 --docker / $BUILDX_GANTT_DOCKER at the docker binary. To look at a saved log \
                 instead: `buildx-gantt replay FILE`; to see what the tool does: `buildx-gantt demo`."
            ),
            StartError::DockerFailed { docker, error } => {
                write!(f, "cannot run `{docker}`: {error}")
            }
            StartError::BuildxMissing { docker, output } => {
                write!(
                    f,
                    "`{docker} buildx` is not available (the buildx plugin is missing). Install \
                     it (Debian/Ubuntu: `apt-get install docker-buildx-plugin` from Docker's \
                     repository, or the `docker-buildx` package), then try again."
                )?;
                if !output.trim().is_empty() {
                    write!(f, "\n{docker} said: {}", output.trim())?;
                }
                Ok(())
            }
            StartError::BuildxTooOld { version } => write!(
                f,
                "buildx {version} is too old: --progress=rawjson needs buildx v{}.{} or newer. \
                 Update the buildx plugin (https://github.com/docker/buildx/releases).",
                MIN_BUILDX.0, MIN_BUILDX.1
            ),
        }
    }
}

impl std::error::Error for StartError {}

impl StartError {
    /// Running `docker` failed: missing, or something else.
    fn running(docker: &str, error: io::Error) -> StartError {
        let docker = docker.to_string();
        if error.kind() == io::ErrorKind::NotFound {
            StartError::DockerMissing { docker }
        } else {
            StartError::DockerFailed { docker, error }
        }
    }
}

/// The buildx version `docker buildx version` reported, when it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildxVersion {
    pub text: String,
    pub number: Option<(u32, u32, u32)>,
}

/// Finds `v0.12.1` (or `0.12.1`) in `github.com/docker/buildx v0.12.1 abc123`.
pub fn parse_buildx_version(output: &str) -> Option<(u32, u32, u32)> {
    output.split_whitespace().find_map(|word| {
        let w = word.strip_prefix('v').unwrap_or(word);
        let core = w.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some((major, minor, patch))
    })
}

/// Runs `docker buildx version`: is there a docker, a buildx plugin, and is it new enough?
pub fn check_buildx(docker: &str) -> Result<BuildxVersion, StartError> {
    let out = super::spawn::command(docker)
        .args(["buildx", "version"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| StartError::running(docker, e))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let mut said = stdout;
        said.push_str(&String::from_utf8_lossy(&out.stderr));
        return Err(StartError::BuildxMissing {
            docker: docker.to_string(),
            output: said,
        });
    }
    let number = parse_buildx_version(&stdout);
    if let Some((maj, min, _)) = number {
        if (maj, min) < MIN_BUILDX {
            return Err(StartError::BuildxTooOld {
                version: stdout.trim().to_string(),
            });
        }
    }
    Ok(BuildxVersion {
        text: stdout.trim().to_string(),
        number,
    })
}

/// Which build command runs, and so which output is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// `docker buildx build --progress=rawjson`: exact times.
    Rawjson,
    /// `docker buildx build --progress=plain`: buildx older than v0.12 (or `--plain`).
    BuildxPlain,
    /// `DOCKER_BUILDKIT=1 docker build --progress=plain`: no buildx plugin (Debian's docker.io).
    DockerBuildPlain,
    /// `docker buildx bake --progress=rawjson [ARGS…]`: several targets in one stream (the bake
    /// file, or compose file, says what to build; no Dockerfile or context of ours).
    Bake,
}

impl Plan {
    /// The command line: `[buildx] build --progress=… -f DOCKERFILE [ARGS…] CONTEXT`, or for bake
    /// `buildx bake --progress=rawjson [ARGS…]`.
    pub fn argv(self, dockerfile: &str, context: &str, args: &[String]) -> Vec<String> {
        let head: &[&str] = match self {
            Plan::Rawjson => &["buildx", "build", "--progress=rawjson"],
            Plan::BuildxPlain => &["buildx", "build", "--progress=plain"],
            Plan::DockerBuildPlain => &["build", "--progress=plain"],
            Plan::Bake => &["buildx", "bake", "--progress=rawjson"],
        };
        let mut argv: Vec<String> = head.iter().map(|s| s.to_string()).collect();
        if self == Plan::Bake {
            argv.extend(args.iter().cloned());
            return argv;
        }
        argv.extend(["-f".to_string(), dockerfile.to_string()]);
        argv.extend(args.iter().cloned());
        argv.push(context.to_string());
        argv
    }

    /// Environment the command needs.
    pub fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Plan::DockerBuildPlain => &[("DOCKER_BUILDKIT", "1")],
            _ => &[],
        }
    }

    pub fn is_plain(self) -> bool {
        !matches!(self, Plan::Rawjson | Plan::Bake)
    }

    /// The command as a user would type it.
    pub fn command(self, docker: &str) -> String {
        match self {
            Plan::Rawjson => format!("{docker} buildx build --progress=rawjson"),
            Plan::BuildxPlain => format!("{docker} buildx build --progress=plain"),
            Plan::DockerBuildPlain => format!("DOCKER_BUILDKIT=1 {docker} build --progress=plain"),
            Plan::Bake => format!("{docker} buildx bake --progress=rawjson"),
        }
    }
}

/// Chooses the build command: buildx with rawjson where it can, else plain output (an old buildx,
/// or no buildx at all), with a sentence saying why. `force_plain` asks for plain output anyway.
pub fn plan(docker: &str, force_plain: bool) -> Result<(Plan, Option<String>), StartError> {
    match check_buildx(docker) {
        Ok(_) if force_plain => Ok((Plan::BuildxPlain, None)),
        Ok(_) => Ok((Plan::Rawjson, None)),
        Err(StartError::BuildxTooOld { version }) => Ok((
            Plan::BuildxPlain,
            Some(format!(
                "buildx {version} has no --progress=rawjson (v{}.{}+): reading its \
                 --progress=plain output instead; times are reconstructed from it",
                MIN_BUILDX.0, MIN_BUILDX.1
            )),
        )),
        Err(StartError::BuildxMissing { docker: d, output }) => {
            let said = output.lines().next().unwrap_or("").trim().to_string();
            Ok((
                Plan::DockerBuildPlain,
                Some(format!(
                    "`{d} buildx` is not available{}: running `{}` instead; times come from \
                     when each line arrives (install the buildx plugin for exact ones)",
                    if said.is_empty() {
                        String::new()
                    } else {
                        format!(" ({said})")
                    },
                    Plan::DockerBuildPlain.command(&d)
                )),
            ))
        }
        Err(e) => Err(e),
    }
}

/// A running build. Dropping it kills the build if it is still running: it can never outlive us.
pub struct BuildProcess {
    child: Child,
    status: Option<ExitStatus>,
    cancel_sent: Option<Instant>,
    killed: bool,
}

impl BuildProcess {
    /// Starts `docker ARGV…` with stdout closed off (nothing reaches the screen), stdin too unless
    /// the build reads it, and
    /// stderr returned for reading. The child leads its own process group, so one signal reaches
    /// docker and its buildx plugin together, and the terminal's Ctrl-C reaches only us; on Linux
    /// it is also told to stop if we die without cleaning up.
    /// `stdin`: the build reads our standard input (a Dockerfile or context given as `-`).
    pub fn spawn(
        docker: &str,
        argv: &[String],
        env: &[(&str, &str)],
        stdin: bool,
    ) -> Result<(BuildProcess, impl Read + Send), StartError> {
        let mut cmd = super::spawn::command(docker);
        cmd.args(argv)
            .envs(env.iter().copied())
            .stdin(if stdin {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| StartError::running(docker, e))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| StartError::DockerFailed {
                docker: docker.to_string(),
                error: io::Error::other("no stderr pipe"),
            })?;
        Ok((
            BuildProcess {
                child,
                status: None,
                cancel_sent: None,
                killed: false,
            },
            stderr,
        ))
    }

    /// The exit status, once the child has exited (never blocks).
    fn status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            if let Ok(Some(s)) = self.child.try_wait() {
                self.status = Some(s);
            }
        }
        self.status
    }

    fn signal(&self, sig: libc::c_int) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on the process group we created; no memory is involved.
        unsafe {
            libc::kill(-pgid, sig);
        }
    }
}

impl Job for BuildProcess {
    fn poll(&mut self) -> Option<i32> {
        self.status().map(exit_code)
    }

    /// SIGINT to the build's process group.
    fn cancel(&mut self) {
        if self.status().is_some() || self.cancel_sent.is_some() {
            return;
        }
        self.signal(libc::SIGINT);
        self.cancel_sent = Some(Instant::now());
    }

    /// SIGKILL to the build's whole process group, then reaps it.
    fn kill(&mut self) {
        if self.status().is_some() {
            return;
        }
        self.signal(libc::SIGKILL);
        let _ = self.child.kill();
        self.killed = true;
        if let Ok(s) = self.child.wait() {
            self.status = Some(s);
        }
    }

    fn enforce_cancel(&mut self, grace: Duration) -> bool {
        if self.status().is_some() {
            return true;
        }
        if let Some(t) = self.cancel_sent {
            if t.elapsed() >= grace {
                self.kill();
            }
        }
        self.status.is_some()
    }

    fn was_cancelled(&self) -> bool {
        self.cancel_sent.is_some() || self.killed
    }
}

impl Drop for BuildProcess {
    fn drop(&mut self) {
        if self.status().is_none() {
            self.kill();
        }
    }
}

/// The exit code to pass on: the build's own, 128+N when a signal ended it.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            parse_buildx_version("github.com/docker/buildx v0.36.0 0f1a2b3"),
            Some((0, 36, 0))
        );
        assert_eq!(
            parse_buildx_version("github.com/docker/buildx 0.11.2+ds1-1 1.2"),
            Some((0, 11, 2))
        );
        assert_eq!(parse_buildx_version("no version here"), None);
    }

    #[test]
    fn argv_keeps_user_args_in_order_before_the_context() {
        let args = vec!["--target".to_string(), "test".into(), "--no-cache".into()];
        assert_eq!(
            Plan::Rawjson.argv("Dockerfile.dev", "./app", &args),
            [
                "buildx",
                "build",
                "--progress=rawjson",
                "-f",
                "Dockerfile.dev",
                "--target",
                "test",
                "--no-cache",
                "./app"
            ]
        );
    }
}
