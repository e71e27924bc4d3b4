//! A whole search: plan, start the workers, prepare the data, run every
//! task, then aggregate and write the results.

use crate::config::{Backend, Config};
use crate::data::{self, CacheHeader};
use crate::execute::{self, Event, Executor, TaskMsg, WorkerSetup};
use crate::metrics;
use crate::models;
use crate::plan::Plan;
use crate::report::{self, Progress, Reporter};
use crate::results::best::{self, Best, Importance, SavedModel};
use crate::results::cv_results::{self, CvResults};
use crate::results::journal::{self, JournalWriter};
use crate::results::{timeline, Status, TaskRecord};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Command-line overrides of the config's [run] table.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub jobs: Option<usize>,
    pub backend: Option<Backend>,
    pub output: Option<PathBuf>,
    pub quiet: bool,
}

/// How a run ended.
pub struct RunSummary {
    pub total: usize,
    pub failed: usize,
    pub output: PathBuf,
    pub table: String,
}

pub fn run(config: &Config, opts: &RunOptions) -> Result<RunSummary> {
    let plan = Plan::build(config);
    let output = opts
        .output
        .clone()
        .unwrap_or_else(|| config.run.output.clone());
    std::fs::create_dir_all(&output)
        .with_context(|| format!("{}: cannot create the output folder", output.display()))?;
    let backend = opts.backend.unwrap_or(config.run.backend);
    let clock = Instant::now();
    // Workers first, data second: they start empty and map the cache themselves.
    let mut executor = execute::create(backend, opts.jobs.unwrap_or(config.run.jobs))?;
    let (cache, header) = data::prepare(&config.dataset, &output.join("cache"))?;
    check_compatible(config, &header)?;
    let setup = WorkerSetup {
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads: execute::threads_per_task(executor.slots()),
    };
    executor.start(&setup)?;
    let records = execute_plan(
        config,
        &plan,
        executor.as_mut(),
        &header.fingerprint,
        &output,
        opts.quiet,
    )?;
    let wall = clock.elapsed().as_secs_f64();
    let results = CvResults::build(
        &plan,
        &config.grid_keys,
        &config.metrics,
        &config.refit,
        &records,
    );
    results.write_csv(&output.join(cv_results::FILE_NAME))?;
    write_file(
        &output.join(timeline::FILE_NAME),
        &timeline::render(&records, executor.slots()),
    )?;
    if let Some(index) = results.best() {
        write_best(config, &results, index, executor.as_mut(), &header, &output)?;
    }
    write_run_info(
        config,
        &plan,
        backend,
        executor.slots(),
        wall,
        &records,
        &output,
    )?;
    Ok(RunSummary {
        total: plan.tasks.len(),
        failed: records.iter().filter(|r| !r.ok()).count(),
        output,
        table: report::summary::table(&results, 10),
    })
}

/// Rejects a model or metric that cannot handle this target, before any task runs.
fn check_compatible(config: &Config, header: &CacheHeader) -> Result<()> {
    let model = models::find(&config.model).context("unknown model")?;
    let file = config.path.display();
    if let Err(why) = model.supports(header.target) {
        bail!(
            "{file}: model.kind: {why} (target `{}` of {})",
            header.target_name,
            header.source.display()
        );
    }
    for m in &config.metrics {
        if let Err(why) = metrics::check_target(m, header.target) {
            bail!("{file}: scoring.metrics: {why}");
        }
        if metrics::needs_proba(m) && !model.gives_proba() {
            bail!(
                "{file}: scoring.metrics: {m} needs class probabilities, which {} does not give",
                model.name()
            );
        }
    }
    Ok(())
}

/// Runs every task, feeding events to the journal and the progress display.
fn execute_plan(
    config: &Config,
    plan: &Plan,
    executor: &mut dyn Executor,
    fingerprint: &str,
    output: &Path,
    quiet: bool,
) -> Result<Vec<TaskRecord>> {
    let messages: Vec<TaskMsg> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(index, t)| TaskMsg {
            index,
            params: config.full_params(&plan.settings[t.setting]),
            repeat: t.repeat,
            fold: t.fold,
            seed: t.seed(),
        })
        .collect();
    let mut journal = JournalWriter::create(&output.join(journal::FILE_NAME))?;
    let mut progress = Progress::new(messages.len(), quiet);
    let mut records = Vec::with_capacity(messages.len());
    let mut failure: Option<anyhow::Error> = None;
    executor.run(&messages, &mut |event| match event {
        Event::Started { index, worker } => progress.started(index, worker),
        Event::Finished {
            index,
            worker,
            outcome,
        } => {
            let task = &plan.tasks[index];
            let record = TaskRecord {
                id: task.id.clone(),
                setting: task.setting,
                params: plan.settings[task.setting].clone(),
                repeat: task.repeat,
                fold: task.fold,
                status: if outcome.error.is_none() {
                    Status::Ok
                } else {
                    Status::Failed
                },
                scores: outcome.scores,
                error: outcome.error,
                fit_seconds: outcome.fit_seconds,
                score_seconds: outcome.score_seconds,
                n_train: outcome.n_train,
                n_test: outcome.n_test,
                worker,
                pid: outcome.pid,
                start: outcome.start,
                end: outcome.end,
                data: fingerprint.to_string(),
            };
            for reporter in [&mut journal as &mut dyn Reporter, &mut progress] {
                if let Err(e) = reporter.finished(&record) {
                    failure.get_or_insert(e);
                }
            }
            records.push(record);
        }
    })?;
    journal.done()?;
    progress.done()?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(records)
}

fn write_best(
    config: &Config,
    results: &CvResults,
    index: usize,
    executor: &mut dyn Executor,
    header: &CacheHeader,
    output: &Path,
) -> Result<()> {
    let model_params = config.full_params(&results.rows[index].params);
    let mut best = Best::new(results, index, &config.model, model_params.clone(), header);
    let seed = config.cv.seed;
    match executor.refit(&model_params, seed) {
        Ok(refit) => {
            best.refit_seconds = Some(refit.fit_seconds);
            best.feature_importances = refit.feature_importances.map(|imp| {
                header.feature_names.iter().zip(imp).map(|(f, importance)| Importance { feature: f.clone(), importance }).collect()
            });
            if let Some(fitted) = refit.model {
                let saved = SavedModel {
                    model: config.model.clone(),
                    params: model_params,
                    feature_names: header.feature_names.clone(),
                    target_name: header.target_name.clone(),
                    target: header.target,
                    classes: header.classes.clone(),
                    fitted,
                };
                write_file(
                    &output.join(best::MODEL_FILE_NAME),
                    &serde_json::to_string(&saved)?,
                )?;
            }
        }
        Err(e) => {
            eprintln!("gridrun: warning: refitting the best setting on all rows failed: {e:#}")
        }
    }
    write_file(
        &output.join(best::FILE_NAME),
        &serde_json::to_string_pretty(&best)?,
    )
}

/// run.json: how the run went (for people, and for comparing with estimates).
fn write_run_info(
    config: &Config,
    plan: &Plan,
    backend: Backend,
    workers: usize,
    wall: f64,
    records: &[TaskRecord],
    output: &Path,
) -> Result<()> {
    let busy: f64 = records.iter().map(|r| r.end - r.start).sum();
    let info = serde_json::json!({
        "name": config.name,
        "config": config.path,
        "model": config.model,
        "backend": backend,
        "workers": workers,
        "tasks": plan.tasks.len(),
        "finished": records.iter().filter(|r| r.ok()).count(),
        "failed": records.iter().filter(|r| !r.ok()).count(),
        "wall_seconds": wall,
        "busy_seconds": busy,
        "utilisation": timeline::utilisation(records, workers),
        "coordinator_pid": std::process::id(),
        "gridrun_version": env!("CARGO_PKG_VERSION"),
    });
    write_file(
        &output.join("run.json"),
        &serde_json::to_string_pretty(&info)?,
    )
}

pub fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}
