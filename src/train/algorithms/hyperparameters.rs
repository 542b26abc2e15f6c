//! The hyperparameters the catalogue's entries share — class weights, tree shape, forests,
//! k-NN, SVM kernels and boosting — each with its range, default and one-line description.

use super::params::{ParamInfo, ParamKind};

pub(super) const CLASS_WEIGHT: ParamInfo = ParamInfo {
    name: "class_weight",
    kind: ParamKind::Choice(&["auto", "balanced", "none"]),
    default: "auto",
    description: "weight classes inversely to their frequency; auto = balanced when the rarest class is under 30 % of rows",
};

pub(super) const MAX_DEPTH: ParamInfo = ParamInfo {
    name: "max_depth",
    kind: ParamKind::Int { min: 1, max: 64 },
    default: "10",
    description: "maximum depth of a tree",
};
pub(super) const MIN_SAMPLES_SPLIT: ParamInfo = ParamInfo {
    name: "min_samples_split",
    kind: ParamKind::Int {
        min: 2,
        max: 100_000,
    },
    default: "2",
    description: "fewest rows a node needs to be split",
};
pub(super) const MIN_SAMPLES_LEAF: ParamInfo = ParamInfo {
    name: "min_samples_leaf",
    kind: ParamKind::Int {
        min: 1,
        max: 100_000,
    },
    default: "1",
    description: "fewest rows in a leaf",
};
pub(super) const N_TREES: ParamInfo = ParamInfo {
    name: "n_trees",
    kind: ParamKind::Int { min: 1, max: 5000 },
    default: "100",
    description: "number of trees",
};
pub(super) const MAX_FEATURES: ParamInfo = ParamInfo {
    name: "max_features",
    kind: ParamKind::Int {
        min: 0,
        max: 100_000,
    },
    default: "0",
    description: "features tried at each split; 0 = square root of the feature count",
};
pub(super) const K: ParamInfo = ParamInfo {
    name: "k",
    kind: ParamKind::Int { min: 1, max: 1000 },
    default: "5",
    description: "number of neighbours",
};
pub(super) const KNN_WEIGHTS: ParamInfo = ParamInfo {
    name: "weights",
    kind: ParamKind::Choice(&["uniform", "distance"]),
    default: "uniform",
    description: "how neighbours vote: equally, or by inverse distance",
};
pub(super) const C: ParamInfo = ParamInfo {
    name: "c",
    kind: ParamKind::Float {
        min: 1e-6,
        max: 1e6,
        log: true,
    },
    default: "1.0",
    description: "inverse regularisation strength (scikit-learn's C); smaller = simpler model",
};
pub(super) const KERNEL: ParamInfo = ParamInfo {
    name: "kernel",
    kind: ParamKind::Choice(&["rbf", "linear"]),
    default: "rbf",
    description: "kernel: Gaussian (rbf) or linear",
};
pub(super) const KERNEL_WIDTH: ParamInfo = ParamInfo {
    name: "kernel_width",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1e6,
        log: false,
    },
    default: "0",
    description: "rbf width (1/gamma); 0 = number of features (scikit-learn's gamma='scale' on standardised data)",
};
pub(super) const KNN_METRIC: ParamInfo = ParamInfo {
    // Not "metric": that name is the search's optimised metric (and an MLflow param).
    name: "distance",
    kind: ParamKind::Choice(&["euclidean", "manhattan"]),
    default: "euclidean",
    description: "distance between rows",
};
pub(super) const CRITERION: ParamInfo = ParamInfo {
    name: "criterion",
    kind: ParamKind::Choice(&["gini", "entropy"]),
    default: "gini",
    description: "impurity measure of a split",
};
pub(super) const LEARNING_RATE: ParamInfo = ParamInfo {
    name: "learning_rate",
    kind: ParamKind::Float {
        min: 1e-4,
        max: 1.0,
        log: true,
    },
    default: "0.1",
    description: "shrinkage of each tree's contribution",
};
pub(super) const MAX_LEAVES: ParamInfo = ParamInfo {
    name: "max_leaves",
    kind: ParamKind::Int {
        min: 2,
        max: 65_536,
    },
    default: "31",
    description: "most leaves per tree (grown best-first)",
};
pub(super) const GB_MAX_DEPTH: ParamInfo = ParamInfo {
    name: "max_depth",
    kind: ParamKind::Int { min: 0, max: 64 },
    default: "0",
    description: "maximum depth of a tree; 0 = limited by max_leaves only",
};
pub(super) const GB_MIN_SAMPLES_LEAF: ParamInfo = ParamInfo {
    name: "min_samples_leaf",
    kind: ParamKind::Int {
        min: 1,
        max: 100_000,
    },
    default: "20",
    description: "fewest rows in a leaf",
};
pub(super) const L2: ParamInfo = ParamInfo {
    name: "l2",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1e6,
        log: false,
    },
    default: "0",
    description: "L2 penalty on leaf values",
};
pub(super) const SUBSAMPLE: ParamInfo = ParamInfo {
    name: "subsample",
    kind: ParamKind::Float {
        min: 0.01,
        max: 1.0,
        log: false,
    },
    default: "1.0",
    description: "share of rows each round's trees see",
};
pub(super) const COLSAMPLE: ParamInfo = ParamInfo {
    name: "colsample",
    kind: ParamKind::Float {
        min: 0.01,
        max: 1.0,
        log: false,
    },
    default: "1.0",
    description: "share of features each round's trees may split on",
};
pub(super) const EARLY_STOPPING: ParamInfo = ParamInfo {
    name: "early_stopping",
    kind: ParamKind::Choice(&["auto", "on", "off"]),
    default: "auto",
    description: "stop when the loss on a held-out share stops improving; auto = on above 10,000 rows",
};
pub(super) const VALIDATION_FRACTION: ParamInfo = ParamInfo {
    name: "validation_fraction",
    kind: ParamKind::Float {
        min: 0.01,
        max: 0.5,
        log: false,
    },
    default: "0.1",
    description: "share of the training rows held out for early stopping",
};
pub(super) const N_ITER_NO_CHANGE: ParamInfo = ParamInfo {
    name: "n_iter_no_change",
    kind: ParamKind::Int { min: 1, max: 1000 },
    default: "10",
    description: "rounds without improvement before early stopping",
};

pub(super) const MAX_ROUNDS: ParamInfo = ParamInfo {
    name: "max_rounds",
    kind: ParamKind::Int {
        min: 1,
        max: 10_000,
    },
    default: "100",
    description: "most boosting rounds",
};
pub(super) const ALPHA: ParamInfo = ParamInfo {
    name: "alpha",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1e6,
        log: true,
    },
    default: "0.1",
    description: "penalty strength (scikit-learn's alpha for ElasticNet)",
};
