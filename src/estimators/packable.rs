//! The binary model format of the tree models (best_model.bin): compact,
//! exact, checked on loading.

use super::forest::PackedForest;
use super::tree::PackedTree;
use super::{DecisionTree, GradientBoosting, RandomForest};

/// A fitted model that saves itself as bytes and loads back the same model
/// (same predictions, bit for bit).
pub trait Packable: Sized {
    fn to_bytes(&self) -> Result<Vec<u8>, String>;
    fn from_bytes(bytes: &[u8]) -> Result<Self, String>;
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("malformed {what}: {e}"))
}

impl Packable for DecisionTree {
    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        postcard::to_stdvec(&PackedTree::pack(self)).map_err(|e| e.to_string())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        decode::<PackedTree>(bytes, "tree")?.unpack()
    }
}

impl Packable for RandomForest {
    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        postcard::to_stdvec(&PackedForest::pack(self)).map_err(|e| e.to_string())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        decode::<PackedForest>(bytes, "forest")?.unpack()
    }
}

impl Packable for GradientBoosting {
    fn to_bytes(&self) -> Result<Vec<u8>, String> {
        self.pack()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        GradientBoosting::unpack(bytes)
    }
}
