//! A configuration's fold results summarised as its run record: status and reason, metrics
//! over the folds, the summed confusion matrix, thinned ROC and precision-recall curves, the
//! decision threshold, regression residuals, timing and lineage.

use std::collections::BTreeMap;

use super::SearchContext;
use super::fold::{ConfigState, FoldResult, JobState, metric_of};
use crate::train::metrics::{self, Curve};
use crate::train::record::{
    Lineage, MetricSummary, RUN_FORMAT_VERSION, Residuals, RunRecord, RunStatus, Threshold, Timing,
    now_rfc3339,
};
use crate::train::spec::{Prepared, TargetData};

pub(super) fn build_record(
    prep: &Prepared,
    ctx: &SearchContext,
    study_id: &str,
    run_id: &str,
    c: usize,
    st: &ConfigState,
) -> RunRecord {
    let cfg = &prep.configs[c];
    let done: Vec<&FoldResult> = st
        .jobs
        .iter()
        .filter_map(|j| match j {
            JobState::Done(r) => Some(r),
            _ => None,
        })
        .collect();
    let failure = st.jobs.iter().find_map(|j| match j {
        JobState::Failed(why) => Some(why.clone()),
        _ => None,
    });
    let skipped = st.jobs.iter().find_map(|j| match j {
        JobState::Skipped(why) => Some(why.clone()),
        _ => None,
    });
    let (status, reason) = match (failure, skipped) {
        (Some(why), _) => (RunStatus::Failed, Some(why)),
        (None, Some(why)) => (RunStatus::Cancelled, Some(why)),
        (None, None) => (RunStatus::Finished, None),
    };
    let mut metrics_map = BTreeMap::new();
    if let Some(first) = done.first() {
        for (name, _) in &first.scores {
            let folds: Vec<f64> = done.iter().map(|r| metric_of(&r.scores, name)).collect();
            metrics_map.insert((*name).to_owned(), MetricSummary::of(folds));
        }
    }
    let confusion =
        done.iter()
            .filter_map(|r| r.confusion.as_ref())
            .fold(None::<Vec<Vec<u64>>>, |acc, m| match acc {
                None => Some(m.clone()),
                Some(mut a) => {
                    for (ra, rm) in a.iter_mut().zip(m) {
                        for (x, y) in ra.iter_mut().zip(rm) {
                            *x += y;
                        }
                    }
                    Some(a)
                }
            });
    // Validation scores of every fold together: curves and the decision threshold.
    let (mut roc, mut pr, mut threshold) = (None, None, None);
    if let (TargetData::Classes { y, .. }, true) = (
        &prep.target_data,
        !done.is_empty() && done.iter().all(|r| r.p1.is_some()),
    ) {
        let mut truth = Vec::new();
        let mut score = Vec::new();
        for r in &done {
            truth.extend(r.valid_rows.iter().map(|&i| y[i] == 1));
            score.extend_from_slice(r.p1.as_deref().unwrap_or_default());
        }
        roc = Some(thin(metrics::roc_curve(&truth, &score)));
        pr = Some(thin(metrics::precision_recall_curve(&truth, &score)));
        if let Some(m) = &prep.threshold_metric
            && let Some((value, s)) = metrics::best_threshold(&truth, &score, m)
        {
            threshold = Some(Threshold {
                metric: m.clone(),
                value,
                score: s,
            });
        }
    }
    let residuals = match &prep.target_data {
        TargetData::Values(v) if !done.is_empty() && done.iter().all(|r| r.p1.is_some()) => {
            let mut predicted = Vec::new();
            let mut residual = Vec::new();
            for r in &done {
                for (&i, &p) in r.valid_rows.iter().zip(r.p1.as_deref().unwrap_or_default()) {
                    predicted.push(p);
                    residual.push(v[i] - p);
                }
            }
            Some(Residuals::thinned(predicted, residual, 400))
        }
        _ => None,
    };
    let n = done.len().max(1) as f64;
    RunRecord {
        format_version: RUN_FORMAT_VERSION,
        run_id: run_id.to_owned(),
        study_id: study_id.to_owned(),
        algorithm: cfg.algorithm.id.to_owned(),
        engine: cfg.algorithm.engine.to_owned(),
        engine_version: engine_version(cfg.algorithm.engine, &ctx.lineage),
        task: prep.task,
        target: prep.target.clone(),
        classes: prep.target_data.classes().to_vec(),
        params: cfg.params.clone(),
        status,
        reason,
        metric: prep.metric.clone(),
        metrics: metrics_map,
        holdout_metrics: None,
        confusion_matrix: confusion,
        threshold,
        roc,
        pr,
        residuals,
        importance: Vec::new(),
        timing: Timing {
            fit_s: done.iter().map(|r| r.fit_s).sum::<f64>() / n,
            predict_s: done.iter().map(|r| r.predict_s).sum::<f64>() / n,
            total_s: done.iter().map(|r| r.fit_s + r.predict_s).sum(),
        },
        has_model: false,
        model_sha256: None,
        model_bytes: None,
        started: st.started.clone().unwrap_or_else(now_rfc3339),
        finished: now_rfc3339(),
        spec: prep.spec.clone(),
        lineage: Lineage {
            seed: prep.spec.validation.seed,
            ..ctx.lineage.clone()
        },
    }
}

fn engine_version(engine: &str, lineage: &Lineage) -> String {
    let krate = if engine.starts_with("linfa") {
        "linfa"
    } else {
        engine
    };
    lineage.engines.get(krate).cloned().unwrap_or_default()
}

/// At most ~200 points of a curve (first and last kept), with finite thresholds for JSON.
fn thin(c: Curve) -> Curve {
    let n = c.x.len();
    let step = n.div_ceil(200).max(1);
    let keep: Vec<usize> = (0..n).filter(|i| i % step == 0 || *i + 1 == n).collect();
    let pick = |v: &[f64]| -> Vec<f64> { keep.iter().filter_map(|&i| v.get(i).copied()).collect() };
    let thresholds = keep
        .iter()
        .filter_map(|&i| c.thresholds.get(i).copied())
        .map(|t| if t.is_finite() { t } else { f64::MAX })
        .collect();
    Curve {
        x: pick(&c.x),
        y: pick(&c.y),
        thresholds,
    }
}
