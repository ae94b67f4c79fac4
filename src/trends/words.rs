//! The words every view of a pile of builds says (text, Markdown, HTML, the screen): the
//! headline, each cache race over the pile, a step's trend as a sparkline.

use super::{HazardTrend, Trends};
use crate::chart::words::{secs, took_first};

/// `20 builds: 11 failed, 0 cancelled; wall time median 3.55s, p90 3.70s (+0.05s)`.
pub fn headline(t: &Trends) -> String {
    let n = t.builds.len();
    let mut s = format!(
        "{n} build{}: {} failed, {} cancelled",
        if n == 1 { "" } else { "s" },
        t.failed,
        t.cancelled
    );
    if t.incomplete > 0 {
        s.push_str(&format!(", {} incomplete", t.incomplete));
    }
    if let (Some(m), Some(p)) = (t.wall.median, t.wall.p90) {
        s.push_str(&format!(
            "; wall time median {}, p90 {}",
            seconds(m),
            seconds(p)
        ));
    }
    if let Some(c) = t.wall_change {
        s.push_str(&format!(
            " ({} newer half against older)",
            signed_seconds(c)
        ));
    }
    s
}

/// "[stage-2 2/4] took demo.mods.v1 first in 4 of 12 builds, and all 4 failed; [builder 2/3]
/// first in 8, none failed".
pub fn race_sentence(h: &HazardTrend) -> String {
    let mut firsts: Vec<(&str, usize, usize)> = h
        .first
        .iter()
        .map(|(s, n)| {
            let f = h
                .failed_when_first
                .iter()
                .find(|(k, _)| k == s)
                .map_or(0, |x| x.1);
            (s.as_str(), *n, f)
        })
        .collect();
    firsts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut parts = Vec::new();
    for (i, (step, n, failed)) in firsts.iter().enumerate() {
        let outcome = match (n, failed) {
            (0, _) => String::new(),
            (1, 1) => ", and it failed".into(),
            (1, 0) => ", and it passed".into(),
            (2, 2) => ", and both failed".into(),
            (n, f) if f == n => format!(", and all {n} failed"),
            (_, 0) => ", none failed".into(),
            (_, f) => format!(", {f} of them failed"),
        };
        parts.push(if *n == 0 {
            format!("{step} never first")
        } else if i == 0 {
            format!(
                "{} in {n} of {} build{}{outcome}",
                took_first(step, &h.cache),
                h.builds,
                if h.builds == 1 { "" } else { "s" }
            )
        } else {
            format!("{step} first in {n}{outcome}")
        });
    }
    let mut s = parts.join("; ");
    if h.unknown > 0 {
        s.push_str(&format!("; not known in {}", h.unknown));
    }
    s
}

/// Where the first-takers come from: the records' traces, the order of the steps, or both.
pub fn race_evidence(h: &HazardTrend) -> String {
    let said = h.builds - h.unknown;
    match h.proven {
        0 => "from the order in which the steps finished: logs carry no trace".into(),
        p if p == said => format!("proven by the build records' traces in all {p}"),
        p => format!(
            "proven by the build records' traces in {p}; in the other {} from the order in which the steps finished",
            said - p
        ),
    }
}

/// Seconds as the reports print them (`3.55s`, `21ms`).
pub fn seconds(s: f64) -> String {
    secs((s * 1e9).round() as i64)
}

/// `+0.12s`, `-21ms`.
pub fn signed_seconds(s: f64) -> String {
    let sign = if s < 0.0 { "-" } else { "+" };
    format!("{sign}{}", seconds(s.abs()))
}

/// Values oldest first as at most `width` bars, scaled from the least to the most (`·` where
/// there is none: a cache hit, or a build without the step); buckets average what they hold.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let width = width.max(1);
    let buckets: Vec<Option<f64>> = if values.len() <= width {
        values.to_vec()
    } else {
        (0..width)
            .map(|c| {
                let (a, b) = (c * values.len() / width, (c + 1) * values.len() / width);
                let some: Vec<f64> = values[a..b.max(a + 1)].iter().flatten().copied().collect();
                (!some.is_empty()).then(|| some.iter().sum::<f64>() / some.len() as f64)
            })
            .collect()
    };
    let present = buckets.iter().flatten();
    let lo = present.clone().copied().fold(f64::INFINITY, f64::min);
    let hi = present.copied().fold(f64::NEG_INFINITY, f64::max);
    buckets
        .iter()
        .map(|v| match v {
            None => '·',
            Some(_) if hi - lo <= 1e-9 => BARS[3],
            Some(x) => BARS[(((x - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn race_sentences_say_who_and_how_often_it_failed() {
        let h = HazardTrend {
            cache: "demo.mods.v1".into(),
            builds: 12,
            first: vec![("[builder 2/3]".into(), 8), ("[stage-2 2/4]".into(), 4)],
            failed_when_first: vec![("[builder 2/3]".into(), 0), ("[stage-2 2/4]".into(), 4)],
            unknown: 0,
            proven: 12,
        };
        assert_eq!(
            race_sentence(&h),
            "[builder 2/3] took demo.mods.v1 first in 8 of 12 builds, none failed; [stage-2 2/4] first in 4, and all 4 failed"
        );
        assert_eq!(
            race_evidence(&h),
            "proven by the build records' traces in all 12"
        );
    }

    #[test]
    fn sparklines_scale_and_bucket() {
        assert_eq!(
            sparkline(&[Some(1.0), Some(2.0), None, Some(3.0)], 10),
            "▁▅·█"
        );
        assert_eq!(sparkline(&[Some(2.0); 3], 10), "▄▄▄");
        assert_eq!(
            sparkline(&[Some(1.0), Some(1.0), Some(3.0), Some(3.0)], 2),
            "▁█"
        );
        assert_eq!(sparkline(&[], 5), "");
    }
}
