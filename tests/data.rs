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
