//! The worker process: this same binary started as `gridrun __worker`. It
//! starts with no data, learns where the dataset cache is from the Init
//! message, maps it on its first task and keeps it for the next ones.

use super::evaluate::{silence_panics, Evaluator, Outcome, WorkerSetup};
use super::protocol::{Reply, Request};
use std::io::{BufRead, Write};

pub fn main() -> i32 {
    silence_panics();
    ignore_interrupts();
    crate::command::procs::guard_worker();
    let stdin = std::io::stdin().lock();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut setup: Option<WorkerSetup> = None;
    let mut evaluator: Option<Result<Evaluator, String>> = None;
    for line in stdin.lines() {
        let Ok(line) = line else { return 1 };
        let request: Request = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("gridrun worker: bad request: {e}");
                return 2;
            }
        };
        let reply = match request {
            Request::Hello => Reply::Ready,
            Request::Init(s) => {
                setup = Some(s);
                evaluator = None;
                continue;
            }
            Request::Run(task) => {
                let ev = evaluator.get_or_insert_with(|| open(setup.as_ref()));
                let outcome = match ev {
                    Ok(ev) => ev.evaluate(&task),
                    Err(e) => Outcome::failed(e.clone(), super::now()),
                };
                Reply::Done {
                    index: task.index,
                    outcome,
                }
            }
            Request::Refit(request) => {
                let ev = evaluator.get_or_insert_with(|| open(setup.as_ref()));
                Reply::Refitted(
                    ev.as_ref()
                        .map_err(Clone::clone)
                        .and_then(|ev| ev.refit(&request)),
                )
            }
        };
        let ok = serde_json::to_writer(&mut stdout, &reply).is_ok()
            && stdout.write_all(b"\n").is_ok()
            && stdout.flush().is_ok();
        if !ok {
            return 1; // coordinator gone
        }
    }
    0
}

fn open(setup: Option<&WorkerSetup>) -> Result<Evaluator, String> {
    let setup = setup.ok_or("worker received a task before its setup")?;
    Evaluator::open(setup)
}

/// Ctrl-C in a terminal reaches the whole process group; the coordinator
/// decides what it means (finish running tasks first), so workers ignore it.
fn ignore_interrupts() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to SIG_IGN is always sound.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
    }
}
