//! Hand-written SVG (what report.html and timeline.svg use) against plotters'
//! SVG backend, on the same data: the per-hyperparameter box plots and the
//! worker timeline of an output folder. Prints bytes and milliseconds side by
//! side. Run by scripts/report_size.sh:
//!
//!   cargo run --release --example svg_compare -- OUTPUT
//!
//! The plotters charts carry less than the hand-written ones (no tooltip per
//! element, no classes for the page's script and the DOM tests), so their
//! size is a lower bound for a plotters version of the same page.

use gridrun::params::ParamValue;
use gridrun::plan::Plan;
use gridrun::results::cv_results::CvResults;
use gridrun::results::{journal, timeline, TaskRecord};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// As the hand-written timeline: beyond this many tasks, bins per lane.
const BIN_ABOVE: usize = 3000;
const BINS: usize = 400;
/// As the hand-written box plots: at most this many boxes (neighbouring
/// values pooled).
const MAX_BOXES: usize = 40;

/// A timeline row: (shard, worker slot).
type Lane = (Option<String>, usize);

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: svg_compare OUTPUT"))?;
    let out = Path::new(&out);
    let config = gridrun::report::html::load::read_snapshot(out)?;
    let plan = Plan::build(&config);
    let records = journal::read_all(out)?;
    let results = CvResults::of_config(&config, &plan, &records);

    let log = gridrun::results::timeline_log::TimelineLog::from_records(&records);
    let (hand_report, report_ms) = timed(|| {
        let input = gridrun::report::html::Input {
            name: config.name.clone(),
            model: config.model.clone(),
            results: &results,
            timeline: &log,
            reused: &[],
            slots: 0,
            refit: None,
            total_tasks: plan.tasks.len(),
            finished_tasks: records.len(),
        };
        gridrun::report::html::render(&input)
    });
    let hand_params = section(&hand_report, "params");
    let (hand_timeline, hand_timeline_ms) = timed(|| timeline::render(&log, &[], 0, None));
    let (plot_params, plot_params_ms) = timed(|| plotters_boxes(&results));
    let (plot_timeline, plot_timeline_ms) = timed(|| plotters_timeline(&records));

    println!("{} tasks, {} settings", records.len(), results.rows.len());
    println!("{:<34} {:>12} {:>10}", "chart", "bytes", "ms");
    let row = |name: &str, bytes: usize, ms: f64| println!("{name:<34} {bytes:>12} {ms:>10.1}");
    // (drawn inside the report's render: its time is in the last row)
    row(
        "per-hyperparameter, hand-written",
        hand_params.len(),
        f64::NAN,
    );
    row(
        "per-hyperparameter, plotters",
        plot_params.len(),
        plot_params_ms,
    );
    row(
        "timeline, hand-written",
        hand_timeline.len(),
        hand_timeline_ms,
    );
    row("timeline, plotters", plot_timeline.len(), plot_timeline_ms);
    row(
        "whole report.html, hand-written",
        hand_report.len(),
        report_ms,
    );
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed().as_secs_f64() * 1000.0)
}

/// The `<section id="ID">` of the page (its charts and notes).
fn section(html: &str, id: &str) -> String {
    let start = format!("<section id=\"{id}\">");
    html.split(&start)
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or("")
        .to_string()
}

/// One box plot per varied hyperparameter: split scores per value.
fn plotters_boxes(results: &CvResults) -> String {
    let mut svg = String::new();
    for key in &results.grid_keys {
        // values by their text (a hash map: 10,000 values are possible)
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut by_value: Vec<(ParamValue, Vec<f64>)> = Vec::new();
        for row in &results.rows {
            let Some(v) = row.params.get(key) else {
                continue;
            };
            let splits = row.splits[&results.refit].iter().flatten().copied();
            let i = *index.entry(v.to_string()).or_insert_with(|| {
                by_value.push((v.clone(), Vec::new()));
                by_value.len() - 1
            });
            by_value[i].1.extend(splits);
        }
        if by_value.len() < 2 {
            continue;
        }
        by_value.sort_by(|a, b| match (a.0.as_f64(), b.0.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => std::cmp::Ordering::Equal,
        });
        let per = by_value.len().div_ceil(MAX_BOXES);
        let pooled: Vec<(ParamValue, Vec<f64>)> = by_value
            .chunks(per)
            .map(|c| {
                (
                    c[0].0.clone(),
                    c.iter().flat_map(|(_, s)| s.clone()).collect(),
                )
            })
            .collect();
        svg.push_str(&box_chart(key, &pooled));
    }
    svg
}

fn box_chart(key: &str, by_value: &[(ParamValue, Vec<f64>)]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 220)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        let all = by_value.iter().flat_map(|(_, s)| s.iter().copied());
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
        let labels: Vec<String> = by_value.iter().map(|(v, _)| v.to_string()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(key, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(
                (0..labels.len() as i32 - 1).into_segmented(),
                lo as f32..hi as f32,
            )
            .unwrap();
        chart
            .configure_mesh()
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .unwrap();
        chart
            .draw_series(by_value.iter().enumerate().map(|(i, (_, s))| {
                Boxplot::new_vertical(SegmentValue::CenterOf(i as i32), &Quartiles::new(s))
            }))
            .unwrap();
    }
    svg
}

/// Per (shard, worker) lane: (start, end, ok) of its tasks.
type Lanes = BTreeMap<Lane, Vec<(f64, f64, bool)>>;

/// One bar per task on its worker's lane (bins beyond BIN_ABOVE tasks).
fn plotters_timeline(records: &[TaskRecord]) -> String {
    let mut lanes: Lanes = BTreeMap::new();
    let t0 = records
        .iter()
        .map(|r| r.start)
        .fold(f64::INFINITY, f64::min);
    let t1 = records
        .iter()
        .map(|r| r.end)
        .fold(f64::NEG_INFINITY, f64::max);
    for r in records {
        lanes.entry((r.shard.clone(), r.worker)).or_default().push((
            r.start - t0,
            r.end - t0,
            r.ok(),
        ));
    }
    let span = (t1 - t0).max(1e-9);
    let mut svg = String::new();
    {
        let height = 60 + 24 * lanes.len() as u32;
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        let mut chart = ChartBuilder::on(&root)
            .caption("Workers over time", ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..span, 0f64..lanes.len() as f64)
            .unwrap();
        chart.configure_mesh().x_desc("seconds").draw().unwrap();
        for (lane, bars) in lanes.values().enumerate() {
            let y = lane as f64;
            let rects: Vec<(f64, f64, bool)> = if records.len() > BIN_ABOVE {
                binned(bars, span)
            } else {
                bars.clone()
            };
            chart
                .draw_series(rects.into_iter().map(|(a, b, ok)| {
                    let colour = if ok { BLUE.mix(0.7) } else { RED.mix(0.9) };
                    Rectangle::new([(a, y + 0.15), (b, y + 0.85)], colour.filled())
                }))
                .unwrap();
        }
    }
    svg
}

/// Busy bins of one lane: (start, end, all ok) per bin that had a task.
fn binned(bars: &[(f64, f64, bool)], span: f64) -> Vec<(f64, f64, bool)> {
    let width = span / BINS as f64;
    let mut bins: Vec<Option<bool>> = vec![None; BINS];
    for &(a, b, ok) in bars {
        let first = ((a / width) as usize).min(BINS - 1);
        let last = ((b / width) as usize).min(BINS - 1);
        for bin in &mut bins[first..=last] {
            *bin = Some(bin.unwrap_or(true) && ok);
        }
    }
    bins.iter()
        .enumerate()
        .filter_map(|(i, b)| b.map(|ok| (i as f64 * width, (i + 1) as f64 * width, ok)))
        .collect()
}
