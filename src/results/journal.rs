//! results.jsonl: one line per finished task, written whole and flushed as
//! each task finishes, so a crash loses nothing that finished.

use super::TaskRecord;
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const FILE_NAME: &str = "results.jsonl";

pub struct JournalWriter {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
    last_sync: Instant,
}

/// Data reaches the disk at least this often (and at the end of a run).
const SYNC_EVERY: Duration = Duration::from_secs(1);

impl JournalWriter {
    /// Starts a journal holding `kept` (records of an earlier run being
    /// resumed, or none). Written to a temporary file and renamed, so a crash
    /// here leaves the old journal intact.
    pub fn create(path: &Path, kept: &[TaskRecord]) -> Result<JournalWriter> {
        let tmp = path.with_extension("jsonl.tmp");
        let mut text = Vec::new();
        for r in kept {
            serde_json::to_writer(&mut text, r)?;
            text.push(b'\n');
        }
        std::fs::write(&tmp, &text).with_context(|| format!("{}: cannot write", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("{}: cannot replace", path.display()))?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        Ok(JournalWriter {
            file,
            path: path.to_path_buf(),
            buffer: Vec::with_capacity(1024),
            last_sync: Instant::now(),
        })
    }

    /// Appends one record with a single write, so a line is never interleaved
    /// or half-written except by a crash mid-write (which `read` detects).
    pub fn append(&mut self, record: &TaskRecord) -> Result<()> {
        self.buffer.clear();
        serde_json::to_writer(&mut self.buffer, record)?;
        self.buffer.push(b'\n');
        self.file
            .write_all(&self.buffer)
            .with_context(|| format!("{}: cannot write", self.path.display()))?;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
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

/// Records of an earlier run into the same folder that this run can keep:
/// finished successfully, on the same data (fingerprint), for a task of this
/// plan. Failed tasks run again. Returns the records and a note for the user.
pub fn reusable(
    path: &Path,
    fingerprint: &str,
    plan_ids: &std::collections::HashSet<&str>,
) -> Result<(Vec<TaskRecord>, Option<String>)> {
    if !path.exists() {
        return Ok((Vec::new(), None));
    }
    let journal = read(path)?;
    let total = journal.records.len();
    let mut seen = std::collections::HashSet::new();
    let kept: Vec<TaskRecord> = journal
        .records
        .into_iter()
        .filter(|r| r.ok() && r.data == fingerprint && plan_ids.contains(r.id.as_str()))
        .filter(|r| seen.insert(r.id.clone()))
        .collect();
    let mut note = format!(
        "resuming: {} of {} earlier records reused ({} folder; --fresh starts over)",
        kept.len(),
        total,
        path.parent()
            .map_or(String::new(), |p| p.display().to_string())
    );
    if journal.torn_tail {
        note.push_str("; the last line was cut short by a crash and is ignored");
    }
    Ok((
        kept,
        if total > 0 || journal.torn_tail {
            Some(note)
        } else {
            None
        },
    ))
}
