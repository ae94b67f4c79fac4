//! The Docker endpoint the docker CLI would talk to, chosen as the CLI chooses it: `DOCKER_HOST`
//! (the `default` context), else `DOCKER_CONTEXT`, else the config's `currentContext` (what `docker
//! context use` writes), else `default`. (`--context NAME` on our command line sets
//! `DOCKER_CONTEXT` and clears `DOCKER_HOST`, as the CLI's own flag outranks both.) A named
//! context's host and TLS files come from the CLI's context store:
//! `$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json` and `…/tls/<same>/docker/`.

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

/// A TLS endpoint's files (`ca.pem`, `cert.pem`, `key.pem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub dir: PathBuf,
    /// The context says not to verify the daemon's certificate.
    pub skip_verify: bool,
}

impl Tls {
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
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
        return Ok(default_endpoint(Some(host)));
    }
    let name = env("DOCKER_CONTEXT").or_else(|| current_context(&dir));
    match name.as_deref() {
        None | Some("default") => Ok(default_endpoint(None)),
        Some(name) => named(&dir, name),
    }
}

/// The `default` context: `DOCKER_HOST` or the socket, TLS as `DOCKER_TLS_VERIFY` and
/// `DOCKER_CERT_PATH` say.
fn default_endpoint(host: Option<String>) -> Endpoint {
    let tls = env("DOCKER_TLS_VERIFY").map(|_| Tls {
        dir: env("DOCKER_CERT_PATH").map_or_else(config_dir, PathBuf::from),
        skip_verify: false,
    });
    Endpoint {
        context: "default".into(),
        host: host.unwrap_or_else(|| DEFAULT_HOST.into()),
        tls,
    }
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
    let tls = (tls_dir.join("cert.pem").is_file() || docker.skip_tls_verify).then_some(Tls {
        dir: tls_dir,
        skip_verify: docker.skip_tls_verify,
    });
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
