//! Progress on stderr: a bar on a terminal, periodic plain lines otherwise,
//! nothing when quiet.

use super::Reporter;
use crate::results::TaskRecord;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    plain: Option<PlainLines>,
    total: usize,
    done: usize,
    failed: usize,
    running: usize,
}

/// For logs: a line every `every`, and one at the end.
struct PlainLines {
    started: Instant,
    last: Instant,
    every: Duration,
}

impl Progress {
    pub fn new(total: usize, quiet: bool) -> Progress {
        let mut p = Progress {
            bar: None,
            plain: None,
            total,
            done: 0,
            failed: 0,
            running: 0,
        };
        if quiet {
            return p;
        }
        if std::io::stderr().is_terminal() {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise}, ETA {eta_or_wait}]",
            )
            .map(|s| s.with_key("eta_or_wait", eta_or_wait))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            p.bar = Some(bar);
        } else {
            let every = std::env::var("GRIDRUN_PROGRESS_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(10.0);
            let now = Instant::now();
            p.plain = Some(PlainLines {
                started: now,
                last: now,
                every: Duration::from_secs_f64(every),
            });
        }
        p
    }

    /// A running task went back to the queue (its worker crashed).
    pub fn requeued(&mut self, reason: &str) {
        self.running = self.running.saturating_sub(1);
        self.note(&format!("retrying a task: {reason}"));
    }

    /// A failed task, shown at once (also when quiet).
    pub fn failure(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("gridrun: {text}")),
            None => crate::errln!("gridrun: {text}"),
        }
    }

    /// A one-off message (retry, interrupt) above the bar or as a line.
    pub fn note(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("gridrun: {text}")),
            None if self.plain.is_some() => crate::errln!("gridrun: {text}"),
            None => {}
        }
    }

    fn message(&self) -> String {
        format!("failed {}, running {}", self.failed, self.running)
    }

    fn plain_line(&self, plain: &PlainLines) -> String {
        let elapsed = plain.started.elapsed().as_secs_f64();
        let eta = if self.done > 0 {
            elapsed / self.done as f64 * (self.total - self.done) as f64
        } else {
            f64::NAN
        };
        format!(
            "gridrun: {}/{} done, {}, elapsed {:.0}s, ETA {}",
            self.done,
            self.total,
            self.message(),
            elapsed,
            if eta.is_nan() {
                "?".into()
            } else {
                format!("{eta:.0}s")
            }
        )
    }

    fn refresh(&mut self) {
        if let Some(bar) = &self.bar {
            bar.set_position(self.done as u64);
            bar.set_message(self.message());
        }
        if let Some(plain) = &self.plain {
            if plain.last.elapsed() >= plain.every {
                crate::errln!("{}", self.plain_line(plain));
                if let Some(p) = self.plain.as_mut() {
                    p.last = Instant::now();
                }
            }
        }
    }
}

/// indicatif's `{eta}` says "0s" before the first task ends: say "?" until
/// there is a rate to go by.
fn eta_or_wait(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = if state.pos() == 0 {
        write!(w, "?")
    } else {
        write!(w, "{:#}", indicatif::HumanDuration(state.eta()))
    };
}

/// One line for a failed task: its setting, fold and the error's last line.
pub fn failure_line(record: &TaskRecord) -> String {
    let error = record.error.as_deref().unwrap_or("no error message");
    format!(
        "task failed: {} (repeat {}, fold {}): {}",
        crate::params::describe(&record.params),
        record.repeat,
        record.fold,
        super::summary::last_line(error)
    )
}

impl Reporter for Progress {
    fn started(&mut self, _index: usize, _worker: usize) {
        self.running += 1;
        self.refresh();
    }

    fn finished(&mut self, record: &TaskRecord) -> Result<()> {
        self.running = self.running.saturating_sub(1);
        self.done += 1;
        if !record.ok() {
            self.failed += 1;
            self.note(&failure_line(record));
        }
        self.refresh();
        Ok(())
    }

    fn done(&mut self) -> Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let Some(plain) = &self.plain {
            crate::errln!("{}", self.plain_line(plain));
        }
        Ok(())
    }
}
