//! A whole search: plan, start the workers, prepare the data, run every
//! task not already done (or this shard's share), then aggregate and write
//! the results. `merge` does the last step for shards run elsewhere.

use crate::batch::shard::{self, ShardSpec};
use crate::config::{Backend, Config};
use crate::data::{self, CacheHeader};
use crate::execute::{self, interrupt, Event, Executor, Policy, TaskMsg, WorkerSetup};
use crate::metrics;
use crate::models;
use crate::plan::{Plan, Task};
use crate::report::{self, Progress, Reporter};
use crate::results::best::{self, Best, Importance, SavedModel};
use crate::results::cv_results::{self, CvResults};
use crate::results::journal::{self, JournalWriter, Previous};
use crate::results::{timeline, Status, TaskRecord};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The resolved config, saved in the output folder for `merge`.
pub const CONFIG_SNAPSHOT: &str = "config.json";

/// Command-line overrides of the config's [run] table, and batch options.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub jobs: Option<usize>,
    pub backend: Option<Backend>,
    pub output: Option<PathBuf>,
    pub quiet: bool,
    pub retries: Option<usize>,
    pub timeout: Option<f64>,
    pub max_memory: Option<u64>,
    /// Ignore earlier journals in the output folder.
    pub fresh: bool,
    /// Run only this shard of the plan.
    pub shard: Option<ShardSpec>,
    /// Run every task that no journal in the output folder has finished.
    pub only_missing: bool,
}

/// How a run ended.
pub struct RunSummary {
    pub total: usize,
    /// Tasks this run was responsible for (its shard, or all).
    pub assigned: usize,
    pub failed: usize,
    /// Tasks reused from earlier runs into the same folder.
    pub reused: usize,
    /// Tasks that never ran because of Ctrl-C.
    pub not_run: usize,
    /// Tasks whose fit left warnings (see `warnings` in results.jsonl).
    pub warned: usize,
    pub interrupted: bool,
    pub shard: Option<ShardSpec>,
    pub output: PathBuf,
    pub workers: usize,
    /// From starting the workers to the last task's end.
    pub wall_seconds: f64,
    /// The best settings (None for a shard: `merge` makes it).
    pub table: Option<String>,
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
    report::data_header(config, &header, opts.quiet);
    write_atomically(
        &output.join(CONFIG_SNAPSHOT),
        &serde_json::to_string_pretty(config)?,
    )?;
    executor.start(&WorkerSetup {
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads: execute::threads_per_task(executor.slots()),
    })?;
    let shard = if opts.only_missing { None } else { opts.shard };
    let journal_path =
        output.join(shard.map_or(journal::FILE_NAME.to_string(), |s| s.journal_file_name()));
    let plan_ids: HashSet<&str> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
    let previous = if opts.fresh {
        Previous::default()
    } else {
        journal::previous(&output, &journal_path, &header.fingerprint, &plan_ids)?
    };
    if let (Some(note), false) = (&previous.note, opts.quiet) {
        eprintln!("gridrun: {note}");
    }
    let mine = tasks_of(&plan, shard, &output);
    let done: HashSet<&str> = previous
        .own
        .iter()
        .chain(&previous.elsewhere)
        .map(|r| r.id.as_str())
        .collect();
    let pending: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|&i| !done.contains(plan.tasks[i].id.as_str()))
        .collect();
    let journal = JournalWriter::create(&journal_path, &previous.own)?;
    let session = execute_tasks(
        config,
        &plan,
        &pending,
        executor.as_mut(),
        &header.fingerprint,
        journal,
        shard,
        opts.quiet,
    )?;
    let wall = clock.elapsed().as_secs_f64();
    let interrupted = interrupt::draining();
    let all: Vec<TaskRecord> = previous
        .own
        .iter()
        .chain(&previous.elsewhere)
        .chain(&session)
        .cloned()
        .collect();
    let mine_ids: HashSet<&str> = mine.iter().map(|&i| plan.tasks[i].id.as_str()).collect();
    let finished_mine = all
        .iter()
        .filter(|r| mine_ids.contains(r.id.as_str()))
        .count();
    write_run_info(
        config,
        &plan,
        backend,
        executor.slots(),
        wall,
        &session,
        shard,
        &output,
    )?;
    let table = match shard {
        Some(_) => None,
        None => {
            let slots = executor.slots();
            let refit = if interrupted {
                None
            } else {
                Some(&mut executor)
            };
            Some(finish(
                config, &plan, &all, &session, slots, refit, &header, &output,
            )?)
        }
    };
    Ok(RunSummary {
        total: plan.tasks.len(),
        assigned: mine.len(),
        failed: all
            .iter()
            .filter(|r| !r.ok() && mine_ids.contains(r.id.as_str()))
            .count(),
        reused: previous.own.len()
            + previous
                .elsewhere
                .iter()
                .filter(|r| mine_ids.contains(r.id.as_str()))
                .count(),
        not_run: mine.len() - finished_mine,
        warned: all
            .iter()
            .filter(|r| !r.warnings.is_empty() && mine_ids.contains(r.id.as_str()))
            .count(),
        interrupted,
        shard,
        workers: executor.slots(),
        wall_seconds: wall,
        output,
        table,
    })
}

/// Positions (in the plan) of the tasks this run is responsible for.
fn tasks_of(plan: &Plan, shard: Option<ShardSpec>, output: &Path) -> Vec<usize> {
    let Some(shard) = shard else {
        return (0..plan.tasks.len()).collect();
    };
    let assignment = shard_assignment(plan, shard.count, output).0;
    (0..plan.tasks.len())
        .filter(|&i| assignment[i] == shard.index)
        .collect()
}

/// Every task's shard: LPT on the predicted seconds that `gridrun estimate`
/// saved in the output folder, else round-robin over the sorted task ids.
/// Also returns the balance (max / mean predicted seconds per shard).
pub fn shard_assignment(plan: &Plan, count: usize, output: &Path) -> (Vec<usize>, shard::Balance) {
    let predicted: Vec<Option<f64>> = match crate::estimate::saved_task_costs(output, plan) {
        Some(costs) => costs.into_iter().map(Some).collect(),
        None => vec![None; plan.tasks.len()],
    };
    let ids: Vec<(String, Option<f64>)> = plan
        .tasks
        .iter()
        .zip(&predicted)
        .map(|(t, p)| (t.id.clone(), *p))
        .collect();
    let assignment = shard::assign(&ids, count);
    let balance = shard::balance(&assignment, &predicted, count);
    (assignment, balance)
}

/// Writes cv_results.csv, timeline.svg and best.json (+ best_model.json when
/// an executor is there to refit the best setting); returns the summary table.
#[allow(clippy::too_many_arguments)]
fn finish(
    config: &Config,
    plan: &Plan,
    all: &[TaskRecord],
    session: &[TaskRecord],
    slots: usize,
    refit: Option<&mut Box<dyn Executor>>,
    header: &CacheHeader,
    output: &Path,
) -> Result<String> {
    let results = CvResults::build(plan, &config.grid_keys, &config.metrics, &config.refit, all);
    results.write_csv(&output.join(cv_results::FILE_NAME))?;
    write_file(
        &output.join(timeline::FILE_NAME),
        &timeline::render(session, slots),
    )?;
    if let Some(index) = results.best() {
        write_best(config, &results, index, refit, header, output)?;
    }
    Ok(report::summary::table(&results, 10))
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
    crate::preprocess::check_before_run(config, header)
}

/// Runs the given tasks, feeding events to the journal and the progress
/// display; returns this session's records.
#[allow(clippy::too_many_arguments)]
fn execute_tasks(
    config: &Config,
    plan: &Plan,
    pending: &[usize],
    executor: &mut dyn Executor,
    fingerprint: &str,
    mut journal: JournalWriter,
    shard: Option<ShardSpec>,
    quiet: bool,
) -> Result<Vec<TaskRecord>> {
    let messages: Vec<TaskMsg> = pending
        .iter()
        .map(|&index| message(config, plan, index))
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
            let record = make_record(
                &plan.tasks[index],
                plan,
                worker,
                outcome,
                fingerprint,
                shard,
            );
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

fn message(config: &Config, plan: &Plan, index: usize) -> TaskMsg {
    let t = &plan.tasks[index];
    TaskMsg {
        index,
        params: config.full_params(&plan.settings[t.setting]),
        repeat: t.repeat,
        fold: t.fold,
        seed: t.seed(),
    }
}

fn make_record(
    task: &Task,
    plan: &Plan,
    worker: usize,
    outcome: execute::Outcome,
    fingerprint: &str,
    shard: Option<ShardSpec>,
) -> TaskRecord {
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
        shard: shard.map(|s| s.to_string()),
        warnings: outcome.warnings,
    }
}

fn write_best(
    config: &Config,
    results: &CvResults,
    index: usize,
    executor: Option<&mut Box<dyn Executor>>,
    header: &CacheHeader,
    output: &Path,
) -> Result<()> {
    let model_params = config.full_params(&results.rows[index].params);
    let mut best = Best::new(results, index, &config.model, model_params.clone(), header);
    match executor.map(|e| e.refit(&model_params, config.cv.seed)) {
        Some(Ok(refit)) => {
            best.refit_seconds = Some(refit.fit_seconds);
            let names = refit
                .feature_names
                .clone()
                .unwrap_or_else(|| header.feature_names.clone());
            best.feature_importances = refit.feature_importances.map(|imp| {
                names
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
                    feature_kinds: header.kinds(),
                    na_values: header.na_values.clone(),
                    preprocess: refit.preprocess,
                };
                write_file(
                    &output.join(best::MODEL_FILE_NAME),
                    &serde_json::to_string(&saved)?,
                )?;
            }
        }
        Some(Err(e)) => {
            eprintln!("gridrun: warning: refitting the best setting on all rows failed: {e:#}")
        }
        None => {}
    }
    write_file(
        &output.join(best::FILE_NAME),
        &serde_json::to_string_pretty(&best)?,
    )
}

/// run.json (or run.shard-I-of-N.json): how this session went, for people
/// and for comparing with estimates.
#[allow(clippy::too_many_arguments)]
fn write_run_info(
    config: &Config,
    plan: &Plan,
    backend: Backend,
    workers: usize,
    wall: f64,
    session: &[TaskRecord],
    shard: Option<ShardSpec>,
    output: &Path,
) -> Result<()> {
    let busy: f64 = session.iter().map(|r| r.end - r.start).sum();
    let info = serde_json::json!({
        "name": config.name,
        "config": config.path,
        "model": config.model,
        "backend": backend,
        "workers": workers,
        "shard": shard.map(|s| s.to_string()),
        "tasks": plan.tasks.len(),
        "ran": session.len(),
        "failed": session.iter().filter(|r| !r.ok()).count(),
        "wall_seconds": wall,
        "busy_seconds": busy,
        "utilisation": timeline::utilisation(session, workers),
        "peak_worker_rss_kb": session.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0),
        "coordinator_pid": std::process::id(),
        "gridrun_version": env!("CARGO_PKG_VERSION"),
    });
    let name = shard.map_or("run.json".to_string(), |s| {
        format!("run.shard-{}-of-{}.json", s.index, s.count)
    });
    write_file(&output.join(name), &serde_json::to_string_pretty(&info)?)
}

/// How a merge ended.
pub struct MergeSummary {
    pub total: usize,
    pub finished: usize,
    pub failed: usize,
    /// Ids of tasks no journal has (with setting and fold, for people).
    pub missing: Vec<String>,
    pub table: String,
}

/// Builds cv_results.csv, best.json and the timeline from every journal in
/// `output` (all shards), refitting the best setting here when the data is.
pub fn merge(output: &Path, quiet: bool) -> Result<MergeSummary> {
    let snapshot = output.join(CONFIG_SNAPSHOT);
    let text = std::fs::read_to_string(&snapshot).with_context(|| {
        format!(
            "{}: cannot read (is this a gridrun output folder?)",
            snapshot.display()
        )
    })?;
    let config: Config = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a gridrun config snapshot: {e}", snapshot.display()))?;
    let plan = Plan::build(&config);
    let mut records = Vec::new();
    for file in journal::journal_files(output)? {
        let j = journal::read(&file)?;
        if j.torn_tail && !quiet {
            eprintln!(
                "gridrun: {}: the last line was cut short by a crash and is ignored",
                file.display()
            );
        }
        records.extend(j.records);
    }
    let have: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let missing: Vec<String> = plan
        .tasks
        .iter()
        .filter(|t| !have.contains(t.id.as_str()))
        .map(|t| {
            format!(
                "{} (setting {}: {}, repeat {}, fold {})",
                t.id,
                t.setting + 1,
                crate::params::describe(&plan.settings[t.setting]),
                t.repeat,
                t.fold
            )
        })
        .collect();
    let (cache, header) = data::prepare(&config.dataset, &output.join("cache"))?;
    let mut serial = execute::create(Backend::Serial, 1, &Policy::default())?;
    serial.start(&WorkerSetup {
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads: execute::cores(),
    })?;
    let refit = if missing.is_empty() {
        Some(&mut serial)
    } else {
        None
    };
    let table = finish(
        &config, &plan, &records, &records, 0, refit, &header, output,
    )?;
    let finished = plan.tasks.len() - missing.len();
    let ok_ids: HashSet<&str> = records
        .iter()
        .filter(|r| r.ok())
        .map(|r| r.id.as_str())
        .collect();
    let failed = plan
        .tasks
        .iter()
        .filter(|t| have.contains(t.id.as_str()) && !ok_ids.contains(t.id.as_str()))
        .count();
    Ok(MergeSummary {
        total: plan.tasks.len(),
        finished,
        failed,
        missing,
        table,
    })
}

pub fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

/// Shards write the same snapshot into a shared folder: rename makes each
/// write all-or-nothing.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    write_file(&tmp, text)?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot replace", path.display()))
}
