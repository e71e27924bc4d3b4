//! The corpus of bad inputs in tests/bad_inputs/: every config there must
//! fail with exit code 2 and one line on stderr holding the message its
//! first line expects (`# expect: ...`), and never panic.

mod common;
use common::*;

#[test]
fn every_bad_input_gets_one_clear_line_and_exit_2() {
    let dir = root().join("tests/bad_inputs");
    let mut configs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    configs.sort();
    assert!(
        configs.len() >= 25,
        "the corpus shrank to {}",
        configs.len()
    );
    let out = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for config in &configs {
        let text = std::fs::read_to_string(config).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: first line must be `# expect: ...`", config.display()));
        let output = gridrun()
            .arg(config)
            .args(["-q", "-o"])
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let name = config.file_name().unwrap().to_string_lossy();
        if output.status.code() != Some(2) {
            problems.push(format!(
                "{name}: exit {:?}, stderr {stderr}",
                output.status.code()
            ));
        } else if stderr.lines().count() != 1
            || !stderr.contains(expected)
            || stderr.contains("panicked")
        {
            problems.push(format!(
                "{name}: expected one line with `{expected}`, got: {stderr}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} bad inputs misreported:\n{}",
        problems.len(),
        configs.len(),
        problems.join("\n")
    );
}
