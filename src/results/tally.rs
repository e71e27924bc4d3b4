//! What the coordinator keeps of one plan's finished tasks, as they finish:
//! per (setting, split) its state, scores and times (cv_results.csv shows
//! every split's score), and the first error per setting. A few numbers per
//! task, never the task records themselves, which go to the journal and are
//! dropped: a million tasks fit in a few dozen MB. (What a session ran, over
//! all its plans, is in [`super::session_log`].)

use super::TaskRecord;
use crate::plan::Plan;
use std::collections::HashMap;

const NOT_RUN: u8 = 0;
const OK: u8 = 1;
const FAILED: u8 = 2;

pub struct Tally {
    pub n_splits: usize,
    pub metrics: Vec<String>,
    /// Per slot (setting x n_splits + split).
    state: Vec<u8>,
    /// Per slot and metric (NaN: no score).
    scores: Vec<f64>,
    fit_seconds: Vec<f64>,
    score_seconds: Vec<f64>,
    /// The first error per setting that has one.
    errors: HashMap<usize, String>,
}

impl Tally {
    pub fn new(plan: &Plan, metrics: &[String]) -> Tally {
        let n_splits = plan.folds * plan.repeats;
        let slots = plan.settings.len() * n_splits;
        Tally {
            n_splits,
            metrics: metrics.to_vec(),
            state: vec![NOT_RUN; slots],
            scores: vec![f64::NAN; slots * metrics.len()],
            fit_seconds: vec![f64::NAN; slots],
            score_seconds: vec![f64::NAN; slots],
            errors: HashMap::new(),
        }
    }

    /// The tally of `records` (read from journals) for `plan`.
    pub fn of_records(plan: &Plan, metrics: &[String], records: &[TaskRecord]) -> Tally {
        let mut tally = Tally::new(plan, metrics);
        tally.add_records(plan, records);
        tally
    }

    /// Counts a finished task of the plan at `task` (its index in
    /// plan.tasks). A success is never replaced by a later failure of the
    /// same task (an earlier run's and a shard's records meet here).
    pub fn add(&mut self, plan: &Plan, task: usize, record: &TaskRecord) {
        let t = &plan.tasks[task];
        let split = t.repeat as usize * plan.folds + t.fold as usize;
        let slot = t.setting * self.n_splits + split;
        if self.state[slot] == OK && !record.ok() {
            return;
        }
        if !record.ok() {
            self.state[slot] = FAILED;
            if let Some(e) = &record.error {
                self.errors.entry(t.setting).or_insert_with(|| e.clone());
            }
            return;
        }
        self.state[slot] = OK;
        let width = self.metrics.len();
        for (k, m) in self.metrics.iter().enumerate() {
            self.scores[slot * width + k] = record.scores.get(m).copied().unwrap_or(f64::NAN);
        }
        self.fit_seconds[slot] = record.fit_seconds;
        self.score_seconds[slot] = record.score_seconds;
    }

    /// Counts records read from journals, matched to the plan by task id
    /// (records of tasks outside the plan are ignored).
    pub fn add_records<'r>(
        &mut self,
        plan: &Plan,
        records: impl IntoIterator<Item = &'r TaskRecord>,
    ) {
        let mut index: Option<HashMap<&str, usize>> = None;
        for r in records {
            // Built on the first record: a fresh run has none to match.
            let index = index.get_or_insert_with(|| {
                plan.tasks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.id.as_str(), i))
                    .collect()
            });
            if let Some(&i) = index.get(r.id.as_str()) {
                self.add(plan, i, r);
            }
        }
    }

    fn state_of(&self, plan: &Plan, task: usize) -> u8 {
        let t = &plan.tasks[task];
        self.state[t.setting * self.n_splits + t.repeat as usize * plan.folds + t.fold as usize]
    }

    /// Whether the plan's task has a record (ok or failed).
    pub fn task_finished(&self, plan: &Plan, task: usize) -> bool {
        self.state_of(plan, task) != NOT_RUN
    }

    /// Whether the plan's task's record is a failure.
    pub fn task_failed(&self, plan: &Plan, task: usize) -> bool {
        self.state_of(plan, task) == FAILED
    }

    pub fn slot(&self, setting: usize, split: usize) -> Slot<'_> {
        let slot = setting * self.n_splits + split;
        let width = self.metrics.len();
        Slot {
            finished: self.state[slot] != NOT_RUN,
            ok: self.state[slot] == OK,
            scores: &self.scores[slot * width..(slot + 1) * width],
            fit_seconds: self.fit_seconds[slot],
            score_seconds: self.score_seconds[slot],
        }
    }

    pub fn error(&self, setting: usize) -> Option<&String> {
        self.errors.get(&setting)
    }

    /// Tasks of the plan with a record (ok or failed).
    pub fn finished(&self) -> usize {
        self.state.iter().filter(|&&s| s != NOT_RUN).count()
    }

    /// Tasks of the plan whose record is a failure.
    pub fn failed(&self) -> usize {
        self.state.iter().filter(|&&s| s == FAILED).count()
    }
}

/// One split of one setting.
pub struct Slot<'a> {
    pub finished: bool,
    pub ok: bool,
    /// Per metric, in the tally's order (NaN: none).
    pub scores: &'a [f64],
    pub fit_seconds: f64,
    pub score_seconds: f64,
}
