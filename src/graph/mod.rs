//! What the build is made of, from its vertexes' names and inputs (and the Dockerfile when given):
//! steps (one line of the chart each), the stages they belong to, and which stage needs which.
//! Both the analysis (what the build means) and the plain-log reader (which needs the build's
//! order to reconstruct its timeline) stand on this; it stands on the model alone.

mod intervals;
mod origins;
mod platforms;
mod stages;
mod steps;

pub use intervals::{intersect, measure, merge, Span};
pub use stages::{
    collect as stages, dependencies, dockerfile_name, Dependency, Evidence, Stage, StageGraph,
};
pub use steps::{group as steps, Step, StepId};
