//! scikit-learn 1.9's group splitters, step for step (sklearn/model_selection/
//! _split.py): GroupKFold, StratifiedGroupKFold and LeaveOneGroupOut. Groups
//! are codes in `np.unique` order (see `data::GroupCodes`), so ties break as
//! in scikit-learn; shuffles use numpy's RandomState, so shuffled folds equal
//! scikit-learn's for the same integer `random_state`.

use super::numpy::{self, RandomState};
use crate::data::GroupCodes;
use anyhow::{bail, Result};

/// The groups are the test units, so there must be one per fold at least.
fn check_enough_groups(groups: &GroupCodes, k: usize) -> Result<()> {
    if k > groups.labels.len() {
        bail!(
            "{k} folds but the group column `{}` has only {} groups (each group is tested whole, in one fold)",
            groups.column,
            groups.labels.len()
        );
    }
    Ok(())
}

/// Maps each row's group to its fold.
fn rows_to_folds(codes: &[u32], fold_of_group: &[u32]) -> Vec<u32> {
    codes.iter().map(|&g| fold_of_group[g as usize]).collect()
}

/// GroupKFold: unshuffled, the largest groups first, each to the fold with
/// the fewest rows so far; shuffled, the groups permuted and cut into k runs
/// (`np.array_split`), whatever their sizes.
pub fn group_kfold(groups: &GroupCodes, k: usize, shuffle_seed: Option<u32>) -> Result<Vec<u32>> {
    check_enough_groups(groups, k)?;
    let n_groups = groups.labels.len();
    let mut fold_of_group = vec![0u32; n_groups];
    match shuffle_seed {
        Some(seed) => {
            let mut order: Vec<usize> = (0..n_groups).collect();
            RandomState::new(seed).shuffle(&mut order);
            let mut start = 0;
            for fold in 0..k {
                let size = n_groups / k + usize::from(fold < n_groups % k);
                for &g in &order[start..start + size] {
                    fold_of_group[g] = fold as u32;
                }
                start += size;
            }
        }
        None => {
            let sizes = group_sizes(&groups.codes, n_groups);
            // np.argsort(sizes, kind="stable")[::-1]: ties go last index first.
            let mut order: Vec<usize> = (0..n_groups).collect();
            order.sort_by_key(|&g| sizes[g]);
            order.reverse();
            let mut rows_in_fold = vec![0usize; k];
            for g in order {
                let lightest = first_min(&rows_in_fold);
                rows_in_fold[lightest] += sizes[g];
                fold_of_group[g] = lightest as u32;
            }
        }
    }
    Ok(rows_to_folds(&groups.codes, &fold_of_group))
}

fn group_sizes(codes: &[u32], n_groups: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; n_groups];
    for &g in codes {
        sizes[g as usize] += 1;
    }
    sizes
}

/// `np.argmin`: the first smallest.
fn first_min(values: &[usize]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = i;
        }
    }
    best
}

/// LeaveOneGroupOut: group i (in sorted label order) is test fold i.
pub fn leave_one_group_out(groups: &GroupCodes, folds: usize) -> Result<Vec<u32>> {
    let n_groups = groups.labels.len();
    if n_groups < 2 {
        bail!(
            "leave_one_group_out needs at least 2 groups; column `{}` has {n_groups}",
            groups.column
        );
    }
    if n_groups != folds {
        bail!(
            "the group column `{}` has {n_groups} groups but the plan has {folds} folds (the data changed since the config was read?)",
            groups.column
        );
    }
    Ok(groups.codes.clone())
}

/// StratifiedGroupKFold: groups in order of decreasing spread of their class
/// counts (stable, after the optional shuffle), each to the fold that keeps
/// the class proportions across folds most even, ties to the smaller fold.
pub fn stratified_group_kfold(
    y: &[f64],
    groups: &GroupCodes,
    k: usize,
    shuffle_seed: Option<u32>,
) -> Result<Vec<u32>> {
    let (class_of_row, class_sizes) = dense_classes(y);
    if class_sizes.iter().all(|&n| k as f64 > n) {
        bail!("{k} folds but every class has fewer rows than that");
    }
    check_enough_groups(groups, k)?;
    let n_groups = groups.labels.len();
    let n_classes = class_sizes.len();
    let mut counts = vec![vec![0.0; n_classes]; n_groups];
    for (&g, &c) in groups.codes.iter().zip(&class_of_row) {
        counts[g as usize][c] += 1.0;
    }
    let mut codes: Vec<u32> = groups.codes.clone();
    if let Some(seed) = shuffle_seed {
        let mut perm: Vec<usize> = (0..n_groups).collect();
        RandomState::new(seed).shuffle(&mut perm);
        counts = perm.iter().map(|&p| counts[p].clone()).collect();
        let mut inverse = vec![0u32; n_groups];
        for (new, &old) in perm.iter().enumerate() {
            inverse[old] = new as u32;
        }
        codes = codes.iter().map(|&g| inverse[g as usize]).collect();
    }
    let spread: Vec<f64> = counts.iter().map(|c| -numpy::std_contiguous(c)).collect();
    let mut order: Vec<usize> = (0..n_groups).collect();
    order.sort_by(|&a, &b| {
        spread[a]
            .partial_cmp(&spread[b])
            .expect("counts are finite")
    });
    let mut per_fold = vec![vec![0.0; n_classes]; k];
    let mut fold_of_group = vec![0u32; n_groups];
    for g in order {
        let best = best_fold(&mut per_fold, &class_sizes, &counts[g]);
        add(&mut per_fold[best], &counts[g], 1.0);
        fold_of_group[g] = best as u32;
    }
    Ok(rows_to_folds(&codes, &fold_of_group))
}

/// Class index per row among the classes present (`np.unique(y)`), and
/// each class's row count.
fn dense_classes(y: &[f64]) -> (Vec<usize>, Vec<f64>) {
    let mut present: Vec<f64> = y.to_vec();
    present.sort_by(f64::total_cmp);
    present.dedup();
    let class_of_row: Vec<usize> = y
        .iter()
        .map(|v| present.partition_point(|p| p < v))
        .collect();
    let mut sizes = vec![0.0; present.len()];
    for &c in &class_of_row {
        sizes[c] += 1.0;
    }
    (class_of_row, sizes)
}

fn add(row: &mut [f64], counts: &[f64], sign: f64) {
    for (r, &c) in row.iter_mut().zip(counts) {
        *r += sign * c;
    }
}

/// `_find_best_fold`: the mean over classes of the std across folds of each
/// class's share per fold, with the group added to fold i.
fn best_fold(per_fold: &mut [Vec<f64>], class_sizes: &[f64], group: &[f64]) -> usize {
    let mut best = 0;
    let mut min_eval = f64::INFINITY;
    let mut min_rows = f64::INFINITY;
    for i in 0..per_fold.len() {
        add(&mut per_fold[i], group, 1.0);
        let shares: Vec<Vec<f64>> = per_fold
            .iter()
            .map(|row| row.iter().zip(class_sizes).map(|(c, n)| c / n).collect())
            .collect();
        add(&mut per_fold[i], group, -1.0);
        let stds = numpy::std_columns(&shares);
        let eval = numpy::sum_contiguous(&stds) / stds.len() as f64;
        let rows = numpy::sum_contiguous(&per_fold[i]);
        if eval < min_eval || (numpy::isclose(eval, min_eval) && rows < min_rows) {
            min_eval = eval;
            min_rows = rows;
            best = i;
        }
    }
    best
}
