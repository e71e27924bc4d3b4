//! Cross-validation splits. gridrun does its own splitting because linfa's
//! `Dataset::fold` drops the n mod k leftover rows: here every row is in
//! exactly one test fold per repeat.

use crate::config::{CvKind, CvSpec};
use crate::models::TargetKind;
use anyhow::{bail, Context, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Rows in no test fold (holdout training rows, or -1 in a predefined split).
pub const TRAIN_ONLY: u32 = u32::MAX;

/// Train and test rows of one fold.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// The test fold of every row for one repeat.
pub fn assign(cv: &CvSpec, y: &[f64], target: TargetKind, repeat: usize) -> Result<Vec<u32>> {
    let n = y.len();
    let mut rng = ChaCha8Rng::seed_from_u64(repeat_seed(cv.seed, repeat));
    let stratify = matches!(
        cv.kind,
        CvKind::StratifiedKfold | CvKind::RepeatedStratifiedKfold | CvKind::Holdout
    ) && target.n_classes().is_some();
    Ok(match cv.kind {
        CvKind::Predefined => {
            read_predefined(cv.folds_file.as_deref().unwrap_or(Path::new("")), n)?
        }
        CvKind::Holdout => holdout(y, stratify, cv.test_size, &mut rng),
        _ if stratify => stratified(y, cv.folds, cv.shuffle, &mut rng),
        _ => kfold(n, cv.folds, cv.shuffle, &mut rng),
    })
}

/// Splits rows by their assigned fold.
pub fn split(assignment: &[u32], fold: u32) -> Split {
    let mut s = Split {
        train: Vec::new(),
        test: Vec::new(),
    };
    for (row, &f) in assignment.iter().enumerate() {
        if f == fold {
            s.test.push(row);
        } else {
            s.train.push(row);
        }
    }
    s
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

/// scikit-learn's PredefinedSplit: one integer per row, -1 for never tested.
fn read_predefined(path: &Path, n_rows: usize) -> Result<Vec<u32>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the folds file", path.display()))?;
    let folds = parse_predefined(path, &text)?;
    if folds.len() != n_rows {
        bail!(
            "{}: {} fold indexes for {} data rows",
            path.display(),
            folds.len(),
            n_rows
        );
    }
    Ok(folds)
}

/// Checks that a folds file has one entry per data row.
pub fn check_predefined(path: &Path, n_rows: usize) -> Result<()> {
    read_predefined(path, n_rows).map(|_| ())
}

/// Parses a folds file, renumbering the folds 0..k in sorted order.
pub fn parse_predefined(path: &Path, text: &str) -> Result<Vec<u32>> {
    let mut raw = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: i64 = line.trim().parse().with_context(|| {
            format!(
                "{}:{}: `{}` is not an integer fold index",
                path.display(),
                i + 1,
                line.trim()
            )
        })?;
        if v < -1 {
            bail!(
                "{}:{}: fold index {v} (use -1 for rows never tested)",
                path.display(),
                i + 1
            );
        }
        raw.push(v);
    }
    let mut distinct: Vec<i64> = raw.iter().copied().filter(|&v| v >= 0).collect();
    distinct.sort_unstable();
    distinct.dedup();
    Ok(raw
        .into_iter()
        .map(|v| {
            if v < 0 {
                TRAIN_ONLY
            } else {
                distinct.binary_search(&v).unwrap_or(0) as u32
            }
        })
        .collect())
}

/// Number of folds in a predefined folds file.
pub fn count_predefined(path: &Path) -> Result<usize> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the folds file", path.display()))?;
    let folds = parse_predefined(path, &text)?;
    Ok(folds
        .iter()
        .filter(|&&f| f != TRAIN_ONLY)
        .map(|&f| f as usize + 1)
        .max()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cv(kind: CvKind, folds: usize, shuffle: bool) -> CvSpec {
        CvSpec {
            kind,
            folds,
            repeats: 1,
            shuffle,
            seed: 42,
            test_size: 0.25,
            folds_file: None,
        }
    }

    fn classes(counts: &[usize]) -> Vec<f64> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(c, &n)| std::iter::repeat_n(c as f64, n))
            .collect()
    }

    #[test]
    fn every_row_tested_exactly_once_with_leftovers() {
        for n in [10, 11, 13, 17, 100] {
            for k in [2, 3, 5, 7] {
                let y = vec![0.0; n];
                let a = assign(&cv(CvKind::Kfold, k, true), &y, TargetKind::Regression, 0).unwrap();
                let mut tested = vec![0; n];
                for f in 0..k as u32 {
                    let s = split(&a, f);
                    assert_eq!(s.train.len() + s.test.len(), n);
                    for r in s.test {
                        tested[r] += 1;
                    }
                }
                assert!(tested.iter().all(|&t| t == 1), "n={n} k={k}");
                let sizes: Vec<usize> = (0..k as u32).map(|f| split(&a, f).test.len()).collect();
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            }
        }
    }

    #[test]
    fn unshuffled_kfold_matches_sklearn_blocks() {
        let a = kfold(7, 3, false, &mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(a, vec![0, 0, 0, 1, 1, 2, 2]);
    }

    #[test]
    fn stratified_keeps_proportions() {
        let y = classes(&[50, 30, 20]);
        let target = TargetKind::Classification { n_classes: 3 };
        let a = assign(&cv(CvKind::StratifiedKfold, 5, true), &y, target, 0).unwrap();
        for f in 0..5 {
            let s = split(&a, f);
            let count = |c: f64| s.test.iter().filter(|&&r| y[r] == c).count();
            assert_eq!((count(0.0), count(1.0), count(2.0)), (10, 6, 4), "fold {f}");
        }
    }

    #[test]
    fn stratified_uneven_classes_within_one_row() {
        let y = classes(&[13, 8, 4]);
        let target = TargetKind::Classification { n_classes: 3 };
        let a = assign(&cv(CvKind::StratifiedKfold, 3, true), &y, target, 0).unwrap();
        for c in 0..3 {
            let per_fold: Vec<usize> = (0..3)
                .map(|f| {
                    split(&a, f)
                        .test
                        .iter()
                        .filter(|&&r| y[r] == c as f64)
                        .count()
                })
                .collect();
            assert!(
                per_fold.iter().max().unwrap() - per_fold.iter().min().unwrap() <= 1,
                "{per_fold:?}"
            );
        }
    }

    #[test]
    fn seeds_and_repeats_change_the_order_deterministically() {
        let y = vec![0.0; 50];
        let c = cv(CvKind::RepeatedKfold, 5, true);
        let a0 = assign(&c, &y, TargetKind::Regression, 0).unwrap();
        assert_eq!(a0, assign(&c, &y, TargetKind::Regression, 0).unwrap());
        assert_ne!(a0, assign(&c, &y, TargetKind::Regression, 1).unwrap());
    }

    #[test]
    fn holdout_keeps_test_share() {
        let y = classes(&[60, 40]);
        let target = TargetKind::Classification { n_classes: 2 };
        let a = assign(&cv(CvKind::Holdout, 1, true), &y, target, 0).unwrap();
        let s = split(&a, 0);
        assert_eq!(s.test.len(), 25);
        assert_eq!(s.test.iter().filter(|&&r| y[r] == 1.0).count(), 10);
    }

    #[test]
    fn predefined_renumbers_and_rejects_garbage() {
        let p = Path::new("f.txt");
        assert_eq!(
            parse_predefined(p, "3\n-1\n7\n3\n").unwrap(),
            vec![0, TRAIN_ONLY, 1, 0]
        );
        let e = parse_predefined(p, "1\nx\n").unwrap_err().to_string();
        assert_eq!(e, "f.txt:2: `x` is not an integer fold index");
    }
}
