//! Decision trees and random forests on the histogram engine. A class target
//! is fitted as one-hot sums with counts as weights, so the squared-error
//! gain is Gini's and a leaf's output is its class distribution: trees and
//! forests give probabilities. A forest draws a bootstrap sample per tree
//! (as counts: row weights) and a random feature subset per node; trees are
//! grown in parallel, each from its own seed, and averaged.

use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::binning::{Binned, MAX_BINS};
use super::tree::{Stats, Tree, TreeParams, grow};
use super::{Target, rng_for};
use crate::error::{Error, Result};
use crate::train::matrix::Matrix;

/// Trees whose outputs are averaged (one tree: a decision tree).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    /// Outputs per row: class probabilities (k) or one value.
    pub outputs: usize,
    pub trees: Vec<Tree>,
}

/// How a forest is grown.
#[derive(Debug, Clone, Copy)]
pub struct ForestParams {
    pub n_trees: usize,
    /// Draw a bootstrap sample for each tree (else every tree sees every row once).
    pub bootstrap: bool,
    pub tree: TreeParams,
}

/// Fit a forest (or with one tree and no bootstrap, a decision tree).
pub fn fit(x: &Matrix, y: Target<'_>, p: &ForestParams, seed: u64) -> Result<Forest> {
    check_shape(x, y.len())?;
    let binned = Binned::new(x, MAX_BINS);
    let (m, base): (usize, Vec<f64>) = match y {
        Target::Classes(y, k) => {
            let k = k.max(1);
            let mut s = vec![0.0; y.len() * k];
            for (r, &c) in y.iter().enumerate() {
                if c >= k {
                    return Err(Error::internal(format!(
                        "class index {c} of row {r} is not below the class count {k}"
                    )));
                }
                s[r * k + c] = 1.0;
            }
            (k, s)
        }
        Target::Values(v) => (1, v.to_vec()),
    };
    let features: Vec<usize> = (0..x.cols).collect();
    let n = x.rows;
    let grow_one = |t: usize| -> Tree {
        let mut rng = rng_for(seed, t as u64);
        if !p.bootstrap {
            let h = vec![1.0; n];
            let stats = Stats { m, s: &base, h: &h };
            let rows = (0..n as u32).collect();
            let mut g = grow(&binned, &stats, rows, &features, &p.tree, 1.0, &mut rng);
            g.set_cover(None);
            return g.tree;
        }
        let mut counts = vec![0u32; n];
        for _ in 0..n {
            counts[rng.gen_range(0..n)] += 1;
        }
        let h: Vec<f64> = counts.iter().map(|&c| f64::from(c)).collect();
        let s: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, &v)| v * h[i / m])
            .collect();
        let rows = (0..n as u32).filter(|&r| counts[r as usize] > 0).collect();
        let stats = Stats { m, s: &s, h: &h };
        let mut g = grow(&binned, &stats, rows, &features, &p.tree, 1.0, &mut rng);
        // The cover is the bootstrap-weighted count, as scikit-learn's
        // `weighted_n_node_samples`.
        g.set_cover(Some(&h));
        g.tree
    };
    let trees: Vec<Tree> = (0..p.n_trees.max(1))
        .into_par_iter()
        .map(grow_one)
        .collect();
    Ok(Forest { outputs: m, trees })
}

pub(super) fn check_shape(x: &Matrix, n: usize) -> Result<()> {
    if x.rows == 0 {
        return Err(Error::usage("cannot fit a tree to no rows"));
    }
    if x.rows != n || x.data.len() != x.rows * x.cols {
        return Err(Error::internal(format!(
            "{} feature rows but {n} targets",
            x.rows
        )));
    }
    if x.rows > u32::MAX as usize {
        return Err(Error::usage(format!(
            "the tree engine takes at most {} rows, not {}",
            u32::MAX,
            x.rows
        )));
    }
    Ok(())
}

impl Forest {
    /// Mean output of the trees for every row of `x`: `rows × outputs`, row-major.
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let m = self.outputs;
        let mut out = vec![0.0; x.rows * m];
        let scale = 1.0 / self.trees.len().max(1) as f64;
        out.par_chunks_mut(m * 256)
            .enumerate()
            .for_each(|(chunk, block)| {
                for (i, o) in block.chunks_mut(m).enumerate() {
                    let row = x.row(chunk * 256 + i);
                    for t in &self.trees {
                        for (a, v) in o.iter_mut().zip(t.leaf_value(row)) {
                            *a += v;
                        }
                    }
                    for a in o.iter_mut() {
                        *a *= scale;
                    }
                }
            });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::Criterion;
    use super::*;

    fn params(n_trees: usize, bootstrap: bool, max_features: usize) -> ForestParams {
        ForestParams {
            n_trees,
            bootstrap,
            tree: TreeParams {
                max_depth: 6,
                max_leaves: 0,
                min_samples_split: 2,
                min_samples_leaf: 1,
                min_hessian: 0.0,
                l2: 0.0,
                max_features,
                criterion: Criterion::Squared,
            },
        }
    }

    #[test]
    fn a_tree_learns_an_and_with_a_constant_and_a_missing_column() {
        // Columns: a, b, constant, all missing; class = a AND b.
        let mut data = Vec::new();
        let mut y = Vec::new();
        for i in 0..200 {
            let (a, b) = ((i % 2) as f64, ((i / 2) % 2) as f64);
            data.extend_from_slice(&[a, b, 7.0, f64::NAN]);
            y.push(usize::from(a > 0.5 && b > 0.5));
        }
        let x = Matrix {
            rows: 200,
            cols: 4,
            data,
        };
        let f = fit(&x, Target::Classes(&y, 2), &params(1, false, 0), 1).unwrap();
        let p = f.predict(&x);
        for (r, &c) in y.iter().enumerate() {
            assert_eq!(p[r * 2 + c], 1.0);
        }
        assert_eq!(f.trees[0].leaves(), 3);
    }

    #[test]
    fn a_forest_of_one_class_bootstraps_predicts_that_class() {
        let x = Matrix {
            rows: 3,
            cols: 1,
            data: vec![0.0, 1.0, 2.0],
        };
        let y = [0, 0, 1];
        let f = fit(&x, Target::Classes(&y, 3), &params(20, true, 1), 5).unwrap();
        let p = f.predict(&x);
        assert!(p.iter().all(|v| v.is_finite()));
        assert_eq!(p[2], 0.0, "class 2 never seen");
    }
}
