//! A pool of worker processes fed task descriptors over pipes.

use super::evaluate::{Outcome, RefitOutput, TaskMsg, WorkerSetup};
use super::protocol::{Reply, Request};
use super::{Event, Executor};
use crate::params::Params;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};

/// What the reader threads pass to the dispatcher.
enum Message {
    Reply {
        slot: usize,
        generation: u64,
        reply: Reply,
    },
    /// The worker's stdout closed: it exited.
    Gone { slot: usize, generation: u64 },
}

struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    /// Bumped on every respawn, so messages from a dead worker are ignored.
    generation: u64,
    /// Index of the task it is running.
    busy: Option<usize>,
}

pub struct ProcessPool {
    workers: Vec<Worker>,
    setup: Option<WorkerSetup>,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    next_generation: u64,
    jobs: usize,
}

impl ProcessPool {
    /// Starts `jobs` workers. They hold no data until their first task.
    pub fn spawn(jobs: usize) -> Result<ProcessPool> {
        let (tx, rx) = channel();
        let mut pool = ProcessPool {
            workers: Vec::new(),
            setup: None,
            tx,
            rx,
            next_generation: 0,
            jobs,
        };
        for slot in 0..jobs {
            let worker = pool.start_worker(slot)?;
            pool.workers.push(worker);
        }
        Ok(pool)
    }

    fn start_worker(&mut self, slot: usize) -> Result<Worker> {
        let exe = std::env::current_exe()
            .context("cannot find the gridrun executable to start workers")?;
        let threads = super::threads_per_task(self.jobs);
        let mut child = Command::new(exe)
            .arg("__worker")
            .env("RAYON_NUM_THREADS", threads.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start a worker process")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("worker has no stdout"))?;
        let stdin = BufWriter::new(
            child
                .stdin
                .take()
                .ok_or_else(|| anyhow!("worker has no stdin"))?,
        );
        self.next_generation += 1;
        let generation = self.next_generation;
        let tx = self.tx.clone();
        std::thread::spawn(move || read_replies(BufReader::new(stdout), slot, generation, tx));
        let mut worker = Worker {
            child,
            stdin,
            generation,
            busy: None,
        };
        if let Some(setup) = &self.setup {
            send(&mut worker, &Request::Init(setup.clone()))?;
        }
        Ok(worker)
    }

    /// Sends the next task to a free worker.
    fn dispatch(
        &mut self,
        slot: usize,
        task: &TaskMsg,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<()> {
        let worker = &mut self.workers[slot];
        worker.busy = Some(task.index);
        send(worker, &Request::Run(task.clone()))?;
        on_event(Event::Started {
            index: task.index,
            worker: slot,
        });
        Ok(())
    }

    /// A worker died: record its task as failed and start a replacement.
    fn replace(&mut self, slot: usize) -> Result<Option<(usize, Outcome)>> {
        let fresh = self.start_worker(slot)?;
        let mut dead = std::mem::replace(&mut self.workers[slot], fresh);
        let status = dead
            .child
            .wait()
            .map(describe_exit)
            .unwrap_or_else(|e| e.to_string());
        Ok(dead.busy.take().map(|index| {
            let outcome = Outcome::failed(format!("worker process died ({status})"), super::now());
            (
                index,
                Outcome {
                    pid: dead.child.id(),
                    ..outcome
                },
            )
        }))
    }
}

fn read_replies(
    stdout: BufReader<std::process::ChildStdout>,
    slot: usize,
    generation: u64,
    tx: Sender<Message>,
) {
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
            Err(_) => break, // garbage on stdout: treat the worker as broken
        }
    }
    let _ = tx.send(Message::Gone { slot, generation });
}

fn send(worker: &mut Worker, request: &Request) -> Result<()> {
    serde_json::to_writer(&mut worker.stdin, request)?;
    worker.stdin.write_all(b"\n")?;
    worker.stdin.flush()?;
    Ok(())
}

#[cfg(unix)]
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

#[cfg(not(unix))]
fn describe_exit(status: std::process::ExitStatus) -> String {
    status.to_string()
}

impl Executor for ProcessPool {
    fn start(&mut self, setup: &WorkerSetup) -> Result<()> {
        self.setup = Some(setup.clone());
        for worker in &mut self.workers {
            send(worker, &Request::Init(setup.clone()))?;
        }
        Ok(())
    }

    fn run(&mut self, tasks: &[TaskMsg], on_event: &mut dyn FnMut(Event)) -> Result<()> {
        let mut queue = tasks.iter();
        let mut outstanding = 0usize;
        for slot in 0..self.workers.len() {
            if let Some(task) = queue.next() {
                self.dispatch(slot, task, on_event)?;
                outstanding += 1;
            }
        }
        while outstanding > 0 {
            let message = self.rx.recv().context("all worker reader threads ended")?;
            let finished = match message {
                Message::Reply {
                    slot,
                    generation,
                    reply: Reply::Done { index, outcome },
                } if self.workers[slot].generation == generation => {
                    self.workers[slot].busy = None;
                    Some((slot, index, outcome))
                }
                Message::Gone { slot, generation }
                    if self.workers[slot].generation == generation =>
                {
                    self.replace(slot)?
                        .map(|(index, outcome)| (slot, index, outcome))
                }
                _ => None,
            };
            if let Some((slot, index, outcome)) = finished {
                outstanding -= 1;
                on_event(Event::Finished {
                    index,
                    worker: slot,
                    outcome,
                });
                if let Some(task) = queue.next() {
                    self.dispatch(slot, task, on_event)?;
                    outstanding += 1;
                }
            }
        }
        Ok(())
    }

    fn refit(&mut self, params: &Params, seed: u64) -> Result<RefitOutput> {
        let worker = &mut self.workers[0];
        let generation = worker.generation;
        send(
            worker,
            &Request::Refit {
                params: params.clone(),
                seed,
            },
        )?;
        loop {
            match self.rx.recv().context("worker reader ended")? {
                Message::Reply {
                    slot: 0,
                    generation: g,
                    reply: Reply::Refitted(r),
                } if g == generation => {
                    return r.map_err(|e| anyhow!(e));
                }
                Message::Gone {
                    slot: 0,
                    generation: g,
                } if g == generation => {
                    let status = self.workers[0]
                        .child
                        .wait()
                        .map(describe_exit)
                        .unwrap_or_default();
                    self.workers[0] = self.start_worker(0)?;
                    bail!("the worker refitting the best setting died ({status})");
                }
                _ => {}
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
