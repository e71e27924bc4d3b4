//! report.html: one self-contained page (inline SVG, a little inline script,
//! no network) that shows a search at a glance: the best settings as a
//! sortable table, score against each hyperparameter, a heatmap over the
//! two most influential ones, parallel coordinates, and the worker timeline.
//!
//! Each section is one file returning an HTML fragment (candidates per round
//! for successive halving, one colour per model when a search spans several
//! models); adding one is a new file plus one line in [`sections`]. Charts are hand-written SVG: they need a tooltip (<title>)
//! per element and classes the page's script and the rendering tests use,
//! which plotters' SVG backend does not emit, and they are smaller:
//! examples/svg_compare.rs draws the same charts with plotters (run by
//! scripts/report_size.sh; figures in the README).
//!
//! Large searches stay small: the table shows the top settings, the
//! per-hyperparameter plots aggregate folds into boxes, the heatmap averages
//! over the other hyperparameters, parallel coordinates draw a deterministic
//! sample, and the timeline bins its bars beyond a few thousand tasks.

mod axes;
mod heatmap;
pub mod load;
mod models;
mod page;
mod parallel;
mod per_param;
mod rounds;
mod table;

use crate::params::Params;
use crate::results::cv_results::CvResults;
use crate::results::timeline::{self, RefitSpan};
use crate::results::timeline_log::TimelineLog;
use crate::results::TaskRecord;
use anyhow::{Context, Result};
use std::path::Path;

/// Everything the report shows.
pub struct Input<'a> {
    /// The config's name.
    pub name: String,
    pub model: String,
    pub results: &'a CvResults,
    /// Tasks drawn on the timeline (this run's, or every shard's).
    pub timeline: &'a TimelineLog,
    /// Tasks reused from earlier runs (their own grey timeline lanes).
    pub reused: &'a [TaskRecord],
    /// Worker slots of the run (0 when merging shards).
    pub slots: usize,
    pub refit: Option<RefitSpan>,
    /// Tasks in the plan, and how many have a record so far.
    pub total_tasks: usize,
    pub finished_tasks: usize,
}

impl Input<'_> {
    /// Settings with a score on the ranking metric, best first.
    fn scored(&self) -> Vec<usize> {
        let r = self.results;
        r.ranked()
            .into_iter()
            .filter(|&i| !r.rows[i].test[&r.refit].mean.is_nan())
            .collect()
    }

    fn mean(&self, setting: usize) -> f64 {
        self.results.rows[setting].test[&self.results.refit].mean
    }

    fn settings(&self) -> impl Iterator<Item = &Params> {
        self.results.rows.iter().map(|r| &r.params)
    }

    /// Hyperparameters with more than one value: the ones worth plotting.
    fn varied_keys(&self) -> Vec<axes::ParamAxis> {
        self.results
            .grid_keys
            .iter()
            .map(|k| axes::ParamAxis::of(k, self.settings()))
            .filter(|a| a.values.len() > 1)
            .collect()
    }
}

/// A titled part of the page; None when there is nothing to show.
struct Section {
    id: &'static str,
    title: String,
    body: String,
}

fn sections(input: &Input) -> Vec<Section> {
    let varied = input.varied_keys();
    let scored = input.scored();
    [
        Some(table::section(input)),
        rounds::section(input),
        models::section(input, &scored),
        per_param::section(input, &varied, &scored),
        heatmap::section(input, &varied, &scored),
        parallel::section(input, &varied, &scored),
        Some(Section {
            id: "timeline",
            title: "Workers over time".into(),
            body: timeline::render(
                input.timeline,
                input.reused,
                input.slots,
                input.refit.as_ref(),
            ),
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The whole page.
pub fn render(input: &Input) -> String {
    page::page(input, &sections(input))
}

/// Writes the page via a temporary file and a rename, so a browser (or a
/// second `gridrun report`) never sees half a page.
pub fn write(input: &Input, path: &Path) -> Result<()> {
    let tmp = path.with_extension(format!("html.tmp{}", std::process::id()));
    std::fs::write(&tmp, render(input))
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot replace", path.display()))
}
