//! Evaluation metrics for classification and regression, matching scikit-learn 1.9.
//!
//! Every number here is checked against scikit-learn in `tests/metrics.rs`
//! (golden values made by `tests/fixtures/golden/make_metrics_golden.py`).
//! The conventions are scikit-learn's:
//!
//! - precision, recall and F1 use `zero_division=0`; F1 is computed from the
//!   counts, `2·tp / (support + predicted)`, not from precision and recall.
//! - Macro and weighted averages run over the classes present in `y_true` or
//!   `y_pred` (scikit-learn's default label set when `labels=None`); a class
//!   absent from both does not drag the average down.
//! - `balanced_accuracy` is the mean recall over the classes present in `y_true`.
//! - `roc_auc` is `roc_auc_score` (binary: the column of class 1; multiclass:
//!   one-vs-rest, macro average, `labels = 0..n_classes`, so NaN when a class
//!   is absent from `y_true`); tied scores are handled by the step curve over
//!   distinct thresholds, exactly as scikit-learn's trapezoid does.
//! - `log_loss` clips probabilities to `[ε, 1-ε]` (`ε = f64::EPSILON`) and does
//!   not renormalise rows.
//! - `mcc` is 0 and `cohen_kappa` NaN when undefined; `r2` follows
//!   `force_finite=True`.
//!
//! Nothing here panics: invalid input (empty slices, length mismatches, class
//! indices out of range, non-finite scores) gives NaN values, an empty
//! [`Curve`] or `None`. Costs: one `O(n log n)` sort per binary score (ROC,
//! PR, AUC, best threshold), `O(n + k²)` for everything else.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// Classification metric names, in the order they are shown.
pub const CLASSIFICATION_METRICS: &[&str] = &[
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc",
    "log_loss",
    "mcc",
    "cohen_kappa",
];

/// Regression metric names, in the order they are shown.
pub const REGRESSION_METRICS: &[&str] = &["mae", "mse", "rmse", "r2", "mape"];

/// Whether a larger value of the named metric is better.
///
/// `log_loss`, `mae`, `mse`, `rmse` and `mape` are losses (smaller is better);
/// every other name, including unknown ones, counts as a score.
pub fn greater_is_better(name: &str) -> bool {
    !matches!(name, "log_loss" | "mae" | "mse" | "rmse" | "mape")
}

/// A curve over decision thresholds: ROC (`x` = false positive rate, `y` =
/// true positive rate) or precision–recall (`x` = recall, `y` = precision).
///
/// `thresholds` may hold `f64::INFINITY` (the first ROC point); JSON has no
/// literal for it, so callers serialising a curve must map it themselves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Curve {
    /// Horizontal coordinates.
    pub x: Vec<f64>,
    /// Vertical coordinates, one per `x`.
    pub y: Vec<f64>,
    /// Decision thresholds (predict positive when `score >= threshold`).
    pub thresholds: Vec<f64>,
}

impl Curve {
    fn empty() -> Self {
        Self {
            x: Vec::new(),
            y: Vec::new(),
            thresholds: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------
// Confusion matrix
// ---------------------------------------------------------------------------

/// The `n_classes × n_classes` confusion matrix: rows are true classes,
/// columns predicted classes (`sklearn.metrics.confusion_matrix` with
/// `labels = 0..n_classes`).
///
/// Pairs with a class index `>= n_classes` are not counted; when the slices
/// differ in length nothing is counted (the matrix is all zeros).
pub fn confusion_matrix(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; n_classes]; n_classes];
    if y_true.len() != y_pred.len() {
        return m;
    }
    for (&t, &p) in y_true.iter().zip(y_pred) {
        if let Some(cell) = m.get_mut(t).and_then(|row| row.get_mut(p)) {
            *cell += 1;
        }
    }
    m
}

/// A flat, row-major `k × k` confusion matrix with its margins, as f64
/// (scikit-learn casts the counts to float64 before every division).
struct Confusion {
    k: usize,
    /// `cm[t * k + p]`.
    cm: Vec<u64>,
    /// Row sums: support of each true class.
    t_sum: Vec<f64>,
    /// Column sums: how often each class is predicted.
    p_sum: Vec<f64>,
    /// True positives per class (the diagonal).
    tp: Vec<f64>,
    /// Number of samples.
    n: f64,
}

impl Confusion {
    /// `None` for empty input, a length mismatch or a class index `>= k`.
    fn new(y_true: &[usize], y_pred: &[usize], k: usize) -> Option<Self> {
        if y_true.is_empty() || y_true.len() != y_pred.len() {
            return None;
        }
        let mut cm = vec![0u64; k.checked_mul(k)?];
        for (&t, &p) in y_true.iter().zip(y_pred) {
            if t >= k || p >= k {
                return None;
            }
            *cm.get_mut(t * k + p)? += 1;
        }
        Some(Self::from_flat(cm, k))
    }

    fn from_flat(cm: Vec<u64>, k: usize) -> Self {
        let mut t_sum = vec![0.0; k];
        let mut p_sum = vec![0.0; k];
        let mut tp = vec![0.0; k];
        let mut n = 0u64;
        for (i, row) in cm.chunks_exact(k.max(1)).enumerate().take(k) {
            let mut s = 0u64;
            for (j, &c) in row.iter().enumerate() {
                s += c;
                p_sum[j] += c as f64;
            }
            t_sum[i] = s as f64;
            tp[i] = row[i] as f64;
            n += s;
        }
        Self {
            k,
            cm,
            t_sum,
            p_sum,
            tp,
            n: n as f64,
        }
    }

    /// A 2×2 matrix for a binary split (class 1 = positive).
    fn binary(tn: u64, fp: u64, fn_: u64, tp: u64) -> Self {
        Self::from_flat(vec![tn, fp, fn_, tp], 2)
    }

    /// Classes present in `y_true` or `y_pred`.
    fn present(&self, c: usize) -> bool {
        self.t_sum[c] > 0.0 || self.p_sum[c] > 0.0
    }

    fn accuracy(&self) -> f64 {
        self.tp.iter().sum::<f64>() / self.n
    }

    /// Mean recall over the classes present in `y_true`.
    fn balanced_accuracy(&self) -> f64 {
        let (mut s, mut m) = (0.0, 0usize);
        for c in 0..self.k {
            if self.t_sum[c] > 0.0 {
                s += self.tp[c] / self.t_sum[c];
                m += 1;
            }
        }
        s / m as f64
    }

    fn precision(&self, c: usize) -> f64 {
        prf_divide(self.tp[c], self.p_sum[c])
    }

    fn recall(&self, c: usize) -> f64 {
        prf_divide(self.tp[c], self.t_sum[c])
    }

    /// `2·tp / (1·support + predicted)`, the order of scikit-learn's operations.
    fn f1(&self, c: usize) -> f64 {
        prf_divide(2.0 * self.tp[c], 1.0 * self.t_sum[c] + self.p_sum[c])
    }

    /// (macro, weighted) average of a per-class metric over present classes.
    fn averages(&self, f: impl Fn(&Self, usize) -> f64) -> (f64, f64) {
        let (mut sum, mut m, mut wsum, mut w) = (0.0, 0usize, 0.0, 0.0);
        for c in 0..self.k {
            if self.present(c) {
                let v = f(self, c);
                sum += v;
                m += 1;
                wsum += v * self.t_sum[c];
                w += self.t_sum[c];
            }
        }
        (sum / m as f64, wsum / w)
    }

    /// Matthews correlation coefficient (0 when undefined).
    fn mcc(&self) -> f64 {
        let n_correct: f64 = self.tp.iter().sum();
        let n = self.p_sum.iter().sum::<f64>();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let cov_ytyp = n_correct * n - dot(&self.t_sum, &self.p_sum);
        let cov_ypyp = n * n - dot(&self.p_sum, &self.p_sum);
        let cov_ytyt = n * n - dot(&self.t_sum, &self.t_sum);
        let denom = cov_ypyp * cov_ytyt;
        if denom == 0.0 {
            0.0
        } else {
            cov_ytyp / denom.sqrt()
        }
    }

    /// Cohen's kappa (NaN when undefined, scikit-learn's `replace_undefined_by`).
    fn cohen_kappa(&self) -> f64 {
        let total: f64 = self.p_sum.iter().sum();
        if total == 0.0 {
            return f64::NAN;
        }
        let (mut observed, mut expected) = (0.0, 0.0);
        for i in 0..self.k {
            for j in 0..self.k {
                if i != j {
                    observed += self.cm[i * self.k + j] as f64;
                    expected += self.p_sum[i] * self.t_sum[j] / total;
                }
            }
        }
        if expected == 0.0 {
            return f64::NAN;
        }
        1.0 - observed / expected
    }
}

/// `num / den`, or 0 when `den == 0` (`zero_division=0`).
fn prf_divide(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}

// ---------------------------------------------------------------------------
// Classification scores
// ---------------------------------------------------------------------------

/// Classification metrics, in [`CLASSIFICATION_METRICS`] order.
///
/// `y_true` and `y_pred` hold class indices `0..n_classes`; `proba`, when
/// given, is row-major `n × n_classes` (rows summing to about 1).
///
/// - `"precision"`, `"recall"`, `"f1"` are present only when `n_classes == 2`
///   (class 1 is positive, `average='binary'`).
/// - `"roc_auc"` and `"log_loss"` are present only with `proba`; `"roc_auc"`
///   is also left out when `y_true` holds a single class. Multiclass ROC AUC
///   is NaN when some class is absent from `y_true` or when a row of `proba`
///   does not sum to 1 (scikit-learn raises in both cases).
/// - `"log_loss"` is NaN when a probability is outside `[0, 1]` or NaN, or
///   when `n_classes < 2`.
///
/// On invalid input (empty, length mismatch, a class index `>= n_classes`,
/// `proba` of the wrong length) the metrics that would be shown are NaN.
pub fn classification_scores(
    y_true: &[usize],
    y_pred: &[usize],
    proba: Option<&[f64]>,
    n_classes: usize,
) -> Vec<(&'static str, f64)> {
    let k = n_classes;
    let binary = k == 2;
    let Some(cm) = Confusion::new(y_true, y_pred, k) else {
        return CLASSIFICATION_METRICS
            .iter()
            .filter(|&&m| shown(m, binary, proba.is_some(), true))
            .map(|&m| (m, f64::NAN))
            .collect();
    };
    let classes_in_true = cm.t_sum.iter().filter(|&&s| s > 0.0).count();
    let (p_macro, p_weighted) = cm.averages(Confusion::precision);
    let (r_macro, r_weighted) = cm.averages(Confusion::recall);
    let (f_macro, f_weighted) = cm.averages(Confusion::f1);

    let mut out = Vec::with_capacity(CLASSIFICATION_METRICS.len());
    for &m in CLASSIFICATION_METRICS {
        if !shown(m, binary, proba.is_some(), classes_in_true >= 2) {
            continue;
        }
        let v = match m {
            "accuracy" => cm.accuracy(),
            "balanced_accuracy" => cm.balanced_accuracy(),
            "precision" => cm.precision(1),
            "recall" => cm.recall(1),
            "f1" => cm.f1(1),
            "precision_macro" => p_macro,
            "recall_macro" => r_macro,
            "f1_macro" => f_macro,
            "precision_weighted" => p_weighted,
            "recall_weighted" => r_weighted,
            "f1_weighted" => f_weighted,
            "roc_auc" => proba.map_or(f64::NAN, |p| roc_auc(y_true, p, &cm)),
            "log_loss" => proba.map_or(f64::NAN, |p| log_loss(y_true, p, k)),
            "mcc" => cm.mcc(),
            "cohen_kappa" => cm.cohen_kappa(),
            _ => f64::NAN,
        };
        out.push((m, v));
    }
    out
}

/// Whether metric `m` appears in [`classification_scores`]' output.
fn shown(m: &str, binary: bool, has_proba: bool, two_true_classes: bool) -> bool {
    match m {
        "precision" | "recall" | "f1" => binary,
        "roc_auc" => has_proba && two_true_classes,
        "log_loss" => has_proba,
        _ => true,
    }
}

/// `roc_auc_score`: binary on `proba[:, 1]`, else one-vs-rest macro.
fn roc_auc(y_true: &[usize], proba: &[f64], cm: &Confusion) -> f64 {
    let k = cm.k;
    let n = y_true.len();
    if n.checked_mul(k) != Some(proba.len()) || k < 2 {
        return f64::NAN;
    }
    let column = |c: usize| -> Vec<f64> { proba.iter().skip(c).step_by(k).copied().collect() };
    if k == 2 {
        let pos: Vec<bool> = y_true.iter().map(|&t| t == 1).collect();
        return binary_auc(&pos, &column(1));
    }
    // np.allclose(1, row_sums): |1 - s| <= 1e-8 + 1e-5·|s|
    let sums_ok = proba.chunks_exact(k).all(|row| {
        let s: f64 = row.iter().sum();
        s.is_finite() && (1.0 - s).abs() <= 1e-8 + 1e-5 * s.abs()
    });
    if !sums_ok || cm.t_sum.contains(&0.0) {
        return f64::NAN;
    }
    let mut total = 0.0;
    for c in 0..k {
        let pos: Vec<bool> = y_true.iter().map(|&t| t == c).collect();
        total += binary_auc(&pos, &column(c));
    }
    total / k as f64
}

/// `log_loss(y_true, proba, labels=0..k)`: mean of `-ln(clip(p[i, y_i], ε, 1-ε))`.
fn log_loss(y_true: &[usize], proba: &[f64], k: usize) -> f64 {
    let n = y_true.len();
    if k < 2 || n.checked_mul(k) != Some(proba.len()) {
        return f64::NAN;
    }
    // scikit-learn raises on values outside [0, 1]; a NaN anywhere in a row
    // makes that row's loss NaN (xlogy(0, NaN) is NaN).
    if proba.iter().any(|p| !(0.0..=1.0).contains(p)) {
        return f64::NAN;
    }
    let eps = f64::EPSILON;
    let loss = |i: usize| -> f64 {
        let row = &proba[i * k..(i + 1) * k];
        let p = row[y_true[i]].clamp(eps, 1.0 - eps);
        -p.ln()
    };
    pairwise_sum(0, n, &loss) / n as f64
}

// ---------------------------------------------------------------------------
// Regression scores
// ---------------------------------------------------------------------------

/// Regression metrics, in [`REGRESSION_METRICS`] order.
///
/// `mape` is a fraction (not a percentage) with denominator
/// `max(|y_true|, f64::EPSILON)`; `r2` is NaN for fewer than two samples, and
/// for a constant `y_true` it is 1.0 when the prediction is perfect, else 0.0
/// (`force_finite=True`). Empty input, a length mismatch or a non-finite value
/// gives NaN for every metric.
pub fn regression_scores(y_true: &[f64], y_pred: &[f64]) -> Vec<(&'static str, f64)> {
    let n = y_true.len();
    let valid = n > 0 && n == y_pred.len() && y_true.iter().chain(y_pred).all(|v| v.is_finite());
    if !valid {
        return REGRESSION_METRICS.iter().map(|&m| (m, f64::NAN)).collect();
    }
    let nf = n as f64;
    let err = |i: usize| y_pred[i] - y_true[i];
    let mae = pairwise_sum(0, n, &|i| err(i).abs()) / nf;
    let sse = pairwise_sum(0, n, &|i| {
        let d = y_true[i] - y_pred[i];
        d * d
    });
    let mse = sse / nf;
    let rmse = mse.sqrt();
    let mape = pairwise_sum(0, n, &|i| err(i).abs() / y_true[i].abs().max(f64::EPSILON)) / nf;
    let r2 = if n < 2 {
        f64::NAN
    } else {
        // A constant y_true has zero variance by definition; testing it
        // directly avoids a rounding residue in the mean turning the
        // denominator into 1e-30 (scikit-learn's own result in that case).
        let constant = y_true.iter().all(|&v| v == y_true[0]);
        let den = if constant {
            0.0
        } else {
            let mean = pairwise_sum(0, n, &|i| y_true[i]) / nf;
            pairwise_sum(0, n, &|i| {
                let d = y_true[i] - mean;
                d * d
            })
        };
        match (sse != 0.0, den != 0.0) {
            (true, true) => 1.0 - sse / den,
            (true, false) => 0.0,
            (false, _) => 1.0,
        }
    };
    vec![
        ("mae", mae),
        ("mse", mse),
        ("rmse", rmse),
        ("r2", r2),
        ("mape", mape),
    ]
}

/// Pairwise summation of `f(lo..hi)` (blocks of 128 summed left to right),
/// close to numpy's accuracy on long vectors.
fn pairwise_sum(lo: usize, hi: usize, f: &impl Fn(usize) -> f64) -> f64 {
    if hi - lo <= 128 {
        (lo..hi).map(f).sum()
    } else {
        let mid = lo + (hi - lo) / 2;
        pairwise_sum(lo, mid, f) + pairwise_sum(mid, hi, f)
    }
}

// ---------------------------------------------------------------------------
// Binary scores: ROC, PR, AUC, best threshold
// ---------------------------------------------------------------------------

/// One distinct threshold of a binary score: the cumulative counts of
/// positives and negatives with `score >= threshold`.
#[derive(Clone, Copy)]
struct Step {
    threshold: f64,
    tps: u64,
    fps: u64,
}

/// Distinct thresholds in decreasing order with cumulative counts
/// (scikit-learn's `confusion_matrix_at_thresholds`). `None` for empty input,
/// a length mismatch or a non-finite score.
fn steps(is_positive: &[bool], score: &[f64]) -> Option<Vec<Step>> {
    if is_positive.is_empty()
        || is_positive.len() != score.len()
        || score.iter().any(|s| !s.is_finite())
    {
        return None;
    }
    let mut pairs: Vec<(f64, bool)> = score
        .iter()
        .copied()
        .zip(is_positive.iter().copied())
        .collect();
    pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = Vec::new();
    let (mut tps, mut fps) = (0u64, 0u64);
    for (i, &(s, pos)) in pairs.iter().enumerate() {
        if pos {
            tps += 1;
        } else {
            fps += 1;
        }
        // `!=`, not total_cmp: -0.0 and 0.0 are one threshold, as in numpy
        let last_of_group = pairs.get(i + 1).is_none_or(|&(next, _)| next != s);
        if last_of_group {
            out.push(Step {
                threshold: s,
                tps,
                fps,
            });
        }
    }
    Some(out)
}

/// ROC AUC of a binary score; NaN without both classes or on invalid input.
///
/// Exact trapezoid over the distinct-threshold curve in integer arithmetic:
/// `Σ Δfp·(tp_i + tp_{i-1}) / (2·P·N)`.
fn binary_auc(is_positive: &[bool], score: &[f64]) -> f64 {
    let Some(steps) = steps(is_positive, score) else {
        return f64::NAN;
    };
    let Some(last) = steps.last() else {
        return f64::NAN;
    };
    let (p, n) = (last.tps, last.fps);
    if p == 0 || n == 0 {
        return f64::NAN;
    }
    let (mut area2, mut prev_tp, mut prev_fp) = (0u128, 0u64, 0u64);
    for s in &steps {
        area2 += u128::from(s.fps - prev_fp) * u128::from(s.tps + prev_tp);
        prev_tp = s.tps;
        prev_fp = s.fps;
    }
    area2 as f64 / (2.0 * p as f64 * n as f64)
}

/// The ROC curve of a binary score, as
/// `sklearn.metrics.roc_curve(is_positive, score, drop_intermediate=True)`:
/// `x` = false positive rate, `y` = true positive rate, `thresholds`
/// decreasing and starting at `f64::INFINITY` (the point (0, 0)).
///
/// Points whose second differences in both counts are zero are dropped, as
/// scikit-learn does. Without negatives every `x` is NaN, without positives
/// every `y` is NaN. Empty input, a length mismatch or a non-finite score
/// gives an empty curve.
pub fn roc_curve(is_positive: &[bool], score: &[f64]) -> Curve {
    let Some(steps) = steps(is_positive, score) else {
        return Curve::empty();
    };
    let kept: Vec<Step> = if steps.len() > 2 {
        let second_diff = |a: u64, b: u64, c: u64| (c as i128) - 2 * (b as i128) + (a as i128);
        let mut kept = Vec::with_capacity(steps.len());
        for (i, s) in steps.iter().enumerate() {
            let keep = i == 0
                || i + 1 == steps.len()
                || second_diff(steps[i - 1].fps, s.fps, steps[i + 1].fps) != 0
                || second_diff(steps[i - 1].tps, s.tps, steps[i + 1].tps) != 0;
            if keep {
                kept.push(*s);
            }
        }
        kept
    } else {
        steps
    };
    let (p, n) = kept.last().map_or((0, 0), |s| (s.tps, s.fps));
    let rate = |count: u64, total: u64| {
        if total == 0 {
            f64::NAN
        } else {
            count as f64 / total as f64
        }
    };
    let mut curve = Curve {
        x: Vec::with_capacity(kept.len() + 1),
        y: Vec::with_capacity(kept.len() + 1),
        thresholds: Vec::with_capacity(kept.len() + 1),
    };
    curve.x.push(rate(0, n));
    curve.y.push(rate(0, p));
    curve.thresholds.push(f64::INFINITY);
    for s in &kept {
        curve.x.push(rate(s.fps, n));
        curve.y.push(rate(s.tps, p));
        curve.thresholds.push(s.threshold);
    }
    curve
}

/// The precision–recall curve of a binary score, as
/// `sklearn.metrics.precision_recall_curve(is_positive, score)`: `x` =
/// recall (decreasing), `y` = precision, one point per distinct score in
/// increasing threshold order, then the point (recall 0, precision 1) with no
/// threshold (`thresholds` is one shorter than `x`).
///
/// Without positives recall is 1 at every threshold (scikit-learn's
/// convention). Empty input, a length mismatch or a non-finite score gives an
/// empty curve.
pub fn precision_recall_curve(is_positive: &[bool], score: &[f64]) -> Curve {
    let Some(steps) = steps(is_positive, score) else {
        return Curve::empty();
    };
    let p = steps.last().map_or(0, |s| s.tps);
    let mut curve = Curve {
        x: Vec::with_capacity(steps.len() + 1),
        y: Vec::with_capacity(steps.len() + 1),
        thresholds: Vec::with_capacity(steps.len()),
    };
    for s in steps.iter().rev() {
        let predicted = s.tps + s.fps;
        curve.y.push(if predicted == 0 {
            0.0
        } else {
            s.tps as f64 / predicted as f64
        });
        curve
            .x
            .push(if p == 0 { 1.0 } else { s.tps as f64 / p as f64 });
        curve.thresholds.push(s.threshold);
    }
    curve.x.push(0.0);
    curve.y.push(1.0);
    curve
}

/// The decision threshold on a binary score that maximises a metric.
///
/// `metric` is one of `"f1"`, `"balanced_accuracy"`, `"mcc"`, `"accuracy"`,
/// computed as scikit-learn does for `y_pred = score >= t`. The candidates are
/// the distinct score values (so at least one sample is always predicted
/// positive; "predict nothing positive" is not a candidate). Returns
/// `(threshold, value)`.
///
/// Ties: candidates are scanned in descending threshold order and the first
/// one reaching the maximum wins, i.e. the **highest** threshold among equally
/// good ones.
///
/// `None` for an unknown metric, empty input, a length mismatch or a
/// non-finite score.
pub fn best_threshold(is_positive: &[bool], score: &[f64], metric: &str) -> Option<(f64, f64)> {
    let eval: fn(&Confusion) -> f64 = match metric {
        "f1" => |c| c.f1(1),
        "balanced_accuracy" => Confusion::balanced_accuracy,
        "mcc" => Confusion::mcc,
        "accuracy" => Confusion::accuracy,
        _ => return None,
    };
    let steps = steps(is_positive, score)?;
    let last = steps.last()?;
    let (p, n) = (last.tps, last.fps);
    let mut best: Option<(f64, f64)> = None;
    for s in &steps {
        let cm = Confusion::binary(n - s.fps, s.fps, p - s.tps, s.tps);
        let v = eval(&cm);
        let better = match best {
            None => !v.is_nan(),
            Some((_, b)) => v.partial_cmp(&b) == Some(Ordering::Greater),
        };
        if better {
            best = Some((s.threshold, v));
        }
    }
    best
}
