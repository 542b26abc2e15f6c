//! `DriftSpec`: which columns, which test, which threshold and binning — by
//! default exactly Evidently's choices, every one overridable globally or per
//! column (`drift.toml`, or `[drift]` flags).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::drift::stats::{ColumnKind, TestId};
use crate::error::{Error, Result};

/// How numeric values are cut into bins for the binned tests (PSI, JS, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Binning {
    /// Sturges' rule on reference ∪ current, as Evidently does.
    #[default]
    Sturges,
    /// Quantiles of the reference (credit-risk practice for PSI).
    Quantiles,
}

/// Correction of p-values for testing many columns at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    #[default]
    None,
    Bonferroni,
    BenjaminiHochberg,
}

/// Overrides for one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnSpec {
    pub kind: Option<ColumnKind>,
    pub test: Option<TestId>,
    pub threshold: Option<f64>,
    pub binning: Option<Binning>,
    pub n_bins: Option<usize>,
}

/// A drift request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftSpec {
    /// Columns to check; empty = every column both sides have.
    pub columns: Vec<String>,
    pub ignore: Vec<String>,
    /// One test for every column (default: Evidently's choice per column).
    pub test: Option<TestId>,
    /// One threshold for every column (default: the test's own).
    pub threshold: Option<f64>,
    pub binning: Binning,
    /// Bins for the binned tests (default: the binning's own rule).
    pub n_bins: Option<usize>,
    /// Dataset drift when at least this share of the checked columns drifted.
    pub drift_share: f64,
    pub correction: Correction,
    /// Per-column overrides: `[per_column.air_temp_k] test = "psi"`.
    pub per_column: BTreeMap<String, ColumnSpec>,
}

impl Default for DriftSpec {
    fn default() -> Self {
        Self {
            columns: Vec::new(),
            ignore: Vec::new(),
            test: None,
            threshold: None,
            binning: Binning::Sturges,
            n_bins: None,
            drift_share: 0.5,
            correction: Correction::None,
            per_column: BTreeMap::new(),
        }
    }
}

impl DriftSpec {
    /// Read a `drift.toml`; unknown keys are refused with their line.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        let spec: Self =
            toml::from_str(&text).map_err(|e| crate::error::toml_error(path, &text, &e))?;
        spec.validate().map_err(|e| e.at(path))?;
        Ok(spec)
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.drift_share > 0.0 && self.drift_share <= 1.0) {
            return Err(Error::usage(format!(
                "drift_share must be in (0, 1], not {}",
                self.drift_share
            ))
            .field("drift_share"));
        }
        let check_bins = |n: Option<usize>, field: &str| -> Result<()> {
            match n {
                Some(n) if !(2..=1000).contains(&n) => Err(Error::usage(format!(
                    "n_bins must be between 2 and 1000, not {n}"
                ))
                .field(field.to_owned())),
                _ => Ok(()),
            }
        };
        check_bins(self.n_bins, "n_bins")?;
        let check_threshold = |t: Option<f64>, field: &str| -> Result<()> {
            match t {
                Some(t) if !(t > 0.0 && t.is_finite()) => Err(Error::usage(format!(
                    "threshold must be a positive number, not {t}"
                ))
                .field(field.to_owned())),
                _ => Ok(()),
            }
        };
        check_threshold(self.threshold, "threshold")?;
        for (name, c) in &self.per_column {
            check_bins(c.n_bins, &format!("per_column.{name}.n_bins"))?;
            check_threshold(c.threshold, &format!("per_column.{name}.threshold"))?;
        }
        Ok(())
    }
}
