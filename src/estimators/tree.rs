//! One decision tree, grown depth-first with an explicit stack (no
//! recursion: deep trees cannot overflow the stack).

use super::binning::Binned;
use super::node::{Node, MAX_FEATURE};
use super::split::Side;
use super::{check_inputs, class_weights, ClassWeight, Criterion, FitError, MaxFeatures, Task};
use ndarray::{ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

mod pack;
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

    /// Calls `f(k, leaf values)` for each row `k` of a block of `n_rows`
    /// rows stored one after another (`n_features` values each), in row
    /// order. Rows go down the tree [`LANES`] at a time, one level per
    /// step, so the CPU fetches their nodes from memory in parallel instead
    /// of one row's path after the other's.
    pub(super) fn visit_leaves(
        &self,
        block: &[f64],
        n_rows: usize,
        mut f: impl FnMut(usize, &[f64]),
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
                let start = self.nodes[node].left();
                f(first + k, &self.values[start..start + width]);
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

/// The best split found so far at a node.
struct Best {
    proxy: f64,
    feature: usize,
    /// Highest bin on the left.
    bin: u16,
    /// Whether the node's missing rows go left.
    missing_left: bool,
}

/// Grows one tree. All scratch buffers live here and are reused by every
/// node: no allocation per node in the hot loop.
struct Grower<'a, 'd> {
    params: &'a TreeParams,
    task: Task,
    criterion: Criterion,
    binned: &'a Binned<'d>,
    targets: &'a [f64],
    weights: &'a [f64],
    rng: ChaCha8Rng,
    max_features: usize,
    /// Samples with weight > 0; each node owns a contiguous range.
    samples: Vec<u32>,
    features: Vec<u32>,
    counts: Vec<u32>,
    offsets: Vec<u32>,
    keys: Vec<u64>,
    order: Vec<u32>,
    node_side: Side,
    left: Side,
    right: Side,
    tree: DecisionTree,
    /// Per node: the highest bin that goes left (split nodes; thresholds
    /// are placed from it after growing, see `place_thresholds`).
    split_bins: Vec<u16>,
    total_weight: f64,
}

/// A node waiting to be grown: its index, sample range and depth.
struct Pending {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
}

impl<'a, 'd> Grower<'a, 'd> {
    fn new(
        params: &'a TreeParams,
        task: Task,
        binned: &'a Binned<'d>,
        targets: &'a [f64],
        weights: &'a [f64],
        seed: u64,
    ) -> Self {
        let n_features = binned.edges.len();
        let n_classes = match task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 0,
        };
        let samples: Vec<u32> = (0..binned.n_samples as u32)
            .filter(|&s| weights[s as usize] > 0.0)
            .collect();
        Grower {
            params,
            task,
            criterion: params.criterion,
            binned,
            targets,
            weights,
            rng: ChaCha8Rng::seed_from_u64(seed),
            max_features: params.max_features.resolve(n_features),
            order: vec![0; samples.len()],
            samples,
            features: (0..n_features as u32).collect(),
            // One more than the bins: the missing-value code.
            counts: vec![0; super::binning::MAX_BINS + 1],
            offsets: vec![0; super::binning::MAX_BINS + 1],
            keys: Vec::new(),
            node_side: Side::empty(n_classes),
            left: Side::empty(n_classes),
            right: Side::empty(n_classes),
            tree: DecisionTree {
                task,
                n_features,
                nodes: Vec::new(),
                values: Vec::new(),
                importances: vec![0.0; n_features],
            },
            split_bins: Vec::new(),
            total_weight: 0.0,
        }
    }

    fn grow(mut self) -> DecisionTree {
        let n = self.samples.len();
        self.tree.nodes.push(Node::leaf(0));
        self.split_bins.push(0);
        self.measure(0, n);
        self.total_weight = self.node_side.weight;
        let mut stack = vec![Pending {
            node: 0,
            start: 0,
            end: n,
            depth: 0,
        }];
        while let Some(p) = stack.pop() {
            self.measure(p.start, p.end);
            match self.split_node(&p) {
                Some(mid) => {
                    // split_node pointed the node at these two.
                    let (left, right) = (self.tree.nodes.len(), self.tree.nodes.len() + 1);
                    self.tree.nodes.extend([Node::leaf(0), Node::leaf(0)]);
                    self.split_bins.extend([0, 0]);
                    stack.push(Pending {
                        node: right,
                        start: mid,
                        end: p.end,
                        depth: p.depth + 1,
                    });
                    stack.push(Pending {
                        node: left,
                        start: p.start,
                        end: mid,
                        depth: p.depth + 1,
                    });
                }
                None => self.make_leaf(p.node),
            }
        }
        self.place_thresholds();
        self.tree
    }

    /// Totals of the node's samples into `node_side`.
    fn measure(&mut self, start: usize, end: usize) {
        self.node_side.clear();
        for &s in &self.samples[start..end] {
            let s = s as usize;
            self.node_side
                .update(self.criterion, self.targets[s], self.weights[s], 1.0);
        }
    }

    fn make_leaf(&mut self, node: usize) {
        let side = &self.node_side;
        self.tree.nodes[node] = Node::leaf(self.tree.values.len());
        match self.task {
            Task::Classification { .. } => self
                .tree
                .values
                .extend(side.classes.iter().map(|c| c / side.weight)),
            Task::Regression => self.tree.values.push(side.a / side.weight),
        }
    }

    /// Splits the node if allowed and worth it; returns where the right
    /// child's samples start.
    fn split_node(&mut self, p: &Pending) -> Option<usize> {
        let n = p.end - p.start;
        let params = self.params;
        let impurity = self.node_side.impurity(self.criterion);
        if n < params.min_samples_split
            || n < 2 * params.min_samples_leaf
            || params.max_depth.is_some_and(|d| p.depth >= d)
            || impurity <= 1e-12
        {
            return None;
        }
        let best = self.find_split(p.start, p.end)?;
        let (mid, missing_left) = self.partition(p.start, p.end, &best);
        let (left_imp, right_imp) = self.child_impurities(p.start, mid, p.end);
        let (w, wl, wr) = (self.node_side.weight, self.left.weight, self.right.weight);
        let decrease = w * impurity - wl * left_imp - wr * right_imp;
        if decrease / self.total_weight < params.min_impurity_decrease - 1e-12 {
            // Undo nothing: the partition only reordered the node's own range.
            return None;
        }
        self.tree.importances[best.feature] += decrease;
        let children = self.tree.nodes.len();
        // The threshold comes later, from the raw values (place_thresholds).
        self.tree.nodes[p.node] = Node::split(best.feature, f64::NAN, missing_left, children);
        self.split_bins[p.node] = best.bin;
        Some(mid)
    }

    /// Visits features in random order, scikit-learn's rule: `max_features`
    /// of them, constant ones included, but while every feature visited so
    /// far was constant in the node, it keeps drawing.
    fn find_split(&mut self, start: usize, end: usize) -> Option<Best> {
        let mut best: Option<Best> = None;
        let n_features = self.features.len();
        let mut non_constant = 0;
        for visited in 0..n_features {
            if visited >= self.max_features && non_constant > 0 {
                break;
            }
            let j = self.rng.random_range(visited..n_features);
            self.features.swap(visited, j);
            let f = self.features[visited] as usize;
            if self.sweep_feature(f, start, end, &mut best) {
                non_constant += 1;
            }
        }
        best
    }

    /// Sweeps the node's samples in bin order, scoring every boundary
    /// between bins, with the node's missing rows (sorted last) on the right
    /// and then, if there are any, on the left (scikit-learn's rule: they go
    /// where the impurity drops most). Returns false when the feature is
    /// constant in the node.
    fn sweep_feature(
        &mut self,
        f: usize,
        start: usize,
        end: usize,
        best: &mut Option<Best>,
    ) -> bool {
        let column = self.binned.column(f);
        let n = end - start;
        self.sort_by_bin(f, start, end);
        if column[self.order[0] as usize] == column[self.order[n - 1] as usize] {
            return false;
        }
        let missing = self.binned.missing_code(f);
        let n_missing = self.order[..n]
            .iter()
            .rev()
            .take_while(|&&s| column[s as usize] == missing)
            .count();
        self.sweep_present(f, n - n_missing, n, false, best);
        if n_missing > 0 {
            self.sweep_present(f, n - n_missing, n, true, best);
        }
        true
    }

    /// One sweep over the first `n_present` sorted samples (those with a
    /// value); the missing ones (`n_present..n`) start on the left or stay
    /// on the right.
    fn sweep_present(
        &mut self,
        f: usize,
        n_present: usize,
        n: usize,
        missing_left: bool,
        best: &mut Option<Best>,
    ) {
        let column = self.binned.column(f);
        let criterion = self.criterion;
        let min_leaf = self.params.min_samples_leaf;
        self.left.clear();
        self.right.copy_from(&self.node_side);
        let move_left = |s: u32, left: &mut Side, right: &mut Side| {
            let (t, w) = (self.targets[s as usize], self.weights[s as usize]);
            left.update(criterion, t, w, 1.0);
            right.update(criterion, t, w, -1.0);
        };
        if missing_left {
            for &s in &self.order[n_present..n] {
                move_left(s, &mut self.left, &mut self.right);
            }
        }
        let mut i = 0;
        while i < n_present {
            let bin = column[self.order[i] as usize];
            while i < n_present && column[self.order[i] as usize] == bin {
                move_left(self.order[i], &mut self.left, &mut self.right);
                i += 1;
            }
            if self.left.samples >= min_leaf && self.right.samples >= min_leaf {
                let proxy = self.left.proxy(criterion) + self.right.proxy(criterion);
                if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                    *best = Some(Best {
                        proxy,
                        feature: f,
                        bin,
                        missing_left,
                    });
                }
            }
        }
    }

    /// Puts the node's samples into `order` sorted by bin of feature `f`:
    /// a counting sort for large nodes, a comparison sort when the node has
    /// far fewer samples than the feature has bins.
    fn sort_by_bin(&mut self, f: usize, start: usize, end: usize) {
        let column = self.binned.column(f);
        let samples = &self.samples[start..end];
        let n_bins = self.binned.n_bins(f);
        if samples.len() * 4 < n_bins {
            self.keys.clear();
            self.keys.extend(
                samples
                    .iter()
                    .map(|&s| (u64::from(column[s as usize]) << 32) | u64::from(s)),
            );
            self.keys.sort_unstable();
            for (o, k) in self.order.iter_mut().zip(&self.keys) {
                *o = *k as u32;
            }
            return;
        }
        let counts = &mut self.counts[..n_bins];
        counts.fill(0);
        for &s in samples {
            counts[column[s as usize] as usize] += 1;
        }
        let mut total = 0;
        for (offset, &c) in self.offsets.iter_mut().zip(counts.iter()) {
            *offset = total;
            total += c;
        }
        for &s in samples {
            let b = column[s as usize] as usize;
            self.order[self.offsets[b] as usize] = s;
            self.offsets[b] += 1;
        }
    }

    /// Places every split's threshold halfway between the largest value on
    /// the left and the smallest on the right among the node's samples
    /// (scikit-learn's rule), so unseen values between them split evenly; the
    /// largest float when every right-hand row misses the feature. (NaN takes
    /// no part: max and min skip it.) One pass over the samples in row order,
    /// each going down its path by its codes, so the raw rows are read once,
    /// block by block, and a mapped matrix's pages are handed back behind.
    fn place_thresholds(&mut self) {
        let n_nodes = self.tree.nodes.len();
        let mut left_max = vec![f64::NEG_INFINITY; n_nodes];
        let mut right_min = vec![f64::INFINITY; n_nodes];
        let binned = self.binned;
        for first in (0..binned.n_samples).step_by(super::binning::BLOCK_ROWS) {
            let block = first..(first + super::binning::BLOCK_ROWS).min(binned.n_samples);
            for s in block.clone().filter(|&s| self.weights[s] > 0.0) {
                let mut i = 0;
                while !self.tree.nodes[i].is_leaf() {
                    let node = self.tree.nodes[i];
                    let f = node.feature();
                    let code = binned.column(f)[s];
                    let left = if code == binned.missing_code(f) {
                        node.missing_left()
                    } else {
                        code <= self.split_bins[i]
                    };
                    let v = binned.value(f, s as u32);
                    if left {
                        left_max[i] = left_max[i].max(v);
                    } else {
                        right_min[i] = right_min[i].min(v);
                    }
                    i = if left { node.left() } else { node.right() };
                }
            }
            binned.release_samples(block);
        }
        for (i, node) in self.tree.nodes.iter_mut().enumerate() {
            if !node.is_leaf() {
                // f64::MAX, not infinity: JSON has no infinity.
                node.set_threshold(if right_min[i] == f64::INFINITY {
                    f64::MAX
                } else {
                    super::binning::midpoint(left_max[i], right_min[i])
                });
            }
        }
    }

    /// Moves the samples that go left (bin <= `best.bin`, or missing when
    /// the missing rows go left) to the front of the range. Returns where
    /// the right child starts and where missing values go: when no row of
    /// the node missed the feature, to the child with more rows (as
    /// scikit-learn).
    fn partition(&mut self, start: usize, end: usize, best: &Best) -> (usize, bool) {
        let column = self.binned.column(best.feature);
        let missing = self.binned.missing_code(best.feature);
        let range = &mut self.samples[start..end];
        let mut mid = 0;
        let mut any_missing = false;
        for i in 0..range.len() {
            let code = column[range[i] as usize];
            any_missing |= code == missing;
            let left = if code == missing {
                best.missing_left
            } else {
                code <= best.bin
            };
            if left {
                range.swap(i, mid);
                mid += 1;
            }
        }
        let missing_left = if any_missing {
            best.missing_left
        } else {
            mid > range.len() - mid
        };
        (start + mid, missing_left)
    }

    /// Exact totals of both children (the sweep's sums may carry rounding).
    fn child_impurities(&mut self, start: usize, mid: usize, end: usize) -> (f64, f64) {
        self.left.clear();
        self.right.clear();
        for (range, side) in [(start..mid, &mut self.left), (mid..end, &mut self.right)] {
            for &s in &self.samples[range] {
                side.update(
                    self.criterion,
                    self.targets[s as usize],
                    self.weights[s as usize],
                    1.0,
                );
            }
        }
        (
            self.left.impurity(self.criterion),
            self.right.impurity(self.criterion),
        )
    }
}

#[cfg(test)]
mod tests;
