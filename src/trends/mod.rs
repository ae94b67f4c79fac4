//! Many builds of one Dockerfile (or bake), read from a pile of records and logs: how often they
//! failed, how their wall time moves, which step took each shared cache first and how often the
//! build failed when it did (the race proven from history, without a `repeat`), and per step its
//! runs, cache hits, durations, trend and time on the critical path. Each build is summarised as
//! it is read ([`BuildFacts`], a few hundred bytes); no build's model outlives its reading.

mod read;
pub mod words;

pub use read::{read, Progress};

use std::collections::HashMap;

use crate::analysis::{outcome, Analysis, CacheHazard, Outcome, Step, StepId};
use crate::chart::short_name;
use crate::model::{Build, Nanos, State};

/// What one build says, kept for the pile.
#[derive(Debug, Clone)]
pub struct BuildFacts {
    /// Where it was read (a file, `zip:entry`, a record exported from a builder).
    pub source: String,
    /// Its place in the pile read (to open it again).
    pub index: usize,
    /// The build record's reference, for a record.
    pub reference: Option<String>,
    /// When its first step started (none for a saved plain log: it has no clock).
    pub start: Option<Nanos>,
    pub wall: Nanos,
    pub outcome: Outcome,
    /// Its record's trace said when each container was made (who held a lock is proven).
    pub traced: bool,
    /// The step that failed and why, in a line.
    pub failure: Option<String>,
    pub steps: Vec<StepRun>,
    pub hazards: Vec<CacheRace>,
}

/// One step's run in one build.
#[derive(Debug, Clone)]
pub struct StepRun {
    /// The step's name as the report writes it (with its platform or bake target where the
    /// report adds them).
    pub name: String,
    /// Executed (or failed, or was cancelled), not a cache hit.
    pub executed: bool,
    pub cached: bool,
    /// Its execution (a wait for a locked cache left out).
    pub time: Nanos,
    pub critical: bool,
    /// When it started, from the build's start.
    pub start: Nanos,
}

/// buildx's own last step with `--metadata-file` (and bake's per target): in a log, never in a
/// build record, and no part of the build. Left out, so that a pile of records and the pile of
/// their logs say the same.
fn client_side(s: &Step) -> bool {
    s.name().contains("resolving provenance for metadata file")
}

/// Who took a shared cache first in one build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRace {
    pub cache: String,
    /// The steps that mount it with nothing ordering them (short names: `[stage-2 2/4]`).
    pub steps: Vec<String>,
    /// The one that took it first, when one can be said.
    pub first: Option<String>,
    /// Whether the record's trace proves it (else the order in which the steps finished).
    pub proven: bool,
}

impl BuildFacts {
    /// The facts of an analysed build.
    pub fn of(index: usize, source: String, build: &Build, a: &Analysis) -> BuildFacts {
        let o = outcome(build, a);
        let critical: Vec<StepId> = a
            .critical_path
            .as_ref()
            .map_or(Vec::new(), |c| c.steps.clone());
        let zero = a.start.unwrap_or(0);
        let steps = a
            .steps
            .iter()
            .filter(|s| s.state != State::Waiting && !client_side(s))
            .map(|s| StepRun {
                name: step_name(s),
                executed: s.state != State::Cached,
                cached: s.state == State::Cached,
                time: if s.state == State::Cached {
                    0
                } else {
                    crate::analysis::measure(&s.executing())
                },
                critical: critical.contains(&s.id),
                start: s.start().map_or(0, |t| t - zero),
            })
            .collect();
        let failure = crate::analysis::failed_steps(a).first().map(|s| {
            let why = s.error().unwrap_or("failed");
            crate::chart::words::cut(&format!("{} failed: {why}", short_name(s)), 200)
        });
        BuildFacts {
            source,
            index,
            reference: build.record.as_ref().map(|r| r.reference.clone()),
            start: build.has_clock().then_some(a.start).flatten(),
            wall: match (a.start, a.end) {
                (Some(s), Some(e)) => (e - s).max(0),
                _ => 0,
            },
            outcome: o,
            traced: a.steps.iter().any(|s| s.wait().is_some()),
            failure: failure.or_else(|| {
                (o == Outcome::Failed)
                    .then(|| build.error_message())
                    .flatten()
            }),
            steps,
            hazards: races(a),
        }
    }

    pub fn failed(&self) -> bool {
        self.outcome == Outcome::Failed
    }
}

/// `[builder 2/3] RUN …`: the step's short name (platform, bake target as the report says them)
/// and the rest of its name.
fn step_name(s: &Step) -> String {
    let short = short_name(s);
    match s.name().find(']') {
        Some(i) if s.parsed.is_dockerfile_step() => format!("{short}{}", &s.name()[i + 1..]),
        _ => short,
    }
}

/// Per cache, the step that took it first: the one that went first in most of its pairs (with
/// two steps, the pair's own verdict), the earlier to finish on a tie.
fn races(a: &Analysis) -> Vec<CacheRace> {
    let mut by_cache: Vec<(String, Vec<&CacheHazard>)> = Vec::new();
    for h in &a.hazards {
        match by_cache.iter_mut().find(|(c, _)| *c == h.cache_id) {
            Some((_, v)) => v.push(h),
            None => by_cache.push((h.cache_id.clone(), vec![h])),
        }
    }
    by_cache
        .into_iter()
        .map(|(cache, pairs)| {
            let mut steps: Vec<StepId> = Vec::new();
            for h in &pairs {
                for s in [h.writer.step, h.reader.step] {
                    if !steps.contains(&s) {
                        steps.push(s);
                    }
                }
            }
            let wins = |s: StepId| pairs.iter().filter(|h| h.first == Some(s)).count();
            let first = steps
                .iter()
                .copied()
                .filter(|&s| wins(s) > 0)
                .max_by_key(|&s| (wins(s), std::cmp::Reverse(a.steps[s].end())));
            let proven = first.is_some()
                && pairs.iter().all(|h| {
                    a.steps[h.writer.step].wait().is_some()
                        && a.steps[h.reader.step].wait().is_some()
                });
            let mut names: Vec<String> = steps.iter().map(|&s| short_name(&a.steps[s])).collect();
            names.sort();
            CacheRace {
                cache,
                steps: names,
                first: first.map(|s| short_name(&a.steps[s])),
                proven,
            }
        })
        .collect()
}

/// A step has grown when its median grew by this share…
pub const GREW_BY: f64 = 0.1;
/// …and by this many seconds at least.
pub const GREW_AT_LEAST: f64 = 0.02;

/// The pile, summed up.
#[derive(Debug, Clone, Default)]
pub struct Trends {
    /// Every build, oldest first (builds without a clock last, by name).
    pub builds: Vec<BuildFacts>,
    pub failed: usize,
    pub cancelled: usize,
    pub incomplete: usize,
    pub wall: Stats,
    /// How the wall time moved: the newer half's median less the older half's.
    pub wall_change: Option<f64>,
    pub hazards: Vec<HazardTrend>,
    /// In the order of the first build that ran them.
    pub steps: Vec<StepTrend>,
    /// What could not be read, a line each.
    pub skipped: Vec<String>,
}

/// Median and 90th percentile, in seconds (none of nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Stats {
    pub fn of(values: &[f64]) -> Stats {
        let mut v: Vec<f64> = values.to_vec();
        v.sort_by(f64::total_cmp);
        Stats {
            median: median(&v),
            p90: percentile(&v, 0.9),
        }
    }
}

/// The median of sorted values.
fn median(v: &[f64]) -> Option<f64> {
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with `q` of them at or below.
fn percentile(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let rank = (q * v.len() as f64).ceil().max(1.0) as usize;
    Some(v[rank.min(v.len()) - 1])
}

/// The newer half's median less the older half's (values oldest first), from four values on.
fn change(values: &[f64]) -> Option<f64> {
    if values.len() < 4 {
        return None;
    }
    let half = values.len() / 2;
    let sorted = |s: &[f64]| {
        let mut v = s.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    Some(median(&sorted(&values[values.len() - half..]))? - median(&sorted(&values[..half]))?)
}

/// One shared cache over the pile.
#[derive(Debug, Clone, Default)]
pub struct HazardTrend {
    pub cache: String,
    /// Builds in which its steps raced.
    pub builds: usize,
    /// Per step, in the order the steps sort: how often it took the cache first, and how often
    /// the build failed when it did.
    pub first: Vec<(String, usize)>,
    pub failed_when_first: Vec<(String, usize)>,
    /// Builds in which nobody can be said to have taken it first.
    pub unknown: usize,
    /// Builds whose record's trace proves who took it first.
    pub proven: usize,
}

/// One step over the pile.
#[derive(Debug, Clone, Default)]
pub struct StepTrend {
    pub name: String,
    /// Builds that ran it or hit the cache for it.
    pub runs: usize,
    pub cached: usize,
    /// Its execution in each build that executed it, oldest first (seconds).
    pub times: Vec<f64>,
    /// Per build of the pile, oldest first: its time there (none when cached or absent).
    pub series: Vec<Option<f64>>,
    pub stats: Stats,
    /// The newer half's median less the older half's (seconds).
    pub change: Option<f64>,
    /// Builds in which it was on the critical path.
    pub critical: usize,
    /// When it starts, on average, from its build's start (the order steps are listed in).
    pub start: f64,
}

impl Trends {
    /// The pile of builds summed up (in any order: they are put oldest first).
    pub fn of(mut builds: Vec<BuildFacts>, skipped: Vec<String>) -> Trends {
        builds.sort_by(|a, b| {
            (a.start.is_none(), a.start, &a.source).cmp(&(b.start.is_none(), b.start, &b.source))
        });
        let count = |o: Outcome| builds.iter().filter(|b| b.outcome == o).count();
        let walls: Vec<f64> = builds.iter().map(|b| b.wall as f64 / 1e9).collect();
        Trends {
            failed: count(Outcome::Failed),
            cancelled: count(Outcome::Cancelled),
            incomplete: count(Outcome::Incomplete),
            wall: Stats::of(&walls),
            wall_change: change(&walls),
            hazards: hazard_trends(&builds),
            steps: step_trends(&builds),
            builds,
            skipped,
        }
    }

    /// The steps whose median time grew most from the older half of the pile to the newer, most
    /// first: those that grew by [`GREW_BY`] of their median and [`GREW_AT_LEAST`] at least (less
    /// is the machine's noise).
    pub fn grew_most(&self, n: usize) -> Vec<&StepTrend> {
        let grew = |s: &&StepTrend| match (s.change, s.stats.median) {
            (Some(c), Some(m)) => c >= GREW_AT_LEAST && c >= GREW_BY * m,
            _ => false,
        };
        let mut v: Vec<&StepTrend> = self.steps.iter().filter(grew).collect();
        v.sort_by(|a, b| b.change.unwrap_or(0.0).total_cmp(&a.change.unwrap_or(0.0)));
        v.truncate(n);
        v
    }
}

fn hazard_trends(builds: &[BuildFacts]) -> Vec<HazardTrend> {
    let mut out: Vec<HazardTrend> = Vec::new();
    for b in builds {
        for r in &b.hazards {
            let at = match out.iter().position(|h| h.cache == r.cache) {
                Some(i) => i,
                None => {
                    out.push(HazardTrend {
                        cache: r.cache.clone(),
                        ..Default::default()
                    });
                    out.len() - 1
                }
            };
            let h = &mut out[at];
            h.builds += 1;
            for s in &r.steps {
                bump(&mut h.first, s, 0);
                bump(&mut h.failed_when_first, s, 0);
            }
            match &r.first {
                Some(f) => {
                    bump(&mut h.first, f, 1);
                    bump(&mut h.failed_when_first, f, usize::from(b.failed()));
                    h.proven += usize::from(r.proven);
                }
                None => h.unknown += 1,
            }
        }
    }
    for h in &mut out {
        h.first.sort();
        h.failed_when_first.sort();
    }
    out
}

fn bump(counts: &mut Vec<(String, usize)>, key: &str, by: usize) {
    match counts.iter_mut().find(|(k, _)| k == key) {
        Some((_, n)) => *n += by,
        None => counts.push((key.to_string(), by)),
    }
}

fn step_trends(builds: &[BuildFacts]) -> Vec<StepTrend> {
    let mut out: Vec<StepTrend> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    // The last build each step was counted in.
    let mut counted: Vec<usize> = Vec::new();
    for (i, b) in builds.iter().enumerate() {
        for r in &b.steps {
            let k = *at.entry(r.name.as_str()).or_insert_with(|| {
                out.push(StepTrend {
                    name: r.name.clone(),
                    series: vec![None; builds.len()],
                    ..Default::default()
                });
                counted.push(usize::MAX);
                out.len() - 1
            });
            // A name twice in one build (a step several platforms share) is one run.
            if counted[k] == i {
                continue;
            }
            counted[k] = i;
            let s = &mut out[k];
            s.runs += 1;
            s.cached += usize::from(r.cached);
            s.critical += usize::from(r.critical);
            s.start += r.start as f64 / 1e9;
            if r.executed {
                let t = r.time as f64 / 1e9;
                s.times.push(t);
                s.series[i] = Some(t);
            }
        }
    }
    for s in &mut out {
        s.stats = Stats::of(&s.times);
        s.change = change(&s.times);
        s.start /= s.runs.max(1) as f64;
    }
    out.sort_by(|a, b| {
        a.start
            .total_cmp(&b.start)
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}
