//! `lathe label …`: the Label screen on the command line. Every command
//! takes `--data` and `--target` (defaulting to the project's `[label]`
//! section), so a script can label a file in a fresh project.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::data::{current_project, resolve};
use super::{Cli, ReadArgs, output};
use crate::error::{Error, Result};
use crate::label::expr::Filter;
use crate::label::{LabelChoice, LabelKind, Labeling, Source, Status};

const JSON_VERSION: u32 = 1;

#[derive(Debug, Subcommand)]
pub enum LabelCommand {
    /// Progress, class balance, orphaned labels and annotator agreement (Cohen's kappa).
    Status(StatusArgs),
    /// Label the rows a filter expression selects (or rows by key), as one undoable action.
    ///
    /// Expressions: `vibration_rms > 4.5 and machine_type == "L"`; comparisons
    /// ==, !=, <, <=, >, >=; `col is [not] null`; `col [not] in ("a", "b")`;
    /// and, or, not, parentheses; numbers, "text" or 'text', true/false;
    /// `backquotes` around a column name with spaces. A test on an empty value is false.
    Set(SetArgs),
    /// Apply a file of `key,label` rows (CSV or any format lathe reads), all or nothing.
    Import(ImportArgs),
    /// Write the data with its label column (CSV, or Parquet for a .parquet name).
    Export(ExportArgs),
    /// Undo the newest labelling action (a label, a bulk set, an import).
    Undo(StatusArgs),
}

/// Which data and label column; defaults come from lathe.toml's `[label]`.
#[derive(Debug, Clone, Args)]
pub struct DatasetArgs {
    /// The data to label: a file, or the name of a source in lathe.toml.
    #[arg(long, value_name = "FILE|SOURCE")]
    pub data: Option<String>,
    /// The label column (it may not exist in the file yet).
    #[arg(long, value_name = "COLUMN")]
    pub target: Option<String>,
    /// A column that identifies rows (default: rows are keyed by their values).
    #[arg(long, value_name = "COLUMN")]
    pub id: Option<String>,
    /// The classes in key order (1–9), comma-separated; replaces the saved ones.
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub classes: Option<Vec<String>>,
    /// classification (classes) or regression (numbers).
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<LabelKind>,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The rows to label: a filter expression over the columns.
    #[arg(long = "where", value_name = "EXPR", required_unless_present = "key")]
    pub filter: Option<String>,
    /// A row key to label (repeatable): the id value, or a key from `lathe label export --keys`.
    #[arg(long, value_name = "KEY", conflicts_with = "filter")]
    pub key: Vec<String>,
    /// The label to give; `--clear` removes labels instead.
    #[arg(long, value_name = "CLASS", required_unless_present = "clear")]
    pub class: Option<String>,
    /// Remove the rows' labels (back to the file's own value).
    #[arg(long, conflicts_with = "class")]
    pub clear: bool,
    /// Show how many rows match and a sample; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file of key,label rows.
    pub file: PathBuf,
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Where to write (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only the rows that have a label.
    #[arg(long)]
    pub labelled_only: bool,
    /// Add a `key` column with each row's label key (for `lathe label import`).
    #[arg(long)]
    pub keys: bool,
}

pub fn run(cli: &Cli, cmd: &LabelCommand) -> Result<i32> {
    match cmd {
        LabelCommand::Status(a) => {
            let l = open(cli, &a.dataset)?;
            print_status(&l.status(), a.json)?;
            Ok(0)
        }
        LabelCommand::Set(a) => set(cli, a),
        LabelCommand::Import(a) => {
            let mut l = open(cli, &a.dataset)?;
            let n = l.import(&a.file)?;
            if a.json {
                output::emitln(
                    &json!({"lathe_json": JSON_VERSION, "imported": n, "labelled": l.labelled()})
                        .to_string(),
                )?;
            } else {
                output::emitln(&format!(
                    "imported {n} label(s) from {}; {} of {} rows labelled",
                    a.file.display(),
                    l.labelled(),
                    l.rows()
                ))?;
            }
            Ok(0)
        }
        LabelCommand::Export(a) => {
            let l = open(cli, &a.dataset)?;
            let n = if a.keys {
                let mut df = l.labelled_frame(a.labelled_only)?;
                let keys: Vec<&str> = if a.labelled_only {
                    (0..l.rows())
                        .filter(|&r| l.is_labelled(r))
                        .map(|r| l.keys.keys[r].as_str())
                        .collect()
                } else {
                    l.keys.keys.iter().map(String::as_str).collect()
                };
                df.insert_column(0, polars::prelude::Column::new("key".into(), keys))?;
                crate::label::session::write_frame(&mut df, &a.out)?
            } else {
                l.export(&a.out, a.labelled_only)?
            };
            output::emitln(&format!("wrote {n} rows to {}", a.out.display()))?;
            Ok(0)
        }
        LabelCommand::Undo(a) => {
            let mut l = open(cli, &a.dataset)?;
            let undone = l.undo()?;
            if a.json {
                let doc = match undone {
                    Some((source, rows)) => {
                        json!({"lathe_json": JSON_VERSION, "undone": source.name(), "rows": rows.len()})
                    }
                    None => json!({"lathe_json": JSON_VERSION, "undone": null, "rows": 0}),
                };
                output::emitln(&doc.to_string())?;
            } else {
                match undone {
                    Some((source, rows)) => output::emitln(&format!(
                        "undid the last {} action: {} row(s) back to their previous label",
                        source.name(),
                        rows.len()
                    ))?,
                    None => output::emitln("nothing to undo")?,
                }
            }
            Ok(0)
        }
    }
}

/// Load the dataset and open its label session.
pub fn open(cli: &Cli, a: &DatasetArgs) -> Result<Labeling> {
    let project = current_project(cli)?.ok_or_else(|| {
        Error::usage("labels are kept in a project, and there is none here")
            .hint("make one with `lathe init` (or pass --project DIR)")
    })?;
    let name = match &a.data {
        Some(d) => d.clone(),
        None => project
            .file
            .label
            .as_ref()
            .map(|l| l.source.clone())
            .ok_or_else(|| {
                Error::usage("which data? name it with --data FILE")
                    .hint("or add [label] source = \"NAME\" to lathe.toml")
            })?,
    };
    let input = resolve(cli, &name, &a.read)?;
    let loaded = crate::data::load(&input.path, &input.options)?;
    let load_warnings = loaded.warnings.clone();
    let choice = LabelChoice {
        data: Some(input.path.clone()),
        target: a.target.clone(),
        id: a.id.clone(),
        classes: a.classes.clone(),
        kind: a.kind,
    };
    let l = Labeling::open(&project, &choice, loaded.frame)?;
    // An empty label column is what labelling starts from, not news.
    let expected = format!("column '{}' is empty", l.set.target);
    for w in load_warnings.iter().filter(|w| !w.starts_with(&expected)) {
        eprintln!("warning: {}: {w}", input.path.display());
    }
    for w in &l.journal.warnings {
        eprintln!("warning: {w}");
    }
    Ok(l)
}

fn set(cli: &Cli, a: &SetArgs) -> Result<i32> {
    let mut l = open(cli, &a.dataset)?;
    let rows: Vec<usize> = match &a.filter {
        Some(expr) => Filter::new(expr, &l.frame)?.rows(&l.frame)?,
        None => a
            .key
            .iter()
            .map(|k| {
                l.keys
                    .row(k)
                    .ok_or_else(|| Error::usage(format!("no row has the key '{k}'")).field("key"))
            })
            .collect::<Result<_>>()?,
    };
    let label = if a.clear { None } else { a.class.as_deref() };
    if let Some(c) = label {
        l.set.check_label(c)?;
    }
    let already = rows
        .iter()
        .filter(|&&r| l.label(r) == label && label.is_some())
        .count();
    if a.dry_run {
        let sample: Vec<usize> = rows.iter().take(5).copied().collect();
        let head = l.frame.take(&polars::prelude::IdxCa::from_vec(
            "rows".into(),
            sample
                .iter()
                .map(|&r| r as polars::prelude::IdxSize)
                .collect(),
        ))?;
        if a.json {
            let doc = json!({
                "lathe_json": JSON_VERSION, "matched": rows.len(), "already": already,
                "sample": crate::data::json_rows(&head),
            });
            output::emitln(&doc.to_string())?;
        } else {
            output::emitln(&format!(
                "{} row(s) match ({already} already have that label); nothing changed (--dry-run)",
                rows.len()
            ))?;
            output::emit(&format!("{head}\n"))?;
        }
        return Ok(0);
    }
    let source = if a.filter.is_some() {
        Source::Bulk
    } else {
        Source::Manual
    };
    let changed = l.set_rows(&rows, label, source)?;
    if a.json {
        let doc = json!({
            "lathe_json": JSON_VERSION, "matched": rows.len(), "changed": changed,
            "labelled": l.labelled(), "rows": l.rows(),
        });
        output::emitln(&doc.to_string())?;
    } else {
        let what = match label {
            Some(c) => format!("labelled '{c}'"),
            None => "cleared".to_owned(),
        };
        output::emitln(&format!(
            "{} row(s) matched, {changed} {what} ({} unchanged); {} of {} rows labelled. `lathe label undo` takes it back.",
            rows.len(),
            rows.len() - changed,
            l.labelled(),
            l.rows()
        ))?;
    }
    Ok(0)
}

fn print_status(s: &Status, json: bool) -> Result<()> {
    if json {
        let mut doc = serde_json::to_value(s).map_err(|e| Error::internal(e.to_string()))?;
        doc["lathe_json"] = json!(JSON_VERSION);
        return output::emitln(&doc.to_string());
    }
    let pct = |n: usize| 100.0 * n as f64 / s.rows.max(1) as f64;
    let mut out = format!(
        "{} ({}) · label column '{}' ({})\n{} of {} rows labelled ({:.1}%)\n",
        s.dataset,
        s.data,
        s.target,
        match s.kind {
            LabelKind::Classification => "classes",
            LabelKind::Regression => "numbers",
        },
        s.labelled,
        s.rows,
        pct(s.labelled)
    );
    if s.kind == LabelKind::Classification {
        let rows: Vec<Vec<String>> = s
            .classes
            .iter()
            .enumerate()
            .map(|(i, (c, n))| {
                let key = if i < 9 {
                    (i + 1).to_string()
                } else {
                    String::new()
                };
                vec![
                    key,
                    c.clone(),
                    n.to_string(),
                    format!("{:.1}%", 100.0 * *n as f64 / s.labelled.max(1) as f64),
                ]
            })
            .collect();
        out.push_str(&output::table(
            &["key", "class", "rows", "share"],
            &rows,
            &[false, false, true, true],
        ));
    }
    if s.orphans > 0 {
        out.push_str(&format!(
            "{} label(s) in the journal belong to rows no longer in the data (e.g. {}); they are kept\n",
            s.orphans,
            s.orphan_examples.join(", ")
        ));
    }
    for (who, n) in &s.annotators {
        out.push_str(&format!("annotator {who}: {n} label(s)\n"));
    }
    for a in &s.agreement {
        let kappa = a
            .kappa
            .map_or_else(|| "undefined".to_owned(), |k| format!("{k:.3}"));
        out.push_str(&format!(
            "agreement {} vs {}: {} shared rows, {:.1}% the same, Cohen's kappa {kappa}\n",
            a.a,
            a.b,
            a.rows,
            100.0 * a.observed
        ));
    }
    out.push_str(&format!(
        "journal {} (position {})\n",
        s.journal, s.journal_position
    ));
    output::emit(&out)
}

fn parse_kind(s: &str) -> std::result::Result<LabelKind, String> {
    s.parse().map_err(|e: Error| e.message.clone())
}
