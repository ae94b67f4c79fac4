//! What people paste is rarely what BuildKit's printer wrote: CI systems put a timestamp or a
//! label before each line, some interleave lines that are only a timestamp, and consoles wrap long
//! lines. This module undoes that, so the reader sees the printer's own lines.
//!
//! Read through, before a `#N` line (or any line, for timestamps):
//! * GitHub Actions, Azure Pipelines, `kubectl logs --timestamps`: `2025-11-07T22:19:51.6487693Z `;
//! * GitLab (runner timestamps): `2024-03-06T09:34:55.311473Z 01O `;
//! * GitHub Codespaces: `2025-03-09 15:44:11.997Z: `, also glued to the end of the line before;
//! * Jenkins (Timestamper): `[2021-06-12T10:00:00.000Z] ` or `10:00:00  `; TeamCity `[10:00:00] `;
//! * Buildkite's `_bk;t=1690000000000␇` markers;
//! * labels in front of the first line: Coolify's `Error: `, PowerShell's `docker : `, `stderr: `,
//!   Google Cloud Build's `Step #0: ` / `Step #0 - "build": `.
//!
//! A line that is only a timestamp is a blank line where the log puts timestamps before its lines
//! (a blank line there is a bare timestamp), and nothing at all where timestamps stand alone on
//! lines of their own between the log's lines (Coolify).
//!
//! Wrapped lines are joined to the `#N` line they continue: a console that wraps at words leaves
//! the wrapped line ending in a space (PowerShell); a terminal that cuts at its width leaves lines
//! of exactly the widest length seen. The continuation is a line that is neither progress, nor
//! indented, nor one of buildx's own lines.

use super::log::is_progress_line;

/// A pasted line, once its CI prefix is read through.
#[derive(Debug, PartialEq, Eq)]
pub enum Stripped<'a> {
    /// The line as the printer wrote it.
    Text(&'a str),
    /// Only a timestamp.
    Timestamp,
}

/// `line` without what a CI system put before it (and a timestamp glued to its end).
pub fn strip(line: &str) -> Stripped<'_> {
    if line.starts_with('#') && !line.trim_end().ends_with("Z:") {
        return Stripped::Text(line); // the printer's own line (the common case: kept cheap)
    }
    let mut rest = line;
    let mut timestamped = false;
    for _ in 0..4 {
        match prefix(rest) {
            Some((len, is_time)) => {
                rest = &rest[len..];
                timestamped |= is_time;
            }
            None => break,
        }
    }
    if timestamped && rest.trim().is_empty() {
        return Stripped::Timestamp;
    }
    if rest.len() == line.len() && is_bare_timestamp(line.trim()) {
        return Stripped::Timestamp;
    }
    Stripped::Text(without_glued_timestamp(rest))
}

/// The length of one prefix at the start of `s`, and whether it was a timestamp.
fn prefix(s: &str) -> Option<(usize, bool)> {
    if let Some(n) = buildkite_marker(s) {
        return Some((n, true));
    }
    if let Some(n) = bracketed_time(s) {
        return Some((n, true));
    }
    if let Some(n) = iso_time(s) {
        let after = &s[n..];
        // Codespaces: `…Z: `; GitLab: `…Z 01O `; the rest: `…Z `, or nothing after it.
        let sep = if let Some(r) = after.strip_prefix(": ") {
            after.len() - r.len()
        } else if after == ":" {
            1
        } else if after.is_empty() {
            0
        } else if let Some(r) = after.strip_prefix(' ') {
            1 + gitlab_stream(r).unwrap_or(0)
        } else {
            return None;
        };
        return Some((n + sep, true));
    }
    if let Some(n) = clock(s) {
        // Jenkins Timestamper's `10:00:00  ` (two spaces), or a clock before a progress line.
        let after = &s[n..];
        if let Some(rest) = after.strip_prefix("  ") {
            return Some((n + 2, true))
                .filter(|_| !rest.starts_with(' ') || rest.trim().is_empty());
        }
        let spaces = after.len() - after.trim_start_matches(' ').len();
        if spaces > 0 && starts_progress(&after[spaces..]) {
            return Some((n + spaces, true));
        }
        return None;
    }
    label(s).map(|n| (n, false))
}

/// A label before a progress line: `Error: `, `docker : `, `stderr: `, `Step #0 - "x": `.
fn label(s: &str) -> Option<usize> {
    for l in [
        "Error: ",
        "error: ",
        "stderr: ",
        "stdout: ",
        "[stderr] ",
        "[stdout] ",
    ] {
        if let Some(r) = s.strip_prefix(l) {
            return starts_progress(r).then_some(l.len());
        }
    }
    // PowerShell's NativeCommandError: `docker : #0 building with …`.
    if let Some(i) = s.find(" : ") {
        let word = &s[..i];
        let is_command = !word.is_empty()
            && word
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if is_command && starts_progress(&s[i + 3..]) {
            return Some(i + 3);
        }
    }
    // Google Cloud Build: `Step #0: ` or `Step #0 - "build": `.
    let r = s.strip_prefix("Step #")?;
    let digits = r.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut r = &r[digits..];
    if let Some(q) = r.strip_prefix(" - \"") {
        r = &q[q.find('"')? + 1..];
    }
    let r2 = r.strip_prefix(": ")?;
    starts_progress(r2).then_some(s.len() - r2.len())
}

fn starts_progress(s: &str) -> bool {
    is_progress_line(s)
}

/// Buildkite's `␛_bk;t=1690000000000␇` (an APC escape sequence, as its raw log has it), or the
/// same once a viewer dropped the escape.
fn buildkite_marker(s: &str) -> Option<usize> {
    let esc = usize::from(s.starts_with('\x1b'));
    let r = s[esc..].strip_prefix("_bk;t=")?;
    let digits = r.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && r[digits..].starts_with('\x07')).then_some(esc + 6 + digits + 1)
}

/// `[2021-06-12T10:00:00.000Z] ` or `[10:00:00] ` (Jenkins, TeamCity), with the spaces after.
fn bracketed_time(s: &str) -> Option<usize> {
    let r = s.strip_prefix('[')?;
    let n = iso_time(r).or_else(|| clock(r))?;
    let after = r[n..].strip_prefix(']')?;
    // `] ` (Jenkins), `] :\t ` (TeamCity): the separator only, never the line's own indent.
    let sep = if let Some(rest) = after.strip_prefix(" :") {
        2 + (rest.len() - rest.trim_start_matches(['\t', ' ']).len()).min(2)
    } else {
        usize::from(after.starts_with(' '))
    };
    Some(1 + n + 1 + sep)
}

/// GitLab's stream and flags after its timestamp: `01O ` or `00E+ `.
fn gitlab_stream(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let ok = b.len() >= 4
        && b[0].is_ascii_hexdigit()
        && b[1].is_ascii_hexdigit()
        && matches!(b[2], b'O' | b'E');
    if !ok {
        return None;
    }
    let mut n = 3;
    if b.get(n) == Some(&b'+') {
        n += 1;
    }
    (b.get(n) == Some(&b' ')).then_some(n + 1)
}

/// Consumes `count` ASCII digits.
fn digits(s: &[u8], at: usize, count: usize) -> Option<usize> {
    let d = s.get(at..at + count)?;
    d.iter().all(u8::is_ascii_digit).then_some(at + count)
}

fn byte(s: &[u8], at: usize, b: u8) -> Option<usize> {
    (s.get(at) == Some(&b)).then_some(at + 1)
}

/// `.123456789` (or `,123`) after seconds: any number of digits.
fn fraction(s: &[u8], at: usize) -> usize {
    if matches!(s.get(at), Some(b'.' | b',')) {
        let n = s[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n > 0 {
            return at + 1 + n;
        }
    }
    at
}

/// `HH:MM:SS[.fff]`.
fn clock(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let at = digits(b, 0, 2)?;
    let at = digits(b, byte(b, at, b':')?, 2)?;
    let at = digits(b, byte(b, at, b':')?, 2)?;
    Some(fraction(b, at))
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH:MM]`, or Coolify's `YYYY-Mon-DD HH:MM:SS[.f]`.
fn iso_time(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let at = digits(b, 0, 4)?;
    let at = byte(b, at, b'-')?;
    let at = match digits(b, at, 2) {
        Some(at) => at,
        // `Feb`
        None if b.get(at..at + 3)?.iter().all(u8::is_ascii_alphabetic) => at + 3,
        None => return None,
    };
    let at = digits(b, byte(b, at, b'-')?, 2)?;
    let at = match b.get(at) {
        Some(b'T' | b' ') => at + 1,
        _ => return None,
    };
    let at = clock(&s[at..])? + at;
    Some(zone(b, at))
}

/// `Z`, `+00:00` or `+0000` after a time, if there.
fn zone(b: &[u8], at: usize) -> usize {
    match b.get(at) {
        Some(b'Z') => at + 1,
        Some(b'+' | b'-') => {
            let Some(h) = digits(b, at + 1, 2) else {
                return at;
            };
            let m = byte(b, h, b':').unwrap_or(h);
            digits(b, m, 2).unwrap_or(at)
        }
        _ => at,
    }
}

/// A whole line that is a timestamp (Coolify's `2026-Feb-28 01:44:00.796284`).
fn is_bare_timestamp(s: &str) -> bool {
    !s.is_empty() && (iso_time(s) == Some(s.len()) || clock(s) == Some(s.len()))
}

/// `#3 ...2025-03-09 15:44:12.270Z: ` → `#3 ...` (Codespaces glues its next timestamp on).
fn without_glued_timestamp(s: &str) -> &str {
    let t = s.trim_end();
    let Some(body) = t.strip_suffix(':') else {
        return s;
    };
    if !body.ends_with('Z') {
        return s;
    }
    // A timestamp is 20 to 40 bytes long: try where it could start.
    for len in 20..=40.min(body.len()) {
        let at = body.len() - len;
        if body.is_char_boundary(at) && iso_time(&body[at..]) == Some(len) {
            return &s[..at];
        }
    }
    s
}

/// A line with which a person left part of a log out: `...`, `…`, `(...)`, `[...]`,
/// `<skipped>`, `[snip]`, `<truncated>`.
pub fn is_elision(line: &str) -> bool {
    let t = line.trim();
    let inner = [("(", ")"), ("[", "]"), ("<", ">"), ("{", "}")]
        .iter()
        .find_map(|(a, b)| t.strip_prefix(a)?.strip_suffix(b))
        .unwrap_or(t)
        .trim();
    let dots = !inner.is_empty() && inner.chars().all(|c| c == '.' || c == '…');
    let dots = dots && (inner.contains('…') || inner.len() >= 3);
    let words = [
        "skipped",
        "snip",
        "snipped",
        "truncated",
        "omitted",
        "elided",
        "cut",
    ];
    let said = words.iter().any(|w| {
        inner.trim_matches('.').trim().eq_ignore_ascii_case(w) || inner.eq_ignore_ascii_case(w)
    });
    dots || said
}

/// Undoes a paste line by line (see the module's doc): strips prefixes, drops or blanks
/// timestamp-only lines, joins wrapped lines. Each output line comes with the number of the
/// input line it began on.
#[derive(Debug, Default)]
pub struct Unpaste {
    /// The last line, held back in case the next continues it (one buffer, reused).
    held: String,
    /// Whether a line is held: its first line's number and the width of its last piece.
    holding: Option<(u64, usize)>,
    /// The widest line seen, and how many lines were that wide.
    widest: (usize, u32),
    /// Timestamps come before the log's lines (not on lines of their own).
    prefixed: bool,
    line: u64,
}

/// A joined line never grows past this (a hostile paste of endless "continuations").
const MAX_JOINED: usize = 64 << 10;

impl Unpaste {
    pub fn push(&mut self, raw: &str, out: &mut dyn FnMut(&str, u64)) {
        self.line += 1;
        let raw = raw.trim_end_matches(['\r', '\n']);
        let width = raw.chars().count();
        // How wide lines were before this one (a terminal's width shows in the lines it cut).
        let widest = self.widest;
        if width >= self.widest.0 {
            let same = width == self.widest.0;
            self.widest = (width, if same { self.widest.1 + 1 } else { 1 });
        }
        let text = match strip(raw) {
            Stripped::Timestamp if self.prefixed => "",
            Stripped::Timestamp => return,
            Stripped::Text(t) => {
                self.prefixed |= t.len() < raw.len() && !t.is_empty() && is_timestamped(raw);
                t
            }
        };
        if let Some((_, last)) = &mut self.holding {
            let fits = self.held.len() + text.len() <= MAX_JOINED;
            if fits && continues(&self.held, *last, text, widest) {
                self.held.push_str(text);
                *last = width;
                return;
            }
        }
        self.flush(out);
        self.held.push_str(text);
        self.holding = Some((self.line, width));
    }

    /// Hands on the line held back.
    pub fn flush(&mut self, out: &mut dyn FnMut(&str, u64)) {
        if let Some((line, _)) = self.holding.take() {
            out(&self.held, line);
        }
        self.held.clear();
    }
}

/// Whether `raw` began with a timestamp (rather than only a label).
fn is_timestamped(raw: &str) -> bool {
    prefix(raw).is_some_and(|(_, time)| time)
}

/// Whether `next` is the rest of `held`, a line a console wrapped: at a word (`held` ends in
/// the space it wrapped at), or at the terminal's width (`held`'s last piece is the widest line
/// yet: a progress line, or any line once two were that wide).
fn continues(held: &str, last_piece: usize, next: &str, widest: (usize, u32)) -> bool {
    let stands_alone = next.trim().is_empty()
        || is_progress_line(next)
        || is_tool_line(next.trim_start())
        || is_elision(next);
    if stands_alone {
        return false;
    }
    let word_wrapped = held.ends_with(' ')
        && !held.trim_end().is_empty()
        && !next.starts_with(char::is_whitespace);
    let cut_at_width = last_piece >= 60
        && last_piece >= widest.0
        && (is_progress_line(held) || is_tool_line(held) || widest.1 >= 2);
    word_wrapped || cut_at_width
}

/// A line buildx or the docker CLI writes after the progress (never a wrapped piece).
fn is_tool_line(s: &str) -> bool {
    const STARTS: [&str; 11] = [
        "- ",
        "------",
        "ERROR",
        "WARNING",
        "error:",
        "failed to",
        "Dockerfile",
        "View build details",
        "Canceled",
        "context canceled",
        "target ",
    ];
    STARTS.iter().any(|p| s.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> &str {
        match strip(s) {
            Stripped::Text(t) => t,
            Stripped::Timestamp => "<timestamp>",
        }
    }

    #[test]
    fn reads_through_every_ci_prefix() {
        for (line, want) in [
            ("2025-11-07T22:19:51.6487693Z #1 DONE 0.0s", "#1 DONE 0.0s"),
            (
                "2024-03-06T09:34:55.311473Z 01O #1 DONE 0.0s",
                "#1 DONE 0.0s",
            ),
            (
                "2024-03-06T09:34:55.311473Z 00E+ #1 DONE 0.0s",
                "#1 DONE 0.0s",
            ),
            (
                "2025-03-09 15:44:11.997Z: #0 building with",
                "#0 building with",
            ),
            ("[2021-06-12T10:00:00.000Z] #2 CACHED", "#2 CACHED"),
            ("[10:00:00] :\t #2 CACHED", "#2 CACHED"),
            ("10:00:00  #2 CACHED", "#2 CACHED"),
            ("_bk;t=1690000000000\x07#2 CACHED", "#2 CACHED"),
            ("\x1b_bk;t=1690000000000\x07#2 CACHED", "#2 CACHED"),
            (
                "Error: #0 building with \"default\"",
                "#0 building with \"default\"",
            ),
            ("docker : #0 building with \"x\"", "#0 building with \"x\""),
            ("Step #1 - \"build\": #5 [2/3] RUN x", "#5 [2/3] RUN x"),
            ("Step #0: #5 DONE 1.0s", "#5 DONE 1.0s"),
            ("2019-03-22T19:46:01.065994531+00:00 #4 DONE", "#4 DONE"),
            ("#3 ...2025-03-09 15:44:12.270Z: ", "#3 ..."),
            (
                "#5 a 2.00kB / 2.00kB done2025-03-09 15:44:13.087Z: ",
                "#5 a 2.00kB / 2.00kB done",
            ),
        ] {
            assert_eq!(text(line), want, "{line}");
        }
    }

    #[test]
    fn leaves_the_printers_own_lines_alone() {
        for line in [
            "#7 12:00:01 a log line with a clock",
            "ERROR: failed to solve: x",
            "Error: something else entirely",
            " > [stage-1 2/3] RUN x:",
            "Dockerfile:12",
            "#5 2.183 docker : not a prefix here",
        ] {
            assert_eq!(text(line), line);
        }
        assert_eq!(text("2026-Feb-28 01:44:00.796284"), "<timestamp>");
        assert_eq!(text("2025-11-07T22:19:51.6490406Z "), "<timestamp>");
    }

    fn unpaste(lines: &[&str]) -> Vec<(String, u64)> {
        let mut u = Unpaste::default();
        let mut out = Vec::new();
        for l in lines {
            u.push(l, &mut |t, n| out.push((t.to_string(), n)));
        }
        u.flush(&mut |t, n| out.push((t.to_string(), n)));
        out
    }

    #[test]
    fn standalone_timestamps_vanish_and_prefixed_bare_ones_are_blank() {
        let coolify = unpaste(&[
            "2026-Feb-28 01:44:00.796284",
            "#1 [internal] x",
            "2026-Feb-28 01:44:00.796284",
            "#1 DONE 0.0s",
        ]);
        assert_eq!(
            coolify,
            [("#1 [internal] x".into(), 2), ("#1 DONE 0.0s".into(), 4)]
        );
        let gha = unpaste(&[
            "2025-11-07T22:19:51.1Z #1 DONE 0.0s",
            "2025-11-07T22:19:51.2Z ",
            "2025-11-07T22:19:51.3Z #2 x",
        ]);
        assert_eq!(
            gha,
            [
                ("#1 DONE 0.0s".into(), 1),
                ("".into(), 2),
                ("#2 x".into(), 3)
            ]
        );
    }

    #[test]
    fn elisions_are_told_from_lines() {
        for l in [
            "...",
            "(...)",
            "<skipped>",
            "[snip]",
            "…",
            "  ....  ",
            "<truncated>",
            "[...]",
        ] {
            assert!(is_elision(l), "{l}");
        }
        for l in ["#3 ...", "..", "skipped 3 files", "", "ERROR: ..."] {
            assert!(!is_elision(l), "{l}");
        }
    }

    #[test]
    fn wrapped_lines_are_joined() {
        let ps = unpaste(&[
            "#4 [1/9] FROM ",
            "docker.io/library/python:3",
            "#4 DONE 0.0s",
        ]);
        assert_eq!(ps[0].0, "#4 [1/9] FROM docker.io/library/python:3");
        assert_eq!(ps.len(), 2);
        let w = "x".repeat(70);
        let cut = unpaste(&[
            &w,
            &w,
            &format!("#4 name: \"{}", &w[..60]),
            "abc\"",
            "#4 DONE",
        ]);
        assert_eq!(cut[2].0, format!("#4 name: \"{}abc\"", &w[..60]));
        // An error block after a progress line is not a continuation.
        let err = unpaste(&["#7 1.2 x ", "------", "ERROR: failed to solve"]);
        assert_eq!(err.len(), 3);
    }
}
