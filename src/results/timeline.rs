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

/// A bar to draw: its lane, where it starts on the time axis, its record.
struct Bar<'a> {
    lane: usize,
    x0: f64,
    record: &'a TaskRecord,
    reused: bool,
}

/// Reused tasks ran in earlier sessions, maybe days ago: their bars are drawn
/// in lanes of their own ("reused w0", ...), each lane's bars back to back in
/// the order they ran, on the same seconds scale as this run's.
fn reused_bars<'a>(reused: &'a [TaskRecord], first_lane: usize) -> (Vec<Bar<'a>>, Vec<String>) {
    let mut by_lane: std::collections::BTreeMap<(Option<&str>, usize), Vec<&TaskRecord>> =
        Default::default();
    for r in reused {
        by_lane
            .entry((r.shard.as_deref(), r.worker))
            .or_default()
            .push(r);
    }
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, ((shard, worker), mut records)) in by_lane.into_iter().enumerate() {
        records.sort_by(|a, b| a.start.total_cmp(&b.start));
        labels.push(shard.map_or(format!("reused w{worker}"), |s| {
            format!("reused {s} w{worker}")
        }));
        let mut x0 = 0.0;
        for record in records {
            bars.push(Bar {
                lane: first_lane + i,
                x0,
                record,
                reused: true,
            });
            x0 += (record.end - record.start).max(0.0);
        }
    }
    (bars, labels)
}

/// The chart: every task of the plan, this session's bars on their real
/// times and reused ones in their own lanes; `slots` is the run's worker
/// count (0 when merging shards).
pub fn render(records: &[TaskRecord], reused: &[TaskRecord], slots: usize) -> String {
    let lanes = lanes(records, slots);
    let (t0, t1) = span(records);
    let session_wall = if records.is_empty() { 0.0 } else { t1 - t0 };
    let mut bars: Vec<Bar> = records
        .iter()
        .map(|r| Bar {
            lane: lanes
                .iter()
                .position(|l| *l == (r.shard.as_deref(), r.worker))
                .unwrap_or(0),
            x0: r.start - t0,
            record: r,
            reused: false,
        })
        .collect();
    let (old, old_labels) = reused_bars(reused, lanes.len());
    bars.extend(old);
    let mut labels: Vec<String> = lanes
        .iter()
        .map(|(shard, worker)| {
            shard.map_or(format!("worker {worker}"), |s| format!("{s} w{worker}"))
        })
        .collect();
    labels.extend(old_labels);
    let wall = bars
        .iter()
        .map(|b| b.x0 + (b.record.end - b.record.start))
        .fold(session_wall, f64::max)
        .max(1e-9);
    let height = TOP + ROW * labels.len() as f64 + 30.0;
    let scale = (WIDTH - LEFT - 10.0) / wall;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let reused_note = if reused.is_empty() {
        String::new()
    } else {
        format!(", {} reused from earlier runs (grey)", reused.len())
    };
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="14">{} tasks on {} workers in {:.2} s, utilisation {:.1}%{reused_note}</text>"#,
        records.len(),
        lanes.len(),
        session_wall,
        100.0 * utilisation(records, slots)
    );
    for (row, label) in labels.iter().enumerate() {
        let y = TOP + ROW * row as f64 + 15.0;
        let _ = writeln!(svg, r#"<text x="10" y="{y:.1}">{label}</text>"#);
    }
    for bar in &bars {
        let r = bar.record;
        let x = LEFT + bar.x0 * scale;
        let w = ((r.end - r.start) * scale).max(0.5);
        let y = TOP + ROW * bar.lane as f64 + 2.0;
        let (color, what) = match (bar.reused, r.ok()) {
            (true, _) => ("#a8b3bd", "reused "),
            (false, true) => ("#4a90d9", ""),
            (false, false) => ("#d9534f", "failed "),
        };
        let _ = writeln!(
            svg,
            r#"<rect x="{x:.2}" y="{y:.1}" width="{w:.2}" height="{:.1}" fill="{color}" stroke="white" stroke-width="0.5"><title>{what}task {} fold {} pid {}: {:.3} s</title></rect>"#,
            ROW - 4.0,
            r.id,
            r.fold,
            r.pid,
            r.end - r.start
        );
    }
    let axis_y = TOP + ROW * labels.len() as f64 + 18.0;
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{axis_y:.1}">0 s</text><text x="{:.1}" y="{axis_y:.1}" text-anchor="end">{wall:.2} s</text>"#,
        WIDTH - 10.0
    );
    svg.push_str("</svg>\n");
    svg
}
