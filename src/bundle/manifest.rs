//! `bundle.json`.
