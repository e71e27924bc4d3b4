//! The losses, with scikit-learn's definitions: half binomial and half
//! multinomial log loss on raw scores (one score per class for more than
//! two classes), half squared error and absolute error.

use super::softmax::multi_gradients;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::enum_variant_names)] // scikit-learn's loss names
pub enum Loss {
    /// Two classes: one raw score, p = sigmoid(score).
    BinaryLogLoss,
    /// K > 2 classes: K raw scores, softmax.
    MultiLogLoss {
        n_classes: usize,
    },
    SquaredError,
    AbsoluteError,
}

/// Clip of the baseline probabilities (scikit-learn's float64 eps).
const EPS: f64 = f64::EPSILON;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// log(1 + e^z) without overflow.
fn log1pexp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Class-major values (`n` per class) cut into blocks of `block` samples:
/// per block, its part of every class.
pub(super) fn sample_blocks(v: &mut [f32], n: usize, block: usize) -> Vec<Vec<&mut [f32]>> {
    let mut out: Vec<Vec<&mut [f32]>> = (0..n.div_ceil(block)).map(|_| Vec::new()).collect();
    for class in v.chunks_mut(n) {
        for (b, part) in class.chunks_mut(block).enumerate() {
            out[b].push(part);
        }
    }
    out
}

/// Softmax of `z` into `p`.
pub fn softmax(z: &[f64], p: &mut [f64]) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (p, &z) in p.iter_mut().zip(z) {
        *p = (z - max).exp();
        sum += *p;
    }
    p.iter_mut().for_each(|p| *p /= sum);
}

impl Loss {
    /// Raw scores per sample.
    pub fn n_scores(self) -> usize {
        match self {
            Loss::MultiLogLoss { n_classes } => n_classes,
            _ => 1,
        }
    }

    /// Whether every hessian is 1 (without sample weights): histograms then
    /// need no hessian sums.
    pub fn unit_hessian(self) -> bool {
        matches!(self, Loss::SquaredError | Loss::AbsoluteError)
    }

    /// The best constant raw scores (scikit-learn's fit_intercept_only).
    pub fn baseline(self, y: &[f64], w: &[f64]) -> Vec<f64> {
        let total: f64 = w.iter().sum();
        match self {
            Loss::BinaryLogLoss => {
                let p = (y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / total)
                    .clamp(EPS, 1.0 - EPS);
                vec![(p / (1.0 - p)).ln()]
            }
            Loss::MultiLogLoss { n_classes } => {
                let mut p = vec![0.0; n_classes];
                for (&y, &w) in y.iter().zip(w) {
                    p[y as usize] += w;
                }
                // Symmetric: log p minus its mean (softmax is shift-free).
                let logs: Vec<f64> = p
                    .iter()
                    .map(|c| (c / total).clamp(EPS, 1.0 - EPS).ln())
                    .collect();
                let mean = logs.iter().sum::<f64>() / n_classes as f64;
                logs.iter().map(|l| l - mean).collect()
            }
            Loss::SquaredError => vec![y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / total],
            Loss::AbsoluteError => {
                let mut pairs: Vec<(f64, f64)> = y.iter().copied().zip(w.iter().copied()).collect();
                vec![weighted_median(&mut pairs)]
            }
        }
    }

    /// Gradients and hessians of every score, class-major
    /// (`g[k * n + i]`), from the raw scores (same layout).
    pub fn gradients(self, y: &[f64], w: &[f64], raw: &[f64], g: &mut [f32], h: &mut [f32]) {
        let n = y.len();
        match self {
            Loss::BinaryLogLoss => {
                for i in 0..n {
                    let p = sigmoid(raw[i]);
                    g[i] = (w[i] * (p - y[i])) as f32;
                    h[i] = (w[i] * p * (1.0 - p)) as f32;
                }
            }
            Loss::MultiLogLoss { n_classes } => {
                let mut g: Vec<&mut [f32]> = g.chunks_mut(n).collect();
                let mut h: Vec<&mut [f32]> = h.chunks_mut(n).collect();
                multi_gradients(n_classes, y, w, raw, 0, &mut g, &mut h);
            }
            Loss::SquaredError => {
                for i in 0..n {
                    g[i] = (w[i] * (raw[i] - y[i])) as f32;
                    h[i] = w[i] as f32;
                }
            }
            Loss::AbsoluteError => {
                for i in 0..n {
                    let d = raw[i] - y[i];
                    g[i] = (w[i]
                        * if d > 0.0 {
                            1.0
                        } else if d < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }) as f32;
                    h[i] = w[i] as f32;
                }
            }
        }
    }

    /// `gradients` with the samples in blocks over `pool` (multiclass:
    /// the softmax of every sample is most of an iteration's serial work);
    /// every value is the same as one sample at a time.
    pub fn gradients_on(
        self,
        pool: Option<&rayon::ThreadPool>,
        y: &[f64],
        w: &[f64],
        raw: &[f64],
        g: &mut [f32],
        h: &mut [f32],
    ) {
        const BLOCK: usize = 4096;
        let (Some(pool), Loss::MultiLogLoss { n_classes }) = (pool, self) else {
            return self.gradients(y, w, raw, g, h);
        };
        let n = y.len();
        let (g, h) = (sample_blocks(g, n, BLOCK), sample_blocks(h, n, BLOCK));
        pool.install(|| {
            g.into_par_iter()
                .zip(h)
                .enumerate()
                .for_each(|(b, (mut g, mut h))| {
                    multi_gradients(n_classes, y, w, raw, b * BLOCK, &mut g, &mut h)
                })
        });
    }

    /// Weighted mean loss over samples (raw scores class-major).
    pub fn mean_loss(self, y: &[f64], w: &[f64], raw: &[f64]) -> f64 {
        let n = y.len();
        let mut total = 0.0;
        let mut weight = 0.0;
        let mut z = vec![0.0; self.n_scores()];
        for i in 0..n {
            let l = match self {
                Loss::BinaryLogLoss => log1pexp(raw[i]) - y[i] * raw[i],
                Loss::MultiLogLoss { n_classes } => {
                    for k in 0..n_classes {
                        z[k] = raw[k * n + i];
                    }
                    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                    lse - z[y[i] as usize]
                }
                Loss::SquaredError => 0.5 * (raw[i] - y[i]).powi(2),
                Loss::AbsoluteError => (raw[i] - y[i]).abs(),
            };
            total += w[i] * l;
            weight += w[i];
        }
        total / weight
    }

    /// Class probabilities from one sample's raw scores.
    pub fn proba(self, raw: &[f64], out: &mut [f64]) {
        match self {
            Loss::BinaryLogLoss => {
                let p = sigmoid(raw[0]);
                out[0] = 1.0 - p;
                out[1] = p;
            }
            Loss::MultiLogLoss { .. } => softmax(raw, out),
            _ => {}
        }
    }
}

/// Median of values with weights: the midpoint of the two middle values
/// when every weight is 1 (numpy's median), else the lowest value whose
/// cumulative weight reaches half the total (scikit-learn's weighted
/// percentile).
pub fn weighted_median(pairs: &mut [(f64, f64)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let n = pairs.len();
    if pairs.iter().all(|p| p.1 == 1.0) {
        return if n % 2 == 1 {
            pairs[n / 2].0
        } else {
            (pairs[n / 2 - 1].0 + pairs[n / 2].0) / 2.0
        };
    }
    let half = pairs.iter().map(|p| p.1).sum::<f64>() / 2.0;
    let mut cumulative = 0.0;
    for &(v, w) in pairs.iter() {
        cumulative += w;
        if cumulative >= half {
            return v;
        }
    }
    pairs[n - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines() {
        let w = [1.0; 4];
        let b = Loss::BinaryLogLoss.baseline(&[0.0, 1.0, 1.0, 1.0], &w);
        assert!((b[0] - 3f64.ln()).abs() < 1e-12);
        let m = Loss::MultiLogLoss { n_classes: 3 }.baseline(&[0.0, 1.0, 1.0, 2.0], &w);
        let mut p = [0.0; 3];
        softmax(&m, &mut p);
        assert!((p[1] - 0.5).abs() < 1e-12 && (p[0] - 0.25).abs() < 1e-12);
        assert_eq!(
            Loss::SquaredError.baseline(&[1.0, 2.0, 3.0, 6.0], &w),
            vec![3.0]
        );
        assert_eq!(
            Loss::AbsoluteError.baseline(&[1.0, 2.0, 3.0, 6.0], &w),
            vec![2.5]
        );
    }

    #[test]
    fn binary_gradients_and_loss() {
        let (mut g, mut h) = ([0f32; 2], [0f32; 2]);
        Loss::BinaryLogLoss.gradients(&[1.0, 0.0], &[1.0, 2.0], &[0.0, 0.0], &mut g, &mut h);
        assert_eq!(g, [-0.5, 1.0]);
        assert_eq!(h, [0.25, 0.5]);
        let l = Loss::BinaryLogLoss.mean_loss(&[1.0, 0.0], &[1.0, 1.0], &[0.0, 0.0]);
        assert!((l - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn weighted_median_is_the_lower_weighted_percentile() {
        let mut v = vec![(1.0, 1.0), (2.0, 3.0), (10.0, 1.0)];
        assert_eq!(weighted_median(&mut v), 2.0);
        let mut odd = vec![(5.0, 1.0), (1.0, 1.0), (3.0, 1.0)];
        assert_eq!(weighted_median(&mut odd), 3.0);
    }
}
