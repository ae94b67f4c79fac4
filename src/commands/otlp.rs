//! `--otlp [URL]` and `--format otlp`: the build as one OpenTelemetry trace.

use crate::analysis::Analysis;
use crate::export::{otlp, otlp_http};
use crate::model::Build;

/// `service.name`: OTEL_SERVICE_NAME, else ours.
fn service() -> String {
    std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "buildx-gantt".into())
}

/// The trace in OTLP's JSON (`--format otlp`).
pub fn json(source: &str, build: &Build, a: &Analysis) -> String {
    let service = service();
    let names = otlp::Names {
        service: &service,
        source,
    };
    let request = otlp::trace(&names, build, a);
    let (body, _) = otlp_http::encode(&request, otlp_http::Protocol::Json);
    String::from_utf8_lossy(&body).into_owned() + "\n"
}

/// Sends the build when `--otlp` asks; says on stderr what happened. A backend that cannot be
/// reached is a warning: the build's own outcome stands.
pub fn send_if_asked(url: Option<&str>, source: &str, build: &Build, a: &Analysis) {
    let Some(url) = url else { return };
    let target = match otlp_http::target(url) {
        Ok(t) => t,
        Err(e) => return eprintln!("buildx-gantt: --otlp: {e}"),
    };
    let service = service();
    let names = otlp::Names {
        service: &service,
        source,
    };
    let request = otlp::trace(&names, build, a);
    let spans: usize = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    let trace_id = request
        .resource_spans
        .first()
        .and_then(|r| r.scope_spans.first())
        .and_then(|s| s.spans.first())
        .map(|s| {
            s.trace_id
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        })
        .unwrap_or_default();
    match otlp_http::send(&target, &request) {
        Ok(_) => eprintln!(
            "buildx-gantt: sent the build to {} as trace {trace_id} ({spans} spans, service {service})",
            target.url
        ),
        Err(e) => eprintln!("buildx-gantt: --otlp: could not send the trace: {e}"),
    }
}
