//! `--verify-layers`: does the image a build left in the daemon have a layer for every
//! layer-making instruction (`RUN`, `COPY`, `ADD`, and `WORKDIR` other than `/`, which BuildKit
//! commits as a mkdir layer) of its target stage and the stages it is built
//! `FROM`? BuildKit has shipped images with layers missing or empty (moby/buildkit#2198), and a
//! race on a shared cache can leave a stage without what it should have copied. The comparison
//! is pure; [`crate::source::image`] fetches what it needs from the daemon, and the commands
//! put the two together.

use crate::dockerfile::Dockerfile;
use crate::model::cut;
use crate::source::image::ImageFacts;

/// A layer-making instruction the image should have a layer for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedLayer {
    pub stage: String,
    pub line: usize,
    pub keyword: String,
    /// The instruction as written (flags and arguments), for messages and for matching history.
    pub text: String,
}

/// What the Dockerfile says the target image is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub target: String,
    /// The external image at the root of the stage chain (`None` for `scratch`).
    pub base_image: Option<String>,
    pub layers: Vec<ExpectedLayer>,
}

/// Works out the target stage (`--target`, else the last) and its layer-making instructions.
pub fn expected(df: &Dockerfile, target: Option<&str>) -> Result<Expected, String> {
    let stage = match target {
        Some(t) => df
            .stages
            .iter()
            .find(|s| s.name.as_deref() == Some(&t.to_ascii_lowercase()))
            .or_else(|| t.parse::<usize>().ok().and_then(|i| df.stages.get(i)))
            .ok_or_else(|| format!("the Dockerfile has no stage `{t}`"))?,
        None => df
            .stages
            .last()
            .ok_or("the Dockerfile has no FROM, so no stages")?,
    };
    let mut chain = vec![stage];
    let mut cur = stage;
    while let Some(b) = cur.base_stage {
        match df.stages.get(b) {
            Some(s) if !chain.iter().any(|c| c.index == s.index) => {
                chain.push(s);
                cur = s;
            }
            _ => break,
        }
    }
    chain.reverse();
    let root = chain[0];
    let base_image = (root.base_stage.is_none() && !root.base.eq_ignore_ascii_case("scratch"))
        .then(|| root.base.clone());
    let layers = chain
        .iter()
        .flat_map(|s| {
            s.instructions.iter().filter_map(move |step| {
                let i = &step.instruction;
                makes_layer(&i.keyword, &i.args).then(|| ExpectedLayer {
                    stage: s.label(),
                    line: step.line,
                    keyword: i.keyword.to_string(),
                    text: i.args.clone(),
                })
            })
        })
        .collect();
    Ok(Expected {
        target: stage.label(),
        base_image,
        layers,
    })
}

/// Whether BuildKit commits a layer for this instruction (dockerfile2llb: RUN, COPY, ADD, and a
/// WORKDIR's mkdir unless it is `/`).
fn makes_layer(keyword: &str, args: &str) -> bool {
    match keyword {
        "RUN" | "COPY" | "ADD" => true,
        "WORKDIR" => args.trim() != "/",
        _ => false,
    }
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerCheck {
    pub image: String,
    pub target: String,
    /// Layers the Dockerfile makes (plus the base image's, when known).
    pub expected: usize,
    pub actual: usize,
    /// Instructions with no layer in the image.
    pub missing: Vec<ExpectedLayer>,
    /// Layers the Dockerfile does not account for.
    pub extra: usize,
    /// The history names every step but the root filesystem lacks layers.
    pub history_complete: bool,
    /// The base image was not in the daemon: only the Dockerfile's own layers were counted.
    pub base_unknown: bool,
}

impl LayerCheck {
    pub fn ok(&self) -> bool {
        self.missing.is_empty() && self.extra == 0
    }

    /// One paragraph for the report.
    pub fn describe(&self) -> String {
        let short = short_id(&self.image);
        let listed = |ls: &[ExpectedLayer]| {
            ls.iter()
                .map(|l| {
                    format!(
                        "`{} {}` (Dockerfile:{})",
                        l.keyword,
                        cut(&l.text, 48),
                        l.line
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = if self.ok() {
            format!(
                "Layers OK: image {short} has {} layer{}, one for each RUN/COPY/ADD of stage `{}` and the stages it is built FROM.",
                self.actual,
                if self.actual == 1 { "" } else { "s" },
                self.target
            )
        } else if !self.missing.is_empty() {
            let mut s = format!(
                "MISSING LAYER{}: image {short} has {} layer{} where stage `{}` makes {}; no layer for {}.",
                if self.missing.len() == 1 { "" } else { "S" },
                self.actual,
                if self.actual == 1 { "" } else { "s" },
                self.target,
                self.expected,
                listed(&self.missing)
            );
            if self.history_complete {
                s.push_str(
                    " Its history names every step, yet its root filesystem lacks their layers \
                     (the shape of moby/buildkit#2198).",
                );
            }
            s
        } else {
            format!(
                "EXTRA LAYERS: image {short} has {} layers where stage `{}` makes {}: {} more than its Dockerfile accounts for.",
                self.actual, self.target, self.expected, self.extra
            )
        };
        if self.base_unknown {
            s.push_str(" (The base image is not in the daemon: only the Dockerfile's own layers were counted.)");
        }
        s
    }
}

/// `sha256:0123456789ab` of an image id.
pub fn short_id(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    format!("sha256:{}", &hex[..hex.len().min(12)])
}

/// The keyword a history entry's `CreatedBy` starts with (`RUN |1 A=b /bin/sh -c …` → `RUN`).
fn history_keyword(created_by: &str) -> Option<&str> {
    let t = created_by
        .trim()
        .trim_start_matches("/bin/sh -c #(nop) ")
        .trim_start();
    let w = t.split_whitespace().next()?;
    let args = t[w.len()..].trim();
    makes_layer(w, args).then_some(w)
}

/// Compares what the Dockerfile makes with what the image has.
pub fn check(expected: &Expected, facts: &ImageFacts) -> LayerCheck {
    let (base_layers, base_history, base_unknown) = match facts.base {
        Some((l, h)) => (l, h, false),
        None => (0, 0, expected.base_image.is_some()),
    };
    let own_history: Vec<&String> = facts
        .history
        .iter()
        .skip(if base_unknown { 0 } else { base_history })
        .filter(|c| history_keyword(c).is_some())
        .collect();
    // With an unknown base, the image's own layers are its last ones.
    let own_history: Vec<&String> = if base_unknown {
        let n = own_history.len();
        own_history[n.saturating_sub(expected.layers.len())..].to_vec()
    } else {
        own_history
    };
    // Greedy alignment, in order: an expected step is found when a later history entry has its
    // keyword and mentions its arguments' first word.
    let mut missing = Vec::new();
    let mut h = 0;
    for e in &expected.layers {
        let first_word = e
            .text
            .split_whitespace()
            .find(|w| !w.starts_with("--"))
            .unwrap_or("");
        let found = own_history[h..]
            .iter()
            .position(|c| history_keyword(c) == Some(e.keyword.as_str()) && c.contains(first_word));
        match found {
            Some(k) => h += k + 1,
            None => missing.push(e.clone()),
        }
    }
    let own_layers = if base_unknown {
        facts.layers.len()
    } else {
        facts.layers.len().saturating_sub(base_layers)
    };
    let want = expected.layers.len();
    let history_complete = missing.is_empty() && own_layers < want;
    if history_complete {
        // Every step is in the history, but there are fewer layers than steps: which ones is not
        // knowable from the ids alone; name the last ones (the layers are stacked in order).
        missing = expected.layers[own_layers..].to_vec();
    }
    let extra = own_layers.saturating_sub(want);
    let expected_total = want + if base_unknown { 0 } else { base_layers };
    LayerCheck {
        image: facts.id.clone(),
        target: expected.target.clone(),
        expected: expected_total,
        actual: facts.layers.len(),
        missing,
        extra,
        history_complete,
        base_unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKAROUND: &str = include_str!("../../Dockerfiles/workaround/Dockerfile");

    fn facts(history: &[&str]) -> ImageFacts {
        let layers = history
            .iter()
            .filter(|c| history_keyword(c).is_some())
            .enumerate()
            .map(|(i, _)| format!("sha256:{i:064}"))
            .collect();
        ImageFacts {
            id: "sha256:abc".into(),
            layers,
            history: history.iter().map(|c| c.to_string()).collect(),
            base: Some((0, 0)),
        }
    }

    #[test]
    fn the_target_stage_and_its_from_chain_make_the_layers() {
        let df = Dockerfile::parse(WORKAROUND, &[]);
        let e = expected(&df, None).unwrap();
        assert_eq!(e.base_image, None);
        let kinds: Vec<_> = e.layers.iter().map(|l| l.keyword.as_str()).collect();
        assert_eq!(kinds.first(), Some(&"COPY"), "{e:?}");
        assert!(e.layers.iter().all(|l| l.stage != "builder"), "{e:?}");
        assert!(expected(&df, Some("nope")).is_err());
        let b = expected(&df, Some("builder")).unwrap();
        assert_eq!(b.target, "builder");
    }

    #[test]
    fn a_step_without_its_layer_is_named() {
        let df = Dockerfile::parse(
            "FROM scratch\nCOPY rootfs/ /\nRUN mkdir /app\nRUN echo hi > /app/x\nCOPY f /app/\n",
            &[],
        );
        let e = expected(&df, None).unwrap();
        let full = facts(&[
            "COPY rootfs/ / # buildkit",
            "RUN /bin/sh -c mkdir /app # buildkit",
            "RUN /bin/sh -c echo hi > /app/x # buildkit",
            "COPY f /app/ # buildkit",
        ]);
        let c = check(&e, &full);
        assert!(c.ok(), "{}", c.describe());
        assert_eq!((c.expected, c.actual), (4, 4));
        let lacking = facts(&[
            "COPY rootfs/ / # buildkit",
            "RUN /bin/sh -c mkdir /app # buildkit",
            "COPY f /app/ # buildkit",
        ]);
        let c = check(&e, &lacking);
        assert!(!c.ok());
        assert_eq!(c.missing.len(), 1);
        assert_eq!(c.missing[0].line, 4);
        assert!(c.describe().contains("MISSING LAYER"), "{}", c.describe());
        // Every step in the history but a layer short: #2198's shape.
        let mut short = full.clone();
        short.layers.pop();
        let c = check(&e, &short);
        assert!(c.history_complete && !c.ok(), "{}", c.describe());
    }
}
