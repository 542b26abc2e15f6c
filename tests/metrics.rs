//! Classification and regression metrics, ROC/PR curves and best thresholds
//! against golden values computed with scikit-learn 1.9
//! (`tests/fixtures/golden/make_metrics_golden.py` → `metrics_golden.json`),
//! plus the no-panic behaviour on invalid input.

use lathe::train::metrics::{
    CLASSIFICATION_METRICS, Curve, REGRESSION_METRICS, best_threshold, classification_scores,
    confusion_matrix, greater_is_better, precision_recall_curve, regression_scores, roc_curve,
};
use serde_json::Value;

/// Absolute or relative tolerance for every golden float.
const TOL: f64 = 1e-9;

fn golden() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden/metrics_golden.json");
    let text = std::fs::read_to_string(&path).expect("metrics_golden.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A golden float: a JSON number, or "NaN" / "Infinity" / "-Infinity".
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => panic!("not a number: {other}"),
        },
        other => panic!("not a number: {other}"),
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(num).collect()
}

fn labels(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| usize::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_bool().unwrap())
        .collect()
}

fn cases<'a>(g: &'a Value, key: &str) -> &'a Vec<Value> {
    g[key].as_array().unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    if expected.is_nan() || actual.is_nan() {
        return expected.is_nan() && actual.is_nan();
    }
    if expected.is_infinite() || actual.is_infinite() {
        return expected == actual;
    }
    let diff = (actual - expected).abs();
    diff <= TOL || diff <= TOL * expected.abs()
}

#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        close(actual, expected),
        "{what}: got {actual:?}, sklearn {expected:?}"
    );
}

#[track_caller]
fn assert_all_close(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: length (got {actual:?})"
    );
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert_close(a, e, &format!("{what}[{i}]"));
    }
}

/// Golden `[[name, value], ...]` pairs.
fn expected_pairs(v: &Value) -> Vec<(String, f64)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), num(&p[1])))
        .collect()
}

#[track_caller]
fn assert_scores(got: &[(&'static str, f64)], expected: &[(String, f64)], case: &str) {
    let got_names: Vec<&str> = got.iter().map(|(m, _)| *m).collect();
    let exp_names: Vec<&str> = expected.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(got_names, exp_names, "{case}: metric names/order");
    for ((m, a), (_, e)) in got.iter().zip(expected) {
        assert_close(*a, *e, &format!("{case}.{m}"));
    }
}

#[test]
fn classification_scores_match_sklearn() {
    let g = golden();
    for case in cases(&g, "classification") {
        let name = case["name"].as_str().unwrap();
        let k = usize::try_from(case["n_classes"].as_u64().unwrap()).unwrap();
        let y_true = labels(&case["y_true"]);
        let y_pred = labels(&case["y_pred"]);
        let proba = (!case["proba"].is_null()).then(|| floats(&case["proba"]));
        let got = classification_scores(&y_true, &y_pred, proba.as_deref(), k);
        assert_scores(&got, &expected_pairs(&case["expected"]), name);
    }
}

#[test]
fn confusion_matrix_matches_sklearn() {
    let g = golden();
    for case in cases(&g, "classification") {
        let name = case["name"].as_str().unwrap();
        let k = usize::try_from(case["n_classes"].as_u64().unwrap()).unwrap();
        let expected: Vec<Vec<u64>> = case["confusion_matrix"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_u64().unwrap())
                    .collect()
            })
            .collect();
        let got = confusion_matrix(&labels(&case["y_true"]), &labels(&case["y_pred"]), k);
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn regression_scores_match_sklearn() {
    let g = golden();
    for case in cases(&g, "regression") {
        let name = case["name"].as_str().unwrap();
        let got = regression_scores(&floats(&case["y_true"]), &floats(&case["y_pred"]));
        assert_scores(&got, &expected_pairs(&case["expected"]), name);
    }
}

#[track_caller]
fn assert_curve(got: &Curve, expected: &Value, what: &str) {
    assert_all_close(&got.x, &floats(&expected["x"]), &format!("{what}.x"));
    assert_all_close(&got.y, &floats(&expected["y"]), &format!("{what}.y"));
    assert_all_close(
        &got.thresholds,
        &floats(&expected["thresholds"]),
        &format!("{what}.thresholds"),
    );
}

#[test]
fn roc_curve_matches_sklearn() {
    let g = golden();
    for case in cases(&g, "curves") {
        let name = case["name"].as_str().unwrap();
        let (pos, score) = (bools(&case["is_positive"]), floats(&case["score"]));
        let curve = roc_curve(&pos, &score);
        assert_curve(&curve, &case["roc"], &format!("{name}.roc"));
        assert_eq!(curve.thresholds.first(), Some(&f64::INFINITY));
    }
}

#[test]
fn precision_recall_curve_matches_sklearn() {
    let g = golden();
    for case in cases(&g, "curves") {
        let name = case["name"].as_str().unwrap();
        let (pos, score) = (bools(&case["is_positive"]), floats(&case["score"]));
        let curve = precision_recall_curve(&pos, &score);
        assert_curve(&curve, &case["pr"], &format!("{name}.pr"));
        assert_eq!(curve.thresholds.len() + 1, curve.x.len());
        assert_eq!((curve.x.last(), curve.y.last()), (Some(&0.0), Some(&1.0)));
    }
}

/// Binary ROC AUC on arbitrary scores (negative decision values, ties),
/// reached through `classification_scores` with the score as column 1.
#[test]
fn binary_roc_auc_on_curve_cases_matches_sklearn() {
    let g = golden();
    for case in cases(&g, "curves") {
        let name = case["name"].as_str().unwrap();
        let (pos, score) = (bools(&case["is_positive"]), floats(&case["score"]));
        let y: Vec<usize> = pos.iter().map(|&p| usize::from(p)).collect();
        let proba: Vec<f64> = score.iter().flat_map(|&s| [0.0, s]).collect();
        let got = classification_scores(&y, &y, Some(&proba), 2);
        let auc = got.iter().find(|(m, _)| *m == "roc_auc").unwrap().1;
        assert_close(auc, num(&case["roc_auc"]), &format!("{name}.roc_auc"));
    }
}

#[test]
fn best_threshold_matches_brute_force() {
    let g = golden();
    for case in cases(&g, "best_threshold") {
        let what = format!(
            "{}.{}",
            case["name"].as_str().unwrap(),
            case["metric"].as_str().unwrap()
        );
        let (pos, score) = (bools(&case["is_positive"]), floats(&case["score"]));
        let (t, v) = best_threshold(&pos, &score, case["metric"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{what}: None"));
        assert_close(t, num(&case["threshold"]), &format!("{what} threshold"));
        assert_close(v, num(&case["value"]), &format!("{what} value"));
    }
}

#[test]
fn metric_names_and_direction() {
    assert_eq!(CLASSIFICATION_METRICS.len(), 15);
    assert_eq!(REGRESSION_METRICS, &["mae", "mse", "rmse", "r2", "mape"]);
    for m in ["log_loss", "mae", "mse", "rmse", "mape"] {
        assert!(!greater_is_better(m), "{m}");
    }
    for m in CLASSIFICATION_METRICS.iter().filter(|&&m| m != "log_loss") {
        assert!(greater_is_better(m), "{m}");
    }
    assert!(greater_is_better("r2"));
}

#[test]
fn invalid_input_gives_nan_not_panic() {
    let all_nan = |v: &[(&str, f64)]| v.iter().all(|(_, x)| x.is_nan());

    // empty, length mismatch, label out of range, zero classes
    let s = classification_scores(&[], &[], None, 2);
    assert_eq!(s.len(), 13);
    assert!(all_nan(&s));
    assert!(all_nan(&classification_scores(&[0, 1], &[0], None, 2)));
    assert!(all_nan(&classification_scores(&[0, 3], &[0, 1], None, 2)));
    assert!(all_nan(&classification_scores(&[0], &[0], None, 0)));
    let s = classification_scores(&[0, 1], &[0, 1], Some(&[0.5, 0.5, 0.2]), 2);
    let get = |s: &[(&str, f64)], m: &str| s.iter().find(|(n, _)| *n == m).map(|p| p.1);
    assert!(get(&s, "roc_auc").unwrap().is_nan());
    assert!(get(&s, "log_loss").unwrap().is_nan());
    assert_eq!(get(&s, "accuracy"), Some(1.0));
    // NaN probabilities
    let s = classification_scores(&[0, 1], &[0, 1], Some(&[0.5, f64::NAN, 0.2, 0.8]), 2);
    assert!(get(&s, "roc_auc").unwrap().is_nan());
    assert!(get(&s, "log_loss").unwrap().is_nan());
    // y_true with a single class: roc_auc left out
    let s = classification_scores(&[1, 1], &[0, 1], Some(&[0.5, 0.5, 0.2, 0.8]), 2);
    assert_eq!(get(&s, "roc_auc"), None);

    assert!(all_nan(&regression_scores(&[], &[])));
    assert!(all_nan(&regression_scores(&[1.0], &[1.0, 2.0])));
    assert!(all_nan(&regression_scores(&[1.0, f64::NAN], &[1.0, 2.0])));
    let one = regression_scores(&[1.0], &[2.0]);
    assert!(get(&one, "r2").unwrap().is_nan());
    assert_eq!(get(&one, "mae"), Some(1.0));

    assert_eq!(
        confusion_matrix(&[0, 1], &[1], 2),
        vec![vec![0, 0], vec![0, 0]]
    );
    assert_eq!(
        confusion_matrix(&[0, 5], &[1, 0], 2),
        vec![vec![0, 1], vec![0, 0]]
    );
    assert!(confusion_matrix(&[], &[], 0).is_empty());

    let empty = Curve {
        x: vec![],
        y: vec![],
        thresholds: vec![],
    };
    assert_eq!(roc_curve(&[], &[]), empty);
    assert_eq!(roc_curve(&[true], &[0.1, 0.2]), empty);
    assert_eq!(roc_curve(&[true, false], &[f64::NAN, 0.2]), empty);
    assert_eq!(
        precision_recall_curve(&[true, false], &[0.3, f64::INFINITY]),
        empty
    );
    assert_eq!(best_threshold(&[true, false], &[0.3, f64::NAN], "f1"), None);
    assert_eq!(best_threshold(&[], &[], "f1"), None);
    assert_eq!(best_threshold(&[true, false], &[0.9, 0.1], "auc"), None);
    assert_eq!(
        best_threshold(&[true, false], &[0.9, 0.1], "f1"),
        Some((0.9, 1.0))
    );

    // one class only: sklearn's NaN rates / recall-one conventions
    let roc = roc_curve(&[true, true], &[0.2, 0.4]);
    assert!(roc.x.iter().all(|x| x.is_nan()));
    assert_eq!(roc.y, vec![0.0, 0.5, 1.0]);
    let pr = precision_recall_curve(&[false, false], &[0.2, 0.4]);
    assert_eq!(pr.x, vec![1.0, 1.0, 0.0]);
    assert_eq!(pr.y, vec![0.0, 0.0, 1.0]);
}
