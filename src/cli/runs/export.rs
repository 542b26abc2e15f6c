//! `lathe runs export`: the leaderboard as CSV, Markdown or JSON, and with `--charts` the
//! metric-vs-hyperparameter and fold-score charts as PNG and SVG.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::{FilterArgs, JSON_VERSION, load_board, to_json};
use crate::cli::output;
use crate::error::Result;
use crate::experiments::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Md,
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,
    /// Write to this file (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write metric-vs-hyperparameter and fold-score charts (PNG and SVG) here.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
}

pub(super) fn export(store: &Store, a: &ExportArgs) -> Result<i32> {
    let board = load_board(store)?;
    let idx = a.filter.view(&board)?;
    let text = match a.format {
        ExportFormat::Csv => board.to_csv(&idx),
        ExportFormat::Md => board.to_markdown(&idx),
        ExportFormat::Json => {
            to_json(&json!({
                "lathe_json": JSON_VERSION,
                "metrics": board.metrics,
                "runs": board.to_json(&idx),
            })) + "\n"
        }
    };
    match &a.out {
        Some(path) => {
            crate::config::write_atomic(path, text.as_bytes())?;
            eprintln!("wrote {} run(s) to {}", idx.len(), path.display());
        }
        None => output::emit(&text)?,
    }
    if let Some(dir) = &a.charts {
        let ids: Vec<&str> = idx.iter().map(|&i| board.rows[i].run_id.as_str()).collect();
        let records: Vec<_> = ids
            .iter()
            .filter_map(|id| store.read_run(id).ok())
            .collect();
        let files = crate::experiments::charts::write_all(&records, dir)?;
        eprintln!("wrote {} chart file(s) to {}", files.len(), dir.display());
    }
    Ok(0)
}
