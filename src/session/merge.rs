//! `gridrun merge`: the results of shards run elsewhere, from every journal
//! in the folder.

use super::write::{self, Records, Writer};
use crate::config::Backend;
use crate::execute::{self, Policy, WorkerSetup};
use crate::output_dir::OutputDir;
use crate::plan::Plan;
use crate::report::StatusLine;
use crate::results::timeline_log::TimelineLog;
use crate::results::{journal, lock};
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
    crate::strategy::halving_run::refuse_split(&config, "gridrun merge")?;
    let plan = Plan::build(&config);
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
    let have: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let missing: Vec<String> = plan
        .tasks
        .iter()
        .filter(|t| !have.contains(t.id.as_str()))
        .map(|t| {
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
    let (cache, header) = super::prepare_data(&config, &out)?;
    let mut serial = execute::create(Backend::Serial, 1, &Policy::default())?;
    serial.start(&WorkerSetup {
        command: crate::command::setup(&config, &cache, output, 1, &Policy::default())?,
        cache,
        model: config.model.clone(),
        cv: config.cv.clone(),
        metrics: config.metrics.clone(),
        threads: execute::cores(),
    })?;
    let refit = missing.is_empty().then_some(&mut serial);
    let timeline = TimelineLog::from_records(&records);
    let set = Records {
        session: &timeline,
        reused: &[],
    };
    let mut status = StatusLine::new(quiet);
    let results = write::results_of(&config, &plan, &records);
    let counts = (plan.tasks.len(), write::finished_tasks(&plan, &records));
    let (table, refit_error) = Writer {
        config: &config,
        out: &out,
        header: &header,
        reporter: &mut status,
    }
    .finish(&results, counts, &set, 0, refit)?;
    let finished = plan.tasks.len() - missing.len();
    let ok_ids: HashSet<&str> = records
        .iter()
        .filter(|r| r.ok())
        .map(|r| r.id.as_str())
        .collect();
    let failed = plan
        .tasks
        .iter()
        .filter(|t| have.contains(t.id.as_str()) && !ok_ids.contains(t.id.as_str()))
        .count();
    Ok(MergeSummary {
        total: plan.tasks.len(),
        finished,
        failed,
        missing,
        table,
        refit_error,
    })
}
