//! Which tasks run next: the search loop asks the strategy for a batch,
//! the session runs it and hands back its tally (per setting and split, not
//! records), until the strategy has nothing more to run. Grid and random search are one batch (their settings
//! are known from the config); successive halving is one batch per round.

use super::halving_run::HalvingRun;
use crate::config::{Config, Method};
use crate::data::CacheHeader;
use crate::execute::RunEvent;
use crate::plan::Plan;
use crate::results::tally::Tally;
use crate::session::write;
use crate::session::Outcome;
use std::collections::HashSet;

/// A search in progress.
pub enum Strategy {
    /// Grid or random search: every setting in one batch.
    OneBatch {
        plan: Box<Plan>,
        tally: Option<Tally>,
    },
    /// Successive halving: one batch per round, `all` its possible tasks;
    /// the tally of each round run.
    Halving {
        run: Box<HalvingRun>,
        all: Vec<Plan>,
        tallies: Vec<Tally>,
    },
}

/// What the session runs next, and the run event that announces it.
pub struct Batch<'a> {
    pub plan: &'a Plan,
    pub event: Option<RunEvent>,
}

impl Strategy {
    pub fn new(config: &Config, header: &CacheHeader) -> anyhow::Result<Strategy> {
        if config.search.method == Method::Halving {
            let run = HalvingRun::new(config, header)?;
            let all = run.all_plans(config);
            return Ok(Strategy::Halving {
                run: Box::new(run),
                all,
                tallies: Vec::new(),
            });
        }
        Ok(Strategy::OneBatch {
            plan: Box::new(Plan::build(config)),
            tally: None,
        })
    }

    /// Every task id a batch of this search may hold: earlier records of
    /// other ids belong to another plan.
    pub fn task_ids(&self) -> HashSet<&str> {
        let plans: Vec<&Plan> = match self {
            Strategy::OneBatch { plan, .. } => vec![plan],
            Strategy::Halving { all, .. } => all.iter().collect(),
        };
        plans
            .into_iter()
            .flat_map(|p| p.tasks.iter().map(|t| t.id.as_str()))
            .collect()
    }

    /// How many distinct tasks a batch of this search may hold.
    pub fn task_count(&self) -> usize {
        match self {
            Strategy::OneBatch { plan, .. } => plan.tasks.len(),
            Strategy::Halving { .. } => self.task_ids().len(),
        }
    }

    /// The next batch, after the tally of the last one; None when done.
    pub fn next_batch(&mut self, config: &Config) -> Option<Batch<'_>> {
        match self {
            Strategy::OneBatch { plan, tally } => {
                if tally.is_some() {
                    return None;
                }
                Some(Batch { plan, event: None })
            }
            Strategy::Halving { run, tallies, .. } => {
                let rounds = run.schedule.rounds.len();
                let plan = run.next_round_after(config, tallies.last())?;
                let round = plan.round.as_ref()?;
                let event = RunEvent::RoundStarted {
                    round: round.iter,
                    rounds,
                    candidates: plan.settings.len(),
                    resources: round.n_resources,
                    tasks: plan.tasks.len(),
                };
                Some(Batch {
                    plan,
                    event: Some(event),
                })
            }
        }
    }

    /// Takes the tally of the batch that ran last.
    pub fn batch_done(&mut self, done: Tally) {
        match self {
            Strategy::OneBatch { tally, .. } => *tally = Some(done),
            Strategy::Halving { tallies, .. } => tallies.push(done),
        }
    }

    /// The ranked table and the task counts, from the batches' tallies
    /// (which hold what earlier runs left for their tasks).
    pub fn outcome(self, config: &Config) -> Option<Outcome> {
        match self {
            Strategy::OneBatch { mut plan, tally } => {
                let tally = tally.unwrap_or_else(|| Tally::new(&plan, &config.metrics));
                let total_tasks = plan.tasks.len();
                // The table needs the settings, not the tasks: their memory
                // goes to the table's rows.
                plan.tasks = Vec::new();
                Some(Outcome {
                    results: write::results_of_tally(config, &plan, &tally),
                    total_tasks,
                    finished_tasks: tally.finished(),
                })
            }
            Strategy::Halving { run, tallies, .. } => {
                let results = run.results_of_tallies(config, &tallies)?;
                let total = run.rounds.iter().map(|p| p.tasks.len()).sum();
                let finished = tallies.iter().map(Tally::finished).sum();
                Some(Outcome {
                    results,
                    total_tasks: total,
                    finished_tasks: finished,
                })
            }
        }
    }
}
