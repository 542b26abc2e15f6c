//! One learner's catalogue entry ([`AlgorithmInfo`]): given hyperparameters resolved against
//! its own (checked, defaults filled in), and a rough cost to schedule the longest jobs first.

use super::params::{ParamInfo, ParamValue, Params};
use crate::error::{Error, Result};
use crate::train::Task;

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
