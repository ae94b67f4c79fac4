//! A BuildKit of a test's own: buildkitd on its own socket, root and (when given) configuration,
//! with a buildx builder of the remote driver in front of it, for a test that empties a builder's
//! cache, fills its history or needs a registry configured, without touching a shared builder.
//! Everything is stopped and removed when it is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A program of BuildKit's, as `../shared/buildkit/setup.sh` installs it (BUILDKIT_TEST_BIN to
/// move it).
pub fn bin(name: &str) -> PathBuf {
    let dir = std::env::var("BUILDKIT_TEST_BIN")
        .unwrap_or_else(|_| "/usr/local/lib/buildkit-test".into());
    PathBuf::from(dir).join(name)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A command run as root: directly when we are, else through `sudo -n` (buildkitd needs root).
pub fn as_root(program: &Path) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg(program);
        c
    }
}

/// Why no private BuildKit can start here, if it cannot.
pub fn missing() -> Option<String> {
    for b in ["buildkitd", "buildctl"] {
        if !bin(b).is_file() {
            return Some(format!(
                "no {} (run ../shared/buildkit/setup.sh)",
                bin(b).display()
            ));
        }
    }
    let sudo = || {
        Command::new("sudo")
            .args(["-n", "true"])
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !is_root() && !sudo() {
        return Some("buildkitd needs root (or sudo without a password)".into());
    }
    None
}

/// `config` with the daemon's OpenTelemetry socket in its own directory. Every buildkitd run as
/// root makes `/run/buildkit/otel-grpc.sock` by default and bind-mounts it into each container it
/// runs; a second daemon replaces that file and deletes it when it stops, and from then on every
/// RUN of the shared builder fails ("error mounting /run/buildkit/otel-grpc.sock … (deleted)").
fn own_config(config: &str, dir: &std::path::Path) -> String {
    let socket = dir.join("otel-grpc.sock");
    format!(
        "{config}\n[otel]\n  socketPath = {:?}\n",
        socket.display().to_string()
    )
}

pub struct PrivateBuilder {
    pub cli: String,
    /// The buildx builder's name: unique, so that one a crashed run left behind never refuses
    /// `buildx create`.
    pub name: String,
    /// Its socket, root, configuration and log.
    pub dir: PathBuf,
    daemon: Child,
}

impl PrivateBuilder {
    /// buildkitd (with `config` as its `buildkitd.toml`) and a builder for it, bootstrapped.
    pub fn start(cli: &str, tag: &str, config: Option<&str>) -> Result<PrivateBuilder, String> {
        if let Some(why) = missing() {
            return Err(why);
        }
        let name = format!("bxg-{}", super::unique(tag)).replace('.', "-");
        let dir = super::tmp_dir(&name);
        let root = dir.join("root");
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        let addr = format!("unix://{}", dir.join("buildkitd.sock").display());
        let mut cmd = as_root(&bin("buildkitd"));
        cmd.args(["--addr", &addr, "--root"]).arg(&root);
        cmd.args(["--oci-worker=true", "--containerd-worker=false"]);
        let file = dir.join("buildkitd.toml");
        std::fs::write(&file, own_config(config.unwrap_or(""), &dir)).map_err(|e| e.to_string())?;
        cmd.arg("--config").arg(file);
        let log = std::fs::File::create(dir.join("buildkitd.log")).map_err(|e| e.to_string())?;
        let daemon = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start buildkitd: {e}"))?;
        let me = PrivateBuilder {
            cli: cli.to_string(),
            name,
            dir,
            daemon,
        };
        me.create(&addr)?;
        Ok(me)
    }

    /// `buildx create` for the daemon, once it answers (bounded by a hang guard).
    fn create(&self, addr: &str) -> Result<(), String> {
        let created = self.docker(&[
            "buildx", "create", "--name", &self.name, "--driver", "remote", addr,
        ]);
        if !created.status.success() {
            return Err(format!("buildx create: {}", super::stderr(&created)));
        }
        let until = Instant::now() + super::HANG_GUARD;
        loop {
            let up = self.docker(&["buildx", "inspect", "--bootstrap", &self.name]);
            if up.status.success() && super::stdout(&up).contains("running") {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(format!("buildkitd did not answer: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs the docker CLI.
    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new(&self.cli)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.cli))
    }

    /// What buildkitd wrote.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("buildkitd.log")).unwrap_or_default()
    }

    /// Empties the builder's cache: all of it, or what `filter` says (`type=exec.cachemount`:
    /// only the cache mounts, the layers stay, as on a fresh CI runner with `--cache-from`).
    pub fn prune(&self, filter: Option<&str>) {
        let mut args = vec!["buildx", "prune", "--builder", &self.name, "-f"];
        match filter {
            Some(f) => args.extend(["--filter", f]),
            None => args.push("-a"),
        }
        let out = self.docker(&args);
        assert!(out.status.success(), "prune: {}", super::stderr(&out));
    }
}

impl Drop for PrivateBuilder {
    fn drop(&mut self) {
        let _ = self.docker(&["buildx", "rm", "--force", &self.name]);
        // SIGTERM (through sudo, which passes it on) lets it unmount what it mounted.
        let _ = as_root(Path::new("kill"))
            .arg(self.daemon.id().to_string())
            .status();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until && self.daemon.try_wait().ok().flatten().is_none() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        let _ = as_root(Path::new("rm")).arg("-rf").arg(&self.dir).status();
    }
}
