//! Drift against a bundle: the bundle carries the training data's reference
//! profile, so no training data is needed. With the model at hand two more
//! questions get answers:
//!
//! - **prediction drift**: the fresh rows are scored and the predictions (the
//!   class, and the second class's probability for a binary classifier; or
//!   the value) are compared with the predictions on the hold-out rows
//!   recorded at export, with the same tests as the columns;
//! - **performance**: when the fresh data carries the target, the model's
//!   metrics on it, next to the ones measured at training (hold-out, or the
//!   cross-validation mean);
//! - **what the drift means to the model**: mean |SHAP| per input column on
//!   the bundle's training sample and on the fresh rows, and the change
//!   ([`crate::drift::shap`]).

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::bundle::manifest::{Bundle, InputKind, MANIFEST};
use crate::drift::compute::{DriftReport, compare};
use crate::drift::profile::ReferenceProfile;
use crate::drift::shap::{self, ShapDrift};
use crate::drift::spec::DriftSpec;
use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::train::Task;
use crate::train::features::RawTable;
use crate::train::matrix::{category_column, numeric_column};
use crate::train::metrics;
use crate::train::model::Scored;

/// A metric's value at training, by name.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<f64> + 'a>;

/// A bundle used as the reference.
pub struct BundleReference {
    pub bundle: Bundle,
    pub profile: ReferenceProfile,
    pub predictions: ReferenceProfile,
}

/// A metric on the fresh rows and at training.
#[derive(Debug, Clone, Serialize)]
pub struct MetricPair {
    pub metric: String,
    pub fresh: f64,
    /// At training: the hold-out value, else the cross-validation mean.
    pub reference: Option<f64>,
}

/// The model's metrics on labelled fresh rows.
#[derive(Debug, Clone, Serialize)]
pub struct Performance {
    pub target: String,
    pub rows: usize,
    /// Rows without a target, or with a class the model does not know.
    pub skipped: usize,
    /// `holdout` or `cross-validation`.
    pub reference_from: String,
    pub metrics: Vec<MetricPair>,
}

/// What the model says about the fresh rows.
#[derive(Debug, Serialize)]
pub struct ModelCheck {
    pub predictions: Option<DriftReport>,
    pub performance: Option<Performance>,
    /// Mean |SHAP| per input column, reference against current.
    pub shap: Option<ShapDrift>,
    /// Why a part could not be done.
    pub notes: Vec<String>,
}

impl BundleReference {
    /// The bundle in `dir`, when `dir` is one (checked like the server does).
    pub fn open(dir: &Path) -> Result<Option<Self>> {
        if !dir.is_dir() || !dir.join(MANIFEST).is_file() {
            return Ok(None);
        }
        let bundle = Bundle::open(dir, None)?;
        let part = |key: &str| -> Result<ReferenceProfile> {
            serde_json::from_value(bundle.manifest.reference[key].clone()).map_err(|e| {
                Error::input(format!("the bundle's reference {key} is not readable: {e}"))
                    .at(dir.join(MANIFEST))
            })
        };
        Ok(Some(Self {
            profile: part("profile")?,
            predictions: part("predictions")?,
            bundle,
        }))
    }

    /// Score `current` and compare the predictions; the metrics when it is labelled.
    pub fn check(
        &self,
        current: &DataFrame,
        spec: &DriftSpec,
        cancel: &CancelToken,
    ) -> Result<ModelCheck> {
        let m = &self.bundle.manifest;
        let mut out = ModelCheck {
            predictions: None,
            performance: None,
            shap: None,
            notes: Vec::new(),
        };
        let names: Vec<String> = current
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let missing: Vec<&str> = m
            .inputs
            .iter()
            .filter(|f| !names.contains(&f.name))
            .map(|f| f.name.as_str())
            .collect();
        if !missing.is_empty() {
            out.notes.push(format!(
                "the predictions are not checked: the current data lacks the model's inputs {}",
                missing.join(", ")
            ));
            return Ok(out);
        }
        let features: Vec<(String, bool)> = m
            .inputs
            .iter()
            .map(|f| (f.name.clone(), f.kind == InputKind::Category))
            .collect();
        let raw = RawTable::from_frame(current, &features)?;
        let scored = match self.bundle.model.predict(&raw) {
            Ok(s) => s,
            Err(e) => {
                out.notes
                    .push(format!("the current rows cannot be scored: {}", e.message));
                return Ok(out);
            }
        };
        let fresh = crate::bundle::export::predictions_frame(&self.bundle.model, &scored)?;
        let reference = self.predictions.to_frame()?;
        // The predictions are compared as they are: no column of the spec applies.
        let pspec = DriftSpec {
            columns: Vec::new(),
            ignore: Vec::new(),
            per_column: Default::default(),
            ..spec.clone()
        };
        out.predictions = Some(compare(&reference, &fresh, &pspec, cancel)?);
        if names.contains(&m.target) {
            out.performance = self.performance(current, &scored)?;
        }
        match self.shap(&raw, cancel) {
            Ok(s) => out.shap = Some(s),
            Err(e) if e.kind == crate::error::ErrorKind::Cancelled => return Err(e),
            Err(e) => out
                .notes
                .push(format!("the SHAP change is not computed: {}", e.message)),
        }
        Ok(out)
    }

    /// Mean |SHAP| on the bundle's training sample (or, for bundles without
    /// one, the rows rebuilt from its profile) against `current`.
    fn shap(&self, current: &RawTable, cancel: &CancelToken) -> Result<ShapDrift> {
        let model = &self.bundle.model;
        let sample: Option<Vec<serde_json::Map<String, serde_json::Value>>> = self
            .bundle
            .manifest
            .reference
            .get("sample")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .filter(|rows: &Vec<_>| !rows.is_empty());
        let (reference, note) = match sample {
            Some(rows) => (shap::raw_of_rows(model, &rows), None),
            None => (
                shap::raw_of_frame(model, &self.profile.to_frame()?)?,
                Some(
                    "the bundle carries no training sample: the reference rows are rebuilt from its profile, one column at a time, so the reference mean |SHAP| ignores how columns vary together"
                        .to_owned(),
                ),
            ),
        };
        let mut s = shap::compare(model, &reference, current, cancel)?;
        s.notes.extend(note);
        Ok(s)
    }

    fn performance(&self, current: &DataFrame, scored: &Scored) -> Result<Option<Performance>> {
        let m = &self.bundle.manifest;
        // The metrics recorded at export on the hold-out rows with the labels
        // as served; bundles without them fall back to the run's numbers.
        let served = m.reference["metrics"].as_object().filter(|o| !o.is_empty());
        let rows_from = m.reference["prediction_rows"].as_str().unwrap_or("holdout");
        let (reference, from): (Lookup, String) = match (served, &m.holdout_metrics) {
            (Some(o), _) => (
                Box::new(move |k: &str| o.get(k).and_then(serde_json::Value::as_f64)),
                format!("{rows_from} rows, labels as served"),
            ),
            (None, Some(h)) => (
                Box::new(move |k: &str| h.get(k).copied()),
                "holdout".to_owned(),
            ),
            (None, None) => (
                Box::new(move |k: &str| m.metrics.get(k).map(|v| v.mean)),
                "cross-validation".to_owned(),
            ),
        };
        let pairs = |scores: Vec<(&'static str, f64)>| -> Vec<MetricPair> {
            scores
                .into_iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(k, v)| MetricPair {
                    metric: k.to_owned(),
                    fresh: v,
                    reference: reference(k),
                })
                .collect()
        };
        Ok(match (m.task, scored) {
            (Task::Classification, Scored::Classes { labels, proba }) => {
                let (codes, values) = category_column(current, &m.target)?;
                let k = m.classes.len();
                let mut truth = Vec::new();
                let mut pred = Vec::new();
                let mut p = Vec::new();
                for (i, &c) in codes.iter().enumerate() {
                    let class = values
                        .get(c as usize)
                        .and_then(|v| m.classes.iter().position(|x| x == v));
                    if let Some(t) = class {
                        truth.push(t);
                        pred.push(labels[i]);
                        if let Some(pr) = proba {
                            p.extend_from_slice(&pr[i * k..(i + 1) * k]);
                        }
                    }
                }
                if truth.is_empty() {
                    return Ok(None);
                }
                let scores = metrics::classification_scores(
                    &truth,
                    &pred,
                    proba.as_ref().map(|_| p.as_slice()),
                    k,
                );
                Some(Performance {
                    target: m.target.clone(),
                    rows: truth.len(),
                    skipped: codes.len() - truth.len(),
                    reference_from: from.clone(),
                    metrics: pairs(scores),
                })
            }
            (Task::Regression, Scored::Values(v)) => {
                let y = numeric_column(current, &m.target)?;
                let (t, p): (Vec<f64>, Vec<f64>) = y
                    .iter()
                    .zip(v)
                    .filter(|(a, _)| a.is_finite())
                    .map(|(a, b)| (*a, *b))
                    .unzip();
                if t.is_empty() {
                    return Ok(None);
                }
                Some(Performance {
                    target: m.target.clone(),
                    rows: t.len(),
                    skipped: y.len() - t.len(),
                    reference_from: from.clone(),
                    metrics: pairs(metrics::regression_scores(&t, &p)),
                })
            }
            _ => None,
        })
    }
}
