//! A fitted model as a file: the preprocessing pipeline, the learner and the
//! decision threshold, serialised as data (canonical JSON, nothing that runs
//! on load). The run's `model.json.gz`, the bundle's `model.json`, `lathe
//! predict` and the server all use this one type and its [`FittedModel::predict`],
//! so a row gets the same answer everywhere.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::train::Task;
use crate::train::algorithms::{Model, Predictions};
use crate::train::explain::Background;
use crate::train::features::{FittedColumn, FittedPipeline, RawTable, Unseen};

/// Version of the model file; a newer one is refused. Version 2: decision
/// trees, forests, gradient boosting and k-NN are lathe's own engines (version 1
/// held smartcore's and perpetual's models, which no longer load). Version 3:
/// logistic regression is lathe's own L-BFGS (`logistic`); version-2 models of
/// linfa-logistic still load and predict. Version 4: trees keep their node
/// covers (exact TreeSHAP) and the model keeps its training rows' mean and a
/// small background sample ([`Background`]) for explanations; older models
/// are explained by a sampling estimate.
pub const MODEL_FORMAT_VERSION: u32 = 4;

/// Algorithms whose version-1 models came from crates lathe no longer uses.
const REPLACED_IN_V2: &[&str] = &["decision_tree", "random_forest", "gradient_boosting", "knn"];

/// A fitted pipeline and model, as stored in `model.json.gz` (data only).
#[derive(Serialize, Deserialize)]
pub struct FittedModel {
    pub format_version: u32,
    pub algorithm: String,
    pub task: Task,
    pub target: String,
    #[serde(default)]
    pub classes: Vec<String>,
    pub pipeline: FittedPipeline,
    pub model: Model,
    /// Decision threshold on the positive class's probability (binary).
    pub threshold: Option<f64>,
    /// What explanations need of the training rows (format 4 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background: Option<Background>,
}

/// What the model says about rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Scored {
    /// A class index per row, and per-class probabilities (rows × classes,
    /// row-major) when the learner has them.
    Classes {
        labels: Vec<usize>,
        proba: Option<Vec<f64>>,
    },
    Values(Vec<f64>),
}

impl Scored {
    pub fn len(&self) -> usize {
        match self {
            Self::Classes { labels, .. } => labels.len(),
            Self::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An input column the model needs, as the pipeline knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputColumn<'a> {
    pub name: &'a str,
    /// Categories seen in training (None: a number).
    pub categories: Option<Vec<&'a str>>,
}

impl FittedModel {
    /// Parse a model file, refusing one from a newer lathe.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let m: Self = serde_json::from_slice(bytes).map_err(|e| {
            #[derive(Deserialize)]
            struct Header {
                format_version: u32,
                algorithm: String,
            }
            if let Ok(h) = serde_json::from_slice::<Header>(bytes)
                && h.format_version < 2
                && REPLACED_IN_V2.contains(&h.algorithm.as_str())
            {
                return Error::input(format!(
                    "this {} model was fitted by an earlier lathe (model format {}), whose tree and neighbour learners it no longer has",
                    h.algorithm, h.format_version
                ))
                .hint("train it again (lathe train --rerun RUN) and export a new bundle");
            }
            Error::input(format!("not a lathe model file: {e}"))
                .line(e.line() as u64)
                .column(e.column() as u64)
        })?;
        if m.format_version > MODEL_FORMAT_VERSION {
            return Err(Error::input(format!(
                "model format version {} is newer than this lathe's {MODEL_FORMAT_VERSION}",
                m.format_version
            ))
            .hint("upgrade lathe to use it"));
        }
        Ok(m)
    }

    /// The canonical bytes of this model (what `model.json` holds).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        canonical_json(self)
    }

    /// The columns the model reads, in the order [`FittedModel::predict`] wants them.
    pub fn inputs(&self) -> Vec<InputColumn<'_>> {
        self.pipeline
            .columns
            .iter()
            .map(|c| match c {
                FittedColumn::Numeric { name, .. } => InputColumn {
                    name,
                    categories: None,
                },
                FittedColumn::Category {
                    name,
                    categories,
                    infrequent,
                    reference,
                    ..
                } => {
                    let mut all: Vec<&str> = reference.iter().map(String::as_str).collect();
                    all.extend(categories.iter().map(String::as_str));
                    all.extend(infrequent.iter().map(String::as_str));
                    InputColumn {
                        name,
                        categories: Some(all),
                    }
                }
            })
            .collect()
    }

    /// The unseen-category policy of each input column (numbers: `Ignore`).
    pub fn unseen_policy(&self) -> Vec<Unseen> {
        self.pipeline
            .columns
            .iter()
            .map(|c| match c {
                FittedColumn::Category { unseen, .. } => *unseen,
                FittedColumn::Numeric { .. } => Unseen::Ignore,
            })
            .collect()
    }

    /// Score every row of `raw` (columns as [`FittedModel::inputs`] lists them).
    /// A binary classifier with a decision threshold predicts the second
    /// class when its probability reaches the threshold.
    pub fn predict(&self, raw: &RawTable) -> Result<Scored> {
        let rows: Vec<usize> = (0..raw.rows).collect();
        let x = self.pipeline.transform(raw, &rows)?;
        let k = self.classes.len();
        Ok(match self.model.predict(&x, k)? {
            Predictions::Classes { mut labels, proba } => {
                if let (Some(t), Some(p), 2) = (self.threshold, &proba, k) {
                    for (i, l) in labels.iter_mut().enumerate() {
                        *l = usize::from(p[i * 2 + 1] >= t);
                    }
                }
                Scored::Classes { labels, proba }
            }
            Predictions::Values(v) => Scored::Values(v),
        })
    }
}

/// JSON with every object's keys sorted: some learners keep maps whose
/// iteration order changes from process to process (linfa-bayes' per-class
/// statistics), and a model's bytes must not.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    let value =
        serde_json::to_value(value).map_err(|e| Error::internal(format!("model JSON: {e}")))?;
    serde_json::to_vec(&sort(value)).map_err(|e| Error::internal(format!("model JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_tree_model_asks_to_be_trained_again() {
        let old = br#"{"format_version":1,"algorithm":"random_forest","task":"classification","target":"y","pipeline":{},"model":{"random_forest":{"trees":[]}},"threshold":null}"#;
        let e = FittedModel::from_json(old).err().expect("refused");
        assert!(e.message.contains("earlier lathe"), "{}", e.message);
        assert!(e.hint.as_deref().unwrap_or("").contains("train it again"));
        let e = FittedModel::from_json(b"{}").err().expect("refused");
        assert!(
            e.message.contains("not a lathe model file"),
            "{}",
            e.message
        );
    }
}
