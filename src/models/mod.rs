//! The models gridrun can search over: one small trait, one registry.
//!
//! Adding a model is one new file implementing [`Model`] plus one line in
//! [`registry`].

mod debug;
mod decision_tree;
mod gaussian_nb;
mod gradient_boosting;
mod knn;
mod linear;
mod linfa_tree;
mod logistic;
mod logistic_solver;
mod random_forest;
mod spec;
mod svm;

pub use spec::{ParamKind, ParamSpec};

use crate::params::Params;
use ndarray::{Array2, ArrayView1, ArrayView2};

/// What the target column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TargetKind {
    /// Class indices 0..n_classes stored as f64.
    Classification {
        n_classes: usize,
    },
    Regression,
}

impl TargetKind {
    pub fn n_classes(&self) -> Option<usize> {
        match self {
            TargetKind::Classification { n_classes } => Some(*n_classes),
            TargetKind::Regression => None,
        }
    }
}

/// The rows a model trains on. `x` and `y` are the whole dataset (usually
/// memory-mapped); `rows` selects the training rows, so a model that can
/// work on indices never copies the matrix.
pub struct TrainSet<'a> {
    pub x: ArrayView2<'a, f64>,
    pub y: ArrayView1<'a, f64>,
    pub rows: &'a [usize],
    pub target: TargetKind,
    /// Seed derived from the config's seed and the task, for models with randomness.
    pub seed: u64,
    /// Threads this fit may use (its worker's share of the cores).
    pub threads: usize,
    /// Which columns of `x` hold category codes for the model to split
    /// natively (empty: none; see [`Model::native_categories`]).
    pub categorical: &'a [bool],
}

impl TrainSet<'_> {
    /// Copies the training rows into an owned matrix, for models that need one.
    pub fn gather_x(&self) -> Array2<f64> {
        self.x.select(ndarray::Axis(0), self.rows)
    }

    pub fn gather_y(&self) -> Vec<f64> {
        self.rows.iter().map(|&r| self.y[r]).collect()
    }

    pub fn gather_classes(&self) -> ndarray::Array1<usize> {
        self.rows.iter().map(|&r| self.y[r] as usize).collect()
    }
}

/// Predictions for some rows: class indices (as f64) or values, plus class
/// probabilities where the model gives them (for log loss and ROC AUC).
#[derive(Debug, Clone)]
pub struct Prediction {
    pub values: Vec<f64>,
    pub proba: Option<Array2<f64>>,
}

/// A trained model.
pub trait Fitted: Send {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String>;

    /// The model as JSON, for best_model.json and `gridrun predict`.
    fn to_json(&self) -> Option<serde_json::Value> {
        None
    }

    /// The model as bytes, for best_model.bin; [`Model::load_bytes`] reads
    /// them back. Default: its JSON (the tree models pack themselves).
    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let json = self
            .to_json()
            .ok_or("this model cannot be saved to a file")?;
        serde_json::to_vec(&json).map_err(|e| e.to_string())
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        None
    }

    /// What went wrong short of failing, like scikit-learn's
    /// ConvergenceWarning (recorded as the task's `warnings`).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A learning algorithm with named hyperparameters.
pub trait Model: Send + Sync {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn params(&self) -> &'static [ParamSpec];
    /// Err with a reason when the model cannot learn this kind of target.
    fn supports(&self, _target: TargetKind) -> Result<(), String> {
        Ok(())
    }
    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String>;

    /// Checks a setting against the target, before any task runs (e.g. a
    /// regression criterion on a class target), as (key, message).
    fn check(&self, _params: &Params, _target: TargetKind) -> Result<(), (String, String)> {
        Ok(())
    }

    /// Accepts every hyperparameter name and value (a command task's
    /// stand-in: the command checks its own arguments).
    fn accepts_any_params(&self) -> bool {
        false
    }

    /// Whether predictions carry class probabilities (needed by neg_log_loss and roc_auc).
    fn gives_proba(&self) -> bool {
        false
    }

    /// Whether the model learns from rows with missing (NaN) features; a
    /// model that cannot needs `[preprocess] impute` on data with gaps.
    fn handles_missing(&self) -> bool {
        false
    }

    /// Whether the model splits categorical columns itself with these
    /// parameters (scikit-learn's `categorical_features`): Some(the most
    /// categories a column may have), and the column reaches the model as
    /// category codes 0..n (unknown and missing: NaN) instead of through
    /// `[preprocess] encode`.
    fn native_categories(&self, _params: &Params) -> Option<usize> {
        None
    }

    /// Whether `[preprocess] scale` defaults to "standard" (linear models,
    /// whose penalty and solver depend on the features' scale).
    fn wants_scaling(&self) -> bool {
        false
    }

    /// Rebuilds a model saved by [`Fitted::to_json`].
    fn load(&self, _json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        Err(format!("{} models cannot be loaded from JSON", self.name()))
    }

    /// Rebuilds a model saved by [`Fitted::to_bytes`].
    fn load_bytes(&self, bytes: &[u8]) -> Result<Box<dyn Fitted>, String> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| format!("malformed model: {e}"))?;
        self.load(&json)
    }
}

/// Every model, by config name.
pub fn registry() -> Vec<&'static dyn Model> {
    vec![
        &decision_tree::DecisionTree,
        &random_forest::RandomForest,
        &gradient_boosting::GradientBoosting,
        &linear::LINEAR_REGRESSION,
        &linear::RIDGE,
        &linear::LASSO,
        &linear::ELASTIC_NET,
        &knn::Knn,
        &svm::Svc,
        &svm::Svr,
        &linfa_tree::LinfaDecisionTree,
        &logistic::LogisticRegression,
        &gaussian_nb::GaussianNb,
        &debug::Debug,
    ]
}

pub fn find(name: &str) -> Option<&'static dyn Model> {
    registry().into_iter().find(|m| m.name() == name)
}

/// The parameter a setting names its model kind with when a config has
/// several `[[model]]` tables (scikit-learn's `param_model` column). No
/// model has a hyperparameter of this name.
pub const KIND_PARAM: &str = "model";

/// The model kind a setting names (None: the config's one model).
pub fn kind_of(params: &Params) -> Option<&str> {
    match params.get(KIND_PARAM) {
        Some(crate::params::ParamValue::Str(kind)) => Some(kind.as_str()),
        _ => None,
    }
}

/// A setting's own model kind (None: the config's one model) and the
/// hyperparameters without it, which is what the model is given.
pub fn split_kind(params: &Params) -> (Option<&str>, Params) {
    let kind = kind_of(params);
    let mut rest = params.clone();
    if kind.is_some() {
        rest.remove(KIND_PARAM);
    }
    (kind, rest)
}

pub fn names() -> Vec<&'static str> {
    registry().iter().map(|m| m.name()).collect()
}

/// Checks a setting against the model's parameter specs: the first problem
/// as (key, message).
pub fn validate(model: &dyn Model, params: &Params) -> Result<(), (String, String)> {
    if model.accepts_any_params() {
        return Ok(());
    }
    for (key, value) in params {
        let spec = model
            .params()
            .iter()
            .find(|s| s.name == key)
            .ok_or_else(|| {
                let known: Vec<_> = model.params().iter().map(|s| s.name).collect();
                (
                    key.clone(),
                    format!(
                        "unknown hyperparameter for {} (known: {})",
                        model.name(),
                        known.join(", ")
                    ),
                )
            })?;
        spec.kind.check(value).map_err(|m| (key.clone(), m))?;
    }
    Ok(())
}

/// Turns per-class probabilities over the classes a fold saw into a matrix
/// over all classes of the dataset (a fold may miss a rare class).
pub fn widen_proba(proba: &Array2<f64>, seen: &[usize], n_classes: usize) -> Array2<f64> {
    let mut full = Array2::zeros((proba.nrows(), n_classes));
    for (j, &class) in seen.iter().enumerate() {
        full.column_mut(class).assign(&proba.column(j));
    }
    full
}

/// Index of the largest value in each row (first on ties).
pub fn argmax_rows(proba: &Array2<f64>) -> Vec<f64> {
    proba
        .rows()
        .into_iter()
        .map(|row| {
            let mut best = 0;
            for (j, &p) in row.iter().enumerate() {
                if p > row[best] {
                    best = j;
                }
            }
            best as f64
        })
        .collect()
}

#[cfg(test)]
mod saved_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamValue;

    #[test]
    fn registry_names_are_unique() {
        let mut names = names();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn validate_rejects_unknown_and_out_of_range() {
        let model = find("linfa_decision_tree").unwrap();
        let mut p = Params::new();
        p.insert("max_dept".into(), ParamValue::Int(3));
        let (key, msg) = validate(model, &p).unwrap_err();
        assert_eq!(key, "max_dept");
        assert!(msg.contains("unknown hyperparameter"), "{msg}");
        let mut p = Params::new();
        p.insert("min_samples_leaf".into(), ParamValue::Int(0));
        let (key, msg) = validate(model, &p).unwrap_err();
        assert_eq!(key, "min_samples_leaf");
        assert!(msg.contains(">= 1"), "{msg}");
    }

    #[test]
    fn widen_fills_missing_classes_with_zero() {
        let p = Array2::from_shape_vec((1, 2), vec![0.3, 0.7]).unwrap();
        let w = widen_proba(&p, &[0, 2], 3);
        assert_eq!(w.row(0).to_vec(), vec![0.3, 0.0, 0.7]);
        assert_eq!(argmax_rows(&w), vec![2.0]);
    }
}
