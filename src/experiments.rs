//! The experiments step: the run store and its records.
//!
//! A run is one configuration (algorithm + hyperparameters) evaluated by
//! cross-validation; a study is one `lathe train` call that groups runs.
//! Each run lives in `.lathe/runs/<run-id>/` (`run.json`, and `model.json.gz`
//! once a model is fitted); run ids are ULIDs, so they sort by time, and any
//! unique prefix names a run.

pub mod charts;
pub mod compare;
pub mod curation;
pub mod gc;
pub mod index;
pub mod leaderboard;
pub mod mlflow;
pub mod record;
pub mod significance;
pub mod store;

pub use curation::Curation;
pub use leaderboard::Leaderboard;
pub use record::{Lineage, MetricSummary, RunRecord, RunStatus, StudyRecord};
pub use store::Store;
