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

/// The Python with botocore and the kubernetes client (installed once by
/// scripts/python-cloud-env.sh).
fn cloud_python() -> String {
    let out = Command::new("bash")
        .arg(root().join("scripts/python-cloud-env.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python-cloud-env.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Runs scripts/validate_exports.py on `files`: (success, stdout + stderr).
fn validate(files: &[std::path::PathBuf]) -> (bool, String) {
    let out = Command::new(cloud_python())
        .arg(root().join("scripts/validate_exports.py"))
        .args(files)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `gridrun export-job configs/rf.toml` from the repository root into `dir`.
fn export_rf(dir: &Path, args: &[&str]) -> String {
    let assert = gridrun()
        .current_dir(root())
        .args([
            "export-job",
            "configs/rf.toml",
            "--shards",
            "4",
            "--cpus",
            "4",
            "--memory-mib",
            "6144",
            "--dir",
        ])
        .arg(dir)
        .args(args)
        .assert()
        .success();
    stdout_of(&assert)
}

#[test]
fn rf_exports_for_aws_batch_validate_against_botocore() {
    let dir = tempfile::tempdir().unwrap();
    let efs = dir.path().join("efs");
    let stdout = export_rf(
        &efs,
        &["--format", "aws-batch", "--efs", "fs-0123456789abcdef0"],
    );
    let file = |d: &Path, suffix: &str| d.join(format!("gridrun-rf-synthetic.{suffix}.json"));
    let files: Vec<_> = ["register", "submit", "merge"]
        .iter()
        .map(|s| file(&efs, s))
        .collect();
    // The exact next commands, the merge included.
    for line in [
        format!(
            "aws batch register-job-definition --cli-input-json file://{}",
            files[0].display()
        ),
        format!(
            "JOB_ID=$(aws batch submit-job --cli-input-json file://{} --query jobId --output text)",
            files[1].display()
        ),
        format!(
            "aws batch submit-job --cli-input-json file://{} --depends-on jobId=$JOB_ID",
            files[2].display()
        ),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing `{line}` in:\n{stdout}"
        );
    }
    let register = json(&files[0]);
    let container = &register["containerProperties"];
    assert_eq!(
        container["command"],
        serde_json::json!([
            "/usr/local/bin/gridrun",
            "run",
            "/job/configs/rf.toml",
            "--shards",
            "4",
            "--output",
            "/mnt/efs/rf-synthetic",
            "--jobs",
            "4",
            "--quiet"
        ])
    );
    assert_eq!(
        container["resourceRequirements"][0],
        serde_json::json!({"type": "VCPU", "value": "4"})
    );
    assert_eq!(
        container["resourceRequirements"][1],
        serde_json::json!({"type": "MEMORY", "value": "6144"})
    );
    assert_eq!(register["retryStrategy"]["attempts"], 3);
    assert_eq!(json(&files[1])["arrayProperties"]["size"], 4);
    let s3 = dir.path().join("s3");
    export_rf(
        &s3,
        &[
            "--format",
            "aws-batch",
            "--s3",
            "s3://my-bucket/runs/rf",
            "--image",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/gridrun:aws",
        ],
    );
    let s3_files: Vec<_> = ["register", "submit", "merge"]
        .iter()
        .map(|s| file(&s3, s))
        .collect();
    let script = json(&s3_files[0])["containerProperties"]["command"][2]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        script.contains(
            "aws s3 sync --only-show-errors /tmp/gridrun/rf-synthetic s3://my-bucket/runs/rf"
        ),
        "{script}"
    );
    let all: Vec<_> = files.iter().chain(&s3_files).cloned().collect();
    let (ok, report) = validate(&all);
    assert!(ok, "{report}");
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok ")).count(),
        6,
        "{report}"
    );
    // The validator does catch what AWS would reject.
    let broken = dir.path().join("broken.submit.json");
    let mut submit = json(&files[1]);
    submit["arrayProperties"]["size"] = serde_json::json!("4");
    std::fs::write(&broken, submit.to_string()).unwrap();
    let (ok, report) = validate(std::slice::from_ref(&broken));
    assert!(!ok && report.contains("arrayProperties.size"), "{report}");
    submit["arrayProperties"]["size"] = serde_json::json!(4);
    submit["retries"] = serde_json::json!(2);
    std::fs::write(&broken, submit.to_string()).unwrap();
    let (ok, report) = validate(&[broken]);
    assert!(!ok && report.contains("retries"), "{report}");
}

#[test]
fn rf_exports_for_kubernetes_validate_against_the_client_models() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = export_rf(
        dir.path(),
        &["--format", "k8s", "--storage-class", "efs-sc"],
    );
    let job = dir.path().join("gridrun-rf-synthetic.job.yaml");
    let merge = dir.path().join("gridrun-rf-synthetic.merge.yaml");
    for line in [
        format!("kubectl apply -f {}", job.display()),
        "kubectl wait --for=condition=complete job/gridrun-rf-synthetic --timeout=24h".to_string(),
        format!("kubectl apply -f {}", merge.display()),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing `{line}` in:\n{stdout}"
        );
    }
    let text = std::fs::read_to_string(&job).unwrap();
    for needle in [
        "kind: \"PersistentVolumeClaim\"",
        "- \"ReadWriteMany\"",
        "completionMode: \"Indexed\"",
        "completions: 4",
        "backoffLimitPerIndex: 2",
        "claimName: \"gridrun-rf-synthetic-output\"",
        "- \"/mnt/gridrun/rf-synthetic\"",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    let (ok, report) = validate(&[job.clone(), merge.clone()]);
    assert!(ok, "{report}");
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok ")).count(),
        2,
        "{report}"
    );
    // A misspelt field is caught, as the API server's strict decoding would.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        text.replace("backoffLimitPerIndex", "backoffLimitPerIdx"),
    )
    .unwrap();
    let (ok, report) = validate(&[broken]);
    assert!(!ok && report.contains("backoffLimitPerIdx"), "{report}");
}

#[test]
fn exports_need_shared_storage_and_size_containers_from_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG, "wine.csv");
    let assert = gridrun()
        .arg("export-job")
        .arg(&config)
        .args(["--format", "aws-batch", "--shards", "2"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("needs storage every shard can reach: --efs fs-ID"));
    // A config outside the folder the image holds at /job.
    let assert = gridrun()
        .current_dir(root())
        .arg("export-job")
        .arg(&config)
        .args(["--format", "k8s", "--shards", "2"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("outside the current folder"),
        "{}",
        stderr_of(&assert)
    );
    let out = dir.path().join("out");
    gridrun()
        .arg("estimate")
        .arg(&config)
        .args(["--deadline", "10m", "--pilot-seconds", "5", "-o"])
        .arg(&out)
        .assert()
        .success();
    let estimate = json(&out.join("estimate.json"));
    let files = dir.path().join("files");
    gridrun()
        .arg("export-job")
        .arg(&config)
        .args([
            "--format",
            "k8s",
            "--shards",
            "2",
            "--container-config",
            "/job/wine.toml",
            "--estimate",
        ])
        .arg(out.join("estimate.json"))
        .arg("--dir")
        .arg(&files)
        .assert()
        .success();
    let cores = estimate["cores"]["cores"].as_u64().unwrap();
    let cpus = cores.div_ceil(2).max(1);
    let rss_mib = estimate["pilot"]["worker_peak_rss_bytes"]
        .as_u64()
        .unwrap()
        .div_ceil(1 << 20);
    let yaml = std::fs::read_to_string(files.join("gridrun-batch-wine.job.yaml")).unwrap();
    assert!(yaml.contains(&format!("cpu: \"{cpus}\"")), "{yaml}");
    assert!(
        yaml.contains(&format!("memory: \"{}Mi\"", cpus * rss_mib + 1024)),
        "{yaml}"
    );
    assert!(yaml.contains("- \"/job/wine.toml\""), "{yaml}");
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

/// The limit of one Slurm round trip of three arrays (or a small command).
const SLURM_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// A column of cv_results.csv.
fn cv_column(out: &Path, name: &str) -> Vec<String> {
    let (header, rows) = cv_results(out);
    let c = header.iter().position(|h| h == name).unwrap();
    rows.into_iter().map(|r| r[c].clone()).collect()
}

/// `gridrun slurm CONFIG --shards 2 --submit -o OUT` under a hard limit.
fn slurm_submit(config: &Path, out: &Path) -> assert_cmd::assert::Assert {
    gridrun()
        .arg("slurm")
        .arg(config)
        .args(["--shards", "2", "--submit", "-o"])
        .arg(out)
        .timeout(SLURM_LIMIT)
        .assert()
}

#[test]
fn slurm_submit_runs_halving_one_array_per_round() {
    local_slurm();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), HALVING_WINE, "wine.csv");
    let single = dir.path().join("single");
    run_with(&config, &single, &[]);
    let out = dir.path().join("slurm");
    let assert = slurm_submit(&config, &out).success();
    let (stdout, stderr) = (stdout_of(&assert), stderr_of(&assert));
    assert!(
        stdout.contains("merged 39 of 39 tasks (0 failed)"),
        "{stdout}"
    );
    // One array per round, each submitted after the round before ended.
    for (round, (candidates, tasks, resources, shards)) in
        [(9, 27, 18, 2), (3, 9, 54, 2), (1, 3, 162, 2)]
            .into_iter()
            .enumerate()
    {
        let line = format!(
            "round {} of 3: {candidates} candidates x 3 splits = {tasks} tasks, {resources} n_samples each; submitted job array",
            round + 1
        );
        assert!(stderr.contains(&line), "{line} not in {stderr}");
        let script =
            std::fs::read_to_string(out.join(format!("gridrun.round-{round}.sbatch"))).unwrap();
        assert!(
            script.contains(&format!("--array=0-{}", shards - 1)),
            "{script}"
        );
        assert!(
            script.contains(&format!("--quiet --round {round}\n")),
            "{script}"
        );
        let ids: usize = (0..shards)
            .map(|i| {
                journal_ids(&out.join(format!("results.round-{round}.shard-{i}-of-{shards}.jsonl")))
                    .len()
            })
            .sum();
        assert_eq!(ids, tasks, "round {round}'s journals");
    }
    // The same rounds, survivors, scores and best setting as one machine.
    assert_eq!(score_columns(&out), score_columns(&single));
    for column in ["iter", "n_resources", "params"] {
        assert_eq!(
            cv_column(&out, column),
            cv_column(&single, column),
            "{column}"
        );
    }
    let (best, best_single) = (
        json(&out.join("best.json")),
        json(&single.join("best.json")),
    );
    assert_eq!(best["best_params"], best_single["best_params"]);
    assert_eq!(best["rounds"], best_single["rounds"]);
    assert_eq!(best["best_index"], 12);
    assert!(out.join("best_model.json").exists());
    // The same command again: every round is done, nothing is submitted.
    let assert = slurm_submit(&config, &out).success();
    assert!(stdout_of(&assert).contains("merged 39 of 39 tasks (0 failed)"));
    assert!(
        !stderr_of(&assert).contains("submitted"),
        "{}",
        stderr_of(&assert)
    );
    // Rounds 2 and 3 lost, and round 2's job id names a job still queued
    // that runs no gridrun (a coordinator was killed while it ran): the
    // command follows that job rather than submitting another, finds round
    // 2 unfinished after it and stops; the next time it resumes from round 2.
    for round in 1..3 {
        for i in 0..2 {
            std::fs::remove_file(out.join(format!("results.round-{round}.shard-{i}-of-2.jsonl")))
                .unwrap();
        }
    }
    let sbatch = Command::new("sbatch")
        .args(["--parsable", "--output=/dev/null", "--wrap", "sleep 2"])
        .output()
        .unwrap();
    let job = String::from_utf8(sbatch.stdout).unwrap().trim().to_string();
    std::fs::write(out.join("gridrun.round-1.job"), &job).unwrap();
    let assert = slurm_submit(&config, &out).code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "round 2 of 3: following job array {job}, submitted earlier"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("round 2 of 3: 9 of 9 tasks have no result after its job array"),
        "{stderr}"
    );
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    let assert = slurm_submit(&config, &out).success();
    let stderr = stderr_of(&assert);
    assert!(
        !stderr.contains("round 1 of 3"),
        "round 1 ran again: {stderr}"
    );
    assert!(stderr.contains("round 2 of 3: 3 candidates"), "{stderr}");
    assert!(stdout_of(&assert).contains("merged 39 of 39 tasks (0 failed)"));
    assert_eq!(score_columns(&out), score_columns(&single));
    assert_eq!(
        json(&out.join("best.json"))["best_params"],
        best_single["best_params"]
    );
}

#[test]
fn halving_refuses_splits_up_front_and_names_slurm_submit() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), HALVING_WINE, "wine.csv");
    let out = dir.path().join("out");
    let refused = |args: &[&str]| {
        let assert = gridrun()
            .args(args)
            .arg(&config)
            .args(["-o"])
            .arg(&out)
            .timeout(SLURM_LIMIT)
            .assert();
        one_line_error(assert.get_output())
    };
    let stderr = refused(&["slurm", "--shards", "2"]);
    assert!(
        stderr.contains("gridrun slurm without --submit: successive halving cannot be written as one job array: each round's candidates are known only when the round before ends; `gridrun slurm --submit` submits one array per round"),
        "{stderr}"
    );
    let stderr = refused(&["run", "--shard", "0/2"]);
    assert!(
        stderr.contains("--shard: successive halving cannot be split into shards up front: each round's candidates are known only when the round before ends; run it with `gridrun slurm --submit`"),
        "{stderr}"
    );
    // A round's array task before the rounds it builds on ended.
    let stderr = refused(&["run", "--shard", "0/2", "--round", "1", "-q"]);
    assert!(
        stderr.contains("--round 1: round 1 (iter 0) has not finished in"),
        "{stderr}"
    );
    let stderr = refused(&["run", "--round", "0"]);
    assert!(
        stderr.contains("--round 0 runs one shard of one round's job array: give --shard I/N"),
        "{stderr}"
    );
    let assert = gridrun()
        .arg("export-job")
        .arg(&config)
        .args(["--format", "k8s", "--shards", "2", "--dir"])
        .arg(dir.path())
        .timeout(SLURM_LIMIT)
        .assert();
    let stderr = one_line_error(assert.get_output());
    assert!(
        stderr.contains("gridrun export-job: successive halving cannot be split into shards up front: each round's candidates are known only when the round before ends"),
        "{stderr}"
    );
}
