//! `lathe explain RUN|BUNDLE FILE`: SHAP values of a run's or a bundle's
//! model on rows of a data file — the global importance (mean |SHAP| per
//! column), each row's contributions, as text, JSON, CSV and a chart.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Map, Value, json};

use super::data::current_project;
use super::{Cli, ReadArgs, output};
use crate::bundle::manifest::Bundle;
use crate::error::{Error, Result};
use crate::experiments::Store;
use crate::experiments::shap_charts;
use crate::train::explain::{self, Explanation, Options};
use crate::train::features::RawTable;
use crate::train::model::FittedModel;

const JSON_VERSION: u32 = 1;
/// Rows a text report shows one by one (the JSON and CSV have them all).
const TEXT_ROWS: usize = 5;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A run (id, unique prefix or @alias) or a bundle folder.
    pub model: String,
    /// The rows to explain (a data file or a project source).
    pub file: String,
    /// Which rows, counted from 1 (the first data row, as the TUI counts): `1,5,10-19` (default: all).
    #[arg(long, value_name = "ROWS")]
    pub rows: Option<String>,
    /// Print one JSON document: each row's base_value, values and output.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Write each row's values to a CSV file.
    #[arg(long, value_name = "OUT")]
    pub csv: Option<PathBuf>,
    /// Draw a chart (.svg or .png): the mean |SHAP| per column, or one row's waterfall.
    #[arg(long, value_name = "OUT")]
    pub chart: Option<PathBuf>,
    /// Column orders per row for the sampling estimate (models without an exact method).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub permutations: usize,
    /// Seed of the sampling estimate.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The model and a name for it.
struct Source {
    model: FittedModel,
    what: String,
}

fn open_model(cli: &Cli, given: &str) -> Result<Source> {
    let dir = Path::new(given);
    if dir.join(crate::bundle::manifest::MANIFEST).is_file() {
        let b = Bundle::open(dir, None)?;
        let what = format!("bundle {} {}", b.manifest.name, b.manifest.version);
        return Ok(Source {
            model: b.model,
            what,
        });
    }
    let project = current_project(cli)?.ok_or_else(|| {
        Error::usage(format!(
            "'{given}' is not a bundle folder, and runs live in a project, and there is none here"
        ))
        .hint("give a bundle folder, or run lathe inside a project folder (or pass --project DIR)")
    })?;
    let store = Store::open(&project);
    let id = store.resolve(given)?;
    let run = store.read_run(&id)?;
    if !run.has_model {
        return Err(Error::usage(format!(
            "run {id} has no stored model (only the best configuration of each algorithm is refitted)"
        ))
        .hint("explain a run marked + in `lathe runs list`"));
    }
    let model = FittedModel::from_json(&store.read_model(&id)?)?;
    Ok(Source {
        what: format!("run {id} ({})", run.algorithm),
        model,
    })
}

/// Parse `1,5,10-19` (row numbers counted from 1, at most `n`) into 0-based
/// row indices, in the order given.
pub fn parse_rows(spec: &str, n: usize) -> Result<Vec<usize>> {
    let bad = |part: &str, why: &str| {
        Error::usage(format!("--rows: '{part}' {why}"))
            .field("rows")
            .hint("give row numbers counted from 1 (the first data row), e.g. --rows 1,5,10-19")
    };
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |s: &str| -> Result<usize> {
            s.trim()
                .parse::<usize>()
                .map_err(|_| bad(part, "is not a row number or a range"))
        };
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(part)?, num(part)?),
        };
        if a == 0 {
            return Err(bad(part, "counts from 0, but rows are counted from 1"));
        }
        if a > b {
            return Err(bad(part, "runs backwards"));
        }
        if b > n {
            return Err(bad(part, &format!("is past the file's last row ({n})")));
        }
        out.extend(a - 1..b);
    }
    if out.is_empty() {
        return Err(bad(spec, "names no rows"));
    }
    Ok(out)
}

pub fn run(cli: &Cli, a: &ExplainArgs) -> Result<i32> {
    let source = open_model(cli, &a.model)?;
    let model = &source.model;
    let input = super::data::resolve(cli, &a.file, &a.read)?;
    let loaded = crate::data::load(&input.path, &input.options)?;
    for w in &loaded.warnings {
        eprintln!("warning: {}: {w}", input.path.display());
    }
    let frame = &loaded.frame;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let features: Vec<(String, bool)> = model
        .inputs()
        .iter()
        .map(|c| (c.name.to_owned(), c.categories.is_some()))
        .collect();
    if let Some((missing, _)) = features.iter().find(|(n, _)| !names.contains(n)) {
        return Err(Error::input(format!(
            "{} has no column '{missing}', which the model needs",
            input.path.display()
        ))
        .field(missing.clone()));
    }
    let raw = RawTable::from_frame(frame, &features).map_err(|e| e.at(&input.path))?;
    let rows = match &a.rows {
        Some(spec) => parse_rows(spec, raw.rows)?,
        None => (0..raw.rows).collect(),
    };
    if rows.is_empty() {
        return Err(Error::input(format!(
            "{} has no rows to explain",
            input.path.display()
        )));
    }
    let opts = Options {
        permutations: a.permutations.max(2),
        seed: a.seed,
    };
    let e = explain::explain(model, &raw, &rows, &opts).map_err(|e| e.at(&input.path))?;
    for n in &e.notes {
        eprintln!("note: {n}");
    }
    if let Some(out) = &a.csv {
        crate::config::write_atomic(out, csv(&e, &rows).as_bytes())?;
        eprintln!("wrote {} rows' values to {}", rows.len(), out.display());
    }
    if let Some(out) = &a.chart {
        let chart = if rows.len() == 1 {
            shap_charts::Chart::waterfall(&e, 0, &format!("row {}", rows[0] + 1))
        } else {
            shap_charts::Chart::importance(&e)
        };
        shap_charts::write(&chart, out)?;
        eprintln!("wrote {}", out.display());
    }
    if a.json {
        let doc = json!({
            "lathe_json": JSON_VERSION,
            "model": source.what,
            "file": input.path.display().to_string(),
            "explanation": to_json(&e, &rows),
        });
        output::emitln(&serde_json::to_string_pretty(&doc).unwrap_or_default())?;
    } else {
        output::emitln(&text(&source.what, &e, &rows))?;
    }
    Ok(0)
}

fn output_name(e: &Explanation, o: usize) -> String {
    let name = e.outputs.get(o).map_or("", String::as_str);
    match e.output {
        explain::RawOutput::LogOdds => format!("log-odds of '{name}'"),
        explain::RawOutput::Logits => format!("logit of '{name}'"),
        explain::RawOutput::Probability => format!("probability of '{name}'"),
        explain::RawOutput::Value => format!("predicted {name}"),
    }
}

/// The explanation as JSON: method, importance, and per row `base_value`,
/// `values` (column → contribution) and `output` (the raw output).
pub fn to_json(e: &Explanation, rows: &[usize]) -> Value {
    let importance: Map<String, Value> = sorted_importance(e)
        .into_iter()
        .map(|(c, v)| (c, json!(v)))
        .collect();
    let per_row: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(r, &row)| {
            let o = e.shown_output(r);
            let cols = |v: &[f64]| -> Map<String, Value> {
                e.columns
                    .iter()
                    .zip(v)
                    .map(|(c, x)| (c.clone(), json!(x)))
                    .collect()
            };
            let mut item = json!({
                "row": row + 1,
                "class": (e.outputs.len() > 1 || e.output == explain::RawOutput::LogOdds).then(|| e.outputs[o].clone()),
                "base_value": e.base[o],
                "values": cols(e.values_of(r, o)),
                "output": e.raw_of(r, o),
            });
            if let Some(err) = e.errors_of(r, o) {
                item["std_error"] = Value::Object(cols(err));
            }
            item
        })
        .collect();
    json!({
        "method": e.method.label(),
        "exact": e.method.is_exact(),
        "output_kind": e.output.label(),
        "outputs": e.outputs,
        "base_values": e.base,
        "importance": importance,
        "rows": per_row,
        "notes": e.notes,
    })
}

/// (column, mean |SHAP|), largest first.
pub fn sorted_importance(e: &Explanation) -> Vec<(String, f64)> {
    let mut imp: Vec<(String, f64)> = e.columns.iter().cloned().zip(e.mean_abs()).collect();
    imp.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    imp
}

fn csv(e: &Explanation, rows: &[usize]) -> String {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::from("row,class,base_value,output");
    for c in &e.columns {
        out.push(',');
        out.push_str(&quote(c));
    }
    out.push('\n');
    for (r, &row) in rows.iter().enumerate() {
        let o = e.shown_output(r);
        let _ = write!(
            out,
            "{},{},{},{}",
            row + 1,
            quote(&e.outputs[o]),
            e.base[o],
            e.raw_of(r, o)
        );
        for v in e.values_of(r, o) {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
    out
}

fn text(what: &str, e: &Explanation, rows: &[usize]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{what}: {} of the {} ({} rows)",
        e.method.label(),
        e.output.label(),
        rows.len()
    );
    let _ = writeln!(out, "\nmean |SHAP| per column:");
    let table: Vec<Vec<String>> = sorted_importance(e)
        .into_iter()
        .map(|(c, v)| vec![c, format!("{v:.4}")])
        .collect();
    out.push_str(&output::table(
        &["column", "mean |SHAP|"],
        &table,
        &[false, true],
    ));
    for (r, &row) in rows.iter().enumerate().take(TEXT_ROWS) {
        let o = e.shown_output(r);
        let _ = writeln!(out, "\nrow {}: {}", row + 1, output_name(e, o));
        let _ = writeln!(out, "  {:<28} {:>10.4}", "base value", e.base[o]);
        let values = e.values_of(r, o);
        let errors = e.errors_of(r, o);
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
        for c in order {
            let err = errors.map_or(String::new(), |s| format!(" ± {:.4}", s[c]));
            let _ = writeln!(out, "  {:<28} {:>+10.4}{err}", e.columns[c], values[c]);
        }
        let _ = writeln!(out, "  {:<28} {:>10.4}", "output", e.raw_of(r, o));
    }
    if rows.len() > TEXT_ROWS {
        let _ = writeln!(
            out,
            "\n({} more rows: --json or --csv OUT has them all)",
            rows.len() - TEXT_ROWS
        );
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_lists_and_ranges_parse_and_bad_ones_are_named() {
        assert_eq!(parse_rows("1,5,7-9", 10).unwrap(), vec![0, 4, 6, 7, 8]);
        assert_eq!(parse_rows(" 4 ", 4).unwrap(), vec![3]);
        for (spec, why) in [
            ("11", "past the file's last row (10)"),
            ("0", "rows are counted from 1"),
            ("4-2", "runs backwards"),
            ("a", "not a row number"),
            ("", "names no rows"),
        ] {
            let e = parse_rows(spec, 10).expect_err(spec);
            assert!(e.message.contains(why), "{spec}: {}", e.message);
        }
    }
}
