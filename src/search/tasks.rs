//! The tasks of a session as the executor takes them: each message is made
//! when its task is dispatched, so a plan of a million tasks never holds a
//! million copies of its settings' parameters.

use crate::config::Config;
use crate::execute::{TaskList, TaskMsg};
use crate::plan::Plan;

pub(super) struct PendingTasks<'a> {
    pub config: &'a Config,
    pub plan: &'a Plan,
    /// Positions in the plan of the tasks to run.
    pub pending: &'a [usize],
}

impl TaskList for PendingTasks<'_> {
    fn len(&self) -> usize {
        self.pending.len()
    }

    fn get(&self, position: usize) -> TaskMsg {
        super::message(self.config, self.plan, self.pending[position])
    }

    fn index(&self, position: usize) -> usize {
        self.pending[position]
    }
}
