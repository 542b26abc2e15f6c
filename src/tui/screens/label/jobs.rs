//! The Label screen's background work: opening a dataset (load, row keys,
//! journal, the card's column summaries, the model's features) and refitting
//! the quick model. Both report on a channel and wake the event loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use polars::prelude::*;

use crate::data::LogicalType;
use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::label::suggest::{self, Suggestions};
use crate::label::{LabelChoice, Labeling, set};
use crate::project::Project;
use crate::train::features::RawTable;
use crate::tui::event::Event;

/// Values kept per numeric column to place a value in its distribution.
const SAMPLE: usize = 4096;
/// Rows read per text column to count its values.
const COUNT_ROWS: usize = 200_000;

/// What the card shows beside a value: where it sits in its column.
#[derive(Debug, Clone)]
pub struct ColumnStats {
    pub name: String,
    pub kind: StatKind,
}

#[derive(Debug, Clone)]
pub enum StatKind {
    /// A sorted sample of the column's values.
    Numeric(Vec<f64>),
    /// Counts of each value (over the first rows, for big files) and their total.
    Category(HashMap<String, usize>, usize),
    Other,
}

impl ColumnStats {
    /// The percentile (0–100) of `v` in a numeric column.
    pub fn percentile(&self, v: f64) -> Option<f64> {
        let StatKind::Numeric(sorted) = &self.kind else {
            return None;
        };
        if sorted.is_empty() || v.is_nan() {
            return None;
        }
        let below = sorted.partition_point(|x| *x < v);
        let upto = sorted.partition_point(|x| *x <= v);
        Some(100.0 * (below + upto) as f64 / 2.0 / sorted.len() as f64)
    }

    /// The share (0–1) of rows with this text value.
    pub fn share(&self, v: &str) -> Option<f64> {
        let StatKind::Category(counts, total) = &self.kind else {
            return None;
        };
        (*total > 0).then(|| counts.get(v).copied().unwrap_or(0) as f64 / *total as f64)
    }
}

/// An opened dataset.
pub struct Opened {
    pub session: Labeling,
    pub stats: Vec<ColumnStats>,
    /// The quick model's features (None when the data has none it can use).
    pub raw: Option<RawTable>,
    pub took: Duration,
}

pub fn open(
    project: Project,
    choice: LabelChoice,
    wake: Sender<Event>,
) -> Receiver<Result<Opened>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let r =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open_now(&project, choice)))
                .unwrap_or_else(|p| {
                    Err(Error::internal(format!(
                        "opening the labels failed: {}",
                        crate::jobs::panic_message(p.as_ref())
                    )))
                });
        let _ = tx.send(r);
        let _ = wake.send(Event::Tick);
    });
    rx
}

/// Load the dataset of `choice` and open its labels (what [`open`] runs).
pub fn open_now(project: &Project, mut choice: LabelChoice) -> Result<Opened> {
    let t0 = Instant::now();
    let (_, path) = set::locate(project, &choice)?;
    let mut options = crate::data::LoadOptions::default();
    if let Some(source) = project.source_for_path(&path) {
        options.types = source.types.clone();
    }
    let frame = crate::data::load(&path, &options)?.frame;
    choice.data = Some(path);
    // The label set first (quick), then the session beside the card's
    // summaries and the model's features: they only read the frame.
    let set = set::resolve(project, &choice, &frame)?;
    let (session, (stats, raw)) = rayon::join(
        || Labeling::with_set(project, set.clone(), frame.clone()),
        || {
            let stats = column_stats(&frame, &set.target);
            let raw = suggest::features(&frame, &set.target, set.id.as_deref())
                .ok()
                .filter(|r| !r.features.is_empty());
            (stats, raw)
        },
    );
    let session = session?;
    Ok(Opened {
        session,
        stats,
        raw,
        took: t0.elapsed(),
    })
}

/// Summaries of every column but the label.
pub fn column_stats(df: &DataFrame, target: &str) -> Vec<ColumnStats> {
    df.columns()
        .iter()
        .filter(|c| c.name().as_str() != target)
        .map(|c| ColumnStats {
            name: c.name().to_string(),
            kind: stat_kind(c.as_materialized_series()),
        })
        .collect()
}

fn stat_kind(s: &Series) -> StatKind {
    match LogicalType::of(s.dtype()) {
        LogicalType::Int | LogicalType::Float => {
            let Ok(f) = s.cast(&DataType::Float64) else {
                return StatKind::Other;
            };
            let Ok(ca) = f.f64() else {
                return StatKind::Other;
            };
            let step = (s.len() / SAMPLE).max(1);
            let mut v: Vec<f64> = ca
                .iter()
                .step_by(step)
                .flatten()
                .filter(|x| !x.is_nan())
                .collect();
            v.sort_by(f64::total_cmp);
            StatKind::Numeric(v)
        }
        LogicalType::String | LogicalType::Categorical | LogicalType::Bool => {
            let Ok(t) = s.head(Some(COUNT_ROWS)).cast(&DataType::String) else {
                return StatKind::Other;
            };
            let Ok(ca) = t.str() else {
                return StatKind::Other;
            };
            let mut counts: HashMap<&str, usize> = HashMap::new();
            let mut total = 0;
            for v in ca.iter().flatten() {
                *counts.entry(v).or_default() += 1;
                total += 1;
            }
            StatKind::Category(
                counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect(),
                total,
            )
        }
        _ => StatKind::Other,
    }
}

/// Refit the quick model on the labelled rows, in the background.
pub fn refit(
    raw: Arc<RawTable>,
    labelled: Vec<(usize, usize)>,
    n_classes: usize,
    cancel: CancelToken,
    wake: Sender<Event>,
) -> Receiver<Result<Suggestions>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            suggest::suggest(&raw, &labelled, n_classes, &cancel)
        }))
        .unwrap_or_else(|p| {
            Err(Error::internal(format!(
                "the suggestion model failed: {}",
                crate::jobs::panic_message(p.as_ref())
            )))
        });
        let _ = tx.send(r);
        let _ = wake.send(Event::Tick);
    });
    rx
}
