//! The output folder and every name gridrun writes into it. Nothing else in
//! gridrun spells a file name of the folder: a run's session owns an
//! `OutputDir`, and the modules writing or reading one file ask it for the path.

use crate::batch::shard::ShardSpec;
use std::path::{Path, PathBuf};

/// One output folder (`[run] output` or `--output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDir {
    root: PathBuf,
}

/// What a finished run writes besides journals, in the order `supersede`
/// moves them aside (report.html is rebuilt from these, so it stays).
const RUN_OUTPUTS: &[&str] = &[
    CV_RESULTS,
    BEST,
    BEST_MODEL,
    crate::results::model_file::BIN_FILE_NAME,
    TIMELINE,
    RUN_INFO,
    CONFIG_SNAPSHOT,
];

const JOURNAL: &str = "results.jsonl";
const CONFIG_SNAPSHOT: &str = "config.json";
const RUN_INFO: &str = "run.json";
const BEST: &str = "best.json";
const BEST_MODEL: &str = "best_model.json";
const CV_RESULTS: &str = "cv_results.csv";
const TIMELINE: &str = "timeline.svg";
const REPORT: &str = "report.html";
const LOCK: &str = "gridrun.lock";
const ESTIMATE: &str = "estimate.json";
const TASK_COSTS: &str = "task_costs.json";
const SBATCH: &str = "gridrun.sbatch";
const SUPERSEDED: &str = "superseded-";

impl OutputDir {
    pub fn new(root: impl Into<PathBuf>) -> OutputDir {
        OutputDir { root: root.into() }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// results.jsonl, or a shard's own results.shard-I-of-N.jsonl.
    pub fn journal(&self, shard: Option<ShardSpec>) -> PathBuf {
        self.root.join(shard.map_or(JOURNAL.to_string(), |s| {
            format!("results.shard-{}-of-{}.jsonl", s.index, s.count)
        }))
    }

    /// The journal of shard `shard` of halving round `iter` run as a job
    /// array (`gridrun slurm --submit`): results.round-R.shard-I-of-N.jsonl.
    /// One per round, so no round's shard rewrites another round's records.
    pub fn round_journal(&self, shard: ShardSpec, iter: usize) -> PathBuf {
        self.root.join(format!(
            "results.round-{iter}.shard-{}-of-{}.jsonl",
            shard.index, shard.count
        ))
    }

    /// Whether a file name is one of the folder's journals.
    pub fn is_journal_name(name: &str) -> bool {
        name.starts_with("results") && name.ends_with(".jsonl")
    }

    /// The resolved config, saved for `merge` and `report`.
    pub fn config_snapshot(&self) -> PathBuf {
        self.root.join(CONFIG_SNAPSHOT)
    }

    /// run.json, or a shard's run.shard-I-of-N.json.
    pub fn run_info(&self, shard: Option<ShardSpec>) -> PathBuf {
        self.root.join(shard.map_or(RUN_INFO.to_string(), |s| {
            format!("run.shard-{}-of-{}.json", s.index, s.count)
        }))
    }

    fn is_shard_run_info_name(name: &str) -> bool {
        name.starts_with("run.shard-") && name.ends_with(".json")
    }

    pub fn best(&self) -> PathBuf {
        self.root.join(BEST)
    }

    pub fn best_model(&self) -> PathBuf {
        self.root.join(BEST_MODEL)
    }

    pub fn cv_results(&self) -> PathBuf {
        self.root.join(CV_RESULTS)
    }

    pub fn timeline(&self) -> PathBuf {
        self.root.join(TIMELINE)
    }

    pub fn report(&self) -> PathBuf {
        self.root.join(REPORT)
    }

    /// The folder's lock (held exclusively by a run or merge, shared by shards).
    pub fn lock(&self) -> PathBuf {
        self.root.join(LOCK)
    }

    /// A shard's own lock beside the folder's.
    pub fn shard_lock(&self, shard: ShardSpec) -> PathBuf {
        self.root.join(format!(
            "gridrun.shard-{}-of-{}.lock",
            shard.index, shard.count
        ))
    }

    pub fn is_shard_lock_name(name: &str) -> bool {
        name.starts_with("gridrun.shard-") && name.ends_with(".lock")
    }

    /// `gridrun estimate`'s report.
    pub fn estimate(&self) -> PathBuf {
        self.root.join(ESTIMATE)
    }

    /// `gridrun estimate`'s predicted seconds per task (for shard balancing).
    pub fn task_costs(&self) -> PathBuf {
        self.root.join(TASK_COSTS)
    }

    /// The folder of dataset caches.
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// Command tasks: their stdout/stderr logs.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Command tasks: per-task scratch folders.
    pub fn tasks_dir(&self) -> PathBuf {
        self.root.join("tasks")
    }

    /// Command tasks: the process groups still running (`TASK_ID.pgid`).
    pub fn running_dir(&self) -> PathBuf {
        self.root.join("running")
    }

    /// Command tasks: the fold files of one CV plan (`key`: its hash).
    pub fn folds_dir(&self, key: &str) -> PathBuf {
        self.root.join("folds").join(key)
    }

    /// `gridrun slurm`'s batch script.
    pub fn sbatch_script(&self) -> PathBuf {
        self.root.join(SBATCH)
    }

    /// `gridrun slurm --submit`'s batch script of halving round `iter`.
    pub fn round_sbatch_script(&self, iter: usize) -> PathBuf {
        self.root.join(format!("gridrun.round-{iter}.sbatch"))
    }

    /// The id of the job array submitted for halving round `iter`, so a
    /// coordinator started again follows it instead of submitting another.
    pub fn round_job(&self, iter: usize) -> PathBuf {
        self.root.join(format!("gridrun.round-{iter}.job"))
    }

    /// `superseded-STAMP` (then `-1`, `-2`, ... when taken).
    pub fn superseded(&self, stamp: &str, n: usize) -> PathBuf {
        self.root.join(match n {
            0 => format!("{SUPERSEDED}{stamp}"),
            n => format!("{SUPERSEDED}{stamp}-{n}"),
        })
    }

    /// Every output of an earlier run but its journals: moved aside together
    /// when a new plan supersedes it.
    pub fn run_outputs(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = RUN_OUTPUTS.iter().map(|n| self.root.join(n)).collect();
        files.extend(self.files_named(Self::is_shard_run_info_name));
        files
    }

    /// Every journal in the folder: results.jsonl and the shards', sorted.
    pub fn journals(&self) -> Vec<PathBuf> {
        let mut files = self.files_named(Self::is_journal_name);
        files.sort();
        files
    }

    /// The shards' locks in the folder.
    pub fn shard_locks(&self) -> Vec<PathBuf> {
        self.files_named(Self::is_shard_lock_name)
    }

    fn files_named(&self, wanted: fn(&str) -> bool) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(wanted))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_shards_and_of_the_whole_run() {
        let out = OutputDir::new("o");
        let shard = ShardSpec::new(2, 8).unwrap();
        assert_eq!(out.journal(None), Path::new("o/results.jsonl"));
        assert_eq!(
            out.journal(Some(shard)),
            Path::new("o/results.shard-2-of-8.jsonl")
        );
        assert_eq!(
            out.run_info(Some(shard)),
            Path::new("o/run.shard-2-of-8.json")
        );
        assert_eq!(
            out.shard_lock(shard),
            Path::new("o/gridrun.shard-2-of-8.lock")
        );
        assert!(OutputDir::is_journal_name("results.shard-2-of-8.jsonl"));
        let round = out.round_journal(shard, 1);
        assert_eq!(round, Path::new("o/results.round-1.shard-2-of-8.jsonl"));
        let name = round.file_name().unwrap().to_str().unwrap();
        assert!(OutputDir::is_journal_name(name));
        assert!(!OutputDir::is_journal_name("results.csv"));
        assert_eq!(out.superseded("x", 1), Path::new("o/superseded-x-1"));
    }
}
