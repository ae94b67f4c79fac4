//! Builds through the Docker Engine API (bollard, with its BuildKit session) where the buildx
//! plugin is missing or not wanted. BuildKit's status arrives as protobuf `StatusResponse`s
//! (BUILDKIT.md §3); each is written out as the rawjson line buildx would have printed for it,
//! so the same reader, chart, verdicts and recording serve both paths, and `replay` reads an
//! engine build's recording like any rawjson log. Failures are written the way buildx prints
//! them (`ERROR: …` text lines).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bollard::moby::buildkit::v1::StatusResponse;
use bollard::models::{BuildInfo, BuildInfoAux};
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion, PruneBuildOptions};
use bollard::Docker;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, Notify};

use super::context::Context;
use super::docker_context;
use super::job::Job;

/// How long to wait for the daemon to answer a ping before saying it is not there.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Where bollard connects: the docker CLI's endpoint (see [`docker_context`]), said with its
/// context when that is not `default`.
pub fn host() -> String {
    match docker_context::resolve() {
        Ok(e) if e.context == "default" => e.host,
        Ok(e) => format!("{} (docker context {})", e.host, e.context),
        Err(_) => std::env::var("DOCKER_CONTEXT").map_or_else(
            |_| docker_context::DEFAULT_HOST.into(),
            |c| format!("docker context {c}"),
        ),
    }
}

#[derive(Debug)]
pub enum EngineError {
    /// No daemon answers at the host.
    Unreachable { host: String, error: String },
    /// The daemon answered with an error.
    Api(String),
    /// Local trouble (the context, a runtime).
    Local(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Unreachable { host, error } => write!(
                f,
                "no Docker daemon answers at {host} ({error}). Start one (`sudo systemctl start \
                 docker`, or `dockerd &`), or point DOCKER_HOST at one; `buildx-gantt doctor` \
                 checks the setup"
            ),
            EngineError::Api(e) => write!(f, "the Docker daemon refused: {e}"),
            EngineError::Local(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for EngineError {}

/// Runs `f` with a client, on a runtime of its own (a client's connections belong to the
/// runtime that made them).
pub fn with_client<T, F>(f: impl FnOnce(Docker) -> F) -> Result<T, EngineError>
where
    F: std::future::Future<Output = Result<T, EngineError>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::Local(format!("cannot start a runtime: {e}")))?;
    rt.block_on(async {
        let docker = client()?;
        f(docker).await
    })
}

fn client() -> Result<Docker, EngineError> {
    let endpoint = docker_context::resolve().map_err(|e| EngineError::Unreachable {
        host: host(),
        error: e,
    })?;
    if endpoint.tls.as_ref().is_some_and(|t| t.skip_verify) {
        return Err(EngineError::Unreachable {
            host: host(),
            error: "the context skips TLS verification, which buildx-gantt will not do: give \
                    it the daemon's CA (docker context update --docker ca=…)"
                .into(),
        });
    }
    connect(&endpoint)
        .map(|d| d.with_timeout(Duration::from_secs(600)))
        .map_err(|error| EngineError::Unreachable {
            host: host(),
            error,
        })
}

/// A client for the endpoint: its socket, plain TCP, or TLS as the docker CLI would speak it
/// (never plain where the CLI speaks TLS). An `ssh://` endpoint is the docker CLI's to reach.
fn connect(e: &docker_context::Endpoint) -> Result<Docker, String> {
    const SECS: u64 = 600;
    let version = bollard::API_DEFAULT_VERSION;
    if e.host.starts_with("ssh://") {
        return Err(SSH.into());
    }
    match &e.tls {
        _ if e.host.starts_with("unix://") => {
            Docker::connect_with_unix(&e.host, SECS, version).map_err(|e| e.to_string())
        }
        Some(tls) => super::daemon_tls::connect(&e.host, tls, SECS, version),
        None => Docker::connect_with_http(&e.host, SECS, version).map_err(|e| e.to_string()),
    }
}

/// Why an `ssh://` endpoint is not reached here.
pub const SSH: &str = "an ssh:// endpoint is the docker CLI's to reach (buildx builds through it, \
                       or `--engine cli`); buildx-gantt's own Engine API client does not speak ssh";

/// The daemon's engine and API versions, or why it cannot be reached.
pub async fn versions(docker: &Docker) -> Result<(String, String), EngineError> {
    let unreachable = |error: String| EngineError::Unreachable {
        host: host(),
        error,
    };
    match tokio::time::timeout(PING_TIMEOUT, docker.version()).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            PING_TIMEOUT.as_secs()
        ))),
        Ok(Err(e)) => Err(unreachable(describe(&e))),
        Ok(Ok(v)) => Ok((
            v.version.unwrap_or_else(|| "unknown".into()),
            v.api_version.unwrap_or_else(|| "unknown".into()),
        )),
    }
}

/// bollard's errors in words a user can act on.
fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::SocketNotFoundError(p) => format!("no socket at {p}"),
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("HTTP {status_code}: {message}"),
        E::DockerStreamError { error } => error.clone(),
        E::RequestTimeoutError => "the request timed out".into(),
        other => {
            let mut s = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(inner) = src {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                src = inner.source();
            }
            s
        }
    }
}

/// The build options the engine path understands, taken from the same arguments buildx would
/// get after `--`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineArgs {
    pub build_args: Vec<(String, String)>,
    pub target: Option<String>,
    pub tags: Vec<String>,
    pub no_cache: bool,
}

impl EngineArgs {
    /// `--build-arg`, `--target`, `-t/--tag`, `--no-cache` (and `--load`, which is what the
    /// engine does anyway); anything else is refused by name rather than silently dropped.
    pub fn parse(args: &[String]) -> Result<EngineArgs, String> {
        let mut out = EngineArgs::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match flag {
                "--build-arg" => {
                    let v = value("--build-arg")?;
                    out.build_args.push(match v.split_once('=') {
                        Some((k, val)) if !k.is_empty() => (k.to_string(), val.to_string()),
                        // `--build-arg NAME` takes the value from the environment, as buildx does.
                        _ => (v.clone(), std::env::var(&v).unwrap_or_default()),
                    });
                }
                "--target" => out.target = Some(value("--target")?),
                "-t" | "--tag" => out.tags.push(value("--tag")?),
                "--no-cache" => out.no_cache = true,
                "--load" => {}
                other => {
                    return Err(format!(
                        "`{other}` is not supported when building through the Engine API (it \
                         takes --build-arg, --target, --tag and --no-cache); use buildx for it \
                         (--engine cli, with the buildx plugin installed)"
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// What an engine build ended with.
#[derive(Debug, Clone, Default)]
pub struct EngineResult {
    /// 0 passed, 1 failed, 130 cancelled.
    pub code: i32,
    /// The image the build left in the daemon (`moby.image.id`).
    pub image_id: Option<String>,
}

/// A build running through the Engine API on its own thread.
pub struct EngineBuild {
    handle: Option<JoinHandle<EngineResult>>,
    result: Option<EngineResult>,
    stop: Arc<Notify>,
    cancel_sent: Option<Instant>,
}

impl EngineBuild {
    /// Starts the build; its progress comes out of the returned reader as rawjson lines.
    pub fn start(
        context: Context,
        args: EngineArgs,
    ) -> io::Result<(EngineBuild, impl Read + Send)> {
        let (tx, rx) = mpsc::channel::<Vec<u8>>(256);
        let stop = Arc::new(Notify::new());
        let stop2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name("buildx-gantt-engine".into())
            .spawn(move || {
                let out = Out { tx };
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        out.blocking_text(&format!("ERROR: cannot start a runtime: {e}"));
                        return EngineResult {
                            code: 1,
                            image_id: None,
                        };
                    }
                };
                rt.block_on(run(context, args, out, stop2))
            })?;
        Ok((
            EngineBuild {
                handle: Some(handle),
                result: None,
                stop,
                cancel_sent: None,
            },
            ChannelReader {
                rx,
                chunk: Vec::new(),
                pos: 0,
            },
        ))
    }
}

impl Job for EngineBuild {
    fn poll(&mut self) -> Option<i32> {
        if self.result.is_none() && self.handle.as_ref().is_some_and(|h| h.is_finished()) {
            if let Some(h) = self.handle.take() {
                self.result = Some(h.join().unwrap_or(EngineResult {
                    code: 1,
                    image_id: None,
                }));
            }
        }
        self.result.as_ref().map(|r| r.code)
    }

    /// Closes the build's connection: the daemon cancels a build whose client went away.
    fn cancel(&mut self) {
        if self.poll().is_some() || self.cancel_sent.is_some() {
            return;
        }
        self.stop.notify_one();
        self.cancel_sent = Some(Instant::now());
    }

    fn kill(&mut self) {
        self.cancel();
        // The connection is dropped at the engine thread's next turn; wait for that briefly.
        let t = Instant::now();
        while self.poll().is_none() && t.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn enforce_cancel(&mut self, grace: Duration) -> bool {
        if self.poll().is_some() {
            return true;
        }
        if self.cancel_sent.is_some_and(|t| t.elapsed() >= grace) {
            self.kill();
        }
        self.poll().is_some()
    }

    fn was_cancelled(&self) -> bool {
        self.cancel_sent.is_some()
    }

    fn image_id(&mut self) -> Option<String> {
        self.poll();
        self.result.as_ref().and_then(|r| r.image_id.clone())
    }
}

impl Drop for EngineBuild {
    fn drop(&mut self) {
        if self.poll().is_none() {
            self.kill();
        }
    }
}

/// The engine thread's side of the stream the reader reads.
struct Out {
    tx: mpsc::Sender<Vec<u8>>,
}

impl Out {
    async fn line(&self, mut line: String) {
        line.push('\n');
        // A reader that has gone away (the user left) is not an error for the build.
        let _ = self.tx.send(line.into_bytes()).await;
    }

    async fn text(&self, text: &str) {
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            self.line(l.to_string()).await;
        }
    }

    fn blocking_text(&self, text: &str) {
        let _ = self.tx.blocking_send(format!("{text}\n").into_bytes());
    }
}

/// Reads what the engine thread writes, as one byte stream.
pub struct ChannelReader {
    rx: mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(c) => {
                    self.chunk = c;
                    self.pos = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

async fn run(context: Context, args: EngineArgs, out: Out, stop: Arc<Notify>) -> EngineResult {
    let failed = |image_id| EngineResult { code: 1, image_id };
    let docker = match client() {
        Ok(d) => d,
        Err(e) => {
            out.text(&format!("ERROR: {e}")).await;
            return failed(None);
        }
    };
    // The context is listed first, so an unreadable file is reported before anything is sent.
    let entries = match context.entries() {
        Ok(e) => e,
        Err(e) => {
            out.text(&format!("ERROR: {e}")).await;
            return failed(None);
        }
    };
    // A daemon that does not answer is told in seconds, not after the client's 600 s.
    if let Err(e) = versions(&docker).await {
        out.text(&format!("ERROR: {e}")).await;
        return failed(None);
    }
    let (body, tar_error) = tar_stream(context.clone(), entries);
    let session = format!("buildx-gantt-{}-{}", std::process::id(), super::now());
    let build_args: HashMap<String, String> = args.build_args.iter().cloned().collect();
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(&context.dockerfile_name)
        .version(BuilderVersion::BuilderBuildKit)
        .session(&session)
        .rm(true)
        .nocache(args.no_cache)
        .buildargs(&build_args);
    if let Some(t) = &args.target {
        options = options.target(t);
    }
    if let Some(tag) = args.tags.first() {
        options = options.t(tag);
    }
    let mut stream =
        docker.build_image(options.build(), None, Some(bollard::body_try_stream(body)));
    let mut image_id = None;
    let mut error = false;
    // Whether the daemon said anything about the build: only then can it be lost mid-build.
    let mut answered = false;
    loop {
        let item = tokio::select! {
            _ = stop.notified() => None,
            item = stream.next() => Some(item),
        };
        let Some(item) = item else {
            // Dropping the stream closes the connection; the daemon cancels the build.
            drop(stream);
            out.text("ERROR: the build was cancelled").await;
            return EngineResult {
                code: super::job::INTERRUPTED,
                image_id,
            };
        };
        match item {
            None => break,
            Some(Ok(info)) => {
                answered = true;
                if let Some(id) = handle(&info, &out).await {
                    image_id = Some(id);
                }
            }
            Some(Err(bollard::errors::Error::DockerStreamError { error: e })) => {
                error = true;
                out.text(&format!("ERROR: {e}")).await;
            }
            Some(Err(e)) => {
                error = true;
                let why = match tar_error.lock().ok().and_then(|g| g.clone()) {
                    Some(t) => t,
                    None if answered => format!(
                        "lost the Docker daemon at {} mid-build: {}",
                        host(),
                        describe(&e)
                    ),
                    None => format!(
                        "the Docker daemon at {} did not start the build: {}",
                        host(),
                        describe(&e)
                    ),
                };
                out.text(&format!("ERROR: {why}")).await;
                break;
            }
        }
    }
    if !error {
        if let Some(id) = &image_id {
            for tag in args.tags.iter().skip(1) {
                let (repo, t) = split_tag(tag);
                let opts = bollard::query_parameters::TagImageOptionsBuilder::default()
                    .repo(repo)
                    .tag(t)
                    .build();
                if let Err(e) = docker.tag_image(id, Some(opts)).await {
                    out.text(&format!("WARNING: cannot tag {tag}: {}", describe(&e)))
                        .await;
                }
            }
        }
    }
    EngineResult {
        code: if error || image_id.is_none() { 1 } else { 0 },
        image_id,
    }
}

/// `repo[:tag]`, minding a registry's port (`host:5000/x`).
fn split_tag(name: &str) -> (&str, &str) {
    match name.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (name, "latest"),
    }
}

/// Writes one message of the build stream out; returns the image id when this message has it.
async fn handle(info: &BuildInfo, out: &Out) -> Option<String> {
    match &info.aux {
        Some(BuildInfoAux::BuildKit(status)) => {
            out.line(to_rawjson(status)).await;
            None
        }
        Some(BuildInfoAux::Default(id)) => id.id.clone(),
        // "Successfully tagged …": buildx's rawjson has no such line, and the image id came
        // with `moby.image.id` already.
        None => None,
    }
}

/// The context as a streamed tar body, made on a thread of its own (a large context is never
/// held in memory); a read error ends the stream and is kept for the message.
fn tar_stream(
    context: Context,
    entries: Vec<String>,
) -> (
    impl futures_util::Stream<Item = Result<bytes::Bytes, io::Error>> + Send + 'static,
    Arc<std::sync::Mutex<Option<String>>>,
) {
    let (tx, rx) = mpsc::channel::<Result<bytes::Bytes, io::Error>>(16);
    let error = Arc::new(std::sync::Mutex::new(None));
    let error2 = error.clone();
    let spawned = std::thread::Builder::new()
        .name("buildx-gantt-context".into())
        .spawn(move || {
            let w = std::io::BufWriter::with_capacity(64 << 10, ChunkWriter { tx: tx.clone() });
            if let Err(e) = context.write_tar(&entries, w) {
                if let Ok(mut g) = error2.lock() {
                    *g = Some(e.to_string());
                }
                let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        });
    if let Err(e) = spawned {
        if let Ok(mut g) = error.lock() {
            *g = Some(format!("cannot start sending the context: {e}"));
        }
    }
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    (stream, error)
}

/// Sends what is written as body chunks.
struct ChunkWriter {
    tx: mpsc::Sender<Result<bytes::Bytes, io::Error>>,
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx
            .blocking_send(Ok(bytes::Bytes::copy_from_slice(buf)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the daemon stopped reading"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A protobuf timestamp (seconds, nanos) as rawjson's RFC 3339 text.
fn timestamp(t: Option<(i64, i32)>) -> Option<Value> {
    let (seconds, nanos) = t?;
    let dt = chrono::DateTime::from_timestamp(seconds, nanos.max(0) as u32)?;
    Some(Value::String(
        dt.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
    ))
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64_simd::STANDARD.encode_to_string(bytes))
}

fn put(m: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        m.insert(key.into(), v);
    }
}

fn non_empty(s: &str) -> Option<Value> {
    (!s.is_empty()).then(|| Value::String(s.to_string()))
}

/// One `StatusResponse` as the JSON line `buildx --progress=rawjson` prints for it.
pub fn to_rawjson(s: &StatusResponse) -> String {
    let mut top = Map::new();
    if !s.vertexes.is_empty() {
        let vs = s.vertexes.iter().map(|v| {
            let mut m = Map::new();
            m.insert("digest".into(), Value::String(v.digest.clone()));
            if !v.inputs.is_empty() {
                m.insert("inputs".into(), json!(v.inputs));
            }
            m.insert("name".into(), Value::String(v.name.clone()));
            if v.cached {
                m.insert("cached".into(), Value::Bool(true));
            }
            put(
                &mut m,
                "started",
                timestamp(v.started.as_ref().map(|t| (t.seconds, t.nanos))),
            );
            put(
                &mut m,
                "completed",
                timestamp(v.completed.as_ref().map(|t| (t.seconds, t.nanos))),
            );
            put(&mut m, "error", non_empty(&v.error));
            if let Some(g) = &v.progress_group {
                m.insert(
                    "progressGroup".into(),
                    json!({"id": g.id, "name": g.name, "weak": g.weak}),
                );
            }
            Value::Object(m)
        });
        top.insert("vertexes".into(), Value::Array(vs.collect()));
    }
    if !s.statuses.is_empty() {
        let ss = s.statuses.iter().map(|st| {
            let mut m = Map::new();
            m.insert("id".into(), Value::String(st.id.clone()));
            put(&mut m, "vertex", non_empty(&st.vertex));
            put(&mut m, "name", non_empty(&st.name));
            m.insert("current".into(), json!(st.current));
            if st.total != 0 {
                m.insert("total".into(), json!(st.total));
            }
            put(
                &mut m,
                "timestamp",
                timestamp(st.timestamp.as_ref().map(|t| (t.seconds, t.nanos))),
            );
            put(
                &mut m,
                "started",
                timestamp(st.started.as_ref().map(|t| (t.seconds, t.nanos))),
            );
            put(
                &mut m,
                "completed",
                timestamp(st.completed.as_ref().map(|t| (t.seconds, t.nanos))),
            );
            Value::Object(m)
        });
        top.insert("statuses".into(), Value::Array(ss.collect()));
    }
    if !s.logs.is_empty() {
        let ls = s.logs.iter().map(|l| {
            let mut m = Map::new();
            m.insert("vertex".into(), Value::String(l.vertex.clone()));
            m.insert("stream".into(), json!(l.stream));
            m.insert("data".into(), b64(&l.msg));
            put(
                &mut m,
                "timestamp",
                timestamp(l.timestamp.as_ref().map(|t| (t.seconds, t.nanos))),
            );
            Value::Object(m)
        });
        top.insert("logs".into(), Value::Array(ls.collect()));
    }
    if !s.warnings.is_empty() {
        let ws = s.warnings.iter().map(|w| {
            let mut m = Map::new();
            put(&mut m, "vertex", non_empty(&w.vertex));
            m.insert("level".into(), json!(w.level));
            m.insert("short".into(), b64(&w.short));
            m.insert(
                "detail".into(),
                Value::Array(w.detail.iter().map(|d| b64(d)).collect()),
            );
            put(&mut m, "url", non_empty(&w.url));
            if let Some(info) = &w.info {
                m.insert("sourceInfo".into(), json!({"filename": info.filename}));
            }
            if !w.ranges.is_empty() {
                let rs = w.ranges.iter().map(|r| {
                    let start = r
                        .start
                        .map(|p| json!({"line": p.line, "character": p.character}));
                    let end = r
                        .end
                        .map(|p| json!({"line": p.line, "character": p.character}));
                    json!({"start": start, "end": end})
                });
                m.insert("range".into(), Value::Array(rs.collect()));
            }
            Value::Object(m)
        });
        top.insert("warnings".into(), Value::Array(ws.collect()));
    }
    Value::Object(top).to_string()
}

/// What `--cold` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    pub records: usize,
    pub bytes: u64,
}

/// Empties the daemon's build cache (all of it, as `docker builder prune -af`).
pub async fn prune(docker: &Docker) -> Result<Pruned, EngineError> {
    let opts = bollard::query_parameters::PruneBuildOptionsBuilder::default()
        .all(true)
        .build();
    let r = docker
        .prune_build(Some::<PruneBuildOptions>(opts))
        .await
        .map_err(|e| EngineError::Api(describe(&e)))?;
    Ok(Pruned {
        records: r.caches_deleted.map_or(0, |c| c.len()),
        bytes: r.space_reclaimed.unwrap_or(0).max(0) as u64,
    })
}
