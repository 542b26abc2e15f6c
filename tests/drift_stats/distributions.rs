//! The distributions behind the p-values against scipy: Kolmogorov (`kstwo.sf`), Smirnov,
//! chi-square (`chdtrc`) and the normal CDF (`ndtr`).

use super::*;

#[test]
fn kolmogorov_and_smirnov_distributions_match_scipy() {
    let g = golden();
    for c in arr(&g["kstwo_sf"]) {
        let (n, d) = (c["n"].as_u64().expect("n"), num(&c["d"]));
        check(
            &format!("kstwo.sf({d}, {n})"),
            kstwo_sf(n, d),
            num(&c["sf"]),
            REL_P,
            ABS_P,
        );
    }
    for c in arr(&g["smirnov_sf"]) {
        let (n, d) = (c["n"].as_u64().expect("n"), num(&c["d"]));
        check(
            &format!("smirnov({n}, {d})"),
            smirnov_sf(n, d),
            num(&c["sf"]),
            REL_P,
            ABS_P,
        );
    }
}

#[test]
fn chi2_and_normal_distributions_match_scipy() {
    let g = golden();
    for c in arr(&g["chi2_sf"]) {
        let (df, x) = (num(&c["df"]), num(&c["x"]));
        check(
            &format!("chdtrc({df}, {x})"),
            chi2_sf(x, df),
            num(&c["sf"]),
            1e-12,
            1e-300,
        );
    }
    for c in arr(&g["norm_cdf"]) {
        let x = num(&c["x"]);
        check(
            &format!("ndtr({x})"),
            norm_cdf(x),
            num(&c["cdf"]),
            1e-13,
            1e-300,
        );
    }
}
