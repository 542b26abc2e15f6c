//! One histogram tree: grown from per-row statistics (m target sums and a
//! weight/hessian per row) on a [`Binned`] matrix, and the fitted [`Tree`]
//! as plain data. A node's split comes from per-feature histograms of those
//! statistics over its bins; a child's histograms are its parent's minus its
//! sibling's (only the smaller child is counted). The same grower serves
//! CART (one-hot or raw targets, weight = count: the squared-error gain is
//! Gini's), forests (bootstrap counts as weights, features sampled per node)
//! and boosting (negative gradients and hessians, best-first to a leaf limit).

use std::ops::Range;

use rand::Rng;
use rand::seq::index::sample;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::binning::{Binned, MISSING_BIN};

/// How a split is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// Sum over outputs of S²/(H + λ): squared error, Gini on one-hot targets, Newton boosting.
    Squared,
    /// Information gain on class counts (S = weighted counts per class).
    Entropy,
}

/// Limits of one tree; 0 means "no limit" for the depth, leaf and feature counts.
#[derive(Debug, Clone, Copy)]
pub struct TreeParams {
    pub max_depth: usize,
    pub max_leaves: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_hessian: f64,
    pub l2: f64,
    /// Features tried at each node (a fresh random subset per node).
    pub max_features: usize,
    pub criterion: Criterion,
}

/// The statistics a tree fits: `m` sums (`s[r * m + j]`) and a weight `h[r]` per row.
pub struct Stats<'a> {
    pub m: usize,
    pub s: &'a [f64],
    pub h: &'a [f64],
}

/// A fitted tree as data. Node 0 is the root; a node with `left == 0` is a
/// leaf. A row goes left when its value is `<= threshold`, or when it is
/// missing and `missing_left`. `value[node * outputs..]` is the node's output.
/// `cover[node]` is the training weight that reached the node (model format
/// 4 on; empty in older models), which exact TreeSHAP needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub outputs: usize,
    pub feature: Vec<u32>,
    pub threshold: Vec<f64>,
    pub missing_left: Vec<bool>,
    pub left: Vec<u32>,
    pub right: Vec<u32>,
    pub value: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cover: Vec<f64>,
}

impl Tree {
    /// The output of the leaf that `row` (raw feature values) falls into.
    pub fn leaf_value(&self, row: &[f64]) -> &[f64] {
        let mut n = 0usize;
        while self.left.get(n).is_some_and(|&l| l != 0) {
            let v = row
                .get(self.feature[n] as usize)
                .copied()
                .unwrap_or(f64::NAN);
            let go_left = if v.is_nan() {
                self.missing_left[n]
            } else {
                v <= self.threshold[n]
            };
            n = if go_left { self.left[n] } else { self.right[n] } as usize;
        }
        self.value
            .get(n * self.outputs..(n + 1) * self.outputs)
            .unwrap_or(&[])
    }

    pub fn leaves(&self) -> usize {
        self.left.iter().filter(|&&l| l == 0).count()
    }

    /// Whether every node has a cover whose children add up to it (what
    /// exact TreeSHAP needs; models before format 4 have none).
    pub fn has_cover(&self) -> bool {
        self.cover.len() == self.left.len()
            && !self.cover.is_empty()
            && self.cover[0] > 0.0
            && (0..self.left.len()).all(|n| {
                let (l, r) = (self.left[n] as usize, self.right[n] as usize);
                l == 0
                    || (self.cover.get(l).zip(self.cover.get(r))).is_some_and(|(a, b)| {
                        (a + b - self.cover[n]).abs() <= 1e-9 * self.cover[n].abs().max(1.0)
                    })
            })
    }
}

/// A grown tree and where its training rows ended: `rows[range]` for each leaf node.
pub struct Grown {
    pub tree: Tree,
    pub rows: Vec<u32>,
    pub leaves: Vec<(usize, Range<usize>)>,
    /// Each node's split as a bin of its feature (0 for leaves): a binned row
    /// goes left when its code is at most this, as its raw value is at most the
    /// threshold (the bin's upper edge).
    pub bins: Vec<u8>,
}

impl Grown {
    /// Set the tree's node covers: the summed `weight` of the training rows
    /// in each node (the row count without weights). Children are added
    /// after their parent, so one backward pass sums the leaves upwards.
    pub fn set_cover(&mut self, weight: Option<&[f64]>) {
        let t = &mut self.tree;
        let mut cover = vec![0.0; t.left.len()];
        for (node, range) in &self.leaves {
            cover[*node] = match weight {
                Some(w) => self.rows[range.clone()]
                    .iter()
                    .map(|&r| w[r as usize])
                    .sum(),
                None => range.len() as f64,
            };
        }
        for n in (0..cover.len()).rev() {
            if t.left[n] != 0 {
                cover[n] = cover[t.left[n] as usize] + cover[t.right[n] as usize];
            }
        }
        t.cover = cover;
    }

    /// The leaf output of row `r` of the binned matrix the tree was grown on —
    /// the same leaf [`Tree::leaf_value`] finds from the raw row, read from the
    /// one-byte codes (column-major, cache-friendly) instead of the `f64` rows.
    pub fn binned_leaf_value(&self, binned: &Binned, r: usize) -> &[f64] {
        let t = &self.tree;
        let mut n = 0usize;
        while t.left[n] != 0 {
            let code = binned.codes[t.feature[n] as usize * binned.rows + r];
            let go_left = if code == MISSING_BIN {
                t.missing_left[n]
            } else {
                code <= self.bins[n]
            };
            n = if go_left { t.left[n] } else { t.right[n] } as usize;
        }
        &t.value[n * t.outputs..(n + 1) * t.outputs]
    }
}

struct Split {
    feature: usize,
    bin: usize,
    missing_left: bool,
    gain: f64,
}

struct Candidate {
    node: usize,
    range: Range<usize>,
    depth: usize,
    hist: Hist,
    split: Split,
}

/// Histograms of some features: `data[slot * 256 * w + bin * w ..]`, w = m + 2
/// (m sums, the weight, the row count).
struct Hist {
    features: Vec<usize>,
    data: Vec<f64>,
}

/// Rows × features below which a histogram is counted on one thread.
const PARALLEL_WORK: usize = 1 << 16;

/// Grow one tree on `rows` of `binned`, scaling leaf outputs by `scale`.
pub fn grow(
    binned: &Binned,
    stats: &Stats<'_>,
    rows: Vec<u32>,
    features: &[usize],
    p: &TreeParams,
    scale: f64,
    rng: &mut impl Rng,
) -> Grown {
    let m = stats.m;
    let mut g = Grower {
        binned,
        stats,
        p,
        rows,
        tree: Tree {
            outputs: m,
            feature: Vec::new(),
            threshold: Vec::new(),
            missing_left: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            value: Vec::new(),
            cover: Vec::new(),
        },
        scale,
        totals: Vec::new(),
        bins: Vec::new(),
    };
    let all = 0..g.rows.len();
    let root_totals = g.totals(&all);
    let root = g.add_node(&root_totals);
    let mut pending: Vec<Candidate> = Vec::new();
    let mut leaves = vec![];
    let sampled = p.max_features > 0 && p.max_features < features.len();
    g.consider(
        root,
        all,
        0,
        None,
        features,
        sampled,
        rng,
        &mut pending,
        &mut leaves,
    );
    let mut n_leaves = 1;
    while !pending.is_empty() {
        if p.max_leaves > 0 && n_leaves >= p.max_leaves {
            break;
        }
        // Best-first under a leaf limit (ties: the older node), else depth-first.
        let i = if p.max_leaves > 0 {
            let mut best = 0;
            for (i, c) in pending.iter().enumerate() {
                let b = &pending[best];
                if c.split.gain > b.split.gain || (c.split.gain == b.split.gain && c.node < b.node)
                {
                    best = i;
                }
            }
            best
        } else {
            pending.len() - 1
        };
        let c = pending.swap_remove(i);
        let (l, r) = g.apply(&c);
        n_leaves += 1;
        let (ln, rn) = (g.tree.left[c.node] as usize, g.tree.right[c.node] as usize);
        let ((small_node, small), (large_node, large)) = if l.len() <= r.len() {
            ((ln, l), (rn, r))
        } else {
            ((rn, r), (ln, l))
        };
        let depth = c.depth + 1;
        let (mut small_hist, mut large_hist) = (None, None);
        if !sampled && g.can_split(&large, depth) {
            // The larger child's histograms: the parent's minus the smaller child's.
            let sh = g.histograms(&small, features.to_vec());
            let mut parent = c.hist;
            for (a, b) in parent.data.iter_mut().zip(&sh.data) {
                *a -= b;
            }
            small_hist = Some(sh);
            large_hist = Some(parent);
        }
        g.consider(
            small_node,
            small,
            depth,
            small_hist,
            features,
            sampled,
            rng,
            &mut pending,
            &mut leaves,
        );
        g.consider(
            large_node,
            large,
            depth,
            large_hist,
            features,
            sampled,
            rng,
            &mut pending,
            &mut leaves,
        );
    }
    for c in pending {
        leaves.push((c.node, c.range));
    }
    leaves.sort_by_key(|(n, _)| *n);
    Grown {
        tree: g.tree,
        rows: g.rows,
        bins: g.bins,
        leaves,
    }
}

struct Grower<'a> {
    binned: &'a Binned,
    stats: &'a Stats<'a>,
    p: &'a TreeParams,
    rows: Vec<u32>,
    tree: Tree,
    scale: f64,
    /// Each node's sums, weight and row count (m + 2 values per node).
    totals: Vec<f64>,
    /// Each node's split bin (see [`Grown::bins`]).
    bins: Vec<u8>,
}

impl Grower<'_> {
    fn totals(&self, range: &Range<usize>) -> Vec<f64> {
        let m = self.stats.m;
        let mut t = vec![0.0; m + 2];
        for &r in &self.rows[range.clone()] {
            let r = r as usize;
            for (a, v) in t[..m].iter_mut().zip(&self.stats.s[r * m..(r + 1) * m]) {
                *a += v;
            }
            t[m] += self.stats.h[r];
            t[m + 1] += 1.0;
        }
        t
    }

    fn add_node(&mut self, t: &[f64]) -> usize {
        let m = self.stats.m;
        self.totals.extend_from_slice(t);
        let denom = t[m] + self.p.l2;
        for &s in &t[..m] {
            let v = if denom > 0.0 { s / denom } else { 0.0 };
            self.tree.value.push(v * self.scale);
        }
        self.tree.feature.push(0);
        self.tree.threshold.push(0.0);
        self.tree.missing_left.push(false);
        self.tree.left.push(0);
        self.tree.right.push(0);
        self.bins.push(0);
        self.tree.feature.len() - 1
    }

    fn can_split(&self, range: &Range<usize>, depth: usize) -> bool {
        let (n, p) = (range.len(), self.p);
        (p.max_depth == 0 || depth < p.max_depth)
            && n >= p.min_samples_split.max(2)
            && n >= 2 * p.min_samples_leaf.max(1)
    }

    /// Decide whether `node` may split; if so count (or take) its histograms
    /// and queue its best split, else make it a leaf.
    #[allow(clippy::too_many_arguments)]
    fn consider(
        &mut self,
        node: usize,
        range: Range<usize>,
        depth: usize,
        given: Option<Hist>,
        features: &[usize],
        sampled: bool,
        rng: &mut impl Rng,
        pending: &mut Vec<Candidate>,
        leaves: &mut Vec<(usize, Range<usize>)>,
    ) {
        if !self.can_split(&range, depth) {
            leaves.push((node, range));
            return;
        }
        let hist = match given {
            Some(h) => h,
            None => {
                let feats: Vec<usize> = if sampled {
                    let mut f: Vec<usize> = sample(rng, features.len(), self.p.max_features)
                        .into_iter()
                        .map(|i| features[i])
                        .collect();
                    f.sort_unstable();
                    f
                } else {
                    features.to_vec()
                };
                self.histograms(&range, feats)
            }
        };
        let w = self.stats.m + 2;
        let totals = &self.totals[node * w..(node + 1) * w];
        match self.best_split(&hist, totals) {
            Some(split) => pending.push(Candidate {
                node,
                range,
                depth,
                hist,
                split,
            }),
            None => leaves.push((node, range)),
        }
    }

    fn histograms(&self, range: &Range<usize>, features: Vec<usize>) -> Hist {
        let m = self.stats.m;
        let w = m + 2;
        let rows = &self.rows[range.clone()];
        // The node's statistics gathered once into row order (as scikit-learn's
        // "ordered gradients"), so each feature's pass reads them sequentially
        // and only its bin codes by row; the sums are added in the same order.
        let (s, h) = (self.stats.s, self.stats.h);
        let os: Vec<f64> = rows
            .iter()
            .flat_map(|&r| &s[r as usize * m..(r as usize + 1) * m])
            .copied()
            .collect();
        let oh: Vec<f64> = rows.iter().map(|&r| h[r as usize]).collect();
        let mut data = vec![0.0; features.len() * 256 * w];
        let fill = |(slot, out): (usize, &mut [f64])| {
            let codes = self.binned.column(features[slot]);
            if m == 1 {
                let cells = out.as_chunks_mut::<3>().0;
                for ((&r, &si), &hi) in rows.iter().zip(&os).zip(&oh) {
                    let cell = &mut cells[codes[r as usize] as usize];
                    cell[0] += si;
                    cell[1] += hi;
                    cell[2] += 1.0;
                }
            } else {
                for ((&r, si), &hi) in rows.iter().zip(os.chunks_exact(m)).zip(&oh) {
                    let b = codes[r as usize] as usize * w;
                    let cell = &mut out[b..b + w];
                    for (c, v) in cell[..m].iter_mut().zip(si) {
                        *c += v;
                    }
                    cell[m] += hi;
                    cell[m + 1] += 1.0;
                }
            }
        };
        if rows.len() * features.len() >= PARALLEL_WORK {
            data.par_chunks_mut(256 * w).enumerate().for_each(fill);
        } else {
            data.chunks_mut(256 * w).enumerate().for_each(fill);
        }
        Hist { features, data }
    }

    fn score(&self, cell: &[f64]) -> f64 {
        let m = self.stats.m;
        let h = cell[m];
        match self.p.criterion {
            Criterion::Squared => {
                let d = h + self.p.l2;
                if d <= 0.0 {
                    return 0.0;
                }
                cell[..m].iter().map(|s| s * s).sum::<f64>() / d
            }
            Criterion::Entropy => cell[..m]
                .iter()
                .filter(|&&s| s > 0.0 && h > 0.0)
                .map(|&s| s * (s / h).ln())
                .sum(),
        }
    }

    fn best_split(&self, hist: &Hist, totals: &[f64]) -> Option<Split> {
        if self.stats.m == 1 && self.p.criterion == Criterion::Squared {
            return self.best_split_one(hist, totals);
        }
        let w = self.stats.m + 2;
        let p = self.p;
        let parent = self.score(totals);
        let mut best: Option<Split> = None;
        let mut left = vec![0.0; w];
        let mut right = vec![0.0; w];
        for (slot, &f) in hist.features.iter().enumerate() {
            let h = &hist.data[slot * 256 * w..(slot + 1) * 256 * w];
            let miss = &h[MISSING_BIN as usize * w..(MISSING_BIN as usize + 1) * w];
            let has_missing = miss[w - 1] > 0.0;
            let bins = self.binned.bins(f);
            let mut acc = vec![0.0; w];
            for b in 0..bins.saturating_sub(1) {
                for (a, v) in acc.iter_mut().zip(&h[b * w..(b + 1) * w]) {
                    *a += v;
                }
                for missing_left in [false, true] {
                    if missing_left && !has_missing {
                        continue;
                    }
                    for k in 0..w {
                        left[k] = acc[k] + if missing_left { miss[k] } else { 0.0 };
                        right[k] = totals[k] - left[k];
                    }
                    let (nl, nr) = (left[w - 1], right[w - 1]);
                    if nl < p.min_samples_leaf.max(1) as f64
                        || nr < p.min_samples_leaf.max(1) as f64
                        || left[w - 2] < p.min_hessian
                        || right[w - 2] < p.min_hessian
                    {
                        continue;
                    }
                    let gain = self.score(&left) + self.score(&right) - parent;
                    if gain > 1e-12 * parent.abs().max(1e-300)
                        && best.as_ref().is_none_or(|s| gain > s.gain)
                    {
                        // Without missing values in training, a missing value
                        // later follows the larger side.
                        let ml = if has_missing { missing_left } else { nl >= nr };
                        best = Some(Split {
                            feature: f,
                            bin: b,
                            missing_left: ml,
                            gain,
                        });
                    }
                }
            }
        }
        best
    }

    /// [`Self::best_split`] for one output and the squared criterion (boosting,
    /// regression trees): the same scan on scalars, its hottest loop.
    fn best_split_one(&self, hist: &Hist, totals: &[f64]) -> Option<Split> {
        let scan = |slot: usize| self.scan_one(hist, slot, totals);
        let per_feature: Vec<Option<Split>> = if hist.features.len() >= 8 {
            (0..hist.features.len()).into_par_iter().map(scan).collect()
        } else {
            (0..hist.features.len()).map(scan).collect()
        };
        // The best gain; on ties the first feature, as a sequential scan would.
        let mut best: Option<Split> = None;
        for s in per_feature.into_iter().flatten() {
            if best.as_ref().is_none_or(|b| s.gain > b.gain) {
                best = Some(s);
            }
        }
        best
    }

    /// The best split of one feature's histogram (one output, squared criterion).
    fn scan_one(&self, hist: &Hist, slot: usize, totals: &[f64]) -> Option<Split> {
        let p = self.p;
        let (st, ht, nt) = (totals[0], totals[1], totals[2]);
        let l2 = p.l2;
        let score = |s: f64, h: f64| if h + l2 > 0.0 { s * s / (h + l2) } else { 0.0 };
        let parent = score(st, ht);
        let min_n = p.min_samples_leaf.max(1) as f64;
        let mut best: Option<Split> = None;
        let mut best_gain = 1e-12 * parent.abs().max(1e-300);
        let f = hist.features[slot];
        let h = &hist.data[slot * 768..(slot + 1) * 768];
        let mb = MISSING_BIN as usize * 3;
        let (sm, hm, nm) = (h[mb], h[mb + 1], h[mb + 2]);
        let has_missing = nm > 0.0;
        let (mut sl, mut hl, mut nl) = (0.0, 0.0, 0.0);
        for b in 0..self.binned.bins(f).saturating_sub(1) {
            sl += h[b * 3];
            hl += h[b * 3 + 1];
            nl += h[b * 3 + 2];
            for missing_left in [false, true] {
                let (s1, h1, n1) = if missing_left {
                    if !has_missing {
                        continue;
                    }
                    (sl + sm, hl + hm, nl + nm)
                } else {
                    (sl, hl, nl)
                };
                let (s2, h2, n2) = (st - s1, ht - h1, nt - n1);
                if n1 < min_n || n2 < min_n || h1 < p.min_hessian || h2 < p.min_hessian {
                    continue;
                }
                let gain = score(s1, h1) + score(s2, h2) - parent;
                if gain > best_gain {
                    best_gain = gain;
                    let ml = if has_missing { missing_left } else { n1 >= n2 };
                    best = Some(Split {
                        feature: f,
                        bin: b,
                        missing_left: ml,
                        gain,
                    });
                }
            }
        }
        best
    }

    /// Split `c` into two new nodes, partitioning its rows (stably).
    fn apply(&mut self, c: &Candidate) -> (Range<usize>, Range<usize>) {
        let s = &c.split;
        let codes = self.binned.column(s.feature);
        let goes_left = |r: u32| {
            let code = codes[r as usize];
            if code == MISSING_BIN {
                s.missing_left
            } else {
                code as usize <= s.bin
            }
        };
        let slice = &mut self.rows[c.range.clone()];
        let mut right: Vec<u32> = Vec::new();
        let mut k = 0;
        for i in 0..slice.len() {
            let r = slice[i];
            if goes_left(r) {
                slice[k] = r;
                k += 1;
            } else {
                right.push(r);
            }
        }
        slice[k..].copy_from_slice(&right);
        let mid = c.range.start + k;
        let (l, r) = (c.range.start..mid, mid..c.range.end);
        // Count the smaller child's totals; the larger's are the parent's minus those.
        let w = self.stats.m + 2;
        let parent = &self.totals[c.node * w..(c.node + 1) * w];
        let (lt, rt) = if l.len() <= r.len() {
            let lt = self.totals(&l);
            let rt: Vec<f64> = parent.iter().zip(&lt).map(|(a, b)| a - b).collect();
            (lt, rt)
        } else {
            let rt = self.totals(&r);
            let lt: Vec<f64> = parent.iter().zip(&rt).map(|(a, b)| a - b).collect();
            (lt, rt)
        };
        let ln = self.add_node(&lt);
        let rn = self.add_node(&rt);
        let t = &mut self.tree;
        t.feature[c.node] = s.feature as u32;
        t.threshold[c.node] = self.binned.edges[s.feature][s.bin];
        t.missing_left[c.node] = s.missing_left;
        self.bins[c.node] = s.bin as u8;
        t.left[c.node] = ln as u32;
        t.right[c.node] = rn as u32;
        (l, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::hist::rng_for;
    use crate::train::matrix::Matrix;

    /// A tree read from the binned codes sends every row, missing values
    /// included, to the leaf its raw values reach.
    #[test]
    fn binned_traversal_finds_the_raw_rows_leaf() {
        let (rows, cols) = (600, 3);
        let mut rng = rng_for(7, 0);
        let mut data = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            for c in 0..cols {
                let v: f64 = rng.r#gen::<f64>() * 10.0 - 5.0;
                // Missing values in column 1, ties in column 2.
                data.push(match c {
                    1 if r % 7 == 0 => f64::NAN,
                    2 => v.round(),
                    _ => v,
                });
            }
        }
        let x = Matrix { rows, cols, data };
        let s: Vec<f64> = (0..rows)
            .map(|r| x.row(r)[0].sin() + if x.row(r)[1].is_nan() { 2.0 } else { 0.0 })
            .collect();
        let h = vec![1.0; rows];
        let binned = Binned::new(&x, 32);
        let p = TreeParams {
            max_depth: 6,
            max_leaves: 0,
            min_samples_split: 2,
            min_samples_leaf: 3,
            min_hessian: 0.0,
            l2: 0.0,
            max_features: 0,
            criterion: Criterion::Squared,
        };
        let stats = Stats { m: 1, s: &s, h: &h };
        let g = grow(
            &binned,
            &stats,
            (0..rows as u32).collect(),
            &[0, 1, 2],
            &p,
            1.0,
            &mut rng,
        );
        assert!(g.tree.leaves() > 8, "a tree worth checking");
        for r in 0..rows {
            assert_eq!(
                g.binned_leaf_value(&binned, r),
                g.tree.leaf_value(x.row(r)),
                "row {r}"
            );
        }
    }
}
