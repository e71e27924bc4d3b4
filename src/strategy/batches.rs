//! Which tasks run next: the search loop asks the strategy for a batch,
//! the session runs it and hands back its records, until the strategy has
//! nothing more to run. Grid and random search are one batch (their settings
//! are known from the config); successive halving is one batch per round.

use crate::config::Config;
use crate::plan::Plan;
use crate::results::TaskRecord;
use crate::session::write;
use crate::session::Outcome;
use std::collections::HashSet;

/// A search in progress.
pub enum Strategy {
    /// Grid or random search: every setting in one batch.
    OneBatch { plan: Plan, sent: bool },
}

/// What the session runs next.
pub struct Batch<'a> {
    pub plan: &'a Plan,
}

impl Strategy {
    pub fn new(config: &Config) -> Strategy {
        Strategy::OneBatch {
            plan: Plan::build(config),
            sent: false,
        }
    }

    /// Every task id a batch of this search may hold: earlier records of
    /// other ids belong to another plan.
    pub fn task_ids(&self) -> HashSet<&str> {
        match self {
            Strategy::OneBatch { plan, .. } => plan.tasks.iter().map(|t| t.id.as_str()).collect(),
        }
    }

    /// The next batch, given the records of the last one; None when done.
    pub fn next_batch(&mut self, _last: &[TaskRecord]) -> Option<Batch<'_>> {
        match self {
            Strategy::OneBatch { plan, sent } => {
                if *sent {
                    return None;
                }
                *sent = true;
                Some(Batch { plan })
            }
        }
    }

    /// The ranked table and the task counts, from every record of the folder.
    pub fn outcome(&self, config: &Config, records: &[TaskRecord]) -> Outcome {
        match self {
            Strategy::OneBatch { plan, .. } => Outcome {
                results: write::results_of(config, plan, records),
                total_tasks: plan.tasks.len(),
                finished_tasks: write::finished_tasks(plan, records),
            },
        }
    }
}
