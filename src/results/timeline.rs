//! timeline.svg: one row per worker, one bar per task from its start to its
//! end; the title gives the run's utilisation, busy / (workers x wall).

use super::TaskRecord;
use std::fmt::Write;

pub const FILE_NAME: &str = "timeline.svg";

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 90.0;
const ROW: f64 = 22.0;
const TOP: f64 = 40.0;

/// Busy time over (workers x wall time), in [0, 1].
pub fn utilisation(records: &[TaskRecord], workers: usize) -> f64 {
    let (t0, t1) = span(records);
    let wall = t1 - t0;
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

pub fn render(records: &[TaskRecord], workers: usize) -> String {
    let (t0, t1) = span(records);
    let wall = (t1 - t0).max(1e-9);
    let height = TOP + ROW * workers as f64 + 30.0;
    let scale = (WIDTH - LEFT - 10.0) / wall;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="14">{} tasks on {workers} workers in {:.2} s, utilisation {:.1}%</text>"#,
        records.len(),
        if records.is_empty() { 0.0 } else { wall },
        100.0 * utilisation(records, workers)
    );
    for w in 0..workers {
        let y = TOP + ROW * w as f64;
        let _ = writeln!(svg, r#"<text x="10" y="{:.1}">worker {w}</text>"#, y + 15.0);
    }
    for r in records {
        let x = LEFT + (r.start - t0) * scale;
        let w = ((r.end - r.start) * scale).max(0.5);
        let y = TOP + ROW * r.worker as f64 + 2.0;
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
    let axis_y = TOP + ROW * workers as f64 + 18.0;
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="{axis_y:.1}">0 s</text><text x="{:.1}" y="{axis_y:.1}" text-anchor="end">{wall:.2} s</text>"#,
        WIDTH - 10.0
    );
    svg.push_str("</svg>\n");
    svg
}
