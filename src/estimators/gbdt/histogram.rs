//! Gradient histograms: per feature and bin, the sums of gradients and
//! hessians and the sample count of a node. The smaller child of a split is
//! built from its samples, the larger one is its parent minus the smaller.
//! Each feature's histogram is built in sample order by one thread, so the
//! sums are the same bit for bit on any number of threads.
//!
//! A bin's three sums sit in one 32-byte slot (the count as a float, exact
//! far beyond any row count), so adding a sample to a bin is one 256-bit
//! load, add and store where the CPU has AVX: the build loop is bound by
//! these read-modify-writes, not by loading the samples.

use super::bins::SLOTS;

/// Sums over the samples of one bin (or of a node).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C, align(32))]
pub struct BinStats {
    pub g: f64,
    pub h: f64,
    /// The number of samples (a whole number).
    pub n: f64,
    /// Fills the slot to 32 bytes; always 0.
    zero: f64,
}

impl BinStats {
    pub fn new(g: f64, h: f64, n: f64) -> BinStats {
        BinStats { g, h, n, zero: 0.0 }
    }

    #[inline]
    pub fn add(&mut self, o: &BinStats) {
        self.g += o.g;
        self.h += o.h;
        self.n += o.n;
        self.zero += o.zero;
    }

    #[inline]
    pub fn minus(&self, o: &BinStats) -> BinStats {
        BinStats {
            g: self.g - o.g,
            h: self.h - o.h,
            n: self.n - o.n,
            zero: self.zero - o.zero,
        }
    }
}

/// One feature's histogram: SLOTS bins, the last for missing values.
pub type FeatureHistogram = [BinStats; SLOTS];

/// One node's histograms, one per feature.
pub type Histogram = Vec<FeatureHistogram>;

pub fn empty(n_features: usize) -> Histogram {
    vec![[BinStats::default(); SLOTS]; n_features]
}

/// A node's gradient and hessian per sample, gathered in the node's sample
/// order once per node (LightGBM's "ordered gradients"); f32 as the loss
/// computes them (half the bytes to load), widened exactly to f64 in the
/// histogram loop.
pub type Gh = [f32; 2];

/// The slot a sample adds to its bin.
#[inline(always)]
fn slot_of(gh: &Gh) -> BinStats {
    BinStats::new(f64::from(gh[0]), f64::from(gh[1]), 1.0)
}

/// Fills `out` (bins `0..n_real` and the missing bin) from one feature's
/// bin `column` over the node's `samples` (None: every sample, in order)
/// and their gathered gradients `gh`.
pub fn build_feature(
    out: &mut FeatureHistogram,
    n_real: usize,
    column: &[u8],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    clear(out, n_real);
    match samples {
        None => {
            for (&b, gh) in column.iter().zip(gh) {
                out[b as usize].add(&slot_of(gh));
            }
        }
        Some(samples) => {
            for (&i, gh) in samples.iter().zip(gh) {
                out[column[i as usize] as usize].add(&slot_of(gh));
            }
        }
    }
}

fn clear(out: &mut FeatureHistogram, n_real: usize) {
    out[..n_real].fill(BinStats::default());
    out[SLOTS - 1] = BinStats::default();
}

/// `build_feature` of two features over the same samples in one pass:
/// each sample's index and gradients are loaded once for both. Compiled
/// for AVX too (chosen at run time), where a slot is one vector.
pub fn build_two_features(
    out: [&mut FeatureHistogram; 2],
    n_real: [usize; 2],
    columns: [&[u8]; 2],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, checked just above.
        return unsafe { build_two_avx(out, n_real, columns, samples, gh) };
    }
    build_two(out, n_real, columns, samples, gh)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn build_two_avx(
    out: [&mut FeatureHistogram; 2],
    n_real: [usize; 2],
    columns: [&[u8]; 2],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    build_two(out, n_real, columns, samples, gh)
}

#[inline(always)]
fn build_two(
    out: [&mut FeatureHistogram; 2],
    n_real: [usize; 2],
    columns: [&[u8]; 2],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    let [a, b] = out;
    clear(a, n_real[0]);
    clear(b, n_real[1]);
    let [ca, cb] = columns;
    match samples {
        None => {
            for ((&ba, &bb), gh) in ca.iter().zip(cb).zip(gh) {
                let s = slot_of(gh);
                a[ba as usize].add(&s);
                b[bb as usize].add(&s);
            }
        }
        Some(samples) => {
            for (&i, gh) in samples.iter().zip(gh) {
                let s = slot_of(gh);
                a[ca[i as usize] as usize].add(&s);
                b[cb[i as usize] as usize].add(&s);
            }
        }
    }
}

/// `parent -= child` over bins `0..n_real` and the missing bin: the parent's
/// histogram becomes the sibling's. Compiled for AVX too (chosen at run
/// time): a slot is then one vector.
pub fn subtract_feature(parent: &mut FeatureHistogram, child: &FeatureHistogram, n_real: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX, checked just above.
        return unsafe { subtract_avx(parent, child, n_real) };
    }
    subtract(parent, child, n_real)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn subtract_avx(parent: &mut FeatureHistogram, child: &FeatureHistogram, n_real: usize) {
    subtract(parent, child, n_real)
}

#[inline(always)]
fn subtract(parent: &mut FeatureHistogram, child: &FeatureHistogram, n_real: usize) {
    for (p, c) in parent[..n_real].iter_mut().zip(&child[..n_real]) {
        *p = p.minus(c);
    }
    parent[SLOTS - 1] = parent[SLOTS - 1].minus(&child[SLOTS - 1]);
}

#[cfg(test)]
mod tests {
    use super::super::bins::{Bins, MISSING_BIN};
    use super::*;
    use ndarray::array;

    #[test]
    fn indexed_build_and_subtraction_agree_with_direct_sums() {
        let x = array![[0.0], [1.0], [1.0], [2.0], [f64::NAN]];
        let bins = Bins::new(x.view(), &[0, 1, 2, 3, 4], 255, &[]).unwrap();
        let n_real = bins.n_real(0);
        let gh: Vec<Gh> = [1.0f32, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .map(|&g| [g, 1.0])
            .collect();
        let mut root = empty(1);
        build_feature(&mut root[0], n_real, bins.column(0), None, &gh);
        assert_eq!(root[0][1].g, 5.0);
        assert_eq!(root[0][1].n, 2.0);
        assert_eq!(root[0][1].h, 2.0);
        assert_eq!(root[0][MISSING_BIN as usize].g, 5.0);
        // Child holding samples 1 and 4, gradients gathered in its order.
        let mut child = empty(1);
        build_feature(
            &mut child[0],
            n_real,
            bins.column(0),
            Some(&[1, 4]),
            &[[2.0, 1.0], [5.0, 1.0]],
        );
        subtract_feature(&mut root[0], &child[0], n_real);
        assert_eq!(root[0][1].g, 3.0);
        assert_eq!(root[0][1].n, 1.0);
        assert_eq!(root[0][MISSING_BIN as usize].n, 0.0);
        assert_eq!(root[0][0].g, 1.0);
    }
}
