//! The kinds that deal rows to test folds without groups: kfold,
//! stratified kfold (and their repeats), holdout and predefined folds.

use super::spec::{CvKind, CvSpec};
use super::TRAIN_ONLY;
use crate::models::TargetKind;
use anyhow::Result;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The test fold of every row for one repeat of the kinds that partition
/// the rows without groups.
pub fn assign(cv: &CvSpec, y: &[f64], target: TargetKind, repeat: usize) -> Result<Vec<u32>> {
    let n = y.len();
    let mut rng = ChaCha8Rng::seed_from_u64(repeat_seed(cv.seed, repeat));
    let stratify = matches!(
        cv.kind,
        CvKind::StratifiedKfold | CvKind::RepeatedStratifiedKfold | CvKind::Holdout
    ) && target.n_classes().is_some();
    Ok(match cv.kind {
        CvKind::Predefined => super::predefined::read_predefined(
            cv.folds_file.as_deref().unwrap_or(Path::new("")),
            n,
        )?,
        CvKind::Holdout => holdout(y, stratify, cv.test_size, &mut rng),
        _ if stratify => stratified(y, cv.folds, cv.shuffle, &mut rng),
        _ => kfold(n, cv.folds, cv.shuffle, &mut rng),
    })
}

/// Distinct seeds per repeat, derived from the config's seed only.
fn repeat_seed(seed: u64, repeat: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (repeat as u64).wrapping_add(0x632B_E59B_D9B4_E019)
}

/// scikit-learn's KFold: contiguous blocks of a (shuffled) order, the first
/// n mod k folds one row larger.
fn kfold(n: usize, k: usize, shuffle: bool, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let mut order: Vec<usize> = (0..n).collect();
    if shuffle {
        order.shuffle(rng);
    }
    let mut out = vec![0u32; n];
    let mut start = 0;
    for fold in 0..k {
        let size = n / k + usize::from(fold < n % k);
        for &row in &order[start..start + size] {
            out[row] = fold as u32;
        }
        start += size;
    }
    out
}

/// Each class's rows (shuffled if asked) dealt to the folds in turn, the
/// dealing continuing across classes, so every fold keeps the class
/// proportions to within one row and fold sizes differ by at most one.
fn stratified(y: &[f64], k: usize, shuffle: bool, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let mut out = vec![0u32; y.len()];
    let mut next_fold = 0usize;
    for mut rows in rows_by_class(y) {
        if shuffle {
            rows.shuffle(rng);
        }
        for row in rows {
            out[row] = next_fold as u32;
            next_fold = (next_fold + 1) % k;
        }
    }
    out
}

fn rows_by_class(y: &[f64]) -> Vec<Vec<usize>> {
    let n_classes = y.iter().fold(0usize, |m, &v| m.max(v as usize + 1));
    let mut by_class = vec![Vec::new(); n_classes];
    for (row, &v) in y.iter().enumerate() {
        by_class[v as usize].push(row);
    }
    by_class.retain(|rows| !rows.is_empty());
    by_class
}

/// One test set of `test_size` of the rows (per class when stratified); the
/// rest train only.
fn holdout(y: &[f64], stratify: bool, test_size: f64, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let groups = if stratify {
        rows_by_class(y)
    } else {
        vec![(0..y.len()).collect()]
    };
    let mut out = vec![TRAIN_ONLY; y.len()];
    for mut rows in groups {
        rows.shuffle(rng);
        let n_test = ((rows.len() as f64) * test_size).round().max(1.0) as usize;
        for &row in rows.iter().take(n_test.min(rows.len() - 1).max(1)) {
            out[row] = 0;
        }
    }
    out
}
