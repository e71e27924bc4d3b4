//! A run-level status line for the steps after the tasks (refitting the best
//! setting, writing the results): a spinner with elapsed time on a terminal,
//! one line per step otherwise, nothing when quiet.

use super::RunReporter;
use crate::execute::RunEvent;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct StatusLine {
    spinner: Option<ProgressBar>,
    plain: bool,
    terminal: bool,
}

impl StatusLine {
    pub fn new(quiet: bool) -> StatusLine {
        let terminal = !quiet && std::io::stderr().is_terminal();
        StatusLine {
            spinner: None,
            plain: !quiet && !terminal,
            terminal,
        }
    }

    /// The spinner, made on the first step (none while tasks run: the
    /// progress bar has the screen then).
    fn spinner(&mut self) -> Option<&ProgressBar> {
        if self.terminal && self.spinner.is_none() {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner:.cyan} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            spinner.set_style(style);
            spinner.enable_steady_tick(Duration::from_millis(120));
            self.spinner = Some(spinner);
        }
        self.spinner.as_ref()
    }

    /// Clears the spinner (before a batch of tasks shows its progress bar).
    pub fn clear(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    /// A line that stays (not replaced by the next step).
    pub fn line(&mut self, text: &str) {
        self.clear();
        if self.terminal || self.plain {
            crate::errln!("gridrun: {text}");
        }
    }

    /// Shows what the run is doing now (replacing the previous step).
    pub fn set(&mut self, text: &str) {
        let plain = self.plain;
        if let Some(spinner) = self.spinner() {
            spinner.reset_elapsed();
            spinner.set_message(text.to_string());
        } else if plain {
            crate::errln!("gridrun: {text}");
        }
    }

    /// A warning that stays on screen above the status line.
    pub fn warn(&mut self, text: &str) {
        match &self.spinner {
            Some(spinner) => spinner.println(format!("gridrun: warning: {text}")),
            None => crate::errln!("gridrun: warning: {text}"),
        }
    }
}

impl RunReporter for StatusLine {
    fn run_event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted { .. } => {}
            RunEvent::RoundStarted {
                round,
                rounds,
                candidates,
                resources,
                tasks,
            } => self.line(&format!(
                "round {} of {rounds}: {candidates} candidates with {resources} resources ({tasks} tasks)",
                round + 1
            )),
            RunEvent::RefitStarted { rows, setting } => self.set(&format!(
                "refitting the best setting on all {rows} rows ({setting}) and writing best_model.bin..."
            )),
            RunEvent::RefitFinished { error: Some(why) } => self.warn(&format!(
                "refitting the best setting on all rows failed: {why}; no best_model.bin"
            )),
            RunEvent::RefitFinished { error: None } => {}
            RunEvent::Writing { what } => self.set(&format!("writing {what}...")),
            RunEvent::RunFinished { .. } => self.clear(),
        }
    }
}

impl Drop for StatusLine {
    fn drop(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}
