//! The `[pipeline]` section of `lathe.toml`, and its validation.
//!
//! The section is parsed here from the project file's text (the project
//! itself only keeps it as an opaque table), so that every mistake — an
//! unknown step or key, a missing source, a gate on a metric the task does
//! not have, a threshold out of range — is reported with the line and key
//! before any work starts. [`PipelineSpec::validate`] turns it into a
//! [`ValidPipeline`]; only that reaches the runner.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::drift::DriftSpec;
use crate::error::{Error, Result, line_col, toml_error};
use crate::project::{PROJECT_FILE, Project};
use crate::train::Task;
use crate::train::metrics::{CLASSIFICATION_METRICS, REGRESSION_METRICS, greater_is_better};
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
    /// The static lathe-serve (default: `$LATHE_SERVER_BINARY`, or beside lathe).
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
struct Checker {
    path: PathBuf,
    text: String,
}

impl Checker {
    fn err(&self, span: std::ops::Range<usize>, key: &str, message: String) -> Error {
        let mut e = Error::config(message).at(&self.path).field(key.to_owned());
        if span.end > 0 {
            let (line, col) = line_col(&self.text, span.start);
            e = e.line(line).column(col);
        }
        e
    }

    fn at(&self, key: &str, message: String) -> Error {
        Error::config(message).at(&self.path).field(key.to_owned())
    }
}

impl PipelineSpec {
    fn validate(self, project: &Project, c: &Checker) -> Result<ValidPipeline> {
        // Steps: known, once each, in order; the ones the others need.
        let mut steps: Vec<&'static str> = Vec::new();
        let mut last = 0;
        for s in self.steps.get_ref() {
            let Some(pos) = STEPS.iter().position(|k| *k == s.get_ref()) else {
                return Err(c.err(
                    s.span(),
                    "pipeline.steps",
                    format!(
                        "unknown step '{}'; the steps are {}",
                        s.get_ref(),
                        STEPS.join(", ")
                    ),
                ));
            };
            if steps.contains(&STEPS[pos]) {
                return Err(c.err(
                    s.span(),
                    "pipeline.steps",
                    format!("step '{}' is listed twice", s.get_ref()),
                ));
            }
            if pos < last {
                return Err(c.err(
                    s.span(),
                    "pipeline.steps",
                    format!(
                        "step '{}' is out of order: steps run as {}",
                        s.get_ref(),
                        STEPS.join(", ")
                    ),
                ));
            }
            last = pos;
            steps.push(STEPS[pos]);
        }
        let needs = [
            ("data", "train"),
            ("train", "gate"),
            ("train", "bundle"),
            ("gate", "promote"),
            ("train", "drift"),
        ];
        for step in ["train", "data"] {
            if !steps.contains(&step) {
                return Err(c.err(
                    self.steps.span(),
                    "pipeline.steps",
                    format!("a pipeline needs the '{step}' step"),
                ));
            }
        }
        for (need, by) in needs {
            if steps.contains(&by) && !steps.contains(&need) {
                let why = if by == "promote" {
                    " (a champion must pass the gate)"
                } else {
                    ""
                };
                return Err(c.err(
                    self.steps.span(),
                    "pipeline.steps",
                    format!("step '{by}' needs step '{need}'{why}"),
                ));
            }
        }

        // Data: sources that exist, and their files.
        let mut sources = Vec::new();
        for s in &self.data.sources {
            let src = project.source(s.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = project
                    .file
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                c.err(
                    s.span(),
                    "pipeline.data.sources",
                    format!(
                        "no source '{}' in [[sources]]; there are: {}",
                        s.get_ref(),
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ),
                )
            })?;
            let file = project.resolve(&src.path);
            if !file.is_file() {
                return Err(c.err(
                    s.span(),
                    "pipeline.data.sources",
                    format!(
                        "source '{}': its file {} does not exist",
                        s.get_ref(),
                        file.display()
                    ),
                ));
            }
            sources.push((src.name.clone(), file));
        }
        let batches = self
            .data
            .batches
            .as_ref()
            .map(|b| project.resolve(b.get_ref()));
        if let (Some(b), Some(dir)) = (&self.data.batches, &batches)
            && dir.exists()
            && !dir.is_dir()
        {
            return Err(c.err(
                b.span(),
                "pipeline.data.batches",
                format!("{} is not a folder", dir.display()),
            ));
        }
        if sources.is_empty() && batches.is_none() {
            return Err(c.at(
                "pipeline.data",
                "no data: list [[sources]] names in [pipeline.data] sources, or a batches folder"
                    .into(),
            ));
        }

        // Validate: a schema file that parses.
        let schema = match &self.validate.schema {
            Some(s) => {
                let p = project.resolve(s.get_ref());
                if !p.is_file() {
                    return Err(c.err(
                        s.span(),
                        "pipeline.validate.schema",
                        format!("schema file {} does not exist", p.display()),
                    ));
                }
                crate::data::schema::Schema::load(&p)?;
                Some(p)
            }
            None => None,
        };

        // Labels.
        if let Some(j) = self.labels.journal.as_ref().filter(|j| *j.get_ref()) {
            return Err(c.err(
                j.span(),
                "pipeline.labels.journal",
                "this lathe has no label journal yet; give a label file or label the data's target column".into(),
            ));
        }
        let label_file = match (&self.labels.file, &self.labels.key) {
            (Some(f), Some(k)) => {
                let p = project.resolve(f.get_ref());
                if !p.is_file() {
                    return Err(c.err(
                        f.span(),
                        "pipeline.labels.file",
                        format!("label file {} does not exist", p.display()),
                    ));
                }
                Some((p, k.get_ref().clone()))
            }
            (Some(f), None) => {
                return Err(c.err(
                    f.span(),
                    "pipeline.labels.key",
                    "a label file needs `key`: the column that matches its rows to the data's"
                        .into(),
                ));
            }
            (None, Some(k)) => {
                return Err(c.err(
                    k.span(),
                    "pipeline.labels.file",
                    "`key` without a label `file`".into(),
                ));
            }
            (None, None) => None,
        };

        // Train: the pipeline gives the data; the target is required.
        let train = self.train.clone();
        if train.data.is_some() {
            return Err(c.at(
                "pipeline.train.data",
                "the pipeline's data step gives the training data; remove `data` here".into(),
            ));
        }
        if train.target.as_deref().is_none_or(str::is_empty) {
            return Err(c.at(
                "pipeline.train.target",
                "the train step needs a `target` column".into(),
            ));
        }
        let gate_metric = self.check_gate(&train, c)?;

        // Drift spec.
        let drift = match &self.drift.spec {
            Some(s) => {
                let p = project.resolve(s.get_ref());
                if !p.is_file() {
                    return Err(c.err(
                        s.span(),
                        "pipeline.drift.spec",
                        format!("drift spec {} does not exist", p.display()),
                    ));
                }
                DriftSpec::load(&p)?
            }
            None => DriftSpec::default(),
        };

        if let Some(n) = &self.bundle.name {
            let safe = crate::bundle::export::dns_name(n.get_ref());
            if &safe != n.get_ref() {
                return Err(c.err(
                    n.span(),
                    "pipeline.bundle.name",
                    format!(
                        "'{}' is not a DNS-safe name; for example '{safe}'",
                        n.get_ref()
                    ),
                ));
            }
        }

        let spec_hash = self.hash(project, schema.as_deref())?;
        Ok(ValidPipeline {
            spec: self,
            steps,
            sources,
            batches,
            schema,
            label_file,
            train,
            gate_metric,
            drift,
            spec_hash,
        })
    }

    /// The gate's metrics must exist for the task, and thresholds be in range.
    fn check_gate(&self, train: &TrainSpec, c: &Checker) -> Result<String> {
        let known: Vec<&str> = match train.task {
            Some(Task::Classification) => CLASSIFICATION_METRICS.to_vec(),
            Some(Task::Regression) => REGRESSION_METRICS.to_vec(),
            None => CLASSIFICATION_METRICS
                .iter()
                .chain(REGRESSION_METRICS)
                .copied()
                .collect(),
        };
        let task = train
            .task
            .map_or_else(|| "either task".to_owned(), |t| t.to_string());
        let check_name = |name: &str, span: std::ops::Range<usize>, key: &str| -> Result<()> {
            if known.contains(&name) {
                Ok(())
            } else {
                Err(c.err(
                    span,
                    key,
                    format!(
                        "'{name}' is not a metric of {task}; choose from {}",
                        known.join(", ")
                    ),
                ))
            }
        };
        let default_metric = match train.task {
            Some(Task::Regression) => "r2",
            _ => "f1_macro",
        };
        let metric = match &self.gate.metric {
            Some(m) => {
                check_name(m.get_ref(), m.span(), "pipeline.gate.metric")?;
                m.get_ref().clone()
            }
            None => train
                .metric
                .clone()
                .unwrap_or_else(|| default_metric.to_owned()),
        };
        for (side, map) in [("min", &self.gate.min), ("max", &self.gate.max)] {
            for (name, v) in map {
                let key = format!("pipeline.gate.{side}.{name}");
                check_name(name, v.span(), &key)?;
                let x = *v.get_ref();
                let loss = !greater_is_better(name);
                if side == "min" && loss || side == "max" && !loss {
                    let other = if side == "min" { "max" } else { "min" };
                    return Err(c.err(
                        v.span(),
                        &key,
                        format!(
                            "'{name}' is {}: give its threshold under `{other}`",
                            if loss {
                                "a loss (lower is better)"
                            } else {
                                "a score (higher is better)"
                            }
                        ),
                    ));
                }
                let (lo, hi) = metric_range(name);
                if !(x.is_finite() && x >= lo && x <= hi) {
                    return Err(c.err(
                        v.span(),
                        &key,
                        format!("threshold {x} is out of range for '{name}' ({lo} to {hi})"),
                    ));
                }
            }
        }
        let margin = *self.gate.margin.get_ref();
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(c.err(
                self.gate.margin.span(),
                "pipeline.gate.margin",
                format!("margin must be a number >= 0, not {margin}"),
            ));
        }
        let alpha = *self.gate.alpha.get_ref();
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(c.err(
                self.gate.alpha.span(),
                "pipeline.gate.alpha",
                format!("alpha must be between 0 and 1 (exclusive), not {alpha}"),
            ));
        }
        Ok(metric)
    }

    /// The spec's identity: its canonical JSON and the files it names.
    fn hash(&self, project: &Project, schema: Option<&Path>) -> Result<String> {
        let mut h = Sha256::new();
        let json = serde_json::to_vec(self).map_err(|e| Error::internal(e.to_string()))?;
        h.update(&json);
        let mut files: Vec<PathBuf> = schema.map(Path::to_owned).into_iter().collect();
        files.extend(
            self.drift
                .spec
                .as_ref()
                .map(|s| project.resolve(s.get_ref())),
        );
        for s in &self.data.sources {
            if let Some(src) = project.source(s.get_ref()) {
                h.update(serde_json::to_vec(src).unwrap_or_default());
                let spec = project.schema_spec(src);
                files.extend(spec.file);
            }
        }
        for f in files {
            let bytes = std::fs::read(&f).map_err(|e| Error::io(&f, &e))?;
            h.update(f.display().to_string().as_bytes());
            h.update(&bytes);
        }
        Ok(hex::encode(h.finalize()))
    }
}

/// The values a metric can take, for checking thresholds.
fn metric_range(name: &str) -> (f64, f64) {
    match name {
        "mcc" | "cohen_kappa" => (-1.0, 1.0),
        "r2" => (f64::MIN, 1.0),
        "log_loss" | "mae" | "mse" | "rmse" | "mape" => (0.0, f64::MAX),
        _ => (0.0, 1.0),
    }
}
