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

const WINE: &str = r#"name = "halving-wine"
[dataset]
path = "{data}"
[model]
kind = "decision_tree"
[search]
method = "halving"
factor = 3
min_resources = "smallest"
seed = 5
[grid]
max_depth = [1, 2, 3]
criterion = ["gini", "entropy", "log_loss"]
[cv]
folds = 3
"#;

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
    let rounds: Vec<(u64, u64)> = best["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["n_candidates"].as_u64().unwrap(),
                r["n_resources"].as_u64().unwrap(),
            )
        })
        .collect();
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
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("--shard: successive halving cannot be split into shards up front: each round's candidates are known only when the round before ends"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
