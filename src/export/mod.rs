//! Views that are not the TUI: a text report for terminals and CI logs, a JSON report for tools,
//! an SVG chart for slides and pages, and an HTML report for CI artifacts. The text, SVG and HTML
//! render the [`crate::chart`] model; JSON is the analysis itself.

pub mod accuracy;
pub mod diff_html;
pub mod diff_json;
pub mod diff_text;
pub mod html;
pub mod json;
pub mod markdown;
pub mod otlp;
pub mod otlp_http;
pub mod svg;
pub mod text;
pub mod trace;
pub mod trends;
