//! Thresholds placed after growing follow scikit-learn's rule on the
//! samples that reach each node.

use super::*;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Noisy data with missing values, and a weight per row (0 for some: rows
/// left out of a forest tree's sample).
fn noisy(n: usize, seed: u64) -> (Array2<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, 6), |(_, f)| match f {
        0 if rng.random::<f64>() < 0.2 => f64::NAN,
        1 => f64::from(rng.random_range(0..6u8)),
        _ => rng.random::<f64>() * 10.0 - 5.0,
    });
    let y: Vec<f64> = (0..n)
        .map(|r| {
            let signal = x[[r, 1]] + x[[r, 2]] + x[[r, 0]].max(0.0);
            f64::from(signal + rng.random::<f64>() * 4.0 > 4.0) + f64::from(r % 7 == 0)
        })
        .collect();
    let weights = (0..n).map(|r| f64::from(r % 5 != 3) * 1.5).collect();
    (x, y, weights)
}

/// For every split node: the largest value going left and the smallest
/// going right among the training rows that reach it (routed by the tree's
/// own thresholds) must have the threshold halfway between them.
/// Returns the number of split nodes.
fn check_thresholds(
    tree: &DecisionTree,
    x: &Array2<f64>,
    rows: &[usize],
    weights: &[f64],
) -> usize {
    let n = tree.nodes.len();
    let (mut left_max, mut right_min) = (vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n]);
    for (&r, _) in rows.iter().zip(weights).filter(|(_, &w)| w > 0.0) {
        let mut i = 0;
        while !tree.nodes[i].is_leaf() {
            let node = tree.nodes[i];
            let v = x[[r, node.feature()]];
            let next = node.child(v);
            if next == node.left() {
                left_max[i] = left_max[i].max(v);
            } else {
                right_min[i] = right_min[i].min(v);
            }
            i = next;
        }
    }
    let mut splits = 0;
    for (i, node) in tree.nodes.iter().enumerate().filter(|(_, n)| !n.is_leaf()) {
        let expected = if right_min[i] == f64::INFINITY {
            f64::MAX
        } else {
            super::super::binning::midpoint(left_max[i], right_min[i])
        };
        assert_eq!(node.threshold().to_bits(), expected.to_bits(), "node {i}");
        splits += 1;
    }
    splits
}

#[test]
fn thresholds_are_midpoints_between_the_node_samples_on_either_side() {
    let (x, y, weights) = noisy(12_000, 3);
    let task = Task::Classification { n_classes: 3 };
    // Unsorted rows, more than one block of them.
    let rows: Vec<usize> = (0..x.nrows()).filter(|r| r % 4 != 0).rev().collect();
    let targets: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
    let sample_weights: Vec<f64> = rows.iter().map(|&r| weights[r]).collect();
    let binned = Binned::new(x.view(), &rows);
    for (max_depth, min_splits) in [(Some(3), 7), (None, 200)] {
        let params = TreeParams {
            max_depth,
            ..TreeParams::default()
        };
        let tree = DecisionTree::fit_binned(&params, task, &binned, &targets, &sample_weights, 7);
        let splits = check_thresholds(&tree, &x, &rows, &sample_weights);
        assert!(splits >= min_splits, "{splits} splits");
    }
    let tree = DecisionTree::fit_rows(
        &TreeParams::default(),
        task,
        x.view(),
        ndarray::ArrayView1::from(&y),
        &rows,
    )
    .unwrap();
    assert!(check_thresholds(&tree, &x, &rows, &vec![1.0; rows.len()]) >= 200);
}
