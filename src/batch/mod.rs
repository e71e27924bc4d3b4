//! Running one plan as a batch across machines.
//!
//! Every machine expands the same config into the same tasks, so they can
//! split the work without talking to each other: each one computes the same
//! deterministic [`shard::assign`]ment and runs only the tasks of its own
//! shard, writing `OUTPUT/results.shard-I-of-N.jsonl`; `gridrun merge` joins
//! the journals afterwards.
//!
//! - [`shard`]: the `I/N` shard spec, shard detection from scheduler
//!   variables (Slurm, AWS Batch, Kubernetes) and the task assignment.
//! - [`slurm`]: `sbatch` job-array scripts, submitting and following arrays.
//! - [`rounds`]: successive halving on Slurm, one job array per round.
//! - [`export`]: AWS Batch job definitions and Kubernetes Indexed Jobs;
//!   [`export_job`] the command that writes them.

pub mod export;
pub mod export_job;
pub mod rounds;
pub mod shard;
pub mod slurm;
