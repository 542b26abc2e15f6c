//! Brute-force k-nearest neighbours, blocked: the Euclidean distances of a
//! block of queries to a block of training rows come from one matrix product
//! (`|q|² + |x|² − 2·q·xᵀ`, ndarray's GEMM), Manhattan distances from a plain
//! loop over the same blocks; each query keeps its k best in a small sorted
//! buffer, and query blocks run in parallel. This is scikit-learn's
//! `algorithm="brute"`. Ties in distance go to the earlier training row, so
//! answers never depend on the thread count. The model is its training rows
//! (plain data); k above the row count uses every row.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis, Slice};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::train::matrix::Matrix;

/// How neighbours vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    Uniform,
    /// By inverse distance; neighbours at distance 0 take the whole vote.
    Distance,
}

/// Distance between rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Euclidean,
    Manhattan,
}

/// What the neighbours carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnTarget {
    /// Class index per row and the class count.
    Classes {
        y: Vec<usize>,
        n_classes: usize,
    },
    Values(Vec<f64>),
}

/// A fitted k-NN model: the training rows themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knn {
    /// Neighbours used: the k asked for, at most the training rows.
    pub k: usize,
    pub weights: Weights,
    pub metric: Metric,
    pub cols: usize,
    /// Training rows, row-major.
    pub x: Vec<f64>,
    pub target: KnnTarget,
}

const QUERY_BLOCK: usize = 256;
/// Training rows per product: a 256 × 1024 block of f32 dot products (1 MiB)
/// stays in a core's L2 cache between the GEMM writing it and the scan reading
/// it. 4096 (4 MiB) went to memory and back and took 2.2× the time on
/// peer-bench's 80k × 20k; 512 was 5 % slower than 1024.
const TRAIN_BLOCK: usize = 1024;
/// Candidates kept per query beyond k before the exact distances decide.
const CANDIDATE_SLACK: usize = 16;

impl Knn {
    /// Keep the training rows; `k` above their count is capped to it.
    pub fn fit(
        x: &Matrix,
        target: KnnTarget,
        k: usize,
        weights: Weights,
        metric: Metric,
    ) -> Result<Self> {
        let n = match &target {
            KnnTarget::Classes { y, .. } => y.len(),
            KnnTarget::Values(v) => v.len(),
        };
        if x.rows == 0 {
            return Err(Error::usage("k-NN needs at least one training row"));
        }
        if n != x.rows {
            return Err(Error::internal(format!("{} rows but {n} targets", x.rows)));
        }
        if k == 0 {
            return Err(Error::usage("k-NN needs k of at least 1").field("k"));
        }
        check_present(x, "training")?;
        Ok(Self {
            k: k.min(x.rows),
            weights,
            metric,
            cols: x.cols,
            x: x.data.clone(),
            target,
        })
    }

    fn rows(&self) -> usize {
        self.x.len() / self.cols.max(1)
    }

    /// The k nearest training rows of every query row, nearest first: (distance, row).
    pub fn neighbours(&self, q: &Matrix) -> Result<Vec<Vec<(f64, u32)>>> {
        if q.cols != self.cols {
            return Err(Error::input(format!(
                "k-NN was fitted on {} features, not {}",
                self.cols, q.cols
            )));
        }
        check_present(q, "query")?;
        let (n, p) = (self.rows(), self.cols);
        // Candidates come from single-precision distances (the GEMM runs twice as
        // wide); their exact distances are then recomputed in f64 from the
        // differences, and the k best kept. Rows within f32 rounding of the k-th
        // are all among the extra candidates unless more than CANDIDATE_SLACK tie.
        let keep = (self.k + CANDIDATE_SLACK).min(n);
        let x32: Vec<f32> = self.x.iter().map(|&v| v as f32).collect();
        let train = ArrayView2::from_shape((n, p), &x32)
            .map_err(|e| Error::internal(format!("k-NN training rows: {e}")))?;
        let norms: Vec<f32> = (0..n)
            .map(|r| squared_norm(&self.x[r * p..(r + 1) * p]) as f32)
            .collect();
        let blocks: Vec<Vec<Vec<(f64, u32)>>> = (0..q.rows.div_ceil(QUERY_BLOCK))
            .into_par_iter()
            .map(|b| {
                let lo = b * QUERY_BLOCK;
                let hi = (lo + QUERY_BLOCK).min(q.rows);
                let qrow = |i: usize| &q.data[(lo + i) * p..(lo + i + 1) * p];
                let mut best: Vec<Vec<(f32, u32)>> = vec![Vec::with_capacity(keep + 1); hi - lo];
                match self.metric {
                    Metric::Euclidean => {
                        let q32: Vec<f32> =
                            q.data[lo * p..hi * p].iter().map(|&v| v as f32).collect();
                        let qb = ArrayView2::from_shape((hi - lo, p), &q32[..]).ok();
                        let qn: Vec<f32> =
                            (0..hi - lo).map(|i| squared_norm(qrow(i)) as f32).collect();
                        let mut dots = Array2::<f32>::zeros((hi - lo, TRAIN_BLOCK.min(n)));
                        for t0 in (0..n).step_by(TRAIN_BLOCK) {
                            let t1 = (t0 + TRAIN_BLOCK).min(n);
                            let tb = train.slice_axis(Axis(0), Slice::from(t0..t1));
                            let mut d = dots.slice_axis_mut(Axis(1), Slice::from(0..t1 - t0));
                            // d = −2·q·xᵀ, so that |q − x|² = |q|² + |x|² + d.
                            if let Some(qb) = &qb {
                                general_mat_mul(-2.0, qb, &tb.t(), 0.0, &mut d);
                            }
                            for (i, row) in d.outer_iter().enumerate() {
                                // Rows of the block are contiguous; copy if ever not.
                                let owned;
                                let dots = match row.as_slice() {
                                    Some(s) => s,
                                    None => {
                                        owned = row.to_vec();
                                        &owned[..]
                                    }
                                };
                                scan(&mut best[i], keep, qn[i], dots, &norms[t0..t1], t0);
                            }
                        }
                    }
                    Metric::Manhattan => {
                        for (i, heap) in best.iter_mut().enumerate() {
                            let qr = qrow(i);
                            let mut worst = f64::INFINITY;
                            for r in 0..n {
                                let tr = &self.x[r * p..(r + 1) * p];
                                let d: f64 = qr.iter().zip(tr).map(|(a, b)| (a - b).abs()).sum();
                                if d <= worst {
                                    push(heap, keep, d as f32, r as u32);
                                    if heap.len() == keep {
                                        worst = f64::from(heap[keep - 1].0) * (1.0 + 1e-6);
                                    }
                                }
                            }
                        }
                    }
                }
                // Exact distances of the candidates, the k best by (distance, row).
                best.iter()
                    .enumerate()
                    .map(|(i, cands)| {
                        let qr = qrow(i);
                        let mut exact: Vec<(f64, u32)> = cands
                            .iter()
                            .map(|&(_, r)| {
                                let tr = &self.x[r as usize * p..(r as usize + 1) * p];
                                (self.distance(qr, tr), r)
                            })
                            .collect();
                        exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                        exact.truncate(self.k);
                        exact
                    })
                    .collect()
            })
            .collect();
        Ok(blocks.into_iter().flatten().collect())
    }

    fn distance(&self, a: &[f64], b: &[f64]) -> f64 {
        match self.metric {
            Metric::Euclidean => a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f64>()
                .sqrt(),
            Metric::Manhattan => a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum(),
        }
    }

    /// Per query: class probabilities (`n_classes` each) or the predicted value.
    pub fn predict(&self, q: &Matrix) -> Result<Vec<f64>> {
        let neighbours = self.neighbours(q)?;
        let mut out = Vec::new();
        for nb in &neighbours {
            let w = vote_weights(self.weights, nb);
            match &self.target {
                KnnTarget::Classes { y, n_classes } => {
                    let mut p = vec![0.0; *n_classes];
                    for (&(_, r), wi) in nb.iter().zip(&w) {
                        if let Some(slot) = p.get_mut(y[r as usize]) {
                            *slot += wi;
                        }
                    }
                    let total: f64 = p.iter().sum();
                    out.extend(p.iter().map(|v| v / total.max(1e-300)));
                }
                KnnTarget::Values(v) => {
                    let total: f64 = w.iter().sum();
                    let s: f64 = nb
                        .iter()
                        .zip(&w)
                        .map(|(&(_, r), wi)| wi * v[r as usize])
                        .sum();
                    out.push(s / total.max(1e-300));
                }
            }
        }
        Ok(out)
    }
}

/// Distances with a missing value are undefined: refuse them, naming the column.
fn check_present(x: &Matrix, what: &str) -> Result<()> {
    match x.data.iter().position(|v| v.is_nan()) {
        None => Ok(()),
        Some(i) => Err(Error::input(format!(
            "k-NN cannot measure distances with missing values: {what} row {} has none in feature {}",
            i / x.cols.max(1) + 1,
            i % x.cols.max(1) + 1
        ))
        .hint("impute missing values (the default preprocessing does) or use a tree learner")),
    }
}

fn squared_norm(row: &[f64]) -> f64 {
    row.iter().map(|v| v * v).sum()
}

/// Offer the training rows `first..` (their dot products with the query and
/// squared norms) to a query's buffer of its `keep` best. Most rows are
/// rejected: a block of them is first checked at once (a loop the compiler
/// vectorises), and only a block holding a candidate is walked row by row.
fn scan(
    heap: &mut Vec<(f32, u32)>,
    keep: usize,
    qn: f32,
    dots: &[f32],
    norms: &[f32],
    first: usize,
) {
    const LANES: usize = 16;
    let mut worst = bound(heap, keep);
    for (b, (dc, nc)) in dots.chunks(LANES).zip(norms.chunks(LANES)).enumerate() {
        let mut any = false;
        for (&dot, &xn) in dc.iter().zip(nc) {
            any |= qn + xn + dot <= worst;
        }
        if !any {
            continue;
        }
        for (j, (&dot, &xn)) in dc.iter().zip(nc).enumerate() {
            let d2 = qn + xn + dot;
            if d2 <= worst {
                push(heap, keep, d2, (first + b * LANES + j) as u32);
                worst = bound(heap, keep);
            }
        }
    }
}

/// Largest distance still worth a look: the k-th best so far (inclusive,
/// as a tie may still win on its row number), or infinity while not full.
fn bound(heap: &[(f32, u32)], k: usize) -> f32 {
    if heap.len() < k {
        f32::INFINITY
    } else {
        heap[k - 1].0
    }
}

/// Insert (d, r) into a buffer of the k best, sorted by (distance, row).
fn push(heap: &mut Vec<(f32, u32)>, k: usize, d: f32, r: u32) {
    if heap.len() == k {
        let worst = heap[k - 1];
        if d > worst.0 || (d == worst.0 && r > worst.1) {
            return;
        }
        heap.pop();
    }
    let at = heap.partition_point(|&(hd, hr)| hd < d || (hd == d && hr < r));
    heap.insert(at, (d, r));
}

fn vote_weights(weights: Weights, nb: &[(f64, u32)]) -> Vec<f64> {
    match weights {
        Weights::Uniform => vec![1.0; nb.len()],
        Weights::Distance => {
            if nb.iter().any(|&(d, _)| d == 0.0) {
                nb.iter()
                    .map(|&(d, _)| f64::from(u8::from(d == 0.0)))
                    .collect()
            } else {
                nb.iter().map(|&(d, _)| 1.0 / d).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: usize, cols: usize, data: &[f64]) -> Matrix {
        Matrix {
            rows,
            cols,
            data: data.to_vec(),
        }
    }

    #[test]
    fn ties_go_to_the_earlier_row_and_k_is_capped() {
        let x = m(4, 1, &[1.0, -1.0, 1.0, 5.0]);
        let t = KnnTarget::Classes {
            y: vec![0, 1, 1, 0],
            n_classes: 2,
        };
        let knn = Knn::fit(&x, t.clone(), 2, Weights::Uniform, Metric::Euclidean).unwrap();
        let nb = knn.neighbours(&m(1, 1, &[0.0])).unwrap();
        assert_eq!(nb[0], vec![(1.0, 0), (1.0, 1)]);
        let all = Knn::fit(&x, t, 10, Weights::Uniform, Metric::Manhattan).unwrap();
        assert_eq!(all.k, 4);
        assert_eq!(all.predict(&m(1, 1, &[0.0])).unwrap(), vec![0.5, 0.5]);
    }

    #[test]
    fn distance_weights_give_an_exact_match_the_whole_vote() {
        let x = m(3, 2, &[0.0, 0.0, 3.0, 4.0, 6.0, 8.0]);
        let knn = Knn::fit(
            &x,
            KnnTarget::Values(vec![1.0, 2.0, 4.0]),
            3,
            Weights::Distance,
            Metric::Euclidean,
        )
        .unwrap();
        assert_eq!(knn.predict(&m(1, 2, &[3.0, 4.0])).unwrap(), vec![2.0]);
        // Distances 5 and 5 from (3, 4)±: weights equal.
        let p = knn.predict(&m(1, 2, &[3.0, 4.0 + 1e-9])).unwrap();
        assert!((p[0] - 2.0).abs() < 1e-6);
    }
}
