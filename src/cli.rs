//! Command-line interface.

use crate::batch::shard::ShardSpec;
use crate::config::Backend;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  gridrun configs/tree.toml                 run the search, results in the config's output folder
  gridrun configs/tree.toml --jobs 2 --backend thread --output runs/try
  gridrun plan configs/rf.toml              what would run: settings x folds = tasks
  gridrun estimate configs/rf.toml --deadline 20m   cores and AWS cost to finish in time
  gridrun estimate --tasks 125 --task-seconds 70 --deadline 20m
  gridrun run configs/rf.toml --shard 0/4   one shard of four; then: gridrun merge runs/rf
  gridrun slurm configs/rf.toml --shards 4 --cpus-per-task 2 --submit
  gridrun predict --model runs/tree-wine/best_model.json datasets/wine.csv
  gridrun report runs/tree-wine             report.html from the journal so far (also mid-run)
  gridrun completions bash > /etc/bash_completion.d/gridrun
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
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Print what would run, without running anything.
    #[command(
        after_help = "Examples:\n  gridrun plan configs/rf.toml      settings x folds = tasks, one line per setting"
    )]
    Plan {
        /// The TOML config to plan.
        config: PathBuf,
    },
    /// Build cv_results.csv, best.json, timeline.svg and report.html from every shard's journal.
    #[command(
        after_help = "Examples:\n  gridrun merge runs/rf             after every `gridrun run ... --shard I/N -o runs/rf`"
    )]
    Merge {
        /// The output folder the shards wrote into.
        output: PathBuf,
    },
    /// Write report.html from an output folder's journals (also while a run is going).
    #[command(
        after_help = "Examples:\n  gridrun report runs/tree-wine                  writes runs/tree-wine/report.html\n  gridrun report runs/rf --to /tmp/rf.html       somewhere else"
    )]
    Report(ReportArgs),
    /// Write (and with --submit, submit and follow) a Slurm job array, one shard per task.
    #[command(
        after_help = "Examples:\n  gridrun slurm configs/rf.toml --shards 4 --cpus-per-task 2             writes the sbatch script\n  gridrun slurm configs/rf.toml --shards 4 --time 1:00:00 --partition debug --submit"
    )]
    Slurm(SlurmArgs),
    /// Write an AWS Batch array job or a Kubernetes Indexed Job running the shards.
    #[command(
        after_help = "Examples:\n  gridrun export-job configs/rf.toml --format aws-batch --shards 8 --image me/gridrun:1\n  gridrun export-job configs/rf.toml --format k8s --shards 8 --cpus 4 --to job.yaml"
    )]
    ExportJob(ExportArgs),
    /// How many cores finish before a deadline, and what that costs on AWS.
    #[command(
        after_help = "Examples:\n  gridrun estimate configs/rf.toml --deadline 20m\n  gridrun estimate --tasks 125 --task-seconds 70 --deadline 20m --json"
    )]
    Estimate(EstimateArgs),
    /// Predict with a saved model (best_model.bin or its best_model.json).
    #[command(
        after_help = "Examples:\n  gridrun predict --model runs/tree-wine/best_model.json datasets/wine.csv | head\n  gridrun predict --model best_model.json new.csv --proba --keep id -o predictions.csv"
    )]
    Predict(PredictArgs),
    /// Write a synthetic classification CSV (scikit-learn's make_classification).
    #[command(
        after_help = "Examples:\n  gridrun make-classification --samples 10000 --features 50 --informative 20 \\\n      --classes 10 --seed 0 --output datasets/synthetic.csv"
    )]
    MakeClassification(MakeClassificationArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  gridrun completions bash > ~/.local/share/bash-completion/completions/gridrun\n  gridrun completions zsh > ~/.zfunc/_gridrun        (with fpath+=~/.zfunc)\n  gridrun completions fish > ~/.config/fish/completions/gridrun.fish"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Write a synthetic regression CSV (scikit-learn's make_regression).
    #[command(
        after_help = "Examples:\n  gridrun make-regression --samples 1000 --features 20 --informative 10 --noise 10 \\\n      --seed 0 --output datasets/regression.csv"
    )]
    MakeRegression(MakeRegressionArgs),
    /// Internal: a worker process, started by the coordinator.
    #[command(name = "__worker", hide = true)]
    Worker,
}

const RUN_EXAMPLES: &str = "\
Examples:
  gridrun run configs/tree.toml                    same as gridrun configs/tree.toml
  gridrun run configs/rf.toml -j 2 -o runs/rf2     two workers, another output folder
  gridrun run configs/rf.toml --timeout 10m --retries 1 --max-memory 4G
  gridrun run configs/rf.toml --shard 0/4 -o /shared/rf   then gridrun merge /shared/rf";

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The output folder of a run (finished, interrupted or still going).
    pub output: PathBuf,
    /// Write the page here instead of OUTPUT/report.html.
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,
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
    #[arg(long, value_parser = parse_positive_duration)]
    pub timeout: Option<f64>,
    /// Per-worker memory cap such as 512M, 4G; overrides [run] max_memory.
    #[arg(long, value_parser = parse_bytes)]
    pub max_memory: Option<u64>,
    /// Start over: ignore the tasks an earlier run into the same folder finished.
    #[arg(long)]
    pub fresh: bool,
    /// Run only shard I of N (0-based), e.g. 2/8.
    #[arg(long, value_name = "I/N", conflicts_with = "only_missing")]
    pub shard: Option<ShardSpec>,
    /// Number of shards, the index then read from SLURM_ARRAY_TASK_ID,
    /// AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    /// Run every task that no journal in the output folder has finished (after a merge lists gaps).
    #[arg(long)]
    pub only_missing: bool,
    /// Do not refit the best setting on all rows (no model file), as `[scoring] refit = false`.
    #[arg(long)]
    pub no_refit: bool,
    /// Internal (`gridrun slurm --submit`): run only this round (0-based
    /// iter) of successive halving, with --shard.
    #[arg(
        long,
        value_name = "ITER",
        hide = true,
        conflicts_with = "only_missing"
    )]
    pub round: Option<usize>,
}

#[derive(Args, Debug)]
pub struct SlurmArgs {
    /// The TOML config every array task runs.
    pub config: PathBuf,
    /// Array tasks: the plan is split into this many shards.
    #[arg(long)]
    pub shards: usize,
    /// Cores per array task (its workers).
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Slurm --time, e.g. 2:00:00.
    #[arg(long)]
    pub time: Option<String>,
    /// Slurm partition to submit to (default: the cluster's default).
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm --mem per task, e.g. 4G.
    #[arg(long)]
    pub mem: Option<String>,
    /// Output folder (default: the config's).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Submit with sbatch, follow the array with squeue, then merge.
    #[arg(long)]
    pub submit: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The TOML config every container runs.
    pub config: PathBuf,
    /// aws-batch or k8s.
    #[arg(long)]
    pub format: ExportFormat,
    /// Array size / completions: the plan is split into this many shards.
    #[arg(long)]
    pub shards: usize,
    /// Container image built from the Dockerfile (for AWS: its ECR URI).
    #[arg(long, default_value = "gridrun:latest")]
    pub image: String,
    /// AWS Batch job queue.
    #[arg(long, default_value = "gridrun")]
    pub queue: String,
    /// CPUs per container (and gridrun --jobs); default: from the estimate, else 2.
    #[arg(long)]
    pub cpus: Option<u32>,
    /// Memory per container in MiB; default: from the estimate, else 4096.
    #[arg(long)]
    pub memory_mib: Option<u64>,
    /// estimate.json to size containers from; default: the config's output folder's.
    #[arg(long, value_name = "FILE")]
    pub estimate: Option<PathBuf>,
    /// Retries per shard (Kubernetes backoffLimitPerIndex; AWS attempts - 1).
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
    /// AWS: the output on this EFS file system (mounted at /mnt/efs).
    #[arg(long, value_name = "fs-ID", conflicts_with = "s3")]
    pub efs: Option<String>,
    /// AWS: each shard syncs its output here when it ends (image target `aws`).
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub s3: Option<String>,
    /// AWS: job role ARN (S3 access for --s3; default: the instance role).
    #[arg(long)]
    pub job_role_arn: Option<String>,
    /// Kubernetes: use this existing ReadWriteMany claim instead of writing one.
    #[arg(long)]
    pub pvc: Option<String>,
    /// Kubernetes: size of the claim written.
    #[arg(long, default_value = "10Gi")]
    pub storage_size: String,
    /// Kubernetes: storage class of the claim written (must offer ReadWriteMany).
    #[arg(long)]
    pub storage_class: Option<String>,
    /// Output folder inside the containers (default: under the shared mount).
    #[arg(long)]
    pub output: Option<String>,
    /// Config path inside the containers (default: /job/ + its path from here).
    #[arg(long)]
    pub container_config: Option<String>,
    /// Folder to write the files into.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// The config to estimate (omit with --tasks and --task-seconds).
    pub config: Option<PathBuf>,
    /// When it must be done: a duration (90s, 20m, 1h30m) or a local time
    /// (12:30, "2026-12-01 09:00").
    #[arg(long)]
    pub deadline: String,
    /// Safety margin on task times, e.g. 0.2 = 20% longer; default: the cost
    /// model's measured 90% upper bound (pilot), 0 (arithmetic mode).
    #[arg(long)]
    pub margin: Option<f64>,
    /// At most this many instances (prefers fewer, larger machines).
    #[arg(long)]
    pub max_instances: Option<usize>,
    /// Only instance types with at least this many physical cores.
    #[arg(long, default_value_t = 1)]
    pub min_cores_per_instance: usize,
    /// Time budget for the pilot tasks.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub pilot_seconds: f64,
    /// Workers for the pilot (and the run it predicts); default: the config's.
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Arithmetic mode: number of tasks.
    #[arg(long, requires = "task_seconds", conflicts_with = "config")]
    pub tasks: Option<usize>,
    /// Arithmetic mode: seconds per task, e.g. 70 or 1m10s.
    #[arg(long, value_parser = parse_duration, requires = "tasks")]
    pub task_seconds: Option<f64>,
    /// Throughput a second hyperthread adds to a core (0.25 = 25%).
    #[arg(long, default_value_t = 0.25)]
    pub smt_gain: f64,
    /// Launch-to-ready seconds per instance.
    #[arg(long, default_value_t = 25.0)]
    pub boot_seconds: f64,
    /// Spot discount off on demand where the price table has no spot figure.
    #[arg(long, default_value_t = crate::estimate::cloud::DEFAULT_SPOT_DISCOUNT)]
    pub spot_discount: f64,
    /// Your own price table (CSV, same columns as the built-in one).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// How many instance choices to show.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Print JSON instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Output folder (pilot data cache and estimate.json); default: the config's.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    AwsBatch,
    K8s,
}

fn parse_duration(s: &str) -> Result<f64, String> {
    crate::units::parse_duration(s)
}

/// A timeout of 0 would fail every task: rejected, as in the config.
fn parse_positive_duration(s: &str) -> Result<f64, String> {
    match crate::units::parse_duration(s)? {
        d if d > 0.0 => Ok(d),
        _ => Err("must be more than 0".into()),
    }
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    crate::units::parse_bytes(s)
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model a run saved: best_model.bin, or its best_model.json manifest (the .bin beside it).
    #[arg(long)]
    pub model: PathBuf,
    /// CSV with a header holding the model's feature columns.
    pub data: PathBuf,
    /// Where to write the predictions (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also write one probability column per class (proba_CLASS), as predict_proba.
    #[arg(long)]
    pub proba: bool,
    /// Copy this input column (e.g. an id) into the output, before the
    /// predictions; repeat for several.
    #[arg(long, value_name = "COLUMN")]
    pub keep: Vec<String>,
}

#[derive(Args, Debug)]
pub struct MakeClassificationArgs {
    /// Rows (n_samples).
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    /// Feature columns in all (n_features).
    #[arg(long, default_value_t = 20)]
    pub features: usize,
    /// Features that carry the classes (n_informative).
    #[arg(long, default_value_t = 2)]
    pub informative: usize,
    /// Random linear combinations of the informative features (n_redundant).
    #[arg(long, default_value_t = 2)]
    pub redundant: usize,
    /// Copies of informative and redundant features (n_repeated).
    #[arg(long, default_value_t = 0)]
    pub repeated: usize,
    /// Number of classes (n_classes).
    #[arg(long, default_value_t = 2)]
    pub classes: usize,
    /// Gaussian clusters per class (n_clusters_per_class).
    #[arg(long, default_value_t = 2)]
    pub clusters_per_class: usize,
    /// Share of labels assigned at random (flip_y).
    #[arg(long, default_value_t = 0.01)]
    pub flip_y: f64,
    /// Distance between the class clusters (class_sep).
    #[arg(long, default_value_t = 1.0)]
    pub class_sep: f64,
    /// Random seed (random_state).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output CSV (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MakeRegressionArgs {
    /// Number of rows.
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    /// Number of feature columns.
    #[arg(long, default_value_t = 100)]
    pub features: usize,
    /// Features the target actually depends on (the others are noise).
    #[arg(long, default_value_t = 10)]
    pub informative: usize,
    /// Constant added to the target.
    #[arg(long, default_value_t = 0.0)]
    pub bias: f64,
    /// Standard deviation of the Gaussian noise added to the target.
    #[arg(long, default_value_t = 0.0)]
    pub noise: f64,
    /// Seed of the generator (same seed, same file).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output CSV (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}
