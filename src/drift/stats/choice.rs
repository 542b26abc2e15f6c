//! Evidently's choice of test and verdict per column: the [`TestId`] of every drift test, the
//! default test from the column's kind, size and distinct values, and [`run_test`], which runs
//! a test and compares its score with the threshold.

use serde::{Deserialize, Serialize};

use super::binning::{evidently_binned_counts, evidently_binned_numeric, value_counts};
use super::chisquare::chi2_drift;
use super::distances::{hellinger_counts, hellinger_numeric, jensenshannon, kl_div, psi};
use super::ks::ks_2samp;
use super::primitives::{distinct_sorted, nonempty_pairs};
use super::wasserstein::wasserstein_norm;
use super::z_test::z_test_proportions;

/// Column type as Evidently sees it (`ColumnType.Numerical` / `ColumnType.Categorical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// A drift test. Serialized in snake_case (`chi_square`, `jensen_shannon`, …); Evidently's own
/// names (`chisquare`, `jensenshannon`, `kl_div`) are accepted too, see [`TestId::evidently_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestId {
    Ks,
    #[serde(alias = "chisquare")]
    ChiSquare,
    Z,
    Wasserstein,
    #[serde(alias = "jensenshannon")]
    JensenShannon,
    Psi,
    Hellinger,
    #[serde(alias = "kl_div")]
    Kl,
}

impl TestId {
    /// Every test, in declaration order.
    pub const ALL: [TestId; 8] = [
        TestId::Ks,
        TestId::ChiSquare,
        TestId::Z,
        TestId::Wasserstein,
        TestId::JensenShannon,
        TestId::Psi,
        TestId::Hellinger,
        TestId::Kl,
    ];

    /// The name Evidently registers the test under (`StatTest.name`).
    pub fn evidently_name(self) -> &'static str {
        match self {
            TestId::Ks => "ks",
            TestId::ChiSquare => "chisquare",
            TestId::Z => "z",
            TestId::Wasserstein => "wasserstein",
            TestId::JensenShannon => "jensenshannon",
            TestId::Psi => "psi",
            TestId::Hellinger => "hellinger",
            TestId::Kl => "kl_div",
        }
    }

    /// The snake_case name used by serde (`ks`, `chi_square`, `jensen_shannon`, `kl`, …).
    pub fn name(self) -> &'static str {
        match self {
            TestId::Ks => "ks",
            TestId::ChiSquare => "chi_square",
            TestId::Z => "z",
            TestId::Wasserstein => "wasserstein",
            TestId::JensenShannon => "jensen_shannon",
            TestId::Psi => "psi",
            TestId::Hellinger => "hellinger",
            TestId::Kl => "kl",
        }
    }

    /// Look a test up by its snake_case ([`TestId::name`]) or Evidently name.
    pub fn from_name(name: &str) -> Option<TestId> {
        TestId::ALL
            .into_iter()
            .find(|t| t.name() == name || t.evidently_name() == name)
    }

    /// Whether the score is a p-value (drift when small) rather than a distance (drift when large).
    pub fn is_p_value(self) -> bool {
        matches!(self, TestId::Ks | TestId::ChiSquare | TestId::Z)
    }

    /// Evidently's `StatTest.default_threshold`: 0.05 for ks / chisquare / z, 0.1 for the
    /// distances (wasserstein, jensenshannon, psi, hellinger, kl_div).
    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() { 0.05 } else { 0.1 }
    }

    /// Evidently's verdict: ks `p <= threshold` (sic: `<=`), chisquare and z `p < threshold`, all
    /// distances `score >= threshold`. NaN never drifts.
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            TestId::Ks => score <= threshold,
            TestId::ChiSquare | TestId::Z => score < threshold,
            _ => score >= threshold,
        }
    }

    /// Whether the test runs on this kind of column. Evidently registers ks and wasserstein for
    /// numerical columns only; chisquare and z are registered as categorical but its default rule
    /// also picks them for numeric columns with few values, where they run on value counts.
    pub fn applies_to(self, kind: ColumnKind) -> bool {
        !matches!(
            (self, kind),
            (TestId::Ks | TestId::Wasserstein, ColumnKind::Categorical)
        )
    }
}

/// Evidently's `_get_default_stattest` for a numerical or categorical column.
///
/// `n_reference_rows` is the reference length after dropping NaN/±inf; `n_unique` is the number
/// of distinct non-null values in `reference ∪ current` (`pd.concat([ref, cur]).nunique()`).
///
/// | reference rows | kind        | distinct values | test          |
/// |----------------|-------------|-----------------|---------------|
/// | ≤ 1000         | numeric     | ≤ 2             | z             |
/// | ≤ 1000         | numeric     | 3–5             | chisquare     |
/// | ≤ 1000         | numeric     | > 5             | ks            |
/// | ≤ 1000         | categorical | ≤ 2             | z             |
/// | ≤ 1000         | categorical | > 2             | chisquare     |
/// | > 1000         | numeric     | ≤ 5             | jensenshannon |
/// | > 1000         | numeric     | > 5             | wasserstein   |
/// | > 1000         | categorical | any             | jensenshannon |
pub fn default_test(kind: ColumnKind, n_reference_rows: usize, n_unique: usize) -> TestId {
    if n_reference_rows <= 1000 {
        match kind {
            ColumnKind::Numeric if n_unique > 5 => TestId::Ks,
            _ if n_unique > 2 => TestId::ChiSquare,
            _ => TestId::Z,
        }
    } else {
        match kind {
            ColumnKind::Numeric if n_unique > 5 => TestId::Wasserstein,
            _ => TestId::JensenShannon,
        }
    }
}

/// One column's data: finite numeric values, or per-category counts aligned by index (in
/// Python-sorted category order if the z-test may run on more than two categories).
#[derive(Debug, Clone, Copy)]
pub enum ColumnData<'a> {
    Numeric {
        reference: &'a [f64],
        current: &'a [f64],
    },
    Categorical {
        reference: &'a [u64],
        current: &'a [u64],
    },
}

impl ColumnData<'_> {
    /// Numeric or categorical.
    pub fn kind(&self) -> ColumnKind {
        match self {
            ColumnData::Numeric { .. } => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// Reference rows (values, or the sum of the reference counts).
    pub fn n_reference_rows(&self) -> usize {
        match self {
            ColumnData::Numeric { reference, .. } => reference.len(),
            ColumnData::Categorical { reference, .. } => reference.iter().sum::<u64>() as usize,
        }
    }

    /// Distinct values (categories) seen in `reference ∪ current`.
    pub fn n_unique(&self) -> usize {
        match self {
            ColumnData::Numeric { reference, current } => {
                let mut all: Vec<f64> = reference.iter().chain(current.iter()).copied().collect();
                all.sort_unstable_by(f64::total_cmp);
                distinct_sorted(&all).len()
            }
            ColumnData::Categorical { reference, current } => {
                nonempty_pairs(reference, current).len()
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            ColumnData::Numeric { reference, current } => {
                reference.is_empty() || current.is_empty()
            }
            ColumnData::Categorical { reference, current } => {
                reference.iter().sum::<u64>() == 0 || current.iter().sum::<u64>() == 0
            }
        }
    }
}

/// The result of one Evidently-style drift test on a column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub test: TestId,
    /// p-value for ks / chisquare / z, distance otherwise.
    pub score: f64,
    pub threshold: f64,
    pub drifted: bool,
}

/// Evidently's `default test → stattest(reference, current, type, threshold)` for one column
/// (`threshold = None` uses the test's default). `None` when the column is empty on either side
/// (Evidently raises) or the test does not apply to the column kind (ks / wasserstein on a
/// categorical column).
pub fn run_test(test: TestId, data: ColumnData<'_>, threshold: Option<f64>) -> Option<TestOutcome> {
    if data.is_empty() || !test.applies_to(data.kind()) {
        return None;
    }
    let score = match (test, data) {
        (TestId::Ks, ColumnData::Numeric { reference, current }) => ks_2samp(reference, current).1,
        (TestId::Wasserstein, ColumnData::Numeric { reference, current }) => {
            wasserstein_norm(reference, current)
        }
        (TestId::ChiSquare | TestId::Z, ColumnData::Numeric { reference, current }) => {
            let (_, rc, cc) = value_counts(reference, current);
            if test == TestId::Z {
                z_test_proportions(&rc, &cc)
            } else {
                chi2_drift(&rc, &cc).1
            }
        }
        (TestId::ChiSquare, ColumnData::Categorical { reference, current }) => {
            chi2_drift(reference, current).1
        }
        (TestId::Z, ColumnData::Categorical { reference, current }) => {
            z_test_proportions(reference, current)
        }
        (TestId::JensenShannon | TestId::Psi | TestId::Kl, _) => {
            let fill = test != TestId::JensenShannon;
            let (r, c) = match data {
                ColumnData::Numeric { reference, current } => {
                    evidently_binned_numeric(reference, current, fill)
                }
                ColumnData::Categorical { reference, current } => {
                    evidently_binned_counts(reference, current, fill)
                }
            };
            match test {
                TestId::JensenShannon => jensenshannon(&r, &c),
                TestId::Psi => psi(&r, &c),
                _ => kl_div(&r, &c),
            }
        }
        (TestId::Hellinger, ColumnData::Numeric { reference, current }) => {
            hellinger_numeric(reference, current)
        }
        (TestId::Hellinger, ColumnData::Categorical { reference, current }) => {
            hellinger_counts(reference, current)
        }
        (TestId::Ks | TestId::Wasserstein, ColumnData::Categorical { .. }) => return None,
    };
    let threshold = threshold.unwrap_or(test.default_threshold());
    Some(TestOutcome {
        test,
        score,
        threshold,
        drifted: test.drifted(score, threshold),
    })
}

/// The test Evidently would pick for this column ([`default_test`]); `None` if a side is empty.
pub fn default_test_for(data: ColumnData<'_>) -> Option<TestId> {
    if data.is_empty() {
        return None;
    }
    Some(default_test(
        data.kind(),
        data.n_reference_rows(),
        data.n_unique(),
    ))
}

/// [`run_test`] with the test from [`default_test_for`] and its default threshold.
pub fn run_default(data: ColumnData<'_>) -> Option<TestOutcome> {
    run_test(default_test_for(data)?, data, None)
}
