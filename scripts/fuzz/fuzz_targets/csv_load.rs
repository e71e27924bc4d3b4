//! Any bytes given as a CSV must load into a consistent cache or fail with
//! an error: never panic.
#![no_main]
use gridrun::config::{DatasetSpec, TargetColumn};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("data.csv");
    std::fs::write(&path, bytes).expect("write");
    let target = match choice % 3 {
        0 => TargetColumn::Last,
        1 => TargetColumn::Index((choice / 3) as usize % 4),
        _ => TargetColumn::Name("class".into()),
    };
    let spec = DatasetSpec { path: path.clone(), target, task: None };
    if let Ok((cache, header)) = gridrun::data::prepare(&spec, &dir.path().join("cache")) {
        let d = gridrun::data::Dataset::open(&cache).expect("a cache just written opens");
        assert_eq!(d.x().dim(), (header.n_rows, header.n_features));
        assert_eq!(d.y().len(), header.n_rows);
        assert!(d.x().iter().all(|v| v.is_finite()));
        if let Some(classes) = &header.classes {
            assert!(d.y().iter().all(|&c| (c as usize) < classes.len()));
        }
        let _ = gridrun::data::read_features_csv(&path, &header.feature_names);
    }
});
