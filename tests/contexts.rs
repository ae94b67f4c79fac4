//! Docker contexts, made with the real docker CLI and reached on the real daemon: a context whose
//! endpoint is TCP (a forwarder to the daemon's socket, so the test sees that it was used) is
//! chosen by DOCKER_CONTEXT, by `docker context use`, and by `--context` over DOCKER_HOST, for
//! `doctor` and an Engine API build alike.

mod common;

use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::builders::{hold, Use};
use common::engine::*;
use common::*;

/// A TCP port forwarding to the daemon's socket; counts the connections it forwards.
fn forwarder() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { return };
            let Ok(server) = UnixStream::connect("/var/run/docker.sock") else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c, mut s) = (client, server);
            std::thread::spawn(move || std::io::copy(&mut c2, &mut s2));
            std::thread::spawn(move || std::io::copy(&mut s, &mut c));
        }
    });
    (port, seen)
}

/// `docker ARGS` with this configuration directory.
fn docker(cli: &str, config: &Path, args: &[&str]) -> Output {
    let out = Command::new(cli)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", stderr(&out));
    out
}

/// buildx-gantt with this configuration directory, DOCKER_HOST and DOCKER_CONTEXT as given.
fn gantt(config: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = bin();
    c.env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("COLUMNS", "200")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().unwrap()
}

#[test]
fn the_current_docker_context_is_where_the_engine_api_and_doctor_go() {
    let Some(cli) =
        engine_or_skip("the_current_docker_context_is_where_the_engine_api_and_doctor_go")
    else {
        return;
    };
    let (port, seen) = forwarder();
    let config = tmp_dir("docker-contexts");
    let host = format!("tcp://127.0.0.1:{port}");
    docker(
        &cli,
        &config,
        &[
            "context",
            "create",
            "viatcp",
            "--docker",
            &format!("host={host}"),
        ],
    );
    let said = format!("Docker daemon at {host} (docker context viatcp): Docker 20.10");
    let doctor = |env: &[(&str, &str)], args: &[&str]| {
        let out = gantt(
            &config,
            env,
            &[&["doctor", "--docker", &cli], args].concat(),
        );
        format!("{}{}", stdout(&out), stderr(&out))
    };
    // DOCKER_CONTEXT names it.
    let before = seen.load(Ordering::SeqCst);
    let out = doctor(&[("DOCKER_CONTEXT", "viatcp")], &[]);
    assert!(out.contains(&said), "{out}");
    assert!(
        seen.load(Ordering::SeqCst) > before,
        "the context's endpoint was not used"
    );
    // DOCKER_HOST outranks DOCKER_CONTEXT, as in the CLI.
    let out = doctor(
        &[
            ("DOCKER_CONTEXT", "viatcp"),
            ("DOCKER_HOST", "unix:///var/run/docker.sock"),
        ],
        &[],
    );
    assert!(
        out.contains("Docker daemon at unix:///var/run/docker.sock (DOCKER_HOST)"),
        "{out}"
    );
    // --context outranks DOCKER_HOST.
    let out = doctor(
        &[("DOCKER_HOST", "tcp://127.0.0.1:9")],
        &["--context", "viatcp"],
    );
    assert!(out.contains(&said), "{out}");
    // `docker context use` makes it the current one.
    docker(&cli, &config, &["context", "use", "viatcp"]);
    let out = doctor(&[], &[]);
    assert!(out.contains(&said), "{out}");
    // A context that does not exist is said to.
    let out = doctor(&[], &["--context", "nosuch"]);
    assert!(
        out.contains("docker context \"nosuch\" does not exist"),
        "{out}"
    );
}

#[test]
fn an_engine_api_build_goes_through_the_context() {
    let Some(cli) = engine_or_skip("an_engine_api_build_goes_through_the_context") else {
        return;
    };
    // The daemon's cache must stay as the build leaves it while it runs.
    let _builder = hold(&[("default", Use::Build)]);
    let (port, seen) = forwarder();
    let config = tmp_dir("docker-context-build");
    let host = format!("host=tcp://127.0.0.1:{port}");
    docker(
        &cli,
        &config,
        &["context", "create", "viatcp", "--docker", &host],
    );
    let ctx = context_of("workaround", "context-build");
    let df = ctx.join("Dockerfile");
    let out = gantt(
        &config,
        &[],
        &[
            "--context",
            "viatcp",
            "--engine",
            "api",
            "--no-record",
            df.to_str().unwrap(),
            ctx.to_str().unwrap(),
            "--",
            "--build-arg",
            &format!("CACHE_ID={}", unique("ctx")),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("build succeeded"), "{}", stdout(&out));
    assert!(
        seen.load(Ordering::SeqCst) > 0,
        "the build did not go through the context"
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl, as
/// `docker context create --docker host=…,ca=…,cert=…,key=…` takes them.
fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", stderr(&out));
    };
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    std::fs::write(dir.join("client.cnf"), "extendedKeyUsage=clientAuth\n").unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    for (who, ext) in [("server", "san.cnf"), ("client", "client.cnf")] {
        let key = format!("{who}-key.pem");
        let csr = format!("{who}.csr");
        let cert = format!("{who}-cert.pem");
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &format!("/CN={who}"),
            "-keyout",
            &key,
            "-out",
            &csr,
        ]);
        run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext,
            "-out",
            &cert,
        ]);
    }
}

/// A TLS endpoint (client certificates required) in front of the daemon's socket.
fn tls_forwarder(dir: &Path) -> (u16, Arc<AtomicUsize>) {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{server::WebPkiClientVerifier, RootCertStore, ServerConfig};
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let certs = |f: &str| -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_file_iter(dir.join(f))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certs("ca.pem"));
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap();
    let config = ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs("server-cert.pem"), key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, count) = (acceptor.clone(), count.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut daemon) =
                        tokio::net::UnixStream::connect("/var/run/docker.sock").await
                    else {
                        return;
                    };
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut daemon).await;
                });
            }
        });
    });
    (port, seen)
}

#[test]
fn a_tls_context_is_reached_with_its_certificates() {
    let Some(cli) = engine_or_skip("a_tls_context_is_reached_with_its_certificates") else {
        return;
    };
    let openssl = Command::new("openssl").arg("version").output();
    if !openssl.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("BUILDX_GANTT_REQUIRE_ENGINE").is_none(),
            "openssl is required here (it makes the test's certificates): apt-get install openssl"
        );
        eprintln!("SKIPPED a_tls_context_is_reached_with_its_certificates: no openssl");
        return;
    }
    let config = tmp_dir("docker-context-tls");
    let pki = config.join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    certificates(&pki);
    let (port, seen) = tls_forwarder(&pki);
    let file = |f: &str| pki.join(f).display().to_string();
    let endpoint = format!(
        "host=tcp://127.0.0.1:{port},ca={},cert={},key={}",
        file("ca.pem"),
        file("client-cert.pem"),
        file("client-key.pem")
    );
    docker(
        &cli,
        &config,
        &["context", "create", "withtls", "--docker", &endpoint],
    );
    // The docker CLI itself reaches it: the endpoint is right.
    let version = docker(
        &cli,
        &config,
        &[
            "--context",
            "withtls",
            "version",
            "--format",
            "{{.Server.Version}}",
        ],
    );
    assert!(
        stdout(&version).starts_with("20.10"),
        "{}",
        stdout(&version)
    );
    let before = seen.load(Ordering::SeqCst);
    let out = gantt(
        &config,
        &[],
        &["doctor", "--docker", &cli, "--context", "withtls"],
    );
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains(&format!(
            "Docker daemon at tcp://127.0.0.1:{port} (docker context withtls): Docker 20.10"
        )),
        "{said}"
    );
    assert!(
        seen.load(Ordering::SeqCst) > before,
        "not through the TLS endpoint"
    );
}
