//! A pool of worker processes fed task descriptors over pipes. A worker
//! that dies or runs past the timeout costs only its task: the task is
//! recorded (or retried) with the cause and the worker is replaced.

use super::evaluate::{Outcome, RefitOutput, RefitRequest, WorkerSetup};
use super::in_flight::{InFlight, Pace, Unfinished, MAX_PIPE_BYTES};
use super::protocol::{Reply, Request};
use super::{interrupt, Event, Executor, Policy, TaskList};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// How often the dispatcher wakes to check timeouts and interrupts.
const TICK: Duration = Duration::from_millis(50);

/// What the reader threads pass to the dispatcher.
enum Message {
    Reply {
        slot: usize,
        generation: u64,
        reply: Reply,
    },
    /// A line the worker wrote on stderr.
    Stderr {
        slot: usize,
        generation: u64,
        line: String,
    },
    /// The worker's stdout closed (it exited), or it wrote something that
    /// is not a reply (`garbled`: then it is killed as broken).
    Gone {
        slot: usize,
        generation: u64,
        garbled: Option<String>,
    },
}

struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    /// Bumped on every respawn, so messages from a dead worker are ignored.
    generation: u64,
    /// The task it runs and those queued behind it in its pipe.
    held: InFlight,
    /// The stderr reader; it returns whether the worker reported a failed
    /// allocation (dying of its memory cap). Joined when the worker is reaped,
    /// so the answer never races the exit.
    stderr_reader: Option<std::thread::JoinHandle<bool>>,
    /// stderr lines passed on so far (a few, then the rest are dropped).
    stderr_lines: usize,
}

/// How many stderr lines of one worker process are shown.
const STDERR_LINES: usize = 5;

pub struct ProcessPool {
    workers: Vec<Worker>,
    setup: Option<WorkerSetup>,
    policy: Policy,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    next_generation: u64,
    jobs: usize,
    /// Workers in a row that died before taking the task sent to them.
    undelivered: usize,
    /// Seconds per task so far: how many tasks a worker is sent at once.
    pace: Pace,
}

/// How many requests in a row may find their worker dead before the run
/// gives up (workers that cannot even start would otherwise loop forever).
const MAX_UNDELIVERED: usize = 50;

/// Address space to suggest when a `max_memory` cap is too small for a worker
/// to start (measured: an idle worker starts under 8 MiB; fits need more).
const MIN_WORKER_MEMORY: u64 = 16 << 20;

/// Starts of one worker slot that may die before the run gives up.
const HELLO_TRIES: usize = 3;

/// How long a new worker may take to answer its first hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);

/// The state of one `run`: queue, attempts, what is outstanding.
struct RunState<'a> {
    tasks: &'a dyn TaskList,
    queue: TaskQueue,
    attempts: Vec<u32>,
    outstanding: usize,
    draining: bool,
}

/// Positions still to send: those sent back first (retries), then the
/// next never sent; no list of a million positions.
struct TaskQueue {
    back: VecDeque<usize>,
    next: usize,
    len: usize,
}

impl TaskQueue {
    fn pop_front(&mut self) -> Option<usize> {
        self.back.pop_front().or_else(|| {
            (self.next < self.len).then(|| {
                self.next += 1;
                self.next - 1
            })
        })
    }

    fn push_front(&mut self, position: usize) {
        self.back.push_front(position);
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn len(&self) -> usize {
        self.back.len() + self.len.saturating_sub(self.next)
    }
}

impl ProcessPool {
    /// Starts `jobs` workers. They hold no data until their first task.
    pub fn spawn(jobs: usize, policy: Policy) -> Result<ProcessPool> {
        let (tx, rx) = channel();
        let mut pool = ProcessPool {
            workers: Vec::new(),
            setup: None,
            policy,
            tx,
            rx,
            next_generation: 0,
            jobs,
            undelivered: 0,
            pace: Pace::default(),
        };
        for slot in 0..jobs {
            let worker = pool.start_worker(slot).map_err(|e| pool.cannot_start(e))?;
            pool.workers.push(worker);
        }
        pool.hello()?;
        Ok(pool)
    }

    /// Waits until every worker answered a hello, so that a worker that
    /// cannot start (a memory cap too small for it) is a config error
    /// before anything is written, not a broken pipe later.
    /// A worker killed from outside meanwhile is started again; one that
    /// dies [`HELLO_TRIES`] times (as with a cap too small) is the error.
    fn hello(&mut self) -> Result<()> {
        let mut waiting = vec![true; self.workers.len()];
        let mut deaths = vec![0; self.workers.len()];
        for worker in &mut self.workers {
            let _ = send(worker, &Request::Hello);
        }
        let deadline = Instant::now() + HELLO_TIMEOUT;
        while waiting.iter().any(|&w| w) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("worker processes did not answer within {HELLO_TIMEOUT:?}");
            }
            match self.rx.recv_timeout(left.min(TICK)) {
                Ok(Message::Reply {
                    slot,
                    reply: Reply::Ready,
                    ..
                }) => waiting[slot] = false,
                Ok(Message::Gone {
                    slot, generation, ..
                }) if self.workers[slot].generation == generation => {
                    let (_, death) = self.replace(slot).map_err(|e| self.cannot_start(e))?;
                    deaths[slot] += 1;
                    if deaths[slot] >= HELLO_TRIES {
                        return Err(self.cannot_start(anyhow!(death.describe(None))));
                    }
                    let _ = send(&mut self.workers[slot], &Request::Hello);
                }
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => bail!("worker reader threads ended"),
            }
        }
        Ok(())
    }

    /// The error for a worker that could not start, naming the memory cap
    /// when there is one (the usual cause).
    fn cannot_start(&self, cause: anyhow::Error) -> anyhow::Error {
        match self.policy.max_memory {
            Some(cap) => anyhow!(
                "max_memory {} is too small for a worker process to start ({cause:#}); allow at least {} plus the dataset",
                crate::units::format_bytes(cap),
                crate::units::format_bytes(MIN_WORKER_MEMORY)
            ),
            None => anyhow!("cannot start a worker process: {cause:#}"),
        }
    }

    fn start_worker(&mut self, slot: usize) -> Result<Worker> {
        let exe = std::env::current_exe()
            .context("cannot find the gridrun executable to start workers")?;
        let mut command = Command::new(exe);
        command
            .arg("__worker")
            .env(
                "RAYON_NUM_THREADS",
                super::threads_per_task(self.jobs).to_string(),
            )
            // A crash is reported as one line by the coordinator, not a backtrace.
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        limits::apply(&mut command, self.policy.max_memory);
        let mut child = command.spawn().context("cannot start a worker process")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("worker has no stdout"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow!("worker has no stderr"))?;
        let stdin = BufWriter::new(
            child
                .stdin
                .take()
                .ok_or_else(|| anyhow!("worker has no stdin"))?,
        );
        self.next_generation += 1;
        let generation = self.next_generation;
        let tx = self.tx.clone();
        let thread = || std::thread::Builder::new().name(format!("gridrun-worker-{slot}"));
        let started = thread()
            .spawn(move || read_replies(BufReader::new(stdout), slot, generation, tx))
            .context("cannot start a thread to read a worker");
        if let Err(e) = started {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        let tx = self.tx.clone();
        let stderr_reader = Some(
            thread()
                .spawn(move || read_stderr(BufReader::new(stderr), slot, generation, tx))
                .context("cannot start a thread to read a worker")?,
        );
        let mut worker = Worker {
            child,
            stdin,
            generation,
            held: InFlight::default(),
            stderr_reader,
            stderr_lines: 0,
        };
        if let Some(setup) = &self.setup {
            // A worker dead already is reported by its reader (Gone).
            let _ = send(&mut worker, &Request::Init(setup.clone()));
        }
        Ok(worker)
    }

    /// Sends a worker the next queued tasks (see [`Pace::top_up`]: one to
    /// an idle worker while tasks are slow or untimed, more while they are
    /// tiny), unless draining.
    fn feed(
        &mut self,
        slot: usize,
        state: &mut RunState,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<()> {
        if state.draining {
            return Ok(());
        }
        let held = &self.workers[slot].held;
        let count = self
            .pace
            .top_up(held.len(), state.queue.len(), self.workers.len());
        let mut buffer = Vec::new();
        let mut sent: Vec<(usize, usize)> = Vec::with_capacity(count);
        while sent.len() < count && held.bytes() + buffer.len() < MAX_PIPE_BYTES {
            let Some(position) = state.queue.pop_front() else {
                break;
            };
            let before = buffer.len();
            serde_json::to_writer(&mut buffer, &Request::Run(state.tasks.get(position)))?;
            buffer.push(b'\n');
            sent.push((position, buffer.len() - before));
        }
        if sent.is_empty() {
            return Ok(());
        }
        let worker = &mut self.workers[slot];
        if write_flushed(worker, &buffer).is_err() {
            // The worker died before taking the tasks (a broken pipe): they
            // never ran, so they go back first, without an attempt; the
            // worker's death is handled when its reader reports it.
            requeue(state, sent.iter().map(|&(p, _)| p).collect());
            let _ = worker.child.kill();
            self.undelivered += 1;
            if self.undelivered > MAX_UNDELIVERED {
                bail!("worker processes keep dying before they take a task ({MAX_UNDELIVERED} in a row)");
            }
            return Ok(());
        }
        let now = Instant::now();
        for (position, bytes) in sent {
            state.outstanding += 1;
            if self.workers[slot].held.push(position, bytes, now) {
                started(slot, position, state, on_event);
            }
        }
        Ok(())
    }

    /// Kills and reaps a worker, starts its replacement, and says why it ended.
    /// Always killed first: a worker whose stdout closed or turned to garbage
    /// may still be alive, and reaping a live worker would wait forever.
    fn replace(&mut self, slot: usize) -> Result<(Unfinished, Death)> {
        let _ = self.workers[slot].child.kill();
        let fresh = self.start_worker(slot)?;
        let mut dead = std::mem::replace(&mut self.workers[slot], fresh);
        let mut death = limits::reap(&mut dead.child);
        death.out_of_memory = dead
            .stderr_reader
            .take()
            .is_some_and(|r| r.join().unwrap_or(false));
        Ok((dead.held.take(), death))
    }

    /// Records a crashed or timed-out task, or queues it again.
    fn lost(
        &mut self,
        slot: usize,
        (position, started): (usize, Instant),
        cause: String,
        death: &Death,
        state: &mut RunState,
        on_event: &mut dyn FnMut(Event),
    ) {
        state.outstanding -= 1;
        let index = state.tasks.index(position);
        if state.attempts[position] as usize <= self.policy.retries && !state.draining {
            state.queue.push_front(position);
            on_event(Event::Retrying {
                index,
                worker: slot,
                reason: cause,
            });
            return;
        }
        let runtime = started.elapsed().as_secs_f64();
        let mut outcome = Outcome::failed(
            format!(
                "{cause} after {runtime:.1} s, peak RSS {} MiB",
                death.peak_rss_kb / 1024
            ),
            super::now() - runtime,
        );
        outcome.pid = death.pid;
        outcome.peak_rss_kb = death.peak_rss_kb;
        outcome.attempts = state.attempts[position];
        on_event(Event::Finished {
            index,
            worker: slot,
            outcome,
        });
    }

    fn handle(
        &mut self,
        message: Message,
        state: &mut RunState,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<()> {
        match message {
            Message::Reply {
                slot,
                generation,
                reply: Reply::Done { index, outcome },
            } if self.workers[slot].generation == generation => {
                self.done(slot, index, outcome, state, on_event)?;
            }
            Message::Stderr {
                slot,
                generation,
                line,
            } if self.workers[slot].generation == generation => {
                let worker = &mut self.workers[slot];
                if is_noise(&line) {
                    // the coordinator reports the crash itself
                } else if worker.stderr_lines < STDERR_LINES {
                    worker.stderr_lines += 1;
                    crate::errln!("gridrun worker {slot}: {line}");
                }
            }
            Message::Gone {
                slot,
                generation,
                garbled,
            } if self.workers[slot].generation == generation => {
                self.worker_gone(slot, garbled, state, on_event)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The task a worker was running answered: it is finished, and the
    /// next one queued in its pipe starts. A reply for any other task means
    /// a broken worker: it is replaced.
    fn done(
        &mut self,
        slot: usize,
        index: usize,
        mut outcome: Outcome,
        state: &mut RunState,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<()> {
        let held = &mut self.workers[slot].held;
        match held.running() {
            Some((position, _)) if state.tasks.index(position) == index => {}
            Some(_) => {
                let cause =
                    format!("worker process answered for task {index}, which it was not running");
                return self.worker_gone(slot, Some(cause), state, on_event);
            }
            None => return Ok(()),
        }
        let Some((position, took, next)) = held.finish(Instant::now()) else {
            return Ok(());
        };
        self.pace.observe(took);
        self.undelivered = 0;
        state.outstanding -= 1;
        outcome.attempts = state.attempts[position];
        on_event(Event::Finished {
            index,
            worker: slot,
            outcome,
        });
        if let Some(next) = next {
            started(slot, next, state, on_event);
        }
        self.feed(slot, state, on_event)
    }

    /// A worker died, timed out or broke (`cause`, else how it ended): it
    /// is replaced; the task it ran is lost (retried or recorded as
    /// failed), those queued behind it go back to the queue uncharged.
    fn worker_gone(
        &mut self,
        slot: usize,
        cause: Option<String>,
        state: &mut RunState,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<()> {
        let (unfinished, death) = self.replace(slot)?;
        state.outstanding -= unfinished.waiting.len();
        requeue(state, unfinished.waiting);
        if let Some(running) = unfinished.running {
            let cause = cause.unwrap_or_else(|| death.describe(self.policy.max_memory));
            self.lost(slot, running, cause, &death, state, on_event);
        }
        // What went back may be more than the replacement should take alone.
        for slot in std::iter::once(slot).chain(0..self.workers.len()) {
            if self.workers[slot].held.is_empty() {
                self.feed(slot, state, on_event)?;
            }
        }
        Ok(())
    }

    /// Kills workers whose task ran past the timeout.
    fn enforce_timeout(
        &mut self,
        state: &mut RunState,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<()> {
        let Some(limit) = self.policy.timeout else {
            return Ok(());
        };
        for slot in 0..self.workers.len() {
            let Some((_, started)) = self.workers[slot].held.running() else {
                continue;
            };
            if started.elapsed() > limit {
                let cause = format!(
                    "timed out (timeout {})",
                    crate::units::format_duration(limit.as_secs_f64())
                );
                self.worker_gone(slot, Some(cause), state, on_event)?;
            }
        }
        Ok(())
    }

    /// Second interrupt: kill every worker; unfinished tasks stay unrecorded
    /// (a resume runs them).
    fn kill_all(&mut self) -> Result<()> {
        for slot in 0..self.workers.len() {
            let (_, _) = self.replace(slot)?;
        }
        Ok(())
    }
}

fn read_replies(
    stdout: BufReader<std::process::ChildStdout>,
    slot: usize,
    generation: u64,
    tx: Sender<Message>,
) {
    let mut garbled = None;
    for line in stdout.lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str(&line) {
            Ok(reply) => {
                if tx
                    .send(Message::Reply {
                        slot,
                        generation,
                        reply,
                    })
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                // garbage on stdout: the worker is broken and will be killed
                garbled = Some(format!("worker process sent an unreadable reply ({e})"));
                break;
            }
        }
    }
    let _ = tx.send(Message::Gone {
        slot,
        generation,
        garbled,
    });
}

/// Passes stderr lines on; returns whether one reported a failed allocation.
fn read_stderr(
    stderr: BufReader<std::process::ChildStderr>,
    slot: usize,
    generation: u64,
    tx: Sender<Message>,
) -> bool {
    let mut out_of_memory = false;
    for line in stderr.lines().map_while(Result::ok) {
        out_of_memory |= line.contains("memory allocation of");
        let _ = tx.send(Message::Stderr {
            slot,
            generation,
            line,
        });
    }
    out_of_memory
}

/// Lines the coordinator replaces with its own one-line report.
fn is_noise(line: &str) -> bool {
    line.contains("memory allocation of") || line.starts_with("note: run with `RUST_BACKTRACE")
}

/// Writes one request; an error means the worker is gone (broken pipe).
fn send(worker: &mut Worker, request: &Request) -> std::io::Result<()> {
    serde_json::to_writer(&mut worker.stdin, request)?;
    worker.stdin.write_all(b"\n")?;
    worker.stdin.flush()
}

/// Writes requests already serialised (one per line), as [`send`].
fn write_flushed(worker: &mut Worker, lines: &[u8]) -> std::io::Result<()> {
    worker.stdin.write_all(lines)?;
    worker.stdin.flush()
}

/// A task starts on worker `slot`: it costs an attempt.
fn started(slot: usize, position: usize, state: &mut RunState, on_event: &mut dyn FnMut(Event)) {
    state.attempts[position] += 1;
    on_event(Event::Started {
        index: state.tasks.index(position),
        worker: slot,
    });
}

/// Tasks sent to a worker that never started them go back to the front
/// of the queue, in their order, without an attempt.
fn requeue(state: &mut RunState, positions: Vec<usize>) {
    for position in positions.into_iter().rev() {
        state.queue.push_front(position);
    }
}

/// How a worker process ended.
pub struct Death {
    pub pid: u32,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub peak_rss_kb: u64,
    pub out_of_memory: bool,
}

impl Death {
    fn describe(&self, max_memory: Option<u64>) -> String {
        if self.out_of_memory {
            let cap = max_memory.map_or(String::new(), |m| {
                format!(" (max_memory {})", crate::units::format_bytes(m))
            });
            return format!("out of memory{cap}");
        }
        match (self.exit_code, self.signal) {
            (_, Some(9)) => "worker process killed by signal 9 (SIGKILL: killed from outside, or by the kernel's OOM killer)".into(),
            (_, Some(sig)) => format!("worker process killed by signal {sig}{}", limits::signal_name(sig)),
            (Some(code), _) => format!("worker process exited with code {code}"),
            _ => "worker process ended".into(),
        }
    }
}

/// How one refit request went.
enum RefitTry {
    Done(Result<RefitOutput>),
    /// The worker was dead before it got the request.
    Undelivered,
    /// The worker died on it (or ran past twice the task timeout).
    Died(String),
}

impl ProcessPool {
    fn refit_once(&mut self, request: &RefitRequest) -> Result<RefitTry> {
        let request = Request::Refit(request.clone());
        if send(&mut self.workers[0], &request).is_err() {
            self.replace(0)?;
            return Ok(RefitTry::Undelivered);
        }
        let generation = self.workers[0].generation;
        let started = Instant::now();
        // The refit trains on every row, so it gets twice the task timeout.
        let limit = self.policy.timeout.map(|t| t * 2);
        loop {
            if interrupt::stop_now() {
                bail!("interrupted");
            }
            if limit.is_some_and(|l| started.elapsed() > l) {
                self.replace(0)?;
                let limit = limit.map_or(0.0, |l| l.as_secs_f64());
                return Ok(RefitTry::Died(format!(
                    "timed out after {} (twice the task timeout)",
                    crate::units::format_duration(limit)
                )));
            }
            match self.rx.recv_timeout(TICK) {
                Ok(Message::Reply {
                    slot: 0,
                    generation: g,
                    reply: Reply::Refitted(r),
                }) if g == generation => return Ok(RefitTry::Done(r.map_err(|e| anyhow!(e)))),
                Ok(Message::Gone {
                    slot: 0,
                    generation: g,
                    garbled,
                }) if g == generation => {
                    let (_, death) = self.replace(0)?;
                    let cause = garbled.unwrap_or_else(|| death.describe(self.policy.max_memory));
                    return Ok(RefitTry::Died(cause));
                }
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => bail!("worker reader ended"),
            }
        }
    }
}

impl Executor for ProcessPool {
    fn start(&mut self, setup: &WorkerSetup) -> Result<()> {
        self.setup = Some(setup.clone());
        for worker in &mut self.workers {
            // A worker dead already is reported by its reader (Gone).
            let _ = send(worker, &Request::Init(setup.clone()));
        }
        Ok(())
    }

    fn run(&mut self, tasks: &dyn TaskList, on_event: &mut dyn FnMut(Event)) -> Result<()> {
        let mut state = RunState {
            tasks,
            queue: TaskQueue {
                back: VecDeque::new(),
                next: 0,
                len: tasks.len(),
            },
            attempts: vec![0; tasks.len()],
            outstanding: 0,
            draining: false,
        };
        // Another batch (a round of halving) may run tasks of another size.
        self.pace = Pace::default();
        for slot in 0..self.workers.len() {
            self.feed(slot, &mut state, on_event)?;
        }
        // Tasks may wait in the queue with none outstanding: a request that
        // found its worker dead goes back until a replacement takes it.
        while state.outstanding > 0 || (!state.draining && !state.queue.is_empty()) {
            if interrupt::stop_now() {
                return self.kill_all();
            }
            if interrupt::draining() && !state.draining {
                state.draining = true;
                on_event(Event::Draining {
                    running: state.outstanding,
                });
            }
            let message = match self.rx.try_recv() {
                Ok(message) => Ok(message),
                Err(TryRecvError::Empty) => {
                    on_event(Event::Waiting);
                    self.rx.recv_timeout(TICK)
                }
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(message) => self.handle(message, &mut state, on_event)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => bail!("all worker reader threads ended"),
            }
            self.enforce_timeout(&mut state, on_event)?;
        }
        Ok(())
    }

    /// Refits on worker 0. A worker that dies meanwhile (or was dead when
    /// the request was written: a broken pipe) takes the same path as in
    /// the run: it is replaced, and the refit is tried again up to
    /// `retries` times (a request that never reached a worker is free).
    fn refit(&mut self, request: &RefitRequest) -> Result<RefitOutput> {
        let mut deaths = 0;
        let mut undelivered = 0;
        loop {
            match self.refit_once(request)? {
                RefitTry::Done(result) => return result,
                RefitTry::Undelivered if undelivered < MAX_UNDELIVERED => undelivered += 1,
                RefitTry::Undelivered => {
                    bail!("the workers keep dying before they take the refit")
                }
                RefitTry::Died(cause) if deaths < self.policy.retries => {
                    deaths += 1;
                    crate::errln!("gridrun: the worker refitting the best setting died ({cause}); trying again on a new worker");
                }
                RefitTry::Died(cause) => {
                    bail!("the worker refitting the best setting died ({cause})")
                }
            }
        }
    }

    fn slots(&self) -> usize {
        self.workers.len()
    }
}

impl Drop for ProcessPool {
    /// Closing stdin tells each worker to exit; then reap them.
    fn drop(&mut self) {
        for worker in self.workers.drain(..) {
            let Worker {
                mut child, stdin, ..
            } = worker;
            drop(stdin);
            let _ = child.wait();
        }
    }
}

/// Process limits and reaping (Linux / Unix).
mod limits {
    use super::Death;
    use std::process::{Child, Command};

    #[cfg(unix)]
    pub fn apply(command: &mut Command, max_memory: Option<u64>) {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls (prctl, setrlimit) between
        // fork and exec.
        unsafe {
            command.pre_exec(move || {
                // Die with the coordinator, even if it is SIGKILLed.
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if let Some(bytes) = max_memory {
                    let limit = libc::rlimit {
                        rlim_cur: bytes as libc::rlim_t,
                        rlim_max: bytes as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }

    #[cfg(not(unix))]
    pub fn apply(_command: &mut Command, _max_memory: Option<u64>) {}

    /// Waits for the child and reads its exit status and peak RSS.
    #[cfg(unix)]
    pub fn reap(child: &mut Child) -> Death {
        let pid = child.id();
        let mut status = 0;
        // SAFETY: plain wait4 on our own child with valid out-pointers.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if r != pid as libc::pid_t {
            let _ = child.wait();
            return Death {
                pid,
                exit_code: None,
                signal: None,
                peak_rss_kb: 0,
                out_of_memory: false,
            };
        }
        let (exit_code, signal) = if libc::WIFEXITED(status) {
            (Some(libc::WEXITSTATUS(status)), None)
        } else if libc::WIFSIGNALED(status) {
            (None, Some(libc::WTERMSIG(status)))
        } else {
            (None, None)
        };
        Death {
            pid,
            exit_code,
            signal,
            peak_rss_kb: usage.ru_maxrss.max(0) as u64,
            out_of_memory: false,
        }
    }

    #[cfg(not(unix))]
    pub fn reap(child: &mut Child) -> Death {
        let code = child.wait().ok().and_then(|s| s.code());
        Death {
            pid: child.id(),
            exit_code: code,
            signal: None,
            peak_rss_kb: 0,
            out_of_memory: false,
        }
    }

    pub fn signal_name(sig: i32) -> &'static str {
        match sig {
            6 => " (SIGABRT: the process aborted)",
            11 => " (SIGSEGV: a crash)",
            15 => " (SIGTERM)",
            _ => "",
        }
    }
}
