//! The subset of HCL that bake files use in common: blocks (`target "api" { … }`), attributes
//! (`name = value`), strings with `${VAR}` interpolation and escapes, heredocs (`<<EOT`),
//! numbers and booleans (as text), lists, maps (`{ K = "v" }` or `{ "K": "v" }`), `variable`
//! blocks with a `default` (overridden by the environment, as bake does) and `#`, `//`, `/* */`
//! comments. A function call or an expression is refused with its line.

use std::collections::BTreeMap;

use super::{BakeFile, Value};

/// Nesting deeper than this is refused (a hostile file cannot exhaust the stack).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A string's parts: text, or `${…}` holding an expression's text.
    Str(Vec<Part>),
    Punct(char),
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Interp(String),
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    line: usize,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let mut lx = Lexer {
        chars: text.char_indices().peekable(),
        text,
        line: 1,
    };
    let mut out = Vec::new();
    while let Some(&(at, c)) = lx.chars.peek() {
        let line = lx.line;
        match c {
            '\n' => {
                lx.line += 1;
                lx.chars.next();
            }
            c if c.is_whitespace() => {
                lx.chars.next();
            }
            '#' => lx.skip_line(),
            '/' if text[at..].starts_with("//") => lx.skip_line(),
            '/' if text[at..].starts_with("/*") => lx.skip_block()?,
            '"' => {
                lx.chars.next();
                out.push((Tok::Str(lx.string()?), line));
            }
            '<' if text[at..].starts_with("<<") => out.push((Tok::Str(lx.heredoc()?), line)),
            c if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                let mut word = String::new();
                while let Some(&(_, c)) = lx.chars.peek() {
                    if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                        word.push(c);
                        lx.chars.next();
                    } else {
                        break;
                    }
                }
                out.push((Tok::Ident(word), line));
            }
            c => {
                // Operators and the like: kept, so an expression this does not read can be
                // skipped whole (see `Parser::rest_of`).
                lx.chars.next();
                out.push((Tok::Punct(c), line));
            }
        }
    }
    Ok(out)
}

impl Lexer<'_> {
    fn skip_line(&mut self) {
        while let Some(&(_, c)) = self.chars.peek() {
            if c == '\n' {
                break;
            }
            self.chars.next();
        }
    }

    fn skip_block(&mut self) -> Result<(), String> {
        let start = self.line;
        self.chars.next();
        self.chars.next();
        let mut prev = ' ';
        for (_, c) in self.chars.by_ref() {
            if c == '\n' {
                self.line += 1;
            }
            if prev == '*' && c == '/' {
                return Ok(());
            }
            prev = c;
        }
        Err(format!("line {start}: a /* comment is never closed"))
    }

    /// A quoted string's parts, after its opening quote.
    fn string(&mut self) -> Result<Vec<Part>, String> {
        let start = self.line;
        let mut parts = Vec::new();
        let mut text = String::new();
        while let Some((at, c)) = self.chars.next() {
            match c {
                '"' => {
                    parts.push(Part::Text(text));
                    return Ok(parts);
                }
                '\n' => return Err(format!("line {start}: a string is never closed")),
                '\\' => match self.chars.next().map(|x| x.1) {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('r') => text.push('\r'),
                    Some(c) => text.push(c),
                    None => break,
                },
                '$' if self.text[at..].starts_with("$${") => {
                    self.chars.next();
                    text.push('$');
                }
                '$' if self.text[at..].starts_with("${") => {
                    self.chars.next();
                    parts.push(Part::Text(std::mem::take(&mut text)));
                    parts.push(Part::Interp(self.interpolation(start)?));
                }
                c => text.push(c),
            }
        }
        Err(format!("line {start}: a string is never closed"))
    }

    fn interpolation(&mut self, start: usize) -> Result<String, String> {
        let mut inner = String::new();
        for (_, c) in self.chars.by_ref() {
            if c == '}' {
                return Ok(inner.trim().to_string());
            }
            inner.push(c);
        }
        Err(format!("line {start}: a ${{ is never closed"))
    }

    /// `<<EOT` / `<<-EOT` … `EOT`: the lines between, as text.
    fn heredoc(&mut self) -> Result<Vec<Part>, String> {
        let start = self.line;
        self.chars.next();
        self.chars.next();
        let indent = self.chars.next_if(|x| x.1 == '-').is_some();
        let mut word = String::new();
        while let Some((_, c)) = self.chars.next_if(|x| x.1 != '\n') {
            word.push(c);
        }
        let word = word.trim().to_string();
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        self.chars.next();
        self.line += 1;
        for (_, c) in self.chars.by_ref() {
            if c != '\n' {
                line.push(c);
                continue;
            }
            self.line += 1;
            if line.trim() == word {
                let body = if indent {
                    lines
                        .iter()
                        .map(|l| l.trim_start())
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    lines.join("\n")
                };
                return Ok(vec![Part::Text(body + "\n")]);
            }
            lines.push(std::mem::take(&mut line));
        }
        if line.trim() == word {
            return Ok(vec![Part::Text(lines.join("\n") + "\n")]);
        }
        Err(format!("line {start}: heredoc <<{word} is never closed"))
    }
}

/// A parsed body: attributes and blocks, in order.
#[derive(Debug, Default)]
struct Body {
    attributes: Vec<(String, Expr, usize)>,
    blocks: Vec<Block>,
}

#[derive(Debug)]
struct Block {
    kind: String,
    labels: Vec<String>,
    body: Body,
}

/// An expression as written: strings still hold their interpolations.
#[derive(Debug, Clone)]
enum Expr {
    Str(Vec<Part>),
    Word(String),
    List(Vec<Expr>),
    Map(Vec<(String, Expr)>),
    /// What is not read here (a function call, an operator): why, said only if it is used.
    Unread(String),
}

const PRINT: &str = "`docker buildx bake --print > bake.json` resolves it; lint that";

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.0)
    }

    fn line(&self) -> usize {
        self.toks
            .get(self.at)
            .or(self.toks.last())
            .map_or(1, |t| t.1)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|t| t.0.clone());
        self.at += 1;
        t
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            _ => Err(format!("line {}: `{c}` expected", self.line())),
        }
    }

    /// Whether the attribute begun on `line` ends here (what follows starts another one, or
    /// closes the block).
    fn ends_here(&self, line: usize) -> bool {
        match self.toks.get(self.at) {
            None | Some((Tok::Punct('}'), _)) => true,
            Some((_, l)) => *l > line && matches!(self.peek(), Some(Tok::Ident(_))),
        }
    }

    /// Skips the rest of an expression begun on `line`: to the end of the line, brackets
    /// balanced.
    fn rest_of(&mut self, line: usize) {
        let mut depth = 0usize;
        while let Some((t, l)) = self.toks.get(self.at) {
            if depth == 0 && *l > line && !matches!(t, Tok::Punct(_)) {
                break;
            }
            match t {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') if depth == 0 => break,
                Tok::Punct(')' | ']' | '}') => depth -= 1,
                _ => {}
            }
            self.at += 1;
        }
    }

    /// Skips `( … )`, nested brackets included.
    fn balanced(&mut self) -> Result<(), String> {
        let start = self.line();
        let mut depth = 0usize;
        while let Some(t) = self.next() {
            match t {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err(format!("line {start}: a `(` is never closed"))
    }

    fn body(&mut self, depth: usize, top: bool) -> Result<Body, String> {
        if depth > MAX_DEPTH {
            return Err(format!("line {}: nested too deep", self.line()));
        }
        let mut body = Body::default();
        loop {
            match self.peek() {
                None if top => return Ok(body),
                Some(Tok::Punct('}')) if !top => {
                    self.next();
                    return Ok(body);
                }
                Some(Tok::Ident(_)) => {}
                _ => {
                    return Err(format!(
                        "line {}: an attribute or a block expected",
                        self.line()
                    ))
                }
            }
            let line = self.line();
            let Some(Tok::Ident(name)) = self.next() else {
                unreachable!("peeked an identifier")
            };
            if matches!(self.peek(), Some(Tok::Punct('='))) {
                self.next();
                let mut e = self.expr(depth + 1)?;
                if !self.ends_here(line) {
                    self.rest_of(line);
                    e = Expr::Unread(format!("line {line}: `{name}` is an expression; {PRINT}"));
                }
                body.attributes.push((name, e, line));
                continue;
            }
            let mut labels = Vec::new();
            while let Some(Tok::Str(_) | Tok::Ident(_)) = self.peek() {
                match self.next() {
                    Some(Tok::Str(parts)) => labels.push(plain(&parts)),
                    Some(Tok::Ident(w)) => labels.push(w),
                    _ => {}
                }
            }
            self.expect('{')?;
            let inner = self.body(depth + 1, false)?;
            body.blocks.push(Block {
                kind: name,
                labels,
                body: inner,
            });
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err(format!("line {}: nested too deep", self.line()));
        }
        let line = self.line();
        let e = match self.next() {
            Some(Tok::Str(parts)) => Expr::Str(parts),
            Some(Tok::Ident(w)) => {
                if matches!(self.peek(), Some(Tok::Punct('('))) {
                    self.balanced()?;
                    return Ok(Expr::Unread(format!(
                        "line {line}: `{w}(…)`: functions are not read here; {PRINT}"
                    )));
                }
                Expr::Word(w)
            }
            Some(Tok::Punct('[')) => {
                let mut items = Vec::new();
                while !matches!(self.peek(), Some(Tok::Punct(']'))) {
                    items.push(self.expr(depth + 1)?);
                    if matches!(self.peek(), Some(Tok::Punct(','))) {
                        self.next();
                    } else if !matches!(self.peek(), Some(Tok::Punct(']'))) {
                        return Err(format!("line {}: `,` or `]` expected", self.line()));
                    }
                }
                self.next();
                Expr::List(items)
            }
            Some(Tok::Punct('{')) => {
                let mut items = Vec::new();
                while !matches!(self.peek(), Some(Tok::Punct('}'))) {
                    let key = match self.next() {
                        Some(Tok::Ident(w)) => w,
                        Some(Tok::Str(p)) => plain(&p),
                        _ => return Err(format!("line {}: a key expected", self.line())),
                    };
                    match self.next() {
                        Some(Tok::Punct('=' | ':')) => {}
                        _ => return Err(format!("line {}: `=` expected", self.line())),
                    }
                    items.push((key, self.expr(depth + 1)?));
                    if matches!(self.peek(), Some(Tok::Punct(','))) {
                        self.next();
                    }
                }
                self.next();
                Expr::Map(items)
            }
            _ => return Err(format!("line {line}: a value expected")),
        };
        Ok(e)
    }
}

/// A label or key: its text, interpolations as written.
fn plain(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Text(t) => t.clone(),
            Part::Interp(i) => format!("${{{i}}}"),
        })
        .collect()
}

/// Variables: each `variable "X" { default = … }`, the environment's `X` first.
struct Vars(BTreeMap<String, Value>);

impl Vars {
    fn value(&self, e: &Expr, line: usize) -> Result<Value, String> {
        Ok(match e {
            Expr::Str(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        Part::Text(t) => s.push_str(t),
                        Part::Interp(name) => match self.0.get(name.as_str()) {
                            Some(Value::Str(v)) => s.push_str(v),
                            Some(_) | None => {
                                return Err(format!(
                                    "line {line}: `${{{name}}}`: only variables are read here; \
                                     {PRINT}"
                                ))
                            }
                        },
                    }
                }
                Value::Str(s)
            }
            Expr::Word(w) if w == "null" => Value::Null,
            Expr::Word(w) => match self.0.get(w.as_str()) {
                Some(v) => v.clone(),
                None => Value::Str(w.clone()),
            },
            Expr::List(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.value(i, line))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Map(items) => Value::Map(
                items
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.value(v, line)?)))
                    .collect::<Result<_, String>>()?,
            ),
            Expr::Unread(why) => return Err(why.clone()),
        })
    }
}

/// The attributes `lint` reads: one it cannot read is an error; any other is left out.
const USED: [&str; 9] = [
    "targets",
    "context",
    "dockerfile",
    "dockerfile-inline",
    "target",
    "args",
    "platforms",
    "contexts",
    "inherits",
];

pub fn read(text: &str) -> Result<BakeFile, String> {
    let mut p = Parser {
        toks: lex(text)?,
        at: 0,
    };
    let body = p.body(0, true)?;
    let mut vars = Vars(BTreeMap::new());
    for b in body.blocks.iter().filter(|b| b.kind == "variable") {
        let Some(name) = b.labels.first() else {
            continue;
        };
        let value = match std::env::var(name) {
            Ok(v) => Value::Str(v),
            Err(_) => match b.body.attributes.iter().find(|a| a.0 == "default") {
                // A default this cannot read fails only the attributes that use it.
                Some((_, e, line)) => vars.value(e, *line).unwrap_or(Value::Null),
                None => Value::Str(String::new()),
            },
        };
        vars.0.insert(name.clone(), value);
    }
    let mut out = BakeFile::default();
    for b in &body.blocks {
        let Some(name) = b.labels.first().cloned() else {
            continue;
        };
        let mut attrs: Vec<(String, Value)> = Vec::new();
        for (k, e, line) in &b.body.attributes {
            match vars.value(e, *line) {
                Ok(v) => attrs.push((k.clone(), v)),
                // What the build graph needs must be read; the rest (tags, outputs, cache
                // exports…) may be anything.
                Err(e) if USED.contains(&k.as_str()) => return Err(e),
                Err(_) => {}
            }
        }
        match b.kind.as_str() {
            "group" => {
                let targets = attrs
                    .iter()
                    .find(|a| a.0 == "targets")
                    .map(|a| a.1.list())
                    .unwrap_or_default();
                out.groups.insert(name, targets);
            }
            "target" => {
                out.targets.insert(name, Value::Map(attrs));
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_bake_files_read() {
        let b = read(include_str!("../../../tests/fixtures/bake/docker-bake.hcl")).unwrap();
        assert_eq!(b.groups["default"], ["api", "worker"]);
        assert_eq!(
            b.targets["api"]
                .get("target")
                .and_then(Value::str)
                .as_deref(),
            Some("api")
        );
        let two = read(include_str!(
            "../../../tests/fixtures/bake-two/docker-bake.hcl"
        ))
        .unwrap();
        assert_eq!(
            two.targets["worker"]
                .get("dockerfile")
                .and_then(Value::str)
                .as_deref(),
            Some("Dockerfile.worker")
        );
    }

    #[test]
    fn variables_lists_maps_comments_and_heredocs() {
        let text = r#"
            # a comment
            variable "TAG" { default = "v1" }
            // another
            /* and a
               block */
            target "app" {
              context = "."
              args = { VERSION = "${TAG}", "B": "two", C = 3 }
              platforms = ["linux/amd64", "linux/386",]
              contexts = { deps = "target:deps" }
              dockerfile-inline = <<EOT
            FROM scratch
            EOT
              tags = ["app:$${literal}"]
            }
        "#;
        let b = read(text).unwrap();
        let app = &b.targets["app"];
        assert_eq!(
            app.get("args").map(Value::pairs).unwrap(),
            [
                ("VERSION".into(), "v1".into()),
                ("B".into(), "two".into()),
                ("C".into(), "3".into())
            ]
        );
        assert_eq!(app.get("platforms").map(Value::list).unwrap().len(), 2);
        assert_eq!(
            app.get("dockerfile-inline").and_then(Value::str).as_deref(),
            Some("            FROM scratch\n")
        );
        assert_eq!(
            app.get("tags").map(Value::list).unwrap(),
            ["app:${literal}"]
        );
    }

    #[test]
    fn what_the_graph_does_not_need_may_be_anything() {
        let text = r#"
            variable "V" { default = upper("x") }
            function "f" {
              params = [a]
              result = "${a}-x"
            }
            target "app" {
              tags = [join(",", ["a", "b"]), "x:${V}"]
              output = V == "x" ? ["type=docker"] : []
              dockerfile = "Dockerfile.app"
            }
        "#;
        let b = read(text).unwrap();
        let app = &b.targets["app"];
        assert_eq!(
            app.get("dockerfile").and_then(Value::str).as_deref(),
            Some("Dockerfile.app")
        );
        assert!(app.get("tags").is_none() && app.get("output").is_none());
    }

    #[test]
    fn what_it_cannot_read_is_refused_with_its_line() {
        let cases: [(&str, &str); 6] = [
            (
                "target \"a\" {\n  args = [join(\",\", x)]\n}",
                "line 2: `join(…)`",
            ),
            (
                "target \"a\" {\n  target = \"${upper(Y)}\"\n}",
                "line 2: `${upper(Y)}`",
            ),
            (
                "target \"a\" {\n  target = X ? \"a\" : \"b\"\n}",
                "line 2: `target` is an expression",
            ),
            (
                "target \"a\" {\n  x = \"never closed\n}",
                "line 2: a string is never closed",
            ),
            ("target \"a\" {", "an attribute or a block expected"),
            ("x = f(", "a `(` is never closed"),
        ];
        for (text, says) in cases {
            let e = read(text).unwrap_err();
            assert!(e.contains(says), "{text:.40}: {e}");
        }
        let deep = format!("x = {}", "[".repeat(10_000));
        assert!(read(&deep).unwrap_err().contains("nested too deep"));
    }
}
