//! What the build is made of, from its vertexes' names and inputs (and the Dockerfile when given):
//! steps (one line of the chart each), the stages they belong to, and which stage needs which.
//! Both the analysis (what the build means) and the plain-log reader (which needs the build's
//! order to reconstruct its timeline) stand on this; it stands on the model alone.

mod intervals;
mod origins;
mod platforms;
mod stages;
mod steps;

pub use crate::model::Few;
pub use intervals::{intersect, measure, merge, Span, Spans};
pub use stages::{
    collect as stages, dependencies, dockerfile_name, Dependency, Evidence, Stage, StageGraph,
};
pub use steps::{short_name, Step, StepId};

/// The build's steps: its vertexes grouped (see `steps`), each given its Dockerfile in a bake of
/// several (`origins`) and its platform in a multi-platform build (`platforms`).
pub fn steps(
    build: &crate::model::Build,
    horizon: Option<crate::model::Nanos>,
    dockerfile: Option<&crate::dockerfile::Dockerfile>,
) -> Vec<Step> {
    let mut steps = steps::group(build, horizon, dockerfile);
    origins::attribute(&mut steps);
    platforms::attribute(&mut steps);
    steps
}
