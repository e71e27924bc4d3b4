//! Run-level events, beside the executors' task [`super::Event`]s: what the
//! whole run is doing between and after batches of tasks, so that reporters
//! (the status line, logs) never leave the screen blank.

/// What a run does, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// The workers are up and the output folder is locked.
    RunStarted { tasks: usize, workers: usize },
    /// A round of successive halving starts (`round` from 0).
    RoundStarted {
        round: usize,
        rounds: usize,
        candidates: usize,
        resources: u64,
        tasks: usize,
    },
    /// The best setting is being fitted on all rows.
    RefitStarted { rows: usize, setting: String },
    /// The refit ended (`error`: why it failed).
    RefitFinished { error: Option<String> },
    /// An output file is being written (`what`: its name(s)).
    Writing { what: String },
    /// Everything is written.
    RunFinished { wall_seconds: f64 },
}
