//! What a worker process holds: the task it runs and the tasks queued
//! behind it in its pipe. Tiny tasks (a millisecond or less) would spend
//! most of their time on the round trip coordinator -> worker -> coordinator
//! if each were sent only when the one before had answered; so, like GNU
//! parallel's `-X` or joblib's `batch_size="auto"`, the pool keeps several
//! of them queued in a worker's pipe, as many as run in about
//! [`TARGET_SECONDS`] at the pace measured so far. A task of seconds is
//! still sent alone, when its worker is free. Each task still gets its own
//! request and its own reply (and so its own journal line) as it ends.

use std::collections::VecDeque;
use std::time::Instant;

/// About how much work (in seconds) a worker holds at once. Small, so that
/// the run's tail stays even between workers and an interrupt waits little.
pub const TARGET_SECONDS: f64 = 0.02;
/// Most tasks queued for one worker.
pub const MAX_DEPTH: usize = 256;
/// Most request bytes waiting in one worker's pipe: well under a pipe's
/// 64 KiB, so that writing a batch never blocks the coordinator.
pub const MAX_PIPE_BYTES: usize = 32 << 10;

/// One worker's tasks, in the order it runs them.
#[derive(Debug, Default)]
pub struct InFlight {
    /// Positions (in the task list) and the size of each request.
    queue: VecDeque<(usize, usize)>,
    bytes: usize,
    /// When the first of `queue` started: the reply before it, or when it
    /// was sent to an idle worker.
    since: Option<Instant>,
}

impl InFlight {
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Request bytes not yet answered.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The task the worker runs now, and since when.
    pub fn running(&self) -> Option<(usize, Instant)> {
        Some((self.queue.front()?.0, self.since?))
    }

    /// Queues a task sent at `now`; says whether it starts at once (the
    /// worker was idle).
    pub fn push(&mut self, position: usize, bytes: usize, now: Instant) -> bool {
        self.queue.push_back((position, bytes));
        self.bytes += bytes;
        if self.queue.len() == 1 {
            self.since = Some(now);
            return true;
        }
        false
    }

    /// The running task answered at `now`: returns it with how long it took
    /// and the next task, which starts now.
    pub fn finish(&mut self, now: Instant) -> Option<(usize, f64, Option<usize>)> {
        let (position, bytes) = self.queue.pop_front()?;
        self.bytes -= bytes;
        let took = self.since.map_or(0.0, |s| (now - s).as_secs_f64());
        self.since = (!self.queue.is_empty()).then_some(now);
        Some((position, took, self.queue.front().map(|&(p, _)| p)))
    }

    /// Empties it (its worker died): the running task and since when, and
    /// the tasks that never started, in order.
    pub fn take(&mut self) -> Unfinished {
        let running = self.running();
        let waiting = self.queue.drain(..).skip(1).map(|(p, _)| p).collect();
        self.bytes = 0;
        self.since = None;
        Unfinished { running, waiting }
    }
}

/// What a dead worker held.
#[derive(Debug, Default)]
pub struct Unfinished {
    /// The task it ran, and since when.
    pub running: Option<(usize, Instant)>,
    /// Tasks queued behind it, never started (they go back, uncharged).
    pub waiting: Vec<usize>,
}

/// The measured seconds per task (an average over the recent ones), which
/// sets how many tasks a worker is given at once.
#[derive(Debug, Default)]
pub struct Pace {
    seconds_per_task: Option<f64>,
}

/// Weight of a new measurement in the running average.
const ALPHA: f64 = 0.05;

impl Pace {
    /// A task took `seconds` from its start (or the previous reply) to its reply.
    pub fn observe(&mut self, seconds: f64) {
        self.seconds_per_task = Some(match self.seconds_per_task {
            Some(mean) => mean + ALPHA * (seconds - mean),
            None => seconds,
        });
    }

    /// How many tasks a worker should hold: 1 until a task has been timed,
    /// then about [`TARGET_SECONDS`] of them.
    pub fn depth(&self) -> usize {
        match self.seconds_per_task {
            None => 1,
            Some(s) if s * MAX_DEPTH as f64 <= TARGET_SECONDS => MAX_DEPTH,
            Some(s) => ((TARGET_SECONDS / s) as usize).clamp(1, MAX_DEPTH),
        }
    }

    /// How many tasks to send a worker now holding `held`: none while it
    /// holds more than half its depth (so it never runs dry, and requests
    /// go out in groups), else enough to fill it, but at most a fair share
    /// of the `queued` tasks left among `workers`.
    pub fn top_up(&self, held: usize, queued: usize, workers: usize) -> usize {
        let depth = self.depth();
        if held > depth / 2 {
            return 0;
        }
        let fair = queued.div_ceil(workers.max(1)).max(1);
        (depth - held).min(fair).min(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn slow_tasks_go_one_at_a_time_to_an_idle_worker() {
        let mut pace = Pace::default();
        assert_eq!(pace.top_up(0, 100, 2), 1, "untimed: one");
        pace.observe(2.0);
        assert_eq!(pace.depth(), 1);
        assert_eq!(pace.top_up(0, 100, 2), 1);
        assert_eq!(pace.top_up(1, 100, 2), 0, "busy: nothing more");
    }

    #[test]
    fn tiny_tasks_fill_a_worker_to_its_depth_and_top_up_at_half() {
        let mut pace = Pace::default();
        pace.observe(0.000_01);
        assert_eq!(pace.depth(), MAX_DEPTH);
        assert_eq!(pace.top_up(0, 1_000_000, 2), MAX_DEPTH);
        assert_eq!(pace.top_up(MAX_DEPTH / 2 + 1, 1_000_000, 2), 0);
        assert_eq!(pace.top_up(MAX_DEPTH / 2, 1_000_000, 2), MAX_DEPTH / 2);
        // the tail: a fair share of what is left
        assert_eq!(pace.top_up(0, 9, 2), 5);
        assert_eq!(pace.top_up(0, 1, 2), 1);
        assert_eq!(pace.top_up(0, 0, 2), 0);
        // 5 ms tasks: 4 held
        let mut pace = Pace::default();
        pace.observe(0.005);
        assert_eq!(pace.depth(), 4);
        assert_eq!(pace.top_up(2, 100, 2), 2);
    }

    #[test]
    fn the_pace_follows_the_recent_tasks() {
        let mut pace = Pace::default();
        pace.observe(1.0);
        for _ in 0..400 {
            pace.observe(0.0001);
        }
        assert!((190..=200).contains(&pace.depth()), "{}", pace.depth());
    }

    #[test]
    fn tasks_run_in_order_and_a_dead_worker_gives_back_the_unstarted_ones() {
        let t0 = Instant::now();
        let mut held = InFlight::default();
        assert!(held.push(7, 100, t0));
        assert!(!held.push(8, 50, t0));
        assert!(!held.push(9, 50, t0));
        assert_eq!(held.bytes(), 200);
        assert_eq!(held.running(), Some((7, t0)));
        let t1 = t0 + Duration::from_millis(3);
        let (done, took, next) = held.finish(t1).unwrap();
        assert_eq!((done, next), (7, Some(8)));
        assert!((took - 0.003).abs() < 1e-9);
        assert_eq!(held.running(), Some((8, t1)));
        let unfinished = held.take();
        assert_eq!(unfinished.running, Some((8, t1)));
        assert_eq!(unfinished.waiting, vec![9]);
        assert!(held.is_empty() && held.bytes() == 0 && held.running().is_none());
    }
}
