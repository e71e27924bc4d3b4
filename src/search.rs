//! A whole search: plan, start the workers, prepare the data, run every
//! task not already done, then aggregate and write the results.

use crate::config::{Backend, Config};
use crate::data::{self, CacheHeader};
use crate::execute::{self, interrupt, Event, Executor, Policy, TaskMsg, WorkerSetup};
use crate::metrics;
use crate::models;
use crate::plan::Plan;
use crate::report::{self, Progress, Reporter};
use crate::results::best::{self, Best, Importance, SavedModel};
use crate::results::cv_results::{self, CvResults};
use crate::results::journal::{self, JournalWriter};
use crate::results::{timeline, Status, TaskRecord};
use anyhow::{bail, Context, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Command-line overrides of the config's [run] table.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub jobs: Option<usize>,
    pub backend: Option<Backend>,
    pub output: Option<PathBuf>,
    pub quiet: bool,
    pub retries: Option<usize>,
    pub timeout: Option<f64>,
    pub max_memory: Option<u64>,
    /// Ignore an earlier journal in the output folder.
    pub fresh: bool,
}

/// How a run ended.
pub struct RunSummary {
    pub total: usize,
    pub failed: usize,
    /// Tasks reused from an earlier run into the same folder.
    pub reused: usize,
    /// Tasks that never ran because of Ctrl-C.
    pub not_run: usize,
    pub interrupted: bool,
    pub output: PathBuf,
    pub table: String,
}

impl RunSummary {
    /// 0 all done, 1 some failed, 130 interrupted (as a shell reports SIGINT).
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            130
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
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
    let policy = Policy {
        retries: opts.retries.unwrap_or(config.run.retries),
        timeout: opts
            .timeout
            .or(config.run.timeout)
            .map(Duration::from_secs_f64),
        max_memory: opts.max_memory.or(config.run.max_memory),
    };
    interrupt::install().context("cannot install the Ctrl-C handler")?;
    let clock = Instant::now();
    // Workers first, data second: they start empty and map the cache themselves.
    let mut executor = execute::create(backend, opts.jobs.unwrap_or(config.run.jobs), &policy)?;
    let (cache, header) = data::prepare(&config.dataset, &output.join("cache"))?;
    check_compatible(config, &header)?;
    executor.start(&WorkerSetup {
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads: execute::threads_per_task(executor.slots()),
    })?;
    let journal_path = output.join(journal::FILE_NAME);
    let plan_ids: HashSet<&str> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
    let (reused, note) = if opts.fresh {
        (Vec::new(), None)
    } else {
        journal::reusable(&journal_path, &header.fingerprint, &plan_ids)?
    };
    if let (Some(note), false) = (note, opts.quiet) {
        eprintln!("gridrun: {note}");
    }
    let journal = JournalWriter::create(&journal_path, &reused)?;
    let session = execute_plan(
        config,
        &plan,
        executor.as_mut(),
        &header.fingerprint,
        journal,
        &reused,
        opts.quiet,
    )?;
    let wall = clock.elapsed().as_secs_f64();
    let interrupted = interrupt::draining();
    let all: Vec<TaskRecord> = reused.iter().chain(&session).cloned().collect();
    let results = CvResults::build(
        &plan,
        &config.grid_keys,
        &config.metrics,
        &config.refit,
        &all,
    );
    results.write_csv(&output.join(cv_results::FILE_NAME))?;
    write_file(
        &output.join(timeline::FILE_NAME),
        &timeline::render(&session, executor.slots()),
    )?;
    if let (Some(index), false) = (results.best(), interrupted) {
        write_best(config, &results, index, executor.as_mut(), &header, &output)?;
    }
    write_run_info(
        config,
        &plan,
        backend,
        executor.slots(),
        wall,
        &session,
        reused.len(),
        &output,
    )?;
    Ok(RunSummary {
        total: plan.tasks.len(),
        failed: all.iter().filter(|r| !r.ok()).count(),
        reused: reused.len(),
        not_run: plan.tasks.len() - all.len(),
        interrupted,
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
    for setting in &config.settings {
        if let Err((key, why)) = model.check(&config.full_params(setting), header.target) {
            let table = if config.fixed.contains_key(&key) {
                "model"
            } else {
                "grid"
            };
            bail!("{file}: {table}.{key}: {why}");
        }
    }
    if let Some(folds_file) = &config.cv.folds_file {
        crate::folds::check_predefined(folds_file, header.n_rows)?;
    }
    Ok(())
}

/// Runs the tasks not yet done, feeding events to the journal and the
/// progress display; returns this session's records.
fn execute_plan(
    config: &Config,
    plan: &Plan,
    executor: &mut dyn Executor,
    fingerprint: &str,
    mut journal: JournalWriter,
    reused: &[TaskRecord],
    quiet: bool,
) -> Result<Vec<TaskRecord>> {
    let done: HashSet<&str> = reused.iter().map(|r| r.id.as_str()).collect();
    let messages: Vec<TaskMsg> = plan
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| !done.contains(t.id.as_str()))
        .map(|(index, t)| TaskMsg {
            index,
            params: config.full_params(&plan.settings[t.setting]),
            repeat: t.repeat,
            fold: t.fold,
            seed: t.seed(),
        })
        .collect();
    let mut progress = Progress::new(messages.len(), quiet);
    let mut records = Vec::with_capacity(messages.len());
    let mut failure: Option<anyhow::Error> = None;
    executor.run(&messages, &mut |event| match event {
        Event::Started { index, worker } => progress.started(index, worker),
        Event::Retrying { reason, .. } => progress.requeued(&reason),
        Event::Draining { running } => progress.note(&format!(
            "interrupted: no new tasks; waiting for {running} running (Ctrl-C again to stop now)"
        )),
        Event::Finished {
            index,
            worker,
            outcome,
        } => {
            let record = make_record(plan, index, worker, outcome, fingerprint);
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
    match failure {
        Some(e) => Err(e),
        None => Ok(records),
    }
}

fn make_record(
    plan: &Plan,
    index: usize,
    worker: usize,
    outcome: execute::Outcome,
    fingerprint: &str,
) -> TaskRecord {
    let task = &plan.tasks[index];
    TaskRecord {
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
        peak_rss_kb: outcome.peak_rss_kb,
        attempts: outcome.attempts,
    }
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
    match executor.refit(&model_params, config.cv.seed) {
        Ok(refit) => {
            best.refit_seconds = Some(refit.fit_seconds);
            best.feature_importances = refit.feature_importances.map(|imp| {
                header
                    .feature_names
                    .iter()
                    .zip(imp)
                    .map(|(f, importance)| Importance {
                        feature: f.clone(),
                        importance,
                    })
                    .collect()
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

/// run.json: how this session went (for people, and for comparing with estimates).
#[allow(clippy::too_many_arguments)]
fn write_run_info(
    config: &Config,
    plan: &Plan,
    backend: Backend,
    workers: usize,
    wall: f64,
    session: &[TaskRecord],
    reused: usize,
    output: &Path,
) -> Result<()> {
    let busy: f64 = session.iter().map(|r| r.end - r.start).sum();
    let info = serde_json::json!({
        "name": config.name,
        "config": config.path,
        "model": config.model,
        "backend": backend,
        "workers": workers,
        "tasks": plan.tasks.len(),
        "ran": session.len(),
        "reused": reused,
        "failed": session.iter().filter(|r| !r.ok()).count(),
        "wall_seconds": wall,
        "busy_seconds": busy,
        "utilisation": timeline::utilisation(session, workers),
        "peak_worker_rss_kb": session.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0),
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
