//! A run-level status line for the steps after the tasks (refitting the best
//! setting, writing the results): a spinner with elapsed time on a terminal,
//! one line per step otherwise, nothing when quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct StatusLine {
    spinner: Option<ProgressBar>,
    plain: bool,
}

impl StatusLine {
    pub fn new(quiet: bool) -> StatusLine {
        if quiet {
            return StatusLine {
                spinner: None,
                plain: false,
            };
        }
        if !std::io::stderr().is_terminal() {
            return StatusLine {
                spinner: None,
                plain: true,
            };
        }
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner:.cyan} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        spinner.set_style(style);
        spinner.enable_steady_tick(Duration::from_millis(120));
        StatusLine {
            spinner: Some(spinner),
            plain: false,
        }
    }

    /// Shows what the run is doing now (replacing the previous step).
    pub fn set(&mut self, text: &str) {
        if let Some(spinner) = &self.spinner {
            spinner.reset_elapsed();
            spinner.set_message(text.to_string());
        } else if self.plain {
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

impl Drop for StatusLine {
    fn drop(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}
