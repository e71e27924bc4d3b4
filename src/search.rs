//! A whole search: plan, start the workers, prepare the data, run every
//! task not already done (or this shard's share), then aggregate and write
//! the results. `merge` does the last step for shards run elsewhere.

use crate::batch::shard::{self, ShardSpec};
use crate::config::{Backend, Config};
use crate::data::{self, CacheHeader};
use crate::execute::{self, interrupt, Event, Executor, Policy, TaskMsg, WorkerSetup};

mod refit;
mod tasks;
use crate::metrics;
use crate::models;
use crate::plan::{Plan, Task};
use crate::report::{self, Progress, Reporter, StatusLine};
use crate::results::best;
use crate::results::cv_results::{self, CvResults};
use crate::results::journal::{self, JournalWriter, Previous, ReuseKey};
use crate::results::tally::Tally;
use crate::results::timeline;
use crate::results::timeline_log::TimelineLog;
use crate::results::{lock, supersede, Status, TaskRecord};
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
    /// Tasks that had an earlier result that could not be reused (failed,
    /// other data, a metric missing) and ran again.
    pub rerun: usize,
    /// Tasks that never ran because of Ctrl-C.
    pub not_run: usize,
    /// Tasks whose fit left warnings (see `warnings` in results.jsonl).
    pub warned: usize,
    pub interrupted: bool,
    /// Why refitting the best setting on all rows failed.
    pub refit_error: Option<String>,
    pub shard: Option<ShardSpec>,
    pub output: PathBuf,
    pub workers: usize,
    /// From starting the workers to the last task's end.
    pub wall_seconds: f64,
    /// The best settings (None for a shard: `merge` makes it).
    pub table: Option<String>,
}

impl RunSummary {
    /// 0 all done, 1 some failed (or the refit, or some never ran), 130
    /// interrupted (as a shell reports SIGINT).
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            130
        } else if self.failed > 0 || self.refit_error.is_some() || self.not_run > 0 {
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
    let backend = opts.backend.unwrap_or(config.run.backend);
    let policy = Policy {
        retries: opts.retries.unwrap_or(config.run.retries),
        timeout: opts
            .timeout
            .or(config.run.timeout)
            .map(Duration::from_secs_f64),
        max_memory: opts.max_memory.or(config.run.max_memory),
    };
    check_dataset_path(config)?;
    interrupt::install().context("cannot install the Ctrl-C handler")?;
    for warning in crate::command::warnings(config) {
        eprintln!("gridrun: warning: {warning}");
    }
    let clock = Instant::now();
    // Workers first, data second: they start empty and map the cache
    // themselves. A worker that cannot start fails here, before anything
    // is written into the output folder.
    let pool_policy = match config.task {
        Some(_) => crate::command::pool_policy(&policy, backend),
        None => policy.clone(),
    };
    let mut executor =
        execute::create(backend, opts.jobs.unwrap_or(config.run.jobs), &pool_policy)?;
    std::fs::create_dir_all(&output)
        .with_context(|| format!("{}: cannot create the output folder", output.display()))?;
    let shard = if opts.only_missing { None } else { opts.shard };
    let _lock = lock::acquire(&output, shard)?;
    let (cache, header) = prepare_data(config, &output)?;
    if config.task.is_none() {
        check_compatible(config, &header)?;
        report::data_header(config, &header, opts.quiet);
    }
    if config.dataset.is_some() {
        check_folds(config, &cache, &header)?;
        crate::folds::check_on_data(&config.cv, &cache, &header)
            .map_err(|e| anyhow!("{}: cv: {e:#}", config.path.display()))?;
    }
    let fingerprint = run_fingerprint(config, &header)?;
    let journal_path =
        output.join(shard.map_or(journal::FILE_NAME.to_string(), |s| s.journal_file_name()));
    // Matching earlier records needs every task id in a set: only build it
    // when there are journals to read.
    let previous = if opts.fresh || journal::journal_files(&output)?.is_empty() {
        Previous::default()
    } else {
        let plan_ids: HashSet<&str> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
        let key = ReuseKey {
            fingerprint: &fingerprint,
            plan_ids: &plan_ids,
            metrics: &config.metrics,
        };
        journal::previous(&output, &journal_path, &key)?
    };
    let previous = supersede_earlier(previous, &output, &journal_path, shard)?;
    if let (Some(note), false) = (&previous.note, opts.quiet) {
        eprintln!("gridrun: {note}");
    }
    write_file(
        &output.join(CONFIG_SNAPSHOT),
        &serde_json::to_string_pretty(config)?,
    )?;
    // Groups of commands a killed coordinator left behind end now.
    crate::command::procs::end_all_leftovers(&output);
    let threads = execute::threads_per_task(executor.slots());
    executor.start(&WorkerSetup {
        command: crate::command::setup(config, &cache, &output, threads, &policy)?,
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads,
    })?;
    let mine = tasks_of(&plan, shard, &output);
    let assigned = mine.len();
    let mine_ids: Option<HashSet<&str>> =
        shard.map(|_| mine.iter().map(|&i| plan.tasks[i].id.as_str()).collect());
    let earlier = || previous.own.iter().chain(&previous.elsewhere);
    let done: HashSet<&str> = earlier().map(|r| r.id.as_str()).collect();
    let pending: Vec<usize> = if done.is_empty() {
        mine
    } else {
        mine.into_iter()
            .filter(|&i| !done.contains(plan.tasks[i].id.as_str()))
            .collect()
    };
    drop(done);
    // What the results need of every finished task, tallied as they finish
    // (the records themselves go to the journal only).
    let mut tally = Tally::new(&plan, &config.metrics, execute::now());
    tally.add_records(&plan, earlier());
    let is_mine = |id: &str| mine_ids.as_ref().is_none_or(|m| m.contains(id));
    let reused: Vec<TaskRecord> = earlier().filter(|r| is_mine(&r.id)).cloned().collect();
    let journal = JournalWriter::create(&journal_path, &previous.own)?;
    let rerun = execute_tasks(
        config,
        &plan,
        &pending,
        executor.as_mut(),
        &fingerprint,
        journal,
        shard,
        opts.quiet,
        &output,
        (&mut tally, &previous.rerun),
    )?;
    let wall = clock.elapsed().as_secs_f64();
    let interrupted = interrupt::draining();
    write_run_info(
        config,
        &plan,
        backend,
        executor.slots(),
        wall,
        &tally,
        shard,
        &output,
    )?;
    let (table, refit_error) = match shard {
        Some(_) => (None, None),
        None => {
            let slots = executor.slots();
            let refit = if interrupted {
                None
            } else {
                Some(&mut executor)
            };
            let mut status = StatusLine::new(opts.quiet);
            let (table, refit_error) = finish(
                config,
                &plan,
                (&tally, &reused),
                slots,
                refit,
                &header,
                &output,
                &mut status,
            )?;
            (Some(table), refit_error)
        }
    };
    let count_mine = |state: &dyn Fn(usize) -> bool| {
        (0..plan.tasks.len())
            .filter(|&i| is_mine(plan.tasks[i].id.as_str()) && state(i))
            .count()
    };
    Ok(RunSummary {
        total: plan.tasks.len(),
        assigned,
        failed: count_mine(&|i| tally.task_failed(&plan, i)),
        reused: reused.len(),
        rerun,
        not_run: assigned - count_mine(&|i| tally.task_finished(&plan, i)),
        warned: reused.iter().filter(|r| !r.warnings.is_empty()).count() + tally.session.warned,
        interrupted,
        refit_error,
        shard,
        workers: executor.slots(),
        wall_seconds: wall,
        output,
        table,
    })
}

/// An empty `path` or a folder is named with its key, before any work.
fn check_dataset_path(config: &Config) -> Result<()> {
    let Some(dataset) = &config.dataset else {
        return Ok(());
    };
    let path = &dataset.path;
    if path.is_dir() {
        bail!(
            "{}: dataset.path: {} is a folder, not a CSV file",
            config.path.display(),
            path.display()
        );
    }
    Ok(())
}

/// The data fingerprint a result is valid for: the dataset's, plus the
/// folds file's content for predefined folds (its path is in the task id,
/// its content is not).
fn run_fingerprint(config: &Config, header: &CacheHeader) -> Result<String> {
    let Some(file) = &config.cv.folds_file else {
        return Ok(header.fingerprint.clone());
    };
    let bytes = std::fs::read(file)
        .with_context(|| format!("{}: cannot read the folds file", file.display()))?;
    let hash = blake3::hash(&bytes).to_hex();
    Ok(format!("{}+folds-{}", header.fingerprint, &hash[..16]))
}

/// Folds that cannot all have test rows (more folds than rows, or than the
/// rows of the smallest class for stratified folds) are a config error.
fn check_folds(config: &Config, cache: &Path, header: &CacheHeader) -> Result<()> {
    use crate::config::CvKind;
    let cv = &config.cv;
    let file = config.path.display();
    if matches!(cv.kind, CvKind::Holdout | CvKind::Predefined) {
        return Ok(());
    }
    if cv.folds > header.n_rows {
        bail!(
            "{file}: cv.folds: {} folds but {} has only {} rows",
            cv.folds,
            header.source.display(),
            header.n_rows
        );
    }
    let stratified = matches!(
        cv.kind,
        CvKind::StratifiedKfold | CvKind::RepeatedStratifiedKfold
    );
    let Some(n_classes) = header.target.n_classes().filter(|_| stratified) else {
        return Ok(());
    };
    let data = data::Dataset::open(cache)?;
    let mut counts = vec![0usize; n_classes];
    for &y in data.y() {
        if let Some(c) = counts.get_mut(y as usize) {
            *c += 1;
        }
    }
    let (class, &smallest) = counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .min_by_key(|(_, &n)| n)
        .unwrap_or((0, &0));
    if cv.folds > smallest {
        let name = header
            .classes
            .as_ref()
            .and_then(|c| c.get(class).cloned())
            .unwrap_or_else(|| class.to_string());
        bail!(
            "{file}: cv.folds: {} stratified folds but class `{name}` has only {smallest} rows (every fold needs every class); use at most {smallest} folds or kind = \"kfold\"",
            cv.folds
        );
    }
    Ok(())
}

/// Earlier results of another plan or other data are moved aside (never
/// silently dropped) and the user is told, even with --quiet. A full run
/// moves every journal and output; a shard only its own journal.
fn supersede_earlier(
    mut prev: Previous,
    output: &Path,
    own: &Path,
    shard: Option<ShardSpec>,
) -> Result<Previous> {
    let whole_folder = shard.is_none();
    let superseded = prev.superseded_own
        + if whole_folder {
            prev.superseded_elsewhere
        } else {
            0
        };
    if superseded == 0 {
        return Ok(prev);
    }
    let journals = if whole_folder {
        journal::journal_files(output)?
    } else {
        vec![own.to_path_buf()]
    };
    let aside = supersede::move_aside(output, &journals, whole_folder)?;
    if whole_folder {
        // Reusable records of moved journals now live in this run's journal.
        let moved = std::mem::take(&mut prev.elsewhere);
        prev.own.extend(moved);
    }
    eprintln!(
        "gridrun: {}: {superseded} earlier results are of a different plan (other settings, folds or data) and are superseded by this run; moved them to {} ({} results reused)",
        output.display(),
        aside.display(),
        prev.own.len() + prev.elsewhere.len()
    );
    Ok(prev)
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
        .map(|(t, p)| (t.id.to_string(), *p))
        .collect();
    let assignment = shard::assign(&ids, count);
    let balance = shard::balance(&assignment, &predicted, count);
    (assignment, balance)
}

/// Writes cv_results.csv, best.json (+ best_model.json when an executor is
/// there to refit the best setting), timeline.svg and report.html, saying
/// on the status line what it is doing; returns the summary table and why
/// the refit failed, if it did.
#[allow(clippy::too_many_arguments)]
fn finish(
    config: &Config,
    plan: &Plan,
    (tally, reused): (&Tally, &[TaskRecord]),
    slots: usize,
    refit: Option<&mut Box<dyn Executor>>,
    header: &CacheHeader,
    output: &Path,
    status: &mut StatusLine,
) -> Result<(String, Option<String>)> {
    status.set("writing cv_results.csv...");
    let mut results = CvResults::from_tally(plan, &config.grid_keys, &config.refit, tally);
    for (metric, _) in config.greater_is_better.iter().filter(|(_, &up)| !up) {
        results.rank_lower_better(metric);
    }
    crate::results::atomic::write_streamed(&output.join(cv_results::FILE_NAME), |out| {
        results.write_csv(out)
    })?;
    let (refit_span, refit_error) = match results.best() {
        Some(index) => refit::write_best(config, &results, index, refit, header, output, status)?,
        None => {
            // No setting has a score: nothing earlier may pose as the best.
            remove_stale(&output.join(best::FILE_NAME))?;
            refit::remove_model_files(output)?;
            (None, None)
        }
    };
    status.set("writing timeline.svg and report.html...");
    write_file(
        &output.join(timeline::FILE_NAME),
        &timeline::render(&tally.timeline, reused, slots, refit_span.as_ref()),
    )?;
    let input = report::html::Input {
        name: config.name.clone(),
        model: config.model.clone(),
        results: &results,
        timeline: &tally.timeline,
        reused,
        slots,
        refit: refit_span,
        total_tasks: plan.tasks.len(),
        finished_tasks: tally.finished(),
    };
    report::html::write(&input, &output.join(report::html::FILE_NAME))?;
    Ok((report::summary::table(&results, 10), refit_error))
}

fn remove_stale(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("{}: cannot remove the stale file", path.display()))
        }
        _ => Ok(()),
    }
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
    output: &Path,
    (tally, rerun): (&mut Tally, &HashSet<String>),
) -> Result<usize> {
    let tasks = tasks::PendingTasks {
        config,
        plan,
        pending,
    };
    let mut progress = Progress::new(pending.len(), quiet);
    let mut reran = 0;
    let mut failure: Option<anyhow::Error> = None;
    let mut journalled = 0;
    executor.run(&tasks, &mut |event| match event {
        Event::Started { index, worker } => progress.started(index, worker),
        Event::Retrying { index, reason, .. } => {
            crate::command::procs::end_leftovers(output, &plan.tasks[index].id);
            progress.requeued(&reason)
        }
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
            if config.task.is_some() {
                crate::command::procs::end_leftovers(output, &record.id);
                if let Some(error) = &record.error {
                    progress.failure(&crate::command::failure_note(
                        &crate::params::describe(&config.full_params(&record.params)),
                        record.repeat,
                        record.fold,
                        &record.id,
                        error,
                        output,
                    ));
                }
            }
            if failure.is_none() {
                match journal.finished(&record) {
                    Ok(()) => journalled += 1,
                    Err(e) => {
                        // A result that cannot be journalled is lost work:
                        // stop dispatching at once (and stop the workers).
                        interrupt::halt();
                        failure = Some(e);
                    }
                }
            }
            let _ = progress.finished(&record);
            reran += usize::from(rerun.contains(&record.id));
            tally.add_session(plan, index, &record);
        }
    })?;
    progress.done()?;
    crate::command::procs::end_all_leftovers(output);
    if let Some(e) = failure {
        bail!(
            "{e:#}; stopped at once: {journalled} of {} tasks journalled this run, the rest not run (the folder resumes: run the same command again once the cause is fixed)",
            pending.len()
        );
    }
    journal.done()?;
    Ok(reran)
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
        id: task.id.to_string(),
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

/// run.json (or run.shard-I-of-N.json): how this session went, for people
/// and for comparing with estimates.
#[allow(clippy::too_many_arguments)]
fn write_run_info(
    config: &Config,
    plan: &Plan,
    backend: Backend,
    workers: usize,
    wall: f64,
    tally: &Tally,
    shard: Option<ShardSpec>,
    output: &Path,
) -> Result<()> {
    let session = &tally.session;
    let info = serde_json::json!({
        "name": config.name,
        "config": config.path,
        "model": config.model,
        "backend": backend,
        "workers": workers,
        "shard": shard.map(|s| s.to_string()),
        "tasks": plan.tasks.len(),
        "ran": session.ran,
        "failed": session.failed,
        "wall_seconds": wall,
        "busy_seconds": session.busy_seconds,
        "utilisation": tally.timeline.utilisation(workers),
        "peak_worker_rss_kb": session.peak_worker_rss_kb,
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
    pub refit_error: Option<String>,
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
    let _lock = lock::acquire(output, None)?;
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
    let (cache, header) = prepare_data(&config, output)?;
    let mut serial = execute::create(Backend::Serial, 1, &Policy::default())?;
    serial.start(&WorkerSetup {
        command: crate::command::setup(&config, &cache, output, 1, &Policy::default())?,
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
    let mut tally = Tally::new(&plan, &config.metrics, 0.0);
    tally.add_records(&plan, &records);
    tally.timeline = TimelineLog::from_records(&records);
    let mut status = StatusLine::new(quiet);
    let (table, refit_error) = finish(
        &config,
        &plan,
        (&tally, &[]),
        0,
        refit,
        &header,
        output,
        &mut status,
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
        refit_error,
    })
}

/// The dataset cache and its header (a stand-in for command tasks without
/// a dataset).
pub fn prepare_data(config: &Config, output: &Path) -> Result<(PathBuf, CacheHeader)> {
    match &config.dataset {
        Some(d) => data::prepare(d, &output.join("cache")),
        None => Ok((PathBuf::new(), crate::command::no_data_header())),
    }
}

/// Writes a whole output file atomically (temporary file + rename).
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    crate::results::atomic::write(path, text.as_bytes())
}
