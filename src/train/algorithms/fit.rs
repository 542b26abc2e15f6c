//! `fit`: one entry point that dispatches an algorithm id and a target to linfa or to lathe's own
//! engines (`hist`, `knn`), with the class weights and the kernel-memory guard they share.

use std::fmt;

use linfa::prelude::*;
use ndarray::ArrayView1;

use super::info::AlgorithmInfo;
use super::params::{ParamValue, Params};
use super::predict::Model;
use crate::error::{Error, Result};
use crate::train::hist::Target;
use crate::train::knn::KnnTarget;
use crate::train::learners;
use crate::train::logistic;
use crate::train::matrix::Matrix;

/// The target a model is fitted to.
#[derive(Debug, Clone, Copy)]
pub enum TargetRef<'a> {
    /// Class indices 0..n_classes.
    Classes(&'a [usize], usize),
    Values(&'a [f64]),
}

fn fail(engine: &str, e: impl fmt::Display) -> Error {
    Error::input(format!("{engine}: {e}"))
}

pub(crate) fn get_f(p: &Params, k: &str) -> f64 {
    p.get(k).and_then(ParamValue::as_f64).unwrap_or(f64::NAN)
}

pub(crate) fn get_i(p: &Params, k: &str) -> usize {
    get_f(p, k).max(0.0) as usize
}

pub(crate) fn get_s<'a>(p: &'a Params, k: &str) -> &'a str {
    match p.get(k) {
        Some(ParamValue::Text(s)) => s,
        _ => "",
    }
}

/// Per-row weights making every class weigh the same in total, or None when
/// `class_weight` says not to weight.
pub fn class_weights(params: &Params, y: &[usize], n_classes: usize) -> Option<Vec<f64>> {
    let mut counts = vec![0usize; n_classes];
    for &c in y {
        counts[c] += 1;
    }
    let n = y.len() as f64;
    let rarest = counts.iter().copied().filter(|&c| c > 0).min().unwrap_or(0) as f64;
    let on = match get_s(params, "class_weight") {
        "balanced" => true,
        "auto" => rarest < 0.3 * n,
        _ => false,
    };
    if !on {
        return None;
    }
    // scikit-learn's "balanced": n / (k * count[c]).
    let k = counts.iter().filter(|&&c| c > 0).count() as f64;
    let w: Vec<f64> = counts
        .iter()
        .map(|&c| if c > 0 { n / (k * c as f64) } else { 0.0 })
        .collect();
    Some(y.iter().map(|&c| w[c]).collect())
}

/// Memory an n×n dense kernel matrix needs, refused above this.
const KERNEL_MEMORY_LIMIT: u64 = 2 << 30;

fn check_kernel_memory(rows: usize) -> Result<()> {
    let need = (rows as u64).saturating_mul(rows as u64).saturating_mul(8);
    if need > KERNEL_MEMORY_LIMIT {
        return Err(Error::usage(format!(
            "svm needs a dense {rows}×{rows} kernel matrix ({}), more than the {} lathe allows",
            crate::util::human_bytes(need),
            crate::util::human_bytes(KERNEL_MEMORY_LIMIT)
        ))
        .hint("train svm on a sample of at most ~16,000 rows, or leave it out of the search"));
    }
    Ok(())
}

/// Fit `info` with `params` (already resolved) on `x`, `y`.
pub fn fit(
    info: &AlgorithmInfo,
    params: &Params,
    x: &Matrix,
    y: TargetRef<'_>,
    seed: u64,
) -> Result<Model> {
    let xv = x.view()?;
    match (info.id, y) {
        ("logistic_regression", TargetRef::Classes(y, k)) => {
            let settings = logistic::Settings {
                c: get_f(params, "c"),
                max_iter: get_i(params, "max_iterations"),
                tol: get_f(params, "tolerance"),
            };
            Ok(Model::Logistic(logistic::Logistic::fit(x, y, k, settings)))
        }
        ("decision_tree", TargetRef::Classes(y, k)) => Ok(Model::DecisionTree(learners::tree(
            params,
            x,
            Target::Classes(y, k),
            seed,
        )?)),
        ("random_forest", TargetRef::Classes(y, k)) => Ok(Model::RandomForest(learners::forest(
            params,
            x,
            Target::Classes(y, k),
            seed,
        )?)),
        ("knn", TargetRef::Classes(y, k)) => Ok(Model::Knn(learners::knn(
            params,
            x,
            KnnTarget::Classes {
                y: y.to_vec(),
                n_classes: k,
            },
        )?)),
        ("gaussian_nb", TargetRef::Classes(y, _)) => {
            let ds = DatasetBase::new(xv, ArrayView1::from(y));
            let m = linfa_bayes::GaussianNb::params()
                .var_smoothing(get_f(params, "var_smoothing"))
                .fit(&ds)
                .map_err(|e| fail(info.engine, e))?;
            Ok(Model::GaussianNb(m))
        }
        ("svm", TargetRef::Classes(y, k)) => {
            check_kernel_memory(x.rows)?;
            let c = get_f(params, "c");
            let (c_pos, c_neg) = match class_weights(params, y, k) {
                Some(_) => {
                    let pos = y.iter().filter(|&&c| c == 1).count().max(1) as f64;
                    let n = y.len() as f64;
                    (c * n / (2.0 * pos), c * n / (2.0 * (n - pos).max(1.0)))
                }
                None => (c, c),
            };
            let yb: Vec<bool> = y.iter().map(|&c| c == 1).collect();
            let ds = DatasetBase::new(xv, ArrayView1::from(&yb[..]));
            let p = svm_kernel(
                linfa_svm::Svm::<f64, linfa::dataset::Pr>::params(),
                params,
                x,
            )
            .pos_neg_weights(c_pos, c_neg);
            let m = p.fit(&ds).map_err(|e| fail(info.engine, e))?;
            Ok(Model::Svc(m))
        }
        ("gradient_boosting", TargetRef::Classes(y, k)) => {
            let w = class_weights(params, y, k);
            Ok(Model::Boost(learners::boost(
                params,
                x,
                Target::Classes(y, k),
                w.as_deref(),
                seed,
            )?))
        }
        ("linear_regression", TargetRef::Values(y)) => {
            let ds = DatasetBase::new(xv, ArrayView1::from(y));
            let m = linfa_linear::LinearRegression::new()
                .fit(&ds)
                .map_err(|e| fail(info.engine, e))?;
            Ok(Model::Linear(m))
        }
        ("ridge" | "lasso" | "elastic_net", TargetRef::Values(y)) => {
            let l1 = match info.id {
                "ridge" => 0.0,
                "lasso" => 1.0,
                _ => get_f(params, "l1_ratio"),
            };
            let ds = DatasetBase::new(xv, ArrayView1::from(y));
            let m = linfa_elasticnet::ElasticNet::params()
                .penalty(get_f(params, "alpha"))
                .l1_ratio(l1)
                .fit(&ds)
                .map_err(|e| fail(info.engine, e))?;
            Ok(Model::ElasticNet(m))
        }
        ("decision_tree", TargetRef::Values(y)) => Ok(Model::TreeRegressor(learners::tree(
            params,
            x,
            Target::Values(y),
            seed,
        )?)),
        ("random_forest", TargetRef::Values(y)) => Ok(Model::ForestRegressor(learners::forest(
            params,
            x,
            Target::Values(y),
            seed,
        )?)),
        ("knn", TargetRef::Values(y)) => Ok(Model::KnnRegressor(learners::knn(
            params,
            x,
            KnnTarget::Values(y.to_vec()),
        )?)),
        ("svm", TargetRef::Values(y)) => {
            check_kernel_memory(x.rows)?;
            let ds = DatasetBase::new(xv, ArrayView1::from(y));
            let p = svm_kernel(linfa_svm::Svm::<f64, f64>::params(), params, x)
                .c_svr(get_f(params, "c"), Some(get_f(params, "epsilon")));
            let m = p.fit(&ds).map_err(|e| fail(info.engine, e))?;
            Ok(Model::Svr(m))
        }
        ("gradient_boosting", TargetRef::Values(y)) => Ok(Model::BoostRegressor(learners::boost(
            params,
            x,
            Target::Values(y),
            None,
            seed,
        )?)),
        (id, _) => Err(Error::internal(format!(
            "algorithm '{id}' cannot fit a {} target",
            info.task
        ))),
    }
}

fn svm_kernel<T>(
    p: linfa_svm::SvmParams<f64, T>,
    params: &Params,
    x: &Matrix,
) -> linfa_svm::SvmParams<f64, T> {
    if get_s(params, "kernel") == "linear" {
        p.linear_kernel()
    } else {
        let w = get_f(params, "kernel_width");
        p.gaussian_kernel(if w > 0.0 { w } else { x.cols.max(1) as f64 })
    }
}
