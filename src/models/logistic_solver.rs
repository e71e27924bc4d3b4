//! L2-penalised logistic regression (binary: one sigmoid; more classes:
//! the full multinomial softmax), as scikit-learn's LogisticRegression
//! defines it: mean log loss + ||W||^2 / (2 C n), intercept unpenalised.
//!
//! Solved by L-BFGS in standardised coordinates: the features are centred
//! and divided by their spread inside the fit and the penalty is rewritten
//! for those coordinates, so the optimum is exactly that of the raw
//! problem, but the solver sees a well-conditioned one (raw
//! breast-cancer features span 1e-3 to 4e3). The coefficients are mapped
//! back to the raw features at the end. Every loop is bounded: at most
//! `max_iter` iterations of at most `MAX_HALVINGS` line-search steps.

use ndarray::{Array1, Array2, ArrayView2, Axis};

/// History pairs kept by L-BFGS (scipy's default is 10).
const MEMORY: usize = 10;
const MAX_HALVINGS: usize = 60;
/// scipy's lbfgsb factr as scikit-learn sets it: relative reduction of f.
const FTOL: f64 = 64.0 * f64::EPSILON;

pub struct Problem<'a> {
    pub x: ArrayView2<'a, f64>,
    /// Class index per row, 0..n_outputs (binary: 0 or 1).
    pub y: &'a [usize],
    pub n_classes: usize,
    pub c: f64,
    pub fit_intercept: bool,
    pub max_iter: usize,
    pub tol: f64,
}

/// Coefficients on the raw features: one row per output (1 for binary).
#[derive(Debug)]
pub struct Solution {
    pub coef: Array2<f64>,
    pub intercept: Array1<f64>,
    /// Why the solver stopped short of `tol`, if it did.
    pub warning: Option<String>,
}

/// The objective in standardised coordinates.
struct Objective {
    z: Array2<f64>,
    /// One-hot targets (n x outputs).
    targets: Array2<f64>,
    /// Penalty weight per coordinate: 1 / (C n spread^2).
    penalty: Array1<f64>,
    outputs: usize,
    fit_intercept: bool,
}

pub fn solve(p: &Problem) -> Result<Solution, String> {
    let (n, d) = p.x.dim();
    if let Some(v) = p.x.iter().find(|v| !v.is_finite()) {
        return Err(format!(
            "logistic_regression needs finite features, got {v} (impute missing values in [preprocess])"
        ));
    }
    let outputs = if p.n_classes == 2 { 1 } else { p.n_classes };
    let (centre, spread) = standardisation(p.x, p.fit_intercept, p.c);
    let mut z = p.x.to_owned();
    for j in 0..d {
        z.column_mut(j)
            .mapv_inplace(|v| (v - centre[j]) / spread[j]);
    }
    let mut targets = Array2::zeros((n, outputs));
    for (i, &class) in p.y.iter().enumerate() {
        if outputs == 1 {
            targets[[i, 0]] = class as f64;
        } else {
            targets[[i, class]] = 1.0;
        }
    }
    let penalty = spread.mapv(|s| 1.0 / (p.c * n as f64 * s * s));
    let objective = Objective {
        z,
        targets,
        penalty,
        outputs,
        fit_intercept: p.fit_intercept,
    };
    let (theta, warning) = lbfgs(&objective, outputs * (d + 1), p.max_iter, p.tol);
    let (v, c) = objective.unpack(&theta);
    // Back to raw features: w = v / spread, b = c - w . centre.
    let coef = &v / &spread.view().insert_axis(Axis(0));
    let intercept = &c - &coef.dot(&centre);
    if coef.iter().chain(intercept.iter()).any(|v| !v.is_finite()) {
        return Err("logistic_regression: the solver diverged (non-finite coefficients): scale the features".into());
    }
    Ok(Solution {
        coef,
        intercept,
        warning,
    })
}

/// Centre (0 without an intercept, which centring would add implicitly)
/// and spread per feature. The spread balances the two parts of the
/// Hessian's diagonal, the data's (at most var / 4) and the penalty's
/// (1 / (C n)), so both weak and strong penalties are well conditioned.
fn standardisation(x: ArrayView2<f64>, centre_it: bool, c: f64) -> (Array1<f64>, Array1<f64>) {
    let n = x.nrows() as f64;
    let mean = x.sum_axis(Axis(0)) / n;
    let centre = if centre_it {
        mean.mapv(|m| if m.is_finite() { m } else { 0.0 })
    } else {
        Array1::zeros(x.ncols())
    };
    let spread = x
        .axis_iter(Axis(1))
        .zip(&centre)
        .map(|(col, m)| {
            let second_moment = col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
            let t = (0.25 * second_moment + 1.0 / (c * n)).sqrt();
            if t.is_finite() && t > 0.0 {
                t
            } else {
                1.0
            }
        })
        .collect();
    (centre, spread)
}

impl Objective {
    /// theta = [v (outputs x d) row-major, c (outputs)].
    fn unpack(&self, theta: &[f64]) -> (Array2<f64>, Array1<f64>) {
        let d = self.z.ncols();
        let v = Array2::from_shape_vec((self.outputs, d), theta[..self.outputs * d].to_vec())
            .expect("sizes match");
        let c = Array1::from(theta[self.outputs * d..].to_vec());
        (v, c)
    }

    /// Value and gradient.
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let n = self.z.nrows() as f64;
        let (v, c) = self.unpack(theta);
        let mut scores = self.z.dot(&v.t()) + c.view().insert_axis(Axis(0));
        let mut loss = 0.0;
        for (mut row, target) in scores.outer_iter_mut().zip(self.targets.outer_iter()) {
            loss += if self.outputs == 1 {
                binary_row(&mut row.as_slice_mut().expect("row-major"), target[0])
            } else {
                softmax_row(
                    row.as_slice_mut().expect("row-major"),
                    target.as_slice().expect("row-major"),
                )
            };
        }
        // `scores` now holds d loss / d score per row and output.
        let mut grad_v = scores.t().dot(&self.z) / n;
        let mut penalty = 0.0;
        for (mut g, vk) in grad_v.outer_iter_mut().zip(v.outer_iter()) {
            for ((g, &w), &lam) in g.iter_mut().zip(vk).zip(&self.penalty) {
                *g += lam * w;
                penalty += 0.5 * lam * w * w;
            }
        }
        let grad_c = if self.fit_intercept {
            scores.sum_axis(Axis(0)) / n
        } else {
            Array1::zeros(self.outputs)
        };
        let mut grad = grad_v.into_raw_vec_and_offset().0;
        grad.extend(grad_c);
        (loss / n + penalty, grad)
    }
}

/// Log loss of one row for a sigmoid; leaves d loss / d score in `row`.
fn binary_row(row: &mut &mut [f64], target: f64) -> f64 {
    let s = row[0];
    // log(1 + e^s) without overflow.
    let softplus = if s > 0.0 {
        s + (-s).exp().ln_1p()
    } else {
        s.exp().ln_1p()
    };
    let p = if s >= 0.0 {
        1.0 / (1.0 + (-s).exp())
    } else {
        let e = s.exp();
        e / (1.0 + e)
    };
    row[0] = p - target;
    softplus - target * s
}

/// Log loss of one row for a softmax; leaves d loss / d score in `row`.
fn softmax_row(row: &mut [f64], target: &[f64]) -> f64 {
    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = row.iter().map(|s| (s - max).exp()).sum();
    let log_sum = max + sum.ln();
    let loss: f64 = row.iter().zip(target).map(|(s, t)| t * (log_sum - s)).sum();
    for (s, t) in row.iter_mut().zip(target) {
        *s = (*s - log_sum).exp() - t;
    }
    loss
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Minimises from zero; returns the point and, when it stopped short of
/// the gradient tolerance, why.
fn lbfgs(f: &Objective, size: usize, max_iter: usize, tol: f64) -> (Vec<f64>, Option<String>) {
    let mut x = vec![0.0; size];
    let (mut fx, mut g) = f.eval(&x);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::new();
    for iteration in 0..max_iter {
        if max_abs(&g) <= tol {
            return (x, None);
        }
        let direction = two_loop(&g, &history);
        let slope = dot(&direction, &g);
        let (direction, slope) = if slope < 0.0 {
            (direction, slope)
        } else {
            // Not a descent direction (numerical trouble): restart downhill.
            history.clear();
            (g.iter().map(|v| -v).collect(), -dot(&g, &g))
        };
        let mut step = if iteration == 0 && history.is_empty() {
            1.0 / max_abs(&g).max(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..MAX_HALVINGS {
            let trial: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(a, d)| a + step * d)
                .collect();
            let (ft, gt) = f.eval(&trial);
            if ft.is_finite() && ft <= fx + 1e-4 * step * slope {
                accepted = Some((trial, ft, gt));
                break;
            }
            step *= 0.5;
        }
        let Some((next, f_next, g_next)) = accepted else {
            return (
                x,
                Some(format!(
                    "lbfgs: the line search failed after {iteration} iterations (largest gradient {:.2e} > tol {tol:.0e}); the result may be inaccurate",
                    max_abs(&g)
                )),
            );
        };
        let s: Vec<f64> = next.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_next.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&y, &y).max(f64::MIN_POSITIVE) {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        let reduction = (fx - f_next) / fx.abs().max(f_next.abs()).max(1.0);
        (x, fx, g) = (next, f_next, g_next);
        if reduction <= FTOL {
            return (x, None);
        }
    }
    if max_abs(&g) <= tol {
        return (x, None);
    }
    (
        x,
        Some(format!(
            "lbfgs: stopped at max_iter={max_iter} before converging (largest gradient {:.2e} > tol {tol:.0e}): increase max_iter",
            max_abs(&g)
        )),
    )
}

/// The L-BFGS search direction -H g from the history.
fn two_loop(
    g: &[f64],
    history: &std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)>,
) -> Vec<f64> {
    let mut q = g.to_vec();
    let mut alphas = Vec::with_capacity(history.len());
    for (s, y, rho) in history.iter().rev() {
        let a = rho * dot(s, &q);
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
        alphas.push(a);
    }
    if let Some((s, y, _)) = history.back() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|v| *v *= gamma);
    }
    for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
        let b = rho * dot(y, &q);
        q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
    }
    q.iter().map(|v| -v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn binary_optimum_has_zero_gradient_on_raw_scale() {
        // Raw features on very different scales.
        let x = array![
            [1000.0, 0.001],
            [2000.0, 0.003],
            [1500.0, 0.002],
            [3000.0, 0.001],
            [2500.0, 0.004],
            [500.0, 0.002]
        ];
        let y = [0, 1, 0, 1, 1, 0];
        let p = Problem {
            x: x.view(),
            y: &y,
            n_classes: 2,
            c: 1.0,
            fit_intercept: true,
            max_iter: 200,
            tol: 1e-10,
        };
        let s = solve(&p).unwrap();
        assert!(s.warning.is_none(), "{:?}", s.warning);
        // Gradient of the raw objective: X^T (p - y) / n + w / (C n) = 0.
        let n = 6.0;
        let scores = x.dot(&s.coef.row(0)) + s.intercept[0];
        let resid: Vec<f64> = scores
            .iter()
            .zip(&y)
            .map(|(s, &t)| 1.0 / (1.0 + (-s).exp()) - t as f64)
            .collect();
        for j in 0..2 {
            let g: f64 = (0..6).map(|i| x[[i, j]] * resid[i]).sum::<f64>() / n + s.coef[[0, j]] / n;
            assert!(
                g.abs() < 1e-6 * x.column(j).iter().fold(0.0f64, |m, v| m.max(v.abs())),
                "{j}: {g}"
            );
        }
        assert!((resid.iter().sum::<f64>() / n).abs() < 1e-6);
    }

    #[test]
    fn iteration_limit_is_a_warning_and_nonfinite_input_an_error() {
        let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.5]];
        let y = [0, 1, 2, 1];
        let mut p = Problem {
            x: x.view(),
            y: &y,
            n_classes: 3,
            c: 1e6,
            fit_intercept: true,
            max_iter: 2,
            tol: 1e-12,
        };
        let w = solve(&p).unwrap().warning.unwrap();
        assert!(w.contains("max_iter=2"), "{w}");
        let bad = array![
            [1e300, 1.0],
            [-1e300, 0.0],
            [f64::INFINITY, 1.0],
            [3.0, 0.5]
        ];
        p.x = bad.view();
        assert!(solve(&p).unwrap_err().contains("finite"));
    }

    #[test]
    fn huge_features_finish() {
        let x = array![[1e300, 1.0], [-1e300, 0.0], [1e299, 1.0], [3.0, 0.5]];
        let y = [0, 1, 0, 1];
        let p = Problem {
            x: x.view(),
            y: &y,
            n_classes: 2,
            c: 1.0,
            fit_intercept: true,
            max_iter: 100,
            tol: 1e-4,
        };
        let s = solve(&p).unwrap();
        assert!(s.coef.iter().all(|v| v.is_finite()));
    }
}
