//! gridrun's own histogram gradient boosting (src/estimators), with
//! scikit-learn's HistGradientBoostingClassifier / Regressor parameters.

use super::decision_tree::{task_of, FittedEstimator};
use super::{Fitted, Model, ParamKind, ParamSpec, TargetKind, TrainSet};
use crate::estimators::{
    ClassWeight, EarlyStopping, GbdtParams, GradientBoosting as Gbdt, LossChoice,
};
use crate::params::{ParamReader, ParamValue, Params};

pub struct GradientBoosting;

const POSITIVE: ParamKind = ParamKind::Float {
    min: 0.0,
    max: f64::INFINITY,
    min_open: true,
};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "loss",
        kind: ParamKind::Choice(&["log_loss", "squared_error", "absolute_error"]),
        help: "log_loss (classes; default), squared_error (regression; default), absolute_error",
    },
    ParamSpec {
        name: "learning_rate",
        kind: POSITIVE,
        help: "shrinkage of each tree's values",
    },
    ParamSpec {
        name: "max_iter",
        kind: ParamKind::Int {
            min: 1,
            max: 100_000,
        },
        help: "boosting iterations (one tree per class per iteration for more than 2 classes)",
    },
    ParamSpec {
        name: "max_leaf_nodes",
        kind: ParamKind::IntOrNone { min: 2 },
        help: "leaves per tree, grown best-first; none = unlimited",
    },
    super::spec::MAX_DEPTH,
    super::spec::MIN_SAMPLES_LEAF,
    ParamSpec {
        name: "l2_regularization",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: false,
        },
        help: "L2 penalty on leaf values",
    },
    ParamSpec {
        name: "max_features",
        kind: ParamKind::Float {
            min: 0.0,
            max: 1.0,
            min_open: true,
        },
        help: "fraction of the features drawn at each split",
    },
    ParamSpec {
        name: "max_bins",
        kind: ParamKind::Int { min: 2, max: 255 },
        help: "bins per feature (plus one for missing values)",
    },
    ParamSpec {
        name: "early_stopping",
        kind: ParamKind::AutoOrBool,
        help: "auto (on above 10,000 rows), true or false",
    },
    ParamSpec {
        name: "validation_fraction",
        kind: ParamKind::Float {
            min: 0.0,
            max: 0.99,
            min_open: true,
        },
        help: "share of the training rows held out for early stopping",
    },
    ParamSpec {
        name: "n_iter_no_change",
        kind: ParamKind::Int {
            min: 1,
            max: 100_000,
        },
        help: "iterations without improvement before stopping",
    },
    ParamSpec {
        name: "tol",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: false,
        },
        help: "smallest improvement of the validation loss that counts",
    },
    ParamSpec {
        name: "categorical_features",
        kind: ParamKind::CategoricalFeatures,
        help: "from_dtype (default): categorical columns split natively; none/false: through [preprocess] encode",
    },
    ParamSpec {
        name: "class_weight",
        kind: ParamKind::ChoiceOrNone(&["balanced"]),
        help: "balanced: weight classes by n / (k * count)",
    },
    ParamSpec {
        name: "random_state",
        kind: ParamKind::Int {
            min: 0,
            max: i64::MAX,
        },
        help: "seed (validation split, feature draws); default: derived from cv.seed and the task",
    },
];

/// Reads the parameters, with scikit-learn's defaults.
fn gbdt_params(params: &Params, train: &TrainSet) -> Result<GbdtParams, String> {
    let p = ParamReader(params);
    let regression = train.target == TargetKind::Regression;
    let loss = match p.str(
        "loss",
        if regression {
            "squared_error"
        } else {
            "log_loss"
        },
    )? {
        "squared_error" => LossChoice::SquaredError,
        "absolute_error" => LossChoice::AbsoluteError,
        _ => LossChoice::LogLoss,
    };
    let early_stopping = match p.get("early_stopping") {
        Some(ParamValue::Bool(true)) => EarlyStopping::On,
        Some(ParamValue::Bool(false)) => EarlyStopping::Off,
        _ => EarlyStopping::Auto,
    };
    let d = GbdtParams::default();
    Ok(GbdtParams {
        loss,
        learning_rate: p.float("learning_rate", d.learning_rate)?,
        max_iter: p.usize("max_iter", d.max_iter)?,
        max_leaf_nodes: match p.get("max_leaf_nodes") {
            None => d.max_leaf_nodes,
            Some(_) => p.opt_usize("max_leaf_nodes")?,
        },
        max_depth: p.opt_usize("max_depth")?,
        min_samples_leaf: p.usize("min_samples_leaf", d.min_samples_leaf)?,
        l2_regularization: p.float("l2_regularization", d.l2_regularization)?,
        max_features: p.float("max_features", d.max_features)?,
        max_bins: p.usize("max_bins", d.max_bins)?,
        early_stopping,
        validation_fraction: p.float("validation_fraction", d.validation_fraction)?,
        n_iter_no_change: p.usize("n_iter_no_change", d.n_iter_no_change)?,
        tol: p.float("tol", d.tol)?,
        class_weight: match p.get("class_weight") {
            Some(ParamValue::Str(s)) if s == "balanced" => Some(ClassWeight::Balanced),
            _ => None,
        },
        categorical: train.categorical.to_vec(),
        seed: match p.get("random_state") {
            Some(ParamValue::Int(s)) => *s as u64,
            _ => train.seed,
        },
        n_threads: train.threads,
    })
}

impl Model for GradientBoosting {
    fn name(&self) -> &'static str {
        "gradient_boosting"
    }

    fn summary(&self) -> &'static str {
        "gridrun's histogram gradient boosting (scikit-learn's HistGradientBoosting; classification and regression)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn check(&self, params: &Params, target: TargetKind) -> Result<(), (String, String)> {
        let regression = target == TargetKind::Regression;
        match params.get("loss") {
            Some(ParamValue::Str(l)) if regression && l == "log_loss" => Err((
                "loss".into(),
                "log_loss is for classes; the target is numeric: use squared_error or absolute_error".into(),
            )),
            Some(ParamValue::Str(l)) if !regression && l != "log_loss" => Err((
                "loss".into(),
                format!("{l} is for regression; the target holds classes: use log_loss"),
            )),
            _ => Ok(()),
        }
    }

    fn gives_proba(&self) -> bool {
        true
    }

    fn handles_missing(&self) -> bool {
        true
    }

    fn native_categories(&self, params: &Params) -> Option<usize> {
        match params.get("categorical_features") {
            None => {}
            Some(ParamValue::Str(s)) if s == "from_dtype" => {}
            Some(_) => return None,
        }
        match params.get("max_bins") {
            Some(ParamValue::Int(b)) => Some(*b as usize),
            _ => Some(GbdtParams::default().max_bins),
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let hyper = gbdt_params(params, train)?;
        let model = Gbdt::fit_rows(&hyper, task_of(train.target), train.x, train.y, train.rows)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(FittedEstimator(model)))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        FittedEstimator::<Gbdt>::load(json)
    }

    fn load_bytes(&self, bytes: &[u8]) -> Result<Box<dyn Fitted>, String> {
        FittedEstimator::<Gbdt>::load_bytes(bytes)
    }
}
