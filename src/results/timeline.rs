//! timeline.svg: one row per worker, one bar per task from its start to its
//! end, and a row for refitting the best setting; a time axis with ticks, a
//! legend, and a tooltip per bar with the setting, fold and scores. The title
//! gives the run's utilisation, busy / (workers x wall). Beyond
//! [`MAX_BARS`] tasks, each row is drawn as time bins (tasks per bin in the
//! tooltip) so the file stays small. Tasks reused from earlier runs are
//! drawn in grey lanes of their own ("reused w0", ...), back to back on the
//! same seconds scale, so the chart shows every task of the plan.

use super::timeline_log::{Cell, TimelineLog, MAX_BARS};
use super::TaskRecord;
use crate::params::{describe, Params};
use crate::report::svg::{duration_label, esc, ticks};
use std::fmt::Write;

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;
const ROW: f64 = 22.0;
const TOP: f64 = 58.0;
const BINS: usize = 400;
const OK: &str = "#4a90d9";
const FAILED: &str = "#d9534f";
const REFIT: &str = "#2e9d57";
const REUSED: &str = "#a8b3bd";

/// Refitting the best setting on all rows, after the search.
#[derive(Debug, Clone, PartialEq)]
pub struct RefitSpan {
    pub start: f64,
    pub end: f64,
    pub params: Params,
}

/// Busy time over (workers x wall time), in [0, 1].
pub fn utilisation(records: &[TaskRecord], slots: usize) -> f64 {
    TimelineLog::from_records(records).utilisation(slots)
}

/// Maps times to x positions.
struct Scale {
    t0: f64,
    per_second: f64,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        LEFT + (t - self.t0) * self.per_second
    }
}

/// Reused tasks ran in earlier sessions, maybe days ago: copies of their
/// records moved into lanes of their own, each lane's tasks back to back
/// from `origin` in the order they ran; returns them with the lane labels.
fn reused_lanes(reused: &[TaskRecord], origin: f64) -> (Vec<(usize, TaskRecord)>, Vec<String>) {
    let mut by_lane: std::collections::BTreeMap<(Option<&str>, usize), Vec<&TaskRecord>> =
        Default::default();
    for r in reused {
        by_lane
            .entry((r.shard.as_deref(), r.worker))
            .or_default()
            .push(r);
    }
    let mut moved = Vec::with_capacity(reused.len());
    let mut labels = Vec::new();
    for (lane, ((shard, worker), mut records)) in by_lane.into_iter().enumerate() {
        records.sort_by(|a, b| a.start.total_cmp(&b.start));
        labels.push(shard.map_or(format!("reused w{worker}"), |s| {
            format!("reused {s} w{worker}")
        }));
        let mut t = origin;
        for r in records {
            let length = (r.end - r.start).max(0.0);
            let mut copy = r.clone();
            copy.start = t;
            copy.end = t + length;
            t += length;
            moved.push((lane, copy));
        }
    }
    (moved, labels)
}

/// The chart: this session's tasks on their real times, reused ones in
/// their own lanes, and the refit; `slots` is the run's worker count (0
/// when merging shards).
pub fn render(
    session: &TimelineLog,
    reused: &[TaskRecord],
    slots: usize,
    refit: Option<&RefitSpan>,
) -> String {
    let lanes = session.lanes(slots);
    let (mut t0, mut t1) = session.span().unwrap_or((f64::INFINITY, f64::NEG_INFINITY));
    let origin = match (session.span(), refit) {
        (Some((start, _)), _) => start,
        (None, Some(r)) => r.start,
        (None, None) => 0.0,
    };
    let (old, old_labels) = reused_lanes(reused, origin);
    for (_, r) in &old {
        t0 = t0.min(r.start);
        t1 = t1.max(r.end);
    }
    if let Some(r) = refit {
        t0 = t0.min(r.start);
        t1 = t1.max(r.end);
    }
    let wall = if t1 > t0 { t1 - t0 } else { 1e-9 };
    let task_rows = lanes.len() + old_labels.len();
    let rows = task_rows + usize::from(refit.is_some());
    let height = TOP + ROW * rows as f64 + 34.0;
    let scale = Scale {
        t0,
        per_second: (WIDTH - LEFT - RIGHT) / wall,
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let session_wall = match session.span() {
        Some((a, b)) if b > a => b - a,
        _ => 0.0,
    };
    let reused_note = match reused.len() {
        0 => String::new(),
        n => format!(", {n} reused from earlier runs (grey)"),
    };
    let _ = writeln!(
        svg,
        r#"<text x="10" y="18" font-size="14">{} tasks on {} workers in {}, utilisation {:.1}%{reused_note}</text>"#,
        session.len(),
        lanes.len(),
        duration_label(session_wall),
        100.0 * session.utilisation(slots)
    );
    svg.push_str(&legend(refit.is_some(), !reused.is_empty()));
    svg.push_str(&axis(&scale, wall, TOP + ROW * rows as f64));
    let labels = lanes
        .iter()
        .map(|(shard, worker)| {
            shard
                .as_ref()
                .map_or(format!("worker {worker}"), |s| format!("{s} w{worker}"))
        })
        .chain(old_labels);
    for (row, label) in labels.enumerate() {
        let y = TOP + ROW * row as f64 + 15.0;
        let _ = writeln!(svg, r#"<text x="10" y="{y:.1}">{}</text>"#, esc(&label));
    }
    let row_of = |r: &TaskRecord| {
        lanes
            .iter()
            .position(|(shard, worker)| {
                shard.as_deref() == r.shard.as_deref() && *worker == r.worker
            })
            .unwrap_or(0)
    };
    match session
        .records()
        .filter(|r| r.len() + old.len() <= MAX_BARS)
    {
        Some(records) => {
            for r in records {
                svg.push_str(&task_bar(r, row_of(r), &scale, false));
            }
            for (lane, r) in &old {
                svg.push_str(&task_bar(r, lanes.len() + lane, &scale, true));
            }
        }
        None => {
            for (row, lane) in lanes.iter().enumerate() {
                let cells = session.rebinned(lane, t0, wall, BINS);
                svg.push_str(&cell_bars(&cells, row, &scale, wall, OK));
            }
            let moved: Vec<TaskRecord> = old.iter().map(|(_, r)| r.clone()).collect();
            let lane_of: std::collections::HashMap<&str, usize> =
                old.iter().map(|(lane, r)| (r.id.as_str(), *lane)).collect();
            let old_row = |r: &TaskRecord| lanes.len() + lane_of[r.id.as_str()];
            svg.push_str(&binned_bars(
                &moved, task_rows, &old_row, &scale, wall, REUSED,
            ));
        }
    }
    if let Some(r) = refit {
        svg.push_str(&refit_bar(r, task_rows, &scale));
    }
    svg.push_str("</svg>\n");
    svg
}

fn legend(with_refit: bool, with_reused: bool) -> String {
    let mut items = vec![(OK, "task"), (FAILED, "failed task")];
    if with_reused {
        items.push((REUSED, "reused from an earlier run"));
    }
    if with_refit {
        items.push((REFIT, "refit of the best setting on all rows"));
    }
    let mut s = String::from(r#"<g class="legend">"#);
    let mut x = LEFT;
    for (colour, label) in items {
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="28" width="12" height="12" fill="{colour}"/><text x="{:.1}" y="38">{label}</text>"#,
            x + 16.0
        );
        x += 16.0 + 7.0 * label.len() as f64 + 24.0;
    }
    s.push_str("</g>\n");
    s
}

/// Gridlines and labelled ticks under the rows.
fn axis(scale: &Scale, wall: f64, bottom: f64) -> String {
    let mut s = String::from(r##"<g class="axis" stroke="#ddd">"##);
    let mut labels = String::new();
    for t in ticks(0.0, wall, 8) {
        let x = scale.x(scale.t0 + t);
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
            TOP - 4.0,
            bottom + 4.0
        );
        let _ = write!(
            labels,
            r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            bottom + 18.0,
            duration_label(t)
        );
    }
    s.push_str("</g>");
    s.push_str(&labels);
    s.push('\n');
    s
}

fn task_bar(r: &TaskRecord, row: usize, scale: &Scale, reused: bool) -> String {
    let x = scale.x(r.start);
    let w = ((r.end - r.start) * scale.per_second).max(0.5);
    let y = TOP + ROW * row as f64 + 2.0;
    let (colour, class) = match (reused, r.ok()) {
        (true, _) => (REUSED, "task reused"),
        (false, true) => (OK, "task"),
        (false, false) => (FAILED, "task failed"),
    };
    format!(
        "<rect class=\"{class}\" x=\"{x:.2}\" y=\"{y:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{colour}\" stroke=\"white\" stroke-width=\"0.5\"><title>{}</title></rect>\n",
        ROW - 4.0,
        esc(&task_tooltip(r))
    )
}

/// Setting, split, times and scores (or the error) of one task.
pub fn task_tooltip(r: &TaskRecord) -> String {
    let mut t = format!(
        "{}\nrepeat {}, fold {}; worker {} (pid {})\n{:.3} s (fit {:.3} s, score {:.3} s)",
        describe_or_defaults(&r.params),
        r.repeat,
        r.fold,
        r.worker,
        r.pid,
        r.end - r.start,
        r.fit_seconds,
        r.score_seconds
    );
    for (metric, score) in &r.scores {
        let _ = write!(t, "\n{metric} {score:.4}");
    }
    if let Some(e) = &r.error {
        let _ = write!(t, "\nfailed: {}", crate::report::summary::last_line(e));
    }
    t
}

fn describe_or_defaults(params: &Params) -> String {
    if params.is_empty() {
        "(model defaults)".into()
    } else {
        describe(params)
    }
}

fn refit_bar(r: &RefitSpan, row: usize, scale: &Scale) -> String {
    let y = TOP + ROW * row as f64;
    let x = scale.x(r.start);
    let w = ((r.end - r.start) * scale.per_second).max(0.5);
    format!(
        "<text x=\"10\" y=\"{:.1}\">refit</text><rect class=\"refit\" x=\"{x:.2}\" y=\"{:.1}\" width=\"{w:.2}\" height=\"{:.1}\" fill=\"{REFIT}\"><title>{}</title></rect>\n",
        y + 15.0,
        y + 2.0,
        ROW - 4.0,
        esc(&format!(
            "refit of the best setting on all rows\n{}\n{:.3} s",
            describe_or_defaults(&r.params),
            r.end - r.start
        ))
    )
}

/// For many tasks: per row, BINS time bins whose opacity is the busy share;
/// red where a task in the bin failed.
fn binned_bars(
    records: &[TaskRecord],
    rows: usize,
    row_of: &dyn Fn(&TaskRecord) -> usize,
    scale: &Scale,
    wall: f64,
    ok_colour: &str,
) -> String {
    let bin = wall / BINS as f64;
    // (busy seconds, tasks started, failed) per row and bin
    let mut cells = vec![vec![(0.0f64, 0usize, 0usize); BINS]; rows];
    for r in records {
        let row = &mut cells[row_of(r)];
        let first = (((r.start - scale.t0) / bin) as usize).min(BINS - 1);
        let last = (((r.end - scale.t0) / bin) as usize).min(BINS - 1);
        row[first].1 += 1;
        if !r.ok() {
            row[first].2 += 1;
        }
        for (k, cell) in row.iter_mut().enumerate().take(last + 1).skip(first) {
            let (lo, hi) = (scale.t0 + k as f64 * bin, scale.t0 + (k + 1) as f64 * bin);
            cell.0 += (r.end.min(hi) - r.start.max(lo)).max(0.0);
        }
    }
    let mut s = String::new();
    for (row, bins) in cells.iter().enumerate() {
        let bins: Vec<Cell> = bins
            .iter()
            .map(|&(busy, started, failed)| Cell {
                busy,
                started,
                failed,
            })
            .collect();
        s.push_str(&cell_bars(&bins, row, scale, wall, ok_colour));
    }
    s
}

/// One row of time bins: opacity is the busy share (idle bins are blank),
/// red where a task in the bin failed.
fn cell_bars(cells: &[Cell], row: usize, scale: &Scale, wall: f64, ok_colour: &str) -> String {
    let bin = wall / cells.len().max(1) as f64;
    let y = TOP + ROW * row as f64 + 2.0;
    let mut s = String::new();
    for (k, cell) in cells.iter().enumerate() {
        let (busy, started, failed) = (cell.busy, cell.started, cell.failed);
        if busy <= 0.0 && started == 0 {
            continue;
        }
        let colour = if failed > 0 { FAILED } else { ok_colour };
        let _ = writeln!(
            s,
            r#"<rect class="bin" x="{:.2}" y="{y:.1}" width="{:.2}" height="{:.1}" fill="{colour}" fill-opacity="{:.2}"><title>{} to {}: {started} tasks started, {failed} failed, busy {:.0}%</title></rect>"#,
            scale.x(scale.t0 + k as f64 * bin),
            bin * scale.per_second + 0.2,
            ROW - 4.0,
            (busy / bin).clamp(0.15, 1.0),
            duration_label(k as f64 * bin),
            duration_label((k + 1) as f64 * bin),
            100.0 * busy / bin
        );
    }
    s
}
