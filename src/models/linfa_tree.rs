//! linfa-trees' decision tree (kept for comparison; gridrun's own
//! `decision_tree` is faster and deterministic).

use super::{Fitted, Model, ParamKind, ParamSpec, Prediction, TargetKind, TrainSet};
use crate::params::{ParamReader, Params};
use linfa::prelude::*;
use linfa_trees::{DecisionTree, SplitQuality};
use ndarray::{Array1, ArrayView2};

pub struct LinfaDecisionTree;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "criterion",
        kind: ParamKind::Choice(&["gini", "entropy"]),
        help: "split quality",
    },
    super::spec::MAX_DEPTH,
    super::spec::MIN_SAMPLES_SPLIT,
    super::spec::MIN_SAMPLES_LEAF,
    ParamSpec {
        name: "min_impurity_decrease",
        kind: ParamKind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_open: true,
        },
        help: "smallest impurity decrease for a split; linfa requires > 0 (default 1e-5, linfa's)",
    },
];

impl Model for LinfaDecisionTree {
    fn name(&self) -> &'static str {
        "linfa_decision_tree"
    }

    fn summary(&self) -> &'static str {
        "linfa-trees decision tree classifier"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn supports(&self, target: TargetKind) -> Result<(), String> {
        match target {
            TargetKind::Classification { .. } => Ok(()),
            TargetKind::Regression => {
                Err("linfa_decision_tree only classifies; use decision_tree for regression".into())
            }
        }
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        let quality = match p.str("criterion", "gini")? {
            "entropy" => SplitQuality::Entropy,
            _ => SplitQuality::Gini,
        };
        let hyper = DecisionTree::params()
            .split_quality(quality)
            .max_depth(p.opt_usize("max_depth")?)
            .min_weight_split(p.usize("min_samples_split", 2)? as f32)
            .min_weight_leaf(p.usize("min_samples_leaf", 1)? as f32)
            .min_impurity_decrease(p.float("min_impurity_decrease", 1e-5)?);
        let dataset = Dataset::new(train.gather_x(), train.gather_classes());
        let tree = hyper.fit(&dataset).map_err(|e| e.to_string())?;
        Ok(Box::new(FittedTree(tree)))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let tree = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(FittedTree(tree)))
    }
}

struct FittedTree(DecisionTree<f64, usize>);

impl Fitted for FittedTree {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        let xs = x.select(ndarray::Axis(0), rows);
        let labels: Array1<usize> = self.0.predict(&xs);
        Ok(Prediction {
            values: labels.iter().map(|&c| c as f64).collect(),
            proba: None,
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(&self.0).ok()
    }

    fn feature_importances(&self) -> Option<Vec<f64>> {
        Some(self.0.feature_importance().to_vec())
    }
}
