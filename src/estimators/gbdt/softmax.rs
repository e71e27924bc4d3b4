//! The multiclass gradients: the softmax of each sample's raw scores,
//! computed for eight samples side by side (the raw scores are
//! class-major, so a class's scores of eight samples are one load). libm's
//! exp is one call per value and was most of the cost; the exp here is
//! plain arithmetic the compiler turns into vector instructions, within
//! two units in the last place of the exact value. The gradients are
//! stored as f32s, so they almost always come out the same as with libm's
//! exp, and always within one f32 unit.

/// Samples computed side by side.
const LANES: usize = 8;

/// Multiclass gradients and hessians of samples `start..start + len`
/// (raw scores class-major over all `y.len()` samples): class k's into
/// `g[k]` and `h[k]`, `len` long each. Every sample's values are the same
/// whichever lane or block computes it.
pub fn multi_gradients(
    n_classes: usize,
    y: &[f64],
    w: &[f64],
    raw: &[f64],
    start: usize,
    g: &mut [&mut [f32]],
    h: &mut [&mut [f32]],
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { gradients_avx2(n_classes, y, w, raw, start, g, h) };
    }
    gradients(n_classes, y, w, raw, start, g, h)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn gradients_avx2(
    n_classes: usize,
    y: &[f64],
    w: &[f64],
    raw: &[f64],
    start: usize,
    g: &mut [&mut [f32]],
    h: &mut [&mut [f32]],
) {
    gradients(n_classes, y, w, raw, start, g, h)
}

#[inline(always)]
fn gradients(
    n_classes: usize,
    y: &[f64],
    w: &[f64],
    raw: &[f64],
    start: usize,
    g: &mut [&mut [f32]],
    h: &mut [&mut [f32]],
) {
    let len = g.first().map_or(0, |g| g.len());
    let full = len / LANES * LANES;
    let mut e = vec![[0.0; LANES]; n_classes];
    let mut out = Out { g, h, e: &mut e };
    for first in (0..full).step_by(LANES) {
        side_by_side::<LANES>(y, w, raw, start, first, &mut out);
    }
    // The tail one by one, with the same arithmetic.
    for first in full..len {
        side_by_side::<1>(y, w, raw, start, first, &mut out);
    }
}

/// Where the gradients go, and e^(z - max) of every class for the samples
/// being computed.
struct Out<'o, 'g, 'h> {
    g: &'o mut [&'g mut [f32]],
    h: &'o mut [&'h mut [f32]],
    e: &'o mut [[f64; LANES]],
}

/// The gradients of L samples from `first` (of the block starting at
/// sample `start`).
#[inline(always)]
fn side_by_side<const L: usize>(
    y: &[f64],
    w: &[f64],
    raw: &[f64],
    start: usize,
    first: usize,
    out: &mut Out,
) {
    let n = y.len();
    let i0 = start + first;
    let scores = |k: usize| -> &[f64; L] { raw[k * n + i0..][..L].try_into().expect("L scores") };
    let mut max = [f64::NEG_INFINITY; L];
    for k in 0..out.e.len() {
        for (m, &z) in max.iter_mut().zip(scores(k)) {
            *m = m.max(z);
        }
    }
    let mut sum = [0.0; L];
    for (k, e) in out.e.iter_mut().enumerate() {
        for l in 0..L {
            e[l] = exp(scores(k)[l] - max[l]);
            sum[l] += e[l];
        }
    }
    let class: [usize; L] = std::array::from_fn(|l| y[i0 + l] as usize);
    let w: &[f64; L] = w[i0..][..L].try_into().expect("L weights");
    for (k, e) in out.e.iter().enumerate() {
        let g: &mut [f32; L] = (&mut out.g[k][first..][..L])
            .try_into()
            .expect("L gradients");
        let h: &mut [f32; L] = (&mut out.h[k][first..][..L])
            .try_into()
            .expect("L hessians");
        for l in 0..L {
            let p = e[l] / sum[l];
            let target = if class[l] == k { 1.0 } else { 0.0 };
            g[l] = (w[l] * (p - target)) as f32;
            h[l] = (w[l] * p * (1.0 - p)) as f32;
        }
    }
}

/// e^x within two units in the last place, NaN for NaN: x = k·ln 2 + r
/// with |r| <= ln 2 / 2, e^r from its Taylor series to r^13 (the next
/// term is under 1e-17 there), times 2^k built from its bits. x is held
/// in -708..=709, where 2^k is a normal number (e^-708 is 3e-308: every
/// probability that small is 0 as an f32 anyway).
#[inline(always)]
fn exp(x: f64) -> f64 {
    // Adding 1.5 * 2^52 rounds to a whole number, which lands in the low
    // bits of the sum.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    // ln 2 in two parts: k * LN2_HI is exact for |k| < 2^20.
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = x.clamp(-708.0, 709.0);
    let shifted = x * std::f64::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut e_r = INVERSE_FACTORIALS[13];
    for &c in INVERSE_FACTORIALS[..13].iter().rev() {
        e_r = e_r * r + c;
    }
    // k + 1023 (the exponent field of 2^k) is in the low bits of `shifted`;
    // the bits above it fall off the shift.
    let two_k = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    e_r * two_k
}

/// 1/n! for n = 0..=13.
const INVERSE_FACTORIALS: [f64; 14] = {
    let mut c = [1.0; 14];
    let mut n = 1;
    while n < 14 {
        c[n] = c[n - 1] / n as f64;
        n += 1;
    }
    c
};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Distance in units in the last place.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_is_within_two_ulps_of_libm_over_its_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut worst = 0;
        for i in 0..2_000_000 {
            let x: f64 = match i % 3 {
                0 => rng.random_range(-708.0..709.0),
                1 => rng.random_range(-40.0..0.0),
                _ => rng.random_range(-1e-6..1e-6),
            };
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2, "{worst} ulps");
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            709.0,
            -708.0,
            0.5 * std::f64::consts::LN_2,
        ] {
            assert!(ulps(exp(x), x.exp()) <= 2, "{x}");
        }
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        // Held to the range: tiny, not a wrong large number.
        assert!(exp(-1e4) < 1e-300 && exp(-1e4) > 0.0);
    }

    /// The old way: one sample at a time with libm's exp.
    fn with_libm(k: usize, y: &[f64], raw: &[f64]) -> (Vec<f32>, Vec<f32>) {
        let n = y.len();
        let (mut g, mut h) = (vec![0f32; n * k], vec![0f32; n * k]);
        for i in 0..n {
            let z: Vec<f64> = (0..k).map(|c| raw[c * n + i]).collect();
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = z.iter().map(|z| (z - max).exp()).collect();
            let sum: f64 = e.iter().sum();
            for c in 0..k {
                let p = e[c] / sum;
                let t = if y[i] as usize == c { 1.0 } else { 0.0 };
                g[c * n + i] = (p - t) as f32;
                h[c * n + i] = (p * (1.0 - p)) as f32;
            }
        }
        (g, h)
    }

    #[test]
    fn gradients_match_libm_s_within_one_f32_unit_and_do_not_depend_on_blocks() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (n, k) = (10_003, 7);
        let y: Vec<f64> = (0..n).map(|_| rng.random_range(0..k) as f64).collect();
        let w = vec![1.0; n];
        let raw: Vec<f64> = (0..n * k).map(|_| rng.random_range(-30.0..30.0)).collect();
        let (want_g, want_h) = with_libm(k, &y, &raw);
        let run = |block: usize| {
            let (mut g, mut h) = (vec![0f32; n * k], vec![0f32; n * k]);
            let mut gs: Vec<Vec<&mut [f32]>> = super::super::loss::sample_blocks(&mut g, n, block);
            let mut hs = super::super::loss::sample_blocks(&mut h, n, block);
            for (b, (g, h)) in gs.iter_mut().zip(hs.iter_mut()).enumerate() {
                multi_gradients(k, &y, &w, &raw, b * block, g, h);
            }
            (g, h)
        };
        let (g, h) = run(n);
        let mut differ = 0;
        for (a, b) in g.iter().chain(&h).zip(want_g.iter().chain(&want_h)) {
            let d = (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
            assert!(d <= 1, "{a} vs {b}");
            differ += usize::from(d > 0);
        }
        assert!(
            differ * 1000 < 2 * n * k,
            "{differ} of {} differ",
            2 * n * k
        );
        // Blocks of other sizes (thread counts) and a tail shorter than
        // the lanes: the same values.
        for block in [4096, 13, 8] {
            assert_eq!(run(block), (g.clone(), h.clone()), "blocks of {block}");
        }
    }
}
