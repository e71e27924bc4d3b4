//! Helpers for driving the real binary on the real datasets.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The hard limit of one small gridrun command in a test.
pub const LIMIT: Duration = Duration::from_secs(120);

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn dataset(name: &str) -> String {
    root().join("datasets").join(name).display().to_string()
}

pub fn gridrun() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("gridrun");
    cmd.env("GRIDRUN_PROGRESS_SECONDS", "3600");
    cmd
}

/// What a finished command printed on stdout.
pub fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// What a finished command printed on stderr.
pub fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// The stderr of a command that must have failed as bad input does: exit
/// code 2 and one line, no panic.
pub fn one_line_error(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Runs a config quietly into `out` and expects success.
pub fn run_ok(config: &Path, out: &Path) -> assert_cmd::assert::Assert {
    gridrun()
        .arg(config)
        .args(["-q", "-o"])
        .arg(out)
        .assert()
        .success()
}

/// Writes `config` (with `{data}` replaced by the dataset's absolute path)
/// into `dir/config.toml`.
pub fn write_config(dir: &Path, config: &str, data: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, config.replace("{data}", &dataset(data))).unwrap();
    path
}

/// Parsed cv_results.csv: header and rows.
pub fn cv_results(out: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(out.join("cv_results.csv")).expect("cv_results.csv");
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The columns of cv_results.csv that hold scores (not timings).
pub fn score_columns(out: &Path) -> Vec<Vec<String>> {
    let (header, rows) = cv_results(out);
    rows.iter()
        .map(|row| {
            header
                .iter()
                .zip(row)
                .filter(|(h, _)| h.contains("test_") || h.starts_with("param"))
                .map(|(_, v)| v.clone())
                .collect()
        })
        .collect()
}

pub fn journal(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `gridrun run CONFIG EXTRA... -q -o OUT`, expected to succeed in LIMIT.
pub fn run_with(config: &Path, out: &Path, extra: &[&str]) {
    gridrun()
        .arg("run")
        .arg(config)
        .args(extra)
        .args(["-q", "-o"])
        .arg(out)
        .timeout(LIMIT)
        .assert()
        .success();
}

/// Runs CONFIG as `shards` shards into OUT, one after another, then
/// `gridrun merge OUT`.
pub fn run_sharded_and_merge(config: &Path, out: &Path, shards: usize) {
    for i in 0..shards {
        run_with(config, out, &["--shard", &format!("{i}/{shards}")]);
    }
    gridrun()
        .arg("merge")
        .arg(out)
        .timeout(LIMIT)
        .assert()
        .success();
}

/// Successive halving on wine (`{data}` = the dataset path): 9 -> 3 -> 1
/// candidates, 3 folds (39 tasks).
pub const HALVING_WINE: &str = r#"name = "halving-wine"
[dataset]
path = "{data}"
[model]
kind = "decision_tree"
[search]
method = "halving"
factor = 3
min_resources = "smallest"
seed = 5
[grid]
max_depth = [1, 2, 3]
criterion = ["gini", "entropy", "log_loss"]
[cv]
folds = 3
"#;

/// best.json's rounds as (n_candidates, n_resources).
pub fn best_rounds(out: &Path) -> Vec<(u64, u64)> {
    json(&out.join("best.json"))["rounds"]
        .as_array()
        .expect("best.json has rounds")
        .iter()
        .map(|r| {
            (
                r["n_candidates"].as_u64().unwrap(),
                r["n_resources"].as_u64().unwrap(),
            )
        })
        .collect()
}
