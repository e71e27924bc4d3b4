//! Bad input gets one clear line on stderr and exit code 2, never a panic.

mod common;
use common::*;

fn fails_with(dir: &std::path::Path, config: &str, data: &str, expected: &str) {
    let path = write_config(dir, config, data);
    let assert = gridrun()
        .arg(&path)
        .args(["-q", "-o"])
        .arg(dir.join("out"))
        .assert();
    let stderr = one_line_error(assert.get_output());
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in: {stderr}"
    );
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let head = "[dataset]\npath = \"{data}\"\n[model]\nkind = \"linfa_decision_tree\"\n";
    fails_with(
        dir.path(),
        &format!("{head}[grid]\nmax_dept = [2]\n"),
        "iris.csv",
        "config.toml:6:12: grid.max_dept: unknown hyperparameter",
    );
    fails_with(
        dir.path(),
        &format!("{head}[grid]\nmin_samples_leaf = [0]\n"),
        "iris.csv",
        "config.toml:6:20: grid.min_samples_leaf: 0 is out of range",
    );
    fails_with(
        dir.path(),
        &format!("{head}[cv]\nfolds = 1\n"),
        "iris.csv",
        "config.toml:6:9: cv.folds: must be from 2 to 100000",
    );
    fails_with(
        dir.path(),
        &format!("{head}colour = \"red\"\n"),
        "iris.csv",
        "grid.colour".replace("grid", "model").as_str(),
    );
}

#[test]
fn data_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    // Text in a feature column makes it categorical; an infinite number is an error.
    std::fs::write(&csv, "a,b,class\n1,2,x\n3,inf,y\n").unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[dataset]\npath = \"bad.csv\"\n[model]\nkind = \"debug\"\n[cv]\nfolds = 2\n",
    )
    .unwrap();
    let assert = gridrun()
        .arg(&cfg)
        .args(["-q", "-o"])
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("bad.csv:3: column `b`: `inf` is not a finite number"),
        "{stderr}"
    );
    std::fs::write(
        &cfg,
        "[dataset]\npath = \"missing.csv\"\n[model]\nkind = \"debug\"\n",
    )
    .unwrap();
    let assert = gridrun()
        .arg(&cfg)
        .args(["-q", "-o"])
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("missing.csv: cannot read the dataset"),
        "{stderr}"
    );
}

#[test]
fn flag_errors_exit_2() {
    gridrun()
        .args(["--jobs", "many", "x.toml"])
        .assert()
        .code(2);
    gridrun()
        .args(["--backend", "gpu", "x.toml"])
        .assert()
        .code(2);
    let assert = gridrun().arg("no-such.toml").assert().code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("no-such.toml: cannot read"), "{stderr}");
}
