//! The experiments step: the runs in the store, listed, compared, curated and exported.
//!
//! A run is one configuration (algorithm + hyperparameters) evaluated by
//! cross-validation; a study is one `lathe train` call that groups runs.
//! Each run lives in `.lathe/runs/<run-id>/` (`run.json`, and `model.json.gz`
//! once a model is fitted); run ids are ULIDs, so they sort by time, and any
//! unique prefix names a run.
//!
//! The run store and its records are one floor down, in [`crate::train`]
//! ([`crate::train::store`], [`crate::train::record`]): the search writes them and
//! a record holds the training spec, so they live beside the spec. They are
//! re-exported here, where runs are read.

pub mod charts;
pub mod compare;
pub mod curation;
pub mod explain;
pub mod gc;
pub mod index;
pub mod leaderboard;
pub mod mlflow;
pub mod shap_charts;
pub mod significance;

pub use crate::train::record::{Lineage, MetricSummary, RunRecord, RunStatus, StudyRecord};
pub use crate::train::store::Store;
pub use curation::Curation;
pub use leaderboard::Leaderboard;
