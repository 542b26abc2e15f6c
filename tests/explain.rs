//! Explanations (`lathe explain`, `lathe::train::explain`): shap's values on
//! lathe's own trees and linear models (golden, made by
//! `tests/fixtures/golden/make_shap_golden.py`), additivity for every
//! learner of every task, and the command's outputs and errors.

use std::collections::BTreeMap;

use lathe::data::{LoadOptions, load};
use lathe::train::explain::{self, Options};
use lathe::train::features::RawTable;
use lathe::train::model::FittedModel;
use serde_json::Value;

use crate::common::{Sandbox, fixture, root};

/// Exact methods: |lathe − shap| and |base + Σ values − output| at most this.
const EXACT: f64 = 1e-9;

fn raw_of(model: &FittedModel, path: &std::path::Path, rows: usize) -> RawTable {
    let loaded = load(path, &LoadOptions::default()).unwrap();
    let features: Vec<(String, bool)> = model
        .inputs()
        .iter()
        .map(|c| (c.name.to_owned(), c.categories.is_some()))
        .collect();
    RawTable::from_frame(&loaded.frame.head(Some(rows)), &features).unwrap()
}

#[test]
fn tree_and_linear_values_match_shap_on_lathes_own_models() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("golden/shap_golden.json")).unwrap())
            .unwrap();
    let rows = golden["rows"].as_u64().unwrap() as usize;
    let data = root().join("sample-data/breast_cancer.csv");
    let models = golden["models"].as_object().unwrap();
    assert_eq!(
        models.len(),
        6,
        "two forests, two boosters, two linear models"
    );
    for (name, want) in models {
        let path = fixture(&format!("golden/{}", want["file"].as_str().unwrap()));
        let model = FittedModel::from_json(&std::fs::read(&path).unwrap()).unwrap();
        let raw = raw_of(&model, &data, rows);
        let all: Vec<usize> = (0..rows).collect();
        let e = explain::explain(&model, &raw, &all, &Options::default()).unwrap();
        assert!(e.method.is_exact(), "{name}: {:?}", e.method);
        assert_eq!(e.output.label(), want["output"].as_str().unwrap(), "{name}");
        let close = |a: f64, b: f64| (a - b).abs() <= EXACT * b.abs().max(1.0);
        let o = e.shown_output(0);
        let expected = want["expected_value"].as_f64().unwrap();
        assert!(
            close(e.base[o], expected),
            "{name}: base {} vs shap {expected}",
            e.base[o]
        );
        let mut worst: f64 = 0.0;
        for (r, row) in want["values"].as_array().unwrap().iter().enumerate() {
            assert_eq!(e.shown_output(r), o, "{name}: the same output on every row");
            for (c, col) in e.columns.iter().enumerate() {
                let w = row[col].as_f64().unwrap_or_else(|| panic!("{name}: {col}"));
                let got = e.values_of(r, o)[c];
                assert!(close(got, w), "{name} row {r} {col}: {got} vs shap {w}");
                worst = worst.max((got - w).abs());
            }
        }
        assert!(e.additivity_error() <= EXACT, "{name}");
        eprintln!("{name}: largest difference from shap {worst:.1e}");
    }
}

/// A table every learner can fit: numbers with missing values, a category,
/// a two-class, a three-class and a numeric target.
fn mixed_csv(sb: &Sandbox) -> String {
    let mut text = String::from("x1,x2,x3,colour,bin,multi,value\n");
    let mut s: u64 = 7;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 10_000) as f64 / 10_000.0
    };
    for i in 0..240 {
        let (a, b, c) = (next() * 4.0 - 2.0, next() * 10.0, next());
        let colour = ["red", "green", "blue"][i % 3];
        let z = a + 0.3 * b - if colour == "red" { 1.5 } else { 0.0 } + next();
        let x2 = if i % 11 == 0 {
            String::new()
        } else {
            format!("{b:.4}")
        };
        text.push_str(&format!(
            "{a:.4},{x2},{c:.4},{colour},{},{},{:.4}\n",
            u8::from(z > 1.8),
            if z < 1.0 {
                "low"
            } else if z < 2.6 {
                "mid"
            } else {
                "high"
            },
            2.0 * a + b * c + if colour == "blue" { 3.0 } else { 0.0 }
        ));
    }
    std::fs::write(sb.file("mixed.csv"), text).unwrap();
    "mixed.csv".into()
}

fn json_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `lathe train --json` on `data` with two folds: its JSON document.
fn train(sb: &Sandbox, data: &str, target: &str, ignore: &str, more: &[&str]) -> Value {
    let mut args = vec![
        "train", "--data", data, "--target", target, "--ignore", ignore, "--folds", "2", "--json",
    ];
    args.extend_from_slice(more);
    json_of(&sb.run(&args))
}

/// Train every learner of a task on `target` and explain 12 rows of each
/// run with a model: (algorithm → the explanation's JSON).
fn explain_every_learner(
    sb: &Sandbox,
    data: &str,
    target: &str,
    ignore: &str,
    algorithms: &str,
) -> BTreeMap<String, Value> {
    let doc = train(sb, data, target, ignore, &["--algorithms", algorithms]);
    let mut out = BTreeMap::new();
    for run in doc["runs"].as_array().unwrap() {
        if run["has_model"] != Value::Bool(true) {
            continue;
        }
        let id = run["run_id"].as_str().unwrap();
        let e = json_of(&sb.run(&["explain", id, data, "--rows", "1-12", "--json"]));
        out.insert(
            run["algorithm"].as_str().unwrap().to_owned(),
            e["explanation"].clone(),
        );
    }
    out
}

fn check_additivity(task: &str, by: &BTreeMap<String, Value>, expect: &[(&str, &str)]) {
    assert_eq!(
        by.keys().collect::<Vec<_>>(),
        expect
            .iter()
            .map(|e| e.0)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>(),
        "{task}: every learner explained"
    );
    for (alg, method) in expect {
        let e = &by[*alg];
        assert_eq!(e["method"], *method, "{task} {alg}");
        let rows = e["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 12);
        for r in rows {
            let values = r["values"].as_object().unwrap();
            assert_eq!(
                values.keys().collect::<Vec<_>>(),
                ["x1", "x2", "x3", "colour"],
                "{task} {alg}: one value per input column (one-hot summed back)"
            );
            let sum: f64 = values.values().map(|v| v.as_f64().unwrap()).sum();
            let (base, output) = (
                r["base_value"].as_f64().unwrap(),
                r["output"].as_f64().unwrap(),
            );
            // The sampling estimate is additive by construction too (each
            // column order telescopes); its error is in each value, stated.
            assert!(
                (base + sum - output).abs() <= EXACT * output.abs().max(1.0),
                "{task} {alg}: {base} + {sum} != {output}"
            );
            assert_eq!(
                r.get("std_error").is_some(),
                *method == "sampling estimate",
                "{task} {alg}: a standard error exactly for the estimate"
            );
        }
    }
}

#[test]
fn every_learner_of_every_task_is_explained_additively() {
    let sb = Sandbox::sample();
    let data = mixed_csv(&sb);
    let tree = "exact TreeSHAP";
    let linear = "exact linear SHAP";
    let sampled = "sampling estimate";
    let two = explain_every_learner(
        &sb,
        &data,
        "bin",
        "multi,value",
        "logistic_regression,decision_tree,random_forest,knn,gaussian_nb,svm,gradient_boosting",
    );
    check_additivity(
        "two classes",
        &two,
        &[
            ("decision_tree", tree),
            ("gaussian_nb", sampled),
            ("gradient_boosting", tree),
            ("knn", sampled),
            ("logistic_regression", linear),
            ("random_forest", tree),
            ("svm", sampled),
        ],
    );
    assert_eq!(two["gradient_boosting"]["output_kind"], "log-odds");
    assert_eq!(two["random_forest"]["output_kind"], "probability");
    assert_eq!(two["random_forest"]["rows"][0]["class"], "1");
    let three = explain_every_learner(
        &sb,
        &data,
        "multi",
        "bin,value",
        "logistic_regression,decision_tree,random_forest,knn,gaussian_nb,gradient_boosting",
    );
    check_additivity(
        "three classes",
        &three,
        &[
            ("decision_tree", tree),
            ("gaussian_nb", sampled),
            ("gradient_boosting", tree),
            ("knn", sampled),
            ("logistic_regression", linear),
            ("random_forest", tree),
        ],
    );
    assert_eq!(three["gradient_boosting"]["output_kind"], "logit");
    let regression = explain_every_learner(
        &sb,
        &data,
        "value",
        "bin,multi",
        "linear_regression,ridge,lasso,elastic_net,decision_tree,random_forest,knn,svm,gradient_boosting",
    );
    check_additivity(
        "regression",
        &regression,
        &[
            ("decision_tree", tree),
            ("elastic_net", linear),
            ("gradient_boosting", tree),
            ("knn", sampled),
            ("lasso", linear),
            ("linear_regression", linear),
            ("random_forest", tree),
            ("ridge", linear),
            ("svm", sampled),
        ],
    );
}

#[test]
fn explain_writes_csv_and_charts_and_names_bad_input() {
    let sb = Sandbox::sample();
    let data = mixed_csv(&sb);
    let doc = train(
        &sb,
        &data,
        "bin",
        "multi,value",
        &[
            "--algorithms",
            "random_forest",
            "--grid",
            "random_forest.n_trees=5",
        ],
    );
    let id = doc["runs"][0]["run_id"].as_str().unwrap().to_owned();
    // Text: the method, the importance table and the rows' waterfalls.
    let out = sb.run(&["explain", &id[..8], &data, "--rows", "3,5"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("exact TreeSHAP of the probability (2 rows)"),
        "{text}"
    );
    assert!(text.contains("mean |SHAP| per column"), "{text}");
    assert!(
        text.contains("row 3: probability of '1'") && text.contains("row 5:"),
        "{text}"
    );
    // CSV and charts.
    let out = sb.run(&[
        "explain",
        &id,
        &data,
        "--csv",
        "shap.csv",
        "--chart",
        "importance.svg",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(sb.file("shap.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,class,base_value,output,x1,x2,x3,colour"
    );
    assert_eq!(lines.count(), 240);
    let svg = std::fs::read_to_string(sb.file("importance.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("mean |SHAP| per column"));
    let out = sb.run(&["explain", &id, &data, "--rows", "7", "--chart", "row7.png"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(sb.file("row7.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    // Bad input: exit 2, naming what is wrong.
    for (args, says) in [
        (vec!["--rows", "241"], "past the file's last row (240)"),
        (vec!["--rows", "x"], "not a row number"),
    ] {
        let mut all = vec!["explain", id.as_str(), data.as_str()];
        all.extend(args);
        let out = sb.run(&all);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(says));
    }
    std::fs::write(sb.file("narrow.csv"), "x1,x2\n1,2\n").unwrap();
    let out = sb.run(&["explain", &id, "narrow.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("narrow.csv has no column 'x3'"), "{err}");
    let out = sb.run(&["explain", "NOSUCHRUN", &data]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_rows_sampling_estimate_does_not_depend_on_the_rows_beside_it() {
    let sb = Sandbox::sample();
    let data = mixed_csv(&sb);
    let doc = train(&sb, &data, "bin", "multi,value", &["--algorithms", "knn"]);
    let id = doc["runs"][0]["run_id"].as_str().unwrap().to_owned();
    let values = |rows: &str| -> Vec<Value> {
        let e = json_of(&sb.run(&["explain", &id, &data, "--rows", rows, "--json"]));
        assert_eq!(e["explanation"]["method"], "sampling estimate");
        e["explanation"]["rows"].as_array().unwrap().clone()
    };
    let batch = values("3-6");
    let alone = values("5");
    assert_eq!(batch[2]["row"], 5);
    assert_eq!(batch[2]["values"], alone[0]["values"]);
    assert_eq!(batch[2]["std_error"], alone[0]["std_error"]);
    assert_ne!(batch[0]["values"], batch[2]["values"]);
}

/// A model from before format 4 (trees without covers, no training rows) is
/// explained by the sampling estimate, which says so, and still adds up.
#[test]
fn a_model_without_node_covers_is_estimated_and_says_so() {
    let path = fixture("golden/shap/rf_classifier.model.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["format_version"] = 3.into();
    v.as_object_mut().unwrap().remove("background");
    for t in v["model"]["random_forest"]["trees"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("cover");
    }
    let model = FittedModel::from_json(&serde_json::to_vec(&v).unwrap()).unwrap();
    let raw = raw_of(&model, &root().join("sample-data/breast_cancer.csv"), 12);
    let all: Vec<usize> = (0..12).collect();
    let e = explain::explain(&model, &raw, &all, &Options::default()).unwrap();
    assert!(!e.method.is_exact());
    assert!(e.std_error.is_some());
    assert!(
        e.notes.iter().any(|n| n.contains("before model format 4")),
        "{:?}",
        e.notes
    );
    assert!(e.additivity_error() <= EXACT);
}
