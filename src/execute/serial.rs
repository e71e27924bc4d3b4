//! One task after another in this thread: for debugging.

use super::evaluate::{silence_panics, Evaluator, RefitOutput, RefitRequest, WorkerSetup};
use super::{interrupt, Event, Executor, TaskList};
use anyhow::{anyhow, Result};

#[derive(Default)]
pub struct Serial {
    evaluator: Option<Evaluator>,
}

impl Executor for Serial {
    fn start(&mut self, setup: &WorkerSetup) -> Result<()> {
        silence_panics();
        self.evaluator = Some(Evaluator::open(setup).map_err(|e| anyhow!(e))?);
        Ok(())
    }

    fn run(&mut self, tasks: &dyn TaskList, on_event: &mut dyn FnMut(Event)) -> Result<()> {
        let evaluator = self
            .evaluator
            .as_ref()
            .ok_or_else(|| anyhow!("executor not started"))?;
        for position in 0..tasks.len() {
            if interrupt::draining() {
                break;
            }
            let task = &tasks.get(position);
            on_event(Event::Started {
                index: task.index,
                worker: 0,
            });
            let outcome = evaluator.evaluate(task);
            on_event(Event::Finished {
                index: task.index,
                worker: 0,
                outcome,
            });
            on_event(Event::Waiting);
        }
        Ok(())
    }

    fn refit(&mut self, request: &RefitRequest) -> Result<RefitOutput> {
        let evaluator = self
            .evaluator
            .as_ref()
            .ok_or_else(|| anyhow!("executor not started"))?;
        evaluator.refit(request).map_err(|e| anyhow!(e))
    }

    fn slots(&self) -> usize {
        1
    }
}
