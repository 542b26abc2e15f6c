//! Checks of a parsed `[pipeline]` against the project, before any work:
//! steps known, once, in order and with the steps they need; sources that
//! exist; files that parse; gate metrics the task has and thresholds in
//! range. Every error names the line and key (from the spec's spans).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::drift::DriftSpec;
use crate::error::{Error, Result};
use crate::pipeline::spec::{Checker, PipelineSpec, STEPS, ValidPipeline};
use crate::project::Project;
use crate::train::Task;
use crate::train::metrics::{CLASSIFICATION_METRICS, REGRESSION_METRICS, greater_is_better};
use crate::train::spec::{Prepared, TrainSpec};

impl PipelineSpec {
    pub(super) fn validate(self, project: &Project, c: &Checker) -> Result<ValidPipeline> {
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

/// When the task was inferred from the data, the gate's metrics are checked now (before training).
pub fn check_gate_metric(p: &ValidPipeline, prep: &Prepared) -> Result<()> {
    let known = match prep.task {
        Task::Classification => CLASSIFICATION_METRICS,
        Task::Regression => REGRESSION_METRICS,
    };
    let names = std::iter::once(&p.gate_metric)
        .chain(p.spec.gate.min.keys())
        .chain(p.spec.gate.max.keys());
    for n in names {
        if !known.contains(&n.as_str()) {
            return Err(Error::config(format!(
                "the gate names '{n}', which is not a metric of {}: choose from {}",
                prep.task,
                known.join(", ")
            ))
            .field("pipeline.gate")
            .hint("set `task` in [pipeline.train] to have this checked before any work"));
        }
    }
    Ok(())
}
