//! The label step: a dataset's target and classes, row keys that survive
//! re-sorting, the crash-proof label journal with its snapshot, bulk
//! labelling by filter expression, and a quick model that proposes labels.
//!
//! Boundary: takes frames and project paths, returns label state and
//! verdicts; knows nothing of terminals or the command line.
//!
//! - [`set`]: which file, which column, which classes (`.lathe/labels/<dataset>.toml`);
//! - [`rows`]: row keys (an id column, else a hash of the row's values);
//! - [`journal`]: the append-only, fsynced journal and its snapshot;
//! - [`session`]: a dataset's labels now, over the journal;
//! - [`expr`]: filter expressions for bulk labelling;
//! - [`suggest`] and [`queue`]: the quick model and the orders it gives;
//! - [`agreement`]: Cohen's kappa between annotators.

pub mod agreement;
pub mod expr;
pub mod journal;
pub mod queue;
pub mod rows;
pub mod session;
pub mod set;
pub mod suggest;

pub use journal::Source;
pub use queue::Order;
pub use session::{Labeling, Status};
pub use set::{LabelChoice, LabelKind, LabelSet};
