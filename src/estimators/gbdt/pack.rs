//! The binary form of a fitted boosting model (inside best_model.bin): a
//! format tag and version, then the model's own fields through postcard
//! (its trees have at most a few dozen leaves, so they need no packing of
//! their own), checked on the way back so that a damaged file is an error,
//! never a panic in prediction.
//!
//! Version 2 added categorical splits (a category-set index per node, the
//! model's categorical features and category sets). Version 1 files (no
//! tag: they start with the task's postcard tag, 0 or 1) still load, as
//! models with threshold splits only.

use super::categorical::Bitset;
use super::grower::{Node, LEAF, NUMERIC};
use super::{GradientBoosting, Loss, Task};
use serde::Deserialize;

/// "GBDT" then the format version.
const TAG: &[u8; 4] = b"GBDT";
const VERSION: u8 = 2;

impl GradientBoosting {
    pub fn pack(&self) -> Result<Vec<u8>, String> {
        let mut bytes = TAG.to_vec();
        bytes.push(VERSION);
        postcard::to_extend(self, bytes).map_err(|e| e.to_string())
    }

    pub fn unpack(bytes: &[u8]) -> Result<GradientBoosting, String> {
        let model = match bytes.strip_prefix(TAG.as_slice()) {
            Some([VERSION, rest @ ..]) => postcard::from_bytes(rest)
                .map_err(|e| format!("malformed boosting model: {e}"))?,
            Some([v, ..]) => {
                return Err(format!(
                    "boosting model format {v} is newer than this gridrun reads (1 to {VERSION}): use a newer gridrun"
                ))
            }
            Some([]) => return Err("malformed boosting model: no format version".into()),
            None => postcard::from_bytes::<Version1>(bytes)
                .map_err(|e| format!("malformed boosting model: {e}"))?
                .upgrade(),
        };
        model.check_shape()?;
        Ok(model)
    }

    fn check_shape(&self) -> Result<(), String> {
        let bad = |what: &str| Err(format!("malformed boosting model: {what}"));
        if self.baseline.len() != self.loss.n_scores()
            || self.importances.len() != self.n_features
            || self.categorical.len() != self.n_features
        {
            return bad("baseline, importances or categorical features of the wrong length");
        }
        for nodes in &self.trees {
            if nodes.is_empty() {
                return bad("an empty tree");
            }
            for (i, node) in nodes.iter().enumerate() {
                if node.feature == LEAF {
                    continue;
                }
                let children_ok = |c: u32| (c as usize) > i && (c as usize) < nodes.len();
                if node.feature as usize >= self.n_features
                    || !children_ok(node.left)
                    || !children_ok(node.right)
                {
                    return bad("a split node points outside its tree");
                }
                let categorical = self.categorical[node.feature as usize];
                if node.categories != NUMERIC
                    && (!categorical || node.categories as usize >= self.category_sets.len())
                {
                    return bad("a categorical split without its category set");
                }
            }
        }
        Ok(())
    }
}

/// A model as saved before categorical splits (format 1, untagged).
#[derive(Deserialize)]
struct Version1 {
    task: Task,
    loss: Loss,
    n_features: usize,
    baseline: Vec<f64>,
    trees: Vec<Vec<NodeVersion1>>,
    n_iter: usize,
    importances: Vec<f64>,
}

#[derive(Deserialize)]
struct NodeVersion1 {
    feature: u32,
    threshold: f64,
    left: u32,
    right: u32,
    missing_left: bool,
    value: f64,
}

impl Version1 {
    fn upgrade(self) -> GradientBoosting {
        let node = |n: NodeVersion1| Node {
            feature: n.feature,
            threshold: n.threshold,
            left: n.left,
            right: n.right,
            missing_left: n.missing_left,
            value: n.value,
            categories: NUMERIC,
        };
        GradientBoosting {
            task: self.task,
            loss: self.loss,
            n_features: self.n_features,
            baseline: self.baseline,
            trees: self
                .trees
                .into_iter()
                .map(|t| t.into_iter().map(node).collect())
                .collect(),
            n_iter: self.n_iter,
            importances: self.importances,
            categorical: vec![false; self.n_features],
            category_sets: Vec::<Bitset>::new(),
        }
    }
}
