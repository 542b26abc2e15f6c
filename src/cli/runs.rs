//! `lathe runs …`: the Experiments screen on the command line — the
//! leaderboard, one run, a comparison, curation, gc, exports and the MLflow push.
//!
//! A run is named by its id, a unique id prefix, or `@alias`.
//!
//! A subcommand per file under `cli/runs/`, named as on the command line (`gc` holds
//! `gc_cmd`); the filters `list`, `export` and `push` share are in `filter`.

use std::io::IsTerminal;

use clap::Subcommand;

use super::Cli;
use super::data::current_project;
use crate::error::{Error, Result};
use crate::experiments::Store;
use crate::experiments::leaderboard::Leaderboard;
use crate::train::store::SHORT_ID;

mod alias;
mod archive;
mod diff;
mod export;
mod filter;
mod gc;
mod list;
mod note;
mod push;
mod rename;
mod restore;
mod rm;
mod show;
mod tag;

pub use alias::AliasArgs;
pub use diff::{DiffArgs, diff_text};
pub use export::{ExportArgs, ExportFormat};
pub use filter::FilterArgs;
pub use list::ListArgs;
pub use push::PushArgs;

const JSON_VERSION: u32 = 1;

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// The leaderboard: every run with its metrics (mean ± std over the folds).
    List(ListArgs),
    /// Everything about one run.
    Show {
        run: String,
        #[arg(long)]
        json: bool,
    },
    /// Compare runs: the settings that differ, metrics with deltas against a
    /// base run and significance marks (v better, * worse; corrected
    /// resampled t-test over the folds).
    Diff(DiffArgs),
    /// Add tags to a run (or remove them with --remove).
    Tag {
        run: String,
        #[arg(required = true)]
        tags: Vec<String>,
        #[arg(long)]
        remove: bool,
    },
    /// Set a run's note (an empty text clears it).
    Note { run: String, text: String },
    /// Give a run a display name (an empty name clears it).
    Rename { run: String, name: String },
    /// Point an alias (champion, challenger, …) at a run; with no arguments,
    /// list the aliases. Pointing `champion` elsewhere keeps the run it
    /// pointed to as `previous`.
    Alias(AliasArgs),
    /// Archive runs: hidden from the leaderboard (list --all shows them), and
    /// their models freed by gc unless an alias or bundle needs them.
    Archive {
        #[arg(required = true)]
        runs: Vec<String>,
        /// Unarchive instead.
        #[arg(long)]
        undo: bool,
    },
    /// Delete runs (to the trash; `lathe runs restore` brings them back until gc).
    Rm {
        #[arg(required = true)]
        runs: Vec<String>,
        /// Do not ask.
        #[arg(long, short)]
        yes: bool,
    },
    /// Bring deleted runs back from the trash.
    Restore {
        #[arg(required = true)]
        runs: Vec<String>,
    },
    /// Remove the models and files of archived runs that no alias or bundle
    /// refers to, and empty the trash — after showing what it frees.
    Gc {
        /// Do it without asking.
        #[arg(long, short)]
        yes: bool,
        /// Only show what would be freed.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write the leaderboard as CSV, Markdown or JSON, and charts as PNG and SVG.
    Export(ExportArgs),
    /// Send runs to an MLflow tracking server (idempotent: a second push changes nothing).
    Push(PushArgs),
}

fn open_store(cli: &Cli) -> Result<Store> {
    let project = current_project(cli)?.ok_or_else(|| {
        Error::usage("runs live in a project, and there is none here")
            .hint("run lathe inside a project folder, or pass --project DIR")
    })?;
    Ok(Store::open(&project))
}

fn load_board(store: &Store) -> Result<Leaderboard> {
    Ok(Leaderboard::build(&store.entries()?, &store.curation()?))
}

fn resolve_all(store: &Store, names: &[String]) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for n in names {
        let id = store.resolve(n)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(SHORT_ID)]
}

fn to_json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

pub fn run(cli: &Cli, cmd: &RunsCommand) -> Result<i32> {
    let store = open_store(cli)?;
    match cmd {
        RunsCommand::List(a) => list::list(&store, a),
        RunsCommand::Show { run, json } => show::show(&store, run, *json),
        RunsCommand::Diff(a) => diff::diff(&store, a),
        RunsCommand::Tag { run, tags, remove } => tag::tag(&store, run, tags, *remove),
        RunsCommand::Note { run, text } => note::note(&store, run, text),
        RunsCommand::Rename { run, name } => rename::rename(&store, run, name),
        RunsCommand::Alias(a) => alias::alias(&store, a),
        RunsCommand::Archive { runs, undo } => archive::archive(&store, runs, *undo),
        RunsCommand::Rm { runs, yes } => rm::rm(&store, runs, *yes),
        RunsCommand::Restore { runs } => restore::restore(&store, runs),
        RunsCommand::Gc { yes, dry_run, json } => gc::gc_cmd(&store, *yes, *dry_run, *json),
        RunsCommand::Export(a) => export::export(&store, a),
        RunsCommand::Push(a) => push::push(&store, a),
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}

/// Ask on the terminal; without one, refuse and say how to go on.
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(format!("{question} — not asked: no terminal"))
            .hint("add --yes to go ahead"));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::new(crate::error::ErrorKind::Io, e.to_string()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
