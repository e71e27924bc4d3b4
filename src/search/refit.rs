//! After the search: best.json, and the best setting refit on all rows on
//! every core of the run. The worker that refits writes best_model.bin and
//! its best_model.json manifest itself; only their size and hash come back.

use crate::config::Config;
use crate::data::CacheHeader;
use crate::execute::{self, Executor, RefitOutput, RefitRequest};
use crate::report::StatusLine;
use crate::results::best::{self, Best, Importance};
use crate::results::cv_results::CvResults;
use crate::results::model_file;
use crate::results::timeline::RefitSpan;
use anyhow::{Context, Result};
use std::path::Path;

/// Writes best.json, refitting the best setting on all rows when an
/// executor is given and the config asks for it; returns when the refit ran
/// and why it failed (the old model files are then removed: they would
/// belong to another setting).
pub(super) fn write_best(
    config: &Config,
    results: &CvResults,
    index: usize,
    executor: Option<&mut Box<dyn Executor>>,
    header: &CacheHeader,
    output: &Path,
    status: &mut StatusLine,
) -> Result<(Option<RefitSpan>, Option<String>)> {
    let grid_params = &results.rows[index].params;
    let model_params = config.full_params(grid_params);
    let mut best = Best::new(results, index, &config.model, model_params.clone(), header);
    best.refit = config.refit_best;
    let executor = executor
        .filter(|_| config.refit_best)
        .filter(|_| config.task.as_ref().is_none_or(|t| t.refit_argv.is_some()));
    let Some(executor) = executor else {
        remove_model_files(output)?;
        super::write_file(
            &output.join(best::FILE_NAME),
            &serde_json::to_string_pretty(&best)?,
        )?;
        return Ok((None, None));
    };
    let threads = refit_threads(executor.slots());
    status.set(&format!(
        "refitting the best setting on all {} rows ({}) on {threads} {} and writing {}...",
        header.n_rows,
        crate::params::describe(grid_params),
        if threads == 1 { "thread" } else { "threads" },
        model_file::BIN_FILE_NAME
    ));
    let request = RefitRequest {
        params: model_params,
        seed: config.cv.seed,
        threads,
        // A command task's refit command saves its own model.
        save_to: config.task.is_none().then(|| output.to_path_buf()),
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
        Ok(refit) => record_refit(&mut best, refit, header),
        Err(e) => {
            let why = crate::config::one_line(&format!("{e:#}"));
            status.warn(&format!(
                "refitting the best setting on all rows failed: {why}; no best_model.bin"
            ));
            remove_model_files(output)?;
            best.refit_error = Some(why.clone());
            refit_error = Some(why);
        }
    }
    super::write_file(
        &output.join(best::FILE_NAME),
        &serde_json::to_string_pretty(&best)?,
    )?;
    Ok((Some(span), refit_error))
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
pub(super) fn remove_model_files(output: &Path) -> Result<()> {
    for name in [model_file::BIN_FILE_NAME, model_file::MANIFEST_FILE_NAME] {
        let path = output.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e)
                    .with_context(|| format!("{}: cannot remove the stale file", path.display()))
            }
            _ => {}
        }
    }
    Ok(())
}
