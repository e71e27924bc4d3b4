//! report.html rendered by headless Chromium (Debian's package, installed by
//! scripts/chromium.sh, which .ci/run calls): a screenshot that is not
//! blank, the expected table rows and plot elements in the DOM after the
//! page's script ran, and no script errors.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The browser, or None (then the test says so and passes) outside CI.
fn chromium() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("GRIDRUN_CHROMIUM") {
        return Some(path.into());
    }
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()?;
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!path.is_empty()).then(|| PathBuf::from(path))
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "chromium missing: run scripts/chromium.sh install"
        );
        eprintln!("skipped: no chromium (scripts/chromium.sh install)");
    }
    found
}

/// Runs headless Chromium on a page with a fresh profile; returns stdout
/// and stderr.
fn browse(browser: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("timeout")
        .arg("90")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "chromium failed: {output:?}");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Counts of what rendered, from the DOM after scripts ran.
struct Rendered {
    dom: String,
}

impl Rendered {
    fn count(&self, needle: &str) -> usize {
        self.dom.matches(needle).count()
    }
}

/// Loads the page, checks the script ran without errors, takes a
/// screenshot and checks it is not blank.
fn render(browser: &Path, page: &Path, shot: &Path) -> Rendered {
    let (dom, log) = browse(browser, page, &["--dump-dom"]);
    assert!(dom.contains("data-rendered=\"1\""), "script did not run");
    assert!(dom.contains("data-js-errors=\"0\""), "script errors");
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let window = "--window-size=1150,2400";
    browse(
        browser,
        page,
        &[window, &format!("--screenshot={}", shot.display())],
    );
    let ink = non_white_share(shot);
    assert!(ink > 0.03, "screenshot nearly blank: {ink}");
    Rendered { dom }
}

fn non_white_share(png_path: &Path) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let inked = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    inked as f64 / (pixels.len() / channels) as f64
}

#[test]
fn report_of_a_tree_grid_renders_every_section() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(&root().join("configs/tree.toml"), &out);
    let r = render(
        &browser,
        &out.join("report.html"),
        &dir.path().join("shot.png"),
    );
    assert_eq!(r.count("<tr class=\"setting"), 16);
    assert_eq!(r.count("class=\"param-chart\""), 3);
    assert_eq!(r.count("class=\"box\""), 2 + 4 + 2);
    assert_eq!(r.count("class=\"cell\""), 4 * 2);
    assert_eq!(r.count("class=\"line\""), 16);
    assert_eq!(r.count("class=\"task\""), 80);
    assert_eq!(r.count("class=\"refit\""), 1);
    assert!(r.count("class=\"tick\"") >= 4);
}

#[test]
fn report_of_10000_settings_stays_small_and_renders() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nid = { range = [0, 10000] }\n[cv]\nfolds = 2\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    gridrun()
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .timeout(Duration::from_secs(120))
        .assert()
        .success();
    let page = out.join("report.html");
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 2_000_000, "report.html is {size} bytes");
    let r = render(&browser, &page, &dir.path().join("shot.png"));
    assert_eq!(r.count("<tr class=\"setting"), 50);
    assert!(r.dom.contains("9950 more settings in cv_results.csv"));
    let lines = r.count("class=\"line\"");
    assert!((900..=1000).contains(&lines), "{lines} lines drawn");
    assert_eq!(r.count("class=\"task\""), 0, "20,000 tasks are binned");
    assert!(r.count("class=\"bin\"") > 0);
}

#[test]
fn report_of_a_halving_search_shows_candidates_per_round() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"decision_tree\"\n[search]\nmethod = \"halving\"\nmin_resources = \"smallest\"\nseed = 5\n[grid]\nmax_depth = [1, 2, 3]\ncriterion = [\"gini\", \"entropy\", \"log_loss\"]\n[cv]\nfolds = 3\n",
        "wine.csv",
    );
    let out = dir.path().join("out");
    run_ok(&config, &out);
    let r = render(
        &browser,
        &out.join("report.html"),
        &dir.path().join("shot.png"),
    );
    assert!(r.dom.contains("<section id=\"rounds\">"));
    assert_eq!(r.count("<tr class=\"round\">"), 3);
    assert_eq!(r.count("class=\"round-dot\""), 9 + 3 + 1);
    assert_eq!(r.count("class=\"round-path\""), 3 + 1);
}

#[test]
fn report_command_works_on_a_run_still_going() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[dataset]\npath = \"{data}\"\n[model]\nkind = \"debug\"\n[grid]\nsleep = [0.3]\nid = [1, 2, 3, 4, 5, 6]\n[cv]\nfolds = 2\n[run]\njobs = 1\n",
        "iris.csv",
    );
    let out = dir.path().join("out");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("gridrun"))
        .arg(&config)
        .args(["-q", "-o"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline
        && std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |t| t.lines().count()) < 2
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let page = dir.path().join("live.html");
    let assert = gridrun()
        .arg("report")
        .arg(&out)
        .arg("--to")
        .arg(&page)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let finished_at_report = stdout_of(&assert);
    assert!(child.wait().unwrap().success());
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        finished_at_report.contains("of 12 tasks finished"),
        "{finished_at_report}"
    );
    assert!(
        !finished_at_report.contains("12 of 12"),
        "{finished_at_report}"
    );
    assert!(html.contains("Not every task has finished"));
    assert!(html.contains("not run") || html.contains("partial"));
    assert!(
        !out.join("report.html").exists()
            || html != std::fs::read_to_string(out.join("report.html")).unwrap()
    );
}
