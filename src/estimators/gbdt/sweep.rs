//! The threshold sweep of one numeric feature: the hot loop of a fit on
//! small and middle-sized data (every node scans every feature's bins).
//!
//! A threshold's score gl²/dl + gr²/dr is kept as the fraction num / den
//! and compared with the best by cross-multiplication, bin after bin, the
//! first strictly better bin winning. One sweep alone is a chain of
//! dependent steps (each bin's left sums on the previous ones, each
//! comparison on the best so far), and whether a bin beats the best is a
//! branch the CPU mispredicts often (the score climbs to its peak through
//! many new bests). Where the CPU has AVX, eight sweeps (a grower's four
//! features at two sibling nodes) run side by side instead (`run_lanes`):
//! each sweep's fractions in one lane of a vector, the comparison made in
//! four lanes at once and the best kept by blending, with no branch, two
//! vectors' chains overlapping. The operations and their order are
//! `Sweep::run`'s, so the result is the same, bit for bit.

use super::grower::MIN_HESSIAN;
use super::histogram::{BinStats, FeatureHistogram};

/// Sweeps run side by side.
pub const LANES: usize = 8;

/// The best threshold so far: its score as the fraction num / den (den >
/// 0) and, once one is found, its bin and whether the missing rows went
/// left (its left side's sums: `Sweep::left_sums`, only for the split a
/// node takes).
pub struct Best {
    pub num: f64,
    pub den: f64,
    pub found: Option<(usize, bool)>,
}

/// One feature's histogram at one node, with the node's sums and limits.
#[derive(Clone, Copy)]
pub struct Sweep<'h> {
    pub hist: &'h FeatureHistogram,
    pub n_real: usize,
    pub total: &'h BinStats,
    pub l2: f64,
    pub min_leaf: f64,
}

/// One sweep of a feature among those run side by side: `Sweep::run`'s
/// arguments.
#[derive(Clone, Copy)]
pub struct Lane<'h> {
    pub sweep: Sweep<'h>,
    /// The left side's sums before bin 0 (the missing rows when they go left).
    pub start: BinStats,
    /// Thresholds at bins `0..last`.
    pub last: usize,
    pub missing_left: bool,
}

impl Sweep<'_> {
    /// Whether a side with these sums may be a child.
    #[inline]
    fn big_enough(&self, n: f64, h: f64) -> bool {
        n >= self.min_leaf && h >= MIN_HESSIAN
    }

    /// The score of threshold "left sums gl, hl" as (num, den).
    #[inline(always)]
    fn fraction(&self, gl: f64, hl: f64) -> (f64, f64) {
        let (gr, hr) = (self.total.g - gl, self.total.h - hl);
        let (dl, dr) = (hl + self.l2, hr + self.l2);
        (gl * gl * dr + gr * gr * dl, dl * dr)
    }

    /// The end of the thresholds of a sweep over bins `0..last` that leave
    /// the right side big enough: thresholds `..end` (counts and hessians
    /// only shrink on the right as the threshold moves right).
    fn end(&self, last: usize, missing_left: bool) -> usize {
        // The right side of threshold `end - 1`: bins end..n_real, plus the
        // missing rows when they go right.
        let mut right = if missing_left {
            BinStats::default()
        } else {
            self.hist[super::bins::MISSING_BIN as usize]
        };
        for s in &self.hist[last..self.n_real] {
            right.add(s);
        }
        let mut end = last;
        while end > 0 && !self.big_enough(right.n, right.h) {
            end -= 1;
            right.add(&self.hist[end]);
        }
        end
    }

    /// The first threshold of a sweep starting from `start` whose left
    /// side is big enough (`end` or beyond: none before `end`).
    fn first(&self, start: BinStats, end: usize) -> usize {
        let mut left = start;
        for (b, s) in self.hist[..end].iter().enumerate() {
            left.add(s);
            if self.big_enough(left.n, left.h) {
                return b;
            }
        }
        end
    }

    /// One left-to-right sweep over bins `0..last`, starting from `start`
    /// on the left (the missing rows when `missing_left`), every threshold
    /// compared exactly; improves `best`.
    pub fn run(&self, start: BinStats, last: usize, missing_left: bool, best: &mut Best) {
        let end = self.end(last, missing_left);
        // Until the left side is big enough (the first threshold), bins are
        // only added up.
        let mut searching = true;
        let mut sums = start;
        for (b, s) in self.hist[..end].iter().enumerate() {
            sums.add(s);
            if searching {
                if !self.big_enough(sums.n, sums.h) {
                    continue;
                }
                searching = false;
            }
            let (num, den) = self.fraction(sums.g, sums.h);
            if num * best.den > best.num * den {
                best.num = num;
                best.den = den;
                best.found = Some((b, missing_left));
            }
        }
    }
}

/// The left side of threshold `bin`: `start` plus bins `0..=bin`, added in
/// a sweep's order (the same sums, bit for bit).
pub fn left_sums(hist: &FeatureHistogram, start: BinStats, bin: usize) -> BinStats {
    hist[..=bin].iter().fold(start, |mut left, s| {
        left.add(s);
        left
    })
}

/// Runs the sweeps `lanes` (None: no sweep), lane k improving `bests[k]`:
/// side by side where the CPU has AVX, else one after another; the same
/// result either way, bit for bit.
pub fn run_lanes(lanes: &[Option<Lane>; LANES], bests: &mut [Best; LANES]) {
    #[cfg(target_arch = "x86_64")]
    {
        // With AVX-512 the same code has 32 vector registers, enough to keep
        // every lane's sums and best in registers.
        if std::is_x86_feature_detected!("avx512vl") {
            // SAFETY: the CPU has AVX-512 VL (and so AVX), checked just above.
            return unsafe { avx::lanes_with_32_registers(lanes, bests) };
        }
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above.
            return unsafe { avx::lanes_with_16_registers(lanes, bests) };
        }
    }
    for (lane, best) in lanes.iter().zip(bests) {
        if let Some(l) = lane {
            l.sweep.run(l.start, l.last, l.missing_left, best);
        }
    }
}

/// Four sweeps side by side with AVX intrinsics.
#[cfg(target_arch = "x86_64")]
mod avx {
    use super::{Best, BinStats, FeatureHistogram, Lane, LANES};
    use std::arch::x86_64::*;

    #[inline(always)]
    fn load(s: &BinStats) -> __m256d {
        // SAFETY: BinStats is four f64 in a 32-byte aligned repr(C) struct.
        unsafe { _mm256_load_pd(std::ptr::from_ref(s).cast()) }
    }

    #[inline(always)]
    fn lanes_of(v: __m256d) -> [f64; 4] {
        let mut a = [0.0; 4];
        // SAFETY: four f64, unaligned store.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
        a
    }

    #[inline(always)]
    fn vector(a: [f64; 4]) -> __m256d {
        // SAFETY: four f64, unaligned load.
        unsafe { _mm256_loadu_pd(a.as_ptr()) }
    }

    /// Lanes per vector.
    const WIDTH: usize = 4;
    /// Vectors of lanes: each carries its own chain of comparisons with its
    /// best, so the CPU overlaps them.
    const VECTORS: usize = LANES / WIDTH;

    #[target_feature(enable = "avx")]
    pub(super) fn lanes_with_16_registers(
        lanes: &[Option<Lane>; LANES],
        bests: &mut [Best; LANES],
    ) {
        // SAFETY: this function is only called where the CPU has AVX.
        unsafe { sweep_lanes(lanes, bests) }
    }

    #[target_feature(enable = "avx,avx512f,avx512vl")]
    pub(super) fn lanes_with_32_registers(
        lanes: &[Option<Lane>; LANES],
        bests: &mut [Best; LANES],
    ) {
        // SAFETY: this function is only called where the CPU has AVX.
        unsafe { sweep_lanes(lanes, bests) }
    }

    /// `super::run_lanes` with AVX: bin after bin, each lane's left sums
    /// one vector (g, h, n, 0), transposed four by four so that each lane
    /// of the g and h vectors is one sweep's; each lane's best fraction and
    /// bin are kept in vectors, its left sums added up again at the end.
    ///
    /// # Safety
    /// The CPU must have AVX.
    #[inline(always)]
    unsafe fn sweep_lanes(lanes: &[Option<Lane>; LANES], bests: &mut [Best; LANES]) {
        let Some(any) = lanes.iter().flatten().next() else {
            return;
        };
        // A lane without a sweep reads another's bins and takes no part.
        let lane = |k: usize| lanes[k].as_ref().unwrap_or(any);
        let hists: [&FeatureHistogram; LANES] = std::array::from_fn(|k| lane(k).sweep.hist);
        // Each lane's thresholds: bins first..end.
        let ends: [usize; LANES] =
            std::array::from_fn(|k| lanes[k].map_or(0, |l| l.sweep.end(l.last, l.missing_left)));
        let firsts: [usize; LANES] =
            std::array::from_fn(|k| lanes[k].map_or(0, |l| l.sweep.first(l.start, ends[k])));
        let per_lane = |v: usize, value: &dyn Fn(usize) -> f64| {
            vector(std::array::from_fn(|j| value(WIDTH * v + j)))
        };
        let per_vector = |value: &dyn Fn(usize) -> f64| -> [__m256d; VECTORS] {
            std::array::from_fn(|v| per_lane(v, value))
        };
        let tg = per_vector(&|k| lane(k).sweep.total.g);
        let th = per_vector(&|k| lane(k).sweep.total.h);
        let l2 = per_vector(&|k| lane(k).sweep.l2);
        let first_v = per_vector(&|k| firsts[k] as f64);
        let end_v = per_vector(&|k| ends[k] as f64);
        let mut best_num = per_vector(&|k| bests[k].num);
        let mut best_den = per_vector(&|k| bests[k].den);
        // The best's bin; -1: none found in this sweep.
        let mut best_bin = [_mm256_set1_pd(-1.0); VECTORS];
        let mut acc: [__m256d; LANES] = std::array::from_fn(|k| load(&lane(k).start));
        let one = _mm256_set1_pd(1.0);
        let mut bin_v = _mm256_setzero_pd();
        let n_bins = ends.iter().copied().max().unwrap_or(0);
        for bin in 0..n_bins {
            for (a, hist) in acc.iter_mut().zip(&hists) {
                *a = _mm256_add_pd(*a, load(&hist[bin]));
            }
            for v in 0..VECTORS {
                let a = &acc[WIDTH * v..WIDTH * (v + 1)];
                // Transpose: lane j of g and h is sweep WIDTH * v + j's.
                let (lo01, hi01) = (
                    _mm256_unpacklo_pd(a[0], a[1]),
                    _mm256_unpackhi_pd(a[0], a[1]),
                );
                let (lo23, hi23) = (
                    _mm256_unpacklo_pd(a[2], a[3]),
                    _mm256_unpackhi_pd(a[2], a[3]),
                );
                let g = _mm256_permute2f128_pd::<0x20>(lo01, lo23);
                let h = _mm256_permute2f128_pd::<0x20>(hi01, hi23);
                // Sweep::fraction, the same operations in the same order.
                let (gr, hr) = (_mm256_sub_pd(tg[v], g), _mm256_sub_pd(th[v], h));
                let (dl, dr) = (_mm256_add_pd(h, l2[v]), _mm256_add_pd(hr, l2[v]));
                let num = _mm256_add_pd(
                    _mm256_mul_pd(_mm256_mul_pd(g, g), dr),
                    _mm256_mul_pd(_mm256_mul_pd(gr, gr), dl),
                );
                let den = _mm256_mul_pd(dl, dr);
                let threshold = _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(bin_v, first_v[v]),
                    _mm256_cmp_pd::<_CMP_LT_OQ>(bin_v, end_v[v]),
                );
                // The exact comparison of Sweep::run, in the lanes with a
                // threshold at this bin.
                let better = _mm256_and_pd(
                    threshold,
                    _mm256_cmp_pd::<_CMP_GT_OQ>(
                        _mm256_mul_pd(num, best_den[v]),
                        _mm256_mul_pd(best_num[v], den),
                    ),
                );
                best_num[v] = _mm256_blendv_pd(best_num[v], num, better);
                best_den[v] = _mm256_blendv_pd(best_den[v], den, better);
                best_bin[v] = _mm256_blendv_pd(best_bin[v], bin_v, better);
            }
            bin_v = _mm256_add_pd(bin_v, one);
        }
        for (k, best) in bests.iter_mut().enumerate() {
            let (v, j) = (k / WIDTH, k % WIDTH);
            let bin = lanes_of(best_bin[v])[j];
            if let (Some(l), true) = (&lanes[k], bin >= 0.0) {
                let bin = bin as usize;
                best.num = lanes_of(best_num[v])[j];
                best.den = lanes_of(best_den[v])[j];
                best.found = Some((bin, l.missing_left));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::bins::{MISSING_BIN, SLOTS};
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The plain sweep: from the first threshold whose left side is big
    /// enough, every bin compared exactly.
    /// Returns the best's left sums when it finds a better one.
    fn every_bin(
        sweep: &Sweep,
        start: BinStats,
        last: usize,
        missing_left: bool,
        best: &mut Best,
    ) -> Option<BinStats> {
        let mut best_left = None;
        let end = sweep.end(last, missing_left);
        let mut left = start;
        let mut first = None;
        for (b, s) in sweep.hist[..end].iter().enumerate() {
            left.add(s);
            if first.is_none() && !sweep.big_enough(left.n, left.h) {
                continue;
            }
            first = Some(b);
            let (num, den) = sweep.fraction(left.g, left.h);
            if num * best.den > best.num * den {
                best.num = num;
                best.den = den;
                best.found = Some((b, missing_left));
                best_left = Some(left);
            }
        }
        best_left
    }

    /// A histogram of `n_real` bins, many of them empty: random gradients,
    /// or (kind 1) one gradient and hessian for every sample, where every
    /// threshold ties with the parent up to rounding.
    fn histogram(
        rng: &mut ChaCha8Rng,
        n_real: usize,
        kind: u32,
    ) -> (Box<FeatureHistogram>, BinStats) {
        let mut hist = Box::new([BinStats::default(); SLOTS]);
        let n_samples = rng.random_range(1..600);
        for _ in 0..n_samples {
            let b = if rng.random_bool(0.05) {
                MISSING_BIN as usize
            } else {
                rng.random_range(0..n_real)
            };
            let (g, h) = match kind {
                1 => (0.3f32, 0.21f32),
                _ => (
                    rng.random_range(-1.0f32..1.0),
                    rng.random_range(0.0f32..0.25),
                ),
            };
            hist[b].add(&BinStats::new(f64::from(g), f64::from(h), 1.0));
        }
        let total = hist.iter().fold(BinStats::default(), |mut t, s| {
            t.add(s);
            t
        });
        (hist, total)
    }

    #[test]
    fn lanes_find_the_same_thresholds_as_every_bin_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut found = 0;
        for case in 0..1500usize {
            let l2 = [0.0, 0.5][case % 2];
            // Four features of one node: different bins, ends and missing rows.
            let made: Vec<_> = (0..LANES)
                .map(|k| {
                    let n_real = rng.random_range(2..=255);
                    let (hist, total) = histogram(&mut rng, n_real, ((case + k) % 3 / 2) as u32);
                    (hist, total, n_real, rng.random_range(1..25) as f64)
                })
                .collect();
            let present: Vec<bool> = (0..LANES).map(|_| rng.random_bool(0.85)).collect();
            let sweep = |k: usize| Sweep {
                hist: &made[k].0,
                n_real: made[k].2,
                total: &made[k].1,
                l2,
                min_leaf: made[k].3,
            };
            let parent = |k: usize| made[k].1.g * made[k].1.g / (made[k].1.h + l2);
            let fresh = |k: usize| Best {
                num: parent(k),
                den: 1.0,
                found: None,
            };
            let mut fast: [Best; LANES] = std::array::from_fn(fresh);
            let mut plain: [Best; LANES] = std::array::from_fn(fresh);
            let mut plain_left = [None; LANES];
            for missing_left in [false, true] {
                let lanes: [Option<Lane>; LANES] = std::array::from_fn(|k| {
                    let missing = made[k].0[MISSING_BIN as usize];
                    let n_real = made[k].2;
                    match (present[k], missing_left) {
                        (false, _) => None,
                        (true, false) => Some(Lane {
                            sweep: sweep(k),
                            start: BinStats::default(),
                            last: n_real,
                            missing_left,
                        }),
                        (true, true) => (missing.n > 0.0).then_some(Lane {
                            sweep: sweep(k),
                            start: missing,
                            last: n_real - 1,
                            missing_left,
                        }),
                    }
                });
                run_lanes(&lanes, &mut fast);
                for (k, (lane, best)) in lanes.iter().zip(plain.iter_mut()).enumerate() {
                    if let Some(l) = lane {
                        let left = every_bin(&l.sweep, l.start, l.last, l.missing_left, best);
                        plain_left[k] = left.or(plain_left[k]);
                    }
                }
                for k in 0..LANES {
                    assert_eq!(
                        fast[k].num.to_bits(),
                        plain[k].num.to_bits(),
                        "case {case} lane {k}"
                    );
                    assert_eq!(
                        fast[k].den.to_bits(),
                        plain[k].den.to_bits(),
                        "case {case} lane {k}"
                    );
                    assert_eq!(fast[k].found, plain[k].found, "case {case} lane {k}");
                    if let Some((bin, left)) = fast[k].found {
                        let start = if left {
                            made[k].0[MISSING_BIN as usize]
                        } else {
                            BinStats::default()
                        };
                        let sums = left_sums(&made[k].0, start, bin);
                        assert_eq!(Some(sums), plain_left[k], "case {case} lane {k}");
                    }
                }
            }
            found += plain.iter().filter(|b| b.found.is_some()).count();
        }
        assert!(found > 2000, "only {found} sweeps had a split");
    }
}
