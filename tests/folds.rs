//! Group and time-series CV through the real binary on
//! datasets/wine_batches.csv: every fold's sizes and scores equal what
//! scikit-learn's splitter gives (tests/reference/folds_groups.json, made by
//! scripts/sklearn_reference.py), and the group column is never a feature.

mod common;
use common::*;
use std::path::Path;
use std::time::Duration;

/// Runs `config` into `out` (a hard timeout: a hang fails the test).
fn run(config: &Path, out: &Path) -> assert_cmd::assert::Assert {
    gridrun()
        .arg(config)
        .args(["-q", "--jobs", "1", "-o"])
        .arg(out)
        .timeout(Duration::from_secs(120))
        .assert()
}

/// The [cv] table of a reference run, as TOML.
fn cv_table(cv: &serde_json::Map<String, serde_json::Value>) -> String {
    cv.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
}

/// One task's record per fold, in fold order.
fn folds_of(out: &Path) -> Vec<serde_json::Value> {
    let mut tasks = journal(out);
    tasks.sort_by_key(|t| t["fold"].as_u64());
    tasks
}

#[test]
fn majority_class_scores_equal_scikit_learn_on_every_fold() {
    let reference = json(&root().join("tests/reference/folds_groups.json"));
    let runs = reference["wine_batches"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 6);
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in runs.iter().enumerate() {
        let cv = case["cv"].as_object().unwrap();
        // `debug` predicts the most frequent training class, as
        // DummyClassifier(strategy="most_frequent") does in the reference.
        let config = write_config(
            dir.path(),
            &format!(
                "[dataset]\npath = \"{{data}}\"\ntarget = \"class\"\ngroups = \"batch\"\n[model]\nkind = \"debug\"\n[cv]\n{}",
                cv_table(cv)
            ),
            "wine_batches.csv",
        );
        let out = dir.path().join(format!("out{i}"));
        run(&config, &out).success();
        let tasks = folds_of(&out);
        let kind = &cv["kind"];
        let sizes =
            |key: &str| -> Vec<u64> { tasks.iter().map(|t| t[key].as_u64().unwrap()).collect() };
        let expected = |key: &str| -> Vec<u64> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect()
        };
        assert_eq!(
            sizes("n_train"),
            expected("n_train"),
            "{kind}: training rows per fold"
        );
        assert_eq!(
            sizes("n_test"),
            expected("n_test"),
            "{kind}: test rows per fold"
        );
        let accuracy: Vec<f64> = tasks
            .iter()
            .map(|t| t["scores"]["accuracy"].as_f64().unwrap())
            .collect();
        let sklearn = case["most_frequent_accuracy"].as_array().unwrap();
        assert_eq!(accuracy.len(), sklearn.len());
        for (fold, (ours, theirs)) in accuracy.iter().zip(sklearn).enumerate() {
            let theirs = theirs.as_f64().unwrap();
            assert!(
                (ours - theirs).abs() < 1e-12,
                "{kind} fold {fold}: {ours} vs scikit-learn {theirs}"
            );
        }
    }
}

#[test]
fn shipped_groups_config_keeps_the_group_column_out_of_the_features() {
    let out = tempfile::tempdir().unwrap();
    run(&root().join("configs/groups.toml"), out.path()).success();
    let best = json(&out.path().join("best.json"));
    let features: Vec<&str> = best["feature_importances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert_eq!(features.len(), 13);
    assert!(!features.contains(&"batch") && !features.contains(&"class"));
    assert_eq!(best["n_splits"], 5);
    let tasks = journal(out.path());
    assert_eq!(tasks.len(), 30);
    // stratified_group_kfold keeps lots whole: 5 folds of whole lots cover
    // the 178 rows exactly once per setting.
    let tested: u64 = tasks
        .iter()
        .filter(|t| t["setting"] == 0)
        .map(|t| t["n_test"].as_u64().unwrap())
        .sum();
    assert_eq!(tested, 178);
    assert!(tasks.iter().all(|t| t["status"] == "ok"));
}
