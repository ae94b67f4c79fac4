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

/// The top-level modules a file's code names through `crate::`.
fn used(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            match rest.strip_prefix('{') {
                Some(group) => {
                    let group = group.split('}').next().unwrap_or("");
                    out.extend(group.split(',').map(ident));
                }
                None => {
                    out.insert(ident(rest));
                }
            }
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
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
