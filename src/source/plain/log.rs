//! What a plain log says, line by line: the vertexes (`#N`), their runs, completions, log lines
//! and statuses, each with its place in print order — the facts the timeline is reconstructed
//! from (see [`super::timeline`]).

use std::collections::HashMap;

use crate::model::{
    parse_size, strip_ansi, EventKind, LogChunk, Nanos, StatusUpdate, TextLine, Warning,
};

/// Longest line kept whole; longer ones are cut (a plain log line is never legitimately this long).
pub(super) const MAX_LINE: usize = 64 << 10;
/// Log text kept per vertex for a saved log (the rest is counted, not kept).
pub(super) const MAX_KEPT_LOG: usize = 4 << 20;

/// How a vertex's last completion line ended it.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// `DONE 1.2s`: the printer's sum of the vertex's active time so far, when it printed one.
    Done(Option<Nanos>),
    Cached,
    Canceled,
    Error(String),
}

/// A completion line.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub seq: u64,
    pub finish: Finish,
    pub arrival: Option<Nanos>,
}

/// A log line's timing: `offset` since its run began, printed to ± `half`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogMark {
    pub seq: u64,
    pub offset: Nanos,
    pub half: Nanos,
    pub arrival: Option<Nanos>,
}

/// One run of a vertex: what was printed between two of its completion lines.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub first_seq: u64,
    pub first_arrival: Option<Nanos>,
    pub end: Option<Completion>,
    pub logs: Vec<LogMark>,
    /// Status lines: the run had started when they were printed.
    pub busy: Vec<(u64, Option<Nanos>)>,
    /// Log text (saved logs only), with each line's offset.
    pub text: Vec<(Nanos, String)>,
    /// Clock times BuildKit ≤ v0.5 printed (`started:` / `completed:`), as Unix nanoseconds.
    pub clock: (Option<Nanos>, Option<Nanos>),
}

#[derive(Debug, Clone)]
pub struct PlainVertex {
    /// The printer's number (`#N`).
    pub number: u32,
    /// Its key in the model: the digest when the log shows one, else `plain#N`.
    pub key: String,
    pub name: String,
    pub runs: Vec<Run>,
    pub kept_log: usize,
    pub dropped_log: u64,
    /// Where its header was first printed: the printer prints a vertex once it has started.
    pub header_seq: Option<u64>,
    /// The same vertex's name as sent for other bake targets (`[backend builder 1/10] …` after
    /// `[agent builder 1/10] …`: one vertex the targets share).
    pub other_names: Vec<String>,
    /// The newest line of each of its statuses (`sha256:… 2.10MB / 24.00MB 0.5s`), with where
    /// it was printed; up to [`MAX_STATUSES`].
    pub statuses: Vec<(u64, StatusUpdate)>,
}

/// Statuses kept per vertex (the model keeps as many).
const MAX_STATUSES: usize = 1_000;

impl PlainVertex {
    pub fn finish(&self) -> Option<&Finish> {
        self.runs.last()?.end.as_ref().map(|c| &c.finish)
    }
}

/// Everything a plain log said that bears on the timeline, in print order.
#[derive(Debug, Default)]
pub struct PlainLog {
    pub vertexes: Vec<PlainVertex>,
    by_number: HashMap<u32, usize>,
    /// How many vertexes each number has had (a second build in one output reuses numbers).
    generations: HashMap<u32, usize>,
    /// Completion lines in print order: (seq, vertex, run).
    pub completions: Vec<(u64, usize, usize)>,
    /// The vertex whose block is being printed, and whether its header line has been seen.
    block: Option<u32>,
    seq: u64,
    /// Keep log text for emitting later (saved logs) or not (live: emitted on arrival).
    keep_text: bool,
    /// The earliest clock time the log printed (BuildKit ≤ v0.5 prints `started:` times).
    pub clock_origin: Option<Nanos>,
    /// Statuses read since [`PlainLog::take_statuses`] last took them (live builds).
    fresh: Vec<StatusUpdate>,
}

/// What one line means for the events emitted right away.
pub enum Immediate {
    None,
    /// Something the timeline depends on changed.
    Structure,
    /// The timeline changed through a completion (worth re-solving at once when live).
    Completed,
    Event(Box<EventKind>),
}

impl PlainLog {
    pub fn new(keep_text: bool) -> Self {
        PlainLog {
            keep_text,
            ..Default::default()
        }
    }

    fn vertex_for(&mut self, n: u32, name: Option<&str>) -> usize {
        if let Some(&i) = self.by_number.get(&n) {
            match name {
                // The same step sent for another bake target: the vertex they share.
                Some(name) if same_step_other_target(&self.vertexes[i].name, name) => {
                    let v = &mut self.vertexes[i];
                    if !v.other_names.iter().any(|o| o == name) && v.other_names.len() < 64 {
                        v.other_names.push(name.to_string());
                    }
                    return i;
                }
                // The same number with another name: a second build in the same output.
                Some(name)
                    if !self.vertexes[i].name.is_empty() && self.vertexes[i].name != name => {}
                Some(name) => {
                    if self.vertexes[i].name.is_empty() {
                        self.vertexes[i].name = name.to_string();
                    }
                    return i;
                }
                None => return i,
            }
        }
        let i = self.vertexes.len();
        let seen = self.generations.entry(n).or_default();
        let generation = *seen;
        *seen += 1;
        let key = if generation == 0 {
            format!("plain#{n}")
        } else {
            format!("plain#{n}.{generation}")
        };
        self.vertexes.push(PlainVertex {
            number: n,
            key,
            name: name.unwrap_or_default().to_string(),
            runs: Vec::new(),
            kept_log: 0,
            dropped_log: 0,
            header_seq: None,
            other_names: Vec::new(),
            statuses: Vec::new(),
        });
        self.by_number.insert(n, i);
        i
    }

    /// The run a line of vertex `v` belongs to: the open one, or a new one after a completion.
    fn run_for(&mut self, v: usize, seq: u64, arrival: Option<Nanos>) -> usize {
        let runs = &mut self.vertexes[v].runs;
        // A vertex with clock times (BuildKit ≤ v0.5) runs from each `started:` to its
        // `completed:`; its other lines belong to the run they follow.
        let clocked = runs.iter().any(|r| r.clock.0.is_some());
        if runs.last().is_none_or(|r| r.end.is_some()) && !clocked {
            runs.push(Run {
                first_seq: seq,
                first_arrival: arrival,
                ..Default::default()
            });
        }
        runs.len() - 1
    }

    /// Takes one line (without its newline). `arrival` is when it arrived, for live builds.
    pub fn push(&mut self, raw: &str, arrival: Option<Nanos>) -> (u64, Immediate) {
        self.push_at(raw, arrival, None)
    }

    /// [`Self::push`] for a line that began on input line `line` (a paste's lines are numbered
    /// as in the file, whatever was joined or dropped).
    pub fn push_at(
        &mut self,
        raw: &str,
        arrival: Option<Nanos>,
        line: Option<u64>,
    ) -> (u64, Immediate) {
        self.seq += 1;
        let seq = self.seq;
        let line_no = line.unwrap_or(seq);
        let text = strip_ansi(raw);
        let line = text.trim_end_matches(['\r', '\n']);
        let Some((n, rest)) = split_number(line) else {
            if line.trim().is_empty() {
                self.block = None;
                return (seq, Immediate::None);
            }
            self.block = None;
            return (
                seq,
                Immediate::Event(Box::new(EventKind::Text(TextLine {
                    line: line_no,
                    text: line.to_string(),
                }))),
            );
        };
        if n == 0 {
            // `#0 building with "NAME" instance using DRIVER driver`: which builder, not a vertex.
            self.block = Some(0);
            return (seq, Immediate::None);
        }
        let header = self.block != Some(n);
        self.block = Some(n);
        let kind = classify(rest);
        if header && matches!(kind, Kind::Status) {
            let v = self.vertex_for(n, Some(rest));
            if self.vertexes[v].runs.is_empty() {
                self.vertexes[v].header_seq.get_or_insert(seq);
            }
            // A header re-printed after a completion opens a run (a vertex that ran again).
            if self.vertexes[v]
                .runs
                .last()
                .is_some_and(|r| r.end.is_some())
            {
                self.run_for(v, seq, arrival);
            }
            return (seq, Immediate::Structure);
        }
        let v = self.vertex_for(n, None);
        match kind {
            Kind::Switch => (seq, Immediate::None),
            Kind::Detail(key, value) => self.detail(v, seq, key, value),
            Kind::Digest(d) => {
                // A saved log is emitted after it is read: its vertexes can be keyed by digest.
                // A live one has already been announced under `plain#N`, which stays.
                let d = d.to_string();
                if self.keep_text && !self.vertexes.iter().any(|x| x.key == d) {
                    self.vertexes[v].key = d;
                }
                (seq, Immediate::Structure)
            }
            Kind::Warn(msg) => {
                let key = self.vertexes[v].key.clone();
                (
                    seq,
                    Immediate::Event(Box::new(EventKind::Warning(Warning {
                        vertex: Some(key),
                        level: 1,
                        short: msg.to_string(),
                        detail: Vec::new(),
                        url: None,
                        file: None,
                        line: None,
                    }))),
                )
            }
            Kind::Status => {
                let r = self.run_for(v, seq, arrival);
                self.vertexes[v].runs[r].busy.push((seq, arrival));
                self.status(v, seq, rest, arrival);
                (seq, Immediate::Structure)
            }
            Kind::Log { offset, half, text } => {
                let r = self.run_for(v, seq, arrival);
                let keep = self.keep_text;
                let vx = &mut self.vertexes[v];
                let run = &mut vx.runs[r];
                // Only the latest offset per run matters until a completion intervenes; keep
                // every mark anyway (they are small) but skip exact repeats of the last one.
                if run.logs.last().is_none_or(|m| m.offset != offset) {
                    run.logs.push(LogMark {
                        seq,
                        offset,
                        half,
                        arrival,
                    });
                }
                if keep {
                    if vx.kept_log + text.len() <= MAX_KEPT_LOG {
                        vx.kept_log += text.len() + 1;
                        vx.runs[r].text.push((offset, text.to_string()));
                    } else {
                        vx.dropped_log += 1;
                    }
                    (seq, Immediate::Structure)
                } else {
                    let key = vx.key.clone();
                    let mut data = text.as_bytes().to_vec();
                    data.push(b'\n');
                    (
                        seq,
                        Immediate::Event(Box::new(EventKind::Log(LogChunk {
                            vertex: key,
                            stream: 1,
                            data,
                            timestamp: arrival,
                        }))),
                    )
                }
            }
            Kind::Finish(finish) => {
                let r = self.run_for(v, seq, arrival);
                self.vertexes[v].runs[r].end = Some(Completion {
                    seq,
                    finish,
                    arrival,
                });
                self.completions.push((seq, v, r));
                self.block = None;
                (seq, Immediate::Completed)
            }
        }
    }

    /// Keeps a status line's facts (the newest per status) for the model.
    fn status(&mut self, v: usize, seq: u64, rest: &str, arrival: Option<Nanos>) {
        let Some(mut update) = status_line(rest) else {
            return;
        };
        update.vertex = Some(self.vertexes[v].key.clone());
        update.timestamp = arrival;
        if !self.keep_text {
            self.fresh.push(update.clone());
        }
        let statuses = &mut self.vertexes[v].statuses;
        match statuses.iter().position(|(_, s)| s.id == update.id) {
            Some(i) => statuses[i] = (seq, update),
            None if statuses.len() < MAX_STATUSES => statuses.push((seq, update)),
            None => {}
        }
    }

    /// The statuses read since last asked (a live build emits them as they come).
    pub fn take_statuses(&mut self) -> Vec<StatusUpdate> {
        std::mem::take(&mut self.fresh)
    }

    /// A line of BuildKit ≤ v0.5's block: `name: "…"`, `started: <time>`, `completed: <time>`,
    /// `cached: true`, `error: "…"` (`digest:` as the newer `#N sha256:` line; `duration:` says
    /// nothing more).
    fn detail(&mut self, v: usize, seq: u64, key: &str, value: &str) -> (u64, Immediate) {
        match key {
            "name" => {
                let name = unquote(value);
                if !name.is_empty() {
                    self.vertexes[v].name = name;
                }
            }
            "digest" => {
                let d = value.to_string();
                if self.keep_text && !self.vertexes.iter().any(|x| x.key == d) {
                    self.vertexes[v].key = d;
                }
            }
            "started" => {
                let Some(t) = go_time(value) else {
                    return (seq, Immediate::None);
                };
                self.clock_origin = Some(self.clock_origin.map_or(t, |o| o.min(t)));
                let runs = &mut self.vertexes[v].runs;
                match runs
                    .last_mut()
                    .filter(|r| r.end.is_none() && r.clock.0.is_none())
                {
                    Some(open) => open.clock.0 = Some(t),
                    None => runs.push(Run {
                        first_seq: seq,
                        clock: (Some(t), None),
                        ..Default::default()
                    }),
                }
            }
            "completed" => return self.completed(v, seq, go_time(value)),
            "cached" | "error" => {
                let finish = match key {
                    "cached" if value == "true" => Finish::Cached,
                    "error" if unquote(value).ends_with("context canceled") => Finish::Canceled,
                    "error" => Finish::Error(unquote(value)),
                    _ => return (seq, Immediate::None),
                };
                let last = self.vertexes[v].runs.last_mut();
                if let Some(end) = last.and_then(|r| r.end.as_mut()) {
                    end.finish = finish;
                }
            }
            _ => return (seq, Immediate::None),
        }
        (seq, Immediate::Structure)
    }

    /// `completed: <time>` ends the vertex's open run.
    fn completed(&mut self, v: usize, seq: u64, at: Option<Nanos>) -> (u64, Immediate) {
        let runs = &mut self.vertexes[v].runs;
        let Some(r) = runs.iter().rposition(|r| r.end.is_none()) else {
            return (seq, Immediate::None);
        };
        runs[r].clock.1 = at;
        runs[r].end = Some(Completion {
            seq,
            finish: Finish::Done(None),
            arrival: None,
        });
        self.completions.push((seq, v, r));
        (seq, Immediate::Completed)
    }

    /// Ends the open run of vertex `v` where a step that waited for it began (`seq`): it had
    /// finished, whatever the printer said (see [`super::timeline::finished_inputs`]). No
    /// completion line was printed, so print order says nothing of it.
    pub fn finished_by(&mut self, v: usize, seq: u64) {
        if let Some(run) = self.vertexes[v].runs.last_mut().filter(|r| r.end.is_none()) {
            run.end = Some(Completion {
                seq,
                finish: Finish::Done(None),
                arrival: None,
            });
        }
    }

    /// Forgets a run opened by a re-printed header after the last completion when the log ended
    /// without another one: late output of a finished vertex, not a new run.
    pub fn close(&mut self) {
        let saved = self.keep_text;
        for v in &mut self.vertexes {
            // A saved log that ends with a vertex printed and never finished: it had started
            // (the printer prints a vertex once it starts) and the log ends before it did.
            if let (true, true, Some(h)) = (saved, v.runs.is_empty(), v.header_seq) {
                v.runs.push(Run {
                    first_seq: h,
                    busy: vec![(h, None)],
                    ..Default::default()
                });
            }
            let trailing = v.runs.len() > 1
                && v.runs
                    .last()
                    .is_some_and(|r| r.end.is_none() && r.logs.is_empty() && r.busy.is_empty());
            if trailing {
                v.runs.pop();
            }
        }
    }
}

enum Kind<'a> {
    Switch,
    /// BuildKit ≤ v0.5's `     started: 2019-03-22 19:46:01.06 +0000 UTC` (key, value).
    Detail(&'a str, &'a str),
    Digest(&'a str),
    Warn(&'a str),
    Status,
    Log {
        offset: Nanos,
        half: Nanos,
        text: &'a str,
    },
    Finish(Finish),
}

impl PlainLog {
    /// The printer's numbers the log lacks, as ranges, where it can tell: BuildKit ≥ v0.9 numbers
    /// the vertexes it shows 1, 2, 3… in the order it first shows them, so a number that never
    /// shows is a vertex left out of the paste (older printers number vertexes as they are
    /// announced, shown or not: nothing is said of theirs).
    pub fn missing_numbers(&self) -> Vec<(u32, u32)> {
        let old = self.clock_origin.is_some()
            || self.vertexes.iter().any(|v| v.key.starts_with("sha256:"));
        let firsts: Vec<u32> = self.vertexes.iter().map(|v| v.number).collect();
        if old || firsts.is_empty() || !firsts.windows(2).all(|w| w[0] < w[1]) {
            return Vec::new();
        }
        let mut gaps = Vec::new();
        let mut expected = 1;
        for n in firsts {
            if n > expected {
                gaps.push((expected, n - 1));
            }
            expected = n + 1;
        }
        gaps
    }
}

/// Whether two names are one step sent for two bake targets (`[agent builder 1/10] FROM x`,
/// `[backend builder 1/10] FROM x`). A target's own steps (`[api] exporting to image`) are
/// never shared.
fn same_step_other_target(a: &str, b: &str) -> bool {
    use crate::model::split_target;
    let ((a, ta), (b, tb)) = (split_target(a), split_target(b));
    ta.is_some() && tb.is_some() && ta != tb && a == b
}

/// `#12 rest` → (12, "rest").
fn split_number(line: &str) -> Option<(u32, &str)> {
    let rest = line.strip_prefix('#')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let n = rest[..digits].parse().ok()?;
    let after = &rest[digits..];
    if after.is_empty() {
        return Some((n, ""));
    }
    Some((n, after.strip_prefix(' ')?))
}

fn classify(rest: &str) -> Kind<'_> {
    if rest == "..." {
        return Kind::Switch;
    }
    if let Some(detail) = old_detail(rest) {
        return detail;
    }
    if rest == "CACHED" {
        return Kind::Finish(Finish::Cached);
    }
    if rest == "CANCELED" || rest == "CANCELLED" {
        return Kind::Finish(Finish::Canceled);
    }
    if rest == "DONE" {
        return Kind::Finish(Finish::Done(None));
    }
    if let Some(t) = rest.strip_prefix("DONE ") {
        if let Some(n) = t.strip_suffix('s').and_then(seconds) {
            return Kind::Finish(Finish::Done(Some(n.0)));
        }
    }
    if let Some(msg) = rest.strip_prefix("ERROR:") {
        return Kind::Finish(Finish::Error(msg.trim().to_string()));
    }
    if let Some(msg) = rest.strip_prefix("WARN:") {
        return Kind::Warn(msg.trim());
    }
    if let Some(d) = rest.strip_prefix("sha256:") {
        if d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Kind::Digest(rest);
        }
    }
    let (num, text) = match rest.split_once(' ') {
        Some((a, b)) => (a, b),
        None => (rest, ""),
    };
    if num.contains('.') {
        if let Some((offset, half)) = seconds(num) {
            return Kind::Log { offset, half, text };
        }
    }
    Kind::Status
}

/// A status line after its `#N `: `sha256:f951… 2.10MB / 24.00MB 0.5s`, `exporting layers 0.2s
/// done`, `transferring context: 1.98MB 0.0s done` (BuildKit's printer: the status's id, its bytes
/// when it counts any, its time when over 0.01 s, `done` once completed). `None` for a line with
/// no id.
pub(super) fn status_line(rest: &str) -> Option<StatusUpdate> {
    let mut words: Vec<&str> = rest.split(' ').collect();
    let done = words.last() == Some(&"done");
    if done {
        words.pop();
    }
    let elapsed = words
        .last()
        .and_then(|w| w.strip_suffix('s'))
        .and_then(seconds)
        .map(|(n, _)| n);
    if elapsed.is_some() {
        words.pop();
    }
    let size = |w: Option<&&str>| w.and_then(|w| parse_size(w));
    let (current, total) = match words.as_slice() {
        [.., c, "/", t] if size(Some(c)).is_some() && size(Some(t)).is_some() => {
            let sizes = (size(Some(c)), size(Some(t)));
            words.truncate(words.len() - 3);
            sizes
        }
        [.., c] if words.len() > 1 && size(Some(c)).is_some() => {
            let sizes = (size(Some(c)), None);
            words.pop();
            sizes
        }
        _ => (None, None),
    };
    let id = words.join(" ");
    (!id.is_empty()).then(|| StatusUpdate {
        id,
        current: current.unwrap_or(0),
        total: total.filter(|t| *t > 0),
        done,
        elapsed,
        ..Default::default()
    })
}

/// BuildKit ≤ v0.5 printed each vertex's facts right-aligned under its header:
/// `#2       digest: sha256:…`, `#2    completed: 2019-03-22 19:46:01.07 +0000 UTC`.
fn old_detail(rest: &str) -> Option<Kind<'_>> {
    const KEYS: [&str; 7] = [
        "digest",
        "name",
        "started",
        "completed",
        "duration",
        "cached",
        "error",
    ];
    if !rest.starts_with(' ') {
        return None;
    }
    let (key, value) = rest.trim_start().split_once(": ")?;
    KEYS.contains(&key).then(|| Kind::Detail(key, value.trim()))
}

/// A Go `%q` string's text (`"[1/2] FROM x"` → `[1/2] FROM x`); as it is when not quoted.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Go's `time.Time` as printed: `2019-03-22 19:46:01.065994531 +0000 UTC` → Unix nanoseconds.
fn go_time(s: &str) -> Option<Nanos> {
    let mut words = s.split_whitespace();
    let text = format!("{} {} {}", words.next()?, words.next()?, words.next()?);
    let t = chrono::DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f %z").ok()?;
    t.timestamp_nanos_opt()
}

/// `12.345` → (nanoseconds, half a unit of its last digit).
fn seconds(s: &str) -> Option<(Nanos, Nanos)> {
    let (whole, frac) = s.split_once('.')?;
    if whole.is_empty()
        || frac.is_empty()
        || frac.len() > 9
        || whole.len() > 9
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = frac.parse().ok()?;
    let scale = 10i64.pow(9 - frac.len() as u32);
    Some((w * 1_000_000_000 + f * scale, scale / 2))
}

/// Whether `line` is a plain progress line (`#12 …`).
pub fn is_progress_line(line: &str) -> bool {
    split_number(strip_ansi(line).trim_end()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_say_their_bytes_time_and_end() {
        let st = |l: &str| {
            let s = status_line(l).unwrap();
            (s.id, s.current, s.total, s.elapsed, s.done)
        };
        let layer = "sha256:f951c652110d911d4404349dbc70b093c2c677e1a95817a1ac52666bc31beffd";
        assert_eq!(
            st(&format!("{layer} 2.10MB / 24.00MB 0.5s")),
            (
                layer.into(),
                2_100_000,
                Some(24_000_000),
                Some(500_000_000),
                false
            )
        );
        assert_eq!(
            st(&format!("{layer} 0B / 24.00MB 0.2s")),
            (layer.into(), 0, Some(24_000_000), Some(200_000_000), false)
        );
        assert_eq!(
            st(&format!("{layer} 182B / 182B 0.0s done")),
            (layer.into(), 182, Some(182), Some(0), true)
        );
        assert_eq!(
            st("transferring context: 1.98MB 0.0s done"),
            (
                "transferring context:".into(),
                1_980_000,
                None,
                Some(0),
                true
            )
        );
        assert_eq!(
            st("exporting layers 0.2s done"),
            ("exporting layers".into(), 0, None, Some(200_000_000), true)
        );
        assert_eq!(
            st("pushing manifest for 127.0.0.1:5001/gantt/app:1@sha256:dd9a"),
            (
                "pushing manifest for 127.0.0.1:5001/gantt/app:1@sha256:dd9a".into(),
                0,
                None,
                None,
                false
            )
        );
        assert_eq!(st("resolve x:1@sha256:ab done").0, "resolve x:1@sha256:ab");
        assert!(status_line("").is_none());
    }

    #[test]
    fn classifies_every_line_shape() {
        assert!(matches!(classify("..."), Kind::Switch));
        assert!(matches!(
            classify("DONE 12.3s"),
            Kind::Finish(Finish::Done(Some(12_300_000_000)))
        ));
        assert!(matches!(classify("DONE"), Kind::Finish(Finish::Done(None))));
        assert!(matches!(classify("CACHED"), Kind::Finish(Finish::Cached)));
        assert!(matches!(
            classify("CANCELED"),
            Kind::Finish(Finish::Canceled)
        ));
        assert!(matches!(classify("ERROR: boom"), Kind::Finish(Finish::Error(m)) if m == "boom"));
        assert!(matches!(classify("WARN: FromAsCasing: x"), Kind::Warn(_)));
        assert!(matches!(
            classify("sha256:7b64544362edf5f88ccbf5be29c4eb8819251f9a805860b2ee0b206a92420f81"),
            Kind::Digest(_)
        ));
        assert!(matches!(
            classify("sha256:76c34934b3319c116bffd4685ee2bcb032298ccce64b89b7081ec18ffdbd6175 0B / 2.34MB 0.2s"),
            Kind::Status
        ));
        assert!(matches!(
            classify("0.359 *** cache id"),
            Kind::Log {
                offset: 359_000_000,
                half: 500_000,
                text: "*** cache id"
            }
        ));
        assert!(matches!(classify("1.715 "), Kind::Log { text: "", .. }));
        assert!(matches!(
            classify("12.34 x"),
            Kind::Log {
                half: 5_000_000,
                ..
            }
        ));
        assert!(matches!(
            classify("transferring context: 1.98MB 0.0s done"),
            Kind::Status
        ));
        assert!(matches!(
            classify("     started: 2019-03-22 19:46:01.065994531 +0000 UTC"),
            Kind::Detail("started", "2019-03-22 19:46:01.065994531 +0000 UTC")
        ));
        assert!(matches!(classify("started: x"), Kind::Status));
        assert_eq!(
            go_time("2019-03-22 19:46:01.065994531 +0000 UTC"),
            Some(1_553_283_961_065_994_531)
        );
        assert_eq!(
            unquote(r#""[1/2] RUN echo \"hi\"""#),
            r#"[1/2] RUN echo "hi""#
        );
        assert_eq!(split_number("#12 DONE 0.1s"), Some((12, "DONE 0.1s")));
        assert_eq!(split_number("#x"), None);
        assert_eq!(split_number("#12abc"), None);
        assert!(is_progress_line("\x1b[34m#3 DONE 0.0s\x1b[0m\r"));
    }
}
