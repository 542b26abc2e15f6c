//! Explanations in the bundle and the server (issue 22): the manifest's
//! global importance (and `lathe bundle verify` with it), KServe's V1 verbs
//! (`:predict` answers as the v2 infer does; `:explain` values add up to the
//! raw output within 1e-9 for a random forest and for boosting), the v2
//! `explanation` output, the row cap (413) and time budget (503) after which
//! the server still answers, unknown verbs and models (404), and a third-party
//! V1 client (`tests/clients/v1_client.py`, plain `requests`: KServe's own
//! package brings a whole server stack).
//!
//! The client needs Python with `requests`: `LATHE_PYTHON`, else
//! `.ci/venv/bin/python`; without it that test skips, or fails under
//! `LATHE_REQUIRE_EXTERNAL=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::bundle::{Server, error_of, export, http, post_json, text, trained};
use crate::common::{self, Sandbox};
use crate::serve_clients::{columns, sample_rows};

/// A forest (categories and numbers) on the maintenance data.
fn forest_bundle() -> (Sandbox, PathBuf) {
    let sb = Sandbox::sample();
    std::fs::write(
        sb.file("train.toml"),
        "data = \"maintenance_reference.csv\"\ntarget = \"failure\"\nignore = [\"reading_id\", \"timestamp\", \"machine_id\"]\n\
         [validation]\nfolds = 3\n[[algorithms]]\nid = \"random_forest\"\ngrid = { n_trees = [30], max_depth = [6] }\n",
    )
    .unwrap();
    let run = trained(
        &sb,
        "maintenance_reference.csv",
        "failure",
        &["--spec", "train.toml"],
    );
    let dir = export(&sb, &run, &["--name", "maint-forest"]);
    (sb, dir)
}

/// Gradient boosting on the breast cancer data (log-odds).
fn boosting_bundle() -> (Sandbox, PathBuf) {
    let sb = Sandbox::sample();
    let run = trained(
        &sb,
        "breast_cancer.csv",
        "diagnosis",
        &["--algorithms", "gradient_boosting"],
    );
    let dir = export(&sb, &run, &["--name", "cancer-boost"]);
    (sb, dir)
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("bundle.json")).unwrap()).unwrap()
}

/// `n` rows of a sample file as V1 instances (objects) and as the v2 request's columns.
fn instances(sb: &Sandbox, dir: &Path, file: &str, n: usize) -> (Vec<Value>, Value) {
    let (header, rows) = sample_rows(sb, file, n);
    let cols = columns(dir, &header, &rows);
    let objects = (0..rows.len())
        .map(|r| {
            Value::Object(
                cols.iter()
                    .map(|(name, v)| (name.clone(), v[r].clone()))
                    .collect(),
            )
        })
        .collect();
    let inputs: Vec<Value> = cols
        .iter()
        .map(|(name, v)| {
            let datatype = if v[0].is_string() { "BYTES" } else { "FP64" };
            json!({"name": name, "shape": [v.len()], "datatype": datatype, "data": v})
        })
        .collect();
    (objects, json!({ "inputs": inputs }))
}

/// base + Σ values − output, the worst over the rows.
fn additivity(explanations: &[Value]) -> f64 {
    explanations
        .iter()
        .map(|e| {
            let sum: f64 = e["values"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_f64().unwrap())
                .sum();
            (e["base_value"].as_f64().unwrap() + sum - e["output"].as_f64().unwrap()).abs()
        })
        .fold(0.0, f64::max)
}

/// The manifest's importance: exact, every input once, largest first.
fn check_importance(dir: &Path, output: &str) {
    let m = manifest(dir);
    let imp = &m["importance"];
    assert_eq!(imp["method"], "tree_exact", "{imp}");
    assert_eq!(imp["output"], output, "{imp}");
    let cols = imp["columns"].as_array().unwrap();
    let mut names: Vec<&str> = cols.iter().map(|c| c["column"].as_str().unwrap()).collect();
    let mut inputs: Vec<&str> = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let values: Vec<f64> = cols
        .iter()
        .map(|c| c["mean_abs"].as_f64().unwrap())
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert!(values[0] > 0.0, "{values:?}");
    names.sort_unstable();
    inputs.sort_unstable();
    assert_eq!(names, inputs);
    let rows = imp["rows"].as_u64().unwrap();
    assert!(rows > 0 && rows <= 1000, "{rows}");
    assert!(imp["additivity_error"].as_f64().unwrap() < 1e-9, "{imp}");
    assert_eq!(
        imp["base"].as_array().unwrap().len(),
        imp["outputs"].as_array().unwrap().len()
    );
}

fn verify_passes(sb: &Sandbox, dir: &Path) {
    let out = sb.run(&["bundle", "verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_forest_bundle_explains_exactly_over_v1_and_v2_and_keeps_serving_past_the_limits() {
    let (sb, dir) = forest_bundle();
    check_importance(&dir, "probability");
    verify_passes(&sb, &dir);
    let logs = sb.path().join("predlog");
    let server = Server::start(
        &sb,
        &dir,
        &[
            "--explain-max-rows",
            "20",
            "--log-predictions",
            logs.to_str().unwrap(),
        ],
    );
    let a = server.addr;
    let (objects, v2) = instances(&sb, &dir, "maintenance_reference.csv", 20);

    // :predict answers the labels the v2 infer gives, from objects and from lists.
    let (code, pred) = post_json(
        a,
        "/v1/models/maint-forest:predict",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 200, "{pred}");
    let (code, infer) = post_json(a, "/v2/models/maint-forest/infer", &v2);
    assert_eq!(code, 200, "{infer}");
    let outputs = infer["outputs"].as_array().unwrap();
    let labels = &outputs.iter().find(|o| o["name"] == "failure").unwrap()["data"];
    assert_eq!(&pred["predictions"], labels);
    let inputs: Vec<String> = manifest(&dir)["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    let lists: Vec<Value> = objects
        .iter()
        .map(|o| Value::Array(inputs.iter().map(|c| o[c].clone()).collect()))
        .collect();
    let (code, pred2) = post_json(
        a,
        "/v1/models/maint-forest:predict",
        &json!({"instances": lists}),
    );
    assert_eq!(code, 200, "{pred2}");
    assert_eq!(pred2["predictions"], pred["predictions"]);

    // :explain: exact, additive, in the probability the v2 infer answers.
    let (code, ex) = post_json(
        a,
        "/v1/models/maint-forest:explain",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 200, "{ex}");
    assert_eq!(ex["method"], "exact TreeSHAP", "{ex}");
    assert_eq!(ex["exact"], true);
    let rows = ex["explanations"].as_array().unwrap();
    assert_eq!(rows.len(), 20);
    assert!(additivity(rows) < 1e-9, "{}", additivity(rows));
    let probs = &outputs
        .iter()
        .find(|o| o["name"] == "probabilities")
        .unwrap()["data"];
    let classes: Vec<Value> = manifest(&dir)["classes"].as_array().unwrap().clone();
    for (r, e) in rows.iter().enumerate() {
        assert_eq!(e["output_kind"], "probability");
        assert_eq!(e["values"].as_object().unwrap().len(), inputs.len());
        assert_eq!(e["prediction"], labels[r]);
        assert!(e.get("std_errors").is_none());
        let c = classes.iter().position(|c| *c == e["class"]).unwrap();
        let p = probs[r * classes.len() + c].as_f64().unwrap();
        assert!(
            (p - e["output"].as_f64().unwrap()).abs() < 1e-9,
            "{e} vs {p}"
        );
    }

    // The v2 explanation option: one BYTES tensor of JSON rows, the same as V1's.
    let mut v2x = v2.clone();
    v2x["parameters"] = json!({"explain": true});
    let (code, infer_x) = post_json(a, "/v2/models/maint-forest/infer", &v2x);
    assert_eq!(code, 200, "{infer_x}");
    let t = infer_x["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "explanation")
        .unwrap_or_else(|| panic!("{infer_x}"));
    assert_eq!(t["datatype"], "BYTES");
    assert_eq!(t["shape"], json!([20]));
    let parsed: Vec<Value> = t["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::from_str(s.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(&parsed, rows);
    assert_eq!(
        infer_x["parameters"]["explanation_method"],
        "exact TreeSHAP"
    );
    // Asked for by name in `outputs`, alone.
    let mut named = v2.clone();
    named["outputs"] = json!([{"name": "explanation"}]);
    let (code, only) = post_json(a, "/v2/models/maint-forest/infer", &named);
    assert_eq!(code, 200, "{only}");
    assert_eq!(only["outputs"].as_array().unwrap().len(), 1, "{only}");

    // Over the row cap: 413, for V1 and v2; the next request is answered.
    let (more, v2_more) = instances(&sb, &dir, "maintenance_reference.csv", 21);
    let (code, v) = post_json(
        a,
        "/v1/models/maint-forest:explain",
        &json!({"instances": more}),
    );
    assert_eq!(code, 413, "{v}");
    assert!(error_of(&v).contains("at most 20"), "{v}");
    let mut v2_more = v2_more;
    v2_more["parameters"] = json!({"explain": true});
    let (code, v) = post_json(a, "/v2/models/maint-forest/infer", &v2_more);
    assert_eq!(code, 413, "{v}");
    // Predicting has no row cap.
    let (code, v) = post_json(
        a,
        "/v1/models/maint-forest:predict",
        &json!({"instances": more}),
    );
    assert_eq!(code, 200, "{v}");
    let (code, v) = post_json(
        a,
        "/v1/models/maint-forest:explain",
        &json!({"instances": &objects[..1]}),
    );
    assert_eq!(code, 200, "{v}");
    // A row alone (its trees in parallel) gets the very values it gets in a batch.
    let (code, alone) = post_json(
        a,
        "/v1/models/maint-forest:explain",
        &json!({"instances": &objects[1..2]}),
    );
    assert_eq!(code, 200, "{alone}");
    assert_eq!(alone["explanations"][0], rows[1]);

    // Unknown verbs and models are 404s with a JSON error; bad rows 400 naming the field.
    let (code, v) = post_json(
        a,
        "/v1/models/maint-forest:frobnicate",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 404, "{v}");
    assert!(error_of(&v).contains(":explain"), "{v}");
    let (code, v) = post_json(a, "/v1/models/maint-forest", &json!({"instances": objects}));
    assert_eq!(code, 404, "{v}");
    let (code, v) = post_json(
        a,
        "/v1/models/other:explain",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 404, "{v}");
    assert!(error_of(&v).contains("maint-forest"), "{v}");
    let mut bad = objects[0].clone();
    bad["torque_nm"] = json!("lots");
    let (code, v) = post_json(
        a,
        "/v1/models/maint-forest:explain",
        &json!({"instances": [bad]}),
    );
    assert_eq!(code, 400, "{v}");
    assert!(error_of(&v).contains("torque_nm"), "{v}");
    let (code, v) = post_json(
        a,
        "/v1/models/maint-forest:predict",
        &json!({"rows": objects}),
    );
    assert_eq!(code, 400, "{v}");
    assert!(error_of(&v).contains("rows"), "{v}");
    // V1 readiness.
    let (code, body) = http(a, "GET", "/v1/models/maint-forest", &[], b"");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"ready\":true"), "{body}");

    // The metrics count the V1 endpoints.
    let (_, m) = http(a, "GET", "/metrics", &[], b"");
    for series in [
        "lathe_requests_total{code=\"200\",endpoint=\"v1_predict\",model=\"maint-forest\"} 3",
        "lathe_requests_total{code=\"200\",endpoint=\"v1_explain\",model=\"maint-forest\"} 3",
        "lathe_requests_total{code=\"413\",endpoint=\"v1_explain\",model=\"maint-forest\"} 1",
        "lathe_requests_total{code=\"400\",endpoint=\"v1_explain\",model=\"maint-forest\"} 1",
        "lathe_requests_total{code=\"404\",endpoint=\"v1_explain\",model=\"maint-forest\"} 1",
        "lathe_errors_total{kind=\"too_many_rows\",model=\"maint-forest\"} 2",
        "lathe_errors_total{kind=\"over_time_budget\",model=\"maint-forest\"} 0",
    ] {
        assert!(m.contains(series), "{series} not in\n{m}");
    }
    assert!(server.stop().success());
    // Explained rows are logged as predicted rows are: 20 + 20 + 20 (+ 20 v2
    // explain + 20 v2 named) + 21 + 1 + 1, in the log's usual format.
    let logged: usize = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    assert_eq!(logged, 20 * 6 + 21 + 2);

    // A time budget too small for more than the first row: 503, then the
    // server still answers a one-row request.
    let server = Server::start(&sb, &dir, &["--explain-budget-ms", "0"]);
    let (code, v) = post_json(
        server.addr,
        "/v1/models/maint-forest:explain",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 503, "{v}");
    assert!(error_of(&v).contains("budget of 0 ms (1 explained)"), "{v}");
    let (code, v) = post_json(
        server.addr,
        "/v1/models/maint-forest:explain",
        &json!({"instances": &objects[..1]}),
    );
    assert_eq!(code, 200, "{v}");
}

#[test]
fn a_boosting_bundle_explains_its_log_odds_exactly() {
    let (sb, dir) = boosting_bundle();
    check_importance(&dir, "log_odds");
    verify_passes(&sb, &dir);
    let server = Server::start(&sb, &dir, &[]);
    let (objects, v2) = instances(&sb, &dir, "breast_cancer.csv", 40);
    let (code, ex) = post_json(
        server.addr,
        "/v1/models/cancer-boost:explain",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 200, "{ex}");
    assert_eq!(ex["method"], "exact TreeSHAP");
    let rows = ex["explanations"].as_array().unwrap();
    assert_eq!(rows.len(), 40);
    assert!(additivity(rows) < 1e-9, "{}", additivity(rows));
    // The log-odds are those of the second class's probability the v2 infer answers.
    let (code, infer) = post_json(server.addr, "/v2/models/cancer-boost/infer", &v2);
    assert_eq!(code, 200, "{infer}");
    let probs = &infer["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "probabilities")
        .unwrap()["data"];
    let second = &manifest(&dir)["classes"][1];
    for (r, e) in rows.iter().enumerate() {
        assert_eq!(e["output_kind"], "log-odds");
        assert_eq!(&e["class"], second);
        let p = 1.0 / (1.0 + (-e["output"].as_f64().unwrap()).exp());
        let want = probs[r * 2 + 1].as_f64().unwrap();
        assert!((p - want).abs() < 1e-9, "row {r}: {p} vs {want}");
    }
    assert!(server.stop().success());
    // A bundle from before the importance (no such field) verifies, serves
    // and explains.
    let mut m = manifest(&dir);
    m.as_object_mut().unwrap().remove("importance").unwrap();
    std::fs::write(
        dir.join("bundle.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();
    verify_passes(&sb, &dir);
    let server = Server::start(&sb, &dir, &[]);
    let (code, old) = post_json(
        server.addr,
        "/v1/models/cancer-boost:explain",
        &json!({"instances": &objects[..3]}),
    );
    assert_eq!(code, 200, "{old}");
    assert_eq!(old["explanations"].as_array().unwrap().len(), 3);
}

/// `LATHE_PYTHON`, else the CI venv's; it must import requests.
fn python_with_requests() -> Result<PathBuf, String> {
    let exe = match std::env::var_os("LATHE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => common::root().join(".ci/venv/bin/python"),
    };
    let ok = exe.is_file()
        && Command::new(&exe)
            .args(["-c", "import requests"])
            .output()
            .is_ok_and(|o| o.status.success());
    if ok {
        Ok(exe)
    } else {
        Err(format!(
            "no Python with requests at {} (set LATHE_PYTHON, or run .ci/run)",
            exe.display()
        ))
    }
}

#[test]
fn a_third_party_v1_client_predicts_and_explains() {
    let py = match python_with_requests() {
        Ok(p) => p,
        Err(why) => {
            common::skip_or_fail(&why);
            return;
        }
    };
    let (sb, dir) = boosting_bundle();
    let server = Server::start(&sb, &dir, &[]);
    let (objects, v2) = instances(&sb, &dir, "breast_cancer.csv", 10);
    let file = sb.path().join("instances.json");
    std::fs::write(&file, Value::Array(objects).to_string()).unwrap();
    let out = Command::new(&py)
        .arg(common::root().join("tests/clients/v1_client.py"))
        .arg(server.addr.to_string())
        .arg("cancer-boost")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "v1_client.py: {}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ready"]["ready"], true);
    assert!(v["additivity_error"].as_f64().unwrap() < 1e-9, "{v}");
    assert_eq!(v["explain"]["explanations"].as_array().unwrap().len(), 10);
    let (_, infer) = post_json(server.addr, "/v2/models/cancer-boost/infer", &v2);
    let labels = &infer["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "diagnosis")
        .unwrap()["data"];
    assert_eq!(&v["predictions"], labels);
}

#[test]
fn a_model_without_an_exact_method_is_estimated_and_says_so() {
    let sb = Sandbox::sample();
    let run = trained(
        &sb,
        "breast_cancer.csv",
        "diagnosis",
        &["--algorithms", "gaussian_nb"],
    );
    let dir = export(&sb, &run, &["--name", "cancer-nb"]);
    let imp = &manifest(&dir)["importance"];
    assert_eq!(imp["method"], "sampling", "{imp}");
    assert!(imp["rows"].as_u64().unwrap() <= 64, "{imp}");
    assert!(!imp["notes"].as_array().unwrap().is_empty(), "{imp}");
    verify_passes(&sb, &dir);
    let server = Server::start(&sb, &dir, &[]);
    let (objects, _) = instances(&sb, &dir, "breast_cancer.csv", 3);
    let (code, ex) = post_json(
        server.addr,
        "/v1/models/cancer-nb:explain",
        &json!({"instances": objects}),
    );
    assert_eq!(code, 200, "{ex}");
    assert_eq!(ex["method"], "sampling estimate", "{ex}");
    assert_eq!(ex["exact"], false);
    assert!(!ex["notes"].as_array().unwrap().is_empty(), "{ex}");
    for e in ex["explanations"].as_array().unwrap() {
        let se = e["std_errors"].as_object().unwrap_or_else(|| panic!("{e}"));
        assert_eq!(se.len(), e["values"].as_object().unwrap().len());
        assert!(se.values().all(|v| v.as_f64().unwrap() >= 0.0), "{e}");
    }
}
