//! What the drift means to a model: the change of mean |SHAP| per input
//! column between the reference and the current data. A column can drift a
//! lot and not matter (the model ignores it), or drift a little where the
//! model leans on it; mean |SHAP| is the column's share of the model's
//! output, so its change says which drifted columns matter.
//!
//! Both sides are explained on at most [`GLOBAL_ROWS`] seeded rows with
//! [`crate::train::explain::explain`] (exact for trees and linear models, the
//! sampling estimate otherwise, with its notes). Against a bundle, the
//! reference rows are the training sample the bundle carries.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::train::explain::{
    GLOBAL_ROWS, Method, Options, RawOutput, explain, fit_schema, sample_rows,
};
use crate::train::features::{RawColumn, RawFeature, RawTable};
use crate::train::matrix::MISSING_CODE;
use crate::train::model::FittedModel;

/// Seed of the rows explained on each side.
pub const SEED: u64 = 0x5A9;
/// Rows per side for models only the sampling estimate explains (k-NN,
/// naive Bayes, SVM, older models): each row costs hundreds of predictions.
pub const SAMPLING_ROWS: usize = 200;

/// One column's mean |SHAP| on each side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapChange {
    pub reference: f64,
    pub current: f64,
    /// `current − reference`, in the model's raw output.
    pub change: f64,
}

/// Mean |SHAP| per column, reference against current.
#[derive(Debug, Clone, Serialize)]
pub struct ShapDrift {
    pub method: Method,
    /// What the values are in: `log_odds`, `probability`, `value`, …
    pub output: RawOutput,
    pub reference_rows: usize,
    pub current_rows: usize,
    /// One field per input column of the model.
    pub columns: BTreeMap<String, ShapChange>,
    pub notes: Vec<String>,
}

impl ShapDrift {
    /// Columns, largest |change| first.
    pub fn ranked(&self) -> Vec<(&str, &ShapChange)> {
        let mut v: Vec<(&str, &ShapChange)> =
            self.columns.iter().map(|(k, c)| (k.as_str(), c)).collect();
        v.sort_by(|a, b| b.1.change.abs().total_cmp(&a.1.change.abs()));
        v
    }

    /// The lines `lathe drift` prints.
    pub fn text(&self) -> String {
        let mut out = format!(
            "\nmean |SHAP| per column ({}, in {}; {} reference and {} current rows), largest change first:\n",
            self.method.label(),
            self.output.label(),
            self.reference_rows,
            self.current_rows
        );
        out.push_str(&format!(
            "  {:<24} {:>10} {:>10} {:>10}\n",
            "column", "reference", "current", "change"
        ));
        for (name, c) in self.ranked() {
            out.push_str(&format!(
                "  {:<24} {:>10.4} {:>10.4} {:>+10.4}\n",
                name, c.reference, c.current, c.change
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }
}

/// The model's inputs of `frame` (missing columns are an error naming them).
pub fn raw_of_frame(model: &FittedModel, frame: &DataFrame) -> Result<RawTable> {
    let features: Vec<(String, bool)> = model
        .inputs()
        .iter()
        .map(|i| (i.name.to_owned(), i.categories.is_some()))
        .collect();
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let missing: Vec<&str> = features
        .iter()
        .filter(|(n, _)| !names.contains(n))
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "the data lacks the model's inputs {}",
            missing.join(", ")
        )));
    }
    RawTable::from_frame(frame, &features)
}

/// The model's inputs of JSON rows (a bundle's training sample).
pub fn raw_of_rows(model: &FittedModel, rows: &[Map<String, Value>]) -> RawTable {
    let features = model
        .inputs()
        .iter()
        .map(|input| {
            let cell = |r: &Map<String, Value>| r.get(input.name).cloned().unwrap_or(Value::Null);
            let column = if input.categories.is_some() {
                let mut values: Vec<String> = Vec::new();
                let codes = rows
                    .iter()
                    .map(|r| {
                        let text = match cell(r) {
                            Value::Null => return MISSING_CODE,
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        match values.iter().position(|v| *v == text) {
                            Some(c) => c as u32,
                            None => {
                                values.push(text);
                                (values.len() - 1) as u32
                            }
                        }
                    })
                    .collect();
                RawColumn::Category { codes, values }
            } else {
                RawColumn::Numeric(
                    rows.iter()
                        .map(|r| match cell(r) {
                            Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                            Value::Bool(b) => f64::from(u8::from(b)),
                            Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
                            _ => f64::NAN,
                        })
                        .map(|x| if x.is_finite() { x } else { f64::NAN })
                        .collect(),
                )
            };
            RawFeature {
                name: input.name.to_owned(),
                column,
            }
        })
        .collect();
    RawTable {
        rows: rows.len(),
        features,
    }
}

/// Mean |SHAP| per column of `reference` and of `current` (each on at most
/// [`GLOBAL_ROWS`] seeded rows), and the change.
pub fn compare(
    model: &FittedModel,
    reference: &RawTable,
    current: &RawTable,
    cancel: &CancelToken,
) -> Result<ShapDrift> {
    let opts = Options {
        seed: SEED,
        ..Options::default()
    };
    let mut cap = GLOBAL_ROWS;
    let mut side = |raw: &RawTable, what: &str| -> Result<_> {
        let raw = fit_schema(model, raw)?;
        if raw.rows == 0 {
            return Err(Error::input(format!(
                "the {what} data has no rows to explain"
            )));
        }
        if cap == GLOBAL_ROWS && explain(model, &raw, &[0], &opts)?.method == Method::Sampling {
            cap = SAMPLING_ROWS;
        }
        let rows = sample_rows(raw.rows, cap, SEED);
        let e = explain(model, &raw, &rows, &opts)?;
        cancel.check()?;
        Ok(e)
    };
    let r = side(reference, "reference")?;
    let c = side(current, "current")?;
    let (rm, cm) = (r.mean_abs(), c.mean_abs());
    let columns = r
        .columns
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let (a, b) = (rm[j], cm.get(j).copied().unwrap_or(f64::NAN));
            (
                name.clone(),
                ShapChange {
                    reference: a,
                    current: b,
                    change: b - a,
                },
            )
        })
        .collect();
    let mut notes = r.notes.clone();
    if cap < GLOBAL_ROWS {
        notes.push(format!(
            "{SAMPLING_ROWS} rows per side: the model has no exact method, and the estimate costs many predictions per row"
        ));
    }
    for n in &c.notes {
        if !notes.contains(n) {
            notes.push(n.clone());
        }
    }
    Ok(ShapDrift {
        method: r.method,
        output: r.output,
        reference_rows: r.rows,
        current_rows: c.rows,
        columns,
        notes,
    })
}
