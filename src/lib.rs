//! lathe: a terminal workbench that carries a tabular model around the MLOps loop.
//!
//! # Architecture
//!
//! lathe is a headless core with thin front-ends. The core knows nothing of
//! terminals; the CLI ([`cli`]) and the TUI (`tui`, behind the default `tui`
//! feature) call the same core functions with the same serde spec types.
//!
//! ```text
//!   front-ends      cli ─────────┐        tui (feature "tui")
//!                                ▼           ▼
//!   steps           data · label · train (search, run store) · experiments · bundle · serve · drift
//!                   pipeline (runs the steps above unattended)
//!                                ▼
//!   foundation      project · config · jobs · error
//! ```
//!
//! Dependencies point down only: a step never imports a front-end, and the
//! foundation never imports a step (but `project` reads `data`'s schema types).
//! Features keep the layers honest:
//! `core` (polars, training, the CLI) and `tui` on top of it; `serve` alone
//! builds what `lathe-serve` needs — the model, the pipeline, the bundle
//! reader and the HTTP server — without polars or the TUI, and
//! `--no-default-features --features core` builds the core without
//! ratatui/crossterm, so the compiler proves the rule.
//!
//! Checked with a grep of the `crate::` paths in `src/` (tests left out), each
//! module uses only modules after it in this order: tui, cli, pipeline,
//! experiments, serve, bundle, drift, label, train, sample, project, data,
//! config, jobs, error, util. Drift against a bundle (its model's predictions
//! and metrics on fresh data) is the bundle's ([`bundle::drift`]), so bundle
//! uses drift and never the reverse. The run record and store are train's,
//! written by its search and read by experiments; error calls into nothing.
//!
//! Every workflow step has the same name in three places:
//!
//! | step | core          | CLI                                   | TUI screen |
//! |------|---------------|---------------------------------------|------------|
//! | data | `data`        | `lathe data profile/head/validate`    | Data       |
//! | label | `label`      | `lathe label status/set/import/export/undo` | Label |
//! | train | [`train`]    | `lathe train`                         | Train      |
//! | experiments | `experiments` | `lathe runs …`                  | Experiments |
//! | explain | `train::explain` | `lathe explain`                  | Experiments (`w`), Drift |
//! | bundle | [`bundle`], `serve` | `lathe bundle …`, `lathe predict`, `lathe serve` | Bundles |
//! | drift | `drift`      | `lathe drift`                         | Drift      |
//! | pipeline | `pipeline` | `lathe pipeline run/history/generate` | (history in Experiments) |

pub mod bundle;
#[cfg(feature = "core")]
pub mod cli;
#[cfg(feature = "core")]
pub mod config;
#[cfg(feature = "core")]
pub mod data;
#[cfg(feature = "core")]
pub mod drift;
pub mod error;
#[cfg(feature = "core")]
pub mod experiments;
#[cfg(feature = "core")]
pub mod jobs;
#[cfg(feature = "core")]
pub mod label;
#[cfg(feature = "core")]
pub mod pipeline;
#[cfg(feature = "core")]
pub mod project;
#[cfg(feature = "core")]
pub mod sample;
#[cfg(feature = "serve")]
pub mod serve;
pub mod train;
#[cfg(feature = "tui")]
pub mod tui;
pub mod util;

pub use error::{Error, Result};

/// The version string shown by `lathe --version`: crate version and git commit.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LATHE_GIT_COMMIT"),
    ")"
);
