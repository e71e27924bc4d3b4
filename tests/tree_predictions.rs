//! Tree and forest outputs pinned to the reference made before prediction
//! was reorganised (tree by tree over blocks of rows, on several threads):
//! every cross-validation score and every `gridrun predict --proba` value on
//! the shipped datasets must stay the same to the last bit (numbers are
//! compared as the shortest text that round-trips).
//!
//! `GRIDRUN_BLESS=1 cargo test --release --test tree_predictions` rewrites
//! tests/reference/tree_predictions.json from the current binary; only do
//! that when a change of the models' results is intended.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;

/// (name, dataset (then more [dataset] lines), model, grid and other lines
/// of the config, metrics).
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "rf_iris",
        "iris.csv",
        "random_forest",
        "n_estimators = 30\n[grid]\nmax_depth = [3, \"none\"]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "rf_wine",
        "wine.csv",
        "random_forest",
        "n_estimators = 40\n[grid]\nmax_features = [\"sqrt\", 0.5]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "rf_breast_cancer",
        "breast_cancer.csv",
        "random_forest",
        "n_estimators = 40\n[grid]\nmin_samples_leaf = [1, 4]",
        "\"accuracy\", \"roc_auc\", \"neg_log_loss\"",
    ),
    (
        "rf_titanic_missing_and_text",
        "titanic.csv\ntarget = \"survived\"\ndrop = [\"name\"]",
        "random_forest",
        "n_estimators = 30\n[grid]\nmax_depth = [6, \"none\"]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "rf_penguins_missing_and_text",
        "penguins.csv\ntarget = \"species\"",
        "random_forest",
        "n_estimators = 30\n[grid]\nbootstrap = [true, false]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "rf_synthetic_2k",
        "synthetic_2k.csv",
        "random_forest",
        "n_estimators = 50\n[grid]\nmax_features = [\"sqrt\"]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "rf_regression_1k",
        "regression_1k.csv",
        "random_forest",
        "n_estimators = 30\n[grid]\nmax_depth = [8, \"none\"]",
        "\"r2\", \"neg_mean_squared_error\"",
    ),
    (
        "tree_wine",
        "wine.csv",
        "decision_tree",
        "[grid]\nmax_depth = [2, \"none\"]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "tree_titanic_missing_and_text",
        "titanic.csv\ntarget = \"survived\"\ndrop = [\"name\"]",
        "decision_tree",
        "[grid]\nmax_depth = [4, \"none\"]",
        "\"accuracy\", \"neg_log_loss\"",
    ),
    (
        "tree_regression_1k",
        "regression_1k.csv",
        "decision_tree",
        "[grid]\nmax_depth = [6, \"none\"]",
        "\"r2\"",
    ),
];

fn reference_path() -> std::path::PathBuf {
    root().join("tests/reference/tree_predictions.json")
}

/// Runs one case (3 folds, 2 jobs) and returns its scores per setting and
/// `gridrun predict` output (with probabilities for classes).
fn outputs(dir: &Path, case: &(&str, &str, &str, &str, &str)) -> Value {
    let (name, data_lines, model, grid, metrics) = *case;
    let data = data_lines.lines().next().unwrap();
    let extra = &data_lines[data.len()..];
    let body = format!(
        "[dataset]\npath = \"{{data}}\"{extra}\n[model]\nkind = \"{model}\"\n{grid}\n[cv]\nkind = \"kfold\"\nfolds = 3\nshuffle = true\nseed = 7\n[scoring]\nmetrics = [{metrics}]\n[run]\njobs = 2\n"
    );
    let case_dir = dir.join(name);
    std::fs::create_dir_all(&case_dir).unwrap();
    let config = write_config(&case_dir, &body, data);
    let out = case_dir.join("out");
    run_ok(&config, &out);
    let mut predict = gridrun();
    predict
        .args(["predict", "--model"])
        .arg(out.join("best_model.json"));
    if !metrics.contains("r2") {
        predict.arg("--proba");
    }
    let predicted = predict.arg(dataset(data)).assert().success();
    json!({
        "scores": score_columns(&out),
        "predict": stdout_of(&predicted).lines().collect::<Vec<_>>(),
    })
}

#[test]
fn tree_and_forest_outputs_equal_the_reference_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let got: serde_json::Map<String, Value> = CASES
        .iter()
        .map(|case| (case.0.to_string(), outputs(dir.path(), case)))
        .collect();
    if std::env::var_os("GRIDRUN_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        std::fs::write(reference_path(), text).unwrap();
        return;
    }
    let text = std::fs::read_to_string(reference_path()).expect("reference file");
    let want: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(want.len(), CASES.len(), "reference has other cases");
    for (name, expected) in &want {
        let actual = &got[name];
        assert_eq!(actual["scores"], expected["scores"], "{name}: cv scores");
        let (a, e) = (
            actual["predict"].as_array().unwrap(),
            expected["predict"].as_array().unwrap(),
        );
        assert_eq!(a.len(), e.len(), "{name}: predicted rows");
        for (i, (a, e)) in a.iter().zip(e).enumerate() {
            assert_eq!(a, e, "{name}: predict output line {}", i + 1);
        }
    }
}
