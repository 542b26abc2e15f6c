//! A study's data and lineage, and reruns of stored runs (the full lathe only).

use std::collections::BTreeMap;
use std::path::Path;

use super::search;
use super::spec::{self, AlgorithmSpec, GridValues, Prepared, SearchKind, TrainSpec};
use crate::data::{LoadOptions, LogicalType};
use crate::error::{Error, Result};
use crate::jobs::{CancelToken, NoProgress};
use crate::train::record::{Lineage, RunRecord, RunStatus};
use crate::train::store::Store;

/// Load `path` and validate `spec` against it.
pub fn load_and_prepare(spec: &TrainSpec, path: &Path, options: &LoadOptions) -> Result<Prepared> {
    let loaded = crate::data::load(path, options)?;
    let mut prep = spec::prepare(spec, loaded.frame, path)?;
    prep.warnings.splice(0..0, loaded.warnings);
    Ok(prep)
}

/// The data file a run was trained on, resolved in `project`, read with its
/// source's type overrides and prepared by the run's spec.
pub fn load_run_data(
    project: &crate::project::Project,
    run: &RunRecord,
) -> Result<(std::path::PathBuf, Prepared)> {
    let data_path = project.resolve(Path::new(&run.lineage.data));
    let options = LoadOptions {
        types: project
            .source_for_path(&data_path)
            .map(|s| s.types.clone())
            .unwrap_or_default(),
        ..LoadOptions::default()
    };
    let prep = load_and_prepare(&run.spec, &data_path, &options)?;
    Ok((data_path, prep))
}

/// The lineage every run of a study shares: the data's fingerprint and
/// schema, the code (lathe version, git commit of the project), the learning
/// crates' versions and where it ran.
pub fn lineage(
    prep: &Prepared,
    project_root: Option<&Path>,
    cancel: &CancelToken,
) -> Result<Lineage> {
    let fingerprint = crate::data::fingerprint::scan(&prep.frame, cancel, &NoProgress)?.fingerprint;
    let schema = prep
        .frame
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                LogicalType::of(c.dtype()).name().to_owned(),
            )
        })
        .collect();
    let data = match project_root.and_then(|r| prep.data_path.strip_prefix(r).ok()) {
        Some(rel) => rel.display().to_string(),
        None => prep.data_path.display().to_string(),
    };
    let engines: BTreeMap<String, String> = env!("LATHE_ENGINE_VERSIONS")
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let git = |args: &[&str]| -> Option<String> {
        let dir = project_root?;
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let git_commit = git(&["rev-parse", "HEAD"]).filter(|s| !s.is_empty());
    let git_dirty = git_commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain", "--untracked-files=no"]))
        .map(|s| !s.is_empty());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    Ok(Lineage {
        data,
        data_fingerprint: fingerprint,
        rows: prep.frame.height(),
        schema,
        label_journal: None,
        seed: prep.spec.validation.seed,
        lathe_version: crate::VERSION.to_owned(),
        engines,
        git_commit,
        git_dirty,
        host,
        user: std::env::var("LATHE_USER")
            .or_else(|_| std::env::var("USER"))
            .ok(),
    })
}

/// What `lathe train --rerun` found.
#[derive(Debug, Clone)]
pub struct RerunReport {
    pub original: RunRecord,
    pub rerun: RunRecord,
    /// Metric names whose per-fold values differ.
    pub differing_metrics: Vec<String>,
    /// Whether the refitted model's bytes equal the stored model's (None when
    /// the original has no stored model to compare with).
    pub model_identical: Option<bool>,
}

impl RerunReport {
    pub fn identical(&self) -> bool {
        self.differing_metrics.is_empty() && self.model_identical != Some(false)
    }
}

/// Reproduce run `run_id` from its record: the same data (checked by
/// fingerprint), spec, hyperparameters and seeds, then compare.
pub fn rerun(
    store: &Store,
    project_root: &Path,
    run_id: &str,
    cancel: &CancelToken,
) -> Result<RerunReport> {
    let original = store.read_run(run_id)?;
    let mut spec = original.spec.clone();
    spec.algorithms = vec![AlgorithmSpec {
        id: original.algorithm.clone(),
        grid: original
            .params
            .iter()
            .map(|(k, v)| (k.clone(), GridValues::One(v.clone())))
            .collect(),
    }];
    spec.search.kind = SearchKind::Grid;
    let data = Path::new(&original.lineage.data);
    let path = if data.is_absolute() {
        data.to_owned()
    } else {
        project_root.join(data)
    };
    let mut options = LoadOptions::default();
    for (col, ty) in &original.lineage.schema {
        if let Ok(t) = ty.parse::<LogicalType>()
            && t != LogicalType::Other
        {
            options.types.insert(col.clone(), t);
        }
    }
    let prep = load_and_prepare(&spec, &path, &options)?;
    let lin = lineage(&prep, Some(project_root), cancel)?;
    if lin.data_fingerprint != original.lineage.data_fingerprint {
        return Err(Error::input(format!(
            "the data changed since run {run_id}: fingerprint {} now, {} then",
            short(&lin.data_fingerprint),
            short(&original.lineage.data_fingerprint)
        ))
        .at(&path));
    }
    let ctx = search::SearchContext {
        store: None,
        lineage: lin,
        refit: original.has_model,
    };
    let outcome = search::run(&prep, &ctx, &search::Quiet, cancel)?;
    let Some(rerun) = outcome.runs.into_iter().next() else {
        return Err(Error::internal("the rerun produced no run"));
    };
    if rerun.status != RunStatus::Finished && original.status == RunStatus::Finished {
        return Err(Error::input(format!(
            "the rerun did not finish: {}",
            rerun.reason.clone().unwrap_or_default()
        )));
    }
    let mut differing_metrics: Vec<String> = original
        .metrics
        .iter()
        .filter(|(k, v)| {
            rerun.metrics.get(*k).is_none_or(|r| {
                r.folds.len() != v.folds.len()
                    || r.folds
                        .iter()
                        .zip(&v.folds)
                        .any(|(a, b)| a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan()))
            })
        })
        .map(|(k, _)| k.clone())
        .collect();
    differing_metrics.extend(
        rerun
            .metrics
            .keys()
            .filter(|k| !original.metrics.contains_key(*k))
            .cloned(),
    );
    let model_identical = original
        .model_sha256
        .as_ref()
        .map(|sha| rerun.model_sha256.as_ref() == Some(sha));
    Ok(RerunReport {
        original,
        rerun,
        differing_metrics,
        model_identical,
    })
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}
