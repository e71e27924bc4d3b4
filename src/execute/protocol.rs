//! Messages between the coordinator and its worker processes: one JSON
//! object per line over the worker's stdin and stdout.

use super::evaluate::{Outcome, RefitOutput, RefitRequest, TaskMsg, WorkerSetup};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Answered with `Ready`: the worker started and speaks the protocol.
    Hello,
    Init(WorkerSetup),
    Run(TaskMsg),
    Refit(RefitRequest),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Done { index: usize, outcome: Outcome },
    Refitted(Result<RefitOutput, String>),
    Ready,
}
