//! Random forest: bootstrap samples, features drawn at every split, trees
//! averaged. Features are binned once for all trees; each tree's randomness
//! comes from its own stream, so thread count never changes the model.

use super::binning::Binned;
use super::tree::{normalised, DecisionTree, TreeParams};
use super::{check_inputs, class_weights, mix, FitError, MaxFeatures, Task};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

mod pack;
pub(super) use pack::PackedForest;

/// Rows drawn for each tree's bootstrap sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MaxSamples {
    Count(usize),
    Fraction(f64),
}

/// scikit-learn's RandomForest parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    pub tree: TreeParams,
    pub n_estimators: usize,
    pub bootstrap: bool,
    pub max_samples: Option<MaxSamples>,
    /// Threads building trees (0 or 1: the calling thread only).
    pub n_threads: usize,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            tree: TreeParams {
                max_features: MaxFeatures::Sqrt,
                ..TreeParams::default()
            },
            n_estimators: 100,
            bootstrap: true,
            max_samples: None,
            n_threads: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForest {
    task: Task,
    n_features: usize,
    trees: Vec<DecisionTree>,
}

impl RandomForest {
    /// Fits on `rows` of the full data `x`, `y` (no copy of the matrix).
    pub fn fit_rows(
        params: &ForestParams,
        task: Task,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        rows: &[usize],
    ) -> Result<Self, FitError> {
        params.tree.validate(task)?;
        if params.n_estimators == 0 {
            return Err(FitError::Params("n_estimators must be >= 1".into()));
        }
        check_inputs(task, x, y, rows)?;
        let n_draws = draws(params, rows.len())?;
        let binned = Binned::new(x, rows);
        let targets: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
        let class_w = class_weights(task, y, rows, params.tree.class_weight);
        let grow = |t: usize| {
            let seed = mix(params.tree.seed, t as u64);
            let weights = sample_weights(
                &targets,
                class_w.as_deref(),
                rows.len(),
                n_draws,
                params.bootstrap,
                seed,
            );
            DecisionTree::fit_binned(
                &params.tree,
                task,
                &binned,
                &targets,
                &weights,
                mix(seed, 1),
            )
        };
        let trees: Vec<DecisionTree> = if params.n_threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(params.n_threads)
                .build()
                .map_err(|e| FitError::Params(e.to_string()))?;
            pool.install(|| (0..params.n_estimators).into_par_iter().map(grow).collect())
        } else {
            (0..params.n_estimators).map(grow).collect()
        };
        Ok(RandomForest {
            task,
            n_features: x.ncols(),
            trees,
        })
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn task(&self) -> Task {
        self.task
    }

    pub fn trees(&self) -> &[DecisionTree] {
        &self.trees
    }

    /// Argmax of the mean class probabilities (and those), or the mean
    /// value; tree by tree over blocks of rows on the current rayon pool.
    pub fn predict_all(
        &self,
        x: ArrayView2<f64>,
        rows: &[usize],
    ) -> (Array1<f64>, Option<Array2<f64>>) {
        super::predict::predict_all(&self.trees, self.task, x, rows)
    }

    /// Argmax of the mean class probabilities, or the mean value.
    pub fn predict_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> Array1<f64> {
        self.predict_all(x, rows).0
    }

    pub fn predict_proba_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> Option<Array2<f64>> {
        self.predict_all(x, rows).1
    }

    /// Mean of the trees' normalised importances, normalised (scikit-learn).
    pub fn feature_importances(&self) -> Vec<f64> {
        let mut sum = vec![0.0; self.n_features];
        for tree in &self.trees {
            for (s, v) in sum.iter_mut().zip(normalised(tree.raw_importances())) {
                *s += v;
            }
        }
        normalised(&sum)
    }
}

/// How many rows each bootstrap sample draws.
fn draws(params: &ForestParams, n: usize) -> Result<usize, FitError> {
    match params.max_samples {
        None => Ok(n),
        Some(MaxSamples::Count(c)) if c >= 1 => Ok(c),
        Some(MaxSamples::Fraction(f)) if f > 0.0 && f <= 1.0 => {
            Ok(((f * n as f64).round() as usize).max(1))
        }
        Some(_) => Err(FitError::Params(
            "max_samples must be a count >= 1 or a fraction in (0, 1]".into(),
        )),
    }
}

/// Bootstrap counts (or all ones) times class weights, per training row.
fn sample_weights(
    targets: &[f64],
    class_w: Option<&[f64]>,
    n: usize,
    n_draws: usize,
    bootstrap: bool,
    seed: u64,
) -> Vec<f64> {
    let mut weights = vec![if bootstrap { 0.0 } else { 1.0 }; n];
    if bootstrap {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..n_draws {
            weights[rng.random_range(0..n)] += 1.0;
        }
    }
    if let Some(cw) = class_w {
        for (w, &t) in weights.iter_mut().zip(targets) {
            *w *= cw[t as usize];
        }
    }
    weights
}
