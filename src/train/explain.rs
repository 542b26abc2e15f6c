//! Explanations: SHAP values of a fitted model, per input column, in the
//! model's raw output — log-odds for boosting and logistic regression (a
//! logit per class beyond two classes), the probability of each class for
//! trees and forests (which average their leaves' class shares), the value
//! for regressors. For every row, `base + Σ values = raw output`.
//!
//! | model | method |
//! |---|---|
//! | decision tree, random forest, gradient boosting (format 4 on) | exact path-dependent TreeSHAP ([`tree`]) on the node covers |
//! | logistic, linear, elastic net | exact linear SHAP, `w · (x − E[x])`, E over the training rows |
//! | k-NN, naive Bayes, SVM, older models | the permutation estimate ([`sampling`]) with its standard error |
//!
//! Values are computed on the learner's features (standardised numbers and
//! one-hot categories) and summed back to the input columns; SHAP values
//! add, so a category's value is the sum of its one-hot columns'.

pub mod sampling;
pub mod tree;

use std::ops::Range;

use rand::seq::SliceRandom;
use rand::seq::index::sample;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::train::Task;
use crate::train::algorithms::{Model, Predictions};
use crate::train::features::{FittedColumn, FittedPipeline, RawColumn, RawTable};
use crate::train::hist::boost::{Booster, Loss};
use crate::train::hist::forest::Forest;
use crate::train::hist::rng_for;
use crate::train::matrix::Matrix;
use crate::train::model::FittedModel;

/// Training rows a model keeps for explanations (model format 4 on): the
/// mean of its transformed training rows (linear SHAP's expectation) and a
/// seeded sample of them (the sampling estimate's background).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Background {
    pub mean: Vec<f64>,
    pub rows: usize,
    /// `rows × mean.len()`, row-major.
    pub data: Vec<f64>,
}

/// Training rows the mean is taken over (a seeded sample above this).
const MEAN_ROWS: usize = 20_000;
/// Training rows kept as the sampling estimate's background.
pub const BACKGROUND_ROWS: usize = 32;

impl Background {
    /// From the training rows `rows` of `raw` through the fitted pipeline.
    pub fn fit(
        pipeline: &FittedPipeline,
        raw: &RawTable,
        rows: &[usize],
        seed: u64,
    ) -> Result<Self> {
        let mut rng = rng_for(seed, 0xBAC6);
        let mut sample = rows.to_vec();
        sample.shuffle(&mut rng);
        sample.truncate(MEAN_ROWS);
        let x = pipeline.transform(raw, &sample)?;
        let mut mean = vec![0.0; x.cols];
        for r in 0..x.rows {
            for (m, v) in mean.iter_mut().zip(x.row(r)) {
                *m += v;
            }
        }
        for m in &mut mean {
            *m /= x.rows.max(1) as f64;
        }
        let keep = x.rows.min(BACKGROUND_ROWS);
        Ok(Background {
            mean,
            rows: keep,
            data: x.data[..keep * x.cols].to_vec(),
        })
    }

    fn matrix(&self) -> Matrix {
        Matrix {
            rows: self.rows,
            cols: self.mean.len(),
            data: self.data.clone(),
        }
    }
}

/// How the values were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact path-dependent TreeSHAP on the trees' node covers.
    TreeExact,
    /// Exact SHAP of a linear model with independent features.
    Linear,
    /// The permutation estimate; see [`Explanation::std_error`].
    Sampling,
}

impl Method {
    pub fn is_exact(self) -> bool {
        self != Method::Sampling
    }

    pub fn label(self) -> &'static str {
        match self {
            Method::TreeExact => "exact TreeSHAP",
            Method::Linear => "exact linear SHAP",
            Method::Sampling => "sampling estimate",
        }
    }
}

/// What the explained output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawOutput {
    /// The log-odds of the second class (one output).
    LogOdds,
    /// A raw score per class, before the softmax.
    Logits,
    /// A probability per class.
    Probability,
    /// The predicted value.
    Value,
}

impl RawOutput {
    pub fn label(self) -> &'static str {
        match self {
            RawOutput::LogOdds => "log-odds",
            RawOutput::Logits => "logit",
            RawOutput::Probability => "probability",
            RawOutput::Value => "value",
        }
    }
}

/// SHAP values of some rows.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub method: Method,
    pub output: RawOutput,
    /// One name per output: the class (or the second class for log-odds), or the target.
    pub outputs: Vec<String>,
    /// The input columns.
    pub columns: Vec<String>,
    pub rows: usize,
    /// The expected output, one per output.
    pub base: Vec<f64>,
    /// `rows × outputs × columns`.
    pub values: Vec<f64>,
    /// The model's raw output, `rows × outputs` (computed by prediction, not from the values).
    pub raw: Vec<f64>,
    /// The sampling estimate's standard error of each value (shaped as `values`).
    pub std_error: Option<Vec<f64>>,
    /// Which output a row's explanation shows: this one for two-class
    /// probabilities, else (None) the row's largest for classes, or the only one.
    pub positive: Option<usize>,
    /// Why an estimate was used, and what else the reader should know.
    pub notes: Vec<String>,
}

impl Explanation {
    fn n_out(&self) -> usize {
        self.outputs.len()
    }

    /// The output a row's explanation shows (the predicted class's for more than two classes).
    pub fn shown_output(&self, r: usize) -> usize {
        let m = self.n_out();
        if m == 1 {
            return 0;
        }
        if let Some(p) = self.positive {
            return p;
        }
        let raw = &self.raw[r * m..(r + 1) * m];
        (0..m).fold(0, |best, o| if raw[o] > raw[best] { o } else { best })
    }

    /// Row `r`'s values for output `o`, one per column.
    pub fn values_of(&self, r: usize, o: usize) -> &[f64] {
        let (m, c) = (self.n_out(), self.columns.len());
        &self.values[(r * m + o) * c..(r * m + o + 1) * c]
    }

    /// Row `r`'s raw output `o`.
    pub fn raw_of(&self, r: usize, o: usize) -> f64 {
        self.raw[r * self.n_out() + o]
    }

    /// Row `r`'s standard errors for output `o` (sampling only).
    pub fn errors_of(&self, r: usize, o: usize) -> Option<&[f64]> {
        let (m, c) = (self.n_out(), self.columns.len());
        self.std_error
            .as_ref()
            .map(|e| &e[(r * m + o) * c..(r * m + o + 1) * c])
    }

    /// Mean |value| per column over the rows, each row at its shown output.
    pub fn mean_abs(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.columns.len()];
        for r in 0..self.rows {
            for (a, v) in out.iter_mut().zip(self.values_of(r, self.shown_output(r))) {
                *a += v.abs();
            }
        }
        for a in &mut out {
            *a /= self.rows.max(1) as f64;
        }
        out
    }

    /// The largest |base + Σ values − raw output| over rows and outputs.
    pub fn additivity_error(&self) -> f64 {
        let mut worst: f64 = 0.0;
        for r in 0..self.rows {
            for o in 0..self.n_out() {
                let sum: f64 = self.base[o] + self.values_of(r, o).iter().sum::<f64>();
                worst = worst.max((sum - self.raw_of(r, o)).abs());
            }
        }
        worst
    }
}

/// Settings of the sampling estimate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Column orders per row (even: antithetic pairs).
    pub permutations: usize,
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            permutations: 32,
            seed: 0,
        }
    }
}

/// The transformed columns of each input column, in the pipeline's order.
pub fn spans(pipeline: &FittedPipeline) -> Vec<Range<usize>> {
    let mut at = 0;
    pipeline
        .columns
        .iter()
        .map(|c| {
            let w = match c {
                FittedColumn::Numeric { .. } => 1,
                FittedColumn::Category {
                    categories, other, ..
                } => categories.len() + usize::from(*other),
            };
            at += w;
            at - w..at
        })
        .collect()
}

/// Explain rows `rows` of `raw` (columns as [`FittedModel::inputs`] lists them).
pub fn explain(
    model: &FittedModel,
    raw: &RawTable,
    rows: &[usize],
    opts: &Options,
) -> Result<Explanation> {
    let x = model.pipeline.transform(raw, rows)?;
    let spans = spans(&model.pipeline);
    let columns: Vec<String> = model
        .pipeline
        .columns
        .iter()
        .map(|c| match c {
            FittedColumn::Numeric { name, .. } | FittedColumn::Category { name, .. } => {
                name.clone()
            }
        })
        .collect();
    let k = model.classes.len();
    let classes = model.classes.clone();
    let target = vec![model.target.clone()];
    let second = || vec![model.classes.get(1).cloned().unwrap_or_default()];
    let mut notes = Vec::new();
    let partial = |method, output, outputs: Vec<String>| Explanation {
        method,
        output,
        positive: (output == RawOutput::Probability && outputs.len() == 2).then_some(1),
        outputs,
        columns: columns.clone(),
        rows: x.rows,
        base: Vec::new(),
        values: Vec::new(),
        raw: Vec::new(),
        std_error: None,
        notes: Vec::new(),
    };
    let covered = |trees: &[crate::train::hist::tree::Tree]| trees.iter().all(|t| t.has_cover());
    let mut e = match &model.model {
        Model::DecisionTree(f) | Model::RandomForest(f) if covered(&f.trees) => {
            let mut e = partial(Method::TreeExact, RawOutput::Probability, classes.clone());
            forest_shap(f, &x, &spans, &mut e);
            e
        }
        Model::TreeRegressor(f) | Model::ForestRegressor(f) if covered(&f.trees) => {
            let mut e = partial(Method::TreeExact, RawOutput::Value, target.clone());
            forest_shap(f, &x, &spans, &mut e);
            e
        }
        Model::Boost(b) | Model::BoostRegressor(b) if covered(&b.trees) => {
            let (output, outputs) = match b.loss {
                Loss::SquaredError => (RawOutput::Value, target.clone()),
                Loss::LogLoss => (RawOutput::LogOdds, second()),
                Loss::Softmax => (RawOutput::Logits, classes.clone()),
            };
            let mut e = partial(Method::TreeExact, output, outputs);
            boost_shap(b, &x, &spans, &mut e);
            e
        }
        Model::Logistic(m) => {
            let outputs = m.coef.len() / (m.cols + 1).max(1);
            let (output, names) = if outputs == 1 {
                (RawOutput::LogOdds, second())
            } else {
                (RawOutput::Logits, classes.clone())
            };
            let (mean, note) = expectation(model, &x);
            notes.extend(note);
            let mut e = partial(Method::Linear, output, names);
            let planes: Vec<(&[f64], f64)> = m
                .coef
                .chunks_exact(m.cols + 1)
                .map(|w| (&w[..m.cols], w[m.cols]))
                .collect();
            linear_shap(&planes, &mean, &x, &spans, &mut e);
            e
        }
        Model::Linear(m) => {
            let (mean, note) = expectation(model, &x);
            notes.extend(note);
            let mut e = partial(Method::Linear, RawOutput::Value, target.clone());
            let w = m.params().to_vec();
            linear_shap(&[(&w, m.intercept())], &mean, &x, &spans, &mut e);
            e
        }
        Model::ElasticNet(m) => {
            let (mean, note) = expectation(model, &x);
            notes.extend(note);
            let mut e = partial(Method::Linear, RawOutput::Value, target.clone());
            let w = m.hyperplane().to_vec();
            linear_shap(&[(&w, m.intercept())], &mean, &x, &spans, &mut e);
            e
        }
        other => {
            if matches!(
                other,
                Model::DecisionTree(_)
                    | Model::RandomForest(_)
                    | Model::TreeRegressor(_)
                    | Model::ForestRegressor(_)
                    | Model::Boost(_)
                    | Model::BoostRegressor(_)
            ) {
                notes.push(format!(
                    "this {} model was fitted before model format 4 and keeps no node covers, so its values are a sampling estimate; train it again for exact TreeSHAP",
                    model.algorithm
                ));
            }
            let (output, names) = match model.task {
                Task::Classification => (RawOutput::Probability, classes.clone()),
                Task::Regression => (RawOutput::Value, target.clone()),
            };
            let mut e = partial(Method::Sampling, output, names);
            let background = match &model.background {
                Some(b) if b.rows > 0 && b.mean.len() == x.cols => b.matrix(),
                _ => {
                    notes.push(format!(
                        "the model keeps no training rows (format before 4): the background is {} of the explained rows",
                        x.rows.min(BACKGROUND_ROWS)
                    ));
                    let mut pick: Vec<usize> = (0..x.rows).collect();
                    pick.shuffle(&mut rng_for(opts.seed, 0xBAC6));
                    pick.truncate(BACKGROUND_ROWS);
                    x.select_rows(&pick)
                }
            };
            let f = |m: &Matrix| -> Result<Vec<f64>> {
                Ok(match other.predict(m, k)? {
                    Predictions::Classes { proba: Some(p), .. } => p,
                    Predictions::Classes { labels, .. } => {
                        let mut p = vec![0.0; labels.len() * k];
                        for (r, &l) in labels.iter().enumerate() {
                            p[r * k + l.min(k.saturating_sub(1))] = 1.0;
                        }
                        p
                    }
                    Predictions::Values(v) => v,
                })
            };
            let est = sampling::Estimator {
                f: &f,
                outputs: e.outputs.len(),
                background: &background,
                spans: &spans,
                permutations: opts.permutations,
                seed: opts.seed,
            };
            sampling_shap(&est, &x, rows, &mut e)?;
            e.raw = f(&x)?;
            e
        }
    };
    e.notes.extend(notes);
    if e.values.len() != e.rows * e.outputs.len() * e.columns.len() {
        return Err(Error::internal(format!(
            "explanation of {} rows × {} outputs × {} columns has {} values",
            e.rows,
            e.outputs.len(),
            e.columns.len(),
            e.values.len()
        )));
    }
    Ok(e)
}

/// The expectation of the learner's features: the model's training mean, or
/// for models before format 4 the explained rows' mean (and a note saying so).
fn expectation(model: &FittedModel, x: &Matrix) -> (Vec<f64>, Option<String>) {
    if let Some(b) = &model.background
        && b.mean.len() == x.cols
    {
        return (b.mean.clone(), None);
    }
    let mut mean = vec![0.0; x.cols];
    for r in 0..x.rows {
        for (m, v) in mean.iter_mut().zip(x.row(r)) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= x.rows.max(1) as f64;
    }
    (
        mean,
        Some("the model keeps no training mean (format before 4): the base value is the mean over the explained rows".into()),
    )
}

/// Sum transformed-feature values (`features × m`) into input columns
/// (`m × columns`, the layout of one row of [`Explanation::values`]).
fn fold(phi: &[f64], m: usize, spans: &[Range<usize>], out: &mut [f64]) {
    let c = spans.len();
    for (col, span) in spans.iter().enumerate() {
        for j in span.clone() {
            for o in 0..m {
                out[o * c + col] += phi[j * m + o];
            }
        }
    }
}

/// Trees are explained in groups of this many, each group into its own
/// buffer, and the groups summed in order: the same sums whether a row's
/// groups run on one thread (many rows, in parallel over rows) or on all of
/// them (fewer rows than threads, e.g. a one-row server request).
const TREE_GROUP: usize = 16;

/// Trees' SHAP values: `add(trees, row, phi, scratch)` adds the values of
/// the trees `trees` (indices) for a row to `phi` (features × m). Rows in
/// parallel, or a row's tree groups in parallel when there are few rows.
fn trees_shap(
    x: &Matrix,
    m: usize,
    n_trees: usize,
    spans: &[Range<usize>],
    e: &mut Explanation,
    add: impl Fn(Range<usize>, &[f64], &mut [f64], &mut tree::Scratch) + Sync,
) {
    let c = spans.len();
    let width = x.cols * m;
    let groups: Vec<Range<usize>> = (0..n_trees)
        .step_by(TREE_GROUP)
        .map(|a| a..(a + TREE_GROUP).min(n_trees))
        .collect();
    // One group's values for a row, into `part`.
    let group = |r: usize, g: &Range<usize>, part: &mut [f64], scratch: &mut tree::Scratch| {
        part.fill(0.0);
        add(g.clone(), x.row(r), part, scratch);
    };
    let mut values = vec![0.0; x.rows * m * c];
    if x.rows < rayon::current_num_threads() && groups.len() > 1 {
        for (r, out) in values.chunks_mut(m * c).enumerate() {
            let parts: Vec<Vec<f64>> = groups
                .par_iter()
                .map_init(tree::Scratch::default, |scratch, g| {
                    let mut part = vec![0.0; width];
                    group(r, g, &mut part, scratch);
                    part
                })
                .collect();
            let mut phi = vec![0.0; width];
            for part in &parts {
                for (a, v) in phi.iter_mut().zip(part) {
                    *a += v;
                }
            }
            fold(&phi, m, spans, out);
        }
    } else {
        values.par_chunks_mut(m * c).enumerate().for_each_init(
            || (tree::Scratch::default(), vec![0.0; width], vec![0.0; width]),
            |(scratch, phi, part), (r, out)| {
                phi.fill(0.0);
                for g in &groups {
                    group(r, g, part, scratch);
                    for (a, v) in phi.iter_mut().zip(part.iter()) {
                        *a += v;
                    }
                }
                fold(phi, m, spans, out);
            },
        );
    }
    e.values = values;
}

fn forest_shap(f: &Forest, x: &Matrix, spans: &[Range<usize>], e: &mut Explanation) {
    let m = f.outputs;
    let explainers: Vec<tree::Explainer<'_>> = f.trees.iter().map(tree::Explainer::new).collect();
    let scale = 1.0 / explainers.len().max(1) as f64;
    e.base = vec![0.0; m];
    for t in &explainers {
        for (b, v) in e.base.iter_mut().zip(t.expected()) {
            *b += v * scale;
        }
    }
    trees_shap(
        x,
        m,
        explainers.len(),
        spans,
        e,
        |trees, row, phi, scratch| {
            for t in &explainers[trees] {
                t.add(row, scale, phi, scratch);
            }
        },
    );
    e.raw = f.predict(x);
}

fn boost_shap(b: &Booster, x: &Matrix, spans: &[Range<usize>], e: &mut Explanation) {
    let k = b.init.len().max(1);
    let explainers: Vec<tree::Explainer<'_>> = b.trees.iter().map(tree::Explainer::new).collect();
    e.base = b.init.clone();
    e.base.resize(k, 0.0);
    for (i, t) in explainers.iter().enumerate() {
        e.base[i % k] += t.expected().first().copied().unwrap_or(0.0);
    }
    // Each tree has one output; tree i writes into column i % k of phi.
    trees_shap(
        x,
        k,
        explainers.len(),
        spans,
        e,
        |trees, row, phi, scratch| {
            let mut one = vec![0.0; x.cols];
            for i in trees {
                one.fill(0.0);
                explainers[i].add(row, 1.0, &mut one, scratch);
                for (f, v) in one.iter().enumerate() {
                    phi[f * k + i % k] += v;
                }
            }
        },
    );
    e.raw = b.raw_scores(x);
}

/// `planes`: one (weights, intercept) per output.
fn linear_shap(
    planes: &[(&[f64], f64)],
    mean: &[f64],
    x: &Matrix,
    spans: &[Range<usize>],
    e: &mut Explanation,
) {
    let m = planes.len();
    let c = spans.len();
    e.base = planes
        .iter()
        .map(|(w, b)| b + w.iter().zip(mean).map(|(a, v)| a * v).sum::<f64>())
        .collect();
    e.values = vec![0.0; x.rows * m * c];
    e.raw = vec![0.0; x.rows * m];
    let mut phi = vec![0.0; x.cols * m];
    for r in 0..x.rows {
        let row = x.row(r);
        for (o, (w, b)) in planes.iter().enumerate() {
            for j in 0..x.cols {
                phi[j * m + o] = w[j] * (row[j] - mean[j]);
            }
            e.raw[r * m + o] = b + w.iter().zip(row).map(|(a, v)| a * v).sum::<f64>();
        }
        fold(&phi, m, spans, &mut e.values[r * m * c..(r + 1) * m * c]);
    }
}

/// `ids`: the explained rows' indices in their table, which seed each row's
/// column orders (so a row's estimate does not depend on which rows, or
/// how many, are explained with it).
fn sampling_shap(
    est: &sampling::Estimator<'_>,
    x: &Matrix,
    ids: &[usize],
    e: &mut Explanation,
) -> Result<()> {
    let m = est.outputs;
    let c = est.spans.len();
    e.base = est.base()?;
    let rows: Vec<sampling::RowEstimate> = (0..x.rows)
        .into_par_iter()
        .map(|r| est.row(x.row(r), ids[r] as u64, &e.base))
        .collect::<Result<_>>()?;
    // The estimate is columns × outputs; an explanation row is outputs × columns.
    let mut values = vec![0.0; x.rows * m * c];
    let mut errors = vec![0.0; x.rows * m * c];
    for (r, est) in rows.iter().enumerate() {
        for col in 0..c {
            for o in 0..m {
                values[(r * m + o) * c + col] = est.values[col * m + o];
                errors[(r * m + o) * c + col] = est.std_error[col * m + o];
            }
        }
    }
    e.values = values;
    e.std_error = Some(errors);
    e.notes.push(format!(
        "sampling estimate: {} column orders per row against {} background rows; each value's standard error is given",
        est.permutations.div_ceil(2).max(1) * 2,
        est.background.rows
    ));
    Ok(())
}

/// Rows the global view and drift's SHAP change explain at most.
pub const GLOBAL_ROWS: usize = 1000;

/// At most `max` of `n` row indices, drawn with `seed`, in increasing order
/// (all of them when `n ≤ max`).
pub fn sample_rows(n: usize, max: usize, seed: u64) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let mut rng = rng_for(seed, 0x5EA7);
    let mut rows = sample(&mut rng, n, max).into_vec();
    rows.sort_unstable();
    rows
}

/// The model's input columns of `raw`, in the model's order; an error
/// naming the columns the table lacks or holds with another kind.
pub fn fit_schema(model: &FittedModel, raw: &RawTable) -> Result<RawTable> {
    let mut features = Vec::new();
    let mut problems = Vec::new();
    for input in model.inputs() {
        match raw.features.iter().find(|f| f.name == input.name) {
            None => problems.push(format!("'{}' is missing", input.name)),
            Some(f) => {
                let is_cat = matches!(f.column, RawColumn::Category { .. });
                if is_cat != input.categories.is_some() {
                    problems.push(format!(
                        "'{}' is {} here but {} for the model",
                        input.name,
                        if is_cat { "text" } else { "numeric" },
                        if is_cat { "numeric" } else { "categorical" }
                    ));
                } else {
                    features.push(f.clone());
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::input(format!(
            "the data does not fit the model's inputs: {}",
            problems.join(", ")
        ))
        .hint("explain the run on data with the columns it was trained on"));
    }
    Ok(RawTable {
        rows: raw.rows,
        features,
    })
}
