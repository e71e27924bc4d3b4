//! Successive halving as batches: round 0 runs every candidate with the
//! fewest resources; each next round keeps the best of the last one
//! ([`halving::top_k`] on the refit metric's mean) with more resources.

use super::halving::{self, DataFacts, HalvingSpec, Round, Schedule};
use crate::config::Config;
use crate::data::CacheHeader;
use crate::params::Params;
use crate::plan::{Plan, RoundInfo};
use crate::results::cv_results::{CvResults, RoundCount};
use crate::results::tally::Tally;
use crate::results::TaskRecord;
use crate::session::write;
use std::collections::HashSet;

/// A halving search in progress.
pub struct HalvingRun {
    spec: HalvingSpec,
    candidates: Vec<Params>,
    pub schedule: Schedule,
    n_samples: u64,
    /// The rounds planned so far (the last one is running or ran).
    pub rounds: Vec<Plan>,
}

/// What the schedule needs from the data, as scikit-learn counts it.
pub fn data_facts(config: &Config, header: &CacheHeader) -> DataFacts {
    DataFacts {
        n_samples: header.n_rows as u64,
        n_splits: config.cv.folds * config.cv.repeats,
        n_classes: header.target.n_classes(),
    }
}

/// The rounds of a halving config on this data.
pub fn schedule_of(config: &Config, header: &CacheHeader) -> Result<Schedule, String> {
    let spec = config
        .search
        .halving
        .as_ref()
        .ok_or("not a halving search")?;
    spec.schedule(config.settings.len(), &data_facts(config, header))
}

impl HalvingRun {
    pub fn new(config: &Config, header: &CacheHeader) -> anyhow::Result<HalvingRun> {
        let spec = config
            .search
            .halving
            .clone()
            .ok_or_else(|| anyhow::anyhow!("not a halving search"))?;
        let schedule = schedule_of(config, header)
            .map_err(|e| anyhow::anyhow!("{}: search: {e}", config.path.display()))?;
        Ok(HalvingRun {
            spec,
            candidates: config.settings.clone(),
            schedule,
            n_samples: header.n_rows as u64,
            rounds: Vec::new(),
        })
    }

    fn round_info(&self, iter: usize) -> RoundInfo {
        RoundInfo {
            iter,
            n_resources: self.schedule.rounds[iter].n_resources,
            resource: self.spec.resource.clone(),
            n_samples: self.n_samples,
        }
    }

    /// Every task any round may run: each candidate at each round's resources.
    pub fn all_plans(&self, config: &Config) -> Vec<Plan> {
        (0..self.schedule.rounds.len())
            .map(|i| Plan::for_round(config, self.candidates.clone(), self.round_info(i)))
            .collect()
    }

    /// The next round, from the records of the last one; None after the last.
    pub fn next_round(&mut self, config: &Config, last: &[TaskRecord]) -> Option<&Plan> {
        let tally = self
            .rounds
            .last()
            .map(|plan| Tally::of_records(plan, &config.metrics, last));
        self.next_round_after(config, tally.as_ref())
    }

    /// The next round, from the tally of the last one; None after the last.
    pub fn next_round_after(&mut self, config: &Config, last: Option<&Tally>) -> Option<&Plan> {
        let iter = self.rounds.len();
        if iter >= self.schedule.rounds.len() {
            return None;
        }
        let settings = match (self.rounds.last(), last) {
            (Some(previous), Some(last)) => {
                let scores = round_scores(config, previous, last);
                let keep = self.schedule.rounds[iter].n_candidates;
                halving::top_k(&scores, keep)
                    .into_iter()
                    .map(|i| previous.settings[i].clone())
                    .collect()
            }
            _ => self.candidates.clone(),
        };
        let plan = Plan::for_round(config, settings, self.round_info(iter));
        self.rounds.push(plan);
        self.rounds.last()
    }

    /// Plans the rounds `records` finished (each task has a record, ok or
    /// failed), then the first one they did not, and returns its index
    /// (None: every round finished). Survivors come from the records as in
    /// a run, so every machine reading the same journals plans the same
    /// rounds: how `gridrun slurm --submit`, its array tasks and `merge`
    /// agree on a round's tasks without passing them around.
    pub fn replay(&mut self, config: &Config, records: &[TaskRecord]) -> Option<usize> {
        let ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        while let Some(plan) = self.next_round(config, records) {
            if !plan.tasks.iter().all(|t| ids.contains(t.id.as_str())) {
                return Some(self.rounds.len() - 1);
            }
        }
        None
    }

    /// Tasks of every round of the schedule.
    pub fn total_tasks(&self, config: &Config) -> usize {
        let n_splits = config.cv.folds * config.cv.repeats;
        self.schedule
            .rounds
            .iter()
            .map(|r| r.n_candidates * n_splits)
            .sum()
    }

    /// One row per setting x round run, the best from the last round.
    pub fn results(&self, config: &Config, records: &[TaskRecord]) -> Option<CvResults> {
        let tallies: Vec<Tally> = self
            .rounds
            .iter()
            .map(|plan| Tally::of_records(plan, &config.metrics, records))
            .collect();
        self.results_of_tallies(config, &tallies)
    }

    /// [`Self::results`] from each round's tally.
    pub fn results_of_tallies(&self, config: &Config, tallies: &[Tally]) -> Option<CvResults> {
        let tables: Vec<CvResults> = self
            .rounds
            .iter()
            .zip(tallies)
            .map(|(plan, tally)| {
                CvResults::from_tally(plan, &config.grid_keys, &config.refit, tally)
            })
            .collect();
        let counts = self
            .rounds
            .iter()
            .map(|plan| {
                let r = plan.round.as_ref().expect("a round's plan");
                RoundCount {
                    iter: r.iter,
                    n_candidates: plan.settings.len(),
                    n_resources: r.n_resources,
                }
            })
            .collect();
        let mut results = CvResults::concat_rounds(tables, counts)?;
        for (metric, _) in config.greater_is_better.iter().filter(|(_, &up)| !up) {
            results.rank_lower_better(metric);
        }
        Some(results)
    }
}

/// Mean refit-metric score of each setting of a round, greater better
/// (NaN: failed or not run).
fn round_scores(config: &Config, plan: &Plan, tally: &Tally) -> Vec<f64> {
    let results = write::results_of_tally(config, plan, tally);
    let up = config
        .greater_is_better
        .get(&config.refit)
        .copied()
        .unwrap_or(true);
    results
        .rows
        .iter()
        .map(|row| {
            let mean = row.test[&config.refit].mean;
            if up {
                mean
            } else {
                -mean
            }
        })
        .collect()
}

/// `gridrun plan`: the rounds before anything runs.
pub fn describe(spec: &HalvingSpec, schedule: &Schedule, n_splits: usize) -> Vec<String> {
    let resource = match &spec.resource {
        halving::Resource::NSamples => "n_samples".to_string(),
        halving::Resource::Param(p) => p.clone(),
    };
    let mut lines = vec![format!(
        "successive halving: factor {}, resource {resource} (min {}, max {}), {} rounds{}",
        spec.factor,
        schedule.min_resources,
        schedule.max_resources,
        schedule.rounds.len(),
        if spec.aggressive_elimination {
            ", aggressive elimination"
        } else {
            ""
        }
    )];
    for (
        i,
        Round {
            n_candidates,
            n_resources,
        },
    ) in schedule.rounds.iter().enumerate()
    {
        lines.push(format!(
            "  round {}: {n_candidates} candidates x {n_splits} splits = {} tasks, {n_resources} {resource} each",
            i + 1,
            n_candidates * n_splits
        ));
    }
    lines
}

/// Why a halving search cannot be split up front (`what`: the option).
pub fn refuse_split(config: &Config, what: &str) -> anyhow::Result<()> {
    if config.search.method == crate::config::Method::Halving {
        anyhow::bail!(
            "{}: {what}: successive halving cannot be split into shards up front: each round's candidates are known only when the round before ends; run it with `gridrun slurm --submit` (one job array per round, merged between rounds) or `gridrun run` (the rounds one after another here)",
            config.path.display()
        );
    }
    Ok(())
}

/// `gridrun plan` of a halving search: its rounds, planned on the data
/// (read, and cached in the output folder's cache, as a run would).
pub fn plan_lines(config: &Config) -> anyhow::Result<Vec<String>> {
    let Some(spec) = &config.search.halving else {
        return Ok(Vec::new());
    };
    let out = crate::output_dir::OutputDir::new(&config.run.output);
    let (_, header) = crate::data::prepare_optional(config.dataset.as_ref(), &out.cache_dir())?;
    let schedule = schedule_of(config, &header)
        .map_err(|e| anyhow::anyhow!("{}: search: {e}", config.path.display()))?;
    Ok(describe(
        spec,
        &schedule,
        config.cv.folds * config.cv.repeats,
    ))
}
