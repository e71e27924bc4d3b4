//! Running one batch of tasks: messages to the executor, its events to the
//! journal and the progress display, records back.

use crate::batch::shard::ShardSpec;
use crate::config::Config;
use crate::execute::{self, interrupt, Event, Executor, TaskList, TaskMsg};
use crate::output_dir::OutputDir;
use crate::plan::{Plan, Task};
use crate::report::{Progress, Reporter};
use crate::results::journal::JournalWriter;
use crate::results::{Status, TaskRecord};
use anyhow::{bail, Result};

/// What a batch runs with (borrowed from the session).
pub(super) struct BatchContext<'a> {
    pub config: &'a Config,
    pub fingerprint: &'a str,
    pub shard: Option<ShardSpec>,
    pub quiet: bool,
    pub out: &'a OutputDir,
}

/// Positions of some of a plan's tasks: all of them (a fresh run: no list
/// of a million numbers), or a list (a shard's, or what earlier runs left).
pub(super) enum Positions {
    All(usize),
    Listed(Vec<u32>),
}

impl Positions {
    pub fn len(&self) -> usize {
        match self {
            Positions::All(n) => *n,
            Positions::Listed(list) => list.len(),
        }
    }

    pub fn get(&self, i: usize) -> usize {
        match self {
            Positions::All(_) => i,
            Positions::Listed(list) => list[i] as usize,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Those of `self` for which `keep` holds.
    pub fn filtered(self, keep: impl Fn(usize) -> bool) -> Positions {
        let kept: Vec<u32> = self.iter().filter(|&i| keep(i)).map(|i| i as u32).collect();
        if let Positions::All(n) = self {
            if kept.len() == n {
                return Positions::All(n);
            }
        }
        Positions::Listed(kept)
    }
}

/// The tasks of a batch as the executor takes them: each message is made
/// when its task is dispatched, so a plan of a million tasks never holds a
/// million copies of its settings' parameters.
struct PendingTasks<'a> {
    config: &'a Config,
    plan: &'a Plan,
    /// Positions in the plan of the tasks to run.
    pending: &'a Positions,
}

impl TaskList for PendingTasks<'_> {
    fn len(&self) -> usize {
        self.pending.len()
    }

    fn get(&self, position: usize) -> TaskMsg {
        message(self.config, self.plan, self.pending.get(position))
    }

    fn index(&self, position: usize) -> usize {
        self.pending.get(position)
    }
}

/// Runs the plan's tasks at `pending`, feeding events to the journal and the
/// progress display, and each record with its task's position in the plan to
/// `on_record` (then drops it: the journal has it).
pub(super) fn run_batch(
    cx: &BatchContext,
    plan: &Plan,
    pending: &Positions,
    executor: &mut dyn Executor,
    journal: &mut JournalWriter,
    on_record: &mut dyn FnMut(usize, &TaskRecord),
) -> Result<()> {
    let output = cx.out.path();
    let tasks = PendingTasks {
        config: cx.config,
        plan,
        pending,
    };
    let mut progress = Progress::new(pending.len(), cx.quiet);
    let mut failure: Option<anyhow::Error> = None;
    // A result that cannot be journalled is lost work: stop dispatching at
    // once (and stop the workers).
    let check = |written: Result<()>, failure: &mut Option<anyhow::Error>| {
        if let Err(e) = written {
            if failure.is_none() {
                interrupt::halt();
                *failure = Some(e);
            }
        }
    };
    executor.run(&tasks, &mut |event| match event {
        Event::Started { index, worker } => progress.started(index, worker),
        Event::Retrying { index, reason, .. } => {
            crate::command::procs::end_leftovers(output, &plan.tasks[index].id);
            progress.requeued(&reason)
        }
        Event::Draining { running } => progress.note(&format!(
            "interrupted: no new tasks; waiting for {running} running (Ctrl-C again to stop now)"
        )),
        // Records that arrived together are written together, before the
        // coordinator waits for more.
        Event::Waiting if failure.is_none() => check(journal.write_pending(), &mut failure),
        Event::Waiting => {}
        Event::Finished {
            index,
            worker,
            outcome,
        } => {
            let record = make_record(cx, &plan.tasks[index], plan, worker, outcome);
            if cx.config.task.is_some() {
                note_command_failure(cx, &record, &mut progress);
            }
            if failure.is_none() {
                check(journal.finished(&record), &mut failure);
            }
            let _ = progress.finished(&record);
            on_record(index, &record);
        }
    })?;
    if failure.is_none() {
        check(journal.write_pending(), &mut failure);
    }
    progress.done()?;
    crate::command::procs::end_all_leftovers(output);
    if let Some(e) = failure {
        bail!(
            "{e:#}; stopped at once: {} of {} tasks journalled this run, the rest not run (the folder resumes: run the same command again once the cause is fixed)",
            journal.written(),
            pending.len()
        );
    }
    journal.done()?;
    Ok(())
}

/// A command task's leftovers end; its failure is shown at once.
fn note_command_failure(cx: &BatchContext, record: &TaskRecord, progress: &mut Progress) {
    let output = cx.out.path();
    crate::command::procs::end_leftovers(output, &record.id);
    if let Some(error) = &record.error {
        progress.failure(&crate::command::failure_note(
            &crate::params::describe(&cx.config.full_params(&record.params)),
            record.repeat,
            record.fold,
            &record.id,
            error,
            output,
        ));
    }
}

fn message(config: &Config, plan: &Plan, index: usize) -> TaskMsg {
    let t = &plan.tasks[index];
    TaskMsg {
        index,
        params: plan.task_params(config, t.setting),
        repeat: t.repeat,
        fold: t.fold,
        seed: t.seed(),
        subsample: plan.subsample(config),
    }
}

fn make_record(
    cx: &BatchContext,
    task: &Task,
    plan: &Plan,
    worker: usize,
    outcome: execute::Outcome,
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
        data: cx.fingerprint.to_string(),
        peak_rss_kb: outcome.peak_rss_kb,
        attempts: outcome.attempts,
        shard: cx.shard.map(|s| s.to_string()),
        warnings: outcome.warnings,
    }
}
