//! The live screen, rendered into ratatui's TestBackend from real recordings and compared with
//! insta snapshots (tests/snapshots/). Colours are not in a snapshot's text, so the red is checked
//! on the buffer's cells.

mod common;

use buildx_gantt::chart::RowKind;
use buildx_gantt::dockerfile::Dockerfile;
use buildx_gantt::source;
use buildx_gantt::ui::app::{App, Mode, Replay};
use buildx_gantt::ui::keys::Action;
use buildx_gantt::ui::view;
use common::fixture;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;

/// A replay of `rel`, paused before its first event (`instant`: everything applied).
fn replay(rel: &str, instant: bool) -> App {
    let dockerfile = std::fs::read_to_string(fixture(rel).parent().unwrap().join("Dockerfile"))
        .ok()
        .map(|t| Dockerfile::parse(&t, &[]));
    // Through `saved::open`: a build record (`.dockerbuild`) reads as its stream.
    let (_, input) = buildx_gantt::source::saved::open(fixture(rel).to_str().unwrap()).unwrap();
    let events = source::read_events(input, dockerfile.as_ref()).unwrap();
    let mut r = Replay::new(if instant { 0.0 } else { 1.0 }, true);
    r.set_paused(true);
    let mut app = App::new(rel.to_string(), dockerfile, Mode::Replay(r));
    app.resize(120, 30);
    for e in events {
        app.push(e);
    }
    app.input_ended();
    app.tick(std::time::Instant::now());
    app.refresh();
    app
}

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.resize(w, h);
    app.invalidate();
    app.refresh();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut areas = None;
    t.draw(|f| areas = Some(view::render(app, f.area(), f.buffer_mut())))
        .unwrap();
    app.drawn(areas.unwrap());
    t
}

/// Steps the paused replay until a stage is seen running alongside its COPY --from source.
fn step_until_red(app: &mut App) {
    for _ in 0..10_000 {
        app.handle(Action::Step);
        app.refresh();
        // Two steps starting at the same instant overlap for 0 ns: nothing to see yet.
        if app.analysis.overlaps.iter().any(|o| o.duration > 0) {
            return;
        }
    }
    panic!("the red never showed");
}

/// The screen drawn at `w`×`h`, as text, a line a row.
fn screen_text(app: &mut App, w: u16, h: u16) -> String {
    let t = draw(app, w, h);
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| t.backend().buffer()[(x, y)].symbol().to_string())
                .collect::<String>()
                + "\n"
        })
        .collect()
}

/// The row of the screen whose text contains `needle`.
fn row_of(buf: &Buffer, needle: &str) -> u16 {
    (0..buf.area.height)
        .find(|&y| {
            let line: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            line.contains(needle)
        })
        .unwrap_or_else(|| panic!("no row with {needle}"))
}

fn red_cells(buf: &Buffer, y: u16) -> usize {
    (0..buf.area.width)
        .filter(|&x| buf[(x, y)].fg == Color::Red)
        .count()
}

#[test]
fn the_race_at_the_moment_the_red_first_shows() {
    let mut app = replay("race/rawjson-fail.jsonl", false);
    step_until_red(&mut app);
    let t = draw(&mut app, 120, 30);
    let buf = t.backend().buffer();
    // stage-2 is drawn red while builder is still running.
    let stage2 = row_of(buf, "▾ stage-2");
    assert!(red_cells(buf, stage2) > 0, "stage-2 is not red");
    let builder = row_of(buf, "▾ builder");
    assert_eq!(
        red_cells(buf, builder),
        0,
        "the source stage is not the one in red"
    );
    assert!(app
        .analysis
        .steps
        .iter()
        .any(|s| s.name().starts_with("[builder") && s.is_open()));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_race_final_screen_says_which_step_won() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    let t = draw(&mut app, 120, 30);
    let screen = t.backend().to_string();
    assert!(screen.contains(
        "race lost: [stage-2 2/4] read cache demo.mods.v1 before [builder 2/3] filled it"
    ));
    let buf = t.backend().buffer();
    assert!(red_cells(buf, row_of(buf, "1/4 RUN mkdir -p /app")) > 0);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_passing_race_still_shows_the_hazard_and_who_won() {
    let mut app = replay("race/rawjson-pass.jsonl", true);
    let t = draw(&mut app, 120, 30);
    let screen = t.backend().to_string();
    assert!(
        screen.contains("race won this time: [builder 2/3] filled"),
        "{screen}"
    );
    assert!(
        screen.contains("demo.mods.v1 before [stage-2 2/4] read it"),
        "{screen}"
    );
}

#[test]
fn the_details_pane_shows_the_failed_step_and_its_log() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    app.handle(Action::Bottom);
    app.handle(Action::Details);
    let t = draw(&mut app, 120, 36);
    let screen = t.backend().to_string();
    assert!(screen.contains("[stage-2 4/4] RUN test -e /app/a"));
    assert!(screen.contains("out│modules missing"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_log_scrolls_and_follows() {
    let mut app = replay("chatty/rawjson.jsonl", true);
    // Select the chatty step (the last row) and open its log.
    app.handle(Action::Bottom);
    app.handle(Action::Details);
    let screen = draw(&mut app, 100, 30).backend().to_string();
    assert!(screen.contains("following"), "{screen}");
    // stdout ends with 20000, the last stderr lines come after it.
    assert!(screen.contains("out│20000"), "{screen}");
    app.handle(Action::LogUp);
    let scrolled = draw(&mut app, 100, 30).backend().to_string();
    assert!(scrolled.contains("scrolled"), "{scrolled}");
    assert!(!scrolled.contains("out│20000"), "{scrolled}");
    app.handle(Action::LogFollow);
    let back = draw(&mut app, 100, 30).backend().to_string();
    assert!(back.contains("out│20000"));
}

#[test]
fn the_help_overlay_lists_every_key_at_80x24() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    app.handle(Action::Help);
    let t = draw(&mut app, 80, 24);
    let screen = t.backend().to_string();
    for b in buildx_gantt::ui::keys::BINDINGS {
        assert!(screen.contains(b.help), "help lacks {:?}", b.help);
    }
    insta::assert_snapshot!(t.backend());
    // Any other key closes it.
    app.handle(Action::Down);
    assert!(!app.help_open());
}

#[test]
fn a_failed_build_shows_failed_cancelled_and_never_started_steps() {
    let mut app = replay("fail/rawjson.jsonl", true);
    app.handle(Action::ToggleAll);
    let t = draw(&mut app, 120, 30);
    let screen = t.backend().to_string();
    assert!(screen.contains("replayed: FAILED"));
    assert!(screen.contains("cancelled"));
    assert!(screen.contains("never ran"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_race_at_80x24() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    let t = draw(&mut app, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn a_terminal_smaller_than_80x24_is_told_so() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    let screen = draw(&mut app, 60, 20).backend().to_string();
    assert!(screen.contains("at least 80×24"), "{screen}");
    assert!(screen.contains("60×20"), "{screen}");
}

#[test]
fn without_colour_the_race_is_marked_by_its_own_glyph() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    app.color = false;
    let t = draw(&mut app, 120, 30);
    let buf = t.backend().buffer();
    let y = row_of(buf, "▾ stage-2");
    let line: String = (0..120).map(|x| buf[(x, y)].symbol().to_string()).collect();
    assert!(line.contains("!!!"), "{line}");
    assert_eq!(red_cells(buf, y), 0);
}

#[test]
fn keys_expand_collapse_and_jump_between_hazards() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    let rows = app.rows.rows().len();
    app.handle(Action::ToggleAll); // all open (the internal group too)
    assert!(app.rows.rows().len() > rows);
    app.handle(Action::ToggleAll); // all closed
    assert!(app
        .rows
        .rows()
        .iter()
        .all(|r| !matches!(r.kind, RowKind::Step(_))));
    // n opens what it needs and lands on a step in a race or a hazard.
    app.handle(Action::NextHazard);
    let first = app.rows.selected();
    let RowKind::Step(id) = app.rows.rows()[first].kind else {
        panic!("n did not select a step")
    };
    assert!(app.hazard_steps().contains(&id));
    app.handle(Action::NextHazard);
    assert_ne!(app.rows.selected(), first);
    app.handle(Action::PrevHazard);
    assert_eq!(app.rows.selected(), first);
}

#[test]
fn zoom_pan_and_fit_move_the_time_axis() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    let fit = app.window();
    app.handle(Action::ZoomIn);
    let zoomed = app.window();
    assert!(zoomed.1 - zoomed.0 < fit.1 - fit.0);
    app.handle(Action::PanRight);
    let panned = app.window();
    assert!(panned.0 > zoomed.0);
    app.handle(Action::Fit);
    assert_eq!(app.window(), fit);
}

#[test]
fn replay_controls_pause_step_and_change_speed() {
    let mut app = replay("race/rawjson-fail.jsonl", false);
    let Mode::Replay(r) = &app.mode else { panic!() };
    assert!(r.paused());
    app.handle(Action::Step);
    let Mode::Replay(r) = &app.mode else { panic!() };
    let p1 = r.position();
    app.handle(Action::Step);
    let Mode::Replay(r) = &app.mode else { panic!() };
    assert!(r.position() > p1);
    app.handle(Action::Faster);
    let Mode::Replay(r) = &app.mode else { panic!() };
    assert_eq!(r.speed(), 2.0);
    app.handle(Action::Pause);
    let Mode::Replay(r) = &app.mode else { panic!() };
    assert!(!r.paused());
}

#[test]
fn the_mouse_selects_rows_and_scrolls() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = replay("race/rawjson-fail.jsonl", true);
    draw(&mut app, 120, 30);
    let at = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Row 2 of the screen is the first chart row; row 5 the fourth.
    app.handle_mouse(at(MouseEventKind::Down(MouseButton::Left), 5));
    assert_eq!(app.rows.selected(), 3);
    app.handle_mouse(at(MouseEventKind::ScrollDown, 5));
    assert_eq!(app.rows.selected(), 4);
    app.handle_mouse(at(MouseEventKind::ScrollUp, 5));
    assert_eq!(app.rows.selected(), 3);
    // A second click on a stage collapses it.
    let RowKind::Stage(_) = app.rows.rows()[3].kind else {
        panic!("row 3 is not a stage: {:?}", app.rows.rows()[3].key)
    };
    let before = app.rows.rows().len();
    app.handle_mouse(at(MouseEventKind::Down(MouseButton::Left), 5));
    assert!(app.rows.rows().len() < before);
}

#[test]
fn a_long_title_is_cut_before_the_mode_tag() {
    let mut app = replay("race/rawjson-fail.jsonl", true);
    app.title = Some("The race that fails: stage-2 reads the cache before builder fills it".into());
    let screen = draw(&mut app, 80, 24).backend().to_string();
    let first = screen.lines().next().unwrap();
    assert!(first.contains("bef…  REPLAY · end"), "{first}");
}

fn bold_red_cells(buf: &Buffer, y: u16) -> usize {
    use ratatui::style::Modifier;
    (0..buf.area.width)
        .filter(|&x| buf[(x, y)].fg == Color::Red && buf[(x, y)].modifier.contains(Modifier::BOLD))
        .count()
}

fn dim_red_cells(buf: &Buffer, y: u16) -> usize {
    use ratatui::style::Modifier;
    (0..buf.area.width)
        .filter(|&x| buf[(x, y)].fg == Color::Red && buf[(x, y)].modifier.contains(Modifier::DIM))
        .count()
}

#[test]
fn a_plain_log_replays_with_its_certain_overlap_in_red() {
    let mut app = replay("seed/bug.log", true);
    let t = draw(&mut app, 120, 40);
    let buf = t.backend().buffer().clone();
    insta::assert_snapshot!("plain_bug_log_final", t.backend());
    let stage = row_of(&buf, "▾ stage-1");
    assert!(bold_red_cells(&buf, stage) > 0, "certain overlap is red");
    assert_eq!(dim_red_cells(&buf, stage), 0);
    assert!(row_of(&buf, "plain: times estimated") == 0);
    assert!(row_of(&buf, "race lost: [stage-1 5/8]") > 0);
}

#[test]
fn a_possible_overlap_is_drawn_weaker() {
    // linkwarn/plain.log: stage-3's COPY --link steps may or may not have run alongside `other`.
    let mut app = replay("linkwarn/plain.log", true);
    let t = draw(&mut app, 120, 30);
    let buf = t.backend().buffer().clone();
    let o = &app.analysis.overlaps[0];
    assert_eq!(o.certainty, buildx_gantt::analysis::Certainty::Possible);
    let stage = row_of(&buf, "stage-3");
    assert!(
        dim_red_cells(&buf, stage) > 0,
        "possible overlap is dim red"
    );
    assert_eq!(bold_red_cells(&buf, stage), 0, "and not the certain red");
    // Without colour, its own glyph.
    app.color = false;
    let t = draw(&mut app, 120, 30);
    let buf = t.backend().buffer();
    let line: String = (0..120)
        .map(|x| buf[(x, stage)].symbol().to_string())
        .collect();
    assert!(line.contains('?'), "{line}");
}

#[test]
fn p_shows_one_platform_then_the_next_then_all() {
    let mut app = replay("multiplat/rawjson.jsonl", true);
    let stages = |app: &App| -> Vec<String> {
        app.rows
            .rows()
            .iter()
            .filter(|r| matches!(r.kind, RowKind::Stage(_)))
            .map(|r| r.label.clone())
            .collect()
    };
    let all = stages(&app);
    assert!(all.contains(&"builder · linux/386".to_string()), "{all:?}");
    app.handle(Action::Platform);
    let one = stages(&app);
    let screen = draw(&mut app, 120, 30).backend().to_string();
    assert!(screen.contains("only"), "the choice is said: {screen}");
    let first: Vec<&String> = one.iter().filter(|l| l.contains(" · ")).collect();
    let p = first[0].split(" · ").nth(1).unwrap().to_string();
    assert!(first.iter().all(|l| l.ends_with(&p)), "{one:?}");
    assert!(
        one.contains(&"base".to_string()),
        "shared stages stay: {one:?}"
    );
    app.handle(Action::Platform);
    let two = stages(&app);
    assert!(two
        .iter()
        .filter(|l| l.contains(" · "))
        .all(|l| !l.ends_with(&p)));
    app.handle(Action::Platform);
    assert_eq!(stages(&app), all);
}

#[test]
fn a_lock_wait_from_a_build_record_has_its_own_glyph_and_is_in_the_details() {
    let mut app = replay("records/race-pass.dockerbuild", true);
    let t = draw(&mut app, 120, 30);
    let rows: Vec<String> = (0..30)
        .map(|y| {
            (0..120)
                .map(|x| t.backend().buffer()[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    let row = |label: &str| {
        rows.iter()
            .find(|r| r.contains(label))
            .unwrap_or_else(|| panic!("no row {label}:\n{}", rows.join("\n")))
            .clone()
    };
    // [stage-2 2/4] waited 3.09 s for the lock: most of its bar is the wait glyph.
    let waiter = row("2/4 RUN --mount");
    assert!(waiter.matches('╌').count() > 10, "{waiter}");
    assert!(
        !row("2/3 RUN --mount").contains('╌'),
        "{}",
        row("2/3 RUN --mount")
    );
    // Its details say for what and for whom it waited.
    for _ in 0..4 {
        if app
            .selected_row()
            .is_some_and(|r| r.label.contains("2/4 RUN --mount"))
        {
            break;
        }
        app.handle(Action::NextHazard);
        app.refresh();
    }
    app.handle(Action::Details);
    let text = screen_text(&mut app, 160, 40);
    assert!(
        text.contains("╌ [stage-2 2/4] waited 3.09s for cache demo.mods.v1, held by [builder 2/3]"),
        "{text}"
    );
}

#[test]
fn a_stale_cache_has_its_marker_its_verdict_and_its_words_in_the_details() {
    let mut app = replay("stale/rawjson-stale.jsonl", true);
    let all = screen_text(&mut app, 120, 30);
    let rows: Vec<&str> = all.lines().collect();
    let reader = rows
        .iter()
        .find(|r| r.contains("4/6 RUN --mount"))
        .unwrap_or_else(|| panic!("{all}"));
    assert!(reader.starts_with('∅'), "{all}");
    // The status line says why the build failed.
    assert!(
        all.contains("∅ stale cache: [stage-2 4/6] read demo.mods.v1; [builder 2/4] was a cache hit — likely why [stage-2 6/6] failed"),
        "{all}"
    );
    // n goes to the reader; its details say what it read and why it was empty.
    app.handle(Action::NextHazard);
    app.refresh();
    assert!(
        app.selected_row()
            .is_some_and(|r| r.label.contains("4/6 RUN --mount")),
        "{all}"
    );
    app.handle(Action::Details);
    let text = screen_text(&mut app, 160, 40);
    assert!(
        text.contains("∅ read cache demo.mods.v1 while its writer [builder 2/4] did not run"),
        "{text}"
    );
    assert!(
        text.contains("then [stage-2 6/6] failed: likely the empty cache"),
        "{text}"
    );
}

#[test]
fn a_pull_under_way_shows_its_bytes_on_its_bar_in_the_status_line_and_details() {
    let mut app = replay("registry/pull-cold.jsonl", false);
    // Step the replay until the base's big layer is partly in.
    let pulling = |app: &App| {
        app.analysis.steps.iter().any(|s| {
            s.name().starts_with("[builder 1/4]")
                && s.moved(buildx_gantt::model::Transfer::Download)
                    .and_then(|p| p.fraction())
                    .is_some_and(|f| f > 0.2 && f < 0.8)
        })
    };
    for _ in 0..10_000 {
        if pulling(&app) {
            break;
        }
        app.handle(Action::Step);
        app.refresh();
    }
    assert!(pulling(&app), "the pull never got under way");
    for _ in 0..40 {
        if app
            .selected_row()
            .is_some_and(|r| r.label.contains("1/4 FROM"))
        {
            break;
        }
        app.handle(Action::Down);
        app.refresh();
    }
    app.handle(Action::Details);
    let text = screen_text(&mut app, 160, 40);
    // On its bar and in the status line: `↓ 8.4/24.0 MB 35%`; in the details, in words.
    let bar = text
        .lines()
        .find(|l| l.contains("1/4 FROM"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        bar.contains("↓ ") && bar.contains("/24.0 MB ") && bar.contains('%'),
        "{text}"
    );
    assert!(text.contains("· [builder 1/4] ↓ "), "{text}");
    assert!(
        text.contains("pulling 0 of 1 layer, ") && text.contains(" MB of 24.0 MB ("),
        "{text}"
    );
}
