//! Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent
//! individualized feature attribution for tree ensembles", algorithm 2) over
//! one [`Tree`]. The expectation of the tree's output given a subset of the
//! features is taken along the tree itself: where the row's feature is
//! unknown, both branches are followed in proportion to their training
//! weight (the node covers). Walking the tree once with the "unique path" of
//! features met so far gives every feature's Shapley value in
//! O(leaves × depth²). A row whose feature is missing takes the branch the
//! tree learned for missing values, as prediction does.

use crate::train::hist::tree::Tree;

/// One feature on the path from the root: the share of the weight that
/// flows through when the feature is unknown (`zero`) and known (`one`),
/// and the permutation weight of subsets of the path's size.
#[derive(Debug, Clone, Copy, Default)]
struct Elem {
    feature: u32,
    zero: f64,
    one: f64,
    w: f64,
}

/// The root's placeholder on the path (no feature).
const NO_FEATURE: u32 = u32::MAX;

/// A tree ready to be explained: its depth (for the path buffer) and its
/// expected output (the cover-weighted mean of its leaves).
pub struct Explainer<'a> {
    tree: &'a Tree,
    depth: usize,
    expected: Vec<f64>,
    /// `inv[k]` = 1/k for every path length the walk meets.
    inv: Vec<f64>,
}

impl<'a> Explainer<'a> {
    /// `tree` must have node covers ([`Tree::has_cover`]).
    pub fn new(tree: &'a Tree) -> Self {
        let n = tree.left.len();
        let m = tree.outputs;
        let mut depth = vec![0usize; n];
        let mut expected = vec![0.0; m];
        let root = tree.cover.first().copied().unwrap_or(0.0);
        for node in 0..n {
            let (l, r) = (tree.left[node] as usize, tree.right[node] as usize);
            if l == 0 {
                if root > 0.0 {
                    let share = tree.cover[node] / root;
                    for (e, v) in expected
                        .iter_mut()
                        .zip(&tree.value[node * m..(node + 1) * m])
                    {
                        *e += share * v;
                    }
                }
            } else {
                depth[l] = depth[node] + 1;
                depth[r] = depth[node] + 1;
            }
        }
        let depth = depth.into_iter().max().unwrap_or(0);
        Explainer {
            tree,
            depth,
            expected,
            inv: (0..depth + 4).map(|k| 1.0 / k.max(1) as f64).collect(),
        }
    }

    /// The tree's expected output over its training weight (one per output).
    pub fn expected(&self) -> &[f64] {
        &self.expected
    }

    /// Add `scale` × the SHAP values of `row` to `phi` (features × outputs,
    /// row-major): Σ phi + expected = the leaf output `row` reaches.
    pub fn add(&self, row: &[f64], scale: f64, phi: &mut [f64], scratch: &mut Scratch) {
        // Each level of the walk keeps its own copy of the path (≤ depth + 2 long).
        let need = (self.depth + 2) * (self.depth + 3) / 2;
        if scratch.0.len() < need {
            scratch.0.resize(need, Elem::default());
        }
        self.recurse(
            0,
            row,
            scale,
            phi,
            &[],
            &mut scratch.0,
            1.0,
            1.0,
            NO_FEATURE,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &self,
        node: usize,
        row: &[f64],
        scale: f64,
        phi: &mut [f64],
        parent: &[Elem],
        buf: &mut [Elem],
        zero: f64,
        one: f64,
        feature: u32,
    ) {
        let t = self.tree;
        let mut d = parent.len();
        let (path, rest) = buf.split_at_mut(d + 1);
        path[..d].copy_from_slice(parent);
        extend(path, d, zero, one, feature, &self.inv);
        if t.left[node] == 0 {
            let m = t.outputs;
            let value = &t.value[node * m..(node + 1) * m];
            // `one` is 1 on the row's own path and 0 off it; off it, the
            // unwound sum is one shared sum over the path divided by `zero`
            // (computed once per leaf, as Fast TreeSHAP v1 does).
            let mut shared: Option<f64> = None;
            for i in 1..=d {
                let e = path[i];
                let w = if e.one != 0.0 {
                    unwound_sum(path, d, i, &self.inv)
                } else {
                    let s = *shared.get_or_insert_with(|| off_path_sum(path, d, &self.inv));
                    s * (d + 1) as f64 / e.zero
                };
                let f = w * (e.one - e.zero) * scale;
                let dst = &mut phi[e.feature as usize * m..(e.feature as usize + 1) * m];
                for (a, v) in dst.iter_mut().zip(value) {
                    *a += f * v;
                }
            }
            return;
        }
        let f = t.feature[node];
        let x = row.get(f as usize).copied().unwrap_or(f64::NAN);
        let go_left = if x.is_nan() {
            t.missing_left[node]
        } else {
            x <= t.threshold[node]
        };
        let (l, r) = (t.left[node] as usize, t.right[node] as usize);
        let (hot, cold) = if go_left { (l, r) } else { (r, l) };
        let cover = t.cover[node];
        let (mut in_zero, mut in_one) = (1.0, 1.0);
        // A feature met again on the path: undo its first split's share.
        if let Some(k) = (1..=d).find(|&k| path[k].feature == f) {
            in_zero = path[k].zero;
            in_one = path[k].one;
            unwind(path, d, k, &self.inv);
            d -= 1;
        }
        let path = &path[..=d];
        self.recurse(
            hot,
            row,
            scale,
            phi,
            path,
            rest,
            t.cover[hot] / cover * in_zero,
            in_one,
            f,
        );
        let cold_zero = t.cover[cold] / cover * in_zero;
        // A branch with no training weight adds nothing when the feature is unknown.
        if cold_zero > 0.0 {
            self.recurse(cold, row, scale, phi, path, rest, cold_zero, 0.0, f);
        }
    }
}

/// The path buffers of [`Explainer::add`], reused across rows and trees (one per thread).
#[derive(Default)]
pub struct Scratch(Vec<Elem>);

// The walk's arithmetic divides by small integers and by the path's
// fractions; it multiplies by reciprocals instead (`inv[k]` = 1/k), which
// takes the divisions off the loops' dependency chains. The values differ
// from a dividing implementation's in the last bits only.

/// Append a feature to the path of `d` elements and update the permutation weights.
fn extend(p: &mut [Elem], d: usize, zero: f64, one: f64, feature: u32, inv: &[f64]) {
    let p = &mut p[..=d];
    p[d] = Elem {
        feature,
        zero,
        one,
        w: if d == 0 { 1.0 } else { 0.0 },
    };
    let inv_n = inv[d + 1];
    let (one, zero) = (one * inv_n, zero * inv_n);
    for i in (0..d).rev() {
        let w = p[i].w;
        p[i + 1].w += one * w * (i + 1) as f64;
        p[i].w = zero * w * (d - i) as f64;
    }
}

/// Remove element `k` from the path of `d + 1` elements (the inverse of [`extend`]).
fn unwind(p: &mut [Elem], d: usize, k: usize, inv: &[f64]) {
    let p = &mut p[..=d];
    let (one, zero) = (p[k].one, p[k].zero);
    let n = (d + 1) as f64;
    if one != 0.0 {
        let (a, b) = (n / one, zero * inv[d + 1]);
        let mut next = p[d].w;
        for i in (0..d).rev() {
            let t = p[i].w;
            let w = next * a * inv[i + 1];
            p[i].w = w;
            next = t - w * b * (d - i) as f64;
        }
    } else {
        let a = n / zero;
        for i in 0..d {
            p[i].w *= a * inv[d - i];
        }
    }
    for i in k..d {
        p[i].feature = p[i + 1].feature;
        p[i].zero = p[i + 1].zero;
        p[i].one = p[i + 1].one;
    }
}

/// The total permutation weight of the path with element `k` removed.
fn unwound_sum(p: &[Elem], d: usize, k: usize, inv: &[f64]) -> f64 {
    let p = &p[..=d];
    let (one, zero) = (p[k].one, p[k].zero);
    let n = (d + 1) as f64;
    let mut total = 0.0;
    if one != 0.0 {
        let (a, b) = (n / one, zero * inv[d + 1]);
        let mut next = p[d].w;
        for i in (0..d).rev() {
            let t = next * a * inv[i + 1];
            total += t;
            next = p[i].w - t * b * (d - i) as f64;
        }
    } else {
        total = off_path_sum(p, d, inv) * n / zero;
    }
    total
}

/// Σ w[i] / (d − i) over the path: an off-path element's unwound sum times its `zero` / (d + 1).
fn off_path_sum(p: &[Elem], d: usize, inv: &[f64]) -> f64 {
    p[..d]
        .iter()
        .enumerate()
        .map(|(i, e)| e.w * inv[d - i])
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapley values by their definition: every subset of the features,
    /// with the tree's expectation over the unknown ones.
    fn brute_force(t: &Tree, row: &[f64], features: usize) -> Vec<f64> {
        fn cond(t: &Tree, node: usize, row: &[f64], known: u32) -> f64 {
            if t.left[node] == 0 {
                return t.value[node];
            }
            let f = t.feature[node] as usize;
            let (l, r) = (t.left[node] as usize, t.right[node] as usize);
            if known & (1 << f) != 0 {
                let x = row[f];
                let left = if x.is_nan() {
                    t.missing_left[node]
                } else {
                    x <= t.threshold[node]
                };
                cond(t, if left { l } else { r }, row, known)
            } else {
                (t.cover[l] * cond(t, l, row, known) + t.cover[r] * cond(t, r, row, known))
                    / t.cover[node]
            }
        }
        let fact = |n: usize| (1..=n).map(|v| v as f64).product::<f64>();
        let mut phi = vec![0.0; features];
        for (i, p) in phi.iter_mut().enumerate() {
            for s in 0u32..(1 << features) {
                if s & (1 << i) != 0 {
                    continue;
                }
                let size = s.count_ones() as usize;
                let w = fact(size) * fact(features - size - 1) / fact(features);
                *p += w * (cond(t, 0, row, s | (1 << i)) - cond(t, 0, row, s));
            }
        }
        phi
    }

    /// A depth-3 tree that splits twice on feature 0, with a missing-value
    /// direction and uneven covers.
    fn tree() -> Tree {
        // 0: f0 <= 0.5 → 1, 2;  1: f1 <= 1 → 3, 4;  2: f0 <= 2 → 5, 6;
        // 4: f2 <= 0 → 7, 8
        Tree {
            outputs: 1,
            feature: vec![0, 1, 0, 0, 2, 0, 0, 0, 0],
            threshold: vec![0.5, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            missing_left: vec![false, true, false, false, true, false, false, false, false],
            left: vec![1, 3, 5, 0, 7, 0, 0, 0, 0],
            right: vec![2, 4, 6, 0, 8, 0, 0, 0, 0],
            value: vec![0.0, 0.0, 0.0, 1.0, 0.0, -2.0, 3.0, 5.0, 0.5],
            cover: vec![100.0, 60.0, 40.0, 25.0, 35.0, 30.0, 10.0, 5.0, 30.0],
        }
    }

    #[test]
    fn matches_the_shapley_definition_and_adds_up() {
        let t = tree();
        assert!(t.has_cover());
        let e = Explainer::new(&t);
        let mut scratch = Scratch::default();
        for row in [
            [0.0, 0.0, 0.0],
            [0.0, 2.0, 1.0],
            [0.0, 2.0, -1.0],
            [1.0, 0.0, 0.0],
            [3.0, 5.0, 5.0],
            [0.0, f64::NAN, 1.0],
            [f64::NAN, 0.0, 0.0],
        ] {
            let mut phi = vec![0.0; 3];
            e.add(&row, 1.0, &mut phi, &mut scratch);
            let want = brute_force(&t, &row, 3);
            for (a, b) in phi.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "{row:?}: {phi:?} vs {want:?}");
            }
            let total: f64 = phi.iter().sum::<f64>() + e.expected()[0];
            assert!((total - t.leaf_value(&row)[0]).abs() < 1e-12, "{row:?}");
        }
    }
}
