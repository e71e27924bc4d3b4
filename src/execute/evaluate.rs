//! Evaluating one task: load (or reuse) the data, split, fit, predict, score.
//! Every executor runs this same code.

use crate::config::CvSpec;
use crate::data::Dataset;
use crate::folds::{self, FoldPlan};
use crate::metrics;
use crate::models::{self, Model, TargetKind, TrainSet};
use crate::params::Params;
use crate::preprocess::{self, FittedPipeline, Prepared, Settings};
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
            pid: std::process::id(),
            start,
            end: super::now(),
            peak_rss_kb: peak_rss_kb(),
            attempts: 1,
            warnings: Vec::new(),
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

/// The refit of the best setting on all rows, as asked of a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefitRequest {
    /// Full hyperparameters (fixed + grid).
    pub params: Params,
    pub seed: u64,
    /// Threads the fit may use: it runs alone, so every core of the run.
    pub threads: usize,
    /// The output folder: the worker writes best_model.bin and its
    /// best_model.json there itself (the coordinator never holds the model).
    pub save_to: Option<PathBuf>,
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

    pub fn refit(&self, request: &RefitRequest) -> Result<RefitOutput, String> {
        match self {
            Evaluator::Model(m) => m.refit(request),
            Evaluator::Command(c) => c.refit(&request.params, request.seed),
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
        let clock = Instant::now();
        let settings = Settings::from_params(&task.params)?;
        let fold = self.fold_data(settings, &split.train, &split.test)?;
        let train = TrainSet {
            x: fold.train_x.view(),
            y: fold.train_y.as_ref().map_or(self.data.y(), |y| y.view()),
            rows: &fold.train_rows,
            target: self.target(),
            seed: task.seed,
            threads: self.setup.threads,
        };
        let fitted = self
            .model
            .fit(&preprocess::model_params(&task.params), &train)?;
        let fit_seconds = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let prediction = fitted.predict(fold.test_x.view(), &fold.test_rows)?;
        let y_true: Vec<f64> = split.test.iter().map(|&r| self.data.y()[r]).collect();
        let mut scores = BTreeMap::new();
        for m in &self.setup.metrics {
            scores.insert(
                m.clone(),
                metrics::score(m, &y_true, &prediction, self.target())?,
            );
        }
        Ok(Outcome {
            warnings: fitted.warnings(),
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

    /// The fold's rows as the model sees them: the mapped data itself when
    /// preprocessing changes nothing (no copy), else transformed by a
    /// pipeline fitted on the training rows only.
    fn fold_data(
        &self,
        settings: Settings,
        train: &[usize],
        test: &[usize],
    ) -> Result<FoldData<'_>, String> {
        let (x, h) = (self.data.x(), &self.data.header);
        let kinds = h.kinds();
        let any_missing = h.missing.iter().any(|&n| n > 0);
        if !FittedPipeline::needed(&settings, &kinds, any_missing) {
            return Ok(FoldData {
                train_x: Prepared::Original(x),
                train_y: None,
                train_rows: train.to_vec(),
                test_x: Prepared::Original(x),
                test_rows: test.to_vec(),
                pipeline: None,
            });
        }
        let pipeline = FittedPipeline::fit(settings, x, train, &kinds)?;
        let y = self.data.y();
        Ok(FoldData {
            train_x: Prepared::Transformed(pipeline.transform(x, train)),
            train_y: Some(train.iter().map(|&r| y[r]).collect()),
            train_rows: (0..train.len()).collect(),
            test_x: Prepared::Transformed(pipeline.transform(x, test)),
            test_rows: (0..test.len()).collect(),
            pipeline: Some(pipeline),
        })
    }

    /// Fits on every row (preprocessing too) and saves the model when asked.
    pub fn refit(&self, request: &RefitRequest) -> Result<RefitOutput, String> {
        let rows: Vec<usize> = (0..self.data.header.n_rows).collect();
        let clock = Instant::now();
        let settings = Settings::from_params(&request.params)?;
        let fold = self.fold_data(settings, &rows, &[])?;
        let train = TrainSet {
            x: fold.train_x.view(),
            y: fold.train_y.as_ref().map_or(self.data.y(), |y| y.view()),
            rows: &fold.train_rows,
            target: self.target(),
            seed: request.seed,
            threads: request.threads.max(1),
        };
        let model_params = preprocess::model_params(&request.params);
        let fitted = catch_unwind(AssertUnwindSafe(|| self.model.fit(&model_params, &train)))
            .map_err(|p| format!("panic: {}", panic_message(&p)))??;
        let fit_seconds = clock.elapsed().as_secs_f64();
        let saved = match &request.save_to {
            Some(dir) => Some(self.save(fitted.as_ref(), request, fold.pipeline.clone(), dir)?),
            None => None,
        };
        let h = &self.data.header;
        Ok(RefitOutput {
            saved,
            peak_rss_kb: peak_rss_kb(),
            feature_importances: fitted.feature_importances(),
            fit_seconds,
            feature_names: fold
                .pipeline
                .as_ref()
                .map(|p| p.output_names(&h.feature_names, &h.kinds())),
            preprocess: fold.pipeline,
            warnings: fitted.warnings(),
        })
    }

    /// Writes best_model.bin and its manifest into `dir`.
    fn save(
        &self,
        fitted: &dyn models::Fitted,
        request: &RefitRequest,
        preprocess: Option<FittedPipeline>,
        dir: &std::path::Path,
    ) -> Result<crate::results::model_file::Written, String> {
        let h = &self.data.header;
        let meta = crate::results::model_file::ModelMeta {
            model: self.setup.model.clone(),
            params: request.params.clone(),
            feature_names: h.feature_names.clone(),
            target_name: h.target_name.clone(),
            target: h.target,
            classes: h.classes.clone(),
            feature_kinds: h.kinds(),
            na_values: h.na_values.clone(),
            preprocess,
        };
        let bytes = fitted
            .to_bytes()
            .map_err(|e| format!("cannot save the model: {e}"))?;
        crate::results::model_file::write(dir, &meta, &bytes).map_err(|e| format!("{e:#}"))
    }
}

/// One fold's training and test rows, ready for the model.
struct FoldData<'a> {
    train_x: Prepared<'a>,
    /// The training targets when the rows were renumbered.
    train_y: Option<ndarray::Array1<f64>>,
    train_rows: Vec<usize>,
    test_x: Prepared<'a>,
    test_rows: Vec<usize>,
    pipeline: Option<FittedPipeline>,
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
