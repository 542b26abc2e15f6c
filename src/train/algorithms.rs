//! The learners: one catalogue entry per (algorithm id, task), one `fit`
//! that dispatches to linfa or to lathe's own engines (the histogram trees
//! of [`crate::train::hist`], the blocked k-NN of [`crate::train::knn`]),
//! and one serialisable [`Model`] with one `predict`.
//!
//! Algorithm ids are stable names used in specs, runs and bundles. Each
//! entry lists its hyperparameters with default, range and a one-line
//! description; `lathe train --list` and the Train screen show them.
//! Models serialise with serde as plain data: loading one executes nothing.

use std::collections::BTreeMap;
use std::fmt;

use linfa::prelude::*;
use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::train::Task;
use crate::train::hist::Target;
use crate::train::hist::boost::Booster;
use crate::train::hist::forest::Forest;
use crate::train::knn::{Knn, KnnTarget};
use crate::train::learners;
use crate::train::matrix::Matrix;

/// A hyperparameter value as written in a spec or a run record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Text(s) => write!(f, "{s}"),
        }
    }
}

impl ParamValue {
    fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(x) => Some(*x),
            _ => None,
        }
    }
}

/// Hyperparameters by name (sorted, so records and hashes are stable).
pub type Params = BTreeMap<String, ParamValue>;

/// What values a hyperparameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    Int {
        min: i64,
        max: i64,
    },
    /// `log` marks parameters searched on a log scale (C, alpha, …).
    Float {
        min: f64,
        max: f64,
        log: bool,
    },
    Choice(&'static [&'static str]),
}

/// One hyperparameter of an algorithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamInfo {
    pub name: &'static str,
    pub kind: ParamKind,
    /// The default, as text in the parameter's kind.
    pub default: &'static str,
    pub description: &'static str,
}

impl ParamInfo {
    /// Parse text (from a flag or a form) into a checked value.
    pub fn parse(&self, text: &str) -> Result<ParamValue> {
        let text = text.trim();
        let value = match self.kind {
            ParamKind::Int { .. } => text.parse::<i64>().map(ParamValue::Int).map_err(|_| {
                Error::usage(format!(
                    "hyperparameter '{}' wants a whole number, not '{text}'",
                    self.name
                ))
            })?,
            ParamKind::Float { .. } => {
                text.parse::<f64>().map(ParamValue::Float).map_err(|_| {
                    Error::usage(format!(
                        "hyperparameter '{}' wants a number, not '{text}'",
                        self.name
                    ))
                })?
            }
            ParamKind::Choice(_) => ParamValue::Text(text.to_owned()),
        };
        self.check(value)
    }

    /// Check a value against the kind and range; ints are accepted for floats.
    pub fn check(&self, value: ParamValue) -> Result<ParamValue> {
        let bad = |why: String| Error::usage(why).field(self.name);
        match (self.kind, &value) {
            (ParamKind::Int { min, max }, ParamValue::Int(i)) => {
                if *i < min || *i > max {
                    return Err(bad(format!(
                        "hyperparameter '{}' = {i} is out of range {min}..={max}",
                        self.name
                    )));
                }
                Ok(value)
            }
            (ParamKind::Float { min, max, .. }, v) if v.as_f64().is_some() => {
                let x = v.as_f64().unwrap_or(f64::NAN);
                if !(x >= min && x <= max) {
                    return Err(bad(format!(
                        "hyperparameter '{}' = {x} is out of range {min}..={max}",
                        self.name
                    )));
                }
                Ok(ParamValue::Float(x))
            }
            (ParamKind::Choice(options), ParamValue::Text(s)) => {
                if !options.contains(&s.as_str()) {
                    return Err(bad(format!(
                        "hyperparameter '{}' = '{s}' is not one of {}",
                        self.name,
                        options.join(", ")
                    )));
                }
                Ok(value)
            }
            _ => Err(bad(format!(
                "hyperparameter '{}' wants {}, not '{value}'",
                self.name,
                self.kind_text()
            ))),
        }
    }

    pub fn default_value(&self) -> ParamValue {
        // Defaults are written by us in this file and covered by a test.
        self.parse(self.default)
            .unwrap_or_else(|_| ParamValue::Text(self.default.to_owned()))
    }

    /// "int 1..=500", "float 1e-6..=1e6 (log)", "one of gini, entropy".
    pub fn kind_text(&self) -> String {
        match self.kind {
            ParamKind::Int { min, max } => format!("int {min}..={max}"),
            ParamKind::Float { min, max, log } => {
                format!("float {min}..={max}{}", if log { " (log)" } else { "" })
            }
            ParamKind::Choice(o) => format!("one of {}", o.join(", ")),
        }
    }
}

/// One learner in the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct AlgorithmInfo {
    /// Stable id, e.g. `random_forest`.
    pub id: &'static str,
    pub task: Task,
    pub name: &'static str,
    /// Crate that fits it.
    pub engine: &'static str,
    pub description: &'static str,
    pub params: &'static [ParamInfo],
    /// Part of the default search up to this many training rows (kernel and
    /// neighbour methods scale with rows² and stay out of it on large tables).
    pub default_up_to_rows: usize,
    /// Only for two classes.
    pub binary_only: bool,
}

const ALL_ROWS: usize = usize::MAX;

const CLASS_WEIGHT: ParamInfo = ParamInfo {
    name: "class_weight",
    kind: ParamKind::Choice(&["auto", "balanced", "none"]),
    default: "auto",
    description: "weight classes inversely to their frequency; auto = balanced when the rarest class is under 30 % of rows",
};

const MAX_DEPTH: ParamInfo = ParamInfo {
    name: "max_depth",
    kind: ParamKind::Int { min: 1, max: 64 },
    default: "10",
    description: "maximum depth of a tree",
};
const MIN_SAMPLES_SPLIT: ParamInfo = ParamInfo {
    name: "min_samples_split",
    kind: ParamKind::Int {
        min: 2,
        max: 100_000,
    },
    default: "2",
    description: "fewest rows a node needs to be split",
};
const MIN_SAMPLES_LEAF: ParamInfo = ParamInfo {
    name: "min_samples_leaf",
    kind: ParamKind::Int {
        min: 1,
        max: 100_000,
    },
    default: "1",
    description: "fewest rows in a leaf",
};
const N_TREES: ParamInfo = ParamInfo {
    name: "n_trees",
    kind: ParamKind::Int { min: 1, max: 5000 },
    default: "100",
    description: "number of trees",
};
const MAX_FEATURES: ParamInfo = ParamInfo {
    name: "max_features",
    kind: ParamKind::Int {
        min: 0,
        max: 100_000,
    },
    default: "0",
    description: "features tried at each split; 0 = square root of the feature count",
};
const K: ParamInfo = ParamInfo {
    name: "k",
    kind: ParamKind::Int { min: 1, max: 1000 },
    default: "5",
    description: "number of neighbours",
};
const KNN_WEIGHTS: ParamInfo = ParamInfo {
    name: "weights",
    kind: ParamKind::Choice(&["uniform", "distance"]),
    default: "uniform",
    description: "how neighbours vote: equally, or by inverse distance",
};
const C: ParamInfo = ParamInfo {
    name: "c",
    kind: ParamKind::Float {
        min: 1e-6,
        max: 1e6,
        log: true,
    },
    default: "1.0",
    description: "inverse regularisation strength (scikit-learn's C); smaller = simpler model",
};
const KERNEL: ParamInfo = ParamInfo {
    name: "kernel",
    kind: ParamKind::Choice(&["rbf", "linear"]),
    default: "rbf",
    description: "kernel: Gaussian (rbf) or linear",
};
const KERNEL_WIDTH: ParamInfo = ParamInfo {
    name: "kernel_width",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1e6,
        log: false,
    },
    default: "0",
    description: "rbf width (1/gamma); 0 = number of features (scikit-learn's gamma='scale' on standardised data)",
};
const KNN_METRIC: ParamInfo = ParamInfo {
    // Not "metric": that name is the search's optimised metric (and an MLflow param).
    name: "distance",
    kind: ParamKind::Choice(&["euclidean", "manhattan"]),
    default: "euclidean",
    description: "distance between rows",
};
const CRITERION: ParamInfo = ParamInfo {
    name: "criterion",
    kind: ParamKind::Choice(&["gini", "entropy"]),
    default: "gini",
    description: "impurity measure of a split",
};
const LEARNING_RATE: ParamInfo = ParamInfo {
    name: "learning_rate",
    kind: ParamKind::Float {
        min: 1e-4,
        max: 1.0,
        log: true,
    },
    default: "0.1",
    description: "shrinkage of each tree's contribution",
};
const MAX_LEAVES: ParamInfo = ParamInfo {
    name: "max_leaves",
    kind: ParamKind::Int {
        min: 2,
        max: 65_536,
    },
    default: "31",
    description: "most leaves per tree (grown best-first)",
};
const GB_MAX_DEPTH: ParamInfo = ParamInfo {
    name: "max_depth",
    kind: ParamKind::Int { min: 0, max: 64 },
    default: "0",
    description: "maximum depth of a tree; 0 = limited by max_leaves only",
};
const GB_MIN_SAMPLES_LEAF: ParamInfo = ParamInfo {
    name: "min_samples_leaf",
    kind: ParamKind::Int {
        min: 1,
        max: 100_000,
    },
    default: "20",
    description: "fewest rows in a leaf",
};
const L2: ParamInfo = ParamInfo {
    name: "l2",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1e6,
        log: false,
    },
    default: "0",
    description: "L2 penalty on leaf values",
};
const SUBSAMPLE: ParamInfo = ParamInfo {
    name: "subsample",
    kind: ParamKind::Float {
        min: 0.01,
        max: 1.0,
        log: false,
    },
    default: "1.0",
    description: "share of rows each round's trees see",
};
const COLSAMPLE: ParamInfo = ParamInfo {
    name: "colsample",
    kind: ParamKind::Float {
        min: 0.01,
        max: 1.0,
        log: false,
    },
    default: "1.0",
    description: "share of features each round's trees may split on",
};
const EARLY_STOPPING: ParamInfo = ParamInfo {
    name: "early_stopping",
    kind: ParamKind::Choice(&["auto", "on", "off"]),
    default: "auto",
    description: "stop when the loss on a held-out share stops improving; auto = on above 10,000 rows",
};
const VALIDATION_FRACTION: ParamInfo = ParamInfo {
    name: "validation_fraction",
    kind: ParamKind::Float {
        min: 0.01,
        max: 0.5,
        log: false,
    },
    default: "0.1",
    description: "share of the training rows held out for early stopping",
};
const N_ITER_NO_CHANGE: ParamInfo = ParamInfo {
    name: "n_iter_no_change",
    kind: ParamKind::Int { min: 1, max: 1000 },
    default: "10",
    description: "rounds without improvement before early stopping",
};
/// The histogram trees' engine name in the catalogue.
const HIST: &str = "lathe-hist";
const KNN_ENGINE: &str = "lathe-knn";
const MAX_ROUNDS: ParamInfo = ParamInfo {
    name: "max_rounds",
    kind: ParamKind::Int {
        min: 1,
        max: 10_000,
    },
    default: "100",
    description: "most boosting rounds",
};
const ALPHA: ParamInfo = ParamInfo {
    name: "alpha",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1e6,
        log: true,
    },
    default: "0.1",
    description: "penalty strength (scikit-learn's alpha for ElasticNet)",
};

/// Every algorithm lathe can fit.
pub const CATALOGUE: &[AlgorithmInfo] = &[
    AlgorithmInfo {
        id: "logistic_regression",
        task: Task::Classification,
        name: "Logistic regression",
        engine: "linfa-logistic",
        description: "linear model of the log-odds, L2-penalised; binary or multinomial",
        params: &[
            C,
            ParamInfo {
                name: "max_iterations",
                kind: ParamKind::Int {
                    min: 1,
                    max: 100_000,
                },
                default: "100",
                description: "most L-BFGS iterations",
            },
            ParamInfo {
                name: "tolerance",
                kind: ParamKind::Float {
                    min: 1e-12,
                    max: 1.0,
                    log: true,
                },
                default: "1e-4",
                description: "stop when the gradient norm per training row is below this (scikit-learn's tol)",
            },
        ],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "decision_tree",
        task: Task::Classification,
        name: "Decision tree",
        engine: HIST,
        description: "one CART tree of axis-aligned splits on ≤ 255 quantile bins per feature",
        params: &[MAX_DEPTH, MIN_SAMPLES_SPLIT, MIN_SAMPLES_LEAF, CRITERION],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "random_forest",
        task: Task::Classification,
        name: "Random forest",
        engine: HIST,
        description: "bagged histogram trees on random feature subsets, probabilities averaged",
        params: &[
            N_TREES,
            MAX_DEPTH,
            MIN_SAMPLES_SPLIT,
            MIN_SAMPLES_LEAF,
            MAX_FEATURES,
        ],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "knn",
        task: Task::Classification,
        name: "k-nearest neighbours",
        engine: KNN_ENGINE,
        description: "vote of the k closest training rows (blocked brute force)",
        params: &[K, KNN_WEIGHTS, KNN_METRIC],
        default_up_to_rows: 20_000,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "gaussian_nb",
        task: Task::Classification,
        name: "Gaussian naive Bayes",
        engine: "linfa-bayes",
        description: "independent Gaussian features per class",
        params: &[ParamInfo {
            name: "var_smoothing",
            kind: ParamKind::Float {
                min: 0.0,
                max: 1.0,
                log: true,
            },
            default: "1e-9",
            description: "share of the largest variance added to every variance",
        }],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "svm",
        task: Task::Classification,
        name: "Support vector machine",
        engine: "linfa-svm",
        description: "maximum-margin classifier with Platt-scaled probabilities (two classes)",
        params: &[C, KERNEL, KERNEL_WIDTH, CLASS_WEIGHT],
        default_up_to_rows: 5_000,
        binary_only: true,
    },
    AlgorithmInfo {
        id: "gradient_boosting",
        task: Task::Classification,
        name: "Gradient boosting",
        engine: HIST,
        description: "boosted histogram trees on the log loss (softmax for several classes)",
        params: &[
            MAX_ROUNDS,
            LEARNING_RATE,
            MAX_LEAVES,
            GB_MAX_DEPTH,
            GB_MIN_SAMPLES_LEAF,
            L2,
            SUBSAMPLE,
            COLSAMPLE,
            EARLY_STOPPING,
            VALIDATION_FRACTION,
            N_ITER_NO_CHANGE,
            CLASS_WEIGHT,
        ],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "linear_regression",
        task: Task::Regression,
        name: "Linear regression",
        engine: "linfa-linear",
        description: "ordinary least squares",
        params: &[],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "ridge",
        task: Task::Regression,
        name: "Ridge",
        engine: "linfa-elasticnet",
        description: "least squares with an L2 penalty",
        params: &[ALPHA],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "lasso",
        task: Task::Regression,
        name: "Lasso",
        engine: "linfa-elasticnet",
        description: "least squares with an L1 penalty (sparse coefficients)",
        params: &[ALPHA],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "elastic_net",
        task: Task::Regression,
        name: "Elastic net",
        engine: "linfa-elasticnet",
        description: "least squares with mixed L1 and L2 penalties",
        params: &[
            ALPHA,
            ParamInfo {
                name: "l1_ratio",
                kind: ParamKind::Float {
                    min: 0.0,
                    max: 1.0,
                    log: false,
                },
                default: "0.5",
                description: "share of the penalty that is L1",
            },
        ],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "decision_tree",
        task: Task::Regression,
        name: "Decision tree regressor",
        engine: HIST,
        description: "one CART tree minimising squared error",
        params: &[MAX_DEPTH, MIN_SAMPLES_SPLIT, MIN_SAMPLES_LEAF],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "random_forest",
        task: Task::Regression,
        name: "Random forest regressor",
        engine: HIST,
        description: "bagged regression trees, averaged",
        params: &[
            N_TREES,
            MAX_DEPTH,
            MIN_SAMPLES_SPLIT,
            MIN_SAMPLES_LEAF,
            MAX_FEATURES,
        ],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "knn",
        task: Task::Regression,
        name: "k-nearest neighbours regressor",
        engine: KNN_ENGINE,
        description: "mean of the k closest training rows (blocked brute force)",
        params: &[K, KNN_WEIGHTS, KNN_METRIC],
        default_up_to_rows: 20_000,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "svm",
        task: Task::Regression,
        name: "Support vector regression",
        engine: "linfa-svm",
        description: "epsilon-insensitive kernel regression",
        params: &[
            C,
            KERNEL,
            KERNEL_WIDTH,
            ParamInfo {
                name: "epsilon",
                kind: ParamKind::Float {
                    min: 0.0,
                    max: 1e6,
                    log: false,
                },
                default: "0.1",
                description: "errors smaller than this cost nothing",
            },
        ],
        default_up_to_rows: 5_000,
        binary_only: false,
    },
    AlgorithmInfo {
        id: "gradient_boosting",
        task: Task::Regression,
        name: "Gradient boosting regressor",
        engine: HIST,
        description: "boosted histogram trees on the squared error",
        params: &[
            MAX_ROUNDS,
            LEARNING_RATE,
            MAX_LEAVES,
            GB_MAX_DEPTH,
            GB_MIN_SAMPLES_LEAF,
            L2,
            SUBSAMPLE,
            COLSAMPLE,
            EARLY_STOPPING,
            VALIDATION_FRACTION,
            N_ITER_NO_CHANGE,
        ],
        default_up_to_rows: ALL_ROWS,
        binary_only: false,
    },
];

/// The catalogue entry of `id` for `task`, or a usage error listing the valid ids.
pub fn find(id: &str, task: Task) -> Result<&'static AlgorithmInfo> {
    CATALOGUE
        .iter()
        .find(|a| a.id == id && a.task == task)
        .ok_or_else(|| {
            let ids: Vec<&str> = CATALOGUE
                .iter()
                .filter(|a| a.task == task)
                .map(|a| a.id)
                .collect();
            Error::usage(format!(
                "unknown algorithm '{id}' for {task}; choose from {}",
                ids.join(", ")
            ))
            .field("algorithms")
        })
}

impl AlgorithmInfo {
    /// `given` checked against this algorithm's parameters, with defaults filled in.
    pub fn resolve(&self, given: &Params) -> Result<Params> {
        for name in given.keys() {
            if !self.params.iter().any(|p| p.name == name) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name).collect();
                return Err(Error::usage(format!(
                    "algorithm '{}' has no hyperparameter '{name}'{}",
                    self.id,
                    if known.is_empty() {
                        String::new()
                    } else {
                        format!("; it has {}", known.join(", "))
                    }
                ))
                .field(name.clone()));
            }
        }
        let mut out = Params::new();
        for p in self.params {
            let v = match given.get(p.name) {
                Some(v) => p.check(v.clone())?,
                None => p.default_value(),
            };
            out.insert(p.name.to_owned(), v);
        }
        Ok(out)
    }

    /// Rough relative cost of one fit + predict, for scheduling the longest jobs first.
    pub fn cost(&self, params: &Params, rows: usize, cols: usize) -> f64 {
        let n = rows.max(1) as f64;
        let p = cols.max(1) as f64;
        let int = |k: &str, d: f64| params.get(k).and_then(ParamValue::as_f64).unwrap_or(d);
        match (self.id, self.engine) {
            ("random_forest", _) => int("n_trees", 100.0) * n * p.sqrt() * 2.0,
            ("knn", _) => n * n * p * 0.02,
            ("svm", _) => n * n * p * 0.25,
            ("gradient_boosting", _) => int("max_rounds", 100.0) * n * p * 0.1,
            ("decision_tree", _) => n * p * 2.0,
            ("logistic_regression", _) => int("max_iterations", 100.0) * n * p * 0.5,
            _ => n * p,
        }
    }
}

/// The hyperparameters of a configuration that differ from the algorithm's
/// defaults, as `k=v k=v` ("" when all are defaults).
pub fn params_text(id: &str, task: Task, params: &Params) -> String {
    let info = find(id, task).ok();
    params
        .iter()
        .filter(|(k, v)| {
            info.and_then(|i| i.params.iter().find(|p| p.name == k.as_str()))
                .is_none_or(|p| p.default_value() != **v)
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The target a model is fitted to.
#[derive(Debug, Clone, Copy)]
pub enum TargetRef<'a> {
    /// Class indices 0..n_classes.
    Classes(&'a [usize], usize),
    Values(&'a [f64]),
}

/// A fitted model: plain data, serialised with serde.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    LogisticBinary(linfa_logistic::FittedLogisticRegression<f64, usize>),
    LogisticMulti(linfa_logistic::MultiFittedLogisticRegression<f64, usize>),
    /// One histogram tree; outputs are class probabilities.
    DecisionTree(Forest),
    RandomForest(Forest),
    Knn(Knn),
    GaussianNb(linfa_bayes::GaussianNb<f64, usize>),
    Svc(linfa_svm::Svm<f64, linfa::dataset::Pr>),
    Boost(Booster),
    Linear(linfa_linear::FittedLinearRegression<f64>),
    ElasticNet(linfa_elasticnet::ElasticNet<f64>),
    TreeRegressor(Forest),
    ForestRegressor(Forest),
    KnnRegressor(Knn),
    Svr(linfa_svm::Svm<f64, f64>),
    BoostRegressor(Booster),
}

/// A model's output for a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Predicted class per row, and probabilities (rows × classes, row-major) when the model has them.
    Classes {
        labels: Vec<usize>,
        proba: Option<Vec<f64>>,
    },
    Values(Vec<f64>),
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
            let alpha = 1.0 / get_f(params, "c");
            let iters = get_i(params, "max_iterations") as u64;
            // linfa minimises the summed loss, scikit-learn the mean one: the
            // same per-row tolerance is n times larger on linfa's gradient, and
            // without it L-BFGS runs to max_iterations on large tables.
            let tol = get_f(params, "tolerance") * x.rows.max(1) as f64;
            let yv = ArrayView1::from(y);
            let ds = DatasetBase::new(xv, yv);
            if k == 2 {
                let m = linfa_logistic::LogisticRegression::default()
                    .alpha(alpha)
                    .max_iterations(iters)
                    .gradient_tolerance(tol)
                    .fit(&ds)
                    .map_err(|e| fail(info.engine, e))?;
                Ok(Model::LogisticBinary(m))
            } else {
                let m = linfa_logistic::MultiLogisticRegression::default()
                    .alpha(alpha)
                    .max_iterations(iters)
                    .gradient_tolerance(tol)
                    .fit(&ds)
                    .map_err(|e| fail(info.engine, e))?;
                Ok(Model::LogisticMulti(m))
            }
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

impl Model {
    /// Predict rows of `x` (the fitted pipeline's output). `n_classes` is the task's class count.
    pub fn predict(&self, x: &Matrix, n_classes: usize) -> Result<Predictions> {
        let xv = x.view()?;
        let from_proba = |proba: Vec<f64>| -> Predictions {
            let labels = (0..x.rows)
                .map(|r| argmax(&proba[r * n_classes..(r + 1) * n_classes]))
                .collect();
            Predictions::Classes {
                labels,
                proba: Some(proba),
            }
        };
        let binary = |p1: Vec<f64>| -> Vec<f64> { p1.iter().flat_map(|&p| [1.0 - p, p]).collect() };
        Ok(match self {
            Model::LogisticBinary(m) => {
                let p = m.predict_probabilities(&xv);
                // linfa's probability is of its "positive" class, which it picks by frequency.
                let pos_is_one = m.labels().pos.class == 1;
                let p1: Vec<f64> = p
                    .iter()
                    .map(|&v| if pos_is_one { v } else { 1.0 - v })
                    .collect();
                from_proba(binary(p1))
            }
            Model::LogisticMulti(m) => {
                let p = m.predict_probabilities(&xv);
                // Columns follow m.classes(): place them at their class index.
                let classes = m.classes();
                let mut out = vec![0.0; x.rows * n_classes];
                for (r, row) in p.rows().into_iter().enumerate() {
                    for (j, &v) in row.iter().enumerate() {
                        if let Some(&c) = classes.get(j)
                            && c < n_classes
                        {
                            out[r * n_classes + c] = v;
                        }
                    }
                }
                from_proba(out)
            }
            Model::DecisionTree(m) | Model::RandomForest(m) => {
                from_proba(fit_width(m.predict(x), m.outputs, n_classes))
            }
            Model::Knn(m) => {
                let k = match &m.target {
                    KnnTarget::Classes { n_classes, .. } => *n_classes,
                    KnnTarget::Values(_) => 1,
                };
                from_proba(fit_width(m.predict(x)?, k, n_classes))
            }
            Model::GaussianNb(m) => {
                use linfa_bayes::NaiveBayes;
                let (p, classes) = m.predict_proba(xv);
                let mut out = vec![0.0; x.rows * n_classes];
                for (r, row) in p.rows().into_iter().enumerate() {
                    for (j, &v) in row.iter().enumerate() {
                        if let Some(&&c) = classes.get(j)
                            && c < n_classes
                        {
                            out[r * n_classes + c] = v;
                        }
                    }
                }
                from_proba(out)
            }
            Model::Svc(m) => {
                let p: Array1<linfa::dataset::Pr> = m.predict(&xv);
                from_proba(binary(p.iter().map(|v| f64::from(**v)).collect()))
            }
            Model::Boost(m) => {
                let width = m.predict(x);
                let k = width.len() / x.rows.max(1);
                from_proba(fit_width(width, k, n_classes))
            }
            Model::Linear(m) => Predictions::Values(m.predict(&xv).to_vec()),
            Model::ElasticNet(m) => Predictions::Values(m.predict(&xv).to_vec()),
            Model::TreeRegressor(m) | Model::ForestRegressor(m) => {
                Predictions::Values(m.predict(x))
            }
            Model::KnnRegressor(m) => Predictions::Values(m.predict(x)?),
            Model::Svr(m) => Predictions::Values(m.predict(&xv).to_vec()),
            Model::BoostRegressor(m) => Predictions::Values(m.predict(x)),
        })
    }
}

/// Probabilities `rows × have` laid out as `rows × want` (columns past `have` are 0).
fn fit_width(p: Vec<f64>, have: usize, want: usize) -> Vec<f64> {
    if have == want || have == 0 {
        return p;
    }
    let rows = p.len() / have;
    let mut out = vec![0.0; rows * want];
    for r in 0..rows {
        for c in 0..have.min(want) {
            out[r * want + c] = p[r * have + c];
        }
    }
    out
}

/// Index of the largest value; the first on ties, as numpy's argmax.
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_ids_are_unique_per_task() {
        for a in CATALOGUE {
            for p in a.params {
                p.parse(p.default)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", a.id, p.name));
            }
            assert_eq!(
                CATALOGUE
                    .iter()
                    .filter(|b| b.id == a.id && b.task == a.task)
                    .count(),
                1
            );
        }
    }

    #[test]
    fn resolve_rejects_unknown_and_out_of_range() {
        let a = find("random_forest", Task::Classification).unwrap();
        let mut p = Params::new();
        p.insert("n_trees".into(), ParamValue::Int(0));
        assert!(a.resolve(&p).unwrap_err().message.contains("out of range"));
        let mut p = Params::new();
        p.insert("depth".into(), ParamValue::Int(3));
        assert!(
            a.resolve(&p)
                .unwrap_err()
                .message
                .contains("no hyperparameter 'depth'")
        );
        assert_eq!(
            a.resolve(&Params::new()).unwrap()["n_trees"],
            ParamValue::Int(100)
        );
    }
}
