//! Distances between two distributions over shares or bins, as Evidently's drift tests compute
//! them: Jensen–Shannon, PSI, Kullback–Leibler and Hellinger.

use super::binning::{binned_counts, min_max, sturges_edges_iter, value_counts};
use super::primitives::{clip01, nonempty_pairs};

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
///
/// [`evidently_binned_numeric`]: super::evidently_binned_numeric
/// [`evidently_binned_counts`]: super::evidently_binned_counts
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
