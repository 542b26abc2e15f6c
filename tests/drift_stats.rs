//! `lathe::drift::stats` against scipy 1.17 / Evidently 0.7.23 golden values
//! (`tests/fixtures/golden/drift_golden.json`, written by `make_drift_golden.py`).
//!
//! Tolerances: statistics and distances 1e-9 relative. p-values 1e-9 relative as well, with an
//! absolute floor of 1e-15 — below that a p-value is numerically zero in scipy too (scipy's
//! `1 - cdf` forms round there) — except `chi2_sf` where lathe replaces scipy's Temme expansion
//! (df > 40, x ≈ df) by series / continued fraction: 1e-12 relative.
//!
//! The tests are in files named like the statistics they check in `src/drift/stats/`; the
//! fixture and the tolerance helpers are here.

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

mod binning;
mod choice;
mod distributions;
mod ks;
mod multiple_testing;

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
