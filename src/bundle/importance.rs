//! The bundle's global importance: mean |SHAP| per input column over a
//! seeded sample of the rows the export scores (the hold-out rows, else the
//! training rows), recorded in `bundle.json` so an auditor reads what drives
//! the model without running it, and the signature covers it. Polars-free,
//! like the explanation core it calls.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::train::explain::{self, Method, Options, RawOutput};
use crate::train::features::RawTable;
use crate::train::hist::rng_for;
use crate::train::model::FittedModel;

/// Rows the importance is computed on, at most (exact methods).
pub const IMPORTANCE_ROWS: usize = 1000;
/// Rows, and column orders per row, of a sampling estimate's importance: a
/// mean over rows needs many rows more than precise ones, and the estimate
/// costs orders × columns × background predictions a row (k-NN, SVM), so an
/// export stays seconds, not minutes.
pub const SAMPLING_ROWS: usize = 64;
pub const SAMPLING_PERMUTATIONS: usize = 8;

/// One input column's mean |SHAP|.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnImportance {
    pub column: String,
    /// Mean over the rows of |the column's SHAP value| at each row's shown output.
    pub mean_abs: f64,
}

/// `bundle.json`'s `importance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    /// `tree_exact`, `linear` or `sampling`.
    pub method: Method,
    /// The explained raw output: `log_odds`, `logits`, `probability` or `value`.
    pub output: RawOutput,
    /// One name per output (a class, or the target).
    pub outputs: Vec<String>,
    /// The expected raw output (the base value), one per output.
    pub base: Vec<f64>,
    /// Every input column, largest mean |SHAP| first (ties by name).
    pub columns: Vec<ColumnImportance>,
    /// Rows explained.
    pub rows: usize,
    /// `holdout` or `training`.
    pub rows_from: String,
    /// Seed of the row sample (and of the sampling estimate).
    pub seed: u64,
    /// The largest |base + Σ values − output| over the rows (≤ 1e-9 when exact).
    pub additivity_error: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Importance {
    /// Whether every number is finite (JSON has no NaN: it would not read back).
    pub fn is_finite(&self) -> bool {
        self.base.iter().all(|b| b.is_finite())
            && self.columns.iter().all(|c| c.mean_abs.is_finite())
            && self.additivity_error.is_finite()
    }
}

/// The importance on a seeded sample of at most [`IMPORTANCE_ROWS`] of `rows`
/// ([`SAMPLING_ROWS`] when the model has no exact method: one row tells).
pub fn compute(
    model: &FittedModel,
    raw: &RawTable,
    rows: &[usize],
    rows_from: &str,
    seed: u64,
) -> Result<Importance> {
    use rand::seq::SliceRandom;
    let mut pick = rows.to_vec();
    pick.shuffle(&mut rng_for(seed, 0x1A4B));
    let opts = Options {
        seed,
        permutations: SAMPLING_PERMUTATIONS,
    };
    let exact = match pick.first() {
        Some(&first) => explain::explain(model, raw, &[first], &opts)?
            .method
            .is_exact(),
        None => true,
    };
    pick.truncate(if exact {
        IMPORTANCE_ROWS
    } else {
        SAMPLING_ROWS
    });
    pick.sort_unstable();
    let e = explain::explain(model, raw, &pick, &opts)?;
    let mut notes = e.notes.clone();
    if !exact {
        notes.push(format!(
            "the importance of an estimate is taken over {} rows, {SAMPLING_PERMUTATIONS} column orders each",
            e.rows
        ));
    }
    let mut columns: Vec<ColumnImportance> = e
        .columns
        .iter()
        .zip(e.mean_abs())
        .map(|(c, m)| ColumnImportance {
            column: c.clone(),
            mean_abs: m,
        })
        .collect();
    columns.sort_by(|a, b| {
        b.mean_abs
            .total_cmp(&a.mean_abs)
            .then_with(|| a.column.cmp(&b.column))
    });
    Ok(Importance {
        method: e.method,
        output: e.output,
        outputs: e.outputs.clone(),
        base: e.base.clone(),
        columns,
        rows: e.rows,
        rows_from: rows_from.to_owned(),
        seed,
        additivity_error: e.additivity_error(),
        notes,
    })
}
