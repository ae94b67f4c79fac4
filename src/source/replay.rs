//! Replaying a saved log with its original timing: each event is due at the latest build time the
//! stream has reported so far (a record is written when its newest timestamp happened), so the
//! replay clock can release events as it passes them.

use crate::model::{Event, EventKind, Nanos};

/// The newest instant an event itself reports.
pub fn event_time(e: &Event) -> Option<Nanos> {
    match &e.kind {
        // A reconstructed update is due when its newest run began or ended.
        EventKind::Vertex(v) => match &v.estimated {
            Some(runs) => runs
                .iter()
                .map(|i| i.end.map_or(i.start.best, |e| e.best))
                .max(),
            None => v.started.max(v.completed),
        },
        EventKind::Status(s) => s.timestamp.max(s.started).max(s.completed),
        EventKind::Log(l) => l.timestamp,
        _ => None,
    }
}

/// Assigns due times: the running maximum of event times (an announcement with no time of its own
/// is due with whatever came before it).
#[derive(Debug, Default, Clone)]
pub struct Pacing {
    latest: Option<Nanos>,
}

impl Pacing {
    pub fn due(&mut self, e: &Event) -> Option<Nanos> {
        if let Some(t) = event_time(e) {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        self.latest
    }
}
