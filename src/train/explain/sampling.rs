//! The sampling estimate of SHAP values for models without an exact method
//! (k-NN, naive Bayes, SVM, and models from before format 4): permutation
//! sampling (Štrumbelj & Kononenko 2014) with antithetic pairs. For each
//! sampled order of the input columns, the background rows are switched to
//! the explained row one column at a time; a column's value is the mean
//! change of the model's output when it is switched. Each order's values add
//! up to f(row) − mean f(background) exactly, so the estimate is additive;
//! its error is the spread between orders, reported as a standard error
//! per value.

use std::ops::Range;

use rand::seq::SliceRandom;

use crate::error::Result;
use crate::train::hist::rng_for;
use crate::train::matrix::Matrix;

/// What the estimate needs: the model as a function of transformed rows
/// (rows × outputs out), the background and the column spans.
pub struct Estimator<'a> {
    pub f: &'a (dyn Fn(&Matrix) -> Result<Vec<f64>> + Sync),
    pub outputs: usize,
    pub background: &'a Matrix,
    /// The transformed columns of each input column.
    pub spans: &'a [Range<usize>],
    /// Column orders per row (rounded up to an even number: antithetic pairs).
    pub permutations: usize,
    pub seed: u64,
}

/// One row's estimate: values and standard errors, input columns × outputs.
pub struct RowEstimate {
    pub values: Vec<f64>,
    pub std_error: Vec<f64>,
}

impl Estimator<'_> {
    /// The base value: the mean output over the background (one per output).
    pub fn base(&self) -> Result<Vec<f64>> {
        let out = (self.f)(self.background)?;
        Ok(column_means(&out, self.outputs, self.background.rows))
    }

    /// Estimate the values of transformed row `x` given [`Estimator::base`];
    /// `index` seeds its orders.
    pub fn row(&self, x: &[f64], index: u64, base: &[f64]) -> Result<RowEstimate> {
        let (b, width, m) = (self.background.rows, self.background.cols, self.outputs);
        let c = self.spans.len();
        let pairs = self.permutations.div_ceil(2).max(1);
        let mut rng = rng_for(self.seed, index);
        // Per pair: the mean of the two orders' values (their spread is the error).
        let mut pair_values = vec![0.0; pairs * c * m];
        let mut order: Vec<usize> = (0..c).collect();
        let mut hybrid = Matrix::zeros(c * b, width);
        for p in 0..pairs {
            order.shuffle(&mut rng);
            for reverse in [false, true] {
                // Step s holds the background rows with the first s + 1 columns of the order switched.
                let mut current = self.background.data.clone();
                for s in 0..c {
                    let col = if reverse { order[c - 1 - s] } else { order[s] };
                    let span = self.spans[col].clone();
                    for r in 0..b {
                        current[r * width + span.start..r * width + span.end]
                            .copy_from_slice(&x[span.clone()]);
                    }
                    hybrid.data[s * b * width..(s + 1) * b * width].copy_from_slice(&current);
                }
                let out = (self.f)(&hybrid)?;
                let mut prev = base.to_vec();
                for s in 0..c {
                    let col = if reverse { order[c - 1 - s] } else { order[s] };
                    let now = column_means(&out[s * b * m..(s + 1) * b * m], m, b);
                    for o in 0..m {
                        pair_values[(p * c + col) * m + o] += 0.5 * (now[o] - prev[o]);
                    }
                    prev = now;
                }
            }
        }
        let mut values = vec![0.0; c * m];
        let mut std_error = vec![0.0; c * m];
        for (j, (v, e)) in values.iter_mut().zip(&mut std_error).enumerate() {
            let mean = (0..pairs).map(|p| pair_values[p * c * m + j]).sum::<f64>() / pairs as f64;
            *v = mean;
            if pairs > 1 {
                let var = (0..pairs)
                    .map(|p| (pair_values[p * c * m + j] - mean).powi(2))
                    .sum::<f64>()
                    / (pairs - 1) as f64;
                *e = (var / pairs as f64).sqrt();
            }
        }
        Ok(RowEstimate { values, std_error })
    }
}

/// Column means of `rows × m` values.
fn column_means(v: &[f64], m: usize, rows: usize) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for row in v.chunks_exact(m) {
        for (o, x) in out.iter_mut().zip(row) {
            *o += x;
        }
    }
    for o in &mut out {
        *o /= rows.max(1) as f64;
    }
    out
}
