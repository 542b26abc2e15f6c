//! `lathe runs …`: the Experiments screen on the command line — the
//! leaderboard, one run, a comparison, curation, gc, exports and the MLflow push.
//!
//! A run is named by its id, a unique id prefix, or `@alias`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::Cli;
use super::data::current_project;
use super::output;
use crate::error::{Error, Result};
use crate::experiments::compare::{self, Comparison, DEFAULT_ALPHA};
use crate::experiments::leaderboard::{Filter, Leaderboard, SortKey, age_text, metric_header};
use crate::experiments::{Store, gc};
use crate::train::store::SHORT_ID;

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

#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only runs of this algorithm.
    #[arg(long, value_name = "ID")]
    pub algorithm: Option<String>,
    /// Only runs with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Only runs with this status: finished, failed, cancelled, damaged.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only runs on data whose fingerprint starts with this.
    #[arg(long, value_name = "PREFIX")]
    pub fingerprint: Option<String>,
    /// Only runs whose id, name, algorithm, params, tags, aliases or note contain these words.
    #[arg(long, short, value_name = "WORDS")]
    pub query: Option<String>,
    /// Include archived runs.
    #[arg(long)]
    pub all: bool,
    /// Sort by: started (default), name, algorithm, fit, status, or a metric.
    #[arg(long, value_name = "COLUMN")]
    pub sort: Option<String>,
    /// Ascending order (metrics sort best first by default, time newest first).
    #[arg(long, conflicts_with = "desc")]
    pub asc: bool,
    #[arg(long)]
    pub desc: bool,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter> {
        if let Some(s) = &self.status
            && !["finished", "failed", "cancelled", "damaged"].contains(&s.as_str())
        {
            return Err(Error::usage(format!("'{s}' is not a run status"))
                .hint("use finished, failed, cancelled or damaged"));
        }
        Ok(Filter {
            algorithm: self.algorithm.clone(),
            tag: self.tag.clone(),
            status: self.status.clone(),
            fingerprint: self.fingerprint.clone(),
            query: self.query.clone(),
            archived: self.all,
        })
    }

    /// The filtered, sorted row indices.
    fn view(&self, board: &Leaderboard) -> Result<Vec<usize>> {
        let key = match &self.sort {
            Some(s) => SortKey::parse(s, &board.metrics)?,
            None => SortKey::Started,
        };
        let desc = if self.asc {
            false
        } else {
            self.desc || key.default_descending()
        };
        Ok(board.view(&self.filter()?, &key, desc))
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show at most this many rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Two or more runs.
    #[arg(required = true, num_args = 2..)]
    pub runs: Vec<String>,
    /// The run the others are compared with (default: the first).
    #[arg(long, value_name = "RUN")]
    pub base: Option<String>,
    /// Show every setting, not only those that differ.
    #[arg(long)]
    pub all: bool,
    /// Significance level of the t-test.
    #[arg(long, default_value_t = DEFAULT_ALPHA, value_name = "ALPHA")]
    pub alpha: f64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AliasArgs {
    /// The run, and the alias to point at it.
    #[arg(num_args = 0..=2, value_names = ["RUN", "NAME"])]
    pub args: Vec<String>,
    /// Remove this alias.
    #[arg(long, value_name = "NAME", conflicts_with = "args")]
    pub remove: Option<String>,
    /// Show who pointed each alias where, and when.
    #[arg(long)]
    pub history: bool,
    #[arg(long)]
    pub json: bool,
}

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
        RunsCommand::List(a) => list(&store, a),
        RunsCommand::Show { run, json } => show(&store, run, *json),
        RunsCommand::Diff(a) => diff(&store, a),
        RunsCommand::Tag { run, tags, remove } => {
            let id = store.resolve(run)?;
            store.curate(|c| {
                if *remove {
                    c.remove_tags(&id, tags);
                    Ok(())
                } else {
                    c.add_tags(&id, tags)
                }
            })?;
            let tags = store
                .curation()?
                .meta(&id)
                .map(|m| m.tags.iter().cloned().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            output::emitln(&format!("{}: tags {}", short(&id), or_none(&tags)))?;
            Ok(0)
        }
        RunsCommand::Note { run, text } => {
            let id = store.resolve(run)?;
            store.curate(|c| {
                c.set_note(&id, text);
                Ok(())
            })?;
            Ok(0)
        }
        RunsCommand::Rename { run, name } => {
            let id = store.resolve(run)?;
            store.curate(|c| c.set_name(&id, name))?;
            Ok(0)
        }
        RunsCommand::Alias(a) => alias(&store, a),
        RunsCommand::Archive { runs, undo } => {
            let ids = resolve_all(&store, runs)?;
            store.curate(|c| {
                for id in &ids {
                    c.set_archived(id, !undo);
                }
                Ok(())
            })?;
            output::emitln(&format!(
                "{} {} run(s)",
                if *undo { "unarchived" } else { "archived" },
                ids.len()
            ))?;
            Ok(0)
        }
        RunsCommand::Rm { runs, yes } => {
            let ids = resolve_all(&store, runs)?;
            if !yes && !confirm(&format!("delete {} run(s) to the trash?", ids.len()))? {
                output::emitln("nothing deleted")?;
                return Ok(0);
            }
            store.delete_runs(&ids)?;
            output::emitln(&format!(
                "deleted {} run(s); `lathe runs restore {}` brings them back until `lathe runs gc`",
                ids.len(),
                ids.iter().map(|i| short(i)).collect::<Vec<_>>().join(" ")
            ))?;
            Ok(0)
        }
        RunsCommand::Restore { runs } => {
            let trashed = store.trashed()?;
            let mut ids = Vec::new();
            for r in runs {
                let p = r.to_ascii_uppercase();
                let m: Vec<&str> = trashed
                    .iter()
                    .map(|d| d.run_id.as_str())
                    .filter(|id| id.starts_with(&p))
                    .collect();
                match m.as_slice() {
                    [one] => ids.push((*one).to_owned()),
                    [] => {
                        return Err(Error::usage(format!("no deleted run '{r}' in the trash")));
                    }
                    _ => return Err(Error::usage(format!("'{r}' names several deleted runs"))),
                }
            }
            store.restore_runs(&ids)?;
            output::emitln(&format!("restored {} run(s)", ids.len()))?;
            Ok(0)
        }
        RunsCommand::Gc { yes, dry_run, json } => gc_cmd(&store, *yes, *dry_run, *json),
        RunsCommand::Export(a) => export(&store, a),
        RunsCommand::Push(a) => push(&store, a),
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

fn list(store: &Store, a: &ListArgs) -> Result<i32> {
    let board = load_board(store)?;
    let mut idx = a.filter.view(&board)?;
    let total = idx.len();
    if let Some(n) = a.limit {
        idx.truncate(n);
    }
    if a.json {
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "metrics": board.metrics,
            "total": total,
            "runs": board.to_json(&idx),
        })))?;
        return Ok(0);
    }
    if idx.is_empty() {
        output::emitln(if board.rows.is_empty() {
            "no runs yet: `lathe train` makes some"
        } else {
            "no run matches"
        })?;
        return Ok(0);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let best = board.best(&idx);
    let mut header: Vec<&str> = vec!["Run", "Name", "Algorithm", "Params"];
    header.extend(board.metrics.iter().map(|m| metric_header(m)));
    header.extend(["Fit s", "Status", "Tags", "Alias", "Age"]);
    let rows: Vec<Vec<String>> = idx
        .iter()
        .map(|&i| {
            let r = &board.rows[i];
            let mut row = vec![
                r.short_id().to_owned(),
                r.name.clone().unwrap_or_default(),
                format!("{}{}", r.algorithm, if r.has_model { " +" } else { "" }),
                crate::data::display::truncate(&r.params, 30),
            ];
            for (c, m) in r.metrics.iter().enumerate() {
                row.push(match m {
                    Some(m) if m.mean.is_finite() => format!(
                        "{:.4}±{:.3}{}",
                        m.mean,
                        m.std,
                        if best[c] == Some(i) { "*" } else { " " }
                    ),
                    _ => "—".to_owned(),
                });
            }
            row.push(r.fit_s.map(|s| format!("{s:.2}")).unwrap_or_default());
            row.push(
                match &r.reason {
                    Some(why) => format!(
                        "{}: {}",
                        r.status.name(),
                        crate::data::display::truncate(why, 40)
                    ),
                    None => r.status.name().to_owned(),
                } + if r.archived { " (archived)" } else { "" },
            );
            row.push(r.tags.join(" "));
            row.push(r.aliases.join(" "));
            row.push(r.age_s(now).map(age_text).unwrap_or_default());
            row
        })
        .collect();
    let mut right = vec![false; 4];
    right.extend(std::iter::repeat_n(true, board.metrics.len() + 1));
    output::emit(&output::table(&header, &rows, &right))?;
    if idx.len() < total {
        output::emitln(&format!(
            "({} of {total} runs; --limit shows more)",
            idx.len()
        ))?;
    }
    output::emitln("* best of the column · + has a stored model (exportable as a bundle)")?;
    Ok(0)
}

fn show(store: &Store, run: &str, as_json: bool) -> Result<i32> {
    let id = store.resolve(run)?;
    let r = store.read_run(&id)?;
    let cur = store.curation()?;
    let meta = cur.meta(&id).cloned().unwrap_or_default();
    let aliases = cur.aliases_of(&id);
    if as_json {
        let mut v = serde_json::to_value(&r).map_err(|e| Error::internal(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("lathe_json".into(), json!(JSON_VERSION));
            o.insert("name".into(), json!(meta.name));
            o.insert("tags".into(), json!(meta.tags));
            o.insert("note".into(), json!(meta.note));
            o.insert("archived".into(), json!(meta.archived));
            o.insert("aliases".into(), json!(aliases));
        }
        output::emitln(&to_json(&v))?;
        return Ok(0);
    }
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<14}{v}\n"));
    line("run", r.run_id.clone());
    if let Some(n) = &meta.name {
        line("name", n.clone());
    }
    line("study", r.study_id.clone());
    line(
        "algorithm",
        format!("{} ({} {})", r.algorithm, r.engine, r.engine_version),
    );
    line(
        "params",
        r.params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    line("task", format!("{} of '{}'", r.task, r.target));
    line(
        "status",
        match &r.reason {
            Some(why) => format!("{}: {why}", r.status.name()),
            None => r.status.name().to_owned(),
        },
    );
    line(
        "tags",
        or_none(&meta.tags.iter().cloned().collect::<Vec<_>>().join(" ")).to_owned(),
    );
    line("aliases", or_none(&aliases.join(" ")).to_owned());
    if let Some(n) = &meta.note {
        line("note", n.clone());
    }
    line("started", r.started.clone());
    line(
        "data",
        format!("{} ({} rows)", r.lineage.data, r.lineage.rows),
    );
    line("fingerprint", r.lineage.data_fingerprint.clone());
    line(
        "code",
        format!(
            "lathe {} {}{}",
            r.lineage.lathe_version,
            r.lineage.git_commit.as_deref().unwrap_or("(no git)"),
            if r.lineage.git_dirty == Some(true) {
                " (dirty)"
            } else {
                ""
            }
        ),
    );
    line(
        "validation",
        format!(
            "{} folds, hold-out {}, seed {}",
            r.spec.validation.folds, r.spec.validation.holdout, r.spec.validation.seed
        ),
    );
    let rows: Vec<Vec<String>> = r
        .metrics
        .iter()
        .map(|(name, m)| {
            vec![
                name.clone(),
                format!("{:.4}", m.mean),
                format!("{:.4}", m.std),
                m.folds
                    .iter()
                    .map(|f| format!("{f:.4}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                r.holdout_metrics
                    .as_ref()
                    .and_then(|h| h.get(name))
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&output::table(
        &["metric", "mean", "std", "folds", "hold-out"],
        &rows,
        &[false, true, true, false, true],
    ));
    if let Some(cm) = &r.confusion_matrix {
        out.push_str("\nconfusion matrix (rows: true class; summed over the folds)\n");
        let mut header = vec![String::new()];
        header.extend(r.classes.iter().cloned());
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let rows: Vec<Vec<String>> = cm
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut v = vec![r.classes.get(i).cloned().unwrap_or_default()];
                v.extend(row.iter().map(u64::to_string));
                v
            })
            .collect();
        let mut right = vec![false];
        right.extend(std::iter::repeat_n(true, r.classes.len()));
        out.push_str(&output::table(&header, &rows, &right));
    }
    if let Some(t) = &r.threshold {
        out.push_str(&format!(
            "\nthreshold     {:.4} (best {} {:.4} on the validation folds)\n",
            t.value, t.metric, t.score
        ));
    }
    if !r.importance.is_empty() {
        out.push_str("\npermutation importance (top 10)\n");
        for (col, v) in r.importance.iter().take(10) {
            out.push_str(&format!("  {col:<24}{v:.4}\n"));
        }
    }
    out.push_str(&format!(
        "\nfiles         {}{}\n",
        store.run_dir(&id).display(),
        if r.has_model && !meta.collected {
            " (run.json, model.json.gz)"
        } else {
            " (run.json)"
        }
    ));
    output::emit(&out)?;
    Ok(0)
}

fn diff(store: &Store, a: &DiffArgs) -> Result<i32> {
    let ids = resolve_all(store, &a.runs)?;
    if ids.len() < 2 {
        return Err(Error::usage(
            "the runs given name only one run; compare needs two or more",
        ));
    }
    let base_id = match &a.base {
        Some(b) => store.resolve(b)?,
        None => ids[0].clone(),
    };
    let base = ids.iter().position(|i| *i == base_id).ok_or_else(|| {
        Error::usage(format!(
            "the base run {} is not among the compared runs",
            short(&base_id)
        ))
    })?;
    let records = ids
        .iter()
        .map(|i| store.read_run(i))
        .collect::<Result<Vec<_>>>()?;
    let cur = store.curation()?;
    let names: Vec<Option<String>> = ids
        .iter()
        .map(|i| cur.meta(i).and_then(|m| m.name.clone()))
        .collect();
    let cmp = compare::compare(&records, &names, base, a.alpha)?;
    if a.json {
        let mut v = serde_json::to_value(&cmp).map_err(|e| Error::internal(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("lathe_json".into(), json!(JSON_VERSION));
            if !a.all {
                o.insert(
                    "fields".into(),
                    json!(cmp.visible_fields(false).collect::<Vec<_>>()),
                );
            }
        }
        output::emitln(&to_json(&v))?;
        return Ok(0);
    }
    output::emit(&diff_text(&cmp, a.all))?;
    Ok(0)
}

/// The comparison as text, Weka-style.
pub fn diff_text(cmp: &Comparison, all: bool) -> String {
    let mut out = String::new();
    let n = cmp.labels.len();
    let mut header: Vec<String> = vec!["".into(), "setting".into()];
    header.extend(header_labels(cmp));
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let fields: Vec<Vec<String>> = cmp
        .visible_fields(all)
        .map(|f| {
            let mut row = vec![f.group.to_owned(), f.name.clone()];
            row.extend(
                f.values
                    .iter()
                    .map(|v| crate::data::display::truncate(v, 28)),
            );
            row
        })
        .collect();
    let differing = cmp.fields.iter().filter(|f| f.differs).count();
    if all {
        out.push_str(&format!(
            "All {} settings ({differing} differ):\n",
            cmp.fields.len()
        ));
    } else {
        out.push_str(&format!(
            "Settings that differ ({differing} of {}; --all shows all):\n",
            cmp.fields.len()
        ));
    }
    if fields.is_empty() {
        out.push_str("  (none: the runs have the same settings)\n");
    } else {
        out.push_str(&output::table(&hdr, &fields, &[]));
    }
    out.push_str(&format!(
        "\nMetrics: mean ± std over the folds, (Δ vs base); v better, * worse at α = {} (corrected resampled t-test)\n",
        cmp.alpha
    ));
    let mut header: Vec<String> = vec!["metric".into()];
    header.extend(header_labels(cmp));
    let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut rows: Vec<Vec<String>> = cmp
        .metrics
        .iter()
        .map(|m| {
            let mut row = vec![m.name.clone()];
            for i in 0..n {
                row.push(match (&m.values[i], m.deltas[i]) {
                    (Some(v), _) if i == cmp.base => format!("{:.4}±{:.4}", v.mean, v.std),
                    (Some(v), Some(d)) => format!(
                        "{:.4}±{:.4} ({d:+.4}) {}",
                        v.mean,
                        v.std,
                        m.marks[i].symbol()
                    ),
                    (Some(v), None) => format!("{:.4}±{:.4}", v.mean, v.std),
                    (None, _) => "—".to_owned(),
                });
            }
            row
        })
        .collect();
    let mut counts = vec!["(v/ /*)".to_owned()];
    counts.extend(cmp.counts.iter().enumerate().map(|(i, c)| match c {
        Some((v, t, w)) => format!("({v}/{t}/{w})"),
        None if i == cmp.base => String::new(),
        None => "(untested)".to_owned(),
    }));
    rows.push(counts);
    let mut right = vec![false];
    right.extend(std::iter::repeat_n(true, n));
    out.push_str(&output::table(&hdr, &rows, &right));
    // Per-fold scores of the metric the base optimised.
    if let Some(m) = cmp
        .metrics
        .iter()
        .find(|m| m.name == cmp.metric)
        .or(cmp.metrics.first())
    {
        let folds = m
            .values
            .iter()
            .flatten()
            .map(|v| v.folds.len())
            .max()
            .unwrap_or(0);
        if folds > 0 {
            out.push_str(&format!("\nPer-fold {}:\n", m.name));
            let mut header: Vec<String> = vec!["fold".into()];
            header.extend(header_labels(cmp));
            let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = (0..folds)
                .map(|f| {
                    let mut row = vec![(f + 1).to_string()];
                    row.extend(m.values.iter().map(|v| {
                        v.as_ref()
                            .and_then(|v| v.folds.get(f))
                            .map_or_else(|| "—".to_owned(), |x| format!("{x:.4}"))
                    }));
                    row
                })
                .collect();
            out.push_str(&output::table(&hdr, &rows, &right));
        }
    }
    for note in &cmp.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

fn header_labels(cmp: &Comparison) -> Vec<String> {
    cmp.labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == cmp.base {
                format!("{l} (base)")
            } else {
                l.clone()
            }
        })
        .collect()
}

fn alias(store: &Store, a: &AliasArgs) -> Result<i32> {
    if let Some(name) = &a.remove {
        let prev = store.curate(|c| c.remove_alias(name))?;
        output::emitln(&format!("removed alias '{name}' (was {})", short(&prev)))?;
        return Ok(0);
    }
    match a.args.as_slice() {
        [run, name] => {
            let id = store.resolve(run)?;
            // `champion` keeps the one it replaces as `previous`.
            let prev = if name == crate::experiments::curation::CHAMPION {
                store.curate(|c| c.promote(&id))?
            } else {
                store.curate(|c| c.set_alias(name, &id))?
            };
            output::emitln(&match prev {
                Some(p) if p != id => format!("{name} → {} (was {})", short(&id), short(&p)),
                _ => format!("{name} → {}", short(&id)),
            })?;
            Ok(0)
        }
        [] => {
            let cur = store.curation()?;
            if a.json {
                output::emitln(&to_json(&json!({
                    "lathe_json": JSON_VERSION,
                    "aliases": cur.aliases,
                    "history": cur.alias_history,
                })))?;
                return Ok(0);
            }
            if a.history {
                let rows: Vec<Vec<String>> = cur
                    .alias_history
                    .iter()
                    .map(|e| {
                        vec![
                            e.at.clone(),
                            e.alias.clone(),
                            e.run_id.as_deref().map_or("(removed)", short).to_owned(),
                            e.previous.as_deref().map_or("—", short).to_owned(),
                            e.by.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::emit(&output::table(
                    &["when", "alias", "run", "was", "by"],
                    &rows,
                    &[],
                ))?;
                return Ok(0);
            }
            if cur.aliases.is_empty() {
                output::emitln("no aliases: `lathe runs alias RUN champion` sets one")?;
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = cur
                .aliases
                .iter()
                .map(|(alias, id)| {
                    let state = if store.run_dir(id).is_dir() {
                        String::new()
                    } else if cur.is_deleted(id) {
                        "run deleted".to_owned()
                    } else {
                        "run missing".to_owned()
                    };
                    vec![alias.clone(), short(id).to_owned(), state]
                })
                .collect();
            output::emit(&output::table(&["alias", "run", ""], &rows, &[]))?;
            Ok(0)
        }
        _ => Err(Error::usage(
            "give a run and an alias name: lathe runs alias RUN NAME",
        )),
    }
}

fn gc_cmd(store: &Store, yes: bool, dry_run: bool, as_json: bool) -> Result<i32> {
    let plan = gc::plan(store)?;
    if as_json && (dry_run || plan.items.is_empty()) {
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "plan": plan,
            "bytes": plan.bytes(),
            "freed": 0,
        })))?;
        return Ok(0);
    }
    if !as_json {
        for k in &plan.kept {
            output::emitln(&format!(
                "keep    {}  archived, but needed by {}",
                short(&k.run_id),
                k.reason
            ))?;
        }
        for i in &plan.items {
            output::emitln(&format!(
                "remove  {}  {} — {} in {} file(s)",
                short(&i.run_id),
                i.kind,
                crate::util::human_bytes(i.bytes),
                i.paths.len()
            ))?;
        }
        if plan.items.is_empty() {
            output::emitln("nothing to collect")?;
            return Ok(0);
        }
        output::emitln(&format!(
            "gc would free {}",
            crate::util::human_bytes(plan.bytes())
        ))?;
    }
    if dry_run || (!yes && !confirm("go ahead?")?) {
        return Ok(0);
    }
    let freed = gc::apply(store, &plan)?;
    if as_json {
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "plan": plan,
            "bytes": plan.bytes(),
            "freed": freed,
        })))?;
    } else {
        output::emitln(&format!("freed {}", crate::util::human_bytes(freed)))?;
    }
    Ok(0)
}

fn export(store: &Store, a: &ExportArgs) -> Result<i32> {
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

fn push(store: &Store, a: &PushArgs) -> Result<i32> {
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
