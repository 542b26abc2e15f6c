//! The two-sample KS test (`drift::stats::ks`) against scipy's `ks_2samp`.

use super::*;

#[test]
fn ks_2samp_matches_scipy() {
    let g = golden();
    let numeric = arr(&g["numeric"])
        .iter()
        .map(|c| (&c["reference"], &c["current"], &c["scipy"]));
    for (i, c) in arr(&g["ks_only"]).iter().enumerate() {
        let (a, b) = (sample(&c["reference"]), sample(&c["current"]));
        let r = ks_2samp(&a, &b);
        let what = format!("ks_only[{i}] ({}x{})", a.len(), b.len());
        check(
            &format!("{what} D"),
            r.0,
            num(&c["statistic"]),
            REL_STAT,
            0.0,
        );
        check(&format!("{what} p"), r.1, num(&c["pvalue"]), REL_P, ABS_P);
        let (mut sa, mut sb) = (a.clone(), b.clone());
        sa.sort_by(f64::total_cmp);
        sb.sort_by(f64::total_cmp);
        let d = ks_2samp_sorted_detailed(&sa, &sb);
        let want = if c["method"] == "exact" {
            KsMethod::Exact
        } else {
            KsMethod::Asymptotic
        };
        assert_eq!(d.method, Some(want), "{what} method");
    }
    for (r, c, s) in numeric {
        let (a, b) = (sample(r), sample(c));
        let got = ks_2samp(&a, &b);
        check("ks D", got.0, num(&s["ks_statistic"]), REL_STAT, 0.0);
        check(
            &format!("ks p ({}x{})", a.len(), b.len()),
            got.1,
            num(&s["ks_pvalue"]),
            REL_P,
            ABS_P,
        );
    }
}
