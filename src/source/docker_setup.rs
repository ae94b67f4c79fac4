//! The Docker setup this machine has, as `buildx-gantt doctor` examines it: the daemon, the docker
//! CLI, the buildx plugin and its builders; what each can do and how to fix what is missing. The
//! command ([`crate::commands`]) prints the findings.

use crate::source::child::{self, StartError, MIN_BUILDX};
use crate::source::{docker_cli, engine};

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
}

/// How long one docker CLI call may take: past that the daemon it talks to is not answering.
const CLI_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

fn run(docker: &str, args: &[&str]) -> Result<(bool, String), std::io::Error> {
    docker_cli::run(docker, args, CLI_DEADLINE)
}

/// The findings so far, in the order they are said.
type Findings = Vec<Finding>;

fn add(findings: &mut Findings, ok: bool, what: String, fix: Option<String>) {
    findings.push(Finding { ok, what, fix });
}

/// The daemon, the CLI, buildx and its current builder, then every builder: what this machine
/// can build with.
pub fn diagnose(docker: &str) -> Diagnosis {
    let mut findings = Vec::new();
    let daemon_ok = daemon(&mut findings);
    cli(docker, &mut findings);
    let (mut buildx, rawjson) = buildx_plugin(docker, daemon_ok, &mut findings);
    if buildx {
        buildx = current_builder(docker, &mut findings);
    }
    finish(findings, docker, daemon_ok, buildx, rawjson)
}

/// The daemon, through the same client the Engine API path uses: whether it answers.
fn daemon(findings: &mut Findings) -> bool {
    let host = engine::host();
    let from_env = std::env::var_os("DOCKER_HOST").is_some_and(|h| !h.is_empty());
    let daemon = engine::with_client(|c| async move { engine::versions(&c).await });
    match daemon {
        Ok((version, api)) => {
            add(
                findings,
                true,
                format!(
                    "Docker daemon at {host}{}: Docker {version}, API {api}",
                    if from_env { " (DOCKER_HOST)" } else { "" }
                ),
                None,
            );
            add(
                findings,
                true,
                "Engine API builds (BuildKit session): available (`--engine api`)".into(),
                None,
            );
            true
        }
        Err(_) if host.starts_with("ssh://") => {
            add(
                findings,
                false,
                format!(
                    "Docker daemon at {host}: not reached by the Engine API path: {}",
                    engine::SSH
                ),
                None,
            );
            false
        }
        Err(e) => {
            no_daemon(findings, &host, from_env, &e);
            false
        }
    }
}

/// No daemon answers: why, and how to start one.
fn no_daemon(findings: &mut Findings, host: &str, from_env: bool, e: &engine::EngineError) {
    let why = match e {
        engine::EngineError::Unreachable { error, .. } => error.clone(),
        other => other.to_string(),
    };
    add(
        findings,
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
}

/// The docker CLI.
fn cli(docker: &str, findings: &mut Findings) {
    match run(docker, &["--version"]) {
        Ok((true, v)) => add(
            findings,
            true,
            format!("docker CLI `{docker}`: {}", v.trim()),
            None,
        ),
        Ok((false, v)) => add(
            findings,
            false,
            format!("docker CLI `{docker}` failed: {}", v.trim()),
            None,
        ),
        Err(_) => add(
            findings,
            false,
            format!("no docker CLI `{docker}`"),
            Some(
                "install Docker (https://docs.docker.com/engine/install/), or point --docker / \
                 $BUILDX_GANTT_DOCKER at it; the Engine API path does not need it"
                    .into(),
            ),
        ),
    }
}

const INSTALL_BUILDX: &str = "install the buildx plugin: `apt-get install docker-buildx-plugin` \
                              (Docker's apt repository) or `docker-buildx` (Debian/Ubuntu), or a \
                              release from https://github.com/docker/buildx/releases into \
                              ~/.docker/cli-plugins/docker-buildx";

/// The buildx plugin: whether it is there, and whether it speaks rawjson.
fn buildx_plugin(docker: &str, daemon_ok: bool, findings: &mut Findings) -> (bool, bool) {
    match child::check_buildx(docker) {
        Ok(v) => {
            add(
                findings,
                true,
                format!(
                    "buildx plugin: {} (--progress=rawjson: yes, needs v{}.{}+)",
                    v.text, MIN_BUILDX.0, MIN_BUILDX.1
                ),
                None,
            );
            (true, true)
        }
        Err(StartError::BuildxTooOld { version }) => {
            add(
                findings,
                false,
                format!(
                    "buildx plugin: {version}: no --progress=rawjson (needs v{}.{}+); plain output is read instead",
                    MIN_BUILDX.0, MIN_BUILDX.1
                ),
                Some(INSTALL_BUILDX.into()),
            );
            (true, false)
        }
        Err(StartError::BuildxMissing { .. }) => {
            add(
                findings,
                false,
                format!("buildx plugin: missing (`{docker} buildx` is not a command)"),
                Some(format!(
                    "{INSTALL_BUILDX}; until then builds go through the Engine API{}",
                    if daemon_ok {
                        ""
                    } else {
                        " (which needs a daemon)"
                    }
                )),
            );
            (false, false)
        }
        Err(_) => {
            add(
                findings,
                false,
                "buildx plugin: cannot tell (no docker CLI)".into(),
                None,
            );
            (false, false)
        }
    }
}

/// buildx's current builder: whether builds can use it.
fn current_builder(docker: &str, findings: &mut Findings) -> bool {
    match run(docker, &["buildx", "inspect"]) {
        Ok((true, out)) => inspected_builder(&out, findings),
        Ok((false, out)) => {
            add(
                findings,
                false,
                format!("current builder: unusable: {}", out.trim()),
                Some(
                    "docker buildx ls; docker buildx use default (or docker buildx create --use)"
                        .into(),
                ),
            );
            false
        }
        Err(_) => true,
    }
}

/// What `docker buildx inspect` says of the current builder: its name and driver, or that it
/// cannot be reached.
fn inspected_builder(out: &str, findings: &mut Findings) -> bool {
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let name = field("Name:").unwrap_or_else(|| "?".into());
    let driver = field("Driver:").filter(|d| !d.is_empty());
    let status = field("Status:").unwrap_or_default();
    let Some(driver) = driver.filter(|_| status != "error") else {
        add(
            findings,
            false,
            format!("current builder: {name} cannot be reached (status {status:?})"),
            Some(format!(
                "docker buildx inspect --bootstrap {name}; its daemon must answer"
            )),
        );
        return false;
    };
    let note = if driver == "docker" {
        " (images land in the daemon: --verify-layers works)"
    } else {
        " (add --load after `--` for --verify-layers)"
    };
    add(
        findings,
        true,
        format!("current builder: {name}, driver {driver}{note}"),
        None,
    );
    true
}

/// The builders buildx knows (when it is usable), and the diagnosis.
fn finish(
    mut findings: Vec<Finding>,
    docker: &str,
    daemon: bool,
    buildx: bool,
    rawjson: bool,
) -> Diagnosis {
    if buildx {
        findings.extend(builders(docker));
    }
    Diagnosis {
        findings,
        daemon,
        buildx,
        rawjson,
    }
}

/// A builder buildx knows, as `docker buildx ls --format json` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    pub name: String,
    pub driver: String,
    pub current: bool,
    /// Its first node's status and BuildKit version.
    pub status: String,
    pub buildkit: String,
}

/// The builders in `docker buildx ls --format json` (one JSON object a line).
pub fn parse_builders(text: &str) -> Vec<Builder> {
    let field = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or("?").to_string();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["Name"].is_string())
        .map(|v| {
            let node = &v["Nodes"][0];
            Builder {
                name: field(&v, "Name"),
                driver: field(&v, "Driver"),
                current: v["Current"].as_bool().unwrap_or(false),
                status: field(node, "Status"),
                buildkit: field(node, "Version"),
            }
        })
        .collect()
}

/// One finding per builder: its driver, BuildKit version, status, and whether it keeps build
/// history (`docker buildx history`, which records need).
fn builders(docker: &str) -> Vec<Finding> {
    let Ok((true, text)) = run(docker, &["buildx", "ls", "--format", "json"]) else {
        return Vec::new();
    };
    parse_builders(&text)
        .into_iter()
        .map(|b| {
            let running = b.status == "running";
            let history = if running {
                match run(docker, &["buildx", "history", "ls", "--builder", &b.name]) {
                    Ok((true, out)) if !out.contains("Unimplemented") => "yes",
                    _ => "no (this BuildKit does not keep it)",
                }
            } else {
                "unknown (not running)"
            };
            let current = if b.current { " (current)" } else { "" };
            let what = if b.driver.is_empty() || b.driver == "?" {
                format!(
                    "builder {}{current}: cannot be reached (status {})",
                    b.name, b.status
                )
            } else {
                format!(
                    "builder {}{current}: {} driver, BuildKit {}, {}; build history: {history}",
                    b.name, b.driver, b.buildkit, b.status
                )
            };
            Finding {
                ok: running,
                what,
                fix: (!running).then(|| format!("docker buildx inspect --bootstrap {}", b.name)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_are_read_from_buildx_ls() {
        let text = r#"{"Current":false,"Driver":"remote","Name":"buildkit-remote","Nodes":[{"Status":"running","Version":"v0.32.0"}]}
{"Current":true,"Driver":"docker","Name":"default","Nodes":[{"Status":"running","Version":"v0.8+unknown"}]}
not json"#;
        let b = parse_builders(text);
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].name.as_str(), b[0].driver.as_str(), b[0].current),
            ("buildkit-remote", "remote", false)
        );
        assert_eq!(
            (b[1].buildkit.as_str(), b[1].current),
            ("v0.8+unknown", true)
        );
    }

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
