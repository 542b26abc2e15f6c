//! lathe's integration tests: one binary, one module per area (see DESIGN.md §3).
//!
//! Run without the TUI: `cargo test --no-default-features --test integration`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod bundle;

mod cli;
mod containers;
mod drift;
mod drift_stats;
mod experiments;
mod explain;
#[cfg(feature = "tui")]
mod explain_screens;
mod explain_serve;
mod golden;
mod label;
#[cfg(feature = "tui")]
mod label_screen;
mod learners;
mod loading;
mod metrics;
#[cfg(unix)]
mod mlflow;
mod pipeline;
mod project;
#[cfg(feature = "tui")]
mod pty;
#[cfg(feature = "tui")]
mod screens_walk;
mod serve_clients;
#[cfg(feature = "tui")]
mod tab_keys;
mod train;
#[cfg(feature = "tui")]
mod tui;
mod walk;
