//! The experiments step: the corrected resampled t-test against scipy, the
//! leaderboard, compare, curation (aliases, archive, delete, gc), exports,
//! damaged run folders, and two processes writing to one store at once.

use std::path::Path;

use serde_json::Value;

use crate::common::{Sandbox, root};

const CANCER: &str = "breast_cancer.csv";

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Train on the breast cancer data; the run ids, in the study's order.
fn train(sb: &Sandbox, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["train", "--data", CANCER, "--target", "diagnosis", "--json"];
    if !extra.contains(&"--folds") {
        args.extend(["--folds", "3"]);
    }
    args.extend_from_slice(extra);
    let doc = json_of(&sb.run(&args));
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_owned())
        .collect()
}

fn list(sb: &Sandbox, extra: &[&str]) -> Value {
    let mut args = vec!["runs", "list", "--json"];
    args.extend_from_slice(extra);
    json_of(&sb.run(&args))
}

fn ids_of(doc: &Value) -> Vec<String> {
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_owned())
        .collect()
}

// ---- the statistic against scipy ------------------------------------------------------------

fn golden() -> Value {
    let path = root().join("tests/fixtures/golden/ttest_golden.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300) || (a - b).abs() < 1e-15
}

#[test]
fn corrected_resampled_t_test_matches_scipy() {
    use lathe::experiments::significance::corrected_resampled_t;
    let g = golden();
    let cases = g["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 25);
    for c in cases {
        let a: Vec<f64> = c["a"].as_array().unwrap().iter().map(num).collect();
        let b: Vec<f64> = c["b"].as_array().unwrap().iter().map(num).collect();
        let t = corrected_resampled_t(&a, &b, num(&c["ratio"])).unwrap();
        assert!(close(t.mean_diff, num(&c["mean_diff"]), 1e-12), "{c}");
        assert!(close(t.t, num(&c["t"]), 1e-10), "t {} vs {}", t.t, c["t"]);
        assert_eq!(t.df, c["df"].as_f64().unwrap());
        assert!(close(t.p, num(&c["p"]), 1e-9), "p {} vs {}", t.p, c["p"]);
    }
}

#[test]
fn student_t_survival_function_matches_scipy() {
    use lathe::experiments::significance::student_t_sf;
    for c in golden()["student_t_sf"].as_array().unwrap() {
        let got = student_t_sf(num(&c["t"]), c["df"].as_f64().unwrap());
        let want = num(&c["sf"]);
        // Relative accuracy down to the far tail (sf ~ 1e-30 at t = 30, df = 29).
        assert!(close(got, want, 1e-9), "{c}: {got}");
    }
}

// ---- compare --------------------------------------------------------------------------------

#[test]
fn diff_of_runs_that_differ_in_one_hyperparameter_shows_just_that() {
    let sb = Sandbox::sample();
    let ids = train(
        &sb,
        &[
            "--algorithms",
            "logistic_regression",
            "--grid",
            "logistic_regression.c=0.1,10",
        ],
    );
    assert_eq!(ids.len(), 2);
    let doc = json_of(&sb.run(&["runs", "diff", &ids[0], &ids[1], "--json"]));
    let fields = doc["fields"].as_array().unwrap();
    let names: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{}.{}",
                f["group"].as_str().unwrap(),
                f["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, vec!["params.c"], "{doc:#}");
    assert_eq!(fields[0]["values"], serde_json::json!(["0.1", "10"]));
    // --all shows every setting, the equal ones included.
    let all = json_of(&sb.run(&["runs", "diff", &ids[0], &ids[1], "--json", "--all"]));
    let all_fields = all["fields"].as_array().unwrap();
    assert!(all_fields.len() > 30, "{}", all_fields.len());
    assert_eq!(
        all_fields.iter().filter(|f| f["differs"] == true).count(),
        1
    );
    // Metrics side by side, deltas against the base, and a mark per run.
    let f1 = doc["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "f1_macro")
        .unwrap();
    let base = f1["values"][0]["mean"].as_f64().unwrap();
    let other = f1["values"][1]["mean"].as_f64().unwrap();
    assert!((f1["deltas"][1].as_f64().unwrap() - (other - base)).abs() < 1e-12);
    assert_eq!(f1["deltas"][0].as_f64().unwrap(), 0.0);
    assert_eq!(f1["values"][1]["folds"].as_array().unwrap().len(), 3);
    assert!(f1["p_values"][1].as_f64().unwrap() > 0.0);
    // The text view says the same.
    let out = text(&sb.run(&["runs", "diff", &ids[0], &ids[1]]));
    assert!(out.contains("Settings that differ (1 of"), "{out}");
    assert!(out.contains("(v/ /*)"), "{out}");
    assert!(!out.contains("tolerance"), "{out}");
}

#[test]
fn the_marks_count_significant_differences_against_the_base() {
    let sb = Sandbox::sample();
    // A tiny C over-regularises: on every fold it is far worse than the default.
    let ids = train(
        &sb,
        &[
            "--algorithms",
            "logistic_regression",
            "--grid",
            "logistic_regression.c=1,0.0001",
            "--folds",
            "10",
        ],
    );
    // Put the default C first, as the base.
    let c_of = |id: &str| json_of(&sb.run(&["runs", "show", id, "--json"]))["params"]["c"].clone();
    let (good, tiny) = if c_of(&ids[0]) == serde_json::json!(1.0) {
        (&ids[0], &ids[1])
    } else {
        (&ids[1], &ids[0])
    };
    let f1_of = |doc: &Value| {
        doc["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "f1_macro")
            .unwrap()
            .clone()
    };
    let doc = json_of(&sb.run(&["runs", "diff", good, tiny, "--json"]));
    let f1 = f1_of(&doc);
    assert_eq!(f1["marks"][1], "worse", "{f1:#}");
    assert!(f1["p_values"][1].as_f64().unwrap() < 0.05);
    let counts = &doc["counts"][1];
    assert!(counts[2].as_u64().unwrap() >= 1, "{counts}");
    // With the other run as the base, the default C is the better one.
    let rev = json_of(&sb.run(&["runs", "diff", good, tiny, "--base", tiny, "--json"]));
    assert_eq!(rev["base"], 1);
    assert_eq!(f1_of(&rev)["marks"][0], "better");
}

#[test]
fn runs_of_another_target_are_compared_where_they_can_be_and_the_note_says_why() {
    let sb = Sandbox::sample();
    let cls = train(&sb, &["--algorithms", "gaussian_nb"]);
    let reg = json_of(&sb.run(&[
        "train",
        "--data",
        CANCER,
        "--target",
        "radius_mean",
        "--ignore",
        "diagnosis",
        "--algorithms",
        "ridge",
        "--folds",
        "3",
        "--json",
    ]));
    let reg_id = reg["runs"][0]["run_id"].as_str().unwrap().to_owned();
    let doc = json_of(&sb.run(&["runs", "diff", &cls[0], &reg_id, "--json"]));
    let notes = doc["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("radius_mean")),
        "{notes:?}"
    );
    assert!(doc["untested"][1].is_string());
    // The regression run has no classification metrics to show.
    let acc = doc["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "accuracy")
        .unwrap();
    assert!(acc["values"][1].is_null());
    // A regression run keeps its residuals for the residual plot.
    let run = json_of(&sb.run(&["runs", "show", &reg_id, "--json"]));
    let res = &run["residuals"];
    assert!(!res["predicted"].as_array().unwrap().is_empty());
    assert_eq!(
        res["predicted"].as_array().unwrap().len(),
        res["residual"].as_array().unwrap().len()
    );
}

// ---- leaderboard ----------------------------------------------------------------------------

#[test]
fn the_leaderboard_sorts_filters_and_marks_the_best() {
    let sb = Sandbox::sample();
    train(
        &sb,
        &[
            "--algorithms",
            "logistic_regression,gaussian_nb,decision_tree",
        ],
    );
    let doc = list(&sb, &["--sort", "f1_macro"]);
    let f1: Vec<f64> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metrics"]["f1_macro"]["mean"].as_f64().unwrap())
        .collect();
    assert_eq!(f1.len(), 3);
    assert!(f1.windows(2).all(|w| w[0] >= w[1]), "{f1:?}");
    assert_eq!(doc["runs"][0]["metrics"]["f1_macro"]["best"], true);
    assert_eq!(doc["runs"][1]["metrics"]["f1_macro"]["best"], false);
    let asc = list(&sb, &["--sort", "f1_macro", "--asc"]);
    assert_eq!(
        asc["runs"][0]["run_id"], doc["runs"][2]["run_id"],
        "ascending is the reverse"
    );
    let only = list(&sb, &["--algorithm", "gaussian_nb"]);
    assert_eq!(ids_of(&only).len(), 1);
    let q = list(&sb, &["-q", "decision"]);
    assert_eq!(q["runs"][0]["algorithm"], "decision_tree");
    let bad = sb.run(&["runs", "list", "--sort", "speed"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("cannot sort by 'speed'"),
        "{}",
        text(&bad)
    );
    let table = text(&sb.run(&["runs", "list"]));
    assert!(table.contains("F1") && table.contains("AUC"), "{table}");
}

#[test]
fn damaged_run_folders_are_listed_as_damaged_and_never_break_the_leaderboard() {
    let sb = Sandbox::sample();
    let ids = train(&sb, &["--algorithms", "gaussian_nb"]);
    let runs = sb.project().join(".lathe/runs");
    // A run.json cut short, a folder without one, and a temporary folder of a run being written.
    std::fs::create_dir_all(runs.join("01JZZZZZZZZZZZZZZZZZZZZZZ1")).unwrap();
    std::fs::write(
        runs.join("01JZZZZZZZZZZZZZZZZZZZZZZ1/run.json"),
        "{\"format_version\": 1, \"run_id\": ",
    )
    .unwrap();
    std::fs::create_dir_all(runs.join("01JZZZZZZZZZZZZZZZZZZZZZZ2")).unwrap();
    std::fs::create_dir_all(runs.join(".tmp-01JZZZZZZZZZZZZZZZZZZZZZZ3-1")).unwrap();
    let doc = list(&sb, &[]);
    assert_eq!(doc["total"], 3);
    let damaged: Vec<&Value> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "damaged")
        .collect();
    assert_eq!(damaged.len(), 2);
    let reasons: Vec<&str> = damaged
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("run.json") && r.contains("not a lathe run record")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("no run.json")),
        "{reasons:?}"
    );
    assert_eq!(ids_of(&list(&sb, &["--status", "damaged"])).len(), 2);
    // The good run is still there and still comparable.
    assert!(ids_of(&doc).contains(&ids[0]));
    // Naming the damaged run says what is wrong with it.
    let out = sb.run(&["runs", "show", "01JZZZZZZZZZZZZZZZZZZZZZZ1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("run.json"), "{}", text(&out));
}

// ---- curation -------------------------------------------------------------------------------

#[test]
fn aliases_move_keep_their_history_and_name_runs() {
    let sb = Sandbox::sample();
    let ids = train(&sb, &["--algorithms", "gaussian_nb,decision_tree"]);
    let set = |run: &str| sb.run(&["runs", "alias", run, "champion"]);
    assert_eq!(set(&ids[0]).status.code(), Some(0));
    let out = set(&ids[1]);
    assert!(text(&out).contains("was"), "{}", text(&out));
    let shown = json_of(&sb.run(&["runs", "show", "@champion", "--json"]));
    assert_eq!(shown["run_id"], ids[1].as_str());
    assert_eq!(shown["aliases"], serde_json::json!(["champion"]));
    let a = json_of(&sb.run(&["runs", "alias", "--json"]));
    assert_eq!(a["aliases"]["champion"], ids[1].as_str());
    // The champion it replaced is kept as `previous`.
    assert_eq!(a["aliases"]["previous"], ids[0].as_str());
    let history: Vec<&serde_json::Value> = a["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["alias"] == "champion")
        .collect();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["previous"], ids[0].as_str());
    // One run per alias; a run can hold several.
    sb.run(&["runs", "alias", &ids[1], "challenger"]);
    let doc = list(&sb, &["--sort", "name"]);
    let row = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run_id"] == ids[1].as_str())
        .unwrap()
        .clone();
    assert_eq!(
        row["aliases"],
        serde_json::json!(["challenger", "champion"])
    );
    // Bad names are refused.
    let bad = sb.run(&["runs", "alias", &ids[0], "2nd place"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("not a valid alias"), "{}", text(&bad));
    let none = sb.run(&["runs", "show", "@nobody"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none).contains("no alias 'nobody'"));
}

#[test]
fn a_deleted_run_goes_to_the_trash_its_alias_says_so_and_restore_brings_it_back() {
    let sb = Sandbox::sample();
    let ids = train(&sb, &["--algorithms", "gaussian_nb,decision_tree"]);
    sb.run(&["runs", "alias", &ids[0], "champion"]);
    // Without a terminal and without --yes nothing is deleted.
    let refused = sb.run(&["runs", "rm", &ids[0]]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused).contains("--yes"));
    assert_eq!(ids_of(&list(&sb, &[])).len(), 2);
    let out = sb.run(&["runs", "rm", &ids[0], "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(ids_of(&list(&sb, &[])), vec![ids[1].clone()]);
    let gone = sb.run(&["runs", "show", "@champion"]);
    assert_eq!(gone.status.code(), Some(2));
    let msg = text(&gone);
    assert!(msg.contains("deleted") && msg.contains("restore"), "{msg}");
    let back = sb.run(&["runs", "restore", &ids[0][..10]]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    let shown = json_of(&sb.run(&["runs", "show", "@champion", "--json"]));
    assert_eq!(shown["run_id"], ids[0].as_str());
}

#[test]
fn tags_notes_names_and_archive_show_in_the_leaderboard() {
    let sb = Sandbox::sample();
    let ids = train(&sb, &["--algorithms", "gaussian_nb,decision_tree"]);
    let run = &ids[0];
    assert_eq!(
        sb.run(&["runs", "tag", run, "baseline", "v1"])
            .status
            .code(),
        Some(0)
    );
    sb.run(&["runs", "tag", run, "v1", "--remove"]);
    sb.run(&["runs", "note", run, "first try, defaults"]);
    sb.run(&["runs", "rename", run, "nb baseline"]);
    let doc = list(&sb, &["--tag", "baseline"]);
    assert_eq!(ids_of(&doc), vec![run.clone()]);
    let r = &doc["runs"][0];
    assert_eq!(r["tags"], serde_json::json!(["baseline"]));
    assert_eq!(r["note"], "first try, defaults");
    assert_eq!(r["name"], "nb baseline");
    assert_eq!(
        ids_of(&list(&sb, &["-q", "nb baseline"])),
        vec![run.clone()]
    );
    let bad = sb.run(&["runs", "tag", run, "two words"]);
    assert_eq!(bad.status.code(), Some(2));
    // Archived runs leave the default view; --all brings them back.
    sb.run(&["runs", "archive", run]);
    assert_eq!(ids_of(&list(&sb, &[])), vec![ids[1].clone()]);
    let all = list(&sb, &["--all"]);
    assert_eq!(ids_of(&all).len(), 2);
    sb.run(&["runs", "archive", run, "--undo"]);
    assert_eq!(ids_of(&list(&sb, &[])).len(), 2);
}

#[test]
fn gc_frees_archived_models_nobody_needs_after_showing_them() {
    let sb = Sandbox::sample();
    let ids = train(
        &sb,
        &[
            "--algorithms",
            "gaussian_nb,decision_tree,logistic_regression",
        ],
    );
    let runs = sb.project().join(".lathe/runs");
    let model = |id: &str| runs.join(id).join("model.json.gz");
    for id in &ids {
        assert!(
            model(id).is_file(),
            "each algorithm's best is refitted and stored"
        );
    }
    sb.run(&["runs", "archive", &ids[0], &ids[1]]);
    sb.run(&["runs", "alias", &ids[1], "champion"]);
    sb.run(&["runs", "rm", &ids[2], "--yes"]);
    let plan = json_of(&sb.run(&["runs", "gc", "--dry-run", "--json"]));
    let items = plan["plan"]["items"].as_array().unwrap();
    let kinds: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            (
                i["run_id"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&(ids[0].clone(), "archived".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(ids[2].clone(), "deleted".into())),
        "{kinds:?}"
    );
    assert!(
        !kinds.iter().any(|(id, _)| *id == ids[1]),
        "an aliased run is kept"
    );
    let kept = plan["plan"]["kept"].as_array().unwrap();
    assert!(kept[0]["reason"].as_str().unwrap().contains("champion"));
    assert!(plan["bytes"].as_u64().unwrap() > 0);
    // The dry run changed nothing.
    assert!(model(&ids[0]).is_file());
    let done = json_of(&sb.run(&["runs", "gc", "--yes", "--json"]));
    assert_eq!(done["freed"], plan["bytes"]);
    assert!(!model(&ids[0]).exists());
    assert!(
        runs.join(&ids[0]).join("run.json").is_file(),
        "the record stays"
    );
    assert!(model(&ids[1]).is_file(), "the champion keeps its model");
    let all = list(&sb, &["--all"]);
    let row = all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run_id"] == ids[0].as_str())
        .unwrap()
        .clone();
    assert_eq!(row["has_model"], false);
    // The trash is empty for good.
    assert_eq!(sb.run(&["runs", "restore", &ids[2]]).status.code(), Some(2));
    let again = text(&sb.run(&["runs", "gc", "--yes"]));
    assert!(again.contains("nothing to collect"), "{again}");
}

#[test]
fn a_newer_experiments_file_is_refused_and_left_as_it_is() {
    let sb = Sandbox::sample();
    let ids = train(&sb, &["--algorithms", "gaussian_nb"]);
    let path = sb.project().join(".lathe/experiments.json");
    let newer = "{\"format_version\": 99, \"runs\": {}}\n";
    std::fs::write(&path, newer).unwrap();
    let out = sb.run(&["runs", "tag", &ids[0], "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("newer"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), newer);
}

// ---- two processes at once ------------------------------------------------------------------

#[test]
fn two_processes_writing_to_one_store_lose_nothing() {
    let sb = Sandbox::sample();
    let spawn = |algorithms: &str| {
        sb.spawn(&[
            "train",
            "--data",
            CANCER,
            "--target",
            "diagnosis",
            "--folds",
            "3",
            "--json",
            "--algorithms",
            algorithms,
        ])
    };
    let a = spawn("logistic_regression,gaussian_nb");
    let b = spawn("decision_tree,gaussian_nb");
    let mut ids = Vec::new();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let doc = json_of(&out);
        for r in doc["runs"].as_array().unwrap() {
            ids.push(r["run_id"].as_str().unwrap().to_owned());
        }
    }
    let listed = ids_of(&list(&sb, &[]));
    assert_eq!(listed.len(), 4);
    for id in &ids {
        assert!(listed.contains(id), "{id} lost");
    }
    // Eight processes tagging the same run at once: every tag lands.
    let run = ids[0].clone();
    let children: Vec<_> = (0..8)
        .map(|i| sb.spawn(&["runs", "tag", &run, &format!("t{i}")]))
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let doc = list(&sb, &["--tag", "t7"]);
    let tags = doc["runs"][0]["tags"].as_array().unwrap().len();
    assert_eq!(tags, 8, "{doc:#}");
}

// ---- exports --------------------------------------------------------------------------------

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    (info.width, info.height)
}

#[test]
fn export_writes_csv_markdown_json_and_charts() {
    let sb = Sandbox::sample();
    let ids = train(
        &sb,
        &[
            "--algorithms",
            "logistic_regression,gaussian_nb",
            "--grid",
            "logistic_regression.c=0.01,1,100",
        ],
    );
    assert_eq!(ids.len(), 4);
    let csv = sb.file("board.csv");
    let charts = sb.file("charts");
    let out = sb.run(&[
        "runs",
        "export",
        "--format",
        "csv",
        "--out",
        csv.to_str().unwrap(),
        "--charts",
        charts.to_str().unwrap(),
        "--sort",
        "f1_macro",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let body = std::fs::read_to_string(&csv).unwrap();
    let mut lines = body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..3], &["run_id", "name", "algorithm"]);
    assert!(header.contains(&"f1_macro") && header.contains(&"f1_macro_std"));
    assert_eq!(lines.count(), 4);
    let md = text(&sb.run(&["runs", "export", "--format", "md", "--sort", "f1_macro"]));
    assert!(md.starts_with("| run | name | algorithm |"), "{md}");
    assert_eq!(md.matches("**").count() % 2, 0);
    assert!(md.contains("**"), "the best values are bold: {md}");
    let json: Value =
        serde_json::from_str(&text(&sb.run(&["runs", "export", "--format", "json"]))).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 4);
    // Charts: the metric against C for the three logistic regressions, and the folds.
    for stem in ["f1_macro_vs_logistic_regression_c", "f1_macro_folds"] {
        let svg = std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(svg.contains("f1_macro"), "{stem}");
        assert_eq!(png_size(&charts.join(format!("{stem}.png"))), (720, 420));
    }
}
