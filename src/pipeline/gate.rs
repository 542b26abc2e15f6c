//! The gate step: may the candidate replace the champion?
//!
//! Two kinds of check, in the spirit of MLflow's validation thresholds:
//! absolute ones (the candidate's cross-validated mean must reach
//! `min`/`max`), and a comparison with the current `champion`. For a fair,
//! paired comparison the champion's configuration is cross-validated again
//! on the candidate's data and folds (same rows, same split, same seed), and
//! the candidate must beat it by at least `margin`, significantly: the
//! corrected resampled t-test of the experiments step, one-sided, at `alpha`.
//! A candidate with the champion's own configuration is a retrain on new
//! data; it cannot beat itself, so the comparison is skipped for it and said so.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::experiments::RunRecord;
use crate::experiments::significance::corrected_resampled_t;
use crate::jobs::CancelToken;
use crate::pipeline::spec::ValidPipeline;
use crate::train::metrics::greater_is_better;
use crate::train::search::{self, SearchContext};
use crate::train::spec::{AlgorithmSpec, GridValues, Prepared, SearchKind};

/// One check of the gate.
#[derive(Debug, Clone, Serialize)]
pub struct GateCheck {
    /// e.g. `f1_macro >= 0.8`, `beats champion on f1_macro`.
    pub check: String,
    pub passed: bool,
    pub detail: String,
}

/// The comparison with the champion.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub champion: String,
    pub metric: String,
    pub candidate_mean: f64,
    pub champion_mean: f64,
    pub margin: f64,
    pub alpha: f64,
    /// One-sided p-value that the candidate beats the champion by the margin.
    pub p: Option<f64>,
    pub same_configuration: bool,
}

/// The gate's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub passed: bool,
    pub candidate: String,
    pub checks: Vec<GateCheck>,
    pub comparison: Option<Comparison>,
}

/// The search's best run with a stored model, by the study's metric.
pub fn candidate<'a>(runs: &'a [RunRecord], metric: &str) -> Option<&'a RunRecord> {
    let greater = greater_is_better(metric);
    runs.iter()
        .filter(|r| r.has_model)
        .filter_map(|r| r.mean(metric).filter(|m| m.is_finite()).map(|m| (r, m)))
        .max_by(|a, b| {
            let o = a.1.total_cmp(&b.1);
            if greater { o } else { o.reverse() }
        })
        .map(|(r, _)| r)
}

/// Judge `cand` (trained on `prep`) against the thresholds and `champion`.
pub fn evaluate(
    p: &ValidPipeline,
    prep: &Prepared,
    cand: &RunRecord,
    champion: Option<&RunRecord>,
    cancel: &CancelToken,
) -> Result<GateReport> {
    let mut checks = Vec::new();
    let thresholds = p
        .spec
        .gate
        .min
        .iter()
        .map(|(k, v)| (k, *v.get_ref(), true))
        .chain(
            p.spec
                .gate
                .max
                .iter()
                .map(|(k, v)| (k, *v.get_ref(), false)),
        );
    for (name, limit, is_min) in thresholds {
        let got = cand.mean(name).unwrap_or(f64::NAN);
        let passed = if is_min { got >= limit } else { got <= limit };
        checks.push(GateCheck {
            check: format!("{name} {} {limit}", if is_min { ">=" } else { "<=" }),
            passed,
            detail: format!("{name} = {got:.4}"),
        });
    }
    let mut report = GateReport {
        passed: checks.iter().all(|c| c.passed),
        candidate: cand.run_id.clone(),
        checks,
        comparison: None,
    };
    let Some(champ) = champion else {
        report.checks.push(GateCheck {
            check: "beats the champion".into(),
            passed: true,
            detail: "no champion yet: the first model that passes becomes it".into(),
        });
        return Ok(report);
    };
    if !report.passed {
        // The candidate already failed; cross-validating the champion again would be wasted work.
        return Ok(report);
    }
    let metric = p.gate_metric.clone();
    let same = champ.algorithm == cand.algorithm
        && champ.params == cand.params
        && champ.spec.preprocess == cand.spec.preprocess
        && champ.spec.features == cand.spec.features
        && champ.target == cand.target;
    let cand_folds = cand
        .metrics
        .get(&metric)
        .map(|m| m.folds.clone())
        .unwrap_or_default();
    let margin = *p.spec.gate.margin.get_ref();
    let alpha = *p.spec.gate.alpha.get_ref();
    let mut cmp = Comparison {
        champion: champ.run_id.clone(),
        metric: metric.clone(),
        candidate_mean: cand.mean(&metric).unwrap_or(f64::NAN),
        champion_mean: f64::NAN,
        margin,
        alpha,
        p: None,
        same_configuration: same,
    };
    let check = if same {
        cmp.champion_mean = cmp.candidate_mean;
        GateCheck {
            check: "beats the champion".into(),
            passed: true,
            detail: format!(
                "same configuration as champion {} ({}): retrained on the new data",
                short(&champ.run_id),
                champ.algorithm
            ),
        }
    } else {
        match champion_folds(prep, champ, cand, &metric, cancel) {
            Err(e) if e.kind == crate::error::ErrorKind::Cancelled => return Err(e),
            Err(e) => GateCheck {
                check: "beats the champion".into(),
                passed: false,
                detail: format!(
                    "champion {} cannot be cross-validated on the new data: {}",
                    short(&champ.run_id),
                    e.message
                ),
            },
            Ok(champ_folds) => {
                let sign = if greater_is_better(&metric) {
                    1.0
                } else {
                    -1.0
                };
                let a: Vec<f64> = cand_folds.iter().map(|x| sign * x - margin).collect();
                let b: Vec<f64> = champ_folds.iter().map(|x| sign * x).collect();
                cmp.champion_mean = mean(&champ_folds);
                let ratio = test_train_ratio(prep);
                let t = corrected_resampled_t(&a, &b, ratio);
                let p_one = t.map(|t| {
                    if t.mean_diff > 0.0 {
                        t.p / 2.0
                    } else {
                        1.0 - t.p / 2.0
                    }
                });
                cmp.p = p_one;
                let better = t.is_some_and(|t| t.mean_diff > 0.0);
                let passed = better && p_one.is_some_and(|p| p < alpha);
                GateCheck {
                    check: format!("beats the champion on {metric} by {margin}, p < {alpha}"),
                    passed,
                    detail: format!(
                        "candidate {:.4}, champion {} {:.4} on the same folds; one-sided p = {}",
                        cmp.candidate_mean,
                        short(&champ.run_id),
                        cmp.champion_mean,
                        p_one.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.4}"))
                    ),
                }
            }
        }
    };
    report.passed &= check.passed;
    report.checks.push(check);
    report.comparison = Some(cmp);
    Ok(report)
}

/// The champion's configuration cross-validated on `prep`'s rows and folds.
fn champion_folds(
    prep: &Prepared,
    champ: &RunRecord,
    cand: &RunRecord,
    metric: &str,
    cancel: &CancelToken,
) -> Result<Vec<f64>> {
    if champ.task != cand.task || champ.target != cand.target {
        return Err(Error::usage(format!(
            "it predicts '{}' ({}), the candidate '{}' ({})",
            champ.target, champ.task, cand.target, cand.task
        )));
    }
    let mut spec = champ.spec.clone();
    spec.data = None;
    spec.algorithms = vec![AlgorithmSpec {
        id: champ.algorithm.clone(),
        grid: champ
            .params
            .iter()
            .map(|(k, v)| (k.clone(), GridValues::One(v.clone())))
            .collect(),
    }];
    spec.search.kind = SearchKind::Grid;
    spec.validation = prep.spec.validation.clone();
    spec.metric = prep.spec.metric.clone();
    spec.jobs = prep.spec.jobs;
    spec.time_budget_s = None;
    let again = crate::train::spec::prepare(&spec, prep.frame.clone(), &prep.data_path)?;
    let same_folds = again.split.folds.len() == prep.split.folds.len()
        && again
            .split
            .folds
            .iter()
            .zip(&prep.split.folds)
            .all(|(a, b)| a.valid == b.valid);
    if !same_folds {
        return Err(Error::internal("its folds differ from the candidate's"));
    }
    let ctx = SearchContext {
        store: None,
        lineage: cand.lineage.clone(),
        refit: false,
    };
    let out = search::run(&again, &ctx, &search::Quiet, cancel)?;
    let run = out
        .runs
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("no run"))?;
    let folds = run
        .metrics
        .get(metric)
        .map(|m| m.folds.clone())
        .ok_or_else(|| {
            Error::input(format!(
                "it did not finish: {}",
                run.reason.unwrap_or_default()
            ))
        })?;
    Ok(folds)
}

fn test_train_ratio(prep: &Prepared) -> f64 {
    prep.split
        .folds
        .first()
        .map_or(0.25, |f| f.valid.len() as f64 / f.train.len().max(1) as f64)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
