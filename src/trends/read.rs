//! Reading a pile of builds in parallel, in bounded memory: a few threads each read one build at
//! a time (its log tails not kept), analyse it, and hand back only its [`BuildFacts`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::BuildFacts;
use crate::analysis::Analysis;
use crate::dockerfile::Dockerfile;
use crate::model::LogRetention;
use crate::source::pile::Item;
use crate::source::saved::{self, Pick};

/// How far the reading is: builds read (or refused), of all.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub of: usize,
}

/// Reads every item on `threads` threads (at least one); returns the facts of the builds read
/// (in no particular order) and a line for each that could not be.
pub fn read(
    items: &[Item],
    dockerfile: Option<&Dockerfile>,
    threads: usize,
    tell: &mut dyn FnMut(Progress),
) -> (Vec<BuildFacts>, Vec<String>) {
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, items.len().max(1));
    // Bounded: a reader waits rather than pile facts up faster than they are taken.
    let (tx, rx) = mpsc::sync_channel::<Result<BuildFacts, String>>(threads * 2);
    let (mut facts, mut refused) = (Vec::new(), Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { return };
                if tx.send(one(i, item, dockerfile)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        for (done, r) in rx.into_iter().enumerate() {
            match r {
                Ok(f) => facts.push(f),
                Err(e) => refused.push(e),
            }
            tell(Progress {
                done: done + 1,
                of: items.len(),
            });
        }
    });
    (facts, refused)
}

/// One build read, analysed and summed up; its model is dropped here.
fn one(index: usize, item: &Item, dockerfile: Option<&Dockerfile>) -> Result<BuildFacts, String> {
    let name = item.name();
    let input = item.open()?;
    let quiet = Pick {
        reference: None,
        say: false,
    };
    let (name, input) = saved::open_reader(name, input, &quiet).map_err(|e| e.to_string())?;
    let nothing = LogRetention {
        bytes_per_vertex: 0,
    };
    let loaded = saved::load_from(name, input, nothing, dockerfile).map_err(|e| e.to_string())?;
    let a = Analysis::of(&loaded.build, dockerfile);
    Ok(BuildFacts::of(index, loaded.name, &loaded.build, &a))
}
