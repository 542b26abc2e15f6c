//! Pearson's chi-square test, `scipy.stats.chisquare`, and Evidently's `chisquare` drift test on
//! category counts built on it.

use super::gamma::chi2_sf;
use super::primitives::nonempty_pairs;

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
