//! The few numpy operations whose exact results scikit-learn's group splitters
//! depend on: the legacy `RandomState` shuffle (MT19937) and float64 sums in
//! numpy's summation order. Ties between groups are broken by these bits, so
//! "about the same" would give different folds.

use rand_mt::Mt;

/// `numpy.random.RandomState(seed)`: MT19937 seeded with `init_genrand`.
pub struct RandomState(Mt);

impl RandomState {
    pub fn new(seed: u32) -> RandomState {
        RandomState(Mt::new(seed))
    }

    /// numpy's `random_interval(max)`: uniform in 0..=max by masked rejection.
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let value = self.0.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `RandomState.shuffle` of a 1-d array (Fisher-Yates from the end).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let bound = u32::try_from(i).expect("at most 2^32 items are shuffled");
            let j = self.interval(bound) as usize;
            items.swap(i, j);
        }
    }
}

/// `np.add.reduce` over a contiguous float64 axis: pairwise summation with
/// 8 accumulators in blocks of up to 128, added to the initial 0.
pub fn sum_contiguous(values: &[f64]) -> f64 {
    0.0 + pairwise(values)
}

fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |sum, &v| sum + v)
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for block in a[8..full].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(block) {
                *acc += v;
            }
        }
        let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        a[full..].iter().fold(res, |sum, &v| sum + v)
    } else {
        let half = n / 2;
        let half = half - half % 8;
        pairwise(&a[..half]) + pairwise(&a[half..])
    }
}

/// `np.std(row)` of a contiguous row (ddof = 0).
pub fn std_contiguous(row: &[f64]) -> f64 {
    let n = row.len() as f64;
    let mean = sum_contiguous(row) / n;
    let squares: Vec<f64> = row.iter().map(|&v| (v - mean) * (v - mean)).collect();
    (sum_contiguous(&squares) / n).sqrt()
}

/// `np.std(m, axis=0)` of a C-ordered matrix with at least two columns:
/// numpy reduces across rows one row at a time, so each column's sum is
/// plain left-to-right.
pub fn std_columns(rows: &[Vec<f64>]) -> Vec<f64> {
    let n = rows.len() as f64;
    let width = rows.first().map_or(0, Vec::len);
    (0..width)
        .map(|c| {
            let mean = rows.iter().fold(0.0, |s, r| s + r[c]) / n;
            let ss = rows
                .iter()
                .fold(0.0, |s, r| s + (r[c] - mean) * (r[c] - mean));
            (ss / n).sqrt()
        })
        .collect()
}

/// `np.isclose(a, b)` with the default tolerances (not symmetric: b is the reference).
pub fn isclose(a: f64, b: f64) -> bool {
    ((a - b).abs() <= 1e-8 + 1e-5 * b.abs() && b.is_finite()) || a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_the_reference_sequence() {
        // genrand_int32 after init_genrand(5489), from the MT19937 reference code.
        let mut rs = RandomState::new(5489);
        assert_eq!(rs.0.next_u32(), 3_499_211_612);
    }

    #[test]
    fn interval_stays_in_range_and_shuffle_permutes() {
        let mut rs = RandomState::new(42);
        for max in [0u32, 1, 2, 7, 8, 1000] {
            assert!((0..100).all(|_| rs.interval(max) <= max));
        }
        let mut v: Vec<u32> = (0..50).collect();
        rs.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }

    #[test]
    fn permutation_equals_numpy() {
        // np.random.RandomState(42).permutation(10)
        let mut v: Vec<u32> = (0..10).collect();
        RandomState::new(42).shuffle(&mut v);
        assert_eq!(v, [8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
    }

    #[test]
    fn pairwise_sum_order_differs_from_left_to_right() {
        // 9 values whose pairwise and sequential sums round differently.
        let v = [1e16, 1.0, -1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let sequential = v.iter().fold(0.0, |s, &x| s + x);
        // np.add.reduce(v) and Python's sum(v).
        assert_eq!(sum_contiguous(&v), 5.0);
        assert_eq!(sequential, 6.0);
    }
}
