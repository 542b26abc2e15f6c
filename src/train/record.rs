//! What is stored about a run and a study (serde, JSON, versioned).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::train::Task;
use crate::train::algorithms::Params;
use crate::train::metrics::Curve;
use crate::train::spec::TrainSpec;

/// Version of `run.json`; a newer one is refused, an older one is migrated on read.
pub const RUN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Finished,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Finished => "finished",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A metric over the folds: mean, sample standard deviation, and each fold's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    #[serde(with = "json_float")]
    pub mean: f64,
    #[serde(with = "json_float")]
    pub std: f64,
    #[serde(with = "json_float_vec")]
    pub folds: Vec<f64>,
}

impl MetricSummary {
    pub fn of(folds: Vec<f64>) -> Self {
        let n = folds.len();
        let mean = if n == 0 {
            f64::NAN
        } else {
            folds.iter().sum::<f64>() / n as f64
        };
        let std = if n < 2 {
            0.0
        } else {
            (folds.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        Self { mean, std, folds }
    }
}

/// The decision threshold of a binary classifier, chosen on the validation folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// The metric it maximises.
    pub metric: String,
    pub value: f64,
    /// The metric's value over all validation rows at this threshold.
    pub score: f64,
}

/// Validation predictions of a regression and their residuals (truth − predicted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residuals {
    #[serde(with = "json_float_vec")]
    pub predicted: Vec<f64>,
    #[serde(with = "json_float_vec")]
    pub residual: Vec<f64>,
}

impl Residuals {
    /// At most `max` evenly spaced points of the pooled validation rows.
    pub fn thinned(predicted: Vec<f64>, residual: Vec<f64>, max: usize) -> Self {
        let n = predicted.len().min(residual.len());
        let step = n.div_ceil(max.max(1)).max(1);
        Self {
            predicted: predicted.iter().take(n).step_by(step).copied().collect(),
            residual: residual.iter().take(n).step_by(step).copied().collect(),
        }
    }
}

/// Where a run's data, code and learners came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Lineage {
    /// The data file, as given (relative to the project when inside it).
    pub data: String,
    /// lathe-fingerprint-v1 of the full training table (after dropped rows).
    pub data_fingerprint: String,
    pub rows: usize,
    /// Column name → type of the training table.
    pub schema: BTreeMap<String, String>,
    /// Position in the label journal, when the labels came from one.
    pub label_journal: Option<u64>,
    pub seed: u64,
    pub lathe_version: String,
    /// Learning crates and their versions.
    pub engines: BTreeMap<String, String>,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub host: String,
    pub user: Option<String>,
}

/// Seconds, summed and per fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Timing {
    pub fit_s: f64,
    pub predict_s: f64,
    /// Wall time of the run's jobs, summed.
    pub total_s: f64,
}

/// Everything stored about one run (`run.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub format_version: u32,
    pub run_id: String,
    pub study_id: String,
    pub algorithm: String,
    /// The crate that fitted it, and its version.
    pub engine: String,
    pub engine_version: String,
    pub task: Task,
    pub target: String,
    /// Class names in index order (classification).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    pub params: Params,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The metric the search optimised.
    pub metric: String,
    /// Per-fold metrics of the cross-validation.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// Metrics of the refitted model on the hold-out rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_metrics: Option<BTreeMap<String, f64>>,
    /// Summed over the validation folds; rows = true class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion_matrix: Option<Vec<Vec<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Threshold>,
    /// ROC and precision–recall points over the validation folds (binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roc: Option<Curve>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<Curve>,
    /// Predicted value and residual of validation rows over the folds (regression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residuals: Option<Residuals>,
    /// Permutation importance (drop of the optimised metric) per input column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub importance: Vec<(String, f64)>,
    pub timing: Timing,
    /// Whether `model.json.gz` holds a model refitted on all training rows.
    pub has_model: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_bytes: Option<u64>,
    pub started: String,
    pub finished: String,
    /// The full training request, every default explicit: enough to rerun.
    pub spec: TrainSpec,
    pub lineage: Lineage,
}

impl RunRecord {
    pub fn mean(&self, metric: &str) -> Option<f64> {
        self.metrics.get(metric).map(|m| m.mean)
    }
}

/// One `lathe train` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRecord {
    pub format_version: u32,
    pub study_id: String,
    pub started: String,
    pub finished: String,
    pub spec: TrainSpec,
    pub run_ids: Vec<String>,
    pub status: RunStatus,
}

pub use crate::util::{now_rfc3339, rfc3339};

/// JSON has no NaN or infinity: they are written as null and read back as NaN.
pub mod json_float {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// [`json_float`] for a list.
pub mod json_float_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let o: Vec<Option<f64>> = v.iter().map(|x| x.is_finite().then_some(*x)).collect();
        o.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect())
    }
}
