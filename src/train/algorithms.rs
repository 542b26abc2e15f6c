//! The learners: one catalogue entry per (algorithm id, task), one `fit`
//! that dispatches to linfa or to lathe's own engines (the histogram trees
//! of [`crate::train::hist`], the blocked k-NN of [`crate::train::knn`]),
//! and one serialisable [`Model`] with one `predict`.
//!
//! Algorithm ids are stable names used in specs, runs and bundles. Each
//! entry lists its hyperparameters with default, range and a one-line
//! description; `lathe train --list` and the Train screen show them.
//! Models serialise with serde as plain data: loading one executes nothing.
//!
//! One file per part: `params` (values and their checks), `hyperparameters`
//! (the shared ones), `info` (an entry) and `catalogue` (the entries), `fit`
//! and `predict` (the fitted [`Model`]). Their items are re-exported here, so callers write
//! `algorithms::fit`, `algorithms::CATALOGUE`.

mod catalogue;
mod fit;
mod hyperparameters;
mod info;
mod params;
mod predict;

pub use catalogue::{CATALOGUE, find, params_text};
pub use fit::{TargetRef, class_weights, fit};
pub(crate) use fit::{get_f, get_i, get_s};
pub use info::AlgorithmInfo;
pub use params::{ParamInfo, ParamKind, ParamValue, Params};
pub use predict::{Model, Predictions, argmax};
