//! Why a step executed in the build after, where the build used the cache: a root cause when
//! everything it stands on was a cache hit, else the steps it stands on that re-ran.

use std::collections::BTreeMap;

use super::matching::{Match, Pair};
use crate::dockerfile::Dockerfile;
use crate::graph::{Step, StepId};
use crate::model::State;

/// What made a step run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// It reads files from the build context (`COPY`/`ADD` from it, a bind mount of it): they
    /// changed.
    Context,
    /// Its instruction differs (or it is new).
    Definition { before: Option<String> },
    /// The same instruction, but a build argument or environment value it uses differs.
    Arg { detail: String },
    /// Its base image (`FROM`) was resolved anew: to another digest under the same reference
    /// (both digests, when the step names say them), or not found in the cache.
    Image {
        image: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// The build used no cache at all (`--no-cache`, a new builder, a pruned cache).
    NoCache,
    /// Its inputs were cache hits and nothing known changed.
    Unknown { detail: String },
    /// It stands on these steps, which re-ran.
    Follows(Vec<StepId>),
}

impl Cause {
    /// The word for it in the JSON report and the text.
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::Context => "context",
            Cause::Definition { .. } => "definition",
            Cause::Arg { .. } => "arg",
            Cause::Image { .. } => "image",
            Cause::NoCache => "no_cache",
            Cause::Unknown { .. } => "unknown",
            Cause::Follows(_) => "follows",
        }
    }

    /// A cause of its own (not following another step, and not the whole build going without
    /// the cache).
    pub fn is_root(&self) -> bool {
        !matches!(self, Cause::Follows(_) | Cause::NoCache)
    }
}

/// Whether a step executed (rather than being a cache hit, or never running).
pub fn executed(s: &Step) -> bool {
    matches!(s.state, State::Done | State::Failed | State::Running)
}

/// The build arguments each side is known to have used (from build records), by name.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub before: BTreeMap<String, String>,
    pub after: BTreeMap<String, String>,
}

impl Args {
    /// `NAME: a → b` for each argument whose value differs.
    fn changed(&self) -> Vec<String> {
        let names: std::collections::BTreeSet<&String> =
            self.before.keys().chain(self.after.keys()).collect();
        names
            .into_iter()
            .filter(|n| self.before.get(*n) != self.after.get(*n))
            .map(|n| {
                let v = |m: &BTreeMap<String, String>| {
                    m.get(n).map_or("(unset)".to_string(), |v| format!("{v:?}"))
                };
                format!("{n}: {} → {}", v(&self.before), v(&self.after))
            })
            .collect()
    }
}

/// The cause of each executed Dockerfile step of the build after, by step id.
pub fn find(
    before: &[Step],
    after: &[Step],
    pairs: &[Pair],
    args: &Args,
    dockerfile: Option<&Dockerfile>,
) -> BTreeMap<StepId, Cause> {
    let counterpart: BTreeMap<StepId, &Pair> =
        pairs.iter().filter_map(|p| Some((p.after?, p))).collect();
    let same_image = same_images(before, after, pairs);
    let re_ran = |s: &Step| executed(s) && !same_image.contains(&s.id);
    let ran: Vec<&Step> = after
        .iter()
        .filter(|s| s.parsed.is_dockerfile_step() && re_ran(s))
        .collect();
    // No hit at all is a build without the cache — unless a base image changed, which re-runs
    // everything built on it.
    let no_cache = !after
        .iter()
        .any(|s| s.parsed.is_dockerfile_step() && s.state == State::Cached)
        && !pairs.iter().any(|p| new_image(before, after, p));
    ran.into_iter()
        .map(|s| {
            let pair = counterpart.get(&s.id);
            let new = pair.is_none_or(|p| p.how == Match::New);
            let cause = if no_cache {
                Cause::NoCache
            } else if new {
                // Not in the build before: it ran because it is new, whatever it stands on.
                Cause::Definition { before: None }
            } else {
                follows(after, s, &re_ran)
                    .or_else(|| shared_from(after, s, &re_ran))
                    .unwrap_or_else(|| root(before, s, pair, args, dockerfile))
            };
            (s.id, cause)
        })
        .collect()
}

/// The digest a `FROM` step resolved its image to, when its name says.
fn digest(s: &Step) -> Option<&str> {
    s.parsed.from_image().and_then(|(_, d)| d)
}

/// Whether a pair is a `FROM` whose image resolved to another digest than before.
fn new_image(before: &[Step], after: &[Step], p: &Pair) -> bool {
    let (Some(b), Some(a)) = (p.before, p.after) else {
        return false;
    };
    let (db, da) = (digest(&before[b]), digest(&after[a]));
    db.is_some() && da.is_some() && db != da
}

/// The `FROM` steps of the build after that resolved the digest they resolved before: they ran
/// (a `FROM` always resolves) but nothing changed, so nothing after them re-ran for them.
fn same_images(before: &[Step], after: &[Step], pairs: &[Pair]) -> Vec<StepId> {
    pairs
        .iter()
        .filter_map(|p| {
            let (b, a) = (&before[p.before?], &after[p.after?]);
            let (da, db) = (digest(a), digest(b));
            (da.is_some() && da == db).then_some(a.id)
        })
        .collect()
}

/// The Dockerfile steps it stands on that re-ran too.
fn follows(after: &[Step], s: &Step, re_ran: &dyn Fn(&Step) -> bool) -> Option<Cause> {
    let up: Vec<StepId> = s
        .inputs
        .iter()
        .copied()
        .filter(|&i| after[i].parsed.is_dockerfile_step() && re_ran(&after[i]))
        .collect();
    (!up.is_empty()).then_some(Cause::Follows(up))
}

/// A stage's first shown step whose own `FROM` never showed: BuildKit ran it once as another
/// stage's first step, the same image, and a plain log does not say whose. When of the `FROM`s
/// it could be exactly one re-ran (its image changed), that is the one it stands on: on an
/// unchanged image, with its instruction the same, it would have been a cache hit.
fn shared_from(after: &[Step], s: &Step, re_ran: &dyn Fn(&Step) -> bool) -> Option<Cause> {
    let (k, _) = s.parsed.index()?;
    let own = |o: &Step| o.stage == s.stage && o.parsed.index().is_some_and(|(i, _)| i < k);
    if k != 2 || !s.inputs.is_empty() || after.iter().any(own) {
        return None;
    }
    let firsts: Vec<&Step> = after
        .iter()
        .filter(|o| o.stage != s.stage && o.parsed.index().map(|i| i.0) == Some(1))
        .filter(|o| o.parsed.is_from())
        .collect();
    let changed: Vec<StepId> = firsts.iter().filter(|o| re_ran(o)).map(|o| o.id).collect();
    (changed.len() == 1).then_some(Cause::Follows(changed))
}

/// Why a step whose inputs were all cache hits ran.
fn root(
    before: &[Step],
    s: &Step,
    pair: Option<&&Pair>,
    args: &Args,
    dockerfile: Option<&Dockerfile>,
) -> Cause {
    let was = pair.and_then(|p| p.before.map(|b| (&before[b], p.how)));
    match was {
        None => return Cause::Definition { before: None },
        Some((b, Match::Changed)) => return changed(b, s, args, dockerfile),
        _ => {}
    }
    let Some(i) = s.parsed.instruction() else {
        return unknown("it is not an instruction of the Dockerfile");
    };
    let from_context = match i.keyword.as_ref() {
        "COPY" | "ADD" => i.copy_from().is_none() && !remote(&i.args),
        "RUN" => i
            .mounts()
            .iter()
            .any(|m| m.kind == "bind" && m.from.is_none()),
        _ => false,
    };
    if from_context {
        return Cause::Context;
    }
    if i.keyword == "FROM" {
        return Cause::Image {
            image: s
                .parsed
                .from_image()
                .map_or(String::new(), |(r, _)| r.to_string()),
            before: was.and_then(|(b, _)| digest(b)).map(str::to_string),
            after: digest(s).map(str::to_string),
        };
    }
    if i.keyword == "ADD" && remote(&i.args) {
        return unknown("it ADDs from a URL or a repository: what it fetched may have changed");
    }
    if let Some(v) = variable(s.parsed.text()) {
        return Cause::Arg {
            detail: format!("it uses ${v}, a build argument or environment value that differs"),
        };
    }
    let changed = args.changed();
    if !changed.is_empty() && i.keyword == "RUN" {
        return Cause::Arg {
            detail: format!(
                "build arguments differ ({}); a RUN sees every ARG declared before it in its stage",
                changed.join(", ")
            ),
        };
    }
    unknown(
        "its inputs were cache hits and its instruction is the same: the cache may have been \
         pruned, or what it mounts (a secret, an ssh agent) or the builder changed",
    )
}

fn unknown(detail: &str) -> Cause {
    Cause::Unknown {
        detail: detail.to_string(),
    }
}

/// Same stage and index, another instruction: an edit, or the value of a build argument the
/// frontend expanded into it (an `id=` of a mount, a `COPY` path).
fn changed(b: &Step, s: &Step, args: &Args, dockerfile: Option<&Dockerfile>) -> Cause {
    let (old, new) = (b.parsed.text(), s.parsed.text());
    if let Some(detail) = dockerfile.and_then(|df| templated(df, s, old, new)) {
        return Cause::Arg { detail };
    }
    // The arguments whose old value is in the old text and new value in the new one: if putting
    // the new values in the old text makes the new one, they are why it changed.
    let swaps: Vec<(&String, &String, &String)> = args
        .before
        .iter()
        .filter_map(|(k, v)| Some((k, v, args.after.get(k)?)))
        .filter(|(_, v, w)| {
            v != w && !v.is_empty() && old.contains(v.as_str()) && new.contains(w.as_str())
        })
        .collect();
    let rewritten = swaps
        .iter()
        .fold(old.to_string(), |t, (_, v, w)| t.replace(v.as_str(), w));
    if !swaps.is_empty() && rewritten == new {
        let said: Vec<String> = swaps
            .iter()
            .map(|(k, v, w)| format!("{k}: {v:?} → {w:?}"))
            .collect();
        Cause::Arg {
            detail: format!("a build argument's value is in it ({})", said.join(", ")),
        }
    } else {
        Cause::Definition {
            before: Some(old.to_string()),
        }
    }
}

/// The instruction of the step's stage in the Dockerfile that, with its variables filled in,
/// reads as both texts: `RUN echo "$VERSION"` for `RUN echo "1"` and `RUN echo "2"`. Says which
/// variables and their values on each side.
fn templated(df: &Dockerfile, s: &Step, old: &str, new: &str) -> Option<String> {
    let label = s.stage.as_deref()?;
    let stage = df.stages.iter().find(|st| st.label() == label)?;
    let squash = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let (old, new) = (squash(old), squash(new));
    stage.instructions.iter().find_map(|i| {
        let (pieces, names) = template(&squash(&i.raw));
        let (a, b) = (fill(&pieces, &old)?, fill(&pieces, &new)?);
        let said: Vec<String> = names
            .iter()
            .zip(a.iter().zip(&b))
            .filter(|(_, (x, y))| x != y)
            .map(|(n, (x, y))| format!("${n}: {x:?} → {y:?}"))
            .collect();
        (!said.is_empty()).then(|| {
            format!(
                "it uses a build argument or environment value that differs ({})",
                said.join(", ")
            )
        })
    })
}

/// An instruction split at its variables: the literal pieces around them, and their names.
fn template(raw: &str) -> (Vec<String>, Vec<String>) {
    let (mut pieces, mut names, mut cur) = (Vec::new(), Vec::new(), String::new());
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        cur.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let braced = after.starts_with('{');
        let name: String = after
            .trim_start_matches('{')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            cur.push('$');
            rest = after;
            continue;
        }
        let skip = name.len() + if braced { 2 } else { 0 };
        rest = &after[skip.min(after.len())..];
        names.push(name);
        pieces.push(std::mem::take(&mut cur));
    }
    cur.push_str(rest);
    pieces.push(cur);
    (pieces, names)
}

/// The values that make `text` out of the template's pieces (the first way that fits).
fn fill(pieces: &[String], text: &str) -> Option<Vec<String>> {
    let (first, rest) = pieces.split_first()?;
    let mut at = text.strip_prefix(first.as_str())?;
    let mut values = Vec::new();
    for (k, piece) in rest.iter().enumerate() {
        let last = k + 1 == rest.len();
        let end = if last {
            at.len()
                .checked_sub(piece.len())
                .filter(|&e| at[e..] == **piece)?
        } else if piece.is_empty() {
            0
        } else {
            at.find(piece.as_str())?
        };
        values.push(at[..end].to_string());
        at = &at[end + piece.len()..];
    }
    (pieces.len() > 1 && at.is_empty()).then_some(values)
}

fn remote(args: &str) -> bool {
    args.split_whitespace()
        .any(|w| w.contains("://") || w.starts_with("git@"))
}

/// The first `$NAME` or `${NAME}` in an instruction.
fn variable(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let name: String = rest
            .trim_start_matches('{')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.chars().next().is_some_and(|c| !c.is_ascii_digit()) {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_is_found_in_either_spelling() {
        assert_eq!(variable("RUN echo $VERSION > /v"), Some("VERSION".into()));
        assert_eq!(variable("RUN echo ${A_B}x"), Some("A_B".into()));
        assert_eq!(variable("RUN echo $1 costs $"), None);
    }

    #[test]
    fn a_template_gives_each_variable_its_value() {
        let (pieces, names) = template(r#"RUN echo "$VERSION" > /v-${TAG}"#);
        assert_eq!(names, ["VERSION", "TAG"]);
        assert_eq!(
            fill(&pieces, r#"RUN echo "1.2" > /v-x"#),
            Some(vec!["1.2".to_string(), "x".to_string()])
        );
        assert_eq!(fill(&pieces, "RUN echo other"), None);
        let (pieces, _) = template("RUN echo no variables");
        assert_eq!(fill(&pieces, "RUN echo no variables"), None);
    }

    #[test]
    fn changed_args_are_said_with_both_values() {
        let mut a = Args::default();
        a.before.insert("V".into(), "1".into());
        a.after.insert("V".into(), "2".into());
        a.after.insert("W".into(), "x".into());
        assert_eq!(a.changed(), ["V: \"1\" → \"2\"", "W: (unset) → \"x\""]);
    }
}
