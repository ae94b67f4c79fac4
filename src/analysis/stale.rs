//! Cache mounts are not layers. A step that reads a cache which a step of another stage fills
//! gets the files only when that step runs in the same build: a cache hit restores the writer's
//! layer, never what it left in a cache mount; `--cache-to` never exports cache mounts; a prune or
//! a fresh CI runner empties them. Here: the data one stage passes another through a cache mount
//! (what `lint` predicts from the graph alone), and the builds in which the reader ran while no
//! writer did (a stale cache).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::cache::{CacheUse, SharedCache};
use crate::dockerfile::Dockerfile;
use crate::graph::short_name;
use crate::graph::{dockerfile_name, Dependency, StageGraph, Step, StepId};
use crate::model::State;

/// Listed at most, in all (a huge build's cache users are counted in the hazards already).
const LISTED: usize = 200;

/// Data passed between stages through a cache mount: `reader`'s stage builds on the stages of
/// `writers`, which mount the same cache (who reads and who writes follows the stages, as for a
/// hazard: the writer is in the stage the reader's stage builds on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePass {
    pub cache_id: String,
    pub reader: CacheUse,
    /// The writers' steps (shared by the readers of one stage: a cache a thousand steps mount
    /// is not copied a thousand times).
    pub writers: Arc<[StepId]>,
    /// Where the last writer mounts the cache (`target=`), for the fix.
    pub writer_target: Option<String>,
    /// Dockerfile steps that mount the cache in stages this build does not have at all, as
    /// (`[builder 2/4]`, line): nothing in the build fills the cache for them.
    pub absent: Vec<(String, usize)>,
}

/// A reader of a cache that ran while every writer of that cache in the build was a cache hit
/// (or is not in the build): it read whatever an earlier build left there, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleCache {
    pub cache_id: String,
    pub reader: StepId,
    /// The writers in the build, every one a cache hit.
    pub writers: Vec<StepId>,
    /// Writers the build does not have (see [`CachePass::absent`]).
    pub absent: Vec<(String, usize)>,
    /// The first step that then failed in the reader's stage (at or after the reader) or in a
    /// stage built on it: the failure is likely the empty cache.
    pub failure: Option<StepId>,
    pub explanation: String,
    pub fix: String,
}

/// Every reader of a cache that another stage's step fills, from the graph alone.
pub fn passes(
    steps: &[Step],
    deps: &[Dependency],
    caches: &[SharedCache],
    dockerfile: Option<&Dockerfile>,
) -> Vec<CachePass> {
    let graph = StageGraph::new(deps);
    let outside = Outside::new(steps, dockerfile);
    let mut out = Vec::new();
    for cache in caches {
        // What each stage that mounts the cache stands on, looked up once for its readers.
        let mut upstream: HashMap<&str, Upstream> = HashMap::new();
        for reader in &cache.uses {
            if out.len() >= LISTED {
                return out;
            }
            let Some(rs) = steps[reader.step].stage.as_deref() else {
                continue;
            };
            let up = upstream.entry(rs).or_insert_with(|| {
                let above = graph.upstream(rs);
                let writers: Vec<&CacheUse> = cache
                    .uses
                    .iter()
                    .filter(|w| {
                        let ws = steps[w.step].stage.as_deref();
                        !w.mount.readonly && ws.is_some_and(|ws| ws != rs && above.contains(ws))
                    })
                    .collect();
                Upstream {
                    writers: writers.iter().map(|w| w.step).collect(),
                    target: writers.last().and_then(|w| w.mount.target.clone()),
                    absent: outside.mounting(&reader.mount, dockerfile_name(rs)),
                }
            });
            if !up.writers.is_empty() || !up.absent.is_empty() {
                out.push(CachePass {
                    cache_id: cache.id.clone(),
                    reader: reader.clone(),
                    writers: Arc::clone(&up.writers),
                    writer_target: up.target.clone(),
                    absent: up.absent.clone(),
                });
            }
        }
    }
    out
}

/// The writers a stage's readers of one cache have.
struct Upstream {
    writers: Arc<[StepId]>,
    target: Option<String>,
    absent: Vec<(String, usize)>,
}

/// The passes whose reader ran in this build while every writer was a cache hit.
pub fn stale(steps: &[Step], deps: &[Dependency], passes: &[CachePass]) -> Vec<StaleCache> {
    let graph = StageGraph::new(deps);
    passes
        .iter()
        .filter(|p| {
            matches!(
                steps[p.reader.step].state,
                State::Done | State::Failed | State::Running
            ) && p.writers.iter().all(|&w| steps[w].state == State::Cached)
        })
        .map(|p| {
            let failure = failure_after(steps, &graph, p.reader.step);
            StaleCache {
                cache_id: p.cache_id.clone(),
                reader: p.reader.step,
                writers: p.writers.to_vec(),
                absent: p.absent.clone(),
                failure,
                explanation: stale_explanation(steps, p, failure),
                fix: fix(steps, p),
            }
        })
        .collect()
}

/// The first failed step in the reader's stage at or after it, or in a stage built on it.
fn failure_after(steps: &[Step], graph: &StageGraph, reader: StepId) -> Option<StepId> {
    let r = &steps[reader];
    let rs = r.stage.as_deref()?;
    let at = r.parsed.index().map_or(0, |i| i.0);
    let mut failed: Vec<&Step> = steps
        .iter()
        .filter(|s| s.state == State::Failed)
        .filter(|s| match s.stage.as_deref() {
            Some(ss) if ss == rs => s.parsed.index().map_or(0, |i| i.0) >= at,
            Some(ss) => graph.depends_on(ss, rs),
            None => false,
        })
        .collect();
    failed.sort_by_key(|s| s.end());
    failed.first().map(|s| s.id)
}

/// Writers the Dockerfile has that the build does not show: steps of a stage the reader's stage
/// builds on (so BuildKit needed them) that no step of the build stands for, by its stage and
/// index or by its instruction (BuildKit runs a step identical in two stages once, under one
/// name: that one is in the build).
struct Outside<'a> {
    df: Option<&'a Dockerfile>,
    /// (stage as the Dockerfile names it, index) of every step in the build.
    present: HashSet<(&'a str, u32)>,
    /// The text of every step in the build.
    texts: HashSet<&'a str>,
}

impl<'a> Outside<'a> {
    fn new(steps: &'a [Step], df: Option<&'a Dockerfile>) -> Outside<'a> {
        Outside {
            df,
            present: steps
                .iter()
                .filter_map(|s| Some((dockerfile_name(s.stage.as_deref()?), s.parsed.index()?.0)))
                .collect(),
            texts: steps.iter().map(|s| s.parsed.text()).collect(),
        }
    }

    /// Those steps that mount the cache `mount` mounts, for a reader in `reader_stage`, as
    /// (`[builder 2/4]`, line).
    fn mounting(
        &self,
        mount: &crate::instruction::Mount,
        reader_stage: &str,
    ) -> Vec<(String, usize)> {
        let Some(df) = self.df else {
            return Vec::new();
        };
        let key = mount.cache_key();
        let mut out = Vec::new();
        for i in upstream(df, reader_stage) {
            let stage = &df.stages[i];
            let label = stage.label();
            for (step, index, total) in stage.numbered() {
                let mounts_it = step
                    .mounts
                    .iter()
                    .any(|(m, _)| !m.readonly && m.cache_key() == key);
                let shown = self.present.contains(&(label.as_str(), index))
                    || self.texts.contains(step.instruction.to_string().as_str());
                if mounts_it && !shown {
                    out.push((format!("[{} {index}/{total}]", stage.label()), step.line));
                }
            }
        }
        out
    }
}

/// The stages the stage labelled `label` builds on, directly or not, by the Dockerfile.
fn upstream(df: &Dockerfile, label: &str) -> Vec<usize> {
    let Some(start) = df.stages.iter().position(|s| s.label() == label) else {
        return Vec::new();
    };
    let deps = df.dependencies();
    let mut seen = vec![false; df.stages.len()];
    let mut todo = vec![start];
    let mut out = Vec::new();
    while let Some(s) = todo.pop() {
        for d in deps.iter().filter(|d| d.stage == s) {
            if !seen[d.source] {
                seen[d.source] = true;
                out.push(d.source);
                todo.push(d.source);
            }
        }
    }
    out.sort_unstable();
    out
}

/// `[builder 2/4]`, `[builder 2/4] and [deps 1/1]`; the absent ones as the Dockerfile names them.
fn writer_names(steps: &[Step], p: &CachePass) -> Vec<String> {
    let mut names: Vec<String> = p.writers.iter().map(|&w| short_name(&steps[w])).collect();
    names.extend(absent_names(&p.absent));
    names
}

/// `[builder 2/4] (line 12, not in this build)`.
pub fn absent_names(absent: &[(String, usize)]) -> Vec<String> {
    absent
        .iter()
        .map(|(name, line)| format!("{name} (line {line}, not in this build)"))
        .collect()
}

fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

const NOT_A_LAYER: &str = "A cache mount is not a layer: a cache hit restores a step's layer, \
never what it left in a cache mount, and --cache-to/--cache-from never carry cache mounts";

fn stale_explanation(steps: &[Step], p: &CachePass, failure: Option<StepId>) -> String {
    let r = short_name(&steps[p.reader.step]);
    let names = writer_names(steps, p);
    let one = names.len() == 1;
    let mut s = format!(
        "{r} ran and read cache \"{}\", but {}, which fill{} it, did not run in this build{}: \
         nothing put the files there. {NOT_A_LAYER}; so {r} saw whatever an earlier build on \
         this builder left in the cache, and nothing on a fresh CI runner or after `docker \
         buildx prune`.",
        p.cache_id,
        and_list(&names),
        if one { "s" } else { "" },
        if p.writers.is_empty() {
            String::new()
        } else if one {
            " (a cache hit)".to_string()
        } else {
            " (cache hits)".to_string()
        },
    );
    if let Some(f) = failure {
        s.push_str(&format!(
            " The build then failed at {}: the failure is likely the empty cache.",
            short_name(&steps[f])
        ));
    }
    s
}

/// What `lint` says of a pass: the data, and when it does not arrive.
pub fn pass_explanation(steps: &[Step], p: &CachePass) -> String {
    let r = short_name(&steps[p.reader.step]);
    let rs = steps[p.reader.step]
        .stage
        .as_deref()
        .map_or("its stage", dockerfile_name);
    let names = writer_names(steps, p);
    let fills = if names.len() == 1 { "fills" } else { "fill" };
    let mut s = format!(
        "{r} reads cache \"{}\", which {} {fills}",
        p.cache_id,
        and_list(&names)
    );
    if !p.writers.is_empty() {
        s.push_str(&format!(" in a stage {rs} builds on"));
    }
    s.push_str(&format!(
        ": data passed between stages through a cache mount. {NOT_A_LAYER}. So the files \
         arrive only when the writer runs in the same build; when it is a cache hit (a rebuild \
         that re-runs {r} but not the writer, a CI runner with --cache-from, a pruned builder), \
         {r} reads an empty or stale cache."
    ));
    s
}

/// The fix that holds in CI: pass the files through the stage (a layer), never a cache mount.
pub fn fix(steps: &[Step], p: &CachePass) -> String {
    let r = &steps[p.reader.step];
    let rs = r
        .stage
        .as_deref()
        .map_or("the reader's stage", dockerfile_name);
    let rt = p
        .reader
        .mount
        .target
        .as_deref()
        .unwrap_or("<where it reads>");
    let (w, ws, wt) = match p.writers.last() {
        Some(&w) => {
            let s = &steps[w];
            (
                short_name(s),
                s.stage
                    .as_deref()
                    .map_or("the writer's stage", dockerfile_name)
                    .to_string(),
                p.writer_target
                    .as_deref()
                    .unwrap_or("<the cache>")
                    .to_string(),
            )
        }
        None => {
            let a = p.absent.first().map_or("[the writer]", |a| a.0.as_str());
            let stage = a.trim_start_matches('[').split(' ').next().unwrap_or(a);
            (a.to_string(), stage.to_string(), "<the cache>".to_string())
        }
    };
    let out = format!("{}.out", wt.trim_end_matches('/'));
    format!(
        "Pass the files through the stage, never a cache mount: have {w} also copy what it \
         leaves in the cache into its stage's filesystem (end its command with `&& mkdir -p \
         {out} && cp -a {wt}/. {out}/`), and in {rs} replace the cache read at {} with `COPY \
         --from={ws} {out}/ {rt}/`. A layer is cached, exported with --cache-to and restored on \
         a cache hit; a cache mount is none of these. Keep cache mounts for what a step can do \
         without (a download cache).",
        short_name(r)
    )
}

#[cfg(test)]
mod tests {
    use crate::analysis::{of_steps, ran, Analysis, Given};

    const FILL: &str = "[builder 2/2] RUN --mount=type=cache,id=mods,target=/m fill";
    const READ: &str = "[stage-2 1/3] RUN --mount=type=cache,id=mods,target=/m read";

    /// builder fills the cache (a cache hit or not), stage-2 reads it, copies from builder, and
    /// then fails or not.
    fn build(writer_hit: bool, fails: bool) -> Analysis {
        of_steps(&[
            ran("[builder 1/2] RUN setup", 0, 10),
            Given {
                inputs: &[0],
                cached: writer_hit,
                ..ran(FILL, 10, 20)
            },
            Given {
                inputs: &[1],
                ..ran(READ, 20, 30)
            },
            Given {
                inputs: &[2, 1],
                ..ran("[stage-2 2/3] COPY --from=builder /out /out", 30, 40)
            },
            Given {
                inputs: &[3],
                error: fails.then_some("exit code: 1"),
                ..ran("[stage-2 3/3] RUN test -e /m/ready", 40, 50)
            },
        ])
    }

    #[test]
    fn a_reader_that_ran_while_its_writer_was_a_cache_hit_read_a_stale_cache() {
        let a = build(true, true);
        assert_eq!(a.stale.len(), 1, "{:?}", a.stale);
        let s = &a.stale[0];
        assert_eq!((s.cache_id.as_str(), s.reader), ("mods", 2));
        assert_eq!(s.writers, [1]);
        assert_eq!(
            s.failure,
            Some(4),
            "the failure after it is likely the empty cache"
        );
        assert_eq!(
            a.cache_passes.len(),
            1,
            "the graph alone says stage-2 reads builder's cache"
        );
    }

    #[test]
    fn a_writer_that_ran_filled_the_cache() {
        let a = build(false, false);
        assert!(a.stale.is_empty(), "{:?}", a.stale);
    }

    #[test]
    fn a_stale_cache_with_no_failure_after_it_names_none() {
        let a = build(true, false);
        assert_eq!(a.stale.len(), 1, "{:?}", a.stale);
        assert_eq!(a.stale[0].failure, None);
    }
}
