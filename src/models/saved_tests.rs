//! Every model kind saved as bytes (best_model.bin's model section) and
//! loaded back predicts exactly what it predicted before saving.

use super::{registry, Fitted, Model, Prediction, TargetKind, TrainSet};
use crate::params::{ParamValue, Params};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};

/// 150 rows, 5 features: some on a 0.25 grid (thresholds exact in f32),
/// some not; three classes and a numeric target.
fn data() -> (Array2<f64>, Array1<f64>, Array1<f64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let n = 150;
    let mut x = Array2::zeros((n, 5));
    let (mut classes, mut values) = (Array1::zeros(n), Array1::zeros(n));
    for i in 0..n {
        let a = (rng.random_range(0..40) as f64) * 0.25;
        let b: f64 = rng.random_range(-3.0..3.0);
        let c: f64 = rng.random_range(0.0..1.0);
        x[[i, 0]] = a;
        x[[i, 1]] = b;
        x[[i, 2]] = c;
        x[[i, 3]] = a * 0.1 + b;
        x[[i, 4]] = (rng.random_range(0..4) as f64) - 1.5;
        classes[i] = ((a > 5.0) as u8 + (b > 0.5) as u8) as f64;
        values[i] = 2.0 * a - b + 0.3 * c;
    }
    (x, classes, values)
}

fn params_for(model: &dyn Model) -> Params {
    let mut p = Params::new();
    match model.name() {
        "random_forest" => {
            p.insert("n_estimators".into(), ParamValue::Int(12));
        }
        "gradient_boosting" => {
            p.insert("max_iter".into(), ParamValue::Int(15));
        }
        _ => {}
    }
    p
}

fn assert_same(name: &str, a: &Prediction, b: &Prediction) {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.values), bits(&b.values), "{name}: values");
    let proba = |p: &Option<Array2<f64>>| p.as_ref().map(|p| bits(p.as_slice().unwrap()));
    assert_eq!(proba(&a.proba), proba(&b.proba), "{name}: probabilities");
}

fn round_trip(model: &dyn Model, target: TargetKind, y: &Array1<f64>, x: &Array2<f64>) -> bool {
    if model.supports(target).is_err() || model.accepts_any_params() {
        return false;
    }
    let rows: Vec<usize> = (0..x.nrows()).collect();
    // Models that learn from gaps get some (their missing-value branches
    // are saved too).
    let mut x = x.clone();
    if model.handles_missing() {
        for i in (0..x.nrows()).step_by(7) {
            x[[i, 2]] = f64::NAN;
        }
    }
    let train = TrainSet {
        x: x.view(),
        y: y.view(),
        rows: &rows,
        target,
        seed: 5,
        threads: 2,
        categorical: &[],
    };
    let fitted: Box<dyn Fitted> = model
        .fit(&params_for(model), &train)
        .unwrap_or_else(|e| panic!("{}: {e}", model.name()));
    let bytes = fitted.to_bytes().unwrap();
    let loaded = model
        .load_bytes(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", model.name()));
    let before = fitted.predict(x.view(), &rows).unwrap();
    let after = loaded.predict(x.view(), &rows).unwrap();
    assert_same(model.name(), &before, &after);
    // A damaged model section is an error, never a panic or a silent model.
    let cut = &bytes[..bytes.len() / 2];
    assert!(
        model.load_bytes(cut).is_err(),
        "{}: half a model loaded",
        model.name()
    );
    true
}

#[test]
fn every_model_kind_predicts_the_same_after_saving() {
    let (x, classes, values) = data();
    let mut checked = Vec::new();
    for model in registry() {
        let class_target = TargetKind::Classification { n_classes: 3 };
        let a = round_trip(model, class_target, &classes, &x);
        let b = round_trip(model, TargetKind::Regression, &values, &x);
        if a || b {
            checked.push(model.name());
        }
    }
    for name in [
        "decision_tree",
        "random_forest",
        "gradient_boosting",
        "logistic_regression",
        "knn",
        "svc",
        "svr",
        "gaussian_nb",
        "linear_regression",
        "debug",
    ] {
        assert!(checked.contains(&name), "{name} not checked: {checked:?}");
    }
}

#[test]
fn a_packed_forest_is_a_third_of_its_json_or_less() {
    let (x, classes, _) = data();
    let model = super::find("random_forest").unwrap();
    let rows: Vec<usize> = (0..x.nrows()).collect();
    let train = TrainSet {
        x: x.view(),
        y: classes.view(),
        rows: &rows,
        target: TargetKind::Classification { n_classes: 3 },
        seed: 1,
        threads: 1,
        categorical: &[],
    };
    let fitted = model.fit(&params_for(model), &train).unwrap();
    let packed = fitted.to_bytes().unwrap().len();
    let json = serde_json::to_vec(&fitted.to_json().unwrap())
        .unwrap()
        .len();
    assert!(packed * 3 <= json, "packed {packed} bytes, JSON {json}");
}
