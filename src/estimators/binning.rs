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
/// Rows read between two hand-backs of a mapped matrix's pages.
pub const BLOCK_ROWS: usize = 4096;
/// Most raw values gathered at once for the cut points (a group of
/// features per pass over the rows).
const GROUP_BYTES: usize = 16 << 20;

/// Codes of the training samples, row-major (a node gathers several
/// features of a sample from one or two cache lines), and the cut points,
/// with a view of the raw values for placing thresholds.
pub struct Binned<'a> {
    pub n_samples: usize,
    /// `codes[s * n_features + f]`: bin of sample `s` (the s-th training row) for feature `f`.
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
    /// Bins the training rows in passes over blocks of rows (the matrix is
    /// row-major), handing back each block's pages of a mapped matrix once
    /// read (see [`crate::data::pages`]), so the raw rows and their codes
    /// are never resident together.
    pub fn new<'x: 'a>(x: ArrayView2<'x, f64>, rows: &'a [usize]) -> Binned<'a> {
        Self::with_group_bytes(x, rows, GROUP_BYTES)
    }

    fn with_group_bytes<'x: 'a>(
        x: ArrayView2<'x, f64>,
        rows: &'a [usize],
        group_bytes: usize,
    ) -> Binned<'a> {
        let x: ArrayView2<'a, f64> = x.reborrow();
        let edges = all_cut_points(x, rows, MAX_BINS, group_bytes);
        let (codes, has_missing) = codes_of(x, rows, &edges);
        Binned {
            n_samples: rows.len(),
            codes,
            edges,
            has_missing,
            x,
            rows,
        }
    }

    /// Hands back the pages of the raw rows of samples `samples` (a
    /// mapped matrix only).
    pub fn release_samples(&self, samples: std::ops::Range<usize>) {
        crate::data::pages::release_rows(self.x, &self.rows[samples]);
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

    /// The codes of sample `s`, one per feature.
    #[inline]
    pub fn row(&self, s: u32) -> &[u16] {
        let n_features = self.edges.len();
        &self.codes[s as usize * n_features..(s as usize + 1) * n_features]
    }

    /// The codes of feature `f`, sample by sample.
    #[cfg(test)]
    pub fn column(&self, f: usize) -> Vec<u16> {
        (0..self.n_samples as u32).map(|s| self.row(s)[f]).collect()
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
    let mut values: Vec<f64> = rows
        .iter()
        .step_by(subsample_step(rows))
        .map(|&r| x[[r, f]])
        .filter(|v| !v.is_nan())
        .collect();
    if values.is_empty() {
        return Vec::new();
    }
    cut_points(&mut values, max_bins)
}

/// Every `step`-th training row feeds the quantiles.
fn subsample_step(rows: &[usize]) -> usize {
    rows.len().div_ceil(SUBSAMPLE).max(1)
}

/// [`feature_cut_points`] of every feature, the same values, gathered for a
/// group of features at a time in one pass over blocks of the subsampled
/// rows (at most `group_bytes` of gathered values at once).
fn all_cut_points(
    x: ArrayView2<f64>,
    rows: &[usize],
    max_bins: usize,
    group_bytes: usize,
) -> Vec<Vec<f64>> {
    let sampled: Vec<usize> = rows.iter().step_by(subsample_step(rows)).copied().collect();
    let group = (group_bytes / (8 * sampled.len().max(1))).clamp(1, x.ncols().max(1));
    let mut edges = Vec::with_capacity(x.ncols());
    for first in (0..x.ncols()).step_by(group) {
        let features = first..(first + group).min(x.ncols());
        let mut values: Vec<Vec<f64>> = features
            .clone()
            .map(|_| Vec::with_capacity(sampled.len()))
            .collect();
        for block in sampled.chunks(BLOCK_ROWS) {
            for &r in block {
                let row = x.row(r);
                for (column, f) in values.iter_mut().zip(features.clone()) {
                    let v = row[f];
                    if !v.is_nan() {
                        column.push(v);
                    }
                }
            }
            crate::data::pages::release_rows(x, block);
        }
        for mut column in values {
            edges.push(if column.is_empty() {
                Vec::new()
            } else {
                cut_points(&mut column, max_bins)
            });
        }
    }
    edges
}

/// The codes of the training rows, row-major, in one pass over blocks
/// of rows, and whether each feature has missing values there.
fn codes_of(x: ArrayView2<f64>, rows: &[usize], edges: &[Vec<f64>]) -> (Vec<u16>, Vec<bool>) {
    let n = rows.len();
    let mut codes = vec![0u16; n * edges.len()];
    let mut has_missing = vec![false; edges.len()];
    for (first, block) in rows.chunks(BLOCK_ROWS).enumerate() {
        for (k, &r) in block.iter().enumerate() {
            let s = first * BLOCK_ROWS + k;
            let row = x.row(r);
            for (f, cuts) in edges.iter().enumerate() {
                let v = row[f];
                codes[s * edges.len() + f] = if v.is_nan() {
                    has_missing[f] = true;
                    cuts.len() as u16 + 1
                } else {
                    bin_of(cuts, v)
                };
            }
        }
        crate::data::pages::release_rows(x, block);
    }
    (codes, has_missing)
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
        for &c in &b.column(0) {
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

    /// The definition, feature by feature: cut points of each feature, then
    /// each training row's bins (row-major, as `Binned` keeps them).
    fn binned_by_columns(x: ArrayView2<f64>, rows: &[usize]) -> (Vec<Vec<f64>>, Vec<u16>) {
        let edges: Vec<Vec<f64>> = (0..x.ncols())
            .map(|f| feature_cut_points(x, rows, f, MAX_BINS))
            .collect();
        let mut codes = Vec::new();
        for &r in rows {
            codes.extend(edges.iter().enumerate().map(|(f, cuts)| match x[[r, f]] {
                v if v.is_nan() => cuts.len() as u16 + 1,
                v => bin_of(cuts, v),
            }));
        }
        (edges, codes)
    }

    #[test]
    fn row_block_passes_give_the_feature_by_feature_bins() {
        // 7 features: continuous, few values, half missing, all missing, ...
        let x = ndarray::Array2::from_shape_fn((9_000, 7), |(r, f)| {
            let v = ((r * 7919 + f * 104_729) % 10_007) as f64 / 17.0 - 200.0;
            match f {
                1 => (r % 5) as f64,
                2 if r % 2 == 0 => f64::NAN,
                3 => f64::NAN,
                4 => v.round(),
                _ => v,
            }
        });
        // Unsorted training rows, with more rows than one block.
        let rows: Vec<usize> = (0..x.nrows()).filter(|r| r % 3 != 1).rev().collect();
        let (edges, codes) = binned_by_columns(x.view(), &rows);
        for group_bytes in [1, 3 * 8 * rows.len(), 1 << 30] {
            let b = Binned::with_group_bytes(x.view(), &rows, group_bytes);
            assert_eq!(b.edges, edges, "{group_bytes}");
            assert_eq!(b.codes, codes, "{group_bytes}");
            let missing: Vec<bool> = (0..7).map(|f| f == 2 || f == 3).collect();
            assert_eq!(b.has_missing, missing);
        }
        assert_eq!(edges[1], vec![0.5, 1.5, 2.5, 3.5]);
        assert!(edges[3].is_empty() && edges[0].len() > MAX_BINS - 50);
    }

    #[test]
    fn only_training_rows_shape_the_bins() {
        let x = array![[1.0], [2.0], [100.0]];
        let b = Binned::new(x.view(), &[0, 1]);
        assert_eq!(b.edges[0], vec![1.5]);
    }
}
