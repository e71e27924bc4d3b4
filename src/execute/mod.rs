//! Executing tasks: three interchangeable executors (worker processes, a
//! thread pool, or one after another) that all evaluate tasks the same way
//! ([`evaluate`]) and report what happens as [`Event`]s.

pub mod evaluate;
mod in_flight;
pub mod interrupt;
pub mod messages;
mod process;
mod protocol;
pub mod run_event;
mod serial;
mod thread;
pub mod worker;

pub use evaluate::{RefitRequest, WorkerSetup};
pub use messages::{now, Outcome, Policy, RefitOutput, TaskMsg};
pub use run_event::RunEvent;

use crate::config::Backend;
use anyhow::Result;

/// What executors report, in the order it happens.
#[derive(Debug)]
pub enum Event {
    /// Task `index` (into the list given to `run`) went to worker slot `worker`.
    Started { index: usize, worker: usize },
    /// A worker crashed or timed out on the task; it goes back in the queue.
    Retrying {
        index: usize,
        worker: usize,
        reason: String,
    },
    Finished {
        index: usize,
        worker: usize,
        outcome: Outcome,
    },
    /// The first Ctrl-C: no new tasks; `running` tasks are left to finish.
    Draining { running: usize },
    /// Nothing more to report right now: the executor is about to wait
    /// (what was reported so far can be written out).
    Waiting,
}

/// Runs tasks somewhere and reports events to the caller's thread.
pub trait Executor {
    /// Hands the workers what they need to load data (the process executor
    /// has already started its workers by the time this is called).
    fn start(&mut self, setup: &WorkerSetup) -> Result<()>;
    /// Runs the tasks until all are done or an interrupt stops dispatching.
    fn run(&mut self, tasks: &dyn TaskList, on_event: &mut dyn FnMut(Event)) -> Result<()>;
    /// Fits one setting on all rows (and writes best_model.bin when asked).
    fn refit(&mut self, request: &RefitRequest) -> Result<RefitOutput>;
    /// How many tasks run at once.
    fn slots(&self) -> usize;
}

/// The tasks of one `run`, each message made when it is dispatched: a
/// million messages, each with its own copy of its setting, never sit in
/// memory at once.
pub trait TaskList: Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The task at `position` (0..len).
    fn get(&self, position: usize) -> TaskMsg;
    /// Its `index` (what events report), without making the message.
    fn index(&self, position: usize) -> usize;
}

/// Messages made beforehand.
pub struct Messages<'a>(pub &'a [TaskMsg]);

impl TaskList for Messages<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, position: usize) -> TaskMsg {
        self.0[position].clone()
    }
    fn index(&self, position: usize) -> usize {
        self.0[position].index
    }
}

/// Number of cores, for `jobs = 0`.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Creates the executor. For `process`, the workers start here, before any
/// data is loaded: spawn first, then load.
pub fn create(backend: Backend, jobs: usize, policy: &Policy) -> Result<Box<dyn Executor>> {
    let jobs = capped_jobs(jobs);
    if backend != Backend::Process && (policy.timeout.is_some() || policy.max_memory.is_some()) {
        anyhow::bail!(
            "timeout and max_memory need backend = \"process\" (a thread cannot be killed)"
        );
    }
    Ok(match backend {
        Backend::Process => Box::new(process::ProcessPool::spawn(jobs, policy.clone())?),
        Backend::Thread => Box::new(thread::ThreadPool::new(jobs)?),
        Backend::Serial => Box::new(serial::Serial::default()),
    })
}

/// Most workers per core: more only adds processes competing for the same
/// cores (and 100,000 would exhaust the system's processes and threads).
pub const MAX_JOBS_PER_CORE: usize = 8;

/// `jobs`, with 0 meaning one per core, capped at [`MAX_JOBS_PER_CORE`] x
/// cores (saying so).
pub fn capped_jobs(jobs: usize) -> usize {
    let cap = MAX_JOBS_PER_CORE * cores();
    match jobs {
        0 => cores(),
        n if n > cap => {
            crate::errln!(
                "gridrun: jobs {n} capped at {cap} ({MAX_JOBS_PER_CORE} x {} cores)",
                cores()
            );
            cap
        }
        n => n,
    }
}

/// Threads one task may use so that workers x inner threads never exceed
/// the cores.
pub fn threads_per_task(slots: usize) -> usize {
    (cores() / slots.max(1)).max(1)
}
