//! `--format trace`: the build as Chrome trace-event JSON (the "JSON Object Format" that
//! Perfetto, `chrome://tracing` and speedscope open). Each stage is a process (BuildKit's own
//! steps one more), its steps complete events (`X`) on numbered tracks — a step takes the first
//! track free when it starts, so nothing overlaps on a track and every viewer draws it as it ran —
//! a cache hit an instant, a wait for a locked cache a slice inside its step's plus an instant,
//! each cache hazard an instant where the first step took the cache, and each stale cache one where
//! its reader started. Times are microseconds from the build's first step.

use std::io;

use serde::Serialize;
use serde_json::{json, Value};

use crate::analysis::{Analysis, LockWait, Step, StepId};
use crate::chart::words::{hazard_title, lock_wait_sentence, lock_wait_slice, stale_title};
use crate::model::{Build, Nanos, State};

/// Serialised as it is made: a huge build's events are never all in memory at once.
pub fn write(w: &mut dyn io::Write, title: &str, build: &Build, a: &Analysis) -> io::Result<()> {
    let zero = a.start.unwrap_or(0);
    let us = |t: Nanos| (t - zero) as f64 / 1e3;
    w.write_all(b"{\"traceEvents\":[\n")?;
    let mut first = true;
    let mut put = |w: &mut dyn io::Write, v: &Value| -> io::Result<()> {
        if !first {
            w.write_all(b",\n")?;
        }
        first = false;
        serde_json::to_writer(&mut *w, v).map_err(io::Error::other)
    };
    let processes = processes(a);
    let critical: Vec<StepId> = a
        .critical_path
        .as_ref()
        .map_or(Vec::new(), |c| c.steps.clone());
    let mut place: Vec<Option<(usize, usize)>> = vec![None; a.steps.len()];
    for (p, (name, steps)) in processes.iter().enumerate() {
        let pid = p + 1;
        put(
            w,
            &json!({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": name}}),
        )?;
        put(
            w,
            &json!({"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": pid}}),
        )?;
        let tracks = tracks(a, steps);
        for t in 1..=tracks.iter().map(|x| x.1).max().unwrap_or(0) {
            put(
                w,
                &json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": t, "args": {"name": format!("track {t}")}}),
            )?;
        }
        for &(id, tid) in &tracks {
            place[id] = Some((pid, tid));
            let wait = a.lock_waits.iter().find(|l| l.step == id);
            let on = Track {
                pid,
                tid,
                critical: critical.contains(&id),
            };
            for e in step_events(a, &a.steps[id], &on, wait, &us) {
                put(w, &e)?;
            }
        }
    }
    for e in marks(a, &place, &us) {
        put(w, &e)?;
    }
    let other = Other {
        source: title,
        outcome: crate::analysis::outcome(build, a).as_str(),
        start: a
            .start
            .filter(|_| build.has_clock())
            .map(crate::model::format_rfc3339),
        generator: "buildx-gantt",
    };
    w.write_all(b"\n],\"displayTimeUnit\":\"ms\",\"otherData\":")?;
    serde_json::to_writer(&mut *w, &other).map_err(io::Error::other)?;
    w.write_all(b"}\n")
}

#[derive(Serialize)]
struct Other<'a> {
    source: &'a str,
    outcome: &'static str,
    start: Option<String>,
    generator: &'static str,
}

/// The processes: each stage with its steps, then BuildKit's own steps (`[internal]`, exports).
fn processes(a: &Analysis) -> Vec<(String, Vec<StepId>)> {
    let mut out: Vec<(String, Vec<StepId>)> = a
        .stages
        .iter()
        .filter(|s| !s.steps.is_empty())
        .map(|s| (format!("stage {}", s.name), s.steps.clone()))
        .collect();
    let internal = a.internal_steps();
    if !internal.is_empty() {
        out.push(("[internal] and export".into(), internal));
    }
    out
}

/// Each executed step's track (1-based): the first whose last step ended by its start.
fn tracks(a: &Analysis, steps: &[StepId]) -> Vec<(StepId, usize)> {
    let mut ran: Vec<(Nanos, Nanos, StepId)> = steps
        .iter()
        .map(|&id| &a.steps[id])
        .filter(|s| s.state != State::Cached)
        .filter_map(|s| Some((s.spans.first()?.0, s.spans.last()?.1, s.id)))
        .collect();
    ran.sort();
    let mut ends: Vec<Nanos> = Vec::new();
    let mut out = Vec::new();
    for (start, end, id) in ran {
        let t = match ends.iter().position(|&e| e <= start) {
            Some(t) => t,
            None => {
                ends.push(end);
                ends.len() - 1
            }
        };
        ends[t] = end;
        out.push((id, t + 1));
    }
    // Cache hits take no time: an instant on the first track.
    let hits = steps
        .iter()
        .filter(|&&id| a.steps[id].state == State::Cached);
    out.extend(hits.map(|&id| (id, 1)));
    out
}

/// Where a step is drawn, and whether it is on the critical path.
struct Track {
    pid: usize,
    tid: usize,
    critical: bool,
}

/// A step's slices (one per run), its lock wait inside them, or its instant when a cache hit.
fn step_events(
    a: &Analysis,
    s: &Step,
    on: &Track,
    wait: Option<&LockWait>,
    us: &dyn Fn(Nanos) -> f64,
) -> Vec<Value> {
    let (pid, tid) = (on.pid, on.tid);
    let kind = s.kind().key();
    let mut args = json!({"state": s.state, "kind": kind, "critical_path": on.critical});
    if let Some(e) = s.error() {
        args["error"] = json!(e);
    }
    if let Some(w) = wait {
        args["lock_wait_seconds"] = json!(w.wait as f64 / 1e9);
    }
    let name = s.name().as_ref();
    if s.state == State::Cached {
        let at = s.start().map_or(0.0, us);
        return vec![
            json!({"name": name, "cat": "cache hit", "ph": "i", "s": "t", "ts": at, "pid": pid, "tid": tid, "args": args}),
        ];
    }
    let mut out: Vec<Value> = s
        .spans
        .iter()
        .map(|&(a, b)| json!({"name": name, "cat": kind, "ph": "X", "ts": us(a), "dur": (b - a) as f64 / 1e3, "pid": pid, "tid": tid, "args": args}))
        .collect();
    // The wait, inside the step's own slice (clipped to it: the trace's clock is not the
    // progress's), so that it nests there.
    if let (Some(w), Some((from, until))) = (wait, s.wait()) {
        let within = s
            .spans
            .iter()
            .find(|x| x.0 <= from && from < x.1)
            .or(s.spans.first());
        if let Some(&(x, y)) = within {
            let (from, until) = (from.max(x), until.min(y));
            if until > from {
                out.push(json!({"name": lock_wait_slice(a, w), "cat": "lock wait", "ph": "X", "ts": us(from), "dur": (until - from) as f64 / 1e3, "pid": pid, "tid": tid}));
            }
        }
    }
    out
}

/// Instants: each hazard where its first step finished, each stale cache where its reader
/// started, each lock wait where it ended.
fn marks(a: &Analysis, place: &[Option<(usize, usize)>], us: &dyn Fn(Nanos) -> f64) -> Vec<Value> {
    let mut out = Vec::new();
    for h in &a.hazards {
        let Some(f) = h.first else { continue };
        let (Some((pid, tid)), Some(at)) = (place[f], a.steps[f].end()) else {
            continue;
        };
        out.push(json!({"name": hazard_title(a, h), "cat": "cache hazard", "ph": "i", "s": "p", "ts": us(at), "pid": pid, "tid": tid, "args": {"cache": h.cache_id, "explanation": h.explanation, "fix": h.fix}}));
    }
    for c in &a.stale {
        let r = &a.steps[c.reader];
        let (Some((pid, tid)), Some(at)) = (place[c.reader], r.start()) else {
            continue;
        };
        out.push(json!({"name": stale_title(a, c), "cat": "stale cache", "ph": "i", "s": "p", "ts": us(at), "pid": pid, "tid": tid, "args": {"cache": c.cache_id, "explanation": c.explanation, "fix": c.fix}}));
    }
    for l in &a.lock_waits {
        let s = &a.steps[l.step];
        let (Some((pid, tid)), Some((_, until))) = (place[l.step], s.wait()) else {
            continue;
        };
        out.push(json!({"name": lock_wait_sentence(a, l), "cat": "lock wait", "ph": "i", "s": "t", "ts": us(until), "pid": pid, "tid": tid, "args": {"cache": l.cache, "seconds": l.wait as f64 / 1e9}}));
    }
    out
}
