//! A live build through the real binary (`buildx-gantt --record REC DOCKERFILE CTX -- …`, no
//! terminal), and the check every live test makes: what the session printed when it ended is
//! what `report` says of its recording.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use buildx_gantt::analysis::Analysis;
use buildx_gantt::dockerfile::Dockerfile;

use super::{bin, run, stderr, stdout};

pub struct Built {
    pub out: Output,
    pub rec: PathBuf,
    /// The Dockerfile it built, and the build arguments it was given.
    pub dockerfile: PathBuf,
    pub build_args: Vec<(String, String)>,
}

impl Built {
    pub fn code(&self) -> Option<i32> {
        self.out.status.code()
    }

    pub fn show(&self) -> String {
        format!(
            "exit {:?}\n--- stderr\n{}\n--- stdout\n{}",
            self.code(),
            stderr(&self.out),
            stdout(&self.out)
        )
    }

    /// The recording, analysed with its Dockerfile and build arguments.
    pub fn analysed(&self) -> (buildx_gantt::model::Build, Analysis) {
        let text = std::fs::read_to_string(&self.dockerfile).unwrap();
        let df = Dockerfile::parse(&text, &self.build_args);
        let l = buildx_gantt::source::saved::load(
            self.rec.to_str().unwrap(),
            Default::default(),
            Some(&df),
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", self.show()));
        let a = Analysis::of(&l.build, Some(&df));
        (l.build, a)
    }

    /// What the live session printed when it ended is what `report` says of its recording (all
    /// but the first line, which names the Dockerfile on one side and the recording on the other).
    pub fn live_report_is_the_recordings(&self) {
        let mut args = vec![
            "report".to_string(),
            self.rec.to_str().unwrap().into(),
            "-f".into(),
            self.dockerfile.to_str().unwrap().into(),
            "--width".into(),
            "120".into(),
            "--color".into(),
            "never".into(),
        ];
        for (k, v) in &self.build_args {
            args.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let report = stdout(&run(&args, None));
        let body: String = report.lines().skip(1).collect::<Vec<_>>().join("\n");
        let live = stdout(&self.out);
        assert!(
            !body.trim().is_empty() && live.contains(body.trim()),
            "the live report differs from the recording's:\n--- report\n{report}\n{}",
            self.show()
        );
    }
}

/// `buildx-gantt --record CTX/REC CTX/DOCKERFILE CTX -- --builder B ARGS…` with the docker CLI
/// `cli`, without a terminal; `--build-arg`s among `args` are also the Dockerfile's.
pub fn build(
    cli: &str,
    ctx: &Path,
    dockerfile: &str,
    rec: &str,
    builder: &str,
    args: &[&str],
) -> Built {
    build_with(&[], cli, ctx, dockerfile, rec, builder, args)
}

/// [`build`] with buildx-gantt's own `options` (`--plain`).
pub fn build_with(
    options: &[&str],
    cli: &str,
    ctx: &Path,
    dockerfile: &str,
    rec: &str,
    builder: &str,
    args: &[&str],
) -> Built {
    let rec = ctx.join(rec);
    let dockerfile = ctx.join(dockerfile);
    let out = bin()
        .args(options)
        .args(["--docker", cli, "--engine", "cli", "--record"])
        .arg(&rec)
        .arg(&dockerfile)
        .arg(ctx)
        .args(["--", "--builder", builder])
        .args(args)
        .env("COLUMNS", "120")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let build_args = args
        .windows(2)
        .filter(|w| w[0] == "--build-arg")
        .filter_map(|w| w[1].split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Built {
        out,
        rec,
        dockerfile,
        build_args,
    }
}
