//! Successive halving on n_samples: which rows of a fold a round uses.

use serde::{Deserialize, Serialize};

/// scikit-learn's `_SubsampleMetaSplitter`: each fold keeps
/// int(fraction x rows) of its training rows and of its test rows, drawn
/// without replacement. The draw depends on the seed, repeat and fold only,
/// so every candidate of a round sees the same rows, and a larger fraction
/// keeps the rows of a smaller one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Subsample {
    pub fraction: f64,
    pub seed: u64,
}

impl Subsample {
    /// The kept rows of `rows` (in their order), for split `repeat`/`fold`;
    /// `part` tells the training rows (0) from the test rows (1).
    pub fn rows(&self, rows: &[usize], repeat: u32, fold: u32, part: u64) -> Vec<usize> {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let keep = ((self.fraction * rows.len() as f64) as usize).min(rows.len());
        let key = format!("{}\n{repeat}\n{fold}\n{part}", self.seed);
        let hash = blake3::hash(key.as_bytes());
        let mut rng = rand_chacha::ChaCha8Rng::from_seed(*hash.as_bytes());
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.shuffle(&mut rng);
        let mut kept: Vec<usize> = order[..keep].to_vec();
        kept.sort_unstable();
        kept.into_iter().map(|i| rows[i]).collect()
    }
}
