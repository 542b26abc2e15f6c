//! Comparing runs: what differs between them, their metrics side by side with
//! deltas against a base run, and whether each difference is significant.
//!
//! Every run is compared with the base. Runs of another task or target have
//! their settings compared but not their metrics (the notes say why); runs
//! scored on other folds (other data, seed or fold count) have metrics and
//! deltas but no significance marks, since a paired test needs the same folds.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::experiments::significance::{Mark, TTest, corrected_resampled_t};
use crate::train::metrics::greater_is_better;
use crate::train::record::{MetricSummary, RunRecord};
use crate::train::store::SHORT_ID;

/// Weka's default significance level.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// One setting across the runs.
#[derive(Debug, Clone, Serialize)]
pub struct FieldRow {
    /// run, params, data, validation, preprocess, spec, code, host.
    pub group: &'static str,
    pub name: String,
    /// One per run; "—" where a run has no such setting.
    pub values: Vec<String>,
    pub differs: bool,
}

/// One metric across the runs, against the base.
#[derive(Debug, Clone, Serialize)]
pub struct MetricRow {
    pub name: String,
    pub greater_is_better: bool,
    pub values: Vec<Option<MetricSummary>>,
    /// Mean minus the base's mean.
    pub deltas: Vec<Option<f64>>,
    #[serde(skip)]
    pub tests: Vec<Option<TTest>>,
    pub p_values: Vec<Option<f64>>,
    pub marks: Vec<Mark>,
}

impl MetricRow {
    /// The most folds any run has scores for (0: none kept per-fold scores).
    pub fn fold_count(&self) -> usize {
        self.values
            .iter()
            .flatten()
            .map(|v| v.folds.len())
            .max()
            .unwrap_or(0)
    }
}

/// Two or more runs compared.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub run_ids: Vec<String>,
    /// Column headers: the run's name, or its short id.
    pub labels: Vec<String>,
    pub base: usize,
    /// The metric the base run optimised (its per-fold scores are shown).
    pub metric: String,
    pub alpha: f64,
    pub fields: Vec<FieldRow>,
    pub metrics: Vec<MetricRow>,
    /// Per run: (better, tie, worse) over the metric rows; None for the base
    /// and for runs that could not be tested.
    pub counts: Vec<Option<(usize, usize, usize)>>,
    /// Per run: why it is not tested against the base (None: it is, or it is the base).
    pub untested: Vec<Option<String>>,
    /// What could not be compared, in words.
    pub notes: Vec<String>,
}

impl Comparison {
    /// The setting rows to show: only those that differ, or all.
    pub fn visible_fields(&self, all: bool) -> impl Iterator<Item = &FieldRow> {
        self.fields.iter().filter(move |f| all || f.differs)
    }
}

/// Compare `runs` against `runs[base]` at significance level `alpha`.
/// `names` are the runs' display names (from the curation), if any.
pub fn compare(
    runs: &[RunRecord],
    names: &[Option<String>],
    base: usize,
    alpha: f64,
) -> Result<Comparison> {
    if runs.len() < 2 {
        return Err(Error::usage("compare needs two or more runs"));
    }
    if base >= runs.len() {
        return Err(Error::usage(
            "the base run must be one of the compared runs",
        ));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::usage(format!(
            "the significance level must be between 0 and 1, not {alpha}"
        )));
    }
    let b = &runs[base];
    let mut notes = Vec::new();
    let comparable: Vec<bool> = runs
        .iter()
        .map(|r| r.task == b.task && r.target == b.target)
        .collect();
    let labels: Vec<String> = runs
        .iter()
        .zip(names.iter().chain(std::iter::repeat(&None)))
        .map(|(r, n)| {
            n.clone()
                .unwrap_or_else(|| r.run_id[..r.run_id.len().min(SHORT_ID)].to_owned())
        })
        .collect();
    for (i, r) in runs.iter().enumerate() {
        if !comparable[i] {
            notes.push(format!(
                "{} predicts '{}' ({}) and the base predicts '{}' ({}): its settings are compared, its metrics are not",
                labels[i], r.target, r.task, b.target, b.task
            ));
        }
    }
    let untested: Vec<Option<String>> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if i == base {
                None
            } else if !comparable[i] {
                Some("another task or target".to_owned())
            } else {
                why_not_paired(b, r)
            }
        })
        .collect();
    for (i, why) in untested.iter().enumerate() {
        if comparable[i]
            && let Some(why) = why
        {
            notes.push(format!("{}: no significance test, {why}", labels[i]));
        }
    }
    let folds = b.spec.validation.folds.max(2) as f64;
    let ratio = 1.0 / (folds - 1.0);
    let metrics = metric_names(runs, &comparable)
        .into_iter()
        .map(|name| {
            let greater = greater_is_better(&name);
            let values: Vec<Option<MetricSummary>> = runs
                .iter()
                .zip(&comparable)
                .map(|(r, &c)| c.then(|| r.metrics.get(&name).cloned()).flatten())
                .collect();
            let base_v = values[base].clone();
            let deltas = values
                .iter()
                .map(|v| Some(v.as_ref()?.mean - base_v.as_ref()?.mean))
                .collect();
            let tests: Vec<Option<TTest>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if i == base || untested[i].is_some() {
                        return None;
                    }
                    corrected_resampled_t(&v.as_ref()?.folds, &base_v.as_ref()?.folds, ratio)
                })
                .collect();
            let marks = tests
                .iter()
                .map(|t| Mark::of(t.as_ref(), greater, alpha))
                .collect();
            MetricRow {
                greater_is_better: greater,
                p_values: tests.iter().map(|t| t.map(|t| t.p)).collect(),
                name,
                values,
                deltas,
                tests,
                marks,
            }
        })
        .collect::<Vec<_>>();
    let counts = (0..runs.len())
        .map(|i| {
            if i == base || untested[i].is_some() {
                return None;
            }
            let mut c = (0, 0, 0);
            for m in &metrics {
                match m.marks[i] {
                    Mark::Better => c.0 += 1,
                    Mark::Tie => c.1 += 1,
                    Mark::Worse => c.2 += 1,
                    Mark::None => {}
                }
            }
            Some(c)
        })
        .collect();
    Ok(Comparison {
        run_ids: runs.iter().map(|r| r.run_id.clone()).collect(),
        labels,
        base,
        metric: b.metric.clone(),
        alpha,
        fields: field_rows(runs),
        metrics,
        counts,
        untested,
        notes,
    })
}

/// Why two runs of one task and target cannot be paired fold by fold.
fn why_not_paired(a: &RunRecord, b: &RunRecord) -> Option<String> {
    let (va, vb) = (&a.spec.validation, &b.spec.validation);
    if a.lineage.data_fingerprint != b.lineage.data_fingerprint {
        Some("trained on other data (the fingerprints differ)".to_owned())
    } else if va.seed != vb.seed {
        Some(format!("other folds (seed {} vs {})", vb.seed, va.seed))
    } else if va.folds != vb.folds || va.holdout != vb.holdout {
        Some(format!(
            "other folds ({} folds, hold-out {} vs {} folds, hold-out {})",
            vb.folds, vb.holdout, va.folds, va.holdout
        ))
    } else {
        None
    }
}

/// Metric names: the leaderboard's columns first, then any others, sorted.
fn metric_names(runs: &[RunRecord], comparable: &[bool]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for (r, _) in runs.iter().zip(comparable).filter(|(_, c)| **c) {
        for (_, m) in crate::train::leaderboard_columns(r.task) {
            if r.metrics.contains_key(*m) && !all.iter().any(|x| x == m) {
                all.push((*m).to_owned());
            }
        }
    }
    let mut rest: Vec<String> = runs
        .iter()
        .zip(comparable)
        .filter(|(_, c)| **c)
        .flat_map(|(r, _)| r.metrics.keys().cloned())
        .filter(|m| !all.contains(m))
        .collect();
    rest.sort();
    rest.dedup();
    all.extend(rest);
    all
}

/// The settings of each run as (group, name, value) rows, aligned across runs.
fn field_rows(runs: &[RunRecord]) -> Vec<FieldRow> {
    let per_run: Vec<Vec<(&'static str, String, String)>> = runs.iter().map(settings).collect();
    // The union of (group, name), in first-seen order.
    let mut keys: Vec<(&'static str, String)> = Vec::new();
    for s in &per_run {
        for (g, n, _) in s {
            if !keys.iter().any(|(kg, kn)| kg == g && kn == n) {
                keys.push((g, n.clone()));
            }
        }
    }
    keys.into_iter()
        .map(|(group, name)| {
            let values: Vec<String> = per_run
                .iter()
                .map(|s| {
                    s.iter()
                        .find(|(g, n, _)| *g == group && *n == name)
                        .map_or_else(|| "—".to_owned(), |(_, _, v)| v.clone())
                })
                .collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            FieldRow {
                group,
                name,
                values,
                differs,
            }
        })
        .collect()
}

/// Everything about a run that may explain a difference, flattened.
fn settings(r: &RunRecord) -> Vec<(&'static str, String, String)> {
    let mut out: Vec<(&'static str, String, String)> = Vec::new();
    let mut add = |g: &'static str, n: &str, v: String| out.push((g, n.to_owned(), v));
    add("run", "algorithm", r.algorithm.clone());
    add(
        "run",
        "engine",
        format!("{} {}", r.engine, r.engine_version),
    );
    add("run", "status", r.status.name().to_owned());
    add("run", "task", r.task.to_string());
    add("run", "target", r.target.clone());
    add("run", "metric", r.metric.clone());
    for (k, v) in &r.params {
        add("params", k, v.to_string());
    }
    let l = &r.lineage;
    add("data", "file", l.data.clone());
    add("data", "fingerprint", l.data_fingerprint.clone());
    add("data", "rows", l.rows.to_string());
    add("data", "columns", l.schema.len().to_string());
    for (col, ty) in &l.schema {
        add("data", &format!("schema.{col}"), ty.clone());
    }
    add(
        "data",
        "label journal",
        l.label_journal
            .map_or_else(|| "—".to_owned(), |p| p.to_string()),
    );
    add("validation", "seed", l.seed.to_string());
    add("validation", "folds", r.spec.validation.folds.to_string());
    add(
        "validation",
        "holdout",
        r.spec.validation.holdout.to_string(),
    );
    if let Ok(v) = serde_json::to_value(&r.spec.preprocess) {
        flatten("preprocess", "", &v, &mut |g, n, v| out.push((g, n, v)));
    }
    let spec_lists = [
        ("features", &r.spec.features),
        ("ignore", &r.spec.ignore),
        ("id", &r.spec.id),
    ];
    for (name, list) in spec_lists {
        out.push((
            "spec",
            name.to_owned(),
            if list.is_empty() {
                "—".to_owned()
            } else {
                list.join(", ")
            },
        ));
    }
    out.push((
        "spec",
        "threshold metric".to_owned(),
        r.spec
            .threshold_metric
            .clone()
            .unwrap_or_else(|| "—".into()),
    ));
    out.push(("code", "lathe".to_owned(), l.lathe_version.clone()));
    out.push((
        "code",
        "git commit".to_owned(),
        l.git_commit.clone().unwrap_or_else(|| "—".into()),
    ));
    out.push((
        "code",
        "git dirty".to_owned(),
        l.git_dirty.map_or_else(|| "—".into(), |d| d.to_string()),
    ));
    for (k, v) in &l.engines {
        out.push(("code", k.clone(), v.clone()));
    }
    out.push(("host", "host".to_owned(), l.host.clone()));
    out.push((
        "host",
        "user".to_owned(),
        l.user.clone().unwrap_or_else(|| "—".into()),
    ));
    out
}

/// Flatten a JSON value into dotted names.
fn flatten(
    group: &'static str,
    prefix: &str,
    v: &serde_json::Value,
    out: &mut dyn FnMut(&'static str, String, String),
) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(group, &name, v, out);
            }
        }
        Value::String(s) => out(group, prefix.to_owned(), s.clone()),
        Value::Null => out(group, prefix.to_owned(), "—".to_owned()),
        other => out(group, prefix.to_owned(), other.to_string()),
    }
}
