//! The two-sample Kolmogorov–Smirnov test, `scipy.stats.ks_2samp` (two-sided, `method='auto'`):
//! the statistic as one merge of the sorted samples, the exact lattice-path p-value for samples
//! of at most 10 000 values and the asymptotic [`kstwo_sf`](super::kstwo_sf) beyond.

use serde::{Deserialize, Serialize};

use super::kolmogorov::kstwo_sf_float_n;
use super::primitives::{clip01, gcd, py_range, sorted_copy};

/// How the KS p-value was computed (scipy's `method='auto'` choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KsMethod {
    /// Exact lattice-path count (both samples ≤ 10 000 values).
    Exact,
    /// `kstwo.sf(D, round(n1·n2/(n1+n2)))`.
    Asymptotic,
}

/// Full result of [`ks_2samp_sorted_detailed`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KsResult {
    pub statistic: f64,
    pub p_value: f64,
    /// `None` when a sample is empty (statistic and p-value are NaN then).
    pub method: Option<KsMethod>,
}

/// scipy's `MAX_AUTO_N`: `method='auto'` is exact when both samples are at most this long.
const KS_MAX_AUTO_N: usize = 10_000;

/// `scipy.stats.ks_2samp(reference, current)` (two-sided, `method='auto'`): `(D, p)`.
///
/// Sorts copies and calls [`ks_2samp_sorted`]. Empty samples give `(NaN, NaN)` (scipy returns
/// NaN with a `SmallSampleWarning`).
pub fn ks_2samp(reference: &[f64], current: &[f64]) -> (f64, f64) {
    let (a, b) = (sorted_copy(reference), sorted_copy(current));
    ks_2samp_sorted(&a, &b)
}

/// `scipy.stats.ks_2samp` on already sorted (ascending) samples: `(D, p)`, O(n1 + n2) for the
/// statistic. See [`ks_2samp_sorted_detailed`].
pub fn ks_2samp_sorted(ref_sorted: &[f64], cur_sorted: &[f64]) -> (f64, f64) {
    let r = ks_2samp_sorted_detailed(ref_sorted, cur_sorted);
    (r.statistic, r.p_value)
}

/// `scipy.stats.ks_2samp(..., alternative='two-sided', method='auto')` on sorted samples.
///
/// scipy's rule: exact when `max(n1, n2) <= 10_000` — Hodges' lattice-path count
/// (`_compute_prob_outside_square` for equal sizes, the pythran `_compute_outer_prob_inside_method`
/// otherwise), with `D` rounded to `h / lcm(n1, n2)`; if the exact value falls outside `[0, 1]`
/// scipy falls back to the asymptotic formula. Otherwise `kstwo.sf(D, round(n1·n2/(n1+n2)))`
/// ([`kstwo_sf`]). The statistic is the merge walk of the two ECDFs, evaluated exactly as
/// scipy's `searchsorted(...)/n` differences. Inputs must be sorted; unsorted input gives a
/// meaningless (but finite-time, non-panicking) result.
///
/// [`kstwo_sf`]: super::kstwo_sf
pub fn ks_2samp_sorted_detailed(ref_sorted: &[f64], cur_sorted: &[f64]) -> KsResult {
    let (n1, n2) = (ref_sorted.len(), cur_sorted.len());
    if n1 == 0 || n2 == 0 {
        return KsResult {
            statistic: f64::NAN,
            p_value: f64::NAN,
            method: None,
        };
    }
    let mut d = ks_statistic_sorted(ref_sorted, cur_sorted);
    if n1.max(n2) <= KS_MAX_AUTO_N {
        let (d_rounded, p) = ks_exact_two_sided(n1 as u64, n2 as u64, d);
        d = d_rounded;
        if let Some(p) = p {
            return KsResult {
                statistic: d,
                p_value: clip01(p),
                method: Some(KsMethod::Exact),
            };
        }
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = m * n / (m + n);
    let p = kstwo_sf_float_n(en.round_ties_even(), d);
    KsResult {
        statistic: d,
        p_value: clip01(p),
        method: Some(KsMethod::Asymptotic),
    }
}

/// The two-sided statistic `max(max(cdf1 - cdf2), clip(-min(cdf1 - cdf2), 0, 1))`.
fn ks_statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut max_s = f64::NEG_INFINITY;
    let mut min_s = f64::INFINITY;
    loop {
        let (v, from_a) = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => {
                if y < x {
                    (y, false)
                } else {
                    (x, true)
                }
            }
            (Some(&x), None) => (x, true),
            (None, Some(&y)) => (y, false),
            (None, None) => break,
        };
        // Always consume the chosen element so NaN can never stall the walk.
        if from_a {
            i += 1;
        } else {
            j += 1;
        }
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        let diff = i as f64 / n1 - j as f64 / n2;
        if diff > max_s {
            max_s = diff;
        }
        if diff < min_s {
            min_s = diff;
        }
    }
    let min_s = clip01(-min_s);
    if min_s > max_s { min_s } else { max_s }
}

/// scipy `_attempt_exact_2kssamp(n1, n2, g, d, 'two-sided')`: `(rounded d, Some(p))`, or
/// `(rounded d, None)` when the exact value is not a probability (scipy then goes asymptotic).
fn ks_exact_two_sided(n1: u64, n2: u64, d: f64) -> (f64, Option<f64>) {
    let g = gcd(n1, n2);
    let lcm = ((n1 / g) * n2) as f64;
    let h = (d * lcm).round_ties_even();
    let d = h / lcm;
    if h == 0.0 {
        return (d, Some(1.0));
    }
    let h = h as i64;
    let prob = if n1 == n2 {
        ks_prob_outside_square(n1 as i64, h)
    } else {
        ks_outer_prob_inside(n1 as i64, n2 as i64, g as i64, h)
    };
    if (0.0..=1.0).contains(&prob) {
        (d, Some(prob))
    } else {
        (d, None)
    }
}

/// scipy `_compute_prob_outside_square(n, h)`: `P(D_{n,n} >= h/n)`.
fn ks_prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = ((n - k * h - j) as f64 * p1) / ((n + k * h + j + 1) as f64);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// scipy `_compute_outer_prob_inside_method(m, n, g, h)` (pythran): the proportion of lattice
/// paths from (0,0) to (m,n) that leave the band `|x/m - y/n| < h/lcm`, computed as 1 - p directly
/// (Viehmann's recursion).
fn ks_outer_prob_inside(m: i64, n: i64, g: i64, h: i64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m / g;
    let ng = n / g;
    let (mgf, hf) = (mg as f64, h as f64);
    let mut minj: i64 = 0;
    let mut maxj: i64 = ((hf / mgf).ceil() as i64).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1).max(1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj.max(0) as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let lastminj = minj;
        let lastlen = curlen;
        minj = ((((ng * i - h) as f64) / mgf).floor() as i64 + 1).max(0);
        minj = minj.min(n);
        maxj = ((((ng * i + h) as f64) / mgf).ceil() as i64).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let src = (jj + minj - lastminj) as usize;
            let prev = a.get(src).copied().unwrap_or(1.0);
            val = (prev * fi + val * j as f64) / (i + j) as f64;
            if let Some(slot) = a.get_mut(jj as usize) {
                *slot = val;
            }
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let r = py_range(len_a, maxj - minj, maxj - minj + (lastlen - curlen));
            for v in &mut a[r] {
                *v = 1.0;
            }
        }
    }
    a.get((maxj - minj - 1).max(0) as usize)
        .copied()
        .unwrap_or(f64::NAN)
}
