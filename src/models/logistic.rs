//! Logistic regression with scikit-learn's definition (L2, C, lbfgs,
//! binary sigmoid or multinomial softmax), solved by gridrun's own L-BFGS
//! in standardised coordinates (`logistic_solver`): linfa-logistic's
//! optimiser stopped early on raw features and said nothing.

use super::logistic_solver::{solve, Problem};
use super::{
    argmax_rows, widen_proba, Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet,
};
use crate::params::{ParamReader, Params};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

pub struct LogisticRegression;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "C",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: true,
        },
        help: "inverse L2 strength, as scikit-learn's C",
    },
    ParamSpec {
        name: "max_iter",
        kind: ParamKind::Int {
            min: 1,
            max: 1_000_000,
        },
        help: "L-BFGS iterations (default 100)",
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
        help: "largest gradient entry at convergence (default 1e-4)",
    },
];

impl Model for LogisticRegression {
    fn name(&self) -> &'static str {
        "logistic_regression"
    }

    fn summary(&self) -> &'static str {
        "logistic regression (L2, L-BFGS; binary or multinomial), scikit-learn's objective"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn gives_proba(&self) -> bool {
        true
    }

    fn wants_scaling(&self) -> bool {
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
        let labels = train.gather_classes();
        // The classes this fold's training rows have, and each row's index among them.
        let mut seen: Vec<usize> = labels.to_vec();
        seen.sort_unstable();
        seen.dedup();
        let x = train.gather_x();
        if seen.len() < 2 {
            return Ok(Box::new(FittedLogistic::constant(
                &seen,
                x.ncols(),
                n_classes,
            )));
        }
        let y: Vec<usize> = labels
            .iter()
            .map(|c| seen.binary_search(c).expect("seen holds every label"))
            .collect();
        let solution = solve(&Problem {
            x: x.view(),
            y: &y,
            n_classes: seen.len(),
            c: p.float("C", 1.0)?,
            fit_intercept: p.bool("fit_intercept", true)?,
            max_iter: p.usize("max_iter", 100)?,
            tol: p.float("tol", 1e-4)?,
        })?;
        Ok(Box::new(FittedLogistic {
            seen,
            n_classes,
            coef: solution.coef,
            intercept: solution.intercept,
            warning: solution.warning,
        }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let model: FittedLogistic = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(model))
    }
}

#[derive(Serialize, Deserialize)]
struct FittedLogistic {
    /// Class indices the model was trained on (sorted).
    seen: Vec<usize>,
    n_classes: usize,
    /// One row per output: 1 for two classes (the second's log-odds).
    coef: Array2<f64>,
    intercept: Array1<f64>,
    #[serde(skip)]
    warning: Option<String>,
}

impl FittedLogistic {
    /// A fold whose training rows hold one class predicts it.
    fn constant(seen: &[usize], n_features: usize, n_classes: usize) -> FittedLogistic {
        FittedLogistic {
            seen: seen.to_vec(),
            n_classes,
            coef: Array2::zeros((1, n_features)),
            intercept: Array1::zeros(1),
            warning: None,
        }
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let scores = x.dot(&self.coef.t()) + self.intercept.view().insert_axis(Axis(0));
        let n = x.nrows();
        match self.seen.len() {
            1 => Array2::ones((n, 1)),
            2 => {
                let mut p = Array2::zeros((n, 2));
                for (i, s) in scores.column(0).iter().enumerate() {
                    let one = 1.0 / (1.0 + (-s).exp());
                    p[[i, 0]] = 1.0 - one;
                    p[[i, 1]] = one;
                }
                p
            }
            _ => {
                let mut p = scores;
                for mut row in p.outer_iter_mut() {
                    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    row.mapv_inplace(|s| (s - max).exp());
                    let sum = row.sum();
                    row.mapv_inplace(|v| v / sum);
                }
                p
            }
        }
    }
}

impl Fitted for FittedLogistic {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let xs = x.select(Axis(0), rows);
        let proba = widen_proba(&self.probabilities(xs.view()), &self.seen, self.n_classes);
        Ok(Prediction {
            values: argmax_rows(&proba),
            proba: Some(proba),
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(self).ok()
    }

    fn warnings(&self) -> Vec<String> {
        self.warning.iter().cloned().collect()
    }
}
