//! Hold-out and k-fold splits, stratified for classification, seeded.
//!
//! Every split is a function of (row count, classes, seed) alone, so a run
//! can be reproduced from its record. Row indices within each part are sorted.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// One cross-validation fold: rows to fit on and rows to score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

/// The rows used for the search (`train`, cut into `folds`) and those kept
/// apart to score the refitted best models (`holdout`, may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub holdout: Vec<usize>,
    pub folds: Vec<Fold>,
}

/// Groups of rows to keep proportional: one group per class, or all rows.
fn strata(n: usize, classes: Option<&[usize]>) -> Vec<Vec<usize>> {
    match classes {
        None => vec![(0..n).collect()],
        Some(y) => {
            let k = y.iter().copied().max().map_or(0, |m| m + 1);
            let mut groups = vec![Vec::new(); k];
            for (i, &c) in y.iter().enumerate() {
                groups[c].push(i);
            }
            groups
        }
    }
}

/// Split `n` rows: a hold-out share (0 for none) and `k` folds of the rest.
/// `classes` (one class index per row) makes both stratified.
pub fn split(n: usize, classes: Option<&[usize]>, holdout: f64, k: usize, seed: u64) -> Split {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut train = Vec::new();
    let mut held = Vec::new();
    let mut fold_of = vec![usize::MAX; n];
    // Round-robin fold assignment continues across strata, so fold sizes differ by at most one.
    let mut next_fold = 0usize;
    for mut group in strata(n, classes) {
        group.shuffle(&mut rng);
        let n_hold = (group.len() as f64 * holdout).round() as usize;
        let n_hold = n_hold.min(group.len());
        held.extend_from_slice(&group[..n_hold]);
        for &row in &group[n_hold..] {
            fold_of[row] = next_fold % k.max(1);
            next_fold += 1;
            train.push(row);
        }
    }
    train.sort_unstable();
    held.sort_unstable();
    let folds = (0..k)
        .map(|f| {
            let (valid, fit): (Vec<usize>, Vec<usize>) =
                train.iter().partition(|&&row| fold_of[row] == f);
            Fold { train: fit, valid }
        })
        .collect();
    Split {
        train,
        holdout: held,
        folds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_folds_cover_every_row_once_and_keep_shares() {
        let y: Vec<usize> = (0..100).map(|i| usize::from(i % 5 == 0)).collect();
        let s = split(100, Some(&y), 0.2, 4, 7);
        assert_eq!(s.holdout.len(), 20);
        assert_eq!(s.holdout.iter().filter(|&&r| y[r] == 1).count(), 4);
        let mut seen: Vec<usize> = s.folds.iter().flat_map(|f| f.valid.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, s.train);
        for f in &s.folds {
            assert_eq!(f.valid.len(), 20);
            assert_eq!(f.valid.iter().filter(|&&r| y[r] == 1).count(), 4);
            assert_eq!(f.train.len() + f.valid.len(), 80);
        }
        assert_eq!(split(100, Some(&y), 0.2, 4, 7), s, "same seed, same split");
        assert_ne!(split(100, Some(&y), 0.2, 4, 8).holdout, s.holdout);
    }
}
