//! The training rows binned for boosting: the forest's cut points (exact
//! midpoints with few distinct values, quantiles beyond), at most
//! `max_bins` <= 255 real bins per feature and one byte per value, so a
//! node's histogram is 256 slots per feature with the last one for missing
//! values (scikit-learn's layout).

use crate::estimators::binning::{bin_of, feature_cut_points};
use ndarray::ArrayView2;

/// The bin of a missing value (NaN), whatever the feature.
pub const MISSING_BIN: u8 = 255;
/// Histogram slots per feature: 255 real bins and the missing bin.
pub const SLOTS: usize = 256;

pub struct Bins {
    pub n_samples: usize,
    /// `codes[f * n_samples + s]`, column-major.
    codes: Vec<u8>,
    /// Per feature: a value v is in bin b when `edges[b-1] < v <= edges[b]`.
    pub edges: Vec<Vec<f64>>,
    /// Whether any training row misses the feature.
    pub has_missing: Vec<bool>,
}

impl Bins {
    pub fn new(x: ArrayView2<f64>, rows: &[usize], max_bins: usize) -> Bins {
        let n = rows.len();
        let mut codes = vec![0u8; n * x.ncols()];
        let mut edges = Vec::with_capacity(x.ncols());
        let mut has_missing = Vec::with_capacity(x.ncols());
        for f in 0..x.ncols() {
            let cuts = feature_cut_points(x, rows, f, max_bins);
            let mut missing = false;
            for (code, &r) in codes[f * n..(f + 1) * n].iter_mut().zip(rows) {
                let v = x[[r, f]];
                *code = if v.is_nan() {
                    missing = true;
                    MISSING_BIN
                } else {
                    bin_of(&cuts, v) as u8
                };
            }
            edges.push(cuts);
            has_missing.push(missing);
        }
        Bins {
            n_samples: n,
            codes,
            edges,
            has_missing,
        }
    }

    pub fn n_features(&self) -> usize {
        self.edges.len()
    }

    pub fn column(&self, f: usize) -> &[u8] {
        &self.codes[f * self.n_samples..(f + 1) * self.n_samples]
    }

    /// Number of real (non-missing) bins of feature `f`.
    pub fn n_real(&self, f: usize) -> usize {
        self.edges[f].len() + 1
    }

    /// The raw-value threshold of "bin <= b": the cut point above bin b, or
    /// the largest float when b is the last real bin (everything with a
    /// value goes left; JSON has no infinity).
    pub fn threshold(&self, f: usize, b: u8) -> f64 {
        self.edges[f].get(b as usize).copied().unwrap_or(f64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn codes_and_missing_bin() {
        let x = array![[1.0, 5.0], [f64::NAN, 5.0], [3.0, 6.0], [3.0, 7.0]];
        let b = Bins::new(x.view(), &[0, 1, 2, 3], 255);
        assert_eq!(b.column(0), &[0, MISSING_BIN, 1, 1]);
        assert_eq!(b.column(1), &[0, 0, 1, 2]);
        assert_eq!(b.has_missing, vec![true, false]);
        assert_eq!(b.n_real(0), 2);
        assert_eq!(b.threshold(0, 0), 2.0);
        assert_eq!(b.threshold(0, 1), f64::MAX);
    }

    #[test]
    fn max_bins_caps_the_bins() {
        let x = ndarray::Array2::from_shape_fn((1000, 1), |(i, _)| i as f64);
        let rows: Vec<usize> = (0..1000).collect();
        let b = Bins::new(x.view(), &rows, 16);
        assert!(b.n_real(0) <= 16);
        assert!(b.column(0).iter().all(|&c| (c as usize) < b.n_real(0)));
    }
}
