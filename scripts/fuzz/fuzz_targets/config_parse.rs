//! `Config::parse` on any text: it must give Ok or a one-line error, never
//! panic. Run with scripts/fuzz.sh (not in CI).
//!
//! The config "lives" in a fixed temporary folder that holds a few files a
//! config may name (`ok.csv`, predefined folds files), so that relative
//! `folds_file` paths reach the folds-file parser too.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `<tempdir>/fuzz.toml`; the folder lives as long as the process.
fn config_path() -> &'static PathBuf {
    static PATH: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &PATH
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            for (name, text) in [
                ("ok.csv", "a,b,class\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"),
                ("folds.txt", "0\n1\n-1\n1\n"),
                ("folds_bad.txt", "0\n1\nx\n"),
                ("folds_short.txt", "0\n1\n"),
                ("folds_none.txt", "-1\n-1\n"),
            ] {
                std::fs::write(dir.path().join(name), text).expect("write fixture");
            }
            let path = dir.path().join("fuzz.toml");
            (dir, path)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    // Config::load reads the file with read_to_string, so parse only ever
    // sees valid UTF-8; lossy decoding keeps the mutated inputs useful.
    let text = String::from_utf8_lossy(data);
    match gridrun::config::Config::parse(config_path(), &text) {
        Ok(config) => {
            assert!(!config.settings.is_empty(), "no grid setting");
            assert!(config.cv.folds >= 1 && config.cv.repeats >= 1, "{:?}", config.cv);
            assert!(!config.metrics.is_empty() && config.metrics.contains(&config.refit));
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                !message.contains(['\n', '\r']),
                "config error is not one line: {message:?}"
            );
        }
    }
});
