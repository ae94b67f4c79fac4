//! Every word the views say about a build, in one place: durations, state names, the glyphs that
//! stand for states, row labels and info, and the verdict sentences. The screen, the text report,
//! the SVG and the HTML all read them from here, so a state is called the same thing everywhere.

use crate::analysis::{
    cache_breaks, counts, failed_steps, nothing_ran, Analysis, CacheBreak, CacheHazard, Certainty,
    LockWait, Outcome, Overlap, Stage, StaleCache, Step,
};
use crate::diff::{Cause, Diff, Match, Seen};
use crate::graph::short_name;
use crate::model::{visible, Build, Estimate, Nanos, State};

/// Each state's glyph (bars without colour, and the legend), then what red means.
pub const LEGEND: &[(char, &str)] = &[
    ('█', "done"),
    ('▒', "running"),
    ('░', "cached"),
    ('▓', "failed"),
    ('╳', "cancelled"),
    ('·', "waiting"),
    ('!', "ran alongside its COPY --from source"),
];

/// Marks time a step waited for its mounts (a locked cache), known from a build record's trace.
pub const WAIT_GLYPH: char = '╌';
pub const WAIT_WORDS: &str = "waited for a locked cache (build record)";
/// Marks time that ran alongside a source, where there is no colour to show it.
pub const RED_GLYPH: char = '!';
/// …where a plain log only allows it.
pub const POSSIBLY_RED_GLYPH: char = '?';
pub const HAZARD_MARK: char = '⚠';
pub const CRITICAL_MARK: char = '»';
pub const HAZARD_LEGEND: &str = "⚠ shares a cache mount nothing orders";
pub const CRITICAL_LEGEND: &str = "» critical path";
/// Marks the reader of a stale cache: one whose writers did not run in the build.
pub const STALE_MARK: char = '∅';
pub const STALE_LEGEND: &str = "∅ read a cache no step of this build filled";
pub const RED_LEGEND: &str = "ran alongside its COPY --from source";
pub const POSSIBLY_RED_LEGEND: &str = "may have (plain log)";
/// The verdict of a build in which nothing ran alongside its source (the SVG's call-out).
pub const NO_OVERLAP: &str = "No stage ran alongside its COPY --from source.";

pub fn glyph(state: State) -> char {
    match state {
        State::Done => '█',
        State::Running => '▒',
        State::Cached => '░',
        State::Failed => '▓',
        State::Cancelled => '╳',
        State::Waiting => '·',
    }
}

/// A state's name. A step that is still waiting when the build is over never ran.
pub fn state_word(state: State, finished: bool) -> &'static str {
    match state {
        State::Waiting if finished => "never ran",
        s => s.word(),
    }
}

pub use crate::model::{secs, Secs};

/// What became of the build's steps, every state said even at 0 (the text report's summary and
/// the SVG's subtitle): `11 steps (10 done, 0 cached, 1 failed, 0 cancelled, 0 never ran)`.
pub fn step_counts(a: &Analysis) -> String {
    let c = counts(a);
    let unfinished = if c.running > 0 {
        format!(", {} unfinished", c.running)
    } else {
        String::new()
    };
    format!(
        "{} step{} ({} done, {} cached, {} failed, {} cancelled, {} never ran{unfinished})",
        c.steps,
        if c.steps == 1 { "" } else { "s" },
        c.done,
        c.cached,
        c.failed,
        c.cancelled,
        c.never_started,
    )
}

/// `t` as time since `zero`: `+1.23s`.
pub fn since(zero: Nanos, t: Nanos) -> String {
    format!("+{}", secs(t - zero))
}

/// A stretch of time since `zero`: `0.05s–3.80s`, or `0.05s–` while it runs.
pub fn range(zero: Nanos, start: Nanos, end: Option<Nanos>) -> String {
    let end = end.map(|e| secs(e - zero)).unwrap_or_default();
    format!("{}–{end}", secs(start - zero))
}

pub use crate::model::cut;

/// `s` in exactly `w` columns: cut (see [`cut`]) or padded with spaces.
pub fn fit(s: &str, w: usize) -> String {
    if w == 0 {
        return String::new();
    }
    format!("{:<w$}", cut(s, w))
}

/// Wraps prose to `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    wrap_items(text.split_whitespace(), " ", width, indent)
}

/// Prose broken into lines of at most `n` characters (a word longer than a line is cut).
pub fn lines_of(text: &str, n: usize) -> Vec<String> {
    wrap(text, n, "").lines().map(|l| cut(l, n)).collect()
}

/// Fills lines of `width` columns with whole items joined by `sep`, each line starting with
/// `indent`.
pub fn wrap_items<'a>(
    items: impl IntoIterator<Item = &'a str>,
    sep: &str,
    width: usize,
    indent: &str,
) -> String {
    let avail = width.saturating_sub(indent.chars().count()).max(20);
    let sep_w = sep.chars().count();
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.chars().count() + sep_w + item.chars().count() > avail {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(sep);
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// An instant as time since `zero`, with an estimate's bounds: `+1.23s`, `+1.23s (between +1.20s
/// and +1.30s)`, `+1.23s (between +1.20s and later)` (the HTML page's step details).
pub fn when(zero: Nanos, e: &Estimate) -> String {
    if e.is_exact() {
        return since(zero, e.best);
    }
    let latest = if e.latest == Nanos::MAX {
        "later".to_string()
    } else {
        since(zero, e.latest)
    };
    format!(
        "{} (between {} and {latest})",
        since(zero, e.best),
        since(zero, e.earliest)
    )
}

/// When a stage was active, since `zero`: `+0.05s → +3.80s (3.75s in all)`; `None` before it
/// starts.
pub fn stage_active(zero: Nanos, st: &Stage) -> Option<String> {
    Some(format!(
        "{} → {} ({} in all)",
        since(zero, st.start()?),
        since(zero, st.end()?),
        secs(crate::analysis::measure(&st.spans))
    ))
}

/// A tick interval of 1, 2 or 5 × 10^k seconds, at least `min_gap` nanoseconds. The HTML page's
/// script (assets/report.js, `tickStep`) computes its zoomed ticks the same way: they must agree.
pub fn tick_step(min_gap: f64) -> f64 {
    let min = min_gap / 1e9;
    let mut step = 0.001;
    for _ in 0..40 {
        for m in [1.0, 2.0, 5.0] {
            if step * m >= min {
                return step * m;
            }
        }
        step *= 10.0;
    }
    step
}

/// A tick's label: milliseconds below a 0.01 s interval, else as many decimals as the interval
/// needs. assets/report.js (`tickLabel`) ports this rule for the page's zoom: they must agree.
pub fn tick_label(t: f64, step: f64) -> String {
    if step < 0.01 {
        format!("{:.0}ms", t * 1e3)
    } else if step >= 1.0 {
        format!("{t:.0}s")
    } else if step >= 0.1 {
        format!("{t:.1}s")
    } else {
        format!("{t:.2}s")
    }
}

/// A step's label under its stage: `2/3 RUN …`, or its whole name when it is not a Dockerfile
/// step.
pub fn step_label(s: &Step) -> String {
    match s.parsed.index() {
        Some((n, t)) => format!("{n}/{t} {}", s.parsed.text()),
        None => s.name().to_string(),
    }
}

/// A stage's label: its name, and in a bake of several targets the targets that need it
/// (`deps (api, worker)`; not `api (api)`, nor `builder · web (web)` when the name says it).
/// `bake_targets`: how many targets the build has (`Analysis::targets`, counted once per chart).
pub fn stage_label(a: &Analysis, stage: &Stage, bake_targets: usize) -> String {
    if bake_targets < 2 {
        return stage.name.clone();
    }
    let targets = a.stage_targets(stage);
    let named = |t: &&str| {
        stage
            .name
            .split(" · ")
            .any(|part| part.split('+').any(|x| x == *t))
    };
    if targets.iter().all(named) {
        return stage.name.clone();
    }
    format!("{} ({})", stage.name, targets.join(", "))
}

/// `[internal] 3 steps`.
pub fn internal_label(n: usize) -> String {
    format!("[internal] {n} step{}", if n == 1 { "" } else { "s" })
}

/// `! alongside builder (its COPY --from source)`.
pub fn alongside_label(o: &Overlap) -> String {
    let word = match o.certainty {
        Certainty::Certain => "alongside",
        Certainty::Possible => "maybe alongside",
    };
    format!(
        "! {word} {} (its {} source)",
        o.source,
        o.kind.instruction()
    )
}

/// What a row says at its right: its time and state. `partial`: some of a group's steps ran and
/// the rest wait.
pub fn info(state: State, active: Nanos, finished: bool, partial: bool) -> String {
    let t = Secs(active);
    match state {
        State::Waiting if partial => format!("{t} ·"),
        State::Waiting => state_word(state, finished).into(),
        State::Cached => "cached".into(),
        State::Running => format!("{t} …"),
        State::Failed => format!("✗ {t}"),
        State::Cancelled => "cancelled".into(),
        State::Done => format!("{t} ✓"),
    }
}

/// The outcome as the reports word it.
pub fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Failed => "FAILED",
        Outcome::Cancelled => "CANCELLED (it was interrupted)",
        Outcome::Incomplete => "INCOMPLETE (the log ends before the build did)",
        Outcome::Succeeded => "succeeded",
    }
}

/// The outcome in four letters, for rows that line up (`trends`' screen, `repeat`'s table):
/// `FAIL`, `pass`, `STOP` (cancelled), `part` (incomplete).
pub fn outcome_short(o: Outcome) -> &'static str {
    match o {
        Outcome::Failed => "FAIL",
        Outcome::Succeeded => "pass",
        Outcome::Cancelled => "STOP",
        Outcome::Incomplete => "part",
    }
}

/// Who took a shared cache first: `[stage-2 2/4] took demo.mods.v1 first`.
pub fn took_first(step: &str, cache: &str) -> String {
    format!("{step} took {cache} first")
}

/// The title line: `Dockerfiles/race/Dockerfile — build FAILED in 4.14s` (the SVG's title and the
/// HTML page's).
pub fn headline(title: &str, build: &Build, a: &Analysis) -> String {
    let total = match (a.start, a.end) {
        (Some(s), Some(e)) => format!(" in {}", secs(e - s)),
        _ => String::new(),
    };
    let word = outcome_words(crate::analysis::outcome(build, a));
    format!("{title} — build {word}{total}")
}

/// What a verdict sentence is about, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Hazard,
    Red,
    Ok,
    Failed,
    Critical,
    /// What the cache did.
    Cache,
}

/// The one sentence that matters most about the build: the cache verdict, else the first
/// overlap. `wide`: with the margin and every word; else the short form.
/// A stale cache that a failure followed comes first: it says why the build failed.
pub fn verdict(a: &Analysis, wide: bool) -> Option<(String, Tone)> {
    let failing = a.stale.iter().find(|s| s.failure.is_some());
    let stale = |s: &StaleCache| (stale_verdict(a, s, wide), Tone::Hazard);
    if let Some(s) = failing {
        return Some(stale(s));
    }
    if let Some(h) = a.hazards.first() {
        return Some((hazard_verdict(a, h, wide), Tone::Hazard));
    }
    if let Some(s) = a.stale.first() {
        return Some(stale(s));
    }
    a.overlaps.first().map(|o| (overlap_verdict(o), Tone::Red))
}

/// The writers of a stale cache: `[builder 2/4]`, or the Dockerfile's words for absent ones.
fn stale_writers(a: &Analysis, s: &StaleCache) -> String {
    let mut names: Vec<String> = s.writers.iter().map(|&w| short_name(&a.steps[w])).collect();
    names.extend(crate::analysis::absent_names(&s.absent));
    names.join(", ")
}

/// The stale cache in one sentence, for the status line (and the SVG's call-out):
/// `∅ stale cache: [stage-2 4/6] read demo.mods.v1, but [builder 2/4] was a cache hit and filled
/// nothing — likely why [stage-2 6/6] failed`.
pub fn stale_verdict(a: &Analysis, s: &StaleCache, wide: bool) -> String {
    let r = short_name(&a.steps[s.reader]);
    let w = stale_writers(a, s);
    let did = match (s.writers.len(), wide) {
        (0, _) => "is not in this build",
        (1, true) => "was a cache hit and filled nothing",
        (1, false) => "was a cache hit",
        (_, true) => "were cache hits and filled nothing",
        (_, false) => "were cache hits",
    };
    let (cache, but) = if wide { ("cache ", ", but") } else { ("", ";") };
    let failed = s
        .failure
        .map(|f| format!(" — likely why {} failed", short_name(&a.steps[f])))
        .unwrap_or_default();
    format!(
        "{STALE_MARK} stale cache: {r} read {cache}{}{but} {w} {did}{failed}",
        s.cache_id
    )
}

/// A stale cache's heading: `∅ stale cache "demo.mods.v1": [stage-2 4/6] ran, its writer
/// [builder 2/4] did not (a cache hit)`.
pub fn stale_title(a: &Analysis, s: &StaleCache) -> String {
    let why = if s.writers.is_empty() {
        "not in this build"
    } else {
        "a cache hit"
    };
    let writer = if s.writers.len() + s.absent.len() == 1 {
        "its writer"
    } else {
        "its writers"
    };
    format!(
        "{STALE_MARK} stale cache \"{}\": {} ran, {writer} {} did not ({why})",
        s.cache_id,
        short_name(&a.steps[s.reader]),
        stale_writers(a, s)
    )
}

/// What the details pane says of a step on a stale cache: as its reader, or as a writer that
/// did not run.
pub fn stale_lines(a: &Analysis, id: crate::analysis::StepId) -> Vec<String> {
    let mut out = Vec::new();
    for s in &a.stale {
        if s.reader == id {
            out.push(format!(
                "{STALE_MARK} read cache {} while its writer {} did not run: stale or empty",
                s.cache_id,
                stale_writers(a, s)
            ));
            if let Some(f) = s.failure {
                out.push(format!(
                    "  then {} failed: likely the empty cache",
                    short_name(&a.steps[f])
                ));
            }
            out.push(format!("  fix: {}", s.fix));
        } else if s.writers.contains(&id) {
            out.push(format!(
                "{STALE_MARK} fills cache {} for {}, but was a cache hit: it filled nothing",
                s.cache_id,
                short_name(&a.steps[s.reader])
            ));
        }
    }
    out
}

/// What the cache did, in one line, for a build with any cache hit: `Fully cached: all 10 steps
/// were cache hits; nothing ran.` or `Rebuild: 5 of 10 steps were cache hits; the cache broke at
/// [app 1/2]`. `wide`: every stage where it broke; else the first.
pub fn cache_summary(a: &Analysis, wide: bool) -> Option<String> {
    let c = counts(a);
    if c.cached == 0 {
        return None;
    }
    if c.cached == c.steps {
        return Some(format!(
            "Fully cached: all {} steps were cache hits; nothing ran.",
            c.steps
        ));
    }
    let all = cache_breaks(a);
    if nothing_ran(&all) {
        let resolved: usize = all.iter().map(|b| b.resolved).sum();
        let pulled: usize = all.iter().map(|b| b.pulled).sum();
        let did = match pulled {
            0 => "only resolved",
            p if p == resolved => "only pulled",
            _ => "only resolved or pulled",
        };
        return Some(format!(
            "Fully cached: {} of {} steps were cache hits and the other {} {did} {} base \
             image{} (FROM); nothing ran.",
            c.cached,
            c.steps,
            c.steps - c.cached,
            if resolved == 1 { "its" } else { "their" },
            if resolved == 1 { "" } else { "s" },
        ));
    }
    let mut breaks: Vec<&Step> = all
        .iter()
        .filter_map(|b| b.broke_at.or(b.ran_between_hits.first().copied()))
        .map(|s| &a.steps[s])
        .collect();
    breaks.sort_by_key(|s| s.start());
    let shown = if wide { breaks.len() } else { 1 };
    let names: Vec<String> = breaks.iter().take(shown).map(|s| short_name(s)).collect();
    let more = breaks.len().saturating_sub(shown);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    let said = if all.iter().any(|b| b.broke_at.is_some()) {
        "the cache broke at"
    } else {
        "steps ran between hits from"
    };
    Some(format!(
        "Rebuild: {} of {} steps were cache hits; {said} {}{more}",
        c.cached,
        c.steps,
        names.join(", ")
    ))
}

/// A stage's line in the text report's Cache section: `all 2 steps were cache hits`, or `broke
/// at [app 1/2] COPY …: it and the 1 step after it ran`.
pub fn cache_break_line(a: &Analysis, b: &CacheBreak) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let between = b.ran_between_hits.first().map(|&first| {
        let n = b.ran_between_hits.len();
        format!(
            "{} cache hit{}; {n} step{} ran between hits, from {} (a later step still hit: its \
             cache is matched by content)",
            b.hits,
            plural(b.hits),
            plural(n),
            a.steps[first].name()
        )
    });
    let Some(id) = b.broke_at else {
        if let Some(between) = between {
            return between;
        }
        return match b.resolved {
            0 => format!("all {} step{} cache hits", b.steps, plural(b.steps)),
            r => format!(
                "all {} cache hit{} (FROM only {} its image{})",
                b.hits,
                plural(b.hits),
                if b.pulled > 0 { "pulled" } else { "resolved" },
                if r == 1 { "" } else { "s" }
            ),
        };
    };
    let s = &a.steps[id];
    // The steps after it: how many ran, how many never started (after a failure).
    let (after, never) = a
        .stages
        .iter()
        .find(|st| st.name == b.stage)
        .map_or((0, 0), |st| {
            let rest = st.steps.iter().skip_while(|&&x| x != id).skip(1);
            let never = rest
                .clone()
                .filter(|&&x| a.steps[x].state == State::Waiting);
            (rest.count(), never.count())
        });

    let hits = match (between, b.hits) {
        (Some(between), _) => format!("{between}; then "),
        (None, 0) => String::new(),
        (None, n) => format!("{n} cache hit{}, then ", plural(n)),
    };
    let rest = match after {
        0 => "it ran".to_string(),
        n if never == 0 => format!("it and the {n} step{} after it ran", plural(n)),
        n => format!(
            "it and {} of the {n} step{} after it ran ({never} never started)",
            n - never,
            plural(n)
        ),
    };
    format!("{hits}broke at {}: {rest}", s.name())
}

/// `» critical path: 5 steps, 3.90s`.
pub fn critical_summary(a: &Analysis) -> Option<String> {
    a.critical_path.as_ref().map(|c| {
        format!(
            "» critical path: {} steps, {}",
            c.steps.len(),
            secs(c.end - c.start)
        )
    })
}

/// `» critical path (3.90s): [builder 1/3] → … → [stage-2 4/4]`.
pub fn critical_chain(a: &Analysis) -> Option<String> {
    chain_said(a, "")
}

/// [`critical_chain`] of one of two compared builds (`when`: `before` or `after`):
/// `» critical path before (3.90s): [builder 1/3] → … → [stage-2 4/4]`.
pub fn critical_chain_then(a: &Analysis, when: &str) -> Option<String> {
    chain_said(a, &format!(" {when}"))
}

fn chain_said(a: &Analysis, when: &str) -> Option<String> {
    a.critical_path.as_ref().map(|cp| {
        let chain: Vec<String> = cp.steps.iter().map(|&s| short_name(&a.steps[s])).collect();
        format!(
            "» critical path{when} ({}): {}",
            secs(cp.end - cp.start),
            chain.join(" → ")
        )
    })
}

/// `[stage-2 2/4] waited 3.09s for cache demo.mods.v1, held by [builder 2/3], then ran 0.11s`.
pub fn lock_wait_sentence(a: &Analysis, w: &LockWait) -> String {
    let s = &a.steps[w.step];
    let what = match (&w.cache, w.holder) {
        (Some(c), Some(h)) => format!("for cache {c}, held by {}", short_name(&a.steps[h])),
        (Some(c), None) => format!("for its mounts (cache {c} among them)"),
        _ => "for its mounts".to_string(),
    };
    let ran = (s.active() - w.wait).max(0);
    format!(
        "{} waited {} {what}, then ran {}",
        short_name(s),
        secs(w.wait),
        secs(ran)
    )
}

/// [`lock_wait_sentence`] in one of two compared builds: `lock wait before: [stage-2 2/4] waited …`.
pub fn lock_wait_then(a: &Analysis, w: &LockWait, when: &str) -> String {
    format!("lock wait {when}: {}", lock_wait_sentence(a, w))
}

/// A lock wait as a trace's slice names it: `waiting for cache demo.mods.v1 (locked, held by
/// [builder 2/3])`, `waiting for its mounts (locked)`.
pub fn lock_wait_slice(a: &Analysis, w: &LockWait) -> String {
    let what = w
        .cache
        .as_deref()
        .map_or("its mounts".to_string(), |c| format!("cache {c}"));
    let holder = w
        .holder
        .map(|h| format!(", held by {}", short_name(&a.steps[h])))
        .unwrap_or_default();
    format!("waiting for {what} (locked{holder})")
}

/// A step on the critical path: `[stage-2 2/4] 3.20s (3.09s waiting for a lock)`.
pub fn path_step(s: &Step) -> String {
    let wait = s.lock_wait();
    if wait >= crate::analysis::WORTH_SAYING {
        format!(
            "{} {} ({} waiting for a lock)",
            short_name(s),
            secs(s.active()),
            secs(wait)
        )
    } else {
        format!("{} {}", short_name(s), secs(s.active()))
    }
}

/// `✗ [stage-2 4/4] failed: process … did not complete successfully: exit code: 1`.
pub fn failure_line(a: &Analysis) -> Option<String> {
    failed_steps(a).first().map(|s| {
        let error = s.error().map(|e| format!(": {e}"));
        format!("✗ {} failed{}", short_name(s), error.unwrap_or_default())
    })
}

/// The cache verdict in one sentence, as the screen's status line says it (and the SVG and HTML
/// call-outs repeat it). `wide`: with the margin and every word; else the short form.
pub fn hazard_verdict(a: &Analysis, h: &CacheHazard, wide: bool) -> String {
    let w = short_name(&a.steps[h.writer.step]);
    let r = short_name(&a.steps[h.reader.step]);
    // A plain log proves the order, not the margin: that is an estimate.
    let about = if a.estimated { "~" } else { "" };
    let margin = h
        .margin
        .filter(|_| wide)
        .map(|m| format!(" ({about}{} ahead)", secs(m)))
        .unwrap_or_default();
    let cache = if wide { "cache " } else { "" };
    match h.race {
        crate::analysis::Race::BothHits => {
            return format!(
                "⚠ {cache}{}: no race ran ({w} and {r} were cache hits){}",
                h.cache_id,
                if wide { "; nothing orders them" } else { "" }
            )
        }
        crate::analysis::Race::OneHit(hit) => {
            return format!(
                "⚠ {cache}{}: no race ran ({} was a cache hit){}",
                h.cache_id,
                short_name(&a.steps[hit]),
                if wide { "; nothing orders them" } else { "" }
            )
        }
        crate::analysis::Race::Ran => {}
    }
    match h.first {
        Some(f) if h.roles_known && f == h.reader.step => format!(
            "⚠ race lost: {r} read {cache}{} before {w} filled it{margin}",
            h.cache_id
        ),
        Some(f) if h.roles_known && f == h.writer.step => format!(
            "⚠ race won this time: {w} filled {cache}{} before {r} read it{margin}{}",
            h.cache_id,
            if wide { "; nothing makes it so" } else { "" }
        ),
        Some(f) => format!(
            "⚠ cache {}: {} finished first{margin}; nothing orders {w} and {r}",
            h.cache_id,
            short_name(&a.steps[f])
        ),
        None => format!(
            "⚠ cache {} is shared by {w} and {r}, and nothing orders them",
            h.cache_id
        ),
    }
}

/// What one overlap means, in the words of the text report (also the SVG/HTML and `--check`):
/// `stage-2 ran at the same time as builder, its source, for 0.32s. It waits for builder only at …`
pub fn overlap_sentence(a: &Analysis, o: &Overlap) -> String {
    let via = o
        .via_step
        .map(|s| format!(" It waits for {} only at {}.", o.source, a.steps[s].name()))
        .unwrap_or_default();
    let sure = match o.certainty {
        Certainty::Certain => "",
        Certainty::Possible => " (possibly: the log allows it but does not prove it)",
    };
    let mut line = format!(
        "{} ran at the same time as {}, its source, for {}{sure}.{via}",
        o.stage,
        o.source,
        secs(o.duration)
    );
    if a.estimated && !o.certain_steps.is_empty() {
        let names: Vec<String> = o
            .certain_steps
            .iter()
            .map(|&s| short_name(&a.steps[s]))
            .collect();
        line.push_str(&format!(
            " The log proves {} ran at the same time as a step of {}; the times are estimates.",
            names.join(" and "),
            o.source
        ));
    }
    line
}

/// What one overlap is, as the screen's stage facts say it: `stage-2 ran alongside builder (its
/// COPY --from source) for 0.17s`, ` (possibly)` where a plain log allows it but does not prove it.
pub fn overlap_fact(o: &Overlap) -> String {
    let maybe = if o.certainty == Certainty::Possible {
        " (possibly)"
    } else {
        ""
    };
    format!(
        "{} ran alongside {} (its {} source) for {}{maybe}",
        o.stage,
        o.source,
        o.kind.instruction(),
        secs(o.duration),
    )
}

/// One step of an overlap, from that step's side (the screen's step facts): `ran alongside
/// [builder 2/3] of builder (its COPY --from source) for 0.17s`.
pub fn pair_fact(a: &Analysis, o: &Overlap, p: &crate::analysis::StepPair) -> String {
    format!(
        "ran alongside {} of {} (its {} source) for {}",
        short_name(&a.steps[p.source_step]),
        o.source,
        o.kind.instruction(),
        secs(p.duration())
    )
}

/// What a step's details say of each pair of steps it is in, with the other step each sentence
/// names: [`pair_fact`] from the dependent step's side, [`pair_sentence`] from the source's.
pub fn pair_facts(
    a: &Analysis,
    id: crate::analysis::StepId,
) -> Vec<(String, crate::analysis::StepId)> {
    let pairs = a
        .overlaps
        .iter()
        .flat_map(|o| o.pairs.iter().map(move |p| (o, p)));
    pairs
        .filter_map(|(o, p)| {
            if p.step == id {
                Some((pair_fact(a, o, p), p.source_step))
            } else if p.source_step == id {
                let (step, source) = (&a.steps[p.step], &a.steps[p.source_step]);
                let said = pair_sentence(&short_name(step), &short_name(source), p.duration());
                Some((said, p.step))
            } else {
                None
            }
        })
        .collect()
}

/// A pair of steps that ran together, named by the view (plain, or as links in the HTML):
/// `[stage-2 1/4] ran alongside [builder 2/3] for 0.17s`.
pub fn pair_sentence(step: &str, source_step: &str, duration: Nanos) -> String {
    format!("{step} ran alongside {source_step} for {}", secs(duration))
}

/// The news of an overlap as a live build's narration first says it: `stage-2 runs alongside
/// builder, its COPY --from source` (the status line adds how long: [`overlap_verdict`]).
pub fn overlap_news(o: &Overlap) -> String {
    alongside_news(o, "runs")
}

fn alongside_news(o: &Overlap, verb: &str) -> String {
    format!(
        "{} {verb} alongside {}, its {} source",
        o.stage,
        o.source,
        o.kind.instruction()
    )
}

/// The news of a hazard as the narration says it: `[builder 2/3] and [stage-2 2/4] share cache
/// demo.mods.v1, nothing orders them`.
pub fn hazard_news(a: &Analysis, h: &CacheHazard) -> String {
    format!(
        "{} and {} share cache {}, nothing orders them",
        short_name(&a.steps[h.writer.step]),
        short_name(&a.steps[h.reader.step]),
        h.cache_id
    )
}

/// The news of a stale cache as the narration says it: `[stage-2 2/4] reads cache demo.mods.v1,
/// but [builder 2/3] did not run (stale cache)`.
pub fn stale_news(a: &Analysis, c: &StaleCache) -> String {
    let writers: Vec<String> = c.writers.iter().map(|&w| short_name(&a.steps[w])).collect();
    format!(
        "{} reads cache {}, but {} did not run (stale cache)",
        short_name(&a.steps[c.reader]),
        c.cache_id,
        if writers.is_empty() {
            "its writer".to_string()
        } else {
            writers.join(", ")
        }
    )
}

/// A hazard from one of its two steps' side (the screen's step facts): `⚠ fills (writer) cache
/// X with [stage-2 2/4], nothing orders them; this step finished first`.
pub fn hazard_fact(a: &Analysis, h: &CacheHazard, id: crate::analysis::StepId) -> String {
    let writer = h.writer.step == id;
    let other = if writer { h.reader.step } else { h.writer.step };
    let role = match (h.roles_known, writer) {
        (false, _) => "shares",
        (true, true) => "fills (writer)",
        (true, false) => "reads (reader)",
    };
    let first = match (h.race, h.first) {
        (crate::analysis::Race::BothHits, _) => "; no race ran (both cache hits)".to_string(),
        (crate::analysis::Race::OneHit(hit), _) if hit == id => {
            "; no race ran (this step was a cache hit)".to_string()
        }
        (crate::analysis::Race::OneHit(_), _) => {
            format!(
                "; no race ran ({} was a cache hit)",
                short_name(&a.steps[other])
            )
        }
        (_, Some(f)) if f == id => "; this step finished first".to_string(),
        (_, Some(_)) => format!("; {} finished first", short_name(&a.steps[other])),
        (_, None) => String::new(),
    };
    let other = short_name(&a.steps[other]);
    format!(
        "⚠ {role} cache {} with {other}, nothing orders them{first}",
        h.cache_id
    )
}

/// The screen's status line for the first overlap (no hazard): `stage-2 runs alongside builder,
/// its COPY --from source (0.17s)`.
pub fn overlap_verdict(o: &Overlap) -> String {
    let verb = match o.certainty {
        Certainty::Certain => "runs",
        Certainty::Possible => "may have run",
    };
    format!("{} ({})", alongside_news(o, verb), secs(o.duration))
}

/// A hazard's heading: `⚠ cache "demo.mods.v1": [builder 2/3] and [stage-2 2/4] — [stage-2 2/4]
/// took the cache first`.
pub fn hazard_title(a: &Analysis, h: &CacheHazard) -> String {
    let first = match h.race {
        crate::analysis::Race::BothHits => " — no race ran: both were cache hits".to_string(),
        crate::analysis::Race::OneHit(hit) => format!(
            " — no race ran: {} was a cache hit",
            short_name(&a.steps[hit])
        ),
        crate::analysis::Race::Ran => h
            .first
            .map(|f| format!(" — {} took the cache first", short_name(&a.steps[f])))
            .unwrap_or_default(),
    };
    format!(
        "⚠ cache \"{}\": {} and {}{first}",
        h.cache_id,
        short_name(&a.steps[h.writer.step]),
        short_name(&a.steps[h.reader.step]),
    )
}

/// `1/8–3/8 are [builder 1/7]–[builder 3/7] (BuildKit ran them once for both stages)`.
/// The hazards past those listed: `… and 415 more pairs of steps on a shared cache (not listed)`.
pub fn hazards_unlisted(a: &Analysis) -> Option<String> {
    (a.hazards_unlisted > 0).then(|| {
        format!(
            "… and {} more pairs of steps on a shared cache with nothing ordering them (not listed)",
            a.hazards_unlisted
        )
    })
}

pub fn shared_note(a: &Analysis, stage: &Stage) -> Option<String> {
    let (other, n) = stage.shares.as_ref()?;
    let total = a.steps[*stage.steps.first()?].parsed.index()?.1;
    let other_total = a
        .stages
        .iter()
        .find(|s| &s.name == other)
        .and_then(|s| s.steps.first())
        .and_then(|&s| a.steps[s].parsed.index())
        .map_or(0, |i| i.1);
    let range = |st: &str, t: u32| {
        if *n == 1 {
            format!("[{st} 1/{t}]")
        } else {
            format!("[{st} 1/{t}]–[{st} {n}/{t}]")
        }
    };
    Some(format!(
        "{} never show: they are {} (identical steps, run once for both stages)",
        range(&stage.name, total),
        range(other, other_total)
    ))
}

/// `+0.51s` / `-1.20s`.
pub fn signed(n: i64) -> String {
    if n >= 0 {
        format!("+{}", secs(n))
    } else {
        format!("-{}", secs(-n))
    }
}

/// The cause in words.
pub fn cause_words(c: &Cause, after: &Analysis) -> String {
    match c {
        Cause::Context => "context: it reads files from the build context (COPY/ADD, or a bind \
                           mount), and they changed"
            .into(),
        Cause::Definition { before: Some(b) } => {
            format!(
                "definition: its instruction changed (it was: {})",
                visible(b)
            )
        }
        Cause::Definition { before: None } => {
            "definition: it is new (not in the build before)".into()
        }
        Cause::Arg { detail } => format!("arg: {}", visible(detail)),
        Cause::Image {
            image,
            before: Some(b),
            after: Some(a),
        } if b != a => format!(
            "image: {} is another image under the same name ({} before, {} after)",
            visible(image),
            short_digests(b),
            short_digests(a)
        ),
        Cause::Image { .. } => {
            "image: its base image was resolved anew (a new digest, or not in the cache)".into()
        }
        Cause::NoCache => {
            "no cache: the build used none (--no-cache, a new builder, or a pruned cache)".into()
        }
        Cause::Unknown { detail } => format!("unknown: {detail}"),
        Cause::Follows(ids) => {
            let names: Vec<String> = ids.iter().map(|&i| short_name(&after.steps[i])).collect();
            format!("follows {}, which re-ran", names.join(", "))
        }
    }
}

pub fn seen(s: Option<Seen>) -> String {
    match s {
        None => "—".into(),
        Some(Seen { state, active }) if active > 0 => {
            format!("{} {}", secs(active), state_word(state, true))
        }
        Some(Seen { state, .. }) => state_word(state, true).into(),
    }
}

/// What the screen's details pane says of each step of the build after, by its name: both
/// sides, the change, and why it ran.
pub fn step_facts(
    d: &Diff,
    before: &Analysis,
    after: &Analysis,
) -> Vec<(std::sync::Arc<str>, Vec<String>)> {
    d.steps
        .iter()
        .filter_map(|s| {
            let a = &after.steps[s.pair.after?];
            let mut lines = vec![format!(
                "compare: before {} · after {} · {}",
                seen(s.before),
                seen(s.after),
                signed(s.change())
            )];
            if let Some(b) = s.pair.before.filter(|_| s.pair.how == Match::Changed) {
                lines.push(format!(
                    "before, it read: {}",
                    visible(before.steps[b].name())
                ));
            }
            let why = match &s.cause {
                Some(c) => cause_words(c, after),
                None if s.pair.how == Match::New => "new: not in the build before".into(),
                None => return Some((std::sync::Arc::clone(a.name()), lines)),
            };
            lines.push(format!("why it ran: {why}"));
            Some((std::sync::Arc::clone(a.name()), lines))
        })
        .collect()
}

/// `[builder 2/3] took demo.mods.v1 first before, [stage-2 2/4] after — it flipped`.
pub fn race_sentence(r: &crate::diff::RaceDiff) -> String {
    use crate::analysis::Race;
    let flipped = if r.flipped() { " — it flipped" } else { "" };
    if let (Some(b), Some(a)) = (&r.before, &r.after) {
        return format!(
            "{b} took {} first before, {a} after{flipped}",
            visible(&r.cache)
        );
    }
    let side = |f: &Option<String>, race: Option<Race>| match (f, race) {
        (Some(f), _) => format!("{f} took it first"),
        (None, Some(Race::BothHits)) => "no race ran (both were cache hits)".into(),
        (None, Some(Race::OneHit(_))) => "no race ran (one was a cache hit)".into(),
        (None, Some(Race::Ran)) => "neither finished".into(),
        (None, None) => "not in that build".into(),
    };
    format!(
        "{}: {} before, {} after",
        visible(&r.cache),
        side(&r.before, r.before_race),
        side(&r.after, r.after_race)
    )
}

/// `stage-2 ran alongside builder: 0.29s before, 0.11s after`.
pub fn overlap_change(o: &crate::diff::OverlapDiff) -> String {
    let t = |n: Option<Nanos>| n.map_or("not at all".into(), secs);
    format!(
        "{} ran alongside {}: {} before, {} after",
        o.stage,
        o.source,
        t(o.before),
        t(o.after)
    )
}

/// "Where the time went", in lines: the wall time against the steps' time, how parallel, idle
/// time and lock waits; the time by kind of step; the cache hits. Text, HTML and the screen say
/// these same lines.
pub fn time_lines(t: &crate::analysis::TimeBreakdown) -> Vec<String> {
    let parallel = t
        .parallelism()
        .map_or(String::new(), |p| format!(" ({p:.2}× parallel)"));
    let mut first = format!(
        "wall time {}; steps executed for {} in all{parallel}; nothing executed for {} (idle)",
        secs(t.wall),
        secs(t.work),
        secs(t.idle)
    );
    if t.lock_wait > 0 {
        first.push_str(&format!(
            "; steps waited {} for locked caches",
            secs(t.lock_wait)
        ));
    }
    let kinds: Vec<String> = t
        .by_kind
        .iter()
        .map(|k| {
            let share = if t.work > 0 {
                format!(", {:.0}%", 100.0 * k.time as f64 / t.work as f64)
            } else {
                String::new()
            };
            let n = if k.steps == 1 { "step" } else { "steps" };
            format!(
                "{} {} ({} {n}{share})",
                k.kind.words(),
                secs(k.time),
                k.steps
            )
        })
        .collect();
    let mut out = vec![first];
    if !kinds.is_empty() {
        out.push(format!("by kind: {}", kinds.join(" · ")));
    }
    if let Some(share) = t.cache_hit_share() {
        out.push(format!(
            "cache hits: {} of {} steps ({:.0}%)",
            t.cached,
            t.cached + t.executed,
            100.0 * share
        ));
    }
    out
}

/// The breakdown in one short line, for the screen's status line.
pub fn time_short(t: &crate::analysis::TimeBreakdown) -> String {
    let parallel = t
        .parallelism()
        .map_or(String::new(), |p| format!(", {p:.2}× parallel"));
    format!("{} of steps{parallel}, idle {}", secs(t.work), secs(t.idle))
}

/// Bytes as the reports say them: `182 B`, `1.1 kB`, `24.0 MB`, `1.50 GB` (decimal, as docker
/// and BuildKit's printer count them).
pub fn bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    match n {
        n if n < 1e3 => format!("{n:.0} B"),
        n if n < 1e6 => format!("{:.1} kB", n / 1e3),
        n if n < 1e9 => format!("{:.1} MB", n / 1e6),
        n => format!("{:.2} GB", n / 1e9),
    }
}

/// What a step moved of one kind, in words: `pulled 1 layer, 24.0 MB in 3.75s (6.4 MB/s)`,
/// `pulling 1 layer: 2.1 MB of 24.0 MB (9%)`, `pushed in 3.96s`, `extracted 2 layers in 70ms`.
pub fn moved_sentence(p: &crate::model::Progress) -> String {
    use crate::model::Transfer;
    let going = !p.finished();
    let (done, doing, unit) = match p.transfer {
        Transfer::Download => ("pulled", "pulling", "layer"),
        Transfer::Extract => ("extracted", "extracting", "layer"),
        Transfer::Upload => ("pushed", "pushing", "layer"),
        Transfer::Load => ("sent to docker", "sending to docker", "layer"),
        Transfer::CacheWrite => ("wrote", "writing", "cache blob"),
        Transfer::Context => ("sent", "sending", "file"),
    };
    let mut out = String::from(if going { doing } else { done });
    // A count of items that are layers (not `pushing layers`, one status for all of them).
    let counted = match p.transfer {
        Transfer::Upload | Transfer::Load => p.has_bytes(),
        Transfer::Context => false,
        _ => true,
    };
    if counted {
        let s = if p.items == 1 { "" } else { "s" };
        if going {
            out.push_str(&format!(" {} of {} {unit}{s}", p.done, p.items));
        } else {
            out.push_str(&format!(" {} {unit}{s}", p.items));
        }
    }
    if p.has_bytes() {
        out.push_str(if counted { ", " } else { " " });
        match (p.total, going) {
            (Some(t), true) => out.push_str(&format!(
                "{} of {} ({:.0}%)",
                bytes(p.current),
                bytes(t),
                p.fraction().unwrap_or(0.0) * 100.0
            )),
            _ => out.push_str(&bytes(p.current)),
        }
        if p.transfer == Transfer::Context {
            out.push_str(" of context");
        }
    }
    // A plain log's `0.0s` says it was quick, not how long: no time rather than `0ms`.
    if let Some(t) = p.seconds().filter(|&t| !going && t > 0) {
        out.push_str(&format!(" in {}", secs(t)));
        let over_the_wire = matches!(
            p.transfer,
            Transfer::Download | Transfer::Upload | Transfer::Load
        );
        if over_the_wire && p.has_bytes() && t >= 100_000_000 {
            let rate = p.current as f64 / (t as f64 / 1e9);
            out.push_str(&format!(" ({}/s)", bytes(rate as i64)));
        }
    }
    out
}

/// Whether a row's badge is [`moved_badge`]'s (`↓ 24.0 MB`), not a verdict's.
pub fn is_moved_badge(badge: &str) -> bool {
    badge.starts_with(['↓', '↑', '⇢'])
}

/// Everything a step moved, in words, `; ` between kinds (empty when it moved nothing).
pub fn moved_sentences(s: &Step) -> String {
    let parts: Vec<String> = s.progress().iter().map(moved_sentence).collect();
    parts.join("; ")
}

/// What a step moved to or from a registry or the docker daemon, short, for its bar: `↓ 24.0 MB`,
/// `↓ 2.1/24.0 MB 9%` while it comes in, `↑ 25.1 MB` (a push), `⇢ docker 25.1 MB` (`--load`).
/// `None` for steps that moved nothing there (a context transfer, a cache write).
pub fn moved_badge(s: &Step) -> Option<String> {
    use crate::model::Transfer;
    let p = s.progress().iter().find(|p| {
        matches!(
            p.transfer,
            Transfer::Download | Transfer::Upload | Transfer::Load
        ) && p.has_bytes()
    })?;
    let arrow = match p.transfer {
        Transfer::Download => "↓",
        Transfer::Upload => "↑",
        _ => "⇢ docker",
    };
    Some(match (p.total, p.finished()) {
        (Some(t), false) => {
            let (now, all) = (bytes(p.current), bytes(t));
            // `2.1/24.0 MB` when both are in one unit.
            let unit = all.rsplit(' ').next().unwrap_or("");
            let now = match now.strip_suffix(unit) {
                Some(n) if !unit.is_empty() => n.trim_end().to_string(),
                _ => now,
            };
            let pct = p.fraction().unwrap_or(0.0) * 100.0;
            format!("{arrow} {now}/{all} {pct:.0}%")
        }
        _ => format!("{arrow} {}", bytes(p.current)),
    })
}

/// What a step did, status by status, where its statuses are its story (a pull's `resolve …`, an
/// export's `exporting layers`, `pushing layers`, `sending tarball`, `writing cache image
/// manifest …`): `exporting layers 0.18s · pushing layers 3.96s · pushing manifest for … 26ms`.
/// Layers pulled or written one by one are said by [`moved_sentences`], not here. At most
/// `room` statuses, the rest counted.
pub fn status_story(statuses: &[crate::model::StatusEntry], room: usize) -> Option<String> {
    use crate::model::Transfer;
    let told: Vec<&crate::model::StatusEntry> = statuses
        .iter()
        .filter(|s| {
            !matches!(
                Transfer::of(&s.id),
                Some(Transfer::Download | Transfer::Extract | Transfer::CacheWrite)
            ) && !s.id.starts_with("loading layer ")
                && !s.id.starts_with("pushing layer ")
        })
        .collect();
    let mut parts: Vec<String> = told
        .iter()
        .take(room)
        .map(|s| {
            let took = match (s.started, s.completed) {
                (Some(a), Some(b)) if b >= a => Some(b - a),
                _ => s.elapsed,
            };
            let id = short_digests(&crate::model::excerpt(&s.id, 120));
            match (took, s.done) {
                (Some(t), _) => format!("{id} {}", secs(t)),
                (None, true) => format!("{id} done"),
                (None, false) => id,
            }
        })
        .collect();
    if told.len() > room {
        parts.push(format!("… {} more", told.len() - room));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The steps that moved the build to or from a registry, the docker daemon or a cache — pulls
/// that fetched layers, exports, pushes, cache exports and imports — in the order they started,
/// each with what it did: `[builder 1/4] pulled 1 layer, 24.0 MB in 3.75s (6.4 MB/s); extracted 1
/// layer in 74ms`, `exporting to image (push, 3.87s): exporting layers 0.18s · pushing layers
/// 3.68s · …`. Empty when the build did none of that (a `FROM` that only resolved says nothing).
pub fn transfer_lines(build: &Build, a: &Analysis) -> Vec<(crate::analysis::StepId, String)> {
    use crate::model::WorkKind;
    let mut steps: Vec<&Step> = a
        .steps
        .iter()
        .filter(|s| s.state != State::Waiting)
        .filter(|s| match s.kind() {
            WorkKind::Pull => s.pulled(),
            WorkKind::Export | WorkKind::Push | WorkKind::CacheImport | WorkKind::CacheExport => {
                true
            }
            _ => false,
        })
        .collect();
    steps.sort_by_key(|s| (s.start(), s.id));
    steps
        .into_iter()
        .map(|s| {
            let mut line = short_name(s);
            if !s.parsed.is_dockerfile_step() {
                line.push_str(&format!(" ({}, {})", s.kind().words(), secs(s.active())));
            }
            let moved = moved_sentences(s);
            let statuses: Vec<crate::model::StatusEntry> = s
                .vertexes
                .iter()
                .flat_map(|&v| build.vertex(v).statuses().iter().cloned())
                .collect();
            let story = (!s.parsed.is_dockerfile_step())
                .then(|| status_story(&statuses, 8))
                .flatten();
            let said: Vec<String> = [Some(moved).filter(|m| !m.is_empty()), story]
                .into_iter()
                .flatten()
                .collect();
            if !said.is_empty() {
                line.push_str(if s.parsed.is_dockerfile_step() {
                    " "
                } else {
                    ": "
                });
                line.push_str(&said.join("; "));
            }
            (s.id, line)
        })
        .collect()
}

/// Digests cut to their first 12 hex digits, as docker shows image ids: `sha256:1359605a6a9f`.
pub fn short_digests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("sha256:") {
        let (before, from) = rest.split_at(i + "sha256:".len());
        out.push_str(before);
        let hex = from.bytes().take_while(u8::is_ascii_hexdigit).count();
        let keep = if hex == 64 { 12 } else { hex };
        out.push_str(&from[..keep]);
        rest = &from[hex..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_every_scale() {
        assert_eq!(secs(12_000_000), "12ms");
        assert_eq!(secs(320_000_000), "0.32s");
        assert_eq!(secs(12_300_000_000), "12.3s");
        assert_eq!(secs(123_000_000_000), "123s");
    }

    #[test]
    fn a_waiting_step_never_ran_once_the_build_is_over() {
        assert_eq!(state_word(State::Waiting, false), "waiting");
        assert_eq!(state_word(State::Waiting, true), "never ran");
        assert_eq!(info(State::Waiting, 0, true, false), "never ran");
        assert_eq!(info(State::Waiting, 2_000_000_000, false, true), "2.00s ·");
        assert_eq!(info(State::Done, 190_000_000, true, false), "0.19s ✓");
    }

    #[test]
    fn ticks_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(0.9e9), 1.0);
        assert_eq!(tick_step(1.1e9), 2.0);
        assert_eq!(tick_step(0.15e9), 0.2);
        assert_eq!(tick_label(1.0, 1.0), "1s");
        assert_eq!(tick_label(0.2, 0.2), "0.2s");
        assert_eq!(tick_label(0.015, 0.005), "15ms");
    }

    #[test]
    fn cut_marks_the_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
