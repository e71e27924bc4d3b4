//! Histogram gradient boosting, with scikit-learn's
//! HistGradientBoostingClassifier / Regressor parameters and meanings:
//! trees grown leaf-wise on binned features (the forest's cut points, at
//! most 255 bins and one for missing values), histogram subtraction,
//! features spread over threads inside each tree, early stopping on a
//! held-out validation fraction. Every random draw comes from the seed and
//! every sum is taken in a fixed order, so the model is the same bit for
//! bit on any number of threads. Categorical features (codes) are split
//! natively, as scikit-learn's `categorical_features` does.

mod bins;
mod categorical;
mod grower;
mod histogram;
mod loss;
mod pack;
mod predict;
mod softmax;
mod sweep;

pub use loss::Loss;

use super::{check_inputs, class_weights, mix, ClassWeight, FitError, Task};
use bins::Bins;
use categorical::Bitset;
use grower::{tree_value, Grower, GrowerParams, Node, NUMERIC};
use ndarray::{ArrayView1, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The loss to minimise (scikit-learn's `loss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossChoice {
    /// Classification: binary or multinomial (one tree per class and iteration).
    LogLoss,
    SquaredError,
    AbsoluteError,
}

/// scikit-learn's `early_stopping`: "auto" = on above 10,000 rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EarlyStopping {
    Auto,
    On,
    Off,
}

/// scikit-learn's HistGradientBoosting parameters (plus the seed and the
/// threads this fit may use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    pub loss: LossChoice,
    pub learning_rate: f64,
    pub max_iter: usize,
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    /// Fraction of the features drawn at each split.
    pub max_features: f64,
    pub max_bins: usize,
    pub early_stopping: EarlyStopping,
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    pub tol: f64,
    pub class_weight: Option<ClassWeight>,
    /// Which features hold category codes 0..max_bins (NaN: missing), split
    /// natively; empty: none.
    pub categorical: Vec<bool>,
    pub seed: u64,
    pub n_threads: usize,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            loss: LossChoice::LogLoss,
            learning_rate: 0.1,
            max_iter: 100,
            max_leaf_nodes: Some(31),
            max_depth: None,
            min_samples_leaf: 20,
            l2_regularization: 0.0,
            max_features: 1.0,
            max_bins: 255,
            early_stopping: EarlyStopping::Auto,
            validation_fraction: 0.1,
            n_iter_no_change: 10,
            tol: 1e-7,
            class_weight: None,
            categorical: Vec::new(),
            seed: 0,
            n_threads: 1,
        }
    }
}

impl GbdtParams {
    pub fn validate(&self, task: Task) -> Result<(), FitError> {
        let bad = |m: &str| Err(FitError::Params(m.to_string()));
        match (task, self.loss) {
            (Task::Classification { .. }, LossChoice::SquaredError | LossChoice::AbsoluteError) => {
                return bad("squared_error and absolute_error are for regression; use log_loss")
            }
            (Task::Regression, LossChoice::LogLoss) => {
                return bad("log_loss is for classification; use squared_error or absolute_error")
            }
            _ => {}
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate must be > 0");
        }
        if self.max_iter < 1 {
            return bad("max_iter must be >= 1");
        }
        if self.max_leaf_nodes.is_some_and(|m| m < 2) {
            return bad("max_leaf_nodes must be >= 2 or none");
        }
        if self.max_depth == Some(0) {
            return bad("max_depth must be >= 1 or none");
        }
        if self.min_samples_leaf < 1 {
            return bad("min_samples_leaf must be >= 1");
        }
        if !(self.l2_regularization >= 0.0 && self.l2_regularization.is_finite()) {
            return bad("l2_regularization must be >= 0");
        }
        if !(self.max_features > 0.0 && self.max_features <= 1.0) {
            return bad("max_features must be in (0, 1]");
        }
        if !(2..=255).contains(&self.max_bins) {
            return bad("max_bins must be from 2 to 255");
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return bad("validation_fraction must be in (0, 1)");
        }
        if self.n_iter_no_change < 1 {
            return bad("n_iter_no_change must be >= 1");
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return bad("tol must be >= 0");
        }
        Ok(())
    }
}

/// A fitted boosting model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoosting {
    task: Task,
    loss: Loss,
    n_features: usize,
    baseline: Vec<f64>,
    /// Iteration-major: `loss.n_scores()` trees per iteration.
    trees: Vec<Vec<Node>>,
    n_iter: usize,
    /// Total split gain per feature.
    importances: Vec<f64>,
    /// Which features were split as categories.
    #[serde(default)]
    categorical: Vec<bool>,
    /// The codes that go left at each categorical node (its `categories`),
    /// unknown codes included when missing values go left.
    #[serde(default)]
    category_sets: Vec<Bitset>,
}

/// Rows of one side (training or validation) with their targets and weights.
struct Part {
    rows: Vec<usize>,
    y: Vec<f64>,
    w: Vec<f64>,
}

impl GradientBoosting {
    /// Fits on `rows` of the full data `x`, `y` (no copy of the matrix).
    pub fn fit_rows(
        params: &GbdtParams,
        task: Task,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        rows: &[usize],
    ) -> Result<Self, FitError> {
        params.validate(task)?;
        check_inputs(task, x, y, rows)?;
        if !params.categorical.is_empty() && params.categorical.len() != x.ncols() {
            return Err(FitError::Params(format!(
                "categorical marks {} features, the data has {}",
                params.categorical.len(),
                x.ncols()
            )));
        }
        let loss = match (task, params.loss) {
            (Task::Classification { n_classes }, _) if n_classes > 2 => {
                Loss::MultiLogLoss { n_classes }
            }
            (Task::Classification { .. }, _) => Loss::BinaryLogLoss,
            (Task::Regression, LossChoice::AbsoluteError) => Loss::AbsoluteError,
            (Task::Regression, _) => Loss::SquaredError,
        };
        let class_w = class_weights(task, y, rows, params.class_weight);
        let weight_of = |r: usize| class_w.as_ref().map_or(1.0, |cw| cw[y[r] as usize]);
        let early = match params.early_stopping {
            EarlyStopping::Auto => rows.len() > 10_000,
            EarlyStopping::On => true,
            EarlyStopping::Off => false,
        };
        let (train_rows, val_rows) = if early {
            validation_split(
                task,
                y,
                rows,
                params.validation_fraction,
                mix(params.seed, 3),
            )?
        } else {
            (rows.to_vec(), Vec::new())
        };
        let part = |rows: Vec<usize>| Part {
            y: rows.iter().map(|&r| y[r]).collect(),
            w: rows.iter().map(|&r| weight_of(r)).collect(),
            rows,
        };
        let (train, val) = (part(train_rows), part(val_rows));
        let mut model = GradientBoosting {
            task,
            loss,
            n_features: x.ncols(),
            baseline: loss.baseline(&train.y, &train.w),
            trees: Vec::new(),
            n_iter: 0,
            importances: vec![0.0; x.ncols()],
            categorical: (0..x.ncols())
                .map(|f| params.categorical.get(f).copied().unwrap_or(false))
                .collect(),
            category_sets: Vec::new(),
        };
        model.boost(params, x, &train, early.then_some(&val))?;
        Ok(model)
    }

    /// The boosting iterations.
    fn boost(
        &mut self,
        params: &GbdtParams,
        x: ArrayView2<f64>,
        train: &Part,
        val: Option<&Part>,
    ) -> Result<(), FitError> {
        let bins = Bins::new(x, &train.rows, params.max_bins, &self.categorical)
            .map_err(FitError::Params)?;
        let pool = thread_pool(params.n_threads)?;
        let grower_params = GrowerParams {
            max_leaf_nodes: params.max_leaf_nodes,
            max_depth: params.max_depth,
            min_samples_leaf: params.min_samples_leaf,
            l2_regularization: params.l2_regularization,
            features_per_split: ((params.max_features * x.ncols() as f64) as usize).max(1),
            learning_rate: params.learning_rate,
        };
        let (n, k) = (train.rows.len(), self.loss.n_scores());
        // Several trees per iteration (classes): one tree per thread at a
        // time, each grower on its own. One tree: its features over the
        // threads. Either way every tree has its own random stream, so the
        // model does not depend on the number of threads.
        let tree_parallel = k > 1 && pool.is_some();
        let n_growers = if tree_parallel {
            params.n_threads.min(k)
        } else {
            1
        };
        let inner_pool = if tree_parallel { None } else { pool.as_ref() };
        let mut growers: Vec<Grower> = (0..n_growers)
            .map(|_| Grower::new(&bins, &grower_params, inner_pool))
            .collect();
        let tree_seed = mix(params.seed, 2);
        let mut raw = self.repeat_baseline(n);
        let mut g = vec![0f32; n * k];
        let mut h = vec![0f32; n * k];
        let unit_hessian = self.loss.unit_hessian() && train.w.iter().all(|&w| w == 1.0);
        let mut val_raw = val.map(|v| self.repeat_baseline(v.rows.len()));
        let mut scores = Vec::new();
        if let (Some(v), Some(vr)) = (val, &val_raw) {
            scores.push(-self.loss.mean_loss(&v.y, &v.w, vr));
        }
        for iteration in 0..params.max_iter {
            self.loss
                .gradients_on(pool.as_ref(), &train.y, &train.w, &raw, &mut g, &mut h);
            let job = ClassJob {
                g: &g,
                h: (!unit_hessian).then_some(h.as_slice()),
                n,
                train,
                loss: self.loss,
                learning_rate: params.learning_rate,
                first_tree: (iteration * k) as u64,
                tree_seed,
            };
            // The classes' trees go to whichever grower is idle (the
            // model does not depend on which grows which).
            let idle = std::sync::Mutex::new(std::mem::take(&mut growers));
            let grow_class = |(c, raw_c): (usize, &mut [f64])| {
                let taken = idle.lock().expect("no grower panicked").pop();
                let mut grower =
                    taken.unwrap_or_else(|| Grower::new(&bins, &grower_params, inner_pool));
                let tree = job.grow(&mut grower, c, raw_c);
                idle.lock().expect("no grower panicked").push(grower);
                (c, tree)
            };
            let mut trees: Vec<(usize, GrownTree)> = match (&pool, tree_parallel) {
                (Some(pool), true) => {
                    pool.install(|| raw.par_chunks_mut(n).enumerate().map(grow_class).collect())
                }
                _ => raw.chunks_mut(n).enumerate().map(grow_class).collect(),
            };
            growers = idle.into_inner().expect("no grower panicked");
            trees.sort_by_key(|(c, _)| *c);
            for (c, mut tree) in trees {
                // The tree's category sets join the model's.
                let offset = self.category_sets.len() as u32;
                for node in tree.nodes.iter_mut().filter(|n| n.categories != NUMERIC) {
                    node.categories += offset;
                }
                self.category_sets.append(&mut tree.sets);
                if let (Some(v), Some(vr)) = (val, val_raw.as_mut()) {
                    let m = v.rows.len();
                    for (i, &r) in v.rows.iter().enumerate() {
                        vr[c * m + i] += tree_value(&tree.nodes, &self.category_sets, x.row(r));
                    }
                }
                for (a, b) in self.importances.iter_mut().zip(&tree.importances) {
                    *a += b;
                }
                self.trees.push(tree.nodes);
            }
            self.n_iter += 1;
            if let (Some(v), Some(vr)) = (val, &val_raw) {
                scores.push(-self.loss.mean_loss(&v.y, &v.w, vr));
                if should_stop(&scores, params.n_iter_no_change, params.tol) {
                    break;
                }
            }
        }
        Ok(())
    }

    fn repeat_baseline(&self, n: usize) -> Vec<f64> {
        self.baseline
            .iter()
            .flat_map(|&b| std::iter::repeat_n(b, n))
            .collect()
    }

    /// Number of boosting iterations run (scikit-learn's n_iter_).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn task(&self) -> Task {
        self.task
    }

    /// Which features the model splits as categories.
    pub fn categorical(&self) -> &[bool] {
        &self.categorical
    }

    /// Number of categorical splits over all trees.
    pub fn n_categorical_splits(&self) -> usize {
        self.trees
            .iter()
            .flatten()
            .filter(|n| n.feature != grower::LEAF && n.categories != NUMERIC)
            .count()
    }

    /// Total split gain per feature, normalised to sum to 1.
    pub fn feature_importances(&self) -> Vec<f64> {
        super::tree::normalised(&self.importances)
    }
}

/// One fitted tree, its category sets and its split gains per feature.
struct GrownTree {
    nodes: Vec<Node>,
    sets: Vec<Bitset>,
    importances: Vec<f64>,
}

/// What growing any class's tree of one iteration needs.
struct ClassJob<'a> {
    /// Gradients and hessians, class-major.
    g: &'a [f32],
    h: Option<&'a [f32]>,
    n: usize,
    train: &'a Part,
    loss: Loss,
    learning_rate: f64,
    /// Index of this iteration's first tree (seeds the trees' streams).
    first_tree: u64,
    tree_seed: u64,
}

impl ClassJob<'_> {
    /// Grows class `c`'s tree and adds its values to the class's raw
    /// scores `raw_c`.
    fn grow(&self, grower: &mut Grower, c: usize, raw_c: &mut [f64]) -> GrownTree {
        let n = self.n;
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.tree_seed, self.first_tree + c as u64));
        let gc = &self.g[c * n..(c + 1) * n];
        let hc = self.h.map(|h| &h[c * n..(c + 1) * n]);
        let (mut nodes, leaves) = grower.grow(gc, hc, &mut rng);
        if self.loss == Loss::AbsoluteError {
            // Leaves take the median residual (scikit-learn).
            let train = self.train;
            for leaf in &leaves {
                let mut pairs: Vec<(f64, f64)> = grower.samples[leaf.start..leaf.end]
                    .iter()
                    .map(|&s| (train.y[s as usize] - raw_c[s as usize], train.w[s as usize]))
                    .collect();
                nodes[leaf.node].value = self.learning_rate * loss::weighted_median(&mut pairs);
            }
        }
        for leaf in &leaves {
            let value = nodes[leaf.node].value;
            for &s in &grower.samples[leaf.start..leaf.end] {
                raw_c[s as usize] += value;
            }
        }
        GrownTree {
            nodes,
            sets: grower.take_sets(),
            importances: grower.take_importances(),
        }
    }
}

fn thread_pool(n_threads: usize) -> Result<Option<rayon::ThreadPool>, FitError> {
    if n_threads <= 1 {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n_threads)
        .build()
        .map(Some)
        .map_err(|e| FitError::Params(e.to_string()))
}

/// scikit-learn's rule: stop when none of the last `n` scores beats the
/// score `n` iterations before them by more than `tol`.
fn should_stop(scores: &[f64], n: usize, tol: f64) -> bool {
    if scores.len() <= n {
        return false;
    }
    let reference = scores[scores.len() - n - 1] + tol;
    !scores[scores.len() - n..].iter().any(|&s| s > reference)
}

/// Training and validation rows, shuffled from the seed; stratified by
/// class for classification (as scikit-learn's train_test_split).
fn validation_split(
    task: Task,
    y: ArrayView1<f64>,
    rows: &[usize],
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), FitError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let groups: Vec<Vec<usize>> = match task {
        Task::Classification { n_classes } => {
            let mut g = vec![Vec::new(); n_classes];
            for &r in rows {
                g[y[r] as usize].push(r);
            }
            g
        }
        Task::Regression => vec![rows.to_vec()],
    };
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for mut group in groups {
        group.shuffle(&mut rng);
        let n_val = (fraction * group.len() as f64).round() as usize;
        val.extend_from_slice(&group[..n_val]);
        train.extend_from_slice(&group[n_val..]);
    }
    if val.is_empty() || train.is_empty() {
        return Err(FitError::Params(format!(
            "early stopping needs a validation set: {} rows are too few for validation_fraction {fraction}",
            rows.len()
        )));
    }
    train.sort_unstable();
    val.sort_unstable();
    Ok((train, val))
}

/// The raw scores of one row, every tree in order: the row-by-row way
/// block prediction must agree with.
#[cfg(test)]
fn raw_scores(m: &GradientBoosting, row: ArrayView1<f64>, out: &mut [f64]) {
    out.copy_from_slice(&m.baseline);
    let k = out.len();
    for (t, tree) in m.trees.iter().enumerate() {
        out[t % k] += tree_value(tree, &m.category_sets, row);
    }
}

#[cfg(test)]
mod tests;
