//! Command tasks through the real binary: the shipped examples against
//! independent references, every kind of failing command, and no process
//! left behind.

mod common;
use common::*;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs gridrun and gives up (killing it) after `limit`: nothing may hang.
fn gridrun_within(args: &[&OsStr], limit: Duration) -> Output {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
        .args(args)
        .env("GRIDRUN_PROGRESS_SECONDS", "3600")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("gridrun {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn run_config(config: &Path, out: &Path, extra: &[&str], limit: Duration) -> Output {
    let mut args: Vec<&OsStr> = vec![
        config.as_os_str(),
        OsStr::new("-q"),
        OsStr::new("-o"),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    gridrun_within(&args, limit)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Processes whose environment mentions `needle` (a test's temp folder):
/// a command or anything it started.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| String::from_utf8_lossy(&env).contains(needle))
        })
        .collect()
}

fn assert_nothing_left(needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_mentioning(needle);
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            let cmds: Vec<String> = left
                .iter()
                .map(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                        .unwrap_or_default()
                        .replace('\0', " ")
                })
                .collect();
            panic!("processes left behind: {left:?} {cmds:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn rows_file(out: &Path, fold: u64, which: &str) -> Vec<usize> {
    let dirs: Vec<PathBuf> = std::fs::read_dir(out.join("folds"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(dirs.len(), 1, "one fold plan");
    std::fs::read_to_string(dirs[0].join(format!("repeat0-fold{fold}.{which}")))
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

/// The example's algorithm, reimplemented: nearest by (distance, row), the
/// most frequent label among the k nearest, ties to the smallest label.
fn knn_accuracy(
    x: &[Vec<f64>],
    y: &[String],
    train: &[usize],
    test: &[usize],
    k: usize,
    metric: &str,
) -> (f64, usize) {
    let distance = |a: &[f64], b: &[f64]| -> f64 {
        let mut sum = 0.0;
        for (p, q) in a.iter().zip(b) {
            sum += if metric == "manhattan" {
                (p - q).abs()
            } else {
                (p - q) * (p - q)
            };
        }
        sum
    };
    let mut correct = 0;
    for &row in test {
        let mut near: Vec<(f64, usize)> = train
            .iter()
            .map(|&r| (distance(&x[r], &x[row]), r))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut votes: HashMap<&str, usize> = HashMap::new();
        for &(_, r) in &near[..k] {
            *votes.entry(y[r].as_str()).or_default() += 1;
        }
        let best = votes
            .iter()
            .min_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)))
            .unwrap()
            .0;
        correct += usize::from(*best == y[row]);
    }
    (correct as f64 / test.len() as f64, test.len() - correct)
}

#[test]
fn stdlib_example_scores_equal_a_rust_knn() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = root().join("configs/knn-stdlib.toml");
    let o = run_config(&config, &out, &["-j", "2"], Duration::from_secs(240));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut reader = csv::Reader::from_path(dataset("iris.csv")).unwrap();
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for rec in reader.records() {
        let rec = rec.unwrap();
        x.push(
            rec.iter()
                .take(4)
                .map(|v| v.parse::<f64>().unwrap())
                .collect::<Vec<_>>(),
        );
        y.push(rec[4].to_string());
    }
    let records = journal(&out);
    assert_eq!(records.len(), 3 * 2 * 5);
    for r in &records {
        let fold = r["fold"].as_u64().unwrap();
        let (train, test) = (
            rows_file(&out, fold, "train"),
            rows_file(&out, fold, "test"),
        );
        assert_eq!(train.len() + test.len(), 150);
        let k = r["params"]["n_neighbors"].as_u64().unwrap() as usize;
        let metric = r["params"]["metric"].as_str().unwrap();
        let (accuracy, errors) = knn_accuracy(&x, &y, &train, &test, k, metric);
        assert_eq!(r["scores"]["accuracy"].as_f64().unwrap(), accuracy, "{r}");
        assert_eq!(
            r["scores"]["errors"].as_f64().unwrap(),
            errors as f64,
            "{r}"
        );
    }
    // errors is a loss (greater_is_better = false): rank 1 has the fewest.
    let best = json(&out.join("best.json"));
    let (header, rows) = cv_results(&out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let fewest = rows
        .iter()
        .map(|r| r[col("mean_test_errors")].parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    let rank1 = rows
        .iter()
        .find(|r| r[col("rank_test_errors")] == "1")
        .unwrap();
    assert_eq!(
        rank1[col("mean_test_errors")].parse::<f64>().unwrap(),
        fewest
    );
    assert!(best["scores"]["accuracy"]["mean"].as_f64().unwrap() > 0.9);
    assert!(
        !out.join("best_model.json").exists(),
        "no refit without refit_command"
    );
}

#[test]
fn svc_example_scores_equal_sklearn_cross_validate() {
    let py = Command::new("bash")
        .arg(root().join("scripts/python-env.sh"))
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", text(&py.stderr));
    let py = text(&py.stdout).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root().join("configs/svc.toml")).unwrap();
    let grid_start = shipped.find("[grid]").unwrap();
    let grid_end = shipped.find("[cv]").unwrap();
    let config_text = format!(
        "{}[grid]\nC = [0.1, 10.0]\ngamma = [0.01]\n{}",
        &shipped[..grid_start],
        &shipped[grid_end..]
    )
    .replace(
        "\"../datasets/breast_cancer.csv\"",
        &format!("{:?}", dataset("breast_cancer.csv")),
    )
    .replace(
        "workdir = \"..\"",
        &format!("workdir = {:?}", root().display().to_string()),
    );
    let config = dir.path().join("svc.toml");
    std::fs::write(&config, config_text).unwrap();
    let out = dir.path().join("out");
    let o = run_config(&config, &out, &["-j", "2"], Duration::from_secs(300));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let folds_dir = std::fs::read_dir(out.join("folds"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let reference = Command::new(&py)
        .current_dir(root())
        .arg("-c")
        .arg(SKLEARN_REFERENCE)
        .arg(&folds_dir)
        .arg("5")
        .arg("[[0.1, 0.01], [10.0, 0.01]]")
        .output()
        .unwrap();
    assert!(reference.status.success(), "{}", text(&reference.stderr));
    let reference: serde_json::Value = serde_json::from_slice(&reference.stdout).unwrap();
    let records = journal(&out);
    assert_eq!(records.len(), 10);
    for r in &records {
        let key = format!(
            "{:?} {:?}",
            r["params"]["C"].as_f64().unwrap(),
            r["params"]["gamma"].as_f64().unwrap()
        );
        let fold = r["fold"].as_u64().unwrap() as usize;
        for metric in ["accuracy", "f1_macro"] {
            let ours = r["scores"][metric].as_f64().unwrap();
            let theirs = reference[&key][metric][fold].as_f64().unwrap();
            assert_eq!(ours, theirs, "{key} fold {fold} {metric}");
        }
    }
}

/// scikit-learn's cross_validate on gridrun's folds (as a PredefinedSplit).
const SKLEARN_REFERENCE: &str = r#"
import json, sys
import numpy as np
sys.path.insert(0, "examples")
from train_svc import load_csv, read_rows, model
from sklearn.model_selection import PredefinedSplit, cross_validate
X, y = load_csv("datasets/breast_cancer.csv")
test_fold = np.full(len(y), -1)
for f in range(int(sys.argv[2])):
    test_fold[read_rows(f"{sys.argv[1]}/repeat0-fold{f}.test")] = f
out = {}
for C, gamma in json.loads(sys.argv[3]):
    r = cross_validate(model(C, gamma), X, y, cv=PredefinedSplit(test_fold), scoring=["accuracy", "f1_macro"])
    out[f"{float(C)} {float(gamma)}"] = {"accuracy": [float(v) for v in r["test_accuracy"]], "f1_macro": [float(v) for v in r["test_f1_macro"]]}
print(json.dumps(out))
"#;

/// One command per way of failing, plus good ones around them.
const FAULTY: &str = r#"
import json, os, signal, subprocess, sys, time
mode = sys.argv[1]
if mode.startswith("ok"):
    print(json.dumps({"score": 1.0, "attempt": int(os.environ["GRIDRUN_ATTEMPT"])}))
elif mode == "exit3":
    print("loading data", file=sys.stderr)
    print("ValueError: bad thing", file=sys.stderr)
    sys.exit(3)
elif mode == "signal":
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(60)
elif mode == "sleep":
    subprocess.Popen(["sleep", "300"])
    time.sleep(300)
elif mode == "memchild":
    subprocess.run([sys.executable, "-c", "import time; b = b'x' * (400 << 20); time.sleep(60)"])
elif mode == "nojson":
    print("training done, accuracy 0.9")
elif mode == "nan":
    print(json.dumps({"score": float("nan")}))
elif mode == "flood":
    chunk = b"y" * (1 << 20) + b"\n"
    for _ in range(100):
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
    print(json.dumps({"score": 0.5, "attempt": 1}))
"#;

#[test]
fn each_failing_command_fails_only_its_task_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("faulty.py"), FAULTY).unwrap();
    let config = dir.path().join("faults.toml");
    std::fs::write(
        &config,
        "[task]\ncommand = [\"python3\", \"faulty.py\", \"{mode}\"]\n[grid]\nmode = [\"ok1\", \"exit3\", \"signal\", \"sleep\", \"memchild\", \"nojson\", \"nan\", \"flood\", \"ok2\"]\n[scoring]\nmetrics = [\"score\"]\n[run]\njobs = 2\ntimeout = \"8s\"\nmax_memory = \"200M\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let needle = dir.path().display().to_string();
    let o = run_config(&config, &out, &[], Duration::from_secs(180));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_nothing_left(&needle);
    let first = journal(&out);
    let by_mode: HashMap<String, &serde_json::Value> = first
        .iter()
        .map(|r| (r["params"]["mode"].as_str().unwrap().to_string(), r))
        .collect();
    assert_eq!(by_mode.len(), 9);
    for ok in ["ok1", "ok2", "flood"] {
        assert_eq!(by_mode[ok]["status"], "ok", "{}", by_mode[ok]);
    }
    let expected = [
        ("exit3", "exited with code 3"),
        ("signal", "killed by signal 15"),
        ("sleep", "timed out"),
        ("memchild", "out of memory"),
        ("nojson", "printed no JSON object"),
        ("nan", "metric `score` is NaN"),
    ];
    let stderr = text(&o.stderr);
    for (mode, cause) in expected {
        let r = by_mode[mode];
        assert_eq!(r["status"], "failed", "{r}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains(cause), "{mode}: {error}");
        // Shown on the terminal at once, with the setting and the cause.
        assert!(
            stderr.contains(&format!("task failed: mode={mode} ")),
            "{stderr}"
        );
    }
    assert!(by_mode["exit3"]["error"]
        .as_str()
        .unwrap()
        .contains("ValueError: bad thing"));
    assert!(stderr.contains("ValueError: bad thing"), "{stderr}");
    // The flood's log keeps only its last MiB.
    let flood_log = out
        .join("logs")
        .join(format!("{}.out", by_mode["flood"]["id"].as_str().unwrap()));
    let size = std::fs::metadata(&flood_log).unwrap().len();
    assert!(size > 1 << 20 && size < (1 << 20) + 200, "{size}");
    // Resume runs only the failed tasks again.
    let o = run_config(&config, &out, &[], Duration::from_secs(180));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_nothing_left(&needle);
    let second = journal(&out);
    let starts = |records: &[serde_json::Value], mode: &str| -> Vec<f64> {
        records
            .iter()
            .filter(|r| r["params"]["mode"] == mode)
            .map(|r| r["start"].as_f64().unwrap())
            .collect()
    };
    for ok in ["ok1", "ok2", "flood"] {
        assert_eq!(starts(&second, ok), starts(&first, ok), "{ok} was reused");
    }
    for (mode, _) in expected {
        let again = starts(&second, mode);
        assert_eq!(again.len(), 1);
        assert!(again[0] > starts(&first, mode)[0], "{mode} ran again");
    }
}

#[test]
fn a_killed_coordinator_takes_every_command_and_its_children_with_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("faulty.py"), FAULTY).unwrap();
    let config = dir.path().join("hang.toml");
    std::fs::write(
        &config,
        "[task]\ncommand = [\"python3\", \"faulty.py\", \"{mode}\"]\n[grid]\nmode = [\"sleep\", \"sleep \"]\n[scoring]\nmetrics = [\"score\"]\n[run]\njobs = 2\n",
    )
    .unwrap();
    let needle = dir.path().display().to_string();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
        .arg(&config)
        .args(["-q", "-o"])
        .arg(dir.path().join("out"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until both commands have started their `sleep 300` children.
    let deadline = Instant::now() + Duration::from_secs(60);
    while processes_mentioning(&needle).len() < 4 {
        assert!(Instant::now() < deadline, "the commands did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_nothing_left(&needle);
}

#[test]
fn unused_grid_keys_are_warned_about_and_braces_escape() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("echo.toml");
    std::fs::write(
        &config,
        "[task]\ncommand = [\"echo\", \"{{\\\"score\\\": {C}}}\"]\nrefit_command = [\"sh\", \"-c\", \"echo {C} $GRIDRUN_TRAIN_ROWS > \\\"$GRIDRUN_OUT/refit.txt\\\"\"]\n[grid]\nC = [0.5, 1e-3]\nkernel = [\"rbf\"]\n[scoring]\nmetrics = [\"score\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run_config(&config, &out, &[], Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("warning: ") && stderr.contains("grid.kernel is used by no placeholder"),
        "{stderr}"
    );
    assert!(!stderr.contains("grid.C "), "{stderr}");
    let mut scores: Vec<f64> = journal(&out)
        .iter()
        .map(|r| r["scores"]["score"].as_f64().unwrap())
        .collect();
    scores.sort_by(f64::total_cmp);
    assert_eq!(scores, vec![0.001, 0.5]);
    // refit_command ran once, for the best setting, without fold files.
    let refit = std::fs::read_to_string(out.join("refit/refit.txt")).unwrap();
    assert_eq!(refit.trim(), "0.5");
    assert!(json(&out.join("best.json"))["refit_seconds"]
        .as_f64()
        .is_some());
}

#[test]
fn command_shards_merge_into_the_same_results_as_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("echo.toml");
    std::fs::write(
        &config,
        "[task]\ncommand = [\"sh\", \"-c\", \"echo {{\\\\\\\"score\\\\\\\": $(( {a} * 10 + {fold} ))}}\"]\n[grid]\na = [1, 2, 3]\n[cv]\nfolds = 3\n[scoring]\nmetrics = [\"score\"]\n",
    )
    .unwrap();
    let (one, sharded) = (dir.path().join("one"), dir.path().join("sharded"));
    let o = run_config(&config, &one, &[], Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for shard in ["0/2", "1/2"] {
        let o = run_config(
            &config,
            &sharded,
            &["--shard", shard],
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let o = gridrun_within(
        &[OsStr::new("merge"), sharded.as_os_str()],
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(score_columns(&one), score_columns(&sharded));
    let (header, rows) = cv_results(&one);
    let split2 = header
        .iter()
        .position(|h| h == "split2_test_score")
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r[split2].as_str()).collect::<Vec<_>>(),
        ["12", "22", "32"]
    );
}
