use super::*;
use std::path::PathBuf;

fn cv(kind: CvKind, folds: usize, shuffle: bool) -> CvSpec {
    CvSpec {
        kind,
        folds,
        repeats: 1,
        shuffle,
        seed: 42,
        test_size: 0.25,
        folds_file: None,
        test_rows: None,
        gap: 0,
        max_train_size: None,
    }
}

fn classes(counts: &[usize]) -> Vec<f64> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(c, &n)| std::iter::repeat_n(c as f64, n))
        .collect()
}

fn plan(cv: &CvSpec, y: &[f64], target: TargetKind, repeat: usize) -> FoldPlan {
    build(
        cv,
        &FoldData {
            y,
            target,
            groups: None,
        },
        repeat,
    )
    .unwrap()
}

fn test_fold(p: &FoldPlan) -> &[u32] {
    match p {
        FoldPlan::Partition { test_fold, .. } => test_fold,
        FoldPlan::Windows(_) => panic!("not a partition"),
    }
}

#[test]
fn every_row_tested_exactly_once_with_leftovers() {
    for n in [10, 11, 13, 17, 100] {
        for k in [2, 3, 5, 7] {
            let y = vec![0.0; n];
            let p = plan(&cv(CvKind::Kfold, k, true), &y, TargetKind::Regression, 0);
            let mut tested = vec![0; n];
            for f in 0..k as u32 {
                let s = p.split(f);
                assert_eq!(s.train.len() + s.test.len(), n);
                for r in s.test {
                    tested[r] += 1;
                }
            }
            assert!(tested.iter().all(|&t| t == 1), "n={n} k={k}");
            let sizes: Vec<usize> = (0..k as u32).map(|f| p.split(f).test.len()).collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }
}

#[test]
fn unshuffled_kfold_matches_sklearn_blocks() {
    let p = plan(
        &cv(CvKind::Kfold, 3, false),
        &[0.0; 7],
        TargetKind::Regression,
        0,
    );
    assert_eq!(test_fold(&p), [0, 0, 0, 1, 1, 2, 2]);
}

#[test]
fn stratified_keeps_proportions() {
    let y = classes(&[50, 30, 20]);
    let target = TargetKind::Classification { n_classes: 3 };
    let p = plan(&cv(CvKind::StratifiedKfold, 5, true), &y, target, 0);
    for f in 0..5 {
        let s = p.split(f);
        let count = |c: f64| s.test.iter().filter(|&&r| y[r] == c).count();
        assert_eq!((count(0.0), count(1.0), count(2.0)), (10, 6, 4), "fold {f}");
    }
}

#[test]
fn stratified_uneven_classes_within_one_row() {
    let y = classes(&[13, 8, 4]);
    let target = TargetKind::Classification { n_classes: 3 };
    let p = plan(&cv(CvKind::StratifiedKfold, 3, true), &y, target, 0);
    for c in 0..3 {
        let per_fold: Vec<usize> = (0..3)
            .map(|f| {
                p.split(f)
                    .test
                    .iter()
                    .filter(|&&r| y[r] == c as f64)
                    .count()
            })
            .collect();
        assert!(
            per_fold.iter().max().unwrap() - per_fold.iter().min().unwrap() <= 1,
            "{per_fold:?}"
        );
    }
}

#[test]
fn seeds_and_repeats_change_the_order_deterministically() {
    let y = vec![0.0; 50];
    let c = cv(CvKind::RepeatedKfold, 5, true);
    let a0 = plan(&c, &y, TargetKind::Regression, 0);
    assert_eq!(a0, plan(&c, &y, TargetKind::Regression, 0));
    assert_ne!(a0, plan(&c, &y, TargetKind::Regression, 1));
}

#[test]
fn holdout_keeps_test_share() {
    let y = classes(&[60, 40]);
    let target = TargetKind::Classification { n_classes: 2 };
    let p = plan(&cv(CvKind::Holdout, 1, true), &y, target, 0);
    let s = p.split(0);
    assert_eq!(s.test.len(), 25);
    assert_eq!(s.test.iter().filter(|&&r| y[r] == 1.0).count(), 10);
}

#[test]
fn predefined_renumbers_and_rejects_garbage() {
    let p = Path::new("f.txt");
    assert_eq!(
        parse_predefined(p, "3\n-1\n7\n3\n").unwrap(),
        vec![0, TRAIN_ONLY, 1, 0]
    );
    let e = parse_predefined(p, "1\nx\n").unwrap_err().to_string();
    assert_eq!(e, "f.txt:2: `x` is not an integer fold index");
}

#[test]
fn time_series_windows_train_on_earlier_rows_only() {
    let mut c = cv(CvKind::TimeSeriesSplit, 3, false);
    c.test_rows = Some(2);
    c.gap = 1;
    let p = plan(&c, &[0.0; 12], TargetKind::Regression, 0);
    assert_eq!(p.n_folds(), 3);
    let s = p.split(0);
    assert_eq!((s.train, s.test), ((0..5).collect(), vec![6, 7]));
    let s = p.split(2);
    assert_eq!((s.train, s.test), ((0..9).collect(), vec![10, 11]));
    c.test_rows = Some(4);
    c.gap = 0;
    let e = build(
        &c,
        &FoldData {
            y: &[0.0; 12],
            target: TargetKind::Regression,
            groups: None,
        },
        0,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "time_series_split leaves no training rows: 12 rows, 3 folds x test_size 4 + gap 0 = 12"
    );
}

#[test]
fn too_few_groups_for_the_folds_is_an_error() {
    let groups = GroupCodes::from_labels("site", &["a", "b", "a", "c", "b", "c", "a", "b"]);
    for kind in [CvKind::GroupKfold, CvKind::StratifiedGroupKfold] {
        let e = build(
            &cv(kind, 4, false),
            &FoldData {
                y: &[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
                target: TargetKind::Classification { n_classes: 2 },
                groups: Some(&groups),
            },
            0,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "4 folds but the group column `site` has only 3 groups (each group is tested whole, in one fold)");
    }
}

/// A case of tests/reference/folds_groups.json.
#[derive(serde::Deserialize)]
struct Case {
    name: String,
    cv: serde_json::Value,
    y: Vec<i64>,
    groups: Option<Vec<serde_json::Value>>,
    folds: Vec<RefFold>,
}

#[derive(serde::Deserialize)]
struct RefFold {
    train: Option<Vec<usize>>,
    test: Vec<usize>,
}

fn reference_cases() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/folds_groups.json");
    let text = std::fs::read_to_string(&path).expect("tests/reference/folds_groups.json");
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(doc["cases"].take()).unwrap()
}

/// The case's [cv] table as gridrun's config would resolve it.
fn spec_of(table: &serde_json::Value, n_groups: usize) -> CvSpec {
    let kind: CvKind = serde_json::from_value(table["kind"].clone()).unwrap();
    let number = |key: &str| table.get(key).and_then(serde_json::Value::as_u64);
    let mut c = cv(
        kind,
        number("folds").map_or(5, |f| f as usize),
        table.get("shuffle") == Some(&serde_json::Value::Bool(true)),
    );
    c.seed = number("seed").unwrap_or(0);
    c.test_rows = number("test_size").map(|t| t as usize);
    c.gap = number("gap").unwrap_or(0) as usize;
    c.max_train_size = number("max_train_size").map(|m| m as usize);
    if kind == CvKind::LeaveOneGroupOut {
        c.folds = n_groups;
    }
    c
}

#[test]
fn folds_equal_scikit_learn_on_every_reference_case() {
    let cases = reference_cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for case in cases {
        let labels: Option<Vec<String>> = case.groups.as_ref().map(|g| {
            g.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect()
        });
        let groups = labels.as_ref().map(|l| {
            let cells: Vec<&str> = l.iter().map(String::as_str).collect();
            GroupCodes::from_labels("g", &cells)
        });
        let spec = spec_of(&case.cv, groups.as_ref().map_or(0, |g| g.labels.len()));
        let y: Vec<f64> = case.y.iter().map(|&v| v as f64).collect();
        let n_classes = case.y.iter().max().map_or(0, |&m| m as usize + 1);
        let data = FoldData {
            y: &y,
            target: TargetKind::Classification { n_classes },
            groups: groups.as_ref(),
        };
        let plan = build(&spec, &data, 0).unwrap_or_else(|e| panic!("{}: {e:#}", case.name));
        assert_eq!(plan.n_folds(), case.folds.len(), "{}", case.name);
        for (f, expected) in case.folds.iter().enumerate() {
            let split = plan.split(f as u32);
            assert_eq!(
                split.test, expected.test,
                "{} fold {f} test rows",
                case.name
            );
            let train: Vec<usize> = match &expected.train {
                Some(train) => train.clone(),
                None => (0..y.len())
                    .filter(|r| !expected.test.contains(r))
                    .collect(),
            };
            assert_eq!(split.train, train, "{} fold {f} training rows", case.name);
        }
    }
}
