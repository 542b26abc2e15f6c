//! The quick model behind "most uncertain first" and "review": Gaussian
//! naive Bayes (linfa, through the train step's preprocessing pipeline)
//! fitted on the rows labelled so far, proposing a class with a confidence
//! for every row.
//!
//! Naive Bayes fits in milliseconds on thousands of rows and predicts a
//! million rows in well under a second, so it can be refitted in the
//! background as labels come in. For the review order the labelled rows are
//! scored out of fold (two folds), so a row's own label does not vouch for it.

use polars::prelude::*;
use rayon::prelude::*;

use crate::data::LogicalType;
use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::train::Task;
use crate::train::algorithms::{self, Params, Predictions, TargetRef};
use crate::train::features::{FittedPipeline, PreprocessSpec, RawTable};

/// Text columns with more distinct values than this are not features.
const MAX_CATEGORIES: usize = 50;
/// Rows predicted per block.
const BLOCK: usize = 1 << 16;
/// A review row: the model gives its label at most this probability.
pub const REVIEW_BELOW: f64 = 0.2;

/// The model's proposal for every row.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestions {
    /// Proposed class index per row.
    pub class: Vec<u32>,
    /// The proposed class's probability per row.
    pub confidence: Vec<f32>,
    /// For labelled rows, the out-of-fold probability of the row's own label (NaN otherwise).
    pub own: Vec<f32>,
    /// Labelled rows the model was fitted on.
    pub trained_on: usize,
}

/// The feature columns of `df` for the quick model: numbers, booleans and
/// text with few values; not the label, the id, dates or free text.
pub fn features(df: &DataFrame, target: &str, id: Option<&str>) -> Result<RawTable> {
    let mut cols = Vec::new();
    for c in df.columns() {
        let name = c.name().as_str();
        if name == target || Some(name) == id {
            continue;
        }
        match LogicalType::of(c.dtype()) {
            LogicalType::Int | LogicalType::Float | LogicalType::Bool => {
                cols.push((name.to_owned(), false));
            }
            LogicalType::String | LogicalType::Categorical => {
                let distinct = c.as_materialized_series().n_unique().unwrap_or(usize::MAX);
                if distinct <= MAX_CATEGORIES {
                    cols.push((name.to_owned(), true));
                }
            }
            _ => {}
        }
    }
    let bools: Vec<String> = cols
        .iter()
        .filter(|(n, cat)| !cat && df.column(n).is_ok_and(|c| c.dtype() == &DataType::Boolean))
        .map(|(n, _)| n.clone())
        .collect();
    let frame = if bools.is_empty() {
        df.clone()
    } else {
        let mut f = df.clone();
        for b in &bools {
            let s = f.column(b)?.cast(&DataType::Float64)?;
            f.with_column(s)?;
        }
        f
    };
    RawTable::from_frame(&frame, &cols)
}

/// Fit on `labelled` (row, class) and score every row of `raw`.
pub fn suggest(
    raw: &RawTable,
    labelled: &[(usize, usize)],
    n_classes: usize,
    cancel: &CancelToken,
) -> Result<Suggestions> {
    let mut counts = vec![0usize; n_classes];
    for &(_, c) in labelled {
        if c < n_classes {
            counts[c] += 1;
        }
    }
    if counts.iter().filter(|&&n| n >= 2).count() < 2 {
        return Err(Error::usage(
            "suggestions need at least two labelled rows of each of two classes",
        ));
    }
    if raw.features.is_empty() {
        return Err(Error::usage(
            "the data has no column the suggestion model can use (numbers or text with few values)",
        ));
    }
    let all: Vec<usize> = (0..raw.rows).collect();
    let (class, confidence) = fit_predict(raw, labelled, &all, n_classes, cancel)?;
    // Out of fold for the labelled rows: two folds, each class's rows
    // alternating between them (so both folds see every class).
    let mut own = vec![f32::NAN; raw.rows];
    let mut folds: [Vec<(usize, usize)>; 2] = [Vec::new(), Vec::new()];
    let mut seen = vec![0usize; n_classes];
    for &(r, c) in labelled {
        let i = seen.get(c).copied().unwrap_or(0);
        if let Some(n) = seen.get_mut(c) {
            *n += 1;
        }
        folds[i % 2].push((r, c));
    }
    for k in 0..2 {
        cancel.check()?;
        let (train, test) = (&folds[1 - k], &folds[k]);
        let rows: Vec<usize> = test.iter().map(|&(r, _)| r).collect();
        if let Ok(p) = proba(raw, train, &rows, n_classes) {
            for (i, &(r, c)) in test.iter().enumerate() {
                own[r] = p[i * n_classes + c] as f32;
            }
        }
    }
    Ok(Suggestions {
        class,
        confidence,
        own,
        trained_on: labelled.len(),
    })
}

fn fit(
    raw: &RawTable,
    labelled: &[(usize, usize)],
    n_classes: usize,
) -> Result<(FittedPipeline, algorithms::Model)> {
    let rows: Vec<usize> = labelled.iter().map(|&(r, _)| r).collect();
    let y: Vec<usize> = labelled.iter().map(|&(_, c)| c).collect();
    let pipe = FittedPipeline::fit(raw, &rows, &PreprocessSpec::default(), false)?;
    let x = pipe.transform(raw, &rows)?;
    let info = algorithms::find("gaussian_nb", Task::Classification)?;
    let params = info.resolve(&Params::new())?;
    let model = algorithms::fit(info, &params, &x, TargetRef::Classes(&y, n_classes), 0)?;
    Ok((pipe, model))
}

fn proba(
    raw: &RawTable,
    labelled: &[(usize, usize)],
    rows: &[usize],
    n_classes: usize,
) -> Result<Vec<f64>> {
    let (pipe, model) = fit(raw, labelled, n_classes)?;
    let x = pipe.transform(raw, rows)?;
    match model.predict(&x, n_classes)? {
        Predictions::Classes { proba: Some(p), .. } => Ok(p),
        _ => Err(Error::internal("naive Bayes gave no probabilities")),
    }
}

fn fit_predict(
    raw: &RawTable,
    labelled: &[(usize, usize)],
    rows: &[usize],
    n_classes: usize,
    cancel: &CancelToken,
) -> Result<(Vec<u32>, Vec<f32>)> {
    let (pipe, model) = fit(raw, labelled, n_classes)?;
    let blocks: Vec<Result<(Vec<u32>, Vec<f32>)>> = rows
        .par_chunks(BLOCK)
        .map(|block| {
            cancel.check()?;
            let x = pipe.transform(raw, block)?;
            let Predictions::Classes { labels, proba } = model.predict(&x, n_classes)? else {
                return Err(Error::internal("naive Bayes predicted values, not classes"));
            };
            let conf = match proba {
                Some(p) => labels
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| p[i * n_classes + c] as f32)
                    .collect(),
                None => vec![1.0; labels.len()],
            };
            Ok((labels.iter().map(|&c| c as u32).collect(), conf))
        })
        .collect();
    let mut class = Vec::with_capacity(rows.len());
    let mut confidence = Vec::with_capacity(rows.len());
    for b in blocks {
        let (c, p) = b?;
        class.extend(c);
        confidence.extend(p);
    }
    Ok((class, confidence))
}
