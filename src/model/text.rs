//! Text from a build as we show it: escape sequences stripped, control characters made visible.

/// `s` with every control character shown, never acted on: ESC as `^[`, BEL as `^G`, DEL as
/// `^?`, C1 controls and bidirectional controls (U+202E…) as `<U+009B>`; tabs and newlines stay.
/// Text from a build or a file (names, errors, warnings, log lines, a record's attributes, a
/// Dockerfile) passes through here on its way in, so no view can hand a terminal an escape
/// sequence the build wrote, nor reorder what a terminal, a page or a PR comment shows.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| matches!(c, '\t' | '\n') || !(c.is_control() || is_bidi(c));
    if s.chars().all(shown) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if shown(c) => out.push(c),
            '\x7f' => out.push_str("^?"),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push((c as u8 + 0x40) as char);
            }
            c => out.push_str(&format!("<U+{:04X}>", c as u32)),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The bidirectional formatting characters (Unicode's Bidi_Control): embeddings, overrides,
/// isolates and marks. Invisible, they reorder the text around them ("Trojan Source").
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` cut to `n` characters (columns), the cut marked with `…` (the one cut every view and
/// list makes; `n` = 0 gives `…` alone).
pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `s` cut to at most `max` bytes (at a character boundary), with how long it was: a build's
/// names and errors are kept up to a bound, whatever a hostile log sends.
pub fn bounded(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    std::borrow::Cow::Owned(format!("{}… ({} bytes in all)", &s[..cut], s.len()))
}

/// Strips ANSI escape sequences (CSI, OSC), then shows what control characters remain.
pub fn clean(s: &str) -> String {
    visible(&strip_ansi(s)).into_owned()
}

/// `s` without ANSI escape sequences (colour codes that `docker` writes even into logs).
pub fn strip_ansi(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\x1b') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            // CSI: ESC [ parameters… final byte in @..~
            Some('[') => {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // The strings: OSC (ESC ]), APC (ESC _, Buildkite's time markers), DCS (ESC P),
            // PM (ESC ^), SOS (ESC X), each up to BEL or ESC \
            Some(']' | '_' | 'P' | '^' | 'X') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_marks_the_cut_and_takes_any_width() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abc", 0), "…");
    }

    #[test]
    fn bidi_controls_and_escapes_are_shown() {
        assert_eq!(visible("a\u{202e}b\u{2069}c"), "a<U+202E>b<U+2069>c");
        assert_eq!(visible("x\u{1b}]0;t\u{7}"), "x^[]0;t^G");
        assert_eq!(visible("plain é ✓\ttab"), "plain é ✓\ttab");
    }

    #[test]
    fn escape_strings_are_stripped_whole() {
        assert_eq!(
            strip_ansi("\u{1b}_bk;t=1700000000000\u{7}#1 DONE"),
            "#1 DONE"
        );
        assert_eq!(strip_ansi("a\u{1b}]0;title\u{1b}\\b\u{1b}[31mc"), "abc");
        assert_eq!(strip_ansi("\u{1b}Pq#0\u{1b}\\x"), "x");
    }
}
