//! Writing a run's results: cv_results.csv, best.json (refitting the best
//! setting for best_model.json), timeline.svg, report.html and run.json,
//! announcing each step as a run event.

use crate::batch::shard::ShardSpec;
use crate::config::{Backend, Config};
use crate::data::CacheHeader;
use crate::execute::{self, Executor, RunEvent};
use crate::models;
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::report::{self, RunReporter};
use crate::results::atomic::write_text;
use crate::results::best::{Best, Importance, SavedModel};
use crate::results::cv_results::CvResults;
use crate::results::timeline::{self, RefitSpan};
use crate::results::TaskRecord;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::path::Path;

/// The records the results are built from.
pub struct Records<'a> {
    /// Every record of the plan: reused and this session's.
    pub all: &'a [TaskRecord],
    pub session: &'a [TaskRecord],
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
    let mut results = CvResults::build(
        plan,
        &config.grid_keys,
        &config.metrics,
        &config.refit,
        records,
    );
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
        write_text(&self.out.cv_results(), &results.to_csv()?)?;
        let (refit_span, refit_error) = match results.best() {
            Some(index) => self.write_best(results, index, refit)?,
            None => {
                // No setting has a score: nothing earlier may pose as the best.
                remove_stale(&self.out.best())?;
                remove_stale(&self.out.best_model())?;
                (None, None)
            }
        };
        self.event(RunEvent::Writing {
            what: "timeline.svg and report.html".into(),
        });
        write_text(
            &self.out.timeline(),
            &timeline::render(records.session, records.reused, slots, refit_span.as_ref()),
        )?;
        let input = report::html::Input {
            name: self.config.name.clone(),
            model: self.config.model.clone(),
            results,
            records: records.session,
            reused: records.reused,
            slots,
            refit: refit_span,
            total_tasks,
            finished_tasks,
        };
        report::html::write(&input, &self.out.report())?;
        Ok((report::summary::table(results, 10), refit_error))
    }

    /// Writes best.json, refitting the best setting on all rows when an
    /// executor is given; returns when the refit ran and why it failed (the
    /// old best_model.json is then removed: it would belong to another setting).
    fn write_best(
        &mut self,
        results: &CvResults,
        index: usize,
        executor: Option<&mut Box<dyn Executor>>,
    ) -> Result<(Option<RefitSpan>, Option<String>)> {
        let (config, header) = (self.config, self.header);
        let model_path = self.out.best_model();
        let mut refit_error = None;
        let grid_params = &results.rows[index].params;
        // The refit's worker reads the model kind from the params; the saved
        // params are what the model was given.
        let refit_params = config.full_params(grid_params);
        let kind = config.model_of(grid_params).to_string();
        let (_, model_params) = models::split_kind(&refit_params);
        let executor =
            executor.filter(|_| config.task.as_ref().is_none_or(|t| t.refit_argv.is_some()));
        let mut best = Best::new(results, index, &kind, model_params.clone(), header);
        let start = execute::now();
        if executor.is_some() {
            self.event(RunEvent::RefitStarted {
                rows: header.n_rows,
                setting: crate::params::describe(grid_params),
            });
        }
        let refit_result = executor.map(|e| e.refit(&refit_params, config.cv.seed));
        let span = refit_result.as_ref().map(|_| RefitSpan {
            start,
            end: execute::now(),
            params: grid_params.clone(),
        });
        best.refit_start = span.as_ref().map(|s| s.start);
        best.refit_end = span.as_ref().map(|s| s.end);
        match refit_result {
            Some(Ok(refit)) => {
                self.event(RunEvent::RefitFinished { error: None });
                best.refit_seconds = Some(refit.fit_seconds);
                let names = refit
                    .feature_names
                    .clone()
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
                if let Some(fitted) = refit.model {
                    let saved = SavedModel {
                        model: kind,
                        params: model_params,
                        feature_names: header.feature_names.clone(),
                        target_name: header.target_name.clone(),
                        target: header.target,
                        classes: header.classes.clone(),
                        fitted,
                        feature_kinds: header.kinds(),
                        na_values: header.na_values.clone(),
                        preprocess: refit.preprocess,
                    };
                    self.event(RunEvent::Writing {
                        what: "best_model.json".into(),
                    });
                    write_text(&model_path, &serde_json::to_string(&saved)?)?;
                }
            }
            Some(Err(e)) => {
                let why = crate::config::one_line(&format!("{e:#}"));
                self.event(RunEvent::RefitFinished {
                    error: Some(why.clone()),
                });
                remove_stale(&model_path)?;
                best.refit_error = Some(why.clone());
                refit_error = Some(why);
            }
            None => remove_stale(&model_path)?,
        }
        write_text(&self.out.best(), &serde_json::to_string_pretty(&best)?)?;
        Ok((span, refit_error))
    }
}

/// How one session went (run.json, or run.shard-I-of-N.json), for people
/// and for comparing with estimates.
pub struct RunInfo<'a> {
    pub backend: Backend,
    pub workers: usize,
    pub wall: f64,
    pub tasks: usize,
    pub session: &'a [TaskRecord],
    pub shard: Option<ShardSpec>,
}

pub fn write_run_info(config: &Config, out: &OutputDir, info: &RunInfo) -> Result<()> {
    let session = info.session;
    let busy: f64 = session.iter().map(|r| r.end - r.start).sum();
    let json = serde_json::json!({
        "name": config.name,
        "config": config.path,
        "model": config.model,
        "backend": info.backend,
        "workers": info.workers,
        "shard": info.shard.map(|s| s.to_string()),
        "tasks": info.tasks,
        "ran": session.len(),
        "failed": session.iter().filter(|r| !r.ok()).count(),
        "wall_seconds": info.wall,
        "busy_seconds": busy,
        "utilisation": timeline::utilisation(session, info.workers),
        "peak_worker_rss_kb": session.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0),
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
