//! `lathe runs push --mlflow URL`: send runs to an MLflow tracking server; a second push
//! changes nothing.

use clap::Args;
use serde_json::json;

use super::{FilterArgs, JSON_VERSION, load_board, resolve_all, short, to_json};
use crate::cli::output;
use crate::error::Result;
use crate::experiments::Store;

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The runs (default: every run the filters select).
    pub runs: Vec<String>,
    /// The MLflow tracking server, e.g. http://mlflow.example:5000 (bearer token: $MLFLOW_TRACKING_TOKEN).
    #[arg(long, value_name = "URL", env = "MLFLOW_TRACKING_URI")]
    pub mlflow: String,
    /// The MLflow experiment (created when missing).
    #[arg(long, value_name = "NAME", default_value = crate::experiments::mlflow::DEFAULT_EXPERIMENT)]
    pub experiment: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long)]
    pub json: bool,
}

pub(super) fn push(store: &Store, a: &PushArgs) -> Result<i32> {
    use crate::experiments::mlflow::{self, PushOptions, PushRun};
    let ids = if a.runs.is_empty() {
        let board = load_board(store)?;
        a.filter
            .view(&board)?
            .into_iter()
            .map(|i| board.rows[i].run_id.clone())
            .filter(|id| {
                store
                    .run_dir(id)
                    .join(crate::train::store::RUN_FILE)
                    .is_file()
            })
            .collect()
    } else {
        resolve_all(store, &a.runs)?
    };
    if ids.is_empty() {
        output::emitln("no runs to push")?;
        return Ok(0);
    }
    let records = ids
        .iter()
        .map(|id| store.read_run(id))
        .collect::<Result<Vec<_>>>()?;
    let cur = store.curation()?;
    let runs: Vec<PushRun> = records
        .iter()
        .map(|r| {
            let meta = cur.meta(&r.run_id).cloned().unwrap_or_default();
            let dir = store.run_dir(&r.run_id);
            let files = crate::bundle::manifest::list_files(&dir)
                .unwrap_or_default()
                .into_iter()
                .map(|f| dir.join(f))
                .collect();
            PushRun {
                record: r,
                name: meta.name.clone(),
                tags: meta.tags.iter().cloned().collect(),
                note: meta.note.clone(),
                aliases: cur.aliases_of(&r.run_id),
                files,
            }
        })
        .collect();
    let opts = PushOptions {
        url: a.mlflow.clone(),
        experiment: a.experiment.clone(),
        token: std::env::var("MLFLOW_TRACKING_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
        timeout: mlflow::DEFAULT_TIMEOUT,
    };
    let quiet = a.json;
    let outcomes = mlflow::push(&runs, &opts, &mut |i, run_id, outcome| {
        if !quiet {
            eprintln!(
                "{}/{}  {}  {}  → MLflow run {}",
                i + 1,
                runs.len(),
                short(run_id),
                outcome.name(),
                outcome.mlflow_run_id()
            );
        }
    })?;
    if a.json {
        let rows: Vec<serde_json::Value> = records
            .iter()
            .zip(&outcomes)
            .map(|(r, o)| json!({"run_id": r.run_id, "outcome": o.name(), "mlflow_run_id": o.mlflow_run_id()}))
            .collect();
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "url": a.mlflow,
            "experiment": a.experiment,
            "runs": rows,
        })))?;
    } else {
        let created = outcomes.iter().filter(|o| o.name() == "created").count();
        output::emitln(&format!(
            "pushed {} run(s) to {} (experiment '{}'): {created} new, {} completed, {} unchanged",
            outcomes.len(),
            a.mlflow,
            a.experiment,
            outcomes.iter().filter(|o| o.name() == "completed").count(),
            outcomes.iter().filter(|o| o.name() == "unchanged").count(),
        ))?;
    }
    Ok(0)
}
