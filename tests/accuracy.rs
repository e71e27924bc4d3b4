//! Accuracy parity with scikit-learn, without scikit-learn: the reference
//! figures in tests/reference/sklearn_cv.json were recorded by
//! scripts/sklearn_reference.py on the same datasets and the same folds
//! (written next to them); our CV accuracy must be within 0.02.

mod common;
use common::*;

const TOLERANCE: f64 = 0.02;

/// Our mean CV accuracy for one model on one dataset with the reference
/// folds, averaged over random_state 0..5 like the reference.
fn our_accuracy(
    dir: &std::path::Path,
    dataset: &str,
    folds_file: &str,
    params: &serde_json::Map<String, serde_json::Value>,
) -> f64 {
    let kind = params["kind"].as_str().unwrap();
    let mut model = format!("kind = \"{kind}\"\n");
    for (k, v) in params.iter().filter(|(k, _)| *k != "kind") {
        model.push_str(&format!("{k} = {v}\n"));
    }
    let seeds = if kind == "gaussian_nb" {
        String::new()
    } else {
        "[grid]\nrandom_state = [0, 1, 2, 3, 4]\n".to_string()
    };
    let config = format!(
        "[dataset]\npath = \"{}\"\n[model]\n{model}{seeds}[cv]\nkind = \"predefined\"\nfolds_file = \"{}\"\n",
        dataset,
        root().join(folds_file).display()
    );
    let path = dir.join(format!("{kind}.toml"));
    std::fs::write(&path, config).unwrap();
    let out = dir.join(format!("out-{kind}-{}", params.len()));
    run_ok(&path, &out);
    let (header, rows) = cv_results(&out);
    let col = header
        .iter()
        .position(|h| h == "mean_test_accuracy")
        .unwrap();
    rows.iter()
        .map(|r| r[col].parse::<f64>().unwrap())
        .sum::<f64>()
        / rows.len() as f64
}

#[test]
fn our_models_match_scikit_learn_reference_accuracy() {
    let reference = json(&root().join("tests/reference/sklearn_cv.json"));
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (dataset, entry) in reference["datasets"].as_object().unwrap() {
        for (model, figures) in entry["models"].as_object().unwrap() {
            let ours = our_accuracy(
                dir.path(),
                &dataset_path(dataset),
                entry["folds_file"].as_str().unwrap(),
                figures["gridrun"].as_object().unwrap(),
            );
            let theirs = figures["mean_accuracy"].as_f64().unwrap();
            let line = format!(
                "{dataset:14} {model:22} gridrun {ours:.4}  scikit-learn {theirs:.4}  diff {:+.4}",
                ours - theirs
            );
            if ours < theirs - TOLERANCE || ours > theirs + TOLERANCE {
                failures.push(line.clone());
            }
            report.push(line);
        }
    }
    eprintln!(
        "accuracy vs scikit-learn {}:\n{}",
        reference["sklearn_version"],
        report.join("\n")
    );
    assert!(
        failures.is_empty(),
        "outside ±{TOLERANCE}:\n{}",
        failures.join("\n")
    );
    assert_eq!(report.len(), 12);
}

fn dataset_path(name: &str) -> String {
    dataset(&format!("{name}.csv"))
}
