//! A registry of the tests' own on loopback (Debian's `docker-registry`, its own config and
//! storage, a free port) and a buildkitd of their own configured for it (`http = true` for that
//! address), with a buildx builder (remote driver) in front of it: builds that pull, push and
//! export cache touch nothing another test uses. Where something is missing the tests say
//! SKIPPED and why; BUILDX_GANTT_REQUIRE=all (set by `.ci/run`) makes that a failure.
//! Everything started is stopped, and everything written removed, when the lab is dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::buildkitd::{as_root, PrivateBuilder};
use super::tmp_dir;

const REGISTRY: &str = "/usr/bin/docker-registry";

/// The docker CLI, with buildx; or why the lab cannot run.
pub fn docker_with_buildx() -> Result<String, String> {
    let cli = std::env::var("BUILDX_GANTT_TEST_DOCKER").unwrap_or_else(|_| "docker".into());
    let ok = |args: &[&str]| {
        Command::new(&cli)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !ok(&["version", "--format", "{{.Server.Version}}"]) {
        return Err(format!("no Docker daemon answers {cli}"));
    }
    if !ok(&["buildx", "version"]) {
        return Err(format!(
            "`{cli} buildx` is not available (run ../shared/buildkit/setup.sh)"
        ));
    }
    Ok(cli)
}

/// What the lab needs on this machine, or why it cannot run.
fn can_run(with_buildkitd: bool) -> Result<String, String> {
    let cli = docker_with_buildx()?;
    if !Path::new(REGISTRY).exists() {
        return Err(format!(
            "{REGISTRY} is missing (apt-get install docker-registry)"
        ));
    }
    if !Path::new("/usr/bin/busybox").exists() {
        return Err("busybox-static is not installed (the test context is made from it)".into());
    }
    if with_buildkitd {
        if let Some(why) = super::buildkitd::missing() {
            return Err(why);
        }
    }
    Ok(cli)
}

/// `Some(cli)`, or prints why the test is skipped (and fails where the registry is required).
pub fn lab_or_skip(test: &str, with_buildkitd: bool) -> Option<String> {
    match can_run(with_buildkitd) {
        Ok(cli) => Some(cli),
        Err(why) => {
            super::skip(test, super::Need::Registry, &why);
            None
        }
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Whether a registry answers `GET /v2/` on the port with 200.
fn answers(port: u16) -> bool {
    let addr = ([127, 0, 0, 1], port).into();
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut head = [0u8; 64];
    s.write_all(req.as_bytes()).is_ok()
        && s.read(&mut head).is_ok_and(|n| {
            let head = String::from_utf8_lossy(&head[..n]);
            head.starts_with("HTTP/1.") && head.contains(" 200 ")
        })
}

/// The registry, and a buildkitd and builder for it (when asked for).
pub struct Lab {
    pub cli: String,
    pub port: u16,
    /// The builder to build with: the lab's own, or buildx's docker driver (`default`).
    pub builder: String,
    pub dir: PathBuf,
    registry: Option<Child>,
    own: Option<PrivateBuilder>,
}

impl Lab {
    /// A registry on a free loopback port, with its own config and storage in `dir`, and (with
    /// `buildkitd`) a buildkitd of its own whose `buildkitd.toml` says `http = true` for it.
    pub fn start(cli: &str, name: &str, buildkitd: bool) -> Lab {
        let dir = tmp_dir(name);
        let mut lab = Lab {
            cli: cli.to_string(),
            port: 0,
            builder: "default".into(),
            dir: dir.clone(),
            registry: None,
            own: None,
        };
        lab.start_registry();
        if buildkitd {
            lab.start_buildkitd(name);
        }
        lab
    }

    fn start_registry(&mut self) {
        let storage = self.dir.join("registry");
        std::fs::create_dir_all(&storage).unwrap();
        for _ in 0..3 {
            let port = free_port();
            let config = self.dir.join("registry.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                    storage.display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(self.dir.join("registry.log")).unwrap();
            let child = Command::new(REGISTRY)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            self.registry = Some(child);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if answers(port) {
                    self.port = port;
                    return;
                }
                if self
                    .registry
                    .as_mut()
                    .unwrap()
                    .try_wait()
                    .ok()
                    .flatten()
                    .is_some()
                {
                    break; // the port was taken meanwhile: another one
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            self.stop_registry();
        }
        panic!(
            "docker-registry did not start: {}",
            std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
        );
    }

    fn start_buildkitd(&mut self, name: &str) {
        let config = format!(
            "[registry.\"127.0.0.1:{}\"]\n  http = true\n  insecure = true\n",
            self.port
        );
        let own = PrivateBuilder::start(&self.cli, name, Some(&config))
            .unwrap_or_else(|e| panic!("the lab's buildkitd: {e}"));
        self.builder = own.name.clone();
        self.own = Some(own);
    }

    /// `127.0.0.1:PORT`.
    pub fn registry(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Runs the docker CLI; panics with its output when it fails.
    pub fn docker(&self, args: &[&str]) -> String {
        let out = Command::new(&self.cli)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} {}: {}",
            self.cli,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Empties the lab's own builder (never a shared one).
    pub fn prune(&self, filter: Option<&str>) {
        let own = self.own.as_ref();
        own.expect("only the lab's own builder is pruned")
            .prune(filter);
    }

    fn stop_registry(&mut self) {
        if let Some(mut c) = self.registry.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        drop(self.own.take());
        self.stop_registry();
        let _ = as_root(Path::new("rm")).arg("-rf").arg(&self.dir).status();
    }
}

/// What a build of `registry/onehit/Dockerfile` must say when its writer was a cache hit and its
/// reader ran after the cache mounts were emptied: no race ran, the writer filled nothing, and the
/// reader saw nothing (its last step prints `seen: ` and what it read).
pub fn the_writer_was_a_cache_hit(
    b: &buildx_gantt::model::Build,
    a: &buildx_gantt::analysis::Analysis,
    what: &str,
) {
    use buildx_gantt::analysis::Race;
    let h = &a.hazards[0];
    let writer = super::step(a, "[builder 2/3]");
    assert_eq!(h.writer.step, writer, "{what}");
    assert_eq!(h.race, Race::OneHit(writer), "{what}");
    assert_eq!(h.first, None, "{what}");
    assert!(
        h.explanation
            .contains("[builder 2/3] was a cache hit, so it did not run and filled nothing"),
        "{what}: {}",
        h.explanation
    );
    let last = &a.steps[super::step(a, "[stage-1 5/5]")];
    let log: String = last
        .vertexes
        .iter()
        .flat_map(|&v| b.vertex(v).log.lines())
        .map(|l| l.text)
        .collect();
    assert!(
        log.contains("seen: ") && !log.contains("seen: a"),
        "{what}: the reader saw an empty cache: {log}"
    );
}
