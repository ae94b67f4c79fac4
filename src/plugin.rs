//! The Docker CLI plugin: the same binary, installed as `docker-gantt` in a `cli-plugins`
//! directory, answers the CLI's `docker-cli-plugin-metadata` question and runs as
//! `docker gantt …` (the CLI calls it as `docker-gantt gantt …`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The plugin's name: `docker gantt`.
pub const NAME: &str = "gantt";

/// How the binary was started.
pub enum Invoked {
    /// As `buildx-gantt` (or any name that is not the plugin's).
    Direct,
    /// The docker CLI asks what the plugin is.
    Metadata,
    /// As `docker gantt ARGS`: the arguments to parse, named `docker gantt`.
    AsPlugin(Vec<OsString>),
}

pub fn invoked() -> Invoked {
    classify(std::env::args_os().collect())
}

fn classify(args: Vec<OsString>) -> Invoked {
    let as_plugin = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == format!("docker-{NAME}").as_str());
    if !as_plugin {
        return Invoked::Direct;
    }
    match args.get(1).and_then(|a| a.to_str()) {
        Some("docker-cli-plugin-metadata") => Invoked::Metadata,
        Some(NAME) => {
            let rest = args.into_iter().skip(2);
            Invoked::AsPlugin(
                std::iter::once(OsString::from("docker gantt"))
                    .chain(rest)
                    .collect(),
            )
        }
        // Run by hand as docker-gantt: as if it were buildx-gantt.
        _ => Invoked::AsPlugin(args),
    }
}

/// What the docker CLI lists (`docker --help`, `docker info`).
pub fn metadata() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "buildx-gantt",
        "Version": env!("CARGO_PKG_VERSION"),
        "ShortDescription": "Show a build as a live Gantt chart; find the stages that race",
    })
    .to_string()
}

/// Where the docker CLI looks for the user's plugins: `$DOCKER_CONFIG/cli-plugins`, else
/// `~/.docker/cli-plugins`.
pub fn user_dir() -> Option<PathBuf> {
    let set = |v: OsString| (!v.is_empty()).then_some(v);
    if let Some(c) = std::env::var_os("DOCKER_CONFIG").and_then(set) {
        return Some(PathBuf::from(c).join("cli-plugins"));
    }
    let home = std::env::var_os("HOME").and_then(set)?;
    Some(PathBuf::from(home).join(".docker/cli-plugins"))
}

/// Links `dir/docker-gantt` to this binary (replacing an older link); returns the link's path.
pub fn install(dir: &Path) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let link = dir.join(format!("docker-{NAME}"));
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link)
            .map_err(|e| format!("cannot replace {}: {e}", link.display()))?,
        Ok(_) => {
            return Err(format!(
                "{} exists and is not a link: remove it first",
                link.display()
            ))
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&exe, &link)
        .map_err(|e| format!("cannot link {}: {e}", link.display()))?;
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_docker_cli_calls_are_told_apart() {
        assert!(matches!(
            classify(args(&["buildx-gantt", "gantt"])),
            Invoked::Direct
        ));
        assert!(matches!(
            classify(args(&["/x/docker-gantt", "docker-cli-plugin-metadata"])),
            Invoked::Metadata
        ));
        let Invoked::AsPlugin(a) = classify(args(&["/x/docker-gantt", "gantt", "report", "f"]))
        else {
            panic!()
        };
        assert_eq!(a, args(&["docker gantt", "report", "f"]));
        let v: serde_json::Value = serde_json::from_str(&metadata()).unwrap();
        assert_eq!(v["SchemaVersion"], "0.1.0");
    }
}
