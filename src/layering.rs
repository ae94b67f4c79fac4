//! The layer rule of docs/ARCHITECTURE.md, checked on the source: a top-level module uses only
//! modules of lower layers (`use crate::…` and paths in code; comments and doc links do not
//! count). Ranks strictly below mean no import cycles between them either.

use std::collections::BTreeSet;
use std::path::Path;

/// Each top-level module's layer, bottom first; modules of one layer do not use each other.
const LAYERS: &[&[&str]] = &[
    &["instruction"],
    &["model"],
    &["dockerfile"],
    &["graph"],
    &["source"],
    &["analysis"],
    &["diff"],
    &["chart"],
    &["trends"],
    &["export", "ui", "lint"],
    &["cli", "exit", "plugin"],
    &["commands"],
    &["lib", "main"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules a file's code names through `crate::`: in `use` items of any shape
/// (across lines, groups nested in groups) and in paths in code; comments do not count.
fn used(text: &str) -> BTreeSet<String> {
    let code = without_comments(text);
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `my_crate::…`
        }
        let rest = &code[i + "crate::".len()..];
        match rest.trim_start().strip_prefix('{') {
            Some(group) => out.extend(top_level_items(group).iter().map(|item| ident(item))),
            None => {
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

/// The identifier `s` starts with (after spaces).
fn ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The items of a `{…}` group whose `{` is already read, split at the commas of its own level
/// (`a, b::{c, d}` is `a` and `b::{c, d}`), up to its closing `}`.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

/// `text` as code only: its comments (`//`, doc comments, `/* */`) and the insides of its string
/// and character literals blanked, so that a `"/*"` or a `"crate::x"` in a string is no code.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let skip = match c {
            '/' if rest.starts_with("//") => rest.find('\n').unwrap_or(rest.len()),
            '/' if rest.starts_with("/*") => rest.find("*/").map_or(rest.len(), |e| e + 2),
            '"' => string_end(rest, 0),
            'r' if raw_hashes(rest).is_some() => string_end(rest, raw_hashes(rest).unwrap_or(0)),
            '\'' => char_literal_end(rest).unwrap_or(1),
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
                continue;
            }
        };
        out.push(' ');
        rest = &rest[skip.min(rest.len())..];
    }
    out
}

/// The `#`s of a raw string `r#"…"#` that `s` starts with (`None`: no raw string).
fn raw_hashes(s: &str) -> Option<usize> {
    let hashes = s[1..].chars().take_while(|&c| c == '#').count();
    s[1 + hashes..].starts_with('"').then_some(hashes)
}

/// Where the string literal `s` starts with ends: `"…"` with escapes, or a raw one with `hashes`.
fn string_end(s: &str, hashes: usize) -> usize {
    let open = s.find('"').unwrap_or(0) + 1;
    if s.starts_with('r') {
        let close = format!("\"{}", "#".repeat(hashes));
        return s[open..]
            .find(&close)
            .map_or(s.len(), |e| open + e + close.len());
    }
    let mut escaped = false;
    for (i, c) in s[open..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return open + i + 1,
            _ => {}
        }
    }
    s.len()
}

/// Where a character literal (`'x'`, `'\n'`, `'"'`) that `s` starts with ends; `None` for a
/// lifetime (`'a`).
fn char_literal_end(s: &str) -> Option<usize> {
    let body = &s[1..];
    let len = if let Some(escaped) = body.strip_prefix('\\') {
        // The escaped character, then up to the closing quote (`'\''`, `'\u{2192}'`).
        let c = escaped.chars().next()?.len_utf8();
        1 + c + escaped[c..].find('\'')?
    } else {
        body.chars().next()?.len_utf8()
    };
    body[len..].starts_with('\'').then_some(len + 2)
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_one_of_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "layering" {
            continue;
        }
        let Some(own) = rank(&module) else {
            wrong.push(format!("{}: `{module}` is in no layer", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for other in used(&text).into_iter().filter(|m| *m != module) {
            match rank(&other) {
                Some(r) if r < own => {}
                _ => wrong.push(format!("{} uses crate::{other}", rel.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn names_in_code_count_and_comments_do_not() {
    let text = "use crate::chart::short_name;\nuse crate::{model, graph::Step};\n\
                /// see [`crate::ui`]\nlet x = crate::export::text::render(); // crate::cli\n";
    let want = ["chart", "export", "graph", "model"].map(String::from);
    assert_eq!(used(text), BTreeSet::from(want));
}

#[test]
fn a_use_across_lines_with_nested_groups_counts_each_module() {
    let text = "use crate::{\n    model,\n    graph::{Step, short_name},\n    // crate::ui\n    \
                analysis::{self, cache::{a, b}},\n};\n/* crate::cli */ fn f() {}\n\
                use my_crate::export;\nuse crate::chart\n    ::words;\n\
                let glob = \"**/*.log\"; let q = '\"'; let e = '\\''; use crate::diff;\n\
                let s = \"crate::lint\"; fn f<'a>(x: &'a str) {}\n";
    let want = ["analysis", "chart", "diff", "graph", "model"].map(String::from);
    assert_eq!(used(text), BTreeSet::from(want));
}
