//! CSV through polars: sniffed dialect and encoding, a fast preview of the
//! first megabytes, text fallback for mixed columns, and errors that name the line.

use std::io::{Cursor, Read};
use std::path::Path;

use polars::prelude::*;

use super::{LoadOptions, open, polars_error};
use crate::data::records;
use crate::data::sniff::{self, Dialect, Encoding};
use crate::error::{Error, Result};

pub(super) fn read_csv(
    path: &Path,
    opts: &LoadOptions,
    n_rows: Option<usize>,
    use_prefix: bool,
    warnings: &mut Vec<String>,
) -> Result<(DataFrame, Dialect)> {
    let (mut dialect, head) = sniff::sniff(path)?;
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    if body.iter().all(u8::is_ascii_whitespace) {
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
    let text = in_memory_text(path, &dialect, n_rows.is_some() && use_prefix, warnings)?;

    // Count the file's records on another thread while polars parses it:
    // polars' own sequential stretches (schema inference) leave a core free.
    std::thread::scope(|scope| {
        let count = text
            .is_none()
            .then(|| {
                std::thread::Builder::new()
                    .name("lathe-record-count".into())
                    .spawn_scoped(scope, || count_file(path, &dialect))
                    .ok()
            })
            .flatten();
        parse(path, &dialect, text.as_ref(), n_rows, count, warnings)
    })
}

/// polars' parse of the file or of `text`, and the record check of its input.
fn parse(
    path: &Path,
    dialect: &Dialect,
    text: Option<&InMemory>,
    n_rows: Option<usize>,
    mut count: Option<std::thread::ScopedJoinHandle<'_, Option<records::QuickCount>>>,
    warnings: &mut Vec<String>,
) -> Result<(DataFrame, Dialect)> {
    let try_parse_dates = may_hold_dates(path, dialect, text)?;
    let mut as_text: Vec<PlSmallStr> = Vec::new();
    loop {
        let mut overwrite = Schema::default();
        for name in &as_text {
            overwrite.with_column(name.clone(), DataType::String);
        }
        let options = CsvReadOptions::default()
            .with_has_header(dialect.has_header)
            .with_infer_schema_length(Some(INFER_ROWS))
            .with_n_rows(n_rows)
            .with_schema_overwrite((!as_text.is_empty()).then(|| std::sync::Arc::new(overwrite)))
            .with_parse_options(
                CsvParseOptions::default()
                    .with_separator(dialect.delimiter)
                    .with_quote_char(Some(dialect.quote))
                    .with_try_parse_dates(try_parse_dates)
                    .with_missing_is_null(true),
            );
        let result = match text {
            Some(t) => options
                .into_reader_with_file_handle(Cursor::new(t.bytes.as_slice()))
                .finish(),
            None => options
                .try_into_reader_with_file_path(Some(path.to_owned()))
                .and_then(|r| r.finish()),
        };
        match result {
            Ok(df) => {
                // polars pads short rows with nulls and reads blank lines as
                // rows of nulls: check the record structure of the whole input.
                let counted = count.take().and_then(|h| h.join().ok().flatten());
                let scan = match counted.and_then(|c| c.vouches_for(df.width())) {
                    Some(true) => records::RecordScan::default(),
                    _ => scan_input(path, dialect, text)?,
                };
                if let Some((line, msg)) = scan.problem {
                    return Err(Error::input(msg).at(path).line(line).hint(RAGGED_HINT));
                }
                let df = drop_blank_rows(df, scan.blank_lines, warnings)?;
                warn_mixed_text(&df, dialect.has_header, warnings);
                return Ok((df, dialect.clone()));
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
                return Err(csv_error(path, &e, dialect, text));
            }
        }
    }
}

/// Rows polars reads to infer the column types.
const INFER_ROWS: usize = 10_000;

/// Whether polars' date inference is needed ([`sniff::may_hold_dates`]),
/// judged on what polars parses or on the file's first megabytes.
fn may_hold_dates(path: &Path, dialect: &Dialect, text: Option<&InMemory>) -> Result<bool> {
    let (d, q) = (dialect.delimiter, dialect.quote);
    Ok(match text {
        Some(t) => sniff::may_hold_dates(&t.bytes, true, d, q, INFER_ROWS),
        None => {
            let mut head = Vec::new();
            reader(path, dialect)?
                .take(PREVIEW_BYTES)
                .read_to_end(&mut head)
                .map_err(|e| Error::io(path, &e))?;
            let whole = (head.len() as u64) < PREVIEW_BYTES;
            if !whole && let Some(end) = head.iter().rposition(|&b| b == b'\n') {
                head.truncate(end + 1);
            }
            sniff::may_hold_dates(&head, whole, d, q, INFER_ROWS)
        }
    })
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
fn csv_error(path: &Path, e: &PolarsError, dialect: &Dialect, text: Option<&InMemory>) -> Error {
    let mut err = polars_error(path, e);
    if let Ok(scan) = scan_input(path, dialect, text)
        && let Some((line, msg)) = scan.problem
    {
        err.message = msg;
        err = err.line(line);
        if err.message.contains("fields") {
            err = err.hint(RAGGED_HINT);
        }
    }
    err
}

const RAGGED_HINT: &str =
    "fix the row, or check the delimiter and quote (override them with --delimiter, --quote)";

/// What polars parses when it is not the file on disk itself.
struct InMemory {
    bytes: Vec<u8>,
    /// Only the first megabytes (a preview): a record may be cut.
    prefix: bool,
}

/// polars reads UTF-8 only: other encodings and lone-CR line ends are
/// converted in memory first; a preview reads only the file's first megabytes.
fn in_memory_text(
    path: &Path,
    dialect: &Dialect,
    preview: bool,
    warnings: &mut Vec<String>,
) -> Result<Option<InMemory>> {
    let whole = |bytes| {
        Some(InMemory {
            bytes,
            prefix: false,
        })
    };
    if dialect.cr_only {
        // UTF-8 files only; others are rare enough.
        let mut bytes = read_all(path, dialect.gzip)?;
        if bytes.starts_with(b"\xef\xbb\xbf") {
            bytes.drain(..3);
        }
        for b in bytes.iter_mut().filter(|b| **b == b'\r') {
            *b = b'\n';
        }
        warnings.push(
            "lines end in a lone carriage return (old Mac format); lathe read them as line ends"
                .to_owned(),
        );
        return Ok(whole(bytes));
    }
    Ok(match &dialect.encoding {
        // polars would otherwise split the whole file into chunks before
        // stopping at the preview's row count.
        Encoding::Utf8 if preview => prefix_lines(path, dialect.gzip)?.map(|bytes| InMemory {
            bytes,
            prefix: true,
        }),
        Encoding::Utf8 => None,
        Encoding::Utf8Bom => {
            let mut bytes = read_all(path, dialect.gzip)?;
            bytes.drain(..3);
            whole(bytes)
        }
        Encoding::Other(name) => {
            let raw = read_all(path, dialect.gzip)?;
            let (text, lossy) = sniff::transcode(&raw, name)
                .ok_or_else(|| Error::input(format!("unknown encoding '{name}'")).at(path))?;
            let lossy = if lossy {
                " (some bytes could not be converted and show as '\u{fffd}')"
            } else {
                ""
            };
            warnings.push(format!(
                "the file is {name}, not UTF-8; lathe converted it{lossy}"
            ));
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
            whole(text.into_bytes())
        }
    })
}

/// The record structure of what polars parsed, record by record.
fn scan_input(
    path: &Path,
    dialect: &Dialect,
    text: Option<&InMemory>,
) -> Result<records::RecordScan> {
    match text {
        Some(t) => Ok(records::scan_bytes(
            &t.bytes,
            dialect.delimiter,
            dialect.quote,
            !t.prefix,
        )),
        None => records::scan_reader(reader(path, dialect)?, dialect.delimiter, dialect.quote)
            .map_err(|e| Error::io(path, &e)),
    }
}

/// The file on disk, decompressed when it is gzip, read without holding it in memory.
fn reader(path: &Path, dialect: &Dialect) -> Result<Box<dyn Read>> {
    let file = open(path)?;
    Ok(if dialect.gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}

/// The quick count of the file's records ([`records::quick_count`]); `None`
/// when it cannot tell, and then the full scan decides.
fn count_file(path: &Path, dialect: &Dialect) -> Option<records::QuickCount> {
    records::quick_count(
        reader(path, dialect).ok()?,
        dialect.delimiter,
        dialect.quote,
    )
    .ok()
    .flatten()
}

/// Remove the rows of nulls polars made of blank lines. When the file also
/// has genuine all-empty rows the two cannot be told apart: keep all, and say so.
fn drop_blank_rows(df: DataFrame, blank: u64, warnings: &mut Vec<String>) -> Result<DataFrame> {
    if blank == 0 || df.width() == 0 {
        return Ok(df);
    }
    let mut all_null: Option<BooleanChunked> = None;
    for c in df.columns() {
        let m = c.as_materialized_series().is_null();
        all_null = Some(match all_null {
            Some(acc) => &acc & &m,
            None => m,
        });
    }
    let Some(all_null) = all_null else {
        return Ok(df);
    };
    let empty_rows = all_null.sum().unwrap_or(0) as u64;
    if empty_rows == blank {
        warnings.push(format!("skipped {blank} blank lines"));
        Ok(df.filter(&!&all_null)?)
    } else {
        warnings.push(format!(
            "{blank} blank lines were read as rows of empty values"
        ));
        Ok(df)
    }
}
