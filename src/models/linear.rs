//! Linear regression models from linfa, with scikit-learn's names:
//! `linear_regression` (linfa-linear, least squares), `ridge`, `lasso` and
//! `elastic_net` (linfa-elasticnet, coordinate descent). linfa-elasticnet
//! minimises 1/(2n)·|y - Xw|² + penalty·(l1_ratio·|w|₁ + (1 - l1_ratio)/2·|w|²),
//! which is scikit-learn's ElasticNet / Lasso objective with penalty = alpha;
//! scikit-learn's Ridge has no 1/(2n) (|y - Xw|² + alpha·|w|²), so ridge
//! passes penalty = alpha / n_samples to get the same solution.

use super::{Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet};
use crate::params::{ParamReader, Params};
use linfa::prelude::*;
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    LinearRegression,
    Ridge,
    Lasso,
    ElasticNet,
}

pub struct Linear(Kind);

pub const LINEAR_REGRESSION: Linear = Linear(Kind::LinearRegression);
pub const RIDGE: Linear = Linear(Kind::Ridge);
pub const LASSO: Linear = Linear(Kind::Lasso);
pub const ELASTIC_NET: Linear = Linear(Kind::ElasticNet);

const FIT_INTERCEPT: ParamSpec = ParamSpec {
    name: "fit_intercept",
    kind: ParamKind::Bool,
    help: "learn an intercept",
};
const ALPHA: ParamSpec = ParamSpec {
    name: "alpha",
    kind: ParamKind::Float {
        min: 0.0,
        max: f64::INFINITY,
        min_open: true,
    },
    help: "regularisation strength (scikit-learn's alpha)",
};
const L1_RATIO: ParamSpec = ParamSpec {
    name: "l1_ratio",
    kind: ParamKind::Float {
        min: 0.0,
        max: 1.0,
        min_open: false,
    },
    help: "share of L1 in the penalty (1 = lasso, 0 = ridge)",
};
const MAX_ITER: ParamSpec = ParamSpec {
    name: "max_iter",
    kind: ParamKind::Int {
        min: 1,
        max: 10_000_000,
    },
    help: "coordinate descent iterations",
};
const TOL: ParamSpec = ParamSpec {
    name: "tol",
    kind: ParamKind::Float {
        min: 0.0,
        max: f64::INFINITY,
        min_open: true,
    },
    help: "coordinate descent tolerance",
};

const OLS_PARAMS: &[ParamSpec] = &[FIT_INTERCEPT];
const PENALISED_PARAMS: &[ParamSpec] = &[ALPHA, FIT_INTERCEPT, MAX_ITER, TOL];
const NET_PARAMS: &[ParamSpec] = &[ALPHA, L1_RATIO, FIT_INTERCEPT, MAX_ITER, TOL];

/// The fitted hyperplane, saved in this form whatever the solver.
#[derive(Serialize, Deserialize)]
struct FittedLinear {
    coef: Vec<f64>,
    intercept: f64,
}

impl Model for Linear {
    fn name(&self) -> &'static str {
        match self.0 {
            Kind::LinearRegression => "linear_regression",
            Kind::Ridge => "ridge",
            Kind::Lasso => "lasso",
            Kind::ElasticNet => "elastic_net",
        }
    }

    fn summary(&self) -> &'static str {
        match self.0 {
            Kind::LinearRegression => "linfa-linear ordinary least squares",
            Kind::Ridge => "linfa-elasticnet with l1_ratio 0 (scikit-learn's Ridge objective)",
            Kind::Lasso => "linfa-elasticnet with l1_ratio 1 (coordinate descent)",
            Kind::ElasticNet => "linfa-elasticnet (coordinate descent)",
        }
    }

    fn params(&self) -> &'static [ParamSpec] {
        match self.0 {
            Kind::LinearRegression => OLS_PARAMS,
            Kind::ElasticNet => NET_PARAMS,
            _ => PENALISED_PARAMS,
        }
    }

    /// The penalty depends on the features' scale; least squares does not
    /// (scikit-learn users scale ridge / lasso / elastic net, not OLS).
    fn wants_scaling(&self) -> bool {
        self.0 != Kind::LinearRegression
    }

    fn supports(&self, target: TargetKind) -> Result<(), String> {
        match target {
            TargetKind::Regression => Ok(()),
            TargetKind::Classification { .. } => Err(format!(
                "{} is a regression model; the target holds classes",
                self.name()
            )),
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        let intercept = p.bool("fit_intercept", true)?;
        let data = Dataset::new(train.gather_x(), Array1::from(train.gather_y()));
        let (coef, b) = if self.0 == Kind::LinearRegression {
            let m = linfa_linear::LinearRegression::new()
                .with_intercept(intercept)
                .fit(&data)
                .map_err(|e| e.to_string())?;
            (m.params().to_vec(), m.intercept())
        } else {
            let alpha = p.float("alpha", 1.0)?;
            let (penalty, l1_ratio) = match self.0 {
                Kind::Ridge => (alpha / train.rows.len() as f64, 0.0),
                Kind::Lasso => (alpha, 1.0),
                _ => (alpha, p.float("l1_ratio", 0.5)?),
            };
            let m = linfa_elasticnet::ElasticNet::params()
                .penalty(penalty)
                .l1_ratio(l1_ratio)
                .with_intercept(intercept)
                .max_iterations(p.usize("max_iter", 1000)? as u32)
                .tolerance(p.float("tol", 1e-4)?)
                .fit(&data)
                .map_err(|e| e.to_string())?;
            (m.hyperplane().to_vec(), m.intercept())
        };
        Ok(Box::new(FittedLinear { coef, intercept: b }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let model: FittedLinear = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(model))
    }
}

impl Fitted for FittedLinear {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        if x.ncols() != self.coef.len() {
            return Err(format!(
                "the model has {} features, the data {}",
                self.coef.len(),
                x.ncols()
            ));
        }
        let values = rows
            .iter()
            .map(|&r| {
                x.row(r)
                    .iter()
                    .zip(&self.coef)
                    .map(|(v, c)| v * c)
                    .sum::<f64>()
                    + self.intercept
            })
            .collect();
        Ok(Prediction {
            values,
            proba: None,
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(self).ok()
    }
}
