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

pub struct Harness {
    pub app: App,
    rx: Receiver<Event>,
    term: Terminal<TestBackend>,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// The app on a fresh copy of the sample project, first source loaded.
    pub fn new(w: u16, h: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = lathe::sample::ensure_sample_project(&dir.path().join("sample")).unwrap();
        let project = Project::open(&root).unwrap();
        Self::on_project(project, dir, w, h)
    }

    /// The app on `project` (kept in `dir`), first source loaded.
    pub fn on_project(project: Project, dir: tempfile::TempDir, w: u16, h: u16) -> Self {
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

    pub fn press(&mut self, keys: &str) -> &mut Self {
        for c in keys.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
        self
    }

    pub fn key(&mut self, code: KeyCode, mods: KeyModifiers) -> &mut Self {
        self.app
            .handle(Event::Terminal(TermEvent::Key(KeyEvent::new(code, mods))));
        self.app.settle(&self.rx, Duration::from_secs(60));
        self
    }

    pub fn screen(&mut self) -> String {
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
    assert!(s.contains("E        export results"), "{s}");
    // At 80×24 the list does not fit: the border says so and j scrolls.
    assert!(s.contains("more"), "{s}");
    insta::assert_snapshot!("help_80x24", s);
    h.press("jjjjjjjjjjjjjjjjjjjj");
    let s = h.screen();
    assert!(s.contains("Alt-1–6 go to screen 1–6"), "{s}");
    assert!(s.contains("'1–6    go to screen 1–6"), "{s}");
    assert!(s.contains("scroll up and down"), "{s}");
    assert!(h.app.help, "scrolling keeps the help open");
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
    assert!(s.contains("Cannot use the data"), "{s}");
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

// ---- The Train screen ----

use lathe::train::record::RunStatus;
use lathe::tui::screens::Screen;
use lathe::tui::screens::train::{FoldState, Phase};

impl Harness {
    fn alt(&mut self, c: char) -> &mut Self {
        self.key(KeyCode::Char(c), KeyModifiers::ALT)
    }

    /// Open one of the sample's sources on the Data screen and wait for it.
    fn open_source(&mut self, name: &str) -> &mut Self {
        let path = self
            .app
            .data
            .sources
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone();
        self.app.open(path);
        self.app.settle(&self.rx, Duration::from_secs(60));
        self
    }

    /// On the Train form: tick exactly the algorithms in `ids`, with keys.
    fn tick_only(&mut self, ids: &[&str]) -> &mut Self {
        let algos: Vec<(&str, bool)> = self
            .app
            .train
            .form
            .algos
            .iter()
            .map(|a| (a.info.id, a.on))
            .collect();
        for (i, (id, on)) in algos.into_iter().enumerate() {
            if on != ids.contains(&id) {
                self.form_row(5 + i).press(" ");
            }
        }
        let ticked: Vec<&str> = self
            .app
            .train
            .form
            .algos
            .iter()
            .filter(|a| a.on)
            .map(|a| a.info.id)
            .collect();
        assert_eq!(ticked.len(), ids.len(), "{ticked:?}");
        self
    }

    /// Put the form's cursor on row `n` (0 target, 1 task, 2 folds, 3 seed, 4 jobs, 5… algorithms).
    fn form_row(&mut self, n: usize) -> &mut Self {
        self.press("g");
        for _ in 0..n {
            self.press("j");
        }
        assert_eq!(self.app.train.form.cursor, n);
        self
    }

    /// Type into the field under the cursor, replacing its text.
    fn type_field(&mut self, text: &str) -> &mut Self {
        self.key(KeyCode::Enter, KeyModifiers::NONE);
        assert!(self.app.train.typing());
        while !self.app.train.form.input.as_ref().unwrap().text.is_empty() {
            self.key(KeyCode::Backspace, KeyModifiers::NONE);
        }
        self.press(text);
        self.key(KeyCode::Enter, KeyModifiers::NONE)
    }

    /// A key handled at once, without waiting for running jobs.
    fn tap(&mut self, code: KeyCode) {
        self.app
            .handle(Event::Terminal(TermEvent::Key(KeyEvent::new(
                code,
                KeyModifiers::NONE,
            ))));
    }

    fn runs_on_disk(&self) -> usize {
        let root = &self.app.ctx.project.as_ref().unwrap().root;
        match std::fs::read_dir(root.join(".lathe/runs")) {
            Ok(d) => d
                .filter(|e| e.as_ref().unwrap().path().join("run.json").is_file())
                .count(),
            Err(_) => 0,
        }
    }
}

#[test]
fn train_form_on_breast_cancer_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_source("breast-cancer").alt('3');
    assert_eq!(h.app.screen, Screen::Train);
    let form = &h.app.train.form;
    // The target is found by its name; the task is inferred from its values.
    assert_eq!(form.target_name(), Some("diagnosis"));
    assert_eq!(form.effective_task(), lathe::train::Task::Classification);
    assert!(
        form.algos.iter().all(|a| a.on),
        "569 rows: the whole default set"
    );
    let s = h.screen();
    assert!(s.contains("3:Train"), "{s}");
    assert!(
        s.contains("breast_cancer.csv  569 rows × 31 columns"),
        "{s}"
    );
    assert!(s.contains("auto: classification"), "{s}");
    assert!(s.contains("[x] gaussian_nb"), "{s}");
    assert!(s.contains("7 × 5 folds = 35 jobs"), "{s}");
    insta::assert_snapshot!("train_form_80x24", s);
    // Every screen number is a screen now: 2 is Label.
    h.alt('2');
    assert_eq!(h.app.screen, Screen::Label);
    h.alt('1');
    assert!(h.screen().contains("Columns"));
}

#[test]
fn train_form_edits_grid_folds_and_jobs_with_keys() {
    let mut h = Harness::new(100, 30);
    h.open_source("breast-cancer").alt('3');
    // decision_tree is the second algorithm; its first hyperparameter is max_depth.
    h.form_row(6).type_field("3,5,8");
    let dt = &h.app.train.form.algos[1];
    assert_eq!(dt.info.id, "decision_tree");
    assert_eq!(dt.configs(), 3);
    assert!(h.screen().contains("try 3,5,8"));
    // A value the hyperparameter cannot take is refused in a dialog.
    h.type_field("3,deep");
    assert!(h.screen().contains("Cannot do that"));
    let body = &h.app.dialog.as_ref().unwrap().body;
    assert!(body.contains("wants a whole number, not 'deep'"), "{body}");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.train.form.algos[1].configs(), 3, "the grid is kept");
    h.form_row(2).press("lll");
    assert_eq!(h.app.train.form.folds, 8);
    h.form_row(4).press("ll");
    assert_eq!(h.app.train.form.jobs, Some(2));
    h.press("hh");
    assert_eq!(h.app.train.form.jobs, None);
    assert!(h.screen().contains("auto (every core)"));
}

#[test]
fn train_runs_a_small_search_and_fills_the_leaderboard() {
    let mut h = Harness::new(100, 30);
    h.open_source("breast-cancer").alt('3');
    h.tick_only(&["decision_tree", "gaussian_nb"]);
    h.form_row(2).press("hh");
    assert_eq!(h.app.train.form.folds, 3);
    // Start; the harness pumps events until the search ends.
    h.press("r");
    assert!(!h.app.train.busy());
    let study = h.app.train.study.as_ref().unwrap();
    assert_eq!(study.phase, Phase::Finished);
    assert_eq!((study.done, study.total), (6, 6));
    for c in &study.configs {
        let r = c.record.as_ref().unwrap();
        assert_eq!(r.status, RunStatus::Finished, "{}", c.algorithm);
        assert!(r.mean("f1_macro").unwrap() > 0.85, "{}", c.algorithm);
        assert!(c.folds.iter().all(|f| matches!(f, FoldState::Done(_))));
    }
    let id = study.id.clone().unwrap();
    let status = h.app.train.status.clone();
    assert!(
        status.starts_with(&format!("study {id}: 2 runs")),
        "{status}"
    );
    assert!(status.ends_with("stored in .lathe/runs"), "{status}");
    let s = h.screen();
    assert!(s.contains("Leaderboard · f1_macro"), "{s}");
    for col in [
        "Accuracy", "AUC", "Recall", "Prec.", "F1", "Kappa", "MCC", "TT",
    ] {
        assert!(s.contains(col), "{col}: {s}");
    }
    let board: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("Leaderboard"))
        .collect();
    assert!(board.iter().any(|l| l.contains("decision_tree *")), "{s}");
    assert!(board.iter().any(|l| l.contains("gaussian_nb *")), "{s}");
    assert!(s.contains(&id), "{s}");
    assert_eq!(h.runs_on_disk(), 2);
    // The form can change and start again: a new study beside the first.
    h.tick_only(&["gaussian_nb"]);
    h.press("r");
    let again = h.app.train.study.as_ref().unwrap();
    assert_eq!(again.configs.len(), 1);
    assert_ne!(again.id.as_deref(), Some(id.as_str()));
    assert_eq!(h.runs_on_disk(), 3);
}

#[test]
fn train_regression_on_a_text_target_shows_a_dialog_and_keeps_the_form() {
    let mut h = Harness::new(100, 30);
    h.alt('3');
    assert_eq!(h.app.train.form.target_name(), Some("failure"));
    h.form_row(0).type_field("machine_type");
    assert_eq!(h.app.train.form.target_name(), Some("machine_type"));
    h.form_row(1).press("ll");
    assert_eq!(h.app.train.form.task, Some(lathe::train::Task::Regression));
    h.press("r");
    let s = h.screen();
    assert!(s.contains("Cannot use the data"), "{s}");
    let body = &h.app.dialog.as_ref().unwrap().body;
    assert!(
        body.contains("is string but regression needs numbers"),
        "{body}"
    );
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.dialog.is_none());
    assert!(!h.app.quit);
    assert!(!h.app.train.busy());
    assert!(h.app.train.study.is_none());
    let form = &h.app.train.form;
    assert_eq!(form.target_name(), Some("machine_type"));
    assert_eq!(form.task, Some(lathe::train::Task::Regression));
    assert_eq!(form.cursor, 1);
    assert!(h.app.train.status.starts_with("error:"));
    h.press("q");
    assert!(h.app.quit);
}

#[test]
fn train_one_class_target_is_refused_and_the_last_study_stays() {
    let mut h = Harness::new(100, 30);
    h.open_source("breast-cancer").alt('3');
    h.tick_only(&["gaussian_nb"]);
    h.press("r");
    let first = h.app.train.study.as_ref().unwrap().id.clone().unwrap();
    // A file whose 'label' column has one value.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one_class.csv");
    let mut csv = String::from("x,z,label\n");
    for i in 0..40 {
        csv.push_str(&format!("{i},{},ok\n", i * 7 % 5));
    }
    std::fs::write(&path, csv).unwrap();
    h.app.open(path);
    h.app.settle(&h.rx, Duration::from_secs(30));
    h.app.handle(Event::Tick);
    assert_eq!(h.app.train.form.target_name(), Some("label"));
    h.press("r");
    let s = h.screen();
    assert!(s.contains("Cannot use the data"), "{s}");
    let body = &h.app.dialog.as_ref().unwrap().body;
    assert!(body.contains("has only one class (ok)"), "{body}");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.app.dialog.is_none());
    let study = h.app.train.study.as_ref().unwrap();
    assert_eq!(study.id.as_deref(), Some(first.as_str()));
    assert_eq!(study.phase, Phase::Finished);
    assert!(h.screen().contains("one_class.csv"));
}

#[test]
fn train_cancel_asks_first_then_stops_and_the_app_goes_on() {
    let mut h = Harness::new(100, 30);
    // The 10,000-row reference file: fits long enough to cancel.
    h.alt('3');
    h.tick_only(&["logistic_regression"]);
    h.form_row(5).type_field("0.1,1,10");
    assert_eq!(h.app.train.form.algos[0].configs(), 3);
    h.form_row(4).press("l");
    assert_eq!(h.app.train.form.jobs, Some(1));
    h.tap(KeyCode::Char('r'));
    assert!(h.app.train.busy());
    // Pump events until a fold runs.
    let end = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < end {
        if let Ok(e) = h.rx.recv_timeout(Duration::from_millis(20)) {
            h.app.handle(e);
        }
        let running = h.app.train.study.as_ref().is_some_and(|s| {
            s.configs
                .iter()
                .any(|c| c.folds.contains(&FoldState::Running))
        });
        if running {
            break;
        }
    }
    let s = h.screen();
    assert!(s.contains("Jobs · 3 × 5 folds · 1 threads"), "{s}");
    assert!(s.contains("▶"), "{s}");
    assert!(s.contains("0/15 jobs"), "{s}");
    // Esc asks; Esc again says no and the search goes on.
    h.tap(KeyCode::Esc);
    assert!(h.screen().contains("Stop training?"));
    h.tap(KeyCode::Esc);
    assert!(h.app.dialog.is_none());
    assert!(h.app.train.busy());
    // The screen answers keys while the search runs.
    h.tap(KeyCode::Char('k'));
    assert_eq!(h.app.train.form.cursor, 3);
    // Esc, then yes.
    h.tap(KeyCode::Esc);
    h.tap(KeyCode::Char('y'));
    assert!(h.app.train.stopping);
    h.app.settle(&h.rx, Duration::from_secs(120));
    assert!(!h.app.train.busy());
    let study = h.app.train.study.as_ref().unwrap();
    assert_eq!(study.phase, Phase::Cancelled);
    let statuses: Vec<RunStatus> = study
        .configs
        .iter()
        .filter_map(|c| c.record.as_ref().map(|r| r.status))
        .collect();
    assert!(statuses.contains(&RunStatus::Cancelled), "{statuses:?}");
    assert!(
        h.app.train.status.contains("cancelled"),
        "{}",
        h.app.train.status
    );
    let s = h.screen();
    assert!(s.contains("·"), "skipped folds are shown: {s}");
    // The app still works: another screen, back, and the form still answers.
    h.alt('1');
    assert!(h.screen().contains("maintenance_reference.csv"));
    h.alt('3').press("g");
    assert_eq!(h.app.train.form.cursor, 0);
    assert!(!h.app.quit);
}

#[test]
fn train_leaderboard_dims_a_failed_run_with_its_reason() {
    use lathe::train::search::SearchEvent;
    use lathe::tui::screens::train::{Plan, Study};
    let mut h = Harness::new(100, 30);
    h.alt('3');
    let mut study = Study::new(Plan {
        task: lathe::train::Task::Classification,
        metric: "f1_macro".into(),
        folds: 2,
        configs: vec![("svm", "c=1000000".into()), ("gaussian_nb", String::new())],
        threads: 1,
        warnings: Vec::new(),
    });
    for (config, fold, score) in [
        (0, 0, Err("the solver did not converge".to_owned())),
        (1, 0, Ok(0.9)),
        (1, 1, Ok(0.8)),
    ] {
        study.apply(SearchEvent::JobStarted { config, fold });
        study.apply(SearchEvent::JobFinished {
            config,
            fold,
            score,
            seconds: 0.1,
        });
    }
    assert_eq!((study.done, study.failed), (3, 1));
    // The running mean of the optimised metric ranks the runs; the failed one goes last.
    assert_eq!(study.ranking(), vec![1, 0]);
    h.app.train.study = Some(study);
    let s = h.screen();
    let row = |name: &str| {
        s.lines()
            .skip_while(|l| !l.contains("Leaderboard"))
            .position(|l| l.contains(name))
            .unwrap()
    };
    assert!(row("gaussian_nb") < row("svm"), "{s}");
    assert!(s.contains("failed: the solver did not converge"), "{s}");
    assert!(s.contains("0.8500"), "mean of the folds so far: {s}");
    assert!(s.contains("✗"), "{s}");
    // The failed row is drawn in the theme's dim colour.
    let buf = h.term.backend().buffer().clone();
    let y = (0..buf.area.height)
        .find(|&y| {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            line.contains("failed: the solver")
        })
        .unwrap();
    let x = (0..buf.area.width)
        .find(|&x| buf[(x, y)].symbol() == "f" && buf[(x + 1, y)].symbol() == "a")
        .unwrap();
    let dim = h.app.ctx.theme.style("dim").fg;
    assert_eq!(buf[(x, y)].fg, dim.unwrap());
}

#[test]
fn train_offers_to_drop_rows_without_a_target_and_trains_on_yes() {
    let mut h = Harness::new(100, 30);
    let root = h.app.ctx.project.as_ref().unwrap().root.clone();
    let path = root.join("partly_labelled.csv");
    let mut text = String::from("a,b,label\n");
    for i in 0..60 {
        let label = match i % 3 {
            0 => "",
            1 => "yes",
            _ => "no",
        };
        text.push_str(&format!("{},{},{label}\n", i % 7, (i * 5) % 11));
    }
    std::fs::write(&path, text).unwrap();
    h.app.open(path);
    h.app.settle(&h.rx, Duration::from_secs(60));
    h.alt('3');
    assert_eq!(h.app.train.form.target_name(), Some("label"));
    h.tick_only(&["gaussian_nb"]);
    h.form_row(2).press("hh");
    h.press("r");
    let s = h.screen();
    assert!(s.contains("Drop rows without a target?"), "{s}");
    assert!(s.contains("20 rows have no value"), "{s}");
    assert!(!h.app.train.busy(), "nothing starts before the answer");
    assert_eq!(h.runs_on_disk(), 0);
    h.press("y");
    let study = h.app.train.study.as_ref().unwrap();
    assert_eq!(study.phase, Phase::Finished);
    assert_eq!(h.runs_on_disk(), 1);
    // The runs were trained on the 40 labelled rows.
    let runs = root.join(".lathe/runs");
    // The run folder (the store also keeps its index file there).
    let run = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(rec["lineage"]["rows"], 40);
}

// ---- The Drift screen ----

impl Harness {
    /// The Drift screen with the default pair (reference vs fresh-drift) compared.
    fn drift_compared(w: u16, h: u16) -> Self {
        let mut h = Self::new(w, h);
        h.alt('6');
        assert_eq!(h.app.screen, Screen::Drift);
        let d = &h.app.drift;
        assert_eq!(d.sources[d.reference].name, "reference");
        assert_eq!(d.sources[d.current].name, "fresh-drift");
        h.press("r");
        assert!(!h.app.drift.busy());
        assert!(h.app.dialog.is_none());
        assert!(h.app.drift.outcome.is_some());
        h
    }

    fn project_root(&self) -> std::path::PathBuf {
        self.app.ctx.project.as_ref().unwrap().root.clone()
    }
}

#[test]
fn drift_reference_vs_fresh_drift_80x24() {
    let mut h = Harness::drift_compared(80, 24);
    let s = h.screen();
    assert!(s.contains("6:Drift"), "{s}");
    assert!(
        s.contains("reference → fresh-drift · 10000 → 3000 rows"),
        "{s}"
    );
    assert!(s.contains("not checked: timestamp"), "{s}");
    assert!(s.contains("ignored (drift.toml): reading_id"), "{s}");
    insta::assert_snapshot!("drift_80x24", s);
}

#[test]
fn drift_puts_the_four_drifted_sensors_on_top_marked_as_drift() {
    let mut h = Harness::drift_compared(100, 30);
    let report = &h.app.drift.outcome.as_ref().unwrap().report;
    let mut top: Vec<String> = report.columns[..4].iter().map(|c| c.name.clone()).collect();
    assert!(report.columns[..4].iter().all(|c| c.drifted));
    assert!(report.columns[4..].iter().all(|c| !c.drifted));
    // The selection (the top row at first) is drawn in its own colours: move it off.
    h.press("G");
    let s = h.screen();
    assert!(
        s.contains("Drift detected in 4 of 13 columns (31 %)"),
        "{s}"
    );
    assert!(s.contains("dataset drift: yes"), "{s}");
    // The table's first four rows, in the report's order, say DRIFT in the error role.
    let lines: Vec<&str> = s.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("column") && l.contains("verdict"))
        .unwrap();
    let error = h.app.ctx.theme.style("status.error").fg;
    for (i, name) in top.iter().enumerate() {
        let y = header + 1 + i;
        let line = lines[y];
        assert!(
            line.contains(name.as_str()) && line.contains("DRIFT"),
            "{line}"
        );
        let x = line.split("DRIFT").next().unwrap().chars().count();
        let cell = &h.term.backend().buffer()[(x as u16, y as u16)];
        assert_eq!(cell.symbol(), "D");
        assert_eq!(
            cell.fg,
            error.unwrap(),
            "DRIFT of {name} in the error colour"
        );
    }
    assert!(
        !lines[header + 5].contains("DRIFT"),
        "{}",
        lines[header + 5]
    );
    assert!(lines[header + 5].contains(" ok "), "{}", lines[header + 5]);
    top.sort();
    assert_eq!(
        top,
        [
            "air_temp_k",
            "oil_viscosity_cst",
            "process_temp_k",
            "vibration_rms"
        ]
    );
}

#[test]
fn drift_160x48_shows_the_selected_columns_charts_beside_the_table() {
    let mut h = Harness::drift_compared(160, 48);
    let s = h.screen();
    // The most drifted column is selected: its histograms and ECDFs are drawn.
    assert!(s.contains("air_temp_k · numeric"), "{s}");
    assert!(s.contains("wasserstein score 1.4746 ≥ 0.1 → drift"), "{s}");
    assert!(s.contains("histograms · ━ reference  ━ current"), "{s}");
    assert!(
        s.contains("ECDFs · ━ reference  ━ current · largest gap"),
        "{s}"
    );
    assert!(s.contains("dataset drift: yes (at a share of 0.25)"), "{s}");
    insta::assert_snapshot!("drift_160x48", s);
    // Down selects the next column and its charts follow.
    h.press("j");
    let s = h.screen();
    assert!(s.contains("process_temp_k · numeric"), "{s}");
    // The last column is categorical: its shares side by side, per category.
    h.press("G");
    let s = h.screen();
    assert!(s.contains("machine_type · categorical"), "{s}");
    assert!(s.contains("Δ pt"), "{s}");
    let row = s.lines().find(|l| l.contains("│L  ")).unwrap();
    assert!(row.contains("49.4%") && row.contains("49.7%"), "{row}");
}

#[test]
fn drift_enter_shows_a_columns_charts_full_size_at_80x24() {
    let mut h = Harness::drift_compared(80, 24);
    assert!(!h.screen().contains("ECDFs"));
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let s = h.screen();
    assert!(s.contains("air_temp_k · numeric"), "{s}");
    assert!(s.contains("histograms"), "{s}");
    assert!(s.contains("ECDFs"), "{s}");
    assert!(!s.contains("verdict"), "the table makes room: {s}");
    assert!(s.contains("Esc: back to the table"), "{s}");
    // Moving on while zoomed shows the next column's charts.
    h.press("j");
    assert!(h.screen().contains("process_temp_k · numeric"));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    let s = h.screen();
    assert!(s.contains("verdict"), "{s}");
    assert_eq!(h.app.drift.row, 1);
}

#[test]
fn drift_export_writes_an_html_report_with_svg_charts() {
    let mut h = Harness::drift_compared(120, 30);
    h.press("E");
    assert!(h.app.dialog.is_none());
    let root = h.project_root();
    let html = std::fs::read_to_string(root.join("drift-report.html")).unwrap();
    assert!(html.contains("<svg"), "inline charts");
    assert!(html.contains("Drift detected in 4 of 13 columns"));
    let count = |ext: &str| {
        std::fs::read_dir(root.join("drift-charts"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == ext)
            .count()
    };
    assert_eq!((count("svg"), count("png")), (13, 13));
    let s = h.screen();
    assert!(s.contains("report written to"), "{s}");
    assert!(s.contains("drift-report.html"), "{s}");
}

#[test]
fn drift_bad_pairing_shows_a_dialog_and_keeps_the_last_result() {
    let mut h = Harness::new(100, 30);
    // A batch with the columns but no rows, as a source of the project.
    let root = h.project_root();
    let header = std::fs::read_to_string(root.join("maintenance_reference.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(root.join("empty.csv"), header + "\n").unwrap();
    let mut toml = std::fs::read_to_string(root.join("lathe.toml")).unwrap();
    toml.push_str("\n[[sources]]\nname = \"empty-batch\"\npath = \"empty.csv\"\n");
    std::fs::write(root.join("lathe.toml"), toml).unwrap();
    h.app.switch_project(Project::open(&root).unwrap());
    h.app.settle(&h.rx, Duration::from_secs(60));
    h.alt('6').press("r");
    assert_eq!(h.app.drift.outcome.as_ref().unwrap().report.n_drifted, 4);

    // Current → fresh-drift, breast-cancer, empty-batch.
    h.press("cc");
    let d = &h.app.drift;
    assert_eq!(d.sources[d.current].name, "empty-batch");
    assert!(
        h.screen()
            .contains("r: compare this pair · shown: reference → fresh-drift")
    );
    h.press("r");
    let dialog = h.app.dialog.as_ref().expect("a dialog");
    assert!(dialog.error);
    assert!(dialog.body.contains("no rows"), "{}", dialog.body);
    assert!(dialog.body.contains("empty.csv"), "{}", dialog.body);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.dialog.is_none());
    let s = h.screen();
    assert!(s.contains("reference → fresh-drift"), "{s}");
    assert!(s.contains("Drift detected in 4 of 13 columns"), "{s}");
    assert_eq!(
        h.app.drift.outcome.as_ref().unwrap().current.name,
        "fresh-drift"
    );

    // A comparison cancelled at once leaves the result as it was, too.
    h.press("b"); // reference → unlabelled
    h.tap(KeyCode::Char('r'));
    assert!(h.app.drift.busy());
    h.tap(KeyCode::Char('x'));
    assert!(!h.app.drift.busy());
    h.app.settle(&h.rx, Duration::from_secs(30));
    assert!(h.app.dialog.is_none());
    assert!(h.screen().contains("comparison cancelled"));
    let o = h.app.drift.outcome.as_ref().unwrap();
    assert_eq!(
        (o.reference.name.as_str(), o.report.n_drifted),
        ("reference", 4)
    );
}

// ---- The Experiments screen ----

use lathe::experiments::Store;

/// Fixed run ids (valid ULIDs), so that screens are the same from run to run.
const FIXED_IDS: [&str; 4] = [
    "01KAAAAAA1AAAAAAAAAAAAAAAA",
    "01KAAAAAA2AAAAAAAAAAAAAAAA",
    "01KAAAAAA3AAAAAAAAAAAAAAAA",
    "01KAAAAAA4AAAAAAAAAAAAAAAA",
];

impl Harness {
    /// Four runs on the breast cancer data (logistic regression with C = 0.01,
    /// 1, 100 and naive Bayes, 3 folds), stored under fixed ids and started
    /// three days ago, then the Experiments screen.
    fn experiments(w: u16, h: u16) -> Self {
        let mut h = Self::new(w, h);
        let root = h.project_root();
        let out = std::process::Command::new(crate::common::bin_path())
            .env("LATHE_CONFIG_DIR", root.join(".config-test"))
            .env("LATHE_DATA_DIR", root.join(".data-test"))
            .current_dir(&root)
            .args([
                "train",
                "--data",
                "breast_cancer.csv",
                "--target",
                "diagnosis",
                "--folds",
                "3",
                "--algorithms",
                "logistic_regression,gaussian_nb",
                "--grid",
                "logistic_regression.c=0.01,1,100",
                "--json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let store = Store::at(&root.join(".lathe"));
        let started = lathe::train::record::rfc3339(
            std::time::SystemTime::now() - Duration::from_secs(3 * 86_400 - 3600),
        );
        for (run, fixed) in doc["runs"].as_array().unwrap().iter().zip(FIXED_IDS) {
            let id = run["run_id"].as_str().unwrap();
            let mut rec = store.read_run(id).unwrap();
            rec.run_id = fixed.to_owned();
            rec.study_id = "01KAAAAAAAAAAAAAAAAAAAAAA0".to_owned();
            rec.started = started.clone();
            rec.lineage.host = "host".into();
            store.create_run(&rec, None).unwrap();
            std::fs::remove_dir_all(store.run_dir(id)).unwrap();
        }
        h.alt('4');
        assert_eq!(h.app.screen, Screen::Experiments);
        assert_eq!(h.app.experiments.board.rows.len(), 4);
        h
    }

    fn enter(&mut self) -> &mut Self {
        self.key(KeyCode::Enter, KeyModifiers::NONE)
    }

    fn curation(&self) -> lathe::experiments::Curation {
        Store::at(&self.project_root().join(".lathe"))
            .curation()
            .unwrap()
    }
}

#[test]
fn experiments_leaderboard_80x24() {
    let mut h = Harness::experiments(80, 24);
    let s = h.screen();
    assert!(s.contains("4:Experiments"), "{s}");
    assert!(s.contains("4 runs · 4 shown"), "{s}");
    assert!(s.contains("01KAAAAAA1AA"), "{s}");
    insta::assert_snapshot!("experiments_80x24", s);
}

#[test]
fn experiments_sort_by_a_metric_column_and_filter_with_a_query() {
    let mut h = Harness::experiments(120, 32);
    // The cursor starts on Age; F1 is the seventh column (Age, Algorithm, Accuracy, AUC, Recall, Prec., F1).
    for _ in 0..6 {
        h.key(KeyCode::Right, KeyModifiers::NONE);
    }
    h.press("s");
    let e = &h.app.experiments;
    assert_eq!(
        e.sort,
        lathe::experiments::leaderboard::SortKey::Metric("f1_macro".into())
    );
    assert!(e.descending, "a greater-is-better metric sorts best first");
    let col = e
        .board
        .metrics
        .iter()
        .position(|m| m == "f1_macro")
        .unwrap();
    let f1: Vec<f64> = e
        .view
        .iter()
        .map(|&i| e.board.rows[i].metrics[col].unwrap().mean)
        .collect();
    assert!(f1.windows(2).all(|w| w[0] >= w[1]), "{f1:?}");
    let s = h.screen();
    assert!(s.contains("sort f1_macro ↓"), "{s}");
    // Again: ascending.
    h.press("s");
    assert!(!h.app.experiments.descending);
    // A filter query: only the logistic regressions.
    h.press("/algo:logistic_regression");
    h.enter();
    assert_eq!(h.app.experiments.view.len(), 3);
    let s = h.screen();
    assert!(s.contains("filter: algorithm:logistic_regression"), "{s}");
    assert!(!s.contains("gaussian_nb"), "{s}");
    // A bad query says why and keeps the view.
    h.press("/status:weird");
    h.enter();
    assert!(h.app.dialog.is_some());
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.experiments.view.len(), 3);
    // Esc clears the filter.
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.experiments.view.len(), 4);
}

#[test]
fn experiments_compare_marked_runs_shows_only_what_differs() {
    let mut h = Harness::experiments(120, 32);
    // Sort by algorithm (naive Bayes first), then mark two logistic regressions.
    h.key(KeyCode::Right, KeyModifiers::NONE).press("sg");
    assert_eq!(
        h.app.experiments.selected().unwrap().algorithm,
        "gaussian_nb"
    );
    h.press("gj  ");
    assert_eq!(h.app.experiments.marked.len(), 2);
    h.enter();
    let v = h.app.experiments.compare.as_ref().expect("compare view");
    let differing: Vec<String> = v
        .cmp
        .visible_fields(false)
        .map(|f| format!("{}.{}", f.group, f.name))
        .collect();
    assert_eq!(differing, vec!["params.c"]);
    let s = h.screen();
    assert!(s.contains("Settings that differ (1 of"), "{s}");
    insta::assert_snapshot!("experiments_compare_settings_120x32", s);
    // v shows every setting.
    h.press("v");
    let s = h.screen();
    assert!(s.contains("All ") && s.contains("data.fingerprint"), "{s}");
    // Tab: the metrics with deltas and the (v/ /*) counts.
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    let s = h.screen();
    assert!(s.contains("(v/ /*)"), "{s}");
    assert!(s.contains("f1_macro ↑"), "{s}");
    insta::assert_snapshot!("experiments_compare_metrics_120x32", s);
    // → and b: the second run becomes the base.
    h.key(KeyCode::Right, KeyModifiers::NONE).press("b");
    assert_eq!(h.app.experiments.compare.as_ref().unwrap().cmp.base, 1);
    // The other sections draw.
    for section in ["Per-fold scores", "Confusion matrices", "Curves"] {
        h.key(KeyCode::Tab, KeyModifiers::NONE);
        let s = h.screen();
        assert!(s.contains(section), "{section}: {s}");
    }
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.experiments.compare.is_none());
}

#[test]
fn experiments_tag_alias_delete_and_undo_with_keys() {
    let mut h = Harness::experiments(120, 32);
    let first = h.app.experiments.selected().unwrap().run_id.clone();
    h.press("Tbaseline v1");
    h.enter();
    let tags: Vec<String> = h.curation().runs[&first].tags.iter().cloned().collect();
    assert_eq!(tags, vec!["baseline", "v1"]);
    h.press("T-v1");
    h.enter();
    assert_eq!(h.curation().runs[&first].tags.len(), 1);
    h.press("Achampion");
    h.enter();
    assert_eq!(h.curation().aliases["champion"], first);
    let s = h.screen();
    assert!(s.contains("@champion"), "{s}");
    // Delete asks first; yes moves the run to the trash; u brings it back.
    h.press("D");
    assert!(
        h.app
            .dialog
            .as_ref()
            .is_some_and(|d| d.title == "Delete runs?")
    );
    h.press("y");
    assert_eq!(h.app.experiments.board.rows.len(), 3);
    assert!(!h.project_root().join(".lathe/runs").join(&first).exists());
    h.press("u");
    assert_eq!(h.app.experiments.board.rows.len(), 4);
    assert!(h.project_root().join(".lathe/runs").join(&first).exists());
    // Archive hides the run; u unarchives it.
    h.press("a");
    assert_eq!(h.app.experiments.view.len(), 3);
    h.press("u");
    assert_eq!(h.app.experiments.view.len(), 4);
}

#[test]
fn experiments_show_a_damaged_run_folder_and_keep_going() {
    let mut h = Harness::experiments(120, 32);
    let runs = h.project_root().join(".lathe/runs");
    std::fs::create_dir_all(runs.join("01KAAAAAA9AAAAAAAAAAAAAAAA")).unwrap();
    std::fs::write(runs.join("01KAAAAAA9AAAAAAAAAAAAAAAA/run.json"), "{ broken").unwrap();
    h.press("r");
    assert!(h.app.dialog.is_none());
    assert_eq!(h.app.experiments.damaged, 1);
    let s = h.screen();
    assert!(s.contains("1 damaged"), "{s}");
    assert!(s.contains("damaged"), "{s}");
}

// ---- The Bundles screen ----

#[test]
fn bundles_screen_lists_a_verified_bundle_and_explains_an_export_it_cannot_do() {
    let mut h = Harness::new(100, 30);
    h.alt('5');
    assert_eq!(h.app.screen, Screen::Bundles);
    let s = h.screen();
    assert!(s.contains("No bundles yet"), "{s}");
    // E with no run selected and no champion: a dialog that says what to do.
    h.press("E");
    let d = h.app.dialog.as_ref().expect("a dialog");
    assert!(d.body.contains("champion"), "{}", d.body);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    // A bundle exported with the CLI shows up, verified.
    let root = h.project_root();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::common::bin_path())
            .env("LATHE_CONFIG_DIR", root.join(".config-test"))
            .env("LATHE_DATA_DIR", root.join(".data-test"))
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let out = run(&[
        "train",
        "--data",
        "breast_cancer.csv",
        "--target",
        "diagnosis",
        "--folds",
        "3",
        "--algorithms",
        "gaussian_nb",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = doc["runs"][0]["run_id"].as_str().unwrap().to_owned();
    run(&["bundle", "export", &id]);
    h.press("r");
    let s = h.screen();
    assert!(s.contains("predictive-maintenance"), "{s}");
    assert!(s.contains("0.1.0") && s.contains(" ok "), "{s}");
    assert!(s.contains("gaussian_nb predicting 'diagnosis'"), "{s}");
    assert!(h.app.bundles.bundles[0].problems.is_empty());
}
