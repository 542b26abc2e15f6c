//! Gradient boosting on the histogram engine: Newton steps of histogram
//! trees grown best-first to a leaf limit, on the log loss (two classes),
//! the softmax loss (one tree per class and round) or the squared error.
//! Rows and columns can be subsampled per round, and a seeded validation
//! share of the rows stops the rounds when its loss no longer improves (the
//! model keeps the rounds up to the best one). The settings follow
//! scikit-learn's HistGradientBoosting defaults.

use rand::seq::SliceRandom;
use rand::seq::index::sample;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::binning::{Binned, MAX_BINS};
use super::forest::check_shape;
use super::tree::{Stats, Tree, TreeParams, grow};
use super::{Target, rng_for};
use crate::error::Result;
use crate::train::matrix::Matrix;

/// The loss a booster minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    SquaredError,
    LogLoss,
    Softmax,
}

/// A fitted booster: `raw[k] = init[k] + Σ trees[round * outputs + k]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booster {
    pub loss: Loss,
    pub init: Vec<f64>,
    pub trees: Vec<Tree>,
}

/// How a booster is fitted.
#[derive(Debug, Clone, Copy)]
pub struct BoostParams {
    pub rounds: usize,
    pub learning_rate: f64,
    pub tree: TreeParams,
    /// Share of rows each round's trees see (1 = all).
    pub subsample: f64,
    /// Share of features each round's trees may use (1 = all).
    pub colsample: f64,
    /// Share of rows held out to stop early (0 = no early stopping).
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
}

/// Fit a booster to `y`, with optional per-row weights.
pub fn fit(
    x: &Matrix,
    y: Target<'_>,
    weights: Option<&[f64]>,
    p: &BoostParams,
    seed: u64,
) -> Result<Booster> {
    check_shape(x, y.len())?;
    let n = x.rows;
    let (loss, k) = match y {
        Target::Values(_) => (Loss::SquaredError, 1),
        Target::Classes(_, k) if k <= 2 => (Loss::LogLoss, 1),
        Target::Classes(_, k) => (Loss::Softmax, k),
    };
    let w = |r: usize| weights.map_or(1.0, |w| w[r]);
    // Hold out a validation share for early stopping.
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = rng_for(seed, u64::MAX);
    let n_valid = if p.validation_fraction > 0.0 && n >= 20 {
        order.shuffle(&mut rng);
        ((n as f64 * p.validation_fraction) as usize).clamp(1, n / 2)
    } else {
        0
    };
    let (valid, train) = order.split_at(n_valid);
    let mut train = train.to_vec();
    train.sort_unstable();
    let mut valid = valid.to_vec();
    valid.sort_unstable();

    // One-hot (or raw) targets and the initial raw scores.
    let target = |r: usize, j: usize| -> f64 {
        match (y, loss) {
            (Target::Values(v), _) => v[r],
            (Target::Classes(c, _), Loss::LogLoss) => f64::from(u8::from(c[r] == 1)),
            (Target::Classes(c, _), _) => f64::from(u8::from(c[r] == j)),
        }
    };
    let wsum: f64 = train.iter().map(|&r| w(r)).sum::<f64>().max(1e-300);
    let init: Vec<f64> = (0..k)
        .map(|j| {
            let mean = train.iter().map(|&r| w(r) * target(r, j)).sum::<f64>() / wsum;
            match loss {
                Loss::SquaredError => mean,
                Loss::LogLoss => {
                    let q = mean.clamp(1e-12, 1.0 - 1e-12);
                    (q / (1.0 - q)).ln()
                }
                Loss::Softmax => mean.max(1e-12).ln(),
            }
        })
        .collect();

    let binned = Binned::new(x, MAX_BINS);
    let mut raw: Vec<f64> = (0..n).flat_map(|_| init.iter().copied()).collect();
    let mut trees: Vec<Tree> = Vec::new();
    let (mut best_loss, mut best_rounds, mut since_best) = (f64::INFINITY, 0usize, 0usize);
    let cols = x.cols;
    let mut s = vec![0.0; n * k];
    let mut h = vec![0.0; n * k];
    for round in 0..p.rounds {
        // Gradients of the training rows (negated: the trees fit S / H).
        for &r in &train {
            let z = &raw[r * k..(r + 1) * k];
            match loss {
                Loss::SquaredError => {
                    s[r] = -(z[0] - target(r, 0)) * w(r);
                    h[r] = w(r);
                }
                Loss::LogLoss => {
                    let q = 1.0 / (1.0 + (-z[0]).exp());
                    s[r] = -(q - target(r, 0)) * w(r);
                    h[r] = (q * (1.0 - q)).max(1e-16) * w(r);
                }
                Loss::Softmax => {
                    let probs = link(loss, z);
                    for (j, q) in probs.iter().enumerate() {
                        s[j * n + r] = -(q - target(r, j)) * w(r);
                        h[j * n + r] = (q * (1.0 - q)).max(1e-16) * w(r);
                    }
                }
            }
        }
        let mut round_rng = rng_for(seed, round as u64);
        let rows: Vec<u32> = if p.subsample < 1.0 {
            let take = ((train.len() as f64 * p.subsample).ceil() as usize).clamp(1, train.len());
            let mut pick: Vec<u32> = sample(&mut round_rng, train.len(), take)
                .into_iter()
                .map(|i| train[i] as u32)
                .collect();
            pick.sort_unstable();
            pick
        } else {
            train.iter().map(|&r| r as u32).collect()
        };
        let features: Vec<usize> = if p.colsample < 1.0 {
            let take = ((cols as f64 * p.colsample).ceil() as usize).clamp(1, cols.max(1));
            let mut f = sample(&mut round_rng, cols, take).into_vec();
            f.sort_unstable();
            f
        } else {
            (0..cols).collect()
        };
        let grown: Vec<_> = (0..k)
            .into_par_iter()
            .map(|j| {
                let stats = Stats {
                    m: 1,
                    s: &s[j * n..(j + 1) * n],
                    h: &h[j * n..(j + 1) * n],
                };
                let mut tree_rng = rng_for(seed, (round * k + j) as u64);
                let mut g = grow(
                    &binned,
                    &stats,
                    rows.clone(),
                    &features,
                    &p.tree,
                    p.learning_rate,
                    &mut tree_rng,
                );
                // The cover is the sample weight (the row count without
                // weights), not the hessian: the rows' share of each branch.
                g.set_cover(weights);
                g
            })
            .collect();
        // New raw scores: the grown rows by their leaves, the others by traversal.
        let mut seen = vec![false; n];
        for (j, g) in grown.iter().enumerate() {
            for (node, range) in &g.leaves {
                let v = g.tree.value[*node];
                for &r in &g.rows[range.clone()] {
                    raw[r as usize * k + j] += v;
                    seen[r as usize] = true;
                }
            }
        }
        for (j, g) in grown.iter().enumerate() {
            for r in (0..n).filter(|&r| !seen[r]) {
                raw[r * k + j] += g.binned_leaf_value(&binned, r)[0];
            }
        }
        trees.extend(grown.into_iter().map(|g| g.tree));
        if valid.is_empty() {
            continue;
        }
        let l = valid
            .iter()
            .map(|&r| w(r) * row_loss(loss, &raw[r * k..(r + 1) * k], |j| target(r, j)))
            .sum::<f64>();
        if best_loss.is_infinite() || l < best_loss - 1e-7 * best_loss.abs().max(1.0) {
            (best_loss, best_rounds, since_best) = (l, round + 1, 0);
        } else {
            since_best += 1;
            if since_best >= p.n_iter_no_change.max(1) {
                break;
            }
        }
    }
    if !valid.is_empty() {
        trees.truncate(best_rounds * k);
    }
    Ok(Booster { loss, init, trees })
}

/// Probabilities (classes) or the value (regression) from raw scores.
fn link(loss: Loss, z: &[f64]) -> Vec<f64> {
    match loss {
        Loss::SquaredError => z.to_vec(),
        Loss::LogLoss => vec![1.0 / (1.0 + (-z[0]).exp())],
        Loss::Softmax => {
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            e.iter().map(|v| v / sum).collect()
        }
    }
}

fn row_loss(loss: Loss, z: &[f64], target: impl Fn(usize) -> f64) -> f64 {
    let p = link(loss, z);
    match loss {
        Loss::SquaredError => (z[0] - target(0)).powi(2),
        Loss::LogLoss => {
            let q = p[0].clamp(1e-15, 1.0 - 1e-15);
            let t = target(0);
            -(t * q.ln() + (1.0 - t) * (1.0 - q).ln())
        }
        Loss::Softmax => -(0..z.len())
            .map(|j| target(j) * p[j].max(1e-15).ln())
            .sum::<f64>(),
    }
}

impl Booster {
    /// Trees fitted per round: one per class for softmax, else one.
    fn per_round(&self) -> usize {
        self.init.len().max(1)
    }

    /// For every row of `x`: the class probabilities (`k` per row; two for
    /// the log loss) or the predicted value (one per row).
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let k = self.per_round();
        let width = if self.loss == Loss::LogLoss { 2 } else { k };
        let raw = self.raw_scores(x);
        let mut out = vec![0.0; x.rows * width];
        for (o, z) in out.chunks_mut(width).zip(raw.chunks(k)) {
            let p = link(self.loss, z);
            if self.loss == Loss::LogLoss {
                o[0] = 1.0 - p[0];
                o[1] = p[0];
            } else {
                o.copy_from_slice(&p);
            }
        }
        out
    }

    /// The raw scores of every row of `x` (rows × trees per round): the
    /// log-odds for the log loss, a logit per class for softmax, the value.
    pub fn raw_scores(&self, x: &Matrix) -> Vec<f64> {
        let k = self.per_round();
        let mut out = vec![0.0; x.rows * k];
        out.par_chunks_mut(k * 256)
            .enumerate()
            .for_each(|(chunk, block)| {
                for (i, z) in block.chunks_mut(k).enumerate() {
                    let row = x.row(chunk * 256 + i);
                    z.copy_from_slice(&self.init[..k]);
                    for (t, tree) in self.trees.iter().enumerate() {
                        z[t % k] += tree.leaf_value(row).first().copied().unwrap_or(0.0);
                    }
                }
            });
        out
    }

    /// Boosting rounds kept.
    pub fn rounds(&self) -> usize {
        self.trees.len() / self.per_round()
    }
}
