//! The README's "first ten minutes", as one test from the default build with no
//! special environment (no `LATHE_SERVER_BINARY`): a copy of the sample project
//! goes around the whole loop through the CLI — validate, label, train and
//! explore, the pipeline (train, gate, bundle, promote), the bundle's image built
//! with buildah and run FROM scratch under podman, inferences from a third-party
//! OIP client, drift of the drifted batch, and the retrain it triggers.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::bundle::text;
use crate::common::Sandbox;
use crate::containers::{Container, Image, container_tools};
use crate::serve_clients::{columns, predict, python, run_client, sample_rows};

/// Run lathe; exit code and output (stdout + stderr).
fn lathe(sb: &Sandbox, args: &[&str]) -> (i32, String) {
    let out = sb.run(args);
    (out.status.code().unwrap_or(-1), text(&out))
}

/// Run lathe with `--json`; the document (exit code `want`).
fn lathe_json(sb: &Sandbox, args: &[&str], want: i32) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = sb.run(&all);
    assert_eq!(out.status.code(), Some(want), "{args:?}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)))
}

fn step<'a>(rec: &'a Value, name: &str) -> &'a Value {
    rec["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["step"] == name))
        .unwrap_or_else(|| panic!("no step {name}: {rec:#}"))
}

#[test]
fn a_newcomer_walks_the_whole_loop_from_the_cli() {
    let Some(conf) = container_tools() else {
        return;
    };
    let python = match python() {
        Ok(p) => p,
        Err(why) => {
            crate::common::skip_or_fail(&why);
            return;
        }
    };
    let sb = Sandbox::sample();

    // 1. The data passes its checks.
    let (code, out) = lathe(&sb, &["data", "validate", "reference"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 failed"), "{out}");

    // 2. Label a few rows of the unlabelled batch by key, and a bulk by expression.
    for (key, class) in [("200001", "0"), ("200002", "0")] {
        let (code, out) = lathe(&sb, &["label", "set", "--key", key, "--class", class]);
        assert_eq!(code, 0, "{out}");
    }
    let (code, out) = lathe(
        &sb,
        &[
            "label",
            "set",
            "--where",
            "vibration_rms > 4.5",
            "--class",
            "1",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let status = lathe_json(&sb, &["label", "status"], 0);
    let labelled = status["labelled"].as_u64().unwrap();
    assert!(labelled > 2, "{status:#}");

    // 3. Train two learners and compare their runs.
    let trained = lathe_json(
        &sb,
        &[
            "train",
            "--data",
            "reference",
            "--target",
            "failure",
            "--ignore",
            "reading_id,timestamp,machine_id",
            "--algorithms",
            "logistic_regression,gaussian_nb",
            "--folds",
            "3",
        ],
        0,
    );
    let runs: Vec<&str> = trained["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["has_model"] == true)
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(runs.len(), 2, "{trained:#}");
    let (code, out) = lathe(&sb, &["runs", "diff", runs[0], runs[1]]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("roc_auc"), "{out}");

    // 4. The pipeline trains on the reference plus the journal's labels, gates,
    //    bundles (with the server lathe carries) and promotes the champion.
    let rec = lathe_json(&sb, &["pipeline", "run"], 0);
    let p = &rec["pipeline"];
    assert_eq!(p["outcome"], "done", "{p:#}");
    let labels = step(p, "labels")["detail"].as_str().unwrap();
    assert!(
        labels.contains(&format!("{labelled} rows from the label journal")),
        "{labels}"
    );
    let bundle = PathBuf::from(p["bundle"].as_str().unwrap_or_else(|| panic!("{p:#}")));
    let bundle = if bundle.is_absolute() {
        bundle
    } else {
        sb.project().join(bundle)
    };
    assert!(
        bundle.join("bin/lathe-serve").is_file(),
        "{}",
        bundle.display()
    );
    let champion = lathe_json(&sb, &["runs", "show", "@champion"], 0);
    assert_eq!(champion["run_id"], p["candidate"], "{p:#}");

    // 5. The image builds with buildah, runs FROM scratch as non-root under podman,
    //    and answers a third-party OIP client, in JSON and in binary.
    let image = Image::build(
        &conf,
        &bundle,
        &format!("localhost/lathe-walk-{}:0.1.0", std::process::id()),
    );
    assert!(
        image.bytes() <= 30 << 20,
        "the image is {} bytes, over 30 MiB",
        image.bytes()
    );
    let running = Container::run(
        &conf,
        &image.name,
        &format!("lathe-walk-{}", std::process::id()),
    );
    let model = bundle
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let (header, rows) = sample_rows(&sb, "maintenance_fresh_stable.csv", 25);
    let cols = columns(&bundle, &header, &rows);
    let answers = run_client(&python, running.addr, model, &cols, &sb);
    let (labels, probabilities) = predict(&sb, &bundle, &header, &rows);
    for mode in ["json", "binary"] {
        assert_eq!(
            answers[mode]["predictions"],
            json!(labels),
            "{mode}: {answers:#}"
        );
        let served: Vec<Vec<f64>> =
            serde_json::from_value(answers[mode]["probabilities"].clone()).unwrap();
        for (s, p) in served.iter().flatten().zip(probabilities.iter().flatten()) {
            assert!((s - p).abs() < 1e-12, "{mode}: {s} served, {p} predicted");
        }
    }
    drop(running);
    drop(image);

    // 6. The drifted batch has drifted from the bundle's reference: exit 1.
    let (code, out) = lathe(
        &sb,
        &[
            "drift",
            "--reference",
            bundle.to_str().unwrap(),
            "--current",
            "maintenance_fresh_drift.csv",
        ],
    );
    assert_eq!(code, 1, "{out}");

    // 7. That batch arrives in incoming/: `--when-drift` retrains, bundles 0.1.1
    //    and promotes it.
    std::fs::create_dir_all(sb.file("incoming")).unwrap();
    std::fs::copy(
        sb.file("maintenance_fresh_drift.csv"),
        sb.file("incoming/2024-03-batch.csv"),
    )
    .unwrap();
    let rec = lathe_json(&sb, &["pipeline", "run", "--when-drift"], 0);
    let p2 = &rec["pipeline"];
    assert_eq!(p2["outcome"], "done", "{p2:#}");
    assert!(
        step(p2, "drift")["detail"]
            .as_str()
            .unwrap()
            .contains("drift"),
        "{p2:#}"
    );
    let retrained = p2["bundle"].as_str().unwrap();
    assert!(retrained.ends_with("0.1.1"), "{retrained}");
    let champion = lathe_json(&sb, &["runs", "show", "@champion"], 0);
    assert_eq!(champion["run_id"], p2["candidate"], "{p2:#}");
    assert_ne!(p2["candidate"], p["candidate"]);
}
