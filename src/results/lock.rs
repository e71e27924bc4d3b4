//! One coordinator per output folder. A full run (or a merge) holds an
//! exclusive lock on `gridrun.lock`; shards hold it shared and each holds
//! its own `gridrun.shard-I-of-N.lock` exclusively, so shards of one plan
//! can write their own journals into a shared folder side by side. Locks are
//! flock(2) locks (std's `File::try_lock`): the kernel drops them when their
//! holder dies, so a killed coordinator's leftover file never blocks anyone.

use crate::batch::shard::ShardSpec;
use crate::output_dir::OutputDir;
use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Held for as long as the run (or merge) lasts; dropping it unlocks.
pub struct OutputLock {
    _files: Vec<File>,
}

/// Locks `dir` for a run (`shard` None: the whole folder) and writes who
/// holds it; refuses with the holder's pid and host when it is taken.
pub fn acquire(dir: &Path, shard: Option<ShardSpec>) -> Result<OutputLock> {
    let out = OutputDir::new(dir);
    let main_path = out.lock();
    let mut main = open(&main_path)?;
    let Some(shard) = shard else {
        if !try_lock(&main, false, &main_path)? {
            bail!("{}", busy_message(dir, &mut main));
        }
        write_identity(&mut main, &main_path, "a run")?;
        return Ok(OutputLock { _files: vec![main] });
    };
    if !try_lock(&main, true, &main_path)? {
        bail!("{}", busy_message(dir, &mut main));
    }
    let shard_path = out.shard_lock(shard);
    let mut own = open(&shard_path)?;
    if !try_lock(&own, false, &shard_path)? {
        bail!(
            "{}: shard {shard} is already running here ({}); wait for it or choose another --output",
            dir.display(),
            holder(&mut own)
        );
    }
    write_identity(&mut own, &shard_path, &format!("shard {shard}"))?;
    Ok(OutputLock {
        _files: vec![main, own],
    })
}

fn open(path: &Path) -> Result<File> {
    // No truncation here: the file holds the current holder's identity.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("{}: cannot open the lock file", path.display()))
}

/// Ok(false) when someone else holds the lock.
fn try_lock(file: &File, shared: bool, path: &Path) -> Result<bool> {
    let result = if shared {
        file.try_lock_shared()
    } else {
        file.try_lock()
    };
    match result {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("{}: cannot lock", path.display()))
        }
    }
}

fn write_identity(file: &mut File, path: &Path, what: &str) -> Result<()> {
    let text = format!(
        "{what}: gridrun pid {} on host {}, started {}\n",
        std::process::id(),
        hostname(),
        utc_now()
    );
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(text.as_bytes()))
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// What a lock file says about its holder.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    match text.trim() {
        "" => "holder unknown".to_string(),
        t => t.to_string(),
    }
}

/// Who holds the folder: running shards (their lock files are locked), or
/// else the run named in the main lock file.
fn busy_message(dir: &Path, main: &mut File) -> String {
    let shards: Vec<String> = shard_lock_files(dir)
        .into_iter()
        .filter_map(|p| {
            let mut f = File::open(&p).ok()?;
            match f.try_lock_shared() {
                Err(TryLockError::WouldBlock) => Some(holder(&mut f)),
                _ => None,
            }
        })
        .collect();
    let holders = if shards.is_empty() {
        holder(main)
    } else {
        shards.join("; ")
    };
    format!(
        "{} is in use by another gridrun ({holders}); wait for it to finish or choose another --output",
        dir.display()
    )
}

fn shard_lock_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = OutputDir::new(dir).shard_locks();
    files.sort();
    files
}

pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match (ok, String::from_utf8_lossy(&buf[..end]).into_owned()) {
        (true, name) if !name.is_empty() => name,
        _ => "unknown".to_string(),
    }
}

/// The current time in UTC, as 2026-11-30T15:04:05Z.
pub fn utc_now() -> String {
    // SAFETY: time and gmtime_r only write into the values we pass.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe {
        let t = libc::time(std::ptr::null_mut());
        libc::gmtime_r(&t, &mut tm);
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}
