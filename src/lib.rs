//! buildx-gantt: reads BuildKit progress (rawjson today), folds it into a model of the build, finds
//! the stages that run alongside their `COPY --from` source and the cache mounts nothing orders, and
//! renders the result.
//!
//! Data flows one way: a [`source`] reads bytes into [`model`] events folded into a `Build`;
//! [`graph`] finds its steps and stages, [`analysis`] what it means, [`chart`] what is drawn; the
//! views draw it: [`ui`] (the live screen) and [`export`] (text, SVG, HTML; JSON reads the
//! analysis); [`commands`] put them together. docs/ARCHITECTURE.md maps the layers and which may
//! use which (checked by `layering`).

pub mod analysis;
pub mod chart;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod dockerfile;
pub mod exit;
pub mod export;
pub(crate) mod graph;
pub(crate) mod instruction;
#[cfg(test)]
mod layering;
pub mod lint;
pub mod model;
pub mod plugin;
pub mod source;
pub mod trends;
pub mod ui;
/// A huge build keeps one step, one vertex and one parsed name per line of its log: their size
/// is most of the report's memory (see docs/BENCHMARKS.md), so it may only shrink.
#[cfg(test)]
mod footprint {
    use std::mem::size_of;

    #[test]
    fn what_a_huge_build_keeps_per_step_stays_small() {
        assert!(size_of::<crate::graph::Step>() <= 136);
        assert!(size_of::<crate::model::Vertex>() <= 72);
        assert!(size_of::<crate::model::StepName>() <= 64);
    }
}
