//! scikit-learn's TimeSeriesSplit: rows are in time order; fold i tests the
//! i-th of `folds` consecutive blocks at the end of the data and trains on
//! the rows before it, less `gap` rows, at most `max_train_size` of them.

use super::spec::CvSpec;
use super::Window;
use anyhow::{bail, Result};

pub fn windows(cv: &CvSpec, n: usize) -> Result<Vec<Window>> {
    let k = cv.folds;
    if k + 1 > n {
        bail!(
            "time_series_split with {k} folds needs at least {} rows; the data has {n}",
            k + 1
        );
    }
    let test_size = cv.test_rows.unwrap_or(n / (k + 1));
    let held_out = test_size.saturating_mul(k).saturating_add(cv.gap);
    if held_out >= n {
        bail!(
            "time_series_split leaves no training rows: {n} rows, {k} folds x test_size {test_size} + gap {} = {held_out}",
            cv.gap
        );
    }
    let first_test = n - test_size * k;
    Ok((0..k)
        .map(|i| {
            let test_start = first_test + i * test_size;
            let train_end = test_start - cv.gap;
            let train_start = match cv.max_train_size {
                Some(most) if most < train_end => train_end - most,
                _ => 0,
            };
            Window {
                train: train_start..train_end,
                test: test_start..test_start + test_size,
            }
        })
        .collect())
}
