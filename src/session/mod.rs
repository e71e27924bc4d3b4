//! A session: one coordinator's hold on an output folder for one run. It
//! owns the folder ([`OutputDir`], locked), the journal and what earlier
//! runs left there (resume), the executor and the reporters, and offers
//! "run these tasks, give me their tally" ([`Session::run`]) to the
//! strategy deciding which tasks run ([`crate::strategy`]), then writes the
//! results ([`Session::finish`]). Records are journalled and tallied as they
//! arrive, then dropped: the coordinator's memory does not grow with the
//! tasks run. `merge` builds the results of shards run elsewhere.

mod checks;
mod merge;
mod resume;
mod shards;
mod tasks;
pub mod write;

pub use merge::{merge, MergeSummary};
pub use shards::shard_assignment;

use crate::batch::shard::ShardSpec;
use crate::config::{Backend, Config};
use crate::data::{self, CacheHeader};
use crate::execute::{self, interrupt, Executor, Policy, RunEvent, WorkerSetup};
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::report::{RunReporter, StatusLine};
use crate::results::cv_results::CvResults;
use crate::results::journal::{JournalWriter, Previous, ReuseKey};
use crate::results::lock::{self, OutputLock};
use crate::results::session_log::SessionLog;
use crate::results::tally::Tally;
use crate::results::TaskRecord;
use anyhow::{Context, Result};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    /// Run only this round (its `iter`) of successive halving, as one shard
    /// of that round's job array (`gridrun slurm --submit`).
    pub round: Option<usize>,
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

/// What the strategy hands over at the end: the ranked table and the task
/// counts of the whole search.
pub struct Outcome {
    pub results: CvResults,
    /// Tasks planned over all batches.
    pub total_tasks: usize,
    /// Of those, the ones with a record.
    pub finished_tasks: usize,
}

/// One run's hold on its output folder.
pub struct Session<'c> {
    config: &'c Config,
    out: OutputDir,
    shard: Option<ShardSpec>,
    /// This session's own journal (the only one it rewrites).
    own_journal: PathBuf,
    quiet: bool,
    fresh: bool,
    backend: Backend,
    policy: Policy,
    executor: Box<dyn Executor>,
    cache: PathBuf,
    header: CacheHeader,
    fingerprint: String,
    previous: Previous,
    /// Made by [`Session::resume`].
    journal: Option<JournalWriter>,
    /// Counters and timeline of the tasks this session ran, over all batches.
    log: SessionLog,
    /// Earlier records reused for this session's tasks.
    reused: Vec<TaskRecord>,
    /// Tasks this session was responsible for, and of those the ones with a
    /// record (reused or run), over all batches.
    assigned: usize,
    finished: usize,
    /// Tasks run again because their earlier record could not be reused.
    rerun: usize,
    status: StatusLine,
    clock: Instant,
    _lock: OutputLock,
}

/// The dataset cache (in the folder's cache) and its header.
pub fn prepare_data(config: &Config, out: &OutputDir) -> Result<(PathBuf, CacheHeader)> {
    data::prepare_optional(config.dataset.as_ref(), &out.cache_dir())
}

impl<'c> Session<'c> {
    /// Starts the workers, locks and prepares the folder and checks the
    /// data; [`Session::resume`] then reads what earlier runs left.
    pub fn open(config: &'c Config, opts: &RunOptions) -> Result<Session<'c>> {
        let out = OutputDir::new(
            opts.output
                .clone()
                .unwrap_or_else(|| config.run.output.clone()),
        );
        let backend = opts.backend.unwrap_or(config.run.backend);
        let policy = Policy {
            retries: opts.retries.unwrap_or(config.run.retries),
            timeout: opts
                .timeout
                .or(config.run.timeout)
                .map(Duration::from_secs_f64),
            max_memory: opts.max_memory.or(config.run.max_memory),
        };
        checks::check_dataset_path(config)?;
        interrupt::install().context("cannot install the Ctrl-C handler")?;
        for warning in crate::command::warnings(config) {
            crate::errln!("gridrun: warning: {warning}");
        }
        let clock = Instant::now();
        let origin = execute::now();
        // Workers first, data second: they start empty and map the cache
        // themselves. A worker that cannot start fails here, before anything
        // is written into the output folder.
        let pool_policy = match config.task {
            Some(_) => crate::command::pool_policy(&policy, backend),
            None => policy.clone(),
        };
        let executor =
            execute::create(backend, opts.jobs.unwrap_or(config.run.jobs), &pool_policy)?;
        std::fs::create_dir_all(out.path()).with_context(|| {
            format!("{}: cannot create the output folder", out.path().display())
        })?;
        let shard = if opts.only_missing { None } else { opts.shard };
        let lock = lock::acquire(out.path(), shard)?;
        let (cache, header) = prepare_data(config, &out)?;
        checks::check_data(config, &cache, &header, opts.quiet)?;
        let fingerprint = checks::run_fingerprint(config, &header)?;
        let own_journal = match (shard, opts.round) {
            (Some(shard), Some(iter)) => out.round_journal(shard, iter),
            _ => out.journal(shard),
        };
        Ok(Session {
            config,
            out,
            shard,
            own_journal,
            quiet: opts.quiet,
            fresh: opts.fresh,
            backend,
            policy,
            executor,
            cache,
            header,
            fingerprint,
            previous: Previous::default(),
            journal: None,
            log: SessionLog::new(origin),
            reused: Vec::new(),
            assigned: 0,
            finished: 0,
            rerun: 0,
            status: StatusLine::new(opts.quiet),
            clock,
            _lock: lock,
        })
    }

    /// The output folder.
    pub fn out(&self) -> &OutputDir {
        &self.out
    }

    /// The dataset's header (what the strategy plans rounds from).
    pub fn header(&self) -> &CacheHeader {
        &self.header
    }

    /// Reads what earlier runs left (moving aside another plan's results),
    /// saves the config and hands the workers their setup. `task_ids`: every
    /// task any batch of this search may run (`tasks` of them), asked for
    /// only when there are journals to match: a fresh run of a million tasks
    /// need not hash a million ids.
    pub fn resume<'s>(
        &mut self,
        task_ids: &dyn Fn() -> HashSet<&'s str>,
        tasks: usize,
    ) -> Result<()> {
        let config = self.config;
        let no_journals = self.fresh || self.out.journals().is_empty();
        let ids = if no_journals {
            HashSet::new()
        } else {
            task_ids()
        };
        let key = ReuseKey {
            fingerprint: &self.fingerprint,
            plan_ids: &ids,
            metrics: &config.metrics,
        };
        self.previous = resume::previous(
            &self.out,
            (self.shard, &self.own_journal),
            &key,
            self.fresh,
            self.quiet,
        )?;
        drop(ids);
        write_config_snapshot(config, &self.out)?;
        // Groups of commands a killed coordinator left behind end now.
        crate::command::procs::end_all_leftovers(self.out.path());
        let threads = execute::threads_per_task(self.executor.slots());
        let output = self.out.path();
        self.executor.start(&WorkerSetup {
            command: crate::command::setup(config, &self.cache, output, threads, &self.policy)?,
            cache: self.cache.clone(),
            model: config.model.clone(),
            cv: config.cv.clone(),
            metrics: config.metrics.clone(),
            threads,
        })?;
        let journal = JournalWriter::create(&self.own_journal, &self.previous.own)?;
        self.journal = Some(journal);
        self.status.run_event(&RunEvent::RunStarted {
            tasks,
            workers: self.executor.slots(),
        });
        Ok(())
    }

    /// Tells the reporters what the run does now.
    pub fn announce(&mut self, event: RunEvent) {
        self.status.run_event(&event);
    }

    /// Runs the tasks of `plan` this session is responsible for (its shard's,
    /// or all) that no earlier run finished; returns the tally of all of
    /// them (reused and new).
    pub fn run(&mut self, plan: &Plan) -> Result<Tally> {
        self.status.clear();
        let mine = shards::tasks_of(plan, self.shard, &self.out);
        let reused = self.reused_for(plan, &mine);
        let done: HashSet<usize> = reused.iter().map(|(position, _)| *position).collect();
        let assigned = mine.len();
        let pending = if done.is_empty() {
            mine
        } else {
            mine.filtered(|i| !done.contains(&i))
        };
        let mut tally = Tally::new(plan, &self.config.metrics);
        for (position, record) in &reused {
            tally.add(plan, *position, record);
        }
        let cx = tasks::BatchContext {
            config: self.config,
            fingerprint: &self.fingerprint,
            shard: self.shard,
            quiet: self.quiet,
            out: &self.out,
        };
        let journal = self
            .journal
            .as_mut()
            .context("the session was not resumed")?;
        let (log, rerun, previous) = (&mut self.log, &mut self.rerun, &self.previous);
        tasks::run_batch(
            &cx,
            plan,
            &pending,
            self.executor.as_mut(),
            journal,
            &mut |position, record| {
                tally.add(plan, position, record);
                log.add(record);
                *rerun += usize::from(previous.rerun.contains(&record.id));
            },
        )?;
        self.assigned += assigned;
        self.finished += tally.finished();
        self.reused.extend(reused.into_iter().map(|(_, r)| r));
        Ok(tally)
    }

    /// The earlier records of the plan's tasks at `mine`, with their
    /// positions, in the order earlier runs left them.
    fn reused_for(&self, plan: &Plan, mine: &tasks::Positions) -> Vec<(usize, TaskRecord)> {
        let earlier: HashMap<&str, usize> = self
            .earlier()
            .enumerate()
            .map(|(k, r)| (r.id.as_str(), k))
            .collect();
        if earlier.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(usize, usize)> = mine
            .iter()
            .filter_map(|i| earlier.get(plan.tasks[i].id.as_str()).map(|&k| (k, i)))
            .collect();
        found.sort_unstable();
        let records: Vec<&TaskRecord> = self.earlier().collect();
        found
            .into_iter()
            .map(|(k, i)| (i, records[k].clone()))
            .collect()
    }

    /// Every reusable record earlier runs left (all shards').
    fn earlier(&self) -> impl Iterator<Item = &TaskRecord> {
        self.previous.own.iter().chain(&self.previous.elsewhere)
    }

    /// Whether Ctrl-C stopped the run.
    pub fn interrupted(&self) -> bool {
        interrupt::draining()
    }

    /// Writes run.json and (unless a shard) the results, refitting the best
    /// setting unless interrupted; `outcome` comes from the strategy.
    pub fn finish(mut self, outcome: Option<Outcome>) -> Result<RunSummary> {
        let wall = self.clock.elapsed().as_secs_f64();
        let interrupted = self.interrupted();
        let total = outcome.as_ref().map_or(0, |o| o.total_tasks);
        write::write_run_info(
            self.config,
            &self.out,
            &write::RunInfo {
                backend: self.backend,
                workers: self.executor.slots(),
                wall,
                tasks: total,
                session: &self.log,
                shard: self.shard,
            },
        )?;
        let slots = self.executor.slots();
        let (table, refit_error) = match (self.shard, &outcome) {
            (None, Some(outcome)) => {
                let records = write::Records {
                    session: &self.log.timeline,
                    reused: &self.reused,
                };
                let refit = (!interrupted).then_some(&mut self.executor);
                let mut writer = write::Writer {
                    config: self.config,
                    out: &self.out,
                    header: &self.header,
                    reporter: &mut self.status,
                };
                let (table, error) = writer.finish(
                    &outcome.results,
                    (outcome.total_tasks, outcome.finished_tasks),
                    &records,
                    slots,
                    refit,
                )?;
                (Some(table), error)
            }
            _ => (None, None),
        };
        self.status
            .run_event(&RunEvent::RunFinished { wall_seconds: wall });
        Ok(self.summary(total, wall, interrupted, table, refit_error))
    }

    fn summary(
        &self,
        total: usize,
        wall: f64,
        interrupted: bool,
        table: Option<String>,
        refit_error: Option<String>,
    ) -> RunSummary {
        let counts = &self.log.counts;
        let reused_where = |f: fn(&TaskRecord) -> bool| self.reused.iter().filter(|r| f(r)).count();
        RunSummary {
            total,
            assigned: self.assigned,
            failed: counts.failed + reused_where(|r| !r.ok()),
            reused: self.reused.len(),
            rerun: self.rerun,
            not_run: self.assigned.saturating_sub(self.finished),
            warned: counts.warned + reused_where(|r| !r.warnings.is_empty()),
            interrupted,
            refit_error,
            shard: self.shard,
            workers: self.executor.slots(),
            wall_seconds: wall,
            output: self.out.path().to_path_buf(),
            table,
        }
    }
}

/// The resolved config, saved in the output folder for `merge` and `report`.
fn write_config_snapshot(config: &Config, out: &OutputDir) -> Result<()> {
    crate::results::atomic::write_text(
        &out.config_snapshot(),
        &serde_json::to_string_pretty(config)?,
    )
}
