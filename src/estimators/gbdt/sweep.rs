//! The threshold sweep of one numeric feature: the hot loop of a fit on
//! small and middle-sized data (every node scans every feature's bins).
//!
//! A threshold's score gl²/dl + gr²/dr is kept as the fraction num / den
//! and compared with the best by cross-multiplication, bin after bin, the
//! first strictly better bin winning. Whether a bin beats the best is a
//! data-dependent branch the CPU mispredicts often, so where the CPU has
//! AVX the bins go by in blocks of eight: their left sums in order (the
//! same additions as one bin at a time), their fractions four at a time
//! with no branch, and only the bins that may beat the best, those not
//! clearly below it, are compared exactly. A bin clearly below the best
//! (by a relative margin far above rounding) would lose the exact
//! comparison too, so the result is the same, bit for bit, as comparing
//! every bin.

use super::grower::MIN_HESSIAN;
use super::histogram::{BinStats, FeatureHistogram};

/// The best threshold so far: its score as the fraction num / den (den >
/// 0) and, once one is found, its bin, whether the missing rows went left
/// and its left side's sums.
pub struct Best {
    pub num: f64,
    pub den: f64,
    pub found: Option<(usize, bool, BinStats)>,
}

/// One feature's histogram at one node, with the node's sums and limits.
pub struct Sweep<'h> {
    pub hist: &'h FeatureHistogram,
    pub n_real: usize,
    pub total: &'h BinStats,
    pub l2: f64,
    pub min_leaf: f64,
}

/// A bin whose score is below the best's times (1 - MARGIN) cannot win the
/// exact comparison: the scores' rounding errors are ~1e-15 relative.
const MARGIN: f64 = 1e-8;

/// The best of one sweep, as the exact bin-by-bin comparison finds it.
struct Leader {
    num: f64,
    den: f64,
    /// Bin and left sums of the best found in this sweep.
    at: Option<(usize, BinStats)>,
    /// The best's score times (1 - MARGIN); -inf when it cannot bound
    /// anything (den <= 0, a negative or undefined score).
    floor: f64,
}

impl Leader {
    fn new(num: f64, den: f64) -> Leader {
        let mut leader = Leader {
            num,
            den,
            at: None,
            floor: f64::NEG_INFINITY,
        };
        leader.refresh_floor();
        leader
    }

    /// The exact comparison: strictly better than the best so far.
    #[inline(always)]
    fn offer(&mut self, bin: usize, left: &BinStats, (num, den): (f64, f64)) {
        if num * self.den > self.num * den {
            self.num = num;
            self.den = den;
            self.at = Some((bin, *left));
        }
    }

    fn refresh_floor(&mut self) {
        let score = self.num / self.den;
        self.floor = if self.den > 0.0 && score >= 0.0 && score.is_finite() {
            score * (1.0 - MARGIN)
        } else {
            f64::NEG_INFINITY
        };
    }
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

    /// One left-to-right sweep over bins `0..last`, starting from `start`
    /// on the left (the missing rows when `missing_left`); improves `best`.
    pub fn run(&self, start: BinStats, last: usize, missing_left: bool, best: &mut Best) {
        let end = self.end(last, missing_left);
        let mut leader = Leader::new(best.num, best.den);
        // Until the left side is big enough (the first threshold), bins are
        // only added up.
        let mut searching = true;
        let mut sums = start;
        let mut bin = 0;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, checked just above.
            bin = unsafe { avx::blocks(self, &mut sums, end, &mut leader, &mut searching) };
        }
        for (b, s) in self.hist[..end].iter().enumerate().skip(bin) {
            sums.add(s);
            if searching {
                if !self.big_enough(sums.n, sums.h) {
                    continue;
                }
                searching = false;
            }
            leader.offer(b, &sums, self.fraction(sums.g, sums.h));
        }
        if let Some((b, left)) = leader.at {
            best.num = leader.num;
            best.den = leader.den;
            best.found = Some((b, missing_left, left));
        }
    }
}

/// The blocks of a sweep with AVX intrinsics.
#[cfg(target_arch = "x86_64")]
mod avx {
    use super::{BinStats, Leader, Sweep, MIN_HESSIAN};
    use std::arch::x86_64::*;

    /// Bins per block: two vectors of four.
    const BLOCK: usize = 8;

    #[inline(always)]
    fn load(s: &BinStats) -> __m256d {
        // SAFETY: BinStats is four f64 in a 32-byte aligned repr(C) struct.
        unsafe { _mm256_load_pd(std::ptr::from_ref(s).cast()) }
    }

    #[inline(always)]
    fn stats(v: __m256d) -> BinStats {
        let mut s = BinStats::default();
        // SAFETY: as in `load`.
        unsafe { _mm256_store_pd(std::ptr::from_mut(&mut s).cast(), v) };
        s
    }

    #[inline(always)]
    fn lanes(v: __m256d) -> [f64; 4] {
        let mut a = [0.0; 4];
        // SAFETY: four f64, unaligned store.
        unsafe { _mm256_storeu_pd(a.as_mut_ptr(), v) };
        a
    }

    /// Sweeps whole blocks from bin 0 while they end by `end`, `sums`
    /// starting as the left side's start and `searching` for the first
    /// threshold; returns the first bin not swept (`sums`: the left sums
    /// before it).
    #[target_feature(enable = "avx")]
    pub(super) fn blocks(
        sweep: &Sweep,
        sums: &mut BinStats,
        end: usize,
        leader: &mut Leader,
        searching: &mut bool,
    ) -> usize {
        let (tg, th) = (_mm256_set1_pd(sweep.total.g), _mm256_set1_pd(sweep.total.h));
        let l2 = _mm256_set1_pd(sweep.l2);
        let (min_leaf, min_hessian) = (_mm256_set1_pd(sweep.min_leaf), _mm256_set1_pd(MIN_HESSIAN));
        let zero = _mm256_setzero_pd();
        let mut acc = load(sums);
        let mut bin = 0;
        while bin + BLOCK <= end {
            let block: &[BinStats; BLOCK] = sweep.hist[bin..bin + BLOCK].try_into().unwrap();
            let mut prefix = [zero; BLOCK];
            for (p, s) in prefix.iter_mut().zip(block) {
                acc = _mm256_add_pd(acc, load(s));
                *p = acc;
            }
            let floor = _mm256_set1_pd(leader.floor);
            let mut fractions = [(zero, zero); 2];
            let mut candidates = 0;
            let mut big = 0;
            for (q, f) in fractions.iter_mut().enumerate() {
                let [p0, p1, p2, p3] = [0, 1, 2, 3].map(|j| prefix[4 * q + j]);
                // Transpose: g and h of the four bins.
                let (lo01, hi01) = (_mm256_unpacklo_pd(p0, p1), _mm256_unpackhi_pd(p0, p1));
                let (lo23, hi23) = (_mm256_unpacklo_pd(p2, p3), _mm256_unpackhi_pd(p2, p3));
                let g = _mm256_permute2f128_pd::<0x20>(lo01, lo23);
                let h = _mm256_permute2f128_pd::<0x20>(hi01, hi23);
                // Sweep::fraction, the same operations in the same order.
                let (gr, hr) = (_mm256_sub_pd(tg, g), _mm256_sub_pd(th, h));
                let (dl, dr) = (_mm256_add_pd(h, l2), _mm256_add_pd(hr, l2));
                let num = _mm256_add_pd(
                    _mm256_mul_pd(_mm256_mul_pd(g, g), dr),
                    _mm256_mul_pd(_mm256_mul_pd(gr, gr), dl),
                );
                let den = _mm256_mul_pd(dl, dr);
                // Not clearly below the best: !(den > 0 && num < floor * den).
                let maybe = _mm256_or_pd(
                    _mm256_cmp_pd::<_CMP_NGT_UQ>(den, zero),
                    _mm256_cmp_pd::<_CMP_NLT_UQ>(num, _mm256_mul_pd(floor, den)),
                );
                candidates |= _mm256_movemask_pd(maybe) << (4 * q);
                *f = (num, den);
                if *searching {
                    // Sweep::big_enough of the left side.
                    let n = _mm256_permute2f128_pd::<0x31>(lo01, lo23);
                    let enough = _mm256_and_pd(
                        _mm256_cmp_pd::<_CMP_GE_OQ>(n, min_leaf),
                        _mm256_cmp_pd::<_CMP_GE_OQ>(h, min_hessian),
                    );
                    big |= _mm256_movemask_pd(enough) << (4 * q);
                }
            }
            if *searching {
                // Thresholds start at the first bin whose left side is big enough.
                if big == 0 {
                    candidates = 0;
                } else {
                    candidates &= !0 << big.trailing_zeros();
                    *searching = false;
                }
            }
            if candidates != 0 {
                let num = [lanes(fractions[0].0), lanes(fractions[1].0)];
                let den = [lanes(fractions[0].1), lanes(fractions[1].1)];
                while candidates != 0 {
                    let j = candidates.trailing_zeros() as usize;
                    candidates &= candidates - 1;
                    let left = stats(prefix[j]);
                    leader.offer(bin + j, &left, (num[j / 4][j % 4], den[j / 4][j % 4]));
                }
                leader.refresh_floor();
            }
            bin += BLOCK;
        }
        *sums = stats(acc);
        bin
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
    fn every_bin(sweep: &Sweep, start: BinStats, last: usize, missing_left: bool, best: &mut Best) {
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
                best.found = Some((b, missing_left, left));
            }
        }
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
    fn blocks_find_the_same_threshold_as_every_bin_bit_for_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut found = 0;
        for case in 0..3000usize {
            let n_real = rng.random_range(2..=255);
            let (hist, total) = histogram(&mut rng, n_real, (case % 3 / 2) as u32);
            let l2 = [0.0, 0.5][case % 2];
            let sweep = Sweep {
                hist: &hist,
                n_real,
                total: &total,
                l2,
                min_leaf: rng.random_range(1..25) as f64,
            };
            let parent = total.g * total.g / (total.h + l2);
            let missing = hist[MISSING_BIN as usize];
            let mut fast = Best {
                num: parent,
                den: 1.0,
                found: None,
            };
            let mut plain = Best {
                num: parent,
                den: 1.0,
                found: None,
            };
            for (start, last, left) in [
                (BinStats::default(), n_real, false),
                (missing, n_real - 1, true),
            ] {
                sweep.run(start, last, left, &mut fast);
                every_bin(&sweep, start, last, left, &mut plain);
                assert_eq!(fast.num.to_bits(), plain.num.to_bits(), "case {case}");
                assert_eq!(fast.den.to_bits(), plain.den.to_bits(), "case {case}");
                assert_eq!(fast.found, plain.found, "case {case}");
            }
            found += usize::from(plain.found.is_some());
        }
        assert!(found > 1000, "only {found} cases had a split");
    }
}
