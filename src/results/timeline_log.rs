//! What timeline.svg needs of a session's tasks, kept as they finish: every
//! record while there are few (one bar each, with its tooltip), and always
//! per worker lane the busy seconds, starts and failures in fine time bins
//! whose width doubles whenever the run outgrows them. So a million tasks
//! cost a few thousand numbers per worker, and the chart still shows each
//! worker's busy and idle time.

use super::TaskRecord;
use std::collections::BTreeMap;

/// Up to this many tasks the chart draws one bar per task.
pub const MAX_BARS: usize = 3000;
/// Fine bins per lane before they are merged in pairs.
const MAX_FINE_BINS: usize = 4096;
/// The first bins' width, seconds.
const FIRST_WIDTH: f64 = 0.001;

/// Busy seconds, tasks started and tasks failed in one time bin.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub busy: f64,
    pub started: usize,
    pub failed: usize,
}

/// A timeline row: the shard that ran it (None for a single run) and the worker slot.
pub type Lane = (Option<String>, usize);

#[derive(Debug, Clone)]
pub struct TimelineLog {
    origin: f64,
    width: f64,
    /// Every record while there are at most MAX_BARS; then none.
    records: Option<Vec<TaskRecord>>,
    count: usize,
    busy: f64,
    first_start: f64,
    last_end: f64,
    bins: BTreeMap<Lane, Vec<Cell>>,
}

impl TimelineLog {
    /// `origin`: a time no task starts before (the session's start).
    pub fn new(origin: f64) -> TimelineLog {
        TimelineLog {
            origin,
            width: FIRST_WIDTH,
            records: Some(Vec::new()),
            count: 0,
            busy: 0.0,
            first_start: f64::INFINITY,
            last_end: f64::NEG_INFINITY,
            bins: BTreeMap::new(),
        }
    }

    /// A log of records read back from journals.
    pub fn from_records(records: &[TaskRecord]) -> TimelineLog {
        let origin = records
            .iter()
            .map(|r| r.start)
            .fold(f64::INFINITY, f64::min);
        let mut log = TimelineLog::new(if origin.is_finite() { origin } else { 0.0 });
        for r in records {
            log.add(r);
        }
        log
    }

    pub fn add(&mut self, r: &TaskRecord) {
        self.count += 1;
        let (start, end) = (
            r.start.max(self.origin),
            r.end.max(r.start).max(self.origin),
        );
        self.busy += end - start;
        self.first_start = self.first_start.min(start);
        self.last_end = self.last_end.max(end);
        match &mut self.records {
            Some(list) if list.len() < MAX_BARS => list.push(r.clone()),
            _ => self.records = None,
        }
        while self.bin_of(end) >= MAX_FINE_BINS {
            self.coarsen();
        }
        let (first, last) = (self.bin_of(start), self.bin_of(end));
        let (origin, width) = (self.origin, self.width);
        let lane = self.lane_bins(r);
        if lane.len() <= last {
            lane.resize(last + 1, Cell::default());
        }
        lane[first].started += 1;
        lane[first].failed += usize::from(!r.ok());
        for (k, cell) in lane.iter_mut().enumerate().take(last + 1).skip(first) {
            let (lo, hi) = (origin + k as f64 * width, origin + (k + 1) as f64 * width);
            cell.busy += (end.min(hi) - start.max(lo)).max(0.0);
        }
    }

    fn lane_bins(&mut self, r: &TaskRecord) -> &mut Vec<Cell> {
        self.bins.entry((r.shard.clone(), r.worker)).or_default()
    }

    fn bin_of(&self, t: f64) -> usize {
        ((t - self.origin) / self.width).max(0.0) as usize
    }

    /// Doubles the bin width, merging neighbours.
    fn coarsen(&mut self) {
        self.width *= 2.0;
        for cells in self.bins.values_mut() {
            let merged: Vec<Cell> = cells
                .chunks(2)
                .map(|pair| Cell {
                    busy: pair.iter().map(|c| c.busy).sum(),
                    started: pair.iter().map(|c| c.started).sum(),
                    failed: pair.iter().map(|c| c.failed).sum(),
                })
                .collect();
            *cells = merged;
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every record, while there are at most [`MAX_BARS`].
    pub fn records(&self) -> Option<&[TaskRecord]> {
        self.records.as_deref()
    }

    pub fn busy_seconds(&self) -> f64 {
        self.busy
    }

    /// First start and last end (None before any task).
    pub fn span(&self) -> Option<(f64, f64)> {
        (self.count > 0).then_some((self.first_start, self.last_end))
    }

    /// Lanes that ran something, plus the idle worker slots of a single run.
    pub fn lanes(&self, slots: usize) -> Vec<Lane> {
        let mut lanes: Vec<Lane> = self.bins.keys().cloned().collect();
        if lanes.iter().all(|(shard, _)| shard.is_none()) {
            lanes.extend((0..slots).map(|w| (None, w)));
        }
        lanes.sort();
        lanes.dedup();
        lanes
    }

    /// Busy time over (workers x wall time), in [0, 1].
    pub fn utilisation(&self, slots: usize) -> f64 {
        let Some((t0, t1)) = self.span() else {
            return 0.0;
        };
        let workers = self.lanes(slots).len();
        if t1 <= t0 || workers == 0 {
            return 0.0;
        }
        self.busy / (workers as f64 * (t1 - t0))
    }

    /// One lane's cells over `n` equal bins from `t0` to `t0 + wall`: busy
    /// seconds split by overlap, starts and failures where their fine bin
    /// begins.
    pub fn rebinned(&self, lane: &Lane, t0: f64, wall: f64, n: usize) -> Vec<Cell> {
        let mut out = vec![Cell::default(); n];
        let Some(cells) = self.bins.get(lane) else {
            return out;
        };
        let bin = wall / n as f64;
        let index = |t: f64| (((t - t0) / bin).max(0.0) as usize).min(n - 1);
        for (j, cell) in cells.iter().enumerate() {
            let lo = self.origin + j as f64 * self.width;
            let hi = lo + self.width;
            let first = index(lo);
            out[first].started += cell.started;
            out[first].failed += cell.failed;
            if cell.busy <= 0.0 {
                continue;
            }
            // The busy seconds spread evenly over the fine bin.
            for (k, o) in out.iter_mut().enumerate().take(index(hi) + 1).skip(first) {
                let (a, b) = (t0 + k as f64 * bin, t0 + (k + 1) as f64 * bin);
                let overlap = (hi.min(b) - lo.max(a)).max(0.0);
                o.busy += cell.busy * overlap / self.width;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    fn record(worker: usize, start: f64, end: f64, ok: bool) -> TaskRecord {
        TaskRecord {
            id: format!("{worker}-{start}"),
            setting: 0,
            params: Default::default(),
            repeat: 0,
            fold: 0,
            status: if ok { Status::Ok } else { Status::Failed },
            scores: Default::default(),
            error: None,
            fit_seconds: 0.0,
            score_seconds: 0.0,
            n_train: 0,
            n_test: 0,
            worker,
            pid: 1,
            start,
            end,
            data: String::new(),
            peak_rss_kb: 0,
            attempts: 1,
            shard: None,
            warnings: vec![],
        }
    }

    #[test]
    fn many_tasks_keep_their_busy_time_in_few_bins() {
        let mut log = TimelineLog::new(100.0);
        // worker 0 busy all the time, worker 1 only in the second half
        let n = 200_000;
        for i in 0..n {
            let t = 100.0 + i as f64 * 1e-4;
            log.add(&record(0, t, t + 1e-4, true));
            if i >= n / 2 {
                log.add(&record(1, t, t + 1e-4, i % 1000 != 0));
            }
        }
        assert_eq!(log.len(), n + n / 2);
        assert!(log.records().is_none());
        assert!(log.bins.values().all(|c| c.len() <= MAX_FINE_BINS));
        let (t0, t1) = log.span().unwrap();
        assert!((t1 - t0 - 20.0).abs() < 1e-6);
        let w0 = log.rebinned(&(None, 0), t0, t1 - t0, 400);
        let w1 = log.rebinned(&(None, 1), t0, t1 - t0, 400);
        let total = |c: &[Cell]| c.iter().map(|c| c.busy).sum::<f64>();
        assert!((total(&w0) - 20.0).abs() < 1e-6, "{}", total(&w0));
        assert!((total(&w1) - 10.0).abs() < 1e-6, "{}", total(&w1));
        // worker 1 idle in the first half, busy in the second
        assert!(w1[..195].iter().all(|c| c.busy == 0.0));
        assert!(w1[205..].iter().all(|c| c.busy > 0.04));
        assert_eq!(w1.iter().map(|c| c.started).sum::<usize>(), n / 2);
        assert_eq!(w1.iter().map(|c| c.failed).sum::<usize>(), 100);
        assert!((log.utilisation(2) - 0.75).abs() < 1e-6);
    }

    #[test]
    fn few_tasks_keep_their_records() {
        let mut log = TimelineLog::new(0.0);
        log.add(&record(1, 1.0, 2.0, true));
        assert_eq!(log.records().unwrap().len(), 1);
        assert_eq!(log.lanes(3), vec![(None, 0), (None, 1), (None, 2)]);
    }
}
