//! The pilot: a small, deliberate sample of the real tasks (the extremes
//! of every numeric hyperparameter, the all-low and all-high settings, and
//! a few random ones; first fold only), timed on this machine's worker pool,
//! plus the pool's own per-task overhead measured on no-op tasks.

use super::report::PilotSummary;
use super::EstimateOptions;
use crate::config::{Backend, Config};
use crate::execute::{self, Event, Executor, Outcome, Policy, TaskMsg, WorkerSetup};
use crate::params::{ParamValue, Params};
use crate::plan::Plan;
use anyhow::{bail, Result};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::Instant;

/// No-op tasks per worker for measuring dispatch overhead.
const OVERHEAD_TASKS_PER_WORKER: usize = 50;
/// Random settings added to the extremes.
const RANDOM_SETTINGS: usize = 3;

pub struct Pilot {
    /// Grid settings and their measured seconds.
    pub samples: Vec<(Params, f64)>,
    /// Per-task dispatch overhead of the pool, seconds.
    pub overhead: f64,
    pub peak_rss_bytes: u64,
    pub workers: usize,
    /// Starting workers and preparing the data.
    pub startup_seconds: f64,
    pub seconds: f64,
}

impl Pilot {
    pub fn summary(&self, of_tasks: usize) -> PilotSummary {
        PilotSummary {
            tasks_timed: self.samples.len(),
            of_tasks,
            seconds: self.seconds,
            per_task_overhead_seconds: self.overhead,
            worker_peak_rss_bytes: self.peak_rss_bytes,
        }
    }
}

pub fn run(config: &Config, plan: &Plan, output: &Path, opts: &EstimateOptions) -> Result<Pilot> {
    let clock = Instant::now();
    let mut executor = execute::create(
        Backend::Process,
        opts.jobs.unwrap_or(config.run.jobs),
        &Policy::default(),
    )?;
    let (cache, _) = crate::data::prepare_optional(
        config.dataset.as_ref(),
        &crate::output_dir::OutputDir::new(output).cache_dir(),
    )?;
    let startup_seconds = clock.elapsed().as_secs_f64();
    let threads = execute::threads_per_task(executor.slots());
    let setup = |model: &str| WorkerSetup {
        cache: cache.clone(),
        model: model.into(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads,
        command: None,
    };
    let mut real_setup = setup(&config.model);
    real_setup.command =
        crate::command::setup(config, &cache, output, threads, &Policy::default())?;
    // The pool's overhead on no-op tasks (they need a dataset to map).
    let overhead = if config.dataset.is_some() {
        executor.start(&setup("debug"))?;
        dispatch_overhead(executor.as_mut())?
    } else {
        0.0
    };
    executor.start(&real_setup)?;
    let pilot_clock = Instant::now();
    let chosen = choose(&plan.settings, config.cv.seed);
    let mut samples = Vec::new();
    let mut peak_rss_kb = 0;
    for batch in chosen.chunks(executor.slots().max(1)) {
        if !samples.is_empty() && pilot_clock.elapsed().as_secs_f64() > opts.pilot_seconds {
            break;
        }
        let tasks: Vec<TaskMsg> = batch
            .iter()
            .map(|&s| first_fold_task(config, plan, s))
            .collect();
        for (index, outcome) in run_all(executor.as_mut(), &tasks)? {
            peak_rss_kb = peak_rss_kb.max(outcome.peak_rss_kb);
            if outcome.error.is_none() {
                samples.push((
                    plan.settings[plan.tasks[index].setting].clone(),
                    outcome.end - outcome.start,
                ));
            }
        }
    }
    if samples.is_empty() {
        bail!(
            "every pilot task failed: run `gridrun {}` to see why",
            config.path.display()
        );
    }
    Ok(Pilot {
        samples,
        overhead,
        peak_rss_bytes: peak_rss_kb * 1024,
        workers: executor.slots(),
        startup_seconds,
        seconds: pilot_clock.elapsed().as_secs_f64(),
    })
}

/// Runs tasks and returns (plan index, outcome) of each.
fn run_all(executor: &mut dyn Executor, tasks: &[TaskMsg]) -> Result<Vec<(usize, Outcome)>> {
    let mut done = Vec::with_capacity(tasks.len());
    executor.run(&crate::execute::Messages(tasks), &mut |e| {
        if let Event::Finished { index, outcome, .. } = e {
            done.push((index, outcome));
        }
    })?;
    Ok(done)
}

/// Wall time per task of the pool beyond the tasks' own run time.
fn dispatch_overhead(executor: &mut dyn Executor) -> Result<f64> {
    let n = OVERHEAD_TASKS_PER_WORKER * executor.slots();
    let tasks: Vec<TaskMsg> = (0..n)
        .map(|index| TaskMsg {
            index,
            params: Params::new(),
            repeat: 0,
            fold: 0,
            seed: 0,
            subsample: None,
        })
        .collect();
    let clock = Instant::now();
    let outcomes = run_all(executor, &tasks)?;
    let wall = clock.elapsed().as_secs_f64();
    let busy: f64 = outcomes.iter().map(|(_, o)| o.end - o.start).sum();
    Ok(((wall * executor.slots() as f64 - busy) / n as f64).max(0.0))
}

/// The task of setting `s` on the first fold of the first repeat.
fn first_fold_task(config: &Config, plan: &Plan, s: usize) -> TaskMsg {
    let index = plan
        .tasks
        .iter()
        .position(|t| t.setting == s && t.repeat == 0 && t.fold == 0)
        .unwrap_or(0);
    let t = &plan.tasks[index];
    TaskMsg {
        index,
        // With a halving round's hyperparameter resource, when there is one.
        params: plan.task_params(config, s),
        repeat: 0,
        fold: 0,
        seed: t.seed(),
        subsample: None,
    }
}

/// Settings to time, most informative first: all-high, all-low, each
/// numeric hyperparameter at its extremes, then a few at random.
pub fn choose(settings: &[Params], seed: u64) -> Vec<usize> {
    let keys: Vec<&String> = settings
        .iter()
        .flat_map(|s| s.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let score = |s: &Params, k: &str| {
        s.get(k).map_or(0.0, |v| match v {
            ParamValue::None => f64::INFINITY, // unlimited depth and the like: the slow end
            v => v.as_f64().unwrap_or(0.0),
        })
    };
    let rank_sum = |i: usize| {
        keys.iter()
            .map(|k| score(&settings[i], k).min(1e300).ln_1p().max(0.0))
            .sum::<f64>()
    };
    let mut out = Vec::new();
    let all: Vec<usize> = (0..settings.len()).collect();
    let mut push = |i: Option<usize>| {
        if let Some(i) = i {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    };
    push(
        all.iter()
            .copied()
            .max_by(|&a, &b| rank_sum(a).total_cmp(&rank_sum(b))),
    );
    push(
        all.iter()
            .copied()
            .min_by(|&a, &b| rank_sum(a).total_cmp(&rank_sum(b))),
    );
    // Several models: every model's all-high setting is timed too.
    for kind in kinds(settings) {
        push(
            all.iter()
                .copied()
                .filter(|&i| crate::models::kind_of(&settings[i]) == Some(kind))
                .max_by(|&a, &b| rank_sum(a).total_cmp(&rank_sum(b))),
        );
    }
    for k in &keys {
        push(
            all.iter()
                .copied()
                .max_by(|&a, &b| score(&settings[a], k).total_cmp(&score(&settings[b], k))),
        );
        push(
            all.iter()
                .copied()
                .min_by(|&a, &b| score(&settings[a], k).total_cmp(&score(&settings[b], k))),
        );
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..RANDOM_SETTINGS.min(settings.len()) {
        push(Some(rng.random_range(0..settings.len())));
    }
    out
}

/// The model kinds the settings name, in order of appearance.
fn kinds(settings: &[Params]) -> Vec<&str> {
    let mut kinds = Vec::new();
    for kind in settings.iter().filter_map(|s| crate::models::kind_of(s)) {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_first_then_random() {
        let axes = vec![
            crate::grid::Axis {
                name: "n".into(),
                values: vec![
                    ParamValue::Int(10),
                    ParamValue::Int(100),
                    ParamValue::Int(1000),
                ],
            },
            crate::grid::Axis {
                name: "d".into(),
                values: vec![ParamValue::Int(2), ParamValue::None],
            },
        ];
        let settings = crate::grid::product(&axes);
        let chosen = choose(&settings, 0);
        // all-high: n=1000, d=None; all-low: n=10, d=2
        assert_eq!(settings[chosen[0]]["n"], ParamValue::Int(1000));
        assert_eq!(settings[chosen[0]]["d"], ParamValue::None);
        assert_eq!(settings[chosen[1]]["n"], ParamValue::Int(10));
        assert!(chosen.len() >= 2 && chosen.len() <= settings.len());
        let mut unique = chosen.clone();
        unique.dedup();
        assert_eq!(unique.len(), chosen.len());
    }

    #[test]
    fn every_model_of_several_is_timed() {
        let setting = |kind: &str, n: i64| {
            let mut p = Params::new();
            p.insert("model".into(), ParamValue::Str(kind.into()));
            p.insert("n".into(), ParamValue::Int(n));
            p
        };
        let mut settings: Vec<Params> = (1..=40).map(|n| setting("a", n * 100)).collect();
        settings.push(setting("b", 1));
        settings.push(setting("b", 2));
        let chosen = choose(&settings, 0);
        // b's settings are neither extreme, yet its larger one is timed
        assert!(chosen.contains(&41), "{chosen:?}");
    }
}
