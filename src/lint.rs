//! `lint`: both cache hazards, predicted from the build graph before any build. The build is
//! predicted from its Dockerfile(s) ([`crate::source::predict`]) and analysed as a real one is,
//! so what `lint` finds is what the chart of the build will show:
//!
//! * `unordered-cache`: a cache mounted by two steps that nothing in the graph orders (the
//!   race) — the analysis's cache hazards;
//! * `cache-passes-data`: a stage reading a cache that a stage it builds on fills (the stale
//!   cache: the data does not arrive when the writer is a cache hit) — its cache passes.

use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::{Analysis, CacheHazard, CachePass, StepId};
use crate::chart::short_name;
use crate::chart::words::{wrap, HAZARD_MARK, STALE_MARK};
use crate::source::predict::Prediction;

pub const UNORDERED: &str = "unordered-cache";
pub const PASSES_DATA: &str = "cache-passes-data";

/// One finding, as `--format json` writes it (`explanation` is for the text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// [`UNORDERED`] or [`PASSES_DATA`].
    pub kind: &'static str,
    /// The cache id.
    pub cache: String,
    /// The steps as the chart will name them (`[builder 2/3]`): the two unordered ones, the
    /// writer first where the stages tell; or the writers, then the reader.
    pub steps: Vec<String>,
    /// Each step's Dockerfile line.
    pub lines: Vec<usize>,
    /// Each step's Dockerfile, as named, one for one with `lines` (a bake's steps come from
    /// several).
    pub files: Vec<String>,
    pub fix: String,
    #[serde(skip)]
    pub explanation: String,
}

/// What `lint` says of one build (a Dockerfile, or a bake's targets).
#[derive(Debug, Clone, Default)]
pub struct Linted {
    /// What was read (the Dockerfile, or the bake file).
    pub source: String,
    pub findings: Vec<Finding>,
    /// Unordered pairs past those listed, counted.
    pub unlisted: u64,
}

/// The findings of an analysed prediction.
pub fn findings(source: &str, p: &Prediction, a: &Analysis) -> Linted {
    let mut out: Vec<Finding> = a.hazards.iter().map(|h| unordered(p, a, h)).collect();
    out.extend(a.cache_passes.iter().map(|c| passes_data(p, a, c)));
    Linted {
        source: source.to_string(),
        findings: out,
        unlisted: a.hazards_unlisted,
    }
}

/// Where a step of the prediction comes from: (Dockerfile, line).
fn place(p: &Prediction, a: &Analysis, id: StepId) -> (String, usize) {
    a.steps[id]
        .vertexes
        .iter()
        .find_map(|&v| {
            let digest = p.build.digest(p.build.vertex(v).digest).to_string();
            p.places.get(&digest).cloned()
        })
        .unwrap_or_default()
}

fn unordered(p: &Prediction, a: &Analysis, h: &CacheHazard) -> Finding {
    let ids = [h.writer.step, h.reader.step];
    let places: Vec<(String, usize)> = ids.iter().map(|&i| place(p, a, i)).collect();
    Finding {
        kind: UNORDERED,
        cache: h.cache_id.clone(),
        steps: ids.iter().map(|&i| short_name(&a.steps[i])).collect(),
        lines: places.iter().map(|p| p.1).collect(),
        files: places.into_iter().map(|p| p.0).collect(),
        fix: h.fix.clone(),
        explanation: h.explanation.clone(),
    }
}

fn passes_data(p: &Prediction, a: &Analysis, c: &CachePass) -> Finding {
    let (explanation, fix) = a.pass_words(c);
    let mut steps = Vec::new();
    let mut places = Vec::new();
    for &w in c.writers.iter() {
        steps.push(short_name(&a.steps[w]));
        places.push(place(p, a, w));
    }
    let reader_file = place(p, a, c.reader.step);
    for (name, line) in &c.absent {
        steps.push(name.clone());
        places.push((reader_file.0.clone(), *line));
    }
    steps.push(short_name(&a.steps[c.reader.step]));
    places.push(reader_file);
    Finding {
        kind: PASSES_DATA,
        cache: c.cache_id.clone(),
        steps,
        lines: places.iter().map(|p| p.1).collect(),
        files: places.into_iter().map(|p| p.0).collect(),
        fix,
        explanation,
    }
}

/// `{"findings": [...]}`, pretty-printed.
pub fn json(all: &[Linted]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        findings: Vec<&'a Finding>,
    }
    let out = Out {
        findings: all.iter().flat_map(|l| &l.findings).collect(),
    };
    serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The text: each finding as `FILE:LINE: …` (where an editor jumps), why, and the fix; then a
/// line that sums up.
pub fn text(all: &[Linted], width: usize) -> String {
    let mut out = String::new();
    let mut total = 0;
    for l in all {
        for f in &l.findings {
            total += 1;
            let _ = writeln!(out, "{}", heading(f));
            out.push_str(&wrap(&crate::model::visible(&f.explanation), width, "    "));
            out.push_str(&wrap(
                &format!("Fix: {}", crate::model::visible(&f.fix)),
                width,
                "    ",
            ));
            out.push('\n');
        }
        if l.unlisted > 0 {
            let _ = writeln!(
                out,
                "{}: … and {} more pairs of steps on a shared cache with nothing ordering them\n",
                l.source, l.unlisted
            );
        }
    }
    let files: Vec<&str> = all.iter().map(|l| l.source.as_str()).collect();
    let _ = match total {
        0 => writeln!(out, "lint: no finding in {}", files.join(", ")),
        n => {
            let count = |k: &str| {
                all.iter()
                    .flat_map(|l| &l.findings)
                    .filter(|f| f.kind == k)
                    .count()
            };
            writeln!(
                out,
                "lint: {n} finding{} in {} ({} {UNORDERED}, {} {PASSES_DATA})",
                if n == 1 { "" } else { "s" },
                files.join(", "),
                count(UNORDERED),
                count(PASSES_DATA)
            )
        }
    };
    out
}

/// `Dockerfile:18: ⚠ unordered-cache "x": [builder 2/3] (line 12) and [stage-2 2/4] (line 18)`.
fn heading(f: &Finding) -> String {
    let last = f.steps.len().saturating_sub(1);
    let file = f.files.get(last).cloned().unwrap_or_default();
    let at = |i: usize| match f.files.get(i) {
        Some(other) if *other != file => format!("{other}:{}", f.lines[i]),
        _ => format!("line {}", f.lines.get(i).copied().unwrap_or(0)),
    };
    let named: Vec<String> = (0..f.steps.len())
        .map(|i| format!("{} ({})", f.steps[i], at(i)))
        .collect();
    let what = if f.kind == UNORDERED {
        format!(
            "{HAZARD_MARK} {UNORDERED} \"{}\": {}, nothing orders them",
            f.cache,
            named.join(" and ")
        )
    } else {
        let (writers, reader) = named.split_at(last);
        format!(
            "{STALE_MARK} {PASSES_DATA} \"{}\": {} fill{} it, {} reads it",
            f.cache,
            writers.join(", "),
            if writers.len() == 1 { "s" } else { "" },
            reader.join("")
        )
    };
    let line = f.lines.get(last).copied().unwrap_or(0);
    crate::model::visible(&format!("{file}:{line}: {what}")).into_owned()
}
