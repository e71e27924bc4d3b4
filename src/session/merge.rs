//! `gridrun merge`: the results of shards run elsewhere, from every journal
//! in the folder.

use super::write::{self, Records, Writer};
use crate::config::Backend;
use crate::config::Config;
use crate::data::CacheHeader;
use crate::execute::{self, Policy, WorkerSetup};
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::report::StatusLine;
use crate::results::cv_results::CvResults;
use crate::results::timeline_log::TimelineLog;
use crate::results::TaskRecord;
use crate::results::{journal, lock};
use crate::strategy::halving_run::HalvingRun;
use anyhow::Result;
use std::collections::HashSet;
use std::path::Path;

/// How a merge ended.
pub struct MergeSummary {
    pub total: usize,
    pub finished: usize,
    pub failed: usize,
    /// Ids of tasks no journal has (with setting and fold, for people).
    pub missing: Vec<String>,
    pub table: String,
    pub refit_error: Option<String>,
}

/// Builds cv_results.csv, best.json and the timeline from every journal in
/// `output` (all shards), refitting the best setting here when the data is.
pub fn merge(output: &Path, quiet: bool) -> Result<MergeSummary> {
    let out = OutputDir::new(output);
    let config = crate::report::html::load::read_snapshot(output)?;
    let _lock = lock::acquire(output, None)?;
    let mut records = Vec::new();
    for file in out.journals() {
        let j = journal::read(&file)?;
        if j.torn_tail && !quiet {
            crate::errln!(
                "gridrun: {}: the last line was cut short by a crash and is ignored",
                file.display()
            );
        }
        records.extend(j.records);
    }
    let (cache, header) = super::prepare_data(&config, &out)?;
    let merged = Merged::of(&config, &header, &records)?;
    let have: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let tasks = || {
        merged
            .plans
            .iter()
            .flat_map(|p| p.tasks.iter().map(move |t| (p, t)))
    };
    let missing: Vec<String> = tasks()
        .filter(|(_, t)| !have.contains(t.id.as_str()))
        .map(|(plan, t)| {
            format!(
                "{} (setting {}: {}, repeat {}, fold {})",
                t.id,
                t.setting + 1,
                crate::params::describe(&plan.settings[t.setting]),
                t.repeat,
                t.fold
            )
        })
        .collect();
    let mut serial = execute::create(Backend::Serial, 1, &Policy::default())?;
    serial.start(&WorkerSetup {
        command: crate::command::setup(&config, &cache, output, 1, &Policy::default())?,
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads: execute::cores(),
    })?;
    let refit = (missing.is_empty() && merged.complete).then_some(&mut serial);
    let timeline = TimelineLog::from_records(&records);
    let set = Records {
        session: &timeline,
        reused: &[],
    };
    let mut status = StatusLine::new(quiet);
    let finished = tasks()
        .filter(|(_, t)| have.contains(t.id.as_str()))
        .count();
    let counts = (merged.total, finished);
    let (table, refit_error) = Writer {
        config: &config,
        out: &out,
        header: &header,
        reporter: &mut status,
    }
    .finish(&merged.results, counts, &set, 0, refit)?;
    let ok_ids: HashSet<&str> = records
        .iter()
        .filter(|r| r.ok())
        .map(|r| r.id.as_str())
        .collect();
    let failed = tasks()
        .filter(|(_, t)| have.contains(t.id.as_str()) && !ok_ids.contains(t.id.as_str()))
        .count();
    Ok(MergeSummary {
        total: merged.total,
        finished,
        failed,
        missing,
        table,
        refit_error,
    })
}

/// What the journals hold results for.
struct Merged {
    /// The plan, or the rounds of successive halving as far as the records
    /// go (the first unfinished round last).
    plans: Vec<Plan>,
    results: CvResults,
    /// Tasks of the whole search (every round's).
    total: usize,
    /// Every round ran (always, for a one-batch search).
    complete: bool,
}

impl Merged {
    fn of(config: &Config, header: &CacheHeader, records: &[TaskRecord]) -> Result<Merged> {
        if config.search.halving.is_none() {
            let plan = Plan::build(config);
            return Ok(Merged {
                results: write::results_of(config, &plan, records),
                total: plan.tasks.len(),
                plans: vec![plan],
                complete: true,
            });
        }
        let mut run = HalvingRun::new(config, header)?;
        let unfinished = run.replay(config, records);
        let results = run
            .results(config, records)
            .ok_or_else(|| anyhow::anyhow!("{}: no round to merge", config.path.display()))?;
        Ok(Merged {
            total: run.total_tasks(config),
            complete: unfinished.is_none(),
            plans: std::mem::take(&mut run.rounds),
            results,
        })
    }
}
