//! What the coordinator keeps of the tasks one session ran, over all its
//! batches, as they finish: counters for run.json and the summary, and the
//! timeline log (bounded, see [`TimelineLog`]). Nothing per task: the
//! records themselves go to the journal and are dropped.

use super::timeline_log::TimelineLog;
use super::TaskRecord;

/// Counters over this session's finished tasks (not the reused ones).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SessionCounts {
    pub ran: usize,
    pub failed: usize,
    /// Tasks whose fit left warnings.
    pub warned: usize,
    /// Sum of end - start, in the order the tasks finished.
    pub busy_seconds: f64,
    pub peak_worker_rss_kb: u64,
}

#[derive(Debug, Clone)]
pub struct SessionLog {
    pub counts: SessionCounts,
    pub timeline: TimelineLog,
}

impl SessionLog {
    /// `origin`: a time no task of the session starts before.
    pub fn new(origin: f64) -> SessionLog {
        SessionLog {
            counts: SessionCounts::default(),
            timeline: TimelineLog::new(origin),
        }
    }

    pub fn add(&mut self, record: &TaskRecord) {
        self.count(record);
        self.timeline.add(record);
    }

    fn count(&mut self, record: &TaskRecord) {
        let c = &mut self.counts;
        c.ran += 1;
        c.failed += usize::from(!record.ok());
        c.warned += usize::from(!record.warnings.is_empty());
        c.busy_seconds += record.end - record.start;
        c.peak_worker_rss_kb = c.peak_worker_rss_kb.max(record.peak_rss_kb);
    }
}
