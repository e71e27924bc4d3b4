//! Command-line interface.

use crate::config::Backend;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  gridrun configs/tree.toml                 run the search, results in the config's output folder
  gridrun configs/tree.toml --jobs 2 --backend thread --output runs/try
  gridrun plan configs/rf.toml              what would run: settings x folds = tasks
  gridrun predict --model runs/tree-wine/best_model.json datasets/wine.csv
  gridrun make-classification --samples 10000 --features 50 --informative 20 \\
      --classes 10 --seed 0 --output datasets/synthetic.csv

Exit codes: 0 all tasks done, 1 some tasks failed, 2 usage, config or data error.";

#[derive(Parser, Debug)]
#[command(name = "gridrun", version, about = "Parallel hyperparameter grid search with k-fold cross-validation, from one TOML file", after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the search (the default when a config is given directly).
    Run(RunArgs),
    /// Print what would run, without running anything.
    Plan { config: PathBuf },
    /// Predict with a saved best_model.json.
    Predict(PredictArgs),
    /// Write a synthetic classification CSV (scikit-learn's make_classification).
    MakeClassification(MakeClassificationArgs),
    /// Internal: a worker process, started by the coordinator.
    #[command(name = "__worker", hide = true)]
    Worker,
}

#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// The TOML config.
    pub config: Option<PathBuf>,
    /// Parallel tasks (0 = one per core); overrides [run] jobs.
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// process, thread or serial; overrides [run] backend.
    #[arg(long)]
    pub backend: Option<Backend>,
    /// Output folder; overrides [run] output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
    /// Re-runs of a task whose worker crashed or timed out; overrides [run] retries.
    #[arg(long)]
    pub retries: Option<usize>,
    /// Per-task time limit such as 90s, 10m, 1h30m; overrides [run] timeout.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<f64>,
    /// Per-worker memory cap such as 512M, 4G; overrides [run] max_memory.
    #[arg(long, value_parser = parse_bytes)]
    pub max_memory: Option<u64>,
    /// Start over: ignore the tasks an earlier run into the same folder finished.
    #[arg(long)]
    pub fresh: bool,
}

fn parse_duration(s: &str) -> Result<f64, String> {
    crate::units::parse_duration(s)
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    crate::units::parse_bytes(s)
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// A best_model.json written by a run.
    #[arg(long)]
    pub model: PathBuf,
    /// CSV with a header holding the model's feature columns.
    pub data: PathBuf,
    /// Where to write the predictions (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MakeClassificationArgs {
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    #[arg(long, default_value_t = 20)]
    pub features: usize,
    #[arg(long, default_value_t = 2)]
    pub informative: usize,
    #[arg(long, default_value_t = 2)]
    pub redundant: usize,
    #[arg(long, default_value_t = 0)]
    pub repeated: usize,
    #[arg(long, default_value_t = 2)]
    pub classes: usize,
    #[arg(long, default_value_t = 2)]
    pub clusters_per_class: usize,
    #[arg(long, default_value_t = 0.01)]
    pub flip_y: f64,
    #[arg(long, default_value_t = 1.0)]
    pub class_sep: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output CSV (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}
