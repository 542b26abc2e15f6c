//! Training: `lathe train` end to end on the sample project, the run store,
//! reproducibility, thread-count independence, cancellation, failures, and
//! the clear refusals of bad requests before any work starts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

use crate::common::Sandbox;
use lathe::data::LoadOptions;
use lathe::jobs::CancelToken;
use lathe::train::record::RunStatus;
use lathe::train::search::{self, SearchContext, SearchEvent, SearchObserver};
use lathe::train::spec::{AlgorithmSpec, TrainSpec};
use lathe::train::store::Store;

const CANCER: &str = "breast_cancer.csv";
const FAST: &str = "logistic_regression,gaussian_nb,decision_tree";

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run_dirs(sb: &Sandbox) -> Vec<String> {
    let dir = sb.project().join(".lathe/runs");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// algorithm → (per-fold metrics, model sha256) of a `--json` train output.
fn by_algorithm(doc: &Value) -> BTreeMap<String, (Value, Value)> {
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["algorithm"].as_str().unwrap().to_owned(),
                (r["metrics"].clone(), r["run_id"].clone()),
            )
        })
        .collect()
}

fn model_sha(sb: &Sandbox, run_id: &str) -> Option<String> {
    let text = std::fs::read_to_string(
        sb.project()
            .join(".lathe/runs")
            .join(run_id)
            .join("run.json"),
    )
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["model_sha256"].as_str().map(str::to_owned)
}

#[test]
fn train_json_reports_every_run_and_stores_it() {
    let sb = Sandbox::sample();
    let out = sb.run(&[
        "train",
        "--data",
        CANCER,
        "--target",
        "diagnosis",
        "--algorithms",
        FAST,
        "--folds",
        "3",
        "--json",
    ]);
    let doc = json_of(&out);
    assert_eq!(doc["lathe_json"], 1);
    assert_eq!(doc["task"], "classification");
    assert_eq!(doc["metric"], "f1_macro");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let study = doc["study_id"].as_str().unwrap();
    assert!(
        sb.project()
            .join(format!(".lathe/studies/{study}.json"))
            .is_file()
    );
    let stored = run_dirs(&sb);
    for r in runs {
        let id = r["run_id"].as_str().unwrap();
        assert_eq!(id.len(), 26, "a ULID");
        assert!(stored.contains(&id.to_owned()));
        assert_eq!(r["status"], "finished");
        // One configuration per algorithm: each is its algorithm's best, refitted.
        assert_eq!(r["has_model"], true, "{r}");
        let dir = sb.project().join(".lathe/runs").join(id);
        assert!(dir.join("model.json.gz").is_file());
        let acc = &r["metrics"]["accuracy"];
        let folds: Vec<f64> = acc["folds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(folds.len(), 3);
        let mean = folds.iter().sum::<f64>() / 3.0;
        assert!((acc["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert!(mean > 0.85, "{} accuracy {mean}", r["algorithm"]);
        for m in ["balanced_accuracy", "f1", "f1_macro", "mcc", "cohen_kappa"] {
            assert!(r["metrics"][m]["mean"].is_number(), "{m} missing: {r}");
        }
        // Hold-out scores of the refitted model and the chosen threshold.
        assert!(r["holdout_metrics"]["accuracy"].as_f64().unwrap() > 0.85);
    }
    // Probabilistic models keep a threshold chosen for F1 on the validation folds.
    let logreg = runs
        .iter()
        .find(|r| r["algorithm"] == "logistic_regression")
        .unwrap();
    assert_eq!(logreg["threshold"]["metric"], "f1");
    assert!(logreg["metrics"]["roc_auc"]["mean"].as_f64().unwrap() > 0.95);
    // The record keeps the lineage a rerun needs.
    let id = logreg["run_id"].as_str().unwrap();
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(sb.project().join(".lathe/runs").join(id).join("run.json"))
            .unwrap(),
    )
    .unwrap();
    let lin = &rec["lineage"];
    assert!(
        lin["data_fingerprint"].as_str().unwrap().len() >= 64,
        "{lin}"
    );
    assert_eq!(lin["data"], CANCER);
    assert_eq!(lin["rows"], 569);
    assert!(lin["engines"]["linfa"].is_string());
    assert_eq!(lin["seed"], 42);
    assert!(rec["importance"].as_array().is_some_and(|v| v.len() == 30));
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let sb = Sandbox::sample();
    let mut docs = Vec::new();
    for jobs in ["1", "2"] {
        let out = sb.run(&[
            "train",
            "--data",
            CANCER,
            "--target",
            "diagnosis",
            "--algorithms",
            FAST,
            "--folds",
            "3",
            "--jobs",
            jobs,
            "--json",
        ]);
        docs.push(by_algorithm(&json_of(&out)));
    }
    assert_eq!(docs[0].len(), 3);
    for (alg, (metrics, id)) in &docs[0] {
        let (metrics2, id2) = &docs[1][alg];
        assert_eq!(
            metrics, metrics2,
            "{alg}: metrics differ between 1 and 2 threads"
        );
        assert_ne!(id, id2, "each train call makes new runs");
        let (a, b) = (
            model_sha(&sb, id.as_str().unwrap()),
            model_sha(&sb, id2.as_str().unwrap()),
        );
        assert!(a.is_some());
        assert_eq!(a, b, "{alg}: model bytes differ between 1 and 2 threads");
    }
}

#[test]
fn rerun_reproduces_metrics_and_model_bytes() {
    let sb = Sandbox::sample();
    let out = sb.run(&[
        "train",
        "--data",
        CANCER,
        "--target",
        "diagnosis",
        "--algorithms",
        "decision_tree",
        "--folds",
        "3",
        "--json",
    ]);
    let doc = json_of(&out);
    let id = doc["runs"][0]["run_id"].as_str().unwrap().to_owned();
    // Any unique prefix names the run.
    let prefix = &id[..20];
    let out = sb.run(&["train", "--rerun", prefix]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("metrics: identical"), "{text}");
    assert!(text.contains("model: identical bytes"), "{text}");
    // A rerun stores nothing new.
    assert_eq!(run_dirs(&sb).len(), 1);
    // Changed data is caught by the fingerprint.
    let path = sb.file(CANCER);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text = text.replacen("\n1", "\n2", 1);
    std::fs::write(&path, text).unwrap();
    let out = sb.run(&["train", "--rerun", &id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the data changed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_grid_makes_one_run_per_combination_and_refits_the_best() {
    let sb = Sandbox::sample();
    let out = sb.run(&[
        "train",
        "--data",
        CANCER,
        "--target",
        "diagnosis",
        "--grid",
        "decision_tree.max_depth=1,3,6",
        "--folds",
        "3",
        "--json",
    ]);
    let doc = json_of(&out);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let depths: Vec<i64> = runs
        .iter()
        .map(|r| r["params"]["max_depth"].as_i64().unwrap())
        .collect();
    assert_eq!(depths, vec![1, 3, 6]);
    let f1 = |r: &Value| r["metrics"]["f1_macro"]["mean"].as_f64().unwrap();
    let best = runs.iter().max_by(|a, b| f1(a).total_cmp(&f1(b))).unwrap();
    for r in runs {
        assert_eq!(r["has_model"] == true, r["run_id"] == best["run_id"], "{r}");
    }
}

#[test]
fn list_shows_every_algorithm_with_its_hyperparameters() {
    let sb = Sandbox::empty();
    let out = sb.run(&["train", "--list", "--json"]);
    let doc = json_of(&out);
    let algs = doc["algorithms"].as_array().unwrap();
    let ids: Vec<(&str, &str)> = algs
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["task"].as_str().unwrap()))
        .collect();
    for want in [
        ("logistic_regression", "classification"),
        ("decision_tree", "classification"),
        ("random_forest", "classification"),
        ("knn", "classification"),
        ("gaussian_nb", "classification"),
        ("svm", "classification"),
        ("gradient_boosting", "classification"),
        ("linear_regression", "regression"),
        ("ridge", "regression"),
        ("lasso", "regression"),
        ("elastic_net", "regression"),
        ("random_forest", "regression"),
        ("svm", "regression"),
        ("gradient_boosting", "regression"),
    ] {
        assert!(ids.contains(&want), "{want:?} missing");
    }
    let rf = algs.iter().find(|a| a["id"] == "random_forest").unwrap();
    let n_trees = rf["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "n_trees")
        .unwrap();
    assert_eq!(n_trees["default"], 100);
    assert!(n_trees["kind"].as_str().unwrap().contains("1..=5000"));
    let text = sb.run(&["train", "--list"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("max_depth"));
}

#[test]
fn regression_is_inferred_for_a_numeric_target() {
    let sb = Sandbox::sample();
    let out = sb.run(&[
        "train",
        "--data",
        "reference",
        "--target",
        "power_kw",
        "--algorithms",
        "linear_regression,ridge,decision_tree",
        "--ignore",
        "failure",
        "--folds",
        "3",
        "--json",
    ]);
    let doc = json_of(&out);
    assert_eq!(doc["task"], "regression");
    assert_eq!(doc["metric"], "r2");
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains("reading_id"),
        "the id column is left out: {warnings}"
    );
    assert!(warnings.contains("timestamp"), "{warnings}");
    for r in doc["runs"].as_array().unwrap() {
        assert_eq!(r["status"], "finished", "{r}");
        for m in ["mae", "mse", "rmse", "r2", "mape"] {
            assert!(r["metrics"][m]["mean"].is_number(), "{m}: {r}");
        }
    }
}

/// Write a CSV into the sandbox's project and return its name.
fn csv(sb: &Sandbox, name: &str, text: &str) -> String {
    std::fs::write(sb.file(name), text).unwrap();
    name.to_owned()
}

fn rows(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(|i| f(i) + "\n").collect()
}

#[test]
fn bad_requests_are_refused_before_any_work() {
    let sb = Sandbox::sample();
    let one_class = csv(
        &sb,
        "one.csv",
        &format!("x,y\n{}", rows(40, |i| format!("{i},a"))),
    );
    let nulls = csv(
        &sb,
        "nulls.csv",
        &format!(
            "x,y\n{}",
            rows(40, |i| format!("{i},{}", ["a", "b", ""][i % 3]))
        ),
    );
    let rare = csv(
        &sb,
        "rare.csv",
        &format!(
            "x,y\n{}",
            rows(40, |i| format!(
                "{i},{}",
                if i < 3 { "rare" } else { "common" }
            ))
        ),
    );
    let text_y = csv(
        &sb,
        "text.csv",
        &format!(
            "x,y\n{}",
            rows(40, |i| format!("{i},{}", ["a", "b"][i % 2]))
        ),
    );
    let no_features = csv(
        &sb,
        "nofeat.csv",
        &format!(
            "when,y\n{}",
            rows(40, |i| format!("2024-01-{:02},{}", i % 28 + 1, i % 2))
        ),
    );
    let wide = csv(
        &sb,
        "wide.csv",
        &format!(
            "{},y\n{}",
            (0..10)
                .map(|i| format!("c{i}"))
                .collect::<Vec<_>>()
                .join(","),
            rows(8, |i| format!("{}{}", "1,".repeat(10), i % 2))
        ),
    );
    let base = |data: &str| -> Vec<String> {
        ["train", "--data", data, "--target", "y"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    let with = |data: &str, extra: &[&str]| -> Vec<String> {
        let mut v = base(data);
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (base(&one_class), "only one class"),
        (base(&nulls), "missing in 13 of 40 rows"),
        (base(&rare), "class 'rare' of 'y' has 3 rows"),
        (
            with(&text_y, &["--task", "regression"]),
            "regression needs numbers",
        ),
        (base(&no_features), "no usable feature columns"),
        (
            with(&wide, &["--folds", "2", "--holdout", "0"]),
            "10 feature columns but only 8 rows",
        ),
        (
            with(&text_y, &["--algorithms", "xgboost"]),
            "unknown algorithm 'xgboost'",
        ),
        (
            with(&text_y, &["--grid", "decision_tree.depth=3"]),
            "no hyperparameter 'depth'",
        ),
        (
            with(&text_y, &["--grid", "decision_tree.max_depth=0"]),
            "out of range 1..=64",
        ),
        (
            with(
                &text_y,
                &[
                    "--grid",
                    &format!(
                        "decision_tree.max_depth={}",
                        (1..=64)
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    "--grid",
                    &format!(
                        "decision_tree.min_samples_leaf={}",
                        (1..=40)
                            .map(|k| k.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                ],
            ),
            "more than 10000",
        ),
        (
            with(&text_y, &["--metric", "rmse"]),
            "unknown metric 'rmse' for classification",
        ),
        (base("missing.csv"), "missing.csv"),
    ];
    for (args, want) in cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = sb.run(&argv);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {err}");
        assert!(err.contains(want), "{argv:?}: wanted '{want}' in: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(run_dirs(&sb).is_empty(), "nothing was trained");
    // The null-target refusal offers the way out, and taking it works.
    let out = sb.run(&["train", "--data", &nulls, "--target", "y", "--folds", "3"]);
    assert!(stderr(&out).contains("--drop-null-target"));
    let out = sb.run(&[
        "train",
        "--data",
        &nulls,
        "--target",
        "y",
        "--folds",
        "3",
        "--drop-null-target",
        "--algorithms",
        "gaussian_nb",
        "--json",
    ]);
    let doc = json_of(&out);
    assert!(doc["warnings"].to_string().contains("dropped 13 rows"));
}

#[test]
fn a_spec_file_is_read_and_its_mistakes_named() {
    let sb = Sandbox::sample();
    std::fs::write(
        sb.file("train.toml"),
        "data = \"breast_cancer.csv\"\ntarget = \"diagnosis\"\n[validation]\nfolds = 3\nseed = 7\n\n[[algorithms]]\nid = \"decision_tree\"\ngrid = { max_depth = [2, 4] }\n",
    )
    .unwrap();
    let doc = json_of(&sb.run(&["train", "--spec", "train.toml", "--json"]));
    assert_eq!(doc["runs"].as_array().unwrap().len(), 2);
    let id = doc["runs"][0]["run_id"].as_str().unwrap();
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(sb.project().join(".lathe/runs").join(id).join("run.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rec["spec"]["validation"]["seed"], 7);
    std::fs::write(sb.file("bad.toml"), "target = \"diagnosis\"\nfolds = 3\n").unwrap();
    let out = sb.run(&["train", "--spec", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:2:1") && err.contains("unknown field `folds`"),
        "{err}"
    );
}

/// Cancels the search when the first job ends.
struct CancelAfterFirst {
    cancel: CancelToken,
    events: Mutex<Vec<SearchEvent>>,
}

impl SearchObserver for CancelAfterFirst {
    fn event(&self, e: SearchEvent) {
        if matches!(e, SearchEvent::JobFinished { .. }) {
            self.cancel.cancel();
        }
        self.events.lock().unwrap().push(e);
    }
}

fn prepared(
    path: &Path,
    algorithms: &[&str],
    folds: usize,
    jobs: usize,
    holdout: f64,
) -> lathe::train::spec::Prepared {
    let mut spec = TrainSpec {
        target: Some("diagnosis".into()),
        jobs: Some(jobs),
        ..TrainSpec::default()
    };
    spec.validation.folds = folds;
    spec.validation.holdout = holdout;
    spec.algorithms = algorithms
        .iter()
        .map(|id| AlgorithmSpec {
            id: (*id).to_owned(),
            grid: BTreeMap::new(),
        })
        .collect();
    lathe::train::load_and_prepare(&spec, path, &LoadOptions::default()).unwrap()
}

#[test]
fn cancel_stops_new_jobs_and_keeps_finished_folds() {
    let sb = Sandbox::sample();
    let prep = prepared(
        &sb.file(CANCER),
        &["decision_tree", "gaussian_nb"],
        3,
        1,
        0.2,
    );
    let store = Store::at(&sb.project().join(".lathe"));
    let cancel = CancelToken::new();
    let obs = CancelAfterFirst {
        cancel: cancel.clone(),
        events: Mutex::new(Vec::new()),
    };
    let ctx = SearchContext {
        store: Some(store.clone()),
        lineage: lathe::train::lineage(&prep, None, &cancel).unwrap(),
        refit: true,
    };
    let outcome = search::run(&prep, &ctx, &obs, &cancel).unwrap();
    assert!(outcome.cancelled);
    let events = obs.events.lock().unwrap();
    let started = events
        .iter()
        .filter(|e| matches!(e, SearchEvent::JobStarted { .. }))
        .count();
    assert_eq!(started, 1, "one thread: only the first job ran");
    assert_eq!(outcome.runs.len(), 2, "every configuration is recorded");
    let (runs, bad) = store.list().unwrap();
    assert!(bad.is_empty());
    assert_eq!(runs.len(), 2);
    for r in &runs {
        assert_eq!(r.status, RunStatus::Cancelled);
        assert_eq!(r.reason.as_deref(), Some("cancelled"));
        assert!(!r.has_model, "no refit after a cancel");
    }
    // The finished fold's scores are kept.
    let kept: Vec<usize> = runs
        .iter()
        .map(|r| r.metrics.get("accuracy").map_or(0, |m| m.folds.len()))
        .collect();
    assert_eq!(kept.iter().sum::<usize>(), 1, "{kept:?}");
}

#[test]
fn a_failing_learner_fails_its_run_and_the_others_go_on() {
    // 2 folds of 34,000 rows: the SVM's dense 17,000² kernel matrix would need more than 2 GiB.
    let sb = Sandbox::empty();
    let path = sb.path().join("big.csv");
    let body = rows(34_000, |i| {
        format!(
            "{},{},{}",
            i % 97,
            (i * 7) % 13,
            if i % 5 == 0 { "B" } else { "M" }
        )
    });
    std::fs::write(&path, format!("a,b,diagnosis\n{body}")).unwrap();
    let prep = prepared(&path, &["svm", "gaussian_nb"], 2, 2, 0.0);
    let cancel = CancelToken::new();
    let ctx = SearchContext {
        store: None,
        lineage: Default::default(),
        refit: false,
    };
    let outcome = search::run(&prep, &ctx, &search::Quiet, &cancel).unwrap();
    let svm = outcome.runs.iter().find(|r| r.algorithm == "svm").unwrap();
    assert_eq!(svm.status, RunStatus::Failed);
    assert!(
        svm.reason
            .as_deref()
            .unwrap_or("")
            .contains("kernel matrix"),
        "{:?}",
        svm.reason
    );
    let nb = outcome
        .runs
        .iter()
        .find(|r| r.algorithm == "gaussian_nb")
        .unwrap();
    assert_eq!(nb.status, RunStatus::Finished);
    assert_eq!(nb.metrics["accuracy"].folds.len(), 2);
}

#[test]
fn two_train_processes_on_one_project_keep_every_run_whole() {
    let sb = Sandbox::sample();
    let args = [
        "train",
        "--data",
        CANCER,
        "--target",
        "diagnosis",
        "--grid",
        "decision_tree.max_depth=2,3,4,5",
        "--folds",
        "3",
        "--jobs",
        "1",
        "--json",
    ];
    let spawn = || {
        std::process::Command::new(crate::common::bin_path())
            .env("LATHE_CONFIG_DIR", sb.path().join("config"))
            .env("LATHE_DATA_DIR", sb.path().join("data"))
            .current_dir(sb.project())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (da, db) = (json_of(&a), json_of(&b));
    assert_ne!(da["study_id"], db["study_id"]);
    let store = Store::at(&sb.project().join(".lathe"));
    let (runs, bad) = store.list().unwrap();
    assert!(bad.is_empty(), "unreadable runs: {bad:?}");
    assert_eq!(runs.len(), 8);
    // Same data, spec and seed: the two studies agree run for run.
    for (ra, rb) in da["runs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(db["runs"].as_array().unwrap())
    {
        assert_eq!(ra["metrics"], rb["metrics"]);
    }
    let leftovers: Vec<_> = std::fs::read_dir(sb.project().join(".lathe/runs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn three_classes_use_multinomial_models_and_refuse_two_class_learners() {
    let sb = Sandbox::sample();
    let doc = json_of(&sb.run(&[
        "train",
        "--data",
        "reference",
        "--target",
        "machine_type",
        "--algorithms",
        "logistic_regression,gaussian_nb",
        "--folds",
        "3",
        "--json",
    ]));
    assert_eq!(doc["task"], "classification");
    assert_eq!(doc["runs"].as_array().unwrap().len(), 2);
    for r in doc["runs"].as_array().unwrap() {
        assert_eq!(r["status"], "finished", "{r}");
        // One-vs-rest macro AUC and log loss come from per-class probabilities
        // placed at their class index; binary-only metrics are absent.
        assert!(r["metrics"]["roc_auc"]["mean"].as_f64().is_some(), "{r}");
        assert!(r["metrics"]["log_loss"]["mean"].as_f64().unwrap() > 0.0);
        assert!(r["metrics"]["f1"].is_null(), "{r}");
        assert!(
            r["threshold"].is_null(),
            "no decision threshold for 3 classes"
        );
    }
    let out = sb.run(&[
        "train",
        "--data",
        "reference",
        "--target",
        "machine_type",
        "--algorithms",
        "svm",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("handles two classes and the target has 3"),
        "{}",
        stderr(&out)
    );
}
