//! The bundle step: a folder a platform team builds into an image and runs.
//!
//! ```text
//!   run (model.json.gz) ──export──▶ .lathe/bundles/<name>/<version>/
//!       bundle.json        manifest: schema, pipeline, metrics, lineage,
//!                          reference profile, SHA-256 of every other file
//!       model.json         the model, data only (canonical JSON)
//!       input_example.json, serving_input_example.json
//!       bin/lathe-serve    the static, serve-only server (embedded in lathe)
//!       Containerfile, k8s/, sbom.cdx.json, README.md
//! ```
//!
//! [`manifest`], [`input`] and [`sign`] are all the server needs, so they
//! build without polars (the `serve` feature alone); export, the deployment
//! files and the image come with the full lathe.

#[cfg(feature = "core")]
pub mod drift;
#[cfg(feature = "core")]
pub mod elf;
#[cfg(feature = "core")]
pub mod export;
pub mod importance;
pub mod input;
#[cfg(feature = "core")]
pub mod k8s;
pub mod manifest;
#[cfg(feature = "core")]
pub mod oci;
#[cfg(feature = "core")]
pub mod sbom;
pub mod score;
#[cfg(feature = "core")]
pub mod server;
pub mod sign;
pub mod verify;
