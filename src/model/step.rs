//! Parsing BuildKit vertex names: `[builder 6/7] RUN …`, `[stage-10  2/11] …`,
//! `[linux/arm64 builder 2/7] …`, single-stage `[2/5] …`, `[internal] load …`, `exporting to image`.

use crate::instruction::Instruction;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// A Dockerfile instruction: `[platform stage i/n] INSTRUCTION`.
    Dockerfile {
        platform: Option<String>,
        /// `None` in a single-stage build, where BuildKit drops the stage name.
        stage: Option<String>,
        index: u32,
        total: u32,
    },
    /// `[internal] …` (loading the definition, metadata, context).
    Internal,
    /// Anything else: `exporting to image`, `importing to docker`, `[auth] …`, ….
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepName {
    pub kind: StepKind,
    /// The text after the bracket (the whole name for [`StepKind::Other`]).
    pub text: String,
    pub instruction: Option<Instruction>,
}

impl StepName {
    pub fn parse(name: &str) -> StepName {
        let name = name.trim();
        let other = || StepName {
            kind: StepKind::Other,
            text: name.to_string(),
            instruction: None,
        };
        let Some(rest) = name.strip_prefix('[') else {
            return other();
        };
        let Some(close) = rest.find(']') else {
            return other();
        };
        let inside = &rest[..close];
        let text = rest[close + 1..].trim().to_string();
        let words: Vec<&str> = inside.split_whitespace().collect();
        if words.len() == 1 && words[0] == "internal" {
            return StepName {
                kind: StepKind::Internal,
                text,
                instruction: None,
            };
        }
        let Some((&last, before)) = words.split_last() else {
            return other();
        };
        let Some((index, total)) = parse_fraction(last) else {
            return other();
        };
        let (platform, stage) = match before {
            [] => (None, None),
            [one] if one.contains('/') => (Some(one.to_string()), None),
            [one] => (None, Some(one.to_string())),
            [p, s] => (Some(p.to_string()), Some(s.to_string())),
            _ => return other(),
        };
        let instruction = Some(Instruction::parse(&text));
        StepName {
            kind: StepKind::Dockerfile {
                platform,
                stage,
                index,
                total,
            },
            text,
            instruction,
        }
    }

    pub fn stage(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Dockerfile { stage, .. } => stage.as_deref(),
            _ => None,
        }
    }

    pub fn index(&self) -> Option<(u32, u32)> {
        match &self.kind {
            StepKind::Dockerfile { index, total, .. } => Some((*index, *total)),
            _ => None,
        }
    }

    pub fn is_dockerfile_step(&self) -> bool {
        matches!(self.kind, StepKind::Dockerfile { .. })
    }
}

/// A name as `docker buildx bake` sends it, without its target: `[api deps 1/1] RUN …` is step
/// 1/1 of stage `deps`, sent for target `api` → (`[deps 1/1] RUN …`, `api`); `[api internal] load
/// …` → (`[internal] load …`, `api`); `[api linux/amd64 deps 1/1]` keeps its platform. A name
/// without a target (a platform comes with a `/`, a stage alone is one word) is returned as it is.
pub fn split_target(name: &str) -> (std::borrow::Cow<'_, str>, Option<String>) {
    let unchanged = (std::borrow::Cow::Borrowed(name), None);
    let Some(close) = name.strip_prefix('[').and_then(|r| r.find(']')) else {
        return unchanged;
    };
    let inside = &name[1..=close];
    let rest = &name[close + 2..];
    let words: Vec<&str> = inside.split_whitespace().collect();
    let target = match words.as_slice() {
        [t, "internal"] => Some(*t),
        [t, .., last] if words.len() >= 3 && parse_fraction(last).is_some() => {
            Some(*t).filter(|t| !t.contains('/'))
        }
        _ => None,
    };
    match target {
        Some(t) => (
            std::borrow::Cow::Owned(format!("[{}]{rest}", words[1..].join(" "))),
            Some(t.to_string()),
        ),
        None => unchanged,
    }
}

fn parse_fraction(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('/')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn df(name: &str) -> (Option<String>, Option<String>, u32, u32, String) {
        let s = StepName::parse(name);
        match s.kind {
            StepKind::Dockerfile {
                platform,
                stage,
                index,
                total,
            } => (platform, stage, index, total, s.text),
            k => panic!("{name}: {k:?}"),
        }
    }

    #[test]
    fn bake_names_lose_their_target() {
        let t = |n: &str| {
            let (name, target) = split_target(n);
            (name.into_owned(), target)
        };
        assert_eq!(
            t("[api deps 1/1] RUN x"),
            ("[deps 1/1] RUN x".into(), Some("api".into()))
        );
        assert_eq!(
            t("[worker internal] load .dockerignore"),
            (
                "[internal] load .dockerignore".into(),
                Some("worker".into())
            )
        );
        assert_eq!(
            t("[api linux/amd64 deps 2/3] RUN x"),
            ("[linux/amd64 deps 2/3] RUN x".into(), Some("api".into()))
        );
        for plain in [
            "[linux/amd64 builder 2/3] RUN x",
            "[builder 2/3] RUN x",
            "[2/3] RUN x",
            "[internal] load build context",
            "[worker] resolving provenance for metadata file",
            "exporting to image",
        ] {
            assert_eq!(t(plain), (plain.to_string(), None), "{plain}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            df("[builder 6/7] RUN --mount=type=cache,id=x npm ci"),
            (
                None,
                Some("builder".into()),
                6,
                7,
                "RUN --mount=type=cache,id=x npm ci".into()
            )
        );
        assert_eq!(
            df("[stage-10  2/11] COPY a b").1.as_deref(),
            Some("stage-10")
        );
        assert_eq!(df("[stage-10  2/11] COPY a b").2, 2);
        let p = df("[linux/arm64 builder 2/7] RUN x");
        assert_eq!(p.0.as_deref(), Some("linux/arm64"));
        assert_eq!(p.1.as_deref(), Some("builder"));
        assert_eq!(df("[2/5] RUN make"), (None, None, 2, 5, "RUN make".into()));
        assert_eq!(
            df("[linux/amd64 2/5] RUN make").0.as_deref(),
            Some("linux/amd64")
        );
        assert_eq!(
            StepName::parse("[internal] load build definition from Dockerfile").kind,
            StepKind::Internal
        );
        for other in [
            "exporting to image",
            "[auth] library/node:pull",
            "[",
            "[a b c 1/2] x",
            "[x y]",
        ] {
            assert_eq!(StepName::parse(other).kind, StepKind::Other, "{other}");
        }
        let link = StepName::parse("[stage-3 2/4] LINK COPY --link --from=other /out/other /app/");
        assert_eq!(link.instruction.unwrap().copy_from(), Some("other"));
    }
}
