//! linfa-bayes' Gaussian naive Bayes.

use super::{
    argmax_rows, widen_proba, Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet,
};
use crate::params::{ParamReader, Params};
use linfa::prelude::*;
use linfa_bayes::{GaussianNb as LinfaGaussianNb, NaiveBayes};
use ndarray::ArrayView2;

pub struct GaussianNb;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "var_smoothing",
    kind: ParamKind::Float {
        min: 0.0,
        max: f64::INFINITY,
        min_open: false,
    },
    help: "share of the largest feature variance added to every variance",
}];

impl Model for GaussianNb {
    fn name(&self) -> &'static str {
        "gaussian_nb"
    }

    fn summary(&self) -> &'static str {
        "linfa-bayes Gaussian naive Bayes"
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
            TargetKind::Regression => Err("gaussian_nb needs a class target".into()),
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let smoothing = ParamReader(params).float("var_smoothing", 1e-9)?;
        let dataset = Dataset::new(train.gather_x(), train.gather_classes());
        let model = LinfaGaussianNb::params()
            .var_smoothing(smoothing)
            .fit(&dataset)
            .map_err(|e| e.to_string())?;
        let n_classes = train.target.n_classes().unwrap_or(2);
        Ok(Box::new(FittedNb { model, n_classes }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let n_classes = json["n_classes"].as_u64().ok_or("missing n_classes")? as usize;
        let model = crate::results::float_tree::from_json(&json["model"])?;
        Ok(Box::new(FittedNb { model, n_classes }))
    }
}

struct FittedNb {
    model: LinfaGaussianNb<f64, usize>,
    n_classes: usize,
}

impl Fitted for FittedNb {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let xs = x.select(ndarray::Axis(0), rows);
        let (proba, classes) = self.model.predict_proba(xs.view());
        let seen: Vec<usize> = classes.into_iter().copied().collect();
        let proba = widen_proba(&proba, &seen, self.n_classes);
        Ok(Prediction {
            values: argmax_rows(&proba),
            proba: Some(proba),
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({ "n_classes": self.n_classes, "model": crate::results::float_tree::to_json(&self.model).ok()? }),
        )
    }
}
