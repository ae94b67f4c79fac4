//! Reading a bake file without buildx, for `lint --bake`: bake's HCL (the common subset:
//! `variable`, `group`, `target` blocks with strings, lists, maps, `${VAR}` interpolation and
//! `inherits`), bake's JSON (also what `docker buildx bake --print` writes), and a compose file
//! (`services.*.build`). What it cannot read (functions, expressions) is an error that says so:
//! `docker buildx bake --print > bake.json` resolves any bake file into JSON this reads.

mod compose;
mod hcl;

use std::collections::BTreeMap;
use std::path::Path;

use crate::source::predict::Target;

/// A value of a bake file, whatever the syntax.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Null,
}

impl Value {
    fn str(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn list(&self) -> Vec<String> {
        match self {
            Value::List(l) => l.iter().filter_map(Value::str).collect(),
            Value::Str(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// A map, or a compose list of `KEY=VALUE`.
    fn pairs(&self) -> Vec<(String, String)> {
        match self {
            Value::Map(m) => m
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::Null => Some((k.clone(), String::new())),
                    v => v.str().map(|v| (k.clone(), v)),
                })
                .collect(),
            Value::List(l) => l
                .iter()
                .filter_map(Value::str)
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv, String::new()),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A bake file as read: its groups and its targets' attributes (before `inherits`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BakeFile {
    pub groups: BTreeMap<String, Vec<String>>,
    pub targets: BTreeMap<String, Value>,
    /// A compose file (its paths are relative to it; a bake file's to where bake runs).
    pub compose: bool,
}

/// Reads `path`: compose when named so (or when it has `services`), JSON when it parses as
/// JSON, else HCL.
pub fn read(path: &Path) -> Result<BakeFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let shown = path.display();
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        return compose::read(&text).map_err(|e| format!("{shown}: {e}"));
    }
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
        return Ok(from_json(&json));
    }
    hcl::read(&text).map_err(|e| format!("{shown}: {e}"))
}

fn from_json(j: &serde_json::Value) -> BakeFile {
    let value = json_value(j);
    let section = |name: &str| match value.get(name) {
        Some(Value::Map(m)) => m.clone(),
        _ => Vec::new(),
    };
    BakeFile {
        groups: section("group")
            .into_iter()
            .map(|(k, v)| (k, v.get("targets").map(Value::list).unwrap_or_default()))
            .collect(),
        targets: section("target").into_iter().collect(),
        compose: false,
    }
}

fn json_value(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::String(s) => Value::Str(s.clone()),
        J::Bool(b) => Value::Str(b.to_string()),
        J::Number(n) => Value::Str(n.to_string()),
        J::Array(a) => Value::List(a.iter().map(json_value).collect()),
        J::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), json_value(v))).collect()),
        J::Null => Value::Null,
    }
}

impl BakeFile {
    /// The targets of `names` (groups expanded; none: the `default` group, else every target),
    /// each with what it inherits, its Dockerfile read. `base`: the directory paths are
    /// relative to.
    pub fn targets(&self, names: &[String], base: &Path) -> Result<Vec<Target>, String> {
        let wanted = if !names.is_empty() {
            names.to_vec()
        } else if self.groups.contains_key("default") {
            vec!["default".to_string()]
        } else {
            self.targets.keys().cloned().collect()
        };
        let mut order: Vec<String> = Vec::new();
        for n in &wanted {
            self.expand(n, &mut order, 0)?;
        }
        let mut out: Vec<Target> = order
            .iter()
            .map(|n| self.target(n, base))
            .collect::<Result<_, _>>()?;
        // The targets they take as contexts (`target:NAME`), built only as such.
        let mut i = 0;
        while i < out.len() {
            let refs: Vec<String> = out[i].contexts.iter().map(|c| c.1.clone()).collect();
            for r in refs {
                if self.targets.contains_key(&r) && !out.iter().any(|t| t.name.as_ref() == Some(&r))
                {
                    let mut t = self.target(&r, base)?;
                    t.context_only = true;
                    out.push(t);
                }
            }
            i += 1;
        }
        Ok(out)
    }

    fn expand(&self, name: &str, out: &mut Vec<String>, depth: usize) -> Result<(), String> {
        if depth > 32 {
            return Err(format!("group `{name}`: groups nest too deep (a cycle?)"));
        }
        if let Some(members) = self.groups.get(name) {
            for m in members {
                self.expand(m, out, depth + 1)?;
            }
        } else if self.targets.contains_key(name) {
            if !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        } else {
            return Err(format!("no target or group named `{name}`"));
        }
        Ok(())
    }

    /// A target's attributes, with those it inherits under its own.
    fn attributes(&self, name: &str, depth: usize) -> Result<Vec<(String, Value)>, String> {
        let Some(Value::Map(own)) = self.targets.get(name) else {
            return Err(format!("no target named `{name}`"));
        };
        if depth > 32 {
            return Err(format!("target `{name}`: inherits too deep (a cycle?)"));
        }
        let mut out: Vec<(String, Value)> = Vec::new();
        let parents = own
            .iter()
            .find(|(k, _)| k == "inherits")
            .map(|(_, v)| v.list())
            .unwrap_or_default();
        for p in parents {
            for (k, v) in self.attributes(&p, depth + 1)? {
                merge(&mut out, k, v);
            }
        }
        for (k, v) in own {
            merge(&mut out, k.clone(), v.clone());
        }
        Ok(out)
    }

    fn target(&self, name: &str, base: &Path) -> Result<Target, String> {
        let attrs = Value::Map(self.attributes(name, 0)?);
        let get = |k: &str| attrs.get(k).and_then(Value::str);
        let context = get("context").unwrap_or_else(|| ".".into());
        let dir = tidy(&base.join(&context));
        let inline = get("dockerfile-inline").or_else(|| get("dockerfile_inline"));
        let file = get("dockerfile").unwrap_or_else(|| "Dockerfile".into());
        let path = tidy(&dir.join(&file));
        let text = match inline {
            Some(t) => t,
            None => std::fs::read_to_string(&path)
                .map_err(|e| format!("target `{name}`: {}: {e}", path.display()))?,
        };
        let contexts = attrs
            .get("contexts")
            .or_else(|| attrs.get("additional_contexts"))
            .map(Value::pairs)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| {
                let other = v
                    .strip_prefix("target:")
                    .or_else(|| v.strip_prefix("service:"))?;
                Some((k, other.to_string()))
            })
            .collect();
        Ok(Target {
            name: Some(name.to_string()),
            file: path.display().to_string(),
            text,
            context,
            args: attrs.get("args").map(Value::pairs).unwrap_or_default(),
            stage: get("target"),
            platforms: attrs.get("platforms").map(Value::list).unwrap_or_default(),
            contexts,
            context_only: false,
        })
    }
}

/// `a/./b` as `a/b` (the `.` of a context), and `./x` as `x`.
fn tidy(p: &Path) -> std::path::PathBuf {
    let out: std::path::PathBuf = p
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out
    }
}

/// Sets an attribute; maps (args, contexts) merge key by key, as bake's `inherits` does.
fn merge(out: &mut Vec<(String, Value)>, k: String, v: Value) {
    match (out.iter_mut().find(|(e, _)| *e == k), v) {
        (Some((_, Value::Map(old))), Value::Map(new)) => {
            for (nk, nv) in new {
                match old.iter_mut().find(|(ok, _)| *ok == nk) {
                    Some(slot) => slot.1 = nv,
                    None => old.push((nk, nv)),
                }
            }
        }
        (Some(slot), v) => slot.1 = v,
        (None, v) => out.push((k, v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_bake_prints_reads() {
        let j: serde_json::Value = serde_json::from_str(
            r#"{"group":{"default":{"targets":["api"]}},"target":{"api":{"context":"app","dockerfile":"Dockerfile.api","target":"api","args":{"A":"1","B":null},"platforms":["linux/amd64"]}}}"#,
        )
        .unwrap();
        let b = from_json(&j);
        assert_eq!(b.groups["default"], ["api"]);
        let api = Value::Map(b.attributes("api", 0).unwrap());
        assert_eq!(
            api.get("target").and_then(Value::str).as_deref(),
            Some("api")
        );
        assert_eq!(
            api.get("args").map(Value::pairs).unwrap(),
            [("A".into(), "1".into()), ("B".into(), String::new())]
        );
    }

    #[test]
    fn inherits_merges_maps_and_groups_nest() {
        let b = BakeFile {
            groups: [
                ("default".to_string(), vec!["all".to_string()]),
                ("all".to_string(), vec!["a".to_string(), "b".to_string()]),
            ]
            .into(),
            targets: [
                (
                    "base".to_string(),
                    Value::Map(vec![(
                        "args".into(),
                        Value::Map(vec![("X".into(), Value::Str("1".into()))]),
                    )]),
                ),
                (
                    "a".to_string(),
                    Value::Map(vec![
                        (
                            "inherits".into(),
                            Value::List(vec![Value::Str("base".into())]),
                        ),
                        (
                            "args".into(),
                            Value::Map(vec![("Y".into(), Value::Str("2".into()))]),
                        ),
                    ]),
                ),
                ("b".to_string(), Value::Map(vec![])),
            ]
            .into(),
            compose: false,
        };
        let a = Value::Map(b.attributes("a", 0).unwrap());
        assert_eq!(
            a.get("args").map(Value::pairs).unwrap(),
            [("X".into(), "1".into()), ("Y".into(), "2".into())]
        );
        let mut order = Vec::new();
        b.expand("default", &mut order, 0).unwrap();
        assert_eq!(order, ["a", "b"]);
        assert!(b.expand("nope", &mut order, 0).is_err());
    }
}
