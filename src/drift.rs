//! The drift step: has fresh data moved away from the training reference,
//! where, and how much?
//!
//! ```text
//!   reference table ─┐
//!                    ├─ compute::compare (per column, in parallel) ─▶ DriftReport
//!   current table ───┘        tests: stats (checked against scipy/Evidently)
//!                                         │
//!             CLI table / JSON · HTML with inline SVG · SVG and PNG charts (report)
//! ```
//!
//! By default every choice is Evidently's: the test per column (from its
//! type, the reference size and its number of unique values), the
//! thresholds (p < 0.05 for chi-square and z, p ≤ 0.05 for KS, ≥ 0.1 for distances) and dataset drift at a
//! share of 0.5 drifted columns. [`spec::DriftSpec`] overrides any of them.

pub mod batches;
pub mod compute;
pub mod profile;
pub mod report;
pub mod shap;
pub mod source;
pub mod spec;
pub mod stats;

pub use compute::{ColumnDrift, DriftReport, compare};
pub use spec::DriftSpec;
