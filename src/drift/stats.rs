//! Per-column drift statistics that reproduce scipy 1.17 and Evidently 0.7 (legacy stattests).
//!
//! Everything here is pure Rust (std + serde). Numeric inputs are slices of *finite* `f64`: the
//! caller drops NaN and ±inf first (Evidently does the same in `get_one_column_drift`, which
//! replaces ±inf with NaN and calls `dropna()`). Categorical inputs are per-category counts, the
//! reference and current slices aligned by category index; categories that are absent from both
//! sides (count 0 in each) are ignored, as Evidently never sees them.
//!
//! Where scipy or Evidently would raise (an empty sample, mismatched sums in `chisquare`), the
//! functions here return NaN instead; none of them panics.
//!
//! Deviations from the reference implementations, all documented on the function concerned:
//! - `chi2_sf` (scipy `chdtrc`) uses cephes' series / continued-fraction branches everywhere;
//!   scipy switches to Temme's uniform asymptotic expansion when `df/2 > 20` and `x ≈ df`.
//!   Agreement there is ~1e-13 relative instead of bit-for-bit.
//! - `norm_cdf` uses its own erf/erfc (series + continued fraction), not cephes' rational fits.
//! - `benjamini_hochberg` ignores NaN p-values (statsmodels would turn every output into NaN).
//! - Integer-typed pandas columns make numpy clamp the Sturges bin width to ≥ 1; lathe's columns
//!   are `f64`, so that clamp is not applied.
//!
//! Cost: the KS statistic is one merge of the sorted samples (≈ 11 ms for 1M × 1M in release).
//! Its p-value follows scipy's algorithm choice exactly, so it inherits scipy's costs: the exact
//! lattice count is O(n1 · window) (≈ 150 ms at 10 000 × 9 999 with a large D), and for large
//! samples with a moderate D (`2.2 <= n·D² < 370`, n = n1·n2/(n1+n2) ≤ 10⁶) `smirnov` sums
//! O(n) double-double terms (≈ 0.25 s at n = 500 000; scipy takes longer). Other branches are
//! microseconds to milliseconds.

use serde::{Deserialize, Serialize};
use std::ops::{Add, Div, Mul, Neg, Sub};

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/// A sorted copy (ascending, `f64::total_cmp`).
fn sorted_copy(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    v
}

fn clip01(p: f64) -> f64 {
    // np.clip keeps NaN.
    if p.is_nan() { p } else { p.clamp(0.0, 1.0) }
}

/// Python slice `[start:stop]` of a sequence of length `len`, as a Rust range.
fn py_range(len: usize, start: i64, stop: i64) -> std::ops::Range<usize> {
    let len_i = len as i64;
    let norm = |i: i64| -> i64 {
        if i < 0 {
            (i + len_i).max(0)
        } else {
            i.min(len_i)
        }
    };
    let (s, e) = (norm(start), norm(stop));
    if e > s {
        s as usize..e as usize
    } else {
        s as usize..s as usize
    }
}

/// `2^e` for `-1022 <= e <= 1023`, exactly.
fn pow2i(e: i32) -> f64 {
    let e = e.clamp(-1022, 1023);
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// C `ldexp`.
fn ldexp(mut x: f64, mut e: i32) -> f64 {
    while e > 1000 {
        x *= pow2i(1000);
        e -= 1000;
        if !x.is_finite() {
            return x;
        }
    }
    while e < -1000 {
        x *= pow2i(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * pow2i(e)
}

/// C `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1`.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let (m, e) = frexp(x * pow2i(54));
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, exp - 1022)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// Number of distinct values in a sorted slice.
fn count_distinct_sorted(sorted: &[f64]) -> usize {
    let mut n = 0;
    let mut last: Option<f64> = None;
    for &v in sorted {
        if last != Some(v) {
            n += 1;
            last = Some(v);
        }
    }
    n
}

/// Distinct values of a sorted slice.
fn distinct_sorted(sorted: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for &v in sorted {
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Two-sample Kolmogorov–Smirnov
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Kolmogorov distribution kstwo (scipy.stats._ksstats) and Smirnov (xsf cephes)
// ---------------------------------------------------------------------------------------------

const E128: i32 = 128;
const EP128: f64 = 3.402_823_669_209_385e38; // 2^128
const EM128: f64 = 2.938_735_877_055_719e-39; // 2^-128
const SQRT2PI: f64 = 2.506_628_274_631_000_2;
const LOG_2PI: f64 = 1.837_877_066_409_345_3;
const PI_SQUARED: f64 = 9.869_604_401_089_358;
const PI_FOUR: f64 = 97.409_091_034_002_42;
const PI_SIX: f64 = 961.389_193_575_304_3;
const SQRT3: f64 = 1.732_050_807_568_877_2;
const MACHEP: f64 = 1.110_223_024_625_156_5e-16;
const MINLOG_XSF: f64 = -745.133_219_101_941_2;

/// `scipy.stats.kstwo.sf(d, n)`: survival function of the two-sided one-sample KS statistic
/// `D_n` (scipy `_ksstats.kolmogn(n, d, cdf=False)`, Simard & L'Ecuyer's algorithm choice:
/// Ruben–Gambino tails, Durbin/MTW matrix, Pomeranz, Pelz–Good and `2·smirnov`).
/// Outside the support (`d <= 0.5/n`) it is 1, at `d >= 1` it is 0; `n == 0` gives NaN.
pub fn kstwo_sf(n: u64, d: f64) -> f64 {
    if n == 0 || d.is_nan() {
        return f64::NAN;
    }
    if d <= 0.5 / n as f64 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n as i64, d)
}

/// `kstwo.sf(d, n)` with a float `n` as ks_2samp passes it (`n` must be a positive integer).
fn kstwo_sf_float_n(n: f64, d: f64) -> f64 {
    if n.is_nan() || n < 1.0 || !n.is_finite() || n.fract() != 0.0 {
        return f64::NAN;
    }
    kstwo_sf(n as u64, d)
}

/// `_log_nfactorial_div_n_pow_n(n)` = log(n!/n^n) by Stirling.
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    const STIRLING: [f64; 8] = [
        -0.029_550_653_594_771_242,
        0.006_410_256_410_256_41,
        -0.001_917_526_917_526_917_6,
        0.000_841_750_841_750_841_7,
        -0.000_595_238_095_238_095_3,
        0.000_793_650_793_650_793_7,
        -0.002_777_777_777_777_778,
        0.083_333_333_333_333_33,
    ];
    let rn = 1.0 / n;
    let x = rn / n;
    let poly = STIRLING.iter().fold(0.0, |acc, &c| acc * x + c);
    n.ln() / 2.0 - n + LOG_2PI / 2.0 + rn * poly
}

/// `_kolmogn(n, x, cdf=False)`.
fn kolmogn_sf(n: i64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            let inv_n = 1.0 / nf;
            let base = 2.0 * t - 1.0;
            (1..=n).fold(1.0, |acc, i| acc * (i as f64 * inv_n * base))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip01(1.0 - prob);
    }
    if t >= nf - 1.0 {
        return clip01(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        return clip01(2.0 * smirnov_sf_i64(n, x));
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754693 {
            let cdf = kolmogn_dmtw_cdf(n, x);
            return clip01(1.0 - cdf);
        }
        if nxsquared <= 4.0 {
            let cdf = kolmogn_pomeranz_cdf(n, x);
            return clip01(1.0 - cdf);
        }
        return clip01(2.0 * smirnov_sf_i64(n, x));
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip01(2.0 * smirnov_sf_i64(n, x));
    }
    let cdf = if nxsquared >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        kolmogn_dmtw_cdf(n, x)
    } else {
        kolmogn_pelz_good_cdf(n, x)
    };
    clip01(1.0 - cdf)
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for (c_row, a_row) in c.chunks_exact_mut(m).zip(a.chunks_exact(m)) {
        for (&aik, b_row) in a_row.iter().zip(b.chunks_exact(m)) {
            if aik != 0.0 {
                for (cij, &bkj) in c_row.iter_mut().zip(b_row) {
                    *cij += aik * bkj;
                }
            }
        }
    }
    c
}

/// `_kolmogn_DMTW(n, d, cdf=True)`: Durbin's matrix via Marsaglia–Tsang–Wang.
fn kolmogn_dmtw_cdf(n: i64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powf(m as f64) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for (r, &vr) in v.iter().enumerate() {
        hm[r * m] = vr;
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let mut hpwr = vec![0.0; m * m];
    for i in 0..m {
        hpwr[i * m + i] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut hexpnt: i64 = 0;
    let kk = (k - 1) * m + (k - 1);
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = matmul(&hpwr, &hm, m);
            expnt += hexpnt;
        }
        hm = matmul(&hm, &hm, m);
        hexpnt *= 2;
        if hm[kk].abs() > EP128 {
            for x in hm.iter_mut() {
                *x /= EP128;
            }
            hexpnt += E128 as i64;
        }
        nn /= 2;
    }
    let mut p = hpwr[kk];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= E128 as i64;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
    }
    clip01(p)
}

fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let (ip1div2, ip1mod2) = ((i + 1) / 2, (i + 1) % 2);
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// numpy `convolve(a, v, mode='full')`.
fn convolve_full(a: &[f64], v: &[f64]) -> Vec<f64> {
    if a.is_empty() || v.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0.0; a.len() + v.len() - 1];
    for (i, &ai) in a.iter().enumerate() {
        for (j, &vj) in v.iter().enumerate() {
            out[i + j] += ai * vj;
        }
    }
    out
}

/// `_kolmogn_Pomeranz(n, x, cdf=True)`.
fn kolmogn_pomeranz_cdf(n: i64, x: f64) -> f64 {
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)).max(1) as usize;
    let mut gpower = vec![0.0; npwrs];
    let mut twogpower = vec![0.0; npwrs];
    let mut onem2gpower = vec![0.0; npwrs];
    gpower[0] = 1.0;
    twogpower[0] = 1.0;
    onem2gpower[0] = 1.0;
    let mut expnt: i64 = 0;
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) =
        (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        let mf = m as f64;
        gpower[m] = gpower[m - 1] * g_over_n / mf;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / mf;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / mf;
    }
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s) = (0i64, 0i64);
    let mut j1 = pomeranz_j1j2(0, n, ll, ceilf, roundf).0;
    for i in 1..(2 * n + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.fill(0.0);
        let (next_j1, j2) = pomeranz_j1j2(i, n, ll, ceilf, roundf);
        j1 = next_j1;
        let pwrs = if i == 1 || i == 2 * n + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let ra = py_range(npwrs, k1 - v0s, k1 - v0s + ln2);
            let rp = py_range(npwrs, 0, ln2);
            let conv = convolve_full(&v0[ra], &pwrs[rp]);
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            let src = py_range(conv.len(), conv_start, conv_start + conv_len);
            let dst = py_range(npwrs, 0, conv_len);
            for (d, s) in v1[dst].iter_mut().zip(&conv[src]) {
                *d = *s;
            }
            let mx = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < mx && mx < EM128 {
                for v in v1.iter_mut() {
                    *v *= EP128;
                }
                expnt -= E128 as i64;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let idx = n - v1s;
    let idx = if idx < 0 { idx + npwrs as i64 } else { idx };
    let Some(&start) = usize::try_from(idx).ok().and_then(|i| v1.get(i)) else {
        return f64::NAN;
    };
    let mut ans = start;
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += E128 as i64;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
    }
    clip01(ans)
}

/// `_kolmogn_PelzGood(n, x, cdf=True)`.
fn kolmogn_pelz_good_cdf(n: i64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (zsquared, zthree, zfour, zsix) = (z.powi(2), z.powi(3), z.powi(4), z.powi(6));
    let qlog = -PI_SQUARED / 8.0 / zsquared;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -zsquared;
    let k1b = PI_SQUARED / 4.0;
    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * PI_SQUARED / 4.0;
    let k2c = PI_FOUR * (1.0 - 2.0 * zsquared) / 16.0;
    let k3d = PI_SIX * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = PI_FOUR * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = PI_SQUARED * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powi(8);
    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / std::f64::consts::PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = (2 * k - 1) as f64;
        let (msquared, mfour, msix) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powf((8 * k) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (acc, c) in kk.iter_mut().zip(coeffs) {
            *acc *= qpower;
            *acc += c;
        }
    }
    let denom = [z, 6.0 * zfour, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (acc, d) in kk.iter_mut().zip(denom) {
        *acc *= q;
        *acc *= SQRT2PI;
        *acc /= d;
    }
    let q2 = (-PI_SQUARED / 2.0 / zsquared).exp();
    let sqrt3z = SQRT3 * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for k in (1..=maxk).rev() {
        let kf = k as f64;
        let ksq = kf * kf;
        let qp = q2.powf(ksq);
        let kspi = std::f64::consts::PI * kf;
        k2extra += ksq * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    k2extra *= PI_SQUARED * SQRT2PI / (-36.0 * zthree);
    kk[2] += k2extra;
    k3extra *= PI_SQUARED * SQRT2PI / (216.0 * zsix);
    kk[3] += k3extra;
    for (i, acc) in kk.iter_mut().enumerate() {
        *acc /= nf.powf(i as f64 / 2.0);
    }
    kk.iter().fold(0.0, |s, v| s + v)
}

// --- double-double arithmetic (qd package semantics, as in xsf's dd_real.h) ---------------------

#[derive(Debug, Clone, Copy, PartialEq)]
struct Dd {
    hi: f64,
    lo: f64,
}

fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, b - c)
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    let d = b - c;
    let e = s - c;
    (s, (a - e) + d)
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    const fn new(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }
    fn eq_f(self, x: f64) -> bool {
        self.hi == x && self.lo == 0.0
    }
    fn is_finite(self) -> bool {
        self.hi.is_finite()
    }
    fn frexp(self) -> (Dd, i32) {
        let (mut man, mut exponent) = frexp(self.hi);
        let mut b1 = ldexp(self.lo, -exponent);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            exponent -= 1;
        }
        (Dd { hi: man, lo: b1 }, exponent)
    }
    fn ldexp(self, e: i32) -> Dd {
        Dd {
            hi: ldexp(self.hi, e),
            lo: ldexp(self.lo, e),
        }
    }
    fn floor(self) -> Dd {
        let hi = self.hi.floor();
        if hi == self.hi {
            let lo = self.lo.floor();
            let (h, l) = quick_two_sum(hi, lo);
            Dd { hi: h, lo: l }
        } else {
            Dd { hi, lo: 0.0 }
        }
    }
}

impl Neg for Dd {
    type Output = Dd;
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Add for Dd {
    type Output = Dd;
    fn add(self, r: Dd) -> Dd {
        let (s1, s2) = two_sum(self.hi, r.hi);
        let (t1, t2) = two_sum(self.lo, r.lo);
        let s2 = s2 + t1;
        let (s1, s2) = quick_two_sum(s1, s2);
        let s2 = s2 + t2;
        let (s1, s2) = quick_two_sum(s1, s2);
        Dd { hi: s1, lo: s2 }
    }
}

impl Add<f64> for Dd {
    type Output = Dd;
    fn add(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, r);
        let s2 = s2 + self.lo;
        let (s1, s2) = quick_two_sum(s1, s2);
        Dd { hi: s1, lo: s2 }
    }
}

impl Sub for Dd {
    type Output = Dd;
    fn sub(self, r: Dd) -> Dd {
        self + (-r)
    }
}

impl Sub<f64> for Dd {
    type Output = Dd;
    fn sub(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, -r);
        let s2 = s2 + self.lo;
        let (s1, s2) = quick_two_sum(s1, s2);
        Dd { hi: s1, lo: s2 }
    }
}

impl Mul for Dd {
    type Output = Dd;
    fn mul(self, r: Dd) -> Dd {
        let (p1, p2) = two_prod(self.hi, r.hi);
        let p2 = p2 + (self.hi * r.lo + self.lo * r.hi);
        let (p1, p2) = quick_two_sum(p1, p2);
        Dd { hi: p1, lo: p2 }
    }
}

impl Mul<f64> for Dd {
    type Output = Dd;
    fn mul(self, r: f64) -> Dd {
        let (p1, e1) = two_prod(self.hi, r);
        let (p2, e2) = two_prod(self.lo, r);
        let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
        Dd { hi: p1, lo: e1 }
    }
}

impl Mul<Dd> for f64 {
    type Output = Dd;
    fn mul(self, r: Dd) -> Dd {
        r * self
    }
}

impl Div for Dd {
    type Output = Dd;
    fn div(self, r: Dd) -> Dd {
        let q1 = self.hi / r.hi;
        let rem = self - r * q1;
        let q2 = rem.hi / r.hi;
        let rem = rem - r * q2;
        let q3 = rem.hi / r.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        Dd { hi: q1, lo: q2 } + q3
    }
}

impl Div<f64> for Dd {
    type Output = Dd;
    fn div(self, r: f64) -> Dd {
        self / Dd::new(r)
    }
}

impl Div<Dd> for f64 {
    type Output = Dd;
    fn div(self, r: Dd) -> Dd {
        Dd::new(self) / r
    }
}

// --- Smirnov one-sided distribution (xsf cephes kolmogorov.h `_smirnov`) ------------------------

const SMIRNOV_MAX_COMPUTE_N: i64 = 1_000_000;
const SM_UPPER_MAX_TERMS: i64 = 3;
const SM_UPPERSUM_MIN_N: i64 = 10;
const SM_MAX_EXPONENT: i32 = 960;

/// `scipy.special.smirnov(n, d)`: survival function of the one-sided KS statistic `D_n^+`
/// (Birnbaum–Tingey sum in double-double arithmetic, as xsf computes it).
pub fn smirnov_sf(n: u64, d: f64) -> f64 {
    smirnov_sf_i64(i64::try_from(n).unwrap_or(i64::MAX), d)
}

fn mod_nx(n: i64, x: f64) -> (f64, i64, f64) {
    let nx_d = (n as f64) * Dd::new(x);
    let nxfloor_d = nx_d.floor();
    let alpha_d = nx_d - nxfloor_d;
    let mut alpha = alpha_d.hi;
    let mut nxfloor = nxfloor_d.hi as i64;
    if alpha == 1.0 {
        nxfloor += 1;
        alpha = 0.0;
    }
    (alpha, nxfloor, nx_d.hi)
}

fn update_binomial(cman: &mut Dd, cexpt: &mut i64, n: i64, j: i64) {
    let rat = Dd::new((n - j) as f64) / (j as f64 + 1.0);
    let man2 = *cman * rat;
    let (man2, expt) = man2.frexp();
    *cexpt += expt as i64;
    *cman = man2;
}

fn pow_dd(a: Dd, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return 1.0 / pow_dd(a, -m);
    }
    if a.eq_f(0.0) {
        return Dd::new(0.0);
    }
    let mf = m as f64;
    let ans = a.hi.powf(mf);
    let r = a.lo / a.hi;
    let mut adj = mf * r;
    if adj.abs() > 1e-8 {
        if adj.abs() < 1e-4 {
            adj += (mf * r) * ((mf - 1.0) / 2.0 * r);
        } else {
            adj = (mf * r.ln_1p()).exp_m1();
        }
    }
    Dd::new(ans) + ans * adj
}

fn pow2(a: f64, b: f64, m: i64) -> f64 {
    pow_dd(Dd::new(a) + b, m).hi
}

/// xsf `nextPowerOf2` (sic).
fn next_power_of_2(x: f64) -> f64 {
    let q = ldexp(x, 1 - 53);
    let mut l = (q + x).abs();
    if l == 0.0 {
        l = x.abs();
    } else {
        let lint = l as i32;
        if lint as f64 == l {
            l = lint as f64;
        }
    }
    l
}

fn pow2_scaled_dd(a: Dd, m: i64) -> (Dd, i64) {
    if m <= 0 {
        if m == 0 {
            return (Dd::new(1.0), 0);
        }
        let (ans, ae1) = pow2_scaled_dd(a, -m);
        let (ans, ae2) = (1.0 / ans).frexp();
        return (ans, -ae1 + ae2 as i64);
    }
    let (y, ye) = a.frexp();
    let ye = ye as i64;
    if m == 1 {
        return (y, ye);
    }
    let mut max_expt = SM_MAX_EXPONENT as i64;
    let mf = m as f64;
    if mf * (y.hi - 1.0) / y.hi < -(SM_MAX_EXPONENT as f64) * std::f64::consts::LN_2 {
        let lg2y = y.hi.ln() / std::f64::consts::LN_2;
        let lg_ans = mf * lg2y;
        if lg_ans <= -(SM_MAX_EXPONENT as f64) {
            max_expt = (next_power_of_2(-(SM_MAX_EXPONENT as f64) / lg2y + 1.0) / 2.0) as i64;
        }
    }
    if max_expt < 1 {
        max_expt = 1;
    }
    if m <= max_expt {
        let ans1 = pow_dd(y, m);
        let (ans, anse) = ans1.frexp();
        return (ans, anse as i64 + m * ye);
    }
    let q = m / max_expt;
    let r = m % max_expt;
    let (y2r, y2re) = pow2_scaled_dd(y, r);
    let (y2m, y2me) = pow2_scaled_dd(y, max_expt);
    let (y2mq, mut y2mqe) = pow2_scaled_dd(y2m, q);
    let (ans, anse) = (y2r * y2mq).frexp();
    y2mqe += y2me * q;
    let mut anse = anse as i64 + y2mqe + y2re;
    anse += m * ye;
    (ans, anse)
}

fn pow4_dd(a: f64, b: f64, c: f64, d: f64, m: i64) -> Dd {
    if m <= 0 {
        if m == 0 {
            return Dd::new(1.0);
        }
        return pow4_dd(c, d, a, b, -m);
    }
    let aa = Dd::new(a) + b;
    let cc = Dd::new(c) + d;
    if aa.eq_f(0.0) {
        return if cc.eq_f(0.0) {
            Dd {
                hi: f64::NAN,
                lo: f64::NAN,
            }
        } else {
            Dd::new(0.0)
        };
    }
    if cc.eq_f(0.0) {
        let inf = if aa.hi < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return Dd { hi: inf, lo: inf };
    }
    pow_dd(aa / cc, m)
}

fn clamp_i32(e: i64) -> i32 {
    e.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

fn compute_av(n: i64, x: f64, v: i64, cman: Dd, cexpt: i64) -> Dd {
    let nf = n as f64;
    let t2x = Dd::new((n - v) as f64) / nf - x;
    let (t2, t2e) = pow2_scaled_dd(t2x, n - v);
    let t1x = Dd::new(v as f64) / nf + x;
    let (t1, t1e) = pow2_scaled_dd(t1x, v - 1);
    let ans = t1 * t2;
    let ans = ans * cman;
    ans.ldexp(clamp_i32(cexpt + t1e + t2e))
}

fn smirnov_sf_i64(n: i64, x: f64) -> f64 {
    if !(n > 0 && (0.0..=1.0).contains(&x)) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let (alpha, nxfl, _nx) = mod_nx(n, x);
    let mut n1mxfl = n - nxfl - if alpha == 0.0 { 0 } else { 1 };
    let mut n1mxceil = n - nxfl;
    if alpha == 0.0 {
        n1mxfl -= 1;
        n1mxceil += 1;
    }
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = pow2(1.0, x, n - 1);
        let cdf = x * t;
        return 1.0 - cdf;
    }
    if (-2 * n) as f64 * x * x < MINLOG_XSF {
        return 0.0;
    }
    if nxfl >= n - 1 {
        return pow2(1.0, -x, n);
    }
    if n > SMIRNOV_MAX_COMPUTE_N {
        let logp = -(6.0 * nf * x + 1.0).powi(2) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 - (-logp.exp_m1())
        };
    }
    let n_upper_terms = n - n1mxceil + 1;
    let use_upper = (n_upper_terms <= 1 && x < 0.5)
        || (n >= SM_UPPERSUM_MIN_N && n_upper_terms <= SM_UPPER_MAX_TERMS && x <= 0.5 / nf.sqrt());
    let (start, step, n_terms);
    let mut aj_sum = Dd::new(0.0);
    let aj;
    if use_upper {
        start = n;
        step = -1i64;
        n_terms = n - n1mxceil + 1;
        aj = pow4_dd(1.0, x, 1.0, 0.0, n - 1);
    } else {
        start = 0;
        step = 1;
        n_terms = n1mxfl + 1;
        let t2 = pow4_dd(1.0, -x, 1.0, 0.0, n);
        aj = t2 / x;
    }
    aj_sum = aj_sum + aj;
    let vmid = n / 2;
    let mut cman = Dd::new(1.0);
    let mut cexpt: i64 = 0;
    update_binomial(&mut cman, &mut cexpt, n, 0);
    let mut j = 1;
    while j < n_terms {
        let v = start + j * step;
        let aj = compute_av(n, x, v, cman, cexpt);
        let nonzero = !aj.eq_f(0.0);
        if aj.is_finite() && nonzero {
            aj_sum = aj_sum + aj;
        }
        if nonzero {
            if 4.0 * (n_terms - j) as f64 * aj.hi.abs() < f64::EPSILON * aj_sum.hi
                && j != n_terms - 1
            {
                break;
            }
        } else if j > vmid {
            break;
        }
        update_binomial(&mut cman, &mut cexpt, n, j);
        j += 1;
    }
    let prob = (x * aj_sum).hi;
    let sf = if step < 0 { 1.0 - prob } else { prob };
    clip01(sf)
}

// ---------------------------------------------------------------------------------------------
// Special functions: log-gamma, incomplete gamma, normal CDF
// ---------------------------------------------------------------------------------------------

/// Stirling correction `ln Γ(a) - [(a - ½) ln a - a + ½ ln 2π]` for `a >= 10`.
fn stirling_correction(a: f64) -> f64 {
    let r = 1.0 / a;
    let r2 = r * r;
    r * (1.0 / 12.0
        + r2 * (-1.0 / 360.0
            + r2 * (1.0 / 1260.0
                + r2 * (-1.0 / 1680.0
                    + r2 * (1.0 / 1188.0 + r2 * (-691.0 / 360_360.0 + r2 * (1.0 / 156.0)))))))
}

/// `ln Γ(a)` for `a > 0`.
pub(crate) fn ln_gamma(a: f64) -> f64 {
    if a.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if a.is_infinite() {
        return f64::INFINITY;
    }
    if a >= 10.0 {
        return (a - 0.5) * a.ln() - a + LOG_2PI / 2.0 + stirling_correction(a);
    }
    // Shift up: ln Γ(a) = ln Γ(a + k) - ln(a (a+1) ... (a+k-1)).
    let mut prod = 1.0;
    let mut z = a;
    while z < 10.0 {
        prod *= z;
        z += 1.0;
    }
    (z - 0.5) * z.ln() - z + LOG_2PI / 2.0 + stirling_correction(z) - prod.ln()
}

/// `ln(1 + t) - t`, accurate for small `t`.
fn log1pmx(t: f64) -> f64 {
    if t.abs() < 0.5 {
        let y = t / (2.0 + t);
        let y2 = y * y;
        let mut term = y2 * y;
        let mut sum = 0.0;
        let mut k = 3.0;
        loop {
            let add = term / k;
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() || k > 200.0 {
                break;
            }
            term *= y2;
            k += 2.0;
        }
        -t * y + 2.0 * sum
    } else {
        t.ln_1p() - t
    }
}

/// cephes `igam_fac`: `x^a e^{-x} / Γ(a)`.
fn igam_fac(a: f64, x: f64) -> f64 {
    if (a - x).abs() > 0.4 * a.abs() || a < 10.0 {
        let ax = a * x.ln() - x - ln_gamma(a);
        if ax < -709.782_712_893_384 {
            return 0.0;
        }
        return ax.exp();
    }
    // a ≥ 10 and x ≈ a: a·log1pmx((x-a)/a) + ½ ln(a / 2π) - stirling(a), without cancellation.
    let ax = a * log1pmx((x - a) / a) + 0.5 * (a.ln() - LOG_2PI) - stirling_correction(a);
    ax.exp()
}

const IGAM_MAXITER: usize = 1_000_000;
const IGAM_BIG: f64 = 4_503_599_627_370_496.0;
const IGAM_BIGINV: f64 = 2.220_446_049_250_313e-16;

fn igamc_continued_fraction(a: f64, x: f64) -> f64 {
    let ax = igam_fac(a, x);
    if ax == 0.0 {
        return 0.0;
    }
    let mut y = 1.0 - a;
    let mut z = x + y + 1.0;
    let mut c = 0.0;
    let mut pkm2 = 1.0;
    let mut qkm2 = x;
    let mut pkm1 = x + 1.0;
    let mut qkm1 = z * x;
    let mut ans = pkm1 / qkm1;
    for _ in 0..IGAM_MAXITER {
        c += 1.0;
        y += 1.0;
        z += 2.0;
        let yc = y * c;
        let pk = pkm1 * z - pkm2 * yc;
        let qk = qkm1 * z - qkm2 * yc;
        let t = if qk != 0.0 {
            let r = pk / qk;
            let t = ((ans - r) / r).abs();
            ans = r;
            t
        } else {
            1.0
        };
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;
        if pk.abs() > IGAM_BIG {
            pkm2 *= IGAM_BIGINV;
            pkm1 *= IGAM_BIGINV;
            qkm2 *= IGAM_BIGINV;
            qkm1 *= IGAM_BIGINV;
        }
        if t <= MACHEP {
            break;
        }
    }
    ans * ax
}

fn igam_series(a: f64, x: f64) -> f64 {
    let ax = igam_fac(a, x);
    if ax == 0.0 {
        return 0.0;
    }
    let mut r = a;
    let mut c = 1.0;
    let mut ans = 1.0;
    for _ in 0..IGAM_MAXITER {
        r += 1.0;
        c *= x / r;
        ans += c;
        if c <= MACHEP * ans {
            break;
        }
    }
    ans * ax / a
}

fn igamc_series(a: f64, x: f64) -> f64 {
    let mut fac = 1.0;
    let mut sum = 0.0;
    for n in 1..2000 {
        let nf = n as f64;
        fac *= -x / nf;
        let term = fac / (a + nf);
        sum += term;
        if term.abs() <= MACHEP * sum.abs() {
            break;
        }
    }
    let logx = x.ln();
    let term = -(a * logx - ln_gamma(1.0 + a)).exp_m1();
    term - (a * logx - ln_gamma(a)).exp() * sum
}

/// Regularized upper incomplete gamma `Q(a, x)` (cephes `igamc` branch structure, without the
/// Temme asymptotic series; see the module docs).
fn igamc(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || x < 0.0 || a < 0.0 {
        return f64::NAN;
    }
    if a == 0.0 {
        return if x > 0.0 { 0.0 } else { f64::NAN };
    }
    if x == 0.0 {
        return 1.0;
    }
    if a.is_infinite() {
        return if x.is_infinite() { f64::NAN } else { 1.0 };
    }
    if x.is_infinite() {
        return 0.0;
    }
    if x > 1.1 {
        if x < a {
            1.0 - igam_series(a, x)
        } else {
            igamc_continued_fraction(a, x)
        }
    } else if x <= 0.5 {
        if -0.4 / x.ln() < a {
            1.0 - igam_series(a, x)
        } else {
            igamc_series(a, x)
        }
    } else if x * 1.1 < a {
        1.0 - igam_series(a, x)
    } else {
        igamc_series(a, x)
    }
}

/// `scipy.special.chdtrc(df, x)` = `scipy.stats.chi2.sf(x, df)`: the chi-square survival
/// function, `Q(df/2, x/2)`. `x < 0` gives 1; `df == 0` gives 0 for `x > 0` and NaN at `x == 0`
/// (as scipy). Scipy's Temme expansion near `x ≈ df` (df > 40) is replaced by the cephes
/// series / continued fraction, which agree to ~1e-13 relative.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || df.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 1.0;
    }
    igamc(df / 2.0, x / 2.0)
}

/// `e^{-x²}` with the rounding error of `x²` compensated.
fn exp_neg_sq(x: f64) -> f64 {
    let hi = x * x;
    let lo = x.mul_add(x, -hi);
    (-hi).exp() * (-lo).exp()
}

/// erf by the everywhere-positive series `2/√π · x e^{-x²} Σ (2x²)^n / (2n+1)!!`; for `|x| <= 3`.
fn erf_series(x: f64) -> f64 {
    let x2 = 2.0 * x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    for _ in 0..500 {
        term *= x2 / (2.0 * k + 1.0);
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
        k += 1.0;
    }
    std::f64::consts::FRAC_2_SQRT_PI * x * exp_neg_sq(x) * sum
}

/// erfc for `x >= 1` by Lentz's evaluation of `erfc x = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`.
fn erfc_cf(x: f64) -> f64 {
    let tiny = 1e-300;
    let mut f = x;
    let mut c = f;
    let mut d = 0.0;
    for k in 1..5000 {
        let ak = k as f64 / 2.0;
        d = x + ak * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + ak / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    exp_neg_sq(x) / (std::f64::consts::PI.sqrt() * f)
}

fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.3 {
        return 0.0;
    }
    erfc_cf(x)
}

fn erf(x: f64) -> f64 {
    if x.abs() < 1.0 {
        erf_series(x)
    } else {
        1.0 - erfc(x)
    }
}

/// `scipy.stats.norm.cdf(x)` (`scipy.special.ndtr`, cephes branch structure: `½ + ½ erf` near 0,
/// `½ erfc` in the tails).
pub fn norm_cdf(a: f64) -> f64 {
    if a.is_nan() {
        return a;
    }
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < 1.0 {
        return 0.5 + 0.5 * erf(x);
    }
    let y = 0.5 * erfc(z);
    if x > 0.0 { 1.0 - y } else { y }
}

// ---------------------------------------------------------------------------------------------
// Chi-square and z tests
// ---------------------------------------------------------------------------------------------

/// `scipy.stats.chisquare(f_obs, f_exp)` (ddof = 0): `(Σ (o-e)²/e, chi2.sf(stat, k-1))`.
///
/// Like scipy's `sum_check`, if `Σ o` and `Σ e` differ by more than `sqrt(eps)` relative the
/// result is `(NaN, NaN)` (scipy raises). Different lengths or empty input: `(NaN, NaN)`.
/// An expected count of 0 with a positive observation gives `stat = inf, p = 0` (as numpy).
pub fn chisquare(observed: &[f64], expected: &[f64]) -> (f64, f64) {
    if observed.len() != expected.len() || observed.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let so: f64 = observed.iter().sum();
    let se: f64 = expected.iter().sum();
    let rel = (so - se).abs() / so.min(se);
    if rel > f64::EPSILON.sqrt() {
        return (f64::NAN, f64::NAN);
    }
    let stat: f64 = observed
        .iter()
        .zip(expected)
        .map(|(&o, &e)| (o - e).powi(2) / e)
        .sum();
    let df = (observed.len() - 1) as f64;
    (stat, chi2_sf(stat, df))
}

/// Keep only categories seen on either side.
fn nonempty_pairs(ref_counts: &[u64], cur_counts: &[u64]) -> Vec<(u64, u64)> {
    let n = ref_counts.len().max(cur_counts.len());
    (0..n)
        .map(|i| {
            (
                ref_counts.get(i).copied().unwrap_or(0),
                cur_counts.get(i).copied().unwrap_or(0),
            )
        })
        .filter(|&(r, c)| r > 0 || c > 0)
        .collect()
}

/// Evidently's `chisquare` stattest (`_chi_stat_test`): `(stat, p)` of
/// `scipy.stats.chisquare(f_obs = current counts, f_exp = reference counts · n_cur / n_ref)`
/// over the union of categories (a category missing from the reference has expected 0, so the
/// statistic is infinite and p = 0). Empty reference or current: `(NaN, NaN)`.
/// Evidently's verdict is `p < threshold`.
pub fn chi2_drift(ref_counts: &[u64], cur_counts: &[u64]) -> (f64, f64) {
    let pairs = nonempty_pairs(ref_counts, cur_counts);
    let n_ref: u64 = pairs.iter().map(|p| p.0).sum();
    let n_cur: u64 = pairs.iter().map(|p| p.1).sum();
    if n_ref == 0 || n_cur == 0 {
        return (f64::NAN, f64::NAN);
    }
    let k_norm = n_cur as f64 / n_ref as f64;
    let f_exp: Vec<f64> = pairs.iter().map(|p| p.0 as f64 * k_norm).collect();
    let f_obs: Vec<f64> = pairs.iter().map(|p| p.1 as f64).collect();
    chisquare(&f_obs, &f_exp)
}

/// Evidently's `z` stattest (`_z_stat_test`): two-proportion z-test p-value,
/// `2·(1 - Φ(|z|))`, where each side's proportion is the share of rows *not* equal to the
/// first category in sorted order — pass the categories in Python-sorted order (index 0 first).
/// For a binary column the order does not matter. If both sides hold one and the same single
/// category, p = 1. Empty reference or current: NaN. Verdict: `p < threshold`.
pub fn z_test_proportions(ref_counts: &[u64], cur_counts: &[u64]) -> f64 {
    let n = ref_counts.len().max(cur_counts.len());
    let get = |s: &[u64], i: usize| s.get(i).copied().unwrap_or(0);
    let present: Vec<usize> = (0..n)
        .filter(|&i| get(ref_counts, i) > 0 || get(cur_counts, i) > 0)
        .collect();
    let n1: u64 = ref_counts.iter().sum();
    let n2: u64 = cur_counts.iter().sum();
    let Some(&key0) = present.first() else {
        return f64::NAN;
    };
    if n1 == 0 || n2 == 0 {
        return f64::NAN;
    }
    let ref_unique: Vec<usize> = present
        .iter()
        .copied()
        .filter(|&i| get(ref_counts, i) > 0)
        .collect();
    let cur_unique: Vec<usize> = present
        .iter()
        .copied()
        .filter(|&i| get(cur_counts, i) > 0)
        .collect();
    if ref_unique.len() == 1 && cur_unique.len() == 1 && ref_unique[0] == cur_unique[0] {
        return 1.0;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let p1 = (n1 - get(ref_counts, key0)) as f64 / n1f;
    let p2 = (n2 - get(cur_counts, key0)) as f64 / n2f;
    let pp = (p1 * n1f + p2 * n2f) / (n1f + n2f);
    let z = (p1 - p2) / (pp * (1.0 - pp) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    2.0 * (1.0 - norm_cdf(z.abs()))
}

// ---------------------------------------------------------------------------------------------
// Wasserstein
// ---------------------------------------------------------------------------------------------

/// `scipy.stats.wasserstein_distance(u, v)` (unweighted, 1-D). Empty input: NaN.
pub fn wasserstein_distance(u: &[f64], v: &[f64]) -> f64 {
    wasserstein_distance_sorted(&sorted_copy(u), &sorted_copy(v))
}

/// `scipy.stats.wasserstein_distance` on sorted samples: `∫ |U(t) - V(t)| dt` over the merged
/// support, with the CDFs taken as `searchsorted(side='right') / n` like scipy.
pub fn wasserstein_distance_sorted(u: &[f64], v: &[f64]) -> f64 {
    if u.is_empty() || v.is_empty() {
        return f64::NAN;
    }
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let mut prev: Option<f64> = None;
    let mut prev_diff = 0.0;
    loop {
        let (x, from_u) = match (u.get(i), v.get(j)) {
            (Some(&a), Some(&b)) => {
                if b < a {
                    (b, false)
                } else {
                    (a, true)
                }
            }
            (Some(&a), None) => (a, true),
            (None, Some(&b)) => (b, false),
            (None, None) => break,
        };
        if let Some(p) = prev {
            total += prev_diff * (x - p);
        }
        if from_u {
            i += 1;
        } else {
            j += 1;
        }
        while i < u.len() && u[i] <= x {
            i += 1;
        }
        while j < v.len() && v[j] <= x {
            j += 1;
        }
        prev_diff = (i as f64 / nu - j as f64 / nv).abs();
        prev = Some(x);
    }
    total
}

/// Population standard deviation, `np.std(x)` (ddof = 0, two-pass). Empty: NaN.
pub fn std_pop(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// Evidently's `wasserstein` stattest (`_wasserstein_distance_norm`):
/// `wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)` — population std (ddof = 0), and
/// a constant reference divides by 0.001 rather than 0. Verdict: `score >= threshold`.
pub fn wasserstein_norm(reference: &[f64], current: &[f64]) -> f64 {
    let norm = std_pop(reference).max(0.001);
    wasserstein_distance(reference, current) / norm
}

// ---------------------------------------------------------------------------------------------
// Binning
// ---------------------------------------------------------------------------------------------

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

fn min_max<'a>(values: impl Iterator<Item = &'a f64>) -> Option<(f64, f64)> {
    let mut it = values;
    let first = *it.next()?;
    Some(it.fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))))
}

/// numpy `histogram_bin_edges` over `values` with `bins='sturges'` (`n_bins = None`) or an explicit
/// bin count. Range = [min, max] (widened by ±0.5 when min == max); Sturges' bin count is
/// `ceil(ptp / (ptp / (log2(n) + 1)))` (1 when ptp == 0); edges by `np.linspace`.
fn sturges_edges_iter<'a>(
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

// ---------------------------------------------------------------------------------------------
// Distances over shares
// ---------------------------------------------------------------------------------------------

/// `scipy.special.rel_entr(x, y)`.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// `scipy.spatial.distance.jensenshannon(p, q)` (natural log, `base=None`): both vectors are
/// normalised to sum 1, `sqrt((Σ rel_entr(p, m) + Σ rel_entr(q, m)) / 2)` with `m = (p+q)/2`.
/// Evidently's `jensenshannon` stattest calls it on [`evidently_binned_numeric`] /
/// [`evidently_binned_counts`] shares **without** zero filling; verdict `score >= threshold`.
/// Different lengths or empty: NaN.
pub fn jensenshannon(p: &[f64], q: &[f64]) -> f64 {
    if p.len() != q.len() || p.is_empty() {
        return f64::NAN;
    }
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    let mut left = 0.0;
    let mut right = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        left += rel_entr(a, m);
        right += rel_entr(b, m);
    }
    ((left + right) / 2.0).sqrt()
}

/// Evidently's `psi` stattest: `Σ (ref - cur) · ln(ref / cur)` over zero-filled shares
/// (`get_binned_data(..., feel_zeroes=True)`); no renormalisation. Verdict `score >= threshold`.
pub fn psi(ref_shares: &[f64], cur_shares: &[f64]) -> f64 {
    if ref_shares.len() != cur_shares.len() || ref_shares.is_empty() {
        return f64::NAN;
    }
    ref_shares
        .iter()
        .zip(cur_shares)
        .map(|(&r, &c)| (r - c) * (r / c).ln())
        .sum()
}

/// Evidently's `kl_div` stattest: `scipy.stats.entropy(ref, cur)` (natural log) over zero-filled
/// shares — both vectors renormalised to sum 1, then `Σ rel_entr(ref, cur)`.
/// Verdict `score >= threshold`.
pub fn kl_div(ref_shares: &[f64], cur_shares: &[f64]) -> f64 {
    if ref_shares.len() != cur_shares.len() || ref_shares.is_empty() {
        return f64::NAN;
    }
    let sr: f64 = ref_shares.iter().sum();
    let sc: f64 = cur_shares.iter().sum();
    ref_shares
        .iter()
        .zip(cur_shares)
        .map(|(&r, &c)| rel_entr(r / sr, c / sc))
        .sum()
}

/// Evidently's `hellinger` stattest for a numeric column (`_hellinger_distance`): Sturges edges
/// over the **distinct** values of `reference ∪ current`, `np.histogram(..., density=True)` on
/// each side, `H = sqrt(1 - clip(Σ sqrt(p·q) · w, 0, 1))` with `w = (max edge - min edge) / bins`.
/// Empty input: NaN. Verdict `score >= threshold`.
pub fn hellinger_numeric(reference: &[f64], current: &[f64]) -> f64 {
    if reference.is_empty() || current.is_empty() {
        return f64::NAN;
    }
    let (keys, _, _) = value_counts(reference, current);
    let edges = sturges_edges_iter(keys.iter(), keys.len(), None);
    let density = |values: &[f64]| -> Vec<f64> {
        let counts = binned_counts(values, &edges);
        let total = counts.iter().sum::<u64>() as f64;
        counts
            .iter()
            .zip(edges.windows(2))
            .map(|(&c, w)| c as f64 / (w[1] - w[0]) / total)
            .collect()
    };
    let (h1, h2) = (density(reference), density(current));
    let (emin, emax) = min_max(edges.iter()).unwrap_or((f64::NAN, f64::NAN));
    let bin_width = (emax - emin) / (edges.len() as f64 - 1.0);
    let mut s = 0.0;
    for (p1, p2) in h1.iter().zip(&h2) {
        s += (p1 * p2).sqrt() * bin_width;
    }
    (1.0 - clip01(s)).sqrt()
}

/// Hellinger distance over two share vectors as Evidently computes it for categories:
/// `sqrt(1 - clip(Σ sqrt(p·q), 0, 1))` (no renormalisation; for shares summing to 1 this is
/// `sqrt(Σ (√p - √q)²) / √2`). Different lengths or empty: NaN.
pub fn hellinger(p: &[f64], q: &[f64]) -> f64 {
    if p.len() != q.len() || p.is_empty() {
        return f64::NAN;
    }
    let mut s = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        s += (a * b).sqrt();
    }
    (1.0 - clip01(s)).sqrt()
}

/// Evidently's `hellinger` stattest for a categorical column: [`hellinger`] over the shares
/// `count / len` of each side, on the union of categories. Empty side: NaN.
pub fn hellinger_counts(ref_counts: &[u64], cur_counts: &[u64]) -> f64 {
    let pairs = nonempty_pairs(ref_counts, cur_counts);
    let nr = pairs.iter().map(|p| p.0).sum::<u64>() as f64;
    let nc = pairs.iter().map(|p| p.1).sum::<u64>() as f64;
    if nr == 0.0 || nc == 0.0 {
        return f64::NAN;
    }
    let p: Vec<f64> = pairs.iter().map(|&(r, _)| r as f64 / nr).collect();
    let q: Vec<f64> = pairs.iter().map(|&(_, c)| c as f64 / nc).collect();
    hellinger(&p, &q)
}

// ---------------------------------------------------------------------------------------------
// Multiple testing
// ---------------------------------------------------------------------------------------------

/// Bonferroni-adjusted p-values, `min(p · m, 1)` (statsmodels `multipletests(method='bonferroni')`).
/// `m` counts the non-NaN p-values; NaN stays NaN.
pub fn bonferroni(p: &[f64]) -> Vec<f64> {
    let m = p.iter().filter(|x| !x.is_nan()).count() as f64;
    p.iter()
        .map(|&x| if x.is_nan() { x } else { (x * m).min(1.0) })
        .collect()
}

/// Benjamini–Hochberg adjusted p-values (statsmodels `multipletests(method='fdr_bh')`):
/// sorted ascending, `p_(i) · m / i`, running minimum from the largest down, capped at 1, put
/// back in input order. NaN p-values are left out of `m` and stay NaN (statsmodels would make
/// every output NaN).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = idx.len() as f64;
    let mut out = vec![f64::NAN; p.len()];
    let mut running = f64::INFINITY;
    for (rank, &i) in idx.iter().enumerate().rev() {
        let ecdf = (rank + 1) as f64 / m;
        let raw = p[i] / ecdf;
        if raw < running {
            running = raw;
        }
        out[i] = running.min(1.0);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Evidently's test choice and verdicts
// ---------------------------------------------------------------------------------------------

/// Column type as Evidently sees it (`ColumnType.Numerical` / `ColumnType.Categorical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// A drift test. Serialized in snake_case (`chi_square`, `jensen_shannon`, …); Evidently's own
/// names (`chisquare`, `jensenshannon`, `kl_div`) are accepted too, see [`TestId::evidently_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestId {
    Ks,
    #[serde(alias = "chisquare")]
    ChiSquare,
    Z,
    Wasserstein,
    #[serde(alias = "jensenshannon")]
    JensenShannon,
    Psi,
    Hellinger,
    #[serde(alias = "kl_div")]
    Kl,
}

impl TestId {
    /// Every test, in declaration order.
    pub const ALL: [TestId; 8] = [
        TestId::Ks,
        TestId::ChiSquare,
        TestId::Z,
        TestId::Wasserstein,
        TestId::JensenShannon,
        TestId::Psi,
        TestId::Hellinger,
        TestId::Kl,
    ];

    /// The name Evidently registers the test under (`StatTest.name`).
    pub fn evidently_name(self) -> &'static str {
        match self {
            TestId::Ks => "ks",
            TestId::ChiSquare => "chisquare",
            TestId::Z => "z",
            TestId::Wasserstein => "wasserstein",
            TestId::JensenShannon => "jensenshannon",
            TestId::Psi => "psi",
            TestId::Hellinger => "hellinger",
            TestId::Kl => "kl_div",
        }
    }

    /// The snake_case name used by serde (`ks`, `chi_square`, `jensen_shannon`, `kl`, …).
    pub fn name(self) -> &'static str {
        match self {
            TestId::Ks => "ks",
            TestId::ChiSquare => "chi_square",
            TestId::Z => "z",
            TestId::Wasserstein => "wasserstein",
            TestId::JensenShannon => "jensen_shannon",
            TestId::Psi => "psi",
            TestId::Hellinger => "hellinger",
            TestId::Kl => "kl",
        }
    }

    /// Look a test up by its snake_case ([`TestId::name`]) or Evidently name.
    pub fn from_name(name: &str) -> Option<TestId> {
        TestId::ALL
            .into_iter()
            .find(|t| t.name() == name || t.evidently_name() == name)
    }

    /// Whether the score is a p-value (drift when small) rather than a distance (drift when large).
    pub fn is_p_value(self) -> bool {
        matches!(self, TestId::Ks | TestId::ChiSquare | TestId::Z)
    }

    /// Evidently's `StatTest.default_threshold`: 0.05 for ks / chisquare / z, 0.1 for the
    /// distances (wasserstein, jensenshannon, psi, hellinger, kl_div).
    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() { 0.05 } else { 0.1 }
    }

    /// Evidently's verdict: ks `p <= threshold` (sic: `<=`), chisquare and z `p < threshold`, all
    /// distances `score >= threshold`. NaN never drifts.
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            TestId::Ks => score <= threshold,
            TestId::ChiSquare | TestId::Z => score < threshold,
            _ => score >= threshold,
        }
    }

    /// Whether the test runs on this kind of column. Evidently registers ks and wasserstein for
    /// numerical columns only; chisquare and z are registered as categorical but its default rule
    /// also picks them for numeric columns with few values, where they run on value counts.
    pub fn applies_to(self, kind: ColumnKind) -> bool {
        !matches!(
            (self, kind),
            (TestId::Ks | TestId::Wasserstein, ColumnKind::Categorical)
        )
    }
}

/// Evidently's `_get_default_stattest` for a numerical or categorical column.
///
/// `n_reference_rows` is the reference length after dropping NaN/±inf; `n_unique` is the number
/// of distinct non-null values in `reference ∪ current` (`pd.concat([ref, cur]).nunique()`).
///
/// | reference rows | kind        | distinct values | test          |
/// |----------------|-------------|-----------------|---------------|
/// | ≤ 1000         | numeric     | ≤ 2             | z             |
/// | ≤ 1000         | numeric     | 3–5             | chisquare     |
/// | ≤ 1000         | numeric     | > 5             | ks            |
/// | ≤ 1000         | categorical | ≤ 2             | z             |
/// | ≤ 1000         | categorical | > 2             | chisquare     |
/// | > 1000         | numeric     | ≤ 5             | jensenshannon |
/// | > 1000         | numeric     | > 5             | wasserstein   |
/// | > 1000         | categorical | any             | jensenshannon |
pub fn default_test(kind: ColumnKind, n_reference_rows: usize, n_unique: usize) -> TestId {
    if n_reference_rows <= 1000 {
        match kind {
            ColumnKind::Numeric if n_unique > 5 => TestId::Ks,
            _ if n_unique > 2 => TestId::ChiSquare,
            _ => TestId::Z,
        }
    } else {
        match kind {
            ColumnKind::Numeric if n_unique > 5 => TestId::Wasserstein,
            _ => TestId::JensenShannon,
        }
    }
}

/// One column's data: finite numeric values, or per-category counts aligned by index (in
/// Python-sorted category order if the z-test may run on more than two categories).
#[derive(Debug, Clone, Copy)]
pub enum ColumnData<'a> {
    Numeric {
        reference: &'a [f64],
        current: &'a [f64],
    },
    Categorical {
        reference: &'a [u64],
        current: &'a [u64],
    },
}

impl ColumnData<'_> {
    /// Numeric or categorical.
    pub fn kind(&self) -> ColumnKind {
        match self {
            ColumnData::Numeric { .. } => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// Reference rows (values, or the sum of the reference counts).
    pub fn n_reference_rows(&self) -> usize {
        match self {
            ColumnData::Numeric { reference, .. } => reference.len(),
            ColumnData::Categorical { reference, .. } => reference.iter().sum::<u64>() as usize,
        }
    }

    /// Distinct values (categories) seen in `reference ∪ current`.
    pub fn n_unique(&self) -> usize {
        match self {
            ColumnData::Numeric { reference, current } => {
                let mut all: Vec<f64> = reference.iter().chain(current.iter()).copied().collect();
                all.sort_unstable_by(f64::total_cmp);
                distinct_sorted(&all).len()
            }
            ColumnData::Categorical { reference, current } => {
                nonempty_pairs(reference, current).len()
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            ColumnData::Numeric { reference, current } => {
                reference.is_empty() || current.is_empty()
            }
            ColumnData::Categorical { reference, current } => {
                reference.iter().sum::<u64>() == 0 || current.iter().sum::<u64>() == 0
            }
        }
    }
}

/// The result of one Evidently-style drift test on a column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub test: TestId,
    /// p-value for ks / chisquare / z, distance otherwise.
    pub score: f64,
    pub threshold: f64,
    pub drifted: bool,
}

/// Evidently's `default test → stattest(reference, current, type, threshold)` for one column
/// (`threshold = None` uses the test's default). `None` when the column is empty on either side
/// (Evidently raises) or the test does not apply to the column kind (ks / wasserstein on a
/// categorical column).
pub fn run_test(test: TestId, data: ColumnData<'_>, threshold: Option<f64>) -> Option<TestOutcome> {
    if data.is_empty() || !test.applies_to(data.kind()) {
        return None;
    }
    let score = match (test, data) {
        (TestId::Ks, ColumnData::Numeric { reference, current }) => ks_2samp(reference, current).1,
        (TestId::Wasserstein, ColumnData::Numeric { reference, current }) => {
            wasserstein_norm(reference, current)
        }
        (TestId::ChiSquare | TestId::Z, ColumnData::Numeric { reference, current }) => {
            let (_, rc, cc) = value_counts(reference, current);
            if test == TestId::Z {
                z_test_proportions(&rc, &cc)
            } else {
                chi2_drift(&rc, &cc).1
            }
        }
        (TestId::ChiSquare, ColumnData::Categorical { reference, current }) => {
            chi2_drift(reference, current).1
        }
        (TestId::Z, ColumnData::Categorical { reference, current }) => {
            z_test_proportions(reference, current)
        }
        (TestId::JensenShannon | TestId::Psi | TestId::Kl, _) => {
            let fill = test != TestId::JensenShannon;
            let (r, c) = match data {
                ColumnData::Numeric { reference, current } => {
                    evidently_binned_numeric(reference, current, fill)
                }
                ColumnData::Categorical { reference, current } => {
                    evidently_binned_counts(reference, current, fill)
                }
            };
            match test {
                TestId::JensenShannon => jensenshannon(&r, &c),
                TestId::Psi => psi(&r, &c),
                _ => kl_div(&r, &c),
            }
        }
        (TestId::Hellinger, ColumnData::Numeric { reference, current }) => {
            hellinger_numeric(reference, current)
        }
        (TestId::Hellinger, ColumnData::Categorical { reference, current }) => {
            hellinger_counts(reference, current)
        }
        (TestId::Ks | TestId::Wasserstein, ColumnData::Categorical { .. }) => return None,
    };
    let threshold = threshold.unwrap_or(test.default_threshold());
    Some(TestOutcome {
        test,
        score,
        threshold,
        drifted: test.drifted(score, threshold),
    })
}

/// The test Evidently would pick for this column ([`default_test`]); `None` if a side is empty.
pub fn default_test_for(data: ColumnData<'_>) -> Option<TestId> {
    if data.is_empty() {
        return None;
    }
    Some(default_test(
        data.kind(),
        data.n_reference_rows(),
        data.n_unique(),
    ))
}

/// [`run_test`] with the test from [`default_test_for`] and its default threshold.
pub fn run_default(data: ColumnData<'_>) -> Option<TestOutcome> {
    run_test(default_test_for(data)?, data, None)
}
