//! `--progress=plain` (BUILDKIT.md §2): what BuildKit's text printer wrote, read back into the
//! same events as rawjson. The printer shows no clock times, so the reader only collects what each
//! line proves (see [`super::timeline`]) and the timeline is reconstructed from all of it:
//! once at the end for a saved log, or again as lines arrive for a live build (with each line's
//! arrival time as extra evidence).
//!
//! Line shapes: `#0 building with …`; `#N <vertex name>` (a header: the first line of a block,
//! re-printed whenever output switches back to N); `#N sha256:<digest>` (BuildKit ≤ 0.8, right
//! after the header); status lines `#N <id> [sizes] [1.2s] [done]`; log lines `#N 0.153 text`
//! (seconds since the vertex's current run began); `#N ...` (switched away); `#N DONE 1.2s`,
//! `#N CACHED`, `#N CANCELED`, `#N ERROR: …`, `#N WARN: …`; and lines that are not `#N` at all
//! (the failure block, the Dockerfile snippet, buildx's `ERROR:`/`WARNING:` lines, and whatever
//! else was in the same output, such as make's echo of commands): those become text the model
//! sorts into error text, tool warnings or diagnostics.

use std::io::{self, BufRead};
use std::sync::Arc;

mod log;
pub mod paste;
pub mod timeline;

pub use log::{is_progress_line, Completion, Finish, LogMark, PlainLog, PlainVertex, Run};

use self::log::{Immediate, MAX_KEPT_LOG, MAX_LINE};
use self::timeline::Clock;
use super::garbage::{GaveUp, Watch};
use super::lines::{Line, LineReader};
use crate::dockerfile::Dockerfile;
use crate::model::{
    excerpt, Event, EventKind, Interval, LogChunk, Nanos, StatusUpdate, VertexUpdate,
};
use crate::source::rawjson::ReadSummary;

/// Reads `input` line by line (long lines cut, not buffered), handing each as text to `line`,
/// until its end or until it stops being a log ([`Watch`]). Returns the summary and whether the
/// stream ended cleanly after a newline.
fn each_line<R: BufRead>(
    input: R,
    line: &mut dyn FnMut(&str),
) -> (io::Result<()>, ReadSummary, bool) {
    let mut reader = LineReader::with_limit(input, MAX_LINE);
    let mut summary = ReadSummary::default();
    let mut watch = Watch::default();
    let mut complete = true;
    let result = loop {
        let next = match reader.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break Ok(()),
            Err(e) => {
                complete = false;
                break Err(e);
            }
        };
        summary.lines += 1;
        let seen = match next {
            Line::Whole { bytes, terminated } => Seen {
                text: String::from_utf8_lossy(bytes).into_owned(),
                bytes: bytes.len() as u64 + terminated as u64,
                terminated,
                nul: memchr::memchr(0, bytes).is_some(),
                unread: false,
            },
            Line::Long { head, rest } => match long_line(head, rest) {
                Ok(seen) => seen,
                Err(e) => {
                    complete = false;
                    break Err(e);
                }
            },
        };
        summary.bytes += seen.bytes;
        complete &= seen.terminated;
        let seen_bytes = seen.bytes;
        let Seen {
            text, nul, unread, ..
        } = seen;
        let progress = is_pasted_progress(&text);
        let stop = watch.see(summary.lines, seen_bytes, progress, nul);
        if let Some(stop) = stop.or(unread.then_some(GaveUp::Nul {
            line: summary.lines,
        })) {
            summary.gave_up = Some(stop);
            complete = true;
            break Ok(());
        }
        line(&text);
    };
    (result, summary, complete)
}

/// Whether a line is a `#N …` line once a CI system's prefix is read through.
pub fn is_pasted_progress(line: &str) -> bool {
    matches!(paste::strip(line), paste::Stripped::Text(t) if is_progress_line(t))
}

/// One line as read: its text, its size, and whether it showed binary data.
struct Seen {
    text: String,
    bytes: u64,
    terminated: bool,
    nul: bool,
    /// The rest of a long line was left unread (binary data, maybe endless: `/dev/zero`).
    unread: bool,
}

/// A line too long to keep: its first 200 bytes and its length, or, when its first part shows
/// binary data, only that part.
fn long_line<R: BufRead>(
    head: &[u8],
    mut rest: super::lines::RestOfLine<'_, R>,
) -> io::Result<Seen> {
    let shown = String::from_utf8_lossy(&head[..head.len().min(200)]).into_owned();
    let head_len = head.len() as u64;
    if memchr::memchr(0, head).is_some() {
        return Ok(Seen {
            text: shown,
            bytes: head_len,
            terminated: true,
            nul: true,
            unread: true,
        });
    }
    let (more, terminated) = rest.skip()?;
    Ok(Seen {
        text: format!("{shown}… (a {}-byte line, cut)", head_len + more),
        bytes: head_len + more + terminated as u64,
        terminated,
        nul: false,
        unread: false,
    })
}

/// The diagnostic for a read that stopped early.
fn gave_up_event(summary: &ReadSummary) -> Option<Event> {
    let stop = summary.gave_up?;
    Some(Event {
        arrived: super::now(),
        kind: EventKind::Unreadable {
            line: stop.line(),
            message: stop.message(),
            excerpt: String::new(),
        },
    })
}

/// Reads a saved plain log to its end and emits the reconstructed build: every event is stamped
/// with its estimated time and emitted in time order (so a replay can pace them).
pub fn read<R: BufRead>(
    input: R,
    dockerfile: Option<&Dockerfile>,
    emit: &mut dyn FnMut(Event),
) -> io::Result<ReadSummary> {
    let mut log = PlainLog::new(true);
    // Lines emitted as they are (text, warnings), with the seq they came at.
    let mut immediate: Vec<(u64, EventKind)> = Vec::new();
    let mut unpaste = paste::Unpaste::default();
    // The last line with something on it: the paste may end with its paster's `...`.
    let mut last: Option<(u64, String)> = None;
    let mut take = |text: &str, line: u64| {
        if !text.trim().is_empty() {
            last = Some((line, text.trim().to_string()));
        }
        if let (seq, Immediate::Event(kind)) = log.push_at(text, None, Some(line)) {
            immediate.push((seq, *kind));
        }
    };
    let (result, summary, complete) = each_line(input, &mut |text| unpaste.push(text, &mut take));
    unpaste.flush(&mut take);
    close(&mut log, dockerfile);
    let solved = timeline::solve(&log, dockerfile, Clock::Relative);
    let arrived = super::now();
    for kind in events_of(&log, &solved, immediate) {
        emit(Event { arrived, kind });
    }
    if let Some(e) = gave_up_event(&summary) {
        emit(e);
    }
    for (a, b) in log.missing_numbers() {
        emit(Event {
            arrived,
            kind: EventKind::Unreadable {
                line: 0,
                message: missing_words(a, b),
                excerpt: String::new(),
            },
        });
    }
    if let Some((line, marker)) = last.filter(|(_, t)| paste::is_elision(t)) {
        emit(Event {
            arrived,
            kind: EventKind::Cut { line, marker },
        });
    }
    emit(Event {
        arrived,
        kind: EventKind::End { complete },
    });
    result.map(|()| summary)
}

/// The log has ended: what it left open is settled (a trailing re-printed header is no run; a
/// vertex a started step waited for had finished, printed or not).
fn close(log: &mut PlainLog, dockerfile: Option<&Dockerfile>) {
    log.close();
    for (v, seq) in timeline::finished_inputs(log, dockerfile) {
        log.finished_by(v, seq);
    }
}

/// What a gap in the printer's numbering means.
fn missing_words(a: u32, b: u32) -> String {
    let which = if a == b {
        format!("#{a} is")
    } else {
        format!("#{a}–#{b} are")
    };
    let n = b - a + 1;
    let what = if a == 1 {
        "the log starts in the middle of the build; what came before is unknown".to_string()
    } else {
        format!(
            "{n} vertex{} left out of the paste; what {} did is unknown",
            if n == 1 { " was" } else { "es were" },
            if n == 1 { "it" } else { "they" }
        )
    };
    format!("{which} not in the log (the printer numbers what it shows 1, 2, 3…): {what}")
}

/// The whole reconstructed build as events in time order.
fn events_of(
    log: &PlainLog,
    solved: &timeline::Solved,
    immediate: Vec<(u64, EventKind)>,
) -> Vec<EventKind> {
    // (time, seq, order, event): seq keeps print order among events at the same time.
    let mut out: Vec<(Nanos, u64, u32, EventKind)> = Vec::new();
    out.push((Nanos::MIN, 0, 0, EventKind::Proofs(solved.proofs.clone())));
    if let Some(problem) = &solved.problem {
        out.push((
            Nanos::MIN,
            0,
            1,
            EventKind::Unreadable {
                line: 0,
                message: problem.clone(),
                excerpt: String::new(),
            },
        ));
    }
    // A line that is not about a vertex shows when the last completion before it happened.
    let completion_times: Vec<(u64, Nanos)> = log
        .completions
        .iter()
        .filter_map(|&(seq, v, r)| Some((seq, solved.runs[v].get(r)?.end?.best)))
        .collect();
    let at_seq = |seq: u64| {
        let i = completion_times.partition_point(|&(s, _)| s < seq);
        if i == 0 {
            solved.start
        } else {
            completion_times[i - 1].1
        }
    };
    for (seq, kind) in immediate {
        out.push((at_seq(seq), seq, 0, kind));
    }
    for (vi, v) in log.vertexes.iter().enumerate() {
        // Its names for other bake targets first, so the model knows every target it served.
        for other in &v.other_names {
            let named = VertexUpdate {
                digest: v.key.clone(),
                name: Some(other.clone()),
                ..Default::default()
            };
            out.push((Nanos::MIN, 0, 2, EventKind::Vertex(named)));
        }
        for (seq, status) in &v.statuses {
            let status = StatusUpdate {
                vertex: Some(v.key.clone()),
                ..status.clone()
            };
            out.push((at_seq(*seq), *seq, 2, EventKind::Status(status)));
        }
        let runs = &solved.runs[vi];
        if runs.is_empty() {
            // Printed but never ran (a header only): announce it.
            out.push((
                solved.start,
                0,
                0,
                EventKind::Vertex(update(log, solved, vi, Vec::new(), None)),
            ));
            continue;
        }
        for (r, run) in runs.iter().enumerate() {
            let mut so_far: Vec<Interval> = runs[..r].to_vec();
            so_far.push(Interval { end: None, ..*run });
            let seq = v.runs[r].first_seq;
            out.push((
                run.start.best,
                seq,
                1,
                EventKind::Vertex(update(log, solved, vi, so_far, None)),
            ));
            let end = run.end.map(|e| e.best).unwrap_or(Nanos::MAX);
            for (offset, text) in &v.runs[r].text {
                let t = (run.start.best + offset).min(end);
                let mut data = text.as_bytes().to_vec();
                data.push(b'\n');
                out.push((
                    t,
                    seq,
                    2,
                    EventKind::Log(LogChunk {
                        vertex: v.key.clone(),
                        stream: 1,
                        data,
                        timestamp: Some(t),
                    }),
                ));
            }
            if let Some(e) = run.end {
                let finish = v.runs[r].end.as_ref().map(|c| &c.finish);
                let last = r + 1 == runs.len();
                out.push((
                    e.best,
                    v.runs[r].end.as_ref().map_or(seq, |c| c.seq),
                    3,
                    EventKind::Vertex(update(
                        log,
                        solved,
                        vi,
                        runs[..=r].to_vec(),
                        finish.filter(|_| last),
                    )),
                ));
            }
        }
        if v.dropped_log > 0 {
            out.push((
                solved.start,
                0,
                1,
                EventKind::Unreadable {
                    line: 0,
                    message: format!(
                        "{}: {} log lines not kept (over {} MiB)",
                        excerpt(&v.name, 60),
                        v.dropped_log,
                        MAX_KEPT_LOG >> 20
                    ),
                    excerpt: String::new(),
                },
            ));
        }
    }
    out.sort_by_key(|(t, seq, order, _)| (*t, *seq, *order));
    out.into_iter().map(|(_, _, _, k)| k).collect()
}

/// A vertex update carrying reconstructed runs (and, once it finished, how).
fn update(
    log: &PlainLog,
    solved: &timeline::Solved,
    vi: usize,
    runs: Vec<Interval>,
    finish: Option<&Finish>,
) -> VertexUpdate {
    let v = &log.vertexes[vi];
    VertexUpdate {
        digest: v.key.clone(),
        inputs: solved
            .inputs
            .get(vi)
            .map(|i| i.iter().map(|&a| log.vertexes[a].key.clone()).collect())
            .unwrap_or_default(),
        name: Some(v.name.clone()).filter(|n| !n.is_empty()),
        cached: matches!(finish, Some(Finish::Cached)),
        error: match finish {
            Some(Finish::Error(m)) => Some(if m.is_empty() {
                "failed".to_string()
            } else {
                m.clone()
            }),
            Some(Finish::Canceled) => Some("context canceled".to_string()),
            _ => None,
        },
        estimated: Some(runs),
        ..Default::default()
    }
}

/// Reads a live build's plain output (a child's stderr) to its end: see [`LiveReader`].
pub fn read_live<R: BufRead>(
    input: R,
    origin: Nanos,
    dockerfile: Option<&Dockerfile>,
    emit: &mut dyn FnMut(Event),
) -> io::Result<ReadSummary> {
    let mut live = LiveReader::new(origin, dockerfile);
    let (result, summary, complete) =
        each_line(input, &mut |text| live.line(text, super::now(), emit));
    let now = super::now();
    live.finish(now, emit);
    if let Some(e) = gave_up_event(&summary) {
        emit(e);
    }
    emit(Event {
        arrived: now,
        kind: EventKind::End { complete },
    });
    result.map(|()| summary)
}

/// Reads a live build's plain output (a child's stderr) line by line, re-solving the timeline
/// as completions arrive, with each line's arrival time as evidence.
pub struct LiveReader<'d> {
    log: PlainLog,
    dockerfile: Option<&'d Dockerfile>,
    origin: Nanos,
    sent: Vec<Vec<Interval>>,
    dirty: bool,
    last_solve: Nanos,
}

/// How often a live plain build is re-solved while only logs arrive.
const LIVE_RESOLVE: Nanos = 100_000_000;

impl<'d> LiveReader<'d> {
    /// `origin`: when the build was started (nothing in it happened before).
    pub fn new(origin: Nanos, dockerfile: Option<&'d Dockerfile>) -> Self {
        LiveReader {
            log: PlainLog::new(false),
            dockerfile,
            origin,
            sent: Vec::new(),
            dirty: false,
            last_solve: origin,
        }
    }

    /// Takes one line that arrived at `arrival`; emits what can be said at once.
    pub fn line(&mut self, text: &str, arrival: Nanos, emit: &mut dyn FnMut(Event)) {
        let (_, what) = self.log.push(text, Some(arrival));
        for status in self.log.take_statuses() {
            emit(Event {
                arrived: arrival,
                kind: EventKind::Status(status),
            });
        }
        match what {
            Immediate::None => {}
            Immediate::Structure => {
                self.dirty = true;
                if arrival - self.last_solve >= LIVE_RESOLVE {
                    self.solve(arrival, emit);
                }
            }
            Immediate::Completed => {
                self.dirty = true;
                self.solve(arrival, emit);
            }
            Immediate::Event(kind) => {
                if matches!(*kind, EventKind::Log(_) | EventKind::Warning(_)) {
                    // Its vertex may not have been announced yet.
                    if self.dirty {
                        self.solve(arrival, emit);
                    }
                }
                emit(Event {
                    arrived: arrival,
                    kind: *kind,
                })
            }
        }
    }

    /// Re-solves if anything changed and emits the vertexes whose runs moved.
    pub fn solve(&mut self, now: Nanos, emit: &mut dyn FnMut(Event)) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        self.last_solve = now;
        let solved = timeline::solve(
            &self.log,
            self.dockerfile,
            Clock::Live {
                origin: self.origin,
                now,
            },
        );
        emit(Event {
            arrived: now,
            kind: EventKind::Proofs(Arc::clone(&solved.proofs)),
        });
        self.sent.resize(self.log.vertexes.len(), Vec::new());
        for (i, v) in self.log.vertexes.iter().enumerate() {
            let runs = &solved.runs[i];
            if self.sent[i] == *runs && !runs.is_empty() {
                continue;
            }
            self.sent[i] = runs.clone();
            let finish = v
                .finish()
                .filter(|_| runs.last().is_some_and(|r| r.end.is_some()));
            emit(Event {
                arrived: now,
                kind: EventKind::Vertex(update(&self.log, &solved, i, runs.clone(), finish)),
            });
        }
    }

    /// The output ended: the last solve.
    pub fn finish(&mut self, now: Nanos, emit: &mut dyn FnMut(Event)) {
        close(&mut self.log, self.dockerfile);
        self.dirty = true;
        self.solve(now, emit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_at_completions_and_headers_alone_open_none() {
        let mut log = PlainLog::new(true);
        for l in [
            "#5 [builder 1/7] FROM x",
            "#5 resolve x 0.1s done",
            "#5 DONE 0.1s",
            "",
            "#5 [builder 1/7] FROM x",
            "#5 ...",
            "",
            "#6 [a 1/1] RUN y",
            "#6 DONE 0.3s",
            "",
            "#5 [builder 1/7] FROM x",
            "#5 extracting 0.1s done",
            "#5 DONE 12.3s",
        ] {
            log.push(l, None);
        }
        log.close();
        let v = &log.vertexes[0];
        assert_eq!(v.runs.len(), 2, "{:?}", v.runs);
        assert_eq!(log.completions.len(), 3);
        assert_eq!(log.vertexes[1].runs.len(), 1);
    }
}
