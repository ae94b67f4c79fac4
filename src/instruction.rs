//! One Dockerfile instruction's text, split into keyword, `--flags` and arguments. Used both for
//! step names (`RUN --mount=… cmd`, where BuildKit already expanded build args) and for the
//! Dockerfile reader, so `--from` and `--mount` are understood in exactly one place.

use std::borrow::Cow;

/// A `RUN --mount=…` specification (only the parts that matter for ordering).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mount {
    /// `bind` (the default), `cache`, `tmpfs`, `secret`, `ssh`.
    pub kind: String,
    /// The cache id; BuildKit defaults it to the target.
    pub id: Option<String>,
    pub target: Option<String>,
    pub source: Option<String>,
    /// `from=` stage or image the mount reads from.
    pub from: Option<String>,
    /// `shared` (default), `private` or `locked`.
    pub sharing: String,
    /// `readonly` (or `ro`): the step cannot write the mount, so it fills no cache.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
}

impl Mount {
    /// Parses the value of `--mount=` (`type=cache,id=x,target=/m,sharing=locked`).
    pub fn parse(spec: &str) -> Mount {
        let mut m = Mount {
            kind: "bind".into(),
            id: None,
            target: None,
            source: None,
            from: None,
            sharing: "shared".into(),
            readonly: false,
        };
        for field in split_csv(spec) {
            let (key, value) = match field.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_string()),
                None => (field.trim().to_ascii_lowercase(), String::new()),
            };
            match key.as_str() {
                "type" => m.kind = value.to_ascii_lowercase(),
                "id" => m.id = Some(value),
                "target" | "dst" | "destination" => m.target = Some(value),
                "source" | "src" => m.source = Some(value),
                "from" => m.from = Some(value),
                "sharing" => m.sharing = value.to_ascii_lowercase(),
                "readonly" | "ro" => m.readonly = !value.eq_ignore_ascii_case("false"),
                _ => {}
            }
        }
        m
    }

    pub fn is_cache(&self) -> bool {
        self.kind == "cache"
    }

    /// The id two cache mounts share: the explicit id, else the target (BuildKit's default).
    pub fn cache_id(&self) -> Option<&str> {
        if !self.is_cache() {
            return None;
        }
        self.id
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.target.as_deref())
    }

    /// Which cache directory the mount is: its id, and for a cache seeded `from=` a stage or
    /// image, that source too. BuildKit keys a cache mount with an input as `id:<input ref>`
    /// (`getRefCacheDir`), so `id=x,from=builder` is another directory than `id=x`: the seed
    /// arrives through a real edge, and the two never share data.
    pub fn cache_key(&self) -> Option<String> {
        let id = self.cache_id()?;
        Some(match self.from.as_deref().filter(|f| !f.is_empty()) {
            Some(from) => format!("{id}\u{0}from={from}"),
            None => id.to_string(),
        })
    }
}

/// Splits `a=1,"b=x,y",c` on commas outside double quotes, dropping the quotes.
fn split_csv(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() || !out.is_empty() {
        out.push(cur);
    }
    out
}

/// An instruction: `KEYWORD --flag=value … arguments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword (`RUN`, `COPY`, …). `LINK COPY …` (BuildKit's merge vertex of
    /// `COPY --link`) reads as `COPY`.
    pub keyword: Cow<'static, str>,
    pub flags: Vec<(String, String)>,
    pub args: String,
}

/// Dockerfile keywords, kept without an allocation each (a huge build has one per step).
const KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

fn upper_keyword(word: &str) -> Cow<'static, str> {
    match KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(word)) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(word.to_ascii_uppercase()),
    }
}

impl Instruction {
    pub fn parse(text: &str) -> Instruction {
        let text = text.trim();
        let (mut keyword, mut rest) = split_word(text);
        if keyword.eq_ignore_ascii_case("LINK") {
            let (k, r) = split_word(rest);
            keyword = k;
            rest = r;
        }
        let mut flags = Vec::new();
        loop {
            let r = rest.trim_start();
            if !r.starts_with("--") {
                rest = r;
                break;
            }
            let (word, after) = split_flag(r);
            let word = &word[2..];
            let (k, v) = word.split_once('=').unwrap_or((word, ""));
            flags.push((k.to_ascii_lowercase(), unquote(v)));
            rest = after;
        }
        Instruction {
            keyword: upper_keyword(keyword),
            flags,
            args: rest.trim().to_string(),
        }
    }

    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `COPY --from=X` / `ADD --from=X`.
    pub fn copy_from(&self) -> Option<&str> {
        match self.keyword.as_ref() {
            "COPY" | "ADD" => self.flag("from").filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    /// Every `--mount=` of a `RUN`.
    pub fn mounts(&self) -> Vec<Mount> {
        if self.keyword != "RUN" {
            return Vec::new();
        }
        self.flags
            .iter()
            .filter(|(k, _)| k == "mount")
            .map(|(_, v)| Mount::parse(v))
            .collect()
    }
}

/// The instruction as BuildKit names its step: `RUN --mount=type=cache,id=x,target=/c make`
/// (flags as parsed, a value with a space in quotes, a flag without a value bare: `--link`).
impl std::fmt::Display for Instruction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.keyword)?;
        for (k, v) in &self.flags {
            match v.as_str() {
                "" => write!(f, " --{k}")?,
                v if v.contains(char::is_whitespace) => write!(f, " --{k}=\"{v}\"")?,
                v => write!(f, " --{k}={v}")?,
            }
        }
        if !self.args.is_empty() {
            write!(f, " {}", self.args)?;
        }
        Ok(())
    }
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// Splits one `--flag=value` off the front, where the value may hold a quoted part with spaces.
fn split_flag(s: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => return (&s[..i], &s[i..]),
            None => {}
        }
    }
    (s, "")
}

fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_with_cache_mount() {
        let i = Instruction::parse(
            "RUN --mount=type=cache,sharing=locked,id=demo.mods.v1,target=/src/mods sh -c 'sleep 3'",
        );
        assert_eq!(i.keyword, "RUN");
        assert_eq!(i.args, "sh -c 'sleep 3'");
        let m = &i.mounts()[0];
        assert_eq!(m.cache_id(), Some("demo.mods.v1"));
        assert_eq!(m.sharing, "locked");
        assert_eq!(m.target.as_deref(), Some("/src/mods"));
        assert!(!m.readonly);
    }

    #[test]
    fn a_read_only_mount_is_said_in_either_spelling() {
        for (spec, ro) in [
            ("type=cache,target=/c,readonly", true),
            ("type=cache,target=/c,ro", true),
            ("type=cache,target=/c,ro=true", true),
            ("type=cache,target=/c,readonly=false", false),
        ] {
            assert_eq!(Mount::parse(spec).readonly, ro, "{spec}");
        }
    }

    #[test]
    fn cache_id_defaults_to_target() {
        let i = Instruction::parse("RUN --mount=type=cache,target=/root/.npm npm ci");
        assert_eq!(i.mounts()[0].cache_id(), Some("/root/.npm"));
        let b = Instruction::parse("RUN --mount=target=/x,from=builder,source=/y true");
        assert_eq!(b.mounts()[0].cache_id(), None);
        assert_eq!(b.mounts()[0].from.as_deref(), Some("builder"));
    }

    #[test]
    fn a_cache_seeded_from_a_stage_is_another_cache() {
        let plain = Instruction::parse("RUN --mount=type=cache,id=x,target=/c true");
        let seeded =
            Instruction::parse("RUN --mount=type=cache,id=x,target=/c,from=builder,source=/o true");
        assert_eq!(plain.mounts()[0].cache_key().as_deref(), Some("x"));
        assert_eq!(seeded.mounts()[0].cache_id(), Some("x"));
        assert_ne!(
            seeded.mounts()[0].cache_key(),
            plain.mounts()[0].cache_key()
        );
    }

    #[test]
    fn copy_from_and_link() {
        let i = Instruction::parse("LINK COPY --link --from=other /out/other /app/");
        assert_eq!(i.keyword, "COPY");
        assert_eq!(i.copy_from(), Some("other"));
        assert_eq!(i.flag("link"), Some(""));
        let q = Instruction::parse(r#"COPY --chown="a b" --from=builder /x /y"#);
        assert_eq!(q.flag("chown"), Some("a b"));
        assert_eq!(q.copy_from(), Some("builder"));
        assert_eq!(Instruction::parse("").keyword, "");
    }

    #[test]
    fn an_instruction_reads_back_as_written() {
        for text in [
            "RUN --mount=type=cache,sharing=locked,id=demo.mods.v1,target=/m cp -r /m/. /app/",
            "COPY --link --from=builder /src/index /app/",
            r#"COPY --chown="a b" /x /y"#,
            "WORKDIR /app",
        ] {
            let i = Instruction::parse(text);
            assert_eq!(i.to_string(), text);
            assert_eq!(Instruction::parse(&i.to_string()), i);
        }
    }
}
