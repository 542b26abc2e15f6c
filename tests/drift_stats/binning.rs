//! Wasserstein distances, bin edges, binned shares and the distances over them against numpy,
//! scipy and Evidently's `get_binned_data`.

use super::*;

#[test]
fn wasserstein_and_binning_match_numpy_scipy() {
    for c in arr(&golden()["numeric"]) {
        let name = c["name"].as_str().expect("name");
        let (r, k) = (sample(&c["reference"]), sample(&c["current"]));
        let s = &c["scipy"];
        check(
            &format!("{name} wasserstein"),
            wasserstein_distance(&r, &k),
            num(&s["wasserstein_distance"]),
            REL_STAT,
            1e-15,
        );
        check(
            &format!("{name} std"),
            std_pop(&r),
            num(&s["std_reference"]),
            REL_STAT,
            1e-15,
        );
        let norm = num(&s["wasserstein_distance"]) / num(&s["std_reference"]).max(0.001);
        check(
            &format!("{name} wasserstein_norm"),
            wasserstein_norm(&r, &k),
            norm,
            REL_STAT,
            1e-15,
        );

        let b = &c["binning"];
        let edges = sturges_edges(&r, &k, None);
        check_vec(
            &format!("{name} sturges"),
            &edges,
            &nums(&b["sturges_edges"]),
            REL_STAT,
        );
        check_vec(
            &format!("{name} edges_7"),
            &sturges_edges(&r, &k, Some(7)),
            &nums(&b["edges_7"]),
            REL_STAT,
        );
        let q = quantile_edges(&r, 10);
        check_vec(
            &format!("{name} quantiles"),
            &q,
            &nums(&b["quantile_edges_10"]),
            REL_STAT,
        );
        // Shares are computed on the golden edges so the comparison isolates np.histogram.
        let (se, qe) = (nums(&b["sturges_edges"]), nums(&b["quantile_edges_10"]));
        check_vec(
            &format!("{name} ref sturges shares"),
            &stats::binned_shares(&r, &se),
            &nums(&b["ref_shares_sturges"]),
            0.0,
        );
        check_vec(
            &format!("{name} cur sturges shares"),
            &stats::binned_shares(&k, &se),
            &nums(&b["cur_shares_sturges"]),
            0.0,
        );
        check_vec(
            &format!("{name} ref q10 shares"),
            &stats::binned_shares(&r, &qe),
            &nums(&b["ref_shares_q10"]),
            0.0,
        );
        check_vec(
            &format!("{name} cur q10 shares"),
            &stats::binned_shares(&k, &qe),
            &nums(&b["cur_shares_q10"]),
            0.0,
        );

        // Evidently's get_binned_data; its key order is a Python set's, so compare sorted shares
        // (the distances below are order-free and compared exactly).
        let sorted = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        for (fill, suffix) in [(false, ""), (true, "_filled")] {
            let (er, ec) = evidently_binned_numeric(&r, &k, fill);
            let (wr, wc) = (
                nums(&b[format!("evidently_ref_shares{suffix}")]),
                nums(&b[format!("evidently_cur_shares{suffix}")]),
            );
            check_vec(
                &format!("{name} evidently ref{suffix}"),
                &sorted(&er),
                &sorted(&wr),
                REL_STAT,
            );
            check_vec(
                &format!("{name} evidently cur{suffix}"),
                &sorted(&ec),
                &sorted(&wc),
                REL_STAT,
            );
        }
        let (er, ec) = evidently_binned_numeric(&r, &k, false);
        check(
            &format!("{name} jensenshannon"),
            jensenshannon(&er, &ec),
            num(&s["jensenshannon_binned"]),
            REL_STAT,
            1e-15,
        );
    }
}
