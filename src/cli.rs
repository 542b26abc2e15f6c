//! The command line: clap definitions and dispatch. One file per subcommand
//! under `cli/`; each is a thin layer over the core step it mirrors.
//!
//! Exit codes: 0 ok, 1 a check failed, 2 bad input or usage, 130 cancelled.

pub mod bundle;
pub mod completions;
pub mod data;
pub mod drift;
pub mod explain;
pub mod init;
pub mod label;
pub mod output;
pub mod pipeline;
pub mod runs;
pub mod train;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::format::Format;
use crate::data::{LoadOptions, LogicalType};
use crate::error::{Error, Result};

/// lathe: carry a tabular model from a CSV to production and keep it healthy.
///
/// Run without a subcommand to open the terminal UI on the project in the
/// current folder (or on the bundled sample project when there is none).
#[derive(Debug, Parser)]
#[command(name = "lathe", version = crate::VERSION, propagate_version = true)]
pub struct Cli {
    /// Project folder (default: the current folder or its nearest parent with a lathe.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Colour theme for the TUI: dark, light, high-contrast, or a user theme's name.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a new lathe project (lathe.toml and .lathe/) in a folder.
    Init(init::InitArgs),
    /// Load, profile and validate data files.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Label rows: status, bulk set by expression, import, export, undo (the Label screen's core).
    #[command(subcommand)]
    Label(label::LabelCommand),
    /// Train and cross-validate models in parallel; every configuration is stored as a run.
    Train(Box<train::TrainArgs>),
    /// The experiments: leaderboard, compare, curate, export, push.
    #[command(subcommand)]
    Runs(runs::RunsCommand),
    /// Bundles: export a run as a container-ready folder, verify one, make signing keys.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// Score a data file with a bundle's model; predictions go to a CSV file.
    Predict(bundle::PredictArgs),
    /// Explain a run's or a bundle's model on rows of a data file (SHAP values per column).
    Explain(Box<explain::ExplainArgs>),
    /// Serve a bundle over HTTP (Open Inference Protocol v2, MLflow scoring, Prometheus metrics).
    Serve(crate::serve::ServeArgs),
    /// Check fresh data for drift against a reference, column by column; exit 1 on dataset drift.
    Drift(Box<drift::DriftArgs>),
    /// The declarative retraining pipeline of lathe.toml: run it, see its history, deploy it.
    #[command(subcommand)]
    Pipeline(pipeline::PipelineCommand),
    /// Print shell completions: `lathe completions bash > /etc/bash_completion.d/lathe`.
    Completions(completions::CompletionsArgs),
}

/// How to read a data file; everything is detected unless given.
#[derive(Debug, Clone, Default, Args)]
pub struct ReadArgs {
    /// File format (default: detected): csv, parquet, ndjson, json, ipc.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// CSV field delimiter, one character; `\t` for tab (default: sniffed).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// CSV quote character (default: ").
    #[arg(long, value_name = "CHAR")]
    pub quote: Option<String>,
    /// The CSV's first line is data, not a header (default: sniffed).
    #[arg(long, conflicts_with = "header")]
    pub no_header: bool,
    /// The CSV's first line is a header (default: sniffed).
    #[arg(long)]
    pub header: bool,
    /// Text encoding, e.g. latin1, windows-1252, utf-16le (default: sniffed).
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// Override a column's type, e.g. `--type machine_code=categorical` (repeatable).
    #[arg(long = "type", value_name = "COLUMN=TYPE")]
    pub types: Vec<String>,
}

impl ReadArgs {
    pub fn to_options(&self) -> Result<LoadOptions> {
        let one_byte = |flag: &str, v: &Option<String>| -> Result<Option<u8>> {
            let Some(v) = v else { return Ok(None) };
            let v = if v == "\\t" || v == "tab" {
                "\t"
            } else {
                v.as_str()
            };
            match v.as_bytes() {
                [b] => Ok(Some(*b)),
                _ => Err(Error::usage(format!(
                    "--{flag} must be one ASCII character, not '{v}'"
                ))),
            }
        };
        let mut types = std::collections::BTreeMap::new();
        for t in &self.types {
            let (col, ty) = t
                .split_once('=')
                .ok_or_else(|| Error::usage(format!("--type wants COLUMN=TYPE, not '{t}'")))?;
            let ty: LogicalType = ty.parse().map_err(Error::usage)?;
            types.insert(col.to_owned(), ty);
        }
        Ok(LoadOptions {
            format: self.format,
            delimiter: one_byte("delimiter", &self.delimiter)?,
            quote: one_byte("quote", &self.quote)?,
            has_header: if self.no_header {
                Some(false)
            } else if self.header {
                Some(true)
            } else {
                None
            },
            encoding: self.encoding.clone(),
            types,
        })
    }
}

/// Run a subcommand; returns the process exit code.
pub fn run(cli: &Cli, command: &Command) -> Result<i32> {
    match command {
        Command::Init(args) => init::run(args),
        Command::Data(cmd) => data::run(cli, cmd),
        Command::Label(cmd) => label::run(cli, cmd),
        Command::Train(args) => train::run(cli, args),
        Command::Runs(cmd) => runs::run(cli, cmd),
        Command::Bundle(cmd) => bundle::run(cli, cmd),
        Command::Predict(args) => bundle::predict(cli, args),
        Command::Explain(args) => explain::run(cli, args),
        Command::Serve(args) => crate::serve::main_with(args).map(|()| 0),
        Command::Drift(args) => drift::run(cli, args),
        Command::Pipeline(cmd) => pipeline::run(cli, cmd),
        Command::Completions(args) => completions::run(args),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
