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

/// Gradient boosting grids and the linfa adapters against
/// tests/reference/sklearn_models.json (scripts/sklearn_reference.py): for a
/// grid, our best mean CV score against GridSearchCV's best; otherwise the
/// mean CV score; same folds, within 0.01.
#[test]
fn new_models_match_scikit_learn_on_the_same_folds() {
    let reference = json(&root().join("tests/reference/sklearn_models.json"));
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (i, entry) in reference["entries"].as_array().unwrap().iter().enumerate() {
        let metric = entry["metric"].as_str().unwrap();
        let mut config = format!(
            "[dataset]\npath = \"{}\"\n[model]\n",
            dataset_path(entry["dataset"].as_str().unwrap())
        );
        for (k, v) in entry["model"].as_object().unwrap() {
            config.push_str(&format!("{k} = {v}\n"));
        }
        let grid = entry["grid"].as_object().unwrap();
        if !grid.is_empty() {
            config.push_str("[grid]\n");
            for (k, v) in grid {
                config.push_str(&format!("{k} = {v}\n"));
            }
        }
        config.push_str(&format!(
            "[cv]\nkind = \"predefined\"\nfolds_file = \"{}\"\n[scoring]\nmetrics = [\"{metric}\"]\n",
            root().join(entry["folds_file"].as_str().unwrap()).display()
        ));
        let path = dir.path().join(format!("m{i}.toml"));
        std::fs::write(&path, config).unwrap();
        let out = dir.path().join(format!("out{i}"));
        run_ok(&path, &out);
        let ours = best_mean(&out, metric);
        let theirs = entry["sklearn"].as_f64().unwrap();
        let line = format!(
            "{:40} {metric:9} gridrun {ours:.4}  scikit-learn {theirs:.4}  diff {:+.4}",
            entry["name"].as_str().unwrap(),
            ours - theirs
        );
        if (ours - theirs).abs() > 0.01 {
            failures.push(line.clone());
        }
        report.push(line);
    }
    eprintln!("new models vs scikit-learn:\n{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "outside ±0.01:\n{}",
        failures.join("\n")
    );
    assert!(report.len() >= 20);
}

/// The best `mean_test_{metric}` of cv_results.csv.
fn best_mean(out: &std::path::Path, metric: &str) -> f64 {
    let (header, rows) = cv_results(out);
    let col = header
        .iter()
        .position(|h| *h == format!("mean_test_{metric}"))
        .unwrap();
    rows.iter()
        .map(|r| r[col].parse::<f64>().unwrap())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Mean CV accuracy per value of one grid parameter (cv_results.csv).
fn accuracy_by(out: &std::path::Path, param: &str) -> Vec<(String, f64)> {
    let (header, rows) = cv_results(out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (p, a) = (col(&format!("param_{param}")), col("mean_test_accuracy"));
    rows.iter()
        .map(|r| (r[p].clone(), r[a].parse().unwrap()))
        .collect()
}

#[test]
fn native_categorical_gradient_boosting_matches_scikit_learn() {
    let reference = json(&root().join("tests/reference/sklearn_native_categorical.json"));
    let dir = tempfile::tempdir().unwrap();
    for (name, entry) in reference["datasets"].as_object().unwrap() {
        let dropped = entry["dropped"].to_string();
        let config = format!(
            "[dataset]\npath = \"{}\"\ntarget = \"{}\"\ndrop = {dropped}\n[model]\nkind = \"gradient_boosting\"\n[cv]\nkind = \"predefined\"\nfolds_file = \"{}\"\n",
            root().join(entry["csv"].as_str().unwrap()).display(),
            entry["target"].as_str().unwrap(),
            root().join(entry["folds_file"].as_str().unwrap()).display()
        );
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, config).unwrap();
        let out = dir.path().join(format!("out-{name}"));
        run_ok(&path, &out);
        let ours = best_mean(&out, "accuracy");
        let theirs = entry["mean_accuracy"].as_f64().unwrap();
        assert!(
            (ours - theirs).abs() <= 0.01,
            "{name}: gridrun {ours:.4} vs scikit-learn {theirs:.4}"
        );
    }
}

/// One 40-level column decides the class (each level's class drawn at
/// random): one native split of a stump separates the classes, a stump on
/// one-hot columns can only cut one level off.
#[test]
fn native_categorical_split_groups_many_levels_in_one_split() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("level,noise,class\n");
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let yes: Vec<bool> = (0..40).map(|l| (l * 7919) % 5 < 2 || l % 2 == 0).collect();
    for _ in 0..1200 {
        let level = next() % 40;
        let noise = next() % 1000;
        let class = if yes[level as usize] { "yes" } else { "no" };
        csv.push_str(&format!("L{level},{noise},{class}\n"));
    }
    std::fs::write(dir.path().join("levels.csv"), csv).unwrap();
    let config = "[dataset]\npath = \"levels.csv\"\ntarget = \"class\"\n[model]\nkind = \"gradient_boosting\"\nmax_iter = 1\nmax_leaf_nodes = 2\nlearning_rate = 1.0\n[grid]\ncategorical_features = [\"from_dtype\", \"none\"]\n[cv]\nfolds = 3\n";
    let path = dir.path().join("levels.toml");
    std::fs::write(&path, config).unwrap();
    let out = dir.path().join("out");
    run_ok(&path, &out);
    let scores = accuracy_by(&out, "categorical_features");
    let score = |v: &str| scores.iter().find(|(p, _)| p == v).unwrap().1;
    assert!(score("from_dtype") > 0.99, "{scores:?}");
    assert!(score("None") < 0.75, "{scores:?}");
}
