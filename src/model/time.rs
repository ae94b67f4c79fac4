//! Points in time, and durations as every view says them ([`secs`]). BuildKit gives exact RFC 3339
//! instants; plain logs only allow estimates with bounds, so every instant in the model is an
//! [`Estimate`] (exact ones have equal bounds).

use chrono::{DateTime, SecondsFormat, Utc};

/// Nanoseconds since the Unix epoch, UTC.
pub type Nanos = i64;

/// Parses an RFC 3339 timestamp (0–9 fractional digits, `Z` or an offset). BuildKit's "unset"
/// (`0001-01-01T00:00:00Z`) and anything outside the representable range give `None`.
pub fn parse_rfc3339(s: &str) -> Option<Nanos> {
    let t = DateTime::parse_from_rfc3339(s.trim()).ok()?;
    if t.timestamp() <= 0 {
        return None;
    }
    t.timestamp_nanos_opt()
}

/// Formats an instant as RFC 3339 UTC with nanoseconds.
pub fn format_rfc3339(t: Nanos) -> String {
    DateTime::<Utc>::from_timestamp_nanos(t).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An instant known exactly, or only within `[earliest, latest]` with a best guess in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub best: Nanos,
    pub earliest: Nanos,
    pub latest: Nanos,
}

impl Estimate {
    pub fn exact(t: Nanos) -> Self {
        Estimate {
            best: t,
            earliest: t,
            latest: t,
        }
    }

    pub fn is_exact(&self) -> bool {
        self.earliest == self.latest
    }
}

/// A duration as every view and sentence prints it (the one formatter: the analysis's
/// explanations use it too): `12ms`, `0.32s`, `12.3s`, `123s`.
pub fn secs(n: Nanos) -> String {
    Secs(n).to_string()
}

/// [`secs`] as a `Display`, to write a duration into a longer string without a string of its own.
pub struct Secs(pub Nanos);

impl std::fmt::Display for Secs {
    /// The unit and decimals follow the value as rounded (9.996 s is `10.0s`, never `10.00s`);
    /// a negative duration (an estimate's margin) keeps its sign before the same digits.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        let n = self.0.unsigned_abs();
        let s = n as f64 / 1e9;
        if n > 0 && n < 500_000 {
            write!(f, "<1ms")
        } else if s < 0.0995 {
            write!(f, "{:.0}ms", s * 1e3)
        } else if s < 9.995 {
            write!(f, "{s:.2}s")
        } else if s < 99.95 {
            write!(f, "{s:.1}s")
        } else {
            write!(f, "{s:.0}s")
        }
    }
}

/// A duration to a tenth of a second, for lists and columns that line up (`history --list`,
/// `--repeat`'s runs): `3.7s`. Everything else says durations with [`secs`].
pub fn tenths(seconds: f64) -> String {
    format!("{seconds:.1}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buildkit_timestamps() {
        let a = parse_rfc3339("2026-11-22T12:52:39.444085164Z").unwrap();
        let b = parse_rfc3339("2026-11-22T13:52:39.444085164+01:00").unwrap();
        assert_eq!(a, b);
        let c = parse_rfc3339("2026-11-22T12:52:39Z").unwrap();
        assert_eq!(a - c, 444_085_164);
        assert_eq!(
            parse_rfc3339("2026-11-22T12:52:39.4Z").unwrap() - c,
            400_000_000
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(format_rfc3339(a), "2026-11-22T12:52:39.444085164Z");
    }

    #[test]
    fn a_duration_takes_the_unit_of_its_rounded_value() {
        let ms = 1_000_000;
        for (n, said) in [
            (0, "0ms"),
            (400_000, "<1ms"),
            (12 * ms, "12ms"),
            (99 * ms + 400_000, "99ms"),
            (99 * ms + 600_000, "0.10s"),
            (320 * ms, "0.32s"),
            (9_996 * ms, "10.0s"),
            (12_340 * ms, "12.3s"),
            (99_960 * ms, "100s"),
            (-20 * ms, "-20ms"),
            (-1_500 * ms, "-1.50s"),
        ] {
            assert_eq!(secs(n), said, "{n}");
        }
    }
}
