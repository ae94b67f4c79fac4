//! Property tests: no input, however broken, makes the readers, the analysis or the views panic.

mod common;

use buildx_gantt::analysis::Analysis;
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::export::{json, text};
use buildx_gantt::model::{Build, LogRetention, StepName};
use buildx_gantt::source::{self, plain, rawjson};
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

const PLAIN: &[&str] = &[
    "seed/bug.log",
    "seed/workaround.log",
    "race/plain-fail.log",
    "race/plain-dockerd20-pass.log",
    "fail/plain-dockerd20.log",
    "linkwarn/plain.log",
];

fn plain(i: usize) -> Vec<u8> {
    std::fs::read(common::fixture(PLAIN[i % PLAIN.len()])).unwrap()
}

/// [`everything`] for a plain log: the saved reader (format told by content), and the live
/// reader with made-up arrival times.
fn everything_plain(bytes: &[u8]) {
    let mut b = Build::new(LogRetention {
        bytes_per_vertex: 4096,
    });
    let df = Dockerfile::parse(
        &std::fs::read_to_string(common::fixture("race/Dockerfile")).unwrap(),
        &[],
    );
    if let Ok(events) = source::read_events(bytes, Some(&df)) {
        for e in events {
            b.apply(e);
        }
    }
    let a = Analysis::of(&b, Some(&df));
    let _ = text::render("x", &b, &a, &text::TextOptions::default());
    let _ = json::render("x", &b, &a);
    let mut live = Build::new(LogRetention::default());
    let mut t = 1_000_000_000_000i64;
    let _ = plain::read_live(bytes, t, None, &mut |e| {
        t += 7_000_000;
        live.apply(e)
    });
    let a = Analysis::of(&live, None);
    let _ = json::render("x", &live, &a);
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
    fn plain_shaped_noise(s in r"((#[0-9]{1,2} (DONE [0-9]\.[0-9]s|CACHED|CANCELED|ERROR: x|WARN: y|\.\.\.|[0-9]{1,2}\.[0-9]{1,3} out|\[(a|b|stage-1) [1-3]/[1-3]\] (RUN --mount=type=cache,id=c,target=/m x|COPY --from=(a|b) / /|RUN y)|sha256:[0-9a-f]{64}|transferring 1MB 0\.1s done)|------|Dockerfile:3|ERROR: failed|make: x|\x1b\[31m)?\r?\n){0,40}") {
        everything_plain(s.as_bytes());
    }

    #[test]
    fn truncated_corrupted_and_mixed_plain_logs(which in 0usize..6, cut in 0.0f64..1.0, flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..10), other in 0usize..6) {
        let mut bytes = plain(which);
        let n = (bytes.len() as f64 * cut) as usize;
        bytes.truncate(n.max(1));
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        everything_plain(&bytes);
        // Two logs interleaved line by line (two builds in one CI log), and a rawjson tail.
        let a = lines(&plain(which));
        let b = lines(&plain(other));
        let mut mixed: Vec<Vec<u8>> = Vec::new();
        for i in 0..a.len().max(b.len()) {
            mixed.extend(a.get(i).cloned());
            mixed.extend(b.get(i).cloned());
        }
        mixed.extend(lines(&log(which)).into_iter().take(3));
        everything_plain(&mixed.join(&b'\n'));
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

/// Escape sequences a build can print: a title change and screen clear, a clipboard write (OSC 52),
/// a colour, a bell, a C1 CSI.
const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}\u{1b}[2J",
    "\u{1b}]52;c;cHduZWQ=\u{7}",
    "\u{1b}[31mred\u{1b}[0m",
    "bell\u{7}",
    "c1\u{9b}2J",
];

/// A real recording with a hostile step name, error and log line spliced in.
fn hostile_log(evil: &str) -> String {
    let digest = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    let name = serde_json::to_string(&format!("[stage-2 4/4] RUN {evil}")).unwrap();
    let err = serde_json::to_string(&format!("exit {evil}")).unwrap();
    let data = base64_of(&format!("out {evil}\n"));
    // A `COPY --link`'s two vertexes, one progress group: the group's name is the step's.
    let group = serde_json::to_string(&serde_json::json!({
        "id": format!("pg {evil}"),
        "name": format!("[stage-2 3/4] COPY --link {evil} /a /b"),
    }))
    .unwrap();
    let status = serde_json::to_string(&serde_json::json!({
        "id": format!("st {evil}"), "vertex": digest, "name": format!("st {evil}"),
        "current": 1, "timestamp": "2026-11-22T12:52:29.6Z",
    }))
    .unwrap();
    let mut text = std::fs::read_to_string(common::fixture("race/rawjson-fail.jsonl")).unwrap();
    text.push_str(&format!(
        "{{\"vertexes\":[{{\"digest\":\"{digest}\",\"name\":{name},\"started\":\"2026-11-22T12:52:29Z\",\"completed\":\"2026-11-22T12:52:30Z\",\"error\":{err}}}]}}\n\
         {{\"logs\":[{{\"vertex\":\"{digest}\",\"stream\":1,\"data\":\"{data}\",\"timestamp\":\"2026-11-22T12:52:29.5Z\"}}]}}\n\
         {{\"statuses\":[{status}]}}\n\
         {{\"vertexes\":[{{\"digest\":\"sha256:02\",\"name\":\"[stage-2 3/4] COPY --link x /a /b\",\"progressGroup\":{group},\"started\":\"2026-11-22T12:52:29Z\",\"completed\":\"2026-11-22T12:52:30Z\"}}]}}\n\
         {{\"vertexes\":[{{\"digest\":\"sha256:03\",\"name\":\"[stage-2 3/4] LINK COPY x /a /b\",\"progressGroup\":{group},\"started\":\"2026-11-22T12:52:29Z\",\"completed\":\"2026-11-22T12:52:30Z\"}}]}}\n\
         ERROR: failed to solve: {evil}\n"
    ));
    text
}

fn base64_of(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every ESC in `out` starts one of our own colour codes (`ESC [ digits ; … m`), and no other
/// control character but newline and tab is there.
fn only_our_colours(out: &str) -> Result<(), String> {
    for (i, c) in out.char_indices() {
        if c == '\u{1b}' {
            let rest: String = out[i + 1..].chars().take_while(|&c| c != 'm').collect();
            let ours =
                rest.starts_with('[') && rest[1..].chars().all(|c| c.is_ascii_digit() || c == ';');
            if !ours {
                return Err(format!(
                    "a foreign escape at {i}: {:?}",
                    &out[i..(i + 20).min(out.len())]
                ));
            }
        } else if c.is_control() && c != '\n' && c != '\t' {
            return Err(format!("control {:?} at {i}", c));
        }
    }
    Ok(())
}

#[test]
fn escape_sequences_from_the_build_never_reach_the_terminal() {
    for evil in HOSTILE {
        let dir = common::tmp_dir("hostile");
        let path = dir.join("evil.jsonl");
        std::fs::write(&path, hostile_log(evil)).unwrap();
        let p = path.to_str().unwrap();
        for args in [
            vec!["report", p, "--color", "always"],
            vec!["report", p, "--color", "never"],
            vec!["report", p, "--format", "markdown"],
            vec!["replay", "--instant", p],
        ] {
            let o = common::run(&args, None);
            let out = common::stdout(&o);
            let err = common::stderr(&o);
            assert!(
                out.contains("RUN ") && out.contains("COPY --link"),
                "{args:?}: {out}"
            );
            only_our_colours(&out).unwrap_or_else(|e| panic!("{args:?} stdout: {e}\n{out}"));
            only_our_colours(&err).unwrap_or_else(|e| panic!("{args:?} stderr: {e}\n{err}"));
        }
        // What was there is shown, visibly.
        let o = common::run(&["report", p, "--color", "never"], None);
        let out = common::stdout(&o);
        assert!(
            out.contains("^[") || out.contains("^G") || out.contains("<U+009B>"),
            "{out}"
        );
    }
}

/// Bidirectional controls (U+202E and kin) reorder what is shown around them: a step named with
/// one can hide what it runs in a terminal, a PR comment or a page.
const BIDI: &[char] = &[
    '\u{202e}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
];

fn no_bidi(what: &str, out: &str) {
    if let Some(c) = out.chars().find(|c| BIDI.contains(c)) {
        panic!("{what}: {c:?} passed through:\n{out}");
    }
}

#[test]
fn bidi_controls_from_the_build_are_shown_in_every_format() {
    let evil: String = BIDI.iter().collect();
    let dir = common::tmp_dir("bidi");
    let log = dir.join("bidi.jsonl");
    std::fs::write(&log, hostile_log(&format!("rm -rf / {evil} # safe"))).unwrap();
    // The race's Dockerfile with the controls (and an escape) in a stage name and a cache id.
    let df = std::fs::read_to_string(common::fixture("race/Dockerfile"))
        .unwrap()
        .replace("AS builder", &format!("AS builder{evil}"))
        .replace("demo.mods.v1", &format!("demo{evil}\u{1b}]0;x\u{7}"));
    let dockerfile = dir.join("Dockerfile");
    std::fs::write(&dockerfile, df).unwrap();
    let (p, f) = (log.to_str().unwrap(), dockerfile.to_str().unwrap());
    for format in ["text", "markdown", "svg", "html", "json"] {
        for with_file in [false, true] {
            let mut args = vec!["report", p, "--format", format];
            if with_file {
                args.extend(["-f", f]);
            }
            let o = common::run(&args, None);
            let (out, err) = (common::stdout(&o), common::stderr(&o));
            assert!(out.contains("U+202E"), "{args:?}: {out}");
            no_bidi(&format!("{args:?} stdout"), &out);
            no_bidi(&format!("{args:?} stderr"), &err);
            only_our_colours(&err).unwrap_or_else(|e| panic!("{args:?} stderr: {e}\n{err}"));
            if format != "json" {
                only_our_colours(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"));
            }
        }
    }
}

#[test]
fn a_records_reference_and_attributes_never_drive_the_terminal() {
    use common::bombs::{bundle, files_of};
    let evil = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;cHduZWQ=\u{7}\u{202e}".to_string();
    let files: Vec<(String, Vec<u8>)> =
        files_of(&common::fixture("records/bake-api-failed.dockerbuild"))
            .into_iter()
            .map(
                |(p, b)| match serde_json::from_slice::<serde_json::Value>(&b) {
                    // The (nested) index names each record by its reference too.
                    Ok(mut v) if v.get("manifests").is_some() => {
                        let key = "vnd.buildkit.history.reference";
                        for m in v["manifests"].as_array_mut().unwrap() {
                            if let Some(r) = m["annotations"][key].as_str().map(str::to_string) {
                                m["annotations"][key] = format!("{r}{evil}").into();
                            }
                        }
                        (p, serde_json::to_vec(&v).unwrap())
                    }
                    Ok(mut v) if v.get("Ref").is_some() => {
                        let r = v["Ref"].as_str().unwrap().to_string();
                        v["Ref"] = format!("{r}{evil}").into();
                        v["FrontendAttrs"]["target"] = format!("t{evil}").into();
                        v["FrontendAttrs"]["filename"] = format!("Dockerfile{evil}").into();
                        v["FrontendAttrs"][format!("build-arg:A{evil}")] = evil.clone().into();
                        v["error"] = serde_json::json!({"message": format!("failed {evil}")});
                        (p, serde_json::to_vec(&v).unwrap())
                    }
                    _ => (p, b),
                },
            )
            .collect();
    let path = common::tmp_dir("evil-ref").join("evil.dockerbuild");
    std::fs::write(&path, bundle(&files)).unwrap();
    let p = path.to_str().unwrap();
    for args in [
        vec!["report", p],
        vec!["report", p, "--list"],
        vec!["report", p, "--ref", "nope"],
        vec!["report", p, "--format", "markdown"],
        vec!["replay", "--instant", p],
    ] {
        let o = common::run(&args, None);
        let (out, err) = (common::stdout(&o), common::stderr(&o));
        assert!(
            format!("{out}{err}").contains("<U+202E>"),
            "{args:?}: {out}{err}"
        );
        for (what, text) in [("stdout", &out), ("stderr", &err)] {
            only_our_colours(text).unwrap_or_else(|e| panic!("{args:?} {what}: {e}\n{text}"));
            no_bidi(&format!("{args:?} {what}"), text);
        }
    }
}

#[test]
fn an_error_quoting_a_files_text_shows_its_escapes() {
    use common::bombs::{bundle, files_of, index, replaced};
    // The index names a manifest whose digest is hostile text: our error quotes it.
    let evil = "sha256:\u{1b}]0;pwned\u{7}\u{202e}";
    let files = files_of(&common::fixture("records/race-pass.dockerbuild"));
    let listing = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": evil,
        "size": 1,
    });
    let files = replaced(&files, "index.json", index(&[listing]));
    let path = common::tmp_dir("evil-error").join("evil.dockerbuild");
    std::fs::write(&path, bundle(&files)).unwrap();
    let o = common::run(&["report", path.to_str().unwrap()], None);
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("^[]0;pwned^G<U+202E>"), "{err}");
    only_our_colours(&err).unwrap_or_else(|e| panic!("{e}\n{err}"));
    no_bidi("stderr", &err);
}
