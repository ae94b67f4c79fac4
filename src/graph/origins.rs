//! Bake targets built from different Dockerfiles: two may each have a stage `builder`, and the
//! names BuildKit sends (`[api builder 1/3]`, `[worker builder 1/3]`, the target taken off) would
//! make them one. Each target loads its Dockerfile in a step of its own, `[api internal] load build
//! definition from Dockerfile.api`; targets that loaded different ones have their stages told
//! apart by it (`builder · Dockerfile.api`). Targets sharing a Dockerfile share its stages.

use super::steps::Step;
use crate::model::StepKind;

/// Sets each Dockerfile step's origin, and its stage to that origin's, when the build's targets
/// loaded more than one Dockerfile.
pub fn attribute(steps: &mut [Step]) {
    // (the Dockerfile, the targets that loaded it)
    let defs: Vec<(String, Vec<String>)> = steps
        .iter()
        .filter(|s| matches!(s.parsed.kind, StepKind::Internal) && !s.targets().is_empty())
        .filter_map(|s| {
            let file = s
                .parsed
                .text()
                .strip_prefix("load build definition from ")?;
            Some((file.trim().to_string(), s.targets().to_vec()))
        })
        .collect();
    // Targets loading files of the same name load the same Dockerfile (older BuildKit sends one
    // definition step per target even then); stages of same-named Dockerfiles in different
    // contexts are not told apart.
    let mut files: Vec<&str> = defs.iter().map(|d| d.0.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    if files.len() < 2 {
        return;
    }
    let labels: Vec<String> = defs.iter().map(|d| d.0.clone()).collect();
    for s in steps.iter_mut().filter(|s| s.parsed.is_dockerfile_step()) {
        let def = s
            .targets()
            .iter()
            .find_map(|t| defs.iter().position(|d| d.1.contains(t)));
        let (Some(d), Some(stage)) = (def, &mut s.stage) else {
            continue;
        };
        *stage = format!("{stage} · {}", labels[d]).into();
        s.rare_mut().origin = Some(labels[d].as_str().into());
    }
}
