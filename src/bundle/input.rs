//! Requests to rows: the Open Inference Protocol v2 and MLflow's scoring
//! formats, checked against the bundle's input schema and turned into the
//! model's [`RawTable`]. Every refusal names the field (the column, the
//! tensor or the key) and says what was expected — the server answers it as
//! a 400.
//!
//! - OIP v2 (`/v2/models/{name}/infer`): `inputs` with one tensor per column
//!   (shape `[N]` or `[N, 1]`; `BYTES` for categories), or one `FP64` tensor
//!   of shape `[N, F]` with the columns in schema order (numbers only).
//! - MLflow (`/invocations`): exactly one of `dataframe_split` (`columns`,
//!   `data`), `dataframe_records` (a list of row objects), `instances` (row
//!   objects or rows in schema order) or `inputs` (column lists, or rows).

use serde_json::Value;

use crate::bundle::manifest::{InputField, InputKind};
use crate::error::{Error, Result};
use crate::train::features::{RawColumn, RawFeature, RawTable, Unseen};
use crate::train::matrix::MISSING_CODE;

/// A request refused: what is wrong, and which field.
fn bad(field: &str, message: impl Into<String>) -> Error {
    Error::input(message).field(field.to_owned())
}

/// The checked rows, and what the metrics count about them.
#[derive(Debug)]
pub struct Rows {
    pub raw: RawTable,
    /// Per input column: values outside the training range.
    pub outside_range: Vec<u64>,
    /// Per input column: categories training never saw (accepted by the model's policy).
    pub unseen: Vec<u64>,
}

/// Builds columns cell by cell, checking each against its field.
struct Builder<'a> {
    fields: &'a [InputField],
    unseen_policy: &'a [Unseen],
    columns: Vec<RawColumn>,
    outside: Vec<u64>,
    unseen: Vec<u64>,
    rows: usize,
}

impl<'a> Builder<'a> {
    fn new(fields: &'a [InputField], unseen_policy: &'a [Unseen], rows: usize) -> Self {
        let columns = fields
            .iter()
            .map(|f| match f.kind {
                InputKind::Number => RawColumn::Numeric(Vec::with_capacity(rows)),
                InputKind::Category => RawColumn::Category {
                    codes: Vec::with_capacity(rows),
                    values: Vec::new(),
                },
            })
            .collect();
        Self {
            fields,
            unseen_policy,
            columns,
            outside: vec![0; fields.len()],
            unseen: vec![0; fields.len()],
            rows,
        }
    }

    fn push(&mut self, col: usize, v: &Value) -> Result<()> {
        let f = &self.fields[col];
        let name = f.name.as_str();
        if v.is_null() {
            if !f.nullable {
                return Err(bad(
                    name,
                    format!("column '{name}': null is not allowed here"),
                ));
            }
            match &mut self.columns[col] {
                RawColumn::Numeric(x) => x.push(f64::NAN),
                RawColumn::Category { codes, .. } => codes.push(MISSING_CODE),
            }
            return Ok(());
        }
        match &mut self.columns[col] {
            RawColumn::Numeric(x) => {
                let n = match v {
                    Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                    Value::Bool(b) if f.logical_type == "bool" => f64::from(u8::from(*b)),
                    Value::String(s)
                        if matches!(
                            s.to_ascii_lowercase().as_str(),
                            "nan" | "inf" | "-inf" | "infinity" | "-infinity"
                        ) =>
                    {
                        return Err(bad(
                            name,
                            format!(
                                "column '{name}': {s} is not allowed; send a finite number, or null if the column allows it"
                            ),
                        ));
                    }
                    other => {
                        return Err(bad(
                            name,
                            format!("column '{name}' wants a number, not {}", describe(other)),
                        ));
                    }
                };
                if !n.is_finite() {
                    return Err(bad(
                        name,
                        format!("column '{name}': the number is not finite"),
                    ));
                }
                if f.min.is_some_and(|m| n < m) || f.max.is_some_and(|m| n > m) {
                    self.outside[col] += 1;
                }
                x.push(n);
            }
            RawColumn::Category { codes, values } => {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => i.to_string(),
                        None => n.to_string(),
                    },
                    other => {
                        return Err(bad(
                            name,
                            format!(
                                "column '{name}' wants a category (text), not {}",
                                describe(other)
                            ),
                        ));
                    }
                };
                let known = f.categories.as_ref().is_none_or(|c| c.contains(&s));
                if !known {
                    if self.unseen_policy.get(col) == Some(&Unseen::Error) {
                        return Err(bad(
                            name,
                            format!("column '{name}': '{s}' is a category training never saw"),
                        ));
                    }
                    self.unseen[col] += 1;
                }
                let code = match values.iter().position(|x| *x == s) {
                    Some(i) => i,
                    None => {
                        values.push(s);
                        values.len() - 1
                    }
                };
                codes.push(code as u32);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Rows> {
        if self.rows == 0 {
            return Err(bad("inputs", "the batch is empty: send at least one row"));
        }
        let features = self
            .fields
            .iter()
            .zip(self.columns)
            .map(|(f, column)| RawFeature {
                name: f.name.clone(),
                column,
            })
            .collect();
        Ok(Rows {
            raw: RawTable {
                rows: self.rows,
                features,
            },
            outside_range: self.outside,
            unseen: self.unseen,
        })
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text '{}'", s.chars().take(40).collect::<String>()),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Where each schema column is in `names`; unknown and missing names refused.
fn positions(fields: &[InputField], names: &[&str], what: &str) -> Result<Vec<usize>> {
    for n in names {
        if !fields.iter().any(|f| f.name == *n) {
            return Err(bad(
                n,
                format!(
                    "unknown {what} '{n}': the model's inputs are {}",
                    field_list(fields)
                ),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for n in names {
        if !seen.insert(*n) {
            return Err(bad(n, format!("{what} '{n}' is given twice")));
        }
    }
    fields
        .iter()
        .map(|f| {
            names.iter().position(|n| *n == f.name).ok_or_else(|| {
                bad(
                    &f.name,
                    format!("missing {what} '{}': the model needs it", f.name),
                )
            })
        })
        .collect()
}

fn field_list(fields: &[InputField]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    if names.len() > 12 {
        format!("{}, … ({} in all)", names[..12].join(", "), names.len())
    } else {
        names.join(", ")
    }
}

/// Rows given as lists in schema order.
fn from_row_lists(
    fields: &[InputField],
    unseen: &[Unseen],
    rows: &[Value],
    key: &str,
) -> Result<Rows> {
    let mut b = Builder::new(fields, unseen, rows.len());
    for (i, row) in rows.iter().enumerate() {
        let cells = row
            .as_array()
            .ok_or_else(|| bad(key, format!("{key}[{i}] is not a list of values")))?;
        if cells.len() != fields.len() {
            return Err(bad(
                key,
                format!(
                    "{key}[{i}] has {} values; the model has {} inputs ({})",
                    cells.len(),
                    fields.len(),
                    field_list(fields)
                ),
            ));
        }
        for (c, v) in cells.iter().enumerate() {
            b.push(c, v)?;
        }
    }
    b.finish()
}

/// Rows given as objects keyed by column.
fn from_records(
    fields: &[InputField],
    unseen: &[Unseen],
    rows: &[Value],
    key: &str,
) -> Result<Rows> {
    let mut b = Builder::new(fields, unseen, rows.len());
    for (i, row) in rows.iter().enumerate() {
        let obj = row
            .as_object()
            .ok_or_else(|| bad(key, format!("{key}[{i}] is not an object of column: value")))?;
        let names: Vec<&str> = obj.keys().map(String::as_str).collect();
        positions(fields, &names, "column")?;
        for (c, f) in fields.iter().enumerate() {
            b.push(c, obj.get(&f.name).unwrap_or(&Value::Null))?;
        }
    }
    b.finish()
}

/// KServe's V1 request (`/v1/models/{name}:predict`, `:explain`):
/// `{"instances": [...]}`, each instance an object (column → value) or a
/// list in the schema's order.
pub fn v1(body: &Value, fields: &[InputField], unseen: &[Unseen]) -> Result<Rows> {
    let obj = body.as_object().ok_or_else(|| {
        bad(
            "body",
            "the body must be a JSON object {\"instances\": [...]}",
        )
    })?;
    if let Some(other) = obj.keys().find(|k| *k != "instances") {
        return Err(bad(
            other,
            format!("unknown key '{other}': a V1 request has only 'instances'"),
        ));
    }
    let rows = obj
        .get("instances")
        .ok_or_else(|| bad("instances", "the body needs 'instances', a list of rows"))?
        .as_array()
        .ok_or_else(|| bad("instances", "instances must be a list of rows"))?;
    if rows.first().is_some_and(Value::is_array) {
        from_row_lists(fields, unseen, rows, "instances")
    } else {
        from_records(fields, unseen, rows, "instances")
    }
}

/// MLflow's scoring request (`/invocations`).
pub fn mlflow(body: &Value, fields: &[InputField], unseen: &[Unseen]) -> Result<Rows> {
    const KEYS: [&str; 4] = [
        "dataframe_split",
        "dataframe_records",
        "instances",
        "inputs",
    ];
    let obj = body
        .as_object()
        .ok_or_else(|| bad("body", "the body must be a JSON object with one of dataframe_split, dataframe_records, instances or inputs"))?;
    let given: Vec<&str> = KEYS
        .iter()
        .copied()
        .filter(|k| obj.contains_key(*k))
        .collect();
    let key = match given.as_slice() {
        [k] => *k,
        [] => {
            return Err(bad(
                "body",
                "give exactly one of dataframe_split, dataframe_records, instances, inputs",
            ));
        }
        more => {
            return Err(bad(
                "body",
                format!(
                    "give exactly one of dataframe_split, dataframe_records, instances, inputs, not {}",
                    more.join(" and ")
                ),
            ));
        }
    };
    if let Some(other) = obj
        .keys()
        .find(|k| !KEYS.contains(&k.as_str()) && *k != "params")
    {
        return Err(bad(other, format!("unknown key '{other}'")));
    }
    let v = &obj[key];
    match key {
        "dataframe_split" => {
            let columns: Vec<&str> = v
                .get("columns")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    bad(
                        "dataframe_split.columns",
                        "dataframe_split needs 'columns', a list of names",
                    )
                })?
                .iter()
                .map(|c| {
                    c.as_str()
                        .ok_or_else(|| bad("dataframe_split.columns", "column names must be text"))
                })
                .collect::<Result<_>>()?;
            let data = v.get("data").and_then(Value::as_array).ok_or_else(|| {
                bad(
                    "dataframe_split.data",
                    "dataframe_split needs 'data', a list of rows",
                )
            })?;
            let pos = positions(fields, &columns, "column")?;
            let mut b = Builder::new(fields, unseen, data.len());
            for (i, row) in data.iter().enumerate() {
                let cells = row
                    .as_array()
                    .filter(|r| r.len() == columns.len())
                    .ok_or_else(|| {
                        bad(
                            "dataframe_split.data",
                            format!("row {i} must be a list of {} values", columns.len()),
                        )
                    })?;
                for (c, &p) in pos.iter().enumerate() {
                    b.push(c, &cells[p])?;
                }
            }
            b.finish()
        }
        "dataframe_records" | "instances" => {
            let rows = v
                .as_array()
                .ok_or_else(|| bad(key, format!("{key} must be a list of rows")))?;
            if rows.first().is_some_and(Value::is_array) {
                from_row_lists(fields, unseen, rows, key)
            } else {
                from_records(fields, unseen, rows, key)
            }
        }
        _ => match v {
            Value::Object(cols) => {
                let names: Vec<&str> = cols.keys().map(String::as_str).collect();
                positions(fields, &names, "column")?;
                let lists: Vec<&Vec<Value>> = fields
                    .iter()
                    .map(|f| {
                        cols[&f.name].as_array().ok_or_else(|| {
                            bad(
                                &f.name,
                                format!("inputs.{}: a list of values, one per row", f.name),
                            )
                        })
                    })
                    .collect::<Result<_>>()?;
                let n = lists.first().map_or(0, |l| l.len());
                if let Some((f, l)) = fields.iter().zip(&lists).find(|(_, l)| l.len() != n) {
                    return Err(bad(
                        &f.name,
                        format!(
                            "inputs.{} has {} values, the first column {n}",
                            f.name,
                            l.len()
                        ),
                    ));
                }
                let mut b = Builder::new(fields, unseen, n);
                for r in 0..n {
                    for (c, l) in lists.iter().enumerate() {
                        b.push(c, &l[r])?;
                    }
                }
                b.finish()
            }
            Value::Array(rows) => from_row_lists(fields, unseen, rows, "inputs"),
            _ => Err(bad(
                "inputs",
                "inputs must be an object of column lists, or a list of rows",
            )),
        },
    }
}

/// A tensor's shape and data, checked against its datatype.
struct Tensor<'a> {
    name: &'a str,
    shape: Vec<usize>,
    datatype: &'a str,
    data: Vec<&'a Value>,
}

fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        other => out.push(other),
    }
}

fn tensor(v: &Value, i: usize) -> Result<Tensor<'_>> {
    let field = format!("inputs[{i}]");
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&field, format!("{field} needs a 'name'")))?;
    let shape: Vec<usize> = v
        .get("shape")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(name, format!("tensor '{name}' needs a 'shape', e.g. [1]")))?
        .iter()
        .map(|d| {
            d.as_u64().map(|d| d as usize).ok_or_else(|| {
                bad(
                    name,
                    format!("tensor '{name}': shape entries are whole numbers ≥ 0"),
                )
            })
        })
        .collect::<Result<_>>()?;
    let datatype = v.get("datatype").and_then(Value::as_str).ok_or_else(|| {
        bad(
            name,
            format!("tensor '{name}' needs a 'datatype' (FP64, INT64, BYTES, BOOL, …)"),
        )
    })?;
    let raw = v
        .get("data")
        .ok_or_else(|| bad(name, format!("tensor '{name}' needs 'data'")))?;
    let mut data = Vec::new();
    flatten(raw, &mut data);
    let want: usize = shape.iter().product();
    if shape.is_empty() || want != data.len() {
        return Err(bad(
            name,
            format!(
                "tensor '{name}': shape {shape:?} holds {want} values, data has {}",
                data.len()
            ),
        ));
    }
    let ok = |x: &&Value| match datatype {
        "BOOL" => x.is_boolean() || x.is_null(),
        "BYTES" => x.is_string() || x.is_null(),
        "FP16" | "FP32" | "FP64" => x.is_number() || x.is_null(),
        "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64" => {
            x.as_i64().is_some() || x.as_u64().is_some() || x.is_null()
        }
        _ => false,
    };
    if ![
        "BOOL", "BYTES", "FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8",
        "UINT16", "UINT32", "UINT64",
    ]
    .contains(&datatype)
    {
        return Err(bad(
            name,
            format!("tensor '{name}': unknown datatype '{datatype}'"),
        ));
    }
    if let Some(x) = data.iter().find(|x| !ok(x)) {
        return Err(bad(
            name,
            format!("tensor '{name}' is {datatype} but holds {}", describe(x)),
        ));
    }
    Ok(Tensor {
        name,
        shape,
        datatype,
        data,
    })
}

/// An OIP v2 inference request: the rows, and the request id to echo.
pub fn oip(
    body: &Value,
    fields: &[InputField],
    unseen: &[Unseen],
) -> Result<(Rows, Option<String>)> {
    let obj = body
        .as_object()
        .ok_or_else(|| bad("body", "the body must be a JSON object with 'inputs'"))?;
    let id = obj.get("id").and_then(Value::as_str).map(str::to_owned);
    let inputs = obj
        .get("inputs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("inputs", "'inputs' must be a list of tensors"))?;
    let tensors: Vec<Tensor> = inputs
        .iter()
        .enumerate()
        .map(|(i, v)| tensor(v, i))
        .collect::<Result<_>>()?;
    // One [N, F] FP64 tensor in schema order.
    if let [t] = tensors.as_slice()
        && t.shape.len() == 2
        && fields.len() > 1
        && !fields.iter().any(|f| f.name == t.name)
    {
        if t.shape[1] != fields.len() {
            return Err(bad(
                t.name,
                format!(
                    "tensor '{}' has {} columns; the model has {} inputs ({})",
                    t.name,
                    t.shape[1],
                    fields.len(),
                    field_list(fields)
                ),
            ));
        }
        if !t.datatype.starts_with("FP") && !t.datatype.starts_with("INT") {
            return Err(bad(
                t.name,
                format!("a [N, F] tensor must be FP64, not {}", t.datatype),
            ));
        }
        if let Some(f) = fields.iter().find(|f| f.kind == InputKind::Category) {
            return Err(bad(
                t.name,
                format!(
                    "the model has category inputs ('{}', …): send one tensor per column",
                    f.name
                ),
            ));
        }
        let (n, k) = (t.shape[0], t.shape[1]);
        let mut b = Builder::new(fields, unseen, n);
        for r in 0..n {
            for c in 0..k {
                b.push(c, t.data[r * k + c])?;
            }
        }
        return Ok((b.finish()?, id));
    }
    let names: Vec<&str> = tensors.iter().map(|t| t.name).collect();
    let pos = positions(fields, &names, "input tensor")?;
    let n = tensors.first().map_or(0, |t| t.shape[0]);
    for t in &tensors {
        if t.shape[0] != n || t.data.len() != n {
            return Err(bad(
                t.name,
                format!(
                    "tensor '{}' has shape {:?}; every column tensor must be [{n}] or [{n}, 1]",
                    t.name, t.shape
                ),
            ));
        }
    }
    let mut b = Builder::new(fields, unseen, n);
    for r in 0..n {
        for (c, &p) in pos.iter().enumerate() {
            b.push(c, tensors[p].data[r])?;
        }
    }
    Ok((b.finish()?, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<InputField> {
        vec![
            InputField {
                name: "temp".into(),
                kind: InputKind::Number,
                logical_type: "float".into(),
                nullable: false,
                missing_in_training: false,
                categories: None,
                min: Some(290.0),
                max: Some(310.0),
            },
            InputField {
                name: "type".into(),
                kind: InputKind::Category,
                logical_type: "string".into(),
                nullable: true,
                missing_in_training: true,
                categories: Some(vec!["L".into(), "M".into()]),
                min: None,
                max: None,
            },
        ]
    }

    const POLICY: [Unseen; 2] = [Unseen::Ignore, Unseen::Error];

    #[test]
    fn every_mlflow_format_gives_the_same_rows() {
        let f = fields();
        let bodies = [
            json!({"dataframe_split": {"columns": ["type", "temp"], "data": [["L", 300.5], [null, 320.0]]}}),
            json!({"dataframe_records": [{"temp": 300.5, "type": "L"}, {"temp": 320.0, "type": null}]}),
            json!({"instances": [[300.5, "L"], [320.0, null]]}),
            json!({"inputs": {"temp": [300.5, 320.0], "type": ["L", null]}}),
        ];
        for b in &bodies {
            let rows = mlflow(b, &f, &POLICY).unwrap_or_else(|e| panic!("{b}: {e}"));
            assert_eq!(rows.raw.rows, 2);
            assert_eq!(rows.outside_range, vec![1, 0], "{b}");
            match &rows.raw.features[0].column {
                RawColumn::Numeric(v) => assert_eq!(v, &vec![300.5, 320.0]),
                RawColumn::Category { .. } => panic!("temp is a number"),
            }
            match &rows.raw.features[1].column {
                RawColumn::Category { codes, values } => {
                    assert_eq!(values[codes[0] as usize], "L");
                    assert_eq!(codes[1], MISSING_CODE);
                }
                RawColumn::Numeric(_) => panic!("type is a category"),
            }
        }
    }

    #[test]
    fn bad_requests_name_the_field() {
        let f = fields();
        let cases = [
            (
                json!({"dataframe_records": [{"temp": 300}], "instances": []}),
                "body",
            ),
            (
                json!({"dataframe_records": [{"temp": 300, "type": "L", "x": 1}]}),
                "x",
            ),
            (json!({"dataframe_records": [{"type": "L"}]}), "temp"),
            (
                json!({"dataframe_records": [{"temp": "hot", "type": "L"}]}),
                "temp",
            ),
            (
                json!({"dataframe_records": [{"temp": "NaN", "type": "L"}]}),
                "temp",
            ),
            (
                json!({"dataframe_records": [{"temp": null, "type": "L"}]}),
                "temp",
            ),
            (
                json!({"dataframe_records": [{"temp": 300, "type": "XL"}]}),
                "type",
            ),
            (json!({"dataframe_records": []}), "inputs"),
        ];
        for (body, field) in cases {
            let e = mlflow(&body, &f, &POLICY)
                .err()
                .unwrap_or_else(|| panic!("{body} passed"));
            assert_eq!(e.location.field.as_deref(), Some(field), "{body}: {e}");
        }
    }

    #[test]
    fn oip_tensors_are_checked_against_shape_and_datatype() {
        let f = fields();
        let ok = json!({"id": "r1", "inputs": [
            {"name": "temp", "shape": [2], "datatype": "FP64", "data": [300.0, 301.0]},
            {"name": "type", "shape": [2, 1], "datatype": "BYTES", "data": [["L"], ["M"]]}
        ]});
        let (rows, id) = oip(&ok, &f, &POLICY).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rows.raw.rows, id.as_deref()), (2, Some("r1")));
        let wrong_shape = json!({"inputs": [
            {"name": "temp", "shape": [3], "datatype": "FP64", "data": [300.0, 301.0]},
            {"name": "type", "shape": [2], "datatype": "BYTES", "data": ["L", "M"]}
        ]});
        assert!(oip(&wrong_shape, &f, &POLICY).is_err());
        let wrong_type = json!({"inputs": [
            {"name": "temp", "shape": [1], "datatype": "BYTES", "data": [300.0]},
            {"name": "type", "shape": [1], "datatype": "BYTES", "data": ["L"]}
        ]});
        let e = oip(&wrong_type, &f, &POLICY)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("BYTES"), "{e}");
        let matrix = json!({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [300.0, 1.0]}]});
        let e = oip(&matrix, &f, &POLICY)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("one tensor per column"), "{e}");
    }
}
