//! Screen render tests: the App on a TestBackend, driven by key events like a
//! user, checked with insta snapshots at 80×24 and 160×48.

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use lathe::project::Project;
use lathe::tui::event::Event;
use lathe::tui::keymap::Keymap;
use lathe::tui::theme::{ColorDepth, Theme};
use lathe::tui::{App, Context};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

struct Harness {
    app: App,
    rx: Receiver<Event>,
    term: Terminal<TestBackend>,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// The app on a fresh copy of the sample project, first source loaded.
    fn new(w: u16, h: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = lathe::sample::ensure_sample_project(&dir.path().join("sample")).unwrap();
        let project = Project::open(&root).unwrap();
        let ctx = Context {
            theme: Theme::load("dark", None, ColorDepth::TrueColor).unwrap(),
            keymap: Keymap::load(None).unwrap(),
            dirs: None,
            project: Some(project),
            is_sample: false,
        };
        let (tx, rx) = channel();
        let mut app = App::new(ctx, tx);
        app.settle(&rx, Duration::from_secs(60));
        let term = Terminal::new(TestBackend::new(w, h)).unwrap();
        Self {
            app,
            rx,
            term,
            _dir: dir,
        }
    }

    fn press(&mut self, keys: &str) -> &mut Self {
        for c in keys.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
        self
    }

    fn key(&mut self, code: KeyCode, mods: KeyModifiers) -> &mut Self {
        self.app
            .handle(Event::Terminal(TermEvent::Key(KeyEvent::new(code, mods))));
        self.app.settle(&self.rx, Duration::from_secs(60));
        self
    }

    fn screen(&mut self) -> String {
        self.term.draw(|f| self.app.render(f)).unwrap();
        let buf = self.term.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }
}

#[test]
fn data_screen_opens_the_first_source_80x24() {
    let mut h = Harness::new(80, 24);
    let s = h.screen();
    assert!(s.contains("maintenance_reference.csv"), "{s}");
    assert!(s.contains("10000 rows × 15 columns"), "{s}");
    insta::assert_snapshot!("data_80x24", s);
}

#[test]
fn data_screen_column_profile_160x48() {
    let mut h = Harness::new(160, 48);
    // Select air_temp_k (the sixth column) and focus the column list.
    h.press("lllll");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    let s = h.screen();
    assert!(s.contains("air_temp_k float (f64)"), "{s}");
    assert!(s.contains("Checks · 70 passed, 0 failed"), "{s}");
    insta::assert_snapshot!("data_profile_160x48", s);
}

#[test]
fn sort_and_jump_move_the_view() {
    let mut h = Harness::new(120, 30);
    h.press("lllll").press("s").press("s");
    assert_eq!(h.app.data.sort, Some((5, true)));
    let top = h
        .app
        .data
        .frame()
        .unwrap()
        .column("air_temp_k")
        .unwrap()
        .get(0)
        .unwrap()
        .extract::<f64>()
        .unwrap();
    assert!(
        (top - 307.1).abs() < 1e-9,
        "descending sort puts the max first, got {top}"
    );
    h.press(":").press("1234");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.app.data.row, 1233);
    assert!(h.screen().contains("1234 "));
    h.press("G");
    assert_eq!(h.app.data.row, 9999);
    h.press("g");
    assert_eq!(h.app.data.row, 0);
}

#[test]
fn search_finds_the_next_matching_row() {
    let mut h = Harness::new(120, 30);
    h.press("/").press("aarhus");
    // While typing, single-key bindings are off: 'q' is text, not quit.
    h.press("q");
    assert!(!h.app.quit);
    h.key(KeyCode::Backspace, KeyModifiers::NONE);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let row = h.app.data.row;
    let df = h.app.data.frame().unwrap();
    let site = lathe::data::display::cell_text(df, 4, row);
    assert_eq!(site, "aarhus", "row {row}");
    let before = row;
    h.press("n");
    assert!(h.app.data.row > before);
    assert_eq!(
        lathe::data::display::cell_text(h.app.data.frame().unwrap(), 4, h.app.data.row),
        "aarhus"
    );
}

#[test]
fn help_overlay_lists_the_keymap_and_closes_with_esc() {
    let mut h = Harness::new(80, 24);
    h.press("?");
    let s = h.screen();
    assert!(s.contains("Keys"), "{s}");
    assert!(s.contains("q, Ctrl-c"), "{s}");
    assert!(s.contains("Alt-1, F1"), "{s}");
    insta::assert_snapshot!("help_80x24", s);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(!h.app.help);
    assert!(!h.screen().contains("Keys "));
}

#[test]
fn a_bad_file_shows_a_dialog_and_keeps_the_state() {
    let mut h = Harness::new(100, 30);
    let bad =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/ragged_rows.csv");
    h.press("jjj").press("ll");
    h.app.open(bad);
    h.app.settle(&h.rx, Duration::from_secs(30));
    let s = h.screen();
    assert!(s.contains("Cannot read the data"), "{s}");
    assert!(s.contains("ragged_rows.csv:4"), "{s}");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.dialog.is_none());
    assert!(!h.app.quit);
    // The file on screen, its profile and the selection are as they were.
    let s = h.screen();
    assert!(s.contains("maintenance_reference.csv"), "{s}");
    assert!(s.contains("Checks · 70 passed"), "{s}");
    assert_eq!((h.app.data.row, h.app.data.col), (3, 2));
    assert!(h.app.data.profile.is_some());
    h.press("q");
    assert!(h.app.quit);
}

#[test]
fn too_small_terminal_says_so() {
    let mut h = Harness::new(60, 20);
    let s = h.screen();
    assert!(s.contains("at least 80×24"), "{s}");
}

#[test]
fn file_picker_opens_a_source() {
    let mut h = Harness::new(100, 30);
    h.press("o");
    let s = h.screen();
    assert!(s.contains("Open:"), "{s}");
    assert!(s.contains("fresh-drift"), "{s}");
    // Sources come first, in lathe.toml's order: the fourth is fresh-drift.
    h.press("jjj");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.app.picker.is_none());
    assert!(h.screen().contains("maintenance_fresh_drift.csv"));
}

#[test]
fn set_type_reloads_the_column_as_categorical_and_keeps_the_place() {
    let mut h = Harness::new(120, 30);
    h.press("jj").press("l"); // row 3, column timestamp
    h.press("l"); // machine_id
    h.press("t");
    assert!(h.screen().contains("type of 'machine_id'"));
    // The field starts with the current type: clear it, then type the new one.
    for _ in 0..6 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.press("categorical");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let df = h.app.data.frame().unwrap();
    let ty = lathe::data::LogicalType::of(df.column("machine_id").unwrap().dtype());
    assert_eq!(ty, lathe::data::LogicalType::Categorical);
    assert_eq!((h.app.data.row, h.app.data.col), (2, 2));
    assert!(h.screen().contains("categorical"));
    // A type the values cannot take is refused in a dialog; the file stays as it was.
    h.press("t");
    for _ in 0..11 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.press("float");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.app.dialog.is_some(), "{}", h.screen());
    let df = h.app.data.frame().unwrap();
    let ty = lathe::data::LogicalType::of(df.column("machine_id").unwrap().dtype());
    assert_eq!(ty, lathe::data::LogicalType::Categorical);
}

#[test]
fn cancel_stops_a_running_load_and_keeps_the_screen() {
    let mut h = Harness::new(100, 30);
    let other = h.app.data.sources[3].1.clone();
    h.app.open(other);
    assert!(h.app.data.busy());
    // No settling: cancel while the job runs.
    h.app.handle(Event::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('x'),
        KeyModifiers::NONE,
    ))));
    assert!(!h.app.data.busy());
    h.app.settle(&h.rx, Duration::from_secs(30));
    let s = h.screen();
    assert!(s.contains("maintenance_reference.csv"), "{s}");
    assert!(s.contains("cancelled"), "{s}");
}

#[test]
fn mouse_wheel_scrolls_the_table() {
    use crossterm::event::{MouseEvent, MouseEventKind};
    let mut h = Harness::new(100, 30);
    let wheel = |kind| {
        Event::Terminal(TermEvent::Mouse(MouseEvent {
            kind,
            column: 10,
            row: 10,
            modifiers: KeyModifiers::NONE,
        }))
    };
    h.app.handle(wheel(MouseEventKind::ScrollDown));
    h.app.handle(wheel(MouseEventKind::ScrollDown));
    assert_eq!(h.app.data.row, 6);
    h.app.handle(wheel(MouseEventKind::ScrollUp));
    assert_eq!(h.app.data.row, 3);
}

#[test]
fn sort_and_search_wait_for_a_running_load() {
    let mut h = Harness::new(100, 30);
    let other = h.app.data.sources[2].1.clone();
    h.app.open(other);
    assert!(h.app.data.loading());
    // Keys pressed while the file loads must not cancel the load.
    for c in ['s', '/'] {
        h.app.handle(Event::Terminal(TermEvent::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))));
    }
    h.app.handle(Event::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('z'),
        KeyModifiers::NONE,
    ))));
    h.app.handle(Event::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    ))));
    h.app.settle(&h.rx, Duration::from_secs(60));
    assert!(h.app.data.profile.is_some(), "the profile still arrives");
    assert_eq!(h.app.data.sort, None);
    assert!(h.screen().contains("maintenance_fresh_stable.csv"));
}

#[test]
fn no_color_draws_without_colours_but_keeps_the_selection_visible() {
    use ratatui::style::{Color, Modifier};
    let mut h = Harness::new(100, 30);
    h.app.ctx.theme = Theme::load("dark", None, ColorDepth::None).unwrap();
    h.screen();
    let buf = h.term.backend().buffer().clone();
    let mut reversed = 0;
    for cell in buf.content() {
        assert!(matches!(cell.fg, Color::Reset), "{:?}", cell);
        assert!(matches!(cell.bg, Color::Reset), "{:?}", cell);
        if cell.modifier.contains(Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert!(reversed > 20, "the selected row is drawn reversed");
}

#[test]
fn the_wheel_scrolls_the_picker_when_it_is_open() {
    use crossterm::event::{MouseEvent, MouseEventKind};
    let mut h = Harness::new(100, 30);
    h.press("o");
    h.app.handle(Event::Terminal(TermEvent::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 10,
        row: 10,
        modifiers: KeyModifiers::NONE,
    })));
    assert_eq!(h.app.picker.as_ref().unwrap().selected, 1);
    assert_eq!(h.app.data.row, 0, "the table behind did not move");
}

#[test]
fn the_picker_lists_recent_projects_and_switches_to_one() {
    let mut h = Harness::new(100, 30);
    let other = tempfile::tempdir().unwrap();
    let root = other.path().join("plant");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(fixture_path("bad/good.csv"), root.join("good.csv")).unwrap();
    std::fs::write(
        root.join("lathe.toml"),
        "format_version = 1\nname = \"plant\"\n[[sources]]\nname = \"good\"\npath = \"good.csv\"\n",
    )
    .unwrap();
    h.app.recent.projects = vec![root.clone()];
    h.press("o");
    assert!(h.screen().contains("project"), "{}", h.screen());
    // The five sample sources come first, then the recent project.
    h.press("jjjjj");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.app.ctx.project.as_ref().unwrap().file.name, "plant");
    let s = h.screen();
    assert!(s.contains("project: plant"), "{s}");
    assert!(s.contains("good.csv"), "{s}");
}

fn fixture_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}
