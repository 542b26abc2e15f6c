//! Explanations over HTTP: SHAP values of the scored rows
//! ([`crate::train::explain`]), as KServe's V1 `:explain` answers them and
//! as the v2 `explanation` output carries them, within a row cap (413) and
//! a time budget (503). Rows are explained in chunks — one row first, then
//! chunks that double while each takes under a twentieth of the budget — and
//! the clock is read between them, so a slow model (the sampling estimate)
//! is stopped near the budget instead of holding a blocking thread for as
//! long as it takes, and a fast one is not slowed by the look at the clock;
//! the server keeps serving either way.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::ApiError;
use crate::bundle::input::Rows;
use crate::bundle::score::Answer;
use crate::train::Task;
use crate::train::explain::{self, Method, Options, RawOutput};
use crate::train::model::FittedModel;

/// The largest chunk of rows explained between two looks at the clock.
const MAX_CHUNK: usize = 64;

/// How much one request may ask.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Rows per request (`--explain-max-rows`).
    pub rows: usize,
    /// Time per request (`--explain-budget-ms`).
    pub budget: Duration,
}

/// The explanation of a request's rows: one JSON object per row.
#[derive(Debug, Clone)]
pub(super) struct Explained {
    pub method: Method,
    pub output: RawOutput,
    /// Per row: `base_value`, `values` (column → contribution), `output`,
    /// `output_kind`, `class` (classifiers), `prediction`, and for the
    /// sampling estimate `std_errors` (column → standard error).
    pub rows: Vec<Value>,
    pub notes: Vec<String>,
}

impl Explained {
    /// The top-level fields every answer carries.
    pub fn summary(&self) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("method".into(), Value::from(self.method.label()));
        o.insert("exact".into(), Value::from(self.method.is_exact()));
        o.insert("output_kind".into(), Value::from(self.output.label()));
        o.insert("notes".into(), json!(self.notes));
        o
    }
}

/// A request over the row cap: 413.
pub(super) fn check_rows(n: usize, limits: &Limits) -> Result<(), ApiError> {
    if n > limits.rows {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_rows",
            format!(
                "{n} rows to explain; this server explains at most {} per request \
                 (send fewer rows, or raise lathe serve --explain-max-rows)",
                limits.rows
            ),
        ));
    }
    Ok(())
}

fn column_map(columns: &[String], values: &[f64]) -> Value {
    Value::Object(
        columns
            .iter()
            .zip(values)
            .map(|(c, v)| (c.clone(), Value::from(*v)))
            .collect(),
    )
}

/// Explain every row of `rows` (scored as `answer`), or refuse: over the
/// row cap (413), over the time budget (503), an explanation that fails (500).
pub(super) fn explain_rows(
    model: &FittedModel,
    rows: &Rows,
    answer: &Answer,
    limits: &Limits,
) -> Result<Explained, ApiError> {
    let n = rows.raw.rows;
    check_rows(n, limits)?;
    let started = Instant::now();
    let all: Vec<usize> = (0..n).collect();
    let mut out = Vec::with_capacity(n);
    let mut kind: Option<(Method, RawOutput)> = None;
    let mut notes: Vec<String> = Vec::new();
    // A model without its training rows (before model format 4) takes its
    // expectation from the explained rows: those must come in one chunk.
    let mut size = if model.background.is_none() { n } else { 1 };
    let mut at = 0;
    while at < n {
        if at > 0 && started.elapsed() > limits.budget {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "over_time_budget",
                format!(
                    "explaining {n} rows took longer than the budget of {} ms ({} explained); \
                     send fewer rows, or raise lathe serve --explain-budget-ms",
                    limits.budget.as_millis(),
                    out.len()
                ),
            ));
        }
        let chunk = &all[at..(at + size).min(n)];
        at += chunk.len();
        let t = Instant::now();
        // A fixed seed: the same request gets the same sampling estimate.
        let e = explain::explain(model, &rows.raw, chunk, &Options::default())
            .map_err(|e| ApiError::of_model(&e, "the rows could not be explained: "))?;
        kind = Some((e.method, e.output));
        for note in &e.notes {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
        for (i, &r) in chunk.iter().enumerate() {
            let o = e.shown_output(i);
            let mut row = Map::new();
            row.insert(
                "base_value".into(),
                Value::from(e.base.get(o).copied().unwrap_or(f64::NAN)),
            );
            row.insert("values".into(), column_map(&e.columns, e.values_of(i, o)));
            row.insert("output".into(), Value::from(e.raw_of(i, o)));
            row.insert("output_kind".into(), Value::from(e.output.label()));
            if model.task == Task::Classification {
                row.insert(
                    "class".into(),
                    Value::from(e.outputs.get(o).cloned().unwrap_or_default()),
                );
            }
            if let Some(p) = answer.predictions.get(r) {
                row.insert("prediction".into(), p.clone());
            }
            if let Some(se) = e.errors_of(i, o) {
                row.insert("std_errors".into(), column_map(&e.columns, se));
            }
            out.push(Value::Object(row));
        }
        if t.elapsed() * 20 < limits.budget {
            size = (size * 2).min(MAX_CHUNK);
        }
    }
    let (method, output) = kind.ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "no rows to explain")
    })?;
    Ok(Explained {
        method,
        output,
        rows: out,
        notes,
    })
}
