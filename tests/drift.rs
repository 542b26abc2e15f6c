//! Drift end to end: the sample project's stable and drifted batches, the
//! reports (JSON, HTML with parsed SVGs, PNGs decoded), and bad input.

use serde_json::Value;

use crate::common::Sandbox;

const DRIFTED: [&str; 4] = [
    "air_temp_k",
    "process_temp_k",
    "vibration_rms",
    "oil_viscosity_cst",
];

fn drift_json(sb: &Sandbox, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["drift", "--json"];
    all.extend_from_slice(args);
    let out = sb.run(&all);
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

fn drifted(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["report"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["drifted"] == true)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_drifted_batch_flags_exactly_the_drifted_sensors() {
    let sb = Sandbox::sample();
    let (code, doc) = drift_json(
        &sb,
        &[
            "--spec",
            "drift.toml",
            "--reference",
            "reference",
            "--current",
            "fresh-drift",
        ],
    );
    let mut want: Vec<String> = DRIFTED.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(drifted(&doc), want);
    assert_eq!(doc["report"]["dataset_drift"], true);
    assert_eq!(code, 1, "dataset drift exits 1");
    // Evidently's choice for a 10,000-row reference: Wasserstein for numbers
    // with many values, Jensen–Shannon for categories; each named in the report.
    let cols = doc["report"]["columns"].as_array().unwrap();
    let by_name = |n: &str| cols.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_eq!(by_name("air_temp_k")["test"], "wasserstein");
    assert_eq!(by_name("air_temp_k")["threshold"], 0.1);
    assert_eq!(by_name("machine_type")["test"], "jensen_shannon");
    // The most drifted columns come first.
    let first: Vec<&str> = cols[..4]
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for d in DRIFTED {
        assert!(first.contains(&d), "{first:?}");
    }
    // The ids are ignored by the spec, the timestamp cannot be tested.
    assert!(cols.iter().all(|c| c["name"] != "reading_id"));
    let skipped = doc["report"]["skipped"].to_string();
    assert!(skipped.contains("timestamp"), "{skipped}");
}

#[test]
fn the_stable_batch_has_no_dataset_drift() {
    let sb = Sandbox::sample();
    let (code, doc) = drift_json(
        &sb,
        &[
            "--spec",
            "drift.toml",
            "--reference",
            "reference",
            "--current",
            "fresh-stable",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(doc["report"]["dataset_drift"], false);
    assert!(drifted(&doc).is_empty(), "{:?}", drifted(&doc));
    // Without the spec, Evidently's share of 0.5 applies and the ids drift.
    let (_, doc) = drift_json(
        &sb,
        &["--reference", "reference", "--current", "fresh-stable"],
    );
    assert_eq!(drifted(&doc), vec!["reading_id".to_owned()]);
    assert_eq!(doc["report"]["drift_share"], 0.5);
}

#[test]
fn overrides_name_the_test_binning_and_threshold_used() {
    let sb = Sandbox::sample();
    let (_, doc) = drift_json(
        &sb,
        &[
            "--reference",
            "reference",
            "--current",
            "fresh-drift",
            "--test",
            "psi",
            "--binning",
            "quantiles",
            "--n-bins",
            "10",
            "--ignore",
            "reading_id,machine_id",
        ],
    );
    for c in doc["report"]["columns"].as_array().unwrap() {
        assert_eq!(c["test"], "psi", "{c}");
        if c["kind"] == "numeric" {
            assert_eq!(c["binning"], "quantiles");
            assert_eq!(c["n_bins"], 10);
            let Value::Object(chart) = &c["chart"] else {
                panic!()
            };
            assert_eq!(chart["kind"], "histogram");
        }
    }
    for d in DRIFTED {
        assert!(drifted(&doc).contains(&d.to_owned()), "{d}");
    }
}

#[test]
fn reports_html_svg_and_png() {
    let sb = Sandbox::sample();
    let out = sb.run(&[
        "drift",
        "--spec",
        "drift.toml",
        "--reference",
        "reference",
        "--current",
        "fresh-drift",
        "--html",
        "report.html",
        "--svg",
        "svg",
        "--png",
        "png",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Drift detected in 4 of 13 columns"), "{text}");
    let html = std::fs::read_to_string(sb.file("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing is fetched.
    // (The SVG namespace URI is a name, not a fetch.)
    for bad in [
        "<script",
        "src=\"http",
        "href=\"http",
        "url(http",
        "<link",
        "@import",
    ] {
        assert!(!html.contains(bad), "the report refers to {bad}");
    }
    // Every inline SVG parses, one per checked column.
    let mut n = 0;
    let mut rest = html.as_str();
    while let Some(i) = rest.find("<svg") {
        let end = rest[i..].find("</svg>").unwrap() + i + "</svg>".len();
        roxmltree::Document::parse(&rest[i..end]).expect("inline SVG parses");
        n += 1;
        rest = &rest[end..];
    }
    assert_eq!(n, 13);
    let svg = std::fs::read_to_string(sb.file("svg/air_temp_k.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(svg.contains("air_temp_k"));
    let png = std::fs::File::open(sb.file("png/vibration_rms.png")).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(png))
        .read_info()
        .unwrap();
    assert_eq!((reader.info().width, reader.info().height), (720, 360));
    assert_eq!(std::fs::read_dir(sb.file("png")).unwrap().count(), 13);
}

#[test]
fn bad_input_is_reported_and_the_rest_still_checked() {
    let sb = Sandbox::sample();
    let w = |name: &str, text: &str| std::fs::write(sb.file(name), text).unwrap();
    let mut reference = String::from("a,b,c,d,e,n\n");
    let mut current = String::from("a,b,c,e,f,n\n");
    for i in 0..300 {
        reference.push_str(&format!(
            "{},{},x{},{i},5,{}\n",
            i % 17,
            i % 3,
            i % 4,
            i % 5
        ));
        let c = if i % 10 == 0 {
            "new"
        } else {
            ["x0", "x1", "x2", "x3"][i % 4]
        };
        current.push_str(&format!(
            "{},t{},{c},{},{},\n",
            i % 17 + 3,
            i % 3,
            5 + i % 2,
            i % 7
        ));
    }
    w("ref.csv", &reference);
    w("cur.csv", &current);
    let (_, doc) = drift_json(&sb, &["--reference", "ref.csv", "--current", "cur.csv"]);
    let rep = &doc["report"];
    assert_eq!(rep["missing_in_current"], serde_json::json!(["d"]));
    assert_eq!(rep["new_in_current"], serde_json::json!(["f"]));
    let skipped = rep["skipped"].to_string();
    assert!(
        skipped.contains("type changed from int to string"),
        "{skipped}"
    );
    assert!(
        skipped.contains("no values in the current data"),
        "{skipped}"
    );
    let cols = rep["columns"].as_array().unwrap();
    let col = |n: &str| cols.iter().find(|c| c["name"] == n).unwrap();
    assert!(col("a")["drifted"] == true, "shifted by 3");
    assert!(
        col("c")["notes"]
            .to_string()
            .contains("never seen in the reference: 'new'"),
        "{}",
        col("c")
    );
    // A constant reference column is checked and says so.
    assert!(
        col("e")["notes"].to_string().contains("constant"),
        "{}",
        col("e")
    );
    // An empty current file is an error naming it.
    w("empty.csv", "a,b,c,d,e,n\n");
    let out = sb.run(&["drift", "--reference", "ref.csv", "--current", "empty.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("empty.csv") && err.contains("no rows"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    // A bad spec names its line.
    w("bad.toml", "drift_share = 0.3\nbins = 4\n");
    let out = sb.run(&[
        "drift",
        "--spec",
        "bad.toml",
        "--reference",
        "ref.csv",
        "--current",
        "cur.csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:2"));
}

#[test]
fn a_folder_of_batches_gives_drift_over_time() {
    let sb = Sandbox::sample();
    let dir = sb.file("batches");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src) in [
        ("2024-03.csv", "maintenance_fresh_stable.csv"),
        ("2024-04.csv", "maintenance_fresh_drift.csv"),
        ("2024-05.csv", "maintenance_fresh_stable.csv"),
    ] {
        std::fs::copy(sb.file(src), dir.join(name)).unwrap();
    }
    let out = sb.run(&[
        "drift",
        "--spec",
        "drift.toml",
        "--reference",
        "reference",
        "--current",
        "batches",
        "--json",
        "--svg",
        "over-time",
    ]);
    // The newest batch is stable: exit 0.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let batches = doc["batches"].as_array().unwrap();
    let names: Vec<&str> = batches
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2024-03.csv", "2024-04.csv", "2024-05.csv"]);
    let verdicts: Vec<bool> = batches
        .iter()
        .map(|b| b["report"]["dataset_drift"].as_bool().unwrap())
        .collect();
    assert_eq!(verdicts, [false, true, false]);
    let svg = std::fs::read_to_string(sb.file("over-time/air_temp_k.over-time.svg")).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    let text = sb.run(&[
        "drift",
        "--spec",
        "drift.toml",
        "--reference",
        "reference",
        "--current",
        "batches",
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    let air = text.lines().find(|l| l.starts_with("air_temp_k")).unwrap();
    assert_eq!(air.matches('*').count(), 1, "{air}");
}

#[test]
fn a_reference_profile_gives_the_same_verdicts_as_the_rows() {
    let sb = Sandbox::sample();
    for current in ["fresh-drift", "fresh-stable"] {
        let (code_raw, raw) = drift_json(
            &sb,
            &[
                "--spec",
                "drift.toml",
                "--reference",
                "reference",
                "--current",
                current,
                "--save-profile",
                "reference.profile.json",
            ],
        );
        let (code_profile, from_profile) = drift_json(
            &sb,
            &[
                "--spec",
                "drift.toml",
                "--reference",
                "reference.profile.json",
                "--current",
                current,
            ],
        );
        assert_eq!(code_raw, code_profile, "{current}");
        let raw_cols = raw["report"]["columns"].as_array().unwrap();
        let prof_cols = from_profile["report"]["columns"].as_array().unwrap();
        assert_eq!(raw_cols.len(), prof_cols.len(), "{current}");
        for c in raw_cols {
            let p = prof_cols.iter().find(|p| p["name"] == c["name"]).unwrap();
            assert_eq!(p["test"], c["test"], "{current} {}", c["name"]);
            assert_eq!(p["drifted"], c["drifted"], "{current} {}", c["name"]);
            let (a, b) = (c["score"].as_f64().unwrap(), p["score"].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 0.01,
                "{current} {}: {a} from rows, {b} from the profile",
                c["name"]
            );
        }
    }
    // The profile holds no rows: it is a small fraction of the data file.
    let profile = std::fs::metadata(sb.file("reference.profile.json"))
        .unwrap()
        .len();
    let data = std::fs::metadata(sb.file("maintenance_reference.csv"))
        .unwrap()
        .len();
    assert!(
        profile * 4 < data,
        "{profile} bytes of profile for {data} bytes of data"
    );
}

#[test]
fn a_big_parquet_current_file_is_read_column_by_column_with_the_same_report() {
    use polars::prelude::*;
    let sb = Sandbox::sample();
    // The drifted batch as Parquet.
    let csv = sb.file("maintenance_fresh_drift.csv");
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(csv))
        .unwrap()
        .finish()
        .unwrap();
    let pq = sb.file("fresh.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let args = [
        "drift",
        "--reference",
        "maintenance_reference.csv",
        "--current",
        "fresh.parquet",
        "--spec",
        "drift.toml",
        "--json",
    ];
    let run = |stream_rows: &str| {
        let out = sb
            .lathe()
            .env("LATHE_DRIFT_STREAM_ROWS", stream_rows)
            .args(args)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        let streamed = String::from_utf8_lossy(&out.stderr).contains("read column by column");
        (out.status.code(), v, streamed)
    };
    // Threshold 1 row: streamed; a huge threshold: loaded whole.
    let (code_s, streamed, was_streamed) = run("1");
    let (code_w, whole, was_whole_streamed) = run("1000000000");
    assert!(was_streamed && !was_whole_streamed);
    assert_eq!(code_s, Some(1));
    assert_eq!(code_s, code_w);
    let cols = |v: &Value| -> Vec<(String, String, f64, bool)> {
        v["report"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_owned(),
                    c["test"].as_str().unwrap().to_owned(),
                    c["score"].as_f64().unwrap(),
                    c["drifted"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(cols(&streamed), cols(&whole));
    assert_eq!(streamed["report"]["current_rows"], 3000);
    assert_eq!(
        streamed["report"]["missing_in_current"],
        whole["report"]["missing_in_current"]
    );
}
