//! Successive halving on Slurm (`gridrun slurm --submit`): one job array
//! per round, since each round's candidates are known only when the round
//! before ends.
//!
//! The coordinator ([`submit`]) loops: read every journal in the output
//! folder, replay the rounds they finished ([`HalvingRun::replay`]: the
//! survivors of each round from its records, as a local run chooses them),
//! submit the first unfinished round as an array of shards and follow it,
//! until every round has a record for each task; the caller then merges.
//! Each array task ([`run_round`], the hidden `gridrun run --round R
//! --shard I/N`) replays the same journals, so it plans the same round
//! without being handed its candidates, and runs its shard of it into its
//! own journal `results.round-R.shard-I-of-N.jsonl`. Running the same
//! command again resumes: the journals say which round is next, and an
//! array still running for it (its id in `gridrun.round-R.job`) is
//! followed rather than submitted again.

use super::shard::ShardSpec;
use super::slurm::{self, JobId, SlurmOptions};
use crate::config::{Config, Method};
use crate::execute::RunEvent;
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::results::journal;
use crate::session::{write, Outcome, RunOptions, RunSummary, Session};
use crate::strategy::halving::Resource;
use crate::strategy::halving_run::HalvingRun;
use anyhow::{bail, Context, Result};
use std::collections::HashSet;
use std::time::Duration;

/// How often the coordinator polls a round's array.
const POLL: Duration = Duration::from_millis(500);

/// One round's array: everything but the round comes from `gridrun slurm`'s
/// options (`template.shards` is the most array tasks a round gets).
pub struct RoundArrays<'a> {
    pub config: &'a Config,
    pub out: OutputDir,
    pub template: SlurmOptions,
}

/// Runs every round not finished yet, one job array each; true when every
/// round has a record for each of its tasks (the folder is ready to merge).
pub fn submit(arrays: &RoundArrays) -> Result<bool> {
    let config = arrays.config;
    let (_, header) = crate::session::prepare_data(config, &arrays.out)?;
    let mut attempted = HashSet::new();
    loop {
        let records = journal::read_all(arrays.out.path())?;
        let mut run = HalvingRun::new(config, &header)?;
        let Some(iter) = run.replay(config, &records) else {
            return Ok(true);
        };
        let plan = &run.rounds[iter];
        let rounds = run.schedule.rounds.len();
        if !attempted.insert(iter) {
            let have: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
            let missing = plan
                .tasks
                .iter()
                .filter(|t| !have.contains(t.id.as_str()))
                .count();
            crate::errln!(
                "gridrun: round {} of {rounds}: {missing} of {} tasks have no result after its job array (logs: {}/slurm-*.out); run the same command again to resume",
                iter + 1,
                plan.tasks.len(),
                arrays.out.path().display()
            );
            return Ok(false);
        }
        let job = round_job(arrays, plan, iter, rounds)?;
        let state = slurm::follow(job, POLL, |s| {
            crate::errln!("gridrun: round {} of {rounds}: {s}", iter + 1)
        })?;
        if !state.all_succeeded() {
            crate::errln!(
                "gridrun: round {} of {rounds}: array tasks failed: {:?} (logs: {}/slurm-{job}_*.out)",
                iter + 1,
                state.failed_tasks(),
                arrays.out.path().display()
            );
        }
    }
}

/// The array running round `iter`: one submitted earlier and still in the
/// queue, else a new one.
fn round_job(arrays: &RoundArrays, plan: &Plan, iter: usize, rounds: usize) -> Result<JobId> {
    let id_file = arrays.out.round_job(iter);
    if let Some(job) = earlier_job(&id_file) {
        if slurm::poll(job)?.active {
            crate::errln!(
                "gridrun: round {} of {rounds}: following job array {job}, submitted earlier",
                iter + 1
            );
            return Ok(job);
        }
    }
    let shards = arrays.template.shards.clamp(1, plan.tasks.len().max(1));
    let mut options = arrays.template.clone();
    options.shards = shards;
    options.job_name = format!("{}-round-{iter}", options.job_name);
    options
        .extra_args
        .extend(["--round".to_string(), iter.to_string()]);
    let script = arrays.out.round_sbatch_script(iter);
    crate::results::atomic::write_text(&script, &slurm::sbatch_script(&options))?;
    let job = slurm::submit(&script)?;
    crate::results::atomic::write_text(&id_file, &format!("{job}\n"))?;
    let round = plan.round.as_ref().context("a round's plan")?;
    let resource = match &round.resource {
        Resource::NSamples => "n_samples",
        Resource::Param(name) => name,
    };
    crate::errln!(
        "gridrun: round {} of {rounds}: {} candidates x {} splits = {} tasks, {} {resource} each; submitted job array {job} ({shards} shards)",
        iter + 1,
        plan.settings.len(),
        plan.folds * plan.repeats,
        plan.tasks.len(),
        round.n_resources
    );
    Ok(job)
}

fn earlier_job(id_file: &std::path::Path) -> Option<JobId> {
    let text = std::fs::read_to_string(id_file).ok()?;
    text.trim().parse().ok().map(JobId)
}

/// Why `gridrun run --round` cannot run as given.
pub fn check_worker(config: &Config, shard: Option<ShardSpec>, iter: usize) -> Result<()> {
    if config.search.method != Method::Halving {
        bail!(
            "{}: --round {iter}: only successive halving has rounds (method = \"halving\")",
            config.path.display()
        );
    }
    if shard.is_none() {
        bail!(
            "{}: --round {iter} runs one shard of one round's job array: give --shard I/N (`gridrun slurm --submit` passes both)",
            config.path.display()
        );
    }
    Ok(())
}

/// One array task of round `iter`: replays the rounds before from every
/// journal in the folder (they must be finished), then runs this shard of
/// round `iter`.
pub fn run_round(config: &Config, opts: &RunOptions, iter: usize) -> Result<RunSummary> {
    let mut session = Session::open(config, opts)?;
    // Checked before resume, so a refused array task writes nothing.
    let run = replayed(config, &session, iter)?;
    let all = run.all_plans(config);
    let ids = || -> HashSet<&str> {
        all.iter()
            .flat_map(|p| p.tasks.iter().map(|t| t.id.as_str()))
            .collect()
    };
    let count = ids().len();
    session.resume(&ids, count)?;
    // Again after resume: journals of another plan or data were moved aside.
    let run = replayed(config, &session, iter)?;
    let plan = &run.rounds[iter];
    let round = plan.round.as_ref().context("a round's plan")?;
    session.announce(RunEvent::RoundStarted {
        round: iter,
        rounds: run.schedule.rounds.len(),
        candidates: plan.settings.len(),
        resources: round.n_resources,
        tasks: plan.tasks.len(),
    });
    let tally = session.run(plan)?;
    let outcome = Outcome {
        results: write::results_of_tally(config, plan, &tally),
        total_tasks: plan.tasks.len(),
        finished_tasks: tally.finished(),
    };
    session.finish(Some(outcome))
}

/// The rounds the folder's journals finished, up to round `iter` at least;
/// an error when a round before `iter` has not finished.
fn replayed(config: &Config, session: &Session, iter: usize) -> Result<HalvingRun> {
    let mut run = HalvingRun::new(config, session.header())?;
    let rounds = run.schedule.rounds.len();
    if iter >= rounds {
        bail!(
            "{}: --round {iter}: this search has {rounds} rounds (iter 0 to {})",
            config.path.display(),
            rounds - 1
        );
    }
    let out = session.out().path();
    run.replay(config, &journal::read_all(out)?);
    if run.rounds.len() <= iter {
        bail!(
            "{}: --round {iter}: round {} (iter {}) has not finished in {}: its survivors are this round's candidates",
            config.path.display(),
            run.rounds.len(),
            run.rounds.len() - 1,
            out.display()
        );
    }
    Ok(run)
}
