//! Evaluating one task: load (or reuse) the data, split, fit, predict, score.
//! Every executor runs this same code.

use crate::config::CvSpec;
use crate::data::Dataset;
use crate::folds::{self, FoldPlan};
use crate::metrics;
use crate::models::{self, Model, TargetKind, TrainSet};
use crate::params::Params;
use crate::preprocess::{self, FittedPipeline, Prepared, Settings};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use super::messages::{peak_rss_kb, Outcome, RefitOutput, TaskMsg};
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
    /// The model of tasks that name none (None: a config of several
    /// models, whose every task names its kind).
    model: Option<&'static dyn Model>,
    data: Dataset,
    folds: Mutex<HashMap<u32, Arc<FoldPlan>>>,
}

impl ModelEvaluator {
    pub fn open(setup: &WorkerSetup) -> Result<ModelEvaluator, String> {
        let model = models::find(&setup.model);
        let data = Dataset::open(&setup.cache).map_err(|e| format!("{e:#}"))?;
        Ok(ModelEvaluator {
            setup: setup.clone(),
            model,
            data,
            folds: Mutex::new(HashMap::new()),
        })
    }

    /// The task's model (its `model` parameter, else the setup's) and the
    /// hyperparameters it is given.
    fn model_for(&self, params: &Params) -> Result<(&'static dyn Model, Params), String> {
        let (kind, rest) = models::split_kind(params);
        let model = match kind {
            Some(kind) => models::find(kind).ok_or_else(|| format!("unknown model {kind}"))?,
            None => self
                .model
                .ok_or_else(|| format!("unknown model {}", self.setup.model))?,
        };
        Ok((model, preprocess::model_params(&rest)))
    }

    pub fn target(&self) -> TargetKind {
        self.data.header.target
    }

    fn fold_plan(&self, repeat: u32) -> Result<Arc<FoldPlan>, String> {
        let mut cache = self.folds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(plan) = cache.get(&repeat) {
            return Ok(plan.clone());
        }
        // The mapped y itself: a copy per worker would cost 8 bytes a row.
        let y = self.data.y();
        let y = y
            .as_slice()
            .ok_or_else(|| "the dataset's y is not contiguous".to_string())?;
        let groups = folds::load_groups_for(&self.setup.cv, &self.setup.cache)
            .map_err(|e| format!("{e:#}"))?;
        let data = folds::FoldData {
            y,
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
        let mut split = self.fold_plan(task.repeat)?.split(task.fold);
        if let Some(sub) = &task.subsample {
            split.train = sub.rows(&split.train, task.repeat, task.fold, 0);
            split.test = sub.rows(&split.test, task.repeat, task.fold, 1);
        }
        if split.test.is_empty() || split.train.is_empty() {
            return Err(format!(
                "fold {} has no test or no training rows",
                task.fold
            ));
        }
        let clock = Instant::now();
        let (model, model_params) = self.model_for(&task.params)?;
        let settings = Settings::from_params(&task.params)?;
        let native = model.native_categories(&model_params).is_some();
        let fold = self.fold_data(settings, native, &split.train, &split.test)?;
        let train = TrainSet {
            x: fold.train_x.view(),
            y: fold.train_y.as_ref().map_or(self.data.y(), |y| y.view()),
            rows: &fold.train_rows,
            target: self.target(),
            seed: task.seed,
            threads: self.setup.threads,
            categorical: &fold.categorical,
        };
        let fitted = model.fit(&model_params, &train)?;
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
            pid: super::messages::pid(),
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
        native: bool,
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
                categorical: Vec::new(),
                pipeline: None,
            });
        }
        let pipeline = FittedPipeline::fit(settings, x, train, &kinds, native)?;
        let y = self.data.y();
        Ok(FoldData {
            train_x: Prepared::Transformed(pipeline.transform(x, train)),
            train_y: Some(train.iter().map(|&r| y[r]).collect()),
            train_rows: (0..train.len()).collect(),
            test_x: Prepared::Transformed(pipeline.transform(x, test)),
            test_rows: (0..test.len()).collect(),
            categorical: pipeline.native_columns(),
            pipeline: Some(pipeline),
        })
    }

    /// Fits on every row (preprocessing too) and saves the model when asked.
    pub fn refit(&self, request: &RefitRequest) -> Result<RefitOutput, String> {
        let rows: Vec<usize> = (0..self.data.header.n_rows).collect();
        let clock = Instant::now();
        let (model, model_params) = self.model_for(&request.params)?;
        let settings = Settings::from_params(&request.params)?;
        let native = model.native_categories(&model_params).is_some();
        let fold = self.fold_data(settings, native, &rows, &[])?;
        let train = TrainSet {
            x: fold.train_x.view(),
            y: fold.train_y.as_ref().map_or(self.data.y(), |y| y.view()),
            rows: &fold.train_rows,
            target: self.target(),
            seed: request.seed,
            threads: request.threads.max(1),
            categorical: &fold.categorical,
        };
        let fitted = catch_unwind(AssertUnwindSafe(|| model.fit(&model_params, &train)))
            .map_err(|p| format!("panic: {}", panic_message(&p)))??;
        let fit_seconds = clock.elapsed().as_secs_f64();
        let saved = match &request.save_to {
            Some(dir) => {
                let saved = Saved {
                    model: model.name(),
                    params: models::split_kind(&request.params).1,
                    preprocess: fold.pipeline.clone(),
                };
                Some(self.save(fitted.as_ref(), saved, dir)?)
            }
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
        saved: Saved,
        dir: &std::path::Path,
    ) -> Result<crate::results::model_file::Written, String> {
        let h = &self.data.header;
        let preprocess = saved.preprocess;
        let meta = crate::results::model_file::ModelMeta {
            model: saved.model.to_string(),
            params: saved.params,
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

/// What the saved model is: its kind, its hyperparameters (without the
/// kind) and the preprocessing fitted with it.
struct Saved {
    model: &'static str,
    params: Params,
    preprocess: Option<FittedPipeline>,
}

/// One fold's training and test rows, ready for the model.
struct FoldData<'a> {
    train_x: Prepared<'a>,
    /// The training targets when the rows were renumbered.
    train_y: Option<ndarray::Array1<f64>>,
    train_rows: Vec<usize>,
    test_x: Prepared<'a>,
    test_rows: Vec<usize>,
    /// The columns of category codes the model splits natively.
    categorical: Vec<bool>,
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
