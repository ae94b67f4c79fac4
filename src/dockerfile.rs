//! A small Dockerfile reader: stages (`FROM … AS name`, unnamed ones are `stage-N` counting every
//! stage from 0), `COPY/ADD --from=`, `RUN --mount=` with `ARG`/`ENV` expansion, line continuations,
//! comments, parser directives and heredocs. It never fails on content: anything it does not
//! understand is kept as an instruction it does not interpret.

use std::collections::HashMap;

use crate::instruction::{Instruction, Mount};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
    /// `ARG`s declared before the first `FROM`, with their values after overrides.
    pub global_args: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    /// The `FROM` argument, expanded.
    pub base: String,
    /// The earlier stage this one is built `FROM`, if any.
    pub base_stage: Option<usize>,
    /// `FROM --platform=…`, expanded (`$BUILDPLATFORM` for a cross-compiling stage).
    pub platform: Option<String>,
    /// 1-based line of the `FROM`.
    pub line: usize,
    pub instructions: Vec<Step>,
}

impl Stage {
    /// The name BuildKit shows in step names: the `AS` name, else `stage-N`.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }

    /// Whether its `FROM` pulls an image, a step of its own (`[app 1/3] FROM docker.io/…`):
    /// not `scratch`, not an earlier stage.
    pub fn from_image(&self) -> bool {
        self.base_stage.is_none() && !self.base.eq_ignore_ascii_case("scratch")
    }

    /// Its instructions that make a step of the build, with the step's index and the stage's
    /// total as BuildKit names them (`[builder 2/4]`): the `FROM` of an image is step 1.
    pub fn numbered(&self) -> Vec<(&Step, u32, u32)> {
        let first = u32::from(self.from_image()) + 1;
        let steps: Vec<&Step> = self
            .instructions
            .iter()
            .filter(|s| s.makes_step())
            .collect();
        let total = steps.len() as u32 + first - 1;
        steps
            .into_iter()
            .zip(first..)
            .map(|(s, i)| (s, i, total))
            .collect()
    }
}

impl Step {
    /// Whether BuildKit makes a step (a vertex) of it: `RUN`, `COPY`, `ADD`, `WORKDIR`. The rest
    /// (`ENV`, `ARG`, `LABEL`, `CMD`, …) only change the image's configuration.
    pub fn makes_step(&self) -> bool {
        matches!(
            self.instruction.keyword.as_ref(),
            "RUN" | "COPY" | "ADD" | "WORKDIR"
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line where the instruction starts.
    pub line: usize,
    /// The instruction as written (continuation lines joined), nothing expanded.
    pub raw: String,
    /// The instruction with `ARG`/`ENV` expanded in its flags (and in its arguments where Docker
    /// expands them).
    pub instruction: Instruction,
    /// `COPY/ADD --from=` that names an earlier stage.
    pub copy_from: Option<usize>,
    /// `RUN --mount`s, with `from=` resolved to a stage where it names one.
    pub mounts: Vec<(Mount, Option<usize>)>,
    /// The build arguments and environment a `RUN` sees (sorted; empty for other instructions):
    /// part of what makes two `RUN`s of the same text one step of the build or two.
    pub scope: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DepKind {
    /// `FROM <stage>`.
    From,
    /// `COPY --from=<stage>` / `ADD --from=<stage>`.
    CopyFrom,
    /// `RUN --mount=…,from=<stage>`.
    MountFrom,
}

impl DepKind {
    /// The instruction that makes the dependency, as a user writes it.
    pub fn instruction(self) -> &'static str {
        match self {
            DepKind::From => "FROM",
            DepKind::CopyFrom => "COPY --from",
            DepKind::MountFrom => "RUN --mount from=",
        }
    }
}

/// `stage` needs `source` through `kind`, at the instruction on `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDep {
    pub stage: usize,
    pub source: usize,
    pub kind: DepKind,
    pub line: usize,
}

/// A platform as BuildKit writes it (`linux/amd64`, `linux/arm/v7`), and the automatic build
/// arguments it gives a Dockerfile (`TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`, `TARGETVARIANT`,
/// and the same for `BUILD…`, the machine that builds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platforms {
    /// The platform the build is for.
    pub target: String,
    /// The platform of the machine that builds (what `$BUILDPLATFORM` means).
    pub build: String,
}

impl Platforms {
    /// This machine's platform, as Docker names it (`linux/amd64` on x86_64).
    pub fn host() -> String {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm/v7",
            "powerpc64" => "ppc64le",
            other => other,
        };
        format!("linux/{arch}")
    }

    /// The automatic build arguments.
    pub fn args(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (prefix, p) in [("TARGET", &self.target), ("BUILD", &self.build)] {
            let mut parts = p.splitn(3, '/');
            let os = parts.next().unwrap_or_default();
            let arch = parts.next().unwrap_or_default();
            let variant = parts.next().unwrap_or_default();
            for (k, v) in [
                ("PLATFORM", p.as_str()),
                ("OS", os),
                ("ARCH", arch),
                ("VARIANT", variant),
            ] {
                out.push((format!("{prefix}{k}"), v.to_string()));
            }
        }
        out
    }
}

impl Dockerfile {
    /// Reads a Dockerfile. `build_args` are `--build-arg NAME=VALUE` overrides.
    pub fn parse(text: &str, build_args: &[(String, String)]) -> Dockerfile {
        Self::parse_for(text, build_args, None)
    }

    /// Reads a Dockerfile as a build for `platforms` reads it: its automatic arguments
    /// (`TARGETARCH`, …) known to `FROM` lines and to every `ARG` that declares one.
    pub fn parse_for(
        text: &str,
        build_args: &[(String, String)],
        platforms: Option<&Platforms>,
    ) -> Dockerfile {
        let overrides: HashMap<&str, &str> = build_args
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut df = Dockerfile {
            stages: Vec::new(),
            global_args: Vec::new(),
        };
        let mut globals: HashMap<String, String> = platforms
            .map(|p| p.args())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut scope: HashMap<String, String> = HashMap::new();
        let mut stage_env: Vec<HashMap<String, String>> = Vec::new();
        for (line, raw) in logical_lines(text) {
            // The file's text is shown (stage names, cache ids, advice): never acted on.
            let instr = Instruction::parse(&crate::model::visible(&raw));
            match instr.keyword.as_ref() {
                "ARG" => {
                    for (name, default) in parse_assignments(&instr.args, false) {
                        let in_stage = !df.stages.is_empty();
                        let base = if in_stage { &scope } else { &globals };
                        let default = default.map(|d| expand(&d, base));
                        let value = overrides
                            .get(name.as_str())
                            .map(|v| v.to_string())
                            .or(default.clone())
                            .or_else(|| globals.get(&name).cloned().filter(|_| in_stage));
                        if in_stage {
                            if let Some(v) = value {
                                scope.insert(name, v);
                            }
                        } else {
                            df.global_args.push((name.clone(), value.clone()));
                            if let Some(v) = value {
                                globals.insert(name, v);
                            }
                        }
                    }
                }
                "FROM" => {
                    let words = split_words(&expand(&instr.args, &globals));
                    let base = words.first().cloned().unwrap_or_default();
                    let name = match words.as_slice() {
                        [_, as_, n, ..] if as_.eq_ignore_ascii_case("as") => Some(n.to_lowercase()),
                        _ => None,
                    };
                    let base_stage = resolve(&df.stages, &base);
                    scope = base_stage.map(|s| stage_env[s].clone()).unwrap_or_default();
                    stage_env.push(scope.clone());
                    let platform = instr.flag("platform").map(|p| expand(p, &globals));
                    df.stages.push(Stage {
                        index: df.stages.len(),
                        name,
                        base,
                        base_stage,
                        platform,
                        line,
                        instructions: Vec::new(),
                    });
                }
                _ if df.stages.is_empty() => {}
                keyword => {
                    let mut instr = instr.clone();
                    for (_, v) in instr.flags.iter_mut() {
                        *v = expand(v, &scope);
                    }
                    if !matches!(
                        keyword,
                        "RUN" | "CMD" | "ENTRYPOINT" | "HEALTHCHECK" | "SHELL"
                    ) {
                        instr.args = expand(&instr.args, &scope);
                    }
                    if keyword == "ENV" {
                        for (k, v) in parse_assignments(&instr.args, true) {
                            scope.insert(k, v.unwrap_or_default());
                        }
                        if let Some(env) = stage_env.last_mut() {
                            *env = scope.clone();
                        }
                    }
                    // Only earlier stages can be referenced (`--from=0` inside stage 0 is an image name).
                    let earlier = &df.stages[..df.stages.len() - 1];
                    let copy_from = instr.copy_from().and_then(|f| resolve(earlier, f));
                    let mounts = instr
                        .mounts()
                        .into_iter()
                        .map(|m| {
                            let from = m.from.as_deref().and_then(|f| resolve(earlier, f));
                            (m, from)
                        })
                        .collect();
                    let scope = if keyword == "RUN" {
                        let mut seen: Vec<(String, String)> =
                            scope.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                        seen.sort();
                        seen
                    } else {
                        Vec::new()
                    };
                    if let Some(stage) = df.stages.last_mut() {
                        stage.instructions.push(Step {
                            line,
                            raw: raw.clone(),
                            instruction: instr,
                            copy_from,
                            mounts,
                            scope,
                        });
                    }
                }
            }
        }
        df
    }

    /// Every stage-to-stage dependency, in Dockerfile order.
    pub fn dependencies(&self) -> Vec<StageDep> {
        let mut out = Vec::new();
        for s in &self.stages {
            let mut push = |source: Option<usize>, kind, line| {
                if let Some(source) = source {
                    out.push(StageDep {
                        stage: s.index,
                        source,
                        kind,
                        line,
                    });
                }
            };
            push(s.base_stage, DepKind::From, s.line);
            for i in &s.instructions {
                push(i.copy_from, DepKind::CopyFrom, i.line);
                for (_, from) in &i.mounts {
                    push(*from, DepKind::MountFrom, i.line);
                }
            }
        }
        out
    }
}

/// An earlier stage named by `r` (its `AS` name, or its index as a number).
fn resolve(stages: &[Stage], r: &str) -> Option<usize> {
    if let Ok(n) = r.parse::<usize>() {
        return (n < stages.len()).then_some(n);
    }
    let r = r.to_lowercase();
    stages
        .iter()
        .rev()
        .find(|s| s.name.as_deref() == Some(r.as_str()))
        .map(|s| s.index)
}

/// `A=1 "B=two words" C` (ARG) or also `KEY value with spaces` (legacy ENV form).
fn parse_assignments(args: &str, legacy_env: bool) -> Vec<(String, Option<String>)> {
    let words = split_words(args);
    if legacy_env && words.len() >= 2 && !words[0].contains('=') {
        let (key, rest) = args
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((args, ""));
        return vec![(key.to_string(), Some(unquote_all(rest.trim())))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Splits on whitespace outside quotes, removing the quotes.
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), '\\') if chars.peek().is_some_and(|n| *n == '"') => {
                cur.push(chars.next().unwrap_or('"'))
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

fn unquote_all(s: &str) -> String {
    split_words(s).join(" ")
}

/// Expands `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`;
/// `\$` is a literal dollar. Unknown variables expand to nothing, as in Docker.
pub fn expand(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let c = b[i];
        if c == b'\\' && b.get(i + 1) == Some(&b'$') {
            out.push('$');
            i += 2;
        } else if c == b'$' && b.get(i + 1) == Some(&b'{') {
            match s[i + 2..].find('}') {
                Some(close) => {
                    out.push_str(&expand_braced(&s[i + 2..i + 2 + close], vars));
                    i += close + 3;
                }
                None => {
                    out.push_str(&s[i..]);
                    break;
                }
            }
        } else if c == b'$'
            && b.get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == b'_')
        {
            let len = s[i + 1..]
                .bytes()
                .take_while(|n| n.is_ascii_alphanumeric() || *n == b'_')
                .count();
            if let Some(v) = vars.get(&s[i + 1..i + 1 + len]) {
                out.push_str(v);
            }
            i += len + 1;
        } else {
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn expand_braced(inner: &str, vars: &HashMap<String, String>) -> String {
    let name_len = inner
        .bytes()
        .take_while(|n| n.is_ascii_alphanumeric() || *n == b'_')
        .count();
    let (name, op) = inner.split_at(name_len);
    let value = vars.get(name);
    let set = value.is_some();
    let nonempty = value.is_some_and(|v| !v.is_empty());
    let word = |w: &str| expand(w, vars);
    if let Some(w) = op.strip_prefix(":-") {
        if nonempty {
            value.cloned().unwrap_or_default()
        } else {
            word(w)
        }
    } else if let Some(w) = op.strip_prefix('-') {
        if set {
            value.cloned().unwrap_or_default()
        } else {
            word(w)
        }
    } else if let Some(w) = op.strip_prefix(":+") {
        if nonempty {
            word(w)
        } else {
            String::new()
        }
    } else if let Some(w) = op.strip_prefix('+') {
        if set {
            word(w)
        } else {
            String::new()
        }
    } else {
        value.cloned().unwrap_or_default()
    }
}

/// Joins physical lines into instructions: parser directives and comments dropped, continuations
/// (the escape character at the end of a line) joined, heredoc bodies attached to their instruction.
/// Yields (1-based first line, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: `# key=value` at the very top.
    while i < lines.len() {
        let l = lines[i].trim();
        let Some(body) = l.strip_prefix('#') else {
            break;
        };
        let Some((k, v)) = body.split_once('=') else {
            break;
        };
        let k = k.trim().to_ascii_lowercase();
        if k.is_empty() || k.contains(char::is_whitespace) {
            break;
        }
        if k == "escape" && v.trim() == "`" {
            escape = '`';
        }
        i += 1;
    }
    let mut out = Vec::new();
    while i < lines.len() {
        let first = i;
        let l = lines[i].trim();
        i += 1;
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut logical = String::new();
        let mut cur = l.to_string();
        loop {
            let trimmed = cur.trim_end();
            if let Some(body) = trimmed.strip_suffix(escape) {
                logical.push_str(body);
                logical.push(' ');
                // Comments and blank lines inside a continuation are skipped.
                while i < lines.len() && {
                    let n = lines[i].trim();
                    n.is_empty() || n.starts_with('#')
                } {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
                cur = lines[i].trim().to_string();
                i += 1;
            } else {
                logical.push_str(trimmed);
                break;
            }
        }
        let keyword = logical
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (word, strip_tabs) in heredoc_words(&logical) {
                let end = (i..lines.len()).find(|&j| {
                    let l = if strip_tabs {
                        lines[j].trim_start_matches('\t')
                    } else {
                        lines[j]
                    };
                    l == word
                });
                if let Some(end) = end {
                    i = end + 1;
                }
            }
        }
        out.push((first + 1, logical));
    }
    out
}

/// Heredoc markers in an instruction line: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`.
fn heredoc_words(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(pos) = rest.find("<<") {
        let mut after = &rest[pos + 2..];
        let strip_tabs = after.starts_with('-');
        if strip_tabs {
            after = &after[1..];
        }
        let quoted = after.starts_with('"') || after.starts_with('\'');
        let body = if quoted { &after[1..] } else { after };
        let len = body
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count();
        let word = &body[..len];
        if word
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            out.push((word.to_string(), strip_tabs));
        }
        rest = &body[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RACE: &str = include_str!("../tests/fixtures/race/Dockerfile");

    #[test]
    fn a_dockerfiles_escapes_and_bidi_controls_are_shown_not_kept() {
        let text = "FROM scratch AS b\u{202e}x\u{1b}]0;t\u{7}\n\
                    RUN --mount=type=cache,id=c\u{2066}\u{1b}[2J,target=/m true\n";
        let df = Dockerfile::parse(text, &[]);
        assert_eq!(df.stages[0].label(), "b<u+202e>x^[]0;t^g");
        let mount = &df.stages[0].instructions[0].mounts[0].0;
        assert_eq!(mount.cache_id(), Some("c<U+2066>^[[2J"));
    }

    #[test]
    fn race_dockerfile() {
        let df = Dockerfile::parse(RACE, &[]);
        let labels: Vec<String> = df.stages.iter().map(|s| s.label()).collect();
        assert_eq!(labels, ["base", "builder", "stage-2"]);
        assert_eq!(df.stages[1].base_stage, Some(0));
        let mount = &df.stages[2].instructions[1].mounts[0].0;
        assert_eq!(mount.cache_id(), Some("demo.mods.v1"));
        assert_eq!(mount.sharing, "locked");
        assert_eq!(df.stages[2].instructions[2].copy_from, Some(1));
        let deps = df.dependencies();
        assert!(deps.contains(&StageDep {
            stage: 2,
            source: 1,
            kind: DepKind::CopyFrom,
            line: 19
        }));
        let over = Dockerfile::parse(RACE, &[("CACHE_ID".into(), "other".into())]);
        assert_eq!(
            over.stages[1].instructions[1].mounts[0].0.cache_id(),
            Some("other")
        );
    }

    #[test]
    fn continuations_heredocs_directives() {
        let text = "# syntax=docker/dockerfile:1\n# escape=`\nFROM alpine AS A\nRUN echo a `\n  # comment\n  b\nRUN <<EOF\nFROM nope\nEOF\nCOPY --from=0 /x /y\nFROM a\nCOPY --from=A /a /b\n";
        let df = Dockerfile::parse(text, &[]);
        assert_eq!(df.stages.len(), 2);
        assert_eq!(df.stages[0].instructions[0].instruction.args, "echo a  b");
        assert_eq!(df.stages[0].instructions.len(), 3);
        assert_eq!(
            df.stages[0].instructions[2].copy_from, None,
            "a stage cannot copy from itself"
        );
        assert_eq!(df.stages[1].base_stage, Some(0));
        assert_eq!(df.stages[1].instructions[0].copy_from, Some(0));
    }

    #[test]
    fn arg_expansion() {
        let mut v = HashMap::new();
        v.insert("A".to_string(), "x".to_string());
        v.insert("E".to_string(), String::new());
        assert_eq!(
            expand("$A-${A}-${B:-d}-${E:-e}-${E-f}-${A:+p}-\\$A", &v),
            "x-x-d-e--p-$A"
        );
        let df = Dockerfile::parse(
            "ARG V=1\nARG IMG=alpine:$V\nFROM $IMG\nARG V\nENV P=/p Q=$V\nRUN --mount=type=cache,target=$P/$V true\n",
            &[],
        );
        assert_eq!(df.stages[0].base, "alpine:1");
        assert_eq!(
            df.stages[0].instructions[1].mounts[0].0.cache_id(),
            Some("/p/1")
        );
    }
}
