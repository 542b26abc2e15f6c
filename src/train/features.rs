//! Preprocessing as a fitted, serialisable pipeline.
//!
//! The data's feature columns are read once into a [`RawTable`] (numbers as
//! `f64` with NaN for missing, text as category codes) that every job of a
//! search shares. Each job fits a [`FittedPipeline`] on its training rows only
//! (imputation values, standardisation, the one-hot categories), so nothing of
//! a validation fold leaks into the model, and writes the learner's dense
//! matrix from it. The same fitted pipeline is stored with the run and later
//! runs inside a bundle and the server.

use std::collections::HashMap;

#[cfg(feature = "core")]
use polars::prelude::DataFrame;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::train::matrix::{MISSING_CODE, Matrix};
#[cfg(feature = "core")]
use crate::train::matrix::{category_column, numeric_column};

/// How missing numbers are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NumericImpute {
    #[default]
    Mean,
    Median,
    /// The spec's `numeric_fill` value.
    Constant,
}

/// How missing categories are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CategoryImpute {
    #[default]
    MostFrequent,
    /// The spec's `categorical_fill` text, which becomes a category of its own.
    Constant,
}

/// What a category never seen in training becomes at prediction time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Unseen {
    /// All of the column's one-hot outputs are 0 (scikit-learn's `handle_unknown="ignore"`).
    #[default]
    Ignore,
    /// Counted with the infrequent categories when the cap made an "other" column, else ignored.
    Infrequent,
    /// Prediction fails with an error naming the column and the value.
    Error,
}

/// The preprocessing part of a training spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreprocessSpec {
    pub numeric_impute: NumericImpute,
    pub numeric_fill: f64,
    pub categorical_impute: CategoryImpute,
    pub categorical_fill: String,
    /// Standardise numeric columns (mean 0, standard deviation 1, fitted on training rows).
    pub scale: bool,
    /// At most this many one-hot columns per categorical feature; the rarest
    /// categories beyond `max_categories - 1` share one "other" column.
    pub max_categories: usize,
    pub unseen: Unseen,
}

impl Default for PreprocessSpec {
    fn default() -> Self {
        Self {
            numeric_impute: NumericImpute::Mean,
            numeric_fill: 0.0,
            categorical_impute: CategoryImpute::MostFrequent,
            categorical_fill: "missing".to_owned(),
            scale: true,
            max_categories: 20,
            unseen: Unseen::Ignore,
        }
    }
}

impl PreprocessSpec {
    pub fn validate(&self) -> Result<()> {
        if self.max_categories < 2 {
            return Err(Error::usage(format!(
                "max_categories must be at least 2, not {}",
                self.max_categories
            ))
            .field("preprocess.max_categories"));
        }
        if !self.numeric_fill.is_finite() {
            return Err(Error::usage("numeric_fill must be a finite number")
                .field("preprocess.numeric_fill"));
        }
        Ok(())
    }
}

/// One feature column as read from the data.
#[derive(Debug, Clone)]
pub enum RawColumn {
    /// Numbers, NaN where missing (nulls, NaN and ±inf all count as missing).
    Numeric(Vec<f64>),
    /// Category codes into `values`; [`MISSING_CODE`] where missing.
    Category {
        codes: Vec<u32>,
        values: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct RawFeature {
    pub name: String,
    pub column: RawColumn,
}

/// The feature columns of a dataset, read once and shared by every job.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    pub rows: usize,
    pub features: Vec<RawFeature>,
}

impl RawTable {
    /// Read `features` (name, is-categorical) from `df`.
    #[cfg(feature = "core")]
    pub fn from_frame(df: &DataFrame, features: &[(String, bool)]) -> Result<Self> {
        let mut out = Vec::with_capacity(features.len());
        for (name, categorical) in features {
            let column = if *categorical {
                let (codes, values) = category_column(df, name)?;
                RawColumn::Category { codes, values }
            } else {
                let mut v = numeric_column(df, name)?;
                for x in &mut v {
                    if !x.is_finite() {
                        *x = f64::NAN;
                    }
                }
                RawColumn::Numeric(v)
            };
            out.push(RawFeature {
                name: name.clone(),
                column,
            });
        }
        Ok(Self {
            rows: df.height(),
            features: out,
        })
    }

    /// The rows `rows` only, in that order.
    pub fn subset(&self, rows: &[usize]) -> RawTable {
        let features = self
            .features
            .iter()
            .map(|f| RawFeature {
                name: f.name.clone(),
                column: match &f.column {
                    RawColumn::Numeric(v) => {
                        RawColumn::Numeric(rows.iter().map(|&r| v[r]).collect())
                    }
                    RawColumn::Category { codes, values } => RawColumn::Category {
                        codes: rows.iter().map(|&r| codes[r]).collect(),
                        values: values.clone(),
                    },
                },
            })
            .collect();
        RawTable {
            rows: rows.len(),
            features,
        }
    }

    /// A copy with the values of feature `index` permuted by `order` (row i
    /// takes row `order[i]`'s value): the input of permutation importance.
    pub fn with_permuted(&self, index: usize, rows: &[usize], order: &[usize]) -> RawTable {
        let mut t = self.clone();
        if let Some(f) = t.features.get_mut(index) {
            match &mut f.column {
                RawColumn::Numeric(v) => {
                    let orig: Vec<f64> = rows.iter().map(|&r| v[r]).collect();
                    for (i, &r) in rows.iter().enumerate() {
                        v[r] = orig[order[i]];
                    }
                }
                RawColumn::Category { codes, .. } => {
                    let orig: Vec<u32> = rows.iter().map(|&r| codes[r]).collect();
                    for (i, &r) in rows.iter().enumerate() {
                        codes[r] = orig[order[i]];
                    }
                }
            }
        }
        t
    }
}

/// One column of a fitted pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FittedColumn {
    Numeric {
        name: String,
        /// The value a missing number becomes.
        fill: f64,
        /// Output = (value - center) / scale.
        center: f64,
        scale: f64,
    },
    Category {
        name: String,
        /// The category a missing value becomes.
        fill: String,
        /// One output column each, in this order.
        categories: Vec<String>,
        /// The reference category, encoded as all zeros (for learners that
        /// need full-rank input, such as least squares).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
        /// A last output column for the categories beyond the cap.
        other: bool,
        /// The training categories that went to the "other" column.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        infrequent: Vec<String>,
        unseen: Unseen,
    },
}

/// A preprocessing pipeline fitted on training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    pub columns: Vec<FittedColumn>,
}

impl FittedPipeline {
    /// Fit on the rows `rows` of `raw`. With `full_rank`, each categorical
    /// column drops its first category as the all-zeros reference, so the
    /// one-hot columns are not collinear with an intercept.
    pub fn fit(
        raw: &RawTable,
        rows: &[usize],
        spec: &PreprocessSpec,
        full_rank: bool,
    ) -> Result<Self> {
        let mut columns = Vec::with_capacity(raw.features.len());
        for f in &raw.features {
            columns.push(match &f.column {
                RawColumn::Numeric(v) => fit_numeric(&f.name, v, rows, spec),
                RawColumn::Category { codes, values } => {
                    fit_category(&f.name, codes, values, rows, spec, full_rank)
                }
            });
        }
        Ok(Self { columns })
    }

    /// Number of output columns.
    pub fn width(&self) -> usize {
        self.columns
            .iter()
            .map(|c| match c {
                FittedColumn::Numeric { .. } => 1,
                FittedColumn::Category {
                    categories, other, ..
                } => categories.len() + usize::from(*other),
            })
            .sum()
    }

    /// Names of the output columns (`col`, `col=value`, `col=(other)`).
    pub fn output_names(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.width());
        for c in &self.columns {
            match c {
                FittedColumn::Numeric { name, .. } => out.push(name.clone()),
                FittedColumn::Category {
                    name,
                    categories,
                    other,
                    ..
                } => {
                    out.extend(categories.iter().map(|v| format!("{name}={v}")));
                    if *other {
                        out.push(format!("{name}=(other)"));
                    }
                }
            }
        }
        out
    }

    /// The learner's input for rows `rows` of `raw` (whose columns must be
    /// the ones this pipeline was fitted on, in the same order).
    pub fn transform(&self, raw: &RawTable, rows: &[usize]) -> Result<Matrix> {
        if raw.features.len() != self.columns.len() {
            return Err(Error::internal(format!(
                "pipeline has {} columns, data has {}",
                self.columns.len(),
                raw.features.len()
            )));
        }
        let width = self.width();
        let mut m = Matrix::zeros(rows.len(), width);
        let mut offset = 0;
        for (fc, rf) in self.columns.iter().zip(&raw.features) {
            match (fc, &rf.column) {
                (
                    FittedColumn::Numeric {
                        fill,
                        center,
                        scale,
                        ..
                    },
                    RawColumn::Numeric(v),
                ) => {
                    for (i, &r) in rows.iter().enumerate() {
                        let x = if v[r].is_nan() { *fill } else { v[r] };
                        m.data[i * width + offset] = (x - center) / scale;
                    }
                    offset += 1;
                }
                (
                    FittedColumn::Category {
                        name,
                        fill,
                        categories,
                        other,
                        infrequent,
                        unseen,
                        reference,
                    },
                    RawColumn::Category { codes, values },
                ) => {
                    let slot_of: HashMap<&str, usize> = categories
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.as_str(), i))
                        .chain(infrequent.iter().map(|c| (c.as_str(), categories.len())))
                        .collect();
                    let fill_slot = slot_of.get(fill.as_str()).copied();
                    // Where each code of the raw vocabulary goes: a slot, "other", or nowhere.
                    let slots: Vec<Option<usize>> = values
                        .iter()
                        .map(|v| slot_of.get(v.as_str()).copied())
                        .collect();
                    let other_slot = other.then_some(categories.len());
                    for (i, &r) in rows.iter().enumerate() {
                        let code = codes[r];
                        let slot = if code == MISSING_CODE {
                            if reference.as_ref() == Some(fill) {
                                None
                            } else {
                                fill_slot.or(other_slot)
                            }
                        } else {
                            let c = code as usize;
                            match slots.get(c).copied().flatten() {
                                Some(s) => Some(s),
                                None if reference.as_deref()
                                    == values.get(c).map(String::as_str) =>
                                {
                                    None
                                }
                                None => match unseen {
                                    Unseen::Ignore => None,
                                    Unseen::Infrequent => other_slot,
                                    Unseen::Error => {
                                        return Err(Error::input(format!(
                                            "column '{name}' has the value '{}', which training never saw",
                                            values.get(c).map_or("", String::as_str)
                                        ))
                                        .field(name.clone()));
                                    }
                                },
                            }
                        };
                        if let Some(s) = slot {
                            m.data[i * width + offset + s] = 1.0;
                        }
                    }
                    offset += categories.len() + usize::from(*other);
                }
                _ => {
                    return Err(Error::internal(format!(
                        "column '{}' changed kind between fit and transform",
                        rf.name
                    )));
                }
            }
        }
        Ok(m)
    }
}

fn fit_numeric(name: &str, v: &[f64], rows: &[usize], spec: &PreprocessSpec) -> FittedColumn {
    let mut present: Vec<f64> = rows.iter().map(|&r| v[r]).filter(|x| !x.is_nan()).collect();
    let fill = if present.is_empty() {
        spec.numeric_fill
    } else {
        match spec.numeric_impute {
            NumericImpute::Mean => crate::util::pairwise_sum(&present) / present.len() as f64,
            NumericImpute::Median => median(&mut present),
            NumericImpute::Constant => spec.numeric_fill,
        }
    };
    let (center, scale) = if spec.scale {
        // Statistics of the imputed column, as a scaler after an imputer sees it.
        let n = rows.len().max(1) as f64;
        let mean = rows
            .iter()
            .map(|&r| if v[r].is_nan() { fill } else { v[r] })
            .sum::<f64>()
            / n;
        let var = rows
            .iter()
            .map(|&r| {
                let x = if v[r].is_nan() { fill } else { v[r] };
                (x - mean) * (x - mean)
            })
            .sum::<f64>()
            / n;
        let sd = var.sqrt();
        (mean, if sd > 0.0 && sd.is_finite() { sd } else { 1.0 })
    } else {
        (0.0, 1.0)
    };
    FittedColumn::Numeric {
        name: name.to_owned(),
        fill,
        center,
        scale,
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn fit_category(
    name: &str,
    codes: &[u32],
    values: &[String],
    rows: &[usize],
    spec: &PreprocessSpec,
    full_rank: bool,
) -> FittedColumn {
    let mut counts = vec![0u64; values.len()];
    let mut missing = 0u64;
    for &r in rows {
        match codes[r] {
            MISSING_CODE => missing += 1,
            c => counts[c as usize] += 1,
        }
    }
    // Most frequent first; ties by the text, so the order does not depend on row order.
    let mut seen: Vec<(String, u64)> = values
        .iter()
        .zip(&counts)
        .filter(|(_, n)| **n > 0)
        .map(|(v, n)| (v.clone(), *n))
        .collect();
    let fill = match spec.categorical_impute {
        CategoryImpute::MostFrequent => seen
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map_or_else(|| spec.categorical_fill.clone(), |(v, _)| v.clone()),
        CategoryImpute::Constant => spec.categorical_fill.clone(),
    };
    if missing > 0 || seen.is_empty() {
        match seen.iter_mut().find(|(v, _)| *v == fill) {
            Some(entry) => entry.1 += missing,
            None => seen.push((fill.clone(), missing)),
        }
    }
    seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let other = seen.len() > spec.max_categories;
    let mut infrequent: Vec<String> = Vec::new();
    if other {
        infrequent = seen
            .split_off(spec.max_categories - 1)
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        infrequent.sort();
    }
    // Output columns in text order: stable and easy to read in a bundle.
    let mut categories: Vec<String> = seen.into_iter().map(|(v, _)| v).collect();
    categories.sort();
    let reference = (full_rank && categories.len() > 1).then(|| categories.remove(0));
    FittedColumn::Category {
        name: name.to_owned(),
        fill,
        categories,
        reference,
        other,
        infrequent,
        unseen: spec.unseen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RawTable {
        RawTable {
            rows: 5,
            features: vec![
                RawFeature {
                    name: "x".into(),
                    column: RawColumn::Numeric(vec![1.0, f64::NAN, 3.0, 100.0, 5.0]),
                },
                RawFeature {
                    name: "c".into(),
                    column: RawColumn::Category {
                        codes: vec![0, 1, 0, 2, MISSING_CODE],
                        values: vec!["a".into(), "b".into(), "z".into()],
                    },
                },
            ],
        }
    }

    #[test]
    fn fitted_on_training_rows_only() {
        let spec = PreprocessSpec {
            scale: false,
            ..PreprocessSpec::default()
        };
        // Row 3 (100.0, 'z') is the validation row: it must not move the mean
        // nor add a category.
        let p = FittedPipeline::fit(&table(), &[0, 1, 2, 4], &spec, false).unwrap();
        assert_eq!(p.output_names(), vec!["x", "c=a", "c=b"]);
        let m = p.transform(&table(), &[1, 3, 4]).unwrap();
        // Missing x → mean of 1, 3, 5 = 3; 'z' is unseen → all zeros; missing c → 'a'.
        assert_eq!(m.data, vec![3.0, 0.0, 1.0, 100.0, 0.0, 0.0, 5.0, 1.0, 0.0]);
    }

    #[test]
    fn cap_makes_an_other_column_and_unseen_can_fail() {
        let capped = PreprocessSpec {
            max_categories: 2,
            ..PreprocessSpec::default()
        };
        let p = FittedPipeline::fit(&table(), &[0, 1, 2, 3], &capped, false).unwrap();
        assert_eq!(p.output_names(), vec!["x", "c=a", "c=(other)"]);
        let m = p.transform(&table(), &[1, 3]).unwrap();
        assert_eq!(
            (m.data[1], m.data[2], m.data[4], m.data[5]),
            (0.0, 1.0, 0.0, 1.0)
        );
        let strict = PreprocessSpec {
            unseen: Unseen::Error,
            ..PreprocessSpec::default()
        };
        let p = FittedPipeline::fit(&table(), &[0, 1, 2], &strict, false).unwrap();
        let err = p.transform(&table(), &[3]).unwrap_err();
        assert!(err.message.contains("'z'"), "{}", err.message);
    }

    #[test]
    fn full_rank_encoding_drops_a_reference_category() {
        let spec = PreprocessSpec::default();
        let p = FittedPipeline::fit(&table(), &[0, 1, 2, 3, 4], &spec, true).unwrap();
        assert_eq!(p.output_names(), vec!["x", "c=b", "c=z"]);
        let m = p.transform(&table(), &[0, 1, 4]).unwrap();
        // 'a' (and missing, filled with 'a') is the reference: all zeros.
        assert_eq!((m.data[1], m.data[2]), (0.0, 0.0));
        assert_eq!((m.data[4], m.data[5]), (1.0, 0.0));
        assert_eq!((m.data[7], m.data[8]), (0.0, 0.0));
    }

    #[test]
    fn standardises_with_population_sd() {
        let p = FittedPipeline::fit(&table(), &[0, 2], &PreprocessSpec::default(), false).unwrap();
        let m = p.transform(&table(), &[0, 2]).unwrap();
        assert_eq!((m.data[0], m.data[3]), (-1.0, 1.0));
    }
}
