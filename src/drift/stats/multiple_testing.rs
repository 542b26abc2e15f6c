//! Corrections for testing many columns at once, as statsmodels' `multipletests` computes them:
//! Bonferroni and Benjamini–Hochberg.

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
