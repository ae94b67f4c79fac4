//! The HTML report in a real browser: headless Chromium (Debian's `chromium`) loads the file, runs
//! its script, and we read the DOM it ends with (`--dump-dom`) and keep a screenshot
//! (`target/tmp/artifacts/*.png`). Without Chromium these tests say SKIPPED; `.ci/run` installs it
//! and its BUILDX_GANTT_REQUIRE names the browser (`all`), so there a missing browser fails them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BUILDX_GANTT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` after saying the test is skipped (a failure where it is required).
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let why = "no Chromium (install Debian's `chromium`, or set BUILDX_GANTT_CHROMIUM)";
    let found = find_chromium().ok_or_else(|| why.to_string());
    common::found_or_skip(test, common::Need::Browser, found)
}

fn artifacts() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs headless Chromium on `url` with `extra` flags, offline, killed after [`HANG_GUARD`] (a
/// hang guard: the page's own time is virtual, `--virtual-time-budget`, whatever the load).
fn chrome(browser: &Path, name: &str, extra: &[&str], url: &str) -> Output {
    let profile = tmp_dir(&format!("chromium-{name}"));
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--hide-scrollbars",
        // Offline: the page must need nothing from anywhere (but this machine's loopback, where
        // a test serves what a page fetches).
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = c.spawn().expect("start chromium");
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    std::thread::spawn(move || {
        let t = Instant::now();
        while t.elapsed() < HANG_GUARD {
            if flag.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    out
}

/// The report of `log` as HTML in the artifacts directory.
fn html_of(log: &str, file: &str, extra: &[&str]) -> PathBuf {
    let out = artifacts().join(file);
    let mut args = vec![
        "report",
        log,
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args, None);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    out
}

fn url(file: &Path, hash: &str) -> String {
    format!("file://{}{hash}", file.display())
}

/// The DOM after the script ran, checked for a clean start: no script error, the page ready.
fn dom(browser: &Path, name: &str, page: &Path, hash: &str) -> String {
    let o = chrome(browser, name, &["--dump-dom"], &url(page, hash));
    let dom = stdout(&o);
    let log = stderr(&o);
    assert!(o.status.success(), "chromium failed: {log}");
    assert!(
        dom.contains("data-ready=\"ok\""),
        "the page's script did not finish: {}\n{log}",
        &dom[..dom.len().min(2000)]
    );
    assert!(
        dom.contains(r#"<pre id="script-errors" hidden=""></pre>"#),
        "the page caught a script error: {dom}"
    );
    assert!(!log.contains("Uncaught"), "a script error: {log}");
    dom
}

/// Takes a screenshot of `page` into the artifacts directory (`size`: `W,H`), and checks it is a
/// picture of something.
fn screenshot(browser: &Path, page: &Path, name: &str, size: &str) {
    let png = artifacts().join(name);
    let _ = std::fs::remove_file(&png);
    let o = chrome(
        browser,
        name,
        &[
            &format!("--screenshot={}", png.display()),
            &format!("--window-size={size}"),
        ],
        &url(page, ""),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(bytes.len() > 20_000, "a blank page? {} bytes", bytes.len());
    eprintln!("screenshot: {}", png.display());
}

/// A step's id in the embedded report, by the start of its name.
fn step_id(log: &str, prefix: &str) -> u64 {
    let o = run(&["report", log, "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap().starts_with(prefix))
        .unwrap()["id"]
        .as_u64()
        .unwrap()
}

#[test]
fn the_race_opens_in_chromium_with_chart_hazard_zoom_and_step_details() {
    let Some(browser) = chromium_or_skip("the_race_opens_in_chromium") else {
        return;
    };
    let log = fixture("race/rawjson-fail.jsonl")
        .to_string_lossy()
        .into_owned();
    let page = html_of(&log, "race.html", &[]);
    // As it opens: the chart, the verdict, the hazard explanation.
    let dom = dom(&browser, "race", &page, "");
    assert!(dom.contains("<svg") && dom.contains("id=\"chart\""));
    assert!(dom.contains("race lost: [stage-2 2/4] read cache demo.mods.v1"));
    assert!(dom.contains("Cache hazards"));
    assert!(
        dom.contains("0.00s–4.14s of 4.14s"),
        "the script shows the window"
    );
    // A link to the failed step, zoomed to the first second: the details panel shows its times
    // and output, the axis is redrawn for the window.
    let failed = step_id(&log, "[stage-2 4/4]");
    let dom = self::dom(
        &browser,
        "race-step",
        &page,
        &format!("#step={failed}&t=0-1"),
    );
    let details = &dom[dom.find("id=\"details\"").expect("details panel")..];
    let details = &details[..details.find("</div>").unwrap()];
    assert!(!details.starts_with(r#"id="details" hidden"#), "{details}");
    assert!(
        details.contains("[stage-2 4/4] RUN test -e /app/a"),
        "{details}"
    );
    assert!(details.contains("modules missing"), "its output: {details}");
    assert!(details.contains("failed"), "{details}");
    assert!(dom.contains("0.00s–1.00s of 4.14s"), "zoomed");
    assert!(
        dom.contains(">0.2s</text>") && dom.contains(">0.4s</text>"),
        "ticks redrawn for the zoom"
    );
    // Zoomed to 20 ms, the ticks are in milliseconds, as chart::words::tick_label says them.
    let dom = self::dom(&browser, "race-ms", &page, "#t=0-0.02");
    assert!(
        dom.contains(">10ms</text>"),
        "ms ticks for a step below 0.01 s"
    );
    // A hazard step lists the hazard and what it ran alongside.
    let reader = step_id(&log, "[stage-2 2/4]");
    let dom = self::dom(&browser, "race-reader", &page, &format!("#step={reader}"));
    assert!(dom.contains("cache hazard"), "{dom}");
    assert!(dom.contains("ran alongside"), "{dom}");
    // In the screen's words (chart::words::hazard_fact), not words of the page's own.
    assert!(
        dom.contains("cache demo.mods.v1 with [builder 2/3], nothing orders them"),
        "{dom}"
    );
    screenshot(&browser, &page, "race-html.png", "1280,1100");
}

#[test]
fn the_seed_plain_log_and_no_logs_dark_page_open_too() {
    let Some(browser) = chromium_or_skip("the_seed_plain_log_and_no_logs_dark_page_open_too")
    else {
        return;
    };
    // Estimated times: the details give bounds.
    let log = fixture("seed/bug.log").to_string_lossy().into_owned();
    let page = html_of(&log, "seed-bug.html", &["--theme", "dark", "--no-logs"]);
    let id = step_id(&log, "[stage-1 5/8]");
    let dom = dom(&browser, "seed", &page, &format!("#step={id}"));
    assert!(dom.contains("race lost: [stage-1 5/8]"), "{dom}");
    assert!(
        dom.contains("(between "),
        "estimated times show their bounds"
    );
    assert!(dom.contains("Output left out (--no-logs)."));
    screenshot(&browser, &page, "seed-bug-dark.png", "1280,1000");
}

/// The page driven as a user would: a harness page frames the report (file pages may reach each
/// other with `--allow-file-access-from-files`), clicks a step's row, turns the wheel over the
/// chart, drags it, and writes what the report then shows into its own DOM for `--dump-dom`.
#[test]
fn clicking_a_step_wheel_zoom_and_drag_pan_work_in_chromium() {
    let Some(browser) = chromium_or_skip("clicking_a_step_wheel_zoom_and_drag_pan_work") else {
        return;
    };
    let log = fixture("race/rawjson-fail.jsonl")
        .to_string_lossy()
        .into_owned();
    let page = html_of(&log, "race-driven.html", &[]);
    let failed = step_id(&log, "[stage-2 4/4]");
    let harness = artifacts().join("race-harness.html");
    std::fs::write(
        &harness,
        HARNESS
            .replace("PAGE", page.file_name().unwrap().to_str().unwrap())
            .replace("STEP", &failed.to_string()),
    )
    .unwrap();
    let o = chrome(
        &browser,
        "harness",
        &["--allow-file-access-from-files", "--dump-dom"],
        &url(&harness, ""),
    );
    let dom = stdout(&o);
    let out = dom
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_default()
        .to_string();
    let said = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("the harness did not say {key}: {out}\n{}", stderr(&o)))
            .to_string()
    };
    assert_eq!(said("ready"), "ok", "{out}");
    assert_eq!(said("errors"), "", "{out}");
    assert!(!out.contains("harness-error"), "{out}");
    // The click opened the failed step: its name, times and output.
    let details = said("details");
    assert!(
        details.contains("[stage-2 4/4] RUN test -e /app/a"),
        "{out}"
    );
    assert!(details.contains("modules missing"), "{out}");
    assert_eq!(said("hash"), format!("#step={failed}"), "{out}");
    // The wheel zoomed in around the pointer; the drag moved the window later in time.
    let window = |s: String| -> (f64, f64) {
        let (a, rest) = s.split_once("s–").unwrap();
        let b = rest.split_once('s').unwrap().0;
        (a.parse().unwrap(), b.parse().unwrap())
    };
    let (z0, z1) = window(said("zoomed"));
    assert!(z1 - z0 < 4.0 && z0 > 0.0, "zoomed to {z0}–{z1}: {out}");
    let (p0, p1) = window(said("panned"));
    assert!(
        p0 > z0 + 0.01,
        "dragging left shows later times: {p0} after {z0}: {out}"
    );
    // (the window is shown to the hundredth)
    assert!(
        ((p1 - p0) - (z1 - z0)).abs() <= 0.011,
        "a pan keeps the zoom: {out}"
    );
}

const HARNESS: &str = r#"<!DOCTYPE html>
<html><body><pre id="out"></pre>
<iframe id="f" src="PAGE" width="1280" height="900"></iframe>
<script>
var f = document.getElementById('f');
f.onload = function () {
  var out = document.getElementById('out');
  function say(k, v) { out.textContent += k + '=' + v + '\n'; }
  try {
    var d = f.contentDocument, w = f.contentWindow;
    say('ready', d.body.getAttribute('data-ready'));
    var row = d.querySelector('g.row[data-step="STEP"] .hit');
    row.dispatchEvent(new w.MouseEvent('click', { bubbles: true }));
    say('details', d.getElementById('details').textContent.replace(/\n/g, ' '));
    say('hash', w.location.hash);
    var svg = d.getElementById('chart'), r = svg.getBoundingClientRect();
    var y = r.top + r.height / 3;
    svg.dispatchEvent(new w.WheelEvent('wheel', { deltaY: -600, clientX: r.left + r.width * 0.6, clientY: y, bubbles: true, cancelable: true }));
    say('zoomed', d.getElementById('window').textContent);
    svg.dispatchEvent(new w.MouseEvent('mousedown', { clientX: r.left + r.width * 0.7, clientY: y, bubbles: true }));
    w.dispatchEvent(new w.MouseEvent('mousemove', { clientX: r.left + r.width * 0.5, clientY: y, bubbles: true }));
    w.dispatchEvent(new w.MouseEvent('mouseup', { bubbles: true }));
    say('panned', d.getElementById('window').textContent);
    say('errors', d.getElementById('script-errors').textContent);
  } catch (e) { say('harness-error', e); }
};
</script></body></html>
"#;

/// The Mermaid block of `log`'s Markdown report, and what Mermaid draws of it (an SVG), or None
/// when Mermaid's renderer is not installed (skipped, or failed where BUILDX_GANTT_REQUIRE names
/// the browser).
fn mermaid_of(test: &str, browser: &Path, log: &Path) -> Option<(String, String)> {
    let mmdc =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mermaid/node_modules/.bin/mmdc");
    if !mmdc.is_file() {
        let why = "no mermaid-cli (run `npm ci` in tests/mermaid)";
        common::skip(test, common::Need::Browser, why);
        return None;
    }
    let md = run(
        &["report", log.to_str().unwrap(), "--format", "markdown"],
        None,
    );
    let md = stdout(&md);
    let block = md
        .split("```mermaid\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap()
        .to_string();
    let dir = artifacts();
    let (input, picture) = (
        dir.join(format!("{test}.mmd")),
        dir.join(format!("{test}.svg")),
    );
    std::fs::write(&input, &block).unwrap();
    let config = dir.join(format!("{test}-puppeteer.json"));
    let puppeteer = serde_json::json!({
        "executablePath": browser,
        "args": ["--no-sandbox", "--headless=new"],
    });
    std::fs::write(&config, puppeteer.to_string()).unwrap();
    let o = std::process::Command::new(&mmdc)
        .arg("-i")
        .arg(&input)
        .arg("-o")
        .arg(&picture)
        .arg("-p")
        .arg(&config)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    Some((block, std::fs::read_to_string(&picture).unwrap()))
}

/// The Markdown report's Mermaid block, drawn by the real Mermaid renderer (mermaid-cli on this
/// Chromium; `npm ci` in tests/mermaid, which .ci/run does): every `crit` task of the block is a
/// `crit` bar in the picture, `[stage-2 2/4]` among them.
#[test]
fn the_markdown_gantt_renders_with_mermaid_and_shows_the_red_steps() {
    let test = "the_markdown_gantt_renders_with_mermaid_and_shows_the_red_steps";
    let Some(browser) = chromium_or_skip(test) else {
        return;
    };
    let Some((block, svg)) = mermaid_of(test, &browser, &fixture("race/rawjson-fail.jsonl")) else {
        return;
    };
    let crit = block.lines().filter(|l| l.contains(":crit,")).count();
    let bars = svg.matches("class=\"task crit").count();
    assert_eq!(bars, crit, "{block}");
    assert!(
        svg.contains("[stage-2 2/4]"),
        "the red step is named in the picture"
    );
}

/// A file server on loopback for one test: speedscope loads its profile with `fetch`, which a
/// `file://` page may not. Serves `GET /NAME` from `dir`, each answer closing its connection;
/// stops after [`HANG_GUARD`] or 200 requests.
fn serve(dir: PathBuf) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let t = Instant::now();
        let mut served = 0;
        while t.elapsed() < HANG_GUARD && served < 200 {
            let Ok((stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = first.split_whitespace().nth(1).unwrap_or("/");
            let name = path
                .trim_start_matches('/')
                .split(['?', '#'])
                .next()
                .unwrap_or("");
            let file = dir.join(if name.is_empty() { "index.html" } else { name });
            let mut stream = reader.into_inner();
            let ok = !name.contains("..") && file.is_file();
            let body = if ok {
                std::fs::read(&file).unwrap_or_default()
            } else {
                Vec::new()
            };
            let kind = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html",
                Some("js") => "text/javascript",
                Some("css") => "text/css",
                Some("json") => "application/json",
                Some("wasm") => "application/wasm",
                _ => "application/octet-stream",
            };
            let status = if ok { "200 OK" } else { "404 Not Found" };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

/// What speedscope made of a trace: the name it shows, how many profiles (tracks) it found, the
/// total time of each, and its console's warnings.
struct Speedscope {
    dom: String,
    log: String,
}

fn speedscope(browser: &Path, rel: &str, name: &str) -> Option<(Speedscope, serde_json::Value)> {
    let release = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/speedscope/node_modules/speedscope/dist/release");
    if !release.join("index.html").is_file() {
        let why = "no speedscope (run `npm ci` in tests/speedscope)";
        common::skip(name, common::Need::Browser, why);
        return None;
    }
    // The viewer and the trace from one origin.
    let site = tmp_dir(&format!("speedscope-{name}"));
    for e in std::fs::read_dir(&release).unwrap().flatten() {
        std::fs::copy(e.path(), site.join(e.file_name())).unwrap();
    }
    let o = run(
        &[
            "report",
            fixture(rel).to_str().unwrap(),
            "--format",
            "trace",
            "-o",
            site.join("trace.json").to_str().unwrap(),
        ],
        None,
    );
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("trace.json")).unwrap()).unwrap();
    let port = serve(site);
    let url =
        format!("http://127.0.0.1:{port}/index.html#profileURL=http://127.0.0.1:{port}/trace.json");
    let o = chrome(browser, name, &["--dump-dom"], &url);
    assert!(o.status.success(), "{}", stderr(&o));
    Some((
        Speedscope {
            dom: stdout(&o),
            log: stderr(&o),
        },
        trace,
    ))
}

/// Seconds as speedscope prints a duration (`9.48ms`, `3.47s`, `812.00µs`).
fn speedscope_secs(s: &str) -> Option<f64> {
    let s = s.trim();
    for (unit, scale) in [("ms", 1e-3), ("µs", 1e-6), ("s", 1.0)] {
        if let Some(n) = s.strip_suffix(unit) {
            return n.trim().parse::<f64>().ok().map(|x| x * scale);
        }
    }
    None
}

/// `report --format trace` opened in a real viewer: speedscope (from npm, `npm ci` in
/// tests/speedscope) in the system's Chromium imports it as Chrome trace events, finds one profile
/// per track, and each track's total is the sum of its steps: nothing overlapped on a track (an
/// overlap makes speedscope drop or cut slices, and say so on its console).
#[test]
fn the_trace_opens_in_speedscope_with_a_profile_per_track() {
    let test = "the_trace_opens_in_speedscope_with_a_profile_per_track";
    let Some(browser) = chromium_or_skip(test) else {
        return;
    };
    for (rel, name) in [
        ("records/race-pass.dockerbuild", "race-pass"),
        ("seed/bug.log", "seed"),
        ("bake/rawjson-fail.jsonl", "bake"),
    ] {
        let Some((got, trace)) = speedscope(&browser, rel, name) else {
            return;
        };
        let events = trace["traceEvents"].as_array().unwrap();
        // Our tracks, and the time of each: its steps' slices (a lock wait nests inside one).
        let mut tracks: Vec<((u64, u64), f64)> = Vec::new();
        for e in events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] != "lock wait")
        {
            let key = (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap());
            let dur = e["dur"].as_f64().unwrap() / 1e6;
            match tracks.iter_mut().find(|t| t.0 == key) {
                Some(t) => t.1 += dur,
                None => tracks.push((key, dur)),
            }
        }
        tracks.sort_by_key(|t| t.0);
        assert!(
            got.log.contains("Importing as Trace Event Format profile"),
            "{name}: {}",
            got.log
        );
        for bad in ["Tried to end", "still open", "Unexpected", "Uncaught"] {
            assert!(
                !got.log.contains(bad),
                "{name}: speedscope said {bad}: {}",
                got.log
            );
        }
        let n = tracks.len();
        assert!(
            got.dom.contains(&format!("(1/{n})")),
            "{name}: {n} profiles: {}",
            got.dom
        );
        // The first profile is the first track of the first process, named as we named them.
        let first = events
            .iter()
            .find(|e| e["name"] == "process_name" && e["pid"] == tracks[0].0 .0)
            .unwrap()["args"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            got.dom.contains(&format!(
                "{first} (pid {}), track 1 (tid 1)",
                tracks[0].0 .0
            )),
            "{name}: {}",
            got.dom
        );
        // Its list of profiles: each one's total time, in our order.
        let totals: Vec<f64> = got
            .dom
            .split("<td class=\"")
            .filter_map(|c| c.split_once('>').map(|x| x.1))
            .filter_map(|c| speedscope_secs(c.split('<').next().unwrap_or("")))
            .collect();
        assert_eq!(totals.len(), n, "{name}: {totals:?} {}", got.dom);
        for (t, (key, ours)) in totals.iter().zip(&tracks) {
            assert!(
                (t - ours).abs() <= ours * 0.01 + 2e-5,
                "{name} {key:?}: speedscope {t} vs ours {ours}"
            );
        }
    }
}

#[test]
fn steps_named_like_mermaid_statements_are_each_drawn_as_a_task() {
    let test = "steps_named_like_mermaid_statements_are_each_drawn_as_a_task";
    let Some(browser) = chromium_or_skip(test) else {
        return;
    };
    let log = common::markup_log(&tmp_dir("mermaid-markup"));
    let Some((block, svg)) = mermaid_of(test, &browser, &log) else {
        return;
    };
    // `click …` broke the whole chart; `section …` and `excludes …` made a task vanish.
    let tasks = block.lines().filter(|l| l.contains(" :")).count();
    let bars = svg.matches("class=\"task ").count();
    assert_eq!(bars, tasks, "{block}");
    for name in [
        "click s1 call alert(1)",
        "section hidden",
        "excludes weekends",
        "title pwned",
    ] {
        assert!(svg.contains(name), "{name} is not drawn:\n{block}");
    }
}

#[test]
fn a_comparison_whose_step_is_named_like_markup_keeps_its_page_whole() {
    let Some(browser) =
        chromium_or_skip("a_comparison_whose_step_is_named_like_markup_keeps_its_page_whole")
    else {
        return;
    };
    let dir = tmp_dir("browser-compare-script");
    let (b, a) = common::script_named_pair(&dir);
    let page = artifacts().join("compare-script.html");
    let o = common::compare_html(&b, &a, &page);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = chrome(&browser, "compare-script", &["--dump-dom"], &url(&page, ""));
    let dom = stdout(&o);
    // Parsed as written: one script element holding the JSON, closed where we closed it (a
    // `<!--<script>` read as markup would have kept it open to the end of the file).
    assert_eq!(dom.matches("</script>").count(), 1, "{dom}");
    let json = dom
        .split("id=\"compare\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert!(v["steps"].to_string().contains("<!--<script>"), "{v}");
}
