//! `gridrun estimate` of successive halving, round by round. The pilot
//! times the candidates at one reference resource (every row for
//! `n_samples`, `max_resources` for a hyperparameter); a task of a round
//! then takes its candidate's predicted seconds x the round's resources /
//! the reference. Round 0 runs every candidate; which ones survive into
//! later rounds is known only when the round before ends, so each of a
//! later round's tasks is taken to last the mean of all candidates. The
//! rounds run one after another: the time of each is its own LPT schedule.

use super::lpt;
use crate::config::Config;
use crate::plan::{Plan, RoundInfo};
use crate::strategy::halving::{Resource, Schedule};
use crate::strategy::halving_run::HalvingRun;
use crate::units::format_duration;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One round as estimated.
#[derive(Debug, Clone, Serialize)]
pub struct RoundEstimate {
    /// From 0, as cv_results.csv's `iter`.
    pub iter: usize,
    pub candidates: usize,
    pub n_resources: u64,
    /// `n_samples` or the hyperparameter.
    pub resource: String,
    pub tasks: usize,
    /// The round's predicted task seconds added up (no margin).
    pub cpu_seconds: f64,
    /// The round on this machine's workers (LPT, no margin), from the end
    /// of the round before.
    pub wall_seconds: f64,
}

/// The rounds of a halving config on its data, and what the pilot times.
pub struct Rounds {
    schedule: Schedule,
    resource: Resource,
    /// The resources the pilot's tasks get.
    reference: u64,
    n_splits: usize,
    /// Every candidate at the reference resources: the plan the pilot
    /// samples and the cost model predicts.
    pub pilot_plan: Plan,
    /// Every task any round may run (for shard balancing).
    all: Vec<Plan>,
}

impl Rounds {
    /// None unless the config is a halving search; reads (and caches) the
    /// data, as `gridrun plan` does, for the schedule.
    pub fn of(config: &Config, output: &Path) -> Result<Option<Rounds>> {
        let Some(spec) = &config.search.halving else {
            return Ok(None);
        };
        let cache = crate::output_dir::OutputDir::new(output).cache_dir();
        let (_, header) = crate::data::prepare_optional(config.dataset.as_ref(), &cache)?;
        let run = HalvingRun::new(config, &header)?;
        let n_samples = header.n_rows as u64;
        let reference = match spec.resource {
            Resource::NSamples => n_samples,
            Resource::Param(_) => run.schedule.max_resources,
        };
        let info = RoundInfo {
            iter: 0,
            n_resources: reference,
            resource: spec.resource.clone(),
            n_samples,
        };
        Ok(Some(Rounds {
            pilot_plan: Plan::for_round(config, config.settings.clone(), info),
            all: run.all_plans(config),
            schedule: run.schedule,
            resource: spec.resource.clone(),
            reference,
            n_splits: config.cv.folds * config.cv.repeats,
        }))
    }

    /// A round's resources over the reference: the share of a pilot task's time.
    fn scale(&self, n_resources: u64) -> f64 {
        n_resources as f64 / self.reference.max(1) as f64
    }

    /// Each round's task seconds, from each candidate's predicted seconds
    /// at the reference resources and the per-task overhead.
    pub fn durations(&self, per_candidate: &[f64], overhead: f64) -> Vec<Vec<f64>> {
        let mean = per_candidate.iter().sum::<f64>() / per_candidate.len().max(1) as f64;
        self.schedule
            .rounds
            .iter()
            .enumerate()
            .map(|(iter, round)| {
                let scale = self.scale(round.n_resources);
                if iter == 0 {
                    per_candidate
                        .iter()
                        .flat_map(|&s| std::iter::repeat_n(s * scale + overhead, self.n_splits))
                        .collect()
                } else {
                    vec![mean * scale + overhead; round.n_candidates * self.n_splits]
                }
            })
            .collect()
    }

    /// Each round's figures, from [`Self::durations`].
    pub fn summary(&self, durations: &[Vec<f64>], workers: usize) -> Vec<RoundEstimate> {
        let resource = match &self.resource {
            Resource::NSamples => "n_samples".to_string(),
            Resource::Param(p) => p.clone(),
        };
        self.schedule
            .rounds
            .iter()
            .zip(durations)
            .enumerate()
            .map(|(iter, (round, tasks))| RoundEstimate {
                iter,
                candidates: round.n_candidates,
                n_resources: round.n_resources,
                resource: resource.clone(),
                tasks: tasks.len(),
                cpu_seconds: tasks.iter().sum(),
                wall_seconds: lpt::makespan(tasks, workers),
            })
            .collect()
    }

    /// Predicted seconds of every task any round may run: its candidate's
    /// at the round's resources (what shards balance on).
    pub fn task_costs(&self, per_candidate: &[f64], overhead: f64) -> BTreeMap<&str, f64> {
        let mut costs = BTreeMap::new();
        for plan in &self.all {
            let scale = plan
                .round
                .as_ref()
                .map_or(1.0, |r| self.scale(r.n_resources));
            for t in &plan.tasks {
                costs.insert(t.id.as_str(), per_candidate[t.setting] * scale + overhead);
            }
        }
        costs
    }

    /// What the figures rest on, for the report's assumptions.
    pub fn assumptions(&self) -> Vec<String> {
        let reference = match &self.resource {
            Resource::NSamples => format!("every row ({})", self.reference),
            Resource::Param(p) => format!("{p} = {}", self.reference),
        };
        vec![
            "successive halving: each round starts when the round before ends (the core counts and run times schedule each round on its own)".into(),
            format!("pilot tasks timed at {reference}; a task's time taken to grow in proportion to its round's resources"),
            "round 1 runs every candidate; later rounds' survivors are known only when the round before ends, so each of their tasks is taken to last the mean of all candidates".into(),
        ]
    }
}

/// The rounds in the text report, worded as `gridrun plan` words them.
pub fn lines(rounds: &[RoundEstimate]) -> Vec<String> {
    let mut out = vec![format!(
        "successive halving, {} rounds one after another:",
        rounds.len()
    )];
    for r in rounds {
        let splits = r.tasks / r.candidates.max(1);
        out.push(format!(
            "  round {}: {} candidates x {splits} splits = {} tasks, {} {} each: about {} here, {} of CPU",
            r.iter + 1,
            r.candidates,
            r.tasks,
            r.n_resources,
            r.resource,
            format_duration(r.wall_seconds),
            format_duration(r.cpu_seconds)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::halving::Round;

    fn rounds() -> Rounds {
        let schedule = Schedule {
            min_resources: 18.0,
            max_resources: 180,
            n_required_iterations: 3,
            n_possible_iterations: 3,
            n_iterations: 3,
            rounds: vec![
                Round {
                    n_candidates: 4,
                    n_resources: 20,
                },
                Round {
                    n_candidates: 2,
                    n_resources: 60,
                },
                Round {
                    n_candidates: 1,
                    n_resources: 180,
                },
            ],
        };
        Rounds {
            schedule,
            resource: Resource::NSamples,
            reference: 180,
            n_splits: 2,
            pilot_plan: Plan {
                settings: Vec::new(),
                folds: 2,
                repeats: 1,
                tasks: Vec::new(),
                round: None,
            },
            all: Vec::new(),
        }
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn rounds_scale_with_resources_and_later_rounds_take_the_mean() {
        let r = rounds();
        // 4 candidates: 9, 18, 27, 36 s on all 180 rows; mean 22.5 s.
        let durations = r.durations(&[9.0, 18.0, 27.0, 36.0], 0.5);
        assert!(
            close(&durations[0], &[1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5]),
            "each candidate x 2 splits at 20/180 of its time: {durations:?}"
        );
        assert!(close(&durations[1], &[8.0; 4]), "{durations:?}");
        assert!(close(&durations[2], &[23.0; 2]), "{durations:?}");
        let summary = r.summary(&durations, 2);
        let tasks: Vec<usize> = summary.iter().map(|s| s.tasks).collect();
        assert_eq!(tasks, vec![8, 4, 2]);
        let cpu: Vec<f64> = summary.iter().map(|s| s.cpu_seconds).collect();
        assert!(close(&cpu, &[24.0, 32.0, 46.0]), "{cpu:?}");
        // LPT on 2 workers: 4.5+3.5+2.5+1.5 on each; 2 x 8; 23 on each.
        let wall: Vec<f64> = summary.iter().map(|s| s.wall_seconds).collect();
        assert!(close(&wall, &[12.0, 16.0, 23.0]), "{wall:?}");
        let text = lines(&summary);
        assert_eq!(
            text[2],
            "  round 2: 2 candidates x 2 splits = 4 tasks, 60 n_samples each: about 16s here, 32s of CPU"
        );
    }
}
