//! The build context as the Engine API wants it: a tar stream of the context directory, without
//! what `.dockerignore` excludes, with the Dockerfile in it. Matching follows the docker CLI
//! (moby's patternmatcher): patterns are relative to the context, `*` and `?` stay within a path
//! segment, `**` crosses them, a pattern that matches a directory excludes everything under it,
//! `!` re-includes, and the last matching pattern wins. `<Dockerfile>.dockerignore` next to the
//! Dockerfile takes precedence over the context's `.dockerignore`, as in the CLI. The Dockerfile
//! and the ignore file are always sent, as the CLI does.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// Where the Dockerfile is put in the tar when it is not inside the context (the CLI does the
/// same with a random name).
pub const OUTSIDE_DOCKERFILE: &str = ".dockerfile.buildx-gantt";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    glob: String,
    exclusion: bool,
}

/// The parsed `.dockerignore`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

impl Ignore {
    pub fn parse(text: &str) -> Ignore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclusion, rest) = match line.strip_prefix('!') {
                Some(r) => (true, r.trim()),
                None => (false, line),
            };
            let glob = clean(rest);
            if glob.is_empty() {
                continue;
            }
            patterns.push(Pattern { glob, exclusion });
        }
        Ignore { patterns }
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out.
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for p in &self.patterns {
            if p.exclusion != excluded {
                continue;
            }
            if matches_or_parent(&p.glob, path) {
                excluded = !p.exclusion;
            }
        }
        excluded
    }

    /// Whether a directory that is itself excluded may still hold something re-included by a
    /// `!` pattern (then it must be walked).
    fn may_reinclude_under(&self, dir: &str) -> bool {
        self.patterns.iter().any(|p| {
            p.exclusion
                && (p.glob.starts_with(&format!("{dir}/"))
                    || p.glob.contains('*')
                    || p.glob.contains('?')
                    || p.glob.contains('['))
        })
    }
}

/// Like Go's `filepath.Clean` on a pattern, relative to the context root.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn matches_or_parent(glob: &str, path: &str) -> bool {
    if glob_match(glob.as_bytes(), path.as_bytes()) {
        return true;
    }
    path.match_indices('/')
        .any(|(i, _)| glob_match(glob.as_bytes(), &path.as_bytes()[..i]))
}

/// Glob matching with `**` crossing `/`, `*`/`?` within a segment, `[…]` classes and `\` escapes.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            let rest = &p[2..];
            if let Some(after) = rest.strip_prefix(b"/") {
                // `**/`: zero or more whole directories.
                glob_match(after, s)
                    || s.iter()
                        .enumerate()
                        .any(|(i, &c)| c == b'/' && glob_match(after, &s[i + 1..]))
            } else {
                (0..=s.len()).any(|i| glob_match(rest, &s[i..]))
            }
        }
        Some(b'*') => {
            for i in 0..=s.len() {
                if glob_match(&p[1..], &s[i..]) {
                    return true;
                }
                if i < s.len() && s[i] == b'/' {
                    break;
                }
            }
            false
        }
        Some(b'?') => matches!(s.first(), Some(&c) if c != b'/') && glob_match(&p[1..], &s[1..]),
        Some(b'[') => match (class(&p[1..]), s.first()) {
            (Some((matches, len)), Some(&c)) if c != b'/' => {
                matches(c) && glob_match(&p[1 + len..], &s[1..])
            }
            (None, Some(&c)) => c == b'[' && glob_match(&p[1..], &s[1..]),
            _ => false,
        },
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob_match(&p[2..], &s[1..]),
        Some(&c) => s.first() == Some(&c) && glob_match(&p[1..], &s[1..]),
    }
}

/// A `[…]` class after its `[`: a matcher and how many pattern bytes it took (with the `]`).
fn class(p: &[u8]) -> Option<(impl Fn(u8) -> bool, usize)> {
    let (negate, start) = match p.first() {
        Some(b'^') | Some(b'!') => (true, 1),
        _ => (false, 0),
    };
    let mut ranges = Vec::new();
    let mut i = start;
    loop {
        let c = *p.get(i)?;
        if c == b']' && i > start {
            break;
        }
        let lo = if c == b'\\' {
            i += 1;
            *p.get(i)?
        } else {
            c
        };
        i += 1;
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|&n| n != b']') {
            let hi = p[i + 1];
            ranges.push((lo, hi));
            i += 2;
        } else {
            ranges.push((lo, lo));
        }
    }
    Some((
        move |c: u8| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negate,
        i + 1,
    ))
}

/// Why the context could not be sent.
#[derive(Debug)]
pub struct ContextError {
    pub path: PathBuf,
    pub error: io::Error,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read the build context: {}: {}",
            self.path.display(),
            self.error
        )
    }
}

impl std::error::Error for ContextError {}

/// What will be sent: the context directory, its ignore rules, and the Dockerfile's name inside
/// the tar.
#[derive(Debug, Clone)]
pub struct Context {
    pub dir: PathBuf,
    pub dockerfile: PathBuf,
    /// The Dockerfile's path inside the tar (the `dockerfile` parameter of the build).
    pub dockerfile_name: String,
    pub ignore: Ignore,
    ignore_file: Option<String>,
    /// The Dockerfile sits outside the context (added under [`OUTSIDE_DOCKERFILE`]).
    outside: bool,
    /// The Dockerfile's text, when it came on standard input (`-`), not from a file.
    text: Option<std::sync::Arc<Vec<u8>>>,
}

impl Context {
    /// Checks the context and Dockerfile are readable and reads the ignore rules.
    pub fn new(dir: &Path, dockerfile: &Path) -> Result<Context, ContextError> {
        let err = |path: &Path, error| ContextError {
            path: path.to_path_buf(),
            error,
        };
        let dir_abs = fs::canonicalize(dir).map_err(|e| err(dir, e))?;
        fs::read_dir(&dir_abs).map_err(|e| err(dir, e))?;
        let df_abs = fs::canonicalize(dockerfile).map_err(|e| err(dockerfile, e))?;
        fs::File::open(&df_abs).map_err(|e| err(dockerfile, e))?;
        let (dockerfile_name, outside) = match df_abs.strip_prefix(&dir_abs) {
            Ok(rel) => (slash_path(rel), false),
            Err(_) => (OUTSIDE_DOCKERFILE.to_string(), true),
        };
        let specific = PathBuf::from(format!("{}.dockerignore", df_abs.display()));
        let (ignore, ignore_file) = if specific.is_file() {
            let name = specific.strip_prefix(&dir_abs).ok().map(slash_path);
            (read_ignore(&specific)?, name)
        } else {
            general_ignore(&dir_abs)?
        };
        Ok(Context {
            dir: dir_abs,
            dockerfile: df_abs,
            dockerfile_name,
            ignore,
            ignore_file,
            outside,
            text: None,
        })
    }

    /// A context whose Dockerfile is `text` (read from standard input): sent beside the context
    /// under [`OUTSIDE_DOCKERFILE`], with the context's `.dockerignore`.
    pub fn with_dockerfile_text(dir: &Path, text: Vec<u8>) -> Result<Context, ContextError> {
        let err = |path: &Path, error| ContextError {
            path: path.to_path_buf(),
            error,
        };
        let dir_abs = fs::canonicalize(dir).map_err(|e| err(dir, e))?;
        fs::read_dir(&dir_abs).map_err(|e| err(dir, e))?;
        let (ignore, ignore_file) = general_ignore(&dir_abs)?;
        Ok(Context {
            dir: dir_abs,
            dockerfile: PathBuf::from("-"),
            dockerfile_name: OUTSIDE_DOCKERFILE.to_string(),
            ignore,
            ignore_file,
            outside: true,
            text: Some(std::sync::Arc::new(text)),
        })
    }

    /// The files sent, in the order they are written (relative, `/`-separated; directories
    /// too). Walks the context once.
    pub fn entries(&self) -> Result<Vec<String>, ContextError> {
        let mut out = Vec::new();
        self.walk(&self.dir, "", &mut out)?;
        let always = [Some(&self.dockerfile_name), self.ignore_file.as_ref()];
        for name in always.into_iter().flatten() {
            if (!self.outside || name != &self.dockerfile_name) && !out.contains(name) {
                out.push(name.clone());
            }
        }
        Ok(out)
    }

    fn walk(&self, dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), ContextError> {
        let rd = fs::read_dir(dir).map_err(|e| ContextError {
            path: dir.to_path_buf(),
            error: e,
        })?;
        let mut names: Vec<(String, PathBuf, bool, bool)> = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| ContextError {
                path: dir.to_path_buf(),
                error: e,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(t) = entry.file_type() else { continue };
            // Sockets, FIFOs and devices are not sent (the CLI skips sockets too; a FIFO would
            // block the tar).
            if !(t.is_dir() || t.is_file() || t.is_symlink()) {
                continue;
            }
            names.push((name, entry.path(), t.is_dir(), t.is_file()));
        }
        names.sort();
        for (name, path, is_dir, is_file) in names {
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let excluded = self.ignore.excludes(&rel);
            if !excluded {
                // Unreadable files are found now, before anything is sent.
                if is_file {
                    fs::File::open(&path).map_err(|e| ContextError {
                        path: path.clone(),
                        error: e,
                    })?;
                }
                out.push(rel.clone());
            }
            if is_dir && (!excluded || self.ignore.may_reinclude_under(&rel)) {
                self.walk(&path, &rel, out)?;
            }
        }
        Ok(())
    }

    /// Writes the tar of `entries` to `w` (and the Dockerfile under its tar name).
    pub fn write_tar<W: Write>(&self, entries: &[String], w: W) -> Result<(), ContextError> {
        let mut tar = tar::Builder::new(w);
        tar.follow_symlinks(false);
        tar.mode(tar::HeaderMode::Deterministic);
        for rel in entries {
            let path = self.dir.join(rel);
            tar.append_path_with_name(&path, rel)
                .map_err(|e| ContextError { path, error: e })?;
        }
        if self.outside {
            let added = match &self.text {
                Some(text) => {
                    let mut header = tar::Header::new_gnu();
                    header.set_size(text.len() as u64);
                    header.set_mode(0o644);
                    header.set_cksum();
                    tar.append_data(&mut header, OUTSIDE_DOCKERFILE, text.as_slice())
                }
                None => tar.append_path_with_name(&self.dockerfile, OUTSIDE_DOCKERFILE),
            };
            added.map_err(|e| ContextError {
                path: self.dockerfile.clone(),
                error: e,
            })?;
        }
        tar.into_inner().map(|_| ()).map_err(|e| ContextError {
            path: self.dir.clone(),
            error: e,
        })
    }
}

/// The ignore rules in `path`.
fn read_ignore(path: &Path) -> Result<Ignore, ContextError> {
    let text = fs::read_to_string(path).map_err(|error| ContextError {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(Ignore::parse(&text))
}

/// The context's own `.dockerignore`, if it has one.
fn general_ignore(dir: &Path) -> Result<(Ignore, Option<String>), ContextError> {
    let general = dir.join(".dockerignore");
    if general.is_file() {
        Ok((read_ignore(&general)?, Some(".dockerignore".to_string())))
    } else {
        Ok((Ignore::default(), None))
    }
}

fn slash_path(p: &Path) -> String {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_the_docker_cli() {
        assert!(glob_match(b"*.log", b"a.log"));
        assert!(!glob_match(b"*.log", b"dir/a.log"));
        assert!(glob_match(b"**/*.log", b"dir/sub/a.log"));
        assert!(glob_match(b"**/*.log", b"a.log"));
        assert!(glob_match(b"dir/**", b"dir/x/y"));
        assert!(glob_match(b"a?c", b"abc"));
        assert!(!glob_match(b"a?c", b"a/c"));
        assert!(glob_match(b"[a-c]x", b"bx"));
        assert!(!glob_match(b"[^a-c]x", b"bx"));
        assert!(glob_match(b"\\*", b"*"));
        assert!(!glob_match(b"[", b"x"));
    }

    #[test]
    fn last_match_wins_and_directories_cover_their_files() {
        let i = Ignore::parse("# comment\nnode_modules\n*.md\n!README.md\n/build/\n./tmp/../out\n");
        assert!(i.excludes("node_modules"));
        assert!(i.excludes("node_modules/x/y.js"));
        assert!(i.excludes("CHANGES.md"));
        assert!(!i.excludes("README.md"));
        assert!(i.excludes("build/a"));
        assert!(i.excludes("out"));
        assert!(!i.excludes("src/main.rs"));
        assert!(!i.excludes("docs/x.md"), "`*.md` is for the top level only");
    }
}
