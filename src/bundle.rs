//! The bundle step: a folder a platform team builds into an image and runs.
//!
//! [`manifest`] is what `bundle.json` holds; it, the model and the pipeline
//! are all the server needs, so this module builds without polars (the
//! `serve` feature alone). Export, verification and the deployment files
//! come with the full lathe.

pub mod manifest;
