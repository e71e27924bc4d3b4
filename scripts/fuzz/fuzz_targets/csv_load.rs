//! The CSV loader on any bytes: `data::prepare` must write a consistent cache
//! or fail with an error, never panic; `read_features_csv` likewise. Run with
//! scripts/fuzz.sh (not in CI).
//!
//! Input: the first byte chooses the target column and task hint, the rest is
//! the CSV file.
//!   choice % 3 == 0: TargetColumn::Last
//!   choice % 3 == 1: TargetColumn::Index((choice / 3) % 5)
//!   choice % 3 == 2: TargetColumn::Name(one of the header's fields, or a
//!                    name that is not there)
//!   choice >= 0xC0:  task hint Classification (0xC0..=0xDF) or Regression
//!                    (0xE0..=0xFF); otherwise None (decided from the data)
#![no_main]
use gridrun::config::{DatasetSpec, TargetColumn, TaskHint};
use gridrun::models::TargetKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("data.csv");
    std::fs::write(&path, bytes).expect("write");

    // The header as a naive split of the first line (quotes and all): good
    // enough to pick names that are there most of the time.
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let naive_header: Vec<String> = String::from_utf8_lossy(first_line)
        .trim_end_matches('\r')
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();

    let target = match choice % 3 {
        0 => TargetColumn::Last,
        1 => TargetColumn::Index(usize::from(choice / 3) % 5),
        _ => {
            let k = usize::from(choice / 3) % (naive_header.len() + 1);
            TargetColumn::Name(naive_header.get(k).cloned().unwrap_or_else(|| "class".into()))
        }
    };
    let task = match choice {
        0xC0..=0xDF => Some(TaskHint::Classification),
        0xE0..=0xFF => Some(TaskHint::Regression),
        _ => None,
    };
    let spec = DatasetSpec { path: path.clone(), target, task };

    match gridrun::data::prepare(&spec, &dir.path().join("cache")) {
        Ok((cache, header)) => check_cache(&path, &cache, &header),
        Err(_) => {
            // Not a loadable dataset; the predict-side reader must still
            // fail cleanly (or read the named columns).
            let names: Vec<String> =
                naive_header.iter().take(naive_header.len().saturating_sub(1)).cloned().collect();
            if let Ok(x) = gridrun::data::read_features_csv(&path, &names) {
                assert_eq!(x.ncols(), names.len());
                assert!(x.iter().all(|v| v.is_finite()));
            }
        }
    }
});

fn check_cache(
    csv: &std::path::Path,
    cache: &std::path::Path,
    header: &gridrun::data::CacheHeader,
) {
    assert!(header.n_rows >= 2, "{header:?}");
    assert!(header.n_features >= 1, "{header:?}");
    assert_eq!(header.feature_names.len(), header.n_features);

    let d = gridrun::data::Dataset::open(cache).expect("a cache just written opens");
    assert_eq!(&d.header, header, "the cache's header differs from prepare's");
    let (x, y) = (d.x(), d.y());
    assert_eq!(x.dim(), (header.n_rows, header.n_features));
    assert_eq!(y.len(), header.n_rows);
    assert!(x.iter().all(|v| v.is_finite()), "non-finite feature");
    match header.target {
        TargetKind::Classification { n_classes } => {
            let classes = header.classes.as_ref().expect("class names");
            assert_eq!(classes.len(), n_classes);
            assert!(n_classes >= 2);
            assert!(
                y.iter().all(|&c| c >= 0.0 && c.fract() == 0.0 && (c as usize) < n_classes),
                "class index out of range: {y:?}"
            );
        }
        TargetKind::Regression => {
            assert!(header.classes.is_none());
            assert!(y.iter().all(|v| v.is_finite()), "non-finite regression target");
        }
    }

    // `gridrun predict` reads the same file by the trained feature names: it
    // must get the same matrix (only well defined when names are unique).
    let read = gridrun::data::read_features_csv(csv, &header.feature_names);
    let mut names: Vec<&str> = header.feature_names.iter().map(String::as_str).collect();
    names.push(&header.target_name);
    names.sort_unstable();
    let unique = names.windows(2).all(|w| w[0] != w[1]);
    if unique {
        let features = read.expect("read_features_csv fails on a file prepare loaded");
        assert_eq!(features.dim(), x.dim());
        assert!(
            features.iter().zip(x.iter()).all(|(a, b)| a.to_bits() == b.to_bits()),
            "read_features_csv reads other values than the cache holds"
        );
    }
}
