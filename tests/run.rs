//! End-to-end runs of the real binary on the real datasets.

mod common;
use common::*;

const TREE_WINE: &str = r#"
name = "wine"
[dataset]
path = "{data}"
target = "class"
[model]
kind = "linfa_decision_tree"
[grid]
max_depth = [2, 4, "none"]
criterion = ["gini", "entropy"]
[cv]
folds = 5
seed = 3
[scoring]
metrics = ["accuracy", "f1_macro", "balanced_accuracy"]
"#;

#[test]
fn tree_config_runs_and_finds_a_good_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    gridrun()
        .arg(root().join("configs/tree.toml"))
        .arg("--output")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    let best = json(&out.join("best.json"));
    let accuracy = best["mean"].as_f64().unwrap();
    assert!(accuracy >= 0.90, "best mean accuracy {accuracy}");
    assert_eq!(best["metric"], "accuracy");
    let (_, rows) = cv_results(&out);
    assert_eq!(rows.len(), 16);
    assert_eq!(journal(&out).len(), 80);
    assert!(out.join("best_model.json").exists());
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    assert!(svg.contains("utilisation"), "{svg}");
}

/// Deterministic models only: linfa-trees breaks ties between equal splits
/// through a HashMap, so its trees can differ from one fit to the next.
const DETERMINISTIC: &[(&str, &str)] = &[
    (
        "logistic_regression",
        "[grid]\nC = [0.1, 1.0, 10.0]\nmax_iter = [200]\n",
    ),
    (
        "gaussian_nb",
        "[grid]\nvar_smoothing = { logspace = [-9, -3], num = 3 }\n",
    ),
    (
        "decision_tree",
        "[grid]\nmax_depth = [3, \"none\"]\nmax_features = [\"sqrt\"]\ncriterion = [\"gini\", \"entropy\"]\n",
    ),
    // jobs 1 gives each fit 2 threads, jobs 2 one: the forest must not care.
    (
        "random_forest",
        "[grid]\nn_estimators = [10, 40]\nmax_features = [\"sqrt\", 0.5]\n",
    ),
];

#[test]
fn all_backends_and_job_counts_give_the_same_scores() {
    for (model, grid) in DETERMINISTIC {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("[dataset]\npath = \"{{data}}\"\n[model]\nkind = \"{model}\"\n{grid}[cv]\nfolds = 5\nseed = 3\n[scoring]\nmetrics = [\"accuracy\", \"f1_macro\", \"neg_log_loss\"]\n");
        let config = write_config(dir.path(), &text, "wine.csv");
        let mut results = Vec::new();
        for (backend, jobs) in [
            ("serial", "1"),
            ("thread", "2"),
            ("process", "1"),
            ("process", "2"),
        ] {
            let out = dir.path().join(format!("{backend}-{jobs}"));
            gridrun()
                .arg(&config)
                .args(["--backend", backend, "--jobs", jobs, "-q", "-o"])
                .arg(&out)
                .assert()
                .success();
            results.push((backend, jobs, score_columns(&out)));
        }
        for (backend, jobs, scores) in &results[1..] {
            assert_eq!(
                scores, &results[0].2,
                "{model}: {backend} with {jobs} jobs differs from serial"
            );
        }
        assert!(results[0].2.len() >= 3);
    }
}

#[test]
fn process_workers_are_separate_processes() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), TREE_WINE, "wine.csv");
    let out = dir.path().join("out");
    gridrun()
        .arg(&config)
        .args(["--backend", "process", "--jobs", "2", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let coordinator = json(&out.join("run.json"))["coordinator_pid"]
        .as_u64()
        .unwrap();
    let mut pids: Vec<u64> = journal(&out)
        .iter()
        .map(|r| r["pid"].as_u64().unwrap())
        .collect();
    pids.sort();
    pids.dedup();
    assert!(
        !pids.contains(&coordinator),
        "a task ran in the coordinator"
    );
    assert!(!pids.is_empty() && pids.len() <= 2, "{pids:?}");
}

#[test]
fn results_files_have_sklearn_layout() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), TREE_WINE, "wine.csv");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let (header, rows) = cv_results(&out);
    for col in [
        "mean_fit_time",
        "std_fit_time",
        "mean_score_time",
        "param_criterion",
        "param_max_depth",
        "params",
        "split0_test_accuracy",
        "split4_test_accuracy",
        "mean_test_accuracy",
        "std_test_accuracy",
        "rank_test_accuracy",
        "mean_test_f1_macro",
        "rank_test_balanced_accuracy",
    ] {
        assert!(header.iter().any(|h| h == col), "missing column {col}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let ranks: Vec<usize> = rows
        .iter()
        .map(|r| r[col("rank_test_accuracy")].parse().unwrap())
        .collect();
    assert!(ranks.contains(&1));
    for row in &rows {
        let splits: Vec<f64> = (0..5)
            .map(|k| {
                row[col(&format!("split{k}_test_accuracy"))]
                    .parse()
                    .unwrap()
            })
            .collect();
        let mean: f64 = row[col("mean_test_accuracy")].parse().unwrap();
        assert!((splits.iter().sum::<f64>() / 5.0 - mean).abs() < 1e-12);
    }
    let best = json(&out.join("best.json"));
    let best_row = &rows[best["best_index"].as_u64().unwrap() as usize];
    assert_eq!(best_row[col("rank_test_accuracy")], "1");
    assert_eq!(best["classes"].as_array().unwrap().len(), 3);
    // every row tested once per fold: test sizes add up to the dataset
    let records = journal(&out);
    let n_test: u64 = records
        .iter()
        .filter(|r| r["setting"] == 0)
        .map(|r| r["n_test"].as_u64().unwrap())
        .sum();
    assert_eq!(n_test, 178);
}

#[test]
fn failing_tasks_are_recorded_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nfail = [false, true]\npanic = [false, true]\n[cv]\nfolds = 3\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    let assert = gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("12 tasks, 9 failed"), "{stdout}");
    let records = journal(&out);
    let errors: Vec<&str> = records.iter().filter_map(|r| r["error"].as_str()).collect();
    assert_eq!(errors.len(), 9);
    assert!(errors
        .iter()
        .any(|e| e.contains("panic: debug model asked to panic")));
    assert!(errors
        .iter()
        .any(|e| e.contains("debug model asked to fail")));
    let (_, rows) = cv_results(&out);
    assert_eq!(
        rows.iter().filter(|r| r.iter().any(|c| c == "nan")).count(),
        3
    );
}

#[test]
fn plan_counts_tasks_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let assert = gridrun()
        .arg("plan")
        .arg(root().join("configs/tree.toml"))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.starts_with("5 folds x 16 settings = 80 tasks"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 17);
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"gaussian_nb\"\n[grid]\nvar_smoothing = { logspace = [-9, -5], num = 5 }\n[cv]\nkind = \"repeated_stratified_kfold\"\nfolds = 4\nrepeats = 3\n", "iris.csv");
    let assert = gridrun().arg("plan").arg(&config).assert().success();
    let stdout = stdout_of(&assert);
    assert!(
        stdout.starts_with("4 folds x 5 settings x 3 repeats = 60 tasks"),
        "{stdout}"
    );
    assert!(!dir.path().join("runs").exists());
}

#[test]
fn predict_with_the_saved_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"logistic_regression\"\n[grid]\nC = [0.1, 1.0]\nmax_iter = [200]\n[cv]\nfolds = 3\n[scoring]\nmetrics = [\"accuracy\", \"neg_log_loss\"]\n", "iris.csv");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let assert = gridrun()
        .args(["predict", "--model"])
        .arg(out.join("best_model.json"))
        .arg(dataset("iris.csv"))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "class");
    assert_eq!(lines.len(), 151);
    let truth: Vec<String> = csv::Reader::from_path(dataset("iris.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().next_back().unwrap().to_string())
        .collect();
    let correct = lines[1..]
        .iter()
        .zip(&truth)
        .filter(|(p, t)| *p == t)
        .count();
    assert!(correct >= 140, "{correct}/150 right");
}

#[test]
fn regression_target_uses_regression_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("reg.csv");
    let mut text = String::from("x1,x2,y\n");
    for i in 0..60 {
        let (a, b) = (i as f64 * 0.1, (i % 7) as f64);
        text.push_str(&format!("{a},{b},{}\n", 2.0 * a + 0.5 * b + 0.25));
    }
    std::fs::write(&csv, text).unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[dataset]\npath = \"reg.csv\"\n[model]\nkind = \"debug\"\n[cv]\nkind = \"kfold\"\nfolds = 3\n[scoring]\nmetrics = [\"r2\", \"neg_mean_squared_error\"]\n").unwrap();
    gridrun()
        .arg(&cfg)
        .args(["-q", "-o"])
        .arg(dir.path().join("o"))
        .assert()
        .success();
    let records = journal(&dir.path().join("o"));
    assert!(records
        .iter()
        .all(|r| r["scores"]["neg_mean_squared_error"].as_f64().unwrap() < 0.0));
    std::fs::write(
        &cfg,
        "[dataset]\npath = \"reg.csv\"\n[model]\nkind = \"debug\"\n[cv]\nkind = \"kfold\"\n",
    )
    .unwrap();
    let assert = gridrun()
        .arg(&cfg)
        .args(["-q", "-o"])
        .arg(dir.path().join("o2"))
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("accuracy is a classification metric but the target is numeric"),
        "{stderr}"
    );
}
