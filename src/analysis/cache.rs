//! Cache hazards: two steps that mount the same cache id with nothing in the build graph ordering
//! them. A cache mount creates no edge, so BuildKit may run them in either order; whoever reads
//! may see the cache before the other has filled it.

use std::collections::HashMap;

use crate::graph::{dockerfile_name, short_name, Dependency, StageGraph, Step, StepId};
use crate::instruction::Mount;
use crate::model::{Nanos, State};

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
    /// Whether the two raced this time, or one or both were cache hits (which never run).
    pub race: Race,
    /// The step that completed first this time (with `sharing=locked`: the one that took the
    /// lock); none when they did not both run.
    pub first: Option<StepId>,
    /// How far apart the two completions were.
    pub margin: Option<Nanos>,
    pub explanation: String,
    pub fix: String,
}

/// Whether the two steps of a hazard raced this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Race {
    /// Both ran (or one never got to): whoever finished first took the cache first.
    Ran,
    /// Both were cache hits: neither ran, so nothing raced and neither used the cache mount.
    BothHits,
    /// This step was a cache hit: it did not run, so it filled or read nothing in this build,
    /// and the other ran on its own, with whatever earlier builds left in the cache.
    OneHit(StepId),
}

impl Race {
    /// Its key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Race::Ran => "ran",
            Race::BothHits => "both_hits",
            Race::OneHit(_) => "one_hit",
        }
    }
}

/// Hazards listed per cache id, and in all; the rest are counted ([`Hazards::unlisted`]). A
/// thousand steps on one cache make half a million unordered pairs: nobody reads past the first.
const LISTED_PER_CACHE: usize = 20;
const LISTED_IN_ALL: usize = 200;
/// Steps per cache id whose order is checked; beyond that they are counted, not paired.
const CHECKED_PER_CACHE: usize = 2_000;

/// The cache hazards of a build: the pairs listed, and how many more there are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hazards {
    pub listed: Vec<CacheHazard>,
    /// Unordered pairs on a shared cache that are not listed (over the limits above), plus steps
    /// past [`CHECKED_PER_CACHE`] on one cache, which were not paired at all.
    pub unlisted: u64,
}

/// The steps that mount one cache directory (its id, and its `from=` seed if any: see
/// [`Mount::cache_key`]), once per Dockerfile step, in build order.
#[derive(Debug, Clone)]
pub struct SharedCache {
    /// The id as the Dockerfile gives it (the target when it gives none).
    pub id: String,
    pub uses: Vec<CacheUse>,
}

/// Every cache directory the build's steps mount, with the steps that mount it.
pub fn shared(steps: &[Step]) -> Vec<SharedCache> {
    let mut by_key: Vec<SharedCache> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::new();
    for s in steps {
        let Some(i) = s.parsed.flagged_instruction() else {
            continue;
        };
        for mount in i.mounts() {
            let (Some(key), Some(id)) = (mount.cache_key(), mount.cache_id()) else {
                continue;
            };
            let id = id.to_string();
            let at = *slot.entry(key).or_insert_with(|| {
                by_key.push(SharedCache {
                    id,
                    uses: Vec::new(),
                });
                by_key.len() - 1
            });
            add_use(&mut by_key[at].uses, steps, CacheUse { step: s.id, mount });
        }
    }
    by_key
}

/// The pairs of steps on one cache that nothing in the graph orders (their inputs, followed
/// all the way up: the one notion of "ordered" that the build's chart and `lint` share).
pub fn find(steps: &[Step], deps: &[Dependency], caches: &[SharedCache]) -> Hazards {
    let graph = StageGraph::new(deps);
    let mut out = Hazards::default();
    let mut reach = Reach::new(steps.len());
    for SharedCache { id, uses } in caches {
        let checked = &uses[..uses.len().min(CHECKED_PER_CACHE)];
        out.unlisted += (uses.len() - checked.len()) as u64;
        let room = LISTED_PER_CACHE.min(LISTED_IN_ALL - out.listed.len());
        let (pairs, all) = reach.unordered_pairs(steps, checked, room);
        out.unlisted += all - pairs.len() as u64;
        for (a, b) in pairs {
            let (a, b) = (checked[a].clone(), checked[b].clone());
            if a.mount.readonly && b.mount.readonly {
                continue; // neither can write it: nothing to race for
            }
            out.listed.push(hazard(steps, &graph, id, a, b));
        }
    }
    out
}

/// Adds a use of a cache, once per Dockerfile step: the same instruction solved twice (each bake
/// target on its own, on older BuildKit) counts once, as the instance that executed. The same
/// instruction on two platforms is two steps (they do race on a cache both mount).
fn add_use(uses: &mut Vec<CacheUse>, steps: &[Step], u: CacheUse) {
    let same = |e: &CacheUse| {
        let (a, b) = (&steps[e.step], &steps[u.step]);
        a.name() == b.name() && a.platform() == b.platform() && a.origin() == b.origin()
    };
    match uses.iter_mut().find(|e| same(e)) {
        Some(e) if steps[e.step].state == State::Cached && steps[u.step].state != State::Cached => {
            *e = u
        }
        Some(_) => {}
        None => uses.push(u),
    }
}

/// Which of a set of steps reach which through their inputs: one walk up from each, with the
/// marks reused between walks.
struct Reach {
    seen: Vec<u32>,
    walk: u32,
    stack: Vec<StepId>,
}

impl Reach {
    fn new(steps: usize) -> Self {
        Reach {
            seen: vec![0; steps],
            walk: 0,
            stack: Vec::new(),
        }
    }

    /// The first `keep` pairs `(i, j)`, `i < j`, of `uses` on different steps where neither step
    /// has the other among its (transitive) inputs, and how many such pairs there are.
    fn unordered_pairs(
        &mut self,
        steps: &[Step],
        uses: &[CacheUse],
        keep: usize,
    ) -> (Vec<(usize, usize)>, u64) {
        let mut index: HashMap<StepId, Vec<usize>> = HashMap::new();
        for (i, u) in uses.iter().enumerate() {
            index.entry(u.step).or_default().push(i);
        }
        let n = uses.len();
        let mut ordered = vec![false; n * n];
        for (i, u) in uses.iter().enumerate() {
            for above in self.ancestors(steps, u.step) {
                for &j in index.get(&above).map_or(&[][..], |v| v.as_slice()) {
                    ordered[i * n + j] = true;
                    ordered[j * n + i] = true;
                }
            }
        }
        let mut out = Vec::new();
        let mut all = 0;
        for i in 0..n {
            for j in i + 1..n {
                if uses[i].step != uses[j].step && !ordered[i * n + j] {
                    all += 1;
                    if out.len() < keep {
                        out.push((i, j));
                    }
                }
            }
        }
        (out, all)
    }

    /// Every step `from` stands on, directly or not.
    fn ancestors(&mut self, steps: &[Step], from: StepId) -> Vec<StepId> {
        self.walk += 1;
        let mut found = Vec::new();
        self.stack.clear();
        self.stack.push(from);
        while let Some(s) = self.stack.pop() {
            for &i in &steps[s].inputs {
                if self.seen[i] != self.walk {
                    self.seen[i] = self.walk;
                    found.push(i);
                    self.stack.push(i);
                }
            }
        }
        found
    }
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
    // A cache hit did not run: it took no cache, first or last.
    let hit = |s: &Step| s.state == State::Cached;
    let race = match (hit(w), hit(r)) {
        (true, true) => Race::BothHits,
        (true, false) => Race::OneHit(w.id),
        (false, true) => Race::OneHit(r.id),
        (false, false) => Race::Ran,
    };
    let (first, margin) = match (w.end(), r.end()) {
        _ if race != Race::Ran => (None, None),
        (Some(we), Some(re)) if re < we => (Some(r.id), Some(we - re)),
        (Some(we), Some(re)) => (Some(w.id), Some(re - we)),
        (Some(_), None) => (Some(w.id), None),
        (None, Some(_)) => (Some(r.id), None),
        (None, None) => (None, None),
    };
    // A build record's trace proves it: whose container was made first held the cache first.
    let first = match (w.wait(), r.wait()) {
        (Some(ww), Some(rw)) if race == Race::Ran => Some(if rw.1 < ww.1 { r.id } else { w.id }),
        _ => first,
    };
    let mut explanation = explain(steps, id, (&writer, &reader), roles_known, (first, margin));
    explanation.push_str(&no_race(steps, id, (w, r), roles_known, race));
    if let Some(proof) = lock_proof(steps, id, (w, r), first) {
        explanation.push(' ');
        explanation.push_str(&proof);
    }
    let fix = cross_dockerfile(w, r).unwrap_or_else(|| same_dockerfile(w, r));
    CacheHazard {
        cache_id: id.to_string(),
        writer,
        reader,
        roles_known,
        race,
        first,
        margin,
        explanation,
        fix,
    }
}

/// What a build where they did not both run says: a cache hit does not run, so it neither
/// filled nor read the cache in this build (empty when both ran).
fn no_race(
    steps: &[Step],
    id: &str,
    (w, r): (&Step, &Step),
    roles_known: bool,
    race: Race,
) -> String {
    let (wn, rn) = (short_name(w), short_name(r));
    let other = |h: StepId| if h == w.id { r.id } else { w.id };
    match race {
        Race::Ran => String::new(),
        Race::BothHits => format!(
            " This time no race ran: both were cache hits, so neither ran nor used cache \
             \"{id}\". A build that runs them again (a changed input, a pruned cache, a fresh CI \
             runner) races again."
        ),
        Race::OneHit(h) if matches!(steps[other(h)].state, State::Waiting) => format!(
            " This time no race ran: {} was a cache hit (it did not run, so it filled or read \
             nothing) and {} never ran.",
            short_name(&steps[h]),
            short_name(&steps[other(h)])
        ),
        Race::OneHit(h) if roles_known && h == w.id => format!(
            " This time no race ran: {wn} was a cache hit, so it did not run and filled nothing \
             in this build, and {rn} ran on its own with whatever earlier builds left in cache \
             \"{id}\" (on a fresh builder or CI runner: nothing)."
        ),
        Race::OneHit(_) if roles_known => format!(
            " This time no race ran: {rn} was a cache hit, so it did not run and read nothing in \
             this build; {wn} ran on its own."
        ),
        Race::OneHit(h) => {
            let other = if h == w.id { &rn } else { &wn };
            format!(
                " This time no race ran: {} was a cache hit (it did not run) and {other} ran on \
                 its own.",
                short_name(&steps[h])
            )
        }
    }
}

/// What the trace proves, when both steps' containers are in it: who waited for whom.
fn lock_proof(
    steps: &[Step],
    id: &str,
    (w, r): (&Step, &Step),
    first: Option<StepId>,
) -> Option<String> {
    let (_, _) = (w.wait()?, r.wait()?);
    let holder = &steps[first?];
    let waiter = if holder.id == w.id { r } else { w };
    Some(format!(
        "The build record's trace proves it: {} waited {} for cache \"{id}\", held by {}.",
        short_name(waiter),
        crate::model::secs(waiter.lock_wait()),
        short_name(holder)
    ))
}

/// Why the two may go either way, and which way they went this time.
fn explain(
    steps: &[Step],
    id: &str,
    (writer, reader): (&CacheUse, &CacheUse),
    roles_known: bool,
    (first, margin): (Option<StepId>, Option<Nanos>),
) -> String {
    let (w, r) = (&steps[writer.step], &steps[reader.step]);
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
    let secs = crate::model::secs;
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
    explanation
}

/// The fix: a marker the reader's stage copies from the writer's. Stages named as in the
/// Dockerfile (`builder`, not `builder · linux/386`): the fix is pasted there.
fn same_dockerfile(w: &Step, r: &Step) -> String {
    let ws = w
        .stage
        .as_deref()
        .map_or("the writer's stage", dockerfile_name);
    let rs = r
        .stage
        .as_deref()
        .map_or("the reader's stage", dockerfile_name);
    format!(
        "Order them with a real dependency: in {ws}, after {}, write a marker (`RUN touch /.{ws}-cache-ready`), \
         and in {rs}, before {}, add `COPY --from={ws} /.{ws}-cache-ready /tmp/`. Or pass the files \
         through the stage instead of the cache: copy them to a path in {ws} and `COPY --from={ws}` that path. \
         Only passing the files holds when {w} is a cache hit (a rebuild, a CI runner with \
         --cache-from): a cache \
         mount is not a layer, and a cache hit fills nothing.",
        short_name(w),
        short_name(r),
        w = short_name(w),
    )
}

/// The fix when the two steps are in different Dockerfiles of one bake: the reader's target
/// gets the writer's stage as a named context (a bake target of its own).
fn cross_dockerfile(w: &Step, r: &Step) -> Option<String> {
    let (wo, ro) = (w.origin()?, r.origin()?);
    let (wt, rt) = (w.targets().first()?, r.targets().first()?);
    if wo == ro {
        return None;
    }
    let ws = dockerfile_name(w.stage.as_deref()?);
    let rs = dockerfile_name(r.stage.as_deref()?);
    let ctx = format!("{wt}-{ws}");
    Some(format!(
        "Order them with a real dependency across the two Dockerfiles: in stage {ws} of {wo}, after \
         {}, write a marker (`RUN touch /.{ws}-cache-ready`); in the bake file, add a target `{ctx}` \
         building that stage (dockerfile = \"{wo}\", target = \"{ws}\") and give target {rt} \
         `contexts = {{ {ctx} = \"target:{ctx}\" }}`; then in stage {rs} of {ro}, before {}, add \
         `COPY --from={ctx} /.{ws}-cache-ready /tmp/`.",
        short_name(w),
        short_name(r)
    ))
}
