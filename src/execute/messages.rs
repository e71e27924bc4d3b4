//! What the coordinator and the workers (and a command task's runner) hand
//! each other: plain data, so that code running tasks needs nothing else of
//! the executors.

pub use crate::folds::subsample::Subsample;
use crate::params::Params;
use crate::preprocess::FittedPipeline;
use crate::results::float;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How to treat slow and crashing tasks: plain values from the config.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Re-runs of a task whose worker crashed or timed out.
    pub retries: usize,
    /// Per-task wall-time limit (process backend).
    pub timeout: Option<Duration>,
    /// Per-worker address-space limit in bytes (process backend).
    pub max_memory: Option<u64>,
}

/// A task as sent to a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskMsg {
    pub index: usize,
    /// Full hyperparameters (fixed + grid).
    pub params: Params,
    pub repeat: u32,
    pub fold: u32,
    pub seed: u64,
    /// Successive halving on n_samples: the share of each fold's rows used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsample: Option<Subsample>,
}

/// The result of one task, as a worker reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Outcome {
    #[serde(with = "float::map")]
    pub scores: BTreeMap<String, f64>,
    /// Why the task failed (scores are then empty).
    pub error: Option<String>,
    #[serde(with = "float")]
    pub fit_seconds: f64,
    #[serde(with = "float")]
    pub score_seconds: f64,
    pub n_train: usize,
    pub n_test: usize,
    pub pid: u32,
    #[serde(with = "float")]
    pub start: f64,
    #[serde(with = "float")]
    pub end: f64,
    /// The worker's peak resident memory so far, KiB.
    #[serde(default)]
    pub peak_rss_kb: u64,
    /// 1 + the retries it took (set by the coordinator).
    #[serde(default)]
    pub attempts: u32,
    /// The fit's warnings (e.g. an optimiser stopped on its iteration limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Outcome {
    pub fn failed(error: String, start: f64) -> Outcome {
        Outcome {
            scores: BTreeMap::new(),
            error: Some(error),
            fit_seconds: 0.0,
            score_seconds: 0.0,
            n_train: 0,
            n_test: 0,
            pid: pid(),
            start,
            end: now(),
            peak_rss_kb: peak_rss_kb(),
            attempts: 1,
            warnings: Vec::new(),
        }
    }
}

/// This process's peak resident set size in KiB (getrusage). Linux gives
/// the process's peak (the memory map's high-water mark) for one thread's
/// usage too, without summing the CPU time of every thread: a worker asks
/// after each task, a million times for a million no-op tasks.
pub fn peak_rss_kb() -> u64 {
    #[cfg(target_os = "linux")]
    const WHO: libc::c_int = libc::RUSAGE_THREAD;
    #[cfg(all(unix, not(target_os = "linux")))]
    const WHO: libc::c_int = libc::RUSAGE_SELF;
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes into the struct we pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(WHO, &mut usage) } == 0 {
            return usage.ru_maxrss.max(0) as u64;
        }
    }
    0
}

/// This process's id, asked of the system once (glibc no longer caches
/// it, and a worker reports it with every task).
pub fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// A model fitted on all rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefitOutput {
    /// best_model.bin as written (None: not asked to save it).
    #[serde(default)]
    pub saved: Option<crate::results::model_file::Written>,
    /// The refitting worker's peak resident memory, KiB (model write included).
    #[serde(default)]
    pub peak_rss_kb: u64,
    #[serde(with = "float::option_vec")]
    pub feature_importances: Option<Vec<f64>>,
    #[serde(with = "float")]
    pub fit_seconds: f64,
    /// The preprocessing fitted on all rows, when there is any.
    #[serde(default)]
    pub preprocess: Option<FittedPipeline>,
    /// The model's input columns (one-hot columns named `col=category`),
    /// when preprocessing changed them.
    #[serde(default)]
    pub feature_names: Option<Vec<String>>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Seconds since the Unix epoch (comparable across processes).
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
