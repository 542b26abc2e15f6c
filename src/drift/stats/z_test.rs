//! Evidently's `z` drift test: the two-proportion z-test on category counts.

use super::normal::norm_cdf;

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
