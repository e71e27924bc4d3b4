//! Slurm job arrays: one array task per shard.
//!
//! [`sbatch_script`] writes the batch script; [`submit`] hands it to
//! `sbatch --parsable`; [`poll`] and [`follow`] watch the array with
//! `squeue` (is anything still pending or running?) and `scontrol show job`
//! (each task's final state and exit code). Not `sbatch --wait`: it polls
//! slowly (2, 8, then 32 s; 10 s for an array that was done in under 5 s on
//! Slurm 22.05) and returns one exit code for the whole array, without
//! saying which tasks failed. The output parsers are pure functions, tested
//! on output captured from Slurm 22.05 (`scripts/slurm-local.sh`).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What goes into the `sbatch` script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmOptions {
    /// Array size: tasks `0..shards`, one per shard (0 is taken as 1).
    pub shards: usize,
    /// CPUs per array task, passed on as `gridrun --jobs` (0 is taken as 1).
    pub cpus_per_task: usize,
    /// `--time`, e.g. `2:00:00`.
    pub time: Option<String>,
    pub partition: Option<String>,
    /// `--mem` per array task, e.g. `4G`.
    pub mem: Option<String>,
    pub job_name: String,
    /// gridrun's `--output` and the Slurm logs' folder. It must exist before
    /// submitting: Slurm opens the log before the script runs. A relative
    /// path is relative to the folder `sbatch` runs in.
    pub output_dir: PathBuf,
    pub gridrun_exe: PathBuf,
    pub config: PathBuf,
    /// More `gridrun run` arguments, e.g. `--backend process`.
    pub extra_args: Vec<String>,
}

/// A bash script running shard `$SLURM_ARRAY_TASK_ID` of `shards` per task.
pub fn sbatch_script(opts: &SlurmOptions) -> String {
    let shards = opts.shards.max(1);
    let output_dir = opts.output_dir.to_string_lossy();
    let mut s = String::from("#!/bin/bash\n");
    s.push_str("# Written by gridrun: one array task per shard of the plan.\n");
    directive(&mut s, "job-name", &opts.job_name);
    directive(&mut s, "array", &format!("0-{}", shards - 1));
    directive(
        &mut s,
        "cpus-per-task",
        &opts.cpus_per_task.max(1).to_string(),
    );
    for (name, value) in [
        ("time", &opts.time),
        ("partition", &opts.partition),
        ("mem", &opts.mem),
    ] {
        if let Some(value) = value {
            directive(&mut s, name, value);
        }
    }
    directive(&mut s, "output", &log_pattern(&output_dir));
    s.push_str("set -euo pipefail\n");
    let mut command = vec![
        "exec".to_string(),
        shell_quote(&opts.gridrun_exe.to_string_lossy()),
        "run".to_string(),
        shell_quote(&opts.config.to_string_lossy()),
        format!("--shard \"$SLURM_ARRAY_TASK_ID/{shards}\""),
        "--jobs \"$SLURM_CPUS_PER_TASK\"".to_string(),
    ];
    if !output_dir.is_empty() {
        command.push(format!("--output {}", shell_quote(&output_dir)));
    }
    command.extend(opts.extra_args.iter().map(|a| shell_quote(a)));
    s.push_str(&command.join(" "));
    s.push('\n');
    s
}

/// `#SBATCH --name=value`. sbatch splits these lines like a shell does, so
/// the value is shell-quoted; a line break would end the directive, so
/// control characters become `_`.
fn directive(script: &mut String, name: &str, value: &str) {
    let value: String = value
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    script.push_str(&format!("#SBATCH --{name}={}\n", shell_quote(&value)));
}

/// `DIR/slurm-%A_%a.out` (array job id, task id). A literal `%` in the
/// folder is written `%%` so Slurm does not take it as a pattern.
fn log_pattern(output_dir: &str) -> String {
    let dir = output_dir.replace('%', "%%");
    match dir.as_str() {
        "" => "slurm-%A_%a.out".to_string(),
        d if d.ends_with('/') => format!("{d}slurm-%A_%a.out"),
        d => format!("{d}/slurm-%A_%a.out"),
    }
}

/// `s` as one shell word: unchanged when it holds only characters the shell
/// takes literally, else in single quotes (a `'` becomes `'\''`).
pub fn shell_quote(s: &str) -> String {
    let literal = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(literal) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A Slurm job id (for an array: the array's id, `%A`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a Slurm command could not be run or understood.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("could not run {program}: {source}{hint}", hint = install_hint(.source))]
    Spawn {
        program: &'static str,
        source: io::Error,
    },
    #[error("{command} failed ({status}): {stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("unexpected {what} output: {detail}")]
    Parse { what: &'static str, detail: String },
    #[error("Slurm does not know job {0} (a wrong id, or it ended more than MinJobAge ago)")]
    UnknownJob(JobId),
}

/// Points at the likely cause when a Slurm command is missing.
fn install_hint(error: &io::Error) -> &'static str {
    if error.kind() == io::ErrorKind::NotFound {
        " (is Slurm installed and on PATH?)"
    } else {
        ""
    }
}

fn parse_error(what: &'static str, detail: impl Into<String>) -> SlurmError {
    SlurmError::Parse {
        what,
        detail: detail.into(),
    }
}

/// A Slurm job state, as `squeue %T` and `scontrol`'s `JobState=` spell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskPhase {
    Pending,
    Configuring,
    Running,
    Completing,
    Suspended,
    Requeued,
    Completed,
    Failed,
    Cancelled,
    Timeout,
    OutOfMemory,
    NodeFail,
    BootFail,
    Deadline,
    Preempted,
    /// A state this parser does not know; never taken as finished.
    Other(String),
}

impl TaskPhase {
    pub fn parse(state: &str) -> Self {
        // `CANCELLED by 0` (sacct style): the first word is the state.
        let word = state.split_whitespace().next().unwrap_or("");
        match word.to_ascii_uppercase().as_str() {
            "PENDING" => Self::Pending,
            "CONFIGURING" => Self::Configuring,
            "RUNNING" => Self::Running,
            "COMPLETING" => Self::Completing,
            "SUSPENDED" => Self::Suspended,
            "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" => Self::Requeued,
            "COMPLETED" => Self::Completed,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            "TIMEOUT" => Self::Timeout,
            "OUT_OF_MEMORY" => Self::OutOfMemory,
            "NODE_FAIL" => Self::NodeFail,
            "BOOT_FAIL" => Self::BootFail,
            "DEADLINE" => Self::Deadline,
            "PREEMPTED" => Self::Preempted,
            _ => Self::Other(word.to_string()),
        }
    }

    /// The task will not run again (barring a manual requeue).
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Failed
                | Self::Cancelled
                | Self::Timeout
                | Self::OutOfMemory
                | Self::NodeFail
                | Self::BootFail
                | Self::Deadline
                | Self::Preempted
        )
    }
}

impl fmt::Display for TaskPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Pending => "PENDING",
            Self::Configuring => "CONFIGURING",
            Self::Running => "RUNNING",
            Self::Completing => "COMPLETING",
            Self::Suspended => "SUSPENDED",
            Self::Requeued => "REQUEUED",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::Timeout => "TIMEOUT",
            Self::OutOfMemory => "OUT_OF_MEMORY",
            Self::NodeFail => "NODE_FAIL",
            Self::BootFail => "BOOT_FAIL",
            Self::Deadline => "DEADLINE",
            Self::Preempted => "PREEMPTED",
            Self::Other(s) => s,
        };
        f.write_str(name)
    }
}

/// `ExitCode=code:signal` from `scontrol`: the batch script's exit status,
/// or the signal that killed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCode {
    pub code: i32,
    pub signal: i32,
}

impl ExitCode {
    pub fn parse(s: &str) -> Option<Self> {
        let (code, signal) = s.split_once(':')?;
        Some(Self {
            code: code.parse().ok()?,
            signal: signal.parse().ok()?,
        })
    }

    pub fn is_success(&self) -> bool {
        self.code == 0 && self.signal == 0
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.signal != 0 {
            write!(f, "signal {}", self.signal)
        } else {
            write!(f, "exit {}", self.code)
        }
    }
}

/// One array task as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    pub phase: TaskPhase,
    /// Known once `scontrol` has reported the task (final once finished).
    pub exit: Option<ExitCode>,
}

impl TaskState {
    pub fn succeeded(&self) -> bool {
        self.phase == TaskPhase::Completed && self.exit.is_none_or(|e| e.is_success())
    }

    pub fn failed(&self) -> bool {
        self.phase.is_finished() && !self.succeeded()
    }
}

/// An array job at one moment: each task's state, keyed by array task id
/// (a job that is not an array shows as task 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayState {
    pub job: JobId,
    pub tasks: BTreeMap<u32, TaskState>,
    /// `squeue` still lists part of the job (pending, running, completing).
    pub active: bool,
}

impl ArrayState {
    pub fn is_done(&self) -> bool {
        !self.active
    }

    /// Finished tasks that did not complete with exit code 0.
    pub fn failed_tasks(&self) -> Vec<u32> {
        self.tasks
            .iter()
            .filter(|(_, t)| t.failed())
            .map(|(&id, _)| id)
            .collect()
    }

    /// Done, and every known task completed with exit code 0.
    pub fn all_succeeded(&self) -> bool {
        self.is_done() && !self.tasks.is_empty() && self.tasks.values().all(TaskState::succeeded)
    }
}

impl fmt::Display for ArrayState {
    /// One line: `job 12 running: 2 PENDING, 1 RUNNING, 1 FAILED; task 2 FAILED exit 3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for task in self.tasks.values() {
            let name = task.phase.to_string();
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => *c += 1,
                None => counts.push((name, 1)),
            }
        }
        let counts: Vec<String> = counts.iter().map(|(n, c)| format!("{c} {n}")).collect();
        let phase = if self.active { "running" } else { "done" };
        write!(f, "job {} {phase}: {}", self.job, counts.join(", "))?;
        let failures: Vec<String> = self
            .failed_tasks()
            .iter()
            .map(|id| {
                let task = &self.tasks[id];
                match task.exit {
                    Some(exit) => format!("task {id} {} {exit}", task.phase),
                    None => format!("task {id} {}", task.phase),
                }
            })
            .collect();
        if !failures.is_empty() {
            write!(f, "; {}", failures.join(", "))?;
        }
        Ok(())
    }
}

/// Guards against expanding an absurd range; Slurm's own MaxArraySize
/// tops out at 4000001.
const MAX_TASKS: u64 = 4_000_001;

/// Array task ids from Slurm's notation: `3`, `0-3`, `[2-3]`, `1-5%2`
/// (at most 2 at once), `0-7:2` (step 2), `1,3,5-7`.
pub fn parse_task_ids(selector: &str) -> Result<Vec<u32>, SlurmError> {
    let bad = || parse_error("array task id", selector);
    let inner = selector
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let inner = inner.split_once('%').map_or(inner, |(ids, _throttle)| ids);
    let mut ids = Vec::new();
    for part in inner.split(',') {
        let (range, step) = part.split_once(':').unwrap_or((part, "1"));
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
        let (first, last, step) = (number(first)?, number(last)?, number(step)?);
        if first > last
            || step == 0
            || ids.len() as u64 + u64::from(last - first) / u64::from(step) >= MAX_TASKS
        {
            return Err(bad());
        }
        ids.extend((first..=last).step_by(step as usize));
    }
    Ok(ids)
}

/// `sbatch --parsable` prints `JOBID` or `JOBID;CLUSTER`.
pub fn parse_job_id(sbatch_stdout: &str) -> Result<JobId, SlurmError> {
    let line = sbatch_stdout
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("");
    let id = line.split(';').next().unwrap_or("");
    id.parse()
        .map(JobId)
        .map_err(|_| parse_error("sbatch --parsable", sbatch_stdout.trim()))
}

/// `squeue -h -j JOB -o "%i %T"`: lines like `12_[2-3] PENDING`, `12_1 RUNNING`
/// or `12 RUNNING` (not an array: task 0). Only active tasks are listed.
pub fn parse_squeue(text: &str) -> Result<BTreeMap<u32, TaskPhase>, SlurmError> {
    let mut tasks = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (id, state) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| parse_error("squeue", line))?;
        let ids = match id.split_once('_') {
            Some((_job, selector)) => parse_task_ids(selector)?,
            None => vec![0],
        };
        let phase = TaskPhase::parse(state);
        tasks.extend(ids.into_iter().map(|t| (t, phase.clone())));
    }
    Ok(tasks)
}

/// The fields of one `scontrol show job` record that the poller needs.
#[derive(Default)]
struct Record<'a> {
    job_id: Option<&'a str>,
    array_job_id: Option<&'a str>,
    array_task_id: Option<&'a str>,
    state: Option<&'a str>,
    exit: Option<&'a str>,
}

/// Splits `scontrol show job` output (multi-line or `-o`) into records: each
/// starts at a `JobId=` token. Values holding spaces (`JobName=my job`) split
/// into extra tokens, which are ignored; the first of each key counts.
fn records(text: &str) -> Vec<Record<'_>> {
    let mut records: Vec<Record> = Vec::new();
    for token in text.split_whitespace() {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        if key == "JobId" {
            records.push(Record::default());
        }
        let Some(r) = records.last_mut() else {
            continue;
        };
        let field = match key {
            "JobId" => &mut r.job_id,
            "ArrayJobId" => &mut r.array_job_id,
            "ArrayTaskId" => &mut r.array_task_id,
            "JobState" => &mut r.state,
            "ExitCode" => &mut r.exit,
            _ => continue,
        };
        field.get_or_insert(value);
    }
    records
}

/// `scontrol show job JOB`: every task of array `job` that slurmctld still
/// remembers (finished ones for `MinJobAge`, 300 s by default), with
/// `JobState=` and `ExitCode=code:signal`. Pending tasks come as one record
/// with a range (`ArrayTaskId=2-3`). Records of other jobs are skipped.
pub fn parse_scontrol_jobs(job: JobId, text: &str) -> Result<BTreeMap<u32, TaskState>, SlurmError> {
    let mut tasks = BTreeMap::new();
    for r in records(text) {
        let owner = r.array_job_id.or(r.job_id).unwrap_or("");
        if owner != job.to_string() {
            continue;
        }
        let state = r
            .state
            .ok_or_else(|| parse_error("scontrol show job", "a record without JobState="))?;
        let phase = TaskPhase::parse(state);
        let exit = r.exit.and_then(ExitCode::parse);
        let ids = match r.array_task_id {
            Some(selector) => parse_task_ids(selector)?,
            None => vec![0],
        };
        for id in ids {
            let exit = if phase == TaskPhase::Pending {
                None
            } else {
                exit
            };
            tasks.insert(
                id,
                TaskState {
                    phase: phase.clone(),
                    exit,
                },
            );
        }
    }
    Ok(tasks)
}

/// Combines one `squeue` and one later `scontrol` reading. `scontrol` is
/// the newer and fuller view, so its states win; `squeue` adds the tasks it
/// lists that `scontrol` missed, and says whether anything is still active.
pub fn array_state(
    job: JobId,
    squeue_out: &str,
    scontrol_out: &str,
) -> Result<ArrayState, SlurmError> {
    let active = parse_squeue(squeue_out)?;
    let mut tasks = parse_scontrol_jobs(job, scontrol_out)?;
    for (&id, phase) in &active {
        tasks.entry(id).or_insert_with(|| TaskState {
            phase: phase.clone(),
            exit: None,
        });
    }
    Ok(ArrayState {
        job,
        tasks,
        active: !active.is_empty(),
    })
}

/// Runs a Slurm command, returning its stdout.
fn run<S: AsRef<OsStr>>(program: &'static str, args: &[S]) -> Result<String, SlurmError> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|source| SlurmError::Spawn { program, source })?;
    if !output.status.success() {
        let words: Vec<String> = std::iter::once(program.to_string())
            .chain(
                args.iter()
                    .map(|a| a.as_ref().to_string_lossy().into_owned()),
            )
            .collect();
        return Err(SlurmError::Failed {
            command: words.join(" "),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Like [`run`], but a job slurmctld no longer knows (finished longer than
/// `MinJobAge` ago) reads as empty output rather than an error.
fn run_query(program: &'static str, args: &[&str]) -> Result<String, SlurmError> {
    match run(program, args) {
        Err(SlurmError::Failed { stderr, .. }) if stderr.contains("Invalid job id") => {
            Ok(String::new())
        }
        other => other,
    }
}

/// Submits a batch script with `sbatch --parsable`.
pub fn submit(script_path: &Path) -> Result<JobId, SlurmError> {
    let args: [&OsStr; 2] = ["--parsable".as_ref(), script_path.as_os_str()];
    parse_job_id(&run("sbatch", &args)?)
}

/// One reading of the array: `squeue` first, then `scontrol`, so a task
/// that `squeue` no longer lists has its final state in `scontrol`.
pub fn poll(job: JobId) -> Result<ArrayState, SlurmError> {
    let id = job.to_string();
    let squeue = run_query("squeue", &["-h", "-j", &id, "-o", "%i %T"])?;
    let scontrol = run_query("scontrol", &["show", "job", &id])?;
    array_state(job, &squeue, &scontrol)
}

/// Poll errors in a row that [`follow`] rides out (slurmctld busy or
/// restarting) before giving up.
const MAX_POLL_ERRORS: u32 = 3;

/// Polls every `poll_interval` until nothing of the job is pending or
/// running, calling `on_update` with the first state and each change.
/// Tasks that slurmctld has forgotten keep their last seen state; a job
/// unknown at the first poll is an error.
pub fn follow(
    job: JobId,
    poll_interval: Duration,
    mut on_update: impl FnMut(&ArrayState),
) -> Result<ArrayState, SlurmError> {
    let mut last: Option<ArrayState> = None;
    let mut errors = 0;
    loop {
        let mut state = match poll(job) {
            Ok(state) => state,
            Err(e @ SlurmError::Spawn { .. }) => return Err(e),
            Err(e) if errors + 1 >= MAX_POLL_ERRORS => return Err(e),
            Err(_) => {
                errors += 1;
                std::thread::sleep(poll_interval);
                continue;
            }
        };
        errors = 0;
        if last.is_none() && state.tasks.is_empty() && !state.active {
            return Err(SlurmError::UnknownJob(job));
        }
        if let Some(previous) = &last {
            for (id, task) in &previous.tasks {
                state.tasks.entry(*id).or_insert_with(|| task.clone());
            }
        }
        if last.as_ref() != Some(&state) {
            on_update(&state);
        }
        if state.is_done() {
            return Ok(state);
        }
        last = Some(state);
        std::thread::sleep(poll_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SlurmOptions {
        SlurmOptions {
            shards: 4,
            cpus_per_task: 2,
            time: Some("1:00:00".into()),
            partition: Some("short".into()),
            mem: Some("4G".into()),
            job_name: "gridrun-wine".into(),
            output_dir: "/scratch/runs/wine".into(),
            gridrun_exe: "/opt/gridrun/bin/gridrun".into(),
            config: "/home/me/wine.toml".into(),
            extra_args: vec!["--backend".into(), "process".into()],
        }
    }

    #[test]
    fn script_has_directives_and_command() {
        let script = sbatch_script(&options());
        let expected = "\
#!/bin/bash
# Written by gridrun: one array task per shard of the plan.
#SBATCH --job-name=gridrun-wine
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --time=1:00:00
#SBATCH --partition=short
#SBATCH --mem=4G
#SBATCH --output=/scratch/runs/wine/slurm-%A_%a.out
set -euo pipefail
exec /opt/gridrun/bin/gridrun run /home/me/wine.toml --shard \"$SLURM_ARRAY_TASK_ID/4\" \
--jobs \"$SLURM_CPUS_PER_TASK\" --output /scratch/runs/wine --backend process
";
        assert_eq!(script, expected);
    }

    #[test]
    fn script_quotes_paths_and_skips_unset_options() {
        let opts = SlurmOptions {
            shards: 1,
            cpus_per_task: 0,
            time: None,
            partition: None,
            mem: None,
            job_name: "my job\nx".into(),
            output_dir: "/data/it's 100%".into(),
            gridrun_exe: "/opt/my tools/gridrun".into(),
            config: "cfg $HOME.toml".into(),
            extra_args: vec!["--note".into(), "a \"b\"".into()],
        };
        let script = sbatch_script(&opts);
        assert!(script.contains("#SBATCH --array=0-0\n"), "{script}");
        assert!(script.contains("#SBATCH --cpus-per-task=1\n"));
        assert!(script.contains("#SBATCH --job-name='my job_x'\n"));
        assert!(script.contains("#SBATCH --output='/data/it'\\''s 100%%/slurm-%A_%a.out'\n"));
        assert!(
            !script.contains("--time")
                && !script.contains("--partition")
                && !script.contains("--mem")
        );
        assert!(script.ends_with(
            "exec '/opt/my tools/gridrun' run 'cfg $HOME.toml' --shard \"$SLURM_ARRAY_TASK_ID/1\" \
             --jobs \"$SLURM_CPUS_PER_TASK\" --output '/data/it'\\''s 100%' --note 'a \"b\"'\n"
        ));
    }

    #[test]
    fn script_is_valid_bash() {
        let opts = SlurmOptions {
            config: "it's a \"config\".toml".into(),
            extra_args: vec!["$(rm -rf /)".into(), "".into()],
            ..options()
        };
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, sbatch_script(&opts).as_bytes()).unwrap();
        let Ok(status) = Command::new("bash").arg("-n").arg(file.path()).status() else {
            return; // no bash here
        };
        assert!(status.success());
    }

    #[test]
    fn log_pattern_joins_and_escapes() {
        assert_eq!(log_pattern(""), "slurm-%A_%a.out");
        assert_eq!(log_pattern("out/"), "out/slurm-%A_%a.out");
        assert_eq!(log_pattern("a%b"), "a%%b/slurm-%A_%a.out");
    }

    #[test]
    fn shell_quote_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(
            shell_quote("/opt/gridrun-1.0/bin/gridrun"),
            "/opt/gridrun-1.0/bin/gridrun"
        );
        assert_eq!(shell_quote("a=b,c:d@e%f+g"), "a=b,c:d@e%f+g");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("my file.toml"), "'my file.toml'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("''"), r"''\'''\'''");
        assert_eq!(shell_quote("say \"hi\""), "'say \"hi\"'");
        assert_eq!(shell_quote("$HOME `x` *?~!"), "'$HOME `x` *?~!'");
        assert_eq!(shell_quote("tab\tnew\nline"), "'tab\tnew\nline'");
    }

    #[test]
    fn shell_quote_survives_a_real_shell() {
        let words = [
            "plain", "", "my file", "it's", "a\"b", "$HOME", "`id`", "x\ny", "'", "\\",
        ];
        let script = format!("printf '%s\\0' {}", words.map(shell_quote).join(" "));
        let Ok(out) = Command::new("sh").arg("-c").arg(&script).output() else {
            return; // no sh: nothing to compare against
        };
        let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_terminator('\0')
            .map(String::from)
            .collect();
        assert_eq!(got, words);
    }

    #[test]
    fn parses_sbatch_parsable_output() {
        assert_eq!(parse_job_id("1\n").unwrap(), JobId(1));
        assert_eq!(parse_job_id("4242;cluster\n").unwrap(), JobId(4242));
        assert!(parse_job_id("").is_err());
        assert!(parse_job_id("Submitted batch job 5").is_err());
    }

    #[test]
    fn parses_task_id_notations() {
        let ids = |s| parse_task_ids(s).unwrap();
        assert_eq!(ids("3"), vec![3]);
        assert_eq!(ids("0-3"), vec![0, 1, 2, 3]);
        assert_eq!(ids("[2-3]"), vec![2, 3]);
        assert_eq!(ids("1-5%2"), vec![1, 2, 3, 4, 5]);
        assert_eq!(ids("[0-7:3]"), vec![0, 3, 6]);
        assert_eq!(ids("1,3,5-7"), vec![1, 3, 5, 6, 7]);
        for bad in ["", "x", "3-1", "0-4:0", "-1", "0-4294967295", "1,,2"] {
            assert!(parse_task_ids(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_captured_squeue_output() {
        let pending = parse_squeue(include_str!("testdata/squeue_pending.txt")).unwrap();
        assert_eq!(pending.len(), 4);
        assert!(pending.values().all(|p| *p == TaskPhase::Pending));
        let running = parse_squeue(include_str!("testdata/squeue_running.txt")).unwrap();
        let expected = [
            (0, TaskPhase::Running),
            (1, TaskPhase::Running),
            (2, TaskPhase::Pending),
            (3, TaskPhase::Pending),
        ];
        assert_eq!(running, expected.into_iter().collect());
        let throttled = parse_squeue(include_str!("testdata/squeue_throttled.txt")).unwrap();
        assert_eq!(
            throttled.keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        let single = parse_squeue(include_str!("testdata/squeue_single_pending.txt")).unwrap();
        assert_eq!(single[&5], TaskPhase::Pending);
        assert_eq!(single[&3], TaskPhase::Running);
        assert_eq!(parse_squeue("").unwrap(), BTreeMap::new());
        assert_eq!(parse_squeue("7 RUNNING\n").unwrap()[&0], TaskPhase::Running);
        assert!(parse_squeue("garbage").is_err());
    }

    fn task(phase: TaskPhase, exit: Option<(i32, i32)>) -> TaskState {
        TaskState {
            phase,
            exit: exit.map(|(code, signal)| ExitCode { code, signal }),
        }
    }

    #[test]
    fn parses_captured_scontrol_output() {
        let job = JobId(1);
        let pending =
            parse_scontrol_jobs(job, include_str!("testdata/scontrol_pending.txt")).unwrap();
        assert_eq!(pending.len(), 4);
        assert!(pending
            .values()
            .all(|t| *t == task(TaskPhase::Pending, None)));

        let running =
            parse_scontrol_jobs(job, include_str!("testdata/scontrol_running.txt")).unwrap();
        assert_eq!(running[&0], task(TaskPhase::Running, Some((0, 0))));
        assert_eq!(running[&3], task(TaskPhase::Pending, None));

        let done =
            parse_scontrol_jobs(job, include_str!("testdata/scontrol_done_failed.txt")).unwrap();
        let expected = [
            (0, task(TaskPhase::Completed, Some((0, 0)))),
            (1, task(TaskPhase::Completed, Some((0, 0)))),
            (2, task(TaskPhase::Failed, Some((3, 0)))),
            (3, task(TaskPhase::Completed, Some((0, 0)))),
        ];
        assert_eq!(done, expected.into_iter().collect());
        // The same text belongs to job 1 only.
        assert!(
            parse_scontrol_jobs(JobId(2), include_str!("testdata/scontrol_done_failed.txt"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn parses_signals_cancellations_and_throttles() {
        let job = JobId(5);
        let tasks =
            parse_scontrol_jobs(job, include_str!("testdata/scontrol_signal_cancel.txt")).unwrap();
        assert_eq!(tasks[&1], task(TaskPhase::Failed, Some((0, 9))));
        assert_eq!(tasks[&2], task(TaskPhase::Cancelled, Some((0, 15))));
        assert_eq!(tasks[&3].phase, TaskPhase::Running);
        assert_eq!(tasks[&5].phase, TaskPhase::Pending);
        let throttled =
            parse_scontrol_jobs(job, include_str!("testdata/scontrol_throttled.txt")).unwrap();
        assert_eq!(
            throttled.keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn scontrol_one_line_format_and_derived_exit_code() {
        let text = "JobId=9 ArrayJobId=8 ArrayTaskId=1 JobName=my job JobState=FAILED \
                    Reason=NonZeroExitCode DerivedExitCode=0:0 ExitCode=2:0\n\
                    JobId=8 ArrayJobId=8 ArrayTaskId=0 JobState=COMPLETED ExitCode=0:0\n";
        let tasks = parse_scontrol_jobs(JobId(8), text).unwrap();
        assert_eq!(tasks[&1], task(TaskPhase::Failed, Some((2, 0))));
        assert_eq!(tasks[&0], task(TaskPhase::Completed, Some((0, 0))));
        assert!(parse_scontrol_jobs(JobId(8), "JobId=8 ExitCode=0:0").is_err());
        assert!(parse_scontrol_jobs(JobId(8), "").unwrap().is_empty());
    }

    #[test]
    fn combines_squeue_and_scontrol_into_array_state() {
        let job = JobId(1);
        let running = array_state(
            job,
            include_str!("testdata/squeue_running.txt"),
            include_str!("testdata/scontrol_running.txt"),
        )
        .unwrap();
        assert!(!running.is_done());
        assert_eq!(running.to_string(), "job 1 running: 2 RUNNING, 2 PENDING");

        let done = array_state(job, "", include_str!("testdata/scontrol_done_failed.txt")).unwrap();
        assert!(done.is_done());
        assert_eq!(done.failed_tasks(), vec![2]);
        assert!(!done.all_succeeded());
        assert_eq!(
            done.to_string(),
            "job 1 done: 3 COMPLETED, 1 FAILED; task 2 FAILED exit 3"
        );

        // squeue lists a task that scontrol missed.
        let extra = array_state(job, "1_7 RUNNING\n", "").unwrap();
        assert_eq!(extra.tasks[&7], task(TaskPhase::Running, None));
    }

    #[test]
    fn success_needs_completed_and_zero_exit() {
        let ok = ArrayState {
            job: JobId(3),
            tasks: [(0, task(TaskPhase::Completed, Some((0, 0))))]
                .into_iter()
                .collect(),
            active: false,
        };
        assert!(ok.all_succeeded());
        assert!(!ArrayState {
            active: true,
            ..ok.clone()
        }
        .all_succeeded());
        assert!(!ArrayState {
            tasks: BTreeMap::new(),
            ..ok
        }
        .all_succeeded());
        assert!(task(TaskPhase::Timeout, None).failed());
        assert!(!task(TaskPhase::Other("WEIRD".into()), None).failed());
        assert_eq!(TaskPhase::parse("CANCELLED by 0"), TaskPhase::Cancelled);
        assert_eq!(ExitCode::parse("0:9").unwrap().to_string(), "signal 9");
        assert_eq!(ExitCode::parse("x:1"), None);
    }
}
