//! What the build did: vertexes keyed by digest, their intervals, state, statuses and logs.
//! [`Build::apply`] is the only way in.

mod build;
mod digests;
mod event;
mod few;
mod interval;
mod log;
mod progress;
mod proof;
mod step;
mod text;
mod time;
mod work;

pub use build::{
    excerpt, is_cancellation, Build, Diagnostic, DiagnosticKind, State, StatusEntry, Vertex,
    VertexId,
};
pub use digests::{Digest, DigestId};
pub use event::{
    Event, EventKind, ExecTimes, ExecUpdate, LogChunk, ProgressGroup, RecordInfo, StatusUpdate,
    TextLine, VertexUpdate, Warning,
};
pub use few::Few;
pub use interval::Interval;
pub use log::{LogLine, LogRetention, VertexLog};
pub use progress::{parse_size, progress, Progress, Transfer};
pub use proof::{IntervalPoints, PointId, Proofs};
pub use step::{split_target, StepKind, StepName};
pub use text::{bounded, clean, cut, strip_ansi, visible};
pub use time::{format_rfc3339, parse_rfc3339, secs, tenths, Estimate, Nanos, Secs};
pub use work::{after_solve, AfterSolve, WorkKind};
