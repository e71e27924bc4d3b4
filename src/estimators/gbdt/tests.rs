use super::*;
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use rand::Rng;

fn all(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// Classes from a noisy linear score over 6 features; 2 are noise.
fn data(n: usize, k: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 6), |_| rng.random::<f64>() * 2.0 - 1.0);
    let y = x
        .rows()
        .into_iter()
        .map(|r| {
            let s = r[0] + 0.5 * r[1] - r[2] * r[3] + 0.3 * rng.random::<f64>();
            ((s + 1.5) / 3.0 * k as f64)
                .clamp(0.0, k as f64 - 1.0)
                .floor()
        })
        .collect();
    (x, y)
}

fn accuracy(m: &GradientBoosting, x: &Array2<f64>, y: &Array1<f64>, rows: &[usize]) -> f64 {
    let p = m.predict_rows(x.view(), rows);
    rows.iter().zip(p).filter(|(&r, p)| y[r] == *p).count() as f64 / rows.len() as f64
}

fn leaves(tree: &[Node]) -> usize {
    tree.iter().filter(|n| n.feature == grower::LEAF).count()
}

#[test]
fn multiclass_learns_and_generalises() {
    let (x, y) = data(3000, 4, 1);
    let train: Vec<usize> = (0..2400).collect();
    let test: Vec<usize> = (2400..3000).collect();
    let task = Task::Classification { n_classes: 4 };
    let m = GradientBoosting::fit_rows(&GbdtParams::default(), task, x.view(), y.view(), &train)
        .unwrap();
    assert_eq!(m.trees.len(), 4 * 100);
    assert!(m.trees.iter().all(|t| leaves(t) <= 31));
    let acc = accuracy(&m, &x, &y, &test);
    assert!(acc > 0.8, "{acc}");
    let proba = m.predict_proba_rows(x.view(), &test).unwrap();
    assert!(proba
        .rows()
        .into_iter()
        .all(|r| (r.sum() - 1.0).abs() < 1e-9));
}

#[test]
fn binary_and_class_weight() {
    let (x, y) = data(1000, 2, 2);
    let task = Task::Classification { n_classes: 2 };
    let p = GbdtParams {
        class_weight: Some(ClassWeight::Balanced),
        ..GbdtParams::default()
    };
    let m = GradientBoosting::fit_rows(&p, task, x.view(), y.view(), &all(1000)).unwrap();
    assert_eq!(m.trees.len(), 100);
    assert!(accuracy(&m, &x, &y, &all(1000)) > 0.9);
}

#[test]
fn regression_losses() {
    let (x, _) = data(2000, 2, 3);
    let y: Array1<f64> = x
        .rows()
        .into_iter()
        .map(|r| 3.0 * r[0] + r[1] * r[1])
        .collect();
    for loss in [LossChoice::SquaredError, LossChoice::AbsoluteError] {
        let p = GbdtParams {
            loss,
            ..GbdtParams::default()
        };
        let m = GradientBoosting::fit_rows(&p, Task::Regression, x.view(), y.view(), &all(1600))
            .unwrap();
        let pred = m.predict_rows(x.view(), &(1600..2000).collect::<Vec<_>>());
        let truth = y.slice(ndarray::s![1600..]);
        let mse = (&pred - &truth).mapv(|d| d * d).mean().unwrap();
        let var = truth.var(0.0);
        assert!(1.0 - mse / var > 0.95, "{loss:?}: r2 {}", 1.0 - mse / var);
    }
}

#[test]
fn same_model_on_any_number_of_threads() {
    let (x, y) = data(4000, 3, 4);
    let task = Task::Classification { n_classes: 3 };
    let fit = |threads| {
        let p = GbdtParams {
            max_iter: 20,
            max_features: 0.5,
            n_threads: threads,
            seed: 7,
            ..GbdtParams::default()
        };
        serde_json::to_string(
            &GradientBoosting::fit_rows(&p, task, x.view(), y.view(), &all(4000)).unwrap(),
        )
        .unwrap()
    };
    let one = fit(1);
    assert_eq!(one, fit(2));
    assert_eq!(one, fit(3));
}

/// One tree per iteration: its features are spread over the threads;
/// features 4 and 5 are categories (30 levels, some missing) split natively.
#[test]
fn same_binary_model_on_any_number_of_threads() {
    let (mut x, y) = data(3000, 2, 5);
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        row[4] = ((row[0] + 1.0) * 15.0).floor();
        row[5] = if i % 17 == 0 {
            f64::NAN
        } else {
            (i % 30) as f64
        };
    }
    let task = Task::Classification { n_classes: 2 };
    let fit = |threads| {
        let p = GbdtParams {
            max_iter: 20,
            max_features: 0.5,
            n_threads: threads,
            seed: 3,
            categorical: vec![false, false, false, false, true, true],
            ..GbdtParams::default()
        };
        let m = GradientBoosting::fit_rows(&p, task, x.view(), y.view(), &all(3000)).unwrap();
        assert!(m.n_categorical_splits() > 0);
        assert_eq!(GradientBoosting::unpack(&m.pack().unwrap()).unwrap(), m);
        serde_json::to_string(
            &GradientBoosting::fit_rows(&p, task, x.view(), y.view(), &all(3000)).unwrap(),
        )
        .unwrap()
    };
    let one = fit(1);
    assert_eq!(one, fit(2));
    assert_eq!(one, fit(3));
}

#[test]
fn max_depth_and_min_samples_leaf_hold() {
    let (x, y) = data(1000, 2, 5);
    let p = GbdtParams {
        max_depth: Some(2),
        max_leaf_nodes: None,
        max_iter: 5,
        ..GbdtParams::default()
    };
    let m = GradientBoosting::fit_rows(
        &p,
        Task::Classification { n_classes: 2 },
        x.view(),
        y.view(),
        &all(1000),
    )
    .unwrap();
    assert!(m.trees.iter().all(|t| leaves(t) <= 4));
    assert!(m.trees.iter().any(|t| leaves(t) == 4));
    let p = GbdtParams {
        min_samples_leaf: 300,
        max_iter: 3,
        ..GbdtParams::default()
    };
    let m = GradientBoosting::fit_rows(
        &p,
        Task::Classification { n_classes: 2 },
        x.view(),
        y.view(),
        &all(1000),
    )
    .unwrap();
    assert!(m.trees.iter().all(|t| leaves(t) <= 3));
}

#[test]
fn missing_values_take_the_learned_side() {
    // Class 1 exactly where feature 0 is missing.
    let n = 600;
    let y: Array1<f64> = (0..n).map(|i| (i % 2) as f64).collect();
    let x = Array2::from_shape_fn((n, 2), |(i, j)| match (j, i % 2) {
        (0, 1) => f64::NAN,
        (0, _) => (i % 13) as f64,
        _ => (i % 5) as f64,
    });
    let p = GbdtParams {
        max_iter: 10,
        ..GbdtParams::default()
    };
    let m = GradientBoosting::fit_rows(
        &p,
        Task::Classification { n_classes: 2 },
        x.view(),
        y.view(),
        &all(n),
    )
    .unwrap();
    assert_eq!(m.predict_rows(x.view(), &all(n)), y);
    // Unseen missing values of feature 1 follow the larger child: no panic,
    // a valid class.
    let probe = ndarray::array![[f64::NAN, f64::NAN], [3.0, f64::NAN]];
    assert_eq!(
        m.predict_rows(probe.view(), &[0, 1]).to_vec(),
        vec![1.0, 0.0]
    );
}

#[test]
fn early_stopping_stops_on_noise() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = Array2::from_shape_fn((2000, 4), |_| rng.random::<f64>());
    let y: Array1<f64> = (0..2000).map(|_| f64::from(rng.random::<bool>())).collect();
    let task = Task::Classification { n_classes: 2 };
    let on = GbdtParams {
        early_stopping: EarlyStopping::On,
        max_iter: 200,
        ..GbdtParams::default()
    };
    let m = GradientBoosting::fit_rows(&on, task, x.view(), y.view(), &all(2000)).unwrap();
    assert!(m.n_iter() < 50, "{}", m.n_iter());
    // "auto" is off at 2,000 rows.
    let auto = GbdtParams {
        max_iter: 30,
        ..GbdtParams::default()
    };
    let m = GradientBoosting::fit_rows(&auto, task, x.view(), y.view(), &all(2000)).unwrap();
    assert_eq!(m.n_iter(), 30);
}

#[test]
fn should_stop_follows_scikit_learn() {
    assert!(!should_stop(&[1.0, 2.0], 2, 0.0));
    assert!(should_stop(&[1.0, 1.0, 1.0], 2, 0.0));
    assert!(!should_stop(&[1.0, 1.0, 1.5], 2, 0.0));
    assert!(should_stop(&[1.0, 1.0, 1.5], 2, 0.6));
}

#[test]
fn bad_params_and_targets_are_refused() {
    let (x, y) = data(100, 2, 6);
    let cls = Task::Classification { n_classes: 2 };
    for p in [
        GbdtParams {
            loss: LossChoice::SquaredError,
            ..GbdtParams::default()
        },
        GbdtParams {
            max_bins: 256,
            ..GbdtParams::default()
        },
        GbdtParams {
            max_leaf_nodes: Some(1),
            ..GbdtParams::default()
        },
        GbdtParams {
            learning_rate: 0.0,
            ..GbdtParams::default()
        },
    ] {
        assert!(matches!(
            GradientBoosting::fit_rows(&p, cls, x.view(), y.view(), &all(100)),
            Err(FitError::Params(_))
        ));
    }
    let mut inf = x.clone();
    inf[[3, 1]] = f64::NEG_INFINITY;
    assert!(GradientBoosting::fit_rows(
        &GbdtParams::default(),
        cls,
        inf.view(),
        y.view(),
        &all(100)
    )
    .is_err());
}

#[test]
fn linfa_fit_predict_and_serde() {
    let (x, y) = data(500, 3, 8);
    let ds = Dataset::new(x.clone(), y.mapv(|c| c as usize));
    let m = GbdtParams {
        max_iter: 20,
        ..GbdtParams::default()
    }
    .fit(&ds)
    .unwrap();
    let pred: Array1<usize> = m.predict(&x);
    assert!(
        pred.iter()
            .zip(&y)
            .filter(|(p, t)| **p as f64 == **t)
            .count()
            > 400
    );
    let back: GradientBoosting = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);
    let reg = Dataset::new(x.clone(), x.column(0).to_owned());
    let r = GbdtParams {
        loss: LossChoice::SquaredError,
        max_iter: 20,
        ..GbdtParams::default()
    }
    .fit(&reg)
    .unwrap();
    let pred: Array1<f64> = r.predict(&x);
    assert!((&pred - &x.column(0)).mapv(f64::abs).mean().unwrap() < 0.1);
}

/// A model saved before categorical splits (format 1: untagged postcard of
/// the fields without the category sets) still loads and predicts alike.
#[test]
fn format_1_models_still_load() {
    #[derive(Serialize)]
    struct NodeV1 {
        feature: u32,
        threshold: f64,
        left: u32,
        right: u32,
        missing_left: bool,
        value: f64,
    }
    let (x, y) = data(500, 2, 9);
    let p = GbdtParams {
        max_iter: 5,
        ..GbdtParams::default()
    };
    let task = Task::Classification { n_classes: 2 };
    let m = GradientBoosting::fit_rows(&p, task, x.view(), y.view(), &all(500)).unwrap();
    let trees: Vec<Vec<NodeV1>> = m
        .trees
        .iter()
        .map(|t| {
            t.iter()
                .map(|n| NodeV1 {
                    feature: n.feature,
                    threshold: n.threshold,
                    left: n.left,
                    right: n.right,
                    missing_left: n.missing_left,
                    value: n.value,
                })
                .collect()
        })
        .collect();
    let old = postcard::to_stdvec(&(
        m.task,
        m.loss,
        m.n_features,
        &m.baseline,
        trees,
        m.n_iter,
        &m.importances,
    ))
    .unwrap();
    let loaded = GradientBoosting::unpack(&old).unwrap();
    assert_eq!(loaded, m);
    let mut future = b"GBDT".to_vec();
    future.push(9);
    let err = GradientBoosting::unpack(&future).unwrap_err();
    assert!(err.contains("format 9 is newer"), "{err}");
}

/// A shipped CSV of numbers: its features and its last column.
fn shipped(name: &str) -> (Array2<f64>, Array1<f64>) {
    let path = format!("{}/datasets/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    let width = rows[0].len() - 1;
    let x = Array2::from_shape_fn((rows.len(), width), |(i, j)| rows[i][j]);
    let y = rows.iter().map(|r| r[width]).collect();
    (x, y)
}

/// Block-by-block, tree-by-tree prediction gives the same bits as one row
/// walking every tree (scores, probabilities, classes), on 1 and 3 threads,
/// with missing values, rows out of order and more rows than a block.
#[test]
fn block_prediction_equals_row_by_row_bit_for_bit() {
    let (mut x, y) = shipped("synthetic_10k.csv");
    let width = x.ncols();
    for i in (0..x.nrows()).step_by(11) {
        x[[i, i % width]] = f64::NAN;
    }
    let p = GbdtParams {
        max_iter: 15,
        ..GbdtParams::default()
    };
    let task = Task::Classification { n_classes: 10 };
    let train: Vec<usize> = (0..x.nrows()).step_by(5).collect();
    let m = GradientBoosting::fit_rows(&p, task, x.view(), y.view(), &train).unwrap();
    let test: Vec<usize> = (0..x.nrows()).rev().collect();
    let mut raw = vec![0.0; 10];
    let mut want = vec![0.0; 10];
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (classes, proba) = pool.install(|| m.predict_all(x.view(), &test));
        let proba = proba.unwrap();
        for (i, &r) in test.iter().enumerate() {
            raw_scores(&m, x.row(r), &mut raw);
            m.loss.proba(&raw, &mut want);
            let got: Vec<u64> = proba.row(i).iter().map(|v| v.to_bits()).collect();
            let expected: Vec<u64> = want.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, expected, "row {r} on {threads} threads");
            assert_eq!(classes[i], crate::estimators::tree::argmax(&want) as f64);
        }
    }
    let (x, y) = shipped("regression_1k.csv");
    let p = GbdtParams {
        loss: LossChoice::SquaredError,
        max_iter: 15,
        ..GbdtParams::default()
    };
    let m =
        GradientBoosting::fit_rows(&p, Task::Regression, x.view(), y.view(), &all(800)).unwrap();
    let test: Vec<usize> = (0..1000).rev().collect();
    let got = m.predict_rows(x.view(), &test);
    let mut raw = vec![0.0; 1];
    for (g, &r) in got.iter().zip(&test) {
        raw_scores(&m, x.row(r), &mut raw);
        assert_eq!(g.to_bits(), raw[0].to_bits(), "row {r}");
    }
}
