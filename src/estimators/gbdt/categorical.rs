//! Native categorical splits, scikit-learn's HistGradientBoosting /
//! LightGBM method: a categorical feature's bins are its category codes;
//! the categories with enough support (hessian >= 10, missing values being
//! one more category) are ordered by G / (H + 10) and scanned from both
//! ends up to the middle, each prefix a candidate "left" set. The left set
//! is kept as a 256-bit set over bin codes (bit 255: missing).

use super::bins::{MISSING_BIN, SLOTS};
use super::histogram::{BinStats, FeatureHistogram};

/// A set of bin codes, bit `b` for bin `b` (255: missing values).
pub type Bitset = [u64; 4];

/// LightGBM's cat_smooth and min_data_per_group, scikit-learn's
/// MIN_CAT_SUPPORT: a category needs this much hessian to be ordered, and
/// smooths its ordering value G / (H + 10).
const MIN_CAT_SUPPORT: f64 = 10.0;

#[inline]
pub fn contains(set: &Bitset, bin: u8) -> bool {
    set[(bin >> 6) as usize] >> (bin & 63) & 1 == 1
}

#[inline]
pub fn insert(set: &mut Bitset, bin: u8) {
    set[(bin >> 6) as usize] |= 1 << (bin & 63);
}

/// Whether a raw value goes left at a categorical node whose prediction
/// set is `set`: a category code in the set goes left; a missing value (or
/// a value that is no code at all, as scikit-learn treats negatives) takes
/// the node's missing side.
#[inline]
pub fn goes_left(set: &Bitset, missing_left: bool, v: f64) -> bool {
    if v >= 0.0 && v < MISSING_BIN as f64 && v.fract() == 0.0 {
        contains(set, v as u8)
    } else {
        missing_left
    }
}

/// The best categorical split of one feature's histogram.
pub struct CategoricalSplit {
    /// The left child's score G²/(H+λ) summed with the right's.
    pub score: f64,
    pub left_set: Bitset,
    pub left: BinStats,
}

/// What the search needs besides the histogram.
pub struct Limits {
    pub l2: f64,
    pub min_leaf: f64,
    pub min_hessian: f64,
}

/// scikit-learn's _find_best_bin_to_split_category: returns the best split
/// whose score beats `parent_score`, if any. Ties in the ordering value
/// are broken by bin code, so the split never depends on a sort's whims.
pub fn best_split(
    hist: &FeatureHistogram,
    n_real: usize,
    total: &BinStats,
    limits: &Limits,
    parent_score: f64,
) -> Option<CategoricalSplit> {
    // Hessians per count: 1 for constant hessians (then H = n).
    let support_factor = total.n / total.h;
    let missing = MISSING_BIN as usize;
    let mut used: Vec<(f64, usize)> = (0..n_real)
        .chain(std::iter::once(missing))
        .filter_map(|b| {
            let s = &hist[b];
            (s.n > 0.0 && s.h * support_factor >= MIN_CAT_SUPPORT)
                .then(|| (s.g / (s.h + MIN_CAT_SUPPORT), b))
        })
        .collect();
    if used.len() <= 1 {
        return None;
    }
    used.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let score = |s: &BinStats| s.g * s.g / (s.h + limits.l2);
    let mut best: Option<(f64, bool, usize, BinStats)> = None;
    for forward in [true, false] {
        let middle = if forward {
            used.len().div_ceil(2)
        } else {
            used.len().div_ceil(2) - 1
        };
        let mut left = BinStats::default();
        for i in 0..middle {
            let k = if forward { i } else { used.len() - 1 - i };
            left.add(&hist[used[k].1]);
            let right = total.minus(&left);
            if left.n < limits.min_leaf || left.h < limits.min_hessian {
                continue;
            }
            if right.n < limits.min_leaf || right.h < limits.min_hessian {
                break;
            }
            let s = score(&left) + score(&right);
            if s > best.map_or(parent_score, |b| b.0) {
                best = Some((s, forward, i, left));
            }
        }
    }
    let (score, forward, i, left) = best?;
    let mut left_set = [0; 4];
    for k in 0..=i {
        let k = if forward { k } else { used.len() - 1 - k };
        insert(&mut left_set, used[k].1 as u8);
    }
    Some(CategoricalSplit {
        score,
        left_set,
        left,
    })
}

/// The set a fitted node predicts with: the left categories, plus every
/// code not seen in training when missing values go left (scikit-learn
/// treats unknown categories as missing).
pub fn prediction_set(left_set: &Bitset, known: &Bitset, missing_left: bool) -> Bitset {
    let mut set = [0; 4];
    for w in 0..4 {
        set[w] = left_set[w] | if missing_left { !known[w] } else { 0 };
    }
    // Bit 255 is never a code: missing values use `missing_left`.
    set[3] &= !(1 << 63);
    set
}

const _: () = assert!(SLOTS == 256);

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(stats: &[(usize, f64, u64)]) -> FeatureHistogram {
        let mut h = [BinStats::default(); SLOTS];
        for &(b, g, n) in stats {
            h[b] = BinStats::new(g, n as f64, n as f64);
        }
        h
    }

    fn total(h: &FeatureHistogram) -> BinStats {
        h.iter().fold(BinStats::default(), |mut a, s| {
            a.add(s);
            a
        })
    }

    const LIMITS: Limits = Limits {
        l2: 0.0,
        min_leaf: 5.0,
        min_hessian: 1e-3,
    };

    #[test]
    fn groups_categories_by_gradient_whatever_their_codes() {
        // Categories 0 and 3 push up, 1 and 2 down: no threshold on the
        // codes separates them, the ordered scan does.
        let h = hist(&[(0, 20.0, 20), (1, -20.0, 20), (2, -18.0, 20), (3, 19.0, 20)]);
        let s = best_split(&h, 4, &total(&h), &LIMITS, 0.0).unwrap();
        let left: Vec<u8> = (0..4).filter(|&b| contains(&s.left_set, b)).collect();
        assert!(left == vec![1, 2] || left == vec![0, 3], "{left:?}");
        assert_eq!(s.left.n, 40.0);
        assert!((s.score - (38.0f64.powi(2) / 40.0 + 39.0f64.powi(2) / 40.0)).abs() < 1e-9);
    }

    #[test]
    fn low_support_categories_stay_right_and_missing_is_a_category() {
        // Category 2 has 5 rows (< 10): never ordered, so always right.
        let h = hist(&[(0, 20.0, 20), (1, 5.0, 20), (2, -5.0, 5), (255, -30.0, 30)]);
        let s = best_split(&h, 3, &total(&h), &LIMITS, 0.0).unwrap();
        assert!(!contains(&s.left_set, 2));
        assert!(contains(&s.left_set, MISSING_BIN));
        // One category with support: nothing to split.
        let h = hist(&[(0, 20.0, 20), (1, 5.0, 3)]);
        assert!(best_split(&h, 2, &total(&h), &LIMITS, 0.0).is_none());
    }

    #[test]
    fn unknown_codes_follow_missing_values() {
        let mut left = [0; 4];
        insert(&mut left, 1);
        let mut known = [0; 4];
        for b in 0..3 {
            insert(&mut known, b);
        }
        let set = prediction_set(&left, &known, true);
        assert!(goes_left(&set, true, 1.0));
        assert!(!goes_left(&set, true, 0.0));
        assert!(goes_left(&set, true, 7.0)); // unknown: missing side
        assert!(goes_left(&set, true, f64::NAN));
        assert!(goes_left(&set, true, -1.0));
        let set = prediction_set(&left, &known, false);
        assert!(!goes_left(&set, false, 7.0));
        assert!(!goes_left(&set, false, 2.5));
    }
}
