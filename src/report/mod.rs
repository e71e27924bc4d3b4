//! Reporters consume the executor's events; adding an output never touches
//! scheduling.

mod header;
pub mod html;
mod progress;
mod status;
pub mod summary;
pub mod svg;
pub mod terminal;

pub use header::data_header;
pub use progress::Progress;
pub use status::StatusLine;

use crate::execute::RunEvent;
use crate::results::journal::JournalWriter;
use crate::results::TaskRecord;
use anyhow::Result;

pub trait Reporter {
    fn started(&mut self, _index: usize, _worker: usize) {}
    fn finished(&mut self, record: &TaskRecord) -> Result<()>;
    fn done(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Consumes run-level events (rounds, refit, writing results).
pub trait RunReporter {
    fn run_event(&mut self, event: &RunEvent);
}

impl Reporter for JournalWriter {
    fn finished(&mut self, record: &TaskRecord) -> Result<()> {
        self.append(record)
    }

    fn done(&mut self) -> Result<()> {
        self.write_pending()?;
        self.sync()
    }
}
