//! A run's explanations, as the Experiments screen and drift read them: the
//! run's stored model and its training data made ready for
//! [`crate::train::explain::explain`] ([`RunData::load`]); the global view on
//! at most [`GLOBAL_ROWS`] seeded rows — mean |SHAP| per column and, for the
//! beeswarm, each sampled row's value and where its feature value sits
//! between the column's low and high ([`Global`]); and one row's waterfall
//! ([`Waterfall`]). The SHAP arithmetic is `crate::train::explain`'s; this
//! module only chooses rows and shapes the results for a reader.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::experiments::{RunRecord, Store};
use crate::jobs::CancelToken;
use crate::project::Project;
use crate::train::explain::{
    Explanation, GLOBAL_ROWS, Method, Options, RawOutput, explain, fit_schema, sample_rows,
};
use crate::train::features::{RawColumn, RawTable};
use crate::train::model::FittedModel;

/// A run's model with the rows it was trained on.
pub struct RunData {
    pub run: RunRecord,
    pub model: FittedModel,
    /// The run's data file, resolved in the project.
    pub data_path: PathBuf,
    /// The model's input columns of every row of that file.
    pub raw: RawTable,
}

impl RunData {
    /// Read run `run_id`'s record and model, and its data file as the run's
    /// spec prepared it. Errors name what is missing: no stored model, the
    /// data file gone, or a file whose columns no longer fit the model.
    pub fn load(project: &Project, store: &Store, run_id: &str) -> Result<Self> {
        let run = store.read_run(run_id)?;
        if !run.has_model {
            return Err(Error::usage(format!(
                "run {} has no stored model to explain (only the best configuration of each algorithm is refitted)",
                short(run_id)
            ))
            .hint("pick a run whose detail line says 'model stored'"));
        }
        let model = FittedModel::from_json(&store.read_model(run_id)?)?;
        let data_path = project.resolve(std::path::Path::new(&run.lineage.data));
        if !data_path.is_file() {
            return Err(Error::input(format!(
                "the data run {} was trained on is gone",
                short(run_id)
            ))
            .at(&data_path)
            .hint("put the file back where it was; the explanation needs its rows"));
        }
        let (_, prep) = crate::train::load_run_data(project, &run)?;
        let raw = fit_schema(&model, &prep.raw).map_err(|e| e.at(&data_path))?;
        Ok(Self {
            run,
            model,
            data_path,
            raw,
        })
    }

    /// Row `row` of the data explained (its waterfall).
    pub fn waterfall(&self, row: usize) -> Result<Waterfall> {
        if row >= self.raw.rows {
            return Err(Error::usage(format!(
                "row {} is not in the data: it has rows 1 to {}",
                row + 1,
                self.raw.rows
            )));
        }
        let e = explain(&self.model, &self.raw, &[row], &options(&self.run))?;
        Ok(Waterfall::of(&e, 0, row, &self.raw))
    }

    /// The global view on at most [`GLOBAL_ROWS`] seeded rows.
    pub fn global(&self, cancel: &CancelToken) -> Result<Global> {
        let rows = sample_rows(self.raw.rows, GLOBAL_ROWS, self.run.lineage.seed);
        cancel.check()?;
        let e = explain(&self.model, &self.raw, &rows, &options(&self.run))?;
        cancel.check()?;
        Ok(Global::of(&e, &rows, &self.raw))
    }
}

fn options(run: &RunRecord) -> Options {
    Options {
        seed: run.lineage.seed,
        ..Options::default()
    }
}

fn short(id: &str) -> &str {
    &id[..12.min(id.len())]
}

/// Where a row's feature value sits in its column, 0 (low) to 1 (high);
/// `None` when missing. Categories are placed by their code.
fn positions(raw: &RawTable, rows: &[usize]) -> Vec<Vec<Option<f64>>> {
    raw.features
        .iter()
        .map(|f| match &f.column {
            RawColumn::Numeric(v) => {
                let vals: Vec<f64> = rows
                    .iter()
                    .map(|&r| v.get(r).copied().unwrap_or(f64::NAN))
                    .collect();
                let (lo, hi) = vals
                    .iter()
                    .filter(|x| x.is_finite())
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                        (l.min(x), h.max(x))
                    });
                vals.iter()
                    .map(|&x| {
                        x.is_finite()
                            .then(|| if hi > lo { (x - lo) / (hi - lo) } else { 0.5 })
                    })
                    .collect()
            }
            RawColumn::Category { codes, values } => {
                let k = values.len().saturating_sub(1).max(1) as f64;
                rows.iter()
                    .map(|&r| {
                        codes
                            .get(r)
                            .filter(|&&c| (c as usize) < values.len())
                            .map(|&c| f64::from(c) / k)
                    })
                    .collect()
            }
        })
        .collect()
}

/// A feature's value as shown: the number, or the category.
pub fn value_text(raw: &RawTable, column: usize, row: usize) -> String {
    match raw.features.get(column).map(|f| &f.column) {
        Some(RawColumn::Numeric(v)) => match v.get(row) {
            Some(x) if x.is_finite() => format!("{}", (x * 1e4).round() / 1e4),
            _ => "missing".to_owned(),
        },
        Some(RawColumn::Category { codes, values }) => codes
            .get(row)
            .and_then(|&c| values.get(c as usize))
            .cloned()
            .unwrap_or_else(|| "missing".to_owned()),
        None => String::new(),
    }
}

/// The global view of a run: mean |SHAP| per column and the beeswarm's points.
#[derive(Debug, Clone)]
pub struct Global {
    pub method: Method,
    pub output: RawOutput,
    /// The output explained (a class, or the target).
    pub output_name: String,
    pub columns: Vec<String>,
    /// Data rows explained (a seeded sample).
    pub rows: Vec<usize>,
    /// Rows of the data in all.
    pub total_rows: usize,
    pub mean_abs: Vec<f64>,
    /// Per column, per explained row: its SHAP value (at the row's shown output).
    pub values: Vec<Vec<f64>>,
    /// Per column, per explained row: the feature value's place, 0 low – 1 high.
    pub position: Vec<Vec<Option<f64>>>,
    pub notes: Vec<String>,
}

impl Global {
    pub fn of(e: &Explanation, rows: &[usize], raw: &RawTable) -> Self {
        let c = e.columns.len();
        let mut values = vec![Vec::with_capacity(e.rows); c];
        for r in 0..e.rows {
            for (j, v) in e.values_of(r, e.shown_output(r)).iter().enumerate() {
                values[j].push(*v);
            }
        }
        let output_name = match (e.positive, e.outputs.len()) {
            (Some(p), _) => e.outputs.get(p).cloned().unwrap_or_default(),
            (None, 1) => e.outputs[0].clone(),
            (None, _) => "the predicted class".to_owned(),
        };
        Self {
            method: e.method,
            output: e.output,
            output_name,
            columns: e.columns.clone(),
            rows: rows.to_vec(),
            total_rows: raw.rows,
            mean_abs: e.mean_abs(),
            values,
            position: positions(raw, rows),
            notes: e.notes.clone(),
        }
    }

    /// Column indices, largest mean |SHAP| first.
    pub fn order(&self) -> Vec<usize> {
        let mut o: Vec<usize> = (0..self.columns.len()).collect();
        o.sort_by(|&a, &b| {
            self.mean_abs[b]
                .total_cmp(&self.mean_abs[a])
                .then(a.cmp(&b))
        });
        o
    }
}

/// One contribution of a waterfall.
#[derive(Debug, Clone)]
pub struct Step {
    pub column: String,
    /// The row's value of the column, as shown.
    pub value: String,
    pub shap: f64,
    /// The sampling estimate's standard error.
    pub std_error: Option<f64>,
}

/// One row's explanation: base, contributions largest |value| first, output.
#[derive(Debug, Clone)]
pub struct Waterfall {
    pub row: usize,
    pub method: Method,
    pub output: RawOutput,
    pub output_name: String,
    pub base: f64,
    pub steps: Vec<Step>,
    /// The model's raw output for the row.
    pub raw: f64,
    pub notes: Vec<String>,
}

impl Waterfall {
    /// Explained row `r` of `e` (data row `row` of `raw`).
    pub fn of(e: &Explanation, r: usize, row: usize, raw: &RawTable) -> Self {
        let o = e.shown_output(r);
        let errors = e.errors_of(r, o);
        let mut steps: Vec<Step> = e
            .values_of(r, o)
            .iter()
            .enumerate()
            .map(|(j, &v)| Step {
                column: e.columns[j].clone(),
                value: value_text(raw, j, row),
                shap: v,
                std_error: errors.and_then(|s| s.get(j).copied()),
            })
            .collect();
        steps.sort_by(|a, b| b.shap.abs().total_cmp(&a.shap.abs()));
        Self {
            row,
            method: e.method,
            output: e.output,
            output_name: e.outputs.get(o).cloned().unwrap_or_default(),
            base: e.base.get(o).copied().unwrap_or(0.0),
            steps,
            raw: e.raw_of(r, o),
            notes: e.notes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_seeded_sorted_and_capped() {
        assert_eq!(sample_rows(5, 10, 1), vec![0, 1, 2, 3, 4]);
        let a = sample_rows(10_000, 1000, 7);
        assert_eq!(a.len(), 1000);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, sample_rows(10_000, 1000, 7));
        assert_ne!(a, sample_rows(10_000, 1000, 8));
    }
}
