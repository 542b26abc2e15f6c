//! The label step: the journal (round trips, torn lines, newer formats,
//! snapshots, undo, two writers), row keys, the uncertainty order, annotator
//! agreement against scikit-learn, and `lathe label …` on the sample's
//! unlabelled batch.

use std::io::Write;

use lathe::label::journal::{Journal, Source};
use lathe::label::queue::{self, Order};
use lathe::label::rows::RowKeys;
use lathe::label::{LabelChoice, Labeling, suggest};
use lathe::project::Project;
use polars::prelude::*;
use serde_json::Value;

use crate::common::Sandbox;

fn changes(keys: &[&str], label: &str) -> Vec<(String, Option<String>)> {
    keys.iter()
        .map(|k| ((*k).to_owned(), Some(label.to_owned())))
        .collect()
}

#[test]
fn journal_round_trips_and_undoes_many_levels() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), "d", "y").unwrap();
    j.append(&changes(&["a"], "x"), Source::Manual).unwrap();
    j.append(&changes(&["a", "b", "c"], "z"), Source::Bulk)
        .unwrap();
    j.append(&changes(&["b"], "x"), Source::Manual).unwrap();
    // Nothing to write when the label is already there.
    assert!(
        j.append(&changes(&["b"], "x"), Source::Manual)
            .unwrap()
            .is_empty()
    );
    let reopened = Journal::open(dir.path(), "d", "y").unwrap();
    assert_eq!(reopened.state, j.state);
    assert_eq!(reopened.state.label("a"), Some("z"));
    assert_eq!(reopened.position(), 5);
    let (step, _) = j.undo().unwrap().unwrap();
    assert_eq!(step.source, Source::Manual);
    assert_eq!(j.state.label("b"), Some("z"));
    let (step, entries) = j.undo().unwrap().unwrap();
    assert_eq!((step.source, entries.len()), (Source::Bulk, 3));
    assert_eq!(j.state.label("a"), Some("x"));
    assert_eq!(j.state.label("c"), None);
    j.undo().unwrap().unwrap();
    assert!(j.state.labels.is_empty());
    assert!(j.undo().unwrap().is_none());
    // The journal keeps everything, undos included: an audit trail.
    let all = j.entries().unwrap();
    assert_eq!(all.len(), 10);
    assert!(
        all.iter()
            .filter(|e| e.source == Source::Undo)
            .all(|e| e.undoes.is_some())
    );
    assert_eq!(Journal::open(dir.path(), "d", "y").unwrap().state, j.state);
}

/// A journal in `dir` with two labels: `a` → x, `b` → y.
fn two_labels(dir: &std::path::Path) -> Journal {
    let mut j = Journal::open(dir, "d", "y").unwrap();
    j.append(&changes(&["a"], "x"), Source::Manual).unwrap();
    j.append(&changes(&["b"], "y"), Source::Manual).unwrap();
    j
}

#[test]
fn a_torn_last_line_is_moved_aside_and_no_saved_label_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let j = two_labels(dir.path());
    let path = j.path().to_owned();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(br#"{"seq":3,"key":"c","lab"#).unwrap();
    drop(f);
    let mut j = Journal::open(dir.path(), "d", "y").unwrap();
    assert_eq!(j.state.label("a"), Some("x"));
    assert_eq!(j.state.label("b"), Some("y"));
    assert_eq!(j.state.label("c"), None);
    assert!(
        j.warnings.iter().any(|w| w.contains("cut short")),
        "{:?}",
        j.warnings
    );
    let torn = std::fs::read_to_string(path.with_extension("journal.torn")).unwrap();
    assert!(torn.contains(r#""key":"c""#));
    // Appending after the repair gives a clean journal.
    j.append(&changes(&["c"], "x"), Source::Manual).unwrap();
    let j2 = Journal::open(dir.path(), "d", "y").unwrap();
    assert!(j2.warnings.is_empty(), "{:?}", j2.warnings);
    assert_eq!(j2.state.label("c"), Some("x"));
}

#[test]
fn a_damaged_middle_line_or_a_newer_journal_stops_with_the_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let j = two_labels(dir.path());
    let path = j.path().to_owned();
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen(r#""key":"a""#, r#""key":"a"#, 1);
    std::fs::write(&path, &broken).unwrap();
    let e = Journal::open(dir.path(), "d", "y").unwrap_err();
    assert_eq!(e.location.line, Some(2), "{e}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        broken,
        "nothing rewritten"
    );

    let newer = text.replacen(
        r#""lathe_label_journal":1"#,
        r#""lathe_label_journal":7"#,
        1,
    );
    std::fs::write(&path, &newer).unwrap();
    let e = Journal::open(dir.path(), "d", "y").unwrap_err();
    assert!(e.message.contains("newer lathe"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), newer);
}

#[test]
fn the_snapshot_is_used_and_a_bad_one_falls_back_to_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::open(dir.path(), "d", "y").unwrap();
    let keys: Vec<String> = (0..500).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    j.append(&changes(&refs, "x"), Source::Bulk).unwrap();
    j.snapshot().unwrap();
    j.append(&changes(&["k1"], "y"), Source::Manual).unwrap();
    let snap = dir.path().join("d.snapshot.json");
    assert!(snap.exists());
    let from_snapshot = Journal::open(dir.path(), "d", "y").unwrap();
    assert!(from_snapshot.warnings.is_empty());
    assert_eq!(from_snapshot.state, j.state);
    std::fs::write(&snap, b"{ not json").unwrap();
    let replayed = Journal::open(dir.path(), "d", "y").unwrap();
    assert!(replayed.warnings.iter().any(|w| w.contains("snapshot")));
    assert_eq!(replayed.state, j.state);
}

#[test]
fn two_writers_see_each_others_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Journal::open(dir.path(), "d", "y").unwrap();
    let mut b = Journal::open(dir.path(), "d", "y").unwrap();
    a.append(&changes(&["r1"], "x"), Source::Manual).unwrap();
    let written = b.append(&changes(&["r1"], "z"), Source::Manual).unwrap();
    assert_eq!(
        written[0].previous.as_deref(),
        Some("x"),
        "b read a's label first"
    );
    assert_eq!(written[0].seq, 2);
    a.refresh().unwrap();
    assert_eq!(a.state.label("r1"), Some("z"));
}

#[test]
fn hash_keys_survive_reordering_and_keep_duplicates_apart() {
    let df = df!("a" => [1i64, 2, 1, 3], "b" => ["x", "y", "x", "z"], "t" => [None::<i64>, Some(1), None, None]).unwrap();
    let keys = RowKeys::build(&df, "t", None).unwrap();
    assert_ne!(
        keys.keys[0], keys.keys[2],
        "identical rows get distinct keys"
    );
    assert!(keys.keys[0].ends_with(":0") && keys.keys[2].ends_with(":1"));
    // Reversed rows, and the label column filled in: the same keys per values.
    let rev = df.reverse();
    let mut rev = rev.clone();
    rev.with_column(Column::new(
        "t".into(),
        [Some(5i64), Some(5), Some(5), Some(5)],
    ))
    .unwrap();
    let keys2 = RowKeys::build(&rev, "t", None).unwrap();
    assert_eq!(keys2.row(&keys.keys[1]), Some(2));
    assert_eq!(keys2.row(&keys.keys[3]), Some(0));
    let e = RowKeys::build(&df, "t", Some("a")).unwrap_err();
    assert!(e.message.contains("repeats the value '1'"), "{e}");
}

/// A labelling session on a one-feature frame (`x`, label `y`) in a fresh
/// project, and the quick model's proposals for it.
fn synthetic(
    x: Vec<f64>,
    y: Vec<Option<&str>>,
) -> (tempfile::TempDir, Labeling, suggest::Suggestions) {
    let df = df!("x" => x, "y" => y).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = Project::init(dir.path(), Some("t")).unwrap();
    let choice = LabelChoice {
        data: Some(dir.path().join("synthetic.csv")),
        target: Some("y".into()),
        ..LabelChoice::default()
    };
    let l = Labeling::open(&p, &choice, df).unwrap();
    let raw = suggest::features(&l.frame, "y", None).unwrap();
    let s = suggest::suggest(
        &raw,
        &l.labelled_classes(),
        2,
        &lathe::jobs::CancelToken::new(),
    )
    .unwrap();
    (dir, l, s)
}

#[test]
fn uncertain_order_puts_the_rows_near_the_boundary_first() {
    // One feature; class 0 below 0, class 1 above. The labelled rows are far
    // from the boundary; the unlabelled rows closest to 0 are the least sure.
    let x: Vec<f64> = vec![-5.0, -1.0, -3.0, 5.0, 1.0, 3.0, 0.1, -3.0, 3.5, -0.05, 2.0];
    let y: Vec<Option<&str>> = vec![
        Some("0"),
        Some("0"),
        Some("0"),
        Some("1"),
        Some("1"),
        Some("1"),
        None,
        None,
        None,
        None,
        None,
    ];
    let (_dir, l, s) = synthetic(x, y);
    assert_eq!(l.set.classes, vec!["0", "1"]);
    let order = queue::build(Order::Uncertain, &l, 1, Some(&s));
    let first: Vec<u32> = order[..5].to_vec();
    // Unlabelled rows by |x|: 9 (-0.05), 6 (0.1), 10 (2.0), 7 (-3.0), 8 (3.5).
    assert_eq!(
        first[..2]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        [6, 9].into()
    );
    assert_eq!(first[2..], [10, 7, 8], "{first:?}");
    assert!(order[5..].iter().all(|&r| r < 6), "labelled rows come last");
    assert_eq!(s.class[7], 0);
    assert_eq!(s.class[8], 1);
    let random = queue::build(Order::Random, &l, 7, None);
    assert_eq!(random, queue::build(Order::Random, &l, 7, None), "seeded");
    assert_ne!(random, (0..11).collect::<Vec<u32>>());
}

#[test]
fn review_order_brings_up_a_label_the_model_contradicts() {
    let x = vec![
        -5.0, 2.0, -4.0, 3.0, -3.0, 4.0, -2.0, 5.0, -4.5, 4.5, -3.5, 3.5, 4.2, 0.0,
    ];
    let mut y: Vec<Option<&str>> = (0..12)
        .map(|i| Some(if i % 2 == 0 { "0" } else { "1" }))
        .collect();
    y.push(Some("0")); // x = 4.2 among the ones: a likely label error
    y.push(None);
    let (_dir, l, s) = synthetic(x, y);
    let review = queue::build(Order::Review, &l, 1, Some(&s));
    assert_eq!(review.first(), Some(&12), "{review:?} {:?}", s.own);
    assert!(!review.contains(&13), "unlabelled rows are not reviewed");
}

#[test]
fn cohen_kappa_matches_scikit_learn() {
    // The metrics golden file holds scikit-learn's cohen_kappa_score for label pairs.
    let path = crate::common::fixture("golden/metrics_golden.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut checked = 0;
    for case in doc["classification"].as_array().unwrap() {
        let want = case["expected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|pair| pair[0] == "cohen_kappa")
            .and_then(|pair| pair[1].as_f64());
        let Some(want) = want else { continue };
        let text = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.to_string())
                .collect()
        };
        let (a, b) = (text(&case["y_true"]), text(&case["y_pred"]));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let got = lathe::label::agreement::cohen_kappa(&a, &b).unwrap();
        assert!(
            (got - want).abs() < 1e-12,
            "{}: {got} vs {want}",
            case["name"]
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} golden cases");
}

// ---- the CLI on the sample's unlabelled batch ----

fn json_of(out: &std::process::Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn cli_labels_by_expression_imports_exports_and_undoes() {
    let sb = Sandbox::sample();
    let status = json_of(&sb.run(&["label", "status", "--json"]));
    assert_eq!(status["rows"], 2000);
    assert_eq!(status["labelled"], 0);
    assert_eq!(status["target"], "failure");

    let set = json_of(&sb.run(&[
        "label",
        "set",
        "--where",
        "vibration_rms > 4.5 and machine_type == \"L\"",
        "--class",
        "1",
        "--json",
    ]));
    let matched = set["matched"].as_u64().unwrap();
    assert!(matched > 0 && matched < 2000, "{set}");
    assert_eq!(set["changed"], set["matched"]);
    let dry = json_of(&sb.run(&[
        "label",
        "set",
        "--where",
        "vibration_rms < 2",
        "--class",
        "0",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(
        json_of(&sb.run(&["label", "status", "--json"]))["labelled"],
        matched,
        "dry run wrote nothing"
    );
    let low = dry["matched"].as_u64().unwrap();
    json_of(&sb.run(&[
        "label",
        "set",
        "--where",
        "vibration_rms < 2",
        "--class",
        "0",
        "--json",
    ]));

    let imp = sb.file("import.csv");
    std::fs::write(&imp, "key,label\n200001,1\n200002,0\n").unwrap();
    let out = json_of(&sb.run(&["label", "import", "import.csv", "--json"]));
    assert!(out["imported"].as_u64().unwrap() >= 1);

    let status = json_of(&sb.run(&["label", "status", "--json"]));
    let labelled = status["labelled"].as_u64().unwrap();
    assert!(labelled >= matched + low, "{status}");

    // Export: the data with its label column, as CSV and Parquet.
    let out = sb.run(&[
        "label",
        "export",
        "--out",
        "labelled.csv",
        "--labelled-only",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        crate::common::csv_data_lines(&sb.file("labelled.csv")) as u64,
        labelled
    );
    let text = std::fs::read_to_string(sb.file("labelled.csv")).unwrap();
    assert!(
        text.lines().nth(1).unwrap().ends_with(",1")
            || text.lines().nth(1).unwrap().ends_with(",0")
    );
    let out = sb.run(&["label", "export", "--out", "all.parquet"]);
    assert_eq!(out.status.code(), Some(0));
    let df = lathe::data::load(&sb.file("all.parquet"), &Default::default())
        .unwrap()
        .frame;
    assert_eq!(df.height(), 2000);
    assert_eq!(
        df.column("failure").unwrap().null_count() as u64,
        2000 - labelled
    );

    // Undo takes back the import, then the second bulk set.
    let u = json_of(&sb.run(&["label", "undo", "--json"]));
    assert_eq!(u["undone"], "import");
    let u = json_of(&sb.run(&["label", "undo", "--json"]));
    assert_eq!(u["undone"], "bulk");
    assert_eq!(
        json_of(&sb.run(&["label", "status", "--json"]))["labelled"],
        matched
    );
}

#[test]
fn cli_bad_input_exits_2_naming_what_and_where_and_keeps_labels() {
    let sb = Sandbox::sample();
    json_of(&sb.run(&[
        "label",
        "set",
        "--where",
        "vibration_rms > 5",
        "--class",
        "1",
        "--json",
    ]));
    let before = std::fs::read(sb.file(".lathe/labels/unlabelled.journal")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["label", "set", "--where", "vibration > 4.5", "--class", "1"],
            "no column 'vibration'",
        ),
        (
            &[
                "label",
                "set",
                "--where",
                "machine_type > 4",
                "--class",
                "1",
            ],
            "cannot be compared with the number 4",
        ),
        (
            &[
                "label",
                "set",
                "--where",
                "vibration_rms > 4.5 &&",
                "--class",
                "1",
            ],
            "character 21",
        ),
        (
            &[
                "label",
                "set",
                "--where",
                "vibration_rms > 4.5",
                "--class",
                "7",
            ],
            "'7' is not a class",
        ),
        (&["label", "import", "nope.csv"], "nope.csv"),
        (
            &["label", "status", "--target", "site"],
            "labelled in column 'failure'",
        ),
    ];
    std::fs::write(sb.file("bad_keys.csv"), "key,label\n200001,1\n999999,0\n").unwrap();
    std::fs::write(sb.file("bad_class.csv"), "key,label\n200001,maybe\n").unwrap();
    for (args, want) in cases.iter().copied().chain([
        (
            &["label", "import", "bad_keys.csv"][..],
            "'999999' (line 3)",
        ),
        (&["label", "import", "bad_class.csv"][..], "bad_class.csv:2"),
    ]) {
        let out = sb.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read(sb.file(".lathe/labels/unlabelled.journal")).unwrap(),
        before
    );

    // A journal from a newer lathe: refused, untouched.
    let path = sb.file(".lathe/labels/unlabelled.journal");
    let text = String::from_utf8(before).unwrap().replacen(
        "\"lathe_label_journal\":1",
        "\"lathe_label_journal\":9",
        1,
    );
    std::fs::write(&path, &text).unwrap();
    let out = sb.run(&[
        "label",
        "set",
        "--where",
        "vibration_rms > 4",
        "--class",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer lathe"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn cli_labels_a_file_in_a_fresh_project_without_the_tui() {
    let sb = Sandbox::empty();
    assert_eq!(sb.run(&["init"]).status.code(), Some(0));
    std::fs::write(sb.file("batch.csv"), "a,b\n1,x\n2,y\n3,x\n3,x\n").unwrap();
    let out = json_of(&sb.run(&[
        "label",
        "set",
        "--data",
        "batch.csv",
        "--target",
        "ok",
        "--classes",
        "yes,no",
        "--where",
        "b == 'x'",
        "--class",
        "yes",
        "--json",
    ]));
    assert_eq!(out["changed"], 3, "duplicate rows are labelled one by one");
    let out = sb.run(&[
        "label",
        "export",
        "--data",
        "batch.csv",
        "--out",
        "out.csv",
        "--keys",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(sb.file("out.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "key,a,b,ok");
    assert!(
        lines[1].ends_with(",1,x,yes") && lines[2].ends_with(",2,y,"),
        "{text}"
    );
    // The exported keys import back.
    let key = lines[2].split(',').next().unwrap();
    std::fs::write(sb.file("back.csv"), format!("key,label\n{key},no\n")).unwrap();
    let out = json_of(&sb.run(&[
        "label",
        "import",
        "back.csv",
        "--data",
        "batch.csv",
        "--json",
    ]));
    assert_eq!(out["labelled"], 4);
}

#[test]
fn cli_numbers_orphans_and_two_annotators() {
    let sb = Sandbox::empty();
    assert_eq!(sb.run(&["init"]).status.code(), Some(0));
    std::fs::write(sb.file("b.csv"), "id,a\n1,10\n2,20\n3,30\n4,40\n").unwrap();
    let set = |who: &str, args: &[&str]| {
        let mut cmd = sb.lathe();
        cmd.env("LATHE_ANNOTATOR", who)
            .args(["label", "set", "--data", "b.csv"]);
        cmd.args(args).output().unwrap()
    };
    // A numeric label: typed numbers, anything else refused.
    let first = ["--target", "price", "--id", "id", "--kind", "regression"];
    let out = set(
        "ann",
        &[&first[..], &["--where", "a > 15", "--class", "2.5"]].concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = set("ann", &["--key", "1", "--class", "cheap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'cheap' is not a number"));
    // A second annotator relabels two rows: agreement on the rows both labelled.
    assert_eq!(
        set("bob", &["--key", "2", "--class", "2.5"]).status.code(),
        Some(0)
    );
    assert_eq!(
        set("bob", &["--key", "3", "--class", "9"]).status.code(),
        Some(0)
    );
    let status = json_of(&sb.run(&["label", "status", "--data", "b.csv", "--json"]));
    assert_eq!(status["labelled"], 3);
    let agreement = &status["agreement"][0];
    assert_eq!(
        (agreement["a"].as_str(), agreement["b"].as_str()),
        (Some("ann"), Some("bob"))
    );
    assert_eq!(agreement["rows"], 2);
    assert_eq!(agreement["observed"], 0.5);
    // A labelled row gone from the file: reported, not dropped.
    std::fs::write(sb.file("b.csv"), "id,a\n1,10\n2,20\n3,30\n").unwrap();
    let status = json_of(&sb.run(&["label", "status", "--data", "b.csv", "--json"]));
    assert_eq!(status["orphans"], 1);
    assert_eq!(status["orphan_examples"][0], "4");
    assert_eq!(status["labelled"], 2);
}
