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

/// How many events a replay may hold ahead of its clock before the reader is made to wait.
const REPLAY_QUEUE: usize = 16_384;

/// The replay clock: events queued at their due build time and released as the clock passes
/// them, at a speed (0 = at once), paused or not.
#[derive(Debug)]
pub struct Replay {
    speed: f64,
    paused: bool,
    /// The clock, in build time.
    position: Option<Nanos>,
    queue: std::collections::VecDeque<(Option<Nanos>, Event)>,
    pacing: Pacing,
    input_done: bool,
    /// Whether the input can be read again (not stdin).
    restartable: bool,
    last_tick: Option<std::time::Instant>,
}

impl Replay {
    pub fn new(speed: f64, restartable: bool) -> Replay {
        Replay {
            speed,
            paused: false,
            position: None,
            queue: Default::default(),
            pacing: Pacing::default(),
            input_done: false,
            restartable,
            last_tick: None,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    pub fn restartable(&self) -> bool {
        self.restartable
    }

    /// The clock's build time (none before the first timed event).
    pub fn position(&self) -> Option<Nanos> {
        self.position
    }

    /// Twice as fast (at most 1024×); returns the new speed.
    pub fn faster(&mut self) -> f64 {
        self.speed = (self.speed * 2.0).min(1024.0);
        self.speed
    }

    /// Half as fast (at least 1/64×; "at once" stays so); returns the new speed.
    pub fn slower(&mut self) -> f64 {
        if self.speed > 0.0 {
            self.speed = (self.speed / 2.0).max(1.0 / 64.0);
        }
        self.speed
    }

    /// Everything still queued or to come is released at once.
    pub fn hurry(&mut self) {
        self.speed = 0.0;
    }

    pub fn instant(&self) -> bool {
        self.speed == 0.0
    }

    /// The input has no more events.
    pub fn end_input(&mut self) {
        self.input_done = true;
    }

    pub fn finished(&self) -> bool {
        self.input_done && self.queue.is_empty()
    }

    /// Whether the reader may hand over more events now (the queue is bounded).
    pub fn wants_events(&self) -> bool {
        self.queue.len() < REPLAY_QUEUE || self.instant()
    }

    /// An event from the input: returned when it is due now, else queued for the clock.
    pub fn offer(&mut self, event: Event) -> Option<Event> {
        let due = self.pacing.due(&event);
        if self.instant() || (self.position.is_none() && due.is_none()) {
            return Some(event);
        }
        self.queue.push_back((due, event));
        None
    }

    /// Moves the clock to `now` (unless paused) and hands over every event it has reached.
    pub fn tick(&mut self, now: std::time::Instant, mut apply: impl FnMut(Event)) {
        let last = self.last_tick.replace(now);
        if let (false, Some(pos), Some(last)) = (self.paused, self.position, last) {
            let step = now.saturating_duration_since(last).as_nanos() as f64 * self.speed;
            self.position = Some(pos + step as Nanos);
        }
        if self.position.is_none() {
            self.position = self.queue.front().and_then(|(d, _)| *d);
        }
        while let Some((due, _)) = self.queue.front() {
            if due.is_some() && *due > self.position && !self.instant() {
                break;
            }
            if let Some((_, e)) = self.queue.pop_front() {
                apply(e);
            }
        }
    }

    /// Pauses and moves the clock to the next queued event's time.
    pub fn step(&mut self) {
        self.paused = true;
        let next = self
            .queue
            .iter()
            .filter_map(|(d, _)| *d)
            .find(|&d| Some(d) > self.position);
        if next.is_some() {
            self.position = next;
        } else if !self.queue.is_empty() {
            // Only timeless events left: release them.
            self.position = self.queue.back().and_then(|(d, _)| *d).or(self.position);
        }
    }

    /// From the start again, keeping the speed and whether it is paused.
    pub fn restart(&mut self) {
        *self = Replay {
            paused: self.paused,
            ..Replay::new(self.speed, self.restartable)
        };
    }
}
