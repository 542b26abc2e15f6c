//! `lathe::drift::stats` against scipy 1.17 / Evidently 0.7.23 golden values
//! (`tests/fixtures/golden/drift_golden.json`, written by `make_drift_golden.py`).
//!
//! Tolerances: statistics and distances 1e-9 relative. p-values 1e-9 relative as well, with an
//! absolute floor of 1e-15 — below that a p-value is numerically zero in scipy too (scipy's
//! `1 - cdf` forms round there) — except `chi2_sf` where lathe replaces scipy's Temme expansion
//! (df > 40, x ≈ df) by series / continued fraction: 1e-12 relative.

use std::path::PathBuf;
use std::sync::OnceLock;

use lathe::drift::stats::{
    self, ColumnData, ColumnKind, KsMethod, TestId, benjamini_hochberg, bonferroni, chi2_drift,
    chi2_sf, default_test, default_test_for, evidently_binned_counts, evidently_binned_numeric,
    jensenshannon, ks_2samp, ks_2samp_sorted, ks_2samp_sorted_detailed, kstwo_sf, norm_cdf,
    quantile_edges, run_default, run_test, smirnov_sf, std_pop, sturges_edges,
    wasserstein_distance, wasserstein_norm,
};
use serde_json::Value;

const REL_STAT: f64 = 1e-9;
const REL_P: f64 = 1e-9;
const ABS_P: f64 = 1e-15;

fn golden() -> &'static Value {
    static GOLDEN: OnceLock<Value> = OnceLock::new();
    GOLDEN.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/golden/drift_golden.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("drift_golden.json parses")
    })
}

/// A float. The fixture writes floats as strings (Python's shortest round-trip repr, or
/// "NaN" / "Infinity" / "-Infinity") because serde_json without `float_roundtrip` may parse a
/// JSON number one ulp off; `str::parse` is correctly rounded. Integers stay JSON numbers.
fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s
            .parse()
            .unwrap_or_else(|e| panic!("not a float: {s:?}: {e}")),
        Value::Number(n) => n.as_f64().expect("f64"),
        other => panic!("not a number: {other}"),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn counts(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("count"))
        .collect()
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().expect("array")
}

/// Regenerates a large sample exactly as `make_drift_golden.py` does (IEEE + - * / floor only),
/// then appends the spec's literal `extra` values.
fn generate(spec: &Value) -> Vec<f64> {
    let mut v = generate_base(spec);
    if let Some(extra) = spec.get("extra") {
        v.extend(nums(extra));
    }
    v
}

fn generate_base(spec: &Value) -> Vec<f64> {
    let n = spec["n"].as_u64().expect("n") as usize;
    match spec["kind"].as_str().expect("kind") {
        "linspace" => {
            let (start, stop) = (num(&spec["start"]), num(&spec["stop"]));
            let div = (n - 1) as f64;
            let step = (stop - start) / div;
            let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
            *v.last_mut().expect("n > 0") = stop;
            v
        }
        "irwin4" => {
            let (alphas, offsets) = (nums(&spec["alphas"]), nums(&spec["offsets"]));
            let (scale, shift) = (num(&spec["scale"]), num(&spec["shift"]));
            let weyl = |i: usize, k: usize| {
                let v = (i + 1) as f64 * alphas[k] + offsets[k];
                let w = v - v.floor();
                let x = w * 9973.0 + 0.25 * k as f64;
                x - x.floor()
            };
            (0..n)
                .map(|i| {
                    let s = ((weyl(i, 0) + weyl(i, 1)) + weyl(i, 2)) + weyl(i, 3);
                    (s - 2.0) * scale + shift
                })
                .collect()
        }
        other => panic!("unknown generator {other}"),
    }
}

/// A sample: literal values, or a generator spec checked against its stored checksum.
fn sample(field: &Value) -> Vec<f64> {
    if let Some(values) = field.get("values") {
        return nums(values);
    }
    let v = generate(&field["gen"]);
    let check = &field["check"];
    assert_eq!(
        v.len() as u64,
        check["len"].as_u64().expect("len"),
        "generated length"
    );
    assert_eq!(v[0], num(&check["first"]), "generated first value");
    assert_eq!(v[v.len() - 1], num(&check["last"]), "generated last value");
    let sum: f64 = v.iter().sum();
    let want = num(&check["sum"]);
    assert!(
        (sum - want).abs() <= 1e-9 * want.abs().max(1.0),
        "generated sum {sum} vs {want}"
    );
    v
}

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    if got.is_infinite() || want.is_infinite() {
        return got == want;
    }
    let diff = (got - want).abs();
    diff <= abs || diff <= rel * got.abs().max(want.abs())
}

#[track_caller]
fn check(what: &str, got: f64, want: f64, rel: f64, abs: f64) {
    assert!(
        close(got, want, rel, abs),
        "{what}: got {got:e}, want {want:e} (diff {:e})",
        (got - want).abs()
    );
}

#[track_caller]
fn check_vec(what: &str, got: &[f64], want: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        check(&format!("{what}[{i}]"), g, w, rel, 1e-15);
    }
}

fn test_id(evidently_name: &str) -> TestId {
    TestId::from_name(evidently_name).unwrap_or_else(|| panic!("unknown test {evidently_name}"))
}

fn score_tolerance(test: TestId) -> (f64, f64) {
    if test.is_p_value() {
        (REL_P, ABS_P)
    } else {
        (REL_STAT, 1e-15)
    }
}

/// Evidently's stattest results (score, verdict, threshold) for one column.
fn check_evidently(case: &str, data: ColumnData<'_>, evidently: &Value) {
    for (name, want) in evidently.as_object().expect("object") {
        let test = test_id(name);
        let got = run_test(test, data, None);
        if want.get("error").is_some() {
            assert!(
                got.is_none(),
                "{case}/{name}: Evidently raised, lathe gave {got:?}"
            );
            continue;
        }
        let got = got.unwrap_or_else(|| panic!("{case}/{name}: not run"));
        let (rel, abs) = score_tolerance(test);
        check(
            &format!("{case}/{name} score"),
            got.score,
            num(&want["score"]),
            rel,
            abs,
        );
        assert_eq!(
            got.drifted,
            want["drifted"].as_bool().expect("bool"),
            "{case}/{name} verdict (score {})",
            got.score
        );
        assert_eq!(
            got.threshold,
            num(&want["threshold"]),
            "{case}/{name} threshold"
        );
    }
}

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

#[test]
fn numeric_stattests_verdicts_and_default_choice_match_evidently() {
    for c in arr(&golden()["numeric"]) {
        let name = c["name"].as_str().expect("name");
        let (r, k) = (sample(&c["reference"]), sample(&c["current"]));
        let data = ColumnData::Numeric {
            reference: &r,
            current: &k,
        };
        assert_eq!(
            data.n_unique() as u64,
            c["n_unique"].as_u64().expect("n_unique"),
            "{name} n_unique"
        );
        check_evidently(name, data, &c["evidently"]);
        let want = c["default_test"].as_str().expect("default");
        let got = default_test_for(data).expect("non-empty");
        assert_eq!(got.evidently_name(), want, "{name} default test");
        let outcome = run_default(data).expect("default runs");
        let ev = &c["evidently"][want];
        assert_eq!(
            outcome.drifted,
            ev["drifted"].as_bool().expect("bool"),
            "{name} default verdict"
        );
    }
}

#[test]
fn categorical_stattests_verdicts_and_default_choice_match_evidently() {
    for c in arr(&golden()["categorical"]) {
        let name = c["name"].as_str().expect("name");
        let (rc, cc) = (counts(&c["reference_counts"]), counts(&c["current_counts"]));
        let data = ColumnData::Categorical {
            reference: &rc,
            current: &cc,
        };
        assert_eq!(
            data.n_unique() as u64,
            c["n_unique"].as_u64().expect("n_unique"),
            "{name} n_unique"
        );
        let s = &c["scipy"];
        let (stat, p) = chi2_drift(&rc, &cc);
        check(
            &format!("{name} chisquare stat"),
            stat,
            num(&s["chisquare_statistic"]),
            REL_STAT,
            1e-12,
        );
        check(
            &format!("{name} chisquare p"),
            p,
            num(&s["chisquare_pvalue"]),
            REL_P,
            ABS_P,
        );
        let (er, ec) = evidently_binned_counts(&rc, &cc, false);
        check(
            &format!("{name} jensenshannon"),
            jensenshannon(&er, &ec),
            num(&s["jensenshannon_shares"]),
            REL_STAT,
            1e-15,
        );
        check_evidently(name, data, &c["evidently"]);
        let want = c["default_test"].as_str().expect("default");
        assert_eq!(
            default_test_for(data).expect("non-empty").evidently_name(),
            want,
            "{name} default test"
        );
        // ks and wasserstein do not apply to categorical columns.
        assert!(run_test(TestId::Ks, data, None).is_none());
        assert!(run_test(TestId::Wasserstein, data, None).is_none());
    }
}

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

#[test]
fn default_test_table_covers_every_branch() {
    use ColumnKind::{Categorical, Numeric};
    let cases = [
        (Numeric, 1000, 1, TestId::Z),
        (Numeric, 1000, 2, TestId::Z),
        (Numeric, 1000, 3, TestId::ChiSquare),
        (Numeric, 1000, 5, TestId::ChiSquare),
        (Numeric, 1000, 6, TestId::Ks),
        (Numeric, 1001, 5, TestId::JensenShannon),
        (Numeric, 1001, 6, TestId::Wasserstein),
        (Categorical, 10, 2, TestId::Z),
        (Categorical, 1000, 3, TestId::ChiSquare),
        (Categorical, 1001, 2, TestId::JensenShannon),
        (Categorical, 5000, 300, TestId::JensenShannon),
    ];
    for (kind, rows, uniq, want) in cases {
        assert_eq!(
            default_test(kind, rows, uniq),
            want,
            "{kind:?} rows={rows} unique={uniq}"
        );
    }
    for t in TestId::ALL {
        assert_eq!(
            t.default_threshold(),
            if t.is_p_value() { 0.05 } else { 0.1 }
        );
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{}\"", t.name()));
        assert_eq!(serde_json::from_str::<TestId>(&json).unwrap(), t);
        assert_eq!(TestId::from_name(t.evidently_name()), Some(t));
    }
    assert_eq!(
        serde_json::from_str::<TestId>("\"chisquare\"").unwrap(),
        TestId::ChiSquare
    );
    assert_eq!(
        serde_json::from_str::<TestId>("\"kl_div\"").unwrap(),
        TestId::Kl
    );
    // Evidently's comparisons: ks `<=`, chisquare / z `<`, distances `>=`.
    assert!(TestId::Ks.drifted(0.05, 0.05));
    assert!(!TestId::ChiSquare.drifted(0.05, 0.05));
    assert!(!TestId::Z.drifted(0.05, 0.05));
    assert!(TestId::Wasserstein.drifted(0.1, 0.1));
    assert!(!TestId::Psi.drifted(f64::NAN, 0.1));
    assert!(!TestId::Ks.drifted(f64::NAN, 0.05));
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let empty: [f64; 0] = [];
    let (d, p) = ks_2samp(&empty, &[1.0]);
    assert!(d.is_nan() && p.is_nan());
    assert_eq!(ks_2samp(&[2.0, 2.0], &[2.0, 2.0, 2.0]), (0.0, 1.0));
    assert_eq!(ks_2samp(&[1.0], &[1.0]), (0.0, 1.0));
    // NaN in "sorted" input must not hang the merge walk.
    let _ = ks_2samp_sorted(&[f64::NAN, 1.0], &[0.5, f64::NAN]);
    let _ = ks_2samp_sorted(&[3.0, 2.0, 1.0], &[0.0]);
    assert!(wasserstein_distance(&empty, &[1.0]).is_nan());
    assert_eq!(wasserstein_norm(&[5.0; 4], &[5.0; 3]), 0.0);
    check(
        "constant reference norm",
        wasserstein_norm(&[5.0; 4], &[6.0; 3]),
        1000.0,
        1e-12,
        0.0,
    );
    assert!(std_pop(&empty).is_nan());
    assert_eq!(sturges_edges(&[4.0], &[], None), vec![3.5, 4.5]);
    assert_eq!(sturges_edges(&empty, &empty, None), vec![0.0, 1.0]);
    assert!(quantile_edges(&empty, 10).is_empty());
    assert!(stats::binned_counts(&[1.0], &[0.0]).is_empty());
    assert_eq!(
        stats::binned_counts(&[0.0, 1.0, 2.0, 3.0], &[0.0, 1.0, 2.0]),
        vec![1, 2]
    );
    let mut zeros = [0.0, 0.0];
    stats::fill_zero_shares(&mut zeros);
    assert_eq!(zeros, [0.0, 0.0]);
    let (stat, p) = chi2_drift(&[], &[]);
    assert!(stat.is_nan() && p.is_nan());
    assert!(stats::z_test_proportions(&[0, 0], &[1, 2]).is_nan());
    assert!(stats::chisquare(&[1.0, 2.0], &[1.0]).0.is_nan());
    assert!(
        stats::chisquare(&[1.0, 2.0], &[10.0, 20.0]).1.is_nan(),
        "sum check"
    );
    assert!(jensenshannon(&[], &[]).is_nan());
    assert!(stats::psi(&[0.5], &[0.5, 0.5]).is_nan());
    assert!(stats::kl_div(&[], &[]).is_nan());
    assert!(stats::hellinger_numeric(&empty, &[1.0]).is_nan());
    assert!(stats::hellinger_counts(&[0], &[3]).is_nan());
    assert_eq!(stats::hellinger_numeric(&[1.0; 3], &[1.0; 5]), 0.0);
    assert!(stats::hellinger(&[0.5], &[]).is_nan());
    check(
        "hellinger",
        stats::hellinger(&[0.5, 0.5], &[1.0, 0.0]),
        (1.0 - 0.5f64.sqrt()).sqrt(),
        1e-15,
        0.0,
    );
    let none = ColumnData::Numeric {
        reference: &empty,
        current: &[1.0],
    };
    assert!(run_default(none).is_none());
    for t in TestId::ALL {
        assert!(run_test(t, none, None).is_none());
        let one = ColumnData::Numeric {
            reference: &[1.0],
            current: &[2.0],
        };
        assert!(run_test(t, one, Some(0.5)).is_some());
        let cat = ColumnData::Categorical {
            reference: &[1, 0, 0],
            current: &[0, 0, 1],
        };
        let _ = run_test(t, cat, None);
    }
    for n in [0u64, 1, 2, 141, 2_000_000] {
        for d in [-1.0, 0.0, 1e-9, 0.3, 1.0, 2.0, f64::NAN] {
            let p = kstwo_sf(n, d);
            assert!(
                p.is_nan() || (0.0..=1.0).contains(&p),
                "kstwo_sf({n}, {d}) = {p}"
            );
            let q = smirnov_sf(n, d);
            assert!(
                q.is_nan() || (0.0..=1.0).contains(&q),
                "smirnov({n}, {d}) = {q}"
            );
        }
    }
    assert!(chi2_sf(f64::NAN, 1.0).is_nan());
    assert_eq!(chi2_sf(-1.0, 3.0), 1.0);
    assert_eq!(chi2_sf(f64::INFINITY, 3.0), 0.0);
    assert_eq!(norm_cdf(f64::INFINITY), 1.0);
    assert_eq!(norm_cdf(f64::NEG_INFINITY), 0.0);
}
