//! Faults through the real binary: dead workers, timeouts, memory caps,
//! Ctrl-C and a killed coordinator. Finished work is never lost.

mod common;
use common::*;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(config: &Path, out: &Path, extra: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
        .arg(config)
        .args(["-q", "-o"])
        .arg(out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Child processes of `pid` (the workers of a coordinator).
fn children(pid: u32) -> Vec<u32> {
    let mut kids = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
                kids.extend(
                    text.split_whitespace()
                        .filter_map(|k| k.parse::<u32>().ok()),
                );
            }
        }
    }
    kids
}

fn signal(pid: u32, sig: &str) {
    Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
}

fn ids(out: &Path) -> Vec<String> {
    journal(out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn killing_workers_costs_only_their_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\nsleep = 0.03\n[grid]\nid = { range = [0, 40] }\n[cv]\nfolds = 3\n[run]\njobs = 2\nretries = 10\n", "iris.csv");
    let out = dir.path().join("out");
    let mut child = spawn(&config, &out, &[]);
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while kills < 12 && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(120));
        if let Some(&worker) = children(child.id()).get(kills % 2) {
            signal(worker, "-KILL");
            kills += 1;
        }
    }
    let status = child.wait().unwrap();
    assert!(kills >= 5, "only {kills} workers killed");
    assert_eq!(
        status.code(),
        Some(0),
        "{:?}",
        child.stderr.take().map(|mut e| {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).ok();
            s
        })
    );
    let ids = ids(&out);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 120, "every task once in the journal");
    assert_eq!(unique.len(), 120, "no duplicates");
    let retried = journal(&out)
        .iter()
        .filter(|r| r["attempts"].as_u64().unwrap() > 1)
        .count();
    assert!(retried >= 1, "no task was retried");
}

#[test]
fn timeout_and_memory_cap_fail_only_their_task() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[[grid]]\nsleep = [0.0, 5.0]\n[[grid]]\nallocate_mb = [2000]\n[cv]\nfolds = 2\n[run]\njobs = 2\ntimeout = \"1s\"\nmax_memory = \"1G\"\n", "iris.csv");
    let out = dir.path().join("out");
    gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    let records = journal(&out);
    assert_eq!(records.len(), 6);
    let errors = |key: &str, value: serde_json::Value| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["params"][key] == value)
            .map(|r| r["error"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert!(errors("sleep", 0.0.into()).iter().all(|e| e.is_empty()));
    assert!(
        errors("sleep", 5.0.into())
            .iter()
            .all(|e| e.starts_with("timed out (timeout 1.00s)") || e.starts_with("timed out")),
        "{:?}",
        errors("sleep", 5.0.into())
    );
    assert!(
        errors("allocate_mb", 2000.into())
            .iter()
            .all(|e| e.starts_with("out of memory (max_memory 1.0 GiB)")),
        "{:?}",
        errors("allocate_mb", 2000.into())
    );
}

const SLOW_TREES: &str = "[dataset]\npath = \"{data}\"\n[model]\nkind = \"random_forest\"\n[grid]\nn_estimators = [100, 300]\nmax_features = [\"sqrt\", 0.5]\nmax_depth = [4, \"none\"]\n[cv]\nfolds = 5\nseed = 9\n[scoring]\nmetrics = [\"accuracy\", \"neg_log_loss\"]\n[run]\njobs = 2\n";

#[test]
fn ctrl_c_finishes_running_tasks_then_resume_completes_identically() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), SLOW_TREES, "breast_cancer.csv");
    let reference = dir.path().join("reference");
    run_ok(&config, &reference);
    let out = dir.path().join("out");
    let mut child = spawn(&config, &out, &[]);
    // interrupt once some tasks are in the journal
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |t| t.lines().count()) < 3
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(child.id(), "-INT");
    let status = child.wait().unwrap();
    let finished = ids(&out).len();
    assert_eq!(status.code(), Some(130), "an interrupted run exits 130");
    assert!(
        (3..40).contains(&finished),
        "{finished} tasks finished before the interrupt"
    );
    let assert = gridrun()
        .arg(&config)
        .args(["-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains(&format!("{finished} reused")) || finished == 0,
        "{stdout}"
    );
    assert_eq!(score_columns(&out), score_columns(&reference));
    let unique: HashSet<String> = ids(&out).into_iter().collect();
    assert_eq!(unique.len(), 40);
    assert_eq!(ids(&out).len(), 40);
}

#[test]
fn killed_coordinator_resumes_to_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), SLOW_TREES, "breast_cancer.csv");
    let reference = dir.path().join("reference");
    run_ok(&config, &reference);
    let out = dir.path().join("out");
    for delay_ms in [150, 400, 800] {
        let mut child = spawn(&config, &out, &[]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(child.id(), "-KILL");
        child.wait().unwrap();
    }
    // a torn last line, as a crash mid-write would leave
    let journal_path = out.join("results.jsonl");
    let mut text = std::fs::read_to_string(&journal_path).unwrap_or_default();
    text.push_str("{\"id\":\"deadbeef\",\"sett");
    std::fs::write(&journal_path, text).unwrap();
    let assert = gridrun()
        .arg(&config)
        .args(["-o"])
        .arg(&out)
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("cut short by a crash"), "{stderr}");
    assert_eq!(score_columns(&out), score_columns(&reference));
    assert_eq!(ids(&out).len(), 40);
}

#[test]
fn fresh_starts_over_and_an_edited_grid_reuses_shared_cells() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"gaussian_nb\"\n[grid]\nvar_smoothing = [1e-9, 1e-8]\n[cv]\nfolds = 3\n", "iris.csv");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let edited = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"gaussian_nb\"\n[grid]\nvar_smoothing = [1e-9, 1e-8, 1e-7]\n[cv]\nfolds = 3\n", "iris.csv");
    let assert = gridrun()
        .arg(&edited)
        .args(["-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("9 tasks, 0 failed, 6 reused"), "{stdout}");
    let assert = gridrun()
        .arg(&edited)
        .args(["--fresh", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("9 tasks, 0 failed;"), "{stdout}");
    assert_eq!(ids(&out).len(), 9);
}
