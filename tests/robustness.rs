//! Property tests: no input, however broken, makes the readers, the analysis or the views panic.

mod common;

use buildx_gantt::analysis::Analysis;
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::export::{json, text};
use buildx_gantt::model::{Build, LogRetention, StepName};
use buildx_gantt::source::rawjson;
use proptest::prelude::*;

const LOGS: &[&str] = &[
    "race/rawjson-fail.jsonl",
    "race/rawjson-pass.jsonl",
    "fail/rawjson.jsonl",
    "linkwarn/rawjson.jsonl",
    "race/paired-rawjson.jsonl",
    "race/rawjson-docker-driver-fail.jsonl",
];

fn log(i: usize) -> Vec<u8> {
    std::fs::read(common::fixture(LOGS[i % LOGS.len()])).unwrap()
}

/// Reads, analyses and renders `bytes` every way there is; only a panic fails.
fn everything(bytes: &[u8], limit: usize) {
    let mut b = Build::new(LogRetention {
        bytes_per_vertex: 4096,
    });
    let _ = rawjson::read_with_limit(bytes, limit, &mut |e| b.apply(e));
    let a = Analysis::of(&b, None);
    let _ = text::render(
        "x",
        &b,
        &a,
        &text::TextOptions {
            width: 80,
            color: true,
            log_lines: 5,
        },
    );
    let _ = json::render("x", &b, &a);
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split(|&c| c == b'\n').map(|l| l.to_vec()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096), limit in 1usize..512) {
        everything(&bytes, limit);
    }

    #[test]
    fn json_shaped_noise(s in r#"(\{"(vertexes|logs|statuses|warnings)":\[\{("digest"|"vertex"|"data"|"started"|"inputs"|"progressGroup"|"stream"):("x"|1|null|\[\]|"2026-11-22T12:52:39Z"|\{\})[,\}\]]{0,3}\n){0,20}"#) {
        everything(s.as_bytes(), 64);
    }

    #[test]
    fn truncated_real_logs(which in 0usize..6, cut in 0.0f64..1.0) {
        let bytes = log(which);
        let n = (bytes.len() as f64 * cut) as usize;
        everything(&bytes[..n], 1 << 20);
    }

    #[test]
    fn reordered_real_logs(which in 0usize..6, seed in any::<u64>()) {
        let mut ls = lines(&log(which));
        // Fisher–Yates with a tiny LCG: any permutation of the records.
        let mut x = seed | 1;
        for i in (1..ls.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ls.swap(i, (x >> 33) as usize % (i + 1));
        }
        everything(&ls.join(&b'\n'), 1 << 20);
    }

    #[test]
    fn corrupted_real_logs(which in 0usize..6, flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20), limit in 16usize..4096) {
        let mut bytes = log(which);
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        everything(&bytes, limit);
    }

    #[test]
    fn dockerfiles_and_step_names(s in "\\PC{0,300}") {
        let df = Dockerfile::parse(&s, &[("A".into(), "b".into())]);
        let _ = df.dependencies();
        let _ = StepName::parse(&s);
        let _ = StepName::parse(&format!("[{s}] RUN --mount={s} x"));
    }

    #[test]
    fn dockerfile_shaped_text(s in "((FROM|RUN|COPY|ARG|ENV|#) [a-z$={}:\\-\\\\ ,<'\"]{0,30}\n){0,15}") {
        let df = Dockerfile::parse(&s, &[]);
        let _ = df.dependencies();
    }
}
