//! timeline.svg: one row per worker, one bar per task from its start to its
//! end; the title gives the run's utilisation, busy / (workers x wall).

use super::TaskRecord;
use std::fmt::Write;

pub const FILE_NAME: &str = "timeline.svg";

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 90.0;
const ROW: f64 = 22.0;
const TOP: f64 = 40.0;

/// One timeline row per (shard, worker slot) that ran something, plus idle
/// slots up to `slots` (workers of a single run that got no task).
fn lanes(records: &[TaskRecord], slots: usize) -> Vec<(Option<&str>, usize)> {
    let mut lanes: Vec<(Option<&str>, usize)> = records
        .iter()
        .map(|r| (r.shard.as_deref(), r.worker))
        .collect();
    if records.iter().all(|r| r.shard.is_none()) {
        lanes.extend((0..slots).map(|w| (None, w)));
    }
    lanes.sort();
    lanes.dedup();
    lanes
}

/// Busy time over (workers x wall time), in [0, 1].
pub fn utilisation(records: &[TaskRecord], slots: usize) -> f64 {
    let (t0, t1) = span(records);
    let wall = t1 - t0;
    let workers = lanes(records, slots).len();
    if wall <= 0.0 || workers == 0 {
        return 0.0;
    }
    records.iter().map(|r| r.end - r.start).sum::<f64>() / (workers as f64 * wall)
}

fn span(records: &[TaskRecord]) -> (f64, f64) {
    let t0 = records
        .iter()
        .map(|r| r.start)
        .fold(f64::INFINITY, f64::min);
    let t1 = records
        .iter()
        .map(|r| r.end)
        .fold(f64::NEG_INFINITY, f64::max);
    (t0, t1)
}

/// The chart; `slots` is the run's worker count (0 when merging shards).
pub fn render(records: &[TaskRecord], slots: usize) -> String {
    let lanes = lanes(records, slots);
    let (t0, t1) = span(records);
    let wall = (t1 - t0).max(1e-9);
    let height = TOP + ROW * lanes.len() as f64 + 30.0;
    let scale = (WIDTH - LEFT - 10.0) / wall;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="14">{} tasks on {} workers in {:.2} s, utilisation {:.1}%</text>"#,
        records.len(),
        lanes.len(),
        if records.is_empty() { 0.0 } else { wall },
        100.0 * utilisation(records, slots)
    );
    for (row, (shard, worker)) in lanes.iter().enumerate() {
        let y = TOP + ROW * row as f64 + 15.0;
        let label = shard.map_or(format!("worker {worker}"), |s| format!("{s} w{worker}"));
        let _ = writeln!(svg, r#"<text x="10" y="{y:.1}">{label}</text>"#);
    }
    for r in records {
        let row = lanes
            .iter()
            .position(|l| *l == (r.shard.as_deref(), r.worker))
            .unwrap_or(0);
        let x = LEFT + (r.start - t0) * scale;
        let w = ((r.end - r.start) * scale).max(0.5);
        let y = TOP + ROW * row as f64 + 2.0;
        let color = if r.ok() { "#4a90d9" } else { "#d9534f" };
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.2}" y="{y:.1}" width="{w:.2}" height="{:.1}" fill="{color}" stroke="white" stroke-width="0.5"><title>task {} fold {} pid {}: {:.3} s</title></rect>"#,
            ROW - 4.0,
            r.id,
            r.fold,
            r.pid,
            r.end - r.start
        );
    }
    let axis_y = TOP + ROW * lanes.len() as f64 + 18.0;
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{axis_y:.1}">0 s</text><text x="{:.1}" y="{axis_y:.1}" text-anchor="end">{wall:.2} s</text>"#,
        WIDTH - 10.0
    );
    svg.push_str("</svg>\n");
    svg
}
