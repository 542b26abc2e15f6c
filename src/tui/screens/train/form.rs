//! The Train form: target, task, folds, seed, jobs and the algorithms with
//! their grids, turned into a [`TrainSpec`] on start. It only guesses what
//! helps fill it in (the target, the task, the default algorithm set);
//! `prepare()` stays the judge of what is valid.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::DataFrame;

use crate::data::LogicalType;
use crate::error::{Error, Result};
use crate::train::Task;
use crate::train::algorithms::{AlgorithmInfo, CATALOGUE, ParamInfo, ParamValue};
use crate::train::spec::{AlgorithmSpec, GridValues, TrainSpec, ValidationSpec};

/// Rows of the form before the algorithm list.
pub const FIELDS: usize = 5;

/// Names that usually mark the column to predict, best first.
const TARGET_NAMES: [&str; 9] = [
    "target",
    "label",
    "class",
    "failure",
    "diagnosis",
    "outcome",
    "churn",
    "y",
    "species",
];

/// What the row under the cursor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Target,
    Task,
    Folds,
    Seed,
    Jobs,
    Algorithm(usize),
}

/// One algorithm of the list: ticked or not, and its values to try.
#[derive(Debug, Clone)]
pub struct AlgoRow {
    pub info: &'static AlgorithmInfo,
    pub on: bool,
    /// The hyperparameter ←/→ selects and the edit key changes.
    pub param: usize,
    /// Hyperparameter → values; absent = the default.
    pub grid: BTreeMap<&'static str, Vec<ParamValue>>,
}

impl AlgoRow {
    /// Configurations this row adds to a grid search.
    pub fn configs(&self) -> usize {
        self.grid.values().map(Vec::len).product::<usize>().max(1)
    }

    pub fn selected_param(&self) -> Option<&'static ParamInfo> {
        self.info.params.get(self.param)
    }
}

/// What the form knows about the target column.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetInfo {
    pub ty: LogicalType,
    /// Distinct values besides null.
    pub distinct: usize,
    pub nulls: usize,
    /// The task `prepare()` infers: text and booleans are classes, a whole
    /// number with few values too, other numbers are regression.
    pub inferred: Option<Task>,
}

impl TargetInfo {
    fn of(df: &DataFrame, name: &str) -> Option<Self> {
        let col = df.column(name).ok()?;
        let ty = LogicalType::of(col.dtype());
        let nulls = col.null_count();
        let distinct = col
            .n_unique()
            .unwrap_or(0)
            .saturating_sub(usize::from(nulls > 0));
        let inferred = crate::train::spec::infer_task(ty, distinct);
        Some(Self {
            ty,
            distinct,
            nulls,
            inferred,
        })
    }
}

/// Text being typed into the field under the cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub field: Field,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub columns: Vec<(String, LogicalType)>,
    pub rows: usize,
    pub target: Option<usize>,
    pub target_info: Option<TargetInfo>,
    /// None: inferred from the target.
    pub task: Option<Task>,
    pub folds: usize,
    pub seed: u64,
    /// None: every core.
    pub jobs: Option<usize>,
    pub algos: Vec<AlgoRow>,
    /// The task the algorithm list is for.
    pub algos_task: Option<Task>,
    pub cursor: usize,
    pub input: Option<Input>,
}

impl Default for Form {
    fn default() -> Self {
        let v = ValidationSpec::default();
        Self {
            columns: Vec::new(),
            rows: 0,
            target: None,
            target_info: None,
            task: None,
            folds: v.folds,
            seed: v.seed,
            jobs: None,
            algos: Vec::new(),
            algos_task: None,
            cursor: 0,
            input: None,
        }
    }
}

impl Form {
    /// Take the columns of a (new) frame; the target stays when the new frame has it.
    pub fn set_frame(&mut self, df: &DataFrame) {
        let keep = self.target_name().map(str::to_owned);
        self.columns = df
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), LogicalType::of(c.dtype())))
            .collect();
        self.rows = df.height();
        self.target = keep
            .and_then(|k| self.columns.iter().position(|(n, _)| *n == k))
            .or_else(|| default_target(&self.columns));
        self.refresh(df);
    }

    pub fn target_name(&self) -> Option<&str> {
        self.target
            .and_then(|i| self.columns.get(i))
            .map(|(n, _)| n.as_str())
    }

    /// The task the form trains for: chosen, inferred, or classification.
    pub fn effective_task(&self) -> Task {
        self.task
            .or(self.target_info.as_ref().and_then(|t| t.inferred))
            .unwrap_or(Task::Classification)
    }

    /// Recompute what depends on the target; a new task gets its default algorithms.
    fn refresh(&mut self, df: &DataFrame) {
        self.target_info = self.target_name().and_then(|n| TargetInfo::of(df, n));
        let task = self.effective_task();
        if self.algos_task != Some(task) {
            self.reset_algorithms(task);
        }
    }

    /// The algorithms of `task`, the default set ticked (as `prepare()` chooses it).
    fn reset_algorithms(&mut self, task: Task) {
        let classes = self.target_info.as_ref().map_or(0, |t| t.distinct);
        let holdout = ValidationSpec::default().holdout;
        let n_train = self.rows - (self.rows as f64 * holdout).round() as usize;
        self.algos = CATALOGUE
            .iter()
            .filter(|a| a.task == task)
            .map(|a| AlgoRow {
                info: a,
                on: crate::train::spec::in_default_set(a, classes, n_train),
                param: 0,
                grid: BTreeMap::new(),
            })
            .collect();
        self.algos_task = Some(task);
        self.cursor = self.cursor.min(self.n_entries().saturating_sub(1));
    }

    /// Rows the cursor can be on.
    pub fn n_entries(&self) -> usize {
        FIELDS + self.algos.len()
    }

    pub fn field(&self) -> Field {
        match self.cursor {
            0 => Field::Target,
            1 => Field::Task,
            2 => Field::Folds,
            3 => Field::Seed,
            4 => Field::Jobs,
            n => Field::Algorithm(n - FIELDS),
        }
    }

    pub fn move_cursor(&mut self, delta: isize) {
        let last = self.n_entries().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    /// ←/→ on the field under the cursor.
    pub fn adjust(&mut self, delta: i64, df: Option<&DataFrame>) {
        match self.field() {
            Field::Target => {
                let n = self.columns.len() as i64;
                if n == 0 {
                    return;
                }
                let i = self.target.map_or(0, |t| t as i64);
                self.target = Some((i + delta).rem_euclid(n) as usize);
                if let Some(df) = df {
                    self.refresh(df);
                }
            }
            Field::Task => {
                let order = [None, Some(Task::Classification), Some(Task::Regression)];
                let i = order.iter().position(|t| *t == self.task).unwrap_or(0) as i64;
                self.task = order[(i + delta).rem_euclid(3) as usize];
                if let Some(df) = df {
                    self.refresh(df);
                }
            }
            Field::Folds => self.folds = step(self.folds as i64, delta, 2, 100) as usize,
            Field::Seed => self.seed = self.seed.saturating_add_signed(delta),
            Field::Jobs => {
                // auto, 1, 2, … : auto sits below one.
                let now = self.jobs.map_or(0, |j| j as i64);
                let next = step(now, delta, 0, 256);
                self.jobs = (next > 0).then_some(next as usize);
            }
            Field::Algorithm(i) => {
                if let Some(a) = self.algos.get_mut(i) {
                    let n = a.info.params.len() as i64;
                    if n > 0 {
                        a.param = (a.param as i64 + delta).rem_euclid(n) as usize;
                    }
                }
            }
        }
    }

    /// Space: tick or untick the algorithm under the cursor.
    pub fn toggle(&mut self) {
        if let Field::Algorithm(i) = self.field()
            && let Some(a) = self.algos.get_mut(i)
        {
            a.on = !a.on;
        }
    }

    /// Start typing the field under the cursor, from its current value.
    pub fn begin_edit(&mut self) {
        let field = self.field();
        let text = match field {
            Field::Target => self.target_name().unwrap_or_default().to_owned(),
            Field::Task => return,
            Field::Folds => self.folds.to_string(),
            Field::Seed => self.seed.to_string(),
            Field::Jobs => self.jobs.map_or_else(String::new, |j| j.to_string()),
            Field::Algorithm(i) => {
                let Some(a) = self.algos.get(i) else { return };
                let Some(p) = a.selected_param() else { return };
                values_text(a.grid.get(p.name).map(Vec::as_slice))
            }
        };
        self.input = Some(Input { field, text });
    }

    /// Enter in a text field: parse and apply it.
    pub fn commit(&mut self, df: Option<&DataFrame>) -> Result<()> {
        let Some(Input { field, text }) = self.input.take() else {
            return Ok(());
        };
        let text = text.trim();
        let number = |what: &str| {
            text.replace('_', "").parse::<u64>().map_err(|_| {
                Error::usage(format!("{what} wants a whole number, not '{text}'")).field(what)
            })
        };
        match field {
            Field::Target => {
                self.target = Some(self.find_column(text)?);
                if let Some(df) = df {
                    self.refresh(df);
                }
            }
            Field::Task => {}
            // Ranges are prepare()'s to check: it says what is allowed.
            Field::Folds => self.folds = number("folds")? as usize,
            Field::Seed => self.seed = number("seed")?,
            Field::Jobs if text.is_empty() || text == "auto" => self.jobs = None,
            Field::Jobs => self.jobs = Some(number("jobs")? as usize),
            Field::Algorithm(i) => {
                let Some(a) = self.algos.get_mut(i) else {
                    return Ok(());
                };
                let Some(p) = a.selected_param() else {
                    return Ok(());
                };
                if text.is_empty() {
                    a.grid.remove(p.name);
                } else {
                    let values = text
                        .split(',')
                        .map(|v| p.parse(v))
                        .collect::<Result<Vec<_>>>()
                        .map_err(|e| e.field(format!("{}.{}", a.info.id, p.name)))?;
                    a.grid.insert(p.name, values);
                    a.on = true;
                }
            }
        }
        Ok(())
    }

    /// A column by name: exact, then ignoring case, then a unique prefix.
    fn find_column(&self, text: &str) -> Result<usize> {
        let names = || self.columns.iter().map(|(n, _)| n.as_str());
        let lower = text.to_lowercase();
        if let Some(i) = names().position(|n| n == text) {
            return Ok(i);
        }
        if let Some(i) = names().position(|n| n.to_lowercase() == lower) {
            return Ok(i);
        }
        let hits: Vec<usize> = names()
            .enumerate()
            .filter(|(_, n)| n.to_lowercase().starts_with(&lower))
            .map(|(i, _)| i)
            .collect();
        match hits.as_slice() {
            [i] if !text.is_empty() => Ok(*i),
            _ => Err(Error::usage(format!(
                "the data has no column '{text}'; it has {}",
                names().collect::<Vec<_>>().join(", ")
            ))
            .field("target")),
        }
    }

    /// Configurations of the ticked algorithms (grid search).
    pub fn configs(&self) -> usize {
        self.algos
            .iter()
            .filter(|a| a.on)
            .map(AlgoRow::configs)
            .sum()
    }

    /// The request, for `prepare()` to validate.
    pub fn spec(&self, data: &Path) -> Result<TrainSpec> {
        let target = self.target_name().ok_or_else(|| {
            Error::usage("no target column: the data has no columns").field("target")
        })?;
        let algorithms: Vec<AlgorithmSpec> = self
            .algos
            .iter()
            .filter(|a| a.on)
            .map(|a| AlgorithmSpec {
                id: a.info.id.to_owned(),
                grid: a
                    .grid
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), GridValues::Many(v.clone())))
                    .collect(),
            })
            .collect();
        if algorithms.is_empty() {
            return Err(Error::usage("no algorithm is ticked")
                .field("algorithms")
                .hint("tick one or more in the Algorithms list"));
        }
        // The list is for the task shown; say it, so prepare() checks that task.
        let task = self
            .task
            .or(self.target_info.as_ref().and_then(|t| t.inferred));
        Ok(TrainSpec {
            data: Some(data.display().to_string()),
            target: Some(target.to_owned()),
            task,
            validation: ValidationSpec {
                folds: self.folds,
                seed: self.seed,
                ..ValidationSpec::default()
            },
            algorithms,
            jobs: self.jobs,
            ..TrainSpec::default()
        })
    }
}

/// `v1,v2` of a grid entry; empty for the default.
pub fn values_text(values: Option<&[ParamValue]>) -> String {
    values.map_or_else(String::new, |v| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn step(now: i64, delta: i64, min: i64, max: i64) -> i64 {
    (now + delta).clamp(min, max)
}

/// The column named like a target, else the last one.
fn default_target(columns: &[(String, LogicalType)]) -> Option<usize> {
    TARGET_NAMES
        .iter()
        .find_map(|want| columns.iter().position(|(n, _)| n.to_lowercase() == *want))
        .or_else(|| columns.len().checked_sub(1))
}
