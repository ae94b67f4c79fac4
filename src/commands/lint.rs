//! `lint`: predict each build (a Dockerfile, or a bake's targets), analyse it as a real build is
//! analysed, and say both cache hazards with their lines and fix. Exit 0 with no finding, 1 with
//! findings, 2 when a file cannot be read.

use std::io::{IsTerminal, Read};
use std::path::Path;

use color_eyre::eyre::{eyre, Result};

use super::Outcome;
use crate::analysis::Analysis;
use crate::cli::{LintArgs, LintFormat};
use crate::exit::Exit;
use crate::lint::{findings, json, text, Linted};
use crate::source::bakefile;
use crate::source::predict::{predict, Target};

pub fn run(args: LintArgs) -> Outcome {
    let builds = match &args.bake {
        Some(file) => vec![(file.clone(), bake_targets(file, &args)?, true)],
        None => dockerfiles(&args)?,
    };
    let mut all: Vec<Linted> = Vec::new();
    for (source, targets, bake) in builds {
        let p = predict(&targets, bake).map_err(|e| eyre!(e))?;
        let a = Analysis::of(&p.build, p.dockerfile.as_ref());
        all.push(findings(&source, &p, &a));
    }
    let out = match args.format {
        LintFormat::Json => json(&all) + "\n",
        LintFormat::Text => {
            let tty = std::io::stdout().is_terminal();
            text(
                &all,
                args.width.unwrap_or_else(|| super::terminal_width(tty)),
            )
        }
    };
    print!("{out}");
    let found = all.iter().any(|l| !l.findings.is_empty());
    Ok(if found { Exit::FINDINGS } else { Exit::OK })
}

/// Each Dockerfile named (default ./Dockerfile) as a build of its own.
fn dockerfiles(args: &LintArgs) -> Result<Vec<(String, Vec<Target>, bool)>> {
    let names = if args.dockerfiles.is_empty() {
        vec!["Dockerfile".to_string()]
    } else {
        args.dockerfiles.clone()
    };
    names
        .into_iter()
        .map(|name| {
            let text = read(&name)?;
            let context = Path::new(&name)
                .parent()
                .map_or(".".into(), |p| p.display().to_string());
            let target = Target {
                name: None,
                file: if name == "-" {
                    "<stdin>".into()
                } else {
                    name.clone()
                },
                text,
                context,
                args: args.build_args.clone(),
                stage: args.target.clone(),
                platforms: args.platform.clone(),
                contexts: Vec::new(),
                context_only: false,
            };
            Ok((target.file.clone(), vec![target], false))
        })
        .collect()
}

/// A Dockerfile's text (`-`: standard input). Not valid UTF-8 is read as it would be shown.
fn read(name: &str) -> Result<String> {
    let mut bytes = Vec::new();
    let got = if name == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(name).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    got.map_err(|e| eyre!("cannot read {name}: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The targets of a bake or compose file, with the command line's build args and platforms.
fn bake_targets(file: &str, args: &LintArgs) -> Result<Vec<Target>> {
    let path = Path::new(file);
    let b = bakefile::read(path).map_err(|e| eyre!(e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut targets = b
        .targets(&args.bake_targets, base)
        .map_err(|e| eyre!("{file}: {e}"))?;
    for t in &mut targets {
        for (k, v) in &args.build_args {
            t.args.retain(|(tk, _)| tk != k);
            t.args.push((k.clone(), v.clone()));
        }
        if !args.platform.is_empty() {
            t.platforms = args.platform.clone();
        }
    }
    Ok(targets)
}
