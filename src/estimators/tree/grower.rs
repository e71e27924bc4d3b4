//! Grows one tree on binned samples, depth-first with an explicit stack (no
//! recursion: deep trees cannot overflow the stack).
//!
//! Memory layout is what makes it fast: each sample carries its target and
//! weight beside its id, and a node owns a contiguous range of them, so
//! every pass over a node reads memory in order. A candidate feature's codes
//! are gathered from the (large) code matrix once per node into a small
//! buffer; sorting and sweeping then touch only node-sized arrays, which
//! stay in cache however deep the node is.

use super::super::binning::{self, Binned};
use super::super::node::Node;
use super::super::split::{Side, Sums};
use super::super::{Criterion, Task};
use super::{DecisionTree, TreeParams};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Most features whose codes a node gathers at once: a tree that considers
/// every feature then holds 8 x its samples' codes, never a second copy of
/// the code matrix.
const GATHER_FEATURES: usize = 8;

/// A training sample in the tree's sample: its row among the binned
/// samples, its class index (as f64) or target value, and its weight.
#[derive(Clone, Copy)]
struct Sample {
    id: u32,
    target: f64,
    weight: f64,
}

/// The best split found so far at a node.
struct Best {
    proxy: f64,
    feature: usize,
    /// Where its codes are in `node_codes` until they are copied to
    /// `split_codes`.
    slot: Option<usize>,
    /// Highest bin on the left.
    bin: u16,
    /// Lowest bin with a value on the right (None: every right-hand sample
    /// misses the feature).
    next_bin: Option<u16>,
    /// Whether the node's missing rows go left.
    missing_left: bool,
}

/// A node waiting to be grown: its index, sample range and depth.
struct Pending {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
}

/// A sample next to a split's boundary: in the split's highest left bin
/// (`slot` = 2 x node) or its lowest right bin (2 x node + 1). Only these
/// can hold the largest value on the left and the smallest on the right.
#[derive(Clone, Copy)]
struct Boundary {
    id: u32,
    slot: u32,
}

/// All scratch buffers live here and are reused by every node: no
/// allocation per node in the hot loop.
pub(super) struct Grower<'a, 'd> {
    params: &'a TreeParams,
    task: Task,
    criterion: Criterion,
    binned: &'a Binned<'d>,
    rng: ChaCha8Rng,
    max_features: usize,
    /// Samples with weight > 0; each node owns a contiguous range.
    samples: Vec<Sample>,
    features: Vec<u32>,
    /// The codes of the features being swept for the node's samples, in
    /// node order, feature after feature.
    node_codes: Vec<u16>,
    /// The codes of the best split's feature so far.
    split_codes: Vec<u16>,
    counts: Vec<u32>,
    offsets: Vec<u32>,
    keys: Vec<u64>,
    /// The node's samples (positions in the node) sorted by code.
    order: Vec<u32>,
    node_side: Side,
    left: Side,
    right: Side,
    tree: DecisionTree,
    /// Per node: the highest bin that goes left (split nodes; thresholds
    /// are placed from it after growing, see `place_thresholds`).
    boundary: Vec<Boundary>,
    total_weight: f64,
}

impl<'a, 'd> Grower<'a, 'd> {
    pub(super) fn new(
        params: &'a TreeParams,
        task: Task,
        binned: &'a Binned<'d>,
        targets: &[f64],
        weights: &[f64],
        seed: u64,
    ) -> Self {
        let n_features = binned.edges.len();
        let n_classes = match task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 0,
        };
        let samples: Vec<Sample> = (0..binned.n_samples)
            .filter(|&s| weights[s] > 0.0)
            .map(|s| Sample {
                id: s as u32,
                target: targets[s],
                weight: weights[s],
            })
            .collect();
        Grower {
            params,
            task,
            criterion: params.criterion,
            binned,
            rng: ChaCha8Rng::seed_from_u64(seed),
            max_features: params.max_features.resolve(n_features),
            order: vec![0; samples.len()],
            node_codes: Vec::new(),
            split_codes: Vec::new(),
            samples,
            features: (0..n_features as u32).collect(),
            // One more than the bins: the missing-value code.
            counts: vec![0; binning::MAX_BINS + 1],
            offsets: vec![0; binning::MAX_BINS + 1],
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
            boundary: Vec::new(),
            total_weight: 0.0,
        }
    }

    pub(super) fn grow(mut self) -> DecisionTree {
        let n = self.samples.len();
        self.tree.nodes.push(Node::leaf(0));
        self.measure(0, n);
        self.total_weight = self.node_side.weight();
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
        self.tree.mark_pure_leaves();
        self.tree
    }

    /// Totals of the node's samples into `node_side`.
    fn measure(&mut self, start: usize, end: usize) {
        self.node_side.clear();
        for s in &self.samples[start..end] {
            self.node_side
                .update(self.criterion, s.target, s.weight, 1.0);
        }
    }

    fn make_leaf(&mut self, node: usize) {
        let side = &self.node_side;
        self.tree.nodes[node] = Node::leaf(self.tree.values.len());
        match self.task {
            Task::Classification { .. } => self
                .tree
                .values
                .extend(side.classes.iter().map(|c| c / side.sums.weight)),
            Task::Regression => self.tree.values.push(side.sums.a / side.sums.weight),
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
        let marked = self.boundary.len();
        let (mid, missing_left) = self.partition(p, &best);
        let (left_imp, right_imp) = self.child_impurities(p.start, mid, p.end);
        let (w, wl, wr) = (
            self.node_side.weight(),
            self.left.weight(),
            self.right.weight(),
        );
        let decrease = w * impurity - wl * left_imp - wr * right_imp;
        if decrease / self.total_weight < params.min_impurity_decrease - 1e-12 {
            // The partition only reordered the node's own range; its
            // boundary samples are no longer needed.
            self.boundary.truncate(marked);
            return None;
        }
        let feature = best.feature;
        self.tree.importances[feature] += decrease;
        let children = self.tree.nodes.len();
        // The threshold comes later, from the raw values (place_thresholds).
        self.tree.nodes[p.node] = Node::split(feature, f64::NAN, missing_left, children);
        Some(mid)
    }

    /// Visits features in random order, scikit-learn's rule: `max_features`
    /// of them, constant ones included, but while every feature visited so
    /// far was constant in the node, it keeps drawing. The first
    /// `max_features` draws never depend on what the sweeps find, so their
    /// codes are gathered together, [`GATHER_FEATURES`] at a time.
    fn find_split(&mut self, start: usize, end: usize) -> Option<Best> {
        let n_features = self.features.len();
        let first = self.max_features.min(n_features);
        for visited in 0..first {
            self.draw_feature(visited);
        }
        let mut best: Option<Best> = None;
        let mut non_constant = 0;
        for group in (0..first).step_by(GATHER_FEATURES) {
            let group = group..(group + GATHER_FEATURES).min(first);
            non_constant += self.sweep_group(group, start, end, &mut best);
        }
        let mut visited = first;
        while non_constant == 0 && visited < n_features {
            self.draw_feature(visited);
            non_constant += self.sweep_group(visited..visited + 1, start, end, &mut best);
            visited += 1;
        }
        best
    }

    /// Draws the `visited`-th feature among those not drawn yet.
    fn draw_feature(&mut self, visited: usize) {
        let j = self.rng.random_range(visited..self.features.len());
        self.features.swap(visited, j);
    }

    /// Gathers and sweeps the drawn features `group` (positions in
    /// `features`); keeps the best one's codes. Returns how many of them
    /// are not constant in the node.
    fn sweep_group(
        &mut self,
        group: std::ops::Range<usize>,
        start: usize,
        end: usize,
        best: &mut Option<Best>,
    ) -> usize {
        self.gather_codes(group.clone(), start, end);
        let mut non_constant = 0;
        for (slot, visited) in group.enumerate() {
            let f = self.features[visited] as usize;
            non_constant += usize::from(self.sweep_feature(f, slot, start, end, best));
        }
        if let Some(b) = best.as_mut() {
            if let Some(slot) = b.slot.take() {
                let n = end - start;
                self.split_codes.clear();
                self.split_codes
                    .extend_from_slice(&self.node_codes[slot * n..(slot + 1) * n]);
            }
        }
        non_constant
    }

    /// Copies the codes of the drawn features `group` for the node's
    /// samples into `node_codes` (the k-th feature's codes at k x n, in node
    /// order), reading each sample's codes row once.
    fn gather_codes(&mut self, group: std::ops::Range<usize>, start: usize, end: usize) {
        let n = end - start;
        let width = group.len();
        if self.node_codes.len() < width * n {
            self.node_codes.resize(width * n, 0);
        }
        let features = &self.features[group];
        let codes = &mut self.node_codes[..width * n];
        for (i, s) in self.samples[start..end].iter().enumerate() {
            let row = self.binned.row(s.id);
            for (k, &f) in features.iter().enumerate() {
                codes[k * n + i] = row[f as usize];
            }
        }
    }

    /// Sweeps the node's samples in bin order of feature `f` (its codes in
    /// `slot`), scoring every boundary between bins, with the node's missing
    /// rows (sorted last) on the right and then, if there are any, on the
    /// left (scikit-learn's rule: they go where the impurity drops most).
    /// Returns false when the feature is constant in the node.
    fn sweep_feature(
        &mut self,
        f: usize,
        slot: usize,
        start: usize,
        end: usize,
        best: &mut Option<Best>,
    ) -> bool {
        let n = end - start;
        self.sort_by_bin(f, slot, start, n);
        let codes = &self.node_codes[slot * n..(slot + 1) * n];
        let order = &self.order[..n];
        if codes[order[0] as usize] == codes[order[n - 1] as usize] {
            return false;
        }
        let missing = self.binned.missing_code(f);
        let n_missing = order
            .iter()
            .rev()
            .take_while(|&&i| codes[i as usize] == missing)
            .count();
        self.sweep_present((f, slot, start), n - n_missing, n, false, best);
        if n_missing > 0 {
            self.sweep_present((f, slot, start), n - n_missing, n, true, best);
        }
        true
    }

    /// One sweep over the first `n_present` sorted samples (those with a
    /// value); the missing ones (`n_present..n`) start on the left or stay
    /// on the right.
    fn sweep_present(
        &mut self,
        (f, slot, start): (usize, usize, usize),
        n_present: usize,
        n: usize,
        missing_left: bool,
        best: &mut Option<Best>,
    ) {
        let criterion = self.criterion;
        let min_leaf = self.params.min_samples_leaf;
        let samples = &self.samples[start..start + n];
        let codes = &self.node_codes[slot * n..(slot + 1) * n];
        let order = &self.order[..n];
        self.left.clear();
        self.right.copy_from(&self.node_side);
        let (left, right) = (&mut self.left.classes[..], &mut self.right.classes[..]);
        let (mut ls, mut rs) = (Sums::default(), self.right.sums);
        #[inline(always)]
        fn move_left(
            s: &Sample,
            sums: (&mut Sums, &mut Sums),
            classes: (&mut [f64], &mut [f64]),
            criterion: Criterion,
        ) {
            sums.0.update(classes.0, criterion, s.target, s.weight, 1.0);
            sums.1
                .update(classes.1, criterion, s.target, s.weight, -1.0);
        }
        if missing_left {
            for &i in &order[n_present..n] {
                move_left(
                    &samples[i as usize],
                    (&mut ls, &mut rs),
                    (left, right),
                    criterion,
                );
            }
        }
        let mut k = 0;
        while k < n_present {
            let bin = codes[order[k] as usize];
            while k < n_present && codes[order[k] as usize] == bin {
                move_left(
                    &samples[order[k] as usize],
                    (&mut ls, &mut rs),
                    (left, right),
                    criterion,
                );
                k += 1;
            }
            if ls.samples >= min_leaf && rs.samples >= min_leaf {
                let proxy = ls.proxy(criterion) + rs.proxy(criterion);
                if best.as_ref().is_none_or(|b| proxy > b.proxy) {
                    *best = Some(Best {
                        proxy,
                        feature: f,
                        slot: Some(slot),
                        bin,
                        next_bin: (k < n_present).then(|| codes[order[k] as usize]),
                        missing_left,
                    });
                }
            }
        }
    }

    /// Puts the node's positions into `order` sorted by the codes in
    /// `slot`: a counting sort for large nodes (ties in node order), a
    /// comparison sort when the node has far fewer samples than the feature
    /// has bins (ties by sample, as trees have always been grown: the order
    /// of equal-code samples decides how rounding falls in the sums).
    fn sort_by_bin(&mut self, f: usize, slot: usize, start: usize, n: usize) {
        let codes = &self.node_codes[slot * n..(slot + 1) * n];
        let n_bins = self.binned.n_bins(f);
        if n * 4 < n_bins {
            // Code (11 bits), sample id (32 bits), position (< 512: the
            // node has fewer than (MAX_BINS + 1) / 4 samples).
            const POSITION_BITS: u32 = 9;
            debug_assert!(n < 1 << POSITION_BITS && n_bins <= 1 << 11);
            let ids = &self.samples[start..start + n];
            self.keys.clear();
            self.keys.extend(codes.iter().enumerate().map(|(i, &c)| {
                let id = u64::from(ids[i].id);
                (u64::from(c) << (32 + POSITION_BITS)) | (id << POSITION_BITS) | i as u64
            }));
            self.keys.sort_unstable();
            for (o, k) in self.order.iter_mut().zip(&self.keys) {
                *o = (*k & ((1 << POSITION_BITS) - 1)) as u32;
            }
            return;
        }
        let counts = &mut self.counts[..n_bins];
        counts.fill(0);
        for &c in codes {
            counts[c as usize] += 1;
        }
        let mut total = 0;
        for (offset, &c) in self.offsets.iter_mut().zip(counts.iter()) {
            *offset = total;
            total += c;
        }
        for (i, &c) in codes.iter().enumerate() {
            let slot = &mut self.offsets[c as usize];
            self.order[*slot as usize] = i as u32;
            *slot += 1;
        }
    }

    /// Places every split's threshold halfway between the largest value on
    /// the left and the smallest on the right among the node's samples
    /// (scikit-learn's rule), so unseen values between them split evenly; the
    /// largest float when every right-hand row misses the feature. (NaN takes
    /// no part: max and min skip it.) Only the samples in the bins next to
    /// each boundary are read, in row order, so the raw rows are read once,
    /// block by block, and a mapped matrix's pages are handed back behind.
    fn place_thresholds(&mut self) {
        let n_nodes = self.tree.nodes.len();
        let mut left_max = vec![f64::NEG_INFINITY; n_nodes];
        let mut right_min = vec![f64::INFINITY; n_nodes];
        let binned = self.binned;
        self.boundary.sort_unstable_by_key(|b| (b.id, b.slot));
        let mut released = 0;
        for b in &self.boundary {
            let node = b.slot as usize / 2;
            let s = b.id as usize;
            while s >= released + binning::BLOCK_ROWS {
                binned.release_samples(released..released + binning::BLOCK_ROWS);
                released += binning::BLOCK_ROWS;
            }
            let v = binned.value(self.tree.nodes[node].feature(), b.id);
            if b.slot % 2 == 0 {
                left_max[node] = left_max[node].max(v);
            } else {
                right_min[node] = right_min[node].min(v);
            }
        }
        while released < binned.n_samples {
            let end = (released + binning::BLOCK_ROWS).min(binned.n_samples);
            binned.release_samples(released..end);
            released = end;
        }
        for (i, node) in self.tree.nodes.iter_mut().enumerate() {
            if !node.is_leaf() {
                // f64::MAX, not infinity: JSON has no infinity.
                node.set_threshold(if right_min[i] == f64::INFINITY {
                    f64::MAX
                } else {
                    binning::midpoint(left_max[i], right_min[i])
                });
            }
        }
    }

    /// Moves the samples that go left (bin <= `best.bin`, or missing when
    /// the missing rows go left) to the front of the node's range, noting
    /// the samples next to the boundary. Returns where the right child
    /// starts and where missing values go: when no row of the node missed
    /// the feature, to the child with more rows (as scikit-learn).
    fn partition(&mut self, p: &Pending, best: &Best) -> (usize, bool) {
        let n = p.end - p.start;
        let missing = self.binned.missing_code(best.feature);
        // Position i still holds its sample when the loop reads codes[i]:
        // swaps only move samples already passed.
        let codes = &self.split_codes[..n];
        let range = &mut self.samples[p.start..p.end];
        let (left_slot, right_slot) = (2 * p.node as u32, 2 * p.node as u32 + 1);
        let mut mid = 0;
        let mut any_missing = false;
        for (i, &code) in codes.iter().enumerate() {
            any_missing |= code == missing;
            if code == best.bin {
                self.boundary.push(Boundary {
                    id: range[i].id,
                    slot: left_slot,
                });
            } else if Some(code) == best.next_bin {
                self.boundary.push(Boundary {
                    id: range[i].id,
                    slot: right_slot,
                });
            }
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
        (p.start + mid, missing_left)
    }

    /// Exact totals of both children (the sweep's sums may carry rounding).
    fn child_impurities(&mut self, start: usize, mid: usize, end: usize) -> (f64, f64) {
        self.left.clear();
        self.right.clear();
        for (range, side) in [(start..mid, &mut self.left), (mid..end, &mut self.right)] {
            for s in &self.samples[range] {
                side.update(self.criterion, s.target, s.weight, 1.0);
            }
        }
        (
            self.left.impurity(self.criterion),
            self.right.impurity(self.criterion),
        )
    }
}
