//! One decision tree, grown depth-first with an explicit stack (no
//! recursion: deep trees cannot overflow the stack).

use super::binning::Binned;
use super::node::{Node, MAX_FEATURE};
use super::{check_inputs, class_weights, ClassWeight, Criterion, FitError, MaxFeatures, Task};
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

mod grower;
mod pack;
use grower::Grower;
pub(super) use pack::PackedTree;

/// scikit-learn's DecisionTree parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    pub criterion: Criterion,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_impurity_decrease: f64,
    pub max_features: MaxFeatures,
    pub class_weight: Option<ClassWeight>,
    pub seed: u64,
}

impl Default for TreeParams {
    fn default() -> Self {
        TreeParams {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_impurity_decrease: 0.0,
            max_features: MaxFeatures::All,
            class_weight: None,
            seed: 0,
        }
    }
}

impl TreeParams {
    pub fn validate(&self, task: Task) -> Result<(), FitError> {
        let bad = |m: &str| Err(FitError::Params(m.to_string()));
        match (task, self.criterion) {
            (Task::Regression, Criterion::Gini | Criterion::Entropy) => {
                return bad("gini and entropy are for classification; use squared_error")
            }
            (Task::Classification { .. }, Criterion::SquaredError) => {
                return bad("squared_error is for regression; use gini or entropy")
            }
            _ => {}
        }
        if self.min_samples_split < 2 {
            return bad("min_samples_split must be >= 2");
        }
        if self.min_samples_leaf < 1 {
            return bad("min_samples_leaf must be >= 1");
        }
        if self.max_depth == Some(0) {
            return bad("max_depth must be >= 1 or none");
        }
        if self.min_impurity_decrease.is_nan() || self.min_impurity_decrease < 0.0 {
            return bad("min_impurity_decrease must be >= 0");
        }
        match self.max_features {
            MaxFeatures::Count(0) => bad("max_features must be >= 1"),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                bad("max_features as a fraction must be in (0, 1]")
            }
            _ => Ok(()),
        }
    }
}

/// Rows that go down a tree side by side when predicting.
const LANES: usize = 16;

/// The leaf a row reaches.
pub(super) enum Leaf<'a> {
    /// Its values, one per class (or the one value).
    Values(&'a [f64]),
    /// A leaf whose values are 1.0 for this class and +0.0 for the others.
    Pure(usize),
}

/// A fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "Compact", try_from = "Compact")]
pub struct DecisionTree {
    task: Task,
    n_features: usize,
    nodes: Vec<Node>,
    /// Class probabilities (n_classes per leaf) or one value per leaf.
    values: Vec<f64>,
    importances: Vec<f64>,
}

impl DecisionTree {
    /// Fits on `rows` of the full data `x`, `y` (no copy of the matrix).
    pub fn fit_rows(
        params: &TreeParams,
        task: Task,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        rows: &[usize],
    ) -> Result<Self, FitError> {
        params.validate(task)?;
        check_inputs(task, x, y, rows)?;
        let binned = Binned::new(x, rows);
        let targets: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
        let class_w = class_weights(task, y, rows, params.class_weight);
        let weights: Vec<f64> = targets
            .iter()
            .map(|&t| class_w.as_ref().map_or(1.0, |cw| cw[t as usize]))
            .collect();
        Ok(Self::fit_binned(
            params,
            task,
            &binned,
            &targets,
            &weights,
            params.seed,
        ))
    }

    /// Grows a tree on binned samples with per-sample weights (0 = not in
    /// this tree's sample); the forest calls this once per tree.
    pub(super) fn fit_binned(
        params: &TreeParams,
        task: Task,
        binned: &Binned<'_>,
        targets: &[f64],
        weights: &[f64],
        seed: u64,
    ) -> Self {
        Grower::new(params, task, binned, targets, weights, seed).grow()
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn task(&self) -> Task {
        self.task
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Depth of the deepest leaf (the root alone is depth 0).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(0usize, 0usize)];
        while let Some((i, d)) = stack.pop() {
            let node = self.nodes[i];
            if node.is_leaf() {
                deepest = deepest.max(d);
            } else {
                stack.push((node.left(), d + 1));
                stack.push((node.right(), d + 1));
            }
        }
        deepest
    }

    fn width(&self) -> usize {
        match self.task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 1,
        }
    }

    /// The leaf's values for one row.
    #[cfg(test)]
    pub(super) fn leaf_values(&self, row: ArrayView1<f64>) -> &[f64] {
        let start = self.leaf_start(|f| row[f]);
        &self.values[start..start + self.width()]
    }

    /// Where the values of the row's leaf start; `value(f)` is the row's
    /// feature `f`.
    #[cfg(test)]
    fn leaf_start(&self, value: impl Fn(usize) -> f64) -> usize {
        let mut node = &self.nodes[0];
        while !node.is_leaf() {
            node = &self.nodes[node.child(value(node.feature()))];
        }
        node.left()
    }

    /// Marks each leaf whose values are 1.0 for one class and +0.0 for the
    /// others (nearly every leaf of a fully grown tree): a forest then adds
    /// that 1.0 alone, without reading the leaf's values from memory, and
    /// the sums are the same bit for bit (adding +0.0 to a sum of
    /// non-negative values changes nothing).
    pub(super) fn mark_pure_leaves(&mut self) {
        if self.task == Task::Regression {
            return;
        }
        let width = self.width();
        for node in self.nodes.iter_mut().filter(|n| n.is_leaf()) {
            let values = &self.values[node.left()..node.left() + width];
            let ones: Vec<usize> = (0..width).filter(|&c| values[c] == 1.0).collect();
            let zeros = values.iter().filter(|v| v.to_bits() == 0).count();
            if let ([class], true) = (ones.as_slice(), zeros == width - 1) {
                node.set_pure_class(*class);
            }
        }
    }

    /// Calls `f(k, leaf)` for each row `k` of a block of `n_rows`
    /// rows stored one after another (`n_features` values each), in row
    /// order. Rows go down the tree [`LANES`] at a time, one level per
    /// step, so the CPU fetches their nodes from memory in parallel instead
    /// of one row's path after the other's.
    pub(super) fn visit_leaves(
        &self,
        block: &[f64],
        n_rows: usize,
        mut f: impl FnMut(usize, Leaf<'_>),
    ) {
        let (width, n_features) = (self.width(), self.n_features);
        for first in (0..n_rows).step_by(LANES) {
            let lanes = LANES.min(n_rows - first);
            let rows = &block[first * n_features..(first + lanes) * n_features];
            let mut at = [0usize; LANES];
            let mut moving = true;
            while moving {
                moving = false;
                for (lane, row) in at[..lanes]
                    .iter_mut()
                    .zip(rows.chunks_exact(n_features.max(1)))
                {
                    let node = &self.nodes[*lane];
                    if !node.is_leaf() {
                        *lane = node.child(row[node.feature()]);
                        moving = true;
                    }
                }
            }
            for (k, &node) in at[..lanes].iter().enumerate() {
                let node = &self.nodes[node];
                f(
                    first + k,
                    match node.pure_class() {
                        Some(class) => Leaf::Pure(class),
                        None => Leaf::Values(&self.values[node.left()..node.left() + width]),
                    },
                );
            }
        }
    }

    // predict_all, predict_rows and predict_proba_rows: in predict.rs, with
    // the block-by-block traversal they share with the forest.

    /// Normalised total impurity decrease per feature (sums to 1, or all 0
    /// for a single leaf).
    pub fn feature_importances(&self) -> Vec<f64> {
        normalised(&self.importances)
    }

    pub(super) fn raw_importances(&self) -> &[f64] {
        &self.importances
    }
}

/// The saved form: columns instead of node records, and each leaf's
/// non-zero values only (most leaves of a full tree are pure), which keeps
/// best_model.json several times smaller.
#[derive(Serialize, Deserialize)]
struct Compact {
    task: Task,
    n_features: usize,
    /// Split feature per node; -1 for a leaf.
    feature: Vec<i64>,
    threshold: Vec<f64>,
    /// Children per split node (for a leaf: its index among the leaves).
    left: Vec<u32>,
    right: Vec<u32>,
    /// Per node: whether missing values go left (absent in models saved
    /// before missing values were supported: all right).
    #[serde(default)]
    missing_left: Vec<bool>,
    /// Per leaf: (class or 0, value) pairs that are not zero.
    leaves: Vec<Vec<(u32, f64)>>,
    importances: Vec<f64>,
}

impl From<DecisionTree> for Compact {
    fn from(t: DecisionTree) -> Compact {
        let width = t.width();
        let mut c = Compact {
            task: t.task,
            n_features: t.n_features,
            feature: vec![],
            threshold: vec![],
            left: vec![],
            right: vec![],
            missing_left: t.nodes.iter().map(|n| n.missing_left()).collect(),
            leaves: vec![],
            importances: t.importances.clone(),
        };
        for node in &t.nodes {
            if node.is_leaf() {
                let start = node.left();
                let values = &t.values[start..start + width];
                c.feature.push(-1);
                c.threshold.push(0.0);
                c.left.push(c.leaves.len() as u32);
                c.right.push(0);
                c.leaves.push(
                    values
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| **v != 0.0)
                        .map(|(i, v)| (i as u32, *v))
                        .collect(),
                );
            } else {
                c.feature.push(node.feature() as i64);
                c.threshold.push(node.threshold());
                c.left.push(node.left() as u32);
                c.right.push(node.right() as u32);
            }
        }
        c
    }
}

impl TryFrom<Compact> for DecisionTree {
    type Error = String;
    fn try_from(c: Compact) -> Result<DecisionTree, String> {
        let n = c.feature.len();
        if [c.threshold.len(), c.left.len(), c.right.len()]
            .iter()
            .any(|&l| l != n)
            || n == 0
        {
            return Err("tree columns differ in length".into());
        }
        let mut t = DecisionTree {
            task: c.task,
            n_features: c.n_features,
            nodes: Vec::with_capacity(n),
            values: Vec::new(),
            importances: c.importances,
        };
        let width = t.width();
        for i in 0..n {
            if c.feature[i] < 0 {
                let leaf = c
                    .leaves
                    .get(c.left[i] as usize)
                    .ok_or("leaf index out of range")?;
                let start = t.values.len();
                t.values.resize(start + width, 0.0);
                for &(k, v) in leaf {
                    *t.values
                        .get_mut(start + k as usize)
                        .ok_or("leaf value out of range")? = v;
                }
                t.nodes.push(Node::leaf(start));
            } else {
                let (f, l, r) = (
                    c.feature[i] as usize,
                    c.left[i] as usize,
                    c.right[i] as usize,
                );
                // Children come in pairs (right = left + 1), as grown.
                if f >= c.n_features || f > MAX_FEATURE || r >= n || l <= i || r != l + 1 {
                    return Err(format!("node {i} is malformed"));
                }
                t.nodes.push(Node::split(
                    f,
                    c.threshold[i],
                    c.missing_left.get(i).copied().unwrap_or(false),
                    l,
                ));
            }
        }
        t.mark_pure_leaves();
        Ok(t)
    }
}

pub(super) fn normalised(v: &[f64]) -> Vec<f64> {
    let total: f64 = v.iter().sum();
    if total > 0.0 {
        v.iter().map(|x| x / total).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// First index of the largest value (scikit-learn's argmax).
pub(super) fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests;
