//! Boosting prediction over blocks of rows, tree by tree (as the forest
//! predicts): a block's rows are copied next to each other, then each tree
//! in turn sends every row of the block to its leaf while the tree's nodes
//! stay in cache; rows go down a tree [`LANES`] at a time, one level per
//! step, so their nodes are fetched in parallel. Blocks run in parallel on
//! the current rayon pool. Each row's raw scores start from the baseline
//! and add the trees' values in tree order, exactly as one row walking
//! every tree does, so the results are the same bit for bit.

use super::grower::{Node, LEAF};
use super::{Bitset, GradientBoosting};
use crate::estimators::predict::{gather, BLOCK_ROWS};
use crate::estimators::tree::argmax;
use crate::estimators::Task;
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

/// Rows that go down a tree side by side.
const LANES: usize = 8;

impl GradientBoosting {
    /// Class index (as f64) or value for each row, and for classes the
    /// probabilities: one pass over the trees for both.
    pub fn predict_all(
        &self,
        x: ArrayView2<f64>,
        rows: &[usize],
    ) -> (Array1<f64>, Option<Array2<f64>>) {
        let k = self.loss.n_scores();
        let raw = self.raw_scores_of(x, rows);
        let Task::Classification { n_classes } = self.task else {
            return (Array1::from(raw), None);
        };
        let mut p = vec![0.0; n_classes.max(2)];
        let mut proba = Array2::zeros((rows.len(), n_classes));
        for (scores, mut out) in raw.chunks_exact(k).zip(proba.rows_mut()) {
            self.loss.proba(scores, &mut p);
            for (o, v) in out.iter_mut().zip(&p) {
                *o = *v;
            }
        }
        let classes = proba
            .rows()
            .into_iter()
            .map(|r| argmax(r.as_slice().expect("rows of a new array are contiguous")) as f64)
            .collect();
        (classes, Some(proba))
    }

    /// Class index (as f64) or value for each row.
    pub fn predict_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> Array1<f64> {
        self.predict_all(x, rows).0
    }

    /// Class probabilities per row (None for regression).
    pub fn predict_proba_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> Option<Array2<f64>> {
        self.predict_all(x, rows).1
    }

    /// The raw scores of `rows`, `n_scores` per row one row after another.
    fn raw_scores_of(&self, x: ArrayView2<f64>, rows: &[usize]) -> Vec<f64> {
        let k = self.loss.n_scores();
        let mut raw = vec![0.0; rows.len() * k];
        raw.par_chunks_mut(BLOCK_ROWS * k)
            .zip(rows.par_chunks(BLOCK_ROWS))
            .for_each_init(Vec::new, |block, (raw, rows)| {
                gather(x, rows, block);
                for scores in raw.chunks_exact_mut(k) {
                    scores.copy_from_slice(&self.baseline);
                }
                for (t, tree) in self.trees.iter().enumerate() {
                    let walk = Walk {
                        nodes: tree,
                        sets: &self.category_sets,
                        n_features: self.n_features,
                    };
                    walk.add_values(block, raw, k, t % k);
                }
            });
        raw
    }
}

/// One tree over a block of rows.
struct Walk<'t> {
    nodes: &'t [Node],
    sets: &'t [Bitset],
    n_features: usize,
}

impl Walk<'_> {
    /// Adds the tree's value for each row of `block` to score `c` of the
    /// row's `k` scores in `raw`.
    fn add_values(&self, block: &[f64], raw: &mut [f64], k: usize, c: usize) {
        let width = self.n_features.max(1);
        for (rows, scores) in block.chunks(LANES * width).zip(raw.chunks_mut(LANES * k)) {
            let lanes = rows.len() / width;
            let mut at = [0usize; LANES];
            let mut moving = true;
            while moving {
                moving = false;
                for (lane, row) in at[..lanes].iter_mut().zip(rows.chunks_exact(width)) {
                    let node = &self.nodes[*lane];
                    if node.feature != LEAF {
                        *lane = node.child(self.sets, row[node.feature as usize]);
                        moving = true;
                    }
                }
            }
            for (lane, &node) in at[..lanes].iter().enumerate() {
                scores[lane * k + c] += self.nodes[node].value;
            }
        }
    }
}
