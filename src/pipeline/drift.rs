//! The drift step (`--when-drift`): retrain only when the newest batch has
//! drifted from the data the champion was trained on.
//!
//! The reference is the champion's own training table (its run's lineage
//! names it, and the pipeline keeps the tables it trains on); the current
//! side is the newest file of the batch folder. The verdict is the drift
//! step's dataset-drift verdict under `[pipeline.drift] spec`.

use crate::data::LoadOptions;
use crate::error::{Error, Result};
use crate::experiments::RunRecord;
use crate::jobs::CancelToken;
use crate::pipeline::inputs::batch_files;
use crate::pipeline::spec::ValidPipeline;
use crate::project::Project;

/// `(None, …)` to go on and retrain; `(Some(why), …)` when there is nothing to do.
pub fn check(
    project: &Project,
    p: &ValidPipeline,
    champion: Option<&RunRecord>,
    cancel: &CancelToken,
) -> Result<(Option<String>, String, String)> {
    let Some(champ) = champion else {
        return Ok((
            None,
            "skip".into(),
            "no champion yet: training the first one".into(),
        ));
    };
    // `run` refuses a drift check without a batch folder before it starts.
    let batches = match &p.batches {
        Some(dir) => batch_files(dir)?,
        None => Vec::new(),
    };
    let Some(newest) = batches.last() else {
        let why = "no batch has arrived: nothing to check, nothing to do".to_owned();
        return Ok((Some(why.clone()), "pass".into(), why));
    };
    let ref_path = project.resolve(std::path::Path::new(&champ.lineage.data));
    let types_of = |path: &std::path::Path| {
        project
            .source_for_path(path)
            .map(|s| s.types.clone())
            .or_else(|| {
                p.sources
                    .first()
                    .and_then(|(n, _)| project.source(n))
                    .map(|s| s.types.clone())
            })
            .unwrap_or_default()
    };
    let load = |path: &std::path::Path| {
        crate::data::load(
            path,
            &LoadOptions {
                types: types_of(path),
                ..LoadOptions::default()
            },
        )
        .map(|l| l.frame)
    };
    let reference = load(&ref_path).map_err(|e| {
        let msg = format!("the champion's training data cannot be read: {}", e.message);
        Error::input(msg).at(&ref_path)
    })?;
    let current = load(newest)?;
    let report = crate::drift::compare(&reference, &current, &p.drift, cancel)?;
    let name = newest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let detail = format!("{name}: {}", report.summary());
    if report.dataset_drift {
        Ok((None, "drift".into(), detail))
    } else {
        Ok((
            Some(format!(
                "no dataset drift in the newest batch, nothing to do: {detail}"
            )),
            "pass".into(),
            detail,
        ))
    }
}
