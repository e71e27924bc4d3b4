//! Random search through the real binary: the draws depend on the seed
//! only (same settings and scores on 1 or 2 workers and over 3 shards
//! merged, and what `plan` lists), and all-list grids are sampled without
//! replacement.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;

const MIXED: &str = r#"name = "random-wine"
[dataset]
path = "{data}"
[model]
kind = "decision_tree"
[search]
method = "random"
n_iter = 6
seed = 7
[grid]
criterion = ["gini", "entropy"]
max_depth = { int = [2, 32] }
min_samples_leaf = { int = [1, 64], log = true }
max_features = { float = [0.05, 1.0] }
min_impurity_decrease = { float = [1e-6, 1e-2], log = true }
[cv]
folds = 3
seed = 1
"#;

const ALL_LISTS: &str = r#"[dataset]
path = "{data}"
[model]
kind = "decision_tree"
[search]
method = "random"
n_iter = N_ITER
seed = 3
[grid]
criterion = ["gini", "entropy"]
max_depth = [2, 3, 4, 5, 6, "none"]
[cv]
folds = 2
"#;

/// The `params` column of cv_results.csv, row by row.
fn params_column(out: &Path) -> Vec<String> {
    let (header, rows) = cv_results(out);
    let col = header.iter().position(|h| h == "params").unwrap();
    rows.iter().map(|r| r[col].clone()).collect()
}

/// The settings `gridrun plan` lists (one per line after the two header lines).
fn planned(config: &Path) -> (String, Vec<String>, String) {
    let assert = gridrun()
        .arg("plan")
        .arg(config)
        .timeout(LIMIT)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let mut lines = stdout.lines();
    let summary = lines.next().unwrap().to_string();
    let draws = lines.next().unwrap().to_string();
    let settings = lines
        .map(|l| l.trim_start().split_once("  ").unwrap().1.to_string())
        .collect();
    (format!("{summary}\n{draws}"), settings, stderr_of(&assert))
}

#[test]
fn same_draws_and_scores_on_1_or_2_workers_and_3_shards_merged() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MIXED, "wine.csv");
    let (head, settings, _) = planned(&config);
    assert!(
        head.contains("random search: n_iter = 6, seed = 7, with replacement"),
        "{head}"
    );
    assert_eq!(settings.len(), 6);

    let one = dir.path().join("one");
    run_with(&config, &one, &["--jobs", "1"]);
    let two = dir.path().join("two");
    run_with(&config, &two, &["--jobs", "2"]);
    let sharded = dir.path().join("sharded");
    run_sharded_and_merge(&config, &sharded, 3);

    let reference = score_columns(&one);
    assert_eq!(reference.len(), 6, "one row per draw");
    assert_eq!(score_columns(&two), reference, "2 workers");
    assert_eq!(score_columns(&sharded), reference, "3 shards merged");
    // The rows are the settings `plan` showed, in its order.
    let shown: Vec<String> = params_column(&one)
        .iter()
        .map(|p| python_dict_to_describe(p))
        .collect();
    assert_eq!(shown, settings);
    // Distributions were really sampled: six different depths is likely,
    // but at least the continuous draws must all differ.
    let features: BTreeSet<&str> = settings
        .iter()
        .map(|s| {
            s.split("max_features=")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(features.len(), 6, "{settings:?}");
}

/// `{'criterion': 'gini', 'max_depth': 7}` -> `criterion=gini max_depth=7`.
fn python_dict_to_describe(dict: &str) -> String {
    dict.trim_matches(|c| c == '{' || c == '}')
        .split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once(": ").unwrap();
            format!("{}={}", k.trim_matches('\''), v.trim_matches('\''))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn all_list_grids_are_sampled_without_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &ALL_LISTS.replace("N_ITER", "9"), "iris.csv");
    let (head, settings, stderr) = planned(&config);
    assert!(
        head.contains("without replacement from a grid of 12 settings"),
        "{head}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    let out = dir.path().join("out");
    run_with(&config, &out, &[]);
    let rows = params_column(&out);
    let distinct: BTreeSet<&String> = rows.iter().collect();
    assert_eq!((rows.len(), distinct.len()), (9, 9), "{rows:?}");
    assert_eq!(settings.len(), 9);

    // More draws than grid points: every point once, and scikit-learn's warning.
    let config = write_config(dir.path(), &ALL_LISTS.replace("N_ITER", "50"), "iris.csv");
    let (_, settings, stderr) = planned(&config);
    let distinct: BTreeSet<&String> = settings.iter().collect();
    assert_eq!((settings.len(), distinct.len()), (12, 12));
    assert!(
        stderr.contains("warning") && stderr.contains("only 12 settings, fewer than n_iter = 50"),
        "{stderr}"
    );
}
