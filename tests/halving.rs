//! Successive halving through the real binary: the rounds `plan` shows
//! (equal to scikit-learn's HalvingGridSearchCV on the seed's 5 x 5 x 5
//! grid), survivors chosen from the last round's scores, cv_results.csv with
//! `iter` and `n_resources`, best.json's rounds, subsampled folds, resume
//! round by round, report.html's candidates per round, and shards refused.

mod common;
use common::*;
use std::path::Path;
use std::time::Duration;

/// Every command here finishes in seconds; a hang fails the test.
const LIMIT: Duration = Duration::from_secs(120);

const WINE: &str = HALVING_WINE;

const SEED_GRID: &str = r#"[dataset]
path = "{data}"
[model]
kind = "random_forest"
[search]
method = "halving"
[grid]
n_estimators = [10, 20, 40, 80, 160]
max_depth = [2, 4, 8, 16, "none"]
max_features = ["sqrt", "log2", 0.1, 0.3, 0.6]
[cv]
folds = 5
"#;

fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<String> {
    let c = header.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[c].clone()).collect()
}

/// The config in `dir` with its output folder there too (plan caches the data in it).
fn config_in(dir: &Path, text: &str, data: &str) -> std::path::PathBuf {
    let config = write_config(dir, text, data);
    let body = std::fs::read_to_string(&config).unwrap();
    let out = dir.join("out");
    std::fs::write(
        &config,
        body + &format!("[run]\noutput = \"{}\"\n", out.display()),
    )
    .unwrap();
    config
}

fn run_quiet(config: &Path) -> assert_cmd::assert::Assert {
    gridrun()
        .arg("run")
        .arg(config)
        .arg("-q")
        .timeout(LIMIT)
        .assert()
        .success()
}

fn plan_stdout(config: &Path) -> String {
    let assert = gridrun()
        .arg("plan")
        .arg(config)
        .timeout(LIMIT)
        .assert()
        .success();
    stdout_of(&assert)
}

#[test]
fn rounds_equal_scikit_learns_on_the_seed_grid() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path(), SEED_GRID, "synthetic_10k.csv");
    let stdout = plan_stdout(&config);
    let reference = json(&root().join("tests/reference/halving_schedules.json"));
    let case = reference["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "grid125_f3_10k_10classes")
        .unwrap();
    let candidates = case["expected"]["n_candidates_"].as_array().unwrap();
    let resources = case["expected"]["n_resources_"].as_array().unwrap();
    assert!(
        stdout.contains(
            "successive halving: factor 3, resource n_samples (min 123, max 10000), 5 rounds"
        ),
        "{stdout}"
    );
    for (i, (c, r)) in candidates.iter().zip(resources).enumerate() {
        let line = format!(
            "round {}: {c} candidates x 5 splits = {} tasks, {r} n_samples each",
            i + 1,
            c.as_u64().unwrap() * 5
        );
        assert!(stdout.contains(&line), "{line} not in {stdout}");
    }
}

#[test]
fn rounds_keep_the_best_and_resume_round_by_round() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path(), WINE, "wine.csv");
    let stdout = plan_stdout(&config);
    assert!(
        stdout.contains("  round 2: 3 candidates x 3 splits = 9 tasks, 54 n_samples each"),
        "{stdout}"
    );

    let out = dir.path().join("out");
    run_quiet(&config);
    let (header, rows) = cv_results(&out);
    assert_eq!(rows.len(), 9 + 3 + 1, "one row per setting x round");
    let iters = column(&header, &rows, "iter");
    let resources = column(&header, &rows, "n_resources");
    let expected_iters: Vec<&str> = [vec!["0"; 9], vec!["1"; 3], vec!["2"]].concat();
    assert_eq!(iters, expected_iters);
    assert_eq!(resources[0], "18");
    assert_eq!(resources[9], "54");
    assert_eq!(resources[12], "162");
    // Round 1 runs the 3 best of round 0 by mean accuracy.
    let means: Vec<f64> = column(&header, &rows, "mean_test_accuracy")
        .iter()
        .map(|m| m.parse().unwrap())
        .collect();
    let params = column(&header, &rows, "params");
    let mut round0: Vec<usize> = (0..9).collect();
    round0.sort_by(|&a, &b| means[b].total_cmp(&means[a]));
    let third = means[round0[2]];
    for p in &params[9..12] {
        let i = params[..9].iter().position(|q| q == p).unwrap();
        assert!(means[i] >= third, "{p} was not among the best of round 0");
    }
    // Round 2's one candidate is round 1's best; it is the best setting.
    let best_of_1 = (9..12)
        .max_by(|&a, &b| means[a].total_cmp(&means[b]))
        .unwrap();
    assert_eq!(params[12], params[best_of_1]);
    let best = json(&out.join("best.json"));
    assert_eq!(best["best_index"], 12);
    let rounds = best_rounds(&out);
    assert_eq!(rounds, vec![(9, 18), (3, 54), (1, 162)]);
    // report.html: a row per round (candidates, resources, how many went on),
    // a dot per candidate and a line per setting that went on.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let round_rows: Vec<&str> = report
        .split("<tr class=\"round\">")
        .skip(1)
        .map(|r| r.split("</tr>").next().unwrap())
        .collect();
    assert_eq!(round_rows.len(), 3, "{report}");
    assert!(round_rows[0].starts_with("<td>1 (iter 0)</td><td>9</td><td>18</td><td>3</td>"));
    assert!(round_rows[1].starts_with("<td>2 (iter 1)</td><td>3</td><td>54</td><td>1</td>"));
    assert!(round_rows[2].starts_with("<td>3 (iter 2)</td><td>1</td><td>162</td><td>0</td>"));
    assert_eq!(report.matches("class=\"round-dot\"").count(), 13);
    assert_eq!(report.matches("class=\"round-path\"").count(), 3 + 1);
    // `gridrun report` rebuilds the rounds from the journal alone.
    let page = dir.path().join("again.html");
    let assert = gridrun()
        .arg("report")
        .arg(&out)
        .arg("--to")
        .arg(&page)
        .timeout(LIMIT)
        .assert()
        .success();
    assert!(stdout_of(&assert).contains("(39 of 39 tasks finished)"));
    let again = std::fs::read_to_string(&page).unwrap();
    assert_eq!(again.matches("<tr class=\"round\">").count(), 3);
    assert_eq!(again.matches("class=\"round-dot\"").count(), 13);
    // Each fold keeps int(18/178 x rows) of its training and test rows.
    let records = journal(&out);
    assert_eq!(records.len(), 27 + 9 + 3);
    let fraction = 18.0 / 178.0;
    for r in records
        .iter()
        .filter(|r| r["n_train"].as_u64().unwrap() < 20)
    {
        let (train, test) = (
            r["n_train"].as_u64().unwrap(),
            r["n_test"].as_u64().unwrap(),
        );
        let full_train = (118..=119)
            .map(|n| (n as f64 * fraction) as u64)
            .collect::<Vec<_>>();
        let full_test = (59..=60)
            .map(|n| (n as f64 * fraction) as u64)
            .collect::<Vec<_>>();
        assert!(
            full_train.contains(&train) && full_test.contains(&test),
            "{r}"
        );
    }
    assert_eq!(
        records
            .iter()
            .filter(|r| r["n_train"].as_u64().unwrap() < 20)
            .count(),
        27
    );

    // Resume: the same command reuses every task of every round.
    let before = std::fs::read_to_string(out.join("cv_results.csv")).unwrap();
    let assert = run_quiet(&config);
    assert!(stdout_of(&assert).contains("39 reused from an earlier run"));
    assert_eq!(journal(&out).len(), 39);
    let after = std::fs::read_to_string(out.join("cv_results.csv")).unwrap();
    let scores = |t: &str| {
        t.lines()
            .map(|l| l.split(',').skip(4).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
    };
    assert_eq!(scores(&after), scores(&before));

    // `gridrun merge` replays the rounds from the journal: the same table.
    let best_before = json(&out.join("best.json"));
    let assert = gridrun()
        .arg("merge")
        .arg(&out)
        .timeout(LIMIT)
        .assert()
        .success();
    assert!(stdout_of(&assert).contains("merged 39 of 39 tasks (0 failed)"));
    let merged = std::fs::read_to_string(out.join("cv_results.csv")).unwrap();
    assert_eq!(scores(&merged), scores(&before));
    let best_after = json(&out.join("best.json"));
    assert_eq!(best_after["best_params"], best_before["best_params"]);
    assert_eq!(best_after["rounds"], best_before["rounds"]);
}

#[test]
fn shards_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), WINE, "wine.csv");
    let assert = gridrun()
        .arg("run")
        .arg(&config)
        .args(["--shard", "0/2", "-o"])
        .arg(dir.path().join("o"))
        .timeout(LIMIT)
        .assert();
    let stderr = one_line_error(assert.get_output());
    assert!(
        stderr.contains("--shard: successive halving cannot be split into shards up front: each round's candidates are known only when the round before ends"),
        "{stderr}"
    );
}

/// Two models, 5 + 4 = 9 candidates: the same 9 -> 3 -> 1 rounds as WINE.
const TWO_MODELS: &str = r#"name = "halving-two-models"
[dataset]
path = "{data}"
[[model]]
kind = "decision_tree"
grid = { max_depth = [1, 2, 3, 4, 5] }
[[model]]
kind = "logistic_regression"
grid = { C = [0.01, 0.1, 1.0, 10.0] }
[search]
method = "halving"
factor = 3
min_resources = "smallest"
seed = 5
[cv]
folds = 3
"#;

/// scikit-learn's `_run_search` rounds for a given min_resources (not
/// "exhaust", no aggressive elimination): (n_candidates, n_resources).
fn scikit_learn_rounds(candidates: u64, min: u64, max: u64, factor: u64) -> Vec<(u64, u64)> {
    let log = |x: f64| x.ln() / (factor as f64).ln();
    let required = 1 + log(candidates as f64).floor() as u32;
    let possible = 1 + log(max as f64 / min as f64).floor() as u32;
    let mut n = candidates;
    (0..required.min(possible))
        .map(|i| {
            let round = (n, min * factor.pow(i));
            n = n.div_ceil(factor);
            round
        })
        .collect()
}

#[test]
fn several_models_halve_as_one_search() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path(), TWO_MODELS, "wine.csv");
    let out = dir.path().join("out");
    run_quiet(&config);
    let (header, rows) = cv_results(&out);
    // 2 samples x 3 splits x 3 classes = 18 rows at first, 178 at most.
    let expected = scikit_learn_rounds(9, 18, 178, 3);
    assert_eq!(expected, vec![(9, 18), (3, 54), (1, 162)]);
    let best = json(&out.join("best.json"));
    let rounds = best_rounds(&out);
    assert_eq!(rounds, expected);
    let iters = column(&header, &rows, "iter");
    assert_eq!(iters, [vec!["0"; 9], vec!["1"; 3], vec!["2"]].concat());
    // Round 0: every setting of both models, each with only its own params.
    let models = column(&header, &rows, "param_model");
    let depth = column(&header, &rows, "param_max_depth");
    let c = column(&header, &rows, "param_C");
    assert_eq!(
        models[..9],
        [vec!["decision_tree"; 5], vec!["logistic_regression"; 4]].concat()
    );
    for i in 0..rows.len() {
        let tree = models[i] == "decision_tree";
        assert_eq!(
            (depth[i].is_empty(), c[i].is_empty()),
            (!tree, tree),
            "row {i}"
        );
    }
    // Each round keeps the best 3 (then 1) of the round before, whichever model.
    let means: Vec<f64> = column(&header, &rows, "mean_test_accuracy")
        .iter()
        .map(|m| m.parse().unwrap())
        .collect();
    let params = column(&header, &rows, "params");
    for (previous, kept) in [(0..9, 9..12), (9..12, 12..13)] {
        let mut sorted: Vec<f64> = means[previous.clone()].to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let cut = sorted[kept.len() - 1];
        for k in kept {
            let i = previous
                .clone()
                .find(|&i| params[i] == params[k])
                .unwrap_or_else(|| panic!("{} did not run in the round before", params[k]));
            assert!(means[i] >= cut, "{} was not among the best", params[k]);
        }
    }
    // The best setting is the last round's one candidate, of its model.
    assert_eq!(best["best_index"], 12);
    assert_eq!(best["model"], models[12].as_str());
    let best_params = best["best_params"].as_object().unwrap();
    assert!(best_params.len() == 2 && best_params["model"] == models[12].as_str());
    for (key, value) in best_params {
        let cell = &column(&header, &rows, &format!("param_{key}"))[12];
        let value = value.as_str().map_or(value.to_string(), String::from);
        assert_eq!(*cell, value, "param_{key}");
    }
    assert!(out.join("best_model.json").exists());
}

#[test]
fn estimate_goes_round_by_round_as_plan_shows() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(dir.path(), WINE, "wine.csv");
    let plan = plan_stdout(&config);
    let estimate = |json: bool| {
        let mut cmd = gridrun();
        cmd.arg("estimate")
            .arg(&config)
            .args(["--deadline", "1h", "--pilot-seconds", "5"]);
        if json {
            cmd.arg("--json");
        }
        stdout_of(&cmd.timeout(LIMIT).assert().success())
    };
    let report: serde_json::Value = serde_json::from_str(&estimate(true)).unwrap();
    let rounds = report["rounds"].as_array().unwrap();
    let shape: Vec<(u64, u64, u64)> = rounds
        .iter()
        .map(|r| {
            (
                r["candidates"].as_u64().unwrap(),
                r["n_resources"].as_u64().unwrap(),
                r["tasks"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(shape, vec![(9, 18, 27), (3, 54, 9), (1, 162, 3)]);
    assert_eq!(
        report["tasks"], 39,
        "the rounds' tasks, not the full grid's"
    );
    let cpu: Vec<f64> = rounds
        .iter()
        .map(|r| r["cpu_seconds"].as_f64().unwrap())
        .collect();
    let total = report["total_cpu_seconds"].as_f64().unwrap();
    assert!((cpu.iter().sum::<f64>() - total).abs() < 1e-9 * total.max(1.0));
    // A task's time beyond the pool overhead grows with its round's
    // resources: x3 a round (later rounds at the mean of all candidates).
    let overhead = report["pilot"]["per_task_overhead_seconds"]
        .as_f64()
        .unwrap();
    let per_task: Vec<f64> = (0..3)
        .map(|i| cpu[i] / shape[i].2 as f64 - overhead)
        .collect();
    for i in 1..3 {
        let ratio = per_task[i] / per_task[i - 1];
        assert!(
            (ratio - 3.0).abs() < 1e-6,
            "round {i}: {ratio} ({per_task:?})"
        );
    }
    // This machine runs the rounds one after another.
    let workers = report["this_machine"]["workers"].as_f64().unwrap();
    let mut walls = 0.0;
    for (r, &c) in rounds.iter().zip(&cpu) {
        let wall = r["wall_seconds"].as_f64().unwrap();
        assert!(wall >= c / workers - 1e-9 && wall <= c + 1e-9, "{r}");
        walls += wall;
    }
    let predicted = report["this_machine"]["predicted_wall_seconds"]
        .as_f64()
        .unwrap();
    assert!(predicted >= walls, "{predicted} < {walls}");
    // Every task any round may run has a predicted cost for the shards.
    let costs = json(&dir.path().join("out/task_costs.json"));
    assert_eq!(costs.as_object().unwrap().len(), 9 * 3 * 3);
    // The text report words the rounds as `gridrun plan` does.
    let text = estimate(false);
    let round_lines: Vec<&str> = plan.lines().filter(|l| l.starts_with("  round ")).collect();
    assert_eq!(round_lines.len(), 3, "{plan}");
    for line in round_lines {
        assert!(
            text.contains(&format!("{line}: about ")),
            "{line} not in {text}"
        );
    }
    assert!(!text.contains("upper bound"), "{text}");
}
