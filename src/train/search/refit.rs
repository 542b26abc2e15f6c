//! The end of a search: the best finished configuration of each algorithm refitted on all
//! training rows, scored on the hold-out, given permutation importances, and its model stored.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use sha2::{Digest, Sha256};

use super::fold::{fit_eval, metric_of, refit_seed, score};
use super::{SearchContext, SearchEvent, SearchObserver};
use crate::error::{Error, Result};
use crate::jobs::panic_message;
use crate::train::algorithms::Model;
use crate::train::explain::Background;
use crate::train::features::{FittedPipeline, RawTable};
use crate::train::metrics;
use crate::train::model::{FittedModel, MODEL_FORMAT_VERSION};
use crate::train::record::{RunRecord, RunStatus};
use crate::train::spec::{Config, Prepared};

/// Refit the best finished configuration of each algorithm on all training rows, in parallel
/// on the search's pool. A failed refit leaves the cross-validated run, with the reason.
pub(super) fn refit_best(
    prep: &Prepared,
    ctx: &SearchContext,
    observer: &dyn SearchObserver,
    pool: &rayon::ThreadPool,
    runs: &mut [RunRecord],
) -> Result<()> {
    let best = best_per_algorithm(prep, runs);
    let refits: Vec<(usize, Result<RunRecord>)> = pool.install(|| {
        use rayon::prelude::*;
        best.par_iter()
            .map(|&c| {
                observer.event(SearchEvent::Refitting { config: c });
                let r = catch_unwind(AssertUnwindSafe(|| refit(prep, ctx, &runs[c], c)))
                    .unwrap_or_else(|p| {
                        Err(Error::internal(format!(
                            "refit crashed: {}",
                            panic_message(&*p)
                        )))
                    });
                (c, r)
            })
            .collect()
    });
    for (c, r) in refits {
        match r {
            Ok(rec) => {
                observer.event(SearchEvent::Refitted {
                    config: c,
                    record: Box::new(rec.clone()),
                });
                runs[c] = rec;
            }
            Err(e) => {
                tracing::warn!("refit of run {} failed: {}", runs[c].run_id, e.message);
                runs[c].reason = Some(format!("refit on all training rows failed: {}", e.message));
                if let Some(store) = &ctx.store {
                    store.update_run(&runs[c], None)?;
                }
            }
        }
    }
    Ok(())
}

/// Index (in `runs`, which is in configuration order) of the best finished
/// run of each algorithm, by the optimised metric.
fn best_per_algorithm(prep: &Prepared, runs: &[RunRecord]) -> Vec<usize> {
    let greater = metrics::greater_is_better(&prep.metric);
    let mut best: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        if r.status != RunStatus::Finished {
            continue;
        }
        let Some(v) = r.mean(&prep.metric).filter(|v| !v.is_nan()) else {
            continue;
        };
        let better = |old: f64| if greater { v > old } else { v < old };
        match best.get(r.algorithm.as_str()) {
            Some(&(_, old)) if !better(old) => {}
            _ => {
                best.insert(&r.algorithm, (i, v));
            }
        }
    }
    best.values().map(|&(i, _)| i).collect()
}

/// Refit configuration `c` on all training rows; score it on the hold-out;
/// compute permutation importance; store the model.
fn refit(prep: &Prepared, ctx: &SearchContext, run: &RunRecord, c: usize) -> Result<RunRecord> {
    let cfg = &prep.configs[c];
    let threshold = run.threshold.as_ref().map(|t| t.value);
    let (bytes, holdout, importance) = fit_final(prep, cfg, threshold)?;
    let mut rec = run.clone();
    rec.holdout_metrics = holdout;
    rec.importance = importance;
    rec.has_model = true;
    rec.model_sha256 = Some(hex::encode(Sha256::digest(&bytes)));
    rec.model_bytes = Some(bytes.len() as u64);
    if let Some(store) = &ctx.store {
        store.update_run(&rec, Some(&bytes))?;
    }
    Ok(rec)
}

/// The deterministic final fit of a configuration: the model file's bytes,
/// hold-out metrics and permutation importances.
#[allow(clippy::type_complexity)]
pub fn fit_final(
    prep: &Prepared,
    cfg: &Config,
    threshold: Option<f64>,
) -> Result<(Vec<u8>, Option<BTreeMap<String, f64>>, Vec<(String, f64)>)> {
    let raw: &RawTable = &prep.raw;
    let seed = refit_seed(prep.spec.validation.seed, cfg);
    let holdout = &prep.split.holdout;
    let (pipeline, model, result) = fit_eval(prep, raw, cfg, &prep.split.train, holdout, seed)?;
    let holdout_metrics = (!holdout.is_empty()).then(|| {
        result
            .scores
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(n, v)| ((*n).to_owned(), *v))
            .collect()
    });
    let importance = if holdout.is_empty() {
        Vec::new()
    } else {
        permutation_importance(prep, &pipeline, &model, holdout, seed)?
    };
    let background = Background::fit(&pipeline, raw, &prep.split.train, seed)?;
    let file = FittedModel {
        format_version: MODEL_FORMAT_VERSION,
        algorithm: cfg.algorithm.id.to_owned(),
        task: prep.task,
        target: prep.target.clone(),
        classes: prep.target_data.classes().to_vec(),
        pipeline,
        model,
        threshold,
        background: Some(background),
    };
    let bytes = crate::train::model::canonical_json(&file)?;
    Ok((bytes, holdout_metrics, importance))
}

/// Drop of the optimised metric when one input column's values are shuffled
/// (mean of 3 shuffles, on at most 2,000 hold-out rows).
fn permutation_importance(
    prep: &Prepared,
    pipeline: &FittedPipeline,
    model: &Model,
    rows: &[usize],
    seed: u64,
) -> Result<Vec<(String, f64)>> {
    const MAX_ROWS: usize = 2000;
    const REPEATS: usize = 3;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x1A7E);
    let mut sample = rows.to_vec();
    if sample.len() > MAX_ROWS {
        sample.shuffle(&mut rng);
        sample.truncate(MAX_ROWS);
        sample.sort_unstable();
    }
    let small = prep.raw.subset(&sample);
    let local: Vec<usize> = (0..sample.len()).collect();
    let k = prep.target_data.n_classes();
    let eval = |table: &RawTable| -> Result<f64> {
        let x = pipeline.transform(table, &local)?;
        let pred = model.predict(&x, k)?;
        Ok(metric_of(&score(prep, &pred, &sample).scores, &prep.metric))
    };
    let base = eval(&small)?;
    let sign = if metrics::greater_is_better(&prep.metric) {
        1.0
    } else {
        -1.0
    };
    let mut out = Vec::with_capacity(small.features.len());
    for (j, f) in small.features.iter().enumerate() {
        let mut total = 0.0;
        for _ in 0..REPEATS {
            let mut order = local.clone();
            order.shuffle(&mut rng);
            total += base - eval(&small.with_permuted(j, &local, &order))?;
        }
        let v = sign * total / REPEATS as f64;
        out.push((f.name.clone(), if v.is_finite() { v } else { 0.0 }));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(out)
}
