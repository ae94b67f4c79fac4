//! The Markdown report, for `$GITHUB_STEP_SUMMARY` and pull-request comments: the headline and
//! verdict, the hazards with their fix, what ran alongside its source, a table of stages, and a
//! Mermaid `gantt` block (GitHub renders it) with the steps that ran alongside their source
//! marked `crit`.

use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::chart::words::{
    cache_summary, hazard_title, headline, overlap_sentence, secs, stale_title, state_word, verdict,
};
use crate::chart::{each_row, Choices, RowKind};
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

/// Text from the build in a Markdown line: nothing in it starts markup or breaks a table, and
/// nothing in it is read by GitHub as a mention (`@user`, `@org/team`), an emoji (`:tada:`) or an
/// issue reference (`#12`) — a zero-width space after the `@`, `:` or `#` — nor as an entity that
/// would decode to one.
pub(crate) fn inline(s: &str) -> String {
    const ZWSP: &str = "&#8203;";
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let rest = &s[i + c.len_utf8()..];
        match c {
            '\n' | '\r' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\' | '~' | '$' => {
                out.push('\\');
                out.push(c)
            }
            '#' => {
                out.push_str("\\#");
                if rest.starts_with(|n: char| n.is_ascii_digit()) {
                    out.push_str(ZWSP);
                }
            }
            '@' if rest.starts_with(|n: char| n.is_ascii_alphanumeric()) => {
                out.push('@');
                out.push_str(ZWSP);
            }
            ':' if opens_shortcode(rest) => {
                out.push(':');
                out.push_str(ZWSP);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether `rest` (after a `:`) is an emoji shortcode's name and closing `:`.
fn opens_shortcode(rest: &str) -> bool {
    let name = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-')))
        .unwrap_or(rest.len());
    name > 0 && rest[name..].starts_with(':')
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

/// The chart's stage rows as a table: the same stages, labels, times (the union of their steps'
/// runs) and states as every other view.
fn stages(out: &mut String, a: &Analysis) {
    let choices = Choices {
        stages_only: true,
        finished: true,
        ..Choices::default()
    };
    let red = a.stage_overlaps();
    let mut any = false;
    each_row(a, &choices, |row| {
        let RowKind::Stage(i) = row.kind else { return };
        if !any {
            out.push_str("| stage | time | state | cache hits | alongside its source |\n");
            out.push_str("|---|---|---|---|---|\n");
            any = true;
        }
        let s = &a.stages[i];
        let hits = s
            .steps
            .iter()
            .filter(|&&id| a.steps[id].state == State::Cached);
        let along = red
            .get(s.name.as_str())
            .map(|(proven, _)| crate::graph::measure(proven))
            .filter(|&d| d > 0)
            .map(secs)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {}/{} | {along} |",
            inline(&row.label),
            secs(row.active),
            state_word(row.state, true),
            hits.count(),
            s.steps.len()
        );
    });
    if any {
        out.push('\n');
    }
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
        format!("{} {}", crate::chart::short_name(s), s.parsed.text())
    } else {
        s.name().to_string()
    };
    Some(format!(
        "{} :{tags}s{id}, {}, {}",
        task_text(&crate::chart::words::cut(&text, 60)),
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

/// A task's name, which must not begin as one of Mermaid's statements would (`click`, `section`,
/// `excludes`, `title`, a date, a `%%` comment or directive…): every one starts with a letter, a
/// digit or `%`, so such a name is led by a dot.
fn task_text(s: &str) -> String {
    let text = mermaid_text(s);
    let text = text.trim_start();
    match text.chars().next() {
        Some(c) if c.is_alphanumeric() || c == '%' => format!("· {text}"),
        _ => text.to_string(),
    }
}
