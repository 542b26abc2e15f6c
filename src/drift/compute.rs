//! Per-column drift of a current table against a reference table.
//!
//! Each column is read once per side (numbers as finite `f64`, nulls, NaN
//! and ±inf dropped and counted; text as category counts), sorted once, and
//! checked with the test the spec or Evidently's rules choose. Columns run in
//! parallel. The report names, for every column, the test, binning and
//! threshold used, and why a column was skipped.

use std::collections::HashMap;

use std::borrow::Cow;

use polars::prelude::{DataFrame, DataType};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::LogicalType;
use crate::drift::spec::{Binning, ColumnSpec, Correction, DriftSpec};
use crate::drift::stats::{self, ColumnKind, TestId};
use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::train::matrix::{MISSING_CODE, category_column, numeric_column};

/// Bins of the charts' histograms.
const CHART_BINS: usize = 20;
/// Categories a chart shows before "other".
const CHART_CATEGORIES: usize = 12;

/// Reference and current distributions of a column, for charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Chart {
    /// Shares per bin over common edges (`edges.len() == shares.len() + 1`).
    Histogram {
        edges: Vec<f64>,
        reference: Vec<f64>,
        current: Vec<f64>,
    },
    /// Shares per category (the most frequent ones, then "(other)").
    Categories {
        labels: Vec<String>,
        reference: Vec<f64>,
        current: Vec<f64>,
    },
}

/// The verdict on one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    pub name: String,
    pub kind: ColumnKind,
    pub test: TestId,
    /// Binning of a binned test (PSI, Jensen–Shannon, Hellinger, KL on numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binning: Option<Binning>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_bins: Option<usize>,
    /// Drift when a p-value is below it, or a distance at or above it.
    pub threshold: f64,
    /// The p-value (after any correction) for tests, the distance otherwise.
    pub score: f64,
    /// The p-value before correction, when a correction was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_p_value: Option<f64>,
    pub drifted: bool,
    /// Values used on each side, and values dropped (null, NaN, ±inf).
    pub reference_values: usize,
    pub current_values: usize,
    pub reference_dropped: usize,
    pub current_dropped: usize,
    /// Something the user should know (e.g. categories new in current).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub chart: Chart,
}

impl ColumnDrift {
    /// How far past its threshold the column is: > 1 means drifted.
    pub fn severity(&self) -> f64 {
        if self.test.is_p_value() {
            let p = self.score.max(1e-300);
            p.log10() / self.threshold.log10()
        } else {
            self.score / self.threshold
        }
    }
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub reference_rows: usize,
    pub current_rows: usize,
    /// Checked columns, most drifted first.
    pub columns: Vec<ColumnDrift>,
    pub missing_in_current: Vec<String>,
    pub new_in_current: Vec<String>,
    /// Columns left out, with the reason (a type change, all null on one side …).
    pub skipped: Vec<(String, String)>,
    pub n_drifted: usize,
    pub share: f64,
    pub drift_share: f64,
    pub dataset_drift: bool,
    pub correction: Correction,
}

impl DriftReport {
    /// "Drift detected in 4 of 22 columns (18 %)".
    pub fn summary(&self) -> String {
        format!(
            "Drift detected in {} of {} columns ({:.0} %); dataset drift: {} (at a share of {})",
            self.n_drifted,
            self.columns.len(),
            self.share * 100.0,
            if self.dataset_drift { "yes" } else { "no" },
            self.drift_share
        )
    }
}

/// One side of a column, read.
enum Side {
    Numeric {
        sorted: Vec<f64>,
        dropped: usize,
    },
    Categories {
        counts: HashMap<String, u64>,
        dropped: usize,
    },
}

impl Side {
    /// No value at all (every row null).
    fn is_empty(&self) -> bool {
        match self {
            Side::Numeric { sorted, dropped } => sorted.is_empty() && *dropped > 0,
            Side::Categories { counts, dropped } => counts.is_empty() && *dropped > 0,
        }
    }
}

/// A numeric column's finite values, sorted, and how many were dropped (null, NaN, ±inf).
pub(crate) fn sorted_finite(df: &DataFrame, name: &str) -> Result<(Vec<f64>, usize)> {
    let mut sorted = numeric_column(df, name)?;
    let total = sorted.len();
    sorted.retain(|x| x.is_finite());
    let dropped = total - sorted.len();
    crate::data::profile::radix_sort_f64(&mut sorted);
    Ok((sorted, dropped))
}

/// A text column's categories with their counts (in order of first
/// appearance), and how many values were missing.
pub(crate) fn category_counts(df: &DataFrame, name: &str) -> Result<(Vec<(String, u64)>, usize)> {
    let (codes, values) = category_column(df, name)?;
    let mut n = vec![0u64; values.len()];
    let mut dropped = 0;
    for c in codes {
        if c == MISSING_CODE {
            dropped += 1;
        } else {
            n[c as usize] += 1;
        }
    }
    let counts = values.into_iter().zip(n).filter(|(_, n)| *n > 0).collect();
    Ok((counts, dropped))
}

fn read_side(df: &DataFrame, name: &str, kind: ColumnKind) -> Result<Side> {
    Ok(match kind {
        ColumnKind::Numeric => {
            let (sorted, dropped) = sorted_finite(df, name)?;
            Side::Numeric { sorted, dropped }
        }
        ColumnKind::Categorical => {
            let (counts, dropped) = category_counts(df, name)?;
            Side::Categories {
                counts: counts.into_iter().collect(),
                dropped,
            }
        }
    })
}

fn kind_of(t: LogicalType) -> Option<ColumnKind> {
    match t {
        LogicalType::Int | LogicalType::Float => Some(ColumnKind::Numeric),
        LogicalType::String | LogicalType::Categorical | LogicalType::Bool => {
            Some(ColumnKind::Categorical)
        }
        _ => None,
    }
}

/// Where drift reads columns from: a frame in memory, or a file read one
/// column at a time ([`crate::drift::source::ColumnFile`]), so a current file
/// of tens of millions of rows never sits in memory whole.
pub trait Columns: Sync {
    fn names(&self) -> Vec<String>;
    fn height(&self) -> usize;
    fn dtype(&self, name: &str) -> Result<DataType>;
    /// Whether the column has no values at all; None when finding out means
    /// reading it (then the column's job checks).
    fn all_null(&self, name: &str) -> Option<bool>;
    /// A frame holding column `name` (a file source reads it now).
    fn frame_of(&self, name: &str) -> Result<Cow<'_, DataFrame>>;
    /// Reading a column costs a read of the file (so columns are read a few at a time).
    fn reads_on_demand(&self) -> bool {
        false
    }
}

impl Columns for DataFrame {
    fn names(&self) -> Vec<String> {
        self.get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn height(&self) -> usize {
        DataFrame::height(self)
    }

    fn dtype(&self, name: &str) -> Result<DataType> {
        self.column(name)
            .map(|c| c.dtype().clone())
            .map_err(|e| Error::internal(e.to_string()))
    }

    fn all_null(&self, name: &str) -> Option<bool> {
        self.column(name).ok().map(|c| c.null_count() == c.len())
    }

    fn frame_of(&self, _name: &str) -> Result<Cow<'_, DataFrame>> {
        Ok(Cow::Borrowed(self))
    }
}

/// Compare `current` with `reference` column by column.
pub fn compare(
    reference: &DataFrame,
    current: &DataFrame,
    spec: &DriftSpec,
    cancel: &CancelToken,
) -> Result<DriftReport> {
    compare_columns(reference, current, spec, cancel)
}

/// [`compare`] over any column source: each column's job reads its column
/// (from a file, one at a time per thread) and drops it when done.
pub fn compare_columns(
    reference: &dyn Columns,
    current: &dyn Columns,
    spec: &DriftSpec,
    cancel: &CancelToken,
) -> Result<DriftReport> {
    spec.validate()?;
    if current.height() == 0 {
        return Err(Error::input("the current data has no rows"));
    }
    if reference.height() == 0 {
        return Err(Error::input("the reference data has no rows"));
    }
    let ref_names: Vec<String> = reference.names();
    let cur_names: Vec<String> = current.names();
    for name in spec.columns.iter().chain(spec.per_column.keys()) {
        if !ref_names.contains(name) {
            return Err(
                Error::usage(format!("the reference data has no column '{name}'"))
                    .field(name.clone()),
            );
        }
    }
    let missing_in_current: Vec<String> = ref_names
        .iter()
        .filter(|n| !cur_names.contains(n))
        .cloned()
        .collect();
    let new_in_current: Vec<String> = cur_names
        .iter()
        .filter(|n| !ref_names.contains(n))
        .cloned()
        .collect();
    let wanted: Vec<&String> = ref_names
        .iter()
        .filter(|n| spec.columns.is_empty() || spec.columns.contains(n))
        .filter(|n| !spec.ignore.contains(n) && cur_names.contains(n))
        .collect();

    let mut skipped = Vec::new();
    let mut jobs = Vec::new();
    for name in wanted {
        let over = spec.per_column.get(name).cloned().unwrap_or_default();
        let rt = LogicalType::of(&reference.dtype(name)?);
        let ct = LogicalType::of(&current.dtype(name)?);
        // A side with no values at all says nothing about its type (polars reads
        // an empty CSV column as text): report it as empty, not as a type change.
        let all_null = |t: &dyn Columns| t.all_null(name).unwrap_or(false);
        if all_null(reference) {
            skipped.push((
                name.clone(),
                "it has no values in the reference (all null)".to_owned(),
            ));
            continue;
        }
        if all_null(current) {
            skipped.push((
                name.clone(),
                "it has no values in the current data (all null)".to_owned(),
            ));
            continue;
        }
        let (rk, ck) = (kind_of(rt), kind_of(ct));
        let kind = match (over.kind, rk, ck) {
            (Some(k), _, _) => k,
            (None, Some(a), Some(b)) if a == b => a,
            (None, Some(_), Some(_)) => {
                skipped.push((
                    name.clone(),
                    format!("its type changed from {} to {}", rt.name(), ct.name()),
                ));
                continue;
            }
            _ => {
                skipped.push((
                    name.clone(),
                    format!("{} columns are not checked for drift", rt.name()),
                ));
                continue;
            }
        };
        jobs.push((name.clone(), kind, over));
    }

    type Outcome = Result<std::result::Result<ColumnDrift, (String, String)>>;
    let run_job = |(name, kind, over): &(String, ColumnKind, ColumnSpec), r: Side, c: Side| {
        for (side, t, which) in [
            (&r, reference, "the reference"),
            (&c, current, "the current data"),
        ] {
            if t.all_null(name).is_none() && side.is_empty() {
                return Err((
                    name.clone(),
                    format!("it has no values in {which} (all null)"),
                ));
            }
        }
        column(name, *kind, &r, &c, spec, over)
    };
    let results: Vec<Outcome> = if reference.reads_on_demand() || current.reads_on_demand() {
        // Read a few columns (one per thread) on this thread, then test them in
        // parallel: reading inside the parallel jobs would let a waiting worker
        // start the next job's read, and every column would end up in memory.
        let mut out = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(rayon::current_num_threads().max(1)) {
            cancel.check()?;
            let mut sides = Vec::with_capacity(chunk.len());
            for (name, kind, _) in chunk {
                let r = read_side(&*reference.frame_of(name)?, name, *kind)?;
                let c = read_side(&*current.frame_of(name)?, name, *kind)?;
                sides.push((r, c));
            }
            let done: Vec<Outcome> = chunk
                .par_iter()
                .zip(sides.into_par_iter())
                .map(|(job, (r, c))| Ok(run_job(job, r, c)))
                .collect();
            out.extend(done);
        }
        out
    } else {
        jobs.par_iter()
            .map(|job| {
                cancel.check()?;
                let r = read_side(&*reference.frame_of(&job.0)?, &job.0, job.1)?;
                let c = read_side(&*current.frame_of(&job.0)?, &job.0, job.1)?;
                Ok(run_job(job, r, c))
            })
            .collect()
    };
    let mut columns = Vec::new();
    for r in results {
        match r? {
            Ok(c) => columns.push(c),
            Err(skip) => skipped.push(skip),
        }
    }

    // Multiple-testing correction over the p-value tests.
    if spec.correction != Correction::None {
        let idx: Vec<usize> = (0..columns.len())
            .filter(|&i| columns[i].test.is_p_value())
            .collect();
        let p: Vec<f64> = idx.iter().map(|&i| columns[i].score).collect();
        let adjusted = match spec.correction {
            Correction::Bonferroni => stats::bonferroni(&p),
            Correction::BenjaminiHochberg => stats::benjamini_hochberg(&p),
            Correction::None => p.clone(),
        };
        for (&i, a) in idx.iter().zip(adjusted) {
            let c = &mut columns[i];
            c.raw_p_value = Some(c.score);
            c.score = a;
            c.drifted = c.test.drifted(a, c.threshold);
        }
    }
    columns.sort_by(|a, b| {
        b.drifted
            .cmp(&a.drifted)
            .then(b.severity().total_cmp(&a.severity()))
            .then(a.name.cmp(&b.name))
    });
    let n_drifted = columns.iter().filter(|c| c.drifted).count();
    let share = if columns.is_empty() {
        0.0
    } else {
        n_drifted as f64 / columns.len() as f64
    };
    Ok(DriftReport {
        reference_rows: reference.height(),
        current_rows: current.height(),
        dataset_drift: !columns.is_empty() && share >= spec.drift_share,
        columns,
        missing_in_current,
        new_in_current,
        skipped,
        n_drifted,
        share,
        drift_share: spec.drift_share,
        correction: spec.correction,
    })
}

/// Whether a test compares binned shares (and so has a binning).
fn is_binned(test: TestId) -> bool {
    matches!(
        test,
        TestId::JensenShannon | TestId::Psi | TestId::Kl | TestId::Hellinger
    )
}

/// Distinct values of two sorted slices together (`pd.concat([a, b]).nunique()`), in one
/// merge that stops at `cap` (Evidently's rules only ask whether there are more than 5).
fn distinct_union_sorted(a: &[f64], b: &[f64], cap: usize) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    let mut last: Option<f64> = None;
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if y < x => {
                j += 1;
                y
            }
            (Some(&x), _) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        if last != Some(x) {
            n += 1;
            if n >= cap {
                return n;
            }
            last = Some(x);
        }
    }
    n
}

/// `np.histogram(sorted, edges)[0] / len(sorted)` for sorted values: a binary search per
/// edge instead of one per value.
fn sorted_binned_shares(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let n = sorted.len().max(1) as f64;
    let below = |e: f64| sorted.partition_point(|&v| v < e);
    let mut out = Vec::with_capacity(edges.len().saturating_sub(1));
    for (i, w) in edges.windows(2).enumerate() {
        let hi = if i + 2 == edges.len() {
            sorted.partition_point(|&v| v <= w[1])
        } else {
            below(w[1])
        };
        out.push(hi.saturating_sub(below(w[0])) as f64 / n);
    }
    out
}

/// Counts of both sides over the union of categories, in sorted category order.
fn aligned_counts(a: &HashMap<String, u64>, b: &HashMap<String, u64>) -> (Vec<u64>, Vec<u64>) {
    let mut keys: Vec<&String> = a
        .keys()
        .chain(b.keys().filter(|k| !a.contains_key(*k)))
        .collect();
    keys.sort();
    (
        keys.iter().map(|k| *a.get(*k).unwrap_or(&0)).collect(),
        keys.iter().map(|k| *b.get(*k).unwrap_or(&0)).collect(),
    )
}

/// A binned test on numbers with the spec's own binning (not Evidently's Sturges default).
fn custom_binned(
    test: TestId,
    a: &[f64],
    b: &[f64],
    binning: Binning,
    n_bins: Option<usize>,
) -> f64 {
    let edges = match binning {
        Binning::Sturges => stats::sturges_edges(a, b, n_bins),
        Binning::Quantiles => {
            // Reference deciles by default; equal quantiles merged, the ends open so
            // current values outside the reference's range still count.
            let mut e = stats::quantile_edges(a, n_bins.unwrap_or(10));
            e.dedup();
            if let Some(first) = e.first_mut() {
                *first = f64::NEG_INFINITY;
            }
            if e.len() < 2 {
                e.push(f64::INFINITY);
            } else if let Some(last) = e.last_mut() {
                *last = f64::INFINITY;
            }
            e
        }
    };
    let (mut r, mut c) = (
        stats::binned_shares(a, &edges),
        stats::binned_shares(b, &edges),
    );
    match test {
        TestId::Psi | TestId::Kl => {
            stats::fill_zero_shares(&mut r);
            stats::fill_zero_shares(&mut c);
            if test == TestId::Psi {
                stats::psi(&r, &c)
            } else {
                stats::kl_div(&r, &c)
            }
        }
        TestId::Hellinger => {
            let s: f64 = r
                .iter()
                .zip(&c)
                .map(|(p, q)| (p.sqrt() - q.sqrt()).powi(2))
                .sum();
            s.sqrt() / std::f64::consts::SQRT_2
        }
        _ => stats::jensenshannon(&r, &c),
    }
}

/// The verdict on one column, or why it was skipped.
fn column(
    name: &str,
    kind: ColumnKind,
    r: &Side,
    c: &Side,
    spec: &DriftSpec,
    over: &ColumnSpec,
) -> std::result::Result<ColumnDrift, (String, String)> {
    let skip = |why: String| (name.to_owned(), why);
    let mut notes = Vec::new();
    let (data, n_unique, d_ref, d_cur, counts);
    match (r, c) {
        (
            Side::Numeric {
                sorted: a,
                dropped: x,
            },
            Side::Numeric {
                sorted: b,
                dropped: y,
            },
        ) => {
            if !a.is_empty() && a.first() == a.last() {
                notes.push("the reference is constant".to_owned());
            }
            // Only "more than 5" matters to the choice rule; stop counting there.
            n_unique = distinct_union_sorted(a, b, 6);
            data = stats::ColumnData::Numeric {
                reference: a,
                current: b,
            };
            (d_ref, d_cur) = (*x, *y);
        }
        (
            Side::Categories {
                counts: a,
                dropped: x,
            },
            Side::Categories {
                counts: b,
                dropped: y,
            },
        ) => {
            let mut new: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
            if !new.is_empty() {
                new.sort();
                let shown: Vec<String> = new.iter().take(5).map(|s| format!("'{s}'")).collect();
                notes.push(format!(
                    "{} categories never seen in the reference: {}{}",
                    new.len(),
                    shown.join(", "),
                    if new.len() > 5 { ", …" } else { "" }
                ));
            }
            counts = aligned_counts(a, b);
            n_unique = counts.0.len();
            data = stats::ColumnData::Categorical {
                reference: &counts.0,
                current: &counts.1,
            };
            (d_ref, d_cur) = (*x, *y);
        }
        _ => return Err(skip("its kind differs between the two sides".to_owned())),
    }
    let (n_ref, n_cur) = match data {
        stats::ColumnData::Numeric { reference, current } => (reference.len(), current.len()),
        stats::ColumnData::Categorical { reference, current } => (
            reference.iter().sum::<u64>() as usize,
            current.iter().sum::<u64>() as usize,
        ),
    };
    if n_ref == 0 {
        return Err(skip(
            "it has no values in the reference (all null)".to_owned(),
        ));
    }
    if n_cur == 0 {
        return Err(skip(
            "it has no values in the current data (all null)".to_owned(),
        ));
    }
    let test = over
        .test
        .or(spec.test)
        .unwrap_or_else(|| stats::default_test(kind, n_ref, n_unique));
    if !test.applies_to(kind) {
        return Err(skip(format!(
            "the {} test does not apply to {} columns",
            test.name(),
            kind_name(kind)
        )));
    }
    let threshold = over
        .threshold
        .or(spec.threshold)
        .unwrap_or_else(|| test.default_threshold());
    let binning = over.binning.unwrap_or(spec.binning);
    let n_bins = over.n_bins.or(spec.n_bins);
    let numeric_binned = is_binned(test) && kind == ColumnKind::Numeric;
    let score = match (test, data) {
        // The sorted sides let KS and Wasserstein run in one merge, without sorting again.
        (TestId::Ks, stats::ColumnData::Numeric { reference, current }) => {
            stats::ks_2samp_sorted(reference, current).1
        }
        (TestId::Wasserstein, stats::ColumnData::Numeric { reference, current }) => {
            stats::wasserstein_distance_sorted(reference, current)
                / stats::std_pop(reference).max(0.001)
        }
        (_, stats::ColumnData::Numeric { reference, current })
            if numeric_binned && (binning != Binning::Sturges || n_bins.is_some()) =>
        {
            custom_binned(test, reference, current, binning, n_bins)
        }
        _ => stats::run_test(test, data, Some(threshold)).map_or(f64::NAN, |o| o.score),
    };
    Ok(ColumnDrift {
        name: name.to_owned(),
        kind,
        test,
        binning: numeric_binned.then_some(binning),
        n_bins: if numeric_binned { n_bins } else { None },
        threshold,
        score,
        raw_p_value: None,
        drifted: test.drifted(score, threshold),
        reference_values: n_ref,
        current_values: n_cur,
        reference_dropped: d_ref,
        current_dropped: d_cur,
        notes,
        chart: chart(r, c),
    })
}

/// "numeric" or "categorical".
pub fn kind_name(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Numeric => "numeric",
        ColumnKind::Categorical => "categorical",
    }
}

fn chart(r: &Side, c: &Side) -> Chart {
    match (r, c) {
        (Side::Numeric { sorted: a, .. }, Side::Numeric { sorted: b, .. }) => {
            let lo = a
                .first()
                .copied()
                .unwrap_or(0.0)
                .min(b.first().copied().unwrap_or(0.0));
            let hi = a
                .last()
                .copied()
                .unwrap_or(0.0)
                .max(b.last().copied().unwrap_or(0.0));
            let hi = if hi > lo { hi } else { lo + 1.0 };
            let edges: Vec<f64> = (0..=CHART_BINS)
                .map(|i| lo + (hi - lo) * i as f64 / CHART_BINS as f64)
                .collect();
            Chart::Histogram {
                reference: sorted_binned_shares(a, &edges),
                current: sorted_binned_shares(b, &edges),
                edges,
            }
        }
        (Side::Categories { counts: a, .. }, Side::Categories { counts: b, .. }) => {
            let (na, nb) = (
                a.values().sum::<u64>().max(1) as f64,
                b.values().sum::<u64>().max(1) as f64,
            );
            let mut keys: Vec<&String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .collect();
            keys.sort_by(|x, y| {
                let s = |k: &String| a.get(k).unwrap_or(&0) + b.get(k).unwrap_or(&0);
                s(y).cmp(&s(x)).then(x.cmp(y))
            });
            let shown = keys.len().min(CHART_CATEGORIES);
            let mut labels: Vec<String> = keys[..shown].iter().map(|k| (*k).clone()).collect();
            let mut reference: Vec<f64> = keys[..shown]
                .iter()
                .map(|k| *a.get(*k).unwrap_or(&0) as f64 / na)
                .collect();
            let mut current: Vec<f64> = keys[..shown]
                .iter()
                .map(|k| *b.get(*k).unwrap_or(&0) as f64 / nb)
                .collect();
            if keys.len() > shown {
                labels.push("(other)".to_owned());
                reference.push(1.0 - reference.iter().sum::<f64>());
                current.push(1.0 - current.iter().sum::<f64>());
            }
            Chart::Categories {
                labels,
                reference,
                current,
            }
        }
        _ => Chart::Categories {
            labels: Vec::new(),
            reference: Vec::new(),
            current: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_binning_matches_numpy_histogram_semantics() {
        let v: Vec<f64> = vec![-1.0, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0, 3.0];
        for edges in [
            vec![0.0, 1.0, 2.0],
            vec![-5.0, 0.0, 0.5, 2.0, 10.0],
            vec![f64::NEG_INFINITY, 1.0, f64::INFINITY],
        ] {
            assert_eq!(
                sorted_binned_shares(&v, &edges),
                stats::binned_shares(&v, &edges),
                "{edges:?}"
            );
        }
    }

    #[test]
    fn distinct_count_of_a_merge_stops_at_the_cap() {
        let a = [1.0, 1.0, 2.0, 5.0];
        let b = [1.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(distinct_union_sorted(&a, &b, 100), 6);
        assert_eq!(distinct_union_sorted(&a, &b, 3), 3);
        assert_eq!(distinct_union_sorted(&[], &[], 6), 0);
    }
}
