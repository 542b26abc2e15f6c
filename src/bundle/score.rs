//! Predictions as the outside world sees them: a class name (or a value) per
//! row, and per-class probabilities — the same for `lathe predict`, both
//! server protocols and the bundle's examples.

use serde_json::Value;

use crate::train::model::{FittedModel, Scored};

/// Labels (class names) or values, one per row, and probabilities per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub predictions: Vec<Value>,
    pub probabilities: Option<Vec<Vec<f64>>>,
    /// The class index per row (classification), for the metrics.
    pub class_index: Vec<usize>,
}

impl Answer {
    pub fn of(model: &FittedModel, scored: &Scored) -> Self {
        match scored {
            Scored::Classes { labels, proba } => {
                let k = model.classes.len().max(1);
                Self {
                    predictions: labels
                        .iter()
                        .map(|&l| Value::from(model.classes.get(l).cloned().unwrap_or_default()))
                        .collect(),
                    probabilities: proba
                        .as_ref()
                        .map(|p| p.chunks(k).map(<[f64]>::to_vec).collect()),
                    class_index: labels.clone(),
                }
            }
            Scored::Values(v) => Self {
                predictions: v
                    .iter()
                    .map(|x| serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number))
                    .collect(),
                probabilities: None,
                class_index: Vec::new(),
            },
        }
    }
}
