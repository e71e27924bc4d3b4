//! `gridrun estimate` through the real binary: arithmetic mode, price
//! tables, and a pilot on a real config.

mod common;
use common::*;

fn estimate_stdout(args: &[&str]) -> String {
    let assert = gridrun().args(args).assert().success();
    stdout_of(&assert)
}

#[test]
fn lunch_example_needs_8_cores_with_costs() {
    let out = estimate_stdout(&[
        "estimate",
        "--tasks",
        "125",
        "--task-seconds",
        "70",
        "--deadline",
        "20m",
    ]);
    assert!(
        out.contains("deadline 20m: 8 cores (LPT: 1120 s <= 1200 s"),
        "{out}"
    );
    let json: serde_json::Value = serde_json::from_str(&estimate_stdout(&[
        "estimate",
        "--tasks",
        "125",
        "--task-seconds",
        "70",
        "--deadline",
        "20m",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json["cores"]["cores"], 8);
    let choices = json["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 3);
    for c in choices {
        assert!(c["run_seconds"].as_f64().unwrap() <= 1200.0);
        assert!(c["count"].as_u64().unwrap() * c["workers_per_instance"].as_u64().unwrap() >= 8);
    }
}

#[test]
fn coarse_tasks_and_impossible_deadlines() {
    let out = estimate_stdout(&[
        "estimate",
        "--tasks",
        "9",
        "--task-seconds",
        "100",
        "--deadline",
        "250s",
    ]);
    assert!(out.contains("5 cores"), "{out}");
    let out = estimate_stdout(&[
        "estimate",
        "--tasks",
        "3",
        "--task-seconds",
        "1h",
        "--deadline",
        "30m",
    ]);
    assert!(out.contains("no number of cores helps"), "{out}");
}

#[test]
fn user_price_tables_are_used_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("p.csv");
    std::fs::write(
        &prices,
        "instance_type,vcpus,physical_cores,memory_gib,price_usd_per_hour\nmy.big,64,64,256,1.0\n",
    )
    .unwrap();
    let out = estimate_stdout(&[
        "estimate",
        "--tasks",
        "100",
        "--task-seconds",
        "60",
        "--deadline",
        "10m",
        "--prices",
        prices.to_str().unwrap(),
    ]);
    assert!(out.contains("my.big"), "{out}");
    std::fs::write(
        &prices,
        "instance_type,vcpus,physical_cores,memory_gib,price_usd_per_hour\nmy.big,64,64,256,free\n",
    )
    .unwrap();
    let assert = gridrun()
        .args([
            "estimate",
            "--tasks",
            "1",
            "--task-seconds",
            "1",
            "--deadline",
            "1m",
            "--prices",
        ])
        .arg(&prices)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("p.csv:2: column `price_usd_per_hour`: `free` is not a number"),
        "{stderr}"
    );
    gridrun()
        .args([
            "estimate",
            "--tasks",
            "1",
            "--task-seconds",
            "1",
            "--deadline",
            "soon",
        ])
        .assert()
        .code(2);
}

#[test]
fn pilot_on_a_real_config_predicts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"random_forest\"\n[grid]\nn_estimators = [5, 20, 60]\nmax_depth = [3, \"none\"]\n[cv]\nfolds = 3\n[run]\njobs = 2\n", "breast_cancer.csv");
    let out = dir.path().join("out");
    let assert = gridrun()
        .arg("estimate")
        .arg(&config)
        .args(["--deadline", "10m", "--json", "-o"])
        .arg(&out)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(report["tasks"], 18);
    assert!(report["pilot"]["tasks_timed"].as_u64().unwrap() >= 3);
    assert!(
        report["this_machine"]["predicted_wall_seconds"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(out.join("estimate.json").exists());
    let assert = run_ok(&config, &out);
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("gridrun estimate predicted"), "{stdout}");
}
