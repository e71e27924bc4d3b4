use super::*;
use linfa::prelude::*;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rows(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// Two Gaussian-ish blobs per class in 5 features, classes 0..k.
fn blobs(n: usize, k: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let y: Array1<f64> = (0..n).map(|i| (i % k) as f64).collect();
    let x = Array2::from_shape_fn((n, 5), |(i, j)| {
        if j < 2 {
            y[i] * 2.0 + rng.random::<f64>()
        } else {
            rng.random::<f64>()
        }
    });
    (x, y)
}

const CLS2: Task = Task::Classification { n_classes: 2 };

#[test]
fn separable_data_is_fit_perfectly() {
    let (x, y) = blobs(300, 3, 1);
    let t = DecisionTree::fit_rows(
        &TreeParams::default(),
        Task::Classification { n_classes: 3 },
        x.view(),
        y.view(),
        &rows(300),
    )
    .unwrap();
    assert_eq!(t.predict_rows(x.view(), &rows(300)), y);
}

#[test]
fn xor_needs_two_levels() {
    let x = ndarray::array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = ndarray::array![0.0, 1.0, 1.0, 0.0];
    let t =
        DecisionTree::fit_rows(&TreeParams::default(), CLS2, x.view(), y.view(), &rows(4)).unwrap();
    assert_eq!(t.predict_rows(x.view(), &rows(4)), y);
    assert_eq!(t.depth(), 2);
}

#[test]
fn max_depth_and_min_samples_leaf_hold() {
    let (x, y) = blobs(500, 4, 2);
    let task = Task::Classification { n_classes: 4 };
    let p = TreeParams {
        max_depth: Some(3),
        ..TreeParams::default()
    };
    assert!(
        DecisionTree::fit_rows(&p, task, x.view(), y.view(), &rows(500))
            .unwrap()
            .depth()
            <= 3
    );
    let p = TreeParams {
        min_samples_leaf: 40,
        ..TreeParams::default()
    };
    let t = DecisionTree::fit_rows(&p, task, x.view(), y.view(), &rows(500)).unwrap();
    // every leaf holds >= 40 training rows
    let mut per_leaf = std::collections::HashMap::new();
    for r in 0..500 {
        let leaf = t.leaf_values(x.row(r)).as_ptr() as usize;
        *per_leaf.entry(leaf).or_insert(0) += 1;
    }
    assert!(per_leaf.values().all(|&c| c >= 40), "{per_leaf:?}");
}

#[test]
fn regression_on_a_step_function() {
    let x = Array2::from_shape_fn((100, 1), |(i, _)| i as f64);
    let y: Array1<f64> = (0..100).map(|i| if i < 50 { 1.0 } else { 5.0 }).collect();
    let p = TreeParams {
        criterion: Criterion::SquaredError,
        ..TreeParams::default()
    };
    let t = DecisionTree::fit_rows(&p, Task::Regression, x.view(), y.view(), &rows(100)).unwrap();
    assert_eq!(t.predict_rows(x.view(), &rows(100)), y);
    assert_eq!(t.n_nodes(), 3);
}

#[test]
fn same_seed_same_forest_whatever_the_threads() {
    let (x, y) = blobs(400, 3, 3);
    let task = Task::Classification { n_classes: 3 };
    let p1 = ForestParams {
        n_estimators: 20,
        n_threads: 1,
        ..ForestParams::default()
    };
    let p2 = ForestParams {
        n_threads: 2,
        ..p1.clone()
    };
    let a = RandomForest::fit_rows(&p1, task, x.view(), y.view(), &rows(400)).unwrap();
    let b = RandomForest::fit_rows(&p2, task, x.view(), y.view(), &rows(400)).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(
        a.predict_proba_rows(x.view(), &rows(400)),
        b.predict_proba_rows(x.view(), &rows(400))
    );
    let mut p3 = p1.clone();
    p3.tree.seed = 99;
    let c = RandomForest::fit_rows(&p3, task, x.view(), y.view(), &rows(400)).unwrap();
    assert_ne!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&c).unwrap()
    );
}

#[test]
fn infinite_values_are_refused_before_fitting() {
    let (mut x, y) = blobs(50, 2, 4);
    x[[7, 3]] = f64::INFINITY;
    let e = DecisionTree::fit_rows(&TreeParams::default(), CLS2, x.view(), y.view(), &rows(50))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 7, column 3: the value inf is not finite (infinite values cannot be split on; a missing value is NaN)"
    );
    let e = RandomForest::fit_rows(
        &ForestParams::default(),
        CLS2,
        x.view(),
        y.view(),
        &rows(50),
    )
    .unwrap_err();
    assert!(matches!(
        e,
        FitError::NotFinite {
            row: 7,
            column: 3,
            ..
        }
    ));
}

#[test]
fn invalid_params_are_errors() {
    let (x, y) = blobs(50, 2, 5);
    for p in [
        TreeParams {
            min_samples_leaf: 0,
            ..TreeParams::default()
        },
        TreeParams {
            max_features: MaxFeatures::Count(0),
            ..TreeParams::default()
        },
        TreeParams {
            criterion: Criterion::SquaredError,
            ..TreeParams::default()
        },
    ] {
        assert!(matches!(
            DecisionTree::fit_rows(&p, CLS2, x.view(), y.view(), &rows(50)),
            Err(FitError::Params(_))
        ));
    }
}

#[test]
fn importances_sum_to_one_and_find_the_signal() {
    let (x, y) = blobs(400, 2, 6);
    let f = RandomForest::fit_rows(
        &ForestParams {
            n_estimators: 10,
            ..ForestParams::default()
        },
        CLS2,
        x.view(),
        y.view(),
        &rows(400),
    )
    .unwrap();
    let imp = f.feature_importances();
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(imp[0] + imp[1] > 0.8, "{imp:?}");
}

#[test]
fn balanced_class_weight_favours_the_rare_class() {
    // 90% class 0; a weak feature: the unweighted stump says 0 everywhere.
    let n = 200;
    let x = Array2::from_shape_fn(
        (n, 1),
        |(i, _)| if i % 10 == 0 || i % 10 == 1 { 1.0 } else { 0.0 },
    );
    let y: Array1<f64> = (0..n)
        .map(|i| if i % 10 == 0 { 1.0 } else { 0.0 })
        .collect();
    let plain = TreeParams {
        max_depth: Some(1),
        ..TreeParams::default()
    };
    let balanced = TreeParams {
        class_weight: Some(ClassWeight::Balanced),
        ..plain.clone()
    };
    let t = DecisionTree::fit_rows(&plain, CLS2, x.view(), y.view(), &rows(n)).unwrap();
    let b = DecisionTree::fit_rows(&balanced, CLS2, x.view(), y.view(), &rows(n)).unwrap();
    let ones = |m: &DecisionTree| {
        m.predict_rows(x.view(), &rows(n))
            .iter()
            .filter(|&&v| v == 1.0)
            .count()
    };
    assert_eq!(ones(&t), 0);
    assert_eq!(ones(&b), 40);
}

#[test]
fn linfa_traits_and_serde_roundtrip() {
    let (x, y) = blobs(200, 2, 7);
    let labels: Array1<usize> = y.mapv(|v| v as usize);
    let data = Dataset::new(x.clone(), labels.clone());
    let model = ForestParams {
        n_estimators: 5,
        ..ForestParams::default()
    }
    .fit(&data)
    .unwrap();
    let predicted: Array1<usize> = model.predict(&x);
    let accuracy = predicted
        .iter()
        .zip(&labels)
        .filter(|(a, b)| a == b)
        .count() as f64
        / 200.0;
    assert!(accuracy > 0.95);
    let back: RandomForest = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
    assert_eq!(back, model);
    let reg = Dataset::new(x.clone(), y.clone());
    let tree = TreeParams {
        criterion: Criterion::SquaredError,
        ..TreeParams::default()
    }
    .fit(&reg)
    .unwrap();
    let values: Array1<f64> = tree.predict(&x);
    assert_eq!(values, y);
}

#[test]
fn deep_trees_do_not_overflow_the_stack() {
    // Exponentially growing targets: each best split peels off the largest
    // point, so the tree is a chain one node per level.
    let n = 250;
    let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
    let y: Array1<f64> = (0..n).map(|i| 2f64.powi(i as i32)).collect();
    let p = TreeParams {
        criterion: Criterion::SquaredError,
        ..TreeParams::default()
    };
    let t = DecisionTree::fit_rows(&p, Task::Regression, x.view(), y.view(), &rows(n)).unwrap();
    assert!(t.depth() > 100, "depth {}", t.depth());
}

/// Class 1 exactly where feature 0 is missing: only a split that sends the
/// missing rows their own way separates the classes.
fn missing_means_class_one(n: usize) -> (Array2<f64>, Array1<f64>) {
    let y: Array1<f64> = (0..n).map(|i| (i % 2) as f64).collect();
    let x = Array2::from_shape_fn((n, 2), |(i, j)| match (j, i % 2) {
        (0, 1) => f64::NAN,
        (0, _) => (i % 7) as f64,
        _ => ((i * 31) % 11) as f64,
    });
    (x, y)
}

#[test]
fn missing_values_are_learned_as_a_direction() {
    let (x, y) = missing_means_class_one(200);
    let t = DecisionTree::fit_rows(&TreeParams::default(), CLS2, x.view(), y.view(), &rows(200))
        .unwrap();
    assert_eq!(t.predict_rows(x.view(), &rows(200)), y);
    assert_eq!(t.depth(), 1);
    let f = RandomForest::fit_rows(
        &ForestParams {
            n_estimators: 10,
            ..ForestParams::default()
        },
        CLS2,
        x.view(),
        y.view(),
        &rows(200),
    )
    .unwrap();
    assert_eq!(f.predict_rows(x.view(), &rows(200)), y);
    // The direction survives saving.
    let back: DecisionTree = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back.predict_rows(x.view(), &rows(200)), y);
}

#[test]
fn missing_rows_go_left_when_that_lowers_impurity_more() {
    // Values 0..9: class 0 below 5, class 1 from 5; missing rows are class 0,
    // so they must join the low values (the left child).
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for i in 0..100 {
        let v = (i % 10) as f64;
        xs.push(v);
        ys.push(if v < 5.0 { 0.0 } else { 1.0 });
    }
    for _ in 0..30 {
        xs.push(f64::NAN);
        ys.push(0.0);
    }
    let n = xs.len();
    let x = Array2::from_shape_vec((n, 1), xs).unwrap();
    let y = Array1::from(ys);
    let t =
        DecisionTree::fit_rows(&TreeParams::default(), CLS2, x.view(), y.view(), &rows(n)).unwrap();
    assert_eq!(t.depth(), 1);
    assert_eq!(t.predict_rows(x.view(), &rows(n)), y);
}

#[test]
fn unseen_missing_values_follow_the_larger_child() {
    // No missing value in training; 70 rows below the split, 30 above.
    let x = Array2::from_shape_fn((100, 1), |(i, _)| if i < 70 { 0.0 } else { 1.0 });
    let y: Array1<f64> = (0..100).map(|i| if i < 70 { 0.0 } else { 1.0 }).collect();
    let t = DecisionTree::fit_rows(&TreeParams::default(), CLS2, x.view(), y.view(), &rows(100))
        .unwrap();
    let nan = ndarray::array![[f64::NAN]];
    assert_eq!(t.predict_rows(nan.view(), &[0]).to_vec(), vec![0.0]);
    let y2: Array1<f64> = y.mapv(|c| 1.0 - c);
    let x2 = x.mapv(|v| 1.0 - v);
    let t2 = DecisionTree::fit_rows(
        &TreeParams::default(),
        CLS2,
        x2.view(),
        y2.view(),
        &rows(100),
    )
    .unwrap();
    // Now the 70 rows are on the right.
    assert_eq!(t2.predict_rows(nan.view(), &[0]).to_vec(), vec![1.0]);
}

/// Mean leaf values and argmax one row at a time, all trees in order: the
/// way prediction worked before it went tree by tree over blocks.
fn one_row_at_a_time(f: &RandomForest, x: ArrayView2<f64>, rows: &[usize]) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|&r| {
            let mut sum = vec![0.0; f.trees()[0].leaf_values(x.row(r)).len()];
            for tree in f.trees() {
                for (s, v) in sum.iter_mut().zip(tree.leaf_values(x.row(r))) {
                    *s += v;
                }
            }
            sum.iter().map(|s| s / f.trees().len() as f64).collect()
        })
        .collect()
}

#[test]
fn block_prediction_equals_one_row_at_a_time_bit_for_bit_on_any_threads() {
    // More rows than a block, some features missing, rows out of order.
    let (mut x, y) = blobs(5000, 4, 8);
    for i in (0..5000).step_by(7) {
        x[[i, i % 5]] = f64::NAN;
    }
    let task = Task::Classification { n_classes: 4 };
    let params = ForestParams {
        n_estimators: 7,
        max_samples: Some(MaxSamples::Fraction(0.5)),
        ..ForestParams::default()
    };
    let train: Vec<usize> = (0..5000).step_by(2).collect();
    let forest = RandomForest::fit_rows(&params, task, x.view(), y.view(), &train).unwrap();
    let test: Vec<usize> = (0..5000).rev().collect();
    let want = one_row_at_a_time(&forest, x.view(), &test);
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let (classes, proba) = pool.install(|| forest.predict_all(x.view(), &test));
        let proba = proba.unwrap();
        for (i, row) in want.iter().enumerate() {
            let got: Vec<u64> = proba.row(i).iter().map(|v| v.to_bits()).collect();
            let expected: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, expected, "row {i} on {threads} threads");
            assert_eq!(classes[i], tree::argmax(row) as f64);
        }
    }
    // Regression: the mean value, same bits.
    let reg = RandomForest::fit_rows(
        &ForestParams {
            tree: TreeParams {
                criterion: Criterion::SquaredError,
                ..TreeParams::default()
            },
            ..params
        },
        Task::Regression,
        x.view(),
        x.column(0)
            .mapv(|v| if v.is_nan() { 0.5 } else { v })
            .view(),
        &train,
    )
    .unwrap();
    let want = one_row_at_a_time(&reg, x.view(), &test);
    let got = reg.predict_rows(x.view(), &test);
    assert!(got
        .iter()
        .zip(&want)
        .all(|(g, w)| g.to_bits() == w[0].to_bits()));
}
