//! `compare --format json`: schema `buildx-gantt/compare`, version 1 (documented in docs/JSON.md).

use serde::Serialize;

use crate::analysis::Analysis;
use crate::chart::short_name;
use crate::chart::words::cause_words;
use crate::diff::{Cause, Diff, Match, Seen, Side, StepDiff, Totals};

/// The comparison as its JSON says it.
#[derive(Serialize)]
pub struct Report<'a> {
    schema: &'static str,
    version: u32,
    before: JSide<'a>,
    after: JSide<'a>,
    /// Seconds, after minus before.
    wall_time_change: Option<f64>,
    /// Steps whose cause is a root cause (names as the build after shows them).
    root_causes: Vec<String>,
    steps: Vec<JStep>,
    races: Vec<JRace>,
    overlaps: Vec<JOverlap>,
    critical_path: JPaths,
}

#[derive(Serialize)]
struct JSide<'a> {
    source: &'a str,
    outcome: &'static str,
    duration: Option<f64>,
    executed: usize,
    cached: usize,
    work: f64,
    critical_path: Option<f64>,
}

#[derive(Serialize)]
struct JStep {
    name: String,
    stage: Option<String>,
    index: Option<u32>,
    /// `same`, `moved`, `changed`, `new`, `gone`.
    #[serde(rename = "match")]
    how: Match,
    before: Option<JSeen>,
    after: Option<JSeen>,
    /// Seconds, after minus before.
    change: f64,
    cause: Option<JCause>,
}

#[derive(Serialize)]
struct JSeen {
    state: &'static str,
    seconds: f64,
}

#[derive(Serialize)]
struct JImage {
    name: String,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Serialize)]
struct JCause {
    kind: &'static str,
    /// For `follows`: the steps it stands on that re-ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    follows: Vec<String>,
    /// For `follows`: the root causes it comes down from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    because_of: Vec<String>,
    /// For `image`: the image as named, and the digest it resolved to on each side (when the
    /// step names say).
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<JImage>,
    /// The sentence the text report says.
    words: String,
}

#[derive(Serialize)]
struct JRace {
    cache: String,
    before_first: Option<String>,
    after_first: Option<String>,
    /// `ran`, `both_hits`, `one_hit` (no race ran), or null when the pair is not in that build.
    before_race: Option<&'static str>,
    after_race: Option<&'static str>,
    flipped: bool,
}

#[derive(Serialize)]
struct JOverlap {
    stage: String,
    source: String,
    before: Option<f64>,
    after: Option<f64>,
}

#[derive(Serialize)]
struct JPaths {
    before: Vec<String>,
    after: Vec<String>,
    added: Vec<String>,
    removed: Vec<String>,
}

fn secs(n: i64) -> f64 {
    n as f64 / 1e9
}

pub fn render(d: &Diff, before: &Side, after: &Side) -> String {
    let mut s = serde_json::to_string_pretty(&report(d, before, after)).unwrap_or_default();
    s.push('\n');
    s
}

pub fn report<'a>(d: &Diff, before: &'a Side, after: &'a Side) -> Report<'a> {
    Report {
        schema: "buildx-gantt/compare",
        version: 1,
        before: side(before, &d.before),
        after: side(after, &d.after),
        wall_time_change: d.before.wall.zip(d.after.wall).map(|(b, a)| secs(a - b)),
        root_causes: d
            .root_causes()
            .filter_map(|(s, _)| Some(after.a.steps[s.pair.after?].name().to_string()))
            .collect(),
        steps: d.steps.iter().map(|s| step(s, before.a, after.a)).collect(),
        races: d
            .races
            .iter()
            .map(|r| JRace {
                cache: r.cache.clone(),
                before_first: r.before.clone(),
                after_first: r.after.clone(),
                before_race: r.before_race.map(|x| x.key()),
                after_race: r.after_race.map(|x| x.key()),
                flipped: r.flipped(),
            })
            .collect(),
        overlaps: d
            .overlaps
            .iter()
            .map(|o| JOverlap {
                stage: o.stage.clone(),
                source: o.source.clone(),
                before: o.before.map(secs),
                after: o.after.map(secs),
            })
            .collect(),
        critical_path: JPaths {
            before: path(before.a),
            after: path(after.a),
            added: names(&d.path_added, after.a),
            removed: names(&d.path_removed, before.a),
        },
    }
}

fn side<'a>(s: &'a Side, t: &Totals) -> JSide<'a> {
    JSide {
        source: s.name,
        outcome: t.outcome.as_str(),
        duration: t.wall.map(secs),
        executed: t.executed,
        cached: t.cached,
        work: secs(t.work),
        critical_path: t.critical.map(secs),
    }
}

fn step(s: &StepDiff, before: &Analysis, after: &Analysis) -> JStep {
    let st = s
        .pair
        .after
        .map(|i| &after.steps[i])
        .or_else(|| s.pair.before.map(|i| &before.steps[i]));
    let seen = |x: Option<Seen>| {
        x.map(|x| JSeen {
            state: x.state.word(),
            seconds: secs(x.active),
        })
    };
    JStep {
        name: st.map_or(String::new(), |s| s.name().to_string()),
        stage: st.and_then(|s| s.stage.as_deref().map(str::to_string)),
        index: st.and_then(|s| s.parsed.index().map(|i| i.0)),
        how: s.pair.how,
        before: seen(s.before),
        after: seen(s.after),
        change: secs(s.change()),
        cause: s.cause.as_ref().map(|c| JCause {
            kind: c.kind(),
            follows: match c {
                Cause::Follows(ids) => names(ids, after),
                _ => Vec::new(),
            },
            because_of: names(&s.because, after),
            image: match c {
                Cause::Image {
                    image,
                    before,
                    after,
                } => Some(JImage {
                    name: image.clone(),
                    before: before.clone(),
                    after: after.clone(),
                }),
                _ => None,
            },
            words: cause_words(c, after),
        }),
    }
}

fn names(ids: &[usize], a: &Analysis) -> Vec<String> {
    ids.iter().map(|&i| short_name(&a.steps[i])).collect()
}

fn path(a: &Analysis) -> Vec<String> {
    a.critical_path
        .as_ref()
        .map_or(Vec::new(), |c| names(&c.steps, a))
}
