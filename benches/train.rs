//! The Train step's benchmark, side by side with scikit-learn in the same run.
//!
//! `cargo bench --bench train -- [PATH]` (default `../peer-bench/data/maint_100k.parquet`,
//! written by `../shared/peer-bench`'s gen_data.py). scikit-learn runs from
//! `$PEER_PYTHON` (default `../peer-bench/venv/bin/python3`) on the very same
//! rows, via `benches/train_peer.py`. Measures:
//!
//! 1. fit + predict of peer-bench's five models (logistic regression,
//!    decision tree depth 10, random forest 100 trees depth 10, k-NN k=5,
//!    Gaussian naive Bayes) on lathe's stratified 80/20 split of 100,000 rows,
//!    with accuracy; k-NN predicts 2,000 of the 20,000 test rows (time × 10),
//!    as smartcore's k-NN is too slow for the full set (the fast-learners
//!    issue's job);
//! 2. the 5 models × 5 folds search on the first 20,000 rows with 1 and with
//!    2 jobs: speed-up, and the search's overhead over the sum of its fits;
//! 3. peak memory of that 25-job search against one random-forest fit, each
//!    in a child process of its own;
//! 4. (with the `tui` feature) the Train screen's frames while it trains on
//!    the sample project's 10,000-row table with both cores busy: how long
//!    each 120×40 frame takes to draw, and how many the loop draws a second.
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

const CV_ROWS: usize = 20_000;
const KNN_QUERIES: usize = 2_000;

/// peer-bench's five models with its hyperparameters, as lathe specs.
fn models() -> Vec<AlgorithmSpec> {
    let one = |pairs: &[(&str, ParamValue)]| -> BTreeMap<String, GridValues> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), GridValues::One(v.clone())))
            .collect()
    };
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

fn prepare(path: &Path, rows: Option<usize>, jobs: usize) -> Prepared {
    let mut loaded = lathe::data::load(path, &LoadOptions::default()).unwrap();
    if let Some(n) = rows {
        loaded.frame = loaded.frame.head(Some(n));
    }
    let mut spec = TrainSpec {
        target: Some("failure".into()),
        jobs: Some(jobs),
        metric: Some("accuracy".into()),
        algorithms: models(),
        ..TrainSpec::default()
    };
    spec.validation.folds = 5;
    spec.validation.holdout = if rows.is_some() { 0.0 } else { 0.2 };
    lathe::train::spec::prepare(&spec, loaded.frame, path).unwrap()
}

fn quiet_ctx() -> SearchContext {
    SearchContext {
        store: None,
        lineage: Default::default(),
        refit: false,
    }
}

/// Child process modes for the memory comparison.
fn child(mode: &str, path: &Path) {
    let prep = prepare(path, Some(CV_ROWS), 2);
    let before = peak_rss_mb();
    match mode {
        "single" => {
            let rf = prep
                .configs
                .iter()
                .find(|c| c.algorithm.id == "random_forest")
                .unwrap();
            let fold = &prep.split.folds[0];
            search::fit_and_score(&prep, rf, &fold.train, &fold.valid).unwrap();
        }
        _ => {
            search::run(&prep, &quiet_ctx(), &search::Quiet, &CancelToken::new()).unwrap();
        }
    }
    println!("{before:.1} {:.1}", peak_rss_mb());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with('-') && a.contains('.'))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../peer-bench/data/maint_100k.parquet"));
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], &path);
        return;
    }
    assert!(
        path.is_file(),
        "no input file {}: run ../shared/peer-bench's gen_data.py first",
        path.display()
    );
    let out_dir = PathBuf::from("target/bench-train");
    std::fs::create_dir_all(&out_dir).unwrap();

    // 1. Five models, fit + predict on lathe's stratified 80/20 split.
    let prep = prepare(&path, None, 1);
    let train = &prep.split.train;
    let test = &prep.split.holdout;
    let knn_test: Vec<usize> = test.iter().copied().take(KNN_QUERIES).collect();
    std::fs::write(
        out_dir.join("split.json"),
        serde_json::json!({"train": train, "test": test, "knn_test": knn_test}).to_string(),
    )
    .unwrap();
    println!(
        "lathe train benchmark — {} ({} rows, {} train / {} test)\n",
        path.display(),
        prep.frame.height(),
        train.len(),
        test.len()
    );
    let peer = run_peer(&path, &out_dir);
    println!(
        "{:<20} {:>10} {:>10} {:>10} {:>8} {:>8} {:>7}",
        "model", "lathe s", "sklearn s", "ratio", "lathe", "sklearn", "Δ acc"
    );
    for cfg in &prep.configs {
        let id = cfg.algorithm.id;
        let eval = if id == "knn" { &knn_test } else { test };
        let t = Instant::now();
        let r = search::fit_and_score(&prep, cfg, train, eval).unwrap();
        let mut secs = t.elapsed().as_secs_f64();
        if id == "knn" {
            secs = r.fit_s + r.predict_s * (test.len() as f64 / eval.len() as f64);
        }
        let acc = r
            .scores
            .iter()
            .find(|(n, _)| *n == "accuracy")
            .map_or(f64::NAN, |(_, v)| *v);
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
            "{id:<20} {secs:>10.3} {sk_s:>10.3} {:>9.1}× {acc:>8.4} {sk_acc:>8.4} {:>+7.4}",
            secs / sk_s,
            acc - sk_acc
        );
    }

    // 2. The 25-job search, 1 and 2 jobs.
    println!("\n5 models × 5 folds on the first {CV_ROWS} rows:");
    let mut walls = Vec::new();
    for jobs in [1, 2] {
        let mut p = prepare(&path, Some(CV_ROWS), jobs);
        p.jobs = jobs;
        let out = search::run(&p, &quiet_ctx(), &search::Quiet, &CancelToken::new()).unwrap();
        let fits: f64 = out.runs.iter().map(|r| r.timing.total_s).sum();
        println!(
            "  jobs={jobs}: wall {:.2} s; jobs' own time {:.2} s; sum of fit+predict {fits:.2} s; overhead over the fits {:+.1} %",
            out.elapsed_s,
            out.jobs_s,
            (out.elapsed_s * jobs as f64 / fits - 1.0) * 100.0
        );
        if jobs == 1 {
            for r in &out.runs {
                println!(
                    "    {:<20} accuracy {:.4} ± {:.4}  fit {:.2} s/fold",
                    r.algorithm,
                    r.metrics["accuracy"].mean,
                    r.metrics["accuracy"].std,
                    r.timing.fit_s
                );
            }
        }
        walls.push(out.elapsed_s);
    }
    println!("  speed-up 1 → 2 jobs: {:.2}×", walls[0] / walls[1]);
    if let Some(p) = &peer {
        println!(
            "  scikit-learn cross_val_score(n_jobs=2), same rows and folds count: {:.2} s; accuracy {}",
            p["cv_seconds"].as_f64().unwrap_or(f64::NAN),
            p["cv_accuracy"]
        );
    }

    // 3. Memory: one fit against the 25-job search (2 jobs), in child processes.
    let exe = std::env::current_exe().unwrap();
    let mem = |mode: &str| -> (f64, f64) {
        let out = Command::new(&exe)
            .args(["--child", mode])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut it = text
            .split_whitespace()
            .map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
        (it.next().unwrap_or(f64::NAN), it.next().unwrap_or(f64::NAN))
    };
    let (base1, single) = mem("single");
    let (_, search_peak) = mem("search");
    #[cfg(feature = "tui")]
    frames();
    println!(
        "\npeak memory on {CV_ROWS} rows: data loaded {base1:.0} MB; one random-forest fit {single:.0} MB; 25-job search (2 jobs) {search_peak:.0} MB → {:.2}× the single fit",
        search_peak / single
    );
}

/// Run scikit-learn on the same rows; None when the peer's Python is missing.
fn run_peer(path: &Path, out_dir: &Path) -> Option<serde_json::Value> {
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
        .arg(CV_ROWS.to_string())
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
