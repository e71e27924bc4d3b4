//! The cross-validation plan (`[cv]`, parsed and checked in `config`).

use crate::data::spec::GroupsColumn;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CvKind {
    Kfold,
    StratifiedKfold,
    RepeatedKfold,
    RepeatedStratifiedKfold,
    Holdout,
    Predefined,
    GroupKfold,
    StratifiedGroupKfold,
    TimeSeriesSplit,
    LeaveOneGroupOut,
}

impl CvKind {
    /// The kinds that split by `[dataset] groups`.
    pub fn uses_groups(self) -> bool {
        matches!(
            self,
            CvKind::GroupKfold | CvKind::StratifiedGroupKfold | CvKind::LeaveOneGroupOut
        )
    }

    /// The kinds whose folds depend on the data beyond its row count and
    /// classes, so they are checked against it before any task runs.
    pub fn checked_on_data(self) -> bool {
        self.uses_groups() || self == CvKind::TimeSeriesSplit
    }

    /// The name as written in a config.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    }
}

/// The cross-validation plan.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct CvSpec {
    pub kind: CvKind,
    pub folds: usize,
    pub repeats: usize,
    pub shuffle: bool,
    pub seed: u64,
    /// Holdout: share of rows in the test set.
    pub test_size: f64,
    /// Predefined: one test-fold index per row (scikit-learn's PredefinedSplit).
    pub folds_file: Option<PathBuf>,
    /// time_series_split: rows in each test fold (its `test_size`); None:
    /// rows / (folds + 1), as in scikit-learn.
    #[serde(default)]
    pub test_rows: Option<usize>,
    /// time_series_split: rows left out between the training and the test rows.
    #[serde(default)]
    pub gap: usize,
    /// time_series_split: at most this many (the latest) training rows.
    #[serde(default)]
    pub max_train_size: Option<usize>,
}

impl CvSpec {
    /// What identifies this plan's folds in task ids. Keys appear only when
    /// they matter, so the ids of plans without groups or time series stay
    /// what they were before those existed.
    pub fn identity(&self, groups: Option<&GroupsColumn>) -> String {
        let mut key = serde_json::json!({
            "kind": self.kind, "folds": self.folds, "shuffle": self.shuffle, "seed": self.seed,
            "test_size": self.test_size, "folds_file": self.folds_file,
        });
        if let Some(g) = groups {
            // The group column is not a feature, so it changes every kind's fits.
            key["groups"] = serde_json::json!(g);
        }
        if self.kind == CvKind::TimeSeriesSplit {
            key["test_rows"] = serde_json::json!(self.test_rows);
            key["gap"] = serde_json::json!(self.gap);
            key["max_train_size"] = serde_json::json!(self.max_train_size);
        }
        key.to_string()
    }
}
