//! The fitted [`Model`] — plain serde data, so loading one executes nothing — and its one
//! `predict`, which turns every engine's output into class labels with probabilities, or values.

use linfa::prelude::*;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::train::hist::boost::Booster;
use crate::train::hist::forest::Forest;
use crate::train::knn::{Knn, KnnTarget};
use crate::train::matrix::Matrix;

/// A fitted model: plain data, serialised with serde.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// lathe's L-BFGS logistic regression (model format 3 on).
    Logistic(crate::train::logistic::Logistic),
    /// linfa-logistic's, as models of format 2 hold them: read and predicted, no longer fitted.
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
            Model::Logistic(m) => from_proba(fit_width(m.predict_proba(x), m.n_classes, n_classes)),
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
