//! One boosting tree, grown leaf-wise (best-first): the leaf whose best
//! split gains most is split next, until `max_leaf_nodes` leaves. Each new
//! child gets its histogram (the smaller built from its rows, the larger by
//! subtraction from the parent) and its best split at once, like
//! scikit-learn's TreeGrower and LightGBM.

use super::bins::{Bins, MISSING_BIN, SLOTS};
use super::histogram::{self, BinStats, Histogram, NodeRows};
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
const MIN_HESSIAN: f64 = 1e-3;

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
}

pub const LEAF: u32 = u32::MAX;

impl Node {
    fn leaf(value: f64) -> Node {
        Node {
            feature: LEAF,
            threshold: 0.0,
            left: 0,
            right: 0,
            missing_left: false,
            value,
        }
    }
}

/// The raw-score contribution of a tree for one row.
#[inline]
pub fn tree_value(nodes: &[Node], row: ndarray::ArrayView1<f64>) -> f64 {
    let mut i = 0;
    loop {
        let node = &nodes[i];
        if node.feature == LEAF {
            return node.value;
        }
        let v = row[node.feature as usize];
        let left = if v.is_nan() {
            node.missing_left
        } else {
            v <= node.threshold
        };
        i = if left { node.left } else { node.right } as usize;
    }
}

/// The best split of a node.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    /// Highest real bin on the left.
    bin: u8,
    missing_left: bool,
    left: BinStats,
    right: BinStats,
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

/// A finished leaf: its node and its samples' range in `Grower::samples`.
pub struct LeafRange {
    pub node: usize,
    pub start: usize,
    pub end: usize,
}

/// Scratch reused by every tree of a fit.
pub struct Grower<'a> {
    bins: &'a Bins,
    params: &'a GrowerParams,
    pool: Option<&'a rayon::ThreadPool>,
    /// Sample indices; each open node owns a contiguous range.
    pub samples: Vec<u32>,
    scratch: Vec<u32>,
    ordered_g: Vec<f32>,
    ordered_h: Vec<f32>,
    spare: Vec<Histogram>,
    features: Vec<usize>,
    /// Split gain per feature since the last `take_importances`.
    importances: Vec<f64>,
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
        let n = bins.n_samples;
        Grower {
            bins,
            params,
            pool,
            samples: Vec::with_capacity(n),
            scratch: vec![0; n],
            ordered_g: Vec::with_capacity(n),
            ordered_h: Vec::with_capacity(n),
            spare: Vec::new(),
            features: (0..bins.n_features()).collect(),
            importances: vec![0.0; bins.n_features()],
        }
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
        self.samples.clear();
        self.samples.extend(0..n as u32);
        let mut root_hist = self.take_hist();
        histogram::build(
            &mut root_hist,
            self.bins,
            &NodeRows {
                samples: None,
                g,
                h,
            },
            self.pool,
        );
        let sums = root_hist[0].iter().fold(BinStats::default(), |mut a, b| {
            a.add(b);
            a
        });
        let mut nodes = vec![Node::leaf(0.0)];
        let mut open = vec![Open {
            node: 0,
            start: 0,
            end: n,
            depth: 0,
            sums,
            hist: Some(root_hist),
            split: None,
        }];
        let mut leaves = Vec::new();
        let mut heap = BinaryHeap::new();
        self.consider(&mut open, 0, &mut heap, rng);
        let mut n_leaves = 1;
        while let Some(Candidate { open: i, .. }) = heap.pop() {
            let (left, right) = self.split(&mut nodes, &mut open, i);
            n_leaves += 1;
            if self.params.max_leaf_nodes.is_some_and(|m| n_leaves >= m) {
                break;
            }
            self.child_histograms(&mut open, i, left, right, g, h);
            self.consider(&mut open, left, &mut heap, rng);
            self.consider(&mut open, right, &mut heap, rng);
        }
        // Everything still open is a leaf.
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

    /// Finds the open node's best split if it may be split, and queues it.
    fn consider(
        &mut self,
        open: &mut [Open],
        i: usize,
        heap: &mut BinaryHeap<Candidate>,
        rng: &mut ChaCha8Rng,
    ) {
        let o = &open[i];
        let p = self.params;
        let splittable = o.end - o.start >= 2 * p.min_samples_leaf
            && p.max_depth.is_none_or(|d| o.depth < d)
            && o.hist.is_some();
        if !splittable {
            if let Some(hist) = open[i].hist.take() {
                self.spare.push(hist);
            }
            return;
        }
        let features = self.draw_features(rng);
        let hist = open[i].hist.as_ref().expect("checked above");
        let sums = open[i].sums;
        let best_of = |&f: &usize| self.best_split_of_feature(f, &hist[f], &sums);
        let candidates: Vec<Option<Split>> = match self.pool {
            Some(pool) if features.len() >= 8 => {
                pool.install(|| features.par_iter().map(best_of).collect())
            }
            _ => features.iter().map(best_of).collect(),
        };
        // Best gain; ties to the lowest feature index, whatever the threads.
        let mut best: Option<Split> = None;
        for c in candidates.into_iter().flatten() {
            let better = match &best {
                None => true,
                Some(b) => c.gain > b.gain || (c.gain == b.gain && c.feature < b.feature),
            };
            if better {
                best = Some(c);
            }
        }
        match best {
            Some(split) => {
                heap.push(Candidate {
                    gain: split.gain,
                    open: i,
                });
                open[i].split = Some(split);
            }
            None => {
                if let Some(hist) = open[i].hist.take() {
                    self.spare.push(hist);
                }
            }
        }
    }

    /// The features to scan at this split: all, or `features_per_split`
    /// drawn without replacement (scikit-learn's max_features), sorted.
    fn draw_features(&mut self, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let n = self.features.len();
        let k = self.params.features_per_split.min(n);
        if k == n {
            return (0..n).collect();
        }
        for i in 0..k {
            let j = rng.random_range(i..n);
            self.features.swap(i, j);
        }
        let mut chosen = self.features[..k].to_vec();
        chosen.sort_unstable();
        chosen
    }

    /// Best split of one feature: bins swept left to right with the node's
    /// missing rows on the right, then (when the node has missing rows) on
    /// the left; the missing rows go where the gain is larger.
    fn best_split_of_feature(
        &self,
        f: usize,
        hist: &[BinStats; SLOTS],
        total: &BinStats,
    ) -> Option<Split> {
        let p = self.params;
        let l2 = p.l2_regularization;
        let min_leaf = p.min_samples_leaf as u32;
        let parent = score(total, l2);
        let n_real = self.bins.n_real(f);
        let missing = hist[MISSING_BIN as usize];
        let mut best: Option<Split> = None;
        let sweep = |start: BinStats, last: usize, missing_left: bool, best: &mut Option<Split>| {
            let mut left = start;
            // The best of this sweep, kept in locals: the loop is the hot path.
            let mut best_gain = best.as_ref().map_or(0.0, |s| s.gain);
            let mut found: Option<(usize, BinStats)> = None;
            for (b, stats) in hist.iter().enumerate().take(last) {
                if stats.n == 0 {
                    // Same partition as the previous bin: never strictly better.
                    continue;
                }
                left.add(stats);
                if left.n < min_leaf || left.h < MIN_HESSIAN {
                    continue;
                }
                let right = total.minus(&left);
                if right.n < min_leaf || right.h < MIN_HESSIAN {
                    break;
                }
                // gain = gl²/dl + gr²/dr - parent, compared without a
                // division (dl, dr > 0): divisions dominated the sweep.
                let (dl, dr) = (left.h + l2, right.h + l2);
                let den = dl * dr;
                let num = left.g * left.g * dr + right.g * right.g * dl - parent * den;
                if num > best_gain * den {
                    best_gain = num / den;
                    found = Some((b, left));
                }
            }
            if let Some((b, left)) = found {
                *best = Some(Split {
                    gain: best_gain,
                    feature: f,
                    bin: b as u8,
                    missing_left,
                    left,
                    right: total.minus(&left),
                });
            }
        };
        // "bin <= n_real - 1" leaves only the missing rows on the right.
        let last = if missing.n > 0 { n_real } else { n_real - 1 };
        sweep(BinStats::default(), last, false, &mut best);
        if missing.n > 0 {
            sweep(missing, n_real - 1, true, &mut best);
        }
        best
    }

    /// Splits open node `i`: partitions its samples (stably) and adds two
    /// children; returns their indices in `open`.
    fn split(&mut self, nodes: &mut Vec<Node>, open: &mut Vec<Open>, i: usize) -> (usize, usize) {
        let split = open[i].split.expect("only split nodes are queued");
        self.importances[split.feature] += split.gain;
        let (start, end, depth) = (open[i].start, open[i].end, open[i].depth);
        let column = self.bins.column(split.feature);
        let mut n_left = 0;
        let mut n_right = 0;
        for k in start..end {
            let s = self.samples[k];
            let b = column[s as usize];
            let goes_left = if b == MISSING_BIN {
                split.missing_left
            } else {
                b <= split.bin
            };
            if goes_left {
                self.samples[start + n_left] = s;
                n_left += 1;
            } else {
                self.scratch[n_right] = s;
                n_right += 1;
            }
        }
        self.samples[start + n_left..end].copy_from_slice(&self.scratch[..n_right]);
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
        node.threshold = self.bins.threshold(split.feature, split.bin);
        node.missing_left = missing_left;
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

    /// Histograms of both children: the smaller from its samples, the
    /// larger as the parent's minus the smaller's (in the parent's buffer).
    fn child_histograms(
        &mut self,
        open: &mut [Open],
        parent: usize,
        left: usize,
        right: usize,
        g: &[f32],
        h: Option<&[f32]>,
    ) {
        let mut parent_hist = open[parent]
            .hist
            .take()
            .expect("a queued node has its histogram");
        let (small, large) =
            if open[left].end - open[left].start <= open[right].end - open[right].start {
                (left, right)
            } else {
                (right, left)
            };
        let (start, end) = (open[small].start, open[small].end);
        let mut small_hist = self.take_hist();
        let samples = &self.samples[start..end];
        self.ordered_g.clear();
        self.ordered_g
            .extend(samples.iter().map(|&s| g[s as usize]));
        if let Some(h) = h {
            self.ordered_h.clear();
            self.ordered_h
                .extend(samples.iter().map(|&s| h[s as usize]));
        }
        let rows = NodeRows {
            samples: Some(samples),
            g: &self.ordered_g,
            h: h.map(|_| self.ordered_h.as_slice()),
        };
        histogram::build(&mut small_hist, self.bins, &rows, self.pool);
        histogram::subtract(&mut parent_hist, &small_hist);
        open[small].hist = Some(small_hist);
        open[large].hist = Some(parent_hist);
    }
}
