//! What a bake builds, as `docker buildx bake --print` resolves it: each target's Dockerfile,
//! stage and build arguments (for `--verify-layers`, one check per target), and the images the
//! build left, from its `--metadata-file`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::dockerfile::Dockerfile;

/// One target of a bake, as resolved.
#[derive(Debug, Clone)]
pub struct BakeTarget {
    pub name: String,
    /// Its Dockerfile (relative paths are from the current directory).
    pub dockerfile: PathBuf,
    /// The stage it builds (`target = …`), none for the last.
    pub stage: Option<String>,
    pub args: Vec<(String, String)>,
}

impl BakeTarget {
    /// Its Dockerfile, read with its build arguments.
    pub fn parsed(&self) -> Result<Dockerfile, String> {
        let text = std::fs::read_to_string(&self.dockerfile)
            .map_err(|e| format!("{}: {e}", self.dockerfile.display()))?;
        Ok(Dockerfile::parse(&text, &self.args))
    }
}

/// The targets `docker buildx bake --print ARGS` resolves (bake's own arguments: files, targets,
/// `--set`).
pub fn print(docker: &str, args: &[String]) -> Result<Vec<BakeTarget>, String> {
    let out = super::spawn::command(docker)
        .args(["buildx", "bake", "--print"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{docker} buildx bake --print`: {e}"))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`{docker} buildx bake --print` failed: {}",
            crate::model::clean(said.trim())
        ));
    }
    targets_of(&out.stdout)
}

#[derive(serde::Deserialize)]
struct Printed {
    #[serde(default)]
    target: BTreeMap<String, PrintedTarget>,
}

#[derive(serde::Deserialize)]
struct PrintedTarget {
    context: Option<String>,
    dockerfile: Option<String>,
    target: Option<String>,
    #[serde(default)]
    args: BTreeMap<String, Option<String>>,
}

/// The targets in bake's `--print` JSON.
fn targets_of(json: &[u8]) -> Result<Vec<BakeTarget>, String> {
    let printed: Printed = serde_json::from_slice(json)
        .map_err(|e| format!("cannot read `buildx bake --print`'s answer: {e}"))?;
    Ok(printed
        .target
        .into_iter()
        .map(|(name, t)| {
            let context = PathBuf::from(t.context.unwrap_or_else(|| ".".into()));
            let file = t.dockerfile.unwrap_or_else(|| "Dockerfile".into());
            let dockerfile = if Path::new(&file).is_absolute() {
                PathBuf::from(file)
            } else {
                context.join(file)
            };
            let args = t
                .args
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect();
            BakeTarget {
                name,
                dockerfile,
                stage: t.target,
                args,
            }
        })
        .collect())
}

/// The image each target left in the daemon, from bake's `--metadata-file`: the image id is
/// `containerimage.config.digest` where it is given (an image loaded with `--load`), else
/// `containerimage.digest` (the docker driver's own exporter, where that is the image id).
pub fn images(metadata: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read(metadata) else {
        return BTreeMap::new();
    };
    let Ok(all) = serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(&text) else {
        return BTreeMap::new();
    };
    all.into_iter()
        .filter_map(|(target, v)| {
            let id = ["containerimage.config.digest", "containerimage.digest"]
                .iter()
                .find_map(|k| v.get(*k)?.as_str())?;
            Some((target, id.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_bake_prints() {
        let json = br#"{"group":{"default":{"targets":["api"]}},"target":{"api":{"context":"app","dockerfile":"Dockerfile.api","target":"api","args":{"A":"1","B":null}}}}"#;
        let t = &targets_of(json).unwrap()[0];
        assert_eq!(t.name, "api");
        assert_eq!(t.dockerfile, PathBuf::from("app/Dockerfile.api"));
        assert_eq!(t.stage.as_deref(), Some("api"));
        assert_eq!(
            t.args,
            [("A".into(), "1".into()), ("B".into(), String::new())]
        );
    }
}
