//! One boosting tree, grown leaf-wise (best-first): the leaf whose best
//! split gains most is split next, until `max_leaf_nodes` leaves. Each new
//! child gets its histogram (the smaller built from its rows, the larger by
//! subtraction from the parent) and its best split at once, like
//! scikit-learn's TreeGrower and LightGBM.

use super::bins::{Bins, Codes, GROUP, MISSING_BIN};
use super::categorical::{self, Bitset};
use super::histogram::{self, BinStats, FeatureHistogram, Gh, Histogram};
use super::sweep::{self, Best, Lane, Sweep, LANES};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The tree-shape parameters, scikit-learn's names.
#[derive(Debug, Clone)]
pub struct GrowerParams {
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    /// Features considered at each split (all: no draw).
    pub features_per_split: usize,
    pub learning_rate: f64,
}

/// scikit-learn's min_hessian_to_split.
pub(super) const MIN_HESSIAN: f64 = 1e-3;

/// Nodes with fewer samples keep no histogram: when one is split, both
/// children are built from their samples, which costs less than clearing
/// a recycled histogram and subtracting a parent's (50 features x 256
/// slots each, far out of the CPU's near caches) and leaves fewer
/// histograms alive.
const KEEP_HISTOGRAM: usize = 1024;

/// A node of a fitted tree; leaves have `feature == LEAF`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    pub missing_left: bool,
    /// The leaf's contribution to the raw score (learning rate included).
    pub value: f64,
    /// A categorical split: index of the set of codes that go left in the
    /// model's category sets; NUMERIC for a threshold split (and for
    /// models saved before categorical splits existed).
    #[serde(default = "numeric")]
    pub categories: u32,
}

pub const LEAF: u32 = u32::MAX;
/// `Node::categories` of a threshold split.
pub const NUMERIC: u32 = u32::MAX;

fn numeric() -> u32 {
    NUMERIC
}

impl Node {
    fn leaf(value: f64) -> Node {
        Node {
            feature: LEAF,
            threshold: 0.0,
            left: 0,
            right: 0,
            missing_left: false,
            value,
            categories: NUMERIC,
        }
    }

    /// The child a row whose split feature is `v` goes to; `sets` are the
    /// model's category sets its categorical nodes point into.
    #[inline]
    pub fn child(&self, sets: &[Bitset], v: f64) -> usize {
        let left = if self.categories != NUMERIC {
            categorical::goes_left(&sets[self.categories as usize], self.missing_left, v)
        } else if v.is_nan() {
            self.missing_left
        } else {
            v <= self.threshold
        };
        (if left { self.left } else { self.right }) as usize
    }
}

/// The raw-score contribution of a tree for one row.
#[inline]
pub fn tree_value(nodes: &[Node], sets: &[Bitset], row: ndarray::ArrayView1<f64>) -> f64 {
    let mut i = 0;
    loop {
        let node = &nodes[i];
        if node.feature == LEAF {
            return node.value;
        }
        i = node.child(sets, row[node.feature as usize]);
    }
}

/// The best split of a node.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    /// Highest real bin on the left (threshold splits).
    bin: u8,
    /// The bins on the left (categorical splits; bit 255: missing).
    left_set: Option<Bitset>,
    missing_left: bool,
    left: BinStats,
    right: BinStats,
}

impl Split {
    /// The split with its sides' sums, from the node's histogram of its
    /// feature and the node's sums: a numeric split's left side is added up
    /// bin by bin as its sweep did, only for the split a node takes.
    fn with_sides(self, hist: &FeatureHistogram, total: &BinStats) -> Split {
        if self.left_set.is_some() {
            return self;
        }
        let start = if self.missing_left {
            hist[MISSING_BIN as usize]
        } else {
            BinStats::default()
        };
        let left = sweep::left_sums(hist, start, self.bin as usize);
        Split {
            left,
            right: total.minus(&left),
            ..self
        }
    }
}

/// A leaf that may still be split.
struct Open {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    sums: BinStats,
    hist: Option<Histogram>,
    split: Option<Split>,
}

/// Heap key: largest gain first, then the oldest node (deterministic).
struct Candidate {
    gain: f64,
    open: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Candidate {
    fn cmp(&self, o: &Self) -> Ordering {
        self.gain
            .total_cmp(&o.gain)
            .then_with(|| o.open.cmp(&self.open))
    }
}

/// Features per task, one group of the binned codes: both children's
/// histograms of them fill the sweep's lanes.
const _: () = assert!(GROUP == LANES / 2);

/// One node's histograms of a group of features, and what the node is.
type NodeGroup<'h, 's> = ([Option<&'h FeatureHistogram>; GROUP], &'h Scan<'s>);

/// A finished leaf: its node and its samples' range in `Grower::samples`.
pub struct LeafRange {
    pub node: usize,
    pub start: usize,
    pub end: usize,
}

/// What one node's histograms are for: the node's sums and, when it may be
/// split, which features its split may use.
struct Scan<'s> {
    sums: BinStats,
    features: Option<&'s [bool]>,
}

/// Scratch reused by every tree of a fit.
pub struct Grower<'a> {
    bins: &'a Bins,
    params: &'a GrowerParams,
    pool: Option<&'a rayon::ThreadPool>,
    /// Sample indices; each open node owns a contiguous range.
    pub samples: Vec<u32>,
    scratch: Vec<u32>,
    /// The gradients of the node being built, in its sample order.
    ordered: Vec<Gh>,
    /// The same for the larger child when it is built from its samples.
    ordered_large: Vec<Gh>,
    spare: Vec<Histogram>,
    features: Vec<usize>,
    /// Per feature: whether the left / right child's split may use it.
    allowed: [Vec<bool>; 2],
    /// Split gain per feature since the last `take_importances`.
    importances: Vec<f64>,
    /// The category sets of the tree being grown (its nodes' `categories`).
    sets: Vec<Bitset>,
}

/// The split score of one side: G² / (H + λ).
#[inline]
fn score(s: &BinStats, l2: f64) -> f64 {
    s.g * s.g / (s.h + l2)
}

impl<'a> Grower<'a> {
    pub fn new(
        bins: &'a Bins,
        params: &'a GrowerParams,
        pool: Option<&'a rayon::ThreadPool>,
    ) -> Self {
        let (n, f) = (bins.n_samples, bins.n_features());
        Grower {
            bins,
            params,
            pool,
            samples: Vec::with_capacity(n),
            scratch: vec![0; n],
            ordered: Vec::with_capacity(n),
            ordered_large: Vec::new(),
            spare: Vec::new(),
            features: (0..f).collect(),
            allowed: [vec![true; f], vec![true; f]],
            importances: vec![0.0; f],
            sets: Vec::new(),
        }
    }

    /// The category sets of the last tree grown.
    pub fn take_sets(&mut self) -> Vec<Bitset> {
        std::mem::take(&mut self.sets)
    }

    /// The split gains per feature gathered so far; starts again from zero.
    pub fn take_importances(&mut self) -> Vec<f64> {
        std::mem::replace(&mut self.importances, vec![0.0; self.bins.n_features()])
    }

    fn take_hist(&mut self) -> Histogram {
        self.spare
            .pop()
            .unwrap_or_else(|| histogram::empty(self.bins.n_features()))
    }

    /// Grows one tree on gradients `g` and hessians `h` (None: all 1).
    /// Returns its nodes (leaf values are -lr·G/(H+λ)) and its leaves' sample
    /// ranges in `self.samples`.
    pub fn grow(
        &mut self,
        g: &[f32],
        h: Option<&[f32]>,
        rng: &mut ChaCha8Rng,
    ) -> (Vec<Node>, Vec<LeafRange>) {
        let n = self.bins.n_samples;
        self.sets.clear();
        self.samples.clear();
        self.samples.extend(0..n as u32);
        // Feature draws start from the same order in every tree, so a tree
        // depends on its own random stream only (not on the trees this
        // grower grew before: with threads, growers take turns).
        for (i, f) in self.features.iter_mut().enumerate() {
            *f = i;
        }
        self.gather(0, n, g, h);
        // Sums in sample order: the same on any number of threads.
        let sums = self.ordered.iter().fold(BinStats::default(), |mut a, gh| {
            a.add(&BinStats::new(f64::from(gh[0]), f64::from(gh[1]), 1.0));
            a
        });
        let mut nodes = vec![Node::leaf(0.0)];
        let mut open = vec![Open {
            node: 0,
            start: 0,
            end: n,
            depth: 0,
            sums,
            hist: None,
            split: None,
        }];
        let mut heap = BinaryHeap::new();
        self.root_histogram(&mut open[0], rng);
        self.queue(&mut open, &[0], &mut heap);
        let mut n_leaves = 1;
        while let Some(Candidate { open: i, .. }) = heap.pop() {
            let (left, right) = self.split(&mut nodes, &mut open, i);
            n_leaves += 1;
            if self.params.max_leaf_nodes.is_some_and(|m| n_leaves >= m) {
                break;
            }
            self.child_histograms(&mut open, i, left, right, g, h, rng);
            self.queue(&mut open, &[left, right], &mut heap);
        }
        // Everything still open is a leaf.
        let mut leaves = Vec::new();
        for o in open.iter_mut() {
            if nodes[o.node].feature == LEAF {
                nodes[o.node].value = -self.params.learning_rate * o.sums.g
                    / (o.sums.h + self.params.l2_regularization);
                leaves.push(LeafRange {
                    node: o.node,
                    start: o.start,
                    end: o.end,
                });
            }
            if let Some(hist) = o.hist.take() {
                self.spare.push(hist);
            }
        }
        (nodes, leaves)
    }

    /// `self.ordered` = the gradients of samples[start..end], in that order.
    fn gather(&mut self, start: usize, end: usize, g: &[f32], h: Option<&[f32]>) {
        self.ordered.clear();
        gather_into(&mut self.ordered, &self.samples[start..end], g, h);
    }

    /// Whether a node of this size and depth may be split at all.
    fn splittable(&self, o: &Open) -> bool {
        let p = self.params;
        o.end - o.start >= 2 * p.min_samples_leaf && p.max_depth.is_none_or(|d| o.depth < d)
    }

    /// Draws the features child `side` (0 left, 1 right) may split on.
    fn draw_allowed(&mut self, side: usize, rng: &mut ChaCha8Rng) {
        let n = self.features.len();
        let k = self.params.features_per_split.min(n);
        if k == n {
            return;
        }
        // scikit-learn's max_features: k features without replacement.
        for i in 0..k {
            let j = rng.random_range(i..n);
            self.features.swap(i, j);
        }
        let allowed = &mut self.allowed[side];
        allowed.fill(false);
        for &f in &self.features[..k] {
            allowed[f] = true;
        }
    }

    /// The root's histogram and (when it may be split) its best split.
    fn root_histogram(&mut self, root: &mut Open, rng: &mut ChaCha8Rng) {
        let splittable = self.splittable(root);
        if splittable {
            self.draw_allowed(0, rng);
        }
        let mut hist = self.take_hist();
        let (bins, ordered) = (self.bins, &self.ordered);
        let scan = Scan {
            sums: root.sums,
            features: splittable.then_some(self.allowed[0].as_slice()),
        };
        // A task builds a group of features in one pass over the samples
        // (they share the loads of the samples' gradients), then sweeps them
        // side by side.
        let task = |(c, chunk): (usize, &mut [FeatureHistogram])| {
            let f0 = GROUP * c;
            let mut outs: Vec<&mut FeatureHistogram> = chunk.iter_mut().collect();
            build_group(bins, f0, &mut outs, None, ordered);
            let hists = std::array::from_fn(|k| chunk.get(k));
            let [splits, _] = self.scan_group(f0, [Some((hists, &scan)), None]);
            splits.into_iter().take(chunk.len())
        };
        let splits: Vec<Option<Split>> = match self.pool {
            Some(pool) if hist.len() >= 2 * GROUP => pool.install(|| {
                hist.par_chunks_mut(GROUP)
                    .enumerate()
                    .map(task)
                    .flatten_iter()
                    .collect()
            }),
            _ => hist.chunks_mut(GROUP).enumerate().flat_map(task).collect(),
        };
        root.split = best_of(splits).map(|s| s.with_sides(&hist[s.feature], &root.sums));
        root.hist = Some(hist);
    }

    /// Queues the nodes that found a split; the others give their
    /// histograms back.
    fn queue(&mut self, open: &mut [Open], nodes: &[usize], heap: &mut BinaryHeap<Candidate>) {
        for &i in nodes {
            match open[i].split {
                Some(split) => heap.push(Candidate {
                    gain: split.gain,
                    open: i,
                }),
                None => {
                    if let Some(hist) = open[i].hist.take() {
                        self.spare.push(hist);
                    }
                }
            }
        }
    }

    /// Best splits of features `f0..f0 + GROUP` in one or two nodes:
    /// `nodes[i]` holds node i's histograms of the features (None past the
    /// last feature) and what the node is. None for the features a node may
    /// not use. The numeric features of both nodes are swept side by side.
    fn scan_group(&self, f0: usize, nodes: [Option<NodeGroup>; 2]) -> [[Option<Split>; GROUP]; 2] {
        let mut splits = [[None; GROUP]; 2];
        let mut numeric = [None; LANES];
        for (i, (hists, scan)) in nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((i, (*n)?)))
        {
            for (k, hist) in hists.iter().enumerate() {
                let (Some(hist), f) = (*hist, f0 + k) else {
                    continue;
                };
                if !scan.features.is_some_and(|allowed| allowed[f]) {
                    continue;
                }
                let n_real = self.bins.n_real(f);
                if self.bins.known[f].is_some() {
                    splits[i][k] = best_categorical_split(self.params, f, n_real, hist, &scan.sums);
                } else {
                    numeric[GROUP * i + k] = Some(Numeric {
                        feature: f,
                        hist,
                        n_real,
                        total: &scan.sums,
                    });
                }
            }
        }
        let swept = best_numeric_splits(self.params, &numeric);
        for (lane, split) in swept.into_iter().enumerate() {
            if numeric[lane].is_some() {
                splits[lane / GROUP][lane % GROUP] = split;
            }
        }
        splits
    }

    /// Splits open node `i`: partitions its samples (stably) and adds two
    /// children; returns their indices in `open`.
    fn split(&mut self, nodes: &mut Vec<Node>, open: &mut Vec<Open>, i: usize) -> (usize, usize) {
        let split = open[i].split.expect("only split nodes are queued");
        self.importances[split.feature] += split.gain;
        let (start, end, depth) = (open[i].start, open[i].end, open[i].depth);
        let (n_left, n_right) = partition(
            &mut self.samples[start..end],
            &mut self.scratch,
            self.bins.group(split.feature / GROUP),
            split.feature % GROUP,
            &left_bins(&split),
        );
        let mid = start + n_left;
        // A feature never missing in training sends missing values to the
        // child with more samples (scikit-learn).
        let missing_left = if self.bins.has_missing[split.feature] {
            split.missing_left
        } else {
            n_left > n_right
        };
        let (l, r) = (nodes.len(), nodes.len() + 1);
        nodes.push(Node::leaf(0.0));
        nodes.push(Node::leaf(0.0));
        let node = &mut nodes[open[i].node];
        node.feature = split.feature as u32;
        node.missing_left = missing_left;
        match (split.left_set, self.bins.known[split.feature]) {
            (Some(left_set), Some(known)) => {
                node.threshold = 0.0;
                node.categories = self.sets.len() as u32;
                self.sets
                    .push(categorical::prediction_set(&left_set, &known, missing_left));
            }
            _ => node.threshold = self.bins.threshold(split.feature, split.bin),
        }
        node.left = l as u32;
        node.right = r as u32;
        let child = |node, start, end, sums| Open {
            node,
            start,
            end,
            depth: depth + 1,
            sums,
            hist: None,
            split: None,
        };
        open.push(child(l, start, mid, split.left));
        open.push(child(r, mid, end, split.right));
        (open.len() - 2, open.len() - 1)
    }

    /// Histograms and best splits of both children, feature by feature in
    /// one pass: the smaller child's histogram from its samples, the
    /// larger's as the parent's minus the smaller's (in the parent's
    /// buffer), then both scanned while still in cache.
    #[allow(clippy::too_many_arguments)]
    fn child_histograms(
        &mut self,
        open: &mut [Open],
        parent: usize,
        left: usize,
        right: usize,
        g: &[f32],
        h: Option<&[f32]>,
        rng: &mut ChaCha8Rng,
    ) {
        let parent_hist = open[parent].hist.take();
        let can = [self.splittable(&open[left]), self.splittable(&open[right])];
        if !can[0] && !can[1] {
            self.spare.extend(parent_hist);
            return;
        }
        // Same draw order as a node-by-node grower: left, then right.
        for (side, &c) in can.iter().enumerate() {
            if c {
                self.draw_allowed(side, rng);
            }
        }
        let small_is_left =
            open[left].end - open[left].start <= open[right].end - open[right].start;
        let (small, large) = if small_is_left {
            (left, right)
        } else {
            (right, left)
        };
        let side_of = |child: usize| usize::from(child != left);
        self.gather(open[small].start, open[small].end, g, h);
        let mut small_hist = self.take_hist();
        // Without the parent's histogram (a small node keeps none) the
        // larger child is built from its samples too.
        let direct = parent_hist.is_none();
        let mut parent_hist = match parent_hist {
            Some(hist) => hist,
            None => {
                let (start, end) = (open[large].start, open[large].end);
                self.ordered_large.clear();
                gather_into(&mut self.ordered_large, &self.samples[start..end], g, h);
                self.take_hist()
            }
        };
        let (large_samples, ordered_large) = (
            &self.samples[open[large].start..open[large].end],
            &self.ordered_large,
        );
        let scans = [small, large].map(|c| Scan {
            sums: open[c].sums,
            features: can[side_of(c)].then_some(self.allowed[side_of(c)].as_slice()),
        });
        let (bins, ordered) = (self.bins, &self.ordered);
        let samples = &self.samples[open[small].start..open[small].end];
        let mut pairs: Vec<(&mut FeatureHistogram, &mut FeatureHistogram)> =
            small_hist.iter_mut().zip(parent_hist.iter_mut()).collect();
        // A task builds a group of features in one pass over the samples
        // (they share the loads of the samples and their gradients), then
        // sweeps both children's histograms of the group side by side.
        type Pair<'h> = (&'h mut FeatureHistogram, &'h mut FeatureHistogram);
        let task = |(c, chunk): (usize, &mut [Pair])| {
            let f0 = GROUP * c;
            let mut smalls: Vec<&mut FeatureHistogram> =
                chunk.iter_mut().map(|(s, _)| &mut **s).collect();
            build_group(bins, f0, &mut smalls, Some(samples), ordered);
            if direct {
                let mut larges: Vec<&mut FeatureHistogram> =
                    chunk.iter_mut().map(|(_, p)| &mut **p).collect();
                build_group(bins, f0, &mut larges, Some(large_samples), ordered_large);
            } else {
                for (k, (s, p)) in chunk.iter_mut().enumerate() {
                    histogram::subtract_feature(p, s, bins.n_real(f0 + k));
                }
            }
            let small = std::array::from_fn(|k| chunk.get(k).map(|(s, _)| &**s));
            let large = std::array::from_fn(|k| chunk.get(k).map(|(_, p)| &**p));
            let [small, large] =
                self.scan_group(f0, [Some((small, &scans[0])), Some((large, &scans[1]))]);
            small.into_iter().zip(large).take(chunk.len())
        };
        let splits: Vec<(Option<Split>, Option<Split>)> = match self.pool {
            Some(pool) if pairs.len() >= 2 * GROUP => pool.install(|| {
                pairs
                    .par_chunks_mut(GROUP)
                    .enumerate()
                    .map(task)
                    .flatten_iter()
                    .collect()
            }),
            _ => pairs.chunks_mut(GROUP).enumerate().flat_map(task).collect(),
        };
        drop(pairs);
        let (small_splits, large_splits): (Vec<_>, Vec<_>) = splits.into_iter().unzip();
        open[small].split =
            best_of(small_splits).map(|s| s.with_sides(&small_hist[s.feature], &open[small].sums));
        open[large].split =
            best_of(large_splits).map(|s| s.with_sides(&parent_hist[s.feature], &open[large].sums));
        for (child, hist) in [(small, small_hist), (large, parent_hist)] {
            if open[child].end - open[child].start >= KEEP_HISTOGRAM {
                open[child].hist = Some(hist);
            } else {
                self.spare.push(hist);
            }
        }
    }
}

/// The histograms `out` of features `f0..` over `samples` (None: every
/// sample, in order; their gradients `ordered`), in one pass.
fn build_group(
    bins: &Bins,
    f0: usize,
    out: &mut [&mut FeatureHistogram],
    samples: Option<&[u32]>,
    ordered: &[Gh],
) {
    let n = out.len();
    let n_real: [usize; GROUP] =
        std::array::from_fn(|k| if k < n { bins.n_real(f0 + k) } else { 0 });
    let codes = bins.group(f0 / GROUP);
    histogram::build_features(out, &n_real[..n], codes, samples, ordered);
}

/// Appends the gradients of `samples`, in that order, to `ordered`.
fn gather_into(ordered: &mut Vec<Gh>, samples: &[u32], g: &[f32], h: Option<&[f32]>) {
    match h {
        Some(h) => ordered.extend(samples.iter().map(|&s| [g[s as usize], h[s as usize]])),
        None => ordered.extend(samples.iter().map(|&s| [g[s as usize], 1.0])),
    }
}

/// Per bin code: whether a sample with that code goes left at `split`.
fn left_bins(split: &Split) -> [bool; 256] {
    std::array::from_fn(|b| match &split.left_set {
        Some(set) => categorical::contains(set, b as u8),
        None if b == MISSING_BIN as usize => split.missing_left,
        None => b <= split.bin as usize,
    })
}

/// Stable partition of `samples` by `goes_left[codes[sample][lane]]`: the left
/// ones first; returns the counts (left, right). Every sample is written
/// to both sides and only one cursor moves, so there is no branch to
/// mispredict on the 50/50 choice.
fn partition(
    samples: &mut [u32],
    scratch: &mut [u32],
    codes: &[Codes],
    lane: usize,
    goes_left: &[bool; 256],
) -> (usize, usize) {
    let (mut n_left, mut n_right) = (0, 0);
    for k in 0..samples.len() {
        let s = samples[k];
        let left = goes_left[codes[s as usize][lane] as usize];
        samples[n_left] = s;
        scratch[n_right] = s;
        n_left += usize::from(left);
        n_right += usize::from(!left);
    }
    samples[n_left..].copy_from_slice(&scratch[..n_right]);
    (n_left, n_right)
}

/// The best of the features' splits; ties to the lowest feature index,
/// whatever the threads.
fn best_of(candidates: Vec<Option<Split>>) -> Option<Split> {
    let mut best: Option<Split> = None;
    for c in candidates.into_iter().flatten() {
        if best.is_none_or(|b| c.gain > b.gain) {
            best = Some(c);
        }
    }
    best
}

/// A numeric feature's histogram at a node, to sweep.
#[derive(Clone, Copy)]
struct Numeric<'h> {
    feature: usize,
    hist: &'h FeatureHistogram,
    n_real: usize,
    /// The node's sums.
    total: &'h BinStats,
}

impl<'h> Numeric<'h> {
    fn sweep(&self, p: &GrowerParams) -> Sweep<'h> {
        Sweep {
            hist: self.hist,
            n_real: self.n_real,
            total: self.total,
            l2: p.l2_regularization,
            min_leaf: p.min_samples_leaf as f64,
        }
    }
}

/// Best splits of up to [`LANES`] numeric features at their nodes, swept
/// side by side: bins left to right with the node's missing rows on the
/// right, then (for features with missing rows in the node) on the left;
/// the missing rows go where the gain is larger.
fn best_numeric_splits(
    p: &GrowerParams,
    features: &[Option<Numeric>; LANES],
) -> [Option<Split>; LANES] {
    let parent = |f: &Numeric| score(f.total, p.l2_regularization);
    // Only a gain above 0 splits: a score above the parent's.
    let mut bests: [Best; LANES] = std::array::from_fn(|k| Best {
        num: features[k].as_ref().map_or(0.0, parent),
        den: 1.0,
        found: None,
    });
    let lanes = |missing_left: bool| {
        features.map(|feature| {
            let f = feature?;
            let missing = f.hist[MISSING_BIN as usize];
            let sweep = f.sweep(p);
            match missing_left {
                // "bin <= n_real - 1" leaves only the missing rows on the right.
                false => Some(Lane {
                    sweep,
                    start: BinStats::default(),
                    last: if missing.n > 0.0 {
                        f.n_real
                    } else {
                        f.n_real - 1
                    },
                    missing_left,
                }),
                true => (missing.n > 0.0).then_some(Lane {
                    sweep,
                    start: missing,
                    last: f.n_real - 1,
                    missing_left,
                }),
            }
        })
    };
    sweep::run_lanes(&lanes(false), &mut bests);
    let left = lanes(true);
    if left.iter().any(Option::is_some) {
        sweep::run_lanes(&left, &mut bests);
    }
    std::array::from_fn(|k| {
        let f = features[k]?;
        let (bin, missing_left) = bests[k].found?;
        Some(Split {
            gain: bests[k].num / bests[k].den - parent(&f),
            feature: f.feature,
            bin: bin as u8,
            left_set: None,
            missing_left,
            // Added up once the node has chosen this split (Split::with_sides).
            left: BinStats::default(),
            right: BinStats::default(),
        })
    })
}

/// Best split of a categorical feature (see `categorical::best_split`).
fn best_categorical_split(
    p: &GrowerParams,
    f: usize,
    n_real: usize,
    hist: &FeatureHistogram,
    total: &BinStats,
) -> Option<Split> {
    let limits = categorical::Limits {
        l2: p.l2_regularization,
        min_leaf: p.min_samples_leaf as f64,
        min_hessian: MIN_HESSIAN,
    };
    let parent = score(total, p.l2_regularization);
    let best = categorical::best_split(hist, n_real, total, &limits, parent)?;
    Some(Split {
        gain: best.score - parent,
        feature: f,
        bin: 0,
        left_set: Some(best.left_set),
        missing_left: categorical::contains(&best.left_set, MISSING_BIN),
        left: best.left,
        right: total.minus(&best.left),
    })
}
