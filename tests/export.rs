//! `report --format svg|html` as a user runs it: valid XML with the race visible (red bands, the
//! hazard call-out), one self-contained HTML file with the JSON report in it, sane sizes on a
//! 1,000-step build, and the README's picture kept up to date.

mod common;

#[path = "../benches/gen.rs"]
mod gen;

use std::path::{Path, PathBuf};

use common::*;

fn path(rel: &str) -> String {
    fixture(rel).to_string_lossy().into_owned()
}

/// `report LOG --format FORMAT ARGS… -o FILE`: the file's text, after checking the exit code.
fn export(log: &str, format: &str, extra: &[&str], code: i32) -> String {
    let out = tmp_dir(&format!("export-{format}")).join(format!(
        "{}-{}.{format}",
        Path::new(log).file_stem().unwrap().to_string_lossy(),
        extra.join("_").replace(['/', '-'], "")
    ));
    let mut args = vec![
        "report",
        log,
        "--format",
        format,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args, None);
    assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "-o writes nothing to stdout");
    assert!(stderr(&o).contains("wrote "), "{}", stderr(&o));
    std::fs::read_to_string(&out).unwrap()
}

/// Every `<text>` of the document, in order.
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn with_class<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .collect()
}

/// The row (`<g class="row">`) whose label text starts with `label`.
fn row<'a>(doc: &'a roxmltree::Document, label: &str) -> roxmltree::Node<'a, 'a> {
    with_class(doc, "row")
        .into_iter()
        .find(|g| {
            g.children()
                .any(|c| c.has_tag_name("text") && c.text().is_some_and(|t| t.starts_with(label)))
        })
        .unwrap_or_else(|| panic!("no row labelled {label}"))
}

fn red_bands(node: roxmltree::Node) -> usize {
    bands(node, "alongside")
}

fn bands(node: roxmltree::Node, class: &str) -> usize {
    node.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
        .count()
}

#[test]
fn svg_of_the_race_is_xml_with_red_bands_and_the_hazard_call_out() {
    let svg = export(&path("race/rawjson-fail.jsonl"), "svg", &[], 1);
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("width"), Some("1280"));
    let all = texts(&doc);
    let has = |needle: &str| all.iter().any(|t| t.contains(needle));
    // Title: what, when, outcome.
    assert!(has("build FAILED in 4.14s"), "{all:?}");
    assert!(has("2026-11-22 12:52:39 UTC"), "{all:?}");
    // The verdict, in the screen's words.
    assert!(
        has("⚠ race lost: [stage-2 2/4] read cache demo.mods.v1 before [builder 2/3] filled it (3.24s ahead)"),
        "{all:?}"
    );
    // Red where stage-2 ran alongside builder: its stage row, the alongside row and its first
    // two steps; none on builder's rows or after the COPY --from.
    assert!(red_bands(row(&doc, "stage-2")) >= 1);
    assert!(red_bands(row(&doc, "1/4 RUN mkdir -p /app")) >= 1);
    assert!(red_bands(row(&doc, "2/4 RUN --mount=type=cache")) >= 1);
    assert_eq!(red_bands(row(&doc, "3/4 COPY --from=builder")), 0);
    assert_eq!(red_bands(row(&doc, "builder")), 0);
    assert!(row(&doc, "! alongside builder")
        .descendants()
        .any(|n| n.has_tag_name("rect")));
    // The hazard call-out names the cache and who took it first, and the fix.
    let callout: Vec<String> = with_class(&doc, "callout")[0]
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect();
    let callout = callout.join(" ");
    assert!(
        callout.contains("cache \"demo.mods.v1\": [builder 2/3] and [stage-2 2/4] — [stage-2 2/4] took the cache first"),
        "{callout}"
    );
    assert!(callout.contains("Fix:"), "{callout}");
    // The winner says so on its bar; the hazard's steps are marked.
    assert!(has("⚠ took demo.mods.v1 first"));
    assert!(row(&doc, "2/3 RUN --mount")
        .children()
        .any(|c| c.text() == Some("⚠")));
    // States without colour: the failed step is cross-hatched and says ✗; the critical path is
    // underlined; the legend names every state.
    let failed = row(&doc, "4/4 RUN test");
    assert!(failed
        .descendants()
        .any(|n| n.attribute("class") == Some("s-failed")));
    assert!(svg.contains(".s-failed{fill:url(#bg-failed)"));
    assert!(failed
        .descendants()
        .any(|n| n.text().is_some_and(|t| t.starts_with("✗"))));
    for word in [
        "done",
        "cached",
        "failed",
        "cancelled",
        "running",
        "» critical path",
    ] {
        assert!(all.iter().any(|t| t == word), "legend lacks {word}");
    }
    assert!(has("» critical path (4.10s)"));
}

#[test]
fn svg_of_the_seed_plain_log_shows_the_same_race() {
    let svg = export(&path("seed/bug.log"), "svg", &[], 1);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let all = texts(&doc).join("\n");
    assert!(all.contains("times estimated from a plain log"), "{all}");
    assert!(
        all.contains("⚠ race lost: [stage-1 5/8] read cache com.github.naftulikay.my-repo.node-modules.v1 before [builder 6/7] filled it (~"),
        "{all}"
    );
    // 4/8 is proven to execute at the same time as a builder step: solid red. 5/8 finished
    // before [builder 6/7] started, so it ran while builder was under way, but the log does not
    // prove it executed at the same time as one of builder's steps: possible, hatched.
    assert!(red_bands(row(&doc, "4/8 RUN echo")) >= 1);
    assert_eq!(red_bands(row(&doc, "5/8 RUN --mount")), 0);
    assert!(bands(row(&doc, "5/8 RUN --mount"), "possible") >= 1);
    assert!(red_bands(row(&doc, "stage-1")) >= 1);
    let callout = with_class(&doc, "callout");
    assert_eq!(callout.len(), 1);
    let c: String = callout[0]
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(c.contains("[stage-1 5/8] took the cache first"), "{c}");
    // A plain log has no clock: no date is made up.
    assert!(!all.contains(" UTC"), "{all}");
}

#[test]
fn svg_themes_rows_and_a_build_without_hazard() {
    let light = export(&path("race/rawjson-pass.jsonl"), "svg", &[], 0);
    let dark = export(
        &path("race/rawjson-pass.jsonl"),
        "svg",
        &["--theme", "dark"],
        0,
    );
    let bg = |s: &str| {
        let doc = roxmltree::Document::parse(s).unwrap();
        doc.descendants()
            .find(|n| n.has_tag_name("rect") && n.attribute("width") == Some("100%"))
            .and_then(|n| n.attribute("fill"))
            .map(str::to_string)
            .unwrap()
    };
    assert_eq!(bg(&light), "#ffffff");
    assert_eq!(bg(&dark), "#0d1117");
    assert!(light.contains("race won this time: [builder 2/3] filled cache demo.mods.v1"));
    // Stages only: no step rows, the race still red.
    let stages = export(
        &path("race/rawjson-pass.jsonl"),
        "svg",
        &["--rows", "stages"],
        0,
    );
    let doc = roxmltree::Document::parse(&stages).unwrap();
    assert!(texts(&doc).iter().all(|t| !t.starts_with("1/4 ")));
    assert!(red_bands(row(&doc, "stage-2")) >= 1);
    // The workaround: concurrency but no hazard, said as such.
    let w = export(&path("workaround/rawjson.jsonl"), "svg", &[], 0);
    let doc = roxmltree::Document::parse(&w).unwrap();
    let all = texts(&doc).join("\n");
    assert!(
        all.contains("stage-2 runs alongside builder, its COPY --from source (0.17s)"),
        "{all}"
    );
    assert!(with_class(&doc, "callout").is_empty());
}

/// The `<script type="application/json" id=ID>` of an HTML report, parsed.
fn embedded(html: &str, id: &str) -> Option<serde_json::Value> {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = html.find(&open)? + open.len();
    let end = start + html[start..].find("</script>")?;
    Some(serde_json::from_str(&html[start..end]).expect("embedded JSON parses"))
}

/// The page loads nothing: no external script, style, font, image or link target.
fn assert_self_contained(html: &str) {
    for bad in [
        "src=",
        "<link",
        "@import",
        "url(http",
        "href=\"http",
        "href='http",
        "@font-face",
    ] {
        assert!(
            !html.contains(bad),
            "the page refers to something outside it: {bad}"
        );
    }
}

#[test]
fn html_is_one_self_contained_file_with_the_chart_verdicts_json_and_logs() {
    let html = export(&path("race/rawjson-fail.jsonl"), "html", &[], 1);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_self_contained(&html);
    // The chart (interactive), the verdicts, the explanation.
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(html.contains(" id=\"chart\" data-x0="));
    assert!(html.contains("data-step=\""));
    assert!(html.contains("data-t=\""));
    assert!(html.contains("Cache hazards"));
    assert!(html.contains("stage-2 ran at the same time as builder, its source, for 0.32s."));
    assert!(html.contains("<b>Fix:</b> Order them with a real dependency"));
    // The JSON report, as `report --format json` gives it.
    let report = embedded(&html, "report-json").expect("the JSON report is embedded");
    assert_eq!(report["schema"], "buildx-gantt/report");
    assert_eq!(report["hazards"][0]["cache_id"], "demo.mods.v1");
    let json = run(
        &[
            "report",
            &path("race/rawjson-fail.jsonl"),
            "--format",
            "json",
        ],
        None,
    );
    let alone: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report, alone, "the embedded report is the JSON report");
    // Each step's output, the failed one's included.
    let logs = embedded(&html, "logs-json").expect("logs are embedded");
    let failed = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "failed")
        .unwrap()["id"]
        .to_string();
    assert_eq!(logs[&failed]["lines"][0][1], "modules missing");
    // --no-logs leaves them out.
    let bare = export(&path("race/rawjson-fail.jsonl"), "html", &["--no-logs"], 1);
    assert!(embedded(&bare, "logs-json").is_none());
    assert!(embedded(&bare, "report-json").is_some());
}

#[test]
fn markup_in_step_names_and_logs_cannot_break_out() {
    // A log whose step name and output hold markup and a script end tag.
    let dir = tmp_dir("export-escape");
    let log = dir.join("evil.jsonl");
    let name = r#"[build 1/1] RUN echo "</script><script>alert(1)</script>" & <b>"#;
    let data = base64_simd::STANDARD.encode_to_string("</script><img src=x onerror=alert(1)>\n");
    let lines = [
        format!(
            r#"{{"vertexes":[{{"digest":"sha256:1","name":{},"started":"2026-11-22T12:00:00Z"}}]}}"#,
            serde_json::to_string(name).unwrap()
        ),
        format!(
            r#"{{"logs":[{{"vertex":"sha256:1","stream":1,"data":"{data}","timestamp":"2026-11-22T12:00:00.5Z"}}]}}"#
        ),
        format!(
            r#"{{"vertexes":[{{"digest":"sha256:1","name":{},"started":"2026-11-22T12:00:00Z","completed":"2026-11-22T12:00:01Z"}}]}}"#,
            serde_json::to_string(name).unwrap()
        ),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let html = export(log.to_str().unwrap(), "html", &[], 0);
    // The report, the chart's words and the logs (JSON), and the page's script: none more.
    assert_eq!(
        html.matches("</script>").count(),
        4,
        "only the page's own script ends"
    );
    assert!(!html.contains("<img"));
    assert!(!html.contains("<b>\""));
    let logs = embedded(&html, "logs-json").unwrap();
    assert_eq!(
        logs["0"]["lines"][0][1],
        "</script><img src=x onerror=alert(1)>"
    );
    let svg = export(log.to_str().unwrap(), "svg", &[], 0);
    roxmltree::Document::parse(&svg).expect("names with markup stay XML");
}

#[test]
fn sizes_stay_sane_on_a_1000_step_build() {
    let dir = tmp_dir("export-size");
    let dag = dir.join("dag-50x20.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&dag).unwrap());
    gen::dag(&mut w, 50, 20).unwrap();
    drop(w);
    let svg = export(dag.to_str().unwrap(), "svg", &[], 0);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(
        doc.descendants()
            .filter(|n| n.attribute("data-step").is_some())
            .count()
            == 0
    );
    assert!(with_class(&doc, "row").len() >= 1000);
    assert!(
        svg.len() < 2_000_000,
        "SVG of 1,000 steps: {} bytes",
        svg.len()
    );
    let html = export(dag.to_str().unwrap(), "html", &[], 0);
    let logs = embedded(&html, "logs-json").unwrap();
    let log_bytes: usize = logs
        .as_object()
        .unwrap()
        .values()
        .flat_map(|l| l["lines"].as_array().unwrap().iter())
        .map(|l| l[1].as_str().unwrap().len())
        .sum();
    assert!(log_bytes > 0);
    assert!(
        html.len() < 5_000_000 + log_bytes * 2,
        "HTML of 1,000 steps: {} bytes with {log_bytes} bytes of logs",
        html.len()
    );
    let bare = export(dag.to_str().unwrap(), "html", &["--no-logs"], 0);
    assert!(
        bare.len() < 5_000_000,
        "HTML without logs: {} bytes",
        bare.len()
    );
    eprintln!(
        "1,000 steps: SVG {} bytes, HTML {} bytes ({} without logs)",
        svg.len(),
        html.len(),
        bare.len()
    );
}

#[test]
fn output_errors_leave_nothing_behind() {
    let dir = tmp_dir("export-errors");
    let svg_to = |out: &Path| {
        let race = path("race/rawjson-fail.jsonl");
        run(
            &[
                "report",
                &race,
                "--format",
                "svg",
                "-o",
                out.to_str().unwrap(),
            ],
            None,
        )
    };
    // A directory that does not exist: exit 2, said plainly.
    let o = svg_to(&dir.join("no/such/dir/x.svg"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
    // A directory as the file.
    let o = svg_to(&dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    // An unreadable log: the old report is kept, not truncated.
    let kept = dir.join("kept.svg");
    std::fs::write(&kept, "old").unwrap();
    let o = run(
        &[
            "report",
            "/no/such.jsonl",
            "--format",
            "svg",
            "-o",
            kept.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "old");
    let leftovers: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Without -o, SVG goes to stdout (a pipe here).
    let o = run(
        &[
            "report",
            &path("race/rawjson-pass.jsonl"),
            "--format",
            "svg",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("<svg "));
}

/// The README's picture is this command's output; regenerate it with
/// `BUILDX_GANTT_UPDATE_ASSETS=1 cargo test --test export readme`.
const README_SVG_ARGS: &[&str] = &[
    "report",
    "assets/race-fail.jsonl",
    "-f",
    "Dockerfiles/race/Dockerfile",
    "--format",
    "svg",
];

#[test]
fn readme_svg_is_the_bundled_race() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = bin()
        .current_dir(root)
        .args(README_SVG_ARGS)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let fresh = String::from_utf8(o.stdout).unwrap();
    roxmltree::Document::parse(&fresh).unwrap();
    let asset = root.join("assets/race.svg");
    if std::env::var_os("BUILDX_GANTT_UPDATE_ASSETS").is_some() {
        std::fs::write(&asset, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&asset).unwrap_or_default();
    assert!(
        committed == fresh,
        "assets/race.svg is not what `buildx-gantt {}` draws now: regenerate it with \
         `BUILDX_GANTT_UPDATE_ASSETS=1 cargo test --test export readme`",
        README_SVG_ARGS.join(" ")
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains("](assets/race.svg)"),
        "the README shows assets/race.svg"
    );
}

#[test]
fn markdown_for_a_step_summary_with_a_mermaid_gantt() {
    let md = export(&path("race/rawjson-fail.jsonl"), "markdown", &[], 1);
    assert!(md.starts_with("## "), "{md}");
    assert!(
        md.contains("### Cache hazards") && md.contains("**Fix:**"),
        "{md}"
    );
    assert!(md.contains("| stage | time | state | cache hits | alongside its source |"));
    assert!(
        md.contains("| stage-2 | 0.56s | failed | 0/4 | 0.32s |"),
        "{md}"
    );
    let block = md.split("```mermaid\n").nth(1).expect("a mermaid block");
    let block = block.split("```").next().unwrap();
    assert!(block.starts_with("gantt\n"));
    // The two steps that ran alongside builder, and the one that failed, are `crit`.
    let crit: Vec<&str> = block.lines().filter(|l| l.contains(":crit,")).collect();
    assert_eq!(crit.len(), 3, "{block}");
    assert!(crit.iter().any(|l| l.contains("[stage-2 2/4]")), "{block}");
    // Every task line is `name :tags, id, start, end` with no stray `:` in the name.
    for l in block.lines().filter(|l| l.contains(", s")) {
        assert_eq!(l.matches(':').count(), 1, "{l}");
    }
}

#[test]
fn markdown_says_build_text_as_text_never_as_mentions_or_markup() {
    let log = common::markup_log(&tmp_dir("markup-md"));
    let md = export(log.to_str().unwrap(), "markdown", &[], 1);
    let (prose, rest) = md.split_once("```mermaid\n").unwrap();
    let (block, after) = rest.split_once("```").unwrap();
    let prose = format!("{prose}{after}");
    assert!(prose.contains("notify"), "{prose}");
    // No mention, team, emoji or issue reference survives as GitHub reads them (a zero-width
    // space after `@`, `:` or `#`), no entity decodes to one, and `~` and `$` are escaped.
    for raw in ["@octocat", "@org/team", ":tada:", "#123", "&#64;"] {
        assert!(!prose.contains(raw), "{raw} in\n{prose}");
    }
    assert!(prose.contains("@&#8203;octocat"), "{prose}");
    for (i, c) in prose.char_indices() {
        if c == '~' || c == '$' {
            assert!(prose[..i].ends_with('\\'), "unescaped {c} at {i}:\n{prose}");
        }
    }
    // Every step with a time is a task, and no task reads as one of Mermaid's statements.
    let tasks: Vec<&str> = block
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("  section "))
        .filter(|l| {
            !l.trim_start().starts_with("dateFormat") && !l.trim_start().starts_with("axisFormat")
        })
        .collect();
    for name in [
        "click s1",
        "section hidden",
        "excludes",
        "init",
        "title pwned",
        "2026-01-01",
        "todayMarker",
    ] {
        assert!(tasks.iter().any(|t| t.contains(name)), "{name}: {block}");
    }
    for t in &tasks {
        let first = t.trim_start().chars().next().unwrap();
        assert!(!first.is_alphanumeric() && first != '%', "{t}");
    }
}
