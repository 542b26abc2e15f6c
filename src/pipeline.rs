//! The pipeline step: the same steps a person takes in the TUI, declared in
//! `[pipeline]` of `lathe.toml` and run unattended (`lathe pipeline run`),
//! by CI or on a schedule.
//!
//! ```text
//!   spec      [pipeline] → ValidPipeline (every mistake named by line and key)
//!   run       lock → drift? → data · validate · labels → key → train → gate → bundle → promote
//!   state     .lathe/pipeline/{pipeline.lock, runs/<id>.json, done.json, data/}
//!   deploy    CronJob (typed k8s-openapi), Tekton Task/Pipeline, kustomize for Argo CD
//! ```
//!
//! Each step calls its own step's core (data, train, experiments, bundle,
//! drift); nothing is reimplemented here but the order, the gate's verdict
//! and the bookkeeping that makes a run idempotent and safe to kill.

pub mod deploy;
pub mod drift;
pub mod gate;
pub mod inputs;
pub mod run;
pub mod spec;
pub mod state;
pub mod validate;

pub use run::{RunOptions, run};
pub use state::{Outcome, PipelineRecord};
