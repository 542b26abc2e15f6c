//! A user's story through the six screens, by keys only, in a real terminal:
//! Data → Label → Train → Experiments → Bundles → Drift on a copy of the
//! sample project, reading on each screen what a user would read. Screens
//! are switched with the digit keys, and from the Label screen (where digits
//! are class keys) with an F-key.

use crate::common::Sandbox;
use crate::pty::{Session, bare_lathe, f_key};

/// Waits are for text, generous for a slow 2-core machine; none is a sleep.
const TRAIN_SECS: u64 = 600;
const JOB_SECS: u64 = 180;

/// The Train form's algorithm rows, in order: (ticked, id).
fn algorithms(screen: &str) -> Vec<(bool, String)> {
    screen
        .lines()
        .filter_map(|l| {
            let at = l.find("[x] ").or_else(|| l.find("[ ] "))?;
            let id = l[at + 4..].split_whitespace().next()?.to_owned();
            Some((&l[at..at + 3] == "[x]", id))
        })
        .collect()
}

#[test]
fn a_users_story_through_the_six_screens_by_keys() {
    let sb = Sandbox::sample();
    let home = sb.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let project = sb.project();
    let cmd = bare_lathe(&project, &home);
    // The session keeps its own (empty) temp dir; the sandbox lives to the end.
    let mut s = Session::spawn(cmd, tempfile::tempdir().unwrap(), (36, 120));

    // Data: the file and its profile.
    s.wait_for("maintenance_reference.csv  csv · 10000 rows × 15 columns");
    s.wait_for("Checks · 70 passed, 0 failed");
    s.send(b"lllll");
    s.wait_for("air_temp_k float (f64)");
    s.wait_for("count 10000  nulls 0 (0.0%)");
    assert!(s.text().contains("1:Data"), "{}", s.text());

    // Label (digit 2): label two rows with class keys; the count moves.
    s.send(b"2");
    s.wait_for("Row 1 of 2000");
    s.wait_for("0 / 2000 labelled");
    let tabs = s.text().lines().next().unwrap().to_owned();
    assert!(tabs.contains("F3:Train"), "{tabs}");
    assert!(tabs.contains("or Alt-1–6, '1–6"), "{tabs}");
    s.send(b"2");
    s.wait_for("1 / 2000 labelled");
    s.wait_for("row 1 → '1' saved");
    s.send(b"1");
    s.wait_for("2 / 2000 labelled");
    s.wait_for("row 2 → '0' saved");

    // Train (F3, as digits are class keys on Label): the cheapest search the
    // form allows — gaussian_nb alone, 2 folds.
    s.send(f_key(3));
    s.wait_for("Algorithms ·");
    s.wait_for("maintenance_reference.csv  10000 rows × 15 columns");
    let algos = algorithms(&s.text());
    assert!(
        algos.iter().any(|(_, id)| id == "gaussian_nb"),
        "{algos:?}\n{}",
        s.text()
    );
    // Folds (the third row) down to its least, 2; then, from the row above
    // the first algorithm, tick gaussian_nb alone.
    let mut keys = String::from("gjjhhhhhhjj");
    for (on, id) in &algos {
        keys.push('j');
        if *on != (id == "gaussian_nb") {
            keys.push(' ');
        }
    }
    s.send(keys.as_bytes());
    s.wait_for(&format!("Algorithms · 1 of {} ticked", algos.len()));
    s.wait_for("Folds   2");
    s.wait_for("[x] gaussian_nb");
    s.send(b"r");
    s.wait_long("stored in .lathe/runs", TRAIN_SECS);
    let screen = s.text();
    assert!(screen.contains("Leaderboard"), "{screen}");
    assert!(screen.contains("1 runs in"), "{screen}");

    // Experiments (digit 4): the new run on the leaderboard.
    s.send(b"4");
    s.wait_for("1 runs · 1 shown");
    s.wait_for("gaussian_nb");

    // Bundles (digit 5): E exports the run selected on Experiments; the
    // bundle is listed and verified.
    s.send(b"5");
    s.wait_for("No bundles yet");
    s.send(b"E");
    s.wait_long("exported predictive-maintenance 0.1.0", JOB_SECS);
    s.wait_until("the bundle never showed as verified", JOB_SECS, |t| {
        t.lines()
            .any(|l| l.contains("predictive-maintenance") && l.contains(" ok "))
    });
    assert!(s.text().contains("gaussian_nb predicting 'failure'"));

    // Drift (digit 6): the reference against the drifted batch.
    s.send(b"6");
    s.wait_for("reference: reference");
    s.wait_for("current: fresh-drift");
    s.send(b"r");
    s.wait_long("dataset drift: yes", JOB_SECS);
    s.wait_for("Drift detected in 4 of 13 columns");

    s.send(b"q");
    assert!(s.wait_exit().success());
    s.assert_restored();
    // The bundle is in the project copy.
    assert!(
        project
            .join(".lathe/bundles/predictive-maintenance/0.1.0")
            .is_dir()
    );
}
