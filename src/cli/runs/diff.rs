//! `lathe runs diff RUN RUN…`: compare runs — the settings that differ, metrics with deltas
//! against a base run and significance marks, per-fold scores; or as JSON.

use clap::Args;
use serde_json::json;

use super::{JSON_VERSION, resolve_all, short, to_json};
use crate::cli::output;
use crate::error::{Error, Result};
use crate::experiments::Store;
use crate::experiments::compare::{self, Comparison, DEFAULT_ALPHA};

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

pub(super) fn diff(store: &Store, a: &DiffArgs) -> Result<i32> {
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
        let folds = m.fold_count();
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
