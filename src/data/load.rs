//! Loading data files into polars frames.
//!
//! CSV (sniffed encoding, delimiter, quote and header, each overridable; gzip
//! too), Parquet, NDJSON, JSON arrays and Arrow IPC. polars does the parsing;
//! this module chooses the options, turns polars' errors into messages that
//! name the file and line, and applies the user's type overrides.
//!
//! A CSV column that mixes numbers and text (`12`, `n/a`) is read as text
//! with a warning instead of failing the whole file.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::data::LogicalType;
use crate::data::format::{self, Format};
use crate::data::sniff::Dialect;
use crate::error::{Error, Result, clean_polars_message};

mod csv;
use csv::read_csv;

/// Options that override what lathe would detect.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadOptions {
    pub format: Option<Format>,
    pub delimiter: Option<u8>,
    pub quote: Option<u8>,
    pub has_header: Option<bool>,
    /// An encoding label encoding_rs knows (`latin1`, `utf-16le`, `windows-1252` …).
    pub encoding: Option<String>,
    /// Column type overrides.
    pub types: BTreeMap<String, LogicalType>,
}

/// A loaded frame and what was learned while loading it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub frame: DataFrame,
    pub path: PathBuf,
    pub format: Format,
    /// The CSV dialect used, for CSV files.
    pub dialect: Option<Dialect>,
    /// Things the user should know that did not stop the load.
    pub warnings: Vec<String>,
    /// False for a preview of the first rows only.
    pub complete: bool,
}

/// Read the whole file.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded> {
    read(path, opts, None)
}

/// Read only the first `n_rows` rows: fast, for the first screen.
pub fn preview(path: &Path, opts: &LoadOptions, n_rows: usize) -> Result<Loaded> {
    read(path, opts, Some(n_rows))
}

fn read(path: &Path, opts: &LoadOptions, n_rows: Option<usize>) -> Result<Loaded> {
    // polars panics on a few Arrow types it does not support (union,
    // interval, some extension and view types): report them as bad input.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_unguarded(path, opts, n_rows)
    }))
    .unwrap_or_else(|panic| {
        Err(Error::input(format!(
            "polars cannot read this file: {}",
            crate::jobs::panic_message(panic.as_ref())
        ))
        .at(path)
        .hint("a column type polars does not support? convert it (e.g. to CSV) and try again"))
    })
}

fn read_unguarded(path: &Path, opts: &LoadOptions, n_rows: Option<usize>) -> Result<Loaded> {
    let format = match opts.format {
        Some(f) => {
            // Still report a missing file or a folder as such.
            format::detect(path)?;
            f
        }
        None => format::detect(path)?,
    };
    let mut warnings = Vec::new();
    let (frame, dialect) = match format {
        Format::Csv => {
            // A preview cut mid-way through a quoted field that spans lines
            // fails to parse; the whole file then decides.
            let (df, d) = match read_csv(path, opts, n_rows, true, &mut warnings) {
                Ok(r) => r,
                Err(_) if n_rows.is_some() => {
                    warnings.clear();
                    read_csv(path, opts, n_rows, false, &mut warnings)?
                }
                Err(e) => return Err(e),
            };
            (df, Some(d))
        }
        Format::Parquet => (read_parquet(path, n_rows)?, None),
        Format::Ipc => {
            let file = open(path)?;
            let df = IpcReader::new(file)
                .with_n_rows(n_rows)
                .finish()
                .map_err(|e| polars_error(path, &e))?;
            (df, None)
        }
        Format::Ndjson | Format::Json => (read_json(path, format, n_rows)?, None),
    };
    let mut frame = check_columns(path, frame)?;
    apply_types(path, &mut frame, &opts.types, &mut warnings)?;
    if frame.height() == 0 {
        warnings.push("the file has a header but no rows".to_owned());
    }
    for col in frame.columns() {
        if frame.height() > 0 && col.null_count() == frame.height() {
            warnings.push(format!(
                "column '{}' is empty: every value is missing",
                col.name()
            ));
        }
    }
    Ok(Loaded {
        frame,
        path: path.to_owned(),
        format,
        dialect,
        warnings,
        complete: n_rows.is_none(),
    })
}

pub(super) fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| Error::io(path, &e))
}

fn read_parquet(path: &Path, n_rows: Option<usize>) -> Result<DataFrame> {
    let file = open(path)?;
    ParquetReader::new(file)
        .with_slice(n_rows.map(|n| (0, n)))
        .finish()
        .map_err(|e| {
            let mut err = polars_error(path, &e);
            if err.message.contains("out of spec")
                || err.message.contains("EOF")
                || err.message.contains("footer")
            {
                err =
                    err.hint("the file looks truncated or damaged; copy it again from its source");
            }
            err
        })
}

fn read_json(path: &Path, format: Format, n_rows: Option<usize>) -> Result<DataFrame> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input("the file is empty").at(path));
    }
    check_json_depth(path, &bytes)?;
    let json_format = match format {
        Format::Json => JsonFormat::Json,
        _ => JsonFormat::JsonLines,
    };
    let df = JsonReader::new(Cursor::new(&bytes))
        .with_json_format(json_format)
        .finish()
        .map_err(|e| {
            let mut err = polars_error(path, &e);
            if format == Format::Ndjson
                && let Some((line, msg)) = locate_json_problem(&bytes)
            {
                // serde_json says "… at line 1 column 40" of the one line it saw.
                let (what, column) = match msg.rsplit_once(" column ") {
                    Some((what, col)) => (what.trim_end_matches(" at line 1"), col.parse().ok()),
                    None => (msg.as_str(), None),
                };
                err.message = format!("not valid JSON: {what}");
                err = err.line(line);
                if let Some(c) = column {
                    err = err.column(c);
                }
            }
            err
        })?;
    Ok(match n_rows {
        Some(n) => df.head(Some(n)),
        None => df,
    })
}

/// Deeper nesting than this is refused before polars sees it: its recursive
/// reader would overflow the stack, which no error handling can catch.
const MAX_JSON_DEPTH: usize = 256;

fn check_json_depth(path: &Path, bytes: &[u8]) -> Result<()> {
    let (mut depth, mut in_string, mut escaped, mut line) = (0usize, false, false, 1u64);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(Error::input(format!(
                        "JSON nested more than {MAX_JSON_DEPTH} levels deep; lathe reads tables, not trees"
                    ))
                    .at(path)
                    .line(line));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => line += 1,
            _ => {}
        }
    }
    Ok(())
}

/// The first line of an NDJSON file that does not parse as JSON.
fn locate_json_problem(bytes: &[u8]) -> Option<(u64, String)> {
    let text = String::from_utf8_lossy(bytes);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_str::<serde_json::Value>(line) {
            return Some((i as u64 + 1, e.to_string()));
        }
    }
    None
}

/// polars' message without its long hints, as a lathe input error on `path`.
pub(crate) fn polars_error(path: &Path, e: &PolarsError) -> Error {
    Error::input(clean_polars_message(e)).at(path)
}

/// Refuse duplicate column names and strip stray BOMs from names.
fn check_columns(path: &Path, mut df: DataFrame) -> Result<DataFrame> {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, name) in names.iter().enumerate() {
        let clean = name.trim_start_matches('\u{feff}');
        if clean != name {
            df.rename(name, clean.into())?;
        }
        // polars renames a repeated header to `name_duplicated_0`.
        let original = clean.split_once("_duplicated_").map_or(clean, |(a, _)| a);
        if !seen.insert(original.to_owned()) || clean.contains("_duplicated_") {
            return Err(Error::input(format!(
                "two columns are named '{original}' (columns {} and {})",
                names
                    .iter()
                    .position(|n| n == original)
                    .map_or(0, |p| p + 1),
                i + 1
            ))
            .at(path)
            .line(1)
            .field(original)
            .hint("rename one of them in the header"));
        }
    }
    Ok(df)
}

/// Cast overridden columns; an unknown column name is an error naming it.
fn apply_types(
    path: &Path,
    df: &mut DataFrame,
    types: &BTreeMap<String, LogicalType>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    for (name, ty) in types {
        let col = df.column(name).map_err(|_| {
            Error::usage(format!(
                "cannot set the type of '{name}': there is no such column"
            ))
            .at(path)
            .field(name)
        })?;
        let Some(target) = ty.to_polars() else {
            continue;
        };
        if LogicalType::of(col.dtype()) == *ty {
            continue;
        }
        let refuse = |why: &str| {
            Error::input(format!("column '{name}' cannot be read as {ty}: {why}"))
                .at(path)
                .field(name)
        };
        let from = LogicalType::of(col.dtype());
        // Numbers do not silently become dates or booleans.
        if from.is_numeric() && matches!(ty, LogicalType::Date | LogicalType::Datetime) {
            return Err(refuse("it holds numbers, not dates"));
        }
        // Integer codes become categories through their text form.
        let source = if *ty == LogicalType::Categorical && !col.dtype().is_string() {
            col.cast(&DataType::String)?
        } else {
            col.clone()
        };
        let cast = source
            .strict_cast(&target)
            .map_err(|_| refuse("some values do not convert"))?;
        // A cast that changes values loses data: 26.72 → 26, 5 → true.
        if from.is_numeric() && matches!(ty, LogicalType::Int | LogicalType::Bool) {
            let back = cast.cast(&DataType::Float64)?;
            let orig = col.cast(&DataType::Float64)?;
            let same = back
                .f64()?
                .iter()
                .zip(orig.f64()?.iter())
                .all(|(a, b)| a == b || (a.is_none() && b.is_none()));
            if !same {
                return Err(refuse(
                    "some values would change (fractions or values other than 0 and 1)",
                ));
            }
        }
        let lost = cast.null_count().saturating_sub(col.null_count());
        if lost > 0 {
            warnings.push(format!("{lost} values of '{name}' did not convert to {ty}"));
        }
        df.with_column(cast)?;
    }
    Ok(())
}
