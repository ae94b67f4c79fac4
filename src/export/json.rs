//! The JSON report (schema `buildx-gantt/report`, version 1; documented in docs/JSON.md).
//! Times are seconds from the build's first step start, so reports of two builds compare.

use serde::{Serialize, Serializer};

use crate::analysis::{cache_breaks, counts, nothing_ran, outcome, Counts};
use crate::analysis::{
    Analysis, CacheHazard, Certainty, Dependency, Evidence, LockWait, Overlap, Stage, StaleCache,
    Step, StepPair,
};
use crate::dockerfile::DepKind;
use crate::instruction::Mount;
use crate::model::{
    format_rfc3339, Build, Diagnostic, Digest, Estimate, Interval, Nanos, ProgressGroup,
    RecordInfo, State, Vertex, Warning,
};

pub const SCHEMA: &str = "buildx-gantt/report";
pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub version: u32,
    pub source: &'a str,
    pub outcome: &'static str,
    /// RFC 3339 instant of time 0.
    pub start: Option<String>,
    /// Seconds from start to the last known instant.
    pub duration: Option<f64>,
    /// `exact` (rawjson) or `estimated` (reconstructed from a plain log: see `*_bounds`).
    pub timing: &'static str,
    /// What a build record said of the build (`ref`, `name`, `target`, `dockerfile`,
    /// `build_args`); null for a log.
    pub record: Option<&'a RecordInfo>,
    pub counts: Counts,
    pub error: Option<String>,
    pub error_text: &'a [String],
    pub vertexes: Each<'a, JVertex<'a>>,
    pub steps: Each<'a, JStep<'a>>,
    pub stages: Vec<JStage>,
    pub dependencies: Vec<JDependency>,
    pub overlaps: Each<'a, JOverlap>,
    pub hazards: Vec<JHazard>,
    /// Hazard pairs past those listed (20 per cache, 200 in all), counted.
    pub hazards_unlisted: u64,
    /// Readers of a cache mount that ran while every writer of it was a cache hit (or absent).
    pub stale_caches: Vec<JStale>,
    pub critical_path: Option<JCritical>,
    /// Steps that waited 0.1 s or more for a locked cache (a build record's trace), longest first.
    pub lock_waits: Vec<JLockWait>,
    /// What the cache did, for a build with any cache hit (null for a cold build).
    pub cache: Option<JCache>,
    /// Where the time went (null before any step started).
    pub time: Option<JTime>,
    pub warnings: &'a [Warning],
    pub tool_warnings: &'a [String],
    pub diagnostics: &'a [Diagnostic],
    pub diagnostics_dropped: u64,
}

/// A list written as it is made: a huge build's vertexes and steps are never held twice.
pub struct Each<'a, T>(Box<dyn Fn() -> Box<dyn Iterator<Item = T> + 'a> + 'a>);

impl<'a, T: Serialize> Each<'a, T> {
    fn new<I: Iterator<Item = T> + 'a>(make: impl Fn() -> I + 'a) -> Self {
        Each(Box::new(move || Box::new(make())))
    }
}

impl<T: Serialize> Serialize for Each<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

#[derive(Serialize)]
pub struct JInterval {
    pub start: f64,
    /// `null` while running.
    pub end: Option<f64>,
    /// Present only for estimated times: `[earliest, latest]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_bounds: Option<[Option<f64>; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_bounds: Option<[Option<f64>; 2]>,
}

#[derive(Serialize)]
pub struct JLog {
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    pub lines: u64,
    /// The last lines kept, for failed steps only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tail: Vec<String>,
}

/// Borrowed from the model, as [`JStep`]: a large build's report is not a second copy of it.
#[derive(Serialize)]
pub struct JVertex<'a> {
    pub digest: &'a Digest,
    pub name: &'a str,
    pub state: State,
    pub cached: bool,
    pub error: Option<&'a str>,
    pub inputs: Vec<&'a Digest>,
    pub intervals: Vec<JInterval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_group: Option<&'a ProgressGroup>,
    pub log: JLog,
}

#[derive(Serialize)]
pub struct JStep<'a> {
    pub id: usize,
    pub name: &'a str,
    pub stage: Option<&'a str>,
    /// `[index, total]` from `[stage i/n]`.
    pub index: Option<[u32; 2]>,
    pub state: State,
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// `[earliest, latest]` of `start` and `end` when they are estimates (plain logs).
    pub start_bounds: Option<[Option<f64>; 2]>,
    pub end_bounds: Option<[Option<f64>; 2]>,
    /// Seconds active (union of its runs).
    pub active: f64,
    /// Indexes into `vertexes`.
    pub vertexes: &'a [usize],
    /// Ids of the steps it waits for.
    pub inputs: &'a [usize],
    pub error: Option<&'a str>,
    pub cache_mounts: Vec<Mount>,
    /// Seconds it waited for its mounts (a locked cache among them) before its container was
    /// made; from a build record's trace, null without one.
    pub lock_wait: Option<f64>,
    /// The kind of work it is (`pull`, `run`, `copy`, `export`, `push`, `cache_import`,
    /// `cache_export`, `internal`, `other`).
    pub kind: &'static str,
    /// What it moved, from its statuses: one entry per kind of transfer.
    pub transfers: Vec<JTransfer>,
}

/// What a step moved of one kind (a pull's layers, a push, `--load`, a cache export's writes).
#[derive(Serialize)]
pub struct JTransfer {
    /// `download`, `extract`, `upload`, `load`, `cache_write`, `context`.
    pub kind: &'static str,
    /// Its statuses (layers, for a pull), and how many of them finished.
    pub items: u32,
    pub done: u32,
    /// Bytes moved so far, and in all when every item said its total.
    pub bytes: i64,
    pub total: Option<i64>,
    /// Seconds it took (null while under way, or when nothing says).
    pub seconds: Option<f64>,
}

#[derive(Serialize)]
pub struct JStage {
    pub name: String,
    pub index: Option<usize>,
    pub steps: Vec<usize>,
    pub start: Option<f64>,
    pub end: Option<f64>,
    /// Its first `steps` steps ran once, under the name of `stage` (BuildKit de-duplicated them).
    pub shares_steps_with: Option<JShared>,
}

#[derive(Serialize)]
pub struct JShared {
    pub stage: String,
    pub steps: u32,
}

#[derive(Serialize)]
pub struct JDependency {
    pub stage: String,
    pub source: String,
    pub kind: DepKind,
    pub step: Option<usize>,
    pub line: Option<usize>,
    pub evidence: Vec<Evidence>,
}

#[derive(Serialize)]
pub struct JPair {
    pub step: usize,
    pub source_step: usize,
    pub duration: f64,
    pub certainty: Certainty,
}

#[derive(Serialize)]
pub struct JOverlap {
    pub stage: String,
    pub source: String,
    pub kind: DepKind,
    pub via_step: Option<usize>,
    pub duration: f64,
    pub certainty: Certainty,
    /// `[start, end]` spans when both stages were active.
    pub spans: Vec<[f64; 2]>,
    pub pairs: Vec<JPair>,
    /// Steps of `stage` that certainly ran while `source` was still under way.
    pub certain_steps: Vec<usize>,
}

#[derive(Serialize)]
pub struct JHazard {
    /// `unordered-cache` (as `lint` calls it).
    pub kind: &'static str,
    pub cache_id: String,
    pub writer: usize,
    pub reader: usize,
    pub roles_known: bool,
    pub sharing: [String; 2],
    /// `ran` (both ran: `first` took the cache first), `both_hits` or `one_hit` (no race ran).
    pub race: &'static str,
    /// The steps of the two that were cache hits (they did not run).
    pub hits: Vec<usize>,
    /// The step that completed first (took the cache first); null when they did not both run.
    pub first: Option<usize>,
    pub first_name: Option<String>,
    pub margin: Option<f64>,
    pub explanation: String,
    pub fix: String,
}

#[derive(Serialize)]
pub struct JStale {
    /// `stale-cache`.
    pub kind: &'static str,
    pub cache_id: String,
    /// The step that read the cache (it ran).
    pub reader: usize,
    pub reader_name: String,
    /// The steps that fill it in this build, every one a cache hit.
    pub writers: Vec<usize>,
    pub writer_names: Vec<String>,
    /// Dockerfile steps that fill it in stages this build does not have.
    pub writers_absent: Vec<String>,
    /// The step that then failed (in the reader's stage, or one built on it), if any.
    pub failure: Option<usize>,
    pub explanation: String,
    pub fix: String,
}

#[derive(Serialize)]
pub struct JCache {
    /// Cache hits among the Dockerfile steps, and those steps.
    pub hits: usize,
    pub steps: usize,
    pub fully_cached: bool,
    pub stages: Vec<JCacheStage>,
}

#[derive(Serialize)]
pub struct JCacheStage {
    pub stage: String,
    pub steps: usize,
    pub hits: usize,
    /// The step (id) where the stage's cache chain broke: its first that executed and could
    /// have been a hit (not a `FROM`), with no hit after it.
    pub broke_at: Option<usize>,
    /// Steps that executed although a later step of the stage was a hit.
    pub ran_between_hits: Vec<usize>,
}

#[derive(Serialize)]
pub struct JLockWait {
    pub step: usize,
    pub seconds: f64,
    pub cache: Option<String>,
    /// The step that held it (whose run ended last before the wait did).
    pub holder: Option<usize>,
}

#[derive(Serialize)]
pub struct JCritical {
    pub steps: Vec<usize>,
    pub duration: f64,
}

/// Build times as the report writes them: seconds since the build's start.
#[derive(Clone, Copy)]
struct Clock {
    t0: Nanos,
}

impl Clock {
    fn rel(&self, t: Nanos) -> f64 {
        round((t - self.t0) as f64 / 1e9)
    }

    /// `[earliest, latest]` of an estimate (`latest` is null where nothing bounds it); none for
    /// an exact time.
    fn bounds(&self, e: &Estimate) -> Option<[Option<f64>; 2]> {
        (!e.is_exact()).then(|| {
            let latest = (e.latest != Nanos::MAX).then(|| self.rel(e.latest));
            [Some(self.rel(e.earliest)), latest]
        })
    }

    fn span(&self, (x, y): &(Nanos, Nanos)) -> [f64; 2] {
        [self.rel(*x), self.rel(*y)]
    }
}

fn secs(n: Nanos) -> f64 {
    round(n as f64 / 1e9)
}

pub fn report<'a>(source: &'a str, build: &'a Build, a: &'a Analysis) -> Report<'a> {
    let c = Clock {
        t0: a.start.unwrap_or(0),
    };
    Report {
        schema: SCHEMA,
        version: VERSION,
        source,
        outcome: outcome(build, a).as_str(),
        start: a.start.filter(|_| build.has_clock()).map(format_rfc3339),
        timing: if build.is_estimated() {
            "estimated"
        } else {
            "exact"
        },
        duration: a.end.map(|t| c.rel(t)),
        record: build.record.as_deref(),
        counts: counts(a),
        error: build.error_message(),
        error_text: &build.error_text,
        vertexes: Each::new(move || build.vertexes().iter().map(move |v| vertex(&c, build, v))),
        steps: Each::new(move || a.steps.iter().map(move |s| step(&c, s))),
        stages: a.stages.iter().map(|s| stage(&c, s)).collect(),
        dependencies: a.dependencies.iter().map(dependency).collect(),
        overlaps: Each::new(move || a.overlaps.iter().map(move |o| overlap(&c, o))),
        hazards: a.hazards.iter().map(|h| hazard(a, h)).collect(),
        hazards_unlisted: a.hazards_unlisted,
        stale_caches: a.stale.iter().map(|s| stale(a, s)).collect(),
        critical_path: a.critical_path.as_ref().map(|c| JCritical {
            steps: c.steps.clone(),
            duration: secs(c.end - c.start),
        }),
        lock_waits: a.lock_waits.iter().map(lock_wait).collect(),
        cache: cache(a),
        time: crate::analysis::time_breakdown(a).map(|t| time(&t)),
        warnings: &build.warnings,
        tool_warnings: &build.tool_warnings,
        diagnostics: build.diagnostics(),
        diagnostics_dropped: build.diagnostics_dropped(),
    }
}

/// `time`: seconds, and how they add up (`busy + idle = wall`, the kinds' seconds = `work`).
#[derive(Serialize)]
pub struct JTime {
    pub wall: f64,
    pub work: f64,
    pub busy: f64,
    pub idle: f64,
    pub parallelism: Option<f64>,
    pub lock_wait: f64,
    pub by_kind: Vec<JKindTime>,
    pub executed: usize,
    pub cached: usize,
    pub cache_hit_share: Option<f64>,
}

#[derive(Serialize)]
pub struct JKindTime {
    pub kind: &'static str,
    pub steps: usize,
    pub seconds: f64,
}

fn time(t: &crate::analysis::TimeBreakdown) -> JTime {
    JTime {
        wall: secs(t.wall),
        work: secs(t.work),
        busy: secs(t.busy),
        idle: secs(t.idle),
        parallelism: t.parallelism().map(round),
        lock_wait: secs(t.lock_wait),
        by_kind: t
            .by_kind
            .iter()
            .map(|k| JKindTime {
                kind: k.kind.key(),
                steps: k.steps,
                seconds: secs(k.time),
            })
            .collect(),
        executed: t.executed,
        cached: t.cached,
        cache_hit_share: t.cache_hit_share().map(round),
    }
}

fn lock_wait(w: &LockWait) -> JLockWait {
    JLockWait {
        step: w.step,
        seconds: secs(w.wait),
        cache: w.cache.clone(),
        holder: w.holder,
    }
}

fn cache(a: &Analysis) -> Option<JCache> {
    let c = counts(a);
    let breaks = cache_breaks(a);
    let fully_cached = nothing_ran(&breaks);
    let stages = breaks.into_iter().map(|b| JCacheStage {
        stage: b.stage,
        steps: b.steps,
        hits: b.hits,
        broke_at: b.broke_at,
        ran_between_hits: b.ran_between_hits,
    });
    (c.cached > 0).then(|| JCache {
        hits: c.cached,
        steps: c.steps,
        fully_cached,
        stages: stages.collect(),
    })
}

fn vertex<'a>(c: &Clock, build: &'a Build, v: &'a Vertex) -> JVertex<'a> {
    let interval = |i: &Interval| JInterval {
        start: c.rel(i.start.best),
        end: i.end.map(|e| c.rel(e.best)),
        start_bounds: c.bounds(&i.start),
        end_bounds: i.end.as_ref().and_then(|e| c.bounds(e)),
    };
    // A failed vertex's last lines are its story.
    let tail = if v.state() == State::Failed {
        let lines = v.log.lines();
        let skip = lines.len().saturating_sub(20);
        lines[skip..].iter().map(|l| l.text.clone()).collect()
    } else {
        Vec::new()
    };
    JVertex {
        digest: build.digest(v.digest),
        name: v.name(),
        state: v.state(),
        cached: v.cached,
        error: v.error(),
        inputs: v.inputs.iter().map(|&d| build.digest(d)).collect(),
        intervals: v.intervals.iter().map(interval).collect(),
        progress_group: v.progress_group(),
        log: JLog {
            stdout_bytes: v.log.total_bytes()[0],
            stderr_bytes: v.log.total_bytes()[1],
            lines: v.log.total_newlines()[0] + v.log.total_newlines()[1],
            tail,
        },
    }
}

fn step<'a>(c: &Clock, s: &'a Step) -> JStep<'a> {
    let cache_mounts = s.parsed.instruction().map(|i| {
        let mounts = i.mounts().into_iter();
        mounts.filter(|m| m.is_cache()).collect()
    });
    JStep {
        id: s.id,
        name: s.name(),
        stage: s.stage.as_deref(),
        index: s.parsed.index().map(|(i, n)| [i, n]),
        state: s.state,
        start: s.start().map(|t| c.rel(t)),
        end: s.end().map(|t| c.rel(t)),
        start_bounds: s.start_estimate().and_then(|e| c.bounds(&e)),
        end_bounds: s.end_estimate().and_then(|e| c.bounds(&e)),
        active: secs(s.active()),
        vertexes: &s.vertexes,
        inputs: &s.inputs,
        error: s.error(),
        cache_mounts: cache_mounts.unwrap_or_default(),
        lock_wait: s.wait().map(|_| secs(s.lock_wait())),
        kind: s.kind().key(),
        transfers: s
            .progress()
            .iter()
            .map(|p| JTransfer {
                kind: p.transfer.key(),
                items: p.items,
                done: p.done,
                bytes: p.current,
                total: p.total,
                seconds: p.seconds().filter(|_| p.finished()).map(secs),
            })
            .collect(),
    }
}

fn stage(c: &Clock, s: &Stage) -> JStage {
    JStage {
        name: s.name.clone(),
        index: s.index,
        steps: s.steps.clone(),
        start: s.start().map(|t| c.rel(t)),
        end: s.end().map(|t| c.rel(t)),
        shares_steps_with: s.shares.as_ref().map(|(stage, n)| JShared {
            stage: stage.clone(),
            steps: *n,
        }),
    }
}

fn dependency(d: &Dependency) -> JDependency {
    JDependency {
        stage: d.stage.clone(),
        source: d.source.clone(),
        kind: d.kind,
        step: d.step,
        line: d.line,
        evidence: d.evidence.clone(),
    }
}

fn overlap(c: &Clock, o: &Overlap) -> JOverlap {
    let pair = |p: &StepPair| JPair {
        step: p.step,
        source_step: p.source_step,
        duration: secs(p.duration()),
        certainty: p.certainty,
    };
    JOverlap {
        stage: o.stage.clone(),
        source: o.source.clone(),
        kind: o.kind,
        via_step: o.via_step,
        duration: secs(o.duration),
        certainty: o.certainty,
        spans: o.spans.iter().map(|s| c.span(s)).collect(),
        certain_steps: o.certain_steps.clone(),
        pairs: o.pairs.iter().map(pair).collect(),
    }
}

fn stale(a: &Analysis, s: &StaleCache) -> JStale {
    JStale {
        kind: "stale-cache",
        cache_id: s.cache_id.clone(),
        reader: s.reader,
        reader_name: a.steps[s.reader].name().to_string(),
        writers: s.writers.clone(),
        writer_names: s
            .writers
            .iter()
            .map(|&w| a.steps[w].name().to_string())
            .collect(),
        writers_absent: crate::analysis::absent_names(&s.absent),
        failure: s.failure,
        explanation: s.explanation.clone(),
        fix: s.fix.clone(),
    }
}

fn hazard(a: &Analysis, h: &CacheHazard) -> JHazard {
    JHazard {
        kind: "unordered-cache",
        cache_id: h.cache_id.clone(),
        writer: h.writer.step,
        reader: h.reader.step,
        roles_known: h.roles_known,
        sharing: [
            h.writer.mount.sharing.clone(),
            h.reader.mount.sharing.clone(),
        ],
        race: h.race.key(),
        hits: [h.writer.step, h.reader.step]
            .into_iter()
            .filter(|&s| a.steps[s].state == crate::model::State::Cached)
            .collect(),
        first: h.first,
        first_name: h.first.map(|f| a.steps[f].name().to_string()),
        margin: h.margin.map(secs),
        explanation: h.explanation.clone(),
        fix: h.fix.clone(),
    }
}

/// Microsecond precision is plenty and keeps reports readable.
fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The report, pretty-printed into `w` as it is serialised (never whole in memory), and a newline.
pub fn write(
    w: &mut dyn std::io::Write,
    source: &str,
    build: &Build,
    a: &Analysis,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &report(source, build, a))?;
    w.write_all(b"\n")
}

pub fn render(source: &str, build: &Build, a: &Analysis) -> String {
    serde_json::to_string_pretty(&report(source, build, a))
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
