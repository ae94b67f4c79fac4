//! `--otlp` and `--format otlp`: the build as one OpenTelemetry trace, sent to a loopback OTLP/HTTP
//! receiver and decoded with the official OTLP types: every step, the build → stage → step
//! structure, the timestamps, the attributes and the environment's settings.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use buildx_gantt::analysis::Analysis;
use common::{analyse, bin, fake_docker, fixture, play_file, stderr, stdout, tmp_dir};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::{status::StatusCode, Span};
use prost::Message;

/// One request as the receiver saw it.
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A receiver on a loopback port that answers each request 200 and hands it over.
fn receiver() -> (String, mpsc::Receiver<Received>) {
    receiver_answering("200 OK", "{}")
}

/// …answering with this status line and body.
fn receiver_answering(
    status: &'static str,
    reply: &'static str,
) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                let Some((k, v)) = h.trim_end().split_once(':') else {
                    break;
                };
                headers.insert(k.trim().to_lowercase(), v.trim().to_string());
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len];
            r.read_exact(&mut body).unwrap();
            // Handed over before the answer: once the binary has its answer (and has exited),
            // the request is waiting in the channel.
            let _ = tx.send(Received {
                path,
                headers,
                body,
            });
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\ncontent-type: text/plain\r\n\r\n{reply}",
                reply.len()
            );
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    (url, rx)
}

fn attr(s: &Span, key: &str) -> Option<Value> {
    s.attributes
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?
        .value
        .clone()
}

fn spans(r: &ExportTraceServiceRequest) -> Vec<Span> {
    r.resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| s.spans.clone())
        .collect()
}

/// Every step that started is a span under its stage's span (internal steps under the build's),
/// at its own times; one trace; the failed step is an error.
fn check_trace(r: &ExportTraceServiceRequest, a: &Analysis) {
    let spans = spans(r);
    let trace = &spans[0].trace_id;
    assert_eq!(trace.len(), 16);
    assert!(spans.iter().all(|s| &s.trace_id == trace));
    let root = spans
        .iter()
        .find(|s| s.parent_span_id.is_empty())
        .expect("a root span");
    assert!(root.name.starts_with("build "));
    let by_id: HashMap<&[u8], &Span> = spans.iter().map(|s| (s.span_id.as_slice(), s)).collect();
    for step in a.steps.iter().filter(|s| s.start().is_some()) {
        let span = spans
            .iter()
            .find(|s| *s.name == **step.name())
            .unwrap_or_else(|| panic!("no span for {}", step.name()));
        assert_eq!(
            span.start_time_unix_nano,
            step.start().unwrap() as u64,
            "{}",
            step.name()
        );
        let parent = by_id[span.parent_span_id.as_slice()];
        match step.stage.as_deref() {
            Some(stage) => assert_eq!(parent.name, format!("stage {stage}"), "{}", step.name()),
            None => assert_eq!(parent.span_id, root.span_id, "{}", step.name()),
        }
        let state = attr(span, "buildkit.state");
        assert_eq!(state, Some(Value::StringValue(step.state.word().into())));
        if step.state == buildx_gantt::model::State::Failed {
            assert_eq!(span.status.as_ref().unwrap().code, StatusCode::Error as i32);
        }
    }
    let stages = spans
        .iter()
        .filter(|s| s.name.starts_with("stage "))
        .count();
    assert_eq!(
        stages,
        a.stages.iter().filter(|s| s.start().is_some()).count()
    );
}

#[test]
fn report_sends_every_step_as_a_span_of_one_trace() {
    let (url, rx) = receiver();
    let log = fixture("race/rawjson-fail.jsonl");
    let out = bin()
        .args(["report", log.to_str().unwrap(), "--otlp", &url])
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "api-key=s%20cret,x-team=builds",
        )
        .env("OTEL_SERVICE_NAME", "ci-builds")
        .output()
        .unwrap();
    // The build's outcome stands (it failed), and it says where it sent what.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("sent the build to {url}/v1/traces as trace")),
        "{}",
        stderr(&out)
    );
    let got = received(&rx);
    assert_eq!(got.path, "/v1/traces");
    assert_eq!(got.headers["content-type"], "application/x-protobuf");
    assert_eq!(got.headers["api-key"], "s cret");
    assert_eq!(got.headers["x-team"], "builds");
    let r = ExportTraceServiceRequest::decode(got.body.as_slice()).unwrap();
    let resource = r.resource_spans[0].resource.as_ref().unwrap();
    let service = resource
        .attributes
        .iter()
        .find(|a| a.key == "service.name")
        .unwrap();
    assert_eq!(
        service.value.as_ref().unwrap().value,
        Some(Value::StringValue("ci-builds".into()))
    );
    let (_, a) = analyse("race/rawjson-fail.jsonl");
    check_trace(&r, &a);
    // The verdicts: the hazard as an event of the build, the cache mount on the steps.
    let spans = spans(&r);
    let root = spans.iter().find(|s| s.parent_span_id.is_empty()).unwrap();
    assert!(root.events.iter().any(|e| e.name == "cache hazard"));
    let reader = spans
        .iter()
        .find(|s| s.name.starts_with("[stage-2 2/4]"))
        .unwrap();
    assert!(matches!(
        attr(reader, "buildkit.cache_mounts"),
        Some(Value::ArrayValue(_))
    ));
}

#[test]
fn json_over_http_and_to_a_file_are_the_same_trace() {
    let (url, rx) = receiver();
    let log = fixture("records/race-pass.dockerbuild");
    let out = bin()
        .args([
            "report",
            log.to_str().unwrap(),
            "--otlp",
            &format!("{url}/custom/path"),
        ])
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = received(&rx);
    assert_eq!(got.path, "/custom/path");
    assert_eq!(got.headers["content-type"], "application/json");
    let sent: ExportTraceServiceRequest = serde_json::from_slice(&got.body).unwrap();
    let (_, a) = analyse("records/race-pass.dockerbuild");
    check_trace(&sent, &a);
    // The record's lock wait is on its step.
    let waiter = spans(&sent)
        .into_iter()
        .find(|s| s.name.starts_with("[stage-2 2/4]"))
        .unwrap();
    assert!(
        matches!(attr(&waiter, "buildkit.lock_wait_seconds"), Some(Value::DoubleValue(w)) if w > 3.0)
    );
    assert!(waiter.events.iter().any(|e| e.name == "lock wait"));
    let file = bin()
        .args(["report", log.to_str().unwrap(), "--format", "otlp"])
        .output()
        .unwrap();
    let written: ExportTraceServiceRequest = serde_json::from_slice(&file.stdout).unwrap();
    assert_eq!(spans(&written), spans(&sent));
}

/// The request the binary sent, which is in the channel by the time it exited (the receiver
/// hands it over before answering).
fn received(rx: &mpsc::Receiver<Received>) -> Received {
    rx.try_recv().expect("the receiver got no request")
}

/// A loopback port that refuses connections for as long as the socket lives: bound, so nobody
/// else can take it, but not listening. (A port bound and closed again may be anyone's next.)
fn refusing_port() -> (std::os::fd::OwnedFd, u16) {
    use std::os::fd::FromRawFd;
    // SAFETY: socket(2), bind(2) and getsockname(2) on a socket we own, with C structs on our
    // stack of the sizes we pass.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let owned = std::os::fd::OwnedFd::from_raw_fd(fd);
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let bound = libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len);
        assert_eq!(bound, 0, "bind: {}", std::io::Error::last_os_error());
        let mut got_len = len;
        libc::getsockname(fd, &mut addr as *mut _ as *mut libc::sockaddr, &mut got_len);
        (owned, u16::from_be(addr.sin_port))
    }
}

#[test]
fn an_unreachable_backend_is_a_warning_not_a_failure() {
    let (_socket, port) = refusing_port();
    let log = fixture("race/rawjson-pass.jsonl");
    let out = bin()
        .args([
            "report",
            log.to_str().unwrap(),
            "--otlp",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("could not send the trace"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("build succeeded"));
}

#[test]
fn a_live_build_sends_its_trace_when_it_ends() {
    let (url, rx) = receiver();
    let dir = tmp_dir("otlp-live");
    let play = play_file("race/rawjson-pass.jsonl", 0.0, &dir);
    let (df, ctx) = (fixture("race/Dockerfile"), fixture("race"));
    let out = bin()
        .args([
            "--docker",
            fake_docker().to_str().unwrap(),
            "--engine",
            "cli",
            "--no-record",
        ])
        .args([df.to_str().unwrap(), ctx.to_str().unwrap(), "--otlp", &url])
        .env("FAKE_DOCKER_PLAY", &play)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = received(&rx);
    let r = ExportTraceServiceRequest::decode(got.body.as_slice()).unwrap();
    let (_, a) = analyse("race/rawjson-pass.jsonl");
    check_trace(&r, &a);
}

#[test]
fn a_receiver_that_refuses_the_trace_is_said_with_its_answer() {
    let (url, rx) = receiver_answering("503 Service Unavailable", "overloaded, try later");
    let log = fixture("race/rawjson-pass.jsonl");
    let out = bin()
        .args(["report", log.to_str().unwrap(), "--otlp", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    received(&rx);
    let said = stderr(&out);
    assert!(
        said.contains("the receiver answered 503: overloaded, try later"),
        "{said}"
    );
}
