//! The binary form of a fitted boosting model (inside best_model.bin): the
//! model's own fields through postcard (its trees have at most a few dozen
//! leaves, so they need no packing of their own), checked on the way back
//! so that a damaged file is an error, never a panic in prediction.

use super::grower::LEAF;
use super::GradientBoosting;

impl GradientBoosting {
    pub fn pack(&self) -> Result<Vec<u8>, String> {
        postcard::to_stdvec(self).map_err(|e| e.to_string())
    }

    pub fn unpack(bytes: &[u8]) -> Result<GradientBoosting, String> {
        let model: GradientBoosting =
            postcard::from_bytes(bytes).map_err(|e| format!("malformed boosting model: {e}"))?;
        model.check_shape()?;
        Ok(model)
    }

    fn check_shape(&self) -> Result<(), String> {
        let bad = |what: &str| Err(format!("malformed boosting model: {what}"));
        if self.baseline.len() != self.loss.n_scores() || self.importances.len() != self.n_features
        {
            return bad("baseline or importances of the wrong length");
        }
        for nodes in &self.trees {
            if nodes.is_empty() {
                return bad("an empty tree");
            }
            for (i, node) in nodes.iter().enumerate() {
                let children_ok = |c: u32| (c as usize) > i && (c as usize) < nodes.len();
                if node.feature != LEAF
                    && (node.feature as usize >= self.n_features
                        || !children_ok(node.left)
                        || !children_ok(node.right))
                {
                    return bad("a split node points outside its tree");
                }
            }
        }
        Ok(())
    }
}
