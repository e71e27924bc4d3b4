//! The refit model as the worker saves it (best_model.bin and its
//! best_model.json manifest), `gridrun predict` on it, damaged files, and
//! `refit = false` / `--no-refit`.

mod common;
use common::*;
use std::path::Path;

fn predict(model: &Path, data: &str, extra: &[&str]) -> String {
    let assert = gridrun()
        .args(["predict", "--model"])
        .arg(model)
        .arg(data)
        .args(extra)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    stdout_of(&assert)
}

fn labels(data: &str, column: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(data).unwrap();
    let index = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[index].to_string())
        .collect()
}

#[test]
fn the_saved_tree_predicts_its_training_rows_through_the_manifest_and_the_bin() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\ntarget = \"class\"\n[model]\nkind = \"decision_tree\"\n[grid]\nmax_depth = [\"none\"]\ncriterion = [\"gini\", \"entropy\"]\n[cv]\nfolds = 3\n",
        "wine.csv",
    );
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let bin = out.join("best_model.bin");
    let manifest = json(&out.join("best_model.json"));
    assert_eq!(manifest["format"], "gridrun-model");
    assert_eq!(manifest["model"], "decision_tree");
    assert_eq!(manifest["model_file"], "best_model.bin");
    assert_eq!(manifest["feature_names"].as_array().unwrap().len(), 13);
    let size = std::fs::metadata(&bin).unwrap().len();
    assert_eq!(manifest["model_file_bytes"].as_u64(), Some(size));
    let best = json(&out.join("best.json"));
    assert_eq!(best["refit"], true);
    assert_eq!(best["model_file_bytes"].as_u64(), Some(size));
    let wine = dataset("wine.csv");
    let through_manifest = predict(&out.join("best_model.json"), &wine, &["--proba"]);
    let through_bin = predict(&bin, &wine, &["--proba"]);
    assert_eq!(through_manifest, through_bin);
    // A full-depth tree refit on every row gives back every row's class.
    let predicted: Vec<String> = through_bin
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(predicted, labels(&wine, "class"));
    assert!(through_bin
        .lines()
        .skip(1)
        .all(|l| l.contains(",1,") || l.ends_with(",1")));
}

#[test]
fn a_damaged_or_foreign_model_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"random_forest\"\nn_estimators = 5\n[cv]\nfolds = 3\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let bin = out.join("best_model.bin");
    let good = std::fs::read(&bin).unwrap();
    let iris = dataset("iris.csv");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            good[..good.len() - 10].to_vec(),
            "truncated or damaged model file",
        ),
        (
            {
                let mut b = good.clone();
                let i = b.len() - 40;
                b[i] ^= 0x10;
                b
            },
            "does not match the hash",
        ),
        (b"id,x\n1,2\n".to_vec(), "not a gridrun model"),
    ];
    for (bytes, expected) in cases {
        std::fs::write(&bin, &bytes).unwrap();
        for model in [bin.clone(), out.join("best_model.json")] {
            let assert = gridrun()
                .args(["predict", "--model"])
                .arg(&model)
                .arg(&iris)
                .timeout(std::time::Duration::from_secs(60))
                .assert()
                .code(2);
            let stderr = stderr_of(&assert);
            assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
            assert!(stderr.contains("best_model.bin"), "{stderr}");
            // Through the manifest, a size that differs is caught first.
            assert!(
                stderr.contains(expected)
                    || (model != bin && stderr.contains("different runs, or one is damaged")),
                "{stderr}"
            );
        }
    }
}

#[test]
fn refit_false_writes_no_model_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let base = "[dataset]\npath = \"{data}\"\n[model]\nkind = \"decision_tree\"\n[grid]\nmax_depth = [2, 4]\n[cv]\nfolds = 3\n";
    let out = dir.path().join("out");
    // A first run with the refit leaves a model; the runs without remove it.
    run_ok(&write_config(dir.path(), base, "iris.csv"), &out);
    assert!(out.join("best_model.bin").exists());
    let no_refit = dir.path().join("no_refit.toml");
    let text = format!("{base}[scoring]\nrefit = false\n");
    std::fs::write(&no_refit, text.replace("{data}", &dataset("iris.csv"))).unwrap();
    for (config, flag) in [
        (no_refit, None),
        (dir.path().join("config.toml"), Some("--no-refit")),
    ] {
        let assert = gridrun()
            .arg(&config)
            .args(flag)
            .args(["-o"])
            .arg(&out)
            .timeout(std::time::Duration::from_secs(120))
            .assert()
            .success();
        let stdout = stdout_of(&assert);
        assert!(
            stdout.contains("best setting not refit (refit = false): no model written"),
            "{stdout}"
        );
        assert!(!out.join("best_model.bin").exists());
        assert!(!out.join("best_model.json").exists());
        let best = json(&out.join("best.json"));
        assert_eq!(best["refit"], false);
        assert!(best.get("refit_seconds").is_none(), "{best}");
        assert!(best["mean"].as_f64().unwrap() > 0.8, "{best}");
    }
}
