//! What a run leaves behind: the journal of finished tasks, scikit-learn's
//! cv_results_ table, the best setting, and a timeline chart.

pub mod atomic;
pub mod best;
pub mod cv_results;
pub mod float;
pub mod float_tree;
pub mod journal;
pub mod lock;
pub mod model_file;
pub mod session_log;
pub mod supersede;
pub mod tally;
pub mod timeline;
pub mod timeline_log;

use crate::params::Params;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One finished task, as written to results.jsonl.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskRecord {
    pub id: String,
    pub setting: usize,
    /// The grid's hyperparameters of this setting (fixed ones are in the config).
    pub params: Params,
    pub repeat: u32,
    pub fold: u32,
    pub status: Status,
    #[serde(with = "float::map")]
    pub scores: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(with = "float")]
    pub fit_seconds: f64,
    #[serde(with = "float")]
    pub score_seconds: f64,
    pub n_train: usize,
    pub n_test: usize,
    /// Worker slot (0..jobs) and its process id.
    pub worker: usize,
    pub pid: u32,
    /// Seconds since the Unix epoch.
    #[serde(with = "float")]
    pub start: f64,
    #[serde(with = "float")]
    pub end: f64,
    /// Fingerprint of the dataset it ran on.
    pub data: String,
    /// The worker's peak resident memory, KiB.
    #[serde(default)]
    pub peak_rss_kb: u64,
    /// 1 + retries after crashes or timeouts.
    #[serde(default = "one")]
    pub attempts: u32,
    /// The shard (I/N) that ran it, for runs split across machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The fit's warnings, e.g. an optimiser stopped on its iteration limit
    /// (scikit-learn's ConvergenceWarning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
}

impl TaskRecord {
    pub fn ok(&self) -> bool {
        self.status == Status::Ok
    }
}
