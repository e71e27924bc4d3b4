//! scikit-learn's PredefinedSplit: a file with one test-fold index per row.

use super::TRAIN_ONLY;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// scikit-learn's PredefinedSplit: one integer per row, -1 for never tested.
pub(super) fn read_predefined(path: &Path, n_rows: usize) -> Result<Vec<u32>> {
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
