//! The binary form of a fitted tree (inside best_model.bin): nodes in
//! preorder, so no child pointers are stored (a split's left child is the
//! next node, its right child follows the left subtree); one kind byte per
//! node; split features as varints (1 byte below 128, 2 below 16,384);
//! thresholds as f32 where that is exact, else f64; each leaf an index into
//! the tree's table of distinct leaf values (a full-depth classification
//! tree has thousands of leaves but only a few distinct class vectors).
//! Every number round-trips exactly: the unpacked tree predicts the same.

use super::{DecisionTree, Node};
use crate::estimators::node::MAX_FEATURE;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Node kind bits.
const SPLIT: u8 = 1;
const MISSING_LEFT: u8 = 2;
const THRESHOLD_F32: u8 = 4;

#[derive(Serialize, Deserialize)]
pub struct PackedTree {
    task: crate::estimators::Task,
    n_features: u32,
    /// Per node, in preorder: SPLIT | MISSING_LEFT | THRESHOLD_F32 bits.
    kinds: Vec<u8>,
    /// Per split node, in preorder.
    features: Vec<u32>,
    thresholds_f32: Vec<f32>,
    thresholds_f64: Vec<f64>,
    /// Per leaf, in preorder: index into `table`.
    leaves: Vec<u32>,
    /// Distinct leaf values: the (class or 0, value) pairs that are not zero.
    table: Vec<Vec<(u32, f64)>>,
    importances: Vec<f64>,
}

impl PackedTree {
    pub fn pack(tree: &DecisionTree) -> PackedTree {
        let mut p = PackedTree {
            task: tree.task,
            n_features: tree.n_features as u32,
            kinds: Vec::with_capacity(tree.nodes.len()),
            features: Vec::new(),
            thresholds_f32: Vec::new(),
            thresholds_f64: Vec::new(),
            leaves: Vec::new(),
            table: Vec::new(),
            importances: tree.importances.clone(),
        };
        let mut distinct: HashMap<Vec<(u32, u64)>, u32> = HashMap::new();
        let width = tree.width();
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            let node = &tree.nodes[i];
            if node.is_leaf() {
                let start = node.left();
                let values: Vec<(u32, f64)> = tree.values[start..start + width]
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(k, v)| (k as u32, *v))
                    .collect();
                let key = values.iter().map(|&(k, v)| (k, v.to_bits())).collect();
                let next = p.table.len() as u32;
                let index = *distinct.entry(key).or_insert(next);
                if index == next {
                    p.table.push(values);
                }
                p.kinds.push(0);
                p.leaves.push(index);
                continue;
            }
            let mut kind = SPLIT;
            if node.missing_left() {
                kind |= MISSING_LEFT;
            }
            let threshold = node.threshold();
            let narrow = threshold as f32;
            if narrow as f64 == threshold {
                kind |= THRESHOLD_F32;
                p.thresholds_f32.push(narrow);
            } else {
                p.thresholds_f64.push(threshold);
            }
            p.kinds.push(kind);
            p.features.push(node.feature() as u32);
            // Preorder: the left subtree is emitted first.
            stack.push(node.right());
            stack.push(node.left());
        }
        p
    }

    /// Rebuilds the tree, checking every index (a damaged file is an error,
    /// never a panic).
    pub fn unpack(self) -> Result<DecisionTree, String> {
        let mut tree = DecisionTree {
            task: self.task,
            n_features: self.n_features as usize,
            nodes: Vec::with_capacity(self.kinds.len()),
            values: Vec::new(),
            importances: Vec::new(),
        };
        let preorder = self.read_preorder(tree.width(), &mut tree.values)?;
        tree.nodes = pair_layout(&preorder);
        tree.importances = self.importances;
        tree.mark_pure_leaves();
        Ok(tree)
    }

    /// The nodes in file (pre)order with explicit children; leaf values are
    /// appended to `values`.
    fn read_preorder(&self, width: usize, values: &mut Vec<f64>) -> Result<Vec<Linked>, String> {
        let (mut features, mut narrow, mut wide, mut leaves) = (
            self.features.iter(),
            self.thresholds_f32.iter(),
            self.thresholds_f64.iter(),
            self.leaves.iter(),
        );
        let bad = |what: &str| Err(format!("malformed tree: {what}"));
        let mut nodes: Vec<Linked> = Vec::with_capacity(self.kinds.len());
        // Split nodes still waiting for their right child.
        let mut open: Vec<usize> = Vec::new();
        let mut previous_split = false;
        for (i, &kind) in self.kinds.iter().enumerate() {
            if i > 0 {
                if previous_split {
                    nodes[i - 1].children.0 = i;
                } else {
                    let Some(parent) = open.pop() else {
                        return bad("nodes after the last leaf");
                    };
                    nodes[parent].children.1 = i;
                }
            }
            previous_split = kind & SPLIT != 0;
            if !previous_split {
                let Some(&index) = leaves.next() else {
                    return bad("too few leaves");
                };
                let Some(leaf_values) = self.table.get(index as usize) else {
                    return bad("leaf index out of range");
                };
                let start = values.len();
                values.resize(start + width, 0.0);
                for &(k, v) in leaf_values {
                    let Some(slot) = values.get_mut(start + k as usize) else {
                        return bad("leaf value out of range");
                    };
                    *slot = v;
                }
                nodes.push(Linked {
                    node: Node::leaf(start),
                    children: (0, 0),
                });
                continue;
            }
            let threshold = if kind & THRESHOLD_F32 != 0 {
                narrow.next().map(|&t| t as f64)
            } else {
                wide.next().copied()
            };
            let (Some(&feature), Some(threshold)) = (features.next(), threshold) else {
                return bad("too few split features or thresholds");
            };
            let feature = feature as usize;
            if feature >= self.n_features as usize || feature > MAX_FEATURE {
                return bad("split feature out of range");
            }
            open.push(i);
            let missing_left = kind & MISSING_LEFT != 0;
            nodes.push(Linked {
                node: Node::split(feature, threshold, missing_left, 0),
                children: (0, 0),
            });
        }
        if nodes.is_empty() || previous_split || !open.is_empty() {
            return bad("the node list ends inside a subtree");
        }
        Ok(nodes)
    }
}

/// A node read from the file, with its children's preorder positions.
struct Linked {
    node: Node,
    children: (usize, usize),
}

/// The tree's own layout: breadth first, both children of a split side by
/// side (the right child is always the left one + 1).
fn pair_layout(preorder: &[Linked]) -> Vec<Node> {
    let mut nodes = vec![preorder[0].node];
    let mut queue = std::collections::VecDeque::from([(0usize, 0usize)]);
    while let Some((from, at)) = queue.pop_front() {
        let linked = &preorder[from];
        if linked.node.is_leaf() {
            nodes[at] = linked.node;
            continue;
        }
        let left = nodes.len();
        let (l, r) = linked.children;
        nodes.push(preorder[l].node);
        nodes.push(preorder[r].node);
        let n = linked.node;
        nodes[at] = Node::split(n.feature(), n.threshold(), n.missing_left(), left);
        queue.push_back((l, left));
        queue.push_back((r, left + 1));
    }
    nodes
}
