//! buildx-gantt: reads BuildKit progress (rawjson today), folds it into a model of the build, finds
//! the stages that run alongside their `COPY --from` source and the cache mounts nothing orders, and
//! renders the result.
//!
//! Data flows one way: [`source`] → [`model`] → [`graph`] → [`analysis`] → [`chart`] → the
//! views:
//! [`ui`] (the live screen) and [`export`] (text, SVG, HTML; JSON reads the analysis).

pub mod analysis;
pub mod chart;
pub mod cli;
pub mod commands;
pub mod compare;
pub(crate) mod demo;
pub mod diff;
pub mod dockerfile;
pub(crate) mod doctor;
pub mod exit;
pub mod export;
pub(crate) mod graph;
pub(crate) mod instruction;
pub(crate) mod layers;
pub mod model;
pub mod plugin;
pub(crate) mod repeat;
pub mod report;
pub mod source;
pub mod ui;
