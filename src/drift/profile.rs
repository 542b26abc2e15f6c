//! The reference profile: what drift checks need of the training data,
//! without the training data — the summary a bundle will carry.
//!
//! Per column it keeps the value count, the dropped count (null, NaN, ±inf)
//! and either the exact distribution or a sketch of it:
//!
//! - categories: every category's count (exact);
//! - numbers with at most [`EXACT_DISTINCT`] distinct values: every value's
//!   count (exact);
//! - other numbers: 1,001 quantiles (q = 0, 0.001, …, 1, numpy's linear method).
//!
//! To compare, [`ReferenceProfile::to_frame`] rebuilds a reference column of
//! the original length: exact columns come back as they were (as a multiset,
//! which is all any test looks at), sketched ones as the values of the
//! piecewise-linear quantile function at (i + ½)/n. Every test, threshold and
//! chart then runs unchanged. The rebuilt empirical CDF is within 1/1000 of the
//! true one at every point (between two stored quantiles the true CDF rises by
//! 0.001), so a KS statistic moves by at most about 0.001. A Wasserstein
//! distance moves by at most the area between the true and the interpolated
//! quantile function, which is bounded by 0.001 × (max − min) and on smooth
//! data is a few thousandths of a standard deviation. Binned tests see the
//! same shares up to 0.001 per bin. `tests/drift.rs` checks that on the sample
//! data the verdicts are the same and the scores within 0.01 of the exact ones.

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::LogicalType;
use crate::drift::compute::{category_counts, sorted_finite};
use crate::error::{Error, Result};

/// Numbers with at most this many distinct values are stored exactly.
pub const EXACT_DISTINCT: usize = 1000;
/// Quantile steps of the sketch (1,001 points).
pub const SKETCH_STEPS: usize = 1000;
/// Marks a profile file.
pub const PROFILE_KIND: &str = "lathe_reference_profile";

/// One column's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "summary", rename_all = "snake_case")]
pub enum Summary {
    /// (category, count), every category.
    Categories { counts: Vec<(String, u64)> },
    /// (value, count), every value, ascending.
    Values { counts: Vec<(f64, u64)> },
    /// `SKETCH_STEPS + 1` quantiles, ascending.
    Quantiles { quantiles: Vec<f64> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    pub name: String,
    /// The logical type of the column (`int`, `float`, `string` …).
    pub logical_type: String,
    /// Values summarised, and values dropped (null, NaN, ±inf).
    pub values: usize,
    pub dropped: usize,
    pub summary: Summary,
}

/// The reference side of drift checks, without the reference rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    pub kind: String,
    pub format_version: u32,
    pub rows: usize,
    pub columns: Vec<ColumnSummary>,
}

fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let pos = (n - 1) as f64 * q;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

impl ReferenceProfile {
    /// Summarise every numeric and text column of `df` (other types are left out).
    pub fn of(df: &DataFrame) -> Result<Self> {
        let mut columns = Vec::new();
        for col in df.columns() {
            let name = col.name().to_string();
            let lt = LogicalType::of(col.dtype());
            let (values, dropped, summary) = match lt {
                LogicalType::Int | LogicalType::Float => {
                    let (v, dropped) = sorted_finite(df, &name)?;
                    let mut counts: Vec<(f64, u64)> = Vec::new();
                    for &x in &v {
                        if let Some((last, n)) = counts.last_mut()
                            && *last == x
                        {
                            *n += 1;
                        } else if counts.len() > EXACT_DISTINCT {
                            break;
                        } else {
                            counts.push((x, 1));
                        }
                    }
                    let summary = if counts.len() <= EXACT_DISTINCT {
                        Summary::Values { counts }
                    } else {
                        Summary::Quantiles {
                            quantiles: (0..=SKETCH_STEPS)
                                .map(|i| quantile_sorted(&v, i as f64 / SKETCH_STEPS as f64))
                                .collect(),
                        }
                    };
                    (v.len(), dropped, summary)
                }
                LogicalType::String | LogicalType::Categorical | LogicalType::Bool => {
                    let (counts, dropped) = category_counts(df, &name)?;
                    let values = counts.iter().map(|(_, n)| *n as usize).sum();
                    (values, dropped, Summary::Categories { counts })
                }
                _ => continue,
            };
            columns.push(ColumnSummary {
                name,
                logical_type: lt.name().to_owned(),
                values,
                dropped,
                summary,
            });
        }
        Ok(Self {
            kind: PROFILE_KIND.to_owned(),
            format_version: 1,
            rows: df.height(),
            columns,
        })
    }

    /// Read a profile file; None when the file is not one (then it is data).
    pub fn read(path: &Path) -> Result<Option<Self>> {
        let head = {
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, &e))?;
            let mut buf = vec![0u8; 256];
            let n = f.read(&mut buf).map_err(|e| Error::io(path, &e))?;
            buf.truncate(n);
            buf
        };
        if !String::from_utf8_lossy(&head).contains(PROFILE_KIND) {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        let p: Self = serde_json::from_str(&text).map_err(|e| {
            Error::input(format!("not a readable reference profile: {e}"))
                .at(path)
                .line(e.line() as u64)
                .column(e.column() as u64)
        })?;
        if p.format_version > 1 {
            return Err(Error::input(format!(
                "reference profile format {} is newer than this lathe's 1",
                p.format_version
            ))
            .at(path));
        }
        Ok(Some(p))
    }

    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::internal(format!("profile JSON: {e}")))
    }

    /// A reference frame rebuilt from the summaries, one column per summary,
    /// `rows` long (dropped values come back as nulls).
    pub fn to_frame(&self) -> Result<DataFrame> {
        let mut cols = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let pad = self.rows.saturating_sub(c.values);
            let column = match &c.summary {
                Summary::Categories { counts } => {
                    let mut v: Vec<Option<&str>> = Vec::with_capacity(self.rows);
                    for (name, n) in counts {
                        v.extend(std::iter::repeat_n(Some(name.as_str()), *n as usize));
                    }
                    v.extend(std::iter::repeat_n(None, pad));
                    Column::new(c.name.as_str().into(), v)
                }
                Summary::Values { counts } => {
                    let mut v: Vec<Option<f64>> = Vec::with_capacity(self.rows);
                    for (x, n) in counts {
                        v.extend(std::iter::repeat_n(Some(*x), *n as usize));
                    }
                    v.extend(std::iter::repeat_n(None, pad));
                    Column::new(c.name.as_str().into(), v)
                }
                Summary::Quantiles { quantiles } => {
                    if quantiles.is_empty() {
                        return Err(Error::input(format!(
                            "the reference profile has no quantiles for '{}'",
                            c.name
                        ))
                        .field(c.name.clone()));
                    }
                    let n = c.values.max(1);
                    let steps = quantiles.len().saturating_sub(1).max(1) as f64;
                    let mut v: Vec<Option<f64>> = (0..c.values)
                        .map(|i| {
                            let pos = (i as f64 + 0.5) / n as f64 * steps;
                            let lo = (pos.floor() as usize).min(quantiles.len() - 1);
                            let hi = (lo + 1).min(quantiles.len() - 1);
                            Some(
                                quantiles[lo] + (quantiles[hi] - quantiles[lo]) * (pos - lo as f64),
                            )
                        })
                        .collect();
                    v.extend(std::iter::repeat_n(None, pad));
                    Column::new(c.name.as_str().into(), v)
                }
            };
            cols.push(column);
        }
        DataFrame::new(self.rows, cols)
            .map_err(|e| Error::internal(format!("rebuilding the reference: {e}")))
    }
}
