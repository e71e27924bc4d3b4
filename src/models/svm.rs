//! Support vector machines from linfa-svm (SMO), with scikit-learn's SVC /
//! SVR names. linfa-svm is binary, so `svc` is one-vs-one as scikit-learn's
//! SVC: one machine per pair of classes, the class with most votes wins
//! (ties to the lowest class). Kernels: linear, rbf = exp(-gamma·|x-x'|²)
//! (linfa's eps = 1/gamma) and poly = (gamma·<x,x'> + coef0)^degree (rows
//! scaled by sqrt(gamma), since linfa's polynomial kernel has no gamma).

use super::{Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet};
use crate::params::{ParamReader, ParamValue, Params};
use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

pub struct Svc;
pub struct Svr;

const POSITIVE: ParamKind = ParamKind::Float {
    min: 0.0,
    max: f64::INFINITY,
    min_open: true,
};

const SVC_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "C",
        kind: POSITIVE,
        help: "penalty of misclassified rows",
    },
    ParamSpec {
        name: "kernel",
        kind: ParamKind::Choice(&["linear", "rbf", "poly"]),
        help: "linear, rbf (default) or poly",
    },
    ParamSpec {
        name: "gamma",
        kind: ParamKind::GammaOrChoice,
        help: "kernel coefficient: scale (1 / (n_features * var(X))), auto (1 / n_features) or a number",
    },
    ParamSpec {
        name: "degree",
        kind: ParamKind::Int { min: 1, max: 20 },
        help: "poly kernel degree",
    },
    ParamSpec {
        name: "coef0",
        kind: ParamKind::Float {
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            min_open: false,
        },
        help: "poly kernel constant",
    },
    ParamSpec {
        name: "tol",
        kind: POSITIVE,
        help: "SMO stopping tolerance",
    },
];

static SVR_PARAMS: std::sync::LazyLock<Vec<ParamSpec>> = std::sync::LazyLock::new(|| {
    SVC_PARAMS
        .iter()
        .map(|s| ParamSpec {
            name: s.name,
            kind: s.kind.clone(),
            help: s.help,
        })
        .chain([ParamSpec {
            name: "epsilon",
            kind: ParamKind::Float {
                min: 0.0,
                max: f64::INFINITY,
                min_open: false,
            },
            help: "width of the no-penalty tube",
        }])
        .collect()
});

/// The kernel as fitted: which, and the row scale for poly.
#[derive(Clone, Serialize, Deserialize)]
struct KernelChoice {
    kind: String,
    gamma: f64,
    degree: usize,
    coef0: f64,
}

impl KernelChoice {
    fn read(params: &Params, x: &Array2<f64>) -> Result<Self, String> {
        let p = ParamReader(params);
        let gamma = match p.get("gamma") {
            Some(ParamValue::Str(s)) if s == "auto" => 1.0 / x.ncols() as f64,
            Some(v @ (ParamValue::Int(_) | ParamValue::Float(_))) => v.as_f64().unwrap_or(1.0),
            _ => {
                let var = x.var(0.0);
                if var > 0.0 {
                    1.0 / (x.ncols() as f64 * var)
                } else {
                    1.0
                }
            }
        };
        Ok(KernelChoice {
            kind: p.str("kernel", "rbf")?.to_string(),
            gamma,
            degree: p.usize("degree", 3)?,
            coef0: p.float("coef0", 0.0)?,
        })
    }

    /// Rows as the kernel sees them (poly: scaled by sqrt(gamma)).
    fn prepare(&self, x: Array2<f64>) -> Array2<f64> {
        if self.kind == "poly" {
            x * self.gamma.sqrt()
        } else {
            x
        }
    }

    fn apply<L>(&self, p: linfa_svm::SvmParams<f64, L>) -> linfa_svm::SvmParams<f64, L> {
        match self.kind.as_str() {
            "linear" => p.linear_kernel(),
            "poly" => p.polynomial_kernel(self.coef0, self.degree as f64),
            _ => p.gaussian_kernel(1.0 / self.gamma),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct FittedSvc {
    kernel: KernelChoice,
    n_classes: usize,
    /// (class a, class b, machine: true = a).
    machines: Vec<(usize, usize, Svm<f64, bool>)>,
}

#[derive(Serialize, Deserialize)]
struct FittedSvr {
    kernel: KernelChoice,
    machine: Svm<f64, f64>,
}

impl Model for Svc {
    fn name(&self) -> &'static str {
        "svc"
    }

    fn summary(&self) -> &'static str {
        "linfa-svm support vector classifier, one-vs-one"
    }

    fn params(&self) -> &'static [ParamSpec] {
        SVC_PARAMS
    }

    /// RBF and polynomial kernels depend on the features' scale.
    fn wants_scaling(&self) -> bool {
        true
    }

    fn supports(&self, target: TargetKind) -> Result<(), String> {
        match target {
            TargetKind::Classification { .. } => Ok(()),
            TargetKind::Regression => Err("svc needs a class target; use svr".into()),
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        let (c, tol) = (p.float("C", 1.0)?, p.float("tol", 1e-3)?);
        let x = train.gather_x();
        let kernel = KernelChoice::read(params, &x)?;
        let x = kernel.prepare(x);
        let y = train.gather_classes();
        let n_classes = train.target.n_classes().unwrap_or(2);
        let present: Vec<usize> = (0..n_classes)
            .filter(|k| y.iter().any(|c| c == k))
            .collect();
        let mut machines = Vec::new();
        for (i, &a) in present.iter().enumerate() {
            for &b in &present[i + 1..] {
                let rows: Vec<usize> = (0..y.len()).filter(|&r| y[r] == a || y[r] == b).collect();
                let data = Dataset::new(
                    x.select(Axis(0), &rows),
                    rows.iter().map(|&r| y[r] == a).collect::<Array1<bool>>(),
                );
                let params =
                    kernel.apply(Svm::<f64, bool>::params().pos_neg_weights(c, c).eps(tol));
                let machine = params.fit(&data).map_err(|e| e.to_string())?;
                machines.push((a, b, machine));
            }
        }
        Ok(Box::new(FittedSvc {
            kernel,
            n_classes,
            machines,
        }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let model: FittedSvc = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(model))
    }
}

impl Fitted for FittedSvc {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let xs = self.kernel.prepare(x.select(Axis(0), rows));
        let mut votes = Array2::<f64>::zeros((rows.len(), self.n_classes));
        for (a, b, machine) in &self.machines {
            let said_a: Array1<bool> = machine.predict(&xs);
            for (i, &is_a) in said_a.iter().enumerate() {
                votes[[i, if is_a { *a } else { *b }]] += 1.0;
            }
        }
        if self.machines.is_empty() {
            // One class in training: it is the answer.
            votes.column_mut(0).fill(1.0);
        }
        Ok(Prediction {
            values: super::argmax_rows(&votes),
            proba: None,
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(self).ok()
    }
}

impl Model for Svr {
    fn name(&self) -> &'static str {
        "svr"
    }

    fn summary(&self) -> &'static str {
        "linfa-svm epsilon support vector regression"
    }

    fn params(&self) -> &'static [ParamSpec] {
        SVR_PARAMS.as_slice()
    }

    fn wants_scaling(&self) -> bool {
        true
    }

    fn supports(&self, target: TargetKind) -> Result<(), String> {
        match target {
            TargetKind::Regression => Ok(()),
            TargetKind::Classification { .. } => Err("svr needs a numeric target; use svc".into()),
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        let x = train.gather_x();
        let kernel = KernelChoice::read(params, &x)?;
        let data = Dataset::new(kernel.prepare(x), Array1::from(train.gather_y()));
        let params = kernel.apply(
            Svm::<f64, f64>::params()
                .c_svr(p.float("C", 1.0)?, Some(p.float("epsilon", 0.1)?))
                .eps(p.float("tol", 1e-3)?),
        );
        let machine = params.fit(&data).map_err(|e| e.to_string())?;
        Ok(Box::new(FittedSvr { kernel, machine }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let model: FittedSvr = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(model))
    }
}

impl Fitted for FittedSvr {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let xs = self.kernel.prepare(x.select(Axis(0), rows));
        let values: Array1<f64> = self.machine.predict(&xs);
        Ok(Prediction {
            values: values.to_vec(),
            proba: None,
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(self).ok()
    }
}
