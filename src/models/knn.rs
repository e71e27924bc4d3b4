//! k nearest neighbours on a linfa-nn index (k-d tree, ball tree or
//! linear search), classification (vote) and regression (mean), with
//! scikit-learn's KNeighborsClassifier / Regressor names.

use super::{Fitted, Model, ParamKind, ParamSpec, Prediction, TrainSet};
use crate::params::{ParamReader, Params};
use linfa_nn::distance::{L1Dist, L2Dist};
use linfa_nn::{CommonNearestNeighbour, NearestNeighbour};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

pub struct Knn;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_neighbors",
        kind: ParamKind::Int {
            min: 1,
            max: 1_000_000,
        },
        help: "neighbours that vote (or are averaged)",
    },
    ParamSpec {
        name: "weights",
        kind: ParamKind::Choice(&["uniform", "distance"]),
        help: "uniform, or distance: each neighbour weighs 1/distance",
    },
    ParamSpec {
        name: "metric",
        kind: ParamKind::Choice(&["euclidean", "manhattan"]),
        help: "distance between rows",
    },
    ParamSpec {
        name: "algorithm",
        kind: ParamKind::Choice(&["auto", "kd_tree", "ball_tree", "brute"]),
        help: "linfa-nn index: auto = kd_tree",
    },
];

/// The training rows themselves: the index is rebuilt on them to predict.
#[derive(Serialize, Deserialize)]
struct FittedKnn {
    x: Array2<f64>,
    y: Vec<f64>,
    /// None for regression.
    n_classes: Option<usize>,
    k: usize,
    by_distance: bool,
    manhattan: bool,
    algorithm: String,
}

impl Model for Knn {
    fn name(&self) -> &'static str {
        "knn"
    }

    fn summary(&self) -> &'static str {
        "k nearest neighbours on a linfa-nn index (classification and regression)"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn gives_proba(&self) -> bool {
        true
    }

    /// Distances depend on the features' scale.
    fn wants_scaling(&self) -> bool {
        true
    }

    fn fit(&self, params: &Params, train: &TrainSet) -> Result<Box<dyn Fitted>, String> {
        let p = ParamReader(params);
        Ok(Box::new(FittedKnn {
            x: train.gather_x(),
            y: train.gather_y(),
            n_classes: train.target.n_classes(),
            k: p.usize("n_neighbors", 5)?,
            by_distance: p.str("weights", "uniform")? == "distance",
            manhattan: p.str("metric", "euclidean")? == "manhattan",
            algorithm: p.str("algorithm", "auto")?.to_string(),
        }))
    }

    fn load(&self, json: &serde_json::Value) -> Result<Box<dyn Fitted>, String> {
        let model: FittedKnn = crate::results::float_tree::from_json(json)?;
        Ok(Box::new(model))
    }
}

impl FittedKnn {
    fn distance(&self, a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
        let pairs = a.iter().zip(b);
        if self.manhattan {
            pairs.map(|(x, y)| (x - y).abs()).sum()
        } else {
            pairs.map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
        }
    }

    /// Neighbour weights as scikit-learn: 1, or 1/distance, where a
    /// neighbour at distance 0 takes all the weight.
    fn weights(&self, distances: &[f64]) -> Vec<f64> {
        if !self.by_distance {
            return vec![1.0; distances.len()];
        }
        if distances.contains(&0.0) {
            return distances.iter().map(|&d| f64::from(d == 0.0)).collect();
        }
        distances.iter().map(|d| 1.0 / d).collect()
    }
}

impl Fitted for FittedKnn {
    fn predict(&self, x: ArrayView2<f64>, rows: &[usize]) -> Result<Prediction, String> {
        if x.ncols() != self.x.ncols() {
            return Err(format!(
                "the model has {} features, the data {}",
                self.x.ncols(),
                x.ncols()
            ));
        }
        let method = match self.algorithm.as_str() {
            "ball_tree" => CommonNearestNeighbour::BallTree,
            "brute" => CommonNearestNeighbour::LinearSearch,
            _ => CommonNearestNeighbour::KdTree,
        };
        let index = if self.manhattan {
            method.from_batch(&self.x, L1Dist)
        } else {
            method.from_batch(&self.x, L2Dist)
        }
        .map_err(|e| e.to_string())?;
        let k = self.k.min(self.x.nrows());
        let width = self.n_classes.unwrap_or(1);
        let mut proba = Array2::zeros((rows.len(), width));
        let mut values = Vec::with_capacity(rows.len());
        for (i, &r) in rows.iter().enumerate() {
            let point = x.row(r);
            let found = index.k_nearest(point, k).map_err(|e| e.to_string())?;
            let distances: Vec<f64> = found
                .iter()
                .map(|(p, _)| self.distance(*p, point))
                .collect();
            let weights = self.weights(&distances);
            let total: f64 = weights.iter().sum();
            match self.n_classes {
                Some(_) => {
                    for ((_, j), w) in found.iter().zip(&weights) {
                        proba[[i, self.y[*j] as usize]] += w / total;
                    }
                    values.push(
                        super::argmax_rows(&proba.slice(ndarray::s![i..i + 1, ..]).to_owned())[0],
                    );
                }
                None => values.push(
                    found
                        .iter()
                        .zip(&weights)
                        .map(|((_, j), w)| self.y[*j] * w)
                        .sum::<f64>()
                        / total,
                ),
            }
        }
        Ok(Prediction {
            values,
            proba: self.n_classes.map(|_| proba),
        })
    }

    fn to_json(&self) -> Option<serde_json::Value> {
        crate::results::float_tree::to_json(self).ok()
    }
}
