//! Process groups of commands: their memory, and ending them, including
//! groups a dead worker left behind (found again through the pgid files
//! in `OUTPUT/running/` and checked against /proc before any kill).

use crate::output_dir::OutputDir;
use std::path::{Path, PathBuf};

/// Kills every process in the group (a group that is gone is fine).
pub fn kill_group(pgid: u32) {
    // SAFETY: kill with a negative pid signals a process group; no memory involved.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}

/// Members of a process group: (pid, resident KiB), from /proc.
pub fn group_members(pgid: u32) -> Vec<(u32, u64)> {
    let page_kb = page_size_kb();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after the command name (which may hold spaces): state ppid pgrp ...
            let after = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = after.split_whitespace().collect();
            let pgrp: u32 = fields.get(2)?.parse().ok()?;
            let rss_pages: u64 = fields.get(21)?.parse().ok()?;
            (pgrp == pgid).then_some((pid, rss_pages * page_kb))
        })
        .collect()
}

/// Resident memory of the whole group, KiB.
pub fn group_rss_kb(pgid: u32) -> u64 {
    group_members(pgid).iter().map(|m| m.1).sum()
}

fn page_size_kb() -> u64 {
    // SAFETY: sysconf has no side effects.
    let bytes = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (bytes.max(4096) as u64) / 1024
}

fn pgid_file(output: &Path, task_id: &str) -> PathBuf {
    OutputDir::new(output)
        .running_dir()
        .join(format!("{task_id}.pgid"))
}

/// Records a running command's group, so that the coordinator can end it
/// if the worker dies.
pub fn record(output: &Path, task_id: &str, pgid: u32) {
    let _ = std::fs::write(pgid_file(output, task_id), pgid.to_string());
}

pub fn forget(output: &Path, task_id: &str) {
    let _ = std::fs::remove_file(pgid_file(output, task_id));
}

/// Ends what is left of a task's command group (its worker died before it
/// could): only processes of that group that carry the task's id in their
/// environment, so a reused process-group id is never hit.
pub fn end_leftovers(output: &Path, task_id: &str) {
    let file = pgid_file(output, task_id);
    let Some(pgid) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
    else {
        return;
    };
    let marker = format!("GRIDRUN_TASK_ID={task_id}");
    for (pid, _) in group_members(pgid) {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|v| v == marker.as_bytes()) {
            // SAFETY: plain kill of one process.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
    }
    let _ = std::fs::remove_file(file);
}

/// Ends the leftovers of every task recorded as running in `output`.
pub fn end_all_leftovers(output: &Path) {
    let Ok(entries) = std::fs::read_dir(OutputDir::new(output).running_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(task_id) = name.strip_suffix(".pgid") {
            end_leftovers(output, task_id);
        }
    }
}

/// The process group of the command this worker process runs (0: none).
static CURRENT_GROUP: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

pub fn set_current_group(pgid: u32) {
    CURRENT_GROUP.store(pgid as i32, std::sync::atomic::Ordering::SeqCst);
}

/// In a worker process: when the coordinator dies (even by SIGKILL), end the
/// running command's whole group, then exit. The worker's parent-death
/// signal becomes SIGUSR2, whose handler does exactly that.
pub fn guard_worker() {
    #[cfg(target_os = "linux")]
    // SAFETY: the handler only calls kill and _exit, both async-signal-safe.
    unsafe {
        let registered = signal_hook::low_level::register(libc::SIGUSR2, || {
            let pgid = CURRENT_GROUP.load(std::sync::atomic::Ordering::SeqCst);
            if pgid > 0 {
                libc::kill(-pgid, libc::SIGKILL);
            }
            libc::_exit(1);
        });
        if registered.is_ok() {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGUSR2);
            // The coordinator may have died before the line above.
            if libc::getppid() == 1 {
                libc::_exit(1);
            }
        }
    }
}
