//! The whole command-line interface, in one place.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `0.1.0 (commit 1a2b3c4d5e6f)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BUILDX_GANTT_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "buildx-gantt",
    version = VERSION,
    about = "Shows a Docker (BuildKit) build as a live Gantt chart and finds the stages that race their COPY --from source",
    long_about = "Shows a Docker (BuildKit) build as a live Gantt chart and finds the stages that race their \
COPY --from source.\n\n\
Without a subcommand, runs `docker buildx build --progress=rawjson -f DOCKERFILE … CONTEXT` and draws it \
as it runs; everything after `--` goes to buildx as given (--target, --build-arg, --no-cache, …). \
The build's progress is recorded so it can be replayed.",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  buildx-gantt                                  # ./Dockerfile, context .\n  \
buildx-gantt Dockerfile.dev ./app -- --target test --no-cache\n  \
buildx-gantt demo                             # a bundled recording of the race\n  \
buildx-gantt replay build.jsonl --speed 4\n  \
buildx-gantt --check Dockerfile .             # CI: exit 3 on a cache hazard, with why\n  \
buildx-gantt report build.jsonl --check\n  \
buildx-gantt report build.jsonl --format html -o build.html   # an artifact to open\n  \
buildx-gantt lint Dockerfile                  # before any build: both cache hazards, exit 1"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The docker context to use, as `docker --context NAME` would (it outranks DOCKER_HOST and
    /// DOCKER_CONTEXT): the Engine API, `doctor` and every docker CLI call go to it, over TLS
    /// wherever the docker CLI would speak TLS to it.
    #[arg(long = "context", global = true, value_name = "NAME")]
    pub docker_context: Option<String>,

    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a saved log (`--progress=rawjson`) on the live screen, with its original timing.
    Replay(ReplayArgs),
    /// Play a bundled real recording (for talks): the race that fails, the one that passes, the fix.
    Demo(DemoArgs),
    /// Explain a saved build log (`--progress=rawjson`): stages, overlaps, cache hazards, errors.
    Report(ReportArgs),
    /// Compare two builds (logs or build records): what got slower, why each step of the second
    /// ran (its root cause, or the steps it follows), which way each cache race went.
    Compare(CompareArgs),
    /// Open a past build of a builder from its build history (`docker buildx history export
    /// --finalize`), with the lock waits its trace shows; `--list` lists them.
    History(HistoryArgs),
    /// Many builds of one Dockerfile at once (folders and files of build records and logs, zips
    /// of CI artifacts, a builder's history): failures and wall time over time, who took each
    /// shared cache first and how often the build failed when it did, each step's runs, cache
    /// hits, median and p90, trend and time on the critical path.
    Trends(TrendsArgs),
    /// Run `docker buildx bake --progress=rawjson` (a bake file or a compose file: every target
    /// it builds) and draw it live, as a build is drawn.
    Bake(BakeArgs),
    /// Run the same build N times (cache emptied between runs) and show which runs failed and
    /// whether the cache-hazard verdict predicted it.
    Repeat(RepeatArgs),
    /// Check the setup: the Docker daemon (DOCKER_HOST), its versions, the buildx plugin, the
    /// current builder; says how to fix what is missing. Exits 1 when nothing can build.
    Doctor(DoctorArgs),
    /// Check an image in the daemon has a layer for every RUN/COPY/ADD of its Dockerfile's
    /// target stage (what --verify-layers does after a build).
    VerifyLayers(VerifyLayersArgs),
    /// Before any build, read the Dockerfile(s) (or a bake or compose file) and predict both
    /// cache hazards from the build graph: a cache mounted by steps that nothing orders
    /// (unordered-cache) and data passed between stages through a cache mount
    /// (cache-passes-data). Exit 0: no finding; 1: findings; 2: a file cannot be read.
    Lint(LintArgs),
    /// Print a shell completion script (`buildx-gantt completions bash >
    /// /etc/bash_completion.d/buildx-gantt`).
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `buildx-gantt man > buildx-gantt.1`.
    Man,
    /// Install this binary as the Docker CLI plugin `docker gantt` (a link named docker-gantt in
    /// $DOCKER_CONFIG/cli-plugins, else ~/.docker/cli-plugins) and say where.
    InstallPlugin(InstallPluginArgs),
}

#[derive(Debug, Args)]
pub struct InstallPluginArgs {
    /// The cli-plugins directory to link into (e.g. /usr/local/lib/docker/cli-plugins for every
    /// user).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The docker CLI we run.
#[derive(Debug, Clone, Args)]
pub struct DockerBin {
    /// The docker binary to run.
    #[arg(
        long,
        value_name = "PATH",
        env = "BUILDX_GANTT_DOCKER",
        default_value = "docker"
    )]
    pub docker: String,
}

/// How builds run and what is checked after them (the live build and `repeat`).
#[derive(Debug, Clone, Args)]
pub struct EngineOptions {
    #[command(flatten)]
    pub bin: DockerBin,

    /// How to build: auto (buildx when the docker CLI has it, else the Engine API), cli (the
    /// docker CLI: buildx, or `DOCKER_BUILDKIT=1 docker build --progress=plain` without it), api
    /// (the Docker Engine API at $DOCKER_HOST; takes --build-arg, --target, --tag, --no-cache
    /// after `--`).
    #[arg(long, value_enum, value_name = "HOW", default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,

    /// Read the build's --progress=plain output even where buildx has rawjson (times are then
    /// reconstructed from when each line arrives). Without the buildx plugin, `--engine cli`
    /// runs `DOCKER_BUILDKIT=1 docker build --progress=plain`
    #[arg(long)]
    pub plain: bool,

    /// After the build, check that its image has a layer for every RUN/COPY/ADD of the target
    /// stage (needs an image in the daemon: the Engine API, or buildx's docker driver / --load).
    /// A missing layer makes the build count as failed.
    #[arg(long)]
    pub verify_layers: bool,
}

/// The live build (no subcommand).
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The Dockerfile to build.
    #[arg(value_name = "DOCKERFILE", default_value = "Dockerfile")]
    pub dockerfile: String,

    /// The build context.
    #[arg(value_name = "CONTEXT", default_value = ".")]
    pub context: String,

    /// Arguments for `docker buildx build`, passed as given (after `--`).
    #[arg(last = true, value_name = "BUILDX_ARGS", allow_hyphen_values = true)]
    pub buildx_args: Vec<String>,

    #[command(flatten)]
    pub engine: EngineOptions,

    #[command(flatten)]
    pub live: LiveArgs,
}

/// What a live build (or bake) is asked for besides the build: a cold start, its recording, the
/// check, the screen.
#[derive(Debug, Clone, Args)]
pub struct LiveArgs {
    /// Empty the build cache before building (the Engine API's build prune, or `docker buildx
    /// prune -af`), so a race can be reproduced from a clean start. Says what it removed.
    #[arg(long)]
    pub cold: bool,

    #[command(flatten)]
    pub record: RecordArgs,

    #[command(flatten)]
    pub check: CheckArgs,

    #[command(flatten)]
    pub screen: ScreenArgs,

    #[command(flatten)]
    pub otlp: OtlpArgs,
}

/// Sending the build to an OpenTelemetry backend.
#[derive(Debug, Clone, Args, Default)]
pub struct OtlpArgs {
    /// Send the build as one trace over OTLP/HTTP to URL (alone: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT,
    /// else http://localhost:4318). OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf or http/json),
    /// _HEADERS, _TIMEOUT and OTEL_SERVICE_NAME are honoured.
    #[arg(
        long,
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = "",
        value_parser = parse_otlp
    )]
    pub otlp: Option<String>,
}

/// `--otlp`'s URL: http(s), so that `--otlp Dockerfile` is an error, not a Dockerfile taken.
fn parse_otlp(s: &str) -> Result<String, String> {
    if s.is_empty() || s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.to_string())
    } else {
        Err(
            "an OTLP/HTTP endpoint is an http:// or https:// URL (to use the environment's \
             endpoint, put --otlp last)"
                .into(),
        )
    }
}

/// Where a live build is recorded.
#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// Where to record the build's progress stream (default: a new file in
    /// $XDG_STATE_HOME/buildx-gantt/recordings/).
    #[arg(long, value_name = "PATH", conflicts_with = "no_record")]
    pub record: Option<String>,

    /// Do not record the build's progress stream.
    #[arg(long)]
    pub no_record: bool,
}

/// `bake [TARGET…] [-f FILE…] [-- BAKE_ARGS…]`.
#[derive(Debug, Args)]
pub struct BakeArgs {
    /// The targets (or groups) to build; none: bake's default group.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// A bake file or compose file (repeatable); none: bake's own defaults
    /// (docker-bake.hcl, compose.yaml, … in the current directory).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<String>,

    /// Arguments for `docker buildx bake`, passed as given (after `--`): --set, --builder, …
    #[arg(last = true, value_name = "BAKE_ARGS", allow_hyphen_values = true)]
    pub bake_args: Vec<String>,

    #[command(flatten)]
    pub bin: DockerBin,

    /// After the bake, check each target's image has a layer for every RUN/COPY/ADD of its
    /// stage (needs the images in the daemon: buildx's docker driver, or --load).
    #[arg(long)]
    pub verify_layers: bool,

    /// Bake N times, as `repeat` builds: each run recorded, the table of runs, the failure rate
    /// and whether the cache verdict predicted each outcome.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub repeat: Option<u32>,

    /// With --repeat: empty the builder's cache before every Kth run (0: never).
    #[arg(long, value_name = "K", default_value_t = 1, requires = "repeat")]
    pub reset_every: u32,

    #[command(flatten)]
    pub live: LiveArgs,
}

/// Options of the live screen, shared by the build, `replay` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct ScreenArgs {
    /// Leave the screen as soon as the build ends (the text report is still printed).
    #[arg(long)]
    pub exit_on_finish: bool,
}

/// The Dockerfile of a build read from a log, and the build arguments to expand it with.
#[derive(Debug, Clone, Args, Default)]
pub struct DockerfileArgs {
    /// The Dockerfile of the build (adds stage order and dependencies the log does not show).
    #[arg(short = 'f', long = "file", value_name = "DOCKERFILE")]
    pub dockerfile: Option<String>,

    /// A build argument the build used (`NAME=VALUE`), for expanding the Dockerfile (a build
    /// record's own come first; these win). Repeatable.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub build_args: Vec<(String, String)>,
}

/// Which build of a record bundle (`.dockerbuild`) to read.
#[derive(Debug, Args, Clone, Default)]
pub struct BundleArgs {
    /// In a bundle of several build records: the one with this reference (or a unique prefix).
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,

    /// List the build records in the bundle (reference, target, status, time, steps) and exit.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The build before: a log (rawjson or plain), a build record (`.dockerbuild`), or `-`.
    pub before: String,

    /// The build after (the one whose steps are explained).
    pub after: String,

    #[command(flatten)]
    pub df: DockerfileArgs,

    /// A build argument the build before used (`NAME=VALUE`; a record says its own): tells a
    /// step that re-ran because of it (`arg`). Repeatable.
    #[arg(long = "build-arg-before", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub args_before: Vec<(String, String)>,

    /// …and one the build after used.
    #[arg(long = "build-arg-after", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub args_after: Vec<(String, String)>,

    /// text for terminals and CI logs; json for tools (schema buildx-gantt/compare); html, one
    /// self-contained page (each step's two runs drawn on one axis, the JSON embedded).
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,

    /// Write it to FILE instead of standard output (written whole or not at all; `-` is standard
    /// output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    /// Text width (default: the terminal's, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,

    /// On a terminal, print the comparison without first showing it on the chart.
    #[arg(long)]
    pub no_screen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The build: `^N` (N builds before the latest), or its reference (or the start of it).
    /// Default: the latest.
    #[arg(value_name = "REF")]
    pub reference: Option<String>,

    /// The builder whose history to read (default: the current one).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,

    /// List the builder's build records, latest first, and exit.
    #[arg(long)]
    pub list: bool,

    /// Keep the exported record here (a `.dockerbuild`) instead of a temporary file.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    #[command(flatten)]
    pub bin: DockerBin,

    #[command(flatten)]
    pub df: DockerfileArgs,

    #[command(flatten)]
    pub screen: ScreenArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The log: a file written by `docker buildx build --progress=rawjson 2> FILE`, a build record
    /// (`.dockerbuild`), or `-` for stdin.
    pub log: String,

    #[command(flatten)]
    pub bundle: BundleArgs,

    /// Play at this many times the original speed (0: show the final state at once).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Show the final state at once (same as --speed 0).
    #[arg(long, conflicts_with = "speed")]
    pub instant: bool,

    #[command(flatten)]
    pub df: DockerfileArgs,

    #[command(flatten)]
    pub screen: ScreenArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which recording (see --list); default: the race that fails.
    pub name: Option<String>,

    /// List the bundled recordings.
    #[arg(long)]
    pub list: bool,

    /// Play at this many times the original speed (0: the final state at once).
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    #[command(flatten)]
    pub screen: ScreenArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Svg,
    Html,
    /// For $GITHUB_STEP_SUMMARY and pull-request comments (with a Mermaid gantt chart).
    Markdown,
    /// The build as one OpenTelemetry trace, in OTLP's JSON (what `--otlp` sends).
    Otlp,
    /// Chrome trace-event JSON, for Perfetto, chrome://tracing and speedscope: stages as
    /// processes, one track per concurrent step, hazards and lock waits as instant events.
    Trace,
}

/// `trends`' output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrendsFormat {
    /// A table with sparklines (on a terminal: the screen first, unless --no-screen).
    Text,
    /// For tools (schema buildx-gantt/trends).
    Json,
    /// For $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One self-contained page.
    Html,
}

#[derive(Debug, Args)]
pub struct TrendsArgs {
    /// Build records (`.dockerbuild`), logs (rawjson or plain), folders of them (walked), or zips
    /// of CI artifacts. A log beside a record of the same name is the same build: the record is
    /// read.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Also read the build records this builder keeps (`docker buildx history`).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,

    /// With --builder: its latest N records only.
    #[arg(long, value_name = "N", requires = "builder")]
    pub last: Option<usize>,

    #[command(flatten)]
    pub bin: DockerBin,

    #[command(flatten)]
    pub df: DockerfileArgs,

    #[arg(long, value_enum, default_value_t = TrendsFormat::Text)]
    pub format: TrendsFormat,

    /// Write it to FILE instead of standard output (written whole or not at all; `-` is standard
    /// output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    /// Text width (default: the terminal's, else $COLUMNS, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,

    /// On a terminal, print the text without first showing the builds on the screen.
    #[arg(long)]
    pub no_screen: bool,

    /// Builds read at once (default: the machine's cores, at most 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: Option<u32>,
}

/// `repeat`'s summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

/// `--theme`: colours of the SVG and HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Theme {
    Light,
    Dark,
}

/// `--rows`: the SVG and HTML chart's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Rows {
    /// Each stage and its steps.
    Steps,
    /// The stages alone.
    Stages,
}

/// `--engine`: how builds run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    /// buildx when the docker CLI has it, else the Engine API.
    Auto,
    /// The docker CLI: `docker buildx build`, or `DOCKER_BUILDKIT=1 docker build` without buildx.
    Cli,
    /// The Docker Engine API (bollard, BuildKit session), at $DOCKER_HOST.
    Api,
}

impl From<Theme> for crate::export::svg::Theme {
    fn from(t: Theme) -> Self {
        match t {
            Theme::Light => Self::Light,
            Theme::Dark => Self::Dark,
        }
    }
}

impl From<Rows> for crate::export::svg::Rows {
    fn from(r: Rows) -> Self {
        match r {
            Rows::Steps => Self::Steps,
            Rows::Stages => Self::Stages,
        }
    }
}

impl From<EngineChoice> for crate::source::runner::EngineChoice {
    fn from(e: EngineChoice) -> Self {
        match e {
            EngineChoice::Auto => Self::Auto,
            EngineChoice::Cli => Self::Cli,
            EngineChoice::Api => Self::Api,
        }
    }
}

/// `--check` and `--fail-on`, for CI: the live build and `report`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// For CI: exit 3, with a one-paragraph explanation on stderr, when the build has what
    /// --fail-on names (default: a cache hazard), whether or not the build itself failed.
    #[arg(long)]
    pub check: bool,

    /// What makes --check fail: hazard (a cache mount shared by steps nothing orders, or a stale
    /// cache: a reader that ran while the cache's writers were cache hits), stale (only a stale
    /// cache), overlap (any stage proven to run alongside its COPY --from source), incomplete (a
    /// saved log that ends before its build did) or never (the build's own exit code). Implies
    /// --check.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub fail_on: Option<FailOn>,
}

impl CheckArgs {
    /// What to fail on, when checking at all.
    pub fn fail_on(&self) -> Option<FailOn> {
        match (self.check, self.fail_on) {
            (_, Some(f)) => Some(f),
            (true, None) => Some(FailOn::Hazard),
            (false, None) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// A cache mount shared by steps nothing orders, or a stale cache.
    Hazard,
    /// A reader of a cache mount that ran while every writer of the cache was a cache hit.
    Stale,
    /// Any stage running at the same time as its COPY --from / from= source.
    Overlap,
    /// A log that ends before its build did (a truncated paste): nothing in it can be trusted
    /// to be the whole build.
    Incomplete,
    /// Only the build's own outcome.
    Never,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The log: a file written by `docker buildx build --progress=rawjson 2> FILE`, a build record
    /// (`.dockerbuild`), or `-` for stdin.
    pub log: String,

    #[command(flatten)]
    pub bundle: BundleArgs,

    #[command(flatten)]
    pub df: DockerfileArgs,

    /// text for terminals and CI logs; json for tools; svg, a slide-ready chart; html, one
    /// self-contained page (zoom, pan, click a step for its times and log, the JSON embedded).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of standard output (written whole or not at all; `-` is
    /// standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<String>,

    /// Colours of the SVG and HTML: light (print, light slides) or dark.
    #[arg(long, value_enum, default_value_t = Theme::Light)]
    pub theme: Theme,

    /// Rows of the SVG and HTML chart: every step under its stage, or the stages alone (a
    /// compact slide).
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = Rows::Steps)]
    pub rows: Rows,

    /// HTML: leave the steps' output out (the report keeps the failed steps' last lines).
    #[arg(long)]
    pub no_logs: bool,

    #[command(flatten)]
    pub otlp: OtlpArgs,

    #[command(flatten)]
    pub check: CheckArgs,

    /// Colour in the text report (auto: when writing to a terminal, not a dumb one, and NO_COLOR
    /// is unset).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Width of the text report in columns (default: the terminal's, else $COLUMNS, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,

    /// Check LOG's reconstructed timing against TRUTH, the same build recorded with
    /// --progress=rawjson (`docker buildx history logs` gives both): each step's error, whether
    /// the true times lie within the estimated bounds, and whether the verdicts agree. Exit 0 when
    /// they do, 3 when not
    #[arg(long, value_name = "TRUTH", conflicts_with_all = ["check", "fail_on", "format", "output"])]
    pub compare_with: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepeatArgs {
    /// The Dockerfile to build.
    #[arg(value_name = "DOCKERFILE", default_value = "Dockerfile")]
    pub dockerfile: String,

    /// The build context.
    #[arg(value_name = "CONTEXT", default_value = ".")]
    pub context: String,

    /// Arguments for the build, passed as given (after `--`).
    #[arg(last = true, value_name = "BUILDX_ARGS", allow_hyphen_values = true)]
    pub buildx_args: Vec<String>,

    /// How many builds.
    #[arg(short = 'n', long = "runs", value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub runs: u32,

    /// Empty the build cache before every K-th build (1: before every build; 0: never). The
    /// cache is the build cache only: images and volumes are not touched.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub reset_every: u32,

    #[command(flatten)]
    pub engine: EngineOptions,

    /// Directory for the runs' recordings (default: a new one under
    /// $XDG_STATE_HOME/buildx-gantt/repeats/).
    #[arg(long, value_name = "DIR")]
    pub record_dir: Option<String>,

    /// Output when not on a terminal (the screen is used on one).
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,

    /// Print text/JSON even on a terminal.
    #[arg(long)]
    pub no_screen: bool,

    /// Send each run as a trace over OTLP/HTTP (see the live build's --otlp).
    #[command(flatten)]
    pub otlp: OtlpArgs,
}

/// `lint [DOCKERFILE…]` or `lint --bake FILE`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
buildx-gantt lint                                  # ./Dockerfile\n  \
buildx-gantt lint Dockerfile --target app --build-arg CACHE_ID=x\n  \
buildx-gantt lint --platform linux/amd64,linux/arm64\n  \
buildx-gantt lint --bake docker-bake.hcl           # or compose.yaml, or bake's JSON\n  \
buildx-gantt lint --format json | jq .findings\n\n\
Exit status: 0 no finding, 1 findings, 2 a file cannot be read.")]
pub struct LintArgs {
    /// The Dockerfiles to read, each on its own (`-`: standard input). Default: ./Dockerfile.
    #[arg(value_name = "DOCKERFILE")]
    pub dockerfiles: Vec<String>,

    /// Read a bake file (docker-bake.hcl, docker-bake.json, what `docker buildx bake --print`
    /// writes) or a compose file instead: the targets of its `default` group (else all of them),
    /// each target's Dockerfile, stage, args, platforms and `target:` contexts.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dockerfiles", "target"])]
    pub bake: Option<String>,

    /// With --bake: only these targets (or groups). Repeatable.
    #[arg(long = "bake-target", value_name = "TARGET", requires = "bake")]
    pub bake_targets: Vec<String>,

    /// A build argument (`NAME=VALUE`), as the build will get it; with --bake, for every
    /// target. Repeatable.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub build_args: Vec<(String, String)>,

    /// The stage to build (default: the last): only the stages it needs are in the build.
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// The platforms to build for (comma-separated or repeated; default: this machine's):
    /// `${TARGETARCH}` and friends are expanded per platform, and each platform's steps are
    /// told apart. With --bake, overrides the targets' own.
    #[arg(long, value_name = "PLATFORMS", value_delimiter = ',')]
    pub platform: Vec<String>,

    /// text (`FILE:LINE: …`, why, the fix) or json (`{"findings": [{kind, cache, steps, lines,
    /// fix}]}`).
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,

    /// Text width in columns (default: the terminal's, else $COLUMNS, else 100).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub bin: DockerBin,
}

#[derive(Debug, Args)]
pub struct VerifyLayersArgs {
    /// The image (name, tag or id) in the daemon.
    pub image: String,

    /// The Dockerfile it was built from.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "DOCKERFILE",
        default_value = "Dockerfile"
    )]
    pub dockerfile: String,

    /// The stage that was built (default: the last).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// A build argument the build used (`NAME=VALUE`). Repeatable.
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = parse_build_arg)]
    pub build_args: Vec<(String, String)>,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "expected a speed factor ≥ 0 (1 = original timing), got `{s}`"
        )),
    }
}

/// `NAME=VALUE`: a build argument a past build used (the environment now is not the build's).
pub fn parse_build_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}
