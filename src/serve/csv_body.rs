//! `text/csv` bodies on `/invocations`, as MLflow's scoring server reads them
//! with `pandas.read_csv`: a header row of column names, then one row per
//! record (RFC 4180 quoting). A cell is a number for a number input, text for
//! a category input; an empty cell is missing, and so, in a number column,
//! are pandas' NA markers (`NaN`, `NA`, `null`, …). An unnamed first column
//! (the index `DataFrame.to_csv()` writes) is dropped. This module only turns
//! the table into MLflow's `dataframe_split`; [`crate::bundle::input::mlflow`]
//! checks the rows as for any other request. Errors name the 1-based line
//! and the column.

use serde_json::{Value, json};

use crate::bundle::manifest::{InputField, InputKind};
use crate::error::{Error, Result};

/// What pandas reads as missing in a number column.
const NA: [&str; 13] = [
    "nan", "-nan", "na", "n/a", "null", "none", "<na>", "#n/a", "#na", "#n/a n/a", "1.#ind",
    "1.#qnan", "-1.#ind",
];

fn bad(line: u64, column: &str, message: impl Into<String>) -> Error {
    let message = message.into();
    Error::input(format!("line {line}, column '{column}': {message}"))
        .line(line)
        .field(column.to_owned())
}

/// The CSV body as `{"dataframe_split": {"columns": …, "data": …}}`.
pub fn to_split(body: &[u8], fields: &[InputField]) -> Result<Value> {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let header = reader.byte_headers().map_err(|e| syntax(&e))?.clone();
    if header.is_empty() {
        return Err(Error::input(
            "the CSV body is empty: send a header row of column names, then one row per line",
        )
        .field("body"));
    }
    let mut names = Vec::with_capacity(header.len());
    for (c, name) in header.iter().enumerate() {
        let name = std::str::from_utf8(name).map_err(|_| {
            Error::input(format!(
                "line 1: the name of column {} is not UTF-8 text",
                c + 1
            ))
            .line(1)
            .field("body")
        })?;
        names.push(name.to_owned());
    }
    // pandas' unnamed index column.
    let skip = usize::from(names.len() > 1 && names[0].is_empty());
    let kinds: Vec<Option<&InputField>> = names
        .iter()
        .map(|n| fields.iter().find(|f| f.name == *n))
        .collect();
    let mut data = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| syntax(&e))?
    {
        let line = record.position().map_or(0, csv::Position::line);
        let row: Vec<Value> = record
            .iter()
            .zip(&names)
            .zip(&kinds)
            .skip(skip)
            .map(|((cell, name), field)| cell_value(cell, name, *field, line))
            .collect::<Result<_>>()?;
        data.push(Value::Array(row));
    }
    Ok(json!({"dataframe_split": {"columns": &names[skip..], "data": data}}))
}

/// One cell as the JSON value a `dataframe_split` row would carry.
fn cell_value(cell: &[u8], name: &str, field: Option<&InputField>, line: u64) -> Result<Value> {
    let text =
        std::str::from_utf8(cell).map_err(|_| bad(line, name, "the cell is not UTF-8 text"))?;
    if text.is_empty() {
        return Ok(Value::Null);
    }
    // Unknown columns go through as text: the schema check names them.
    let Some(f) = field.filter(|f| f.kind == InputKind::Number) else {
        return Ok(Value::from(text));
    };
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if NA.contains(&lower.as_str()) {
        return Ok(Value::Null);
    }
    if f.logical_type == "bool" && (lower == "true" || lower == "false") {
        return Ok(Value::Bool(lower == "true"));
    }
    let x: f64 = t.parse().map_err(|_| {
        bad(
            line,
            name,
            format!(
                "'{}' is not a number",
                text.chars().take(40).collect::<String>()
            ),
        )
    })?;
    serde_json::Number::from_f64(x)
        .filter(|_| x.is_finite())
        .map(Value::Number)
        .ok_or_else(|| {
            bad(
                line,
                name,
                format!("'{t}' is not allowed; send a finite number, or an empty cell if the column allows missing values"),
            )
        })
}

/// A malformed table: which line, and why.
fn syntax(e: &csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("line {line}: {len} cells, but the header row has {expected_len} columns"),
        _ => format!("line {line}: malformed CSV: {e}"),
    };
    Error::input(message).line(line).field("body")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<InputField> {
        let f = |name: &str, kind, logical: &str| InputField {
            name: name.into(),
            kind,
            logical_type: logical.into(),
            nullable: true,
            missing_in_training: false,
            categories: None,
            min: None,
            max: None,
        };
        vec![
            f("temp", InputKind::Number, "float"),
            f("type", InputKind::Category, "string"),
            f("ok", InputKind::Number, "bool"),
        ]
    }

    #[test]
    fn cells_become_numbers_text_or_missing() {
        let body = b"\xef\xbb\xbf,temp,type,ok\n0,300.5,L,True\n1, 7 ,\"M, big\",false\n2,NaN,,\n";
        let v = to_split(body, &fields()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            v,
            json!({"dataframe_split": {"columns": ["temp", "type", "ok"], "data": [
                [300.5, "L", true], [7.0, "M, big", false], [null, null, null]
            ]}})
        );
    }

    #[test]
    fn errors_name_the_line_and_the_column() {
        let e = to_split(b"temp,type\n1,L\n\"2\",M\nhot,L\n", &fields()).err();
        let e = e.map(|e| (e.location.line, e.message.clone()));
        assert_eq!(
            e,
            Some((
                Some(4),
                "line 4, column 'temp': 'hot' is not a number".into()
            ))
        );
        let e = to_split(b"temp,type\n1,L\n2\n", &fields()).err();
        assert_eq!(e.and_then(|e| e.location.line), Some(3));
        let e = to_split(b"temp\ninf\n", &fields()).err();
        assert!(e.is_some_and(|e| e.message.contains("finite")));
    }
}
