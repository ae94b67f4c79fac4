//! A build predicted from its Dockerfile(s) before it runs: the steps BuildKit will announce,
//! named as it names them (`[builder 2/3] RUN …`; the platform first in a multi-platform build,
//! the bake target first in a bake) and with the edges it gives them (the step before, `FROM` a
//! stage, `COPY --from`, `--mount=…,from=`, a bake context `target:NAME`), as the events a
//! rawjson stream would bring. The analysis reads the result as it reads a real build, so `lint`
//! and the chart share one notion of "ordered": the graph.
//!
//! What BuildKit runs once is one step here too: steps are keyed by what they do and stand on
//! (identical steps of two stages, or of two targets, are one), and only the stages the built
//! stage needs are in the build.

use std::collections::{HashMap, HashSet};

use crate::dockerfile::{Dockerfile, Platforms, Stage};
use crate::model::{Build, Event, EventKind, LogRetention, VertexUpdate};

/// One build to predict: a Dockerfile alone, or one target of a bake.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The bake target's name (none for a Dockerfile alone).
    pub name: Option<String>,
    /// The Dockerfile as the user named it (findings point at it).
    pub file: String,
    /// Its text.
    pub text: String,
    /// The build context (the same `COPY` from two contexts is two steps).
    pub context: String,
    pub args: Vec<(String, String)>,
    /// The stage to build (`--target`); none: the last.
    pub stage: Option<String>,
    /// Its platforms (`--platform`, bake's `platforms`); none: this machine's.
    pub platforms: Vec<String>,
    /// Named contexts that are other targets of the bake: (name, target).
    pub contexts: Vec<(String, String)>,
    /// Built only as another target's context (`target:NAME`), not asked for itself.
    pub context_only: bool,
}

/// The predicted build, and where each of its steps comes from.
#[derive(Debug)]
pub struct Prediction {
    pub build: Build,
    /// (Dockerfile as named, 1-based line) by vertex digest.
    pub places: HashMap<String, (String, usize)>,
    /// The Dockerfile, when every target reads the same one with the same arguments (the
    /// analysis then knows its stages and their order).
    pub dockerfile: Option<Dockerfile>,
}

/// Predicts the build of `targets`; `bake`: name steps as bake does (`[api builder 2/3]`).
pub fn predict(targets: &[Target], bake: bool) -> Result<Prediction, String> {
    let multi = targets.iter().any(|t| t.platforms.len() > 1);
    let mut p = Predictor {
        targets,
        bake,
        multi,
        events: Vec::new(),
        announced: HashSet::new(),
        places: HashMap::new(),
        tips: HashMap::new(),
        visiting: HashSet::new(),
    };
    for (i, t) in targets.iter().enumerate() {
        if bake {
            // Each target loads its Dockerfile (a context's too): told apart by its name.
            let file = std::path::Path::new(&t.file)
                .file_name()
                .map_or(t.file.clone(), |f| f.to_string_lossy().into_owned());
            let name = format!(
                "[{} internal] load build definition from {file}",
                t.name.as_deref().unwrap_or("default"),
            );
            p.announce(format!("lint:definition:{i}"), name, Vec::new(), None);
        }
        if t.context_only {
            continue;
        }
        for platform in platforms_of(t) {
            p.target_tip(i, &platform)?;
        }
    }
    let mut build = Build::new(LogRetention::default());
    for u in p.events {
        build.apply(Event {
            arrived: 0,
            kind: EventKind::Vertex(u),
        });
    }
    build.settle();
    let dockerfile = match targets {
        [first, rest @ ..]
            if rest
                .iter()
                .all(|t| t.text == first.text && t.args == first.args) =>
        {
            Some(Dockerfile::parse(&first.text, &first.args))
        }
        _ => None,
    };
    Ok(Prediction {
        build,
        places: p.places,
        dockerfile,
    })
}

fn platforms_of(t: &Target) -> Vec<String> {
    if t.platforms.is_empty() {
        vec![Platforms::host()]
    } else {
        t.platforms.clone()
    }
}

struct Predictor<'a> {
    targets: &'a [Target],
    bake: bool,
    /// Several platforms: names carry theirs.
    multi: bool,
    events: Vec<VertexUpdate>,
    /// (digest, target) pairs already announced.
    announced: HashSet<(String, Option<String>)>,
    places: HashMap<String, (String, usize)>,
    /// The last step of each (target, platform) built, once predicted.
    tips: HashMap<(usize, String), Option<String>>,
    /// Targets being predicted (a cycle of contexts is cut).
    visiting: HashSet<(usize, String)>,
}

/// One target on one platform, while its stages are predicted.
struct Cx<'d> {
    target: usize,
    platform: String,
    df: &'d Dockerfile,
    /// Each stage's last step, once predicted (`Some(None)`: a stage with no step).
    tips: Vec<Option<Option<String>>>,
}

impl Predictor<'_> {
    /// The last step of a target built for `platform` (its stages predicted on the way).
    fn target_tip(&mut self, t: usize, platform: &str) -> Result<Option<String>, String> {
        let key = (t, platform.to_string());
        if let Some(tip) = self.tips.get(&key) {
            return Ok(tip.clone());
        }
        if !self.visiting.insert(key.clone()) {
            return Ok(None);
        }
        let target = &self.targets[t];
        let platforms = Platforms {
            target: platform.to_string(),
            build: Platforms::host(),
        };
        let df = Dockerfile::parse_for(&target.text, &target.args, Some(&platforms));
        let Some(last) = df.stages.len().checked_sub(1) else {
            return Err(format!(
                "{}: no FROM instruction: not a Dockerfile",
                target.file
            ));
        };
        let stage = match &target.stage {
            None => last,
            Some(name) => {
                let want = name.to_lowercase();
                df.stages
                    .iter()
                    .position(|s| s.label() == want)
                    .ok_or_else(|| format!("{}: no stage named `{name}` (--target)", target.file))?
            }
        };
        let mut cx = Cx {
            target: t,
            platform: platform.to_string(),
            df: &df,
            tips: vec![None; df.stages.len()],
        };
        // In Dockerfile order, so that a step two stages share is named after the first, as
        // BuildKit names it.
        for i in needed(&df, stage) {
            self.stage_tip(&mut cx, i)?;
        }
        let tip = self.stage_tip(&mut cx, stage)?;
        self.visiting.remove(&key);
        self.tips.insert(key, tip.clone());
        Ok(tip)
    }

    /// The last step of a stage (its base's when it has none), its steps predicted.
    fn stage_tip(&mut self, cx: &mut Cx, i: usize) -> Result<Option<String>, String> {
        if let Some(tip) = &cx.tips[i] {
            return Ok(tip.clone());
        }
        let df = cx.df;
        let stage = &df.stages[i];
        let mut prev = match stage.base_stage {
            Some(b) => self.stage_tip(cx, b)?,
            None => self.context_tip(cx, &stage.base)?,
        };
        let platform = stage.platform.clone().unwrap_or(cx.platform.clone());
        let numbered = stage.numbered();
        let total = numbered.first().map_or(0, |n| n.2);
        if stage.from_image() && prev.is_none() {
            let digest = digest(&["FROM", &stage.base, &platform]);
            let name = self.name(cx, stage, 1, total, &format!("FROM {}", stage.base));
            self.announce(digest.clone(), name, Vec::new(), Some((cx, stage.line)));
            prev = Some(digest);
        }
        for (step, index, total) in numbered {
            let mut inputs: Vec<String> = prev.iter().cloned().collect();
            let mut sources: Vec<Option<String>> = Vec::new();
            match step.copy_from {
                Some(s) => sources.push(self.stage_tip(cx, s)?),
                None => {
                    if let Some(r) = step.instruction.copy_from() {
                        sources.push(self.context_tip(cx, r)?);
                    }
                }
            }
            for (m, from) in &step.mounts {
                match (from, m.from.as_deref()) {
                    (Some(s), _) => sources.push(self.stage_tip(cx, *s)?),
                    (None, Some(r)) => sources.push(self.context_tip(cx, r)?),
                    (None, None) => {}
                }
            }
            inputs.extend(sources.into_iter().flatten());
            let text = step.instruction.to_string();
            let run = step.instruction.keyword == "RUN";
            let target = &self.targets[cx.target];
            let scope: Vec<String> = step.scope.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut key: Vec<&str> = vec![&target.file, &target.context, &text];
            if run {
                key.push(&platform);
                key.extend(scope.iter().map(String::as_str));
            }
            let mut sorted = inputs.clone();
            sorted.sort();
            key.extend(sorted.iter().map(String::as_str));
            let digest = digest(&key);
            let name = self.name(cx, stage, index, total, &text);
            self.announce(digest.clone(), name, inputs, Some((cx, step.line)));
            prev = Some(digest);
        }
        cx.tips[i] = Some(prev.clone());
        Ok(prev)
    }

    /// A `--from`/`FROM` that names a bake context `target:NAME`: that target's last step on
    /// the same platform. Anything else (an image, a local context) orders nothing.
    fn context_tip(&mut self, cx: &Cx, reference: &str) -> Result<Option<String>, String> {
        let target = &self.targets[cx.target];
        let Some((_, other)) = target
            .contexts
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(reference))
        else {
            return Ok(None);
        };
        let Some(o) = self
            .targets
            .iter()
            .position(|t| t.name.as_deref() == Some(other.as_str()))
        else {
            return Ok(None);
        };
        self.target_tip(o, &cx.platform.clone())
    }

    /// `[api linux/amd64 builder 2/3] RUN …`: the target in a bake, the platform when there are
    /// several, the stage unless the Dockerfile has only one outside bake (BuildKit drops it).
    fn name(&self, cx: &Cx, stage: &Stage, index: u32, total: u32, text: &str) -> String {
        let mut head: Vec<String> = Vec::new();
        if self.bake {
            head.extend(self.targets[cx.target].name.clone());
        }
        if self.multi {
            head.push(cx.platform.clone());
        }
        // bake names even a single stage (`[api stage-0 2/2]`).
        if cx.df.stages.len() > 1 || self.bake {
            head.push(stage.label());
        }
        head.push(format!("{index}/{total}"));
        format!("[{}] {text}", head.join(" "))
    }

    /// Announces a step once per target that needs it (bake re-sends a shared step under each
    /// target's name).
    fn announce(
        &mut self,
        digest: String,
        name: String,
        inputs: Vec<String>,
        place: Option<(&Cx, usize)>,
    ) {
        let target = place.and_then(|(cx, _)| self.targets[cx.target].name.clone());
        if !self
            .announced
            .insert((digest.clone(), target.filter(|_| self.bake)))
        {
            return;
        }
        if let Some((cx, line)) = place {
            let file = self.targets[cx.target].file.clone();
            self.places.entry(digest.clone()).or_insert((file, line));
        }
        self.events.push(VertexUpdate {
            digest,
            name: Some(name),
            inputs,
            ..VertexUpdate::default()
        });
    }
}

/// The stages building `target` needs (itself included), in Dockerfile order.
fn needed(df: &Dockerfile, target: usize) -> Vec<usize> {
    let deps = df.dependencies();
    let mut seen = vec![false; df.stages.len()];
    let mut todo = vec![target];
    seen[target] = true;
    while let Some(s) = todo.pop() {
        for d in deps.iter().filter(|d| d.stage == s) {
            if !seen[d.source] {
                seen[d.source] = true;
                todo.push(d.source);
            }
        }
    }
    (0..seen.len()).filter(|&i| seen[i]).collect()
}

/// A digest for a predicted step: FNV-1a over its key (stable, and never a real one: `lint:`).
fn digest(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("lint:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Target {
        Target {
            file: "Dockerfile".into(),
            text: text.into(),
            context: ".".into(),
            ..Target::default()
        }
    }

    fn names(p: &Prediction) -> Vec<String> {
        p.build
            .vertexes()
            .iter()
            .map(|v| v.name().to_string())
            .collect()
    }

    #[test]
    fn the_race_is_named_and_wired_as_buildkit_does() {
        let text = include_str!("../../tests/fixtures/race/Dockerfile");
        let p = predict(&[one(text)], false).unwrap();
        let n = names(&p);
        assert!(
            n.contains(&"[base 1/1] COPY rootfs/ /".to_string()),
            "{n:?}"
        );
        assert!(
            n.iter().any(|s| s.starts_with(
                "[builder 2/3] RUN --mount=type=cache,sharing=locked,id=demo.mods.v1"
            )),
            "{n:?}"
        );
        assert!(n
            .iter()
            .any(|s| s.starts_with("[stage-2 3/4] COPY --from=builder")));
        // `COPY --from=builder` stands on builder's last step and stage-2's step before it.
        let copy = p
            .build
            .vertexes()
            .iter()
            .find(|v| v.name().starts_with("[stage-2 3/4]"))
            .unwrap();
        assert_eq!(copy.inputs.len(), 2);
        let line = |prefix: &str| {
            let v = p
                .build
                .vertexes()
                .iter()
                .find(|v| v.name().starts_with(prefix))
                .unwrap();
            p.places[&p.build.digest(v.digest).to_string()].1
        };
        assert_eq!(line("[builder 2/3]"), 12);
        assert_eq!(line("[stage-2 2/4]"), 18);
    }

    #[test]
    fn only_what_the_target_needs_is_built_and_identical_steps_are_one() {
        let text = "FROM scratch AS a\nCOPY x /x\nRUN one\n\nFROM scratch AS b\nCOPY x /x\nRUN two\n\nFROM scratch AS c\nRUN three\n";
        let p = predict(&[one(text)], false).unwrap();
        assert_eq!(names(&p), ["[c 1/1] RUN three"]);
        let mut b = one(text);
        b.stage = Some("b".into());
        assert_eq!(
            names(&predict(&[b], false).unwrap()),
            ["[b 1/2] COPY x /x", "[b 2/2] RUN two"]
        );
        let both = "FROM scratch AS a\nCOPY x /x\nRUN one\n\nFROM scratch AS b\nCOPY x /x\nCOPY --from=a /o /o\n";
        // `COPY x /x` is one step for both stages: named after the first.
        assert_eq!(
            names(&predict(&[one(both)], false).unwrap()),
            [
                "[a 1/2] COPY x /x",
                "[a 2/2] RUN one",
                "[b 2/2] COPY --from=a /o /o"
            ]
        );
        let mut bad = one(text);
        bad.stage = Some("nope".into());
        assert!(predict(&[bad], false)
            .unwrap_err()
            .contains("no stage named `nope`"));
        assert!(predict(&[one("# nothing\n")], false).is_err());
    }

    #[test]
    fn several_platforms_name_their_steps_and_expand_targetarch() {
        let text = include_str!("../../tests/fixtures/multiplat/Dockerfile");
        let mut t = one(text);
        t.platforms = vec!["linux/amd64".into(), "linux/386".into()];
        let n = names(&predict(&[t], false).unwrap());
        for arch in ["amd64", "386"] {
            assert!(
                n.iter().any(|s| s.starts_with(&format!(
                    "[linux/{arch} builder 2/3] RUN --mount=type=cache,sharing=locked,id=mp.{arch},"
                ))),
                "{n:?}"
            );
        }
    }
}
