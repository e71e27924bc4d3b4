//! linfa-logistic's multinomial logistic regression.

use super::{
    argmax_rows, widen_proba, Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet,
};
use crate::params::{ParamReader, Params};
use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::ArrayView2;

pub struct LogisticRegression;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "C",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: true,
        },
        help: "inverse L2 strength, as scikit-learn's C (linfa alpha = 1/C)",
    },
    ParamSpec {
        name: "max_iter",
        kind: ParamKind::Int {
            min: 1,
            max: 1_000_000,
        },
        help: "L-BFGS iterations",
    },
    ParamSpec {
        name: "fit_intercept",
        kind: ParamKind::Bool,
        help: "learn an intercept",
    },
    ParamSpec {
        name: "tol",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: true,
        },
        help: "gradient tolerance",
    },
];

impl Model for LogisticRegression {
    fn name(&self) -> &'static str {
        "logistic_regression"
    }

    fn summary(&self) -> &'static str {
        "linfa-logistic multinomial logistic regression (L-BFGS, L2)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn gives_proba(&self) -> bool {
        true
    }

    fn supports(&self, target: TargetKind) -> Result<(), String> {
        match target {
            TargetKind::Classification { .. } => Ok(()),
            TargetKind::Regression => Err("logistic_regression needs a class target".into()),
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        let n_classes = train.target.n_classes().unwrap_or(2);
        let hyper = MultiLogisticRegression::default()
            .alpha(1.0 / p.float("C", 1.0)?)
            .max_iterations(p.usize("max_iter", 100)? as u64)
            .with_intercept(p.bool("fit_intercept", true)?)
            .gradient_tolerance(p.float("tol", 1e-4)?);
        let x = train.gather_x();
        check_magnitude(&x, train.rows)?;
        let dataset = Dataset::new(x, train.gather_classes());
        let model = hyper.fit(&dataset).map_err(|e| e.to_string())?;
        Ok(Box::new(FittedLogistic { model, n_classes }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let n_classes = json["n_classes"].as_u64().ok_or("missing n_classes")? as usize;
        let model = serde_json::from_value(json["model"].clone()).map_err(|e| e.to_string())?;
        Ok(Box::new(FittedLogistic { model, n_classes }))
    }
}

/// Largest feature magnitude we hand to linfa-logistic. Beyond about 1e154
/// squares overflow to infinity and its L-BFGS line search never returns
/// (measured: 1e150 fits in 0.1 s, 1e160 spins forever), so such input is
/// refused, with a margin for sums over many rows and columns.
const MAX_ABS_FEATURE: f64 = 1e100;

/// A guard, not a fix of the solver: no fit may spin forever.
fn check_magnitude(x: &ndarray::Array2<f64>, rows: &[usize]) -> Result<(), String> {
    let Some(((i, column), value)) = x
        .indexed_iter()
        .find(|(_, v)| v.is_nan() || v.abs() > MAX_ABS_FEATURE)
    else {
        return Ok(());
    };
    Err(format!(
        "logistic_regression: feature column {column} holds {value:e} (data row {}); values beyond ±{MAX_ABS_FEATURE:e} overflow the solver, which then never returns: scale the features",
        rows.get(i).map_or(i, |r| r + 1)
    ))
}

struct FittedLogistic {
    model: MultiFittedLogisticRegression<f64, usize>,
    n_classes: usize,
}

impl Fitted for FittedLogistic {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let xs = x.select(ndarray::Axis(0), rows);
        let seen = self.model.classes().to_vec();
        let proba = widen_proba(
            &self.model.predict_probabilities(&xs),
            &seen,
            self.n_classes,
        );
        Ok(Prediction {
            values: argmax_rows(&proba),
            proba: Some(proba),
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({ "n_classes": self.n_classes, "model": serde_json::to_value(&self.model).ok()? }),
        )
    }
}
