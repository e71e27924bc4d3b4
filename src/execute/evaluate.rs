//! Evaluating one task: load (or reuse) the data, split, fit, predict, score.
//! Every executor runs this same code.

use crate::config::CvSpec;
use crate::data::Dataset;
use crate::folds::{self, FoldPlan};
use crate::metrics;
use crate::models::{self, Model, TargetKind, TrainSet};
use crate::params::Params;
use crate::results::float;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What a worker needs to load data and run tasks: paths and names, never data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSetup {
    pub cache: PathBuf,
    pub model: String,
    pub cv: CvSpec,
    pub metrics: Vec<String>,
    /// Threads one fit may use.
    pub threads: usize,
    /// Command tasks: each task runs the config's command instead of a model.
    #[serde(default)]
    pub command: Option<Box<crate::command::CommandSetup>>,
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
            pid: std::process::id(),
            start,
            end: super::now(),
            peak_rss_kb: peak_rss_kb(),
            attempts: 1,
        }
    }
}

/// This process's peak resident set size in KiB (getrusage).
pub fn peak_rss_kb() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes into the struct we pass.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            return usage.ru_maxrss.max(0) as u64;
        }
    }
    0
}

/// A model fitted on all rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefitOutput {
    pub model: Option<serde_json::Value>,
    #[serde(with = "float::option_vec")]
    pub feature_importances: Option<Vec<f64>>,
    #[serde(with = "float")]
    pub fit_seconds: f64,
}

/// Runs the tasks of one worker (or all threads of the thread executor):
/// fits a built-in model, or runs the config's command.
pub enum Evaluator {
    Model(Box<ModelEvaluator>),
    Command(crate::command::Runner),
}

impl Evaluator {
    pub fn open(setup: &WorkerSetup) -> Result<Evaluator, String> {
        Ok(match &setup.command {
            Some(command) => Evaluator::Command(crate::command::Runner::new(command)),
            None => Evaluator::Model(Box::new(ModelEvaluator::open(setup)?)),
        })
    }

    pub fn evaluate(&self, task: &TaskMsg) -> Outcome {
        match self {
            Evaluator::Model(m) => m.evaluate(task),
            Evaluator::Command(c) => c.evaluate(task),
        }
    }

    pub fn refit(&self, params: &Params, seed: u64) -> Result<RefitOutput, String> {
        match self {
            Evaluator::Model(m) => m.refit(params, seed),
            Evaluator::Command(c) => c.refit(params, seed),
        }
    }
}

/// Holds a mapped dataset and the fold assignments computed so far.
pub struct ModelEvaluator {
    setup: WorkerSetup,
    model: &'static dyn Model,
    data: Dataset,
    folds: Mutex<HashMap<u32, Arc<FoldPlan>>>,
}

impl ModelEvaluator {
    pub fn open(setup: &WorkerSetup) -> Result<ModelEvaluator, String> {
        let model =
            models::find(&setup.model).ok_or_else(|| format!("unknown model {}", setup.model))?;
        let data = Dataset::open(&setup.cache).map_err(|e| format!("{e:#}"))?;
        Ok(ModelEvaluator {
            setup: setup.clone(),
            model,
            data,
            folds: Mutex::new(HashMap::new()),
        })
    }

    pub fn target(&self) -> TargetKind {
        self.data.header.target
    }

    fn fold_plan(&self, repeat: u32) -> Result<Arc<FoldPlan>, String> {
        let mut cache = self.folds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(plan) = cache.get(&repeat) {
            return Ok(plan.clone());
        }
        let y = self.data.y().to_vec();
        let groups = folds::load_groups_for(&self.setup.cv, &self.setup.cache)
            .map_err(|e| format!("{e:#}"))?;
        let data = folds::FoldData {
            y: &y,
            target: self.target(),
            groups: groups.as_ref(),
        };
        let plan = Arc::new(
            folds::build(&self.setup.cv, &data, repeat as usize).map_err(|e| format!("{e:#}"))?,
        );
        cache.insert(repeat, plan.clone());
        Ok(plan)
    }

    /// Runs one task; failures (errors and panics) become a failed outcome.
    pub fn evaluate(&self, task: &TaskMsg) -> Outcome {
        let start = super::now();
        match catch_unwind(AssertUnwindSafe(|| self.try_evaluate(task, start))) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => Outcome::failed(e, start),
            Err(panic) => Outcome::failed(format!("panic: {}", panic_message(&panic)), start),
        }
    }

    fn try_evaluate(&self, task: &TaskMsg, start: f64) -> Result<Outcome, String> {
        let split = self.fold_plan(task.repeat)?.split(task.fold);
        if split.test.is_empty() || split.train.is_empty() {
            return Err(format!(
                "fold {} has no test or no training rows",
                task.fold
            ));
        }
        let train = TrainSet {
            x: self.data.x(),
            y: self.data.y(),
            rows: &split.train,
            target: self.target(),
            seed: task.seed,
            threads: self.setup.threads,
        };
        let clock = Instant::now();
        let fitted = self.model.fit(&task.params, &train)?;
        let fit_seconds = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let prediction = fitted.predict(self.data.x(), &split.test)?;
        let y_true: Vec<f64> = split.test.iter().map(|&r| self.data.y()[r]).collect();
        let mut scores = BTreeMap::new();
        for m in &self.setup.metrics {
            scores.insert(
                m.clone(),
                metrics::score(m, &y_true, &prediction, self.target())?,
            );
        }
        Ok(Outcome {
            scores,
            error: None,
            fit_seconds,
            score_seconds: clock.elapsed().as_secs_f64(),
            n_train: split.train.len(),
            n_test: split.test.len(),
            pid: std::process::id(),
            start,
            end: super::now(),
            peak_rss_kb: peak_rss_kb(),
            attempts: 1,
        })
    }

    /// Fits on every row.
    pub fn refit(&self, params: &Params, seed: u64) -> Result<RefitOutput, String> {
        let rows: Vec<usize> = (0..self.data.header.n_rows).collect();
        let train = TrainSet {
            x: self.data.x(),
            y: self.data.y(),
            rows: &rows,
            target: self.target(),
            seed,
            threads: self.setup.threads,
        };
        let clock = Instant::now();
        let fitted = catch_unwind(AssertUnwindSafe(|| self.model.fit(params, &train)))
            .map_err(|p| format!("panic: {}", panic_message(&p)))??;
        Ok(RefitOutput {
            model: fitted.to_json(),
            feature_importances: fitted.feature_importances(),
            fit_seconds: clock.elapsed().as_secs_f64(),
        })
    }
}

pub fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Panics inside tasks are caught and recorded; this keeps the default hook
/// from also printing them over the progress bar.
pub fn silence_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
