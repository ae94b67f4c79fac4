//! The one event type every source produces (rawjson, plain, a child process, the Engine API),
//! stamped with when it arrived.

use super::time::Nanos;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Wall-clock time the bytes arrived (for live sources); readers of saved files stamp read time.
    pub arrived: Nanos,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Vertex(VertexUpdate),
    Status(StatusUpdate),
    Log(LogChunk),
    Warning(Warning),
    /// When an exec step's container was made, from a build record's trace (a `.dockerbuild`).
    Exec(ExecUpdate),
    /// What a build record says of its build besides progress.
    Record(Box<RecordInfo>),
    /// What a reconstructed timeline proves (plain logs); replaces any earlier one.
    Proofs(std::sync::Arc<super::proof::Proofs>),
    /// A line of the stream that is not progress data (buildx's `WARNING:`/`ERROR:` text, the
    /// failure's source snippet, anything else).
    Text(TextLine),
    /// Something the reader could not understand; shown to the user, never fatal.
    Unreadable {
        line: u64,
        message: String,
        excerpt: String,
    },
    /// A pasted log ends with its paster's elision (`...`, `<skipped>`) at `line`: what came
    /// after was left out.
    Cut {
        line: u64,
        marker: String,
    },
    /// The stream ended. `complete` is false when its last line was cut off.
    End {
        complete: bool,
    },
}

/// A vertex as BuildKit re-sends it whole on every change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VertexUpdate {
    pub digest: String,
    pub name: Option<String>,
    pub inputs: Vec<String>,
    pub started: Option<Nanos>,
    pub completed: Option<Nanos>,
    pub cached: bool,
    pub error: Option<String>,
    pub progress_group: Option<ProgressGroup>,
    /// Reconstructed runs (plain logs) that replace the vertex's intervals; `started` and
    /// `completed` are then ignored.
    pub estimated: Option<Vec<super::interval::Interval>>,
    /// A `started` or `completed` that cannot be right (year 1970, 9999, not a time), as sent; it
    /// was left out.
    pub bad_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProgressGroup {
    pub id: String,
    pub name: String,
    pub weak: bool,
}

/// What the trace of a build record says of one exec vertex: the `ExecOp started`, `Container
/// created` and `Container exited` events of its span. Between the first two it waited for its
/// mounts (a `sharing=locked` cache another step held, among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecTimes {
    pub started: Nanos,
    pub created: Nanos,
    pub exited: Option<Nanos>,
}

/// What a build record (`.dockerbuild`) says of its build: which one it is and how it was asked
/// for (its frontend attributes: `--target`, `-f`, `--build-arg`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RecordInfo {
    #[serde(rename = "ref")]
    pub reference: String,
    /// What buildx calls it: the target, else the context directory's name.
    pub name: Option<String>,
    pub target: Option<String>,
    /// The Dockerfile's name, as given with `-f`.
    pub dockerfile: Option<String>,
    /// `--build-arg NAME=VALUE`.
    pub build_args: std::collections::BTreeMap<String, String>,
}

/// [`ExecTimes`] for the vertex with this digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUpdate {
    pub vertex: String,
    pub times: ExecTimes,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusUpdate {
    pub id: String,
    pub vertex: Option<String>,
    pub name: Option<String>,
    pub current: i64,
    pub total: Option<i64>,
    pub timestamp: Option<Nanos>,
    pub started: Option<Nanos>,
    pub completed: Option<Nanos>,
    /// It finished where no `completed` time says so (a plain log's `… done`).
    pub done: bool,
    /// How long it took as a log printed it (a plain log's `3.7s`).
    pub elapsed: Option<Nanos>,
}

/// A piece of a step's output. Not line-aligned: the model joins chunks per vertex and stream.
#[derive(Debug, Clone, PartialEq)]
pub struct LogChunk {
    pub vertex: String,
    /// 1 = stdout, 2 = stderr.
    pub stream: u8,
    pub data: Vec<u8>,
    pub timestamp: Option<Nanos>,
}

/// A Dockerfile lint warning (BuildKit ≥ 0.14), base64 fields already decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub vertex: Option<String>,
    pub level: i64,
    pub short: String,
    pub detail: Vec<String>,
    pub url: Option<String>,
    pub file: Option<String>,
    /// 1-based Dockerfile line the warning points at.
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    /// 1-based line number in the stream.
    pub line: u64,
    pub text: String,
}
