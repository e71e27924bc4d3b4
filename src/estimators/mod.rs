//! gridrun's own decision tree, random forest and histogram gradient
//! boosting, with scikit-learn's parameters and meanings, as linfa
//! estimators. All three learn from missing values (NaN) themselves.
//!
//! Why our own: linfa-ensemble draws one feature subset per tree (not per
//! split) and linfa-trees scans every row through a mask at every node and
//! breaks ties through a HashMap. Here features are binned once per fit
//! ([`binning`]), each node sorts its own samples by bin with a counting sort
//! and sweeps them once per candidate feature (O(n_node + bins), whatever the
//! number of classes), all randomness comes from ChaCha8 streams derived
//! from the seed, and a forest's trees are independent, so the same seed
//! gives the same model bit for bit on any number of threads.

mod binning;
mod forest;
mod gbdt;
mod linfa_traits;
mod node;
mod packable;
mod predict;
mod split;
mod tree;

pub use forest::{ForestParams, MaxSamples, RandomForest};
pub use gbdt::{EarlyStopping, GbdtParams, GradientBoosting, LossChoice};
pub use packable::Packable;
pub use tree::{DecisionTree, TreeParams};

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// What gridrun needs of a fitted tree or forest.
pub trait RowPredictor {
    fn predict_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> ndarray::Array1<f64>;
    fn predict_proba_rows(
        &self,
        x: ArrayView2<f64>,
        rows: &[usize],
    ) -> Option<ndarray::Array2<f64>>;
    fn feature_importances(&self) -> Vec<f64>;
    /// Predictions and probabilities at once (a model that computes both
    /// from the same values overrides this to do it once).
    fn predict_all(
        &self,
        x: ArrayView2<f64>,
        rows: &[usize],
    ) -> (ndarray::Array1<f64>, Option<ndarray::Array2<f64>>) {
        (self.predict_rows(x, rows), self.predict_proba_rows(x, rows))
    }
}

macro_rules! row_predictor {
    ($model:ty $(, $all:ident)?) => {
        impl RowPredictor for $model {
            fn predict_rows(&self, x: ArrayView2<f64>, rows: &[usize]) -> ndarray::Array1<f64> {
                <$model>::predict_rows(self, x, rows)
            }
            fn predict_proba_rows(
                &self,
                x: ArrayView2<f64>,
                rows: &[usize],
            ) -> Option<ndarray::Array2<f64>> {
                <$model>::predict_proba_rows(self, x, rows)
            }
            fn feature_importances(&self) -> Vec<f64> {
                <$model>::feature_importances(self)
            }
            $(
                fn predict_all(
                    &self,
                    x: ArrayView2<f64>,
                    rows: &[usize],
                ) -> (ndarray::Array1<f64>, Option<ndarray::Array2<f64>>) {
                    <$model>::$all(self, x, rows)
                }
            )?
        }
    };
}

row_predictor!(DecisionTree, predict_all);
row_predictor!(RandomForest, predict_all);
row_predictor!(GradientBoosting, predict_all);

/// What the tree predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    /// Targets are class indices 0..n_classes (as f64).
    Classification {
        n_classes: usize,
    },
    Regression,
}

/// Impurity measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Criterion {
    Gini,
    /// Shannon entropy in bits (scikit-learn's "entropy" / "log_loss").
    Entropy,
    SquaredError,
}

/// Features drawn (without replacement) at every split, as scikit-learn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum MaxFeatures {
    All,
    Sqrt,
    Log2,
    Count(usize),
    Fraction(f64),
}

impl MaxFeatures {
    pub fn resolve(self, n_features: usize) -> usize {
        let n = n_features as f64;
        let k = match self {
            MaxFeatures::All => n_features,
            MaxFeatures::Sqrt => n.sqrt() as usize,
            MaxFeatures::Log2 => n.log2() as usize,
            MaxFeatures::Count(c) => c,
            MaxFeatures::Fraction(f) => (f * n) as usize,
        };
        k.clamp(1, n_features.max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// n_samples / (n_classes * count of the class).
    Balanced,
}

/// Why a fit was refused.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("invalid parameter: {0}")]
    Params(String),
    #[error("row {row}, column {column}: the value {value} is not finite (infinite values cannot be split on; a missing value is NaN)")]
    NotFinite {
        row: usize,
        column: usize,
        value: f64,
    },
    #[error("no training rows")]
    Empty,
    #[error("row {row}: target {value} is not a class index below {n_classes}")]
    BadLabel {
        row: usize,
        value: f64,
        n_classes: usize,
    },
    #[error(transparent)]
    Linfa(#[from] linfa::error::Error),
}

/// Checks the training rows before any work: no infinite features (NaN is
/// a missing value, which the estimators handle), valid labels.
fn check_inputs(
    task: Task,
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    rows: &[usize],
) -> Result<(), FitError> {
    if rows.is_empty() || x.ncols() == 0 {
        return Err(FitError::Empty);
    }
    for block in rows.chunks(binning::BLOCK_ROWS) {
        check_rows(task, x, y, block)?;
        // Read once: a mapped matrix's pages can go (see crate::data::pages).
        crate::data::pages::release_rows(x, block);
    }
    Ok(())
}

/// The checks of [`check_inputs`] on one block of rows.
fn check_rows(
    task: Task,
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    rows: &[usize],
) -> Result<(), FitError> {
    for &row in rows {
        if let Some((column, &value)) = x.row(row).iter().enumerate().find(|(_, v)| v.is_infinite())
        {
            return Err(FitError::NotFinite { row, column, value });
        }
        let t = y[row];
        match task {
            Task::Classification { n_classes }
                if !(t >= 0.0 && t.fract() == 0.0 && (t as usize) < n_classes) =>
            {
                return Err(FitError::BadLabel {
                    row,
                    value: t,
                    n_classes,
                });
            }
            Task::Regression if !t.is_finite() => {
                return Err(FitError::NotFinite {
                    row,
                    column: x.ncols(),
                    value: t,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Per-row weights from class_weight="balanced" over the training rows.
fn class_weights(
    task: Task,
    y: ArrayView1<f64>,
    rows: &[usize],
    weight: Option<ClassWeight>,
) -> Option<Vec<f64>> {
    let (Task::Classification { n_classes }, Some(ClassWeight::Balanced)) = (task, weight) else {
        return None;
    };
    let mut counts = vec![0usize; n_classes];
    for &r in rows {
        counts[y[r] as usize] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count().max(1);
    // scikit-learn's compute_class_weight over the classes present.
    Some(
        counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    rows.len() as f64 / (present as f64 * c as f64)
                }
            })
            .collect(),
    )
}

/// SplitMix64: independent seeds for trees (and nodes) from one seed.
fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
