//! Any text given as a config must parse or fail with one line: never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match gridrun::config::Config::parse(std::path::Path::new("fuzz.toml"), text) {
        Ok(config) => {
            // A config that parses must also plan.
            let plan = gridrun::plan::Plan::build(&config);
            assert_eq!(plan.tasks.len(), config.settings.len() * config.cv.folds * config.cv.repeats);
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "multi-line error: {e}"),
    }
});
