//! Profiling: per-column statistics and a dataset summary.
//!
//! Numbers follow numpy/pandas conventions so they can be checked against
//! them: statistics skip nulls and NaN; `std` is the sample standard
//! deviation (ddof = 1); quantiles interpolate linearly (numpy's default);
//! the histogram has 20 equal-width bins over [min, max], binned exactly as
//! `numpy.histogram` does. Columns are profiled in parallel.

use std::collections::{HashMap, HashSet};

use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::LogicalType;
use crate::data::fingerprint;
use crate::error::Result;
use crate::jobs::{CancelToken, JobUpdate, Progress};

mod order;
pub(crate) use order::radix_sort_f64;
use order::{Ordered, SIGN, ValueCounts, count_runs, quantiles, radix_sort_keys};

/// The quantiles every numeric column reports.
pub const QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
/// Histogram bins.
pub const BINS: usize = 20;
/// How many of the most frequent values a categorical column keeps.
pub const TOP_VALUES: usize = 10;

/// A dataset's profile. Serialized as `lathe data profile --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub rows: u64,
    pub columns: u64,
    /// polars' estimate of the frame's in-memory size.
    pub memory_bytes: u64,
    /// Rows equal to an earlier row.
    pub duplicate_rows: u64,
    /// See [`crate::data::fingerprint`].
    pub fingerprint: String,
    pub column_profiles: Vec<ColumnProfile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    #[serde(rename = "type")]
    pub logical_type: LogicalType,
    /// polars' physical type, e.g. `i64`.
    pub dtype: String,
    /// Non-null values.
    pub count: u64,
    pub nulls: u64,
    pub null_pct: f64,
    /// Distinct non-null values.
    pub distinct: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numeric: Option<NumericStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<TopValues>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<DateRange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    /// NaN values (floats only); excluded from the statistics.
    pub nan: u64,
    pub zeros: u64,
    #[serde(with = "json_num")]
    pub min: Option<f64>,
    #[serde(with = "json_num")]
    pub max: Option<f64>,
    #[serde(with = "json_num")]
    pub mean: Option<f64>,
    /// Sample standard deviation (ddof = 1); absent below two values.
    #[serde(with = "json_num")]
    pub std: Option<f64>,
    /// `(q, value)` for each of [`QUANTILES`].
    #[serde(with = "json_pairs")]
    pub quantiles: Vec<(f64, f64)>,
    /// Absent when there are no finite values.
    pub histogram: Option<Histogram>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// `BINS + 1` edges.
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopValues {
    /// Most frequent first, ties by value.
    pub values: Vec<(String, u64)>,
    /// Non-null values not among `values`.
    pub other: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateRange {
    pub min: String,
    pub max: String,
}

/// JSON has no infinity or NaN: write them as the strings "inf", "-inf",
/// "nan" (serde_json would write `null`, which reads as "no value").
mod json_num {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn to_json(v: f64) -> serde_json::Value {
        match serde_json::Number::from_f64(v) {
            Some(n) => serde_json::Value::Number(n),
            None if v.is_nan() => "nan".into(),
            None if v > 0.0 => "inf".into(),
            None => "-inf".into(),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Option<f64> {
        match v {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => match s.as_str() {
                "inf" => Some(f64::INFINITY),
                "-inf" => Some(f64::NEG_INFINITY),
                _ => Some(f64::NAN),
            },
            _ => None,
        }
    }

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => serde::Serialize::serialize(&to_json(*x), s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let v = Option::<serde_json::Value>::deserialize(d)?;
        Ok(v.as_ref().and_then(from_json))
    }
}

/// `[(q, value)]` with non-finite values written as in [`json_num`].
mod json_pairs {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[(f64, f64)], s: S) -> Result<S::Ok, S::Error> {
        let out: Vec<(f64, serde_json::Value)> = v
            .iter()
            .map(|(q, x)| (*q, super::json_num::to_json(*x)))
            .collect();
        serde::Serialize::serialize(&out, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(f64, f64)>, D::Error> {
        let v = Vec::<(f64, serde_json::Value)>::deserialize(d)?;
        Ok(v.iter()
            .map(|(q, x)| (*q, super::json_num::from_json(x).unwrap_or(f64::NAN)))
            .collect())
    }
}

impl NumericStats {
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles
            .iter()
            .find(|(p, _)| (*p - q).abs() < 1e-12)
            .map(|(_, v)| *v)
    }
}

/// Profile every column and scan every row (fingerprint, duplicates).
pub fn profile(df: &DataFrame, cancel: &CancelToken, progress: &dyn Progress) -> Result<Profile> {
    let columns: Vec<&Column> = df.columns().iter().collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = columns.len();
    let (scan, column_profiles) = rayon::join(
        || fingerprint::scan(df, cancel, &crate::jobs::NoProgress),
        || {
            columns
                .par_iter()
                .map(|c| {
                    cancel.check()?;
                    let p = profile_column(c.as_materialized_series());
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    progress.update(JobUpdate {
                        stage: format!("profiling {n}/{total} columns"),
                        fraction: Some(n as f64 / total.max(1) as f64),
                    });
                    p
                })
                .collect::<Result<Vec<_>>>()
        },
    );
    let scan = scan?;
    Ok(Profile {
        rows: df.height() as u64,
        columns: df.width() as u64,
        memory_bytes: df.estimated_size() as u64,
        duplicate_rows: scan.duplicate_rows,
        fingerprint: scan.fingerprint,
        column_profiles: column_profiles?,
    })
}

/// Profile one column.
pub fn profile_column(s: &Series) -> Result<ColumnProfile> {
    let ty = LogicalType::of(s.dtype());
    let rows = s.len() as u64;
    let nulls = s.null_count() as u64;
    let mut p = ColumnProfile {
        name: s.name().to_string(),
        logical_type: ty,
        dtype: s.dtype().to_string(),
        count: rows - nulls,
        nulls,
        null_pct: if rows == 0 {
            0.0
        } else {
            100.0 * nulls as f64 / rows as f64
        },
        distinct: 0,
        numeric: None,
        top: None,
        range: None,
    };
    match ty {
        LogicalType::Int | LogicalType::Float => {
            let (stats, distinct) = numeric(s)?;
            p.numeric = Some(stats);
            p.distinct = distinct;
        }
        LogicalType::Date | LogicalType::Datetime => {
            let phys = s.to_physical_repr().cast(&DataType::Float64)?;
            p.distinct = distinct_f64(phys.f64()?);
            let non_null = s.drop_nulls();
            let min = non_null.min_reduce()?.into_value();
            let max = non_null.max_reduce()?.into_value();
            if !min.is_null() {
                p.range = Some(DateRange {
                    min: scalar_text(&min, s.dtype()),
                    max: scalar_text(&max, s.dtype()),
                });
            }
        }
        LogicalType::Other => {
            // Lists, structs, durations …: shown and counted, not profiled.
        }
        _ => {
            let text = s.cast(&DataType::String)?;
            let (top, distinct) = top_values(text.str()?);
            p.top = Some(top);
            p.distinct = distinct;
        }
    }
    Ok(p)
}

fn scalar_text(v: &AnyValue<'_>, dtype: &DataType) -> String {
    let v = v.strict_cast(dtype).unwrap_or_else(|| v.clone());
    crate::data::display::value_text(&v)
}

fn distinct_f64(ca: &Float64Chunked) -> u64 {
    let mut set: HashSet<u64, xxhash_rust::xxh3::Xxh3Builder> =
        HashSet::with_capacity_and_hasher(1024, xxhash_rust::xxh3::Xxh3Builder::new());
    for v in ca.iter().flatten() {
        // -0.0 and 0.0 are one value; all NaNs are one value.
        let v = if v.is_nan() { f64::NAN } else { v + 0.0 };
        set.insert(v.to_bits());
    }
    set.len() as u64
}

fn numeric(s: &Series) -> Result<(NumericStats, u64)> {
    let f = s.cast(&DataType::Float64)?;
    let ca = f.f64()?;
    let mut values: Vec<f64> = Vec::with_capacity(ca.len() - ca.null_count());
    let mut counts = ValueCounts::new();
    let (mut nan, mut zeros) = (0u64, 0u64);
    let mut take = |v: f64| {
        if v.is_nan() {
            nan += 1;
        } else {
            zeros += u64::from(v == 0.0);
            values.push(v);
            counts.add(v);
        }
    };
    for arr in ca.downcast_iter() {
        if arr.validity().is_none_or(|v| v.unset_bits() == 0) {
            arr.values().iter().for_each(|&v| take(v));
        } else {
            arr.iter().flatten().for_each(|&v| take(v));
        }
    }
    let n = values.len();
    // Sums in file order, as numpy adds them.
    let mean = (n > 0).then(|| pairwise_sum(&values) / n as f64);
    let std = match mean {
        Some(m) if n > 1 => {
            let sq = pairwise_sum_of(&values, |v| (v - m) * (v - m));
            Some((sq / (n - 1) as f64).sqrt())
        }
        _ => None,
    };
    // Everything else from the values in order.
    let ordered = Ordered::new(values, counts);
    let (min, max) = (ordered.first(), ordered.last());
    // Integers beyond 2^53 are not all distinct as floats: count them as integers.
    const EXACT: f64 = (1u64 << 53) as f64;
    let beyond = min.is_some_and(|v| v <= -EXACT) || max.is_some_and(|v| v >= EXACT);
    let int_keys: Option<Vec<u64>> = if s.dtype().is_integer() && beyond {
        s.strict_cast(&DataType::Int64).ok().and_then(|c| {
            let ca = c.i64().ok()?;
            Some(ca.iter().flatten().map(|v| (v as u64) ^ SIGN).collect())
        })
    } else {
        None
    };
    let distinct = match int_keys {
        Some(mut keys) => {
            radix_sort_keys(&mut keys);
            count_runs(&keys)
        }
        None => ordered.distinct(),
    };
    let histogram = ordered.histogram();
    let quantiles = quantiles(&ordered, &QUANTILES);
    Ok((
        NumericStats {
            nan,
            zeros,
            min,
            max,
            mean,
            std,
            quantiles,
            histogram,
        },
        distinct,
    ))
}

pub use crate::util::pairwise_sum;
use crate::util::pairwise_sum_of;

fn top_values(ca: &StringChunked) -> (TopValues, u64) {
    let mut counts: HashMap<&str, u64, xxhash_rust::xxh3::Xxh3Builder> =
        HashMap::with_hasher(xxhash_rust::xxh3::Xxh3Builder::new());
    for v in ca.iter().flatten() {
        *counts.entry(v).or_insert(0) += 1;
    }
    let distinct = counts.len() as u64;
    let total: u64 = counts.values().sum();
    let mut all: Vec<(&str, u64)> = counts.into_iter().collect();
    all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    all.truncate(TOP_VALUES);
    let shown: u64 = all.iter().map(|(_, c)| c).sum();
    (
        TopValues {
            values: all.into_iter().map(|(v, c)| (v.to_owned(), c)).collect(),
            other: total - shown,
        },
        distinct,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_beyond_two_to_the_53_are_counted_exactly() {
        let big = 1i64 << 53;
        let s = Series::new("id".into(), [big, big + 1, big + 2, -5]);
        let p = profile_column(&s).unwrap();
        assert_eq!(p.distinct, 4);
        let inf = Series::new("x".into(), [1.0, f64::INFINITY, 3.0, f64::NEG_INFINITY]);
        let p = profile_column(&inf).unwrap();
        let n = p.numeric.unwrap();
        assert_eq!(n.max, Some(f64::INFINITY));
        let h = n.histogram.expect("a histogram of the finite values");
        assert_eq!(h.counts.iter().sum::<u64>(), 2);
    }
}
