//! Cross-validation splits. gridrun does its own splitting because linfa's
//! `Dataset::fold` drops the n mod k leftover rows. Most kinds partition the
//! rows: every row is in one test fold per repeat (or in none), and a fold
//! trains on all other rows. A time series does not: a fold trains only on
//! earlier rows, and rows may sit a fold out (the gap, the rows after it).

mod basic;
mod group;
mod numpy;
mod predefined;
pub mod spec;
pub mod subsample;
mod time_series;

pub use predefined::{check_predefined, count_predefined, parse_predefined};

use crate::data::{CacheHeader, Dataset, GroupCodes};
use crate::models::TargetKind;
use anyhow::{anyhow, bail, Context, Result};
use spec::{CvKind, CvSpec};
use std::ops::Range;
use std::path::Path;

/// Rows in no test fold (holdout training rows, or -1 in a predefined split).
pub const TRAIN_ONLY: u32 = u32::MAX;

/// Train and test rows of one fold, each in increasing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// One fold as row ranges: the training rows come before the test rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub train: Range<usize>,
    pub test: Range<usize>,
}

/// Every fold of one repeat.
#[derive(Debug, Clone, PartialEq)]
pub enum FoldPlan {
    /// Each row's test fold ([`TRAIN_ONLY`]: none); a fold trains on every
    /// row outside it.
    Partition { test_fold: Vec<u32>, folds: usize },
    /// Explicit windows (time series); rows in neither range sit the fold out.
    Windows(Vec<Window>),
}

impl FoldPlan {
    pub fn n_folds(&self) -> usize {
        match self {
            FoldPlan::Partition { folds, .. } => *folds,
            FoldPlan::Windows(w) => w.len(),
        }
    }

    /// The rows of fold `fold` (empty when there is no such fold).
    pub fn split(&self, fold: u32) -> Split {
        match self {
            FoldPlan::Partition { test_fold, .. } => {
                let (test, train): (Vec<usize>, Vec<usize>) =
                    (0..test_fold.len()).partition(|&row| test_fold[row] == fold);
                Split { train, test }
            }
            FoldPlan::Windows(windows) => windows.get(fold as usize).map_or(
                Split {
                    train: Vec::new(),
                    test: Vec::new(),
                },
                |w| Split {
                    train: w.train.clone().collect(),
                    test: w.test.clone().collect(),
                },
            ),
        }
    }
}

/// What folds are computed from: the target (class indices for
/// classification) and, for the group kinds, each row's group.
pub struct FoldData<'a> {
    pub y: &'a [f64],
    pub target: TargetKind,
    pub groups: Option<&'a GroupCodes>,
}

/// The folds of one repeat.
pub fn build(cv: &CvSpec, data: &FoldData, repeat: usize) -> Result<FoldPlan> {
    let n = data.y.len();
    let partition = |test_fold| FoldPlan::Partition {
        test_fold,
        folds: cv.folds,
    };
    Ok(match cv.kind {
        CvKind::TimeSeriesSplit => FoldPlan::Windows(time_series::windows(cv, n)?),
        CvKind::GroupKfold => partition(group::group_kfold(
            groups_of(cv, data)?,
            cv.folds,
            shuffle_seed(cv)?,
        )?),
        CvKind::StratifiedGroupKfold => {
            if data.target.n_classes().is_none() {
                bail!("stratified_group_kfold needs a classification target (it balances classes)");
            }
            partition(group::stratified_group_kfold(
                data.y,
                groups_of(cv, data)?,
                cv.folds,
                shuffle_seed(cv)?,
            )?)
        }
        CvKind::LeaveOneGroupOut => {
            partition(group::leave_one_group_out(groups_of(cv, data)?, cv.folds)?)
        }
        _ => partition(basic::assign(cv, data.y, data.target, repeat)?),
    })
}

fn groups_of<'a>(cv: &CvSpec, data: &FoldData<'a>) -> Result<&'a GroupCodes> {
    let groups = data
        .groups
        .ok_or_else(|| anyhow!("{} needs the group column", cv.kind.name()))?;
    if groups.codes.len() != data.y.len() {
        bail!(
            "{} group codes for {} rows",
            groups.codes.len(),
            data.y.len()
        );
    }
    Ok(groups)
}

/// numpy's RandomState takes 32-bit seeds (the config checks the range).
fn shuffle_seed(cv: &CvSpec) -> Result<Option<u32>> {
    if !cv.shuffle {
        return Ok(None);
    }
    u32::try_from(cv.seed)
        .map(Some)
        .map_err(|_| anyhow!("seed {} is over 2^32 - 1", cv.seed))
}

/// The kinds whose folds depend on the groups or on the row count are built
/// once against the data before any task runs, so a plan that cannot work
/// (fewer groups than folds, no training rows) stops with one message.
pub fn check_on_data(cv: &CvSpec, cache: &Path, header: &CacheHeader) -> Result<()> {
    if !cv.kind.checked_on_data() {
        return Ok(());
    }
    let groups = match cv.kind.uses_groups() {
        true => Some(crate::data::load_groups(cache)?),
        false => None,
    };
    // Only the stratified kind reads y; the others need just the row count.
    let y = match cv.kind {
        CvKind::StratifiedGroupKfold => Dataset::open(cache)?.y().to_vec(),
        _ => vec![0.0; header.n_rows],
    };
    let data = FoldData {
        y: &y,
        target: header.target,
        groups: groups.as_ref(),
    };
    let plan = build(cv, &data, 0)?;
    for fold in 0..plan.n_folds() as u32 {
        let split = plan.split(fold);
        if split.train.is_empty() || split.test.is_empty() {
            let missing = if split.test.is_empty() {
                "test"
            } else {
                "training"
            };
            bail!("fold {fold} has no {missing} rows");
        }
    }
    Ok(())
}

/// Reads the group codes for `cv` from beside the cache, when it needs them.
pub fn load_groups_for(cv: &CvSpec, cache: &Path) -> Result<Option<GroupCodes>> {
    if !cv.kind.uses_groups() {
        return Ok(None);
    }
    crate::data::load_groups(cache)
        .map(Some)
        .context("the group codes the plan needs")
}

#[cfg(test)]
mod tests;
