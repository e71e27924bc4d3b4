//! results.jsonl: one line per finished task, written whole as tasks
//! finish: the records that arrive together (a burst of tiny tasks) in one
//! write, before the coordinator waits for more, so a crash loses nothing
//! that finished before that moment.

use super::TaskRecord;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct JournalWriter {
    file: File,
    path: PathBuf,
    /// Whole lines appended but not yet written.
    buffer: Vec<u8>,
    last_sync: Instant,
    /// Records written whole by this writer (those it was created with aside).
    written: usize,
}

/// Data reaches the disk at least this often (and at the end of a run).
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// Appended records are written when they reach this size, if the
/// coordinator has not waited (and so written them) before.
const GROUP_BYTES: usize = 64 << 10;

impl JournalWriter {
    /// Starts a journal holding `kept` (records of an earlier run being
    /// resumed, or none). Written to a temporary file and renamed, so a crash
    /// here leaves the old journal intact.
    pub fn create(path: &Path, kept: &[TaskRecord]) -> Result<JournalWriter> {
        let mut text = Vec::new();
        for r in kept {
            serde_json::to_writer(&mut text, r)?;
            text.push(b'\n');
        }
        super::atomic::write(path, &text)?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        Ok(JournalWriter {
            file,
            path: path.to_path_buf(),
            buffer: Vec::with_capacity(GROUP_BYTES + 4096),
            last_sync: Instant::now(),
            written: 0,
        })
    }

    /// Appends one record; it is written by the next [`Self::write_pending`]
    /// (or at once when enough have gathered).
    pub fn append(&mut self, record: &TaskRecord) -> Result<()> {
        let before = self.buffer.len();
        if let Err(e) = serde_json::to_writer(&mut self.buffer, record) {
            self.buffer.truncate(before);
            return Err(e.into());
        }
        self.buffer.push(b'\n');
        if self.buffer.len() >= GROUP_BYTES {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Writes the appended records with a single write, so lines are never
    /// interleaved or half-written except by a crash or a full disk
    /// mid-write (which `read` detects as a torn last line).
    pub fn write_pending(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut done = 0;
        let result = loop {
            match self.file.write(&self.buffer[done..]) {
                Ok(0) => break Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
            if done == self.buffer.len() {
                break Ok(());
            }
        };
        self.written += self.buffer[..done].iter().filter(|&&b| b == b'\n').count();
        self.buffer.clear();
        result.with_context(|| format!("{}: cannot write", self.path.display()))?;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    /// Records written whole so far (a failed write may have written some).
    pub fn written(&self) -> usize {
        self.written
    }

    pub fn sync(&mut self) -> Result<()> {
        self.last_sync = Instant::now();
        self.file
            .sync_data()
            .with_context(|| format!("{}: cannot sync", self.path.display()))
    }
}

/// What reading a journal found.
pub struct Journal {
    pub records: Vec<TaskRecord>,
    /// A last line cut short by a crash (ignored).
    pub torn_tail: bool,
}

/// Reads a journal; a malformed line before the last is an error naming it.
pub fn read(path: &Path) -> Result<Journal> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut records = Vec::with_capacity(lines.len());
    let mut torn_tail = false;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(r) => records.push(r),
            Err(_) if i + 1 == lines.len() => torn_tail = true,
            Err(e) => anyhow::bail!("{}:{}: not a task record: {e}", path.display(), i + 1),
        }
    }
    Ok(Journal { records, torn_tail })
}

/// Every journal in an output folder: `results.jsonl` and the shards'
/// `results.shard-I-of-N.jsonl`, sorted by name.
pub fn journal_files(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(crate::output_dir::OutputDir::new(dir).journals())
}

/// What earlier runs into the same folder left that this run can build on.
#[derive(Default)]
pub struct Previous {
    /// Reusable records of this run's own journal (kept in it).
    pub own: Vec<TaskRecord>,
    /// Reusable records in the other journals (other shards).
    pub elsewhere: Vec<TaskRecord>,
    /// Tasks of this plan with an earlier record that cannot be reused
    /// (failed, other data, or a metric now asked for is missing): re-run.
    pub rerun: HashSet<String>,
    /// Earlier records of tasks not in this plan, or run on other data: this
    /// run supersedes them. Counted for the own journal and the others.
    pub superseded_own: usize,
    pub superseded_elsewhere: usize,
    /// What to tell the user (records reused, a torn line ignored).
    pub note: Option<String>,
}

/// What makes an earlier record reusable by this run.
pub struct ReuseKey<'a> {
    /// The data (and fold file) fingerprint.
    pub fingerprint: &'a str,
    /// Task ids of this plan (ids cover model, params, CV plan and fold).
    pub plan_ids: &'a HashSet<&'a str>,
    /// Every metric this run scores.
    pub metrics: &'a [String],
}

impl ReuseKey<'_> {
    fn reusable(&self, r: &TaskRecord) -> bool {
        r.ok() && !self.supersedes(r) && self.metrics.iter().all(|m| r.scores.contains_key(m))
    }

    /// A record this run's results will not hold: another plan's or data's.
    fn supersedes(&self, r: &TaskRecord) -> bool {
        r.data != self.fingerprint || !self.plan_ids.contains(r.id.as_str())
    }
}

/// Every record of every journal in `dir` (every shard's), in file order.
/// A torn last line is a task being written right now: it is skipped.
pub fn read_all(dir: &Path) -> Result<Vec<TaskRecord>> {
    let mut records = Vec::new();
    for file in journal_files(dir)? {
        records.extend(read(&file)?.records);
    }
    Ok(records)
}

/// Reads every journal in `dir`, keeping the records this run can reuse
/// (see [`ReuseKey`]); the rest of this plan's tasks run again. Only `own`
/// is rewritten by this run; the rest belongs to others.
pub fn previous(dir: &Path, own: &Path, key: &ReuseKey) -> Result<Previous> {
    let mut prev = Previous::default();
    let mut seen = HashSet::new();
    let (mut total, mut torn) = (0, Vec::new());
    for file in journal_files(dir)? {
        let journal = read(&file)?;
        total += journal.records.len();
        if journal.torn_tail {
            torn.push(
                file.file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
            );
        }
        let superseded = journal.records.iter().filter(|r| key.supersedes(r)).count();
        let (target, count) = if file == own {
            (&mut prev.own, &mut prev.superseded_own)
        } else {
            (&mut prev.elsewhere, &mut prev.superseded_elsewhere)
        };
        *count += superseded;
        for r in journal.records {
            if key.reusable(&r) {
                if seen.insert(r.id.clone()) {
                    target.push(r);
                }
            } else if key.plan_ids.contains(r.id.as_str()) {
                prev.rerun.insert(r.id);
            }
        }
    }
    prev.rerun.retain(|id| !seen.contains(id));
    if total > 0 || !torn.is_empty() {
        let mut note = format!(
            "resuming: {} of {} earlier records reused from {} (--fresh starts over)",
            prev.own.len() + prev.elsewhere.len(),
            total,
            dir.display()
        );
        if !torn.is_empty() {
            note.push_str(&format!(
                "; the last line of {} was cut short by a crash and is ignored",
                torn.join(", ")
            ));
        }
        prev.note = Some(note);
    }
    Ok(prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Status;

    fn record(id: usize) -> TaskRecord {
        TaskRecord {
            id: format!("{id:016x}"),
            setting: id,
            params: Default::default(),
            repeat: 0,
            fold: 0,
            status: Status::Ok,
            scores: Default::default(),
            error: None,
            fit_seconds: 0.0,
            score_seconds: 0.0,
            n_train: 0,
            n_test: 0,
            worker: 0,
            pid: 1,
            start: 0.0,
            end: 0.0,
            data: String::new(),
            peak_rss_kb: 0,
            attempts: 1,
            shard: None,
            warnings: vec![],
        }
    }

    fn lines(path: &Path) -> usize {
        std::fs::read_to_string(path).unwrap().lines().count()
    }

    #[test]
    fn records_are_written_together_when_asked_or_when_many_gathered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut journal = JournalWriter::create(&path, &[record(0)]).unwrap();
        journal.append(&record(1)).unwrap();
        journal.append(&record(2)).unwrap();
        assert_eq!((lines(&path), journal.written()), (1, 0));
        journal.write_pending().unwrap();
        assert_eq!((lines(&path), journal.written()), (3, 2));
        // a burst larger than a group is written without being asked
        let mut n = 3;
        while lines(&path) == 3 {
            journal.append(&record(n)).unwrap();
            n += 1;
        }
        assert_eq!(lines(&path), n);
        journal.write_pending().unwrap();
        let read = read(&path).unwrap();
        assert!(!read.torn_tail);
        let settings: Vec<usize> = read.records.iter().map(|r| r.setting).collect();
        assert_eq!(settings, (0..n).collect::<Vec<_>>());
    }
}
