//! Real CSVs through the binary: identifier warnings and `drop`,
//! categorical and missing columns, CRLF line numbers, a reproducible first
//! command, and logistic regression against scikit-learn per C.

mod common;
use common::*;
use std::path::Path;

/// iris with a `customer_id` column in front (1001, 1002, ...).
fn iris_with_ids(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(dataset("iris.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let id = if i == 0 {
            "customer_id".to_string()
        } else {
            (1000 + i).to_string()
        };
        out.push_str(&format!("{id},{line}\n"));
    }
    let path = dir.join("customers.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn tree_config(dir: &Path, csv: &Path, dataset_extra: &str) -> std::path::PathBuf {
    let path = dir.join("ids.toml");
    std::fs::write(
        &path,
        format!(
            "[dataset]\npath = \"{}\"\n{dataset_extra}\n[model]\nkind = \"decision_tree\"\nmax_depth = 1\n[cv]\nkind = \"kfold\"\nfolds = 5\nshuffle = false\n",
            csv.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn identifier_column_is_warned_about_and_drop_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = iris_with_ids(dir.path());
    let config = tree_config(dir.path(), &csv, "");
    let out = dir.path().join("with-id");
    let run = run_ok(&config, &out);
    let stderr = stderr_of(&run);
    assert!(
        stderr.contains("gridrun: warning: column `customer_id` looks like a row identifier (integers all different, one per row)")
            && stderr.contains("add drop = [\"customer_id\"] to [dataset]"),
        "{stderr}"
    );
    // Unshuffled folds of sorted iris: a depth-1 tree splits on the id.
    let best = json(&out.join("best.json"));
    let top = &best["feature_importances"][0];
    assert_eq!(top["feature"], "customer_id", "{best}");

    let config = tree_config(dir.path(), &csv, "drop = [\"customer_id\"]");
    let out = dir.path().join("dropped");
    let run = run_ok(&config, &out);
    assert!(!stderr_of(&run).contains("warning"), "{}", stderr_of(&run));
    let best = json(&out.join("best.json"));
    let names: Vec<&str> = best["feature_importances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        4,
        "the four iris features, no customer_id: {names:?}"
    );
    assert!(!names.contains(&"customer_id"));
}

#[test]
fn line_numbers_count_file_lines_for_crlf_and_lf() {
    let dir = tempfile::tempdir().unwrap();
    for (name, end) in [("lf", "\n"), ("crlf", "\r\n")] {
        // Data rows are file lines 2..; the bad cell is on line 4.
        let csv = dir.path().join(format!("{name}.csv"));
        std::fs::write(
            &csv,
            ["a,b,y", "1,2,0", "3,4,1", "5,inf,0", "7,8,1", ""].join(end),
        )
        .unwrap();
        let config = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[dataset]\npath = \"{}\"\n[model]\nkind = \"debug\"\n",
                csv.display()
            ),
        )
        .unwrap();
        let run = gridrun()
            .arg(&config)
            .args(["-q", "-o"])
            .arg(dir.path().join("out"))
            .assert()
            .code(2);
        let stderr = stderr_of(&run);
        assert!(
            stderr.contains(&format!(
                "{name}.csv:4: column `b`: `inf` is not a finite number"
            )),
            "{name}: {stderr}"
        );
    }
    // The shipped datasets are CRLF: a short row in a copy of iris is
    // reported on its file line.
    let text = std::fs::read_to_string(dataset("iris.csv")).unwrap();
    assert!(text.contains("\r\n"));
    let mut lines: Vec<&str> = text.split("\r\n").collect();
    lines[1] = "5.1,3.5,1.4";
    let csv = dir.path().join("iris_short.csv");
    std::fs::write(&csv, lines.join("\r\n")).unwrap();
    let config = dir.path().join("short.toml");
    std::fs::write(
        &config,
        format!(
            "[dataset]\npath = \"{}\"\n[model]\nkind = \"debug\"\n",
            csv.display()
        ),
    )
    .unwrap();
    let run = gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(dir.path().join("o2"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&run).contains("iris_short.csv:2: row has 3 fields, the header has 5"),
        "{}",
        stderr_of(&run)
    );
}

#[test]
fn readme_first_command_is_reproducible() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let first = readme
        .lines()
        .find(|l| l.trim_start().starts_with("cargo run --release -- "))
        .unwrap();
    let config = first
        .split_whitespace()
        .find(|w| w.ends_with(".toml"))
        .unwrap();
    assert_eq!(config, "configs/tree.toml");
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    run_ok(&root().join(config), &a);
    run_ok(&root().join(config), &b);
    let (header, rows) = cv_results(&a);
    assert_eq!(rows.len(), 16);
    assert!(header.iter().any(|h| h == "split4_test_f1_macro"));
    assert_eq!(score_columns(&a), score_columns(&b));
}

#[test]
fn logistic_regression_matches_scikit_learn_for_every_c_raw_and_scaled() {
    let reference = json(&root().join("tests/reference/sklearn_logistic_breast_cancer.json"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("lr.toml");
    std::fs::write(
        &config,
        format!(
            "[dataset]\npath = \"{}\"\n[model]\nkind = \"logistic_regression\"\nmax_iter = 1000\n[grid]\nC = {{ logspace = [-3, 3], num = 7 }}\n\"preprocess.scale\" = [\"none\", \"standard\"]\n[cv]\nkind = \"predefined\"\nfolds_file = \"{}\"\n",
            dataset("breast_cancer.csv"),
            root().join(reference["folds_file"].as_str().unwrap()).display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = run_ok(&config, &out);
    let (header, rows) = cv_results(&out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for r in reference["results"].as_array().unwrap() {
        let c = r["C"].as_f64().unwrap();
        let scale = r["scale"].as_str().unwrap();
        let row = rows
            .iter()
            .find(|row| {
                (row[col("param_C")].parse::<f64>().unwrap() / c - 1.0).abs() < 1e-9
                    && row[col("param_preprocess.scale")].to_lowercase() == scale
            })
            .unwrap_or_else(|| panic!("no row for C={c} scale={scale}"));
        let ours: f64 = row[col("mean_test_accuracy")].parse().unwrap();
        let theirs = r["mean_accuracy"].as_f64().unwrap();
        let line = format!("C={c:<7} scale={scale:<8} gridrun {ours:.4} scikit-learn {theirs:.4}");
        if (ours - theirs).abs() > 0.01 {
            failures.push(line.clone());
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert_eq!(report.len(), 14);
    assert!(
        failures.is_empty(),
        "more than 0.01 apart:\n{}",
        failures.join("\n")
    );
    // The fold scores differ between C values (the old solver gave identical ones).
    let distinct: std::collections::HashSet<&String> = rows
        .iter()
        .map(|r| &r[col("split0_test_accuracy")])
        .collect();
    assert!(distinct.len() >= 5, "{distinct:?}");
    // Converged at max_iter = 1000: no warnings; at max_iter = 3 every task warns.
    assert!(
        !stdout_of(&run).contains("with warnings"),
        "{}",
        stdout_of(&run)
    );
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_iter = 1000", "max_iter = 3");
    std::fs::write(&config, text).unwrap();
    let out = dir.path().join("out3");
    let run = gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    assert!(
        stdout_of(&run).contains("70 tasks, 0 failed, 70 with warnings"),
        "{}",
        stdout_of(&run)
    );
    let first = &journal(&out)[0];
    assert!(
        first["warnings"][0]
            .as_str()
            .unwrap()
            .contains("stopped at max_iter=3 before converging"),
        "{first}"
    );
}

#[test]
fn messy_configs_match_scikit_learn_pipelines_and_predict_applies_the_pipeline() {
    let reference = json(&root().join("tests/reference/sklearn_messy.json"));
    let dir = tempfile::tempdir().unwrap();
    for (name, entry) in reference["datasets"].as_object().unwrap() {
        let out = dir.path().join(name);
        let run = gridrun()
            .arg(root().join(entry["config"].as_str().unwrap()))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let stderr = stderr_of(&run);
        let best = json(&out.join("best.json"));
        let ours = best["mean"].as_f64().unwrap();
        let theirs = entry["best"]["mean_accuracy"].as_f64().unwrap();
        eprintln!("{name}: gridrun best {ours:.4}, scikit-learn best {theirs:.4}");
        assert!((ours - theirs).abs() <= 0.01, "{name}: {ours} vs {theirs}");
        for column in entry["categorical"].as_array().unwrap() {
            let column = column.as_str().unwrap();
            assert!(
                stderr.contains("categorical columns") && stderr.contains(column),
                "{stderr}"
            );
        }
        assert!(stderr.contains("missing values (empty, NA"), "{stderr}");
        assert!(!stderr.contains("warning"), "{name}: {stderr}");
        // predict reads text categories and missing cells and applies the pipeline.
        let csv = root().join("datasets").join(format!("{name}.csv"));
        let predicted = gridrun()
            .args(["predict", "--model"])
            .arg(out.join("best_model.json"))
            .arg(&csv)
            .assert()
            .success();
        let lines: Vec<String> = stdout_of(&predicted).lines().map(String::from).collect();
        let mut reader = csv::Reader::from_path(&csv).unwrap();
        let target = best_target(&out);
        let t = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == target)
            .unwrap();
        let truth: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[t].to_string())
            .collect();
        assert_eq!(lines.len(), truth.len() + 1);
        let right = truth
            .iter()
            .zip(&lines[1..])
            .filter(|(a, b)| a == b)
            .count();
        let accuracy = right as f64 / truth.len() as f64;
        assert!(
            accuracy > ours - 0.05,
            "{name}: training accuracy {accuracy}"
        );
    }
}

fn best_target(out: &Path) -> String {
    json(&out.join("best_model.json"))["target_name"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn titanic_name_column_is_an_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("t.toml");
    std::fs::write(
        &config,
        format!(
            "[dataset]\npath = \"{}\"\ntarget = \"survived\"\n[preprocess]\nimpute = \"median\"\n[model]\nkind = \"gaussian_nb\"\n[cv]\nfolds = 2\n",
            dataset("titanic.csv")
        ),
    )
    .unwrap();
    let run = run_ok(&config, &dir.path().join("out"));
    assert!(
        stderr_of(&run).contains(
            "column `name` looks like a row identifier (texts all different, one per row)"
        ),
        "{}",
        stderr_of(&run)
    );
}
