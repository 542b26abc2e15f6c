//! L2-penalised logistic regression, binary and multinomial, fitted by a focused L-BFGS.
//!
//! The objective is scikit-learn's `LogisticRegression(solver="lbfgs")`: the mean log-loss plus
//! `‖W‖² / (2·C·n)`, the intercepts unpenalised; it stops when the largest gradient component is
//! at most `tol`, or when an iteration lowers the objective by less than 64 machine epsilons
//! (relative), or after `max_iter` iterations — scipy's L-BFGS-B stopping rules as scikit-learn
//! sets them. The data are the train step's standardised features.
//!
//! Why not linfa-logistic: it minimises the summed loss through argmin, which evaluates the loss
//! and the gradient in separate passes and recomputes the gradient after each line search (about
//! five passes over the rows per iteration). Here one pass gives loss and gradient together, the
//! unit step is accepted in most iterations, and the rows are summed in fixed blocks on rayon, so
//! the result does not depend on the thread count. There is no warm start: every fit starts at
//! zero, so a grid's results do not depend on the order its jobs run in.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::train::matrix::Matrix;

/// Rows per block of the gradient sum: fixed, so sums do not depend on the thread count.
const BLOCK: usize = 2048;
/// Corrections L-BFGS keeps (scipy's default).
const MEMORY: usize = 10;
/// Most trial steps of one line search (scikit-learn's `maxls`).
const MAX_LINE_SEARCH: usize = 50;

/// A fitted logistic regression: `coef` is `outputs × (cols + 1)`, row-major, the intercept
/// last in each row. Binary models have one output (the log-odds of class 1); multiclass
/// models one per class (softmax).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub n_classes: usize,
    pub cols: usize,
    pub coef: Vec<f64>,
    /// L-BFGS iterations the fit took.
    pub iterations: usize,
}

/// Fit settings, as scikit-learn names them.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Inverse regularisation strength.
    pub c: f64,
    pub max_iter: usize,
    pub tol: f64,
}

impl Logistic {
    /// Fit on `x` (rows × cols) and class indices `y` in `0..n_classes` (`n_classes ≥ 2`).
    pub fn fit(x: &Matrix, y: &[usize], n_classes: usize, s: Settings) -> Logistic {
        let outputs = if n_classes <= 2 { 1 } else { n_classes };
        let problem = Problem {
            x,
            y,
            outputs,
            l2: 1.0 / (s.c * x.rows.max(1) as f64),
        };
        let (coef, iterations) = lbfgs(&problem, s.max_iter, s.tol);
        Logistic {
            n_classes: n_classes.max(2),
            cols: x.cols,
            coef,
            iterations,
        }
    }

    /// Class probabilities, rows × `n_classes`, row-major.
    pub fn predict_proba(&self, x: &Matrix) -> Vec<f64> {
        let k = self.n_classes;
        let outputs = self.coef.len() / (self.cols + 1).max(1);
        let mut out = vec![0.0; x.rows * k];
        let mut z = vec![0.0; outputs];
        for r in 0..x.rows {
            scores(&self.coef, x.row(r), &mut z);
            let p = &mut out[r * k..(r + 1) * k];
            if outputs == 1 {
                let p1 = sigmoid(z[0]);
                p[0] = 1.0 - p1;
                p[1] = p1;
            } else {
                softmax(&z, &mut p[..outputs]);
            }
        }
        out
    }
}

/// The objective over one data set.
struct Problem<'a> {
    x: &'a Matrix,
    y: &'a [usize],
    outputs: usize,
    l2: f64,
}

impl Problem<'_> {
    fn dim(&self) -> usize {
        self.outputs * (self.x.cols + 1)
    }

    /// The objective and its gradient at `w`, in one pass over the rows.
    fn eval(&self, w: &[f64], grad: &mut [f64]) -> f64 {
        let (cols, outputs) = (self.x.cols, self.outputs);
        let dim = self.dim();
        let n = self.x.rows;
        let blocks: Vec<(f64, Vec<f64>)> = (0..n.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| {
                let mut g = vec![0.0; dim];
                let mut loss = 0.0;
                let mut z = vec![0.0; outputs];
                let mut p = vec![0.0; outputs];
                for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                    let row = self.x.row(i);
                    let yi = self.y[i];
                    scores(w, row, &mut z);
                    if outputs == 1 {
                        // log(1 + e^z) - y·z, stably.
                        let zi = z[0];
                        let t = if yi == 1 { 1.0 } else { 0.0 };
                        loss += softplus(zi) - t * zi;
                        p[0] = sigmoid(zi) - t;
                    } else {
                        softmax(&z, &mut p);
                        loss -= p[yi].max(f64::MIN_POSITIVE).ln();
                        p[yi] -= 1.0;
                    }
                    for (o, &r) in p.iter().enumerate() {
                        let go = &mut g[o * (cols + 1)..(o + 1) * (cols + 1)];
                        for (gj, &xj) in go[..cols].iter_mut().zip(row) {
                            *gj += r * xj;
                        }
                        go[cols] += r;
                    }
                }
                (loss, g)
            })
            .collect();
        let n = self.x.rows.max(1) as f64;
        grad.fill(0.0);
        let mut loss = 0.0;
        for (l, g) in &blocks {
            loss += l;
            for (a, b) in grad.iter_mut().zip(g) {
                *a += b;
            }
        }
        loss /= n;
        for v in grad.iter_mut() {
            *v /= n;
        }
        for o in 0..outputs {
            let base = o * (cols + 1);
            for j in 0..cols {
                let wj = w[base + j];
                loss += 0.5 * self.l2 * wj * wj;
                grad[base + j] += self.l2 * wj;
            }
        }
        loss
    }
}

/// `z[o] = w_o · row + b_o` for each output.
fn scores(w: &[f64], row: &[f64], z: &mut [f64]) {
    let cols = row.len();
    for (o, zo) in z.iter_mut().enumerate() {
        let wo = &w[o * (cols + 1)..(o + 1) * (cols + 1)];
        *zo = wo[..cols].iter().zip(row).map(|(a, b)| a * b).sum::<f64>() + wo[cols];
    }
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

fn softmax(z: &[f64], p: &mut [f64]) {
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (pi, &zi) in p.iter_mut().zip(z) {
        *pi = (zi - m).exp();
        sum += *pi;
    }
    for pi in p.iter_mut() {
        *pi /= sum;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Minimise the problem from zero; returns the weights and the iterations taken.
fn lbfgs(problem: &Problem<'_>, max_iter: usize, tol: f64) -> (Vec<f64>, usize) {
    let dim = problem.dim();
    let mut w = vec![0.0; dim];
    let mut g = vec![0.0; dim];
    let mut f = problem.eval(&w, &mut g);
    // Corrections (s, y, 1/s·y), oldest first.
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::with_capacity(MEMORY);
    let mut d = vec![0.0; dim];
    let mut w_new = vec![0.0; dim];
    let mut g_new = vec![0.0; dim];
    let mut iterations = 0;
    while iterations < max_iter && inf_norm(&g) > tol {
        iterations += 1;
        direction(&history, &g, &mut d);
        let mut slope = dot(&g, &d);
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction (rounding): restart from the gradient.
            history.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            slope = -dot(&g, &g);
        }
        // The first step is scaled to length one, as scipy does; later ones try the unit step.
        let mut step = if history.is_empty() {
            1.0 / dot(&d, &d).sqrt().max(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..MAX_LINE_SEARCH {
            for ((wn, wi), di) in w_new.iter_mut().zip(&w).zip(&d) {
                *wn = wi + step * di;
            }
            let f_new = problem.eval(&w_new, &mut g_new);
            if f_new.is_finite() && f_new <= f + 1e-4 * step * slope {
                accepted = Some(f_new);
                break;
            }
            // Backtrack by the minimiser of the quadratic through f, the slope and f_new.
            let q = if f_new.is_finite() {
                -slope * step * step / (2.0 * (f_new - f - slope * step))
            } else {
                0.1 * step
            };
            step = q.clamp(0.1 * step, 0.5 * step);
        }
        let Some(f_new) = accepted else { break };
        let s: Vec<f64> = w_new.iter().zip(&w).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        if sy > 1e-10 * dot(&yv, &yv) {
            if history.len() == MEMORY {
                history.remove(0);
            }
            history.push((s, yv, 1.0 / sy));
        }
        let reduction = (f - f_new) / f.abs().max(f_new.abs()).max(1.0);
        std::mem::swap(&mut w, &mut w_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;
        if reduction <= 64.0 * f64::EPSILON {
            break;
        }
    }
    (w, iterations)
}

/// The L-BFGS two-loop recursion: `d = -H·g`.
fn direction(history: &[(Vec<f64>, Vec<f64>, f64)], g: &[f64], d: &mut [f64]) {
    d.iter_mut().zip(g).for_each(|(di, gi)| *di = -gi);
    let mut alpha = vec![0.0; history.len()];
    for (i, (s, y, rho)) in history.iter().enumerate().rev() {
        alpha[i] = rho * dot(s, d);
        d.iter_mut()
            .zip(y)
            .for_each(|(di, yi)| *di -= alpha[i] * yi);
    }
    if let Some((s, y, _)) = history.last() {
        let gamma = dot(s, y) / dot(y, y);
        d.iter_mut().for_each(|di| *di *= gamma);
    }
    for (i, (s, y, rho)) in history.iter().enumerate() {
        let beta = rho * dot(y, d);
        d.iter_mut()
            .zip(s)
            .for_each(|(di, si)| *di += (alpha[i] - beta) * si);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[[f64; 2]]) -> Matrix {
        Matrix {
            rows: rows.len(),
            cols: 2,
            data: rows.iter().flatten().copied().collect(),
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let x = matrix(&[
            [0.5, -1.0],
            [1.5, 0.2],
            [-0.3, 0.8],
            [2.0, -0.4],
            [0.1, 0.1],
        ]);
        for (y, k) in [(vec![0, 1, 0, 1, 1], 1), (vec![0, 1, 2, 1, 0], 3)] {
            let p = Problem {
                x: &x,
                y: &y,
                outputs: k,
                l2: 0.3,
            };
            let w: Vec<f64> = (0..p.dim()).map(|i| 0.1 * i as f64 - 0.2).collect();
            let mut g = vec![0.0; p.dim()];
            p.eval(&w, &mut g);
            for i in 0..p.dim() {
                let (mut a, mut b) = (w.clone(), w.clone());
                a[i] += 1e-6;
                b[i] -= 1e-6;
                let mut scratch = vec![0.0; p.dim()];
                let fd = (p.eval(&a, &mut scratch) - p.eval(&b, &mut scratch)) / 2e-6;
                assert!((fd - g[i]).abs() < 1e-7, "component {i}: {fd} vs {}", g[i]);
            }
        }
    }

    /// Probabilities are a distribution, and a fit from zero is the same every time.
    #[test]
    fn fits_are_deterministic_distributions() {
        let x = matrix(&[
            [0.0, 1.0],
            [1.0, 0.0],
            [2.0, 1.0],
            [3.0, 0.0],
            [0.5, 2.0],
            [-1.0, 0.5],
        ]);
        let s = Settings {
            c: 1.0,
            max_iter: 100,
            tol: 1e-8,
        };
        for (y, k) in [(vec![0, 0, 1, 1, 0, 1], 2), (vec![0, 1, 2, 2, 0, 1], 3)] {
            let m = Logistic::fit(&x, &y, k, s);
            assert_eq!(m, Logistic::fit(&x, &y, k, s));
            let p = m.predict_proba(&x);
            for row in p.chunks(k) {
                assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{row:?}");
            }
        }
    }
}
