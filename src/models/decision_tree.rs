//! gridrun's own decision tree (src/estimators), with scikit-learn's
//! parameters. Also holds the parameter parsing the random forest shares.

use super::{Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet};
use crate::estimators::{
    ClassWeight, Criterion, DecisionTree as Tree, MaxFeatures, Packable, RowPredictor, Task,
    TreeParams,
};
use crate::params::{ParamReader, ParamValue, Params};
use ndarray::ArrayView2;

pub struct DecisionTree;

/// The tree parameters, shared with the random forest.
pub const TREE_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "criterion",
        kind: ParamKind::Choice(&["gini", "entropy", "log_loss", "squared_error"]),
        help: "impurity: gini, entropy/log_loss (classes), squared_error (regression)",
    },
    super::spec::MAX_DEPTH,
    super::spec::MIN_SAMPLES_SPLIT,
    super::spec::MIN_SAMPLES_LEAF,
    ParamSpec {
        name: "min_impurity_decrease",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: false,
        },
        help: "smallest weighted impurity decrease for a split",
    },
    ParamSpec {
        name: "max_features",
        kind: ParamKind::MaxFeatures,
        help: "features drawn at every split: sqrt, log2, all, a count or a fraction",
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
        help: "seed; default: derived from cv.seed and the task",
    },
];

pub fn task_of(target: TargetKind) -> Task {
    match target {
        TargetKind::Classification { n_classes } => Task::Classification { n_classes },
        TargetKind::Regression => Task::Regression,
    }
}

/// The criterion must suit the target: checked before any task runs.
pub fn check_criterion(params: &Params, target: TargetKind) -> Result<(), (String, String)> {
    let criterion = params.get("criterion");
    let regression = target == TargetKind::Regression;
    match criterion {
        Some(ParamValue::Str(c)) if regression && c != "squared_error" => Err((
            "criterion".into(),
            format!("`{c}` is for classes; the target is numeric: use squared_error"),
        )),
        Some(ParamValue::Str(c)) if !regression && c == "squared_error" => Err((
            "criterion".into(),
            "squared_error is for regression; the target holds classes: use gini or entropy".into(),
        )),
        _ => Ok(()),
    }
}

/// Reads the tree parameters, with scikit-learn's defaults.
pub fn tree_params(
    params: &Params,
    target: TargetKind,
    seed: u64,
    default_features: MaxFeatures,
) -> Result<TreeParams, String> {
    let p = ParamReader(params);
    let default_criterion = if target == TargetKind::Regression {
        "squared_error"
    } else {
        "gini"
    };
    let criterion = match p.str("criterion", default_criterion)? {
        "entropy" | "log_loss" => Criterion::Entropy,
        "squared_error" => Criterion::SquaredError,
        _ => Criterion::Gini,
    };
    let max_features = match p.get("max_features") {
        None | Some(ParamValue::None) => default_features,
        Some(ParamValue::Str(s)) if s == "sqrt" => MaxFeatures::Sqrt,
        Some(ParamValue::Str(s)) if s == "log2" => MaxFeatures::Log2,
        Some(ParamValue::Int(n)) => MaxFeatures::Count(*n as usize),
        Some(ParamValue::Float(f)) => MaxFeatures::Fraction(*f),
        Some(_) => MaxFeatures::All,
    };
    let class_weight = match p.get("class_weight") {
        Some(ParamValue::Str(s)) if s == "balanced" => Some(ClassWeight::Balanced),
        _ => None,
    };
    let seed = match p.get("random_state") {
        Some(ParamValue::Int(s)) => *s as u64,
        _ => seed,
    };
    Ok(TreeParams {
        criterion,
        max_depth: p.opt_usize("max_depth")?,
        min_samples_split: p.usize("min_samples_split", 2)?,
        min_samples_leaf: p.usize("min_samples_leaf", 1)?,
        min_impurity_decrease: p.float("min_impurity_decrease", 0.0)?,
        max_features,
        class_weight,
        seed,
    })
}

impl Model for DecisionTree {
    fn name(&self) -> &'static str {
        "decision_tree"
    }

    fn summary(&self) -> &'static str {
        "gridrun's fast deterministic decision tree (classification and regression)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        TREE_PARAMS
    }

    fn check(&self, params: &Params, target: TargetKind) -> Result<(), (String, String)> {
        check_criterion(params, target)
    }

    fn gives_proba(&self) -> bool {
        true
    }

    fn handles_missing(&self) -> bool {
        true
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let hyper = tree_params(params, train.target, train.seed, MaxFeatures::All)?;
        let tree = Tree::fit_rows(&hyper, task_of(train.target), train.x, train.y, train.rows)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(FittedEstimator(tree)))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        FittedEstimator::<Tree>::load(json)
    }

    fn load_bytes(&self, bytes: &[u8]) -> Result<Box<dyn Fitted>, String> {
        FittedEstimator::<Tree>::load_bytes(bytes)
    }
}

/// A fitted tree or forest of src/estimators, as a gridrun model.
pub struct FittedEstimator<M>(pub M);

impl<
        M: RowPredictor + Packable + serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    > FittedEstimator<M>
{
    /// Rebuilds a saved model (best_model.json).
    pub fn load(json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let model: M = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(FittedEstimator(model)))
    }

    /// Rebuilds a model saved by [`Fitted::to_bytes`] (best_model.bin).
    pub fn load_bytes(bytes: &[u8]) -> Result<Box<dyn Fitted>, String> {
        Ok(Box::new(FittedEstimator(M::from_bytes(bytes)?)))
    }
}

impl<M: RowPredictor + Packable + serde::Serialize + Send> Fitted for FittedEstimator<M> {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let (values, proba) = self.0.predict_all(x, rows);
        Ok(Prediction {
            values: values.to_vec(),
            proba,
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(&self.0).ok()
    }

    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        self.0.to_bytes()
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.0.feature_importances())
    }
}
