//! The train step: from a table and a target to cross-validated, recorded runs.
//!
//! ```text
//!   TrainSpec ──validate(data)──▶ ValidTrainSpec
//!        │                             │ features::RawTable (read once, shared)
//!        │                             │ split: hold-out + stratified k folds
//!        ▼                             ▼
//!   search: jobs = configuration × fold, on a rayon pool of `jobs` threads,
//!           each job: fit pipeline on its training rows → fit learner → score
//!        │
//!        ▼
//!   runs (store): one per configuration, best per algorithm refitted
//! ```
//!
//! A run's [`record`] (its spec, parameters, scores and lineage) and the
//! [`store`] of runs and studies are train's: the search writes them. The
//! experiments step reads them; it depends on train, never the reverse.
//!
//! The learners ([`algorithms`]) come from linfa and from lathe's own engines
//! ([`hist`]: histogram trees, forests and boosting; [`knn`]: blocked k-NN);
//! [`matrix`] is the single adapter between polars and their matrix types.

pub mod algorithms;
pub mod explain;
pub mod features;
pub mod hist;
pub mod knn;
mod learners;
pub mod logistic;
pub mod matrix;
pub mod metrics;
pub mod model;
#[cfg(feature = "core")]
pub mod record;
#[cfg(feature = "core")]
pub mod search;
#[cfg(feature = "core")]
pub mod spec;
#[cfg(feature = "core")]
pub mod split;
#[cfg(feature = "core")]
pub mod store;
#[cfg(feature = "core")]
mod study;

#[cfg(feature = "core")]
pub use study::{RerunReport, lineage, load_and_prepare, load_run_data, rerun};

use std::fmt;

use serde::{Deserialize, Serialize};

/// What is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        })
    }
}

/// The leaderboard's metric columns for a task, PyCaret's headers: (header, metric name).
pub fn leaderboard_columns(task: Task) -> &'static [(&'static str, &'static str)] {
    match task {
        Task::Classification => &[
            ("Accuracy", "accuracy"),
            ("AUC", "roc_auc"),
            ("Recall", "recall_macro"),
            ("Prec.", "precision_macro"),
            ("F1", "f1_macro"),
            ("Kappa", "cohen_kappa"),
            ("MCC", "mcc"),
        ],
        Task::Regression => &[
            ("MAE", "mae"),
            ("MSE", "mse"),
            ("RMSE", "rmse"),
            ("R2", "r2"),
            ("MAPE", "mape"),
        ],
    }
}
