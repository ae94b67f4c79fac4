//! What is drawn, decided once for every view: the rows in order with their labels, markers,
//! states and time segments ([`rows`]), the time axis and its ticks ([`Axis`]), and every word the
//! views say ([`words`]). The screen, the text report, the SVG and the HTML render this and
//! decide nothing of their own; a new kind of row or segment is added here, once.

mod axis;
pub mod repeat;
mod rows;
pub mod words;

/// The label a step goes by (`[builder 2/3]`), in every view.
pub use crate::graph::short_name;
pub use axis::{Axis, Cells, Mark, Tick};
pub use rows::{
    each_row, row_count, rows, Choices, Ghost, Marker, Paint, Row, RowKey, RowKind, Segment,
};
