//! The running sums of a split sweep: samples move from the right child to
//! the left one in bin order, and each criterion's score is updated in O(1)
//! per sample, whatever the number of classes.

use super::Criterion;

/// `x ln x`, with 0 ln 0 = 0.
fn xlnx(x: f64) -> f64 {
    if x > 0.0 {
        x * x.ln()
    } else {
        0.0
    }
}

/// One side of a split (or a whole node).
#[derive(Clone, Debug, Default)]
pub struct Side {
    /// Weighted count per class (classification).
    pub classes: Vec<f64>,
    pub sums: Sums,
}

/// The scalar running sums of a side, apart from its class counts, so that
/// a sweep can keep them in registers (the compiler cannot prove that a
/// store to a class count leaves a field of the same struct alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sums {
    pub weight: f64,
    pub samples: usize,
    /// Σ class weight² (gini) or Σ w ln w (entropy) or Σ w·y (regression).
    pub a: f64,
    /// Σ w·y² (regression).
    pub b: f64,
}

impl Side {
    pub fn empty(n_classes: usize) -> Side {
        Side {
            classes: vec![0.0; n_classes],
            sums: Sums::default(),
        }
    }

    pub fn clear(&mut self) {
        self.classes.iter_mut().for_each(|c| *c = 0.0);
        self.sums = Sums::default();
    }

    pub fn copy_from(&mut self, other: &Side) {
        self.classes.copy_from_slice(&other.classes);
        self.sums = other.sums;
    }

    /// Adds (sign = 1) or removes (sign = -1) one sample.
    #[inline]
    pub fn update(&mut self, criterion: Criterion, class_or_value: f64, w: f64, sign: f64) {
        self.sums
            .update(&mut self.classes, criterion, class_or_value, w, sign);
    }

    pub fn weight(&self) -> f64 {
        self.sums.weight
    }

    /// Impurity: gini, entropy in bits, or variance.
    pub fn impurity(&self, criterion: Criterion) -> f64 {
        if self.sums.weight <= 0.0 {
            return 0.0;
        }
        let w = self.sums.weight;
        match criterion {
            Criterion::Gini => {
                (1.0 - self.classes.iter().map(|c| c * c).sum::<f64>() / (w * w)).max(0.0)
            }
            Criterion::Entropy => (-self.classes.iter().map(|&c| xlnx(c / w)).sum::<f64>()
                / std::f64::consts::LN_2)
                .max(0.0),
            Criterion::SquaredError => (self.sums.b / w - (self.sums.a / w).powi(2)).max(0.0),
        }
    }
}

impl Sums {
    /// Adds (sign = 1) or removes (sign = -1) one sample; `classes` are the
    /// side's class counts.
    #[inline(always)]
    pub fn update(
        &mut self,
        classes: &mut [f64],
        criterion: Criterion,
        class_or_value: f64,
        w: f64,
        sign: f64,
    ) {
        let dw = sign * w;
        self.weight += dw;
        self.samples = (self.samples as isize + sign as isize) as usize;
        match criterion {
            Criterion::Gini => {
                let c = &mut classes[class_or_value as usize];
                self.a += dw * (2.0 * *c + dw);
                *c += dw;
            }
            Criterion::Entropy => {
                let c = &mut classes[class_or_value as usize];
                let old = *c;
                *c += dw;
                self.a += xlnx(*c) - xlnx(old);
            }
            Criterion::SquaredError => {
                self.a += dw * class_or_value;
                self.b += dw * class_or_value * class_or_value;
            }
        }
    }

    /// The side's contribution to the proxy that the best split maximises
    /// (equivalent to minimising the weighted child impurities).
    #[inline(always)]
    pub fn proxy(&self, criterion: Criterion) -> f64 {
        if self.weight <= 0.0 {
            return 0.0;
        }
        match criterion {
            Criterion::Gini => self.a / self.weight,
            Criterion::Entropy => self.a - xlnx(self.weight),
            Criterion::SquaredError => self.a * self.a / self.weight,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_sums_match_direct_impurity() {
        let mut s = Side::empty(3);
        for (c, w) in [(0.0, 1.0), (1.0, 2.0), (1.0, 1.0), (2.0, 1.0)] {
            s.update(Criterion::Gini, c, w, 1.0);
        }
        // classes [1, 3, 1], w = 5: gini = 1 - 11/25
        assert!((s.impurity(Criterion::Gini) - (1.0 - 11.0 / 25.0)).abs() < 1e-12);
        assert!((s.sums.a - 11.0).abs() < 1e-12);
        s.update(Criterion::Gini, 1.0, 2.0, -1.0);
        assert!((s.sums.a - 3.0).abs() < 1e-12);
    }

    #[test]
    fn entropy_in_bits() {
        let mut s = Side::empty(2);
        s.update(Criterion::Entropy, 0.0, 1.0, 1.0);
        s.update(Criterion::Entropy, 1.0, 1.0, 1.0);
        assert!((s.impurity(Criterion::Entropy) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn variance() {
        let mut s = Side::empty(0);
        for v in [1.0, 2.0, 3.0] {
            s.update(Criterion::SquaredError, v, 1.0, 1.0);
        }
        assert!((s.impurity(Criterion::SquaredError) - 2.0 / 3.0).abs() < 1e-12);
    }
}
