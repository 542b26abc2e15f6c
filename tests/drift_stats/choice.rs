//! Evidently's stattests, verdicts and default test choice (`drift::stats::choice`) against
//! Evidently 0.7.23, numeric and categorical, and every branch of the default-test table.

use super::*;

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
