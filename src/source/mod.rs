//! Where bytes come from, turned into [`crate::model::Event`]s. One module per origin; none of them
//! knows anything about drawing.

pub mod child;
pub mod feed;
pub mod lines;
pub mod rawjson;
pub mod replay;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::Nanos;

/// The wall clock now, as the model's time unit.
pub fn now() -> Nanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as Nanos)
        .unwrap_or(0)
}
