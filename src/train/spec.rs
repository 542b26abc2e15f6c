//! `TrainSpec`: what to train, from flags, a `train.toml` or the Train form;
//! and its validation against the data into a [`Prepared`] search.
//!
//! Everything that can be wrong with a request is found here, before any
//! work starts: the target (missing, nulls, one class, a class smaller than
//! the fold count, text for regression), the features (none usable, more
//! columns than rows), the algorithms and their hyperparameters, and the
//! size of the grid.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::data::LogicalType;
use crate::error::{Error, Result};
use crate::train::Task;
use crate::train::algorithms::{self, AlgorithmInfo, ParamInfo, ParamKind, ParamValue, Params};
use crate::train::features::{PreprocessSpec, RawTable};
use crate::train::metrics;
use crate::train::split::{self, Split};

/// Grids larger than this need an explicit confirmation (`--yes`, `confirm_large = true`).
pub const LARGE_SEARCH_JOBS: usize = 10_000;

/// How models are validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationSpec {
    /// Share of rows kept apart to score the refitted best models (0 for none).
    pub holdout: f64,
    /// Cross-validation folds on the other rows.
    pub folds: usize,
    /// Seed of the split and of every job.
    pub seed: u64,
}

impl Default for ValidationSpec {
    fn default() -> Self {
        Self {
            holdout: 0.2,
            folds: 5,
            seed: 42,
        }
    }
}

/// Values of one hyperparameter in a grid: one value or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GridValues {
    One(ParamValue),
    Many(Vec<ParamValue>),
}

impl GridValues {
    fn values(&self) -> Vec<ParamValue> {
        match self {
            Self::One(v) => vec![v.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

/// One algorithm of the search and the values to try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmSpec {
    pub id: String,
    /// Hyperparameter → values. Grid search tries every combination; random
    /// search draws from these lists, or from the declared range when absent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grid: BTreeMap<String, GridValues>,
}

/// Grid or random search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    #[default]
    Grid,
    Random,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSpec {
    pub kind: SearchKind,
    /// Configurations drawn per algorithm by random search.
    pub n_iter: usize,
}

impl Default for SearchSpec {
    fn default() -> Self {
        Self {
            kind: SearchKind::Grid,
            n_iter: 10,
        }
    }
}

/// A training request. Every field has a default except the data and the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSpec {
    /// A data file, or the name of one of the project's sources.
    pub data: Option<String>,
    pub target: Option<String>,
    /// Inferred from the target when absent.
    pub task: Option<Task>,
    /// Feature columns; empty = every column that is not the target, ignored or an id.
    pub features: Vec<String>,
    pub ignore: Vec<String>,
    /// Identifier columns: never features.
    pub id: Vec<String>,
    pub preprocess: PreprocessSpec,
    pub validation: ValidationSpec,
    /// Empty = the default set for the task and the table's size.
    pub algorithms: Vec<AlgorithmSpec>,
    pub search: SearchSpec,
    /// Metric to optimise; default f1_macro (classification) or r2 (regression).
    pub metric: Option<String>,
    /// Metric the binary decision threshold is chosen for on the validation folds.
    pub threshold_metric: Option<String>,
    /// Stop starting jobs after this many seconds.
    pub time_budget_s: Option<f64>,
    /// Parallel jobs; default the machine's cores.
    pub jobs: Option<usize>,
    /// Drop rows whose target is missing instead of refusing them.
    pub drop_null_target: bool,
    /// Allow a search of more than 10,000 jobs.
    pub confirm_large: bool,
}

impl TrainSpec {
    /// Read a `train.toml`; unknown keys are refused with their line.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        toml::from_str(&text).map_err(|e| crate::error::toml_error(path, &text, &e))
    }
}

/// One configuration to cross-validate: an algorithm and its hyperparameters.
#[derive(Debug, Clone)]
pub struct Config {
    pub algorithm: &'static AlgorithmInfo,
    pub params: Params,
}

/// The target column, encoded.
#[derive(Debug, Clone)]
pub enum TargetData {
    /// Class index per row; `classes[i]` is the text of class i.
    Classes {
        y: Vec<usize>,
        classes: Vec<String>,
    },
    Values(Vec<f64>),
}

impl TargetData {
    pub fn n_classes(&self) -> usize {
        match self {
            Self::Classes { classes, .. } => classes.len(),
            Self::Values(_) => 0,
        }
    }

    pub fn classes(&self) -> &[String] {
        match self {
            Self::Classes { classes, .. } => classes,
            Self::Values(_) => &[],
        }
    }
}

/// A validated request, ready to search.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The spec with every default made explicit (stored with each run).
    pub spec: TrainSpec,
    pub data_path: PathBuf,
    pub task: Task,
    pub target: String,
    pub target_data: TargetData,
    /// The frame after dropping null-target rows (for the lineage fingerprint).
    pub frame: DataFrame,
    pub raw: Arc<RawTable>,
    pub split: Split,
    pub configs: Vec<Config>,
    pub metric: String,
    pub threshold_metric: Option<String>,
    pub jobs: usize,
    /// Things the user should know that did not stop the work.
    pub warnings: Vec<String>,
}

impl Prepared {
    pub fn n_jobs_total(&self) -> usize {
        self.configs.len() * self.split.folds.len()
    }
}

/// Check `spec` against `df` (already loaded from `data_path`).
pub fn prepare(spec: &TrainSpec, df: DataFrame, data_path: &Path) -> Result<Prepared> {
    let mut spec = spec.clone();
    let mut warnings = Vec::new();
    spec.preprocess.validate()?;
    let target = spec
        .target
        .clone()
        .ok_or_else(|| Error::usage("no target column: give --target COLUMN").field("target"))?;
    let Some(tcol) = df.column(&target).ok() else {
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        return Err(Error::usage(format!(
            "the data has no column '{target}'; it has {}",
            names.join(", ")
        ))
        .field("target"));
    };
    let tcol = tcol.clone();

    // Rows with no target.
    let nulls = tcol.null_count();
    let df = if nulls > 0 {
        if !spec.drop_null_target {
            return Err(Error::input(format!(
                "target '{target}' is missing in {nulls} of {} rows",
                df.height()
            ))
            .field(target.clone())
            .hint("drop those rows with --drop-null-target (or label them first)"));
        }
        warnings.push(format!(
            "dropped {nulls} rows whose target '{target}' is missing"
        ));
        let mask = tcol.is_not_null();
        df.filter(&mask)
            .map_err(|e| Error::internal(format!("dropping null targets: {e}")))?
    } else {
        df
    };
    let tcol = df
        .column(&target)
        .map_err(|e| Error::internal(e.to_string()))?
        .clone();
    let ttype = LogicalType::of(tcol.dtype());

    // Task: text and booleans are classes; a whole number with few distinct values too.
    let distinct = tcol.n_unique().unwrap_or(0);
    let inferred = match infer_task(ttype, distinct) {
        Some(task) => task,
        None => {
            return Err(Error::input(format!(
                "target '{target}' is a {} column; lathe predicts classes or numbers",
                ttype.name()
            ))
            .field(target.clone()));
        }
    };
    let task = spec.task.unwrap_or(inferred);
    spec.task = Some(task);
    let k = spec.validation.folds;
    if !(2..=100).contains(&k) {
        return Err(
            Error::usage(format!("folds must be between 2 and 100, not {k}"))
                .field("validation.folds"),
        );
    }
    let h = spec.validation.holdout;
    if !(0.0..0.9).contains(&h) {
        return Err(Error::usage(format!(
            "holdout must be a share from 0 to below 0.9, not {h}"
        ))
        .field("validation.holdout"));
    }

    let target_data = match task {
        Task::Regression => {
            if !ttype.is_numeric() || ttype == LogicalType::Bool {
                return Err(Error::input(format!(
                    "target '{target}' is {} but regression needs numbers",
                    ttype.name()
                ))
                .field(target.clone())
                .hint("use --task classification, or pick a numeric target"));
            }
            let v = crate::train::matrix::numeric_column(&df, &target)?;
            if let Some(bad) = v.iter().position(|x| !x.is_finite()) {
                return Err(Error::input(format!(
                    "target '{target}' is not a finite number in row {}",
                    bad + 1
                ))
                .field(target.clone()));
            }
            TargetData::Values(v)
        }
        Task::Classification => encode_classes(&tcol, &target, k, h)?,
    };

    // Features.
    let excluded: Vec<&str> = spec
        .ignore
        .iter()
        .chain(&spec.id)
        .map(String::as_str)
        .chain([target.as_str()])
        .collect();
    for name in spec.features.iter().chain(&spec.ignore).chain(&spec.id) {
        if df.column(name).is_err() {
            return Err(
                Error::usage(format!("the data has no column '{name}'")).field(name.clone())
            );
        }
    }
    let candidates: Vec<String> = if spec.features.is_empty() {
        df.get_column_names()
            .iter()
            .map(|s| s.to_string())
            .filter(|n| !excluded.contains(&n.as_str()))
            .collect()
    } else {
        spec.features.clone()
    };
    let mut features = Vec::new();
    for name in &candidates {
        if name == &target {
            return Err(
                Error::usage(format!("'{name}' is the target; it cannot be a feature"))
                    .field(name.clone()),
            );
        }
        let col = df
            .column(name)
            .map_err(|e| Error::internal(e.to_string()))?;
        match LogicalType::of(col.dtype()) {
            LogicalType::Int
                if spec.features.is_empty()
                    && looks_like_id(name)
                    && col.n_unique().unwrap_or(0) == col.len() =>
            {
                warnings.push(format!(
                    "left out '{name}': a unique number per row named like an identifier (name it with --id to silence this)"
                ));
            }
            LogicalType::Int | LogicalType::Float | LogicalType::Bool => {
                features.push((name.clone(), false));
            }
            LogicalType::String | LogicalType::Categorical => {
                let n = col.len().max(1);
                let d = col.n_unique().unwrap_or(0);
                if d > 1000 && d * 2 > n && spec.features.is_empty() {
                    warnings.push(format!(
                        "left out '{name}': {d} distinct texts in {n} rows looks like an identifier or free text"
                    ));
                } else {
                    features.push((name.clone(), true));
                }
            }
            other => {
                if !spec.features.is_empty() {
                    return Err(Error::usage(format!(
                        "feature '{name}' is a {} column, which lathe cannot use yet",
                        other.name()
                    ))
                    .field(name.clone()));
                }
                warnings.push(format!(
                    "left out '{name}': {} columns are not features yet",
                    other.name()
                ));
            }
        }
    }
    if features.is_empty() {
        return Err(Error::input(format!(
            "no usable feature columns: every column besides '{target}' is ignored, an id, or of an unusable type"
        ))
        .field("features"));
    }
    if features.len() >= df.height() {
        return Err(Error::input(format!(
            "{} feature columns but only {} rows: a model would only memorise them",
            features.len(),
            df.height()
        ))
        .hint("drop columns with --ignore, or use more rows"));
    }
    spec.features = features.iter().map(|(n, _)| n.clone()).collect();
    let raw = RawTable::from_frame(&df, &features)?;

    // Metric.
    let known: &[&str] = match task {
        Task::Classification => metrics::CLASSIFICATION_METRICS,
        Task::Regression => metrics::REGRESSION_METRICS,
    };
    let metric = spec.metric.clone().unwrap_or_else(|| {
        match task {
            Task::Classification => "f1_macro",
            Task::Regression => "r2",
        }
        .to_owned()
    });
    if !known.contains(&metric.as_str()) {
        return Err(Error::usage(format!(
            "unknown metric '{metric}' for {task}; choose from {}",
            known.join(", ")
        ))
        .field("metric"));
    }
    if task == Task::Classification
        && target_data.n_classes() > 2
        && matches!(metric.as_str(), "precision" | "recall" | "f1")
    {
        return Err(Error::usage(format!(
            "'{metric}' is for two classes; with {} classes use {metric}_macro or {metric}_weighted",
            target_data.n_classes()
        ))
        .field("metric"));
    }
    spec.metric = Some(metric.clone());
    let threshold_metric = if task == Task::Classification && target_data.n_classes() == 2 {
        let m = spec
            .threshold_metric
            .clone()
            .unwrap_or_else(|| "f1".to_owned());
        if !["f1", "balanced_accuracy", "mcc", "accuracy"].contains(&m.as_str()) {
            return Err(Error::usage(format!(
                "threshold_metric must be f1, balanced_accuracy, mcc or accuracy, not '{m}'"
            ))
            .field("threshold_metric"));
        }
        spec.threshold_metric = Some(m.clone());
        Some(m)
    } else {
        None
    };

    let split = split::split(
        df.height(),
        match &target_data {
            TargetData::Classes { y, .. } => Some(y),
            TargetData::Values(_) => None,
        },
        h,
        k,
        spec.validation.seed,
    );

    // Algorithms and their configurations.
    let n_train = split.train.len();
    if spec.algorithms.is_empty() {
        for a in algorithms::CATALOGUE.iter().filter(|a| a.task == task) {
            if a.binary_only && target_data.n_classes() > 2 {
                continue;
            }
            if !in_default_set(a, target_data.n_classes(), n_train) {
                warnings.push(format!(
                    "left '{}' out of the default set: {n_train} training rows is more than the {} it handles well",
                    a.id, a.default_up_to_rows
                ));
                continue;
            }
            spec.algorithms.push(AlgorithmSpec {
                id: a.id.to_owned(),
                grid: BTreeMap::new(),
            });
        }
    }
    let mut configs = Vec::new();
    for (i, a) in spec.algorithms.iter().enumerate() {
        let info = algorithms::find(&a.id, task)?;
        if info.binary_only && target_data.n_classes() > 2 {
            return Err(Error::usage(format!(
                "'{}' handles two classes and the target has {}",
                info.id,
                target_data.n_classes()
            ))
            .field("algorithms"));
        }
        let seed = spec.validation.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for params in expand(info, &a.grid, spec.search.kind, spec.search.n_iter, seed)? {
            configs.push(Config {
                algorithm: info,
                params: info.resolve(&params)?,
            });
        }
    }
    if configs.is_empty() {
        return Err(Error::usage("no algorithms to train").field("algorithms"));
    }
    let n_jobs_total = configs.len() * k;
    if n_jobs_total > LARGE_SEARCH_JOBS && !spec.confirm_large {
        return Err(Error::usage(format!(
            "the search has {n_jobs_total} jobs ({} configurations × {k} folds), more than {LARGE_SEARCH_JOBS}",
            configs.len()
        ))
        .hint("confirm with --yes (confirm_large = true in a spec), or shrink the grid"));
    }
    let jobs = match spec.jobs {
        Some(0) => {
            return Err(Error::usage("jobs must be at least 1").field("jobs"));
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if let Some(b) = spec.time_budget_s
        && (b.is_nan() || b <= 0.0)
    {
        return Err(
            Error::usage(format!("time budget must be positive, not {b}")).field("time_budget_s"),
        );
    }
    Ok(Prepared {
        spec,
        data_path: data_path.to_owned(),
        task,
        target,
        target_data,
        frame: df,
        raw: Arc::new(raw),
        split,
        configs,
        metric,
        threshold_metric,
        jobs,
        warnings,
    })
}

/// The task a target of this type and number of distinct values implies:
/// text and booleans are classes, and so is a whole number with at most 20
/// values; other numbers are regression. None for types lathe cannot predict.
pub fn infer_task(target_type: LogicalType, distinct: usize) -> Option<Task> {
    match target_type {
        LogicalType::String | LogicalType::Categorical | LogicalType::Bool => {
            Some(Task::Classification)
        }
        LogicalType::Int if distinct <= 20 => Some(Task::Classification),
        LogicalType::Int | LogicalType::Float => Some(Task::Regression),
        _ => None,
    }
}

/// Whether an algorithm is in the default search for a target with
/// `n_classes` classes (0 for regression) and `n_train` training rows.
pub fn in_default_set(info: &AlgorithmInfo, n_classes: usize, n_train: usize) -> bool {
    !(info.binary_only && n_classes > 2) && n_train <= info.default_up_to_rows
}

/// `id`, `row_id`, `readingId`: names people give identifier columns.
fn looks_like_id(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id"
        || n.ends_with("_id")
        || n.ends_with(" id")
        || name.ends_with("Id")
        || name.ends_with("ID")
}

/// Classes of `col` (sorted by value, numerically for numbers), checked for the folds.
fn encode_classes(col: &Column, target: &str, folds: usize, holdout: f64) -> Result<TargetData> {
    let numeric = col.dtype().is_primitive_numeric();
    let text = col
        .cast(&DataType::String)
        .map_err(|e| Error::internal(format!("target: {e}")))?;
    let text = text
        .str()
        .map_err(|e| Error::internal(format!("target: {e}")))?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in text.iter().flatten() {
        *counts.entry(v).or_default() += 1;
    }
    let mut classes: Vec<&str> = counts.keys().copied().collect();
    if numeric {
        classes.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y)
        });
    }
    if classes.len() < 2 {
        return Err(Error::input(format!(
            "target '{target}' has only one class ({}): there is nothing to learn",
            classes.first().map_or("none", |c| c)
        ))
        .field(target.to_owned()));
    }
    let need = ((folds as f64) / (1.0 - holdout)).ceil() as usize;
    for (c, n) in &counts {
        if *n < need {
            return Err(Error::input(format!(
                "class '{c}' of '{target}' has {n} rows, fewer than the {need} that {folds} folds{} need",
                if holdout > 0.0 { " and the hold-out" } else { "" }
            ))
            .field(target.to_owned())
            .hint("use fewer folds (--folds), label more rows of that class, or drop it"));
        }
    }
    let index: BTreeMap<&str, usize> = classes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let y = text
        .iter()
        .map(|v| v.and_then(|s| index.get(s).copied()).unwrap_or(0))
        .collect();
    Ok(TargetData::Classes {
        y,
        classes: classes.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// The hyperparameter sets of one algorithm: every grid combination, or
/// `n_iter` random draws.
fn expand(
    info: &AlgorithmInfo,
    grid: &BTreeMap<String, GridValues>,
    kind: SearchKind,
    n_iter: usize,
    seed: u64,
) -> Result<Vec<Params>> {
    for name in grid.keys() {
        if !info.params.iter().any(|p| p.name == name) {
            // resolve() words the error and lists the real names.
            let mut p = Params::new();
            p.insert(name.clone(), ParamValue::Int(0));
            info.resolve(&p)?;
        }
    }
    match kind {
        SearchKind::Grid => {
            let mut out = vec![Params::new()];
            for (name, values) in grid {
                let values = values.values();
                if values.is_empty() {
                    return Err(Error::usage(format!(
                        "the grid of '{}' gives no values for '{name}'",
                        info.id
                    ))
                    .field(name.clone()));
                }
                let mut next = Vec::with_capacity(out.len() * values.len());
                for base in &out {
                    for v in &values {
                        let mut p = base.clone();
                        p.insert(name.clone(), v.clone());
                        next.push(p);
                    }
                }
                out = next;
            }
            Ok(out)
        }
        SearchKind::Random => {
            if n_iter == 0 {
                return Err(
                    Error::usage("random search needs n_iter of at least 1").field("search.n_iter")
                );
            }
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let mut out = Vec::with_capacity(n_iter);
            for _ in 0..n_iter {
                let mut p = Params::new();
                for info_p in info.params {
                    let v = match grid.get(info_p.name) {
                        Some(values) => {
                            let values = values.values();
                            if values.is_empty() {
                                continue;
                            }
                            values[rng.gen_range(0..values.len())].clone()
                        }
                        None => draw(info_p, &mut rng),
                    };
                    p.insert(info_p.name.to_owned(), v);
                }
                out.push(p);
            }
            Ok(out)
        }
    }
}

/// A random value of `p` around its default: ints within ×/÷ 4, log-scaled
/// floats within ×/÷ 100, other floats over their range when it is short.
fn draw(p: &ParamInfo, rng: &mut Xoshiro256PlusPlus) -> ParamValue {
    let d = p.default_value();
    match (p.kind, &d) {
        (ParamKind::Int { min, max }, ParamValue::Int(d)) => {
            let lo = (d / 4).max(min);
            let hi = (d * 4).max(lo + 1).min(max);
            ParamValue::Int(rng.gen_range(lo..=hi.max(lo)))
        }
        (ParamKind::Float { min, max, log }, ParamValue::Float(d)) => {
            if log && *d > 0.0 {
                let lo = (d / 100.0).max(min).max(f64::MIN_POSITIVE);
                let hi = (d * 100.0).min(max).max(lo);
                ParamValue::Float(rng.gen_range(lo.ln()..=hi.ln()).exp())
            } else if max - min <= 10.0 {
                ParamValue::Float(rng.gen_range(min..=max))
            } else if *d > 0.0 {
                let lo = (d / 4.0).max(min);
                let hi = (d * 4.0).min(max).max(lo);
                ParamValue::Float(rng.gen_range(lo..=hi))
            } else {
                // An "automatic" default such as kernel_width = 0 stays automatic.
                ParamValue::Float(*d)
            }
        }
        (ParamKind::Choice(o), _) => ParamValue::Text(o[rng.gen_range(0..o.len())].to_owned()),
        _ => d,
    }
}
