//! Build records made to cost far more than they weigh (a `.dockerbuild` is something people
//! download from CI): each is read as the one record it holds, in at most 256 MiB, whatever its
//! index claims and whatever it carries that nothing refers to. The bombs are made here, small
//! (tests/common/bombs.rs), from the race's real record.

mod common;

use std::process::Output;

use common::bombs::shapes;
use common::{bin, fixture, stderr, stdout, tmp_dir};

/// What a hostile record may cost.
const MAX_RSS: u64 = 256 << 20;

/// `buildx-gantt ARGS FILE` on the bomb, and its peak resident memory. The run is fenced (2 GiB
/// of address space, two minutes) so that a bomb that goes off cannot take the machine with it.
fn measured(bomb: &[u8], name: &str, args: &[&str]) -> (Output, u64) {
    use std::os::unix::process::CommandExt;
    let path = tmp_dir(name).join("bomb.dockerbuild");
    std::fs::write(&path, bomb).unwrap();
    let mut cmd = bin();
    cmd.args(args)
        .arg(&path)
        .env("BUILDX_GANTT_STATS", "1")
        .env("COLUMNS", "100")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &cap);
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let over = done.clone();
    std::thread::spawn(move || {
        for _ in 0..1200 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if over.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
        }
        // SAFETY: our own child, not yet reaped (`done` is set once it is).
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = stderr(&out);
    let kib: u64 = err
        .split("peak_rss_kib=")
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name}: {:?}, no stats in {err}", out.status));
    (out, kib * 1024)
}

/// The bomb reads as the race's passing record, within the bound: one record listed, the report
/// the record's own (the writer took the cache first, the reader waited for its lock).
fn reads_as_the_record(bomb: &[u8], name: &str) {
    let (list, peak) = measured(bomb, name, &["report", "--list"]);
    assert_eq!(list.status.code(), Some(0), "{name}: {}", stderr(&list));
    assert_eq!(
        stdout(&list).lines().count(),
        1,
        "{name}: {}",
        stdout(&list)
    );
    assert!(peak <= MAX_RSS, "{name}: --list took {} MiB", peak >> 20);
    let (out, peak) = measured(bomb, name, &["report"]);
    assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
    let text = stdout(&out).replace("\n    ", " ");
    assert!(
        text.contains("[builder 2/3] took the cache first"),
        "{name}: {text}"
    );
    assert!(
        text.contains("[stage-2 2/4] waited 3.09s for cache demo.mods.v1, held by [builder 2/3]"),
        "{name}: {text}"
    );
    assert!(peak <= MAX_RSS, "{name}: report took {} MiB", peak >> 20);
}

fn race_pass() -> std::path::PathBuf {
    fixture("records/race-pass.dockerbuild")
}

#[test]
fn one_manifest_listed_300_times_is_one_record() {
    // Its trace padded to 100 MB: a copy per listing was 30 GB.
    let bomb = shapes::listed_many_times(&race_pass(), 300, 100);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    reads_as_the_record(&bomb, "listed-300");
}

#[test]
fn nested_indexes_do_not_fan_out() {
    // 20 listings at each of five levels: 3.2 million listings of one record.
    let bomb = shapes::nested(&race_pass(), 20, 4);
    reads_as_the_record(&bomb, "nested");
}

#[test]
fn blobs_nothing_refers_to_are_not_kept() {
    // 600 MB of zeros in three blobs no record names, in a file of under a megabyte.
    let bomb = shapes::unreferenced(&race_pass(), 3, 200);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    reads_as_the_record(&bomb, "unreferenced");
}

#[test]
fn a_220_mb_trace_is_read_as_it_streams() {
    // Exec spans of one of the build's own vertexes: the real spans come last and hold. (Spans of
    // a vertex the build does not have pad the trace of the bomb listed 300 times.)
    let builder = "sha256:17c6ecf65cf7c75e6ea4f1b7f2a6d9d2e2b6a698967d9757a02f78286364e243";
    let bomb = shapes::big_trace(&race_pass(), 220, builder);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    reads_as_the_record(&bomb, "trace");
}

#[test]
fn a_130_mb_progress_is_read_as_it_streams() {
    // (Held whole with its rawjson, it took 1.3 × more again.)
    let bomb = shapes::big_progress(&race_pass(), 130);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    reads_as_the_record(&bomb, "progress");
}
