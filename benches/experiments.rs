//! Experiments at scale: 10,000 synthetic runs in a store, then the
//! leaderboard's load and first render (cold: no run index yet; warm: the
//! index is there), a sort by a metric, a text filter, and a comparison of
//! five runs. Goals (issue 5): load + first render < 300 ms, sort < 50 ms,
//! compare of 5 runs < 50 ms.
//!
//! `cargo bench --bench experiments [-- N]` (N runs, default 10,000).

mod common;

use std::time::Instant;

use common::{median, peak_rss_mb};
use lathe::experiments::compare::{DEFAULT_ALPHA, compare};
use lathe::experiments::leaderboard::{Filter, Leaderboard, SortKey};
use lathe::experiments::{RunRecord, Store};
use lathe::project::Project;
use lathe::tui::keymap::Keymap;
use lathe::tui::screens::experiments::ExperimentsScreen;
use lathe::tui::theme::{ColorDepth, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

const ALGORITHMS: [(&str, &str, f64); 6] = [
    ("logistic_regression", "c", 1.0),
    ("random_forest", "max_depth", 10.0),
    ("decision_tree", "max_depth", 8.0),
    ("knn", "k", 5.0),
    ("gaussian_nb", "var_smoothing", 1e-9),
    ("svm", "c", 1.0),
];
const METRICS: [&str; 15] = [
    "accuracy",
    "roc_auc",
    "recall_macro",
    "precision_macro",
    "f1_macro",
    "cohen_kappa",
    "mcc",
    "balanced_accuracy",
    "f1",
    "f1_weighted",
    "log_loss",
    "precision",
    "precision_weighted",
    "recall",
    "recall_weighted",
];

/// A run record as large as a real one: 15 metrics × 5 folds, ROC and PR
/// curves of 200 points, a 15-column schema, 15 importances.
fn synthetic(i: usize, id: &str) -> RunRecord {
    let (alg, param, base) = ALGORITHMS[i % ALGORITHMS.len()];
    let x = (i as f64 * 0.618_033_988_7).fract();
    let metrics: serde_json::Map<String, serde_json::Value> = METRICS
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let folds: Vec<f64> = (0..5)
                .map(|f| 0.8 + 0.15 * x + 0.01 * ((k + f) as f64).sin())
                .collect();
            let mean = folds.iter().sum::<f64>() / 5.0;
            (
                (*m).to_owned(),
                json!({"mean": mean, "std": 0.01, "folds": folds}),
            )
        })
        .collect();
    let curve: Vec<f64> = (0..200).map(|p| p as f64 / 199.0).collect();
    let schema: serde_json::Map<String, serde_json::Value> = (0..15)
        .map(|c| (format!("sensor_{c:02}"), json!("f64")))
        .collect();
    let status = if i % 20 == 7 { "failed" } else { "finished" };
    let v = json!({
        "format_version": 1,
        "run_id": id,
        "study_id": "01KSTUDY000000000000000000",
        "algorithm": alg,
        "engine": "synthetic",
        "engine_version": "0",
        "task": "classification",
        "target": "failure",
        "classes": ["0", "1"],
        "params": {param: base * (1.0 + (i % 7) as f64)},
        "status": status,
        "reason": if status == "failed" { Some("fold 2: did not converge") } else { None },
        "metric": "f1_macro",
        "metrics": metrics,
        "confusion_matrix": [[900, 40], [30, 30]],
        "roc": {"x": curve, "y": curve, "thresholds": curve},
        "pr": {"x": curve, "y": curve, "thresholds": curve},
        "importance": (0..15).map(|c| (format!("sensor_{c:02}"), 0.01 * c as f64)).collect::<Vec<_>>(),
        "timing": {"fit_s": 0.5 + x, "predict_s": 0.01, "total_s": 2.5},
        "has_model": false,
        "started": format!("2026-11-{:02}T{:02}:{:02}:00.000Z", 1 + i % 24, i % 24, i % 60),
        "finished": "2026-11-25T00:00:00.000Z",
        "spec": {"data": "maintenance_reference.csv", "target": "failure"},
        "lineage": {
            "data": "maintenance_reference.csv",
            "data_fingerprint": "sha256:0f3a",
            "rows": 10000,
            "schema": schema,
            "label_journal": null,
            "seed": 42,
            "lathe_version": "0.1.0",
            "engines": {"linfa": "0.8.1", "smartcore": "0.7.0"},
            "git_commit": "abc123",
            "git_dirty": false,
            "host": "bench",
            "user": "bench",
        },
    });
    serde_json::from_value(v).expect("a valid run record")
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let project = Project::init(dir.path(), None).expect("a project");
    let store = Store::open(&project);
    let t = Instant::now();
    let ids = lathe::train::store::new_ids(n);
    for (i, id) in ids.iter().enumerate() {
        store
            .create_run(&synthetic(i, id), None)
            .expect("run written");
    }
    let bytes: u64 = ids
        .iter()
        .filter_map(|id| std::fs::metadata(store.run_dir(id).join("run.json")).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "{n} runs written in {:.1} s ({:.1} KiB per run.json)",
        t.elapsed().as_secs_f64(),
        bytes as f64 / n as f64 / 1024.0
    );
    let theme = Theme::load("dark", None, ColorDepth::TrueColor).expect("theme");
    let keymap = Keymap::load(None).expect("keymap");
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    let mut load_and_draw = || {
        let t = Instant::now();
        let mut screen = ExperimentsScreen::new();
        screen.set_project(&project);
        term.draw(|f| screen.render(f, f.area(), &theme, &keymap))
            .expect("drawn");
        assert_eq!(screen.board.rows.len(), n);
        t.elapsed().as_secs_f64() * 1e3
    };
    // Cold: the run index is built from every run.json.
    let cold = load_and_draw();
    let warm = median((0..5).map(|_| load_and_draw()).collect());
    println!("leaderboard load + first render, cold (no index): {cold:.0} ms");
    println!("leaderboard load + first render, warm (index):    {warm:.0} ms   (goal < 300 ms)");

    let board = Leaderboard::build(
        &store.entries().expect("entries"),
        &store.curation().expect("curation"),
    );
    let everything = Filter::default();
    let sort = median(
        (0..10)
            .map(|k| {
                let t = Instant::now();
                let key = SortKey::Metric(if k % 2 == 0 { "f1_macro" } else { "roc_auc" }.into());
                let v = board.view(&everything, &key, k % 4 < 2);
                assert_eq!(v.len(), n);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    println!("sort {n} rows by a metric: {sort:.1} ms   (goal < 50 ms)");
    let query = Filter::from_query("algo:random_forest max_depth").expect("query");
    let filter = median(
        (0..10)
            .map(|_| {
                let t = Instant::now();
                let v = board.view(&query, &SortKey::Started, true);
                assert!(!v.is_empty());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    println!("filter {n} rows by algorithm and text: {filter:.1} ms");
    let five: Vec<&String> = ids.iter().step_by(n / 5).take(5).collect();
    let cmp = median(
        (0..10)
            .map(|_| {
                let t = Instant::now();
                let records: Vec<RunRecord> = five
                    .iter()
                    .map(|id| store.read_run(id).expect("run"))
                    .collect();
                let names = vec![None; records.len()];
                let c = compare(&records, &names, 0, DEFAULT_ALPHA).expect("compare");
                assert_eq!(c.labels.len(), 5);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    println!("compare 5 runs (read + diff + t-tests): {cmp:.1} ms   (goal < 50 ms)");
    println!("peak memory: {:.0} MiB", peak_rss_mb());
}
