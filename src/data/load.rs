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
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::data::LogicalType;
use crate::data::format::{self, Format};
use crate::data::sniff::{self, Dialect, Encoding};
use crate::error::{Error, Result};

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
    let mut frame = check_columns(path, frame, &mut warnings)?;
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

fn open(path: &Path) -> Result<std::fs::File> {
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

fn read_csv(
    path: &Path,
    opts: &LoadOptions,
    n_rows: Option<usize>,
    use_prefix: bool,
    warnings: &mut Vec<String>,
) -> Result<(DataFrame, Dialect)> {
    let (mut dialect, head) = sniff::sniff(path)?;
    let head_is_all = (head.len() as u64) < sniff::HEAD_BYTES as u64 && !dialect.gzip;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input("the file is empty: no header and no rows")
            .at(path)
            .line(1));
    }
    if let Some(enc) = &opts.encoding {
        let known = encoding_rs::Encoding::for_label(enc.as_bytes()).ok_or_else(|| {
            Error::usage(format!("unknown encoding '{enc}'"))
                .hint("use e.g. utf-8, latin1, utf-16le")
        })?;
        dialect.encoding = if known == encoding_rs::UTF_8 {
            Encoding::Utf8
        } else {
            Encoding::Other(known.name().to_owned())
        };
    }
    if let Some(d) = opts.delimiter {
        dialect.delimiter = d;
    }
    if let Some(q) = opts.quote {
        dialect.quote = q;
    }
    if let Some(h) = opts.has_header {
        dialect.has_header = h;
    }
    // polars reads UTF-8 only: anything else is transcoded in memory first.
    let text: Option<Arc<Vec<u8>>> = match &dialect.encoding {
        // A preview parses only the first megabytes: polars would otherwise
        // split the whole file into chunks before stopping at `n_rows`.
        Encoding::Utf8 if n_rows.is_some() && use_prefix => {
            prefix_lines(path, dialect.gzip)?.map(Arc::new)
        }
        Encoding::Utf8 => None,
        Encoding::Utf8Bom => Some(Arc::new(read_all(path, dialect.gzip)?[3..].to_vec())),
        Encoding::Other(name) => {
            let raw = read_all(path, dialect.gzip)?;
            let (text, lossy) = sniff::transcode(&raw, name)
                .ok_or_else(|| Error::input(format!("unknown encoding '{name}'")).at(path))?;
            warnings.push(format!(
                "the file is {name}, not UTF-8; lathe converted it{}",
                if lossy {
                    " (some bytes could not be converted and show as '\u{fffd}')"
                } else {
                    ""
                }
            ));
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
            Some(Arc::new(text.into_bytes()))
        }
    };

    let mut as_text: Vec<PlSmallStr> = Vec::new();
    loop {
        let mut overwrite = Schema::default();
        for name in &as_text {
            overwrite.with_column(name.clone(), DataType::String);
        }
        let options = CsvReadOptions::default()
            .with_has_header(dialect.has_header)
            .with_infer_schema_length(Some(10_000))
            .with_n_rows(n_rows)
            .with_schema_overwrite((!as_text.is_empty()).then(|| Arc::new(overwrite)))
            .with_parse_options(
                CsvParseOptions::default()
                    .with_separator(dialect.delimiter)
                    .with_quote_char(Some(dialect.quote))
                    .with_try_parse_dates(true)
                    .with_missing_is_null(true),
            );
        let result = match &text {
            Some(bytes) => options
                .into_reader_with_file_handle(Cursor::new(bytes.as_slice()))
                .finish(),
            None => options
                .try_into_reader_with_file_path(Some(path.to_owned()))
                .and_then(|r| r.finish()),
        };
        match result {
            Ok(df) => {
                // polars pads short rows with nulls; refuse them as it refuses long ones.
                // Checked on the sniffed head (complete lines only), so it costs nothing.
                let sample = match &text {
                    Some(t) => {
                        String::from_utf8_lossy(&t[..t.len().min(sniff::HEAD_BYTES)]).into_owned()
                    }
                    None => String::from_utf8_lossy(&head).into_owned(),
                };
                let complete =
                    if head_is_all || text.as_ref().is_some_and(|t| t.len() <= sniff::HEAD_BYTES) {
                        &sample[..]
                    } else {
                        sample.rfind('\n').map_or("", |i| &sample[..=i])
                    };
                if dialect.has_header
                    && let Some((line, msg)) =
                        sniff::locate_csv_problem(complete, dialect.delimiter, dialect.quote)
                    && msg.contains("fields")
                {
                    return Err(Error::input(msg).at(path).line(line).hint(
                        "fix the row, or check the delimiter (override it with --delimiter)",
                    ));
                }
                warn_mixed_text(&df, dialect.has_header, warnings);
                return Ok((df, dialect));
            }
            Err(e) => {
                if let Some(col) = unparsable_column(&e)
                    && !as_text.iter().any(|c| c.as_str() == col)
                    && as_text.len() < 1000
                {
                    warnings.push(format!(
                        "column '{col}' mixes numbers and text; it was read as text"
                    ));
                    as_text.push(col.into());
                    continue;
                }
                return Err(csv_error(
                    path,
                    &e,
                    &dialect,
                    text.as_deref().map(Vec::as_slice),
                ));
            }
        }
    }
}

/// Bytes a preview reads at most.
const PREVIEW_BYTES: u64 = 4 * 1024 * 1024;

/// The first [`PREVIEW_BYTES`] of the (decompressed) file, cut after its last
/// complete line; `None` when the file is no longer than that.
fn prefix_lines(path: &Path, gzip: bool) -> Result<Option<Vec<u8>>> {
    let file = open(path)?;
    let mut buf = Vec::new();
    let read = if gzip {
        flate2::read::MultiGzDecoder::new(file)
            .take(PREVIEW_BYTES + 1)
            .read_to_end(&mut buf)
    } else {
        file.take(PREVIEW_BYTES + 1).read_to_end(&mut buf)
    };
    read.map_err(|e| Error::input(format!("cannot read: {e}")).at(path))?;
    if buf.len() as u64 <= PREVIEW_BYTES {
        return Ok(None);
    }
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return Ok(None);
    };
    buf.truncate(end + 1);
    Ok(Some(buf))
}

fn read_all(path: &Path, gzip: bool) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    if !gzip {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| Error::input(format!("cannot decompress gzip data: {e}")).at(path))?;
    Ok(out)
}

/// Warn about text columns that are mostly numbers (`12`, `7`, `n/a`):
/// usually a missing-value marker or a typo that turned a number column into text.
fn warn_mixed_text(df: &DataFrame, has_header: bool, warnings: &mut Vec<String>) {
    for col in df.columns() {
        let Ok(ca) = col.str() else { continue };
        let mut numbers = 0usize;
        let mut first_text: Option<(usize, &str)> = None;
        let mut seen = 0usize;
        for (row, v) in ca.iter().enumerate().take(10_000) {
            let Some(v) = v else { continue };
            seen += 1;
            if v.trim().parse::<f64>().is_ok() {
                numbers += 1;
            } else if first_text.is_none() {
                first_text = Some((row, v));
            }
        }
        if let Some((row, v)) = first_text
            && numbers * 2 >= seen
        {
            let line = row + 1 + usize::from(has_header);
            warnings.push(format!(
                "column '{}' mixes numbers and text (first text: '{v}' on line {line}); it was read as text",
                col.name()
            ));
        }
    }
}

/// The column named by polars' "could not parse `x` as dtype `i64` at column 'c'".
fn unparsable_column(e: &PolarsError) -> Option<String> {
    let msg = e.to_string();
    let rest = msg.split_once("could not parse")?.1;
    let rest = rest.split_once("at column '")?.1;
    Some(rest.split_once('\'')?.0.to_owned())
}

/// A CSV error with the line it is on, found by a diagnostic scan.
fn csv_error(path: &Path, e: &PolarsError, dialect: &Dialect, text: Option<&[u8]>) -> Error {
    let mut err = polars_error(path, e);
    let owned;
    let bytes = match text {
        Some(b) => b,
        None => match read_all(path, dialect.gzip) {
            Ok(b) => {
                owned = b;
                &owned
            }
            Err(_) => return err,
        },
    };
    let text = String::from_utf8_lossy(bytes);
    if let Some((line, msg)) = sniff::locate_csv_problem(&text, dialect.delimiter, dialect.quote) {
        err.message = msg;
        err = err.line(line);
        if err.message.contains("fields") {
            err = err.hint("fix the row, or check the delimiter (override it with --delimiter)");
        }
    }
    err
}

/// polars' message without its long hints, as a lathe input error on `path`.
pub(crate) fn polars_error(path: &Path, e: &PolarsError) -> Error {
    Error::input(clean_polars_message(e)).at(path)
}

/// The first paragraph of a polars error, without the error-kind prefix.
pub fn clean_polars_message(e: &PolarsError) -> String {
    let msg = match e {
        PolarsError::ComputeError(m)
        | PolarsError::NoData(m)
        | PolarsError::SchemaMismatch(m)
        | PolarsError::ShapeMismatch(m)
        | PolarsError::InvalidOperation(m)
        | PolarsError::ColumnNotFound(m)
        | PolarsError::Duplicate(m)
        | PolarsError::OutOfBounds(m)
        | PolarsError::SchemaFieldNotFound(m)
        | PolarsError::StructFieldNotFound(m) => m.to_string(),
        other => other.to_string(),
    };
    msg.split("\n\n").next().unwrap_or(&msg).trim().to_owned()
}

/// Refuse duplicate column names and strip stray BOMs from names.
fn check_columns(path: &Path, mut df: DataFrame, _warnings: &mut [String]) -> Result<DataFrame> {
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
        // Integer codes become categories through their text form.
        let source = if *ty == LogicalType::Categorical && !col.dtype().is_string() {
            col.cast(&DataType::String)?
        } else {
            col.clone()
        };
        let cast = source.strict_cast(&target).map_err(|_| {
            Error::input(format!(
                "column '{name}' cannot be read as {ty}: some values do not convert"
            ))
            .at(path)
            .field(name)
        })?;
        let lost = cast.null_count().saturating_sub(col.null_count());
        if lost > 0 {
            warnings.push(format!("{lost} values of '{name}' did not convert to {ty}"));
        }
        df.with_column(cast)?;
    }
    Ok(())
}
