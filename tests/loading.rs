//! The data loader against the bad-input corpus (`tests/fixtures/bad/EXPECTED.toml`)
//! and against inputs made at run time: a huge field, missing, folder and
//! unreadable paths, the same data in every format, type overrides, gzip.

use std::collections::BTreeMap;
use std::path::Path;

use lathe::data::display::cell_text;
use lathe::data::{LoadOptions, Loaded, LogicalType, load, preview};
use lathe::error::ErrorKind;
use polars::prelude::DataFrame;
use serde::Deserialize;

use crate::common::{Sandbox, bin_path, fixture, skip_or_fail, which};

#[derive(Debug, Deserialize)]
struct Expected {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    outcome: Outcome,
    #[allow(dead_code)]
    why: String,
    rows: Option<usize>,
    columns: Option<usize>,
    line: Option<u64>,
    #[serde(default)]
    mentions: Vec<String>,
    first_column: Option<String>,
    check: Option<Cell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Loads,
    Warning,
    Error,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cell {
    column: String,
    row: usize,
    value: String,
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(fixture("bad/EXPECTED.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn column_index(df: &DataFrame, name: &str) -> Option<usize> {
    df.get_column_names()
        .iter()
        .position(|n| n.as_str() == name)
}

/// Check one corpus case; push a line per mismatch.
fn check_case(case: &Case, problems: &mut Vec<String>) {
    let path = fixture(&format!("bad/{}", case.file));
    let mut fail = |what: String| problems.push(format!("{}: {what}", case.file));
    match (case.outcome, load(&path, &LoadOptions::default())) {
        (Outcome::Error, Ok(loaded)) => fail(format!(
            "expected an error, but it loaded {}x{} with warnings {:?}",
            loaded.frame.height(),
            loaded.frame.width(),
            loaded.warnings
        )),
        (Outcome::Error, Err(e)) => {
            let text = e.to_string();
            if !text.contains(&case.file) {
                fail(format!("the error does not name the file: {text:?}"));
            }
            if let Some(line) = case.line {
                if !text.contains(&format!(":{line}")) {
                    fail(format!("the error does not name line {line}: {text:?}"));
                }
                if e.location.line != Some(line) {
                    fail(format!(
                        "error location.line is {:?}, want {line}",
                        e.location.line
                    ));
                }
            }
            for m in &case.mentions {
                if !text.contains(m.as_str()) {
                    fail(format!("the error does not mention '{m}': {text:?}"));
                }
            }
        }
        (outcome, Err(e)) => fail(format!("expected {outcome:?}, got the error {e}")),
        (outcome, Ok(loaded)) => check_loaded(case, outcome, &loaded, &mut fail),
    }
}

fn check_loaded(case: &Case, outcome: Outcome, loaded: &Loaded, fail: &mut impl FnMut(String)) {
    let df = &loaded.frame;
    match outcome {
        Outcome::Loads if !loaded.warnings.is_empty() => {
            fail(format!("expected no warnings, got {:?}", loaded.warnings));
        }
        Outcome::Warning if loaded.warnings.is_empty() => {
            fail("expected a warning, got none".into())
        }
        _ => {}
    }
    if let Some(rows) = case.rows
        && df.height() != rows
    {
        fail(format!("{} rows, want {rows}", df.height()));
    }
    if let Some(cols) = case.columns
        && df.width() != cols
    {
        fail(format!(
            "{} columns {:?}, want {cols}",
            df.width(),
            df.get_column_names()
        ));
    }
    let warnings = loaded.warnings.join("\n");
    for m in &case.mentions {
        if !warnings.contains(m.as_str()) {
            fail(format!("the warnings do not mention '{m}': {warnings:?}"));
        }
    }
    if let Some(first) = &case.first_column {
        let got = df.get_column_names().first().map(|n| n.to_string());
        if got.as_deref() != Some(first.as_str()) {
            fail(format!("first column is {got:?}, want {first:?}"));
        }
    }
    if let Some(cell) = &case.check {
        match column_index(df, &cell.column) {
            None => fail(format!(
                "no column '{}' in {:?}",
                cell.column,
                df.get_column_names()
            )),
            Some(_) if cell.row >= df.height() => {
                fail(format!(
                    "row {} is past the end ({} rows)",
                    cell.row,
                    df.height()
                ));
            }
            Some(i) => {
                let got = cell_text(df, i, cell.row);
                if got != cell.value {
                    fail(format!(
                        "{}[{}] is {got:?}, want {:?}",
                        cell.column, cell.row, cell.value
                    ));
                }
            }
        }
    }
}

#[test]
fn bad_input_corpus_matches_expected_toml() {
    let expected = expected();
    assert!(expected.case.len() >= 20, "EXPECTED.toml lost its cases");
    let mut problems = Vec::new();
    for case in &expected.case {
        assert!(
            fixture(&format!("bad/{}", case.file)).is_file(),
            "EXPECTED.toml names a missing file: {}",
            case.file
        );
        check_case(case, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "{} mismatch(es) against tests/fixtures/bad/EXPECTED.toml:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_corpus_file_has_an_expectation() {
    let listed: Vec<String> = expected().case.into_iter().map(|c| c.file).collect();
    for entry in std::fs::read_dir(fixture("bad")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "EXPECTED.toml" || name == "README.md" || name.ends_with(".py") {
            continue;
        }
        assert!(
            listed.contains(&name),
            "{name} has no [[case]] in EXPECTED.toml"
        );
    }
}

#[test]
fn a_ten_megabyte_field_loads_intact() {
    const LEN: usize = 10 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blob.csv");
    let mut bytes = Vec::with_capacity(LEN + 16);
    bytes.extend_from_slice(b"blob\n");
    bytes.resize(bytes.len() + LEN, b'x');
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();

    let loaded = load(&path, &LoadOptions::default()).unwrap();
    let df = &loaded.frame;
    assert_eq!(df.shape(), (1, 1), "{:?}", df.get_column_names());
    assert_eq!(df.get_column_names()[0].as_str(), "blob");
    let col = df.column("blob").unwrap().str().unwrap().clone();
    let value = col.get(0).unwrap();
    assert_eq!(value.len(), LEN);
    assert!(value.bytes().all(|b| b == b'x'));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.csv");
    let e = load(&path, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
    assert!(e.message.contains("no such file"), "{e}");
    assert_eq!(e.path.as_deref(), Some(path.as_path()));
    assert!(e.to_string().contains("nope.csv"), "{e}");
    // The same with a forced format: still "no such file", not a parse error.
    let opts = LoadOptions {
        format: Some(lathe::data::format::Format::Parquet),
        ..LoadOptions::default()
    };
    let e = load(&path, &opts).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
}

#[test]
fn a_folder_is_refused_as_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("data.csv");
    std::fs::create_dir(&sub).unwrap();
    let e = load(&sub, &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("directory"), "{e}");
    assert!(e.to_string().contains("data.csv"), "{e}");
}

/// Is every folder above `path` (and `path`) searchable by others (o+x)?
fn world_reachable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors().all(|p| {
        p.as_os_str().is_empty()
            || std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0)
    })
}

/// Run as root-owned mode-0600 data, read by another user (nobody): the real
/// binary must say "permission denied", name the file and exit 2.
#[test]
fn an_unreadable_file_is_permission_denied_for_another_user() {
    use std::os::unix::fs::PermissionsExt;
    let Some(setpriv) = which("setpriv") else {
        skip_or_fail("setpriv (util-linux) is not installed");
        return;
    };
    // Only root may switch to another user.
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        skip_or_fail("the permission test must run as root to switch to uid 65534");
        return;
    }
    let sb = Sandbox::empty();
    let dir = sb.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    for p in [sb.path(), dir.as_path()] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let file = dir.join("secret.csv");
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // nobody must be able to run the binary: copy it when its folder is private.
    let mut bin = bin_path();
    if !world_reachable(&bin) {
        let copy = dir.join("lathe");
        std::fs::copy(&bin, &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin = copy;
    }
    let mut cmd = assert_cmd::Command::new(setpriv);
    sb.sandbox_env(&mut cmd);
    let out = cmd
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["data", "head"])
        .arg(&file)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("permission denied"), "stderr: {stderr}");
    assert!(stderr.contains("secret.csv"), "stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

const GOOD: [&str; 5] = [
    "good.csv",
    "good.parquet",
    "good.ndjson",
    "good.json",
    "good.arrow",
];

#[test]
fn the_good_data_reads_the_same_in_every_format() {
    let reference = load(&fixture("bad/good.csv"), &LoadOptions::default()).unwrap();
    let names: Vec<String> = reference
        .frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, ["id", "name", "score", "category", "when", "flag"]);
    assert_eq!(reference.frame.shape(), (50, 6));
    for file in GOOD {
        let loaded = load(&fixture(&format!("bad/{file}")), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let df = &loaded.frame;
        let got: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(got, names, "{file}: column names");
        assert_eq!(df.shape(), (50, 6), "{file}: shape");
        // Same values, as lathe shows them, in every column and row.
        for (c, name) in names.iter().enumerate() {
            for r in 0..df.height() {
                assert_eq!(
                    cell_text(df, c, r),
                    cell_text(&reference.frame, c, r),
                    "{file}: {name}[{r}]"
                );
            }
        }
        // Numbers and booleans keep their types (dates are text in JSON: it has no date type).
        let ty = |n: &str| LogicalType::of(df.column(n).unwrap().dtype());
        assert_eq!(ty("id"), LogicalType::Int, "{file}: id");
        assert_eq!(ty("score"), LogicalType::Float, "{file}: score");
        assert_eq!(ty("flag"), LogicalType::Bool, "{file}: flag");
        assert_eq!(
            df.column("score").unwrap().null_count(),
            9,
            "{file}: score nulls"
        );
    }
}

#[test]
fn csv_dates_are_dates() {
    let loaded = load(&fixture("bad/good.csv"), &LoadOptions::default()).unwrap();
    let when = loaded.frame.column("when").unwrap();
    assert_eq!(LogicalType::of(when.dtype()), LogicalType::Date);
}

#[test]
fn a_type_override_makes_a_categorical_column() {
    let path = fixture("bad/good.csv");
    let opts = LoadOptions {
        types: BTreeMap::from([("id".to_owned(), LogicalType::Categorical)]),
        ..LoadOptions::default()
    };
    let loaded = load(&path, &opts).unwrap();
    let df = &loaded.frame;
    let id = df.column("id").unwrap();
    assert_eq!(
        LogicalType::of(id.dtype()),
        LogicalType::Categorical,
        "{}",
        id.dtype()
    );
    assert_eq!(df.shape(), (50, 6));
    assert_eq!(cell_text(df, 0, 0), "1");
    assert_eq!(cell_text(df, 0, 49), "50");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);

    // Overriding a column that does not exist is an error naming it.
    let opts = LoadOptions {
        types: BTreeMap::from([("nope".to_owned(), LogicalType::Int)]),
        ..LoadOptions::default()
    };
    let e = load(&path, &opts).unwrap_err();
    assert!(e.to_string().contains("'nope'"), "{e}");
}

#[test]
fn gzip_reads_the_same_as_plain() {
    let plain = load(&fixture("bad/good.csv"), &LoadOptions::default()).unwrap();
    let gz = load(&fixture("bad/gzip.csv.gz"), &LoadOptions::default()).unwrap();
    assert!(
        gz.dialect.as_ref().is_some_and(|d| d.gzip),
        "{:?}",
        gz.dialect
    );
    assert_eq!(gz.frame.schema(), plain.frame.schema());
    assert!(
        gz.frame.equals_missing(&plain.frame),
        "{}\n{}",
        gz.frame,
        plain.frame
    );
}

#[test]
fn preview_reads_only_the_first_rows() {
    for file in GOOD {
        let path = fixture(&format!("bad/{file}"));
        let p =
            preview(&path, &LoadOptions::default(), 7).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(p.frame.shape(), (7, 6), "{file}");
        assert!(!p.complete, "{file}");
        let full = load(&path, &LoadOptions::default()).unwrap();
        assert!(full.complete);
        assert!(p.frame.equals_missing(&full.frame.head(Some(7))), "{file}");
    }
}

#[test]
fn a_short_row_far_past_the_sniffed_head_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.csv");
    let mut text = String::from("a,b,c\n");
    for i in 0..30_000 {
        text.push_str(&format!("{i},{i},{i}\n"));
    }
    text.push_str("7,8\n9,9,9\n");
    assert!(
        text.len() > 256 * 1024,
        "the short row must lie beyond the sniffed head"
    );
    std::fs::write(&path, &text).unwrap();
    let e = load(&path, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.location.line, Some(30_002), "{e}");
    assert!(e.message.contains("2 fields"), "{e}");
}

#[test]
fn lossy_type_overrides_are_refused() {
    let good = fixture("bad/good.csv");
    for (col, ty) in [
        ("score", LogicalType::Int),
        ("id", LogicalType::Bool),
        ("id", LogicalType::Date),
    ] {
        let opts = LoadOptions {
            types: BTreeMap::from([(col.to_owned(), ty)]),
            ..LoadOptions::default()
        };
        let e = load(&good, &opts).unwrap_err();
        assert_eq!(e.location.field.as_deref(), Some(col), "{col} as {ty}: {e}");
        assert!(
            e.message.contains(&format!("cannot be read as {ty}")),
            "{e}"
        );
    }
    // Integral floats become ints without loss, and ints become floats.
    let opts = LoadOptions {
        types: BTreeMap::from([("id".to_owned(), LogicalType::Float)]),
        ..LoadOptions::default()
    };
    let l = load(&good, &opts).unwrap();
    assert_eq!(
        LogicalType::of(l.frame.column("id").unwrap().dtype()),
        LogicalType::Float
    );
}
