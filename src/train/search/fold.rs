//! One job: a configuration fitted on a fold's training rows and scored on its validation rows,
//! with the seed it gets from the study seed, the configuration and the fold (never from the
//! thread); the states a configuration's fold jobs go through.

use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::train::algorithms::{self, Model, Predictions, TargetRef};
use crate::train::features::{FittedPipeline, RawTable};
use crate::train::metrics;
use crate::train::spec::{Config, Prepared, TargetData};

/// One fold's evaluation of one configuration.
#[derive(Debug, Clone)]
pub(super) struct FoldResult {
    pub(super) scores: Vec<(&'static str, f64)>,
    pub(super) confusion: Option<Vec<Vec<u64>>>,
    /// Validation rows and the positive class's probability (binary with
    /// probabilities) or the predicted value (regression).
    pub(super) valid_rows: Vec<usize>,
    pub(super) p1: Option<Vec<f64>>,
    pub(super) fit_s: f64,
    pub(super) predict_s: f64,
}

pub(super) enum JobState {
    Pending,
    Done(FoldResult),
    Failed(String),
    Skipped(String),
}

pub(super) struct ConfigState {
    pub(super) jobs: Vec<JobState>,
    pub(super) started: Option<String>,
    pub(super) failed: bool,
}

/// Seed of a job: the study seed, the configuration's identity and the fold.
pub fn job_seed(seed: u64, config: &Config, fold: usize) -> u64 {
    let identity = format!(
        "{}|{}",
        config.algorithm.id,
        serde_json::to_string(&config.params).unwrap_or_default()
    );
    let h = Sha256::digest(identity.as_bytes());
    let mut x = seed ^ u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8]));
    x ^= (fold as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Seed of the refit on all training rows.
pub fn refit_seed(seed: u64, config: &Config) -> u64 {
    job_seed(seed, config, usize::MAX - 1)
}

fn target_ref<'a>(t: &'a TargetData, buf: &'a mut TargetBuf, rows: &[usize]) -> TargetRef<'a> {
    match t {
        TargetData::Classes { y, classes } => {
            buf.classes = rows.iter().map(|&r| y[r]).collect();
            TargetRef::Classes(&buf.classes, classes.len())
        }
        TargetData::Values(v) => {
            buf.values = rows.iter().map(|&r| v[r]).collect();
            TargetRef::Values(&buf.values)
        }
    }
}

#[derive(Default)]
struct TargetBuf {
    classes: Vec<usize>,
    values: Vec<f64>,
}

/// Fit `config` on `train` rows, and score it on `eval` rows.
pub(super) fn fit_eval(
    prep: &Prepared,
    raw: &RawTable,
    config: &Config,
    train: &[usize],
    eval: &[usize],
    seed: u64,
) -> Result<(FittedPipeline, Model, FoldResult)> {
    let full_rank = config.algorithm.id == "linear_regression";
    let pipeline = FittedPipeline::fit(raw, train, &prep.spec.preprocess, full_rank)?;
    let x = pipeline.transform(raw, train)?;
    let mut buf = TargetBuf::default();
    let y = target_ref(&prep.target_data, &mut buf, train);
    let t0 = Instant::now();
    let model = algorithms::fit(config.algorithm, &config.params, &x, y, seed)?;
    let fit_s = t0.elapsed().as_secs_f64();
    drop(x);
    let result = if eval.is_empty() {
        FoldResult {
            scores: Vec::new(),
            confusion: None,
            valid_rows: Vec::new(),
            p1: None,
            fit_s,
            predict_s: 0.0,
        }
    } else {
        let xv = pipeline.transform(raw, eval)?;
        let t1 = Instant::now();
        let pred = model.predict(&xv, prep.target_data.n_classes())?;
        let predict_s = t1.elapsed().as_secs_f64();
        let mut r = score(prep, &pred, eval);
        r.fit_s = fit_s;
        r.predict_s = predict_s;
        r
    };
    Ok((pipeline, model, result))
}

/// Time and scores of one fit on `train` rows scored on `eval` rows (for benchmarks).
#[derive(Debug, Clone)]
pub struct FitScore {
    pub fit_s: f64,
    pub predict_s: f64,
    pub scores: Vec<(&'static str, f64)>,
}

/// Fit `config` on rows `train` and score it on rows `eval`, as one job of a search does.
pub fn fit_and_score(
    prep: &Prepared,
    config: &Config,
    train: &[usize],
    eval: &[usize],
) -> Result<FitScore> {
    let seed = job_seed(prep.spec.validation.seed, config, 0);
    let (_, _, r) = fit_eval(prep, &prep.raw, config, train, eval, seed)?;
    Ok(FitScore {
        fit_s: r.fit_s,
        predict_s: r.predict_s,
        scores: r.scores,
    })
}

pub(super) fn score(prep: &Prepared, pred: &Predictions, rows: &[usize]) -> FoldResult {
    let mut r = FoldResult {
        scores: Vec::new(),
        confusion: None,
        valid_rows: rows.to_vec(),
        p1: None,
        fit_s: 0.0,
        predict_s: 0.0,
    };
    match (&prep.target_data, pred) {
        (TargetData::Classes { y, classes }, Predictions::Classes { labels, proba }) => {
            let truth: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
            let k = classes.len();
            r.scores = metrics::classification_scores(&truth, labels, proba.as_deref(), k);
            r.confusion = Some(metrics::confusion_matrix(&truth, labels, k));
            if k == 2 {
                r.p1 = proba
                    .as_ref()
                    .map(|p| (0..labels.len()).map(|i| p[i * 2 + 1]).collect());
            }
        }
        (TargetData::Values(v), Predictions::Values(pred)) => {
            let truth: Vec<f64> = rows.iter().map(|&i| v[i]).collect();
            r.scores = metrics::regression_scores(&truth, pred);
            r.p1 = Some(pred.clone());
        }
        _ => {}
    }
    r
}

pub(super) fn metric_of(scores: &[(&'static str, f64)], name: &str) -> f64 {
    scores
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(f64::NAN, |(_, v)| *v)
}
