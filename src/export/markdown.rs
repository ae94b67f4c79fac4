//! The Markdown report, for `$GITHUB_STEP_SUMMARY` and pull-request comments: the headline and
//! verdict, the hazards with their fix, what ran alongside its source, a table of stages, and a
//! Mermaid `gantt` block (GitHub renders it) with the steps that ran alongside their source
//! marked `crit`.

use std::fmt::Write as _;

use crate::analysis::{Analysis, Step};
use crate::chart::words::{
    cache_summary, hazard_title, headline, overlap_sentence, secs, stale_title, state_word, verdict,
};
use crate::model::{Build, State};

pub fn render(title: &str, build: &Build, a: &Analysis) -> String {
    let mut out = format!("## {}\n\n", inline(&headline(title, build, a)));
    if let Some((v, _)) = verdict(a, true) {
        let _ = writeln!(out, "**{}**\n", inline(&v));
    }
    hazards(&mut out, a);
    stale(&mut out, a);
    alongside(&mut out, a);
    stages(&mut out, a);
    if let Some(c) = cache_summary(a, true) {
        let _ = writeln!(out, "{}\n", inline(&c));
    }
    gantt(&mut out, a);
    out
}

/// Text from the build in a Markdown line: nothing in it starts markup or breaks a table.
pub(crate) fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '#' | '\\' => {
                out.push('\\');
                out.push(c)
            }
            c => out.push(c),
        }
    }
    out
}

fn hazards(out: &mut String, a: &Analysis) {
    if a.hazards.is_empty() {
        return;
    }
    out.push_str("### Cache hazards\n\n");
    for h in &a.hazards {
        let _ = writeln!(out, "- **{}**", inline(&hazard_title(a, h)));
        let _ = writeln!(out, "  - {}", inline(&h.explanation));
        let _ = writeln!(out, "  - **Fix:** {}", inline(&h.fix));
    }
    out.push('\n');
}

fn stale(out: &mut String, a: &Analysis) {
    if a.stale.is_empty() {
        return;
    }
    out.push_str("### Stale cache (a cache mount is not a layer)\n\n");
    for s in &a.stale {
        let _ = writeln!(out, "- **{}**", inline(&stale_title(a, s)));
        let _ = writeln!(out, "  - {}", inline(&s.explanation));
        let _ = writeln!(out, "  - **Fix:** {}", inline(&s.fix));
    }
    out.push('\n');
}

fn alongside(out: &mut String, a: &Analysis) {
    if a.overlaps.is_empty() {
        return;
    }
    out.push_str("### Ran alongside its `COPY --from` source\n\n");
    for o in &a.overlaps {
        let _ = writeln!(out, "- {}", inline(&overlap_sentence(a, o)));
    }
    out.push('\n');
}

fn stages(out: &mut String, a: &Analysis) {
    if a.stages.is_empty() {
        return;
    }
    out.push_str("| stage | time | state | cache hits | alongside its source |\n");
    out.push_str("|---|---|---|---|---|\n");
    let red = a.stage_overlaps();
    for s in &a.stages {
        let steps: Vec<&Step> = s.steps.iter().map(|&id| &a.steps[id]).collect();
        let hits = steps.iter().filter(|s| s.state == State::Cached).count();
        let active: i64 = steps.iter().map(|s| s.active()).sum();
        let state = worst(&steps);
        let along = red
            .get(s.name.as_str())
            .map(|(proven, _)| crate::graph::measure(proven))
            .filter(|&d| d > 0)
            .map(secs)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {hits}/{} | {along} |",
            inline(&s.name),
            secs(active),
            state_word(state, true),
            steps.len()
        );
    }
    out.push('\n');
}

/// The state that says most about a stage.
fn worst(steps: &[&Step]) -> State {
    let order = [
        State::Failed,
        State::Cancelled,
        State::Running,
        State::Waiting,
        State::Done,
        State::Cached,
    ];
    order
        .into_iter()
        .find(|st| steps.iter().any(|s| s.state == *st))
        .unwrap_or(State::Waiting)
}

/// The Mermaid `gantt` block: a section per stage (and one for BuildKit's own steps), a task per
/// step that ran, in milliseconds from the build's start; `crit` where a step ran alongside its
/// stage's source.
fn gantt(out: &mut String, a: &Analysis) {
    let Some(zero) = a.start else { return };
    let red = a.step_overlaps();
    out.push_str("```mermaid\ngantt\n  dateFormat x\n  axisFormat %S.%L\n");
    let mut sections: Vec<(String, Vec<usize>)> = vec![("BuildKit".into(), a.internal_steps())];
    sections.extend(a.stages.iter().map(|s| (s.name.clone(), s.steps.clone())));
    for (name, ids) in sections {
        let tasks: Vec<String> = ids
            .iter()
            .filter_map(|&id| task(a, id, zero, !red[id].0.is_empty()))
            .collect();
        if tasks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  section {}", mermaid_text(&name));
        for t in tasks {
            let _ = writeln!(out, "  {t}");
        }
    }
    out.push_str("```\n");
}

/// `[builder 2/3] RUN make :crit, s12, 190, 3570` (times in ms since `zero`; `crit` for a step
/// that ran alongside its source or failed), or none for a step with no time.
fn task(a: &Analysis, id: usize, zero: i64, red: bool) -> Option<String> {
    let s = &a.steps[id];
    let start = s.start()?;
    let end = s.end().or(a.end)?.max(start);
    let tags = match (red, s.state) {
        (true, _) => "crit, ",
        (false, State::Failed) => "crit, ",
        (false, State::Running) => "active, ",
        _ => "done, ",
    };
    let ms = |t: i64| (t - zero) / 1_000_000;
    let text = if s.parsed.is_dockerfile_step() {
        format!("{} {}", crate::analysis::short_name(s), s.parsed.text())
    } else {
        s.name().to_string()
    };
    Some(format!(
        "{} :{tags}s{id}, {}, {}",
        mermaid_text(&crate::chart::words::cut(&text, 60)),
        ms(start),
        ms(end).max(ms(start) + 1)
    ))
}

/// A name safe in a Mermaid line: no `:` `;` `#` (they end or comment a task), no newline.
fn mermaid_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ':' | ';' | '#' | '\n' | '\r' | '`' => ' ',
            c => c,
        })
        .collect()
}
