//! Several models in one config ([[model]] tables) through the real binary:
//! one plan and one cv_results.csv over both models (a param_model column,
//! other models' params empty), the best over all of them refit and usable
//! by `predict`, each model's scores equal to a one-model run of the same
//! settings, and 3 shards merged equal to one run.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

const TWO_MODELS: &str = r#"name = "two-models"
[dataset]
path = "{data}"
[[model]]
kind = "random_forest"
n_estimators = 8
grid = { max_depth = [2, "none"], max_features = ["sqrt"] }
[[model]]
kind = "logistic_regression"
[model.grid]
C = { logspace = [-2, 1], num = 4 }
[cv]
kind = "stratified_kfold"
folds = 3
seed = 5
"#;

const FOREST_ONLY: &str = r#"[dataset]
path = "{data}"
[model]
kind = "random_forest"
n_estimators = 8
[grid]
max_depth = [2, "none"]
max_features = ["sqrt"]
[cv]
kind = "stratified_kfold"
folds = 3
seed = 5
"#;

const LOGISTIC_ONLY: &str = r#"[dataset]
path = "{data}"
[model]
kind = "logistic_regression"
[grid]
C = { logspace = [-2, 1], num = 4 }
[cv]
kind = "stratified_kfold"
folds = 3
seed = 5
"#;

/// cv_results.csv as one map per row: column -> cell.
fn rows(out: &Path) -> Vec<BTreeMap<String, String>> {
    let (header, rows) = cv_results(out);
    rows.into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

/// A row's split scores, mean and std of the ranking metric (not its rank,
/// which depends on the other rows).
fn scores(row: &BTreeMap<String, String>) -> Vec<String> {
    row.iter()
        .filter(|(k, _)| {
            k.starts_with("split") || k.starts_with("mean_test") || k.starts_with("std_test")
        })
        .map(|(_, v)| v.clone())
        .collect()
}

fn config_in(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    write_config(&sub, text, "wine.csv")
}

#[test]
fn two_models_are_one_search_with_a_param_model_column() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path(), "two", TWO_MODELS);
    let plan = gridrun()
        .arg("plan")
        .arg(&config)
        .timeout(LIMIT)
        .assert()
        .success();
    let listed = stdout_of(&plan);
    assert!(
        listed.starts_with("3 folds x 6 settings = 18 tasks (two-models, models random_forest, logistic_regression)\nmodels: random_forest (2 settings), logistic_regression (4 settings)\n"),
        "{listed}"
    );
    assert!(
        listed.contains("\n1  random_forest: max_depth=2 max_features=sqrt\n"),
        "{listed}"
    );
    assert!(
        listed.contains("\n6  logistic_regression: C=10.0\n"),
        "{listed}"
    );

    let out = dir.path().join("out");
    run_with(&config, &out, &["--jobs", "2"]);
    let (header, _) = cv_results(&out);
    let params: Vec<&String> = header.iter().filter(|h| h.starts_with("param_")).collect();
    assert_eq!(
        params,
        [
            "param_C",
            "param_max_depth",
            "param_max_features",
            "param_model"
        ]
    );
    let rows = rows(&out);
    let kinds: Vec<&str> = rows.iter().map(|r| r["param_model"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "random_forest",
            "random_forest",
            "logistic_regression",
            "logistic_regression",
            "logistic_regression",
            "logistic_regression"
        ]
    );
    for r in &rows[..2] {
        assert_eq!(r["param_C"], "", "a forest has no C");
        assert_eq!(r["param_max_features"], "sqrt");
    }
    for r in &rows[2..] {
        assert_eq!(
            r["param_max_depth"], "",
            "logistic regression has no max_depth"
        );
        assert_eq!(r["param_max_features"], "");
    }
    assert_eq!(rows[2]["param_C"], "0.01");
    assert_eq!(
        rows[5]["params"],
        "{'C': 10.0, 'model': 'logistic_regression'}"
    );

    // The best is the argmax over both models' rows, refit as its own kind.
    let means: Vec<f64> = rows
        .iter()
        .map(|r| r["mean_test_score"].parse().unwrap())
        .collect();
    let top = (0..means.len())
        .max_by(|&a, &b| means[a].total_cmp(&means[b]).then(b.cmp(&a)))
        .unwrap();
    assert_eq!(rows[top]["rank_test_score"], "1");
    let best = json(&out.join("best.json"));
    assert_eq!(best["best_index"], top);
    assert_eq!(best["model"], rows[top]["param_model"].as_str());
    assert_eq!(
        best["best_params"]["model"],
        rows[top]["param_model"].as_str()
    );
    assert!(best["model_params"].get("model").is_none(), "{best}");
    let saved = json(&out.join("best_model.json"));
    assert_eq!(saved["model"], best["model"]);

    // `predict` applies it: one class per row of wine.csv.
    let predicted = gridrun()
        .args(["predict", "--model"])
        .arg(out.join("best_model.json"))
        .arg(dataset("wine.csv"))
        .timeout(LIMIT)
        .assert()
        .success();
    assert_eq!(stdout_of(&predicted).lines().count(), 1 + 178);

    // Each model's rows score as a one-model run of the same settings does.
    let forest = dir.path().join("forest");
    run_with(&config_in(dir.path(), "f", FOREST_ONLY), &forest, &[]);
    let logistic = dir.path().join("logistic");
    run_with(&config_in(dir.path(), "l", LOGISTIC_ONLY), &logistic, &[]);
    let alone: Vec<Vec<String>> = self::rows(&forest)
        .iter()
        .chain(&self::rows(&logistic))
        .map(scores)
        .collect();
    let together: Vec<Vec<String>> = rows.iter().map(scores).collect();
    assert_eq!(together.len(), 6);
    assert_eq!(together, alone);
    // The forest's scores differ by setting (the seeds are the tasks'), and
    // not all settings tie: the comparison above is not vacuous.
    assert!(together.iter().any(|s| s != &together[0]));
}

#[test]
fn shards_merged_equal_one_run_and_random_search_picks_models() {
    let dir = tempfile::tempdir().unwrap();
    let random = TWO_MODELS
        .replace(
            "[cv]",
            "[search]\nmethod = \"random\"\nn_iter = 7\nseed = 11\n[cv]",
        )
        .replace(
            "C = { logspace = [-2, 1], num = 4 }",
            "C = { float = [0.01, 10.0], log = true }",
        );
    let config = config_in(dir.path(), "r", &random);
    let one = dir.path().join("one");
    run_with(&config, &one, &["--jobs", "1"]);
    let sharded = dir.path().join("sharded");
    run_sharded_and_merge(&config, &sharded, 3);
    let reference = score_columns(&one);
    assert_eq!(score_columns(&sharded), reference, "3 shards merged");
    assert_eq!(
        json(&sharded.join("best.json"))["best_params"],
        json(&one.join("best.json"))["best_params"]
    );
    // Draws with replacement (C is a distribution): a model is picked,
    // then its values; both models are drawn, a logistic C is never a
    // forest's, and a repeated forest setting is evaluated once.
    let rows = rows(&one);
    let forests = rows
        .iter()
        .filter(|r| r["param_model"] == "random_forest")
        .count();
    let logistic: Vec<f64> = rows
        .iter()
        .filter(|r| r["param_model"] == "logistic_regression")
        .map(|r| r["param_C"].parse().unwrap())
        .collect();
    assert!((1..=2).contains(&forests), "{rows:?}");
    assert!(!logistic.is_empty());
    assert!(
        logistic.iter().all(|c| (0.01..=10.0).contains(c)),
        "{logistic:?}"
    );
    assert_eq!(forests + logistic.len(), rows.len());
}
