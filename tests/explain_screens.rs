//! Explanations on screen and in drift: the Experiments screen's global
//! view (mean |SHAP| beside permutation importance, the beeswarm) and row
//! view (a row's waterfall) on a run trained on the sample project, their
//! keys in the help, the errors; and `lathe drift --json`'s SHAP change per
//! column against a bundle of the sample data.

use crossterm::event::{KeyCode, KeyModifiers};
use lathe::experiments::Store;
use lathe::tui::keymap::{Action, Keymap};
use lathe::tui::screens::Screen;
use lathe::tui::screens::experiments::ExplainPane;
use serde_json::Value;

use crate::tui::Harness;

/// A fixed run id, so that screens are the same from run to run.
const RUN: &str = "01KAAAAAA5AAAAAAAAAAAAAAAA";

/// A decision tree on the maintenance data (exact TreeSHAP), stored under a
/// fixed id with its model; then the Experiments screen.
fn explained(w: u16, h: u16) -> Harness {
    let mut h = Harness::new(w, h);
    let root = h.app.ctx.project.as_ref().unwrap().root.clone();
    let out = std::process::Command::new(crate::common::bin_path())
        .env("LATHE_CONFIG_DIR", root.join(".config-test"))
        .env("LATHE_DATA_DIR", root.join(".data-test"))
        .current_dir(&root)
        .args([
            "train",
            "--data",
            "maintenance_reference.csv",
            "--target",
            "failure",
            "--ignore",
            "reading_id,timestamp,machine_id",
            "--folds",
            "2",
            "--algorithms",
            "decision_tree",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let store = Store::at(&root.join(".lathe"));
    let id = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["has_model"] == true)
        .unwrap()["run_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut rec = store.read_run(&id).unwrap();
    let model = store.read_model(&id).unwrap();
    rec.run_id = RUN.to_owned();
    rec.study_id = "01KAAAAAAAAAAAAAAAAAAAAAA0".to_owned();
    rec.lineage.host = "host".into();
    store.create_run(&rec, Some(&model)).unwrap();
    std::fs::remove_dir_all(store.run_dir(&id)).unwrap();
    h.key(KeyCode::Char('4'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Experiments);
    assert_eq!(h.app.experiments.board.rows.len(), 1);
    h
}

fn screen(h: &mut Harness) -> String {
    h.screen()
}

#[test]
fn the_global_view_ranks_columns_by_mean_abs_shap_beside_permutation_importance() {
    let mut h = explained(80, 24);
    h.press("w");
    // `settle` waited for the job: the global view is there.
    let v = h.app.experiments.explain.as_ref().expect("explain view");
    assert!(!v.busy());
    let g = v.global.clone().expect("global view");
    assert_eq!(g.method, lathe::train::explain::Method::TreeExact);
    assert_eq!(g.rows.len(), 1000, "≤ 1,000 seeded rows of 10,000");
    assert_eq!(g.total_rows, 10_000);
    let order = g.order();
    assert!(g.mean_abs[order[0]] >= g.mean_abs[order[order.len() - 1]]);
    let s = screen(&mut h);
    assert!(s.contains("mean |SHAP|"), "{s}");
    assert!(s.contains("permutation"), "{s}");
    assert!(s.contains(&g.columns[order[0]][..10]), "{s}");
    insta::assert_snapshot!("explain_global_80x24", s);
    // Esc goes back to the leaderboard as it was.
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(h.app.experiments.explain.is_none());
    assert_eq!(h.app.experiments.row, 0);
}

#[test]
fn the_row_view_shows_a_waterfall_and_moves_by_key_and_by_number() {
    let mut h = explained(80, 24);
    h.press("w");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    let v = h.app.experiments.explain.as_ref().unwrap();
    assert_eq!(v.pane, ExplainPane::Row);
    let w = v.waterfall.as_ref().expect("row 1 explained");
    assert_eq!(w.row, 0);
    // Base + contributions = the output, contributions largest first.
    let sum: f64 = w.base + w.steps.iter().map(|s| s.shap).sum::<f64>();
    assert!((sum - w.raw).abs() < 1e-9, "{sum} vs {}", w.raw);
    assert!(
        w.steps
            .windows(2)
            .all(|p| p[0].shap.abs() >= p[1].shap.abs())
    );
    let s = screen(&mut h);
    assert!(s.contains("base value"), "{s}");
    assert!(s.contains("output"), "{s}");
    assert!(s.contains("row 1/10000"), "{s}");
    insta::assert_snapshot!("explain_row_80x24", s);
    h.press("j");
    assert_eq!(
        h.app
            .experiments
            .explain
            .as_ref()
            .unwrap()
            .waterfall
            .as_ref()
            .unwrap()
            .row,
        1
    );
    h.press(":1234");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        h.app
            .experiments
            .explain
            .as_ref()
            .unwrap()
            .waterfall
            .as_ref()
            .unwrap()
            .row,
        1233
    );
    // A row past the end is a dialog; the view and its row stay.
    h.press(":99999");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(
        h.app
            .dialog
            .as_ref()
            .is_some_and(|d| d.body.contains("rows 1 to 10000"))
    );
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    let v = h.app.experiments.explain.as_ref().unwrap();
    assert_eq!(v.row, 1233);
}

#[test]
fn a_run_whose_data_is_gone_is_a_dialog_and_the_leaderboard_stays() {
    let mut h = explained(80, 24);
    let root = h.app.ctx.project.as_ref().unwrap().root.clone();
    std::fs::rename(
        root.join("maintenance_reference.csv"),
        root.join("moved.csv"),
    )
    .unwrap();
    h.press("w");
    let d = h.app.dialog.as_ref().expect("a dialog");
    assert!(d.body.contains("gone"), "{}", d.body);
    assert!(h.app.experiments.explain.is_none());
    assert_eq!(h.app.experiments.board.rows.len(), 1);
}

#[test]
fn the_explain_key_is_in_the_help_and_the_key_bar() {
    let mut h = explained(120, 40);
    let keys = Keymap::load(None).unwrap();
    let k = keys.first(Action::Explain).unwrap();
    let bar = screen(&mut h);
    assert!(bar.contains(&format!(" {k}  explain ")), "{bar}");
    h.press("?");
    let help = screen(&mut h);
    assert!(
        help.contains(&format!("{k} ")) && help.contains("explain run (SHAP)"),
        "{help}"
    );
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    // The key bar inside the view names the keys it uses.
    h.press(&k);
    let s = screen(&mut h);
    for a in [Action::FocusNext, Action::Jump, Action::Close] {
        assert!(s.contains(&keys.first(a).unwrap()), "{a:?}: {s}");
    }
}

// ---- drift: the SHAP change per column ----

const DRIFTED: [&str; 4] = [
    "air_temp_k",
    "process_temp_k",
    "vibration_rms",
    "oil_viscosity_cst",
];

#[test]
fn drift_against_a_bundle_reports_the_shap_change_per_column() {
    let (sb, dir) = crate::bundle::maintenance_bundle();
    let out = sb.run(&[
        "drift",
        "--reference",
        dir.to_str().unwrap(),
        "--current",
        "maintenance_fresh_drift.csv",
        "--spec",
        "drift.toml",
        "--json",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let shap = &doc["model"]["shap"];
    let cols = shap["columns"].as_object().expect("a field per column");
    assert!(cols.contains_key("air_temp_k"), "{shap}");
    for (name, c) in cols {
        let (r, cur, ch) = (
            c["reference"].as_f64().unwrap(),
            c["current"].as_f64().unwrap(),
            c["change"].as_f64().unwrap(),
        );
        assert!((cur - r - ch).abs() < 1e-12, "{name}: {c}");
    }
    assert_eq!(shap["reference_rows"], 1000);
    assert_eq!(shap["current_rows"], 1000);
    let top = cols
        .iter()
        .max_by(|a, b| {
            a.1["change"]
                .as_f64()
                .unwrap()
                .abs()
                .total_cmp(&b.1["change"].as_f64().unwrap().abs())
        })
        .unwrap()
        .0;
    assert!(DRIFTED.contains(&top.as_str()), "{top}: {shap}");
    // The text report has the same table.
    let text = sb.run(&[
        "drift",
        "--reference",
        dir.to_str().unwrap(),
        "--current",
        "maintenance_fresh_drift.csv",
        "--spec",
        "drift.toml",
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("mean |SHAP| per column"), "{text}");
}

#[test]
fn the_drift_screen_shows_the_shap_change_of_the_selected_runs_model() {
    let mut h = explained(120, 32);
    // The run is selected on the Experiments screen; drift the fresh batch.
    h.key(KeyCode::Char('6'), KeyModifiers::ALT);
    assert_eq!(h.app.screen, Screen::Drift);
    h.press("r");
    let o = h.app.drift.outcome.as_ref().expect("a comparison");
    assert!(o.current.name.contains("drift"), "{}", o.current.name);
    let s = o.shap.as_ref().expect("the SHAP change");
    let top = s.ranked()[0].0.to_owned();
    assert!(
        ["tool_wear_min", "torque_nm", "power_kw", "rot_speed_rpm"]
            .iter()
            .all(|c| s.columns.contains_key(*c)),
        "{s:?}"
    );
    let screen = screen(&mut h);
    assert!(screen.contains("SHAP Δ"), "{screen}");
    assert!(screen.contains(&top), "{screen}");
}
