//! Running one command task: render the argv, start it in its own process
//! group with the GRIDRUN_* environment, capture its output, enforce the
//! timeout and the memory cap on the whole group, read its metrics.

use super::capture::{capture, Captured};
use super::metrics;
use super::procs;
use crate::config::task::{CommandSpec, MetricsFrom};
use crate::config::template::Template;
use crate::execute::interrupt;
use crate::execute::messages::{now, Outcome, RefitOutput, TaskMsg};
use crate::params::{canonical_json, ParamValue, Params};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What a worker needs to run command tasks; travels in the WorkerSetup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandSetup {
    pub spec: CommandSpec,
    /// The run's output folder (absolute).
    pub output: PathBuf,
    /// The CSV (absolute), when the config has a dataset.
    pub data: Option<PathBuf>,
    /// Fold files `repeat{r}-fold{f}.train|.test` (absolute), with a dataset.
    pub folds_dir: Option<PathBuf>,
    /// (train, test) row counts per repeat x fold.
    pub fold_sizes: Vec<(usize, usize)>,
    pub n_folds: usize,
    pub metrics: Vec<String>,
    /// cores / jobs: the command's share.
    pub threads: usize,
    pub timeout: Option<f64>,
    pub max_memory: Option<u64>,
    /// Extra attempts of a failed command.
    pub retries: usize,
}

/// One run of the command: the values its placeholders and variables get.
struct Job<'a> {
    task_id: String,
    params: &'a Params,
    /// (repeat, fold); None for the refit on all rows.
    fold: Option<(u32, u32)>,
    seed: u64,
    attempt: u32,
}

/// How a command run ended, before its metrics are read.
enum Ending {
    Exited(i32),
    Signalled(i32),
    TimedOut(f64),
    OutOfMemory(u64),
    Interrupted,
}

/// Polling interval of the watchdog (timeout, memory, second Ctrl-C).
const WATCH_EVERY: Duration = Duration::from_millis(20);
/// How many stderr lines a failure shows.
const STDERR_LINES: usize = 8;

pub struct Runner {
    setup: Box<CommandSetup>,
}

impl Runner {
    pub fn new(setup: &CommandSetup) -> Runner {
        Runner {
            setup: Box::new(setup.clone()),
        }
    }

    /// Runs one task, with retries; failures become a failed outcome.
    pub fn evaluate(&self, task: &TaskMsg) -> Outcome {
        let start = now();
        let mut last = String::new();
        for attempt in 1..=(1 + self.setup.retries as u32) {
            let job = Job {
                task_id: task_id_of(task),
                params: &task.params,
                fold: Some((task.repeat, task.fold)),
                seed: task.seed,
                attempt,
            };
            match self.attempt(&job) {
                Ok((scores, seconds, peak_kb)) => {
                    let (n_train, n_test) = self.fold_size(task.repeat, task.fold);
                    return Outcome {
                        scores,
                        error: None,
                        fit_seconds: seconds,
                        score_seconds: 0.0,
                        warnings: Vec::new(),
                        n_train,
                        n_test,
                        pid: std::process::id(),
                        start,
                        end: now(),
                        peak_rss_kb: peak_kb,
                        attempts: attempt,
                    };
                }
                Err(why) => last = why,
            }
            if interrupt::draining() {
                break;
            }
        }
        let mut outcome = Outcome::failed(last, start);
        outcome.attempts = 1 + self.setup.retries as u32;
        outcome
    }

    /// Runs `refit_command` once on all rows for the best setting.
    pub fn refit(&self, params: &Params, seed: u64) -> Result<RefitOutput, String> {
        let Some(argv) = &self.setup.spec.refit_argv else {
            return Err("no refit_command".into());
        };
        let job = Job {
            task_id: "refit".into(),
            params,
            fold: None,
            seed,
            attempt: 1,
        };
        let clock = Instant::now();
        let (ending, _, stderr, _) = self.spawn_and_wait(argv, &job)?;
        if let Some(cause) = failure(&ending, &self.setup) {
            return Err(with_stderr(cause, &stderr));
        }
        Ok(RefitOutput {
            saved: None,
            peak_rss_kb: 0,
            feature_importances: None,
            fit_seconds: clock.elapsed().as_secs_f64(),
            preprocess: None,
            feature_names: None,
            warnings: Vec::new(),
        })
    }

    fn fold_size(&self, repeat: u32, fold: u32) -> (usize, usize) {
        let i = repeat as usize * self.setup.n_folds + fold as usize;
        self.setup.fold_sizes.get(i).copied().unwrap_or((0, 0))
    }

    /// One attempt: scores, seconds, peak KiB; or the cause of failure.
    #[allow(clippy::type_complexity)]
    fn attempt(
        &self,
        job: &Job,
    ) -> Result<(std::collections::BTreeMap<String, f64>, f64, u64), String> {
        let clock = Instant::now();
        let (ending, stdout, stderr, peak_kb) = self.spawn_and_wait(&self.setup.spec.argv, job)?;
        let seconds = clock.elapsed().as_secs_f64();
        if let Some(cause) = failure(&ending, &self.setup) {
            return Err(with_stderr(cause, &stderr));
        }
        let found = match &self.setup.spec.metrics_from {
            MetricsFrom::Stdout => stdout.metrics.ok_or_else(|| {
                "printed no JSON object on stdout (the last stdout line that is a JSON object holds the metrics)".to_string()
            }),
            MetricsFrom::File(t) => {
                let path = self.setup.spec.workdir.join(self.render(t, job));
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read the metrics file {}: {e}", path.display()))
                    .and_then(|text| {
                        metrics::parse_object(&text).ok_or_else(|| {
                            format!("the metrics file {} is not a JSON object", path.display())
                        })
                    })
            }
        };
        let scores = found
            .and_then(|map| metrics::extract(&map, &self.setup.metrics))
            .map_err(|e| with_stderr(e, &stderr))?;
        Ok((scores, seconds, peak_kb))
    }

    fn render(&self, template: &Template, job: &Job) -> String {
        template.render(&|name| self.value(name, job))
    }

    /// The value of a placeholder for this job.
    fn value<'a>(&'a self, name: &str, job: &Job) -> Option<Cow<'a, str>> {
        let path = |p: PathBuf| Some(Cow::Owned(p.display().to_string()));
        Some(Cow::Owned(match name {
            "fold" => job.fold?.1.to_string(),
            "repeat" => job.fold?.0.to_string(),
            "seed" => job.seed.to_string(),
            "task_id" => job.task_id.clone(),
            "data" => return path(self.setup.data.clone()?),
            "train_rows" => return path(self.rows_file(job, "train")?),
            "test_rows" => return path(self.rows_file(job, "test")?),
            "out" => return path(self.out_dir(job)),
            "params_json" => canonical_json(job.params),
            "threads" => self.setup.threads.to_string(),
            key => render_value(job.params.get(key)?),
        }))
    }

    fn rows_file(&self, job: &Job, which: &str) -> Option<PathBuf> {
        let (repeat, fold) = job.fold?;
        Some(
            self.setup
                .folds_dir
                .as_ref()?
                .join(super::folds::file_name(repeat, fold, which)),
        )
    }

    fn out_dir(&self, job: &Job) -> PathBuf {
        let sub = if job.fold.is_none() {
            "refit".to_string()
        } else {
            format!("tasks/{}", job.task_id)
        };
        self.setup.output.join(sub)
    }

    fn environment(&self, job: &Job) -> Vec<(&'static str, String)> {
        let threads = self.setup.threads.to_string();
        let mut env = vec![
            ("GRIDRUN_TASK_ID", job.task_id.clone()),
            ("GRIDRUN_N_FOLDS", self.setup.n_folds.to_string()),
            ("GRIDRUN_SEED", job.seed.to_string()),
            ("GRIDRUN_ATTEMPT", job.attempt.to_string()),
            ("GRIDRUN_PARAMS", canonical_json(job.params)),
            ("GRIDRUN_OUT", self.out_dir(job).display().to_string()),
            ("GRIDRUN_THREADS", threads.clone()),
            ("OMP_NUM_THREADS", threads.clone()),
            ("MKL_NUM_THREADS", threads.clone()),
            ("OPENBLAS_NUM_THREADS", threads),
            ("PYTHONUNBUFFERED", "1".into()),
        ];
        if let Some((repeat, fold)) = job.fold {
            env.push(("GRIDRUN_FOLD", fold.to_string()));
            env.push(("GRIDRUN_REPEAT", repeat.to_string()));
            if let (Some(train), Some(test)) =
                (self.rows_file(job, "train"), self.rows_file(job, "test"))
            {
                env.push(("GRIDRUN_TRAIN_ROWS", train.display().to_string()));
                env.push(("GRIDRUN_TEST_ROWS", test.display().to_string()));
            }
        }
        if let Some(data) = &self.setup.data {
            env.push(("GRIDRUN_DATA", data.display().to_string()));
        }
        env
    }

    /// Starts the command and waits for it and its output.
    fn spawn_and_wait(
        &self,
        argv: &[Template],
        job: &Job,
    ) -> Result<(Ending, Captured, Captured, u64), String> {
        let args: Vec<String> = argv.iter().map(|t| self.render(t, job)).collect();
        let out_dir = self.out_dir(job);
        std::fs::create_dir_all(&out_dir)
            .map_err(|e| format!("{}: cannot create: {e}", out_dir.display()))?;
        let logs = crate::output_dir::OutputDir::new(&self.setup.output).logs_dir();
        // A program path with a slash is relative to the workdir.
        let program = match args[0].contains('/') {
            true => self.setup.spec.workdir.join(&args[0]),
            false => PathBuf::from(&args[0]),
        };
        let mut command = Command::new(program);
        command
            .args(&args[1..])
            .current_dir(&self.setup.spec.workdir)
            .envs(self.environment(job))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        own_group(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", args[0]))?;
        let pgid = child.id();
        procs::set_current_group(pgid);
        procs::record(&self.setup.output, &job.task_id, pgid);
        let (done_tx, done_rx) = mpsc::channel();
        let readers = [
            (
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
                "out",
                true,
            ),
            (
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
                "err",
                false,
            ),
        ]
        .map(|(stream, ext, metrics)| {
            let log = logs.join(format!("{}.{ext}", job.task_id));
            let tx = done_tx.clone();
            std::thread::spawn(move || {
                let captured = stream
                    .map(|s| capture(s, &log, metrics))
                    .unwrap_or_default();
                let _ = tx.send(());
                captured
            })
        });
        drop(done_tx);
        let (ending, peak_kb) = self.wait(pgid);
        // Whatever the command left running in its group ends with it.
        procs::kill_group(pgid);
        procs::set_current_group(0);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut closed = 0;
        while closed < 2 {
            let left = deadline.saturating_duration_since(Instant::now());
            match done_rx.recv_timeout(left) {
                Ok(()) => closed += 1,
                Err(_) => break,
            }
        }
        procs::forget(&self.setup.output, &job.task_id);
        let [out, err] = readers;
        // Both readers reached the end of their streams: join them. Else a
        // process that left the group holds a pipe open: leave them be.
        let take = |h: std::thread::JoinHandle<Captured>| {
            if closed == 2 {
                h.join().unwrap_or_default()
            } else {
                Captured::default()
            }
        };
        Ok((ending, take(out), take(err), peak_kb))
    }

    /// Waits for the group leader; a watchdog thread enforces the timeout,
    /// the memory cap and a second Ctrl-C by killing the whole group.
    fn wait(&self, pgid: u32) -> (Ending, u64) {
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let timeout = self.setup.timeout;
        let max_kb = self.setup.max_memory.map(|b| b / 1024);
        let watchdog = std::thread::spawn(move || {
            let clock = Instant::now();
            let mut peak_kb = 0;
            loop {
                match stop_rx.recv_timeout(WATCH_EVERY) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return (None, peak_kb),
                }
                let verdict = if interrupt::stop_now() {
                    Some(Ending::Interrupted)
                } else if timeout.is_some_and(|t| clock.elapsed().as_secs_f64() > t) {
                    Some(Ending::TimedOut(clock.elapsed().as_secs_f64()))
                } else if let Some(max_kb) = max_kb {
                    let rss = procs::group_rss_kb(pgid);
                    peak_kb = peak_kb.max(rss);
                    (rss > max_kb).then_some(Ending::OutOfMemory(rss))
                } else {
                    None
                };
                if verdict.is_some() {
                    procs::kill_group(pgid);
                    return (verdict, peak_kb);
                }
            }
        });
        let (status, own_peak_kb) = wait_for(pgid);
        drop(stop_tx);
        let (verdict, polled_kb) = watchdog.join().unwrap_or((None, 0));
        let ending = verdict.unwrap_or(status);
        (ending, polled_kb.max(own_peak_kb))
    }
}

/// The id of a task; the seed is its first 16 hex digits (see plan.rs).
fn task_id_of(task: &TaskMsg) -> String {
    format!("{:016x}", task.seed)
}

/// A hyperparameter as the command sees it: as the config wrote it.
pub fn render_value(v: &ParamValue) -> String {
    match v {
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::None => "none".into(),
        other => other.to_string(),
    }
}

fn failure(ending: &Ending, setup: &CommandSetup) -> Option<String> {
    Some(match ending {
        Ending::Exited(0) => return None,
        Ending::Exited(code) => format!("the command exited with code {code}"),
        Ending::Signalled(sig) => format!(
            "the command was killed by signal {sig}{}",
            signal_name(*sig)
        ),
        Ending::TimedOut(s) => format!(
            "timed out after {s:.1} s (timeout {}): its process group was killed",
            crate::units::format_duration(setup.timeout.unwrap_or(0.0))
        ),
        Ending::OutOfMemory(kb) => format!(
            "out of memory: its process group used {} MiB, over max_memory {}: killed",
            kb / 1024,
            crate::units::format_bytes(setup.max_memory.unwrap_or(0))
        ),
        Ending::Interrupted => "interrupted (Ctrl-C twice): its process group was killed".into(),
    })
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => "",
    }
}

/// The cause, then the last lines of the command's stderr.
fn with_stderr(cause: String, stderr: &Captured) -> String {
    let lines = stderr.last_lines(STDERR_LINES);
    if lines.is_empty() {
        return cause;
    }
    let mut text = cause;
    text.push_str("; last lines of stderr:");
    for line in lines {
        text.push_str("\n  | ");
        text.push_str(&line);
    }
    text
}

/// Waits for one child (blocking): its ending and peak RSS in KiB.
fn wait_for(pid: u32) -> (Ending, u64) {
    let mut status = 0;
    // SAFETY: wait4 on our own child with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if r == pid as libc::pid_t {
            break;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return (Ending::Exited(-1), 0);
        }
    }
    let ending = if libc::WIFEXITED(status) {
        Ending::Exited(libc::WEXITSTATUS(status))
    } else {
        Ending::Signalled(libc::WTERMSIG(status))
    };
    (ending, usage.ru_maxrss.max(0) as u64)
}

/// The command gets its own process group (so a timeout or Ctrl-C ends all
/// it started), dies with the thread that started it, and starts with the
/// default signal dispositions (workers ignore Ctrl-C; commands must not).
fn own_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGPIPE] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_as_the_config_wrote_them() {
        assert_eq!(render_value(&ParamValue::Float(0.001)), "0.001");
        assert_eq!(render_value(&ParamValue::Float(10.0)), "10.0");
        assert_eq!(render_value(&ParamValue::Int(7)), "7");
        assert_eq!(render_value(&ParamValue::Bool(true)), "true");
        assert_eq!(render_value(&ParamValue::Str("rbf".into())), "rbf");
        assert_eq!(render_value(&ParamValue::None), "none");
    }

    #[test]
    fn task_ids_come_back_from_seeds() {
        // Workers know a task by its seed, which is its id read as hex.
        let task = crate::plan::Task {
            id: "0a1b2c3d4e5f6789".parse().unwrap(),
            setting: 0,
            repeat: 0,
            fold: 0,
        };
        let msg = TaskMsg {
            index: 0,
            params: Params::new(),
            repeat: 0,
            fold: 0,
            seed: task.seed(),
            subsample: None,
        };
        assert_eq!(task_id_of(&msg), task.id);
    }
}
