//! Is one run really better than another? The corrected resampled paired
//! t-test of Nadeau & Bengio (2003), as in Weka's Experimenter.
//!
//! Two runs evaluated on the same cross-validation folds give paired scores
//! `a_j`, `b_j`. Their differences `d_j` are not independent (the training
//! sets overlap), so the plain paired t-test is far too eager. Nadeau and
//! Bengio correct the variance of the mean difference:
//!
//! ```text
//! t = mean(d) / sqrt((1/J + n_test/n_train) · s²(d)),   df = J − 1
//! ```
//!
//! with `J` the number of folds and `s²` the sample variance (ddof 1). For
//! k-fold cross-validation `n_test/n_train = 1/(k−1)`. The p-value is
//! two-sided, from Student's t distribution, whose incomplete beta comes from
//! statrs.

use statrs::function::beta::beta_reg;

/// The result of a corrected resampled t-test of `a` against `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTest {
    /// Mean of `a − b`.
    pub mean_diff: f64,
    pub t: f64,
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// The test over paired fold scores; `test_train_ratio` is `n_test/n_train`
/// of one fold. None when there are fewer than two pairs, the lengths differ
/// or a score is not finite.
pub fn corrected_resampled_t(a: &[f64], b: &[f64], test_train_ratio: f64) -> Option<TTest> {
    let j = a.len();
    if j < 2 || b.len() != j || a.iter().chain(b).any(|x| !x.is_finite()) {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = j as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let df = n - 1.0;
    // Identical differences on every fold: no spread to test against. Equal
    // scores are no difference; a constant non-zero gap is a certain one.
    if var == 0.0 {
        return Some(if mean == 0.0 {
            TTest {
                mean_diff: 0.0,
                t: 0.0,
                df,
                p: 1.0,
            }
        } else {
            TTest {
                mean_diff: mean,
                t: f64::INFINITY.copysign(mean),
                df,
                p: 0.0,
            }
        });
    }
    let t = mean / ((1.0 / n + test_train_ratio) * var).sqrt();
    Some(TTest {
        mean_diff: mean,
        t,
        df,
        p: (2.0 * student_t_sf(t.abs(), df)).min(1.0),
    })
}

/// `P(T > t)` for Student's t with `df` degrees of freedom, through the regularised incomplete
/// beta `I_x(df/2, 1/2)` with `x = df / (df + t²)` (statrs' `beta_reg`, within 1e-12 relative
/// of scipy's `t.sf` down to 1e-30 in the golden tests).
pub fn student_t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 0.0 } else { 1.0 };
    }
    // x lies in [0, 1] and df/2 > 0, the domain where beta_reg does not panic.
    let x = (df / (df + t * t)).clamp(0.0, 1.0);
    let tail = 0.5 * beta_reg(df / 2.0, 0.5, x);
    if t >= 0.0 { tail } else { 1.0 - tail }
}

/// Weka's marker of a run against the base run on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Significantly better than the base (`v`).
    Better,
    /// Significantly worse (`*`).
    Worse,
    /// No significant difference.
    Tie,
    /// Not tested: the base itself, different folds, or missing scores.
    None,
}

impl Mark {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Better => "v",
            Self::Worse => "*",
            Self::Tie | Self::None => " ",
        }
    }

    /// The mark of a test of `run − base` on a metric where greater is
    /// better (or not) at level `alpha`.
    pub fn of(test: Option<&TTest>, greater_is_better: bool, alpha: f64) -> Self {
        match test {
            None => Self::None,
            Some(t) if t.p < alpha && t.mean_diff != 0.0 => {
                if (t.mean_diff > 0.0) == greater_is_better {
                    Self::Better
                } else {
                    Self::Worse
                }
            }
            Some(_) => Self::Tie,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_differences_are_certain_and_equal_scores_are_not() {
        let a = [0.8, 0.82, 0.81];
        let same = corrected_resampled_t(&a, &a, 0.25).map(|t| t.p);
        assert_eq!(same, Some(1.0));
        let up: Vec<f64> = a.iter().map(|x| x + 0.125).collect();
        let t = corrected_resampled_t(&up, &a, 0.25);
        assert_eq!(t.map(|t| t.p), Some(0.0));
        assert!(corrected_resampled_t(&a[..1], &a[..1], 0.25).is_none());
        assert!(corrected_resampled_t(&a, &a[..2], 0.25).is_none());
    }

    #[test]
    fn marks_follow_the_metric_direction() {
        let t = TTest {
            mean_diff: -0.1,
            t: -5.0,
            df: 4.0,
            p: 0.01,
        };
        assert_eq!(Mark::of(Some(&t), true, 0.05), Mark::Worse);
        assert_eq!(Mark::of(Some(&t), false, 0.05), Mark::Better);
        assert_eq!(Mark::of(Some(&t), true, 0.001), Mark::Tie);
        assert_eq!(Mark::of(None, true, 0.05), Mark::None);
    }
}
