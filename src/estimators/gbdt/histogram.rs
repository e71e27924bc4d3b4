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

use super::bins::{Codes, GROUP, SLOTS};

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

/// How many samples ahead the indexed build asks for a sample's codes: a
/// child's samples are scattered over the rows, and the hardware does not
/// guess where the next one lies.
const PREFETCH: usize = 16;

/// Fills the histograms `out` of the first `out.len()` features of a group
/// (bins `0..n_real[k]` and the missing bin) from the group's `codes` over
/// the node's `samples` (None: every sample, in order) and their gathered
/// gradients `gh`, in one pass: each sample's codes and gradients are
/// loaded once for all the features. Compiled for AVX too (chosen at run
/// time), where a slot is one vector. Each histogram is summed in sample
/// order, so the sums are the same however many features share the pass.
pub fn build_features(
    out: &mut [&mut FeatureHistogram],
    n_real: &[usize],
    codes: &[Codes],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    fn group<const N: usize>(
        out: &mut [&mut FeatureHistogram],
        n_real: &[usize],
        codes: &[Codes],
        samples: Option<&[u32]>,
        gh: &[Gh],
    ) {
        let out: &mut [&mut FeatureHistogram; N] = out.try_into().expect("N histograms");
        let n_real: &[usize; N] = n_real.try_into().expect("N bin counts");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above.
            return unsafe { build_avx(out, n_real, codes, samples, gh) };
        }
        build(out, n_real, codes, samples, gh)
    }
    match out.len() {
        1 => group::<1>(out, n_real, codes, samples, gh),
        2 => group::<2>(out, n_real, codes, samples, gh),
        3 => group::<3>(out, n_real, codes, samples, gh),
        4 => group::<4>(out, n_real, codes, samples, gh),
        n => panic!("{n} features in one pass (a group has {GROUP})"),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn build_avx<const N: usize>(
    out: &mut [&mut FeatureHistogram; N],
    n_real: &[usize; N],
    codes: &[Codes],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    build(out, n_real, codes, samples, gh)
}

#[inline(always)]
fn build<const N: usize>(
    out: &mut [&mut FeatureHistogram; N],
    n_real: &[usize; N],
    codes: &[Codes],
    samples: Option<&[u32]>,
    gh: &[Gh],
) {
    for (o, &n) in out.iter_mut().zip(n_real) {
        clear(o, n);
    }
    let mut add = |c: &Codes, gh: &Gh| {
        let s = slot_of(gh);
        for (o, &c) in out.iter_mut().zip(c) {
            o[c as usize].add(&s);
        }
    };
    match samples {
        None => {
            for (c, gh) in codes[..gh.len()].iter().zip(gh) {
                add(c, gh);
            }
        }
        Some(samples) => {
            let (ahead, tail) = samples.split_at(samples.len().saturating_sub(PREFETCH));
            for (k, (&i, gh)) in ahead.iter().zip(gh).enumerate() {
                prefetch(codes, samples[k + PREFETCH]);
                add(&codes[i as usize], gh);
            }
            for (&i, gh) in tail.iter().zip(&gh[ahead.len()..]) {
                add(&codes[i as usize], gh);
            }
        }
    }
}

/// Asks for sample `i`'s codes to be brought into the nearest cache.
#[inline(always)]
fn prefetch(codes: &[Codes], i: u32) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let at = codes.as_ptr().wrapping_add(i as usize).cast();
        // SAFETY: every x86_64 CPU has SSE; a prefetch reads nothing into
        // the program and never faults.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (codes, i);
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
        build_features(&mut [&mut root[0]], &[n_real], bins.group(0), None, &gh);
        assert_eq!(root[0][1].g, 5.0);
        assert_eq!(root[0][1].n, 2.0);
        assert_eq!(root[0][1].h, 2.0);
        assert_eq!(root[0][MISSING_BIN as usize].g, 5.0);
        // Child holding samples 1 and 4, gradients gathered in its order.
        let mut child = empty(1);
        build_features(
            &mut [&mut child[0]],
            &[n_real],
            bins.group(0),
            Some(&[1, 4]),
            &[[2.0, 1.0], [5.0, 1.0]],
        );
        subtract_feature(&mut root[0], &child[0], n_real);
        assert_eq!(root[0][1].g, 3.0);
        assert_eq!(root[0][1].n, 1.0);
        assert_eq!(root[0][MISSING_BIN as usize].n, 0.0);
        assert_eq!(root[0][0].g, 1.0);
    }

    /// Each feature's histogram, summed one sample at a time in `samples`'
    /// order: what a pass over a whole group must give, bit for bit.
    fn naive(bins: &Bins, f: usize, samples: &[u32], gh: &[Gh]) -> FeatureHistogram {
        let column = bins.column(f);
        let mut hist = [BinStats::default(); SLOTS];
        for (&s, gh) in samples.iter().zip(gh) {
            hist[column[s as usize] as usize].add(&slot_of(gh));
        }
        hist
    }

    #[test]
    fn a_group_pass_gives_each_feature_its_own_sample_order_sums() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 3000;
        // Six features: a full group and a padded one.
        let x = ndarray::Array2::from_shape_fn((n, 6), |_| {
            if rng.random_bool(0.1) {
                f64::NAN
            } else {
                rng.random_range(-3.0..3.0)
            }
        });
        let rows: Vec<usize> = (0..n).collect();
        let bins = Bins::new(x.view(), &rows, 255, &[]).unwrap();
        let all: Vec<u32> = (0..n as u32).collect();
        // Samples fewer than, as many as and more than the prefetch
        // distance, and every sample (the root's pass, without indices).
        for density in [0.001, 0.005, 0.3, 1.0] {
            let samples: Vec<u32> = all
                .iter()
                .copied()
                .filter(|_| rng.random_bool(density))
                .collect();
            let gh: Vec<Gh> = samples
                .iter()
                .map(|_| [rng.random_range(-1.0..1.0), rng.random_range(0.0..0.25)])
                .collect();
            let indexed = (density < 1.0).then_some(samples.as_slice());
            for (g, width) in [(0, GROUP), (1, 2)] {
                let features: Vec<usize> = (GROUP * g..GROUP * g + width).collect();
                let n_real: Vec<usize> = features.iter().map(|&f| bins.n_real(f)).collect();
                let mut hists = empty(width);
                let mut outs: Vec<&mut FeatureHistogram> = hists.iter_mut().collect();
                build_features(&mut outs, &n_real, bins.group(g), indexed, &gh);
                for (k, &f) in features.iter().enumerate() {
                    let want = naive(&bins, f, &samples, &gh);
                    assert_eq!(hists[k], want, "feature {f}, {} samples", samples.len());
                }
            }
        }
    }
}
