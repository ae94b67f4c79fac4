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
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_TLS")
        .env_remove("DOCKER_CERT_PATH")
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

/// A TLS server's side, its certificate from `dir`'s CA (see [`certificates`]); a client's
/// certificate from the same CA is asked for, and required when `client_required`.
fn tls_server(dir: &Path, client_required: bool) -> tokio_rustls::TlsAcceptor {
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
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots));
    let verifier = if client_required {
        verifier
    } else {
        verifier.allow_unauthenticated()
    };
    let key = PrivateKeyDer::from_pem_file(dir.join("server-key.pem")).unwrap();
    let config = ServerConfig::builder()
        .with_client_cert_verifier(verifier.build().unwrap())
        .with_single_cert(certs("server-cert.pem"), key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// A TLS endpoint (client certificates required) in front of the daemon's socket.
fn tls_forwarder(dir: &Path) -> (u16, Arc<AtomicUsize>) {
    let acceptor = tls_server(dir, true);
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let port = serve(move |tcp| {
        let (acceptor, count) = (acceptor.clone(), count.clone());
        async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let Ok(mut daemon) = tokio::net::UnixStream::connect("/var/run/docker.sock").await
            else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let _ = tokio::io::copy_bidirectional(&mut tls, &mut daemon).await;
        }
    });
    (port, seen)
}

/// A TCP listener on 127.0.0.1, each connection handed to `each` on a runtime of its own.
fn serve<F, Fut>(each: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(each(tcp));
            }
        });
    });
    port
}

#[test]
fn a_tls_context_is_reached_with_its_certificates() {
    let Some(cli) = engine_or_skip("a_tls_context_is_reached_with_its_certificates") else {
        return;
    };
    if !openssl_or_skip("a_tls_context_is_reached_with_its_certificates") {
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

/// What a listener saw: connections that opened with a TLS handshake (and the request lines read
/// in them), and connections that spoke in clear text.
#[derive(Debug, Default, Clone)]
struct Seen {
    tls: usize,
    plain: usize,
    requests: Vec<String>,
}

/// A listener that tells TLS from plain HTTP by a connection's first byte (a TLS handshake
/// record is 0x16): over TLS (its certificate from `dir`'s CA, a client certificate asked for
/// but not required) it answers every request as a daemon answers `/version`, then closes; a
/// clear-text connection is counted and closed.
fn teller(dir: &Path) -> (u16, Arc<std::sync::Mutex<Seen>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let acceptor = tls_server(dir, false);
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    let saw = seen.clone();
    let port = serve(move |tcp| {
        let (acceptor, saw) = (acceptor.clone(), saw.clone());
        async move {
            let mut first = [0u8; 1];
            if tcp.peek(&mut first).await.unwrap_or(0) == 0 {
                return;
            }
            if first[0] != 0x16 {
                saw.lock().unwrap().plain += 1;
                return;
            }
            saw.lock().unwrap().tls += 1;
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            saw.lock().unwrap().requests.push(line);
            let body = r#"{"Version":"99.0.0-teller","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(reply.as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    });
    (port, seen)
}

/// A context in the docker CLI's store, as `docker context create` writes it: its endpoint, and
/// these of the PKI's files as its TLS files.
fn store_context(
    config: &Path,
    name: &str,
    host: &str,
    skip_verify: bool,
    files: &[(&str, &Path)],
) {
    let id: String = ring::digest::digest(&ring::digest::SHA256, name.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let meta = config.join("contexts/meta").join(&id);
    std::fs::create_dir_all(&meta).unwrap();
    let m = serde_json::json!({
        "Name": name,
        "Metadata": {},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": skip_verify}},
    });
    std::fs::write(meta.join("meta.json"), m.to_string()).unwrap();
    if !files.is_empty() {
        let tls = config.join("contexts/tls").join(&id).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        for (as_name, from) in files {
            std::fs::copy(from, tls.join(as_name)).unwrap();
        }
    }
}

fn openssl_or_skip(test: &str) -> bool {
    let openssl = Command::new("openssl").arg("version").output();
    if openssl.is_ok_and(|o| o.status.success()) {
        return true;
    }
    common::skip(
        test,
        common::Need::Engine,
        "no openssl (it makes the test's certificates: apt-get install openssl)",
    );
    false
}

/// How each way of asking for TLS is spoken to, by us and (where it is here) by the docker CLI
/// itself, against a listener that tells TLS from clear text: wherever the CLI speaks TLS we do,
/// never in clear text; where it would not verify the daemon, we refuse.
#[test]
fn every_combination_of_tls_files_is_spoken_to_as_the_docker_cli_does() {
    if !openssl_or_skip("every_combination_of_tls_files_is_spoken_to_as_the_docker_cli_does") {
        return;
    }
    let config = tmp_dir("tls-combinations");
    let pki = config.join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    certificates(&pki);
    let f = |n: &str| pki.join(n);
    let (ca, cert, key) = (f("ca.pem"), f("client-cert.pem"), f("client-key.pem"));
    let only_ca = config.join("only-ca");
    std::fs::create_dir_all(&only_ca).unwrap();
    std::fs::copy(&ca, only_ca.join("ca.pem")).unwrap();
    let empty = config.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let cli =
        std::env::var("BUILDX_GANTT_TEST_DOCKER").unwrap_or_else(|_| "/usr/bin/docker".into());
    let has_cli = Command::new(&cli)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    // (case, context or env, answered over TLS, the CLI agrees here)
    struct Case<'a> {
        name: &'a str,
        files: Vec<(&'a str, &'a Path)>,
        skip_verify: bool,
        env: Vec<(&'a str, String)>,
        /// Reached over TLS (the listener's certificate verified).
        answered: bool,
        /// Spoken to over TLS at all (a handshake begun), or in clear text.
        tls: bool,
        plain: bool,
        said: &'a str,
    }
    let only_ca_s = only_ca.display().to_string();
    let empty_s = empty.display().to_string();
    let cases = vec![
        Case {
            name: "ca-only",
            files: vec![("ca.pem", &ca)],
            skip_verify: false,
            env: vec![],
            answered: true,
            tls: true,
            plain: false,
            said: "Docker 99.0.0-teller",
        },
        Case {
            name: "ca-cert-key",
            files: vec![("ca.pem", &ca), ("cert.pem", &cert), ("key.pem", &key)],
            skip_verify: false,
            env: vec![],
            answered: true,
            tls: true,
            plain: false,
            said: "Docker 99.0.0-teller",
        },
        Case {
            name: "cert-key",
            files: vec![("cert.pem", &cert), ("key.pem", &key)],
            skip_verify: false,
            env: vec![],
            answered: false,
            tls: true,
            plain: false,
            said: "no Docker daemon answers",
        },
        Case {
            name: "cert-only",
            files: vec![("cert.pem", &cert)],
            skip_verify: false,
            env: vec![],
            answered: false,
            tls: true,
            plain: false,
            said: "no Docker daemon answers",
        },
        Case {
            name: "key-only",
            files: vec![("key.pem", &key)],
            skip_verify: false,
            env: vec![],
            answered: false,
            tls: true,
            plain: false,
            said: "no Docker daemon answers",
        },
        Case {
            name: "none",
            files: vec![],
            skip_verify: false,
            env: vec![],
            answered: false,
            tls: false,
            plain: true,
            said: "no Docker daemon answers",
        },
        Case {
            name: "skip-verify",
            files: vec![("ca.pem", &ca)],
            skip_verify: true,
            env: vec![],
            answered: false,
            tls: false,
            plain: false,
            said: "skips TLS verification",
        },
        Case {
            name: "env-verify-ca",
            files: vec![],
            skip_verify: false,
            env: vec![
                ("DOCKER_TLS_VERIFY", "1".into()),
                ("DOCKER_CERT_PATH", only_ca_s.clone()),
            ],
            answered: true,
            tls: true,
            plain: false,
            said: "Docker 99.0.0-teller",
        },
        Case {
            name: "env-verify-no-ca",
            files: vec![],
            skip_verify: false,
            env: vec![
                ("DOCKER_TLS_VERIFY", "1".into()),
                ("DOCKER_CERT_PATH", empty_s.clone()),
            ],
            answered: false,
            tls: false,
            plain: false,
            said: "ca.pem is not there",
        },
        Case {
            name: "env-tls-unverified",
            files: vec![],
            skip_verify: false,
            env: vec![
                ("DOCKER_TLS", "1".into()),
                ("DOCKER_CERT_PATH", only_ca_s.clone()),
            ],
            answered: false,
            tls: false,
            plain: false,
            said: "skips TLS verification",
        },
        Case {
            name: "env-cert-path-only",
            files: vec![],
            skip_verify: false,
            env: vec![("DOCKER_CERT_PATH", only_ca_s.clone())],
            answered: false,
            tls: false,
            plain: true,
            said: "no Docker daemon answers",
        },
    ];
    for case in cases {
        let (port, seen) = teller(&pki);
        let host = format!("tcp://127.0.0.1:{port}");
        let mut env: Vec<(&str, String)> = case.env.clone();
        if env.is_empty() {
            store_context(&config, case.name, &host, case.skip_verify, &case.files);
            env.push(("DOCKER_CONTEXT", case.name.to_string()));
        } else {
            env.push(("DOCKER_HOST", host.clone()));
        }
        let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = gantt(&config, &env_ref, &["doctor", "--docker", "/bin/true"]);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        let ours = seen.lock().unwrap().clone();
        let what = format!("{}: {ours:?}\n{said}", case.name);
        assert_eq!(ours.plain > 0, case.plain, "{what}");
        assert_eq!(ours.tls > 0, case.tls, "{what}");
        assert_eq!(!ours.requests.is_empty(), case.answered, "{what}");
        assert!(said.contains(case.said), "{what}");
        // The docker CLI, against the same store and environment: where it speaks TLS, so do
        // we, and where it speaks clear text, so do we. (DOCKER_TLS is newer than some CLIs.)
        if has_cli && !case.name.starts_with("env-tls") {
            let (port, theirs_seen) = teller(&pki);
            let host = format!("tcp://127.0.0.1:{port}");
            let mut c = Command::new(&cli);
            c.env("DOCKER_CONFIG", &config)
                .env_remove("DOCKER_HOST")
                .env_remove("DOCKER_CONTEXT")
                .env_remove("DOCKER_TLS_VERIFY")
                .env_remove("DOCKER_TLS")
                .env_remove("DOCKER_CERT_PATH")
                .stdin(Stdio::null());
            if case.env.is_empty() {
                store_context(&config, case.name, &host, case.skip_verify, &case.files);
                c.args(["--context", case.name]);
            } else {
                c.env("DOCKER_HOST", &host);
                for (k, v) in &case.env {
                    c.env(k, v);
                }
            }
            let _ = c
                .args(["version", "--format", "{{.Server.Version}}"])
                .output();
            let theirs = theirs_seen.lock().unwrap().clone();
            assert_eq!(
                theirs.plain > 0,
                ours.plain > 0,
                "{}: the CLI {theirs:?}, we {ours:?}",
                case.name
            );
            if !case.skip_verify {
                assert_eq!(
                    theirs.tls > 0,
                    ours.tls > 0,
                    "{}: the CLI {theirs:?}, we {ours:?}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn an_ssh_endpoint_is_said_to_be_the_docker_clis_to_reach_not_a_dns_error() {
    let config = tmp_dir("ssh-endpoint");
    for env in [
        vec![("DOCKER_HOST", "ssh://builder@example.invalid".to_string())],
        vec![("DOCKER_CONTEXT", "viassh".to_string())],
    ] {
        store_context(
            &config,
            "viassh",
            "ssh://builder@example.invalid:2222",
            false,
            &[],
        );
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = gantt(&config, &env, &["doctor", "--docker", "/bin/true"]);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!said.to_lowercase().contains("dns"), "{said}");
        assert!(
            said.contains("ssh:// endpoint is the docker CLI's to reach"),
            "{said}"
        );
        let ctx = config.join("ctx");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\n").unwrap();
        let (df, dir) = (ctx.join("Dockerfile"), ctx.display().to_string());
        let args = ["--engine", "api", "--no-record", df.to_str().unwrap(), &dir];
        let out = gantt(&config, &env, &args);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            said.contains("ssh:// endpoint is the docker CLI's to reach"),
            "{said}"
        );
    }
}
