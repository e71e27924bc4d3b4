//! A rayon thread pool in this process (one shared memory map).

use super::evaluate::{silence_panics, Evaluator, RefitOutput, RefitRequest, WorkerSetup};
use super::{interrupt, Event, Executor, TaskList};
use anyhow::{anyhow, Result};
use rayon::prelude::*;
use std::sync::mpsc::channel;

pub struct ThreadPool {
    pool: rayon::ThreadPool,
    evaluator: Option<Evaluator>,
}

impl ThreadPool {
    pub fn new(jobs: usize) -> Result<ThreadPool> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .thread_name(|i| format!("gridrun-task-{i}"))
            .build()
            .map_err(|e| anyhow!("cannot start {jobs} threads: {e}"))?;
        Ok(ThreadPool {
            pool,
            evaluator: None,
        })
    }
}

impl Executor for ThreadPool {
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
        let (tx, rx) = channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                self.pool.install(|| {
                    (0..tasks.len())
                        .into_par_iter()
                        .with_max_len(1)
                        .for_each_with(tx, |tx, position| {
                            if interrupt::draining() {
                                return; // no new tasks after Ctrl-C or a halt
                            }
                            let task = &tasks.get(position);
                            let worker = rayon::current_thread_index().unwrap_or(0);
                            let _ = tx.send(Event::Started {
                                index: task.index,
                                worker,
                            });
                            let outcome = evaluator.evaluate(task);
                            let _ = tx.send(Event::Finished {
                                index: task.index,
                                worker,
                                outcome,
                            });
                        })
                })
            });
            let mut draining = false;
            loop {
                let event = match rx.try_recv() {
                    Ok(event) => Ok(event),
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        on_event(Event::Waiting);
                        rx.recv_timeout(std::time::Duration::from_millis(50))
                    }
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
                    }
                };
                match event {
                    Ok(event) => on_event(event),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if interrupt::draining() && !draining {
                    draining = true;
                    on_event(Event::Draining {
                        running: self.pool.current_num_threads(),
                    });
                }
                if interrupt::stop_now() && !interrupt::halted() {
                    // Threads cannot be killed; every finished task is already
                    // in the journal, written whole, so leaving now loses nothing.
                    crate::errln!("gridrun: stopped; finished tasks are in the journal");
                    std::process::exit(130);
                }
            }
        });
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
        self.pool.current_num_threads()
    }
}
