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

/// Most features one pass over a node's samples builds.
pub const MAX_GROUP: usize = 4;

/// Fills the histograms `out` of up to [`MAX_GROUP`] features (bins
/// `0..n_real[k]` and the missing bin) from their bin `columns` over the
/// node's `samples` (None: every sample, in order) and their gathered
/// gradients `gh`, in one pass: each sample's index and gradients are loaded
/// once for all the features. Compiled for AVX too (chosen at run time),
/// where a slot is one vector. Each histogram is summed in sample order,
/// so the sums are the same however many features share the pass.
pub fn build_features(
    out: &mut [&mut FeatureHistogram],
    n_real: &[usize],
    columns: &[&[u8]],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    fn group<const N: usize>(
        out: &mut [&mut FeatureHistogram],
        n_real: &[usize],
        columns: &[&[u8]],
        samples: Option<&[u32]>,
        gh: &[Gh],
    ) {
        let out: &mut [&mut FeatureHistogram; N] = out.try_into().expect("N histograms");
        let n_real: &[usize; N] = n_real.try_into().expect("N bin counts");
        let columns: &[&[u8]; N] = columns.try_into().expect("N columns");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above.
            return unsafe { build_avx(out, n_real, columns, samples, gh) };
        }
        build(out, n_real, columns, samples, gh)
    }
    match out.len() {
        1 => group::<1>(out, n_real, columns, samples, gh),
        2 => group::<2>(out, n_real, columns, samples, gh),
        3 => group::<3>(out, n_real, columns, samples, gh),
        4 => group::<4>(out, n_real, columns, samples, gh),
        n => panic!("{n} features in one pass (at most {MAX_GROUP})"),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn build_avx<const N: usize>(
    out: &mut [&mut FeatureHistogram; N],
    n_real: &[usize; N],
    columns: &[&[u8]; N],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    build(out, n_real, columns, samples, gh)
}

#[inline(always)]
fn build<const N: usize>(
    out: &mut [&mut FeatureHistogram; N],
    n_real: &[usize; N],
    columns: &[&[u8]; N],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    for (o, &n) in out.iter_mut().zip(n_real) {
        clear(o, n);
    }
    match samples {
        None => {
            let columns = columns.map(|c| &c[..gh.len()]);
            for (i, gh) in gh.iter().enumerate() {
                let s = slot_of(gh);
                for (o, c) in out.iter_mut().zip(&columns) {
                    o[c[i] as usize].add(&s);
                }
            }
        }
        Some(samples) => {
            for (&i, gh) in samples.iter().zip(gh) {
                let s = slot_of(gh);
                for (o, c) in out.iter_mut().zip(columns) {
                    o[c[i as usize] as usize].add(&s);
                }
            }
        }
    }
}

fn clear(out: &mut FeatureHistogram, n_real: usize) {
    out[..n_real].fill(BinStats::default());
    out[SLOTS - 1] = BinStats::default();
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
        build_features(&mut [&mut root[0]], &[n_real], &[bins.column(0)], None, &gh);
        assert_eq!(root[0][1].g, 5.0);
        assert_eq!(root[0][1].n, 2.0);
        assert_eq!(root[0][1].h, 2.0);
        assert_eq!(root[0][MISSING_BIN as usize].g, 5.0);
        // Child holding samples 1 and 4, gradients gathered in its order.
        let mut child = empty(1);
        build_features(
            &mut [&mut child[0]],
            &[n_real],
            &[bins.column(0)],
            Some(&[1, 4]),
            &[[2.0, 1.0], [5.0, 1.0]],
        );
        subtract_feature(&mut root[0], &child[0], n_real);
        assert_eq!(root[0][1].g, 3.0);
        assert_eq!(root[0][1].n, 1.0);
        assert_eq!(root[0][MISSING_BIN as usize].n, 0.0);
        assert_eq!(root[0][0].g, 1.0);
    }

    #[test]
    fn a_group_pass_gives_each_feature_the_histogram_of_a_pass_of_its_own() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 3000;
        let x = ndarray::Array2::from_shape_fn((n, MAX_GROUP), |_| {
            if rng.random_bool(0.1) {
                f64::NAN
            } else {
                rng.random_range(-3.0..3.0)
            }
        });
        let rows: Vec<usize> = (0..n).collect();
        let bins = Bins::new(x.view(), &rows, 255, &[]).unwrap();
        let samples: Vec<u32> = (0..n as u32).filter(|_| rng.random_bool(0.3)).collect();
        let gh: Vec<Gh> = samples
            .iter()
            .map(|_| [rng.random_range(-1.0..1.0), rng.random_range(0.0..0.25)])
            .collect();
        let features: Vec<usize> = (0..MAX_GROUP).collect();
        let n_real: Vec<usize> = features.iter().map(|&f| bins.n_real(f)).collect();
        let columns: Vec<&[u8]> = features.iter().map(|&f| bins.column(f)).collect();
        let mut together = empty(MAX_GROUP);
        let mut outs: Vec<&mut FeatureHistogram> = together.iter_mut().collect();
        build_features(&mut outs, &n_real, &columns, Some(&samples), &gh);
        for f in features {
            let mut alone = empty(1);
            build_features(
                &mut [&mut alone[0]],
                &[n_real[f]],
                &[columns[f]],
                Some(&samples),
                &gh,
            );
            assert_eq!(alone[0], together[f], "feature {f}");
        }
    }
}
