//! The Docker endpoint the docker CLI would talk to, chosen as the CLI chooses it: `DOCKER_HOST`
//! (the `default` context), else `DOCKER_CONTEXT`, else the config's `currentContext` (what `docker
//! context use` writes), else `default`. (`--context NAME` on our command line sets
//! `DOCKER_CONTEXT` and clears `DOCKER_HOST`, as the CLI's own flag outranks both.) A named
//! context's host and TLS files come from the CLI's context store:
//! `$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json` and `…/tls/<same>/docker/`.
//!
//! Whether to speak TLS, and with what, is decided as docker/cli decides it (cli/context/docker
//! load.go, cli/flags/options.go, cli/command/cli.go), never weaker:
//! * a named context speaks TLS when its TLS directory is there (whichever of `ca.pem`,
//!   `cert.pem`, `key.pem` it holds) or it skips verification; `ca.pem` is then the only CA
//!   trusted, else the system's; the client certificate is sent when both `cert.pem` and
//!   `key.pem` are there;
//! * the default context speaks TLS when `DOCKER_TLS_VERIFY` or `DOCKER_TLS` is set (to anything),
//!   verifying unless only `DOCKER_TLS` is; `$DOCKER_CERT_PATH/ca.pem` (else the config
//!   directory's) must be there, `cert.pem`/`key.pem` are used when they are; with no
//!   `DOCKER_HOST` the host is then `tcp://localhost:2376`;
//! * a socket (`unix://`, `npipe://`, `fd://`) and `ssh://` never carry TLS.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The socket the CLI talks to when nothing says otherwise.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Where a daemon is, and how to trust it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The context it came from (`default` for `DOCKER_HOST` or the socket).
    pub context: String,
    pub host: String,
    pub tls: Option<Tls>,
}

/// How to speak TLS to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// The only CA to trust (`ca.pem`); None: the system's roots.
    pub ca: Option<PathBuf>,
    /// The client's certificate and key (`cert.pem`, `key.pem`), when both are there.
    pub client: Option<(PathBuf, PathBuf)>,
    /// The context says not to verify the daemon's certificate.
    pub skip_verify: bool,
}

impl Tls {
    /// What a TLS directory holds, as the CLI uses it.
    fn from_dir(dir: &Path, skip_verify: bool) -> Tls {
        let file = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        Tls {
            ca: file("ca.pem"),
            client: file("cert.pem").zip(file("key.pem")),
            skip_verify,
        }
    }
}

/// Whether a host is a socket or reached through ssh: the CLI gives those no TLS.
pub fn without_tls(host: &str) -> bool {
    ["unix://", "npipe://", "fd://", "ssh://"]
        .iter()
        .any(|p| host.starts_with(p))
}

/// The docker CLI's configuration directory.
pub fn config_dir() -> PathBuf {
    match std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => home().join(".docker"),
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The endpoint, or why the context named cannot be used.
pub fn resolve() -> Result<Endpoint, String> {
    let dir = config_dir();
    if let Some(host) = env("DOCKER_HOST") {
        return default_endpoint(Some(host));
    }
    let name = env("DOCKER_CONTEXT").or_else(|| current_context(&dir));
    match name.as_deref() {
        None | Some("default") => default_endpoint(None),
        Some(name) => named(&dir, name),
    }
}

/// The host the CLI talks to when TLS is asked for and no host is given.
const DEFAULT_TLS_HOST: &str = "tcp://localhost:2376";

/// The `default` context: `DOCKER_HOST` or the socket, TLS as `DOCKER_TLS_VERIFY`, `DOCKER_TLS`
/// and `DOCKER_CERT_PATH` say (see the module's comment).
fn default_endpoint(host: Option<String>) -> Result<Endpoint, String> {
    let verify = env("DOCKER_TLS_VERIFY").is_some();
    let tls = (verify || env("DOCKER_TLS").is_some()).then(|| {
        let dir = env("DOCKER_CERT_PATH").map_or_else(config_dir, PathBuf::from);
        (dir.clone(), Tls::from_dir(&dir, !verify))
    });
    let host = host.unwrap_or_else(|| {
        if tls.is_some() {
            DEFAULT_TLS_HOST
        } else {
            DEFAULT_HOST
        }
        .into()
    });
    let tls = match tls {
        Some((dir, t)) if t.ca.is_none() && !without_tls(&host) => {
            return Err(format!(
                "DOCKER_TLS_VERIFY (or DOCKER_TLS) asks for TLS, and {} is not there (the docker                  CLI refuses too): set DOCKER_CERT_PATH to the directory of the daemon's CA",
                dir.join("ca.pem").display()
            ))
        }
        Some((_, t)) if !without_tls(&host) => Some(t),
        _ => None,
    };
    Ok(Endpoint {
        context: "default".into(),
        host,
        tls,
    })
}

#[derive(Deserialize)]
struct Config {
    #[serde(rename = "currentContext", default)]
    current_context: Option<String>,
}

fn current_context(dir: &Path) -> Option<String> {
    let text = std::fs::read(dir.join("config.json")).ok()?;
    let c: Config = serde_json::from_slice(&text).ok()?;
    c.current_context.filter(|c| !c.is_empty())
}

#[derive(Deserialize)]
struct Meta {
    #[serde(rename = "Endpoints", default)]
    endpoints: std::collections::HashMap<String, MetaEndpoint>,
}

#[derive(Deserialize)]
struct MetaEndpoint {
    #[serde(rename = "Host", default)]
    host: String,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

/// A context from the store.
fn named(dir: &Path, name: &str) -> Result<Endpoint, String> {
    let id = sha256_hex(name);
    let meta = dir.join("contexts/meta").join(&id).join("meta.json");
    let text = std::fs::read(&meta).map_err(|_| {
        format!("docker context \"{name}\" does not exist (docker context ls lists them)")
    })?;
    let m: Meta = serde_json::from_slice(&text)
        .map_err(|e| format!("docker context \"{name}\": {}: {e}", meta.display()))?;
    let docker = m
        .endpoints
        .get("docker")
        .filter(|e| !e.host.is_empty())
        .ok_or_else(|| format!("docker context \"{name}\" has no docker endpoint"))?;
    let tls_dir = dir.join("contexts/tls").join(&id).join("docker");
    let tls = (tls_dir.is_dir() || docker.skip_tls_verify)
        .then(|| Tls::from_dir(&tls_dir, docker.skip_tls_verify))
        .filter(|_| !without_tls(&docker.host));
    Ok(Endpoint {
        context: name.to_string(),
        host: docker.host.clone(),
        tls,
    })
}

fn sha256_hex(s: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_is_stored_under_the_sha256_of_its_name() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
