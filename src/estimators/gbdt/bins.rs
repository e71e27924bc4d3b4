//! The training rows binned for boosting: the forest's cut points (exact
//! midpoints with few distinct values, quantiles beyond), at most
//! `max_bins` <= 255 real bins per feature and one byte per value, so a
//! node's histogram is 256 slots per feature with the last one for missing
//! values (scikit-learn's layout). A categorical feature's bins are its
//! category codes themselves (0..max_bins), with no cut points.
//!
//! The codes of [`GROUP`] neighbouring features sit side by side per sample
//! (LightGBM's row-wise idea, a group wide): one histogram pass builds a
//! group, and a node's sample then costs one small load from one cache line
//! instead of one per feature. A child's samples are scattered over the
//! rows, so with one column per feature each of them was a separate miss.

use super::categorical::{contains, insert, Bitset};
use crate::estimators::binning::{bin_of, feature_cut_points};
use ndarray::ArrayView2;

/// The bin of a missing value (NaN), whatever the feature.
pub const MISSING_BIN: u8 = 255;
/// Histogram slots per feature: 255 real bins and the missing bin.
pub const SLOTS: usize = 256;
/// Features whose codes are stored side by side per sample (the last group
/// is padded with zero codes).
pub const GROUP: usize = 4;

/// The codes of one sample in one group of features.
pub type Codes = [u8; GROUP];

pub struct Bins {
    pub n_samples: usize,
    /// `codes[g * n_samples + s][k]` is feature `GROUP * g + k`'s code.
    codes: Vec<Codes>,
    /// Per feature: a value v is in bin b when `edges[b-1] < v <= edges[b]`.
    pub edges: Vec<Vec<f64>>,
    /// Whether any training row misses the feature.
    pub has_missing: Vec<bool>,
    /// Per categorical feature: the codes seen in training (None: numeric).
    pub known: Vec<Option<Bitset>>,
    /// Real (non-missing) bins per feature.
    n_real: Vec<usize>,
}

impl Bins {
    /// Bins the training `rows`; `categorical[f]` (when given) marks the
    /// features whose values are category codes. A code that is not an
    /// integer in 0..max_bins is an error (scikit-learn's cardinality check).
    pub fn new(
        x: ArrayView2<f64>,
        rows: &[usize],
        max_bins: usize,
        categorical: &[bool],
    ) -> Result<Bins, String> {
        let n = rows.len();
        let mut codes = vec![[0u8; GROUP]; n * x.ncols().div_ceil(GROUP)];
        let mut edges = Vec::with_capacity(x.ncols());
        let mut has_missing = Vec::with_capacity(x.ncols());
        let mut known = Vec::with_capacity(x.ncols());
        let mut n_real = Vec::with_capacity(x.ncols());
        for f in 0..x.ncols() {
            let group = &mut codes[f / GROUP * n..(f / GROUP + 1) * n];
            let column = group.iter_mut().map(|c| &mut c[f % GROUP]);
            if categorical.get(f).copied().unwrap_or(false) {
                let (seen, missing) = category_codes(x, rows, f, max_bins, column)?;
                n_real.push(
                    (0..SLOTS - 1)
                        .rev()
                        .find(|&b| contains(&seen, b as u8))
                        .map_or(1, |b| b + 1),
                );
                edges.push(Vec::new());
                has_missing.push(missing);
                known.push(Some(seen));
                continue;
            }
            let cuts = feature_cut_points(x, rows, f, max_bins);
            let mut missing = false;
            for (code, &r) in column.zip(rows) {
                let v = x[[r, f]];
                *code = if v.is_nan() {
                    missing = true;
                    MISSING_BIN
                } else {
                    bin_of(&cuts, v) as u8
                };
            }
            n_real.push(cuts.len() + 1);
            edges.push(cuts);
            has_missing.push(missing);
            known.push(None);
        }
        Ok(Bins {
            n_samples: n,
            codes,
            edges,
            has_missing,
            known,
            n_real,
        })
    }

    pub fn n_features(&self) -> usize {
        self.edges.len()
    }

    /// The codes of features `GROUP * g ..`, per sample.
    pub fn group(&self, g: usize) -> &[Codes] {
        &self.codes[g * self.n_samples..(g + 1) * self.n_samples]
    }

    #[cfg(test)]
    pub fn column(&self, f: usize) -> Vec<u8> {
        self.group(f / GROUP).iter().map(|c| c[f % GROUP]).collect()
    }

    /// Number of real (non-missing) bins of feature `f`.
    pub fn n_real(&self, f: usize) -> usize {
        self.n_real[f]
    }

    /// The raw-value threshold of "bin <= b": the cut point above bin b, or
    /// the largest float when b is the last real bin (everything with a
    /// value goes left; JSON has no infinity).
    pub fn threshold(&self, f: usize, b: u8) -> f64 {
        self.edges[f].get(b as usize).copied().unwrap_or(f64::MAX)
    }
}

/// Writes feature `f`'s category codes of `rows` into `column`; returns
/// the codes seen and whether any value is missing.
fn category_codes<'a>(
    x: ArrayView2<f64>,
    rows: &[usize],
    f: usize,
    max_bins: usize,
    column: impl Iterator<Item = &'a mut u8>,
) -> Result<(Bitset, bool), String> {
    let mut seen = [0; 4];
    let mut missing = false;
    for (code, &r) in column.zip(rows) {
        let v = x[[r, f]];
        *code = if v.is_nan() {
            missing = true;
            MISSING_BIN
        } else if v >= 0.0 && v < max_bins as f64 && v.fract() == 0.0 {
            insert(&mut seen, v as u8);
            v as u8
        } else {
            return Err(format!(
                "categorical feature {f}: value {v} is not a category code from 0 to {} (at most max_bins = {max_bins} categories)",
                max_bins - 1
            ));
        };
    }
    Ok((seen, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn codes_and_missing_bin() {
        let x = array![[1.0, 5.0], [f64::NAN, 5.0], [3.0, 6.0], [3.0, 7.0]];
        let b = Bins::new(x.view(), &[0, 1, 2, 3], 255, &[]).unwrap();
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
        let b = Bins::new(x.view(), &rows, 16, &[]).unwrap();
        assert!(b.n_real(0) <= 16);
        assert!(b.column(0).iter().all(|&c| (c as usize) < b.n_real(0)));
    }

    #[test]
    fn category_codes_are_the_bins() {
        let x = array![[3.0, 1.0], [0.0, 2.0], [f64::NAN, 3.0], [3.0, 4.0]];
        let b = Bins::new(x.view(), &[0, 1, 2, 3], 255, &[true, false]).unwrap();
        assert_eq!(b.column(0), &[3, 0, MISSING_BIN, 3]);
        assert_eq!(b.n_real(0), 4);
        let known = b.known[0].unwrap();
        assert!(contains(&known, 0) && contains(&known, 3) && !contains(&known, 1));
        assert!(b.known[1].is_none());
        let Err(err) = Bins::new(x.view(), &[0, 1, 2, 3], 3, &[true, false]) else {
            panic!("code 3 with max_bins 3 was accepted")
        };
        assert!(
            err.contains("value 3 is not a category code from 0 to 2"),
            "{err}"
        );
    }
}
