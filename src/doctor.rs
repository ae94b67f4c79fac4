//! `buildx-gantt doctor`: what this machine can build with, and how to fix what is missing.

use std::process::{Command, Stdio};

use crate::source::child::{self, StartError, MIN_BUILDX};
use crate::source::engine;

/// One line of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub what: String,
    /// The command (or step) that fixes it.
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    pub findings: Vec<Finding>,
    pub daemon: bool,
    pub buildx: bool,
    pub rawjson: bool,
}

impl Diagnosis {
    /// Whether a build can run at all (buildx with a builder, or the Engine API).
    pub fn can_build(&self) -> bool {
        self.daemon || self.buildx
    }

    /// What `buildx-gantt Dockerfile` would do here.
    pub fn verdict(&self, docker: &str) -> String {
        if self.buildx && self.rawjson {
            format!("`buildx-gantt Dockerfile` runs `{docker} buildx build --progress=rawjson` (exact times).")
        } else if self.buildx {
            format!("`buildx-gantt Dockerfile` runs `{docker} buildx build --progress=plain` (times reconstructed); update buildx for exact ones.")
        } else if self.daemon {
            "`buildx-gantt Dockerfile` builds through the Docker Engine API (exact times, no buildx needed).".into()
        } else {
            "Nothing can build here: start a Docker daemon or install buildx (see above). \
             `buildx-gantt demo` and `buildx-gantt replay FILE` work without either."
                .into()
        }
    }

    pub fn render(&self, docker: &str) -> String {
        let mut s = String::new();
        for f in &self.findings {
            s.push_str(&format!(
                "{} {}\n",
                if f.ok { "ok " } else { "NO " },
                f.what
            ));
            if let Some(fix) = &f.fix {
                s.push_str(&format!("    fix: {fix}\n"));
            }
        }
        s.push('\n');
        s.push_str(&self.verdict(docker));
        s.push('\n');
        s
    }
}

fn run(docker: &str, args: &[&str]) -> Result<(bool, String), std::io::Error> {
    let out = Command::new(docker)
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    let mut said = String::from_utf8_lossy(&out.stdout).into_owned();
    said.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), said))
}

pub fn diagnose(docker: &str) -> Diagnosis {
    let mut findings = Vec::new();
    let mut add = |ok: bool, what: String, fix: Option<String>| {
        findings.push(Finding { ok, what, fix });
    };
    let (mut buildx, mut rawjson) = (false, false);
    // The daemon, through the same client the Engine API path uses.
    let host = engine::host();
    let from_env = std::env::var_os("DOCKER_HOST").is_some_and(|h| !h.is_empty());
    let daemon = engine::with_client(|c| async move { engine::versions(&c).await });
    let daemon_ok = match daemon {
        Ok((version, api)) => {
            add(
                true,
                format!(
                    "Docker daemon at {host}{}: Docker {version}, API {api}",
                    if from_env { " (DOCKER_HOST)" } else { "" }
                ),
                None,
            );
            add(
                true,
                "Engine API builds (BuildKit session): available (`--engine api`)".into(),
                None,
            );
            true
        }
        Err(e) => {
            let why = match &e {
                engine::EngineError::Unreachable { error, .. } => error.clone(),
                other => other.to_string(),
            };
            add(
                false,
                format!("no Docker daemon answers at {host}: {why}"),
                Some(if from_env {
                    "check DOCKER_HOST, or unset it for the local socket".into()
                } else {
                    "sudo systemctl start docker (or `sudo dockerd &`); without root, add yourself \
                     to the docker group: sudo usermod -aG docker $USER"
                        .into()
                }),
            );
            false
        }
    };
    // The CLI and its buildx plugin.
    match run(docker, &["--version"]) {
        Ok((true, v)) => add(true, format!("docker CLI `{docker}`: {}", v.trim()), None),
        Ok((false, v)) => add(
            false,
            format!("docker CLI `{docker}` failed: {}", v.trim()),
            None,
        ),
        Err(_) => add(
            false,
            format!("no docker CLI `{docker}`"),
            Some(
                "install Docker (https://docs.docker.com/engine/install/), or point --docker / \
                 $BUILDX_GANTT_DOCKER at it; the Engine API path does not need it"
                    .into(),
            ),
        ),
    }
    let install_buildx = "install the buildx plugin: `apt-get install docker-buildx-plugin` \
                          (Docker's apt repository) or `docker-buildx` (Debian/Ubuntu), or a \
                          release from https://github.com/docker/buildx/releases into \
                          ~/.docker/cli-plugins/docker-buildx";
    match child::check_buildx(docker) {
        Ok(v) => {
            buildx = true;
            rawjson = true;
            add(
                true,
                format!(
                    "buildx plugin: {} (--progress=rawjson: yes, needs v{}.{}+)",
                    v.text, MIN_BUILDX.0, MIN_BUILDX.1
                ),
                None,
            );
        }
        Err(StartError::BuildxTooOld { version }) => {
            buildx = true;
            add(
                false,
                format!(
                    "buildx plugin: {version}: no --progress=rawjson (needs v{}.{}+); plain output is read instead",
                    MIN_BUILDX.0, MIN_BUILDX.1
                ),
                Some(install_buildx.into()),
            );
        }
        Err(StartError::BuildxMissing { .. }) => add(
            false,
            format!("buildx plugin: missing (`{docker} buildx` is not a command)"),
            Some(format!(
                "{install_buildx}; until then builds go through the Engine API{}",
                if daemon_ok {
                    ""
                } else {
                    " (which needs a daemon)"
                }
            )),
        ),
        Err(_) => add(
            false,
            "buildx plugin: cannot tell (no docker CLI)".into(),
            None,
        ),
    }
    if buildx {
        match run(docker, &["buildx", "inspect"]) {
            Ok((true, out)) => {
                let field = |name: &str| {
                    out.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_string())
                };
                let name = field("Name:").unwrap_or_else(|| "?".into());
                let driver = field("Driver:").unwrap_or_else(|| "?".into());
                let note = if driver == "docker" {
                    " (images land in the daemon: --verify-layers works)"
                } else {
                    " (add --load after `--` for --verify-layers)"
                };
                add(
                    true,
                    format!("current builder: {name}, driver {driver}{note}"),
                    None,
                );
            }
            Ok((false, out)) => {
                buildx = false;
                add(
                    false,
                    format!("current builder: unusable: {}", out.trim()),
                    Some("docker buildx ls; docker buildx use default (or docker buildx create --use)".into()),
                );
            }
            Err(_) => {}
        }
    }
    Diagnosis {
        findings,
        daemon: daemon_ok,
        buildx,
        rawjson,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_follows_what_is_there() {
        let mut d = Diagnosis::default();
        assert!(!d.can_build());
        assert!(d.verdict("docker").contains("Nothing can build"));
        d.daemon = true;
        assert!(d.can_build());
        assert!(d.verdict("docker").contains("Engine API"));
        d.buildx = true;
        d.rawjson = true;
        assert!(d.verdict("docker").contains("rawjson"));
    }
}
