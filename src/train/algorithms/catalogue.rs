//! The catalogue: every algorithm lathe can fit, one entry per (algorithm id, task), with its
//! engine, its hyperparameters and when it joins the default search; lookup by id, and the
//! `k=v` text of the hyperparameters that differ from an entry's defaults.

use super::hyperparameters::*;
use super::info::AlgorithmInfo;
use super::params::{ParamInfo, ParamKind, Params};
use crate::error::{Error, Result};
use crate::train::Task;

const ALL_ROWS: usize = usize::MAX;

/// The histogram trees' engine name in the catalogue.
const HIST: &str = "lathe-hist";
const KNN_ENGINE: &str = "lathe-knn";

/// Every algorithm lathe can fit.
pub const CATALOGUE: &[AlgorithmInfo] = &[
    AlgorithmInfo {
        id: "logistic_regression",
        task: Task::Classification,
        name: "Logistic regression",
        engine: "lathe L-BFGS",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::algorithms::ParamValue;

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
