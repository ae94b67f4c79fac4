//! The build as one OpenTelemetry trace (the official OTLP message types): a root span for the
//! build, a span per stage under it, a span per step under its stage (internal steps under the
//! root), each with what the analysis knows as attributes (stage, state, cached, cache mounts,
//! lock wait, critical path) and the verdicts as events. Ids are derived from the build, so
//! sending the same build twice gives the same trace.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};

use crate::analysis::{outcome, Analysis, Outcome};
use crate::chart::short_name;
use crate::chart::words::{
    hazard_title, lock_wait_sentence, overlap_sentence, stale_title, RED_LEGEND,
};
use crate::graph::Step;
use crate::model::{Build, Nanos, State};

/// What the spans carry besides the build.
pub struct Names<'a> {
    /// `service.name` (OTEL_SERVICE_NAME, else `buildx-gantt`).
    pub service: &'a str,
    /// The log or record it was read from, or the Dockerfile built.
    pub source: &'a str,
}

pub fn trace(names: &Names, build: &Build, a: &Analysis) -> ExportTraceServiceRequest {
    let (t0, t1) = (a.start.unwrap_or(0), a.end.or(a.start).unwrap_or(0));
    // A plain log has no clock (its times start at 0): it is placed as if it just ended.
    let shift = if build.has_clock() {
        0
    } else {
        crate::source::now() - t1
    };
    let ids = Ids::new(names.source, t0, shift);
    let mut spans = vec![root(&ids, names, build, a, (t0, t1))];
    for (i, stage) in a.stages.iter().enumerate() {
        let (Some(s), e) = (stage.start(), stage.end()) else {
            continue;
        };
        spans.push(Span {
            name: format!("stage {}", stage.name),
            span_id: ids.span(1, i),
            parent_span_id: ids.span(0, 0),
            start_time_unix_nano: ids.at(s),
            end_time_unix_nano: ids.at(e.unwrap_or(t1)),
            attributes: vec![kv("buildkit.stage", stage.name.as_str())],
            ..span_of(&ids)
        });
    }
    for s in &a.steps {
        spans.extend(step(&ids, a, s, t1));
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", names.service),
                    kv("service.version", env!("CARGO_PKG_VERSION")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "buildx-gantt".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// The build: its outcome and counts, the verdicts as events.
fn root(ids: &Ids, names: &Names, build: &Build, a: &Analysis, (t0, t1): (Nanos, Nanos)) -> Span {
    let o = outcome(build, a);
    let mut attributes = vec![
        kv("buildx_gantt.source", names.source),
        kv("buildx_gantt.outcome", o.as_str()),
        kv("buildx_gantt.steps", a.steps.len() as i64),
        kv("buildx_gantt.hazards", a.hazards.len() as i64),
        kv("buildx_gantt.overlaps", a.overlaps.len() as i64),
        kv("buildx_gantt.stale_caches", a.stale.len() as i64),
    ];
    if let Some(r) = &build.record {
        attributes.push(kv("buildkit.ref", r.reference.as_str()));
    }
    let at = |t: Nanos| ids.at(t);
    let mut events: Vec<span::Event> = a
        .hazards
        .iter()
        .map(|h| {
            event(
                "cache hazard",
                at(t1),
                &[
                    ("message", hazard_title(a, h)),
                    ("explanation", h.explanation.clone()),
                    ("fix", h.fix.clone()),
                ],
            )
        })
        .collect();
    events.extend(a.stale.iter().map(|s| {
        event(
            "stale cache",
            at(t1),
            &[
                ("message", stale_title(a, s)),
                ("explanation", s.explanation.clone()),
                ("fix", s.fix.clone()),
            ],
        )
    }));
    events.extend(a.overlaps.iter().map(|o| {
        let at_start = o.spans.first().map_or(t0, |s| s.0);
        event(
            RED_LEGEND,
            at(at_start),
            &[("message", overlap_sentence(a, o))],
        )
    }));
    Span {
        name: format!("build {}", names.source),
        span_id: ids.span(0, 0),
        start_time_unix_nano: ids.at(t0),
        end_time_unix_nano: ids.at(t1),
        attributes,
        events,
        status: Some(status_of(o == Outcome::Failed, build.error_message())),
        ..span_of(ids)
    }
}

/// A step's span (none for a step that never started), under its stage's.
fn step(ids: &Ids, a: &Analysis, s: &Step, t1: Nanos) -> Option<Span> {
    let start = s.start()?;
    let parent = s
        .stage
        .as_deref()
        .and_then(|name| a.stages.iter().position(|st| *st.name == *name))
        .map_or_else(|| ids.span(0, 0), |i| ids.span(1, i));
    let mounts: Vec<String> = s
        .parsed
        .instruction()
        .iter()
        .flat_map(|i| i.mounts())
        .filter_map(|m| m.cache_id().map(str::to_string))
        .collect();
    let critical = a
        .critical_path
        .as_ref()
        .is_some_and(|c| c.steps.contains(&s.id));
    let mut attributes = vec![
        kv("buildkit.step", short_name(s).as_str()),
        kv("buildkit.state", s.state.word()),
        kv("buildkit.cached", s.state == State::Cached),
        kv("buildx_gantt.critical_path", critical),
    ];
    if let Some(stage) = s.stage.as_deref() {
        attributes.push(kv("buildkit.stage", stage));
    }
    if !mounts.is_empty() {
        attributes.push(kv("buildkit.cache_mounts", mounts));
    }
    if s.wait().is_some() {
        attributes.push(kv("buildkit.lock_wait_seconds", s.lock_wait() as f64 / 1e9));
    }
    let events = a
        .lock_waits
        .iter()
        .filter(|w| w.step == s.id)
        .map(|w| {
            event(
                "lock wait",
                ids.at(start + w.wait),
                &[("message", lock_wait_sentence(a, w))],
            )
        })
        .collect();
    Some(Span {
        name: s.name().to_string(),
        span_id: ids.span(2, s.id),
        parent_span_id: parent,
        start_time_unix_nano: ids.at(start),
        end_time_unix_nano: ids.at(s.end().unwrap_or(t1)),
        attributes,
        events,
        status: Some(status_of(
            s.state == State::Failed,
            s.error().map(str::to_string),
        )),
        ..span_of(ids)
    })
}

fn span_of(ids: &Ids) -> Span {
    Span {
        trace_id: ids.trace.to_vec(),
        kind: span::SpanKind::Internal as i32,
        ..Default::default()
    }
}

fn status_of(failed: bool, message: Option<String>) -> Status {
    Status {
        code: if failed {
            status::StatusCode::Error
        } else {
            status::StatusCode::Ok
        } as i32,
        message: if failed {
            message.unwrap_or_default()
        } else {
            String::new()
        },
    }
}

fn event(name: &str, at: u64, attrs: &[(&str, String)]) -> span::Event {
    span::Event {
        name: name.into(),
        time_unix_nano: at,
        attributes: attrs.iter().map(|(k, v)| kv(k, v.as_str())).collect(),
        ..Default::default()
    }
}

/// An attribute.
fn kv(key: &str, value: impl Into<Attr>) -> KeyValue {
    let v = match value.into() {
        Attr::S(s) => any_value::Value::StringValue(s),
        Attr::B(b) => any_value::Value::BoolValue(b),
        Attr::I(i) => any_value::Value::IntValue(i),
        Attr::F(f) => any_value::Value::DoubleValue(f),
        Attr::L(l) => any_value::Value::ArrayValue(ArrayValue {
            values: l
                .into_iter()
                .map(|s| AnyValue {
                    value: Some(any_value::Value::StringValue(s)),
                })
                .collect(),
        }),
    };
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

pub enum Attr {
    S(String),
    B(bool),
    I(i64),
    F(f64),
    L(Vec<String>),
}

impl From<&str> for Attr {
    fn from(s: &str) -> Attr {
        Attr::S(s.to_string())
    }
}
impl From<bool> for Attr {
    fn from(b: bool) -> Attr {
        Attr::B(b)
    }
}
impl From<i64> for Attr {
    fn from(i: i64) -> Attr {
        Attr::I(i)
    }
}
impl From<f64> for Attr {
    fn from(f: f64) -> Attr {
        Attr::F(f)
    }
}
impl From<Vec<String>> for Attr {
    fn from(l: Vec<String>) -> Attr {
        Attr::L(l)
    }
}

/// The trace id and span ids, derived from the build (its source and start).
struct Ids {
    trace: [u8; 16],
    /// Added to every time (see [`trace`]).
    shift: Nanos,
}

impl Ids {
    /// A build time as Unix nanoseconds.
    fn at(&self, t: Nanos) -> u64 {
        (t + self.shift).max(0) as u64
    }

    fn new(source: &str, start: Nanos, shift: Nanos) -> Ids {
        let d = ring::digest::digest(
            &ring::digest::SHA256,
            format!("{source}\0{start}").as_bytes(),
        );
        let mut trace = [0u8; 16];
        trace.copy_from_slice(&d.as_ref()[..16]);
        Ids { trace, shift }
    }

    /// Span `n` of kind `k` (0 the build, 1 a stage, 2 a step).
    fn span(&self, k: u8, n: usize) -> Vec<u8> {
        let mut id = [0u8; 8];
        id[0] = k + 1;
        id[1..4].copy_from_slice(&self.trace[..3]);
        id[4..].copy_from_slice(&(n as u32).to_be_bytes());
        id.to_vec()
    }
}
