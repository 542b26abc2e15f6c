//! The Label screen driven by keys (TestBackend + insta), and the real
//! binary killed with SIGKILL in the middle of a burst of labels.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyModifiers};
use lathe::label::LabelChoice;
use lathe::label::expr::Filter;
use lathe::project::Project;

use crate::tui::Harness;

fn label_screen(w: u16, h: u16) -> Harness {
    let mut h = Harness::new(w, h);
    h.key(KeyCode::Char('2'), KeyModifiers::ALT);
    assert!(
        h.app.label.session.is_some(),
        "status: {}",
        h.app.label.status
    );
    h
}

fn type_text(h: &mut Harness, text: &str) {
    h.press(text);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
}

#[test]
fn label_card_80x24_labels_with_a_class_key_and_undoes() {
    let mut h = label_screen(80, 24);
    let s = h.screen();
    assert!(s.contains("Row 1 of 2000"), "{s}");
    assert!(s.contains("reading_id"), "{s}");
    assert!(s.contains("0 / 2000 labelled"), "{s}");
    insta::assert_snapshot!("label_80x24", s);
    h.press("2");
    let s = h.screen();
    assert!(s.contains("row 1 → '1' saved"), "{s}");
    assert!(s.contains("1 / 2000 labelled"), "{s}");
    assert!(s.contains("Row 2 of 2000"), "the next card: {s}");
    // The journal has it (fsynced before the card said saved).
    let journal = h
        .app
        .label
        .session
        .as_ref()
        .unwrap()
        .journal
        .path()
        .to_owned();
    assert!(
        std::fs::read_to_string(&journal)
            .unwrap()
            .contains(r#""key":"200001","label":"1""#)
    );
    h.press("u");
    let s = h.screen();
    assert!(s.contains("0 / 2000 labelled"), "{s}");
    assert!(
        s.contains("Row 1 of 2000"),
        "undo goes back to the card: {s}"
    );
    // A key with no class says so and keeps the card.
    h.press("7");
    let s = h.screen();
    assert!(s.contains("key 7 has no class"), "{s}");
    assert_eq!(h.app.label.session.as_ref().unwrap().labelled(), 0);
}

#[test]
fn label_bulk_by_expression_asks_then_labels_and_undoes() {
    let mut h = label_screen(100, 30);
    let expr = "vibration_rms > 4.5 and machine_type == \"L\"";
    let want = {
        let s = h.app.label.session.as_ref().unwrap();
        Filter::new(expr, &s.frame)
            .unwrap()
            .rows(&s.frame)
            .unwrap()
            .len()
    };
    h.press("B");
    type_text(&mut h, expr);
    let s = h.screen();
    assert!(s.contains(&format!("{want} rows match")), "{s}");
    assert_eq!(
        h.app.label.session.as_ref().unwrap().labelled(),
        0,
        "nothing before the yes"
    );
    h.press("2");
    assert!(h.screen().contains("label them '1'?"));
    h.press("y");
    let s = h.screen();
    assert!(s.contains(&format!("labelled {want} row(s) '1'")), "{s}");
    assert_eq!(h.app.label.session.as_ref().unwrap().labelled(), want);
    h.press("u");
    assert_eq!(h.app.label.session.as_ref().unwrap().labelled(), 0);
    // Esc cancels a pending bulk action.
    h.press("B");
    type_text(&mut h, "vibration_rms > 1");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.label.bulk.is_none());
    assert_eq!(h.app.label.session.as_ref().unwrap().labelled(), 0);
}

#[test]
fn label_bad_expression_shows_a_dialog_and_keeps_the_labels() {
    let mut h = label_screen(100, 30);
    h.press("1");
    h.press("B");
    type_text(&mut h, "vibration > 1");
    let s = h.screen();
    assert!(h.app.dialog.is_some(), "{s}");
    assert!(s.contains("no column 'vibration'"), "{s}");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.label.session.as_ref().unwrap().labelled(), 1);
    assert!(h.screen().contains("Row 2 of 2000"));
}

#[test]
fn label_uncertain_order_shows_the_least_confident_row_with_its_proposal() {
    let mut h = label_screen(120, 36);
    for (expr, key) in [("vibration_rms > 5", "2"), ("vibration_rms < 2", "1")] {
        h.press("B");
        type_text(&mut h, expr);
        h.press(key);
        h.press("y");
    }
    // The model refits in the background after the labels (settle waits for it).
    let p = h.app.label.suggestions.clone().expect("a fitted model");
    h.press("mm");
    assert_eq!(h.app.label.order, lathe::label::Order::Uncertain);
    let s = h.app.label.session.as_ref().unwrap();
    let row = h.app.label.row().unwrap();
    assert!(!s.is_labelled(row));
    let least = (0..s.rows())
        .filter(|&r| !s.is_labelled(r))
        .map(|r| p.confidence[r])
        .fold(f32::INFINITY, f32::min);
    assert_eq!(p.confidence[row], least);
    let proposed = s.set.classes[p.class[row] as usize].clone();
    let screen = h.screen();
    assert!(screen.contains("model: "), "{screen}");
    assert!(screen.contains("most uncertain first"), "{screen}");
    // Enter accepts the proposal.
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let s = h.app.label.session.as_ref().unwrap();
    assert_eq!(s.label(row), Some(proposed.as_str()));
}

#[test]
fn label_setup_changes_the_classes_and_the_keys_follow() {
    let mut h = label_screen(100, 30);
    h.press("3");
    assert!(h.screen().contains("key 3 has no class"));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.press("C");
    assert!(
        h.screen().contains("failure: 0, 1"),
        "the field starts with the current setup"
    );
    h.press(", 2");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let s = h.app.label.session.as_ref().unwrap();
    assert_eq!(s.set.classes, vec!["0", "1", "2"]);
    h.press("3");
    let s = h.app.label.session.as_ref().unwrap();
    assert_eq!(s.label(0), Some("2"));
    // Saved for the next time: the label set file has the classes.
    let p = h.app.ctx.project.as_ref().unwrap();
    let set = std::fs::read_to_string(p.state_dir().join("labels/unlabelled.toml")).unwrap();
    assert!(set.contains(r#"classes = ["0", "1", "2"]"#), "{set}");
    // Another label column for the same data is refused, and the session stays.
    h.press("C");
    for _ in 0..20 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.press("site");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.screen().contains("labelled in column 'failure'"));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.app.label.session.as_ref().unwrap().labelled(), 1);
}

#[test]
fn label_help_lists_the_screens_keys() {
    let mut h = label_screen(160, 48);
    h.press("?");
    let s = h.screen();
    assert!(s.contains("Label: class key"), "{s}");
    assert!(s.contains("Label: skip this row"), "{s}");
    assert!(s.contains("Label: bulk label"), "{s}");
}

/// Kill lathe with SIGKILL in the middle of a burst of labels: every label
/// the screen showed as saved is in the journal after a restart.
///
/// In file order key press `i` labels row `i + 1` (each label moves to the
/// next unlabelled row), so the screen's "row N → 'x' saved" is matched
/// exactly against what that press asked for: a read in the middle of a
/// redraw cannot pass for a save the app did not draw.
#[cfg(unix)]
#[test]
fn sigkill_mid_burst_loses_no_label_shown_as_saved() {
    let mut s = crate::pty::Session::start();
    s.keys(b"\x1b2");
    s.wait_for("Row 1 of 2000");
    let label = |i: usize| {
        if i.is_multiple_of(3) {
            ("1", "0")
        } else {
            ("2", "1")
        }
    };
    let saved_text = |i: usize| format!("row {} → '{}' saved", i + 1, label(i).1);
    let mut shown: BTreeMap<u64, String> = BTreeMap::new();
    // At a person's pace: each press waits until its save is on screen.
    for i in 0..15 {
        s.send(label(i).0.as_bytes());
        let end = Instant::now() + Duration::from_secs(20);
        while !s.text().contains(&saved_text(i)) {
            assert!(Instant::now() < end, "press {i} never showed as saved");
            std::thread::sleep(Duration::from_millis(5));
        }
        shown.insert(i as u64 + 1, label(i).1.to_owned());
    }
    // Then a burst, killed while it is being handled.
    for i in 15..60 {
        s.send(label(i).0.as_bytes());
    }
    std::thread::sleep(Duration::from_millis(30));
    let pid = s.child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(100));
    let last = s.text();
    for i in 15..60 {
        if last.contains(&saved_text(i)) {
            shown.insert(i as u64 + 1, label(i).1.to_owned());
        }
    }
    let project = Project::open(&s.root()).unwrap();
    let frame = lathe::data::load(
        &s.root().join("maintenance_unlabelled.csv"),
        &Default::default(),
    )
    .unwrap()
    .frame;
    let l = lathe::label::Labeling::open(&project, &LabelChoice::default(), frame).unwrap();
    for (row, label) in &shown {
        assert_eq!(
            l.label(*row as usize - 1),
            Some(label.as_str()),
            "row {row} was shown as saved"
        );
    }
}
