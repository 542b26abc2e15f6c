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

mod gate;
pub use gate::check_gate_metric;

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
        let label_journal = match self.labels.journal.as_ref().filter(|j| *j.get_ref()) {
            Some(j) if project.file.label.is_none() => {
                return Err(c.err(
                    j.span(),
                    "pipeline.labels.journal",
                    "journal = true adds the rows labelled with `lathe label`, but lathe.toml has no [label] section naming the labelled source".into(),
                ));
            }
            Some(_) => true,
            None => false,
        };
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
            label_journal,
            train,
            gate_metric,
            drift,
            spec_hash,
        })
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

/// What a run needs besides the spec, checked before it starts: a batch
/// folder for the drift check, the static server for the bundle step.
pub fn preflight(
    project: &Project,
    valid: &ValidPipeline,
    opts: &crate::pipeline::RunOptions,
) -> Result<()> {
    if (opts.when_drift || valid.has("drift")) && valid.batches.is_none() {
        return Err(Error::config(
            "the drift check looks at the newest batch, and [pipeline.data] has no `batches` folder",
        )
        .at(project.root.join(crate::project::PROJECT_FILE))
        .field("pipeline.data.batches")
        .hint("add batches = \"FOLDER\" to [pipeline.data], where new data files arrive"));
    }
    // A server binary given for the bundle step must be usable: say so now, not after training.
    let server = opts.server_binary.clone().or_else(|| {
        valid
            .spec
            .bundle
            .server_binary
            .as_ref()
            .map(|p| project.resolve(p))
    });
    if valid.has("bundle") {
        use crate::bundle::server::{Host, Server};
        Server::resolve(server.as_deref(), Host::default()).map_err(|e| {
            let hint = e.hint.clone().unwrap_or_default();
            e.hint(format!(
                "{hint}; or leave out server_binary (lathe carries its own server)"
            ))
        })?;
    }
    Ok(())
}
