//! Bonferroni and Benjamini–Hochberg against statsmodels' `multipletests`.

use super::*;

#[test]
fn multiple_testing_matches_statsmodels() {
    let m = &golden()["multiple_testing"];
    let p = nums(&m["p"]);
    check_vec(
        "bonferroni",
        &bonferroni(&p),
        &nums(&m["bonferroni"]),
        1e-12,
    );
    check_vec(
        "fdr_bh",
        &benjamini_hochberg(&p),
        &nums(&m["fdr_bh"]),
        1e-12,
    );
    // NaN p-values are set aside, not propagated.
    let adj = benjamini_hochberg(&[0.01, f64::NAN, 0.04]);
    assert!(adj[1].is_nan());
    check("bh with NaN", adj[0], 0.02, 1e-15, 0.0);
    check("bh with NaN", adj[2], 0.04, 1e-15, 0.0);
    assert!(benjamini_hochberg(&[]).is_empty());
    assert!(bonferroni(&[]).is_empty());
}
