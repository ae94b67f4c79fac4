//! Generates large, realistic rawjson logs in the shapes of the real recordings: vertexes
//! announced, started and completed as separate lines, base64 log chunks that break lines at
//! arbitrary points, statuses, several stages with COPY --from and shared cache mounts.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{self, Write};

const T0: i64 = 1_795_000_000_000_000_000; // 2026-11-18T…Z, in ns

fn ts(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let dt = chrono::DateTime::from_timestamp(secs, frac as u32).unwrap();
    dt.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn digest(i: usize) -> String {
    format!(
        "sha256:{:064x}",
        (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    )
}

/// A writer that counts what passes through it.
struct Counted<'a, W> {
    inner: &'a mut W,
    written: u64,
}

impl<W: Write> Counted<'_, W> {
    fn put(&mut self, s: &str) -> io::Result<()> {
        self.written += s.len() as u64;
        self.inner.write_all(s.as_bytes())
    }
}

struct Vx {
    digest: String,
    name: String,
    inputs: Vec<String>,
}

fn vertex_line(v: &Vx, started: Option<i64>, completed: Option<i64>) -> String {
    let mut s = format!(r#"{{"vertexes":[{{"digest":"{}""#, v.digest);
    if !v.inputs.is_empty() {
        let ins: Vec<String> = v.inputs.iter().map(|i| format!("\"{i}\"")).collect();
        let _ = write!(s, r#","inputs":[{}]"#, ins.join(","));
    }
    let _ = write!(s, r#","name":{}"#, serde_json::to_string(&v.name).unwrap());
    if let Some(t) = started {
        let _ = write!(s, r#","started":"{}""#, ts(t));
    }
    if let Some(t) = completed {
        let _ = write!(s, r#","completed":"{}""#, ts(t));
    }
    s.push_str("}]}\n");
    s
}

/// A log-heavy build: `steps` parallel chatty steps printing `chunks` base64 chunks of about
/// `chunk_bytes` decoded bytes each, in a three-stage build shaped like the race fixture.
pub fn log_heavy<W: Write>(out: &mut W, chunks: usize, chunk_bytes: usize) -> io::Result<u64> {
    let b64 = base64_simd::STANDARD;
    let mut out = Counted {
        inner: out,
        written: 0,
    };
    let ctx = Vx {
        digest: digest(1),
        name: "[internal] load build context".into(),
        inputs: vec![],
    };
    let base = Vx {
        digest: digest(2),
        name: "[base 1/1] COPY rootfs/ /".into(),
        inputs: vec![ctx.digest.clone()],
    };
    let steps: Vec<Vx> = (0..4)
        .map(|i| Vx {
            digest: digest(10 + i),
            name: format!(
                "[worker-{i} 1/1] RUN --mount=type=cache,id=npm,target=/root/.npm npm ci --verbose"
            ),
            inputs: vec![base.digest.clone()],
        })
        .collect();
    let fin = Vx {
        digest: digest(99),
        name: "[stage-5 2/2] COPY --from=worker-0 /out /out".into(),
        inputs: steps.iter().map(|s| s.digest.clone()).collect(),
    };
    out.put("WARNING: No output specified with remote driver. Build result will only remain in the build cache.\n")?;
    for v in [&ctx, &base].into_iter().chain(steps.iter()).chain([&fin]) {
        out.put(&vertex_line(v, None, None))?;
    }
    out.put(&vertex_line(&ctx, Some(T0), Some(T0 + 40_000_000)))?;
    out.put(&vertex_line(
        &base,
        Some(T0 + 41_000_000),
        Some(T0 + 60_000_000),
    ))?;
    let start = T0 + 61_000_000;
    for s in &steps {
        out.put(&vertex_line(s, Some(start), None))?;
    }
    let mut n = 0u64;
    let mut text = String::with_capacity(chunk_bytes * 2);
    for c in 0..chunks {
        let s = &steps[c % steps.len()];
        text.clear();
        // Lines of varied length, cut at the chunk boundary mid-line, as BuildKit does.
        while text.len() < chunk_bytes {
            n += 1;
            let _ = writeln!(
                text,
                "npm http fetch GET 200 https://registry.example/pkg-{n} {}ms (cache miss)",
                n % 997
            );
        }
        let data = b64.encode_to_string(&text.as_bytes()[..chunk_bytes]);
        let t = start + c as i64 * 100_000;
        out.put(&format!(
            r#"{{"logs":[{{"vertex":"{}","stream":{},"data":"{data}","timestamp":"{}"}}]}}"#,
            s.digest,
            1 + (c % 7 == 0) as u8,
            ts(t)
        ))?;
        out.put("\n")?;
    }
    let end = start + chunks as i64 * 100_000;
    for (i, s) in steps.iter().enumerate() {
        out.put(&vertex_line(
            s,
            Some(start),
            Some(end + i as i64 * 1_000_000),
        ))?;
    }
    out.put(&vertex_line(
        &fin,
        Some(end + 5_000_000),
        Some(end + 9_000_000),
    ))?;
    Ok(out.written)
}

/// A build of `stages` × `per_stage` steps: each stage builds on `base`, copies from the stage
/// before it halfway through, and every fifth stage mounts a shared cache.
pub fn dag<W: Write>(out: &mut W, stages: usize, per_stage: usize) -> io::Result<u64> {
    dag_with(out, stages, per_stage, Shape::WithLogs)
}

/// How a generated build reports each step.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// As BuildKit does: announced, started, completed (three lines).
    BuildKit,
    /// The same, with a log line between.
    WithLogs,
    /// One line with both times: the leanest a log can be, so the most steps per byte.
    OneLine,
}

/// [`dag`], its steps reported in `shape`.
pub fn dag_with<W: Write>(
    out: &mut W,
    stages: usize,
    per_stage: usize,
    shape: Shape,
) -> io::Result<u64> {
    let logs = shape == Shape::WithLogs;
    let mut out = Counted {
        inner: out,
        written: 0,
    };
    let base = Vx {
        digest: digest(1),
        name: "[base 1/1] COPY rootfs/ /".into(),
        inputs: vec![],
    };
    out.put(&vertex_line(&base, None, None))?;
    out.put(&vertex_line(&base, Some(T0), Some(T0 + 20_000_000)))?;
    let mut last_of: Vec<String> = Vec::new();
    let mut id = 100;
    for s in 0..stages {
        let mut prev = base.digest.clone();
        let stage_start = T0 + 20_000_000 + (s as i64 % 7) * 150_000_000;
        for i in 1..=per_stage {
            id += 1;
            let copy = s > 0 && i == per_stage / 2;
            let cache = s % 5 == 0 && i == 2;
            let instr = if copy {
                format!("COPY --from=stage-{} /out /in-{}", s - 1, s - 1)
            } else if cache {
                "RUN --mount=type=cache,id=shared,target=/cache make -j2".to_string()
            } else {
                format!("RUN ./build.sh part-{i} && echo done-{i}")
            };
            let mut inputs = vec![prev.clone()];
            if copy {
                inputs.push(last_of[s - 1].clone());
            }
            let v = Vx {
                digest: digest(id),
                name: format!("[stage-{s} {i}/{per_stage}] {instr}"),
                inputs,
            };
            let st = stage_start + i as i64 * 120_000_000 + if copy { 3_000_000_000 } else { 0 };
            let en = st + 100_000_000 + (id as i64 % 13) * 1_000_000;
            if shape != Shape::OneLine {
                out.put(&vertex_line(&v, None, None))?;
                out.put(&vertex_line(&v, Some(st), None))?;
            }
            if logs {
                let log = base64_simd::STANDARD
                    .encode_to_string(format!("step {id}: compiling\nstep {id}: ok\n"));
                out.put(&format!(
                    r#"{{"logs":[{{"vertex":"{}","stream":1,"data":"{log}","timestamp":"{}"}}]}}"#,
                    v.digest,
                    ts(st + 1_000_000)
                ))?;
                out.put("\n")?;
            }
            out.put(&vertex_line(&v, Some(st), Some(en)))?;
            prev = v.digest.clone();
        }
        last_of.push(prev);
    }
    Ok(out.written)
}

/// What differs between the two sides of [`changed`].
#[derive(Clone, Copy)]
pub enum Change {
    /// Every step's instruction (one argument of it, as a build argument's new value would).
    Instructions,
    /// The stages' names only.
    StageNames,
}

/// One side (`side` 0 or 1) of two builds of `stages` × `per_stage` steps (one line a step, each
/// stage a chain on `base`) that differ as `change` says: `compare` of the two sides.
pub fn changed<W: Write>(
    out: &mut W,
    stages: usize,
    per_stage: usize,
    change: Change,
    side: usize,
) -> io::Result<u64> {
    let mut out = Counted {
        inner: out,
        written: 0,
    };
    let base = Vx {
        digest: digest(1 + side * 10_000_000),
        name: "[base 1/1] COPY rootfs/ /".into(),
        inputs: vec![],
    };
    out.put(&vertex_line(&base, Some(T0), Some(T0 + 20_000_000)))?;
    let mut id = 100 + side * 10_000_000;
    for s in 0..stages {
        let mut prev = base.digest.clone();
        let stage = match (change, side) {
            (Change::StageNames, 1) => format!("renamed-{s}"),
            _ => format!("stage-{s}"),
        };
        let flavour = match change {
            Change::Instructions => ["old", "new"][side],
            Change::StageNames => "same",
        };
        for i in 1..=per_stage {
            id += 1;
            let v = Vx {
                digest: digest(id),
                name: format!(
                    "[{stage} {i}/{per_stage}] RUN ./build.sh part-{i} --flavour={flavour} && echo done-{i}"
                ),
                inputs: vec![prev.clone()],
            };
            let st = T0 + 20_000_000 + i as i64 * 2_000_000;
            out.put(&vertex_line(
                &v,
                Some(st),
                Some(st + 1_000_000 + side as i64 * 500_000),
            ))?;
            prev = v.digest.clone();
        }
    }
    Ok(out.written)
}

/// A `--progress=plain` log of one stage of `steps` steps (a header, a line of output and a DONE
/// each, as BuildKit prints them), its instructions as `side` (0 or 1) has them: the plain
/// reader's timeline reconstruction at scale, and `compare` of two such logs.
pub fn plain<W: Write>(out: &mut W, steps: usize, side: usize) -> io::Result<u64> {
    let mut out = Counted {
        inner: out,
        written: 0,
    };
    let flavour = ["old", "new"][side];
    out.put("#0 building with \"default\" instance using docker driver\n\n")?;
    out.put("#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n\n")?;
    for i in 1..=steps {
        let n = i + 1;
        out.put(&format!(
            "#{n} [stage-0 {i}/{steps}] RUN ./build.sh part-{i} --flavour={flavour}\n\
             #{n} 0.{d} part {i} built\n#{n} DONE 0.{d}s\n\n",
            d = i % 9 + 1
        ))?;
    }
    out.put(&format!(
        "#{} exporting to image\n#{} DONE 0.1s\n",
        steps + 2,
        steps + 2
    ))?;
    Ok(out.written)
}
