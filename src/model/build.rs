//! `Build`: everything a build's progress stream said, folded by vertex digest.

use std::sync::Arc;

use super::digests::{Digest, DigestId, Digests};
use super::event::{
    Event, EventKind, ExecTimes, LogChunk, ProgressGroup, RecordInfo, StatusUpdate, VertexUpdate,
    Warning,
};
use super::few::Few;
use super::interval::Interval;
use super::log::{LogRetention, VertexLog};
use super::proof::Proofs;
use super::step::{split_target, StepName};
use super::text::{bounded, clean, visible};
use super::time::{Estimate, Nanos};

pub type VertexId = usize;

/// No vertex (yet) for a digest: it was only named as an input.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Announced, not started (steps downstream of a failure stay here).
    Waiting,
    Running,
    Done,
    Cached,
    Failed,
    Cancelled,
}

impl State {
    /// Which state a group of steps shows (lowest first): failed, running, cancelled, waiting
    /// for a later step, done, cached.
    pub fn rank(self) -> u8 {
        match self {
            State::Failed => 0,
            State::Running => 1,
            State::Cancelled => 2,
            State::Waiting => 3,
            State::Done => 4,
            State::Cached => 5,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Running => "running",
            State::Done => "done",
            State::Cached => "cached",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    }
}

/// The newest report of one status (`transferring context:`, `resolve …`, `exporting layers`).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEntry {
    pub id: String,
    pub name: Option<String>,
    pub current: i64,
    pub total: Option<i64>,
    pub started: Option<Nanos>,
    pub completed: Option<Nanos>,
    /// It finished (rawjson: `completed` is set; a plain log: `… done`).
    pub done: bool,
    /// How long it took as a log printed it (a plain log's `3.7s`), where no clock says.
    pub elapsed: Option<Nanos>,
}

#[derive(Debug, Clone)]
pub struct Vertex {
    /// Its digest's number in the build ([`Build::digest`]).
    pub digest: DigestId,
    /// Its name as last sent, parsed ([`Vertex::name`] for the name itself).
    pub step: Arc<StepName>,
    /// Digests of the LLB inputs (some may never be announced), by number.
    pub inputs: Few<DigestId>,
    /// Every started/completed interval, in the order BuildKit reported them. Shared, so that a
    /// step of one vertex (most are) holds the same runs rather than a copy.
    pub intervals: Arc<[Interval]>,
    pub cached: bool,
    pub log: VertexLog,
    /// What few vertexes have, kept apart so that the many without it cost a pointer.
    rare: Option<Box<RareVertex>>,
}

/// A vertex's fields that most vertexes leave empty.
#[derive(Debug, Clone, Default)]
struct RareVertex {
    error: Option<String>,
    progress_group: Option<ProgressGroup>,
    statuses: Vec<StatusEntry>,
    /// The bake targets it was sent for (`[api deps 1/1]` and `[worker deps 1/1]`: one vertex
    /// both targets need), in the order seen.
    targets: Vec<String>,
    /// From a build record's trace: when its container was asked for and made.
    exec: Option<ExecTimes>,
}

impl Vertex {
    fn new(digest: DigestId) -> Self {
        Vertex {
            digest,
            step: Arc::new(StepName::parse("")),
            inputs: Few::Empty,
            intervals: Arc::new([]),
            cached: false,
            log: VertexLog::default(),
            rare: None,
        }
    }

    /// Its name as last sent (empty until one was).
    pub fn name(&self) -> &Arc<str> {
        self.step.full()
    }

    fn rare_mut(&mut self) -> &mut RareVertex {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Its error, when it failed or was cancelled.
    pub fn error(&self) -> Option<&str> {
        self.rare.as_ref()?.error.as_deref()
    }

    /// The progress group it belongs to (`COPY --link`'s two vertexes are one).
    pub fn progress_group(&self) -> Option<&ProgressGroup> {
        self.rare.as_ref()?.progress_group.as_ref()
    }

    /// The newest report of each of its statuses, in the order first seen.
    pub fn statuses(&self) -> &[StatusEntry] {
        self.rare.as_ref().map_or(&[], |r| &r.statuses)
    }

    /// The bake targets it was sent for, in the order seen; empty outside bake.
    pub fn targets(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| &r.targets)
    }

    /// From a build record's trace: when its container was asked for and made.
    pub fn exec(&self) -> Option<&ExecTimes> {
        self.rare.as_ref()?.exec.as_ref()
    }

    /// Takes the name an update sent: shown, never acted on, cut to a bound; a bake target
    /// prefix is taken off and kept among its targets.
    fn rename(&mut self, sent: &str) {
        let shown = visible(&bounded(sent, MAX_NAME)).into_owned();
        let (name, target) = split_target(&shown);
        if let Some(t) = target.filter(|t| !self.targets().contains(t)) {
            self.rare_mut().targets.push(t);
        }
        if *name != **self.name() {
            self.step = Arc::new(StepName::parse(&name));
        }
    }

    pub fn state(&self) -> State {
        if let Some(e) = self.error() {
            return if is_cancellation(e) {
                State::Cancelled
            } else {
                State::Failed
            };
        }
        if self.cached {
            return State::Cached;
        }
        match self.intervals.last() {
            None => State::Waiting,
            Some(i) if i.end.is_none() => State::Running,
            Some(_) => State::Done,
        }
    }
}

/// A progress group as kept: its id a bounded key, and its name, which names the step its vertexes
/// make (`COPY --link …`), shown like a vertex's name (cut, escapes visible, no bake target).
fn kept_group(g: ProgressGroup) -> ProgressGroup {
    let shown = visible(&bounded(&g.name, MAX_NAME)).into_owned();
    ProgressGroup {
        id: visible(&bounded(&g.id, MAX_KEY)).into_owned(),
        name: split_target(&shown).0.into_owned(),
        weak: g.weak,
    }
}

/// A vertex error that means "stopped because something else failed", not a failure of its own.
pub fn is_cancellation(error: &str) -> bool {
    let e = error.trim_end();
    e.ends_with("context canceled") || e.ends_with("canceled") || e == "cancelled"
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticKind {
    /// A line that is neither progress data nor recognised tool output.
    UnknownLine,
    /// Progress data that did not parse.
    BadData,
    /// The stream stopped in the middle of a line.
    Truncated,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    /// 1-based line of the input, when known.
    pub line: Option<u64>,
    pub message: String,
}

/// How many diagnostics are kept; beyond that only their number (a stream of random bytes must
/// not fill memory with complaints about it).
const MAX_DIAGNOSTICS: usize = 200;
/// Bounds on what a build's text may take: longer names and errors are cut (saying how long they
/// were), and past so many warnings, failure lines or statuses of one vertex the rest are only
/// counted ([`Build::text_dropped`]).
const MAX_NAME: usize = 4 << 10;
const MAX_ERROR: usize = 16 << 10;
const MAX_KEY: usize = 256;
const MAX_LINES: usize = 1_000;
const MAX_STATUSES: usize = 1_000;

#[derive(Debug, Clone, Default)]
pub struct Build {
    vertexes: Vec<Vertex>,
    digests: Digests,
    /// The vertex of each digest, by its number (`NONE` for a digest only seen as an input).
    vertex_of: Vec<u32>,
    pub warnings: Vec<Warning>,
    /// buildx's own `WARNING: …` lines.
    pub tool_warnings: Vec<String>,
    /// buildx's failure text (`Dockerfile:N`, the framed snippet, `ERROR: …`), in order.
    pub error_text: Vec<String>,
    diagnostics: Vec<Diagnostic>,
    diagnostics_dropped: u64,
    text_dropped: u64,
    retention: LogRetention,
    first_time: Option<Nanos>,
    last_time: Option<Nanos>,
    ended: Option<bool>,
    cut: Option<u64>,
    in_error_block: bool,
    in_warning_list: bool,
    proofs: Option<Arc<Proofs>>,
    /// What its build record said of it (read from a `.dockerbuild`).
    pub record: Option<Box<RecordInfo>>,
}

impl Build {
    pub fn new(retention: LogRetention) -> Self {
        Build {
            retention,
            ..Default::default()
        }
    }

    /// Reading is over: the spare room kept for more vertexes goes back (a tenth of a huge
    /// build's memory).
    pub fn settle(&mut self) {
        self.vertexes.shrink_to_fit();
        self.digests.settle();
        self.vertex_of.shrink_to_fit();
    }

    pub fn vertexes(&self) -> &[Vertex] {
        &self.vertexes
    }

    pub fn vertex(&self, id: VertexId) -> &Vertex {
        &self.vertexes[id]
    }

    pub fn find(&self, digest: &str) -> Option<VertexId> {
        let id = self.digests.find(&bounded(digest, MAX_KEY))?;
        self.vertex_with(id)
    }

    /// The vertex whose digest has this number, if it was announced.
    pub fn vertex_with(&self, digest: DigestId) -> Option<VertexId> {
        let v = *self.vertex_of.get(digest as usize)?;
        (v != NONE).then_some(v as VertexId)
    }

    /// A digest, by its number.
    pub fn digest(&self, id: DigestId) -> &Digest {
        self.digests.get(id)
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Diagnostics not kept because there were too many.
    pub fn diagnostics_dropped(&self) -> u64 {
        self.diagnostics_dropped
    }

    /// Warnings, failure-text lines and statuses not kept because there were too many.
    pub fn text_dropped(&self) -> u64 {
        self.text_dropped
    }

    /// Earliest and latest instant any event reported.
    pub fn time_range(&self) -> Option<(Nanos, Nanos)> {
        Some((self.first_time?, self.last_time?))
    }

    /// What a reconstructed timeline proves (plain logs); `None` when every time is exact.
    pub fn proofs(&self) -> Option<&Proofs> {
        self.proofs.as_deref()
    }

    /// Whether the times are estimates reconstructed from a plain log.
    pub fn is_estimated(&self) -> bool {
        self.proofs.is_some()
    }

    /// Whether times are clock times (rawjson, a live build) rather than offsets from an unknown
    /// start (a saved plain log).
    pub fn has_clock(&self) -> bool {
        self.proofs.as_ref().is_none_or(|p| p.absolute)
    }

    /// `Some(complete)` once the stream has ended.
    pub fn ended(&self) -> Option<bool> {
        self.ended
    }

    /// Whether the recorded build failed: a vertex failed, or buildx or the docker CLI said so
    /// (not only that it was cancelled: `ERROR: failed to solve: Canceled: context canceled`).
    pub fn failed(&self) -> bool {
        self.vertexes.iter().any(|v| v.state() == State::Failed)
            || self
                .error_text
                .iter()
                .any(|l| is_fatal(l) && !says_cancelled(l))
    }

    /// Whether the build was interrupted: the docker CLI or buildx said `context canceled` (or
    /// `canceled`), and no step failed.
    pub fn cancelled(&self) -> bool {
        !self.failed() && self.error_text.iter().any(|l| says_cancelled(l))
    }

    /// Where a pasted log was cut by whoever pasted it (its last line, `...` or `<skipped>`).
    pub fn cut(&self) -> Option<u64> {
        self.cut
    }

    /// The build's own error message: buildx's `ERROR:` line, else the first failed vertex's error.
    pub fn error_message(&self) -> Option<String> {
        if let Some(l) = self.error_text.iter().rev().find(|l| is_fatal(l)) {
            return Some(l.clone());
        }
        self.vertexes
            .iter()
            .find(|v| v.state() == State::Failed)
            .and_then(|v| v.error().map(str::to_string))
    }

    pub fn apply(&mut self, event: Event) {
        match event.kind {
            EventKind::Vertex(u) => self.apply_vertex(u),
            EventKind::Status(s) => self.apply_status(s),
            EventKind::Log(l) => self.apply_log(l),
            EventKind::Record(r) => self.record = Some(bounded_record(*r)),
            EventKind::Exec(x) => {
                if let Some(id) = self.find(&x.vertex) {
                    self.vertexes[id].rare_mut().exec = Some(x.times);
                }
            }
            EventKind::Warning(w) => {
                let w = Warning {
                    short: clean(&bounded(&w.short, MAX_NAME)),
                    detail: w
                        .detail
                        .iter()
                        .take(100)
                        .map(|d| clean(&bounded(d, MAX_NAME)))
                        .collect(),
                    url: w.url.as_deref().map(|u| clean(&bounded(u, MAX_NAME))),
                    ..w
                };
                if self.warnings.len() < MAX_LINES {
                    self.warnings.push(w);
                } else {
                    self.drop_text();
                }
            }
            EventKind::Proofs(p) => self.proofs = Some(p),
            EventKind::Text(t) => self.apply_text(t.line, t.text),
            EventKind::Unreadable {
                line,
                message,
                excerpt,
            } => self.diagnose(Diagnostic {
                kind: DiagnosticKind::BadData,
                line: Some(line).filter(|&l| l > 0),
                message: if excerpt.is_empty() {
                    message
                } else {
                    format!("{message}: {excerpt}")
                },
            }),
            EventKind::Cut { line, marker } => {
                self.diagnose(Diagnostic {
                    kind: DiagnosticKind::Truncated,
                    line: Some(line),
                    message: format!(
                        "the paste ends with {:?}: it was cut before the build's end",
                        clean(&bounded(&marker, 40))
                    ),
                });
                self.cut = Some(line);
            }
            EventKind::End { complete } => {
                if !complete {
                    self.diagnose(Diagnostic {
                        kind: DiagnosticKind::Truncated,
                        line: None,
                        message: "the log ends in the middle of a line (truncated?)".into(),
                    });
                }
                self.ended = Some(complete);
            }
        }
    }

    fn diagnose(&mut self, mut d: Diagnostic) {
        d.message = clean(&d.message);
        if self.diagnostics.len() < MAX_DIAGNOSTICS {
            self.diagnostics.push(d);
        } else {
            self.diagnostics_dropped += 1;
        }
    }

    fn see_time(&mut self, t: Option<Nanos>) {
        if let Some(t) = t {
            self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
            self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
        }
    }

    fn id_for(&mut self, digest: &str) -> VertexId {
        let digest = self.digest_of(digest);
        if let Some(id) = self.vertex_with(digest) {
            return id;
        }
        let id = self.vertexes.len();
        self.vertexes.push(Vertex::new(digest));
        self.vertex_of[digest as usize] = id as u32;
        id
    }

    /// A digest's number, given it one if it is new.
    fn digest_of(&mut self, digest: &str) -> DigestId {
        let id = self.digests.intern(&bounded(digest, MAX_KEY));
        if id as usize == self.vertex_of.len() {
            self.vertex_of.push(NONE);
        }
        id
    }

    fn apply_vertex(&mut self, u: VertexUpdate) {
        self.see_time(u.started);
        self.see_time(u.completed);
        let id = self.id_for(&u.digest);
        let v = &mut self.vertexes[id];
        if let Some(name) = u.name.filter(|n| !n.is_empty()) {
            v.rename(&name);
        }
        if !u.inputs.is_empty() {
            let inputs: Vec<DigestId> = u.inputs.iter().map(|i| self.digest_of(i)).collect();
            self.vertexes[id].inputs = inputs.into();
        }
        let v = &mut self.vertexes[id];
        v.cached |= u.cached;
        if let Some(e) = u.error {
            v.rare_mut().error = Some(visible(&bounded(&e, MAX_ERROR)).into_owned());
        }
        if let Some(g) = u.progress_group {
            v.rare_mut().progress_group = Some(kept_group(g));
        }
        if let Some(runs) = u.estimated {
            for i in &runs {
                self.see_time(Some(i.start.best));
                self.see_time(i.end.map(|e| e.best));
            }
            self.vertexes[id].intervals = runs.into();
            return;
        }
        let times = (u.started, u.completed, u.cached);
        let (started, end) = self.checked_times(id, times, u.bad_time.as_deref());
        if let Some(start) = started {
            let v = &mut self.vertexes[id];
            v.intervals = with_run(&v.intervals, start, end).into();
        }
    }

    /// The start and end of the run an update reports (`started`, `completed`, `cached`).
    ///
    /// What cannot be right is told as a diagnostic: a time that is not one (`bad`, left out),
    /// or a completion before the start (taken as ending at the start).
    ///
    /// A cache hit, or a run whose start was left out, may come with a completion and no start.
    /// When the vertex has no run yet, it is then an instant at its completion: it was resolved
    /// (or it ran), so it must not show as a step that never started.
    fn checked_times(
        &mut self,
        id: VertexId,
        (started, completed, cached): (Option<Nanos>, Option<Nanos>, bool),
        bad: Option<&str>,
    ) -> (Option<Nanos>, Option<Nanos>) {
        let name = self.vertexes[id].name();
        let mut said = bad.map(|t| format!("`{name}`: the time `{t}` cannot be right; left out"));
        let mut end = completed;
        if let (Some(s), Some(e)) = (started, completed) {
            if e < s {
                said = Some(format!(
                    "`{name}`: completed before it started; taken as ending when it started"
                ));
                end = Some(s);
            }
        }
        let instant = (cached || bad.is_some()) && self.vertexes[id].intervals.is_empty();
        let started = started.or(completed.filter(|_| instant));
        if let Some(message) = said {
            self.diagnose(Diagnostic {
                kind: DiagnosticKind::BadData,
                line: None,
                message,
            });
        }
        (started, end)
    }

    fn apply_status(&mut self, s: StatusUpdate) {
        self.see_time(s.timestamp);
        let Some(vertex) = s.vertex.as_deref().filter(|d| !d.is_empty()) else {
            return;
        };
        let id = self.id_for(vertex);
        let entry = StatusEntry {
            id: visible(&bounded(&s.id, MAX_KEY)).into_owned(),
            name: s.name.map(|n| visible(&bounded(&n, MAX_KEY)).into_owned()),
            current: s.current,
            total: s.total,
            started: s.started,
            done: s.done || s.completed.is_some(),
            completed: s.completed,
            elapsed: s.elapsed,
        };
        let statuses = &mut self.vertexes[id].rare_mut().statuses;
        match statuses.iter().position(|e| e.id == entry.id) {
            Some(i) => statuses[i] = entry,
            None if statuses.len() < MAX_STATUSES => statuses.push(entry),
            None => self.drop_text(),
        }
    }

    fn apply_log(&mut self, l: LogChunk) {
        self.see_time(l.timestamp);
        let id = self.id_for(&l.vertex);
        let keep = self.retention.bytes_per_vertex;
        self.vertexes[id].log.append(l.stream, &l.data, keep);
    }

    /// Sorts buildx's own lines: `WARNING:` notes, the failure block (from `Dockerfile:N` or the
    /// first `----` frame through `ERROR:`), and anything else, which becomes a diagnostic.
    fn apply_text(&mut self, line: u64, text: String) {
        let text = clean(&text);
        let t = text.trim_end();
        if t.trim().is_empty() {
            return;
        }
        let starts_block =
            is_dockerfile_ref(t) || t.starts_with("-----") || is_fatal(t) || is_cancellation(t);
        // buildx's lint summary: `3 warnings found (use docker --debug to expand):`, then ` - …`.
        let summary = t.trim_start().split_once(' ').is_some_and(|(n, rest)| {
            n.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with("warning")
        });
        if summary {
            self.in_warning_list = true;
            self.keep_warning(t);
        } else if (self.in_warning_list && t.starts_with(" - "))
            || t.starts_with("WARNING:")
            || t.starts_with("WARN:")
            || is_session_log(t)
        {
            self.keep_warning(t);
        } else if self.in_error_block || starts_block {
            self.in_error_block = true;
            self.keep_error_line(t);
        } else {
            self.diagnose(Diagnostic {
                kind: DiagnosticKind::UnknownLine,
                line: Some(line),
                message: format!("not progress data: {}", excerpt(t, 200)),
            });
        }
    }
}

impl Build {
    /// Counts a warning, failure line or status not kept; the first one says so.
    fn drop_text(&mut self) {
        self.text_dropped += 1;
        if self.text_dropped == 1 {
            self.diagnose(Diagnostic {
                kind: DiagnosticKind::BadData,
                line: None,
                message: format!(
                    "over {MAX_LINES} warnings, failure lines or statuses of one step: the rest are counted, not kept"
                ),
            });
        }
    }

    fn keep_warning(&mut self, t: &str) {
        if self.tool_warnings.len() < MAX_LINES {
            self.tool_warnings.push(t.to_string());
        } else {
            self.drop_text();
        }
    }

    /// Keeps the first and the last lines of the failure text (its `ERROR:` comes last), up to
    /// [`MAX_LINES`], dropping from the middle.
    fn keep_error_line(&mut self, t: &str) {
        if self.error_text.len() >= MAX_LINES {
            self.error_text.remove(MAX_LINES / 2);
            self.drop_text();
        }
        self.error_text.push(bounded(t, MAX_ERROR).into_owned());
    }
}

/// A vertex's runs after an update of the run that started at `start`: re-sends of the same run
/// carry the same start; a new start is a new interval, and a run it supersedes (its end never
/// sent) ended where the new one began.
fn with_run(runs: &[Interval], start: Nanos, end: Option<Nanos>) -> Vec<Interval> {
    let mut runs = runs.to_vec();
    match runs.iter_mut().rev().find(|i| i.start.best == start) {
        Some(i) => {
            if end.is_some() {
                i.end = end.map(Estimate::exact);
            }
        }
        None => {
            if let Some(open) = runs.last_mut().filter(|i| i.end.is_none()) {
                if open.start.best <= start {
                    open.end = Some(Estimate::exact(start));
                }
            }
            runs.push(Interval::exact(start, end))
        }
    }
    runs
}

/// A line that says the build was cancelled (`ERROR: failed to solve: Canceled: context
/// canceled`, even with a paste's next line glued on).
fn says_cancelled(t: &str) -> bool {
    is_cancellation(t) || t.contains("Canceled: context canceled")
}

/// buildx's log of its own session, not the build's outcome: `ERROR: (*service).Write failed:
/// rpc error: … ref layer-sha256:… locked for …` while a cache export writes to its content
/// store (a retry: the build can still pass), `INFO: failed to resume the status from path …`.
/// Whether the build failed is said by its final `ERROR: failed to build`/`failed to solve` line
/// and its steps.
fn is_session_log(t: &str) -> bool {
    let t = t.trim_start();
    t.starts_with("INFO:")
        || t.strip_prefix("ERROR: (*")
            .and_then(|r| r.split_once(')'))
            .is_some_and(|(recv, rest)| !recv.contains(' ') && rest.starts_with('.'))
}

/// A line with which buildx or the docker CLI says the build failed: buildx's `ERROR: …`, the
/// classic CLI's `failed to solve with frontend dockerfile.v0: …` (a Dockerfile it cannot parse)
/// or `executor failed running …`.
fn is_fatal(t: &str) -> bool {
    let t = t.trim_start();
    if is_session_log(t) {
        return false;
    }
    [
        "ERROR",
        "error: ",
        "failed to solve",
        "executor failed running",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

fn is_dockerfile_ref(t: &str) -> bool {
    // `Dockerfile:20`, `Dockerfile.dev:3`, `path/to/Dockerfile:7`
    match t.rsplit_once(':') {
        Some((file, n)) => {
            !file.is_empty()
                && !file.contains(' ')
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// The first `max` characters of `s`, with a note of what was cut.
pub fn excerpt(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… ({} bytes in all)", &s[..i], s.len()),
    }
}

/// A record's facts, each string and the number of build arguments bounded.
fn bounded_record(r: RecordInfo) -> Box<RecordInfo> {
    Box::new(r.shown())
}

impl RecordInfo {
    /// As it may be kept and shown: each text cut to a name's bound, escape sequences stripped and
    /// control characters shown, at most as many build arguments as a step's statuses.
    pub fn shown(self) -> RecordInfo {
        let b = |s: String| clean(&bounded(&s, MAX_NAME));
        let o = |s: Option<String>| s.map(b);
        RecordInfo {
            reference: b(self.reference),
            name: o(self.name),
            target: o(self.target),
            dockerfile: o(self.dockerfile),
            build_args: self
                .build_args
                .into_iter()
                .take(MAX_STATUSES)
                .map(|(k, v)| (b(k), b(v)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, VertexUpdate};

    fn update(started: Option<Nanos>, completed: Option<Nanos>) -> Event {
        Event {
            arrived: 0,
            kind: EventKind::Vertex(VertexUpdate {
                digest: "sha256:1".into(),
                name: Some("[a 1/1] RUN x".into()),
                started,
                completed,
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_run_superseded_by_a_new_start_ends_where_the_next_began() {
        let mut b = Build::new(LogRetention::default());
        b.apply(update(Some(100), None));
        b.apply(update(Some(500), None));
        b.apply(update(Some(500), Some(900)));
        let v = b.vertex(0);
        assert_eq!(v.intervals.len(), 2);
        assert_eq!(v.intervals[0].end.map(|e| e.best), Some(500));
        assert_eq!(v.intervals[1].end.map(|e| e.best), Some(900));
        assert_eq!(v.state(), State::Done);
    }

    #[test]
    fn a_cache_hit_without_a_start_is_an_instant_at_its_completion() {
        let mut b = Build::new(LogRetention::default());
        let mut e = update(None, Some(700));
        if let EventKind::Vertex(v) = &mut e.kind {
            v.cached = true;
        }
        b.apply(e);
        let v = b.vertex(0);
        assert_eq!(v.state(), State::Cached);
        assert_eq!(v.intervals.len(), 1);
        assert_eq!(v.intervals[0].start.best, 700);
    }

    #[test]
    fn control_characters_in_names_and_errors_are_shown_not_sent() {
        let mut b = Build::new(LogRetention::default());
        let mut e = update(Some(1), Some(2));
        if let EventKind::Vertex(v) = &mut e.kind {
            v.name = Some("[a 1/1] RUN \u{1b}]0;x\u{7}".into());
            v.error = Some("boom\u{1b}[2J".into());
        }
        b.apply(e);
        let v = b.vertex(0);
        assert_eq!(&**v.name(), "[a 1/1] RUN ^[]0;x^G");
        assert_eq!(v.error(), Some("boom^[[2J"));
    }
}
