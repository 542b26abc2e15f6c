//! Binning: each feature's values mapped once to at most 255 ordered bins
//! (quantile edges from a sample of the rows) plus one bin for missing
//! values, stored column by column as `u8`. Every tree of a forest or a
//! boosting run reads this one binned copy; split thresholds are bin edges,
//! so a fitted tree predicts from raw `f64` values and needs no binner.

use crate::train::matrix::Matrix;

/// Most ordered bins a feature gets (the 256th is the missing-value bin).
pub const MAX_BINS: usize = 255;
/// The bin of a missing (NaN) value.
pub const MISSING_BIN: u8 = 255;
/// Rows sampled to place the quantile edges (scikit-learn's subsample).
const EDGE_SAMPLE: usize = 200_000;

/// A feature matrix as bin codes, column-major: `codes[f * rows + r]`.
#[derive(Debug, Clone)]
pub struct Binned {
    pub rows: usize,
    pub cols: usize,
    pub codes: Vec<u8>,
    /// Upper edges of each feature's bins: value `v` is in bin `b` when
    /// `edges[b - 1] < v <= edges[b]`; the last bin has no upper edge.
    pub edges: Vec<Vec<f64>>,
    /// Whether a feature has missing values in these rows.
    pub has_missing: Vec<bool>,
}

impl Binned {
    /// Bin every column of `x`; `max_bins` is clamped to 2..=255.
    pub fn new(x: &Matrix, max_bins: usize) -> Self {
        let max_bins = max_bins.clamp(2, MAX_BINS);
        let (rows, cols) = (x.rows, x.cols);
        let step = rows.div_ceil(EDGE_SAMPLE).max(1);
        let per_feature: Vec<(Vec<f64>, Vec<u8>, bool)> = {
            use rayon::prelude::*;
            (0..cols)
                .into_par_iter()
                .map(|f| {
                    let column: Vec<f64> = (0..rows).map(|r| x.data[r * cols + f]).collect();
                    let sample: Vec<f64> = column.iter().step_by(step).copied().collect();
                    let edges = quantile_edges(sample, max_bins);
                    let mut missing = false;
                    let codes = column
                        .iter()
                        .map(|&v| {
                            if v.is_nan() {
                                missing = true;
                                MISSING_BIN
                            } else {
                                bin_of(&edges, v)
                            }
                        })
                        .collect();
                    (edges, codes, missing)
                })
                .collect()
        };
        let mut codes = Vec::with_capacity(rows * cols);
        let mut edges = Vec::with_capacity(cols);
        let mut has_missing = Vec::with_capacity(cols);
        for (e, c, m) in per_feature {
            codes.extend_from_slice(&c);
            edges.push(e);
            has_missing.push(m);
        }
        Self {
            rows,
            cols,
            codes,
            edges,
            has_missing,
        }
    }

    /// The codes of feature `f`, one per row.
    pub fn column(&self, f: usize) -> &[u8] {
        &self.codes[f * self.rows..(f + 1) * self.rows]
    }

    /// Number of ordered (non-missing) bins of feature `f`.
    pub fn bins(&self, f: usize) -> usize {
        self.edges[f].len() + 1
    }
}

/// The bin of a present value: the number of edges below it.
pub fn bin_of(edges: &[f64], v: f64) -> u8 {
    // At most 254 edges, so the count fits in a u8 below the missing bin.
    edges.partition_point(|&e| e < v).min(MAX_BINS - 1) as u8
}

/// Edges splitting the present values into at most `max_bins` bins of about
/// equal counts; with few distinct values, one bin per value (edges halfway).
fn quantile_edges(mut values: Vec<f64>, max_bins: usize) -> Vec<f64> {
    values.retain(|v| !v.is_nan());
    values.sort_by(f64::total_cmp);
    let mut distinct = values.clone();
    distinct.dedup();
    if distinct.len() <= max_bins {
        return distinct
            .windows(2)
            .map(|w| w[0] + (w[1] - w[0]) / 2.0)
            .collect();
    }
    let n = values.len();
    let mut edges: Vec<f64> = Vec::with_capacity(max_bins - 1);
    for i in 1..max_bins {
        let at = i * n / max_bins;
        let (lo, hi) = (values[at - 1], values[at]);
        let e = lo + (hi - lo) / 2.0;
        if edges.last().is_none_or(|&last| e > last) {
            edges.push(e);
        }
    }
    // The top edge must stay below the largest value, or that bin is empty.
    while edges.last().is_some_and(|&e| e >= values[n - 1]) {
        edges.pop();
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_a_bin_each_and_nan_the_missing_bin() {
        let x = Matrix {
            rows: 5,
            cols: 1,
            data: vec![1.0, 3.0, f64::NAN, 3.0, 2.0],
        };
        let b = Binned::new(&x, 255);
        assert_eq!(b.edges[0], vec![1.5, 2.5]);
        assert_eq!(b.column(0), &[0, 2, MISSING_BIN, 2, 1]);
        assert!(b.has_missing[0]);
    }

    #[test]
    fn many_values_fill_at_most_max_bins_of_similar_size() {
        let x = Matrix {
            rows: 10_000,
            cols: 1,
            data: (0..10_000).map(|i| ((i * 7919) % 10_000) as f64).collect(),
        };
        let b = Binned::new(&x, 255);
        assert_eq!(b.bins(0), 255);
        let mut counts = [0usize; 256];
        for &c in b.column(0) {
            counts[c as usize] += 1;
        }
        assert!(counts[..255].iter().all(|&c| (38..=41).contains(&c)));
    }

    #[test]
    fn constant_and_all_missing_features_have_one_bin() {
        let x = Matrix {
            rows: 3,
            cols: 2,
            data: vec![4.0, f64::NAN, 4.0, f64::NAN, 4.0, f64::NAN],
        };
        let b = Binned::new(&x, 255);
        assert_eq!((b.bins(0), b.bins(1)), (1, 1));
        assert_eq!(b.column(1), &[MISSING_BIN; 3]);
    }
}
