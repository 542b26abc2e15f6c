//! The tab numbers are keys: a digit opens its screen everywhere but on the
//! Label screen (digits are class keys there) and never while a text field
//! or an overlay has the keys; F-keys, Alt-digits and `'` then a digit work
//! on every screen. The tab bar and the help say what works where.

use crossterm::event::{KeyCode, KeyModifiers};
use lathe::tui::screens::Screen;

use crate::tui::Harness;

fn top_line(h: &mut Harness) -> String {
    h.screen().lines().next().unwrap().trim_end().to_owned()
}

fn bottom_line(h: &mut Harness) -> String {
    h.screen().lines().last().unwrap().trim_end().to_owned()
}

/// The tab of `name` says `key`: `3:Train`, or `Train [3]` when wide.
fn tab_says(line: &str, key: &str, name: &str) -> bool {
    line.contains(&format!(" {key}:{name}")) || line.contains(&format!("{name} [{key}]"))
}

fn labelled(h: &Harness) -> usize {
    h.app.label.session.as_ref().unwrap().labelled()
}

#[test]
fn tab_bar_on_data_and_label_names_the_keys_that_switch_there() {
    let mut bars = String::new();
    for (w, rows) in [(80, 24), (100, 30), (160, 48)] {
        let mut h = Harness::new(w, rows);
        let data = top_line(&mut h);
        h.press("2");
        assert_eq!(h.app.screen, Screen::Label);
        let label = top_line(&mut h);
        // On Data the digits are the tabs' keys.
        assert!(tab_says(&data, "3", "Train"), "{data}");
        // On Label every tab names its F-key and the other keys are said once,
        // even at 80 columns.
        assert!(tab_says(&label, "F3", "Train"), "{label}");
        assert!(label.contains("or Alt-1–6, '1–6"), "{label}");
        assert!(!tab_says(&label, "3", "Train"), "{label}");
        bars.push_str(&format!("{w} Data  |{data}\n{w} Label |{label}\n"));
    }
    insta::assert_snapshot!("tab_bar_data_vs_label", bars);
}

#[test]
fn a_digit_on_data_opens_its_screen_and_digits_move_between_screens() {
    let mut h = Harness::new(100, 30);
    assert_eq!(h.app.screen, Screen::Data);
    h.press("3");
    assert_eq!(h.app.screen, Screen::Train);
    let s = h.screen();
    assert!(s.contains("Algorithms ·"), "{s}");
    for (digit, screen) in [
        ("4", Screen::Experiments),
        ("5", Screen::Bundles),
        ("6", Screen::Drift),
        ("1", Screen::Data),
    ] {
        h.press(digit);
        assert_eq!(h.app.screen, screen, "after {digit}");
    }
    // 7–9 are no screen: nothing happens.
    h.press("7");
    assert_eq!(h.app.screen, Screen::Data);
}

#[test]
fn a_digit_on_label_labels_and_does_not_switch() {
    let mut h = Harness::new(100, 30);
    h.press("2");
    assert_eq!(h.app.screen, Screen::Label);
    h.press("2");
    assert_eq!(h.app.screen, Screen::Label);
    assert_eq!(labelled(&h), 1);
    assert!(h.screen().contains("1 / 2000 labelled"));
    h.press("1");
    assert_eq!(labelled(&h), 2);
    // A digit with no class says so; it does not open screen 3.
    h.press("3");
    assert_eq!(h.app.screen, Screen::Label);
    assert!(h.screen().contains("key 3 has no class"));
}

#[test]
fn f3_alt3_and_quote_then_3_switch_from_label() {
    let mut h = Harness::new(100, 30);
    h.press("2");
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Train, "F3");
    h.key(KeyCode::F(2), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Label, "F2");
    h.key(KeyCode::Char('3'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Train, "Alt-3");
    h.press("2");
    assert_eq!(h.app.screen, Screen::Label);
    // ' waits for its digit, and the key bar says what it waits for.
    h.press("'");
    assert_eq!(h.app.screen, Screen::Label);
    let bar = bottom_line(&mut h);
    assert!(bar.contains("then"), "{bar}");
    assert!(bar.contains("3  Train"), "{bar}");
    h.press("3");
    assert_eq!(h.app.screen, Screen::Train, "' then 3");
    assert!(h.app.pending.is_empty());
    assert_eq!(labelled(&h), 0, "the 3 after ' is no class key");
    // F-keys and Alt-digits work from every screen.
    h.key(KeyCode::F(6), KeyModifiers::NONE);
    assert_eq!(h.app.screen, Screen::Drift);
    h.key(KeyCode::Char('5'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Bundles);
    h.press("'1");
    assert_eq!(h.app.screen, Screen::Data);
}

#[test]
fn a_key_after_quote_that_ends_no_sequence_does_its_own_job() {
    let mut h = Harness::new(100, 30);
    h.press("2");
    h.press("'j");
    assert!(h.app.pending.is_empty());
    assert_eq!(h.app.screen, Screen::Label);
    assert!(
        h.screen().contains("Row 2 of 2000"),
        "j moved to the next card"
    );
    h.press("'2");
    assert_eq!(h.app.screen, Screen::Label);
    assert_eq!(labelled(&h), 0, "' 2 is the Label screen, not class key 2");
}

#[test]
fn a_digit_typed_in_a_text_field_stays_text() {
    let mut h = Harness::new(100, 30);
    // Data: the search field.
    h.press("/3");
    assert_eq!(h.app.screen, Screen::Data);
    assert_eq!(h.app.data.input.as_ref().unwrap().1, "3");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    // Train: a form field being edited (the seed).
    h.press("3");
    assert_eq!(h.app.screen, Screen::Train);
    h.press("gjjj");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    while !h.app.train.form.input.as_ref().unwrap().text.is_empty() {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.press("1");
    assert_eq!(h.app.screen, Screen::Train);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.app.train.form.seed, 1);
    // Experiments: the filter.
    h.press("4/5");
    assert_eq!(h.app.screen, Screen::Experiments);
    assert_eq!(h.app.experiments.input.as_ref().unwrap().1, "5");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    // Label: the find field takes digits as text, not as class keys.
    h.press("2/2");
    assert_eq!(h.app.screen, Screen::Label);
    assert_eq!(h.app.label.input.as_ref().unwrap().1, "2");
    assert_eq!(labelled(&h), 0);
}

#[test]
fn overlays_keep_digits_from_switching() {
    let mut h = Harness::new(100, 30);
    h.press("?3");
    assert!(h.app.help);
    assert_eq!(h.app.screen, Screen::Data);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.press("o3");
    assert!(h.app.picker.is_some());
    assert_eq!(h.app.screen, Screen::Data);
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    // A dialog: exporting with no run to export.
    h.press("5E");
    assert!(h.app.dialog.is_some());
    h.press("3'3");
    h.key(KeyCode::F(3), KeyModifiers::NONE);
    assert!(h.app.dialog.is_some());
    assert_eq!(h.app.screen, Screen::Bundles);
    assert!(h.app.pending.is_empty());
}

/// The keys the help lists as `go to screen 1–6`.
fn help_screen_keys(screen: &str) -> Vec<String> {
    let mut keys: Vec<String> = screen
        .lines()
        .flat_map(|l| {
            l.split("go to screen 1–6")
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .skip(1)
        })
        .filter_map(|before| {
            before
                .split_whitespace()
                .last()?
                .rsplit('│')
                .next()
                .map(str::to_owned)
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn help_lists_the_screen_keys_that_work_on_the_screen_on_show() {
    let mut h = Harness::new(160, 48);
    h.press("?");
    let s = h.screen();
    assert_eq!(
        help_screen_keys(&s),
        ["'1–6", "1–6", "Alt-1–6", "F1–6"],
        "{s}"
    );
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.press("2?");
    let s = h.screen();
    assert_eq!(
        help_screen_keys(&s),
        ["'1–6", "Alt-1–6", "F1–6"],
        "digits label on the Label screen: {s}"
    );
    assert!(s.contains("Label: class key"), "{s}");
}
