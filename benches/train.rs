//! The Train step's benchmark, side by side with scikit-learn in the same run.
//!
//! `cargo bench --bench train -- [PATH] [--scaling | --scaling-only] [--quick] [--only=ID,ID]` (default
//! `../peer-bench/data/maint_100k.parquet`, written by `../shared/peer-bench`'s
//! gen_data.py). scikit-learn runs from `$PEER_PYTHON` (default
//! `../peer-bench/venv/bin/python3`) on the very same rows, via
//! `benches/train_peer.py`. Measures:
//!
//! 1. fit + predict of peer-bench's five models (logistic regression,
//!    decision tree depth 10, random forest 100 trees depth 10, k-NN k=5,
//!    Gaussian naive Bayes) and of gradient boosting against
//!    HistGradientBoosting(max_iter=100), on lathe's stratified 80/20 split of
//!    the 100,000 rows, with accuracy; k-NN predicts all 20,000 test rows;
//! 2. peer-bench's `cv_compare` job: the 5 models × 5 folds on all rows, lathe's
//!    search with 2 jobs against `cross_val_score(n_jobs=2)`, with each model's
//!    mean accuracy;
//! 3. peak memory of that 25-job search (a child process of its own) against
//!    the peak of scikit-learn's process tree during its cross-validation;
//! 4. with `--scaling`, fit + predict time of the tree learners on the first
//!    10k, 100k and 1M rows of `maint_1m.parquet` (80/20), and k-NN's with
//!    2,000 queries fixed, beside scikit-learn's;
//! 5. (with the `tui` feature) the Train screen's frames while it trains on
//!    the sample project's 10,000-row table with both cores busy;
//! 6. with `--explain` (alone), exact TreeSHAP of the 100-tree forest and the
//!    boosting model on 10,000 test rows, on 1 and 2 threads, beside shap's
//!    TreeExplainer on scikit-learn's RandomForestClassifier(100, depth 10)
//!    and HistGradientBoostingClassifier(100) fitted on the same rows (shap
//!    must be installed in the peer's venv: `pip install shap`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;

use common::peak_rss_mb;
use lathe::data::LoadOptions;
use lathe::jobs::CancelToken;
use lathe::train::algorithms::ParamValue;
use lathe::train::search::{self, SearchContext};
use lathe::train::spec::{AlgorithmSpec, GridValues, Prepared, TrainSpec};

/// Queries of the k-NN scaling curve (its cost grows with train × query rows).
const KNN_CURVE_QUERIES: usize = 2_000;

fn one(pairs: &[(&str, ParamValue)]) -> BTreeMap<String, GridValues> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), GridValues::One(v.clone())))
        .collect()
}

/// peer-bench's five models with its hyperparameters, as lathe specs.
fn models() -> Vec<AlgorithmSpec> {
    vec![
        AlgorithmSpec {
            id: "logistic_regression".into(),
            grid: one(&[("max_iterations", ParamValue::Int(200))]),
        },
        AlgorithmSpec {
            id: "decision_tree".into(),
            grid: one(&[("max_depth", ParamValue::Int(10))]),
        },
        AlgorithmSpec {
            id: "random_forest".into(),
            grid: one(&[
                ("n_trees", ParamValue::Int(100)),
                ("max_depth", ParamValue::Int(10)),
            ]),
        },
        AlgorithmSpec {
            id: "knn".into(),
            grid: one(&[("k", ParamValue::Int(5))]),
        },
        AlgorithmSpec {
            id: "gaussian_nb".into(),
            grid: BTreeMap::new(),
        },
    ]
}

/// Gradient boosting as HistGradientBoostingClassifier's defaults (no class weights).
fn boosting() -> AlgorithmSpec {
    AlgorithmSpec {
        id: "gradient_boosting".into(),
        grid: one(&[
            ("max_rounds", ParamValue::Int(100)),
            ("class_weight", ParamValue::Text("none".into())),
        ]),
    }
}

fn prepare(
    path: &Path,
    rows: Option<usize>,
    holdout: f64,
    jobs: usize,
    algorithms: Vec<AlgorithmSpec>,
) -> Prepared {
    let mut loaded = lathe::data::load(path, &LoadOptions::default()).unwrap();
    if let Some(n) = rows {
        loaded.frame = loaded.frame.head(Some(n));
    }
    let mut spec = TrainSpec {
        target: Some("failure".into()),
        jobs: Some(jobs),
        metric: Some("accuracy".into()),
        algorithms,
        ..TrainSpec::default()
    };
    spec.validation.folds = 5;
    spec.validation.holdout = holdout;
    let mut prep = lathe::train::spec::prepare(&spec, loaded.frame, path).unwrap();
    prep.jobs = jobs;
    prep
}

fn quiet_ctx() -> SearchContext {
    SearchContext {
        store: None,
        lineage: Default::default(),
        refit: false,
    }
}

/// Child process: the 25-job search on all rows; prints its peak memory.
fn child(path: &Path) {
    let prep = prepare(path, None, 0.0, 2, models());
    let before = peak_rss_mb();
    search::run(&prep, &quiet_ctx(), &search::Quiet, &CancelToken::new()).unwrap();
    println!("{before:.1} {:.1}", peak_rss_mb());
}

fn accuracy(scores: &[(&'static str, f64)]) -> f64 {
    scores
        .iter()
        .find(|(n, _)| *n == "accuracy")
        .map_or(f64::NAN, |(_, v)| *v)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with('-') && a.contains('.'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../peer-bench/data/maint_100k.parquet"));
    if args.iter().any(|a| a == "--child") {
        child(&path);
        return;
    }
    if args.iter().any(|a| a == "--explain") {
        // --quick: lathe only; --rows=N: explain N rows.
        let rows = args
            .iter()
            .find_map(|a| a.strip_prefix("--rows="))
            .map_or(EXPLAIN_ROWS, |n| n.parse().unwrap());
        let quick = args.iter().any(|a| a == "--quick");
        explain(&path, &PathBuf::from("target/bench-train"), rows, quick);
        return;
    }
    if args.iter().any(|a| a == "--scaling-only") {
        scaling(&path, &PathBuf::from("target/bench-train"));
        return;
    }
    assert!(
        path.is_file(),
        "no input file {}: run ../shared/peer-bench's gen_data.py first",
        path.display()
    );
    let out_dir = PathBuf::from("target/bench-train");
    std::fs::create_dir_all(&out_dir).unwrap();

    // 1. Each learner's fit + predict on lathe's stratified 80/20 split.
    let mut all = models();
    all.push(boosting());
    let prep = prepare(&path, None, 0.2, 2, all);
    let train = &prep.split.train;
    let test = &prep.split.holdout;
    std::fs::write(
        out_dir.join("split.json"),
        serde_json::json!({"train": train, "test": test}).to_string(),
    )
    .unwrap();
    println!(
        "lathe train benchmark — {} ({} rows, {} train / {} test, 2 threads)\n",
        path.display(),
        prep.frame.height(),
        train.len(),
        test.len()
    );
    // --quick: lathe's fit + predict only (for working on a learner).
    let quick = args.iter().any(|a| a == "--quick");
    let peer = if quick {
        None
    } else {
        run_peer(&path, &out_dir, &[])
    };
    println!(
        "{:<20} {:>10} {:>10} {:>8} {:>8} {:>8} {:>7}",
        "fit + predict", "lathe s", "sklearn s", "ratio", "lathe", "sklearn", "Δ acc"
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    // --only=knn,gradient_boosting: just those learners' fit + predict.
    let only: Option<Vec<&str>> = args
        .iter()
        .find_map(|a| a.strip_prefix("--only="))
        .map(|v| v.split(',').collect());
    for cfg in &prep.configs {
        let id = cfg.algorithm.id;
        if only.as_ref().is_some_and(|o| !o.contains(&id)) {
            continue;
        }
        let t = Instant::now();
        let r = pool.install(|| search::fit_and_score(&prep, cfg, train, test).unwrap());
        let secs = t.elapsed().as_secs_f64();
        let acc = accuracy(&r.scores);
        let (sk_s, sk_acc) = peer.as_ref().and_then(|p| p["fit_predict"].get(id)).map_or(
            (f64::NAN, f64::NAN),
            |m| {
                (
                    m["seconds"].as_f64().unwrap_or(f64::NAN),
                    m["accuracy"].as_f64().unwrap_or(f64::NAN),
                )
            },
        );
        println!(
            "{id:<20} {secs:>10.3} {sk_s:>10.3} {:>7.2}× {acc:>8.4} {sk_acc:>8.4} {:>+7.4}",
            secs / sk_s,
            acc - sk_acc
        );
    }
    println!("(scikit-learn: gradient_boosting = HistGradientBoostingClassifier(max_iter=100))");
    if quick {
        return;
    }

    // 2. peer-bench's cv_compare: 5 models × 5 folds on all rows, 2 jobs.
    let cv = prepare(&path, None, 0.0, 2, models());
    let out = search::run(&cv, &quiet_ctx(), &search::Quiet, &CancelToken::new()).unwrap();
    let sk_cv = peer
        .as_ref()
        .and_then(|p| p["cv_seconds"].as_f64())
        .unwrap_or(f64::NAN);
    println!(
        "\n5 models × 5 folds on all {} rows: lathe (2 jobs) {:.2} s, scikit-learn cross_val_score(n_jobs=2) {sk_cv:.2} s → {:.2}× its time",
        cv.frame.height(),
        out.elapsed_s,
        out.elapsed_s / sk_cv
    );
    for r in &out.runs {
        let sk = peer
            .as_ref()
            .and_then(|p| p["cv_accuracy"][r.algorithm.as_str()].as_f64())
            .unwrap_or(f64::NAN);
        let acc = r.metrics["accuracy"].mean;
        println!(
            "    {:<20} accuracy lathe {acc:.4} ± {:.4}, scikit-learn {sk:.4} (Δ {:+.4}); lathe fit {:.2} s/fold",
            r.algorithm,
            r.metrics["accuracy"].std,
            acc - sk,
            r.timing.fit_s
        );
    }

    // 3. Memory of the 25-job search, in a child process.
    let exe = std::env::current_exe().unwrap();
    let child = Command::new(&exe)
        .arg("--child")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&child.stdout);
    let mut it = text
        .split_whitespace()
        .map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
    let (base, peak) = (it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN));
    let sk_mem = peer
        .as_ref()
        .and_then(|p| p["cv_peak_tree_mb"].as_f64())
        .unwrap_or(f64::NAN);
    println!(
        "\npeak memory of the 25-job search: lathe {peak:.0} MB (data loaded: {base:.0} MB); scikit-learn's process tree during cross_val_score {sk_mem:.0} MB"
    );

    // 4. Scaling curves.
    if args.iter().any(|a| a == "--scaling") {
        scaling(&path, &out_dir);
    }
    #[cfg(feature = "tui")]
    frames();
}

/// Rows explained by the TreeSHAP benchmark.
const EXPLAIN_ROWS: usize = 10_000;

/// TreeSHAP of the forest and the booster, lathe on 1 and 2 threads beside shap.
fn explain(path: &Path, out_dir: &Path, n_rows: usize, quick: bool) {
    use lathe::train::explain::{Options, explain};
    use lathe::train::features::RawTable;
    use lathe::train::model::FittedModel;
    std::fs::create_dir_all(out_dir).unwrap();
    let prep = prepare(path, None, 0.2, 2, vec![models()[2].clone(), boosting()]);
    let rows: Vec<usize> = prep.split.holdout.iter().copied().take(n_rows).collect();
    std::fs::write(
        out_dir.join("split.json"),
        serde_json::json!({"train": prep.split.train, "test": rows}).to_string(),
    )
    .unwrap();
    let peer = if quick {
        None
    } else {
        run_peer(path, out_dir, &["--explain"])
    };
    println!(
        "TreeSHAP of {} test rows ({}, {} training rows)",
        rows.len(),
        path.display(),
        prep.split.train.len()
    );
    println!(
        "{:<20} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "model", "lathe 1t s", "lathe 2t s", "shap s", "1t ratio", "2t ratio"
    );
    let raw: &RawTable = &prep.raw;
    for cfg in &prep.configs {
        let (bytes, _, _) = search::fit_final(&prep, cfg, None).unwrap();
        let model = FittedModel::from_json(&bytes).unwrap();
        let mut secs = [0.0; 2];
        for (i, threads) in [1usize, 2].into_iter().enumerate() {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let t = Instant::now();
            let e = pool.install(|| explain(&model, raw, &rows, &Options::default()).unwrap());
            secs[i] = t.elapsed().as_secs_f64();
            assert!(e.method.is_exact() && e.additivity_error() < 1e-9);
        }
        let id = cfg.algorithm.id;
        let sk = peer
            .as_ref()
            .and_then(|p| p["explain"][id].as_f64())
            .unwrap_or(f64::NAN);
        println!(
            "{id:<20} {:>10.3} {:>10.3} {sk:>10.3} {:>8.2}× {:>8.2}×",
            secs[0],
            secs[1],
            secs[0] / sk,
            secs[1] / sk
        );
    }
    println!("(ratio: lathe's time / shap's; shap's TreeExplainer is single-threaded C++)");
}

/// Fit + predict time against rows, lathe beside scikit-learn.
fn scaling(path: &Path, out_dir: &Path) {
    let big = path.with_file_name("maint_1m.parquet");
    if !big.is_file() {
        println!("\n(scaling skipped: no {})", big.display());
        return;
    }
    println!(
        "\nscaling (fit + predict s, 80/20 split of the first N rows of maint_1m; k-NN: {KNN_CURVE_QUERIES} queries):"
    );
    println!(
        "{:<20} {:>9} {:>10} {:>10} {:>7}",
        "learner", "rows", "lathe s", "sklearn s", "ratio"
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for n in [10_000usize, 100_000, 1_000_000] {
        let algorithms = vec![
            models()[1].clone(),
            models()[2].clone(),
            boosting(),
            models()[3].clone(),
        ];
        let prep = prepare(&big, Some(n), 0.2, 2, algorithms);
        let train = &prep.split.train;
        let test = &prep.split.holdout;
        let knn_test: Vec<usize> = test.iter().copied().take(KNN_CURVE_QUERIES).collect();
        std::fs::write(
            out_dir.join("split.json"),
            serde_json::json!({"train": train, "test": test, "knn_test": knn_test}).to_string(),
        )
        .unwrap();
        let peer = run_peer(&big, out_dir, &["--scaling", &n.to_string()]);
        for cfg in &prep.configs {
            let id = cfg.algorithm.id;
            // k-NN at 1M training rows × 2,000 queries is still cheap; keep it.
            let eval = if id == "knn" { &knn_test } else { test };
            let t = Instant::now();
            pool.install(|| search::fit_and_score(&prep, cfg, train, eval).unwrap());
            let secs = t.elapsed().as_secs_f64();
            let sk = peer
                .as_ref()
                .and_then(|p| p["scaling"][id].as_f64())
                .unwrap_or(f64::NAN);
            println!(
                "{id:<20} {n:>9} {secs:>10.3} {sk:>10.3} {:>6.2}×",
                secs / sk
            );
        }
    }
}

/// Run scikit-learn on the same rows; None when the peer's Python is missing.
fn run_peer(path: &Path, out_dir: &Path, extra: &[&str]) -> Option<serde_json::Value> {
    let python = std::env::var("PEER_PYTHON")
        .unwrap_or_else(|_| "../peer-bench/venv/bin/python3".to_owned());
    if !Path::new(&python).exists() {
        println!("(scikit-learn skipped: no {python}; set PEER_PYTHON)\n");
        return None;
    }
    let out = Command::new(&python)
        .arg("benches/train_peer.py")
        .arg(path)
        .arg(out_dir.join("split.json"))
        .args(extra)
        // numpy's BLAS is slowed by these on this machine (peer-bench's README).
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .output()
        .ok()?;
    if !out.status.success() {
        println!(
            "(scikit-learn failed: {})\n",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// Drive the app like its event loop does (handle every queued event, then
/// draw) while the Train screen runs the default search, and time the frames.
#[cfg(feature = "tui")]
fn frames() {
    use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
    use lathe::tui::event::Event;
    use lathe::tui::keymap::Keymap;
    use lathe::tui::theme::{ColorDepth, Theme};
    use lathe::tui::{App, Context};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::time::Duration;

    let dir = std::env::temp_dir().join(format!("lathe-bench-frames-{}", std::process::id()));
    let root = lathe::sample::ensure_sample_project(&dir).unwrap();
    let ctx = Context {
        theme: Theme::load("dark", None, ColorDepth::TrueColor).unwrap(),
        keymap: Keymap::load(None).unwrap(),
        dirs: None,
        project: Some(lathe::project::Project::open(&root).unwrap()),
        is_sample: false,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let mut app = App::new(ctx, tx);
    app.settle(&rx, Duration::from_secs(60));
    let key = |app: &mut App, code: KeyCode, m: KeyModifiers| {
        app.handle(Event::Terminal(TermEvent::Key(KeyEvent::new(code, m))));
    };
    key(&mut app, KeyCode::Char('3'), KeyModifiers::ALT);
    key(&mut app, KeyCode::Char('r'), KeyModifiers::NONE);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let start = Instant::now();
    let mut frame_ms = Vec::new();
    while app.train.busy() && start.elapsed() < Duration::from_secs(60) {
        // The real loop blocks on its channel with a 100 ms tick; it draws after each wake-up.
        if let Ok(e) = rx.recv_timeout(Duration::from_millis(100)) {
            app.handle(e);
            while let Ok(e) = rx.try_recv() {
                app.handle(e);
            }
        }
        let t = Instant::now();
        term.draw(|f| app.render(f)).unwrap();
        frame_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let secs = start.elapsed().as_secs_f64();
    app.train.stop();
    app.settle(&rx, Duration::from_secs(120));
    let _ = std::fs::remove_dir_all(&dir);
    frame_ms.sort_by(f64::total_cmp);
    let n = frame_ms.len().max(1);
    println!(
        "\nTrain screen while training (sample reference table, {} jobs): {} frames in {secs:.1} s = {:.1} frames/s; draw time median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        frame_ms.len(),
        frame_ms.len() as f64 / secs,
        frame_ms[n / 2],
        frame_ms[(n * 99 / 100).min(n - 1)],
        frame_ms[n - 1],
    );
}
