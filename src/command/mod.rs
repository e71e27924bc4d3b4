//! Your own training code as the task: a command per grid point x fold.
//!
//! `[task]` in the config ([`spec`]) -> placeholders ([`template`]) -> per
//! task, in the existing workers: start the command in its own process group
//! with the GRIDRUN_* environment, capture its output, enforce limits and
//! read its metrics ([`run`]).

mod capture;
pub mod folds;
pub mod metrics;
pub mod procs;
pub mod run;
pub mod spec;
pub mod template;

pub use run::{CommandSetup, Runner};
pub use spec::CommandSpec;

use crate::config::Config;
use crate::data::CacheHeader;
use crate::execute::Policy;
use crate::models::TargetKind;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `model` of a config whose tasks are commands.
pub const MODEL_NAME: &str = "command";

/// What a command task's hyperparameters are checked against at config
/// time: any name and value (the command checks its own arguments). Not in
/// the model registry; its tasks never reach `fit`.
pub struct AnyParams;
pub static ANY_PARAMS: AnyParams = AnyParams;

impl crate::models::Model for AnyParams {
    fn name(&self) -> &'static str {
        MODEL_NAME
    }
    fn summary(&self) -> &'static str {
        "your own command ([task])"
    }
    fn params(&self) -> &'static [crate::models::ParamSpec] {
        &[]
    }
    fn accepts_any_params(&self) -> bool {
        true
    }
    fn fit(
        &self,
        _params: &crate::params::Params,
        _train: &crate::models::TrainSet,
    ) -> Result<Box<dyn crate::models::Fitted>, String> {
        Err("a command task runs its command, not a built-in model".into())
    }
}

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

/// The dataset header of a command task without `[dataset]`.
pub fn no_data_header() -> CacheHeader {
    CacheHeader {
        n_rows: 0,
        n_features: 0,
        feature_names: Vec::new(),
        target_name: String::new(),
        target: TargetKind::Regression,
        classes: None,
        source: PathBuf::new(),
        fingerprint: "no-data".into(),
        feature_kinds: Vec::new(),
        missing: Vec::new(),
        dropped: Vec::new(),
        na_values: Vec::new(),
        warnings: Vec::new(),
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
    for sub in ["logs", "tasks", procs::RUNNING_DIR] {
        let dir = output.join(sub);
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
    let logs = output.join("logs");
    format!(
        "task failed: {setting} (repeat {repeat}, fold {fold}): {error}\n  logs: {}/{id}.out, {id}.err",
        logs.display()
    )
}
