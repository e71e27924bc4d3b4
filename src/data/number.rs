//! A CSV cell's number, fast for the usual shape `[+-]digits[.digits][e[+-]digits]`
//! whose digits fit in a u64 and whose power of ten is moderate: digits
//! read eight at a time, then the value rounded exactly (Clinger's fast
//! path, else Eisel-Lemire). Anything else, and the rare product that cannot
//! decide its rounding, goes to fast_float2. Either way the value is the
//! same correctly rounded f64 as `str::parse::<f64>` (tested over millions
//! of strings, halfway cases included).

/// Powers of ten the Eisel-Lemire table covers: the range where its
/// 128-bit entries are exact quotients that fit in a u128 (from a const fn,
/// no pasted table), and where no product's rounding is unsafe to decide.
const MIN_Q: i32 = -27;
const MAX_Q: i32 = 55;

/// Below this many digits (and |q| <= 22) a cell's value is one exact f64
/// product or quotient: Clinger's fast path.
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// The largest exponent digits read before giving the cell to fast_float2.
const MAX_EXPONENT_DIGITS: usize = 5;

/// Parses a whole cell; None where fast_float2 must decide (an error,
/// inf/nan, many digits, a far power of ten).
#[inline]
pub fn parse_fast(s: &[u8]) -> Option<f64> {
    let &first = s.first()?;
    // The sign without a branch: half the cells of a column may be negative.
    let negative = first == b'-';
    let start = usize::from(negative | (first == b'+'));
    let (w, q) = match common_shape(s, start) {
        Some(wq) => wq,
        None => decimal(s, start)?,
    };
    let magnitude = if w == 0 {
        0
    } else {
        match eisel_lemire(w, q) {
            Some(bits) => bits,
            None => clinger(w, q)?.to_bits(),
        }
    };
    Some(f64::from_bits(magnitude | (u64::from(negative) << 63)))
}

/// w * 10^q when both are exact in f64s, so that one IEEE operation rounds
/// correctly (Clinger's fast path): the few cells Eisel-Lemire leaves.
fn clinger(w: u64, q: i32) -> Option<f64> {
    if w > MAX_EXACT_MANTISSA || !(-22..=22).contains(&q) {
        return None;
    }
    Some(match q < 0 {
        true => w as f64 / POW10[-q as usize],
        false => w as f64 * POW10[q as usize],
    })
}

/// The usual cell, 1-3 integer digits, a point and 8 or more digits (at
/// most 19 in all, at least 16 bytes), read without a loop over its
/// length: the integer digits one by one, then the first 8 after the
/// point, then the rest as two 8-byte windows ending at the cell's end,
/// the bytes before the rest made '0'. The lengths vary from cell to
/// cell; loops over them would mispredict.
#[inline]
fn common_shape(s: &[u8], start: usize) -> Option<(u64, i32)> {
    // One integer digit is the usual case: no loop to find the point.
    let (point, int) = match s.get(start + 1) {
        Some(b'.') => (start + 1, digit(s[start])?),
        _ => {
            let point = start + s.get(start..)?.iter().position(|&b| b == b'.')?;
            if point - start > 3 {
                return None;
            }
            let int = s[start..point]
                .iter()
                .try_fold(0, |int, &b| Some(int * 10 + digit(b)?))?;
            (point, int)
        }
    };
    let n_int = point - start;
    let n_frac = s.len() - point - 1;
    if n_int == 0 || n_frac < 8 || n_int + n_frac > 19 || s.len() < 16 {
        return None;
    }
    let load = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let head = load(point + 1);
    // Bytes of the two windows that come before the rest (point + 9).
    let rest_from = point + 9;
    let low = zero_first(load(s.len() - 8), (rest_from + 8).saturating_sub(s.len()));
    let high = zero_first(load(s.len() - 16), (rest_from + 16).saturating_sub(s.len()));
    if !(all_digits(head) & all_digits(low) & all_digits(high)) {
        return None;
    }
    let rest = eight_digits(high) * 100_000_000 + eight_digits(low);
    let n_rest = n_frac - 8;
    let frac = eight_digits(head) * POW10_INT[n_rest] + rest;
    Some((int * POW10_INT[n_frac] + frac, -(n_frac as i32)))
}

/// An ASCII digit's value.
#[inline]
fn digit(b: u8) -> Option<u64> {
    let d = b.wrapping_sub(b'0');
    (d <= 9).then_some(u64::from(d))
}

/// `chunk` with its first `n` bytes (at most 8) made '0'.
#[inline]
fn zero_first(chunk: u64, n: usize) -> u64 {
    let mask = ((1u128 << (8 * n.min(8))) - 1) as u64;
    (chunk & !mask) | (ZEROS & mask)
}

/// Mantissa w and power of ten q (value w * 10^q) of a cell of the shape
/// `digits[.digits][e[+-]digits]` from `start` (after the sign); None for
/// anything else or a w over u64.
fn decimal(s: &[u8], start: usize) -> Option<(u64, i32)> {
    let (mut w, mut i) = digits(s, start, 0)?;
    let mut n_digits = i - start;
    let mut q: i64 = 0;
    if s.get(i) == Some(&b'.') {
        let (w2, end) = digits(s, i + 1, w)?;
        n_digits += end - i - 1;
        q = -((end - i - 1) as i64);
        (w, i) = (w2, end);
    }
    if n_digits == 0 {
        return None;
    }
    if i < s.len() {
        q += exponent(&s[i..])?;
    }
    Some((w, i32::try_from(q).ok()?))
}

/// `e[+-]digits` to the end of the cell (at most MAX_EXPONENT_DIGITS).
fn exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'e' | b'E', b'-', rest @ ..] => (true, rest),
        [b'e' | b'E', b'+', rest @ ..] => (false, rest),
        [b'e' | b'E', rest @ ..] => (false, rest),
        _ => return None,
    };
    if digits.is_empty() || digits.len() > MAX_EXPONENT_DIGITS {
        return None;
    }
    let mut e: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        e = e * 10 + i64::from(d);
    }
    Some(if negative { -e } else { e })
}

/// Reads the digits from `from` on into `w` (w * 10 + digit each);
/// returns w and where the digits end. None once w would overflow.
#[inline]
fn digits(s: &[u8], from: usize, mut w: u64) -> Option<(u64, usize)> {
    let mut i = from;
    while let Some(chunk) = s.get(i..i + 8) {
        let chunk = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        if !all_digits(chunk) {
            break;
        }
        w = w
            .checked_mul(100_000_000)?
            .checked_add(eight_digits(chunk))?;
        i += 8;
    }
    let left = s.len() - i;
    if left < 8 && s.len() >= 8 {
        // The last 8 bytes of the cell, with those before `i` (already
        // read) made '0': when the cell ends in digits (the usual case)
        // the rest is read at once, without a loop of unknown length.
        let last = u64::from_le_bytes(s[s.len() - 8..].try_into().expect("8 bytes"));
        let read = u64::MAX >> (8 * left);
        let chunk = (last & !read) | (ZEROS & read);
        if all_digits(chunk) {
            let w = w
                .checked_mul(POW10_INT[left])?
                .checked_add(eight_digits(chunk))?;
            return Some((w, s.len()));
        }
    }
    while let Some(&b) = s.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        w = w.checked_mul(10)?.checked_add(u64::from(d))?;
        i += 1;
    }
    Some((w, i))
}

/// Eight '0' bytes.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Whether all 8 bytes (little-endian) are ASCII digits: each byte's high
/// nibble is 3, and adding 6 leaves it 3 (so the byte is at most '9'; no
/// carry crosses bytes once every high nibble is 3).
#[inline]
fn all_digits(chunk: u64) -> bool {
    let high = chunk & 0xF0F0_F0F0_F0F0_F0F0;
    let plus6 = chunk.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0;
    (high | plus6 >> 4) == 0x3333_3333_3333_3333
}

/// The value of 8 ASCII digits, the first in the lowest byte: pairs, then
/// fours, then the eight, combined in place (no lane ever carries into
/// the next: 99, 9999 and 99999999 fit their 8, 16 and 32 bits).
#[inline]
fn eight_digits(chunk: u64) -> u64 {
    let v = chunk - ZEROS;
    let pairs = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (fours * 10_000 + (fours >> 32)) & 0xFFFF_FFFF
}

/// 10^0..=10^19 as integers.
const POW10_INT: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^0..=10^22: every one exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 5^q for q in MIN_Q..=MAX_Q as 128 bits with the top bit set: for q >= 0
/// 5^q shifted left (exact: 5^55 < 2^128); for q < 0 the quotient
/// floor(2^b / 5^-q) + 1 with b chosen to land in [2^127, 2^128) (an
/// upper bound, as Eisel-Lemire's error analysis assumes).
const POW5: [u128; (MAX_Q - MIN_Q + 1) as usize] = pow5_table();

const fn pow5_table() -> [u128; (MAX_Q - MIN_Q + 1) as usize] {
    let mut table = [0u128; (MAX_Q - MIN_Q + 1) as usize];
    let mut q = MIN_Q;
    while q <= MAX_Q {
        table[(q - MIN_Q) as usize] = if q >= 0 {
            let p = 5u128.pow(q as u32);
            p << p.leading_zeros()
        } else {
            let d = 5u128.pow(-q as u32);
            // 2^(z-1) < d < 2^z, so 2^(z+127) / d lies in (2^127, 2^128).
            let z = 128 - d.leading_zeros();
            power_of_two_over(z + 127, d) + 1
        };
        q += 1;
    }
    table
}

/// floor(2^b / d) for 1 < d < 2^64, by long division (the quotient must
/// fit in a u128).
const fn power_of_two_over(b: u32, d: u128) -> u128 {
    let (mut rest, mut quotient) = (1u128, 0u128);
    let mut i = 0;
    while i < b {
        rest <<= 1;
        quotient <<= 1;
        if rest >= d {
            rest -= d;
            quotient |= 1;
        }
        i += 1;
    }
    quotient
}

/// floor(log2(10^q)) + 63, by a fixed-point log2(10) (exact for |q| < 700).
fn power2(q: i32) -> i32 {
    (((152_170 + 65_536) * q) >> 16) + 63
}

/// The f64 bits nearest w * 10^q (w > 0, rounding ties to even), or None
/// when the 128-bit product cannot tell (then fast_float2 decides) or q is
/// outside the table. Eisel-Lemire: the top 55 bits of w times the
/// truncated 5^q (the 52 stored bits, the implicit one, a rounding bit and
/// one for the product's normalisation), with the error bound deciding
/// whether the discarded bits matter.
fn eisel_lemire(w: u64, q: i32) -> Option<u64> {
    if !(MIN_Q..=MAX_Q).contains(&q) {
        return None;
    }
    let shift = w.leading_zeros();
    let w = u128::from(w << shift);
    let pow = POW5[(q - MIN_Q) as usize];
    let first = w * (pow >> 64);
    let (mut lo, mut hi) = (first as u64, (first >> 64) as u64);
    // The bits under the 55 kept are all ones: the lower half of the power
    // can carry into them, so add its contribution.
    if hi & 0x1FF == 0x1FF {
        let second = ((w * (pow as u64 as u128)) >> 64) as u64;
        let (sum, carry) = lo.overflowing_add(second);
        lo = sum;
        hi += u64::from(carry);
    }
    if lo == u64::MAX {
        return None;
    }
    let upper = (hi >> 63) as i32;
    let mut mantissa = hi >> (upper + 9);
    let mut biased = power2(q) + upper - shift as i32 + 1023;
    if biased <= 0 {
        return None;
    }
    // Exactly halfway (nothing below the rounding bit): ties go to even.
    // Only possible for these q, where 5^q's product is exact.
    if lo <= 1 && (-4..=23).contains(&q) && mantissa & 3 == 1 && mantissa << (upper + 9) == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << 52 {
        mantissa = 1 << 52;
        biased += 1;
    }
    if biased >= 0x7FF {
        return None;
    }
    Some(((biased as u64) << 52) | (mantissa & !(1 << 52)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// What the importer gets: the fast path where it answers, else fast_float2.
    fn parse(s: &str) -> Option<u64> {
        match parse_fast(s.as_bytes()) {
            Some(v) => Some(v.to_bits()),
            None => fast_float2::parse::<f64, _>(s).ok().map(f64::to_bits),
        }
    }

    fn check(s: &str) {
        let std = s.parse::<f64>().ok().map(f64::to_bits);
        assert_eq!(parse(s), std, "{s:?}");
        if let Some(v) = parse_fast(s.as_bytes()) {
            assert_eq!(Some(v.to_bits()), std, "fast path: {s:?}");
        }
    }

    #[test]
    fn eight_digits_at_once() {
        for n in [
            0u64, 1, 9, 10, 12_345_678, 99_999_999, 10_203_040, 90_000_009,
        ] {
            let text = format!("{n:08}");
            let chunk = u64::from_le_bytes(text.as_bytes().try_into().unwrap());
            assert!(all_digits(chunk));
            assert_eq!(eight_digits(chunk), n);
        }
        for bad in [
            "1234567/",
            "1234567:",
            "a2345678",
            "1234 678",
            "12345\u{7f}78",
        ] {
            let chunk = u64::from_le_bytes(bad.as_bytes()[..8].try_into().unwrap());
            assert!(!all_digits(chunk), "{bad:?}");
        }
        // Every byte value in every position.
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut bytes = *b"55555555";
                bytes[pos] = b;
                let chunk = u64::from_le_bytes(bytes);
                assert_eq!(all_digits(chunk), b.is_ascii_digit(), "{pos} {b}");
            }
        }
    }

    #[test]
    fn table_holds_the_powers_of_five() {
        for q in MIN_Q..=MAX_Q {
            let p = POW5[(q - MIN_Q) as usize];
            assert_eq!(p >> 127, 1, "{q}");
            if q >= 0 {
                let exact = 5u128.pow(q as u32);
                assert_eq!(p >> p.trailing_zeros(), exact >> exact.trailing_zeros());
            } else {
                // p is the least integer over 2^b / 5^-q: (p - 1) * d <= 2^b < p * d.
                let d = 5u128.pow(-q as u32);
                let b = 128 - d.leading_zeros() + 127;
                let power = (1u128 << (b - 128), 0u128);
                assert!(wide_mul(p - 1, d) <= power && power < wide_mul(p, d), "{q}");
            }
        }
    }

    /// a * b (b < 2^64) as (high, low) 128-bit halves.
    fn wide_mul(a: u128, b: u128) -> (u128, u128) {
        assert!(b >> 64 == 0);
        let mask = u128::from(u64::MAX);
        let lo = (a & mask) * b;
        let mid = (a >> 64) * b + (lo >> 64);
        (mid >> 64, (mid << 64) | (lo & mask))
    }

    #[test]
    fn usual_cells_take_the_fast_path() {
        let cases: [(&str, usize, u64, i32); 4] = [
            ("-0.29839577456380495", 1, 29839577456380495, -17),
            ("0.2806144473027082", 0, 2806144473027082, -16),
            ("+12.3456789012345", 1, 123456789012345, -13),
            ("123.4567890123456", 0, 1234567890123456, -13),
        ];
        for (cell, start, w, q) in cases {
            assert_eq!(common_shape(cell.as_bytes(), start), Some((w, q)), "{cell}");
            assert!(eisel_lemire(w, q).is_some(), "{cell}");
        }
        for cell in [
            "1.2345678",
            "1234.567890123456",
            "0.12345678e1234567",
            "1.2345678901234567890",
            "+12.34567890123",
        ] {
            assert_eq!(common_shape(cell.as_bytes(), 0), None, "{cell}");
        }
    }

    #[test]
    fn fixed_cells_parse_as_std_does() {
        let cells = [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            "00000",
            "-000.000e5",
            "0e999999",
            "-0e-999999",
            "1",
            "-1",
            "+1",
            "1.",
            "5.",
            ".5",
            "-.5",
            "+.5",
            ".",
            "-",
            "+",
            "",
            "-.",
            "e5",
            "1e",
            "1e+",
            "1e-",
            "1e5",
            "1E5",
            "1e+5",
            "1e-5",
            "1E-05",
            "1e308",
            "1e309",
            "1.7976931348623157e308",
            "1.7976931348623159e308",
            "4.9e-324",
            "2.5e-324",
            "2.2250738585072011e-308",
            "2.2250738585072014e-308",
            "1e-400",
            "1e400",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "18446744073709551615",
            "18446744073709551616",
            "184467440737095516150",
            "99999999999999999999",
            "0.30000000000000004",
            "9007199254740993",
            "9007199254740992",
            "9007199254740995",
            "-9007199254740993.0",
            "-0.29839577456380495",
            "0.6860525057920867",
            "-1.5883380827464328",
            "00012",
            "0000000000000000000000000001",
            "0.0000000000000000000000000001",
            "1.0000000000000000000000000001",
            "1..2",
            "1.2.3",
            "--1",
            "+-1",
            "1,5",
            "1e1.5",
            "1d5",
            "1_0",
            " 1",
            "1 ",
            "1e 5",
            "0x10",
            "inf",
            "-inf",
            "nan",
            "infinity",
            "12345678.",
            "12345678.12345678",
            ".12345678",
            "1234567.8",
            "12345678e1",
            "1234567812345678e-8",
            "7.2057594037927933e16",
            "1e22",
            "1e23",
            "9e22",
            "4503599627370497.5",
            "4503599627370496.5",
            "2.0000000000000004",
            "2.0000000000000002",
            "2.0000000000000006",
            "1e-27",
            "1e-28",
            "1e55",
            "1e56",
            "123456789e-40",
            "123e60",
        ];
        for cell in cells {
            check(cell);
        }
    }

    /// Decimal strings of every shape the fast path reads, and near them.
    fn random_cell(rng: &mut impl Rng) -> String {
        let n_digits = rng.random_range(1..=21);
        let mut digits: String = (0..n_digits)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect();
        if rng.random_bool(0.2) {
            digits.insert_str(0, &"0".repeat(rng.random_range(1..4)));
        }
        let point = rng.random_range(0..=digits.len());
        let mut s = String::new();
        match rng.random_range(0..4) {
            0 => s.push('-'),
            1 if rng.random_bool(0.2) => s.push('+'),
            _ => {}
        }
        s.push_str(&digits[..point]);
        if point < digits.len() || rng.random_bool(0.1) {
            s.push('.');
        }
        s.push_str(&digits[point..]);
        if rng.random_bool(0.3) {
            s.push(if rng.random_bool(0.5) { 'e' } else { 'E' });
            match rng.random_range(0..3) {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            s.push_str(&rng.random_range(0..80).to_string());
        }
        s
    }

    #[test]
    fn random_decimals_parse_as_std_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..3_000_000 {
            check(&random_cell(&mut rng));
        }
    }

    /// Doubles printed shortest, at 17 and 18 digits, and with the last
    /// digit moved by one: cells as programs write them, and the decimals
    /// nearest the rounding boundaries.
    #[test]
    fn printed_doubles_and_their_neighbours_parse_as_std_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..500_000 {
            let v = match rng.random_range(0..3) {
                0 => rng.random_range(-10.0..10.0),
                1 => f64::from_bits(rng.random::<u64>()),
                _ => rng.random_range(-1.0..1.0) * 10f64.powi(rng.random_range(-30..60)),
            };
            if !v.is_finite() {
                continue;
            }
            for s in [
                format!("{v}"),
                format!("{v:e}"),
                format!("{v:.16e}"),
                format!("{v:.17e}"),
                format!("{v:.18}"),
            ] {
                check(&s);
                let (mantissa, exp) = s.split_once('e').unwrap_or((&s, ""));
                let last = mantissa.bytes().last().unwrap();
                if last.is_ascii_digit() {
                    for d in [last.saturating_sub(1).max(b'0'), (last + 1).min(b'9')] {
                        let mut m = mantissa[..mantissa.len() - 1].to_string();
                        m.push(char::from(d));
                        let e = if exp.is_empty() {
                            String::new()
                        } else {
                            format!("e{exp}")
                        };
                        check(&format!("{m}{e}"));
                        check(&format!("{m}5{e}"));
                        check(&format!("{m}49{e}"));
                        check(&format!("{m}51{e}"));
                    }
                }
            }
        }
    }

    /// Exact midpoints between neighbouring doubles (ties go to even), and
    /// one unit either side: integers of up to 20 digits, and decimals.
    #[test]
    fn halfway_cases_parse_as_std_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for _ in 0..300_000 {
            let m = rng.random_range(1u64 << 52..1 << 53);
            let k = rng.random_range(1..=11);
            let mid = (2 * m + 1) << (k - 1);
            for n in [mid - 1, mid, mid + 1] {
                check(&n.to_string());
                check(&format!("{n}.0"));
                check(&format!("{n}e0"));
            }
            // m + 1/2 for m up to 2^52, and m/2^j + half a unit: decimals
            // of a few more digits.
            let small = rng.random_range(1u64 << 50..1 << 52);
            check(&format!("{small}.5"));
            check(&format!("{small}.25"));
            check(&format!("{}.125", small >> 1));
            check(&format!("{}.0625", small >> 2));
            check(&format!("{}e-1", small * 10 + 5));
        }
    }
}
