//! `report --compare-with`: how a reconstructed timeline ([`crate::analysis::accuracy`]) fared
//! against the exact one, as a text table and verdicts.

use std::fmt::Write;

use crate::analysis::accuracy::Comparison;
use crate::model::{cut, secs, Nanos};

/// The comparison as a text report.
pub fn render(c: &Comparison, truth_name: &str, estimate_name: &str) -> String {
    let s = |n: Nanos| {
        if n == Nanos::MAX {
            "∞".to_string()
        } else {
            secs(n)
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{estimate_name} (estimated) against {truth_name} (exact), times from the build's start\n"
    );
    let _ = writeln!(
        out,
        "  {:<44} {:>15} {:>15} {:>25} {:>25}  {:>8}",
        "step", "true", "estimated", "start bounds", "end bounds", "error"
    );
    for st in &c.steps {
        let name = cut(&st.name, 44);
        let _ = writeln!(
            out,
            "{} {:<44} {:>15} {:>15} {:>25} {:>25}  {:>8}",
            if st.within() { " " } else { "✗" },
            name,
            format!("{}–{}", s(st.truth.0), s(st.truth.1)),
            format!("{}–{}", s(st.estimate.0), s(st.estimate.1)),
            format!("[{}, {}]", s(st.start_bounds.0), s(st.start_bounds.1)),
            format!("[{}, {}]", s(st.end_bounds.0), s(st.end_bounds.1)),
            secs(st.start_error().max(st.end_error())),
        );
    }
    let _ = writeln!(out);
    if let (Some(med), Some(max)) = (c.median_error(), c.max_error()) {
        let _ = writeln!(
            out,
            "{} steps compared: median error {}, largest {}; true times within the bounds: {}",
            c.steps.len(),
            secs(med),
            secs(max),
            if c.all_within() {
                "all".to_string()
            } else {
                format!(
                    "{} of {}",
                    c.steps.iter().filter(|s| s.within()).count(),
                    c.steps.len()
                )
            }
        );
    }
    for n in &c.unmatched {
        let _ = writeln!(out, "not in both: {n}");
    }
    let verdict = |label: &str, t: &[String], e: &[String]| {
        let mut o = String::new();
        if t == e {
            let _ = writeln!(
                o,
                "{label}: the same ({})",
                if t.is_empty() {
                    "none".to_string()
                } else {
                    t.join("; ")
                }
            );
        } else {
            let _ = writeln!(
                o,
                "{label} DIFFER:\n  exact:     {}\n  estimated: {}",
                t.join("; "),
                e.join("; ")
            );
        }
        o
    };
    out.push_str(&verdict(
        "overlap verdicts",
        &c.truth_overlaps,
        &c.estimate_overlaps,
    ));
    if !c.estimate_overlaps.is_empty() {
        let _ = writeln!(
            out,
            "  the log proves {} of these {} pairs; it allows the rest",
            c.estimate_proven.len(),
            c.estimate_overlaps.len()
        );
    }
    for p in c.over_claims() {
        let _ = writeln!(out, "  proven by the estimate, not in the truth: {p}");
    }
    out.push_str(&verdict(
        "hazard verdicts",
        &c.truth_hazards,
        &c.estimate_hazards,
    ));
    out
}
