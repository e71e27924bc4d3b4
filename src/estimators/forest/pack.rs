//! The binary form of a fitted forest: its trees packed one by one (see
//! `tree/pack.rs`), in parallel.

use super::RandomForest;
use crate::estimators::tree::PackedTree;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct PackedForest {
    task: crate::estimators::Task,
    n_features: u32,
    trees: Vec<PackedTree>,
}

impl PackedForest {
    pub fn pack(forest: &RandomForest) -> PackedForest {
        PackedForest {
            task: forest.task,
            n_features: forest.n_features as u32,
            trees: forest.trees.par_iter().map(PackedTree::pack).collect(),
        }
    }

    pub fn unpack(self) -> Result<RandomForest, String> {
        let trees = self
            .trees
            .into_par_iter()
            .map(PackedTree::unpack)
            .collect::<Result<Vec<_>, String>>()?;
        if trees.is_empty() {
            return Err("malformed forest: no trees".into());
        }
        if trees
            .iter()
            .any(|t| t.task() != self.task || t.n_features() != self.n_features as usize)
        {
            return Err("malformed forest: trees of another task or width".into());
        }
        Ok(RandomForest {
            task: self.task,
            n_features: self.n_features as usize,
            trees,
        })
    }
}
