//! Many tasks: the coordinator tallies them as they finish (no per-task
//! records kept) and still writes every result; the timeline bins them.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn twelve_thousand_tasks_are_all_counted_and_binned_on_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nid = { range = [0, 4000] }\n[cv]\nfolds = 3\n[run]\njobs = 2\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    let assert = gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .success();
    assert!(stdout_of(&assert).contains("12000 tasks, 0 failed"));
    let run = json(&out.join("run.json"));
    assert_eq!(run["ran"], 12000);
    let (header, rows) = cv_results(&out);
    assert_eq!(rows.len(), 4000);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // every split of every setting scored (the debug model predicts the majority class)
    for split in 0..3 {
        let c = col(&format!("split{split}_test_accuracy"));
        assert!(rows.iter().all(|r| r[c].parse::<f64>().unwrap() < 0.5));
    }
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    assert!(svg.len() < 400_000, "timeline.svg is {} bytes", svg.len());
    assert!(
        svg.contains(">worker 0<") && svg.contains(">worker 1<"),
        "{svg}"
    );
    assert!(!svg.contains("class=\"task\""));
    // Each bin's tooltip counts the tasks that started in it: all of them, once.
    let started: usize = svg
        .split(" tasks started")
        .filter_map(|part| part.rsplit(": ").next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(started, 12000);
}

/// 100,000 tasks: every one counted and in cv_results.csv, the timeline
/// bounded. (The coordinator's memory at this size and at a million is
/// measured by scripts/bench_scale.sh row 4, not asserted here.)
#[test]
fn a_hundred_thousand_tasks_are_all_counted_with_a_small_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nid = { range = [0, 10000] }\n[cv]\nkind = \"kfold\"\nfolds = 10\n[run]\njobs = 2\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    let assert = gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .timeout(Duration::from_secs(300))
        .assert()
        .success();
    assert!(stdout_of(&assert).contains("100000 tasks, 0 failed"));
    let run = json(&out.join("run.json"));
    assert_eq!(
        (&run["tasks"], &run["ran"], &run["failed"]),
        (&100000.into(), &100000.into(), &0.into())
    );
    let (header, rows) = cv_results(&out);
    assert_eq!(rows.len(), 10000);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let last = col("split9_test_accuracy");
    assert!(rows.iter().all(|r| r[last].parse::<f64>().is_ok()));
    let journal = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), 100000);
    let svg = std::fs::read_to_string(out.join("timeline.svg")).unwrap();
    assert!(svg.len() < 400_000, "timeline.svg is {} bytes", svg.len());
    assert!(svg.contains(">worker 0<") && svg.contains(">worker 1<"));
    let started: usize = svg
        .split(" tasks started")
        .filter_map(|part| part.rsplit(": ").next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(started, 100000);
}
