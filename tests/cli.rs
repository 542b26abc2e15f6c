//! The `lathe` binary as a black box on a copy of the sample project:
//! output, JSON, and exit codes (0 ok, 1 a check failed, 2 bad input or usage).

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{Sandbox, csv_data_lines, csv_header, fixture};

const REFERENCE: &str = "maintenance_reference.csv";
const STABLE: &str = "maintenance_fresh_stable.csv";

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn version_names_the_crate_version() {
    let sb = Sandbox::empty();
    sb.lathe().arg("--version").assert().success().stdout(
        predicate::str::contains(env!("CARGO_PKG_VERSION"))
            .and(predicate::str::starts_with("lathe ")),
    );
}

#[test]
fn head_prints_a_header_and_n_rows() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "head", STABLE, "-n", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    // header, rule, 3 rows
    assert_eq!(lines.len(), 5, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, csv_header(&sb.file(STABLE)), "{text}");
    assert!(lines[1].chars().all(|c| c == '─' || c == ' '), "{text}");
    let csv = std::fs::read_to_string(sb.file(STABLE)).unwrap();
    for (row, csv_line) in lines[2..].iter().zip(csv.lines().skip(1)) {
        let want: Vec<&str> = csv_line.split(',').collect();
        let got: Vec<&str> = row.split_whitespace().collect();
        // The timestamp holds a space; the first fields and the label are single words.
        assert_eq!(got[0], want[0], "{row}");
        assert_eq!(got.last(), want.last(), "{row}");
        assert!(
            row.contains(want[2]) && row.contains(want[4]),
            "{row} vs {csv_line}"
        );
    }
}

#[test]
fn head_json_gives_records_with_the_columns_as_keys() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "head", STABLE, "-n", "3", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = v.as_array().unwrap();
    assert_eq!(records.len(), 3);
    let header = csv_header(&sb.file(STABLE));
    for r in records {
        let mut keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        let mut want: Vec<&String> = header.iter().collect();
        keys.sort();
        want.sort();
        assert_eq!(keys, want);
    }
    // Types survive: ints as JSON integers, floats as numbers, text as strings.
    assert_eq!(records[0]["reading_id"], 300_001);
    assert_eq!(records[2]["reading_id"], 300_003);
    assert_eq!(records[0]["air_temp_k"].as_f64(), Some(297.7));
    assert_eq!(records[0]["machine_id"], "M-0086");
    assert_eq!(records[0]["timestamp"], "2024-03-11 00:16:28");
}

#[test]
fn profile_json_has_the_documented_shape() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "profile", REFERENCE, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lathe_json"], 1);
    assert_eq!(v["format"], "csv");
    let p = &v["profile"];
    let rows = csv_data_lines(&sb.file(REFERENCE));
    assert_eq!(p["rows"].as_u64(), Some(rows as u64));
    let fp = p["fingerprint"].as_str().unwrap();
    assert!(fp.starts_with("sha256:") && fp.len() == 7 + 64, "{fp}");
    let names: Vec<&str> = p["column_profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, csv_header(&sb.file(REFERENCE)));
    assert_eq!(p["columns"].as_u64(), Some(names.len() as u64));
    let col = |n: &str| {
        p["column_profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(col("reading_id")["type"], "int");
    assert_eq!(col("timestamp")["type"], "datetime");
    assert_eq!(col("site")["type"], "string");
    assert_eq!(col("failure")["type"], "int");
    assert_eq!(col("reading_id")["distinct"].as_u64(), Some(rows as u64));
}

#[test]
fn profile_json_is_the_same_for_a_path_and_its_source_name() {
    let sb = Sandbox::sample();
    let by_path = sb.run(&["data", "profile", STABLE, "--json"]);
    let by_name = sb.run(&["data", "profile", "fresh-stable", "--json"]);
    assert_eq!(by_name.status.code(), Some(0), "{}", stderr_of(&by_name));
    let a: Value = serde_json::from_slice(&by_path.stdout).unwrap();
    let b: Value = serde_json::from_slice(&by_name.stdout).unwrap();
    assert_eq!(a["profile"], b["profile"]);
}

#[test]
fn profile_text_names_every_column() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "profile", STABLE]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let rows = csv_data_lines(&sb.file(STABLE));
    assert!(text.contains(&format!("{rows} rows")), "{text}");
    assert!(text.contains("fingerprint sha256:"), "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("column"))
        .skip(2)
        .collect();
    let first_words: Vec<&str> = table
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(first_words, csv_header(&sb.file(STABLE)), "{text}");
}

#[test]
fn validate_a_good_source_by_name_passes() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "validate", "reference"]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    assert!(text.contains("PASS  air_temp_k: <= 330"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    assert!(text.contains("0 failed"), "{text}");
}

/// A copy of `source` (`too_hot.csv`) with one air temperature set to 999 K.
fn with_out_of_range_value(sb: &Sandbox, source: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(sb.file(source)).unwrap();
    let header = csv_header(&sb.file(source));
    let col = header.iter().position(|h| h == "air_temp_k").unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut fields: Vec<&str> = lines[5].split(',').collect();
    fields[col] = "999.0";
    lines[5] = fields.join(",");
    let path = sb.file("too_hot.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn validate_fails_with_exit_1_on_an_out_of_range_value() {
    let sb = Sandbox::sample();
    with_out_of_range_value(&sb, REFERENCE);
    let out = sb.run(&[
        "data",
        "validate",
        "too_hot.csv",
        "--schema",
        "schemas/maintenance.toml",
    ]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr_of(&out));
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(failed.len(), 1, "{text}");
    assert!(
        failed[0].contains("air_temp_k: <= 330") && failed[0].contains("999"),
        "{text}"
    );
    assert!(text.contains("1 failed"), "{text}");

    // --json says the same.
    let out = sb.run(&[
        "data",
        "validate",
        "too_hot.csv",
        "--schema",
        "schemas/maintenance.toml",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], false);
    let failed: Vec<&Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{v}");
    assert_eq!(failed[0]["column"], "air_temp_k");
}

#[test]
fn an_inferred_schema_parses_and_passes_on_its_own_file() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "validate", "fresh-stable", "--infer"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let path = sb.file("inferred.toml");
    let schema = lathe::data::Schema::parse(&path, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, csv_header(&sb.file(STABLE)));
    let site = schema.columns.iter().find(|c| c.name == "site").unwrap();
    assert_eq!(
        site.allowed.as_deref(),
        Some(
            &[
                "aarhus".to_owned(),
                "bilbao".into(),
                "cluj".into(),
                "dundee".into()
            ][..]
        )
    );
    std::fs::write(&path, &text).unwrap();
    let out = sb.run(&["data", "validate", STABLE, "--schema", "inferred.toml"]);
    let report = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{report}{}", stderr_of(&out));
    assert!(!report.contains("FAIL"), "{report}");
    // And it catches an out-of-range copy.
    with_out_of_range_value(&sb, STABLE);
    sb.lathe()
        .args([
            "data",
            "validate",
            "too_hot.csv",
            "--schema",
            "inferred.toml",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL  air_temp_k: <="));
}

#[test]
fn a_schema_with_an_unknown_key_exits_2_naming_the_line() {
    let sb = Sandbox::sample();
    std::fs::write(
        sb.file("bad_schema.toml"),
        "format_version = 1\n\n[[columns]]\nname = \"air_temp_k\"\nmaximum = 330.0\n",
    )
    .unwrap();
    let out = sb.run(&["data", "validate", REFERENCE, "--schema", "bad_schema.toml"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad_schema.toml:5"), "{err}");
    assert!(err.contains("maximum"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_file_exits_2() {
    let sb = Sandbox::sample();
    let out = sb.run(&["data", "profile", "no_such.csv"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no_such.csv") && err.contains("no such file"),
        "{err}"
    );
}

#[test]
fn an_empty_file_exits_2_naming_it() {
    let sb = Sandbox::sample();
    std::fs::copy(fixture("bad/empty.csv"), sb.file("empty.csv")).unwrap();
    for cmd in ["head", "profile"] {
        let out = sb.run(&["data", cmd, "empty.csv"]);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains("empty.csv"), "{cmd}: {err}");
        assert!(err.contains("empty"), "{cmd}: {err}");
    }
}

#[test]
fn a_type_flag_changes_the_profiled_type() {
    let sb = Sandbox::sample();
    let type_of = |extra: &[&str]| -> String {
        let out = sb
            .lathe()
            .args(["data", "profile", STABLE, "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["profile"]["column_profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "failure")
            .unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(type_of(&[]), "int");
    assert_eq!(type_of(&["--type", "failure=categorical"]), "categorical");
    // The override shows in `head` too, and categories print as plain text.
    let out = sb.run(&[
        "data",
        "head",
        STABLE,
        "-n",
        "2",
        "--type",
        "site=categorical",
    ]);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let first_row = text.lines().nth(2).unwrap();
    assert!(first_row.contains(" dundee "), "{text}");
    assert!(
        !text.contains('"'),
        "categorical values are printed quoted:\n{text}"
    );
    // An unknown type is a usage error.
    sb.lathe()
        .args(["data", "profile", STABLE, "--type", "failure=complex"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("complex"));
}

#[test]
fn init_makes_a_project_once() {
    let sb = Sandbox::empty();
    let dir = sb.path().join("new-project");
    sb.lathe()
        .arg("init")
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("new-project"));
    assert!(dir.join("lathe.toml").is_file());
    assert!(dir.join(".lathe/state.toml").is_file());
    let project = lathe::project::Project::open(&dir).unwrap();
    assert_eq!(project.file.name, "new-project");
    let before = std::fs::read_to_string(dir.join("lathe.toml")).unwrap();
    sb.lathe()
        .arg("init")
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.join("lathe.toml")).unwrap(),
        before
    );
}

#[test]
fn bash_completions_are_printed() {
    let sb = Sandbox::empty();
    sb.lathe()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("lathe").and(predicate::str::contains("complete")));
}

#[test]
fn zsh_and_fish_completions_name_the_subcommands() {
    let sb = Sandbox::empty();
    for (shell, marker) in [("zsh", "#compdef lathe"), ("fish", "complete -c lathe")] {
        let out = sb.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout_of(&out);
        assert!(
            script.contains(marker),
            "{shell}: {}",
            &script[..200.min(script.len())]
        );
        assert!(
            script.contains("validate"),
            "{shell} lists the data subcommands"
        );
    }
}

#[test]
fn a_bad_flag_exits_2() {
    let sb = Sandbox::sample();
    sb.lathe()
        .args(["data", "head", STABLE, "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
    sb.lathe().args(["frobnicate"]).assert().code(2);
}

#[test]
fn user_folders_come_from_the_environment() {
    // LATHE_DATA_DIR is honoured: the log lands there, not in the real home folder.
    let sb = Sandbox::sample();
    let data = sb.path().join("data");
    std::fs::remove_dir(&data).unwrap();
    sb.lathe()
        .args(["data", "head", "reference", "-n", "1"])
        .assert()
        .success();
    assert!(
        data.join("lathe.log").is_file(),
        "no lathe.log in LATHE_DATA_DIR"
    );
    // Opening the project copy made its state folder there, not in sample-data.
    assert!(sb.project().join(".lathe/state.toml").is_file());
}

#[test]
fn profile_writes_svg_charts_with_the_embedded_font() {
    let sb = Sandbox::sample();
    let charts = sb.path().join("charts");
    let out = sb
        .lathe()
        .args(["data", "profile", STABLE, "--charts"])
        .arg(&charts)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // A numeric column gets a histogram: one filled bar per non-empty bin.
    let svg = std::fs::read_to_string(charts.join("06-air_temp_k.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.contains("air_temp_k:"), "caption names the column");
    let bars = svg.matches("<rect").count();
    assert!(
        bars >= 15,
        "expected the histogram's bars, found {bars} rects"
    );
    // A text column gets its most frequent values as labelled bars.
    let svg = std::fs::read_to_string(charts.join("04-machine_type.svg")).unwrap();
    let labels: Vec<&str> = svg
        .split("</text>")
        .filter_map(|t| t.rsplit('>').next())
        .map(str::trim)
        .collect();
    for v in ["L", "M", "H"] {
        assert!(labels.contains(&v), "label {v} missing from {labels:?}");
    }
    // The timestamp column has no chart.
    assert!(!charts.join("02-timestamp.svg").exists());
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    use std::io::Read;
    let sb = Sandbox::sample();
    let mut child = std::process::Command::new(crate::common::bin_path())
        .env("LATHE_CONFIG_DIR", sb.path().join("config"))
        .env("LATHE_DATA_DIR", sb.path().join("data"))
        .current_dir(sb.project())
        .args(["data", "head", REFERENCE, "-n", "10000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The reader is gone (as with `| head -1`): the next write meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("panicked"), "{}", stderr_of(&out));
}

#[test]
fn read_flags_override_what_is_sniffed() {
    let sb = Sandbox::empty();
    let path = sb.path().join("pipes.txt");
    std::fs::write(&path, "1|x y|2.5\n2|z|3.5\n").unwrap();
    let out = sb
        .lathe()
        .args([
            "data",
            "head",
            "--json",
            "--delimiter",
            "|",
            "--no-header",
            "--format",
            "csv",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let rows: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "the first line is data");
    assert_eq!(rows[0]["column_2"], "x y");
    // Column order is the file's, not sorted.
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["column_1", "column_2", "column_3"]);

    let latin = fixture("bad/latin1.csv");
    let out = sb
        .lathe()
        .args(["data", "head", "--json", "--encoding", "latin1"])
        .arg(&latin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("Zürich"));

    let out = sb
        .lathe()
        .args(["data", "head", "--delimiter", "ab"])
        .arg(&latin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("--delimiter"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn inline_checks_in_lathe_toml_are_validated() {
    let sb = Sandbox::sample();
    let toml = sb.project().join("lathe.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    // The last [[sources]] is the breast-cancer data (569 rows).
    text.push_str("\n[sources.checks]\nrows = { min = 600 }\ncolumns = [{ name = \"diagnosis\", allowed = [\"malignant\", \"benign\"] }]\n");
    std::fs::write(&toml, text).unwrap();
    let out = sb.run(&["data", "validate", "breast-cancer"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("FAIL  rows >= 600  (569 rows)"), "{text}");
    assert!(
        text.contains("PASS  diagnosis: allowed [malignant, benign]"),
        "{text}"
    );
}
