//! The `[pipeline]` section of `lathe.toml`, and its validation.
//!
//! The section is parsed here from the project file's text (the project
//! itself only keeps it as an opaque table), so that every mistake — an
//! unknown step or key, a missing source, a gate on a metric the task does
//! not have, a threshold out of range — is reported with the line and key
//! before any work starts. [`PipelineSpec::validate`] turns it into a
//! [`ValidPipeline`]; only that reaches the runner.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::drift::DriftSpec;
use crate::error::{Error, Result, line_col, toml_error};
use crate::project::{PROJECT_FILE, Project};
use crate::train::spec::TrainSpec;

/// The steps a pipeline may declare, in the order they run.
pub const STEPS: [&str; 8] = [
    "drift", "data", "validate", "labels", "train", "gate", "bundle", "promote",
];

/// `[pipeline]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// The steps to run, from [`STEPS`], in that order.
    pub steps: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub data: DataStep,
    #[serde(default)]
    pub validate: ValidateStep,
    #[serde(default)]
    pub labels: LabelsStep,
    /// A TrainSpec (as in `train.toml`) without `data`: the pipeline gives it.
    #[serde(default)]
    pub train: TrainSpec,
    #[serde(default)]
    pub gate: GateStep,
    #[serde(default)]
    pub bundle: BundleStep,
    #[serde(default)]
    pub drift: DriftStep,
}

/// `[pipeline.data]`: the project's sources, plus every data file of a batch folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataStep {
    /// Names of `[[sources]]`, concatenated in this order.
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    /// A folder whose data files (name order) are appended: new batches are picked up.
    /// It may be absent or empty (no batch has arrived yet).
    #[serde(default)]
    pub batches: Option<Spanned<PathBuf>>,
}

/// `[pipeline.validate]`: data tests for every input.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ValidateStep {
    /// One schema file for every input; default: each source's own data
    /// tests, and the first source's for the batches.
    #[serde(default)]
    pub schema: Option<Spanned<PathBuf>>,
}

/// `[pipeline.labels]`: where the target's values come from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LabelsStep {
    /// A CSV file `KEY,LABEL` (header: the key column's and the target's
    /// names) whose labels replace the data's target where the key matches.
    #[serde(default)]
    pub file: Option<Spanned<PathBuf>>,
    /// The key column shared by the data and the label file.
    #[serde(default)]
    pub key: Option<Spanned<String>>,
    /// Apply the project's label journal (the label step); see `labels.rs`.
    #[serde(default)]
    pub journal: Option<Spanned<bool>>,
}

/// `[pipeline.gate]`: absolute thresholds, and the champion to beat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GateStep {
    /// The metric compared with the champion (default: the train spec's).
    pub metric: Option<Spanned<String>>,
    /// Lowest allowed cross-validated mean, for scores: `min = { f1_macro = 0.8 }`.
    pub min: BTreeMap<String, Spanned<f64>>,
    /// Highest allowed cross-validated mean, for losses: `max = { log_loss = 0.4 }`.
    pub max: BTreeMap<String, Spanned<f64>>,
    /// How much better than the champion (in the metric's units) the candidate must be.
    pub margin: Spanned<f64>,
    /// Significance level of the paired corrected t-test against the champion.
    pub alpha: Spanned<f64>,
}

impl Default for GateStep {
    fn default() -> Self {
        Self {
            metric: None,
            min: BTreeMap::new(),
            max: BTreeMap::new(),
            margin: Spanned::new(0..0, 0.0),
            alpha: Spanned::new(0..0, 0.05),
        }
    }
}

/// `[pipeline.bundle]`: like `lathe bundle export`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BundleStep {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    /// A static lathe-serve to bundle (default: `$LATHE_SERVER_BINARY`, else the one lathe carries).
    #[serde(default)]
    pub server_binary: Option<PathBuf>,
    #[serde(default)]
    pub sign: Option<PathBuf>,
    #[serde(default)]
    pub oci: bool,
}

/// `[pipeline.drift]`: the check `--when-drift` (or the `drift` step) makes first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriftStep {
    /// A drift.toml (default: Evidently's choices).
    #[serde(default)]
    pub spec: Option<Spanned<PathBuf>>,
}

/// Only `[pipeline]` of the project file; every other key belongs to the project.
#[derive(Deserialize)]
struct FileWithPipeline {
    #[serde(default)]
    pipeline: Option<PipelineSpec>,
}

/// A checked pipeline, ready to run.
#[derive(Debug, Clone)]
pub struct ValidPipeline {
    pub spec: PipelineSpec,
    pub steps: Vec<&'static str>,
    /// (source name, resolved path).
    pub sources: Vec<(String, PathBuf)>,
    pub batches: Option<PathBuf>,
    pub schema: Option<PathBuf>,
    pub label_file: Option<(PathBuf, String)>,
    /// Add the rows labelled in the label journal of the project's `[label]` source.
    pub label_journal: bool,
    pub train: TrainSpec,
    /// The metric compared with the champion.
    pub gate_metric: String,
    pub drift: DriftSpec,
    /// SHA-256 of the spec and of every file it names except data (schemas, drift spec).
    pub spec_hash: String,
}

impl ValidPipeline {
    pub fn has(&self, step: &str) -> bool {
        self.steps.contains(&step)
    }
}

/// Read and check the `[pipeline]` of `project`.
pub fn load(project: &Project) -> Result<ValidPipeline> {
    let path = project.root.join(PROJECT_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
    let file: FileWithPipeline = toml::from_str(&text).map_err(|e| toml_error(&path, &text, &e))?;
    let spec = file.pipeline.ok_or_else(|| {
        Error::usage("lathe.toml has no [pipeline] section")
            .at(&path)
            .hint("declare the steps, e.g. [pipeline] steps = [\"data\", \"train\"]; see the README's Pipeline section")
    })?;
    spec.validate(project, &Checker { path, text })
}

/// Makes errors that name the line of a spanned value.
pub(super) struct Checker {
    pub(super) path: PathBuf,
    pub(super) text: String,
}

impl Checker {
    pub(super) fn err(&self, span: std::ops::Range<usize>, key: &str, message: String) -> Error {
        let mut e = Error::config(message).at(&self.path).field(key.to_owned());
        if span.end > 0 {
            let (line, col) = line_col(&self.text, span.start);
            e = e.line(line).column(col);
        }
        e
    }

    pub(super) fn at(&self, key: &str, message: String) -> Error {
        Error::config(message).at(&self.path).field(key.to_owned())
    }
}
