//! results.jsonl: one line per finished task, written whole and flushed as
//! each task finishes, so a crash loses nothing that finished.

use super::TaskRecord;
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "results.jsonl";

pub struct JournalWriter {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
}

impl JournalWriter {
    /// Starts a new journal (replacing an old one).
    pub fn create(path: &Path) -> Result<JournalWriter> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .with_context(|| format!("{}: cannot create", path.display()))?;
        Ok(JournalWriter {
            file,
            path: path.to_path_buf(),
            buffer: Vec::with_capacity(1024),
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
            .with_context(|| format!("{}: cannot write", self.path.display()))
    }

    pub fn sync(&mut self) -> Result<()> {
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
