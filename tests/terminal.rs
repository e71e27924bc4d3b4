//! What a person sees in the terminal: status lines, failures, the summary
//! table, completions, help, and predict's output options.

mod common;
use common::*;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEBUG_SLOW: &str = "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nsleep = [0.3]\nid = [1, 2, 3, 4]\n[cv]\nfolds = 2\n[run]\njobs = 2\n";

#[test]
fn plain_progress_says_eta_unknown_at_zero_and_names_the_refit_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = gridrun()
        .env("GRIDRUN_PROGRESS_SECONDS", "0")
        .arg(root().join("configs/tree.toml"))
        .arg("-o")
        .arg(&out)
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let stderr = stderr_of(&assert);
    let first = stderr.lines().find(|l| l.contains("0/80")).expect(&stderr);
    assert!(first.contains("ETA ?"), "{first}");
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains(" 0/80") && l.contains("ETA 0s")),
        "{stderr}"
    );
    let steps = [
        "gridrun: writing cv_results.csv...",
        "gridrun: refitting the best setting on all 178 rows (criterion=",
        " and writing best_model.bin...",
        "gridrun: writing timeline.svg and report.html...",
    ];
    let positions: Vec<usize> = steps
        .iter()
        .map(|s| {
            stderr
                .find(s)
                .unwrap_or_else(|| panic!("no `{s}` in {stderr}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{stderr}");
}

#[test]
fn terminal_bar_waits_for_a_rate_and_a_spinner_covers_the_refit() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), DEBUG_SLOW, "iris.csv");
    let out = dir.path().join("out");
    let command = format!(
        "{} {} -o {}",
        assert_cmd::cargo::cargo_bin!("gridrun").display(),
        config.display(),
        out.display()
    );
    // `script` gives the run a terminal, so indicatif draws its bar.
    let output = Command::new("timeout")
        .args(["60", "script", "-qec", &command, "/dev/null"])
        .env("COLUMNS", "120")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let screen = String::from_utf8_lossy(&output.stdout);
    let at_zero: Vec<&str> = screen
        .split(['\r', '\n'])
        .filter(|l| l.contains(" 0/8 "))
        .collect();
    assert!(!at_zero.is_empty(), "no bar at 0/8: {screen}");
    assert!(at_zero.iter().all(|l| l.contains("ETA ?")), "{at_zero:?}");
    assert!(
        screen.contains("refitting the best setting on all 150 rows"),
        "{screen}"
    );
}

#[test]
fn a_failed_task_is_shown_at_once_with_its_setting_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nfail = [false, true]\n[cv]\nfolds = 3\n",
        "iris.csv",
    );
    let assert = gridrun()
        .arg(&config)
        .arg("-o")
        .arg(dir.path().join("out"))
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    let line = "gridrun: task failed: fail=True (repeat 0, fold 0): debug model asked to fail";
    let at = stderr.find(line).unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        at < stderr.find("writing cv_results.csv").unwrap(),
        "{stderr}"
    );
    let stdout = stdout_of(&assert);
    let row = stdout
        .lines()
        .find(|l| l.contains("fail=True"))
        .expect(&stdout);
    assert!(row.contains("failed"), "{row}");
    assert!(
        stdout.contains("error: debug model asked to fail"),
        "{stdout}"
    );
}

#[test]
fn after_ctrl_c_settings_that_did_not_run_say_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nsleep = [0.4]\nid = [1, 2, 3, 4, 5, 6]\n[cv]\nfolds = 2\n[run]\njobs = 1\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |t| t.lines().count()) < 2
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{stdout}");
    assert!(stdout.contains("not run"), "{stdout}");
    assert!(
        !stdout.contains("failed  ") && stdout.contains(" 0 failed"),
        "{stdout}"
    );
}

#[test]
fn summary_table_fits_100_columns_and_says_how_many_more() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"logistic_regression\"\n[grid]\nC = { logspace = [-3, 3], num = 12 }\ntol = [0.0001]\nfit_intercept = [true]\n[cv]\nfolds = 3\n[scoring]\nmetrics = [\"accuracy\", \"f1_macro\", \"balanced_accuracy\", \"neg_log_loss\"]\n",
        "iris.csv",
    );
    let assert = gridrun()
        .env("COLUMNS", "100")
        .arg(&config)
        .args(["-q", "-o"])
        .arg(dir.path().join("out"))
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    for line in stdout.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} wide: {line}",
            line.chars().count()
        );
    }
    assert!(
        stdout.contains("2 more settings in cv_results.csv"),
        "{stdout}"
    );
    // parameters wrap between words: every token in the params column is key=value
    let start = stdout.lines().next().unwrap().find("params").unwrap();
    let params = stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.contains("more settings"))
        .map(|l| l.chars().skip(start).collect::<String>())
        .collect::<Vec<String>>()
        .join(" ");
    let params: Vec<&str> = params.split_whitespace().collect();
    assert!(params.len() >= 30, "{stdout}");
    assert!(params.iter().all(|t| t.contains('=')), "{params:?}");
}

#[test]
fn single_metric_cv_results_has_scikit_learn_score_columns() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"gaussian_nb\"\n[grid]\nvar_smoothing = [1e-9, 1e-3]\n[cv]\nfolds = 3\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let (header, rows) = cv_results(&out);
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    for k in 0..3 {
        for row in &rows {
            assert_eq!(
                row[col(&format!("split{k}_test_score"))],
                row[col(&format!("split{k}_test_accuracy"))]
            );
        }
    }
    for stat in ["mean", "std", "rank"] {
        for row in &rows {
            assert_eq!(
                row[col(&format!("{stat}_test_score"))],
                row[col(&format!("{stat}_test_accuracy"))]
            );
        }
    }
    assert!(col("split0_test_score") < col("mean_test_score"));
    assert!(rows.iter().any(|r| r[col("rank_test_score")] == "1"));
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let script =
        |shell: &str| stdout_of(&gridrun().args(["completions", shell]).assert().success());
    let bash = script("bash");
    let check = Command::new("bash")
        .args(["-c", "source /dev/stdin && complete -p gridrun"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bash.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("_gridrun gridrun"),
        "{check:?}"
    );
    assert!(bash.contains("report") && bash.contains("--only-missing"));
    assert!(script("zsh").starts_with("#compdef gridrun"));
    assert!(script("fish").contains("complete -c gridrun"));
}

#[test]
fn every_subcommand_has_examples_and_every_option_a_description() {
    use clap::CommandFactory;
    let cli = gridrun::cli::Cli::command();
    let mut missing = Vec::new();
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        if !sub
            .get_after_help()
            .is_some_and(|h| h.to_string().starts_with("Examples:"))
        {
            missing.push(format!("{}: no examples", sub.get_name()));
        }
        for arg in sub.get_arguments() {
            if arg.get_help().is_none() && arg.get_id() != "help" {
                missing.push(format!(
                    "{} {}: no description",
                    sub.get_name(),
                    arg.get_id()
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:?}");
    let help = stdout_of(&gridrun().args(["slurm", "--help"]).assert().success());
    assert!(help.contains("--partition <PARTITION>  "), "{help}");
}

#[test]
fn predict_writes_probabilities_keeps_an_id_and_stops_quietly_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[dataset]\npath = \"{data}\"\n[model]\nkind = \"logistic_regression\"\n[grid]\nC = [1.0]\nmax_iter = [200]\n[cv]\nfolds = 3\n", "iris.csv");
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let iris = std::fs::read_to_string(dataset("iris.csv")).unwrap();
    let mut with_id = String::new();
    for (i, line) in iris.lines().enumerate() {
        let id = if i == 0 {
            "id".to_string()
        } else {
            format!("row{i}")
        };
        with_id.push_str(&format!("{id},{line}\n"));
    }
    let data = dir.path().join("with_id.csv");
    std::fs::write(&data, with_id).unwrap();
    let model = out.join("best_model.json");
    let assert = gridrun()
        .args(["predict", "--proba", "--keep", "id", "--model"])
        .arg(&model)
        .arg(&data)
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "id,class,proba_setosa,proba_versicolor,proba_virginica"
    );
    assert_eq!(lines.len(), 151);
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[0], format!("row{}", i + 1));
        let sum: f64 = cells[2..].iter().map(|c| c.parse::<f64>().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{line}");
    }
    assert!(lines[1].starts_with("row1,setosa,"));
    // the reader goes away before the first write, as `| head -0` would
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
        .args(["predict", "--proba", "--model"])
        .arg(&model)
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

/// `gridrun CONFIG | head -1` (stdout) and `gridrun CONFIG 2>&1 | head -1`
/// (both): a reader that left is no error of the run; every file is written.
#[test]
fn a_run_whose_reader_left_ends_cleanly_with_every_file_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), DEBUG_SLOW, "iris.csv");
    for close_stderr in [false, true] {
        let out = dir.path().join(format!("out-{close_stderr}"));
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
            .env("GRIDRUN_PROGRESS_SECONDS", "0")
            .arg(&config)
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // the reader goes away before the first write, as `| head -0` would
        drop(child.stdout.take());
        if close_stderr {
            drop(child.stderr.take());
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("the run hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        if !close_stderr {
            assert!(
                stderr.contains("writing timeline.svg and report.html"),
                "{stderr}"
            );
        }
        let journal = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
        assert_eq!(journal.lines().count(), 8);
        for file in [
            "cv_results.csv",
            "best.json",
            "best_model.json",
            "timeline.svg",
            "report.html",
        ] {
            assert!(out.join(file).exists(), "{file} missing");
        }
        let csv = std::fs::read_to_string(out.join("cv_results.csv")).unwrap();
        assert_eq!(csv.lines().count(), 5, "{csv}");
    }
    // through a shell, as a person types it: gridrun's own exit status
    let out = dir.path().join("out-head");
    let script = format!(
        "\"{}\" \"{}\" -o \"{}\" | head -1; exit ${{PIPESTATUS[0]}}",
        assert_cmd::cargo::cargo_bin!("gridrun").display(),
        config.display(),
        out.display()
    );
    let assert = assert_cmd::Command::new("bash")
        .args(["-c", &script])
        .env("GRIDRUN_PROGRESS_SECONDS", "3600")
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let stdout = stdout_of(&assert);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("rank"), "{stdout}");
    let stderr = stderr_of(&assert);
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
    assert!(out.join("report.html").exists());
}
