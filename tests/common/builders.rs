//! The shared builders' locks. A test that empties a builder's cache (`repeat`, `--cold`, bake
//! `--repeat`) pulls it from under any build running on it at the time — a writer's layer cached
//! and its cache mount gone reads "modules missing" — and a test that asks for a builder's latest
//! build needs the builder to itself. So every test that builds on a real builder holds its lock
//! for its whole length: shared to build ([`Use::Build`]), exclusive to empty its cache or read
//! its latest build ([`Use::Own`]). The locks are `flock(2)`s on files under the system's
//! temporary directory, so they hold across test binaries and across checkouts of the repository
//! on one machine (threads of one binary too: each hold opens its own file).
//!
//! `default` stands for dockerd's own BuildKit: buildx's `default` builder (the docker driver),
//! `docker build` and the Engine API all build there, in one cache.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// What a test does with a builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Builds on it, and needs its cache left alone meanwhile.
    Build,
    /// Empties its cache, or needs the builder's latest build to be its own.
    Own,
}

/// The locks a test holds; released when dropped (closing the files).
#[must_use = "the locks are held only while this lives"]
pub struct Held(#[allow(dead_code)] Vec<File>);

/// Takes the lock of each builder, waiting for them as long as it takes (a test that empties a
/// cache runs a minute or more). Always in the same order (by name), so that two tests can never
/// each hold one and wait for the other's.
pub fn hold(builders: &[(&str, Use)]) -> Held {
    let mut wanted = builders.to_vec();
    wanted.sort_by_key(|&(name, _)| name);
    Held(wanted.into_iter().map(|(b, u)| lock(b, u)).collect())
}

fn lock(builder: &str, how: Use) -> File {
    let dir = std::env::temp_dir().join("buildx-gantt-test-locks");
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(format!("{builder}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let op = match how {
        Use::Build => libc::LOCK_SH,
        Use::Own => libc::LOCK_EX,
    };
    let fd = file.as_raw_fd();
    // SAFETY: flock(2) on a descriptor we own.
    if unsafe { libc::flock(fd, op | libc::LOCK_NB) } != 0 {
        eprintln!(
            "waiting for the lock of builder {builder} ({})",
            path.display()
        );
        // SAFETY: as above; blocking, retried when a signal interrupts it.
        while unsafe { libc::flock(fd, op) } != 0 {
            let e = std::io::Error::last_os_error();
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::Interrupted,
                "flock {}: {e}",
                path.display()
            );
        }
    }
    file
}
