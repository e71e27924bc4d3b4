//! Your own training code as the task: a command per grid point x fold.
//!
//! `[task]` in the config (`config::task`) -> placeholders (`config::template`) -> per
//! task, in the existing workers: start the command in its own process group
//! with the GRIDRUN_* environment, capture its output, enforce limits and
//! read its metrics ([`run`]).

mod capture;
pub mod folds;
pub mod metrics;
pub mod procs;
pub mod run;

use crate::config::task as spec;
pub use crate::config::task::{CommandSpec, ANY_PARAMS, MODEL_NAME};
pub use run::{CommandSetup, Runner};

use crate::config::Config;
use crate::execute::messages::Policy;
use crate::output_dir::OutputDir;
use anyhow::{Context, Result};
use std::path::Path;
use std::time::Duration;

/// How much longer than `timeout` the coordinator waits before killing a
/// worker whose command did not end (the worker enforces the timeout itself).
const BACKSTOP: Duration = Duration::from_secs(30);

/// The coordinator's policy for command tasks: the worker enforces the
/// timeout and the memory cap on the command's group (not an rlimit on the
/// worker, which the command would inherit); the pool only has a backstop.
pub fn pool_policy(policy: &Policy, backend: crate::config::Backend) -> Policy {
    Policy {
        retries: policy.retries,
        timeout: match backend {
            crate::config::Backend::Process => policy.timeout.map(|t| t + BACKSTOP),
            _ => None,
        },
        max_memory: None,
    }
}

/// Everything a worker needs to run this config's commands; writes the fold
/// files first.
pub fn setup(
    config: &Config,
    cache: &Path,
    output: &Path,
    threads: usize,
    policy: &Policy,
) -> Result<Option<Box<CommandSetup>>> {
    let Some(spec) = &config.task else {
        return Ok(None);
    };
    let output = std::path::absolute(output)
        .with_context(|| format!("{}: cannot resolve", output.display()))?;
    let dirs = OutputDir::new(&output);
    for dir in [dirs.logs_dir(), dirs.tasks_dir(), dirs.running_dir()] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let (data, folds_dir, fold_sizes) = match &config.dataset {
        Some(d) => {
            let (dir, sizes) = folds::write(&config.cv, cache, &output)?;
            (Some(std::path::absolute(&d.path)?), Some(dir), sizes)
        }
        None => (None, None, Vec::new()),
    };
    Ok(Some(Box::new(CommandSetup {
        spec: spec.clone(),
        output,
        data,
        folds_dir,
        fold_sizes,
        n_folds: config.cv.folds,
        metrics: config.metrics.clone(),
        threads,
        timeout: policy.timeout.map(|t| t.as_secs_f64()),
        max_memory: policy.max_memory,
        retries: policy.retries,
    })))
}

/// Warnings before a run: grid keys no placeholder uses.
pub fn warnings(config: &Config) -> Vec<String> {
    let Some(spec) = &config.task else {
        return Vec::new();
    };
    spec::unused_keys(spec, &config.grid_keys)
        .into_iter()
        .map(|key| {
            format!(
                "{}: grid.{key} is used by no placeholder of task.command (the command can still read it from GRIDRUN_PARAMS)",
                config.path.display()
            )
        })
        .collect()
}

/// A failed command task as the terminal shows it at once.
pub fn failure_note(
    setting: &str,
    repeat: u32,
    fold: u32,
    id: &str,
    error: &str,
    output: &Path,
) -> String {
    let logs = OutputDir::new(output).logs_dir();
    format!(
        "task failed: {setting} (repeat {repeat}, fold {fold}): {error}\n  logs: {}/{id}.out, {id}.err",
        logs.display()
    )
}
