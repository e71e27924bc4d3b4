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
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("Needs 8 cores: rent 1 x c7a.2xlarge (8 cores) for ~19m05s, ~$0.13 on demand / ~$0.0653 spot; run: gridrun run CONFIG --jobs 8"),
        "{out}"
    );
    assert!(
        out.contains(": 8 cores (longest-first schedule 1120 s;"),
        "{out}"
    );
    // Arithmetic mode: only the assumptions that apply.
    assert!(
        out.contains("every task takes 1m10s on one physical core"),
        "{out}"
    );
    for absent in [
        "measured on this machine",
        "safety margin",
        "peak RSS",
        "overhead",
    ] {
        assert!(!out.contains(absent), "`{absent}` in:\n{out}");
    }
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
        // Spot beside on demand: the flat default discount, labelled.
        let (od, spot) = (
            c["total_cost"].as_f64().unwrap(),
            c["spot_cost"].as_f64().unwrap(),
        );
        assert!((spot - od * 0.5).abs() < 1e-9, "{c}");
    }
    assert!(json["assumptions"].as_array().unwrap().iter().any(|a| a
        .as_str()
        .unwrap()
        .starts_with("spot at 50% off on demand (--spot-discount 0.5)")));
}

fn arithmetic(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["estimate", "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&estimate_stdout(&args)).unwrap()
}

fn local_time(minutes_from_now: i64, format: &str) -> String {
    let at = jiff::ZonedDateTime::now()
        .checked_add(jiff::SignedDuration::from_mins(minutes_from_now))
        .unwrap();
    at.strftime(format).to_string()
}

#[test]
fn clock_time_deadlines_count_from_now_in_local_time() {
    let at = local_time(20, "%Y-%m-%d %H:%M");
    let json = arithmetic(&["--tasks", "125", "--task-seconds", "70", "--deadline", &at]);
    // Minutes are whole: the deadline is 19 to 20 minutes away.
    let seconds = json["deadline_seconds"].as_f64().unwrap();
    assert!((1140.0..=1200.5).contains(&seconds), "{seconds}");
    // The deadline is shown as a time of day, with its date when it is not today.
    let today = local_time(20, "%F") == local_time(0, "%F");
    let shown = local_time(20, if today { "%H:%M" } else { "%Y-%m-%d %H:%M" });
    assert_eq!(json["deadline_at"], shown);
    // A time of day alone means today (unless 20 minutes from now is tomorrow).
    let hhmm = local_time(20, "%H:%M");
    if today {
        let json = arithmetic(&["--tasks", "1", "--task-seconds", "1", "--deadline", &hhmm]);
        let seconds = json["deadline_seconds"].as_f64().unwrap();
        assert!((1140.0..=1200.5).contains(&seconds), "{seconds}");
    }
}

#[test]
fn a_deadline_already_past_is_a_clear_error() {
    let past = local_time(-5, "%Y-%m-%d %H:%M");
    let assert = gridrun()
        .args([
            "estimate",
            "--tasks",
            "1",
            "--task-seconds",
            "1",
            "--deadline",
            &past,
        ])
        .assert();
    let stderr = one_line_error(assert.get_output());
    assert!(
        stderr.starts_with(&format!(
            "gridrun: error: --deadline {past}: that time has already passed (it is now "
        )),
        "{stderr}"
    );
}

#[test]
fn margin_pads_every_task_before_counting_cores() {
    // 84 s per task (70 s + 20%): 8 cores need 16 rounds = 1344 s > 1200 s.
    let json = arithmetic(&[
        "--tasks",
        "125",
        "--task-seconds",
        "70",
        "--deadline",
        "20m",
        "--margin",
        "0.2",
    ]);
    assert_eq!(json["cores"]["cores"], 9);
    assert_eq!(json["margin_source"], "given");
    assert!(
        json["decision"]
            .as_str()
            .unwrap()
            .starts_with("Needs 9 cores: "),
        "{json}"
    );
    assert!(json["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "safety margin +20% (--margin)"));
    let bad = gridrun()
        .args([
            "estimate",
            "--tasks",
            "1",
            "--task-seconds",
            "1",
            "--deadline",
            "1m",
            "--margin=-1",
        ])
        .assert()
        .code(2);
    assert!(stderr_of(&bad).contains("--margin must be between 0 and 10"));
}

#[test]
fn max_instances_and_min_cores_prefer_fewer_larger_machines() {
    let base = [
        "--tasks",
        "5000",
        "--task-seconds",
        "70",
        "--deadline",
        "10m",
    ];
    let free = arithmetic(&base);
    assert!(
        free["choices"][0]["count"].as_u64().unwrap() > 100,
        "{}",
        free["choices"][0]
    );
    let capped = arithmetic(&[&base[..], &["--max-instances", "10"]].concat());
    let choices = capped["choices"].as_array().unwrap();
    assert!(!choices.is_empty());
    for c in choices {
        assert!(c["count"].as_u64().unwrap() <= 10, "{c}");
        assert!(c["run_seconds"].as_f64().unwrap() <= 600.0, "{c}");
    }
    let decision = capped["decision"].as_str().unwrap();
    assert!(decision.contains("--shard I/"), "{decision}");
    let big = arithmetic(&[&base[..], &["--min-cores-per-instance", "32"]].concat());
    for c in big["choices"].as_array().unwrap() {
        assert!(c["cores_per_instance"].as_u64().unwrap() >= 32, "{c}");
    }
    let none = arithmetic(&[&base[..], &["--max-instances", "1"]].concat());
    assert!(none["choices"].as_array().unwrap().is_empty());
    assert!(
        none["decision"]
            .as_str()
            .unwrap()
            .contains("with at most 1 instances"),
        "{none}"
    );
}

#[test]
fn only_instance_types_gridrun_runs_on_are_offered() {
    // The built-in table's cheapest cores are Graviton (arm64): never offered.
    let json = arithmetic(&[
        "--tasks",
        "125",
        "--task-seconds",
        "70",
        "--deadline",
        "20m",
        "--top",
        "20",
    ]);
    let names: Vec<&str> = json["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["instance"].as_str().unwrap())
        .collect();
    assert!(
        names.len() > 3 && names.iter().all(|n| !n.starts_with("c7g")),
        "{names:?}"
    );
    assert!(json["assumptions"].as_array().unwrap().iter().any(|a| a
        .as_str()
        .unwrap()
        .starts_with("x86_64 types only: gridrun ships no other build, so c7g")));
    // A user table: arm64 by column, or by Graviton name, is left out too.
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("p.csv");
    std::fs::write(
        &prices,
        "instance_type,vcpus,physical_cores,memory_gib,price_usd_per_hour,arch\ncheap.x,8,8,16,0.01,arm64\nm8g.2xlarge,8,8,16,0.02,\nx86.x,8,8,16,1.0,x86_64\n",
    )
    .unwrap();
    let json = arithmetic(&[
        "--tasks",
        "8",
        "--task-seconds",
        "60",
        "--deadline",
        "10m",
        "--prices",
        prices.to_str().unwrap(),
    ]);
    let names: Vec<&str> = json["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["instance"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x86.x"]);
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
    // The default margin is the cost model's own 90% upper bound.
    assert_eq!(report["margin_source"], "model");
    let upper = report["model_error"]["upper_90"].as_f64().unwrap();
    assert!((report["margin"].as_f64().unwrap() - (upper - 1.0).max(0.0)).abs() < 1e-12);
    let decision = report["decision"].as_str().unwrap();
    assert!(
        decision.starts_with("Finishes by ")
            && decision.contains(" on this machine with 2 workers"),
        "{decision}"
    );
    let assert = run_ok(&config, &out);
    let stdout = stdout_of(&assert);
    assert!(stdout.contains("gridrun estimate predicted"), "{stdout}");
}
