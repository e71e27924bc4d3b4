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

// ---- issue 11: defects found by an adversarial pass ----

/// A hard limit for runs that used to hang: the test fails, CI never hangs.
const HANG_LIMIT: Duration = Duration::from_secs(60);

fn write_csv(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// 40 rows of features near +-1e300 (issue 11's reproduction).
fn huge_features(dir: &Path) -> String {
    let mut text = String::from("a,class\n");
    for i in 0..40 {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        text.push_str(&format!(
            "{:e},{}\n",
            sign * 1e300 * (1.0 + i as f64 / 100.0),
            i % 2
        ));
    }
    write_csv(dir, "huge.csv", &text)
}

#[test]
fn non_finite_scores_are_recorded_as_nan_and_the_folder_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let data = huge_features(dir.path());
    let config = dir.path().join("nb.toml");
    std::fs::write(&config, format!("[dataset]\npath = \"{data}\"\n[model]\nkind = \"gaussian_nb\"\n[cv]\nfolds = 3\n[scoring]\nmetrics = [\"accuracy\", \"neg_log_loss\"]\n[run]\njobs = 2\n")).unwrap();
    let out = dir.path().join("out");
    for backend in ["process", "serial"] {
        gridrun()
            .arg(&config)
            .args(["-q", "--fresh", "--backend", backend, "-o"])
            .arg(&out)
            .timeout(HANG_LIMIT)
            .assert()
            .code(0);
        let records = journal(&out);
        assert_eq!(records.len(), 3, "{backend}");
        for r in &records {
            assert_eq!(r["status"], "ok");
            assert_eq!(r["scores"]["neg_log_loss"], "NaN", "{backend}: {r}");
            assert!(r["scores"]["accuracy"].as_f64().unwrap() > 0.0);
        }
        let (header, rows) = cv_results(&out);
        let mean = header
            .iter()
            .position(|h| h == "mean_test_neg_log_loss")
            .unwrap();
        assert_eq!(rows[0][mean], "nan");
    }
    // resume and merge read the NaN back
    let assert = gridrun()
        .arg(&config)
        .args(["-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .code(0);
    assert!(
        stdout_of(&assert).contains("3 reused"),
        "{}",
        stdout_of(&assert)
    );
    gridrun()
        .arg("merge")
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .code(0);
    // every number written to a file reads back: the NaN mean in best.json,
    // the model's overflowed variances in best_model.bin, whose model
    // section is gaussian_nb's JSON (predict loads it)
    let best = json(&out.join("best.json"));
    assert_eq!(best["scores"]["neg_log_loss"]["mean"], "NaN", "{best}");
    let bin = std::fs::read(out.join("best_model.bin")).unwrap();
    let model = String::from_utf8_lossy(&bin);
    assert!(
        model.contains(r#""sigma":{"v":1,"dim":[2,2],"data":["inf""#)
            || model.contains(r#""data":["inf""#),
        "{model}"
    );
    let assert = gridrun()
        .args(["predict", "--model"])
        .arg(out.join("best_model.json"))
        .arg(&data)
        .timeout(HANG_LIMIT)
        .assert()
        .code(0);
    let predictions = stdout_of(&assert);
    assert_eq!(predictions.lines().count(), 41, "{predictions}");
    assert!(predictions.lines().skip(1).all(|l| l == "0" || l == "1"));
}

#[test]
fn a_regression_target_near_the_float_limit_records_nan() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,y\n");
    for i in 0..30 {
        let sign = if (i / 2) % 2 == 0 { 1.0 } else { -1.0 };
        text.push_str(&format!("{i},{:e}\n", sign * 1.5e308));
    }
    let data = write_csv(dir.path(), "big.csv", &text);
    let config = dir.path().join("r.toml");
    std::fs::write(&config, format!("[dataset]\npath = \"{data}\"\ntask = \"regression\"\n[model]\nkind = \"debug\"\n[grid]\nid = [1, 2]\n[cv]\nkind = \"kfold\"\nfolds = 3\n[scoring]\nmetrics = [\"r2\", \"neg_mean_squared_error\"]\n[run]\njobs = 2\n")).unwrap();
    let out = dir.path().join("out");
    gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .code(0);
    let records = journal(&out);
    assert_eq!(records.len(), 6);
    assert!(records.iter().all(|r| r["scores"]["r2"] == "NaN"));
}

fn debug_grid(dir: &Path, grid: &str, extra: &str) -> std::path::PathBuf {
    write_config(
        dir,
        &format!("[dataset]\npath = \"{{data}}\"\n[model]\nkind = \"debug\"\n{extra}\n[grid]\n{grid}\n[cv]\nkind = \"kfold\"\nfolds = 2\n[run]\njobs = 2\n"),
        "iris.csv",
    )
}

#[test]
fn writing_to_killed_workers_never_aborts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    // Half a millisecond per task: still tiny (sent in groups), but the
    // run lasts long enough for many kills on a fast machine.
    let config = debug_grid(dir.path(), "id = { range = [0, 3000] }", "sleep = 0.0005");
    let out = dir.path().join("out");
    let mut child = spawn(&config, &out, &["--retries", "1000"]);
    let deadline = Instant::now() + HANG_LIMIT;
    let mut kills = 0;
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(15));
        if let Some(&worker) = children(child.id()).get(kills % 2) {
            signal(worker, "-KILL");
            kills += 1;
        }
    }
    if child.try_wait().unwrap().is_none() {
        child.kill().unwrap();
        panic!("the run hung");
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "after {kills} kills: {stderr}"
    );
    assert!(kills >= 10, "only {kills} kills");
    let ids = ids(&out);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (6000, 6000));
    // Tiny tasks wait in groups in a worker's pipe: a kill costs an attempt
    // only to the task that was running, not to those queued behind it.
    let retried = journal(&out)
        .iter()
        .filter(|r| r["attempts"].as_u64().unwrap() > 1)
        .count();
    assert!(
        retried <= kills,
        "{retried} tasks retried after {kills} kills"
    );
}

/// The records of a journal that a killed coordinator left (a torn last
/// line is skipped, as a resume does).
fn whole_records(out: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn tiny_tasks_sent_in_groups_each_get_a_record_and_a_killed_run_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = { range = [0, 15000] }", "");
    let reference = dir.path().join("reference");
    gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&reference)
        .timeout(HANG_LIMIT)
        .assert()
        .success();
    // Each task of a group has its own journal line, run once, and a
    // worker runs its tasks one after another.
    let records = journal(&reference);
    assert_eq!(records.len(), 30000);
    assert!(records
        .iter()
        .all(|r| r["attempts"] == 1 && r["status"] == "ok"));
    let mut by_pid: std::collections::HashMap<u64, Vec<(f64, f64)>> = Default::default();
    for r in &records {
        let span = (r["start"].as_f64().unwrap(), r["end"].as_f64().unwrap());
        by_pid
            .entry(r["pid"].as_u64().unwrap())
            .or_default()
            .push(span);
    }
    assert_eq!(by_pid.len(), 2, "two workers");
    for spans in by_pid.values() {
        assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0 + 1e-6));
    }
    // Killed mid-run: every whole line is a finished task; the resume runs
    // exactly the others.
    let out = dir.path().join("out");
    let mut child = spawn(&config, &out, &[]);
    let deadline = Instant::now() + HANG_LIMIT;
    while Instant::now() < deadline && whole_records(&out).len() < 3000 {
        std::thread::sleep(Duration::from_millis(2));
    }
    signal(child.id(), "-KILL");
    child.wait().unwrap();
    let finished = whole_records(&out).len();
    assert!((3000..30000).contains(&finished), "{finished} finished");
    let assert = gridrun()
        .arg(&config)
        .args(["-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains(&format!("{finished} reused")), "{stdout}");
    let ids = ids(&out);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (30000, 30000));
    assert_eq!(score_columns(&out), score_columns(&reference));
}

#[test]
fn a_worker_killed_during_the_refit_is_replaced_and_the_refit_retried() {
    let dir = tempfile::tempdir().unwrap();
    // Training folds have 100 rows; only the refit on all 150 sleeps.
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\nsleep = 2.0\nmisbehave_above_rows = 100\n[cv]\nkind = \"kfold\"\nfolds = 3\n[run]\njobs = 2\nretries = 2\n", "iris.csv");
    let out = dir.path().join("out");
    let child = spawn(&config, &out, &[]);
    let deadline = Instant::now() + HANG_LIMIT;
    while Instant::now() < deadline
        && std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |t| t.lines().count()) < 3
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(500));
    for worker in children(child.id()) {
        signal(worker, "-KILL");
    }
    let output = wait_with_limit(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("trying again on a new worker"), "{stderr}");
    assert!(out.join("best_model.json").exists());
}

fn wait_with_limit(mut child: Child) -> std::process::Output {
    let deadline = Instant::now() + HANG_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the run hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_failed_refit_removes_the_old_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\nsleep = 1.5\nmisbehave_above_rows = 100\n[cv]\nkind = \"kfold\"\nfolds = 3\n[run]\njobs = 2\n", "iris.csv");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    assert!(out.join("best_model.json").exists());
    // Same plan, all reused; the refit (twice the task timeout) times out.
    let assert = gridrun()
        .arg(&config)
        .args(["-q", "--timeout", "0.5s", "-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("refitting the best setting on all rows failed"),
        "{stderr}"
    );
    assert!(
        !out.join("best_model.json").exists(),
        "a stale best_model.json stayed"
    );
    let best = json(&out.join("best.json"));
    assert!(
        best["refit_error"].as_str().unwrap().contains("timed out"),
        "{best}"
    );
}

/// CPU seconds a process has used (utime + stime from /proc, in ticks of 10 ms).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name
    fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum())
}

/// Issue 11 defect 7 as the binary before the fix saw it (no refit timeout
/// then, so no misbehave option or timeout here): all tasks are reused, only
/// the refit runs, and its worker dies while it spins. The old binary warned,
/// exited 0 and kept the previous run's best_model.json.
#[test]
fn a_refit_whose_worker_dies_removes_the_old_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = [1]", "spin = 2.0");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let old_model = std::fs::read(out.join("best_model.json")).unwrap();
    let child = spawn(&config, &out, &["--retries", "0"]);
    let deadline = Instant::now() + HANG_LIMIT;
    let mut killed = None;
    while killed.is_none() && Instant::now() < deadline {
        // the one worker using CPU is the refit's (idle workers use none)
        killed = children(child.id())
            .into_iter()
            .find(|&w| cpu_ticks(w) >= 10);
        std::thread::sleep(Duration::from_millis(10));
    }
    let worker = killed.expect("no worker ever spun (did the refit run?)");
    signal(worker, "-KILL");
    let output = wait_with_limit(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refitting the best setting on all rows failed"),
        "{stderr}"
    );
    assert!(!old_model.is_empty());
    assert!(
        !out.join("best_model.json").exists(),
        "the previous run's best_model.json stayed beside a failed refit"
    );
    let best = json(&out.join("best.json"));
    assert!(best["refit_error"].is_string(), "{best}");
}

#[test]
fn a_second_coordinator_is_refused_while_shards_share_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = [1, 2, 3, 4]", "sleep = 0.4");
    let out = dir.path().join("out");
    let first = spawn(&config, &out, &[]);
    let deadline = Instant::now() + HANG_LIMIT;
    while Instant::now() < deadline
        && !std::fs::read_to_string(out.join("gridrun.lock")).is_ok_and(|t| !t.is_empty())
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let assert = gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("is in use by another gridrun")
            && stderr.contains(&format!("pid {}", first.id())),
        "{stderr}"
    );
    let output = wait_with_limit(first);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(ids(&out).len(), 8, "the first run lost records");
    // shards of one plan run side by side in one folder
    let shared = dir.path().join("shared");
    let shards: Vec<Child> = ["0/2", "1/2"]
        .iter()
        .map(|s| spawn(&config, &shared, &["--shard", s]))
        .collect();
    for shard in shards {
        assert_eq!(wait_with_limit(shard).status.code(), Some(0));
    }
    gridrun()
        .arg("merge")
        .arg(&shared)
        .timeout(HANG_LIMIT)
        .assert()
        .code(0);
}

/// Runs the binary under a file-size limit (the same write error as a full
/// disk, without needing a small filesystem): SIGXFSZ ignored, so the write
/// fails with EFBIG instead of killing the process.
fn run_with_file_limit(config: &Path, out: &Path, kib: u32) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin!("gridrun");
    let script = format!(
        "ulimit -f {kib}; trap '' XFSZ; exec \"{}\" \"{}\" -q -o \"{}\"",
        bin.display(),
        config.display(),
        out.display()
    );
    let child = Command::new("bash")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_limit(child)
}

#[test]
fn a_write_failure_stops_dispatching_at_once_and_the_folder_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = { range = [0, 200] }", "");
    let out = dir.path().join("out");
    let stderr = one_line_error(&run_with_file_limit(&config, &out, 48));
    assert!(
        stderr.contains("results.jsonl: cannot write: File too large")
            && stderr.contains("stopped at once"),
        "{stderr}"
    );
    let journalled: usize = stderr
        .split("stopped at once: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((1..400).contains(&journalled), "{stderr}");
    let assert = gridrun()
        .arg(&config)
        .args(["-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(stdout.contains(&format!("{journalled} reused")), "{stdout}");
    let ids = ids(&out);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 400);
    assert_eq!(ids.len(), 400);
}

#[test]
fn outputs_are_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"random_forest\"\nn_estimators = 400\n[cv]\nfolds = 2\n[run]\njobs = 2\n", "breast_cancer.csv");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let model = std::fs::read(out.join("best_model.bin")).unwrap();
    let limit = 20;
    assert!(
        model.len() > limit as usize * 1024,
        "model of {} bytes",
        model.len()
    );
    // All tasks reused; the refit's best_model.bin is over the limit: the
    // worker's write fails, so the refit fails (exit 1) and says why, and
    // no half file or stale model is left.
    let output = run_with_file_limit(&config, &out, limit);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("best_model.bin: cannot write: File too large"),
        "{stderr}"
    );
    assert!(!out.join("best_model.bin").exists());
    let best = json(&out.join("best.json"));
    assert!(
        best["refit_error"]
            .as_str()
            .unwrap()
            .contains("File too large"),
        "{best}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn jobs_far_beyond_the_cores_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = [1, 2]", "");
    let assert = gridrun()
        .arg(&config)
        .args(["-q", "--jobs", "100000", "-o"])
        .arg(dir.path().join("out"))
        .timeout(HANG_LIMIT)
        .assert()
        .code(0);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("jobs 100000 capped at"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn logistic_regression_refuses_features_that_would_spin_its_solver() {
    let dir = tempfile::tempdir().unwrap();
    let data = huge_features(dir.path());
    let config = dir.path().join("lr.toml");
    std::fs::write(&config, format!("[dataset]\npath = \"{data}\"\n[model]\nkind = \"logistic_regression\"\n[cv]\nfolds = 2\n[run]\njobs = 2\n")).unwrap();
    let out = dir.path().join("out");
    gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert()
        .code(1);
    let records = journal(&out);
    assert_eq!(records.len(), 2);
    for r in &records {
        let error = r["error"].as_str().unwrap();
        // refused by the scaler in front of the solver (or the solver's own guard)
        assert!(error.contains("overflow"), "{error}");
    }
}

#[test]
fn a_memory_cap_too_small_for_a_worker_is_an_error_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = [1, 2]", "");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let snapshot = std::fs::read(out.join("config.json")).unwrap();
    let other = debug_grid(dir.path(), "id = [3]", "");
    let assert = gridrun()
        .arg(&other)
        .args(["-q", "--max-memory", "5M", "-o"])
        .arg(&out)
        .timeout(HANG_LIMIT)
        .assert();
    let stderr = one_line_error(assert.get_output());
    assert!(
        stderr.contains("max_memory 5 MiB is too small for a worker process to start"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("config.json")).unwrap(), snapshot);
}

#[test]
fn a_zero_timeout_on_the_command_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = debug_grid(dir.path(), "id = [1]", "");
    let assert = gridrun()
        .arg(&config)
        .args(["--timeout", "0s", "-o"])
        .arg(dir.path().join("out"))
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("must be more than 0"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn results_of_a_different_plan_are_moved_aside_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = debug_grid(dir.path(), "id = [1, 2]", "");
    run_ok(&first, &out);
    let other = debug_grid(dir.path(), "id = [2, 3]", "");
    let assert = run_ok(&other, &out);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("2 earlier results are of a different plan")
            && stderr.contains("moved them to"),
        "{stderr}"
    );
    let aside: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("superseded-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    let old = std::fs::read_to_string(aside[0].join("results.jsonl")).unwrap();
    assert_eq!(old.lines().count(), 4, "the earlier journal is kept whole");
    assert!(aside[0].join("cv_results.csv").exists());
    assert_eq!(ids(&out).len(), 4, "2 reused (id 2) + 2 run (id 3)");
    // --fresh starts over without moving anything
    gridrun()
        .arg(&first)
        .args(["-q", "--fresh", "-o"])
        .arg(&out)
        .assert()
        .success();
    let folders = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("superseded-")
        })
        .count();
    assert_eq!(folders, 1);
}

// ---- issue 10 item 5: resume that is never stale ----

#[test]
fn issue10_metric_added_then_resume_reruns_the_tasks_missing_it() {
    let dir = tempfile::tempdir().unwrap();
    let tree = |metrics: &str| {
        write_config(dir.path(), &format!("[dataset]\npath = \"{{data}}\"\n[model]\nkind = \"decision_tree\"\n[grid]\nmax_depth = [2, 4]\n[cv]\nfolds = 3\nseed = 4\n[scoring]\nmetrics = [{metrics}]\n[run]\njobs = 2\n"), "wine.csv")
    };
    let out = dir.path().join("out");
    run_ok(&tree("\"accuracy\""), &out);
    let both = tree("\"accuracy\", \"balanced_accuracy\"");
    let stdout = stdout_of(&run_ok(&both, &out));
    assert!(stdout.contains("6 tasks, 0 failed, 6 re-run"), "{stdout}");
    let (header, rows) = cv_results(&out);
    let mean = header
        .iter()
        .position(|h| h == "mean_test_balanced_accuracy")
        .unwrap();
    for row in &rows {
        assert!(row[mean].parse::<f64>().unwrap() > 0.5, "{row:?}");
    }
    assert!(journal(&out)
        .iter()
        .all(|r| r["scores"]["balanced_accuracy"].is_number()));
    // the same config again: everything reused, and the timeline shows it
    let stdout = stdout_of(&run_ok(&both, &out));
    assert!(stdout.contains("6 tasks, 0 failed, 6 reused"), "{stdout}");
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    assert_eq!(svg.matches(r#"class="task reused""#).count(), 6, "{svg}");
    assert_eq!(score_columns(&out).len(), 2);
    // a setting added: its tasks run, the others are reused, all are drawn
    let wider = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"decision_tree\"\n[grid]\nmax_depth = [2, 4, 8]\n[cv]\nfolds = 3\nseed = 4\n[scoring]\nmetrics = [\"accuracy\", \"balanced_accuracy\"]\n[run]\njobs = 2\n", "wine.csv");
    let stdout = stdout_of(&run_ok(&wider, &out));
    assert!(stdout.contains("9 tasks, 0 failed, 6 reused"), "{stdout}");
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    assert_eq!(svg.matches(r#"class="task reused""#).count(), 6);
    // every task of the plan is drawn: 6 reused, 3 run now
    assert_eq!(svg.matches(r#"<rect class="task"#).count(), 9);
    let best = json(&out.join("best.json"));
    assert!(
        best["scores"]["balanced_accuracy"]["mean"]
            .as_f64()
            .unwrap()
            > 0.5
    );
}

#[test]
fn a_dataset_cache_that_cannot_be_written_is_a_one_line_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // 4,000 rows x 40 features: a 1.3 MB cache, over the 256 KiB limit.
    let mut text = (0..40).map(|j| format!("f{j},")).collect::<String>() + "y\n";
    for i in 0..4000 {
        for j in 0..40 {
            text.push_str(&format!("{}.{},", i % 97, j));
        }
        text.push_str(&format!("{}\n", i % 2));
    }
    let csv = write_csv(dir.path(), "wide.csv", &text);
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[dataset]\npath = \"{csv}\"\n[model]\nkind = \"debug\"\n[cv]\nkind = \"holdout\"\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let stderr = one_line_error(&run_with_file_limit(&config, &out, 256));
    assert!(
        stderr.contains(".bin: cannot write the dataset cache: File too large"),
        "{stderr}"
    );
    // No half-written cache is left to be mistaken for a whole one.
    let left: Vec<_> = std::fs::read_dir(out.join("cache"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .assert()
        .success();
}
