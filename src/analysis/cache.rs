//! Cache hazards: two steps that mount the same cache id with nothing in the build graph ordering
//! them. A cache mount creates no edge, so BuildKit may run them in either order; whoever reads
//! may see the cache before the other has filled it.

use std::collections::HashSet;

use crate::graph::{Dependency, StageGraph, Step, StepId};
use crate::instruction::Mount;
use crate::model::Nanos;

/// A step's use of a cache mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheUse {
    pub step: StepId,
    pub mount: Mount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHazard {
    pub cache_id: String,
    /// The two steps, the presumed writer first (the one in the stage the other depends on).
    pub writer: CacheUse,
    pub reader: CacheUse,
    /// Whether the writer/reader roles come from the stage dependencies (else just graph order).
    pub roles_known: bool,
    /// The step that completed first this time (with `sharing=locked`: the one that took the lock).
    pub first: Option<StepId>,
    /// How far apart the two completions were.
    pub margin: Option<Nanos>,
    pub explanation: String,
    pub fix: String,
}

pub fn find(steps: &[Step], deps: &[Dependency]) -> Vec<CacheHazard> {
    let uses: Vec<CacheUse> = steps
        .iter()
        .filter_map(|s| Some((s, s.parsed.instruction.as_ref()?)))
        .flat_map(|(s, i)| {
            i.mounts()
                .into_iter()
                .filter(|m| m.cache_id().is_some())
                .map(|mount| CacheUse { step: s.id, mount })
        })
        .collect();
    let graph = StageGraph::new(deps);
    let mut out = Vec::new();
    for (i, a) in uses.iter().enumerate() {
        for b in &uses[i + 1..] {
            let id = a.mount.cache_id().unwrap_or_default();
            if a.step == b.step || b.mount.cache_id() != Some(id) {
                continue;
            }
            if reaches(steps, a.step, b.step) || reaches(steps, b.step, a.step) {
                continue;
            }
            out.push(hazard(steps, &graph, id, a.clone(), b.clone()));
        }
    }
    out
}

/// Whether `from` (transitively) has `to` among its inputs.
fn reaches(steps: &[Step], from: StepId, to: StepId) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(s) = stack.pop() {
        for &i in &steps[s].inputs {
            if i == to {
                return true;
            }
            if seen.insert(i) {
                stack.push(i);
            }
        }
    }
    false
}

fn hazard(steps: &[Step], graph: &StageGraph, id: &str, a: CacheUse, b: CacheUse) -> CacheHazard {
    let stage = |u: &CacheUse| steps[u.step].stage.clone().unwrap_or_default();
    // The writer is the step in the stage the other stage builds on (`builder` for a stage that
    // copies from `builder`).
    let (writer, reader, roles_known) = if graph.depends_on(&stage(&b), &stage(&a)) {
        (a, b, true)
    } else if graph.depends_on(&stage(&a), &stage(&b)) {
        (b, a, true)
    } else {
        (a, b, false)
    };
    let (w, r) = (&steps[writer.step], &steps[reader.step]);
    let (first, margin) = match (w.end(), r.end()) {
        (Some(we), Some(re)) if re < we => (Some(r.id), Some(we - re)),
        (Some(we), Some(re)) => (Some(w.id), Some(re - we)),
        (Some(_), None) => (Some(w.id), None),
        (None, Some(_)) => (Some(r.id), None),
        (None, None) => (None, None),
    };
    let locked = writer.mount.sharing == "locked" || reader.mount.sharing == "locked";
    let label = |s: &Step| short_name(s);
    let sharing = if locked {
        "sharing=locked makes them take turns, but not in any fixed order".to_string()
    } else {
        format!(
            "sharing={} lets them run on it at the same time",
            writer.mount.sharing
        )
    };
    let mut explanation = format!(
        "{} and {} both mount cache \"{id}\" and nothing in the build graph orders them: a cache \
         mount is not a dependency, so BuildKit runs each as soon as its own inputs are ready ({sharing}).",
        label(w),
        label(r)
    );
    let secs = |n: Nanos| format!("{:.2} s", n as f64 / 1e9);
    match (first, roles_known) {
        (Some(f), true) if f == r.id => explanation.push_str(&format!(
            " This time the reader won: {} finished{} before {} did, so it saw the cache before \
             {} filled it.",
            label(r),
            margin.map(|m| format!(" {}", secs(m))).unwrap_or_default(),
            label(w),
            label(w)
        )),
        (Some(_), true) => explanation.push_str(&format!(
            " This time the writer won: {} finished first{}, so {} saw its result. Nothing \
             guarantees that order: the next build may go the other way.",
            label(w),
            margin
                .map(|m| format!(" ({} ahead)", secs(m)))
                .unwrap_or_default(),
            label(r)
        )),
        (Some(f), false) => explanation.push_str(&format!(
            " This time {} finished first; the next build may go the other way.",
            label(&steps[f])
        )),
        (None, _) => {}
    }
    let ws = w
        .stage
        .clone()
        .unwrap_or_else(|| "the writer's stage".into());
    let rs = r
        .stage
        .clone()
        .unwrap_or_else(|| "the reader's stage".into());
    let fix = format!(
        "Order them with a real dependency: in {ws}, after {}, write a marker (`RUN touch /.{ws}-cache-ready`), \
         and in {rs}, before {}, add `COPY --from={ws} /.{ws}-cache-ready /tmp/`. Or pass the files \
         through the stage instead of the cache: copy them to a path in {ws} and `COPY --from={ws}` that path.",
        label(w),
        label(r)
    );
    CacheHazard {
        cache_id: id.to_string(),
        writer,
        reader,
        roles_known,
        first,
        margin,
        explanation,
        fix,
    }
}

/// `[builder 2/3]`: the bracket part of a Dockerfile step's name; other steps' whole name.
pub fn short_name(s: &Step) -> String {
    match s.name.find(']') {
        Some(i) if s.parsed.is_dockerfile_step() => s.name[..=i].to_string(),
        _ => s.name.clone(),
    }
}
