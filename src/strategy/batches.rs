//! Which tasks run next: the search loop asks the strategy for a batch,
//! the session runs it and hands back its records, until the strategy has
//! nothing more to run. Grid and random search are one batch (their settings
//! are known from the config); successive halving is one batch per round.

use super::halving_run::HalvingRun;
use crate::config::{Config, Method};
use crate::data::CacheHeader;
use crate::execute::RunEvent;
use crate::plan::Plan;
use crate::results::TaskRecord;
use crate::session::write;
use crate::session::Outcome;
use std::collections::HashSet;

/// A search in progress.
pub enum Strategy {
    /// Grid or random search: every setting in one batch.
    OneBatch { plan: Plan, sent: bool },
    /// Successive halving: one batch per round, `all` its possible tasks.
    Halving {
        run: Box<HalvingRun>,
        all: Vec<Plan>,
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
            });
        }
        Ok(Strategy::OneBatch {
            plan: Plan::build(config),
            sent: false,
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

    /// The next batch, given the records of the last one; None when done.
    pub fn next_batch(&mut self, config: &Config, last: &[TaskRecord]) -> Option<Batch<'_>> {
        match self {
            Strategy::OneBatch { plan, sent } => {
                if *sent {
                    return None;
                }
                *sent = true;
                Some(Batch { plan, event: None })
            }
            Strategy::Halving { run, .. } => {
                let rounds = run.schedule.rounds.len();
                let plan = run.next_round(config, last)?;
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

    /// The ranked table and the task counts, from every record of the folder.
    pub fn outcome(&self, config: &Config, records: &[TaskRecord]) -> Option<Outcome> {
        match self {
            Strategy::OneBatch { plan, .. } => Some(Outcome {
                results: write::results_of(config, plan, records),
                total_tasks: plan.tasks.len(),
                finished_tasks: write::finished_tasks(plan, records),
            }),
            Strategy::Halving { run, .. } => {
                let results = run.results(config, records)?;
                let total = run.rounds.iter().map(|p| p.tasks.len()).sum();
                let finished = run
                    .rounds
                    .iter()
                    .map(|p| write::finished_tasks(p, records))
                    .sum();
                Some(Outcome {
                    results,
                    total_tasks: total,
                    finished_tasks: finished,
                })
            }
        }
    }
}
