//! `gridrun report OUTPUT`: the report from an output folder's journals
//! (every shard's), also while a run into it is still going.

use super::Input;
use crate::config::Config;
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::results::cv_results::CvResults;
use crate::results::journal;
use crate::results::timeline::RefitSpan;
use crate::results::timeline_log::TimelineLog;
use crate::results::TaskRecord;
use crate::strategy::halving_run::HalvingRun;
use anyhow::{anyhow, Context, Result};
use std::collections::HashSet;
use std::path::Path;

/// Builds the report from what the folder holds and writes it to `to`;
/// returns (finished tasks, tasks in the plan).
pub fn write_from_output(output: &Path, to: &Path) -> Result<(usize, usize)> {
    let config = read_snapshot(output)?;
    let plan = Plan::build(&config);
    let records = journal::read_all(output)?;
    let (results, plans, total_tasks) = match &config.search.halving {
        Some(_) => halving_rounds(&config, output, &records)?,
        None => {
            let results = CvResults::of_config(&config, &plan, &records);
            let total = plan.tasks.len();
            (results, vec![plan], total)
        }
    };
    let plan_ids: HashSet<&str> = plans
        .iter()
        .flat_map(|p| p.tasks.iter().map(|t| t.id.as_str()))
        .collect();
    let finished: HashSet<&str> = records
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| plan_ids.contains(id))
        .collect();
    let input = Input {
        name: config.name.clone(),
        model: config.model.clone(),
        results: &results,
        timeline: &TimelineLog::from_records(&records),
        reused: &[],
        slots: saved_workers(output),
        refit: saved_refit(output),
        total_tasks,
        finished_tasks: finished.len(),
    };
    super::write(&input, to)?;
    Ok((finished.len(), total_tasks))
}

/// A halving search's rounds as far as its journals go: each round's
/// survivors come from the round before's records, as in the run; a round
/// with no record yet ends the list. Returns the results, the rounds'
/// plans and the tasks of every round of the schedule.
fn halving_rounds(
    config: &Config,
    output: &Path,
    records: &[TaskRecord],
) -> Result<(CvResults, Vec<Plan>, usize)> {
    let cache = OutputDir::new(output).cache_dir();
    let (_, header) = crate::data::prepare_optional(config.dataset.as_ref(), &cache)?;
    let mut run = HalvingRun::new(config, &header)?;
    let ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    while let Some(plan) = run.next_round(config, records) {
        if !plan.tasks.iter().any(|t| ids.contains(t.id.as_str())) {
            run.rounds.pop();
            break;
        }
    }
    let n_splits = config.cv.folds * config.cv.repeats;
    let total = run
        .schedule
        .rounds
        .iter()
        .map(|r| r.n_candidates * n_splits)
        .sum();
    let results = run
        .results(config, records)
        .unwrap_or_else(|| CvResults::of_config(config, &Plan::build(config), &[]));
    Ok((results, std::mem::take(&mut run.rounds), total))
}

/// The resolved config a run saved in its output folder.
pub fn read_snapshot(output: &Path) -> Result<Config> {
    let snapshot = OutputDir::new(output).config_snapshot();
    let text = std::fs::read_to_string(&snapshot).with_context(|| {
        format!(
            "{}: cannot read (is this a gridrun output folder?)",
            snapshot.display()
        )
    })?;
    serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a gridrun config snapshot: {e}", snapshot.display()))
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Worker slots from run.json (0 when there is none, e.g. only shards).
fn saved_workers(output: &Path) -> usize {
    read_json(&OutputDir::new(output).run_info(None))
        .and_then(|v| v["workers"].as_u64())
        .unwrap_or(0) as usize
}

/// The refit's time span from best.json, when the best setting was refit.
fn saved_refit(output: &Path) -> Option<RefitSpan> {
    let v = read_json(&OutputDir::new(output).best())?;
    Some(RefitSpan {
        start: v["refit_start"].as_f64()?,
        end: v["refit_end"].as_f64()?,
        params: serde_json::from_value(v["best_params"].clone()).ok()?,
    })
}
