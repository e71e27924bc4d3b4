//! Features binned once per fit, from the training rows only: each feature
//! gets at most MAX_BINS - 1 cut points, and each training row a u16 code per
//! feature. With few distinct values the cut points are the midpoints
//! between them, so splits are exactly scikit-learn's; otherwise quantiles.
//! A missing value (NaN) gets its own code, one past the feature's last real
//! bin, so a sort by code puts missing rows last.

use ndarray::ArrayView2;

/// Largest number of bins per feature (codes are u16). Fine bins keep deep
/// nodes separable: few samples rarely share a bin.
pub const MAX_BINS: usize = 1024;
/// Quantiles come from at most this many rows (as HistGradientBoosting).
const SUBSAMPLE: usize = 200_000;

/// Codes of the training samples, column-major, and the cut points, with
/// a view of the raw values for placing thresholds.
pub struct Binned<'a> {
    pub n_samples: usize,
    /// `codes[f * n_samples + s]`: bin of sample `s` (the s-th training row) for feature `f`.
    pub codes: Vec<u16>,
    /// Cut points per feature: a value v is in bin b when
    /// `edges[b-1] < v <= edges[b]`; a split "bin <= b" means `v <= edges[b]`.
    pub edges: Vec<Vec<f64>>,
    /// Whether any training row misses feature `f`.
    pub has_missing: Vec<bool>,
    x: ArrayView2<'a, f64>,
    rows: &'a [usize],
}

impl<'a> Binned<'a> {
    pub fn new<'x: 'a>(x: ArrayView2<'x, f64>, rows: &'a [usize]) -> Binned<'a> {
        let x: ArrayView2<'a, f64> = x.reborrow();
        let n = rows.len();
        let mut codes = vec![0u16; n * x.ncols()];
        let mut edges = Vec::with_capacity(x.ncols());
        let mut has_missing = Vec::with_capacity(x.ncols());
        for f in 0..x.ncols() {
            let cuts = feature_cut_points(x, rows, f, MAX_BINS);
            let missing = cuts.len() as u16 + 1;
            let column = &mut codes[f * n..(f + 1) * n];
            let mut any_missing = false;
            for (code, &r) in column.iter_mut().zip(rows) {
                let v = x[[r, f]];
                any_missing |= v.is_nan();
                *code = if v.is_nan() {
                    missing
                } else {
                    bin_of(&cuts, v)
                };
            }
            edges.push(cuts);
            has_missing.push(any_missing);
        }
        Binned {
            n_samples: n,
            codes,
            edges,
            has_missing,
            x,
            rows,
        }
    }

    /// Raw value of feature `f` for training sample `s`.
    pub fn value(&self, f: usize, s: u32) -> f64 {
        self.x[[self.rows[s as usize], f]]
    }

    /// Number of codes of feature `f`: its real bins, plus one for missing
    /// values when the training rows have any.
    pub fn n_bins(&self, f: usize) -> usize {
        self.edges[f].len() + 1 + usize::from(self.has_missing[f])
    }

    /// The code of a missing value of feature `f`.
    pub fn missing_code(&self, f: usize) -> u16 {
        self.edges[f].len() as u16 + 1
    }

    pub fn column(&self, f: usize) -> &[u16] {
        &self.codes[f * self.n_samples..(f + 1) * self.n_samples]
    }
}

/// The bin of a value: how many cut points are below it.
pub fn bin_of(cuts: &[f64], v: f64) -> u16 {
    cuts.partition_point(|&c| c < v) as u16
}

/// Cut points of feature `f` over the training rows (at most `max_bins`
/// bins), from an evenly strided subsample of at most SUBSAMPLE rows;
/// missing values take no part.
pub fn feature_cut_points(
    x: ArrayView2<f64>,
    rows: &[usize],
    f: usize,
    max_bins: usize,
) -> Vec<f64> {
    let step = rows.len().div_ceil(SUBSAMPLE).max(1);
    let mut values: Vec<f64> = rows
        .iter()
        .step_by(step)
        .map(|&r| x[[r, f]])
        .filter(|v| !v.is_nan())
        .collect();
    if values.is_empty() {
        return Vec::new();
    }
    cut_points(&mut values, max_bins)
}

/// Midpoints between distinct values, or between quantiles when there are
/// more than `max_bins` distinct values.
fn cut_points(values: &mut [f64], max_bins: usize) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    let mut distinct: Vec<f64> = Vec::new();
    for &v in values.iter() {
        if distinct.last() != Some(&v) {
            distinct.push(v);
        }
    }
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|w| midpoint(w[0], w[1])).collect();
    }
    let n = values.len();
    let mut cuts = Vec::with_capacity(max_bins - 1);
    for q in 1..max_bins {
        let i = q * n / max_bins;
        let (below, above) = (values[i.saturating_sub(1)], values[i]);
        let cut = if below < above {
            midpoint(below, above)
        } else {
            below
        };
        if cuts.last().is_none_or(|&last| cut > last) && cut < values[n - 1] {
            cuts.push(cut);
        }
    }
    cuts
}

/// Midpoint that stays strictly below `b` (so `v <= cut` separates a from b).
pub fn midpoint(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m >= b {
        a
    } else {
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn few_values_get_exact_midpoints() {
        let x = array![[1.0], [3.0], [3.0], [7.0]];
        let b = Binned::new(x.view(), &[0, 1, 2, 3]);
        assert_eq!(b.edges[0], vec![2.0, 5.0]);
        assert_eq!(b.column(0), &[0, 1, 1, 2]);
        assert_eq!(bin_of(&b.edges[0], 2.0), 0);
        assert_eq!(bin_of(&b.edges[0], 100.0), 2);
    }

    #[test]
    fn many_values_get_at_most_max_bins() {
        let x =
            ndarray::Array2::from_shape_fn((10_000, 1), |(i, _)| (i as f64 * 0.37).sin() * 1000.0);
        let rows: Vec<usize> = (0..10_000).collect();
        let b = Binned::new(x.view(), &rows);
        assert!(b.edges[0].len() < MAX_BINS && b.edges[0].len() > MAX_BINS - 100);
        assert!(b.edges[0].windows(2).all(|w| w[0] < w[1]));
        // roughly equal bins
        let mut counts = [0usize; MAX_BINS];
        for &c in b.column(0) {
            counts[c as usize] += 1;
        }
        assert!(counts.iter().max().unwrap() < &30);
    }

    #[test]
    fn missing_values_get_the_code_after_the_last_bin() {
        let x = array![[1.0], [f64::NAN], [3.0]];
        let b = Binned::new(x.view(), &[0, 1, 2]);
        assert_eq!(b.edges[0], vec![2.0]);
        assert_eq!(b.column(0), &[0, 2, 1]);
        assert_eq!(b.missing_code(0), 2);
        assert_eq!(b.n_bins(0), 3);
        assert!(b.has_missing[0]);
        let all_missing = array![[f64::NAN], [f64::NAN]];
        let b = Binned::new(all_missing.view(), &[0, 1]);
        assert_eq!(b.column(0), &[1, 1]);
    }

    #[test]
    fn only_training_rows_shape_the_bins() {
        let x = array![[1.0], [2.0], [100.0]];
        let b = Binned::new(x.view(), &[0, 1]);
        assert_eq!(b.edges[0], vec![1.5]);
    }
}
