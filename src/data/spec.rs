//! What `[dataset]` says about the CSV: its path and which columns play
//! which role (parsed and checked in `config`).

use std::path::PathBuf;

/// Which column holds the target.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TargetColumn {
    Name(String),
    Index(usize),
    Last,
}

/// A column named in `[dataset]` (drop, categorical): by name or 0-based index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ColumnRef {
    Name(String),
    Index(usize),
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Name(n) => write!(f, "`{n}`"),
            ColumnRef::Index(i) => write!(f, "index {i}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskHint {
    Classification,
    Regression,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DatasetSpec {
    /// Resolved against the config file's folder.
    pub path: PathBuf,
    pub target: TargetColumn,
    /// None: decided from the target column (strings or few integers: classes).
    pub task: Option<TaskHint>,
    /// The column of row groups for the group CV kinds; never a feature.
    #[serde(default)]
    pub groups: Option<GroupsColumn>,
    /// Columns that are neither features nor the target.
    #[serde(default)]
    pub drop: Vec<ColumnRef>,
    /// Columns taken as categories even when their cells are numbers (every
    /// non-numeric column is categorical anyway).
    #[serde(default)]
    pub categorical: Vec<ColumnRef>,
    /// Cell texts that mean "missing"; None: [`crate::data::DEFAULT_NA_VALUES`].
    #[serde(default)]
    pub na_values: Option<Vec<String>>,
}

/// The column in `[dataset] groups`: a name or a 0-based index, like `target`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GroupsColumn {
    Name(String),
    Index(usize),
}

impl std::fmt::Display for GroupsColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupsColumn::Name(n) => write!(f, "`{n}`"),
            GroupsColumn::Index(i) => write!(f, "index {i}"),
        }
    }
}
