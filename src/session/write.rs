//! Writing a run's results: cv_results.csv, best.json (refitting the best
//! setting, whose worker writes best_model.bin), timeline.svg, report.html
//! and run.json,
//! announcing each step as a run event.

use crate::batch::shard::ShardSpec;
use crate::config::{Backend, Config};
use crate::data::CacheHeader;
use crate::execute::{self, Executor, RefitOutput, RefitRequest, RunEvent};
use crate::models;
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::report::{self, RunReporter};
use crate::results::atomic::write_text;
use crate::results::best::{Best, Importance};
use crate::results::cv_results::CvResults;
use crate::results::model_file;
use crate::results::session_log::SessionLog;
use crate::results::tally::Tally;
use crate::results::timeline::{self, RefitSpan};
use crate::results::timeline_log::TimelineLog;
use crate::results::TaskRecord;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::path::Path;

/// What the timeline is drawn from.
pub struct Records<'a> {
    /// This session's tasks (or, merging, every shard's).
    pub session: &'a TimelineLog,
    /// Reused from earlier runs (drawn as such in the timeline).
    pub reused: &'a [TaskRecord],
}

/// Where and with what the results are written.
pub struct Writer<'a> {
    pub config: &'a Config,
    pub out: &'a OutputDir,
    pub header: &'a CacheHeader,
    pub reporter: &'a mut dyn RunReporter,
}

/// The ranked table of a one-batch plan (grid or random search).
pub fn results_of(config: &Config, plan: &Plan, records: &[TaskRecord]) -> CvResults {
    results_of_tally(
        config,
        plan,
        &Tally::of_records(plan, &config.metrics, records),
    )
}

/// The ranked table of a plan from its tally.
pub fn results_of_tally(config: &Config, plan: &Plan, tally: &Tally) -> CvResults {
    let mut results = CvResults::from_tally(plan, &config.grid_keys, &config.refit, tally);
    for (metric, _) in config.greater_is_better.iter().filter(|(_, &up)| !up) {
        results.rank_lower_better(metric);
    }
    results
}

/// Tasks of `plan` that have a record.
pub fn finished_tasks(plan: &Plan, records: &[TaskRecord]) -> usize {
    let plan_ids: HashSet<&str> = plan.tasks.iter().map(|t| t.id.as_str()).collect();
    records
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| plan_ids.contains(id))
        .collect::<HashSet<_>>()
        .len()
}

impl Writer<'_> {
    fn event(&mut self, event: RunEvent) {
        self.reporter.run_event(&event);
    }

    /// Writes cv_results.csv, best.json (+ best_model.json when an executor
    /// is there to refit the best setting), timeline.svg and report.html;
    /// returns the summary table and why the refit failed, if it did.
    pub fn finish(
        &mut self,
        results: &CvResults,
        (total_tasks, finished_tasks): (usize, usize),
        records: &Records,
        slots: usize,
        refit: Option<&mut Box<dyn Executor>>,
    ) -> Result<(String, Option<String>)> {
        self.event(RunEvent::Writing {
            what: "cv_results.csv".into(),
        });
        crate::results::atomic::write_streamed(&self.out.cv_results(), |out| {
            results.write_csv(out)
        })?;
        let (refit_span, refit_error) = match results.best() {
            Some(index) => self.write_best(results, index, refit)?,
            None => {
                // No setting has a score: nothing earlier may pose as the best.
                remove_stale(&self.out.best())?;
                remove_model_files(self.out)?;
                (None, None)
            }
        };
        self.event(RunEvent::Writing {
            what: "timeline.svg and report.html".into(),
        });
        let session_log = records.session;
        write_text(
            &self.out.timeline(),
            &timeline::render(session_log, records.reused, slots, refit_span.as_ref()),
        )?;
        let input = report::html::Input {
            name: self.config.name.clone(),
            model: self.config.model.clone(),
            results,
            timeline: session_log,
            reused: records.reused,
            slots,
            refit: refit_span,
            total_tasks,
            finished_tasks,
        };
        report::html::write(&input, &self.out.report())?;
        Ok((report::summary::table(results, 10), refit_error))
    }

    /// Writes best.json, refitting the best setting on all rows (on every
    /// core of the run) when an executor is given and the config asks for
    /// it; the refitting worker writes best_model.bin and its manifest
    /// itself. Returns when the refit ran and why it failed (old model files
    /// are then removed: they would belong to another setting).
    fn write_best(
        &mut self,
        results: &CvResults,
        index: usize,
        executor: Option<&mut Box<dyn Executor>>,
    ) -> Result<(Option<RefitSpan>, Option<String>)> {
        let (config, header) = (self.config, self.header);
        let grid_params = &results.rows[index].params;
        // The refit's worker reads the model kind from the params; the saved
        // params are what the model was given.
        let refit_params = config.full_params(grid_params);
        let kind = config.model_of(grid_params).to_string();
        let (_, model_params) = models::split_kind(&refit_params);
        let mut best = Best::new(results, index, &kind, model_params.clone(), header);
        best.refit = config.refit_best;
        let executor = executor
            .filter(|_| config.refit_best)
            .filter(|_| config.task.as_ref().is_none_or(|t| t.refit_argv.is_some()));
        let Some(executor) = executor else {
            remove_model_files(self.out)?;
            write_text(&self.out.best(), &serde_json::to_string_pretty(&best)?)?;
            return Ok((None, None));
        };
        self.event(RunEvent::RefitStarted {
            rows: header.n_rows,
            setting: crate::params::describe(grid_params),
        });
        let request = RefitRequest {
            params: refit_params,
            seed: config.cv.seed,
            threads: refit_threads(executor.slots()),
            // A command task's refit command saves its own model.
            save_to: config.task.is_none().then(|| self.out.path().to_path_buf()),
        };
        let start = execute::now();
        let refit_result = executor.refit(&request);
        let span = RefitSpan {
            start,
            end: execute::now(),
            params: grid_params.clone(),
        };
        best.refit_start = Some(span.start);
        best.refit_end = Some(span.end);
        let mut refit_error = None;
        match refit_result {
            Ok(refit) => {
                self.event(RunEvent::RefitFinished { error: None });
                record_refit(&mut best, refit, header);
            }
            Err(e) => {
                let why = crate::config::one_line(&format!("{e:#}"));
                self.event(RunEvent::RefitFinished {
                    error: Some(why.clone()),
                });
                remove_model_files(self.out)?;
                best.refit_error = Some(why.clone());
                refit_error = Some(why);
            }
        }
        write_text(&self.out.best(), &serde_json::to_string_pretty(&best)?)?;
        Ok((Some(span), refit_error))
    }
}

/// The refit runs alone, so it gets the whole run's share of the cores
/// (workers x threads per worker, at most the cores).
fn refit_threads(slots: usize) -> usize {
    let per_task = execute::threads_per_task(slots);
    (slots.max(1) * per_task)
        .min(execute::cores())
        .max(per_task)
}

fn record_refit(best: &mut Best, refit: RefitOutput, header: &CacheHeader) {
    best.refit_seconds = Some(refit.fit_seconds);
    best.refit_worker_peak_rss_kb = Some(refit.peak_rss_kb).filter(|&kb| kb > 0);
    let names = refit
        .feature_names
        .unwrap_or_else(|| header.feature_names.clone());
    best.feature_importances = refit.feature_importances.map(|imp| {
        names
            .iter()
            .zip(imp)
            .map(|(f, importance)| Importance {
                feature: f.clone(),
                importance,
            })
            .collect()
    });
    if let Some(saved) = refit.saved {
        best.model_file = Some(model_file::BIN_FILE_NAME.to_string());
        best.model_file_bytes = Some(saved.bytes);
        best.model_write_seconds = Some(saved.seconds);
    }
}

/// Removes best_model.bin and best_model.json left by an earlier run.
fn remove_model_files(out: &OutputDir) -> Result<()> {
    remove_stale(&out.path().join(model_file::BIN_FILE_NAME))?;
    remove_stale(&out.best_model())
}

/// How one session went (run.json, or run.shard-I-of-N.json), for people
/// and for comparing with estimates.
pub struct RunInfo<'a> {
    pub backend: Backend,
    pub workers: usize,
    pub wall: f64,
    pub tasks: usize,
    pub session: &'a SessionLog,
    pub shard: Option<ShardSpec>,
}

pub fn write_run_info(config: &Config, out: &OutputDir, info: &RunInfo) -> Result<()> {
    let counts = &info.session.counts;
    let json = serde_json::json!({
        "name": config.name,
        "config": config.path,
        "model": config.model,
        "backend": info.backend,
        "workers": info.workers,
        "shard": info.shard.map(|s| s.to_string()),
        "tasks": info.tasks,
        "ran": counts.ran,
        "failed": counts.failed,
        "wall_seconds": info.wall,
        "busy_seconds": counts.busy_seconds,
        "utilisation": info.session.timeline.utilisation(info.workers),
        "peak_worker_rss_kb": counts.peak_worker_rss_kb,
        "coordinator_pid": std::process::id(),
        "gridrun_version": env!("CARGO_PKG_VERSION"),
    });
    write_text(
        &out.run_info(info.shard),
        &serde_json::to_string_pretty(&json)?,
    )
}

fn remove_stale(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("{}: cannot remove the stale file", path.display()))
        }
        _ => Ok(()),
    }
}
