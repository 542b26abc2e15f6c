//! From a catalogue entry's hyperparameters to lathe's own engines: the
//! histogram decision tree, random forest and gradient boosting
//! ([`crate::train::hist`]) and the blocked k-NN ([`crate::train::knn`]).
//! Settings that the catalogue does not expose follow scikit-learn's
//! defaults for the same model, so that the two can be compared as they are.

use crate::error::Result;
use crate::train::algorithms::{Params, get_f, get_i, get_s};
use crate::train::hist::Target;
use crate::train::hist::boost::{self, BoostParams, Booster};
use crate::train::hist::forest::{self, Forest, ForestParams};
use crate::train::hist::tree::{Criterion, TreeParams};
use crate::train::knn::{Knn, KnnTarget, Metric, Weights};
use crate::train::matrix::Matrix;

/// Early stopping's "auto": on above this many training rows (scikit-learn's rule).
const EARLY_STOPPING_ROWS: usize = 10_000;

fn tree_params(params: &Params, max_features: usize) -> TreeParams {
    TreeParams {
        max_depth: get_i(params, "max_depth"),
        max_leaves: 0,
        min_samples_split: get_i(params, "min_samples_split").max(2),
        min_samples_leaf: get_i(params, "min_samples_leaf").max(1),
        min_hessian: 0.0,
        l2: 0.0,
        max_features,
        criterion: if get_s(params, "criterion") == "entropy" {
            Criterion::Entropy
        } else {
            Criterion::Squared
        },
    }
}

/// One CART tree on every row and feature.
pub fn tree(params: &Params, x: &Matrix, y: Target<'_>, seed: u64) -> Result<Forest> {
    let p = ForestParams {
        n_trees: 1,
        bootstrap: false,
        tree: tree_params(params, 0),
    };
    forest::fit(x, y, &p, seed)
}

/// A random forest; `max_features` 0 = the square root of the feature count.
pub fn forest(params: &Params, x: &Matrix, y: Target<'_>, seed: u64) -> Result<Forest> {
    let m = match get_i(params, "max_features") {
        0 => ((x.cols as f64).sqrt().floor() as usize).max(1),
        m => m.min(x.cols),
    };
    let p = ForestParams {
        n_trees: get_i(params, "n_trees").max(1),
        bootstrap: true,
        tree: tree_params(params, m),
    };
    forest::fit(x, y, &p, seed)
}

/// Gradient boosting with scikit-learn HistGradientBoosting's defaults.
pub fn boost(
    params: &Params,
    x: &Matrix,
    y: Target<'_>,
    weights: Option<&[f64]>,
    seed: u64,
) -> Result<Booster> {
    let early = match get_s(params, "early_stopping") {
        "on" => true,
        "off" => false,
        _ => x.rows > EARLY_STOPPING_ROWS,
    };
    let p = BoostParams {
        rounds: get_i(params, "max_rounds").max(1),
        learning_rate: get_f(params, "learning_rate"),
        tree: TreeParams {
            max_depth: get_i(params, "max_depth"),
            max_leaves: get_i(params, "max_leaves").max(2),
            min_samples_split: 2,
            min_samples_leaf: get_i(params, "min_samples_leaf").max(1),
            min_hessian: 1e-3,
            l2: get_f(params, "l2"),
            max_features: 0,
            criterion: Criterion::Squared,
        },
        subsample: get_f(params, "subsample"),
        colsample: get_f(params, "colsample"),
        validation_fraction: if early {
            get_f(params, "validation_fraction")
        } else {
            0.0
        },
        n_iter_no_change: get_i(params, "n_iter_no_change").max(1),
    };
    boost::fit(x, y, weights, &p, seed)
}

/// k-NN keeping the training rows.
pub fn knn(params: &Params, x: &Matrix, target: KnnTarget) -> Result<Knn> {
    let weights = if get_s(params, "weights") == "distance" {
        Weights::Distance
    } else {
        Weights::Uniform
    };
    let metric = if get_s(params, "distance") == "manhattan" {
        Metric::Manhattan
    } else {
        Metric::Euclidean
    };
    Knn::fit(x, target, get_i(params, "k").max(1), weights, metric)
}
