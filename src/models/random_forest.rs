//! gridrun's own random forest (src/estimators): features drawn at every
//! split, trees built on the worker's share of the cores.

use super::decision_tree::{check_criterion, task_of, tree_params, FittedEstimator, TREE_PARAMS};
use super::{Fitted, Model, ParamKind, ParamSpec, TargetKind, TrainSet};
use crate::estimators::{ForestParams, MaxFeatures, MaxSamples, RandomForest as Forest};
use crate::params::{ParamReader, ParamValue, Params};
use std::sync::LazyLock;

pub struct RandomForest;

const FOREST_ONLY: &[ParamSpec] = &[
    ParamSpec {
        name: "n_estimators",
        kind: ParamKind::Int {
            min: 1,
            max: 100_000,
        },
        help: "number of trees",
    },
    ParamSpec {
        name: "bootstrap",
        kind: ParamKind::Bool,
        help: "draw each tree's rows with replacement",
    },
    ParamSpec {
        name: "max_samples",
        kind: ParamKind::MaxSamples,
        help: "rows per bootstrap sample: none (all), a count or a fraction",
    },
];

static PARAMS: LazyLock<Vec<ParamSpec>> = LazyLock::new(|| {
    TREE_PARAMS
        .iter()
        .chain(FOREST_ONLY)
        .map(|s| ParamSpec {
            name: s.name,
            kind: s.kind.clone(),
            help: s.help,
        })
        .collect()
});

impl Model for RandomForest {
    fn name(&self) -> &'static str {
        "random_forest"
    }

    fn summary(&self) -> &'static str {
        "gridrun's fast deterministic random forest (classification and regression)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS.as_slice()
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
        // scikit-learn's defaults: sqrt features for classes, all for regression.
        let default_features = if train.target == TargetKind::Regression {
            MaxFeatures::All
        } else {
            MaxFeatures::Sqrt
        };
        let p = ParamReader(params);
        let hyper = ForestParams {
            tree: tree_params(params, train.target, train.seed, default_features)?,
            n_estimators: p.usize("n_estimators", 100)?,
            bootstrap: p.bool("bootstrap", true)?,
            max_samples: match p.get("max_samples") {
                Some(ParamValue::Int(n)) => Some(MaxSamples::Count(*n as usize)),
                Some(ParamValue::Float(f)) => Some(MaxSamples::Fraction(*f)),
                _ => None,
            },
            n_threads: train.threads,
        };
        let forest = Forest::fit_rows(&hyper, task_of(train.target), train.x, train.y, train.rows)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(FittedEstimator(forest)))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        FittedEstimator::<Forest>::load(json)
    }

    fn load_bytes(&self, bytes: &[u8]) -> Result<Box<dyn Fitted>, String> {
        FittedEstimator::<Forest>::load_bytes(bytes)
    }
}
