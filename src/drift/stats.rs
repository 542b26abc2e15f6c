//! Per-column drift statistics that reproduce scipy 1.17 and Evidently 0.7 (legacy stattests).
//!
//! Everything here is pure Rust (std + serde). Numeric inputs are slices of *finite* `f64`: the
//! caller drops NaN and ±inf first (Evidently does the same in `get_one_column_drift`, which
//! replaces ±inf with NaN and calls `dropna()`). Categorical inputs are per-category counts, the
//! reference and current slices aligned by category index; categories that are absent from both
//! sides (count 0 in each) are ignored, as Evidently never sees them.
//!
//! Where scipy or Evidently would raise (an empty sample, mismatched sums in `chisquare`), the
//! functions here return NaN instead; none of them panics.
//!
//! Deviations from the reference implementations, all documented on the function concerned:
//! - `chi2_sf` (scipy `chdtrc`) uses cephes' series / continued-fraction branches everywhere;
//!   scipy switches to Temme's uniform asymptotic expansion when `df/2 > 20` and `x ≈ df`.
//!   Agreement there is ~1e-13 relative instead of bit-for-bit.
//! - `norm_cdf` uses its own erf/erfc (series + continued fraction), not cephes' rational fits.
//! - `benjamini_hochberg` ignores NaN p-values (statsmodels would turn every output into NaN).
//! - Integer-typed pandas columns make numpy clamp the Sturges bin width to ≥ 1; lathe's columns
//!   are `f64`, so that clamp is not applied.
//!
//! Cost: the KS statistic is one merge of the sorted samples (≈ 11 ms for 1M × 1M in release).
//! Its p-value follows scipy's algorithm choice exactly, so it inherits scipy's costs: the exact
//! lattice count is O(n1 · window) (≈ 150 ms at 10 000 × 9 999 with a large D), and for large
//! samples with a moderate D (`2.2 <= n·D² < 370`, n = n1·n2/(n1+n2) ≤ 10⁶) `smirnov` sums
//! O(n) double-double terms (≈ 0.25 s at n = 500 000; scipy takes longer). Other branches are
//! microseconds to milliseconds.
//!
//! One file per statistic or test family, so each is found by its name:
//!
//! ```text
//!   tests        ks · chisquare · z_test · wasserstein · distances (JS, PSI, KL, Hellinger)
//!   choice       Evidently's test per column, thresholds and verdicts
//!   corrections  multiple_testing (Bonferroni, Benjamini–Hochberg)
//!   building     binning · kolmogorov (durbin, pomeranz, pelz_good) · smirnov (double_double)
//!                gamma (ln Γ, Q(a, x), chi2.sf) · normal (Φ) · primitives (C/numpy helpers)
//! ```
//!
//! Callers use the flat `stats::…` paths re-exported here, as one would use `scipy.stats`.

mod binning;
mod chisquare;
mod choice;
mod distances;
mod gamma;
mod kolmogorov;
mod ks;
mod multiple_testing;
mod normal;
mod primitives;
mod smirnov;
mod wasserstein;
mod z_test;

pub use binning::{
    binned_counts, binned_shares, evidently_binned_counts, evidently_binned_numeric,
    fill_zero_shares, quantile_edges, sturges_edges, value_counts,
};
pub use chisquare::{chi2_drift, chisquare};
pub use choice::{
    ColumnData, ColumnKind, TestId, TestOutcome, default_test, default_test_for, run_default,
    run_test,
};
pub use distances::{hellinger, hellinger_counts, hellinger_numeric, jensenshannon, kl_div, psi};
pub use gamma::chi2_sf;
pub use kolmogorov::kstwo_sf;
pub use ks::{KsMethod, KsResult, ks_2samp, ks_2samp_sorted, ks_2samp_sorted_detailed};
pub use multiple_testing::{benjamini_hochberg, bonferroni};
pub use normal::norm_cdf;
pub use smirnov::smirnov_sf;
pub use wasserstein::{
    std_pop, wasserstein_distance, wasserstein_distance_sorted, wasserstein_norm,
};
pub use z_test::z_test_proportions;
