//! Sending a trace over OTLP/HTTP (protobuf or JSON), as an OpenTelemetry SDK's exporter would:
//! the endpoint, protocol, headers and timeout from `--otlp URL` and the standard
//! `OTEL_EXPORTER_OTLP_*` variables (the traces-specific ones first).

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

/// Where OTLP/HTTP listens when nothing says otherwise.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Protobuf,
    Json,
}

/// Where and how to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub protocol: Protocol,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
}

fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

/// The target for `--otlp [URL]` (`url` empty: the environment's endpoint, else localhost).
pub fn target(url: &str) -> Result<Target, String> {
    let url = match (url.trim(), env(&["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])) {
        ("", Some(full)) => full,
        ("", None) => traces_path(
            &env(&["OTEL_EXPORTER_OTLP_ENDPOINT"]).unwrap_or_else(|| DEFAULT_ENDPOINT.into()),
            true,
        ),
        (given, _) => traces_path(given, false),
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "{url}: an OTLP/HTTP endpoint is an http:// or https:// URL"
        ));
    }
    let protocol = match env(&[
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ])
    .as_deref()
    {
        None | Some("http/protobuf") => Protocol::Protobuf,
        Some("http/json") => Protocol::Json,
        Some(other) => {
            return Err(format!(
                "OTLP protocol {other:?} is not supported: use http/protobuf or http/json"
            ))
        }
    };
    let headers = env(&[
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ])
    .map(|h| parse_headers(&h))
    .unwrap_or_default();
    let millis = env(&[
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ])
    .and_then(|t| t.trim().parse::<u64>().ok())
    .unwrap_or(10_000);
    Ok(Target {
        url,
        protocol,
        headers,
        timeout: Duration::from_millis(millis),
    })
}

/// The generic endpoint gets `/v1/traces` appended (always, as the specification says); a URL
/// given on the command line only when it has no path of its own.
fn traces_path(base: &str, generic: bool) -> String {
    let trimmed = base.trim_end_matches('/');
    let has_path = trimmed
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if generic || !has_path {
        format!("{trimmed}/v1/traces")
    } else {
        base.to_string()
    }
}

/// `k1=v1,k2=v2`, values percent-decoded.
fn parse_headers(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), percent_decode(v.trim())))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The body as the protocol encodes it, and its content type.
pub fn encode(request: &ExportTraceServiceRequest, protocol: Protocol) -> (Vec<u8>, &'static str) {
    match protocol {
        Protocol::Protobuf => (request.encode_to_vec(), "application/x-protobuf"),
        Protocol::Json => (
            serde_json::to_vec(request).unwrap_or_default(),
            "application/json",
        ),
    }
}

/// Sends it; what the receiver answered, or why it failed.
pub fn send(t: &Target, request: &ExportTraceServiceRequest) -> Result<u16, String> {
    let (body, content_type) = encode(request, t.protocol);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    rt.block_on(async {
        match tokio::time::timeout(t.timeout, post(t, body, content_type)).await {
            Ok(r) => r,
            Err(_) => Err(format!("{}: no answer within {:?}", t.url, t.timeout)),
        }
    })
}

async fn post(t: &Target, body: Vec<u8>, content_type: &str) -> Result<u16, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("cannot load the system's certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Full<bytes::Bytes>>(connector);
    let mut req = hyper::Request::post(&t.url).header("content-type", content_type);
    for (k, v) in &t.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req
        .body(Full::new(bytes::Bytes::from(body)))
        .map_err(|e| format!("{}: {e}", t.url))?;
    let resp = client
        .request(req)
        .await
        .map_err(|e| format!("{}: {}", t.url, describe(&e)))?;
    let status = resp.status().as_u16();
    if resp.status().is_success() {
        return Ok(status);
    }
    // What a receiver says is read only so far: it is theirs, not ours to hold whole.
    let text = http_body_util::Limited::new(resp.into_body(), 4096)
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    let text: String = crate::model::visible(text.trim())
        .chars()
        .take(300)
        .collect();
    Err(format!("{}: the receiver answered {status}: {text}", t.url))
}

/// The innermost cause of a client error (hyper's outer ones say little).
fn describe(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        last = c.to_string();
        cur = c.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_where_the_specification_says() {
        assert_eq!(
            traces_path("http://c:4318", false),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            traces_path("http://c:4318/", false),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            traces_path("http://c:4318/custom", false),
            "http://c:4318/custom"
        );
        assert_eq!(
            traces_path("http://c:4318/base", true),
            "http://c:4318/base/v1/traces"
        );
    }

    #[test]
    fn headers_are_pairs_with_values_decoded() {
        assert_eq!(
            parse_headers("api-key=a%20b, x=1,bad"),
            [("api-key".into(), "a b".into()), ("x".into(), "1".into())]
        );
    }
}
