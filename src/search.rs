//! A whole search: the strategy decides which tasks run (one batch for a
//! grid or random search, one per round for successive halving), the
//! session runs each batch in the output folder and writes the results.
//! `merge` does the last step for shards run elsewhere.

use crate::config::Config;
use crate::strategy::batches::Strategy;
use anyhow::Result;

use crate::session::Session;
pub use crate::session::{merge, shard_assignment, MergeSummary, RunOptions, RunSummary};

pub fn run(config: &Config, opts: &RunOptions) -> Result<RunSummary> {
    if let Some(iter) = opts.round {
        return crate::batch::rounds::run_round(config, opts, iter);
    }
    let mut session = Session::open(config, opts)?;
    let mut strategy = Strategy::new(config, session.header())?;
    session.resume(&|| strategy.task_ids(), strategy.task_count())?;
    while let Some(batch) = strategy.next_batch(config) {
        if let Some(event) = batch.event {
            session.announce(event);
        }
        let tally = session.run(batch.plan)?;
        strategy.batch_done(tally);
        if session.interrupted() {
            break;
        }
    }
    let outcome = strategy.outcome(config);
    session.finish(outcome)
}
