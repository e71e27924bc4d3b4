//! `gridrun estimate`: how many cores finish a plan by a deadline, and what
//! that costs on AWS, before a single expensive task runs.
//!
//! pilot (a few real tasks, timed) -> cost model (seconds per setting) ->
//! LPT schedule (cores for the deadline) -> instance choices (prices).

pub mod cloud;
pub mod costmodel;
pub mod deadline;
pub mod lpt;
mod pilot;
pub mod prices;
mod report;
pub mod rounds;

pub use cloud::CloudOptions;
pub use deadline::Deadline;
pub use report::{render_text, Report};
use report::{Context, MarginSource};

use crate::config::Config;
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use anyhow::{bail, Result};
use prices::PriceTable;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct EstimateOptions {
    pub deadline: Deadline,
    /// `--margin`; None: the cost model's own 90% upper bound.
    pub margin: Option<f64>,
    /// Budget for the pilot tasks.
    pub pilot_seconds: f64,
    pub jobs: Option<usize>,
    pub output: Option<PathBuf>,
    pub cloud: CloudOptions,
}

/// Arithmetic mode: `tasks` tasks of `task_seconds` each, no config; "this
/// machine" has one worker per core.
pub fn from_counts(
    tasks: usize,
    task_seconds: f64,
    opts: &EstimateOptions,
    prices: &PriceTable,
) -> Result<Report> {
    if tasks == 0 || task_seconds.is_nan() || task_seconds <= 0.0 {
        bail!("--tasks and --task-seconds must be more than 0");
    }
    let durations = vec![task_seconds; tasks];
    let ctx = Context {
        config: None,
        overhead: 0.0,
        workers_here: opts
            .jobs
            .filter(|&j| j > 0)
            .unwrap_or_else(crate::execute::cores),
        startup_seconds: 0.0,
        task_seconds: Some(task_seconds),
        margin: opts.margin.unwrap_or(0.0),
        margin_source: margin_source(opts.margin, None),
        model_error: None,
        halving: false,
    };
    Ok(Report::new(
        &[durations],
        &opts.deadline,
        &opts.cloud,
        prices,
        &ctx,
    ))
}

fn margin_source(given: Option<f64>, model: Option<costmodel::ModelError>) -> MarginSource {
    match (given, model) {
        (Some(_), _) => MarginSource::Given,
        (None, Some(_)) => MarginSource::Model,
        (None, None) => MarginSource::None,
    }
}

/// Pilot mode: time a sample of the config's real tasks, model the rest
/// (successive halving: round by round, see [`rounds`]).
pub fn from_config(config: &Config, opts: &EstimateOptions, prices: &PriceTable) -> Result<Report> {
    let output = opts
        .output
        .clone()
        .unwrap_or_else(|| config.run.output.clone());
    let halving = rounds::Rounds::of(config, &output)?;
    let plan = match &halving {
        Some(h) => h.pilot_plan.clone(),
        None => Plan::build(config),
    };
    let pilot = pilot::run(config, &plan, &output, opts)?;
    let model = costmodel::CostModel::fit(&plan.settings, &pilot.samples);
    let per_setting: Vec<f64> = plan.settings.iter().map(|s| model.predict(s)).collect();
    let batches = match &halving {
        Some(h) => h.durations(&per_setting, pilot.overhead),
        None => vec![plan
            .tasks
            .iter()
            .map(|t| per_setting[t.setting] + pilot.overhead)
            .collect()],
    };
    let cloud = CloudOptions {
        worker_peak_rss_bytes: Some(pilot.peak_rss_bytes),
        ..opts.cloud.clone()
    };
    let ctx = Context {
        config: Some(config.path.display().to_string()),
        overhead: pilot.overhead,
        workers_here: pilot.workers,
        startup_seconds: pilot.startup_seconds,
        task_seconds: None,
        margin: opts
            .margin
            .or(model.error.map(|e| e.margin()))
            .unwrap_or(0.0),
        margin_source: margin_source(opts.margin, model.error),
        model_error: model.error,
        halving: halving.is_some(),
    };
    let mut report = Report::new(&batches, &opts.deadline, &cloud, prices, &ctx);
    report.pilot = Some(pilot.summary(report.tasks));
    let costs: std::collections::BTreeMap<&str, f64> = match &halving {
        Some(h) => {
            report.rounds = Some(h.summary(&batches, pilot.workers));
            for (k, assumption) in h.assumptions().into_iter().enumerate() {
                report.assumptions.insert(1 + k, assumption);
            }
            h.task_costs(&per_setting, pilot.overhead)
        }
        None => plan
            .tasks
            .iter()
            .zip(&batches[0])
            .map(|(t, &d)| (t.id.as_str(), d))
            .collect(),
    };
    save(&output, &report)?;
    crate::results::atomic::write_text(
        &OutputDir::new(output).task_costs(),
        &serde_json::to_string(&costs)?,
    )?;
    Ok(report)
}

fn save(output: &Path, report: &Report) -> Result<()> {
    std::fs::create_dir_all(output)?;
    crate::results::atomic::write_text(
        &OutputDir::new(output).estimate(),
        &serde_json::to_string_pretty(report)?,
    )
}

/// The predicted wall time of a run with `workers` workers, if an estimate
/// was saved in `output` for that many workers.
pub fn saved_prediction(output: &Path, workers: usize) -> Option<f64> {
    let text = std::fs::read_to_string(OutputDir::new(output).estimate()).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let machine = &v["this_machine"];
    (machine["workers"].as_u64()? as usize == workers)
        .then(|| machine["predicted_wall_seconds"].as_f64())
        .flatten()
}

/// Predicted seconds of every task of `plan`, if `gridrun estimate` saved
/// them in `output` for this very plan (every id present).
pub fn saved_task_costs(output: &Path, plan: &Plan) -> Option<Vec<f64>> {
    let text = std::fs::read_to_string(OutputDir::new(output).task_costs()).ok()?;
    let costs: std::collections::HashMap<String, f64> = serde_json::from_str(&text).ok()?;
    plan.tasks
        .iter()
        .map(|t| costs.get(t.id.as_str()).copied())
        .collect()
}
