//! Prediction over blocks of rows, tree by tree: a block's rows are copied
//! next to each other, then each tree in turn sends every row of the block
//! to its leaf, so one tree's upper nodes stay in cache while they are
//! used (a row walking all trees one after the other misses the cache at
//! nearly every node). Blocks run in parallel on the current rayon pool
//! (a worker's share of the cores). Each row still adds the trees' leaf
//! values in tree order, so the sums are the same bit for bit.

use super::tree::{argmax, DecisionTree, Leaf};
use super::Task;
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

impl DecisionTree {
    /// Class index (as f64) or value for each row, and for classes the
    /// probabilities, in blocks of rows on the current rayon pool.
    pub fn predict_all(
        &self,
        x: ArrayView2<f64>,
        rows: &[usize],
    ) -> (Array1<f64>, Option<Array2<f64>>) {
        predict_all(std::slice::from_ref(self), self.task(), x, rows)
    }

    /// Class index (as f64) or value for each row.
    pub fn predict_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> Array1<f64> {
        self.predict_all(x, rows).0
    }

    /// Class probabilities per row (None for regression).
    pub fn predict_proba_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> Option<Array2<f64>> {
        self.predict_all(x, rows).1
    }
}

/// Rows per block. Larger blocks reuse each tree more while it is in the
/// cache (measured on 100 full trees of 80,000 rows: 2048 rows took 0.7x
/// the time of 256); the block's values (800 KB at 50 features) stay in L2/L3.
pub(super) const BLOCK_ROWS: usize = 2048;

/// Per row, the mean over `trees` of the leaf values (`width` each; one
/// tree: its leaf values as they are).
fn mean_leaf_values(
    trees: &[DecisionTree],
    width: usize,
    x: ArrayView2<f64>,
    rows: &[usize],
) -> Array2<f64> {
    let mut out = Array2::zeros((rows.len(), width));
    let Some(out_slice) = out.as_slice_mut().filter(|_| width > 0) else {
        return out;
    };
    out_slice
        .par_chunks_mut(BLOCK_ROWS * width)
        .zip(rows.par_chunks(BLOCK_ROWS))
        .for_each_init(Vec::new, |block, (acc, rows)| {
            gather(x, rows, block);
            // The block is copied: a mapped matrix's pages can go.
            crate::data::pages::release_rows(x, rows);
            block_means(trees, width, (block, rows.len()), acc);
        });
    out
}

/// The predictions from the per-row values: the first class with the
/// highest value, or the value itself for regression.
fn decide(task: Task, values: &Array2<f64>) -> Array1<f64> {
    values
        .rows()
        .into_iter()
        .map(|v| match task {
            Task::Classification { .. } => {
                argmax(v.as_slice().expect("rows of a new array are contiguous")) as f64
            }
            Task::Regression => v[0],
        })
        .collect()
}

/// Predictions and, for classes, the probabilities (the mean leaf values).
pub fn predict_all(
    trees: &[DecisionTree],
    task: Task,
    x: ArrayView2<f64>,
    rows: &[usize],
) -> (Array1<f64>, Option<Array2<f64>>) {
    let width = match task {
        Task::Classification { n_classes } => n_classes,
        Task::Regression => 1,
    };
    let values = mean_leaf_values(trees, width, x, rows);
    let predicted = decide(task, &values);
    let proba = matches!(task, Task::Classification { .. }).then_some(values);
    (predicted, proba)
}

/// Copies the rows into `block`, one after another.
pub(super) fn gather(x: ArrayView2<f64>, rows: &[usize], block: &mut Vec<f64>) {
    block.clear();
    for &r in rows {
        let row = x.row(r);
        match row.as_slice() {
            Some(values) => block.extend_from_slice(values),
            None => block.extend(row.iter()),
        }
    }
}

/// The mean leaf values of the block's rows into `acc` (zeros on entry),
/// summed in tree order. A single tree's values are copied, not added to
/// zero (which would turn -0.0 into 0.0).
fn block_means(
    trees: &[DecisionTree],
    width: usize,
    (block, n_rows): (&[f64], usize),
    acc: &mut [f64],
) {
    if let [tree] = trees {
        tree.visit_leaves(block, n_rows, |k, leaf| {
            let acc = &mut acc[k * width..(k + 1) * width];
            match leaf {
                Leaf::Values(values) => acc.copy_from_slice(values),
                // acc is +0.0 everywhere: the pure leaf's values.
                Leaf::Pure(class) => acc[class] = 1.0,
            }
        });
        return;
    }
    for tree in trees {
        tree.visit_leaves(block, n_rows, |k, leaf| match leaf {
            Leaf::Values(values) => {
                for (a, v) in acc[k * width..(k + 1) * width].iter_mut().zip(values) {
                    *a += v;
                }
            }
            Leaf::Pure(class) => acc[k * width + class] += 1.0,
        });
    }
    let n = trees.len() as f64;
    acc.iter_mut().for_each(|a| *a /= n);
}
