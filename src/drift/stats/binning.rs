//! Binning as numpy and Evidently do it: Sturges and quantile bin edges, histogram counts and
//! shares, value counts over the union of both sides, and Evidently's `get_binned_data` with its
//! zero filling. The distances over shares ([`distances`](super::distances)) start here.

use super::primitives::{count_distinct_sorted, nonempty_pairs, sorted_copy};

/// numpy `linspace(first, last, num)` (endpoint = True).
fn np_linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut y: Vec<f64> = (0..num)
        .map(|i| {
            if step == 0.0 {
                i as f64 / div * delta + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    if let Some(last) = y.last_mut() {
        *last = stop;
    }
    y
}

pub(super) fn min_max<'a>(values: impl Iterator<Item = &'a f64>) -> Option<(f64, f64)> {
    let mut it = values;
    let first = *it.next()?;
    Some(it.fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))))
}

/// numpy `histogram_bin_edges` over `values` with `bins='sturges'` (`n_bins = None`) or an explicit
/// bin count. Range = [min, max] (widened by ±0.5 when min == max); Sturges' bin count is
/// `ceil(ptp / (ptp / (log2(n) + 1)))` (1 when ptp == 0); edges by `np.linspace`.
pub(super) fn sturges_edges_iter<'a>(
    values: impl Iterator<Item = &'a f64> + Clone,
    count: usize,
    n_bins: Option<usize>,
) -> Vec<f64> {
    let Some((lo, hi)) = min_max(values) else {
        // numpy: empty data → range (0, 1), one bin (or the requested count).
        return np_linspace(0.0, 1.0, n_bins.unwrap_or(1).max(1) + 1);
    };
    let (mut first, mut last) = (lo, hi);
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    let bins = match n_bins {
        Some(b) => b.max(1),
        None => {
            let width = (hi - lo) / ((count as f64).log2() + 1.0);
            if width != 0.0 && !width.is_nan() {
                let b = ((last - first) / width).ceil();
                if b.is_finite() && b >= 1.0 {
                    b as usize
                } else {
                    1
                }
            } else {
                1
            }
        }
    };
    np_linspace(first, last, bins + 1)
}

/// Bin edges for `reference ∪ current` as `np.histogram_bin_edges(np.concatenate([reference,
/// current]), bins='sturges')` — the binning of Evidently's `get_binned_data` for numeric columns.
/// `n_bins = Some(k)` gives `np.histogram_bin_edges(..., bins=k)` (k equal-width bins over the
/// same range; `k = 0` is treated as 1). Both empty: numpy's `[0, 1]` range.
pub fn sturges_edges(reference: &[f64], current: &[f64], n_bins: Option<usize>) -> Vec<f64> {
    sturges_edges_iter(
        reference.iter().chain(current.iter()),
        reference.len() + current.len(),
        n_bins,
    )
}

/// `np.quantile(sorted, q)` with the default `method='linear'`, for a sorted non-empty slice.
fn quantile_linear_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let virtual_index = (n - 1) as f64 * q;
    let last = n - 1;
    if virtual_index >= last as f64 {
        return sorted[last];
    }
    if virtual_index < 0.0 {
        return sorted[0];
    }
    let prev = virtual_index.floor();
    let gamma = virtual_index - prev;
    let pi = prev as usize;
    let a = sorted[pi];
    let b = sorted[(pi + 1).min(last)];
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}

/// Reference quantile edges: `np.quantile(reference, np.linspace(0, 1, n_bins + 1))` (numpy's
/// default linear method). `n_bins + 1` values, not de-duplicated (`np.unique` them and open the
/// ends to ±inf for the peer-bench 10-quantile scheme). Empty reference or `n_bins == 0`: empty.
pub fn quantile_edges(reference: &[f64], n_bins: usize) -> Vec<f64> {
    if reference.is_empty() || n_bins == 0 {
        return Vec::new();
    }
    let sorted = sorted_copy(reference);
    np_linspace(0.0, 1.0, n_bins + 1)
        .into_iter()
        .map(|q| quantile_linear_sorted(&sorted, q))
        .collect()
}

/// `np.histogram(values, bins=edges)[0]`: bin `i` counts `edges[i] <= v < edges[i+1]`, the last
/// bin is closed on the right, values outside `[edges[0], edges[last]]` are not counted.
/// Fewer than two edges: empty.
pub fn binned_counts(values: &[f64], edges: &[f64]) -> Vec<u64> {
    if edges.len() < 2 {
        return Vec::new();
    }
    let nb = edges.len() - 1;
    let last_edge = edges[nb];
    let mut counts = vec![0u64; nb];
    for &v in values {
        let idx = edges.partition_point(|&e| e <= v);
        if idx == 0 {
            continue;
        }
        let bin = if idx <= nb {
            idx - 1
        } else if v <= last_edge {
            nb - 1
        } else {
            continue;
        };
        counts[bin] += 1;
    }
    counts
}

/// `np.histogram(values, edges)[0] / len(values)` — the shares Evidently's `get_binned_data`
/// computes (out-of-range values still count in the denominator). Empty values: NaN shares.
pub fn binned_shares(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    binned_counts(values, edges)
        .into_iter()
        .map(|c| c as f64 / n)
        .collect()
}

/// Evidently's `feel_zeroes` step of `get_binned_data`: zero shares become
/// `min(nonzero) / 10^6` if `min(nonzero) <= 0.0001`, else `0.0001`. All-zero input is left as is.
pub fn fill_zero_shares(shares: &mut [f64]) {
    let min_nz = shares
        .iter()
        .copied()
        .filter(|&s| s != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !min_nz.is_finite() {
        return;
    }
    let eps = if min_nz <= 0.0001 {
        min_nz / 1_000_000.0
    } else {
        0.0001
    };
    for s in shares.iter_mut() {
        if *s == 0.0 {
            *s = eps;
        }
    }
}

/// Distinct values of `reference ∪ current` (ascending) and each side's count per value —
/// pandas `value_counts` over the union of keys.
pub fn value_counts(reference: &[f64], current: &[f64]) -> (Vec<f64>, Vec<u64>, Vec<u64>) {
    let (a, b) = (sorted_copy(reference), sorted_copy(current));
    let (mut keys, mut rc, mut cc) = (Vec::new(), Vec::new(), Vec::new());
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => {
                if y < x {
                    y
                } else {
                    x
                }
            }
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        let (i0, j0) = (i, j);
        while i < a.len() && a[i] == v {
            i += 1;
        }
        while j < b.len() && b[j] == v {
            j += 1;
        }
        if i == i0 && j == j0 {
            // NaN (never equal to itself): skip it, as pandas' value_counts drops NaN.
            if a.get(i).is_some_and(|x| x.is_nan()) {
                i += 1;
            } else {
                j += 1;
            }
            continue;
        }
        keys.push(v);
        rc.push((i - i0) as u64);
        cc.push((j - j0) as u64);
    }
    (keys, rc, cc)
}

/// Evidently's `get_binned_data(reference, current, Numerical, n, feel_zeroes)` for numeric
/// values: if the reference has more than 20 distinct values, shares over the Sturges edges of
/// `reference ∪ current` (`np.histogram(...)[0] / len`); otherwise shares per distinct value
/// of the union (the categorical path). Then optionally [`fill_zero_shares`] on each side.
/// Evidently's `n_bins` argument (30) is ignored by Evidently itself, hence absent here.
pub fn evidently_binned_numeric(
    reference: &[f64],
    current: &[f64],
    fill_zeroes: bool,
) -> (Vec<f64>, Vec<f64>) {
    let ref_sorted = sorted_copy(reference);
    let (mut r, mut c) = if count_distinct_sorted(&ref_sorted) > 20 {
        let edges = sturges_edges(reference, current, None);
        (
            binned_shares(&ref_sorted, &edges),
            binned_shares(current, &edges),
        )
    } else {
        let (_, rc, cc) = value_counts(reference, current);
        let (nr, nc) = (reference.len() as f64, current.len() as f64);
        (
            rc.iter().map(|&x| x as f64 / nr).collect(),
            cc.iter().map(|&x| x as f64 / nc).collect(),
        )
    };
    if fill_zeroes {
        fill_zero_shares(&mut r);
        fill_zero_shares(&mut c);
    }
    (r, c)
}

/// Evidently's `get_binned_data(..., Categorical, ...)` from category counts: per-category shares
/// `count / len` over the union of categories, optionally [`fill_zero_shares`].
pub fn evidently_binned_counts(
    ref_counts: &[u64],
    cur_counts: &[u64],
    fill_zeroes: bool,
) -> (Vec<f64>, Vec<f64>) {
    let pairs = nonempty_pairs(ref_counts, cur_counts);
    let nr = pairs.iter().map(|p| p.0).sum::<u64>() as f64;
    let nc = pairs.iter().map(|p| p.1).sum::<u64>() as f64;
    let mut r: Vec<f64> = pairs.iter().map(|p| p.0 as f64 / nr).collect();
    let mut c: Vec<f64> = pairs.iter().map(|p| p.1 as f64 / nc).collect();
    if fill_zeroes {
        fill_zero_shares(&mut r);
        fill_zero_shares(&mut c);
    }
    (r, c)
}
