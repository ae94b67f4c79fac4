//! Where many builds come from at once (`trends`): files, folders of them (as `gh run download`
//! leaves a run's artifacts: a folder each), zips of CI artifacts, and a builder's history
//! (`docker buildx history`). Each build is an [`Item`] that any thread can open on its own.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{history, zip};

/// Folders are walked this deep (a run's download: `DIR/ARTIFACT/FILE`, and a level to spare).
const MAX_DEPTH: usize = 4;
/// Builds in one pile at most: past that the rest are counted, not read.
pub const MAX_ITEMS: usize = 100_000;

/// One build to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A log or a build record (a `.dockerbuild`, or a zip around one) on disk.
    File(PathBuf),
    /// An entry of a zip of several builds.
    Zipped {
        zip: PathBuf,
        entry: zip::archive::Entry,
    },
}

impl Item {
    /// Its name as the reports show it (`artifacts.zip:logs/run-001.jsonl`).
    pub fn name(&self) -> String {
        match self {
            Item::File(p) => p.display().to_string(),
            Item::Zipped { zip, entry } => format!("{}:{}", zip.display(), entry.name),
        }
    }

    /// Its bytes (the file, or the entry unpacked as it is read).
    pub fn open(&self) -> Result<Box<dyn Read + Send>, String> {
        match self {
            Item::File(p) => File::open(p)
                .map(|f| Box::new(f) as Box<dyn Read + Send>)
                .map_err(|e| format!("{}: cannot read: {e}", p.display())),
            Item::Zipped { zip, entry } => {
                let f =
                    File::open(zip).map_err(|e| format!("{}: cannot read: {e}", zip.display()))?;
                zip::archive::open(f, entry).map_err(|e| format!("{}: {e}", zip.display()))
            }
        }
    }
}

/// What the sources hold: the builds, and what was left out (a line each, for the user).
#[derive(Debug, Default)]
pub struct Pile {
    pub items: Vec<Item>,
    pub skipped: Vec<String>,
}

impl Pile {
    fn push(&mut self, item: Item) {
        if self.items.len() < MAX_ITEMS {
            self.items.push(item);
        } else if self.skipped.len() < 100 {
            self.skipped.push(format!(
                "{}: over {MAX_ITEMS} builds: not read",
                item.name()
            ));
        }
    }
}

/// A name that is a build's: a record, a log, a zip (of a record, or of many).
fn is_build_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".dockerbuild", ".jsonl", ".json", ".log", ".zip"]
        .iter()
        .any(|e| n.ends_with(e))
}

/// The builds in `sources` (files, folders, zips), in the order given and, within a folder or
/// zip, by name. A log beside a record of the same name (`build.jsonl` and the
/// `build.dockerbuild` a live build keeps) is one build: the record is read.
pub fn gather(sources: &[String]) -> Result<Pile, String> {
    let mut pile = Pile::default();
    for s in sources {
        let p = Path::new(s);
        if p.is_dir() {
            walk(p, 0, &mut pile);
        } else if p.is_file() {
            add_file(p, &mut pile, true)?;
        } else {
            return Err(format!("{s}: no such file or folder"));
        }
    }
    Ok(pile)
}

fn walk(dir: &Path, depth: usize, pile: &mut Pile) {
    let Ok(read) = std::fs::read_dir(dir) else {
        pile.skipped
            .push(format!("{}: cannot read the folder", dir.display()));
        return;
    };
    let mut paths: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
    paths.sort();
    let records: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "dockerbuild"))
        .map(|p| p.with_extension(""))
        .collect();
    for p in paths {
        if p.is_dir() && depth < MAX_DEPTH {
            walk(&p, depth + 1, pile);
        } else if p.is_file() && is_build_name(&p.to_string_lossy()) {
            let is_log = !p
                .extension()
                .is_some_and(|e| e == "dockerbuild" || e == "zip");
            if is_log && records.contains(&p.with_extension("")) {
                continue;
            }
            if let Err(e) = add_file(&p, pile, false) {
                pile.skipped.push(e);
            }
        }
    }
}

/// A file: a zip of several builds is opened into its entries; anything else is one build.
fn add_file(p: &Path, pile: &mut Pile, given: bool) -> Result<(), String> {
    let mut f = File::open(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
    let mut head = [0u8; 4];
    let n = f.read(&mut head).unwrap_or(0);
    if !zip::is_zip(&head[..n]) {
        pile.push(Item::File(p.to_path_buf()));
        return Ok(());
    }
    let entries = zip::archive::entries(&mut f).map_err(|e| format!("{}: {e}", p.display()))?;
    let records: Vec<String> = entries
        .iter()
        .filter_map(|e| e.name.strip_suffix(".dockerbuild").map(str::to_string))
        .collect();
    let beside_a_record = |n: &str| {
        !n.ends_with(".dockerbuild")
            && n.rsplit_once('.')
                .is_some_and(|(stem, _)| records.iter().any(|r| r == stem))
    };
    let builds: Vec<_> = entries
        .into_iter()
        .filter(|e| is_build_name(&e.name) && !e.name.ends_with(".zip"))
        .filter(|e| !beside_a_record(&e.name))
        .collect();
    if builds.is_empty() && given {
        return Err(format!(
            "{}: no build in the zip (records .dockerbuild, logs .jsonl/.log)",
            p.display()
        ));
    }
    for entry in builds {
        pile.push(Item::Zipped {
            zip: p.to_path_buf(),
            entry,
        });
    }
    Ok(())
}

/// A builder's records (latest first), exported one file each into `dir`; returns the builds,
/// oldest first. `limit`: the latest N only.
pub fn from_builder(
    docker: &str,
    builder: &str,
    dir: &Path,
    limit: Option<usize>,
    pile: &mut Pile,
) -> Result<(), String> {
    let mut entries = history::list(docker, Some(builder))?;
    if let Some(n) = limit {
        entries.truncate(n);
    }
    if entries.is_empty() {
        return Err(format!("builder {builder} keeps no build records yet"));
    }
    for e in entries.iter().rev() {
        // The id is buildx's (letters and digits); the file name stays plain whatever it says.
        let id: String = e.id().chars().filter(char::is_ascii_alphanumeric).collect();
        let out = dir.join(format!("{id}.dockerbuild"));
        match history::export(docker, &[&e.reference], &out) {
            Ok(()) => pile.push(Item::File(out)),
            Err(why) => pile.skipped.push(format!("{}: {why}", e.id())),
        }
    }
    Ok(())
}
