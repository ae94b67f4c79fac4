//! A compose file's builds (`services.NAME.build`), as bake reads them: each service with a
//! `build` is a target named after it (`build: ./dir` or `build: {context, dockerfile, target,
//! args, platforms, additional_contexts, dockerfile_inline}`). The YAML read is the block subset
//! compose files are written in: maps, sequences (`- item`), plain and quoted scalars, flow
//! lists and maps (`[a, b]`, `{A: b}`), block scalars (`|`, `>`), comments. Anchors and aliases
//! are refused with their line.

use super::{BakeFile, Value};

/// Nesting deeper than this is refused.
const MAX_DEPTH: usize = 64;

pub fn read(text: &str) -> Result<BakeFile, String> {
    let lines = lines(text);
    let (doc, _) = node(&lines, 0, 0, 0)?;
    let mut out = BakeFile {
        compose: true,
        ..BakeFile::default()
    };
    let Some(Value::Map(services)) = doc.get("services") else {
        return Err("no `services:` (not a compose file?)".into());
    };
    for (name, service) in services {
        let attrs = match service.get("build") {
            Some(Value::Str(context)) => vec![("context".to_string(), Value::Str(context.clone()))],
            Some(Value::Map(m)) => m.clone(),
            _ => continue,
        };
        out.targets.insert(name.clone(), Value::Map(attrs));
    }
    Ok(out)
}

/// A line that says something: (1-based number, indent, text without the indent).
type Line<'a> = (usize, usize, &'a str);

fn lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let body = l.trim_start();
            let skip = body.is_empty() || body.starts_with('#') || body == "---";
            (!skip).then(|| (i + 1, l.len() - body.len(), body.trim_end()))
        })
        .collect()
}

/// The node starting at `lines[i]`, whose lines are indented `indent` or more.
fn node(lines: &[Line], i: usize, indent: usize, depth: usize) -> Result<(Value, usize), String> {
    let Some(&(n, ind, text)) = lines.get(i) else {
        return Ok((Value::Null, i));
    };
    if depth > MAX_DEPTH {
        return Err(format!("line {n}: nested too deep"));
    }
    if ind < indent {
        return Ok((Value::Null, i));
    }
    if text == "-" || text.starts_with("- ") {
        sequence(lines, i, ind, depth)
    } else {
        mapping(lines, i, ind, depth)
    }
}

fn sequence(
    lines: &[Line],
    mut i: usize,
    ind: usize,
    depth: usize,
) -> Result<(Value, usize), String> {
    let mut items = Vec::new();
    while let Some(&(n, li, text)) = lines.get(i) {
        if li != ind || !(text == "-" || text.starts_with("- ")) {
            break;
        }
        let rest = text[1..].trim_start();
        if rest.is_empty() {
            let (v, next) = node(lines, i + 1, ind + 1, depth + 1)?;
            items.push(v);
            i = next;
        } else if key_of(rest).is_some() {
            // `- key: value` opens a map indented where `key` is.
            let inner = li + (text.len() - rest.len());
            let mut sub: Vec<Line> = vec![(n, inner, rest)];
            let mut j = i + 1;
            while let Some(&l) = lines.get(j).filter(|l| l.1 > ind) {
                sub.push(l);
                j += 1;
            }
            items.push(node(&sub, 0, inner, depth + 1)?.0);
            i = j;
        } else {
            items.push(scalar(rest, n)?);
            i += 1;
        }
    }
    Ok((Value::List(items), i))
}

fn mapping(
    lines: &[Line],
    mut i: usize,
    ind: usize,
    depth: usize,
) -> Result<(Value, usize), String> {
    let mut items: Vec<(String, Value)> = Vec::new();
    while let Some(&(n, li, text)) = lines.get(i) {
        if li != ind {
            if li > ind {
                return Err(format!("line {n}: indented where nothing opens"));
            }
            break;
        }
        let Some((key, rest)) = key_of(text) else {
            return Err(format!("line {n}: `key: value` expected"));
        };
        i += 1;
        let value = match rest {
            "" => {
                let (v, next) = node(lines, i, ind + 1, depth + 1)?;
                i = next;
                v
            }
            r if r.starts_with('|') || r.starts_with('>') => {
                let folded = r.starts_with('>');
                let mut body = Vec::new();
                let mut j = i;
                while let Some(&(_, bi, bt)) = lines.get(j).filter(|l| l.1 > ind) {
                    body.push((bi, bt));
                    j += 1;
                }
                let least = body.iter().map(|b| b.0).min().unwrap_or(0);
                let texts: Vec<String> = body
                    .iter()
                    .map(|(bi, bt)| format!("{}{bt}", " ".repeat(bi - least)))
                    .collect();
                i = j;
                Value::Str(texts.join(if folded { " " } else { "\n" }) + "\n")
            }
            r => scalar(r, n)?,
        };
        items.push((key, value));
    }
    Ok((Value::Map(items), i))
}

/// `key: rest` (the key unquoted), when the line is one.
fn key_of(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(q) = text.strip_prefix('"').or_else(|| text.strip_prefix('\'')) {
        let close = q.find(['"', '\''])?;
        let after = q[close + 1..].strip_prefix(':')?;
        (q[..close].to_string(), after)
    } else {
        let at = text
            .find(": ")
            .or_else(|| text.ends_with(':').then(|| text.len() - 1))?;
        let key = &text[..at];
        if key.starts_with(['[', '{']) {
            return None;
        }
        (key.trim().to_string(), &text[at + 1..])
    };
    Some((key, strip_comment(rest.trim())))
}

/// The text before a ` #` comment that is outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev.is_whitespace() => return s[..i].trim_end(),
            None => {}
        }
        prev = c;
    }
    s
}

/// A scalar or a flow collection.
fn scalar(s: &str, line: usize) -> Result<Value, String> {
    let s = strip_comment(s.trim());
    if s.starts_with('&') || s.starts_with('*') || s.starts_with('!') {
        return Err(format!(
            "line {line}: anchors, aliases and tags are not read here"
        ));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let items = split_flow(inner);
        return Ok(Value::List(
            items
                .iter()
                .map(|i| scalar(i, line))
                .collect::<Result<_, _>>()?,
        ));
    }
    if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let mut out = Vec::new();
        for item in split_flow(inner) {
            let (k, v) = item
                .split_once(':')
                .ok_or_else(|| format!("line {line}: `key: value` expected in {{…}}"))?;
            out.push((unquote(k.trim()), scalar(v, line)?));
        }
        return Ok(Value::Map(out));
    }
    Ok(match s {
        "" | "~" | "null" => Value::Null,
        s => Value::Str(unquote(s)),
    })
}

fn split_flow(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c)
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c)
            }
            (None, ',') => out.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        let inner = &s[1..s.len() - 1];
        if b[0] == b'"' {
            return inner.replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return inner.replace("''", "'");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_with_a_build_are_its_targets() {
        let text = "# a compose file\nservices:\n  api:\n    build:\n      context: .\n      target: api   # the stage\n      args:\n        A: \"1\"\n      platforms: [linux/amd64, \"linux/386\"]\n      additional_contexts:\n        deps: service:deps\n  worker:\n    build: ./w\n  db:\n    image: postgres\n  lister:\n    build:\n      context: .\n      args:\n        - B=2\n      dockerfile_inline: |\n        FROM scratch\n        COPY a /a\n";
        let b = read(text).unwrap();
        assert_eq!(
            b.targets.keys().collect::<Vec<_>>(),
            ["api", "lister", "worker"]
        );
        let api = &b.targets["api"];
        assert_eq!(
            api.get("target").and_then(Value::str).as_deref(),
            Some("api")
        );
        assert_eq!(
            api.get("args").map(Value::pairs).unwrap(),
            [("A".into(), "1".into())]
        );
        assert_eq!(
            api.get("platforms").map(Value::list).unwrap(),
            ["linux/amd64", "linux/386"]
        );
        assert_eq!(
            api.get("additional_contexts").map(Value::pairs).unwrap(),
            [("deps".into(), "service:deps".into())]
        );
        assert_eq!(
            b.targets["worker"]
                .get("context")
                .and_then(Value::str)
                .as_deref(),
            Some("./w")
        );
        let lister = &b.targets["lister"];
        assert_eq!(
            lister.get("args").map(Value::pairs).unwrap(),
            [("B".into(), "2".into())]
        );
        assert_eq!(
            lister
                .get("dockerfile_inline")
                .and_then(Value::str)
                .as_deref(),
            Some("FROM scratch\nCOPY a /a\n")
        );
    }

    #[test]
    fn what_it_cannot_read_says_where() {
        assert!(read("x: 1\n").unwrap_err().contains("no `services:`"));
        assert!(read("services:\n  a: &x\n    build: .\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(read("services:\n  a:\n      b: 1\n     c: 2\n").is_err());
        let deep: String = (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(read(&deep).unwrap_err().contains("nested too deep"));
    }
}
