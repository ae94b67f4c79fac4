//! What a step moved, read from its statuses: the layers a pull downloaded and extracted, what a
//! push sent to the registry, what `--load` sent to docker, what a cache export wrote, the build
//! context sent to BuildKit. rawjson's statuses carry `current`/`total` bytes, a plain log prints
//! them (`#6 sha256:f951… 2.10MB / 24.00MB 0.5s`) and a build record's are rawjson's, so every
//! source gives the same answer.

use super::build::StatusEntry;
use super::time::Nanos;

/// What a status moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transfer {
    /// Layers fetched from a registry: a pull's `sha256:…` statuses.
    Download,
    /// Layers unpacked once fetched: `extracting sha256:…`.
    Extract,
    /// Sent to a registry: `pushing layers`, `pushing manifest for …`, the docker driver's
    /// `pushing layer …`.
    Upload,
    /// Sent to the docker daemon (`--load`): `sending tarball`, `loading layer …`.
    Load,
    /// Written to a cache export: `writing layer sha256:…`, `writing config …`, `writing cache
    /// image manifest …`.
    CacheWrite,
    /// The build context or Dockerfile sent to BuildKit: `transferring context:`.
    Context,
}

impl Transfer {
    /// What a status so named moves, if anything.
    pub fn of(id: &str) -> Option<Transfer> {
        let layer = |rest: &str| {
            rest.strip_prefix("sha256:")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        Some(if layer(id) {
            Transfer::Download
        } else if id.strip_prefix("extracting ").is_some_and(layer) {
            Transfer::Extract
        } else if id.starts_with("pushing ") {
            Transfer::Upload
        } else if id.starts_with("loading layer ") || id == "sending tarball" {
            Transfer::Load
        } else if ["writing layer ", "writing config ", "writing cache "]
            .iter()
            .any(|p| id.starts_with(p))
        {
            Transfer::CacheWrite
        } else if id.starts_with("transferring ") {
            Transfer::Context
        } else {
            return None;
        })
    }

    /// Its key in JSON.
    pub fn key(self) -> &'static str {
        match self {
            Transfer::Download => "download",
            Transfer::Extract => "extract",
            Transfer::Upload => "upload",
            Transfer::Load => "load",
            Transfer::CacheWrite => "cache_write",
            Transfer::Context => "context",
        }
    }
}

/// What one step moved of one kind, summed over its statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub transfer: Transfer,
    /// Statuses of this kind (layers, for a pull).
    pub items: u32,
    /// Of them, finished.
    pub done: u32,
    /// Bytes moved so far.
    pub current: i64,
    /// Bytes in all, when every item that counts bytes says its total.
    pub total: Option<i64>,
    /// The first item's start and, once every item is done, the last one's end (rawjson).
    pub started: Option<Nanos>,
    pub completed: Option<Nanos>,
    /// The longest time a log printed for an item (a plain log: `3.7s done`).
    pub elapsed: Option<Nanos>,
    /// The items' own times added up (extracting layers one after another).
    pub summed: Nanos,
}

impl Progress {
    fn new(transfer: Transfer) -> Self {
        Progress {
            transfer,
            items: 0,
            done: 0,
            current: 0,
            total: Some(0),
            started: None,
            completed: None,
            elapsed: None,
            summed: 0,
        }
    }

    /// Every item finished.
    pub fn finished(&self) -> bool {
        self.done == self.items
    }

    /// How far, 0–1, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total.filter(|t| *t > 0)?;
        Some((self.current as f64 / total as f64).clamp(0.0, 1.0))
    }

    /// How long it took: from the first item's start to the last one's end by the clock, else
    /// the longest printed time. Layers are extracted one at a time, each once it is in: their
    /// times added up.
    pub fn seconds(&self) -> Option<Nanos> {
        if self.transfer == Transfer::Extract && self.summed > 0 {
            return Some(self.summed);
        }
        match (self.started, self.completed) {
            (Some(a), Some(b)) if b >= a => Some(b - a),
            _ => self.elapsed,
        }
    }

    /// Whether it moved bytes that were counted.
    pub fn has_bytes(&self) -> bool {
        self.current > 0 || self.total.is_some_and(|t| t > 0)
    }
}

/// What the statuses moved, one entry per kind, in [`Transfer`]'s order.
pub fn progress<'a>(statuses: impl IntoIterator<Item = &'a StatusEntry>) -> Vec<Progress> {
    let mut out: Vec<Progress> = Vec::new();
    for s in statuses {
        let Some(kind) = Transfer::of(&s.id) else {
            continue;
        };
        let p = match out.iter().position(|p| p.transfer == kind) {
            Some(i) => &mut out[i],
            None => {
                out.push(Progress::new(kind));
                out.last_mut().expect("just pushed")
            }
        };
        p.items += 1;
        p.done += u32::from(s.done);
        p.current += s.current.max(0);
        // A count of bytes without a total leaves the whole unknown; one with neither is an item
        // that moves no counted bytes (a manifest, an extraction).
        p.total = match (p.total, s.total) {
            (Some(t), Some(x)) => Some(t + x.max(0)),
            (Some(t), None) if s.current == 0 => Some(t),
            _ => None,
        };
        p.started = match (p.started, s.started) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        p.completed = p.completed.max(s.completed);
        p.elapsed = p.elapsed.max(s.elapsed);
        p.summed += match (s.started, s.completed) {
            (Some(a), Some(b)) if b >= a => b - a,
            _ => s.elapsed.unwrap_or(0),
        };
    }
    for p in &mut out {
        if !p.finished() {
            p.completed = None;
        }
        if p.total == Some(0) && p.current == 0 {
            p.total = None;
        }
    }
    out.sort_by_key(|p| p.transfer);
    out
}

/// A plain log's size, as BuildKit's printer writes it (`units.Bytes`: decimal, `182B`, `1.02kB`,
/// `24.00MB`), in bytes.
pub fn parse_size(s: &str) -> Option<i64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let scale = match unit {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "PB" => 1e15,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then(|| (n * scale).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(id: &str, current: i64, total: Option<i64>, done: bool) -> StatusEntry {
        StatusEntry {
            id: id.into(),
            name: None,
            current,
            total,
            started: Some(1_000),
            completed: done.then_some(3_000),
            done,
            elapsed: None,
        }
    }

    #[test]
    fn statuses_are_told_apart_by_what_they_move() {
        let layer = "sha256:f951c652110d911d4404349dbc70b093c2c677e1a95817a1ac52666bc31beffd";
        assert_eq!(Transfer::of(layer), Some(Transfer::Download));
        assert_eq!(
            Transfer::of(&format!("extracting {layer}")),
            Some(Transfer::Extract)
        );
        for up in [
            "pushing layers",
            "pushing manifest for 127.0.0.1:5001/gantt/app:1@sha256:dd9a",
            "pushing layer 1c3f2673b680",
        ] {
            assert_eq!(Transfer::of(up), Some(Transfer::Upload), "{up}");
        }
        assert_eq!(Transfer::of("sending tarball"), Some(Transfer::Load));
        assert_eq!(
            Transfer::of("loading layer d7342710d2ad"),
            Some(Transfer::Load)
        );
        assert_eq!(
            Transfer::of(&format!("writing layer {layer}")),
            Some(Transfer::CacheWrite)
        );
        assert_eq!(
            Transfer::of("transferring context:"),
            Some(Transfer::Context)
        );
        for none in [
            "resolve 127.0.0.1:5001/gantt/base:1@sha256:1e09",
            "exporting layers",
            "writing image sha256:1395",
            "naming to 127.0.0.1:5001/gantt/app:dd",
            "preparing build cache for export",
            "sha256:short",
        ] {
            assert_eq!(Transfer::of(none), None, "{none}");
        }
    }

    #[test]
    fn a_pull_sums_its_layers() {
        let a = "sha256:".to_string() + &"a".repeat(64);
        let b = "sha256:".to_string() + &"b".repeat(64);
        let ss = [
            status(&a, 1_080_350, Some(1_080_350), true),
            status(&b, 2_097_152, Some(24_002_774), false),
            status(&format!("extracting {a}"), 0, None, true),
        ];
        let p = progress(&ss);
        assert_eq!(p.len(), 2);
        let d = p[0];
        assert_eq!(d.transfer, Transfer::Download);
        assert_eq!((d.items, d.done), (2, 1));
        assert_eq!(d.current, 3_177_502);
        assert_eq!(d.total, Some(25_083_124));
        assert!(d.fraction().unwrap() < 0.13);
        assert_eq!(d.completed, None, "not every layer is in");
        let x = p[1];
        assert_eq!(x.transfer, Transfer::Extract);
        assert!(x.finished() && !x.has_bytes());
        assert_eq!(x.seconds(), Some(2_000));
        assert_eq!(d.seconds(), None, "still coming in");
    }

    #[test]
    fn a_count_without_a_total_leaves_the_total_unknown() {
        let p = progress(&[status("transferring context:", 1_983_798, None, true)]);
        assert_eq!(p[0].total, None);
        assert_eq!(p[0].current, 1_983_798);
    }

    #[test]
    fn sizes_as_the_printer_writes_them() {
        assert_eq!(parse_size("182B"), Some(182));
        assert_eq!(parse_size("1.02kB"), Some(1_020));
        assert_eq!(parse_size("24.00MB"), Some(24_000_000));
        assert_eq!(parse_size("261.27MB"), Some(261_270_000));
        assert_eq!(parse_size("1.5GB"), Some(1_500_000_000));
        for bad in ["", "MB", "12", "1.2XB", "-3MB", "NaNMB"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }
}
