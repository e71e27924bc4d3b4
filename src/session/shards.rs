//! Which tasks of a plan one shard runs.

use super::tasks::Positions;
use crate::batch::shard::{self, ShardSpec};
use crate::output_dir::OutputDir;
use crate::plan::Plan;

/// Positions (in the plan) of the tasks this run is responsible for.
pub(super) fn tasks_of(plan: &Plan, shard: Option<ShardSpec>, out: &OutputDir) -> Positions {
    let all = Positions::All(plan.tasks.len());
    let Some(shard) = shard else {
        return all;
    };
    let assignment = shard_assignment(plan, shard.count, out).0;
    all.filtered(|i| assignment[i] == shard.index)
}

/// Every task's shard: LPT on the predicted seconds that `gridrun estimate`
/// saved in the output folder, else round-robin over the sorted task ids.
/// Also returns the balance (max / mean predicted seconds per shard).
pub fn shard_assignment(
    plan: &Plan,
    count: usize,
    out: &OutputDir,
) -> (Vec<usize>, shard::Balance) {
    let predicted: Vec<Option<f64>> = match crate::estimate::saved_task_costs(out.path(), plan) {
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
