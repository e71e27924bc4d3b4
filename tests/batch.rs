//! Batch runs across machines: shards and merge, the Slurm job array on a
//! real (local) Slurm cluster, and the AWS Batch / Kubernetes exports.

mod common;
use common::*;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

const CONFIG: &str = "name = \"batch-wine\"\n[dataset]\npath = \"{data}\"\n[model]\nkind = \"logistic_regression\"\n[grid]\nC = [0.01, 0.1, 1.0, 10.0]\nmax_iter = [200]\n[cv]\nfolds = 5\nseed = 1\n[scoring]\nmetrics = [\"accuracy\", \"f1_macro\"]\n";

fn single_run(dir: &Path, config: &Path) -> std::path::PathBuf {
    let out = dir.join("single");
    run_ok(config, &out);
    out
}

fn journal_ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn four_shards_merge_to_the_single_machine_result() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG, "wine.csv");
    let single = single_run(dir.path(), &config);
    let out = dir.path().join("sharded");
    let mut all_ids = Vec::new();
    for i in 0..4 {
        gridrun()
            .args(["run"])
            .arg(&config)
            .args(["--shard", &format!("{i}/4"), "-q", "-o"])
            .arg(&out)
            .assert()
            .success();
        all_ids.extend(journal_ids(
            &out.join(format!("results.shard-{i}-of-4.jsonl")),
        ));
    }
    let unique: HashSet<&String> = all_ids.iter().collect();
    assert_eq!(
        (all_ids.len(), unique.len()),
        (20, 20),
        "every task in exactly one shard"
    );
    assert!(
        !out.join("cv_results.csv").exists(),
        "a shard must not write merged results"
    );
    gridrun().arg("merge").arg(&out).assert().success();
    assert_eq!(score_columns(&out), score_columns(&single));
    assert_eq!(
        json(&out.join("best.json"))["best_params"],
        json(&single.join("best.json"))["best_params"]
    );
    assert!(out.join("timeline.svg").exists() && out.join("best_model.json").exists());
}

#[test]
fn merge_lists_exactly_the_missing_tasks_and_only_missing_fills_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG, "wine.csv");
    let single = single_run(dir.path(), &config);
    let out = dir.path().join("sharded");
    for i in [0, 1, 3] {
        gridrun()
            .args(["run"])
            .arg(&config)
            .args(["--shard", &format!("{i}/4"), "-q", "-o"])
            .arg(&out)
            .assert()
            .success();
    }
    // shard 2 never ran: compute its tasks by running it elsewhere
    let other = dir.path().join("other");
    gridrun()
        .args(["run"])
        .arg(&config)
        .args(["--shard", "2/4", "-q", "-o"])
        .arg(&other)
        .assert()
        .success();
    let expected: HashSet<String> = journal_ids(&other.join("results.shard-2-of-4.jsonl"))
        .into_iter()
        .collect();
    let assert = gridrun().arg("merge").arg(&out).assert().code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!("{} tasks missing", expected.len())),
        "{stderr}"
    );
    // the missing tasks are the indented lines (status lines come before)
    let listed: HashSet<String> = stderr
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(listed, expected);
    gridrun()
        .args(["run"])
        .arg(&config)
        .args(["--only-missing", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    gridrun().arg("merge").arg(&out).assert().success();
    assert_eq!(score_columns(&out), score_columns(&single));
}

#[test]
fn shard_index_comes_from_the_scheduler() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG, "wine.csv");
    let out = dir.path().join("out");
    for (var, extra) in [
        ("AWS_BATCH_JOB_ARRAY_INDEX", vec!["--shards", "4"]),
        ("JOB_COMPLETION_INDEX", vec!["--shards", "4"]),
    ] {
        gridrun()
            .env(var, "3")
            .arg("run")
            .arg(&config)
            .args(&extra)
            .args(["-q", "-o"])
            .arg(&out)
            .assert()
            .success();
        assert!(out.join("results.shard-3-of-4.jsonl").exists(), "{var}");
    }
    gridrun()
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "4")
        .env("SLURM_ARRAY_TASK_MIN", "0")
        .env("SLURM_ARRAY_TASK_MAX", "3")
        .arg("run")
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert!(out.join("results.shard-1-of-4.jsonl").exists());
    let assert = gridrun()
        .env("AWS_BATCH_JOB_ARRAY_INDEX", "7")
        .arg("run")
        .arg(&config)
        .args(["--shards", "4", "-q", "-o"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("AWS_BATCH_JOB_ARRAY_INDEX=7"), "{stderr}");
    gridrun()
        .arg("run")
        .arg(&config)
        .args(["--shard", "4/4", "-q"])
        .assert()
        .code(2);
}

#[test]
fn exported_jobs_carry_the_schemas_required_fields() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG, "wine.csv");
    let assert = gridrun()
        .arg("export-job")
        .arg(&config)
        .args(["--format", "aws-batch", "--shards", "8"])
        .assert()
        .success();
    let aws: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let def = &aws["registerJobDefinition"];
    assert!(def["jobDefinitionName"].is_string() && def["type"] == "container");
    assert!(def["containerProperties"]["image"].is_string());
    let submit = &aws["submitJob"];
    for key in ["jobName", "jobQueue", "jobDefinition"] {
        assert!(submit[key].is_string(), "submitJob.{key}");
    }
    assert_eq!(submit["arrayProperties"]["size"], 8);
    let command: Vec<&str> = def["containerProperties"]["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        command.windows(2).any(|w| w == ["--shards", "8"]),
        "{command:?}"
    );
    let assert = gridrun()
        .arg("export-job")
        .arg(&config)
        .args(["--format", "k8s", "--shards", "8"])
        .assert()
        .success();
    let yaml = stdout_of(&assert);
    for needle in [
        "apiVersion: batch/v1",
        "kind: Job",
        "completionMode: Indexed",
        "completions: 8",
        "restartPolicy: Never",
        "image:",
        "name:",
    ] {
        assert!(yaml.contains(needle), "missing `{needle}` in:\n{yaml}");
    }
}

/// Starts the one-node cluster of scripts/slurm-local.sh (installs Slurm from
/// Debian's packages on first use; a no-op when it already runs).
fn local_slurm() {
    let status = Command::new("bash")
        .arg(root().join("scripts/slurm-local.sh"))
        .arg("start")
        .status()
        .unwrap();
    assert!(status.success(), "scripts/slurm-local.sh start failed: the Slurm test needs root and Debian's slurm packages");
}

#[test]
fn slurm_job_array_merges_to_the_single_machine_result() {
    local_slurm();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG, "wine.csv");
    let single = single_run(dir.path(), &config);
    let out = dir.path().join("slurm");
    let started = std::time::Instant::now();
    let assert = gridrun()
        .arg("slurm")
        .arg(&config)
        .args(["--shards", "4", "--cpus-per-task", "1", "--submit", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    eprintln!(
        "slurm array of 4 shards + merge took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(stdout.contains("merged 20 of 20 tasks"), "{stdout}");
    for i in 0..4 {
        assert!(
            out.join(format!("results.shard-{i}-of-4.jsonl")).exists(),
            "shard {i} journal"
        );
    }
    assert_eq!(score_columns(&out), score_columns(&single));
}

#[test]
fn shards_balance_on_the_estimates_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"random_forest\"\n[grid]\nn_estimators = [5, 50, 150]\nmax_depth = [2, \"none\"]\n[cv]\nfolds = 4\n", "breast_cancer.csv");
    let single = single_run(dir.path(), &config);
    let out = dir.path().join("sharded");
    gridrun()
        .arg("estimate")
        .arg(&config)
        .args(["--deadline", "10m", "-o"])
        .arg(&out)
        .assert()
        .success();
    let assert = gridrun()
        .arg("slurm")
        .arg(&config)
        .args(["--shards", "3", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let line = stdout.lines().find(|l| l.starts_with("shards:")).unwrap();
    assert!(
        line.contains("LPT on gridrun estimate's predictions"),
        "{line}"
    );
    let ratio: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((1.0..1.5).contains(&ratio), "max/mean {ratio}");
    for i in 0..3 {
        gridrun()
            .arg("run")
            .arg(&config)
            .args(["--shard", &format!("{i}/3"), "-q", "-o"])
            .arg(&out)
            .assert()
            .success();
    }
    gridrun().arg("merge").arg(&out).assert().success();
    assert_eq!(score_columns(&out), score_columns(&single));
}
