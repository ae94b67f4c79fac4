//! `compare BEFORE AFTER` on real pairs of builds: a context change (rawjson and plain), a build
//! argument change (rawjson with the Dockerfile, and build records), a Dockerfile edit, an
//! unchanged rebuild, and the race passing then failing (rawjson and records).

mod common;

use common::{fixture, run, stderr, stdout};
use serde_json::Value;

fn compare(before: &str, after: &str, extra: &[&str]) -> (String, Value) {
    let (b, a) = (fixture(before), fixture(after));
    let mut args = vec!["compare", b.to_str().unwrap(), a.to_str().unwrap()];
    args.extend(extra);
    let text = run(&[args.as_slice(), &["--width", "100"]].concat(), None);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let json = run(&[args.as_slice(), &["--format", "json"]].concat(), None);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema"], "buildx-gantt/compare");
    assert_eq!(v["version"], 1);
    (stdout(&text), v)
}

/// The JSON's step whose name starts with `short` (`[app 1/2]`).
fn step<'a>(v: &'a Value, short: &str) -> &'a Value {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap().starts_with(short))
        .unwrap_or_else(|| panic!("no step {short}"))
}

fn kind(v: &Value, short: &str) -> String {
    step(v, short)["cause"]["kind"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

fn roots(v: &Value) -> Vec<String> {
    v["root_causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_changed_context_file_is_the_one_root_cause_and_the_rest_follow_it() {
    let (text, v) = compare(
        "ctxchange/rawjson-first.jsonl",
        "ctxchange/rawjson-rebuild.jsonl",
        &[],
    );
    assert_eq!(roots(&v), ["[app 1/2] COPY src/version /app/version"]);
    assert_eq!(kind(&v, "[app 1/2]"), "context");
    for s in [
        "[app 2/2]",
        "[stage-4 2/4]",
        "[stage-4 3/4]",
        "[stage-4 4/4]",
    ] {
        assert_eq!(kind(&v, s), "follows", "{s}");
        assert_eq!(step(&v, s)["cause"]["because_of"][0], "[app 1/2]", "{s}");
    }
    for s in [
        "[tools 1/1]",
        "[docs 1/2]",
        "[docs 2/2]",
        "[base 1/1]",
        "[stage-4 1/4]",
    ] {
        assert_eq!(step(&v, s)["after"]["state"], "cached", "{s}");
        assert!(step(&v, s)["cause"].is_null(), "{s}");
    }
    // The wall time, and where it went.
    let change = v["wall_time_change"].as_f64().unwrap();
    assert!((-0.4..-0.2).contains(&change), "{change}");
    assert!(text.contains("wall time -0.31s (1.62s → 1.31s)"), "{text}");
    assert!(
        text.contains("where it went: cache hits saved 2.28s of work"),
        "{text}"
    );
    assert!(
        text.contains("[app 1/2] COPY src/version /app/version — context: it reads files from the build context"),
        "{text}"
    );
}

#[test]
fn a_context_change_read_from_plain_logs() {
    let (_, v) = compare(
        "cmp-plain/plain-first.log",
        "cmp-plain/plain-rebuild.log",
        &["-f", fixture("cmp-plain/Dockerfile").to_str().unwrap()],
    );
    assert_eq!(roots(&v), ["[app 1/2] COPY src/version /app/version"]);
    assert_eq!(kind(&v, "[app 1/2]"), "context");
    assert_eq!(kind(&v, "[stage-4 4/4]"), "follows");
}

#[test]
fn a_build_argument_change_is_the_root_cause_of_the_step_that_uses_it() {
    let df = fixture("cmp-args/Dockerfile");
    // The rawjson shows the value expanded in the step's name: the Dockerfile says it is $VERSION.
    let (text, v) = compare(
        "cmp-args/rawjson-v1.jsonl",
        "cmp-args/rawjson-v2.jsonl",
        &["-f", df.to_str().unwrap()],
    );
    assert_eq!(roots(&v), ["[app 2/3] RUN echo \"2\" > /version"]);
    assert_eq!(kind(&v, "[app 2/3]"), "arg");
    assert!(text.contains("$VERSION: \"1\" → \"2\""), "{text}");
    assert_eq!(kind(&v, "[app 3/3]"), "follows");
    assert_eq!(step(&v, "[app 1/3]")["after"]["state"], "cached");
    // Build records carry their build arguments: no Dockerfile needed.
    let (text, v) = compare("cmp-args/v1.dockerbuild", "cmp-args/v2.dockerbuild", &[]);
    assert_eq!(kind(&v, "[app 2/3]"), "arg");
    assert!(
        text.contains("VERSION: \"1\" → \"2\"") && !text.contains("U: "),
        "{text}"
    );
    // A log alone cannot tell an argument from an edit: it says what changed…
    let (_, v) = compare(
        "cmp-args/rawjson-v1.jsonl",
        "cmp-args/rawjson-v2.jsonl",
        &[],
    );
    assert_eq!(kind(&v, "[app 2/3]"), "definition");
    // …unless it is told what each side was given.
    let sides = [
        "--build-arg-before",
        "VERSION=1",
        "--build-arg-after",
        "VERSION=2",
    ];
    let (_, v) = compare(
        "cmp-args/rawjson-v1.jsonl",
        "cmp-args/rawjson-v2.jsonl",
        &sides,
    );
    assert_eq!(kind(&v, "[app 2/3]"), "arg");
}

#[test]
fn a_dockerfile_edit_names_the_changed_and_the_new_step() {
    let (text, v) = compare(
        "cmp-edit/rawjson-before.jsonl",
        "cmp-edit/rawjson-after.jsonl",
        &[],
    );
    let text = text.replace("\n    ", " ");
    assert_eq!(kind(&v, "[app 2/3]"), "definition");
    assert_eq!(step(&v, "[app 2/3]")["match"], "changed");
    assert!(text.contains("(it was: RUN echo two > /two)"), "{text}");
    assert_eq!(step(&v, "[stage-3 3/4]")["match"], "new");
    assert_eq!(kind(&v, "[stage-3 3/4]"), "definition");
    // The last step's instruction changed, but it stands on the new step, which ran.
    assert_eq!(step(&v, "[stage-3 4/4]")["match"], "changed");
    assert_eq!(kind(&v, "[stage-3 4/4]"), "follows");
    assert_eq!(kind(&v, "[app 3/3]"), "follows");
    assert_eq!(step(&v, "[app 1/3]")["after"]["state"], "cached");
    assert_eq!(roots(&v).len(), 2, "{:?}", roots(&v));
}

#[test]
fn an_unchanged_rebuild_is_all_cache_hits() {
    let (text, v) = compare(
        "ctxchange/rawjson-first.jsonl",
        "ctxchange/rawjson-cached.jsonl",
        &[],
    );
    assert!(roots(&v).is_empty());
    assert_eq!(v["after"]["executed"], 0);
    assert!(
        text.contains("nothing: every step was a cache hit"),
        "{text}"
    );
}

#[test]
fn the_race_passing_then_failing_says_who_took_the_cache_first_each_time() {
    for (before, after) in [
        ("race/rawjson-pass.jsonl", "race/rawjson-fail.jsonl"),
        (
            "records/race-pass.dockerbuild",
            "records/race-fail.dockerbuild",
        ),
    ] {
        let (text, v) = compare(before, after, &[]);
        assert!(
            text.contains(
                "[builder 2/3] took demo.mods.v1 first before, [stage-2 2/4] after — it flipped"
            ),
            "{text}"
        );
        let race = &v["races"][0];
        assert_eq!(race["flipped"], true);
        assert_eq!(v["before"]["outcome"], "succeeded");
        assert_eq!(v["after"]["outcome"], "failed");
        // Cold builds: the cache explains nothing.
        assert_eq!(kind(&v, "[builder 2/3]"), "no_cache");
    }
    // With records, each side's lock wait.
    let (text, _) = compare(
        "records/race-pass.dockerbuild",
        "records/race-fail.dockerbuild",
        &[],
    );
    assert!(
        text.contains("lock wait before: [stage-2 2/4] waited 3.09s"),
        "{text}"
    );
    assert!(
        text.contains("lock wait after: [builder 2/3] waited 0.24s"),
        "{text}"
    );
}

#[test]
fn bad_inputs_are_refused_with_a_message() {
    let good = fixture("race/rawjson-pass.jsonl");
    let out = run(&["compare", "-", "-"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only one side"), "{}", stderr(&out));
    let out = run(
        &["compare", good.to_str().unwrap(), "/nonexistent.jsonl"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent.jsonl: no such file"),
        "{}",
        stderr(&out)
    );
    // One side from standard input.
    let bytes = std::fs::read(fixture("race/rawjson-fail.jsonl")).unwrap();
    let out = run(&["compare", good.to_str().unwrap(), "-"], Some(&bytes));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("it flipped"));
}

#[test]
fn the_html_comparison_is_one_page_with_the_json_inside() {
    let (b, a) = (
        fixture("ctxchange/rawjson-first.jsonl"),
        fixture("ctxchange/rawjson-rebuild.jsonl"),
    );
    let dir = common::tmp_dir("compare-html");
    let page = dir.join("compare.html");
    let out = common::compare_html(&b, &a, &page);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<li class=\"root\">[app 1/2] COPY src/version /app/version — context"));
    // Each step's two runs drawn: a bar of the build before and one of the build after.
    assert!(
        html.contains("class=\"b\" style=\"left:") && html.contains("class=\"a\" style=\"left:")
    );
    let json = html
        .split("<script type=\"application/json\" id=\"compare\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .unwrap();
    let v: Value = serde_json::from_str(json).unwrap();
    assert_eq!(
        v["root_causes"][0],
        "[app 1/2] COPY src/version /app/version"
    );
}

#[test]
fn a_step_named_like_markup_stays_inside_the_html_comparisons_json() {
    let dir = common::tmp_dir("compare-html-script");
    let (b, a) = common::script_named_pair(&dir);
    let page = dir.join("compare.html");
    let out = common::compare_html(&b, &a, &page);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    let json = html
        .split("<script type=\"application/json\" id=\"compare\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .unwrap();
    // Inside a script element `<!--`, `<script` and `</script` change how HTML reads on: none of
    // them, nor any `<`, may be there; the JSON still says the name as it was.
    assert!(!json.contains('<'), "{json}");
    let v: Value = serde_json::from_str(json).unwrap();
    let names: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.contains(r#"echo "<!--<script>""#)),
        "{names:?}"
    );
    assert!(html.trim_end().ends_with("</body></html>"));
}
