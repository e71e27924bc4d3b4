//! best.json: the winning setting, and best_model.json: it refit on all rows.

use super::cv_results::CvResults;
use crate::data::CacheHeader;
use crate::params::Params;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Best {
    pub metric: String,
    /// Index of the setting in cv_results.csv (scikit-learn's best_index_).
    pub best_index: usize,
    /// The grid's hyperparameters (best_params_).
    pub best_params: Params,
    /// Grid plus fixed hyperparameters: what the model was given.
    pub model_params: Params,
    /// NaN as "NaN", as in the journal (a setting whose every score is NaN can be the best).
    #[serde(serialize_with = "super::float::serialize")]
    pub mean: f64,
    #[serde(serialize_with = "super::float::serialize")]
    pub std: f64,
    pub n_splits: usize,
    pub scores: std::collections::BTreeMap<String, super::cv_results::MeanStd>,
    pub model: String,
    pub classes: Option<Vec<String>>,
    /// Impurity-based importances by feature name, where the model gives them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_importances: Option<Vec<Importance>>,
    /// Whether the best setting is refit on all rows (scikit-learn's
    /// `refit`; false: no model is written).
    pub refit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refit_seconds: Option<f64>,
    /// The refit model's file (best_model.bin; best_model.json describes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_file_bytes: Option<u64>,
    /// Seconds the worker took to pack and write it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_write_seconds: Option<f64>,
    /// Peak resident memory of the worker that refit and wrote it, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refit_worker_peak_rss_kb: Option<u64>,
    /// Why refitting on all rows failed (there is then no best_model.bin).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refit_error: Option<String>,
    /// When the refit ran (seconds since the Unix epoch), for the timeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refit_start: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refit_end: Option<f64>,
    /// Successive halving: candidates and resources per round.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<super::cv_results::RoundCount>,
}

impl Best {
    pub fn new(
        results: &CvResults,
        index: usize,
        model: &str,
        model_params: Params,
        header: &CacheHeader,
    ) -> Best {
        let row = &results.rows[index];
        let main = row.test[&results.refit];
        Best {
            metric: results.refit.clone(),
            best_index: index,
            best_params: row.params.clone(),
            model_params,
            mean: main.mean,
            std: main.std,
            n_splits: results.n_splits,
            scores: row.test.clone(),
            model: model.to_string(),
            classes: header.classes.clone(),
            feature_importances: None,
            refit: true,
            refit_seconds: None,
            model_file: None,
            model_file_bytes: None,
            model_write_seconds: None,
            refit_worker_peak_rss_kb: None,
            refit_error: None,
            refit_start: None,
            refit_end: None,
            rounds: results.rounds.clone(),
        }
    }
}

/// One feature's share of the impurity decrease.
#[derive(Debug, Serialize)]
pub struct Importance {
    pub feature: String,
    #[serde(serialize_with = "super::float::serialize")]
    pub importance: f64,
}

/// best_model.json as gridrun wrote it before best_model.bin (the whole
/// model as JSON); `gridrun predict` still reads it.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct SavedModel {
    pub model: String,
    pub params: Params,
    pub feature_names: Vec<String>,
    pub target_name: String,
    pub target: crate::models::TargetKind,
    pub classes: Option<Vec<String>>,
    pub fitted: serde_json::Value,
    /// How each input column is read: numbers or categories (by label).
    #[serde(default)]
    pub feature_kinds: Vec<crate::data::FeatureKind>,
    /// Cell texts read as missing.
    #[serde(default)]
    pub na_values: Vec<String>,
    /// The preprocessing fitted on all rows, applied before the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<crate::preprocess::FittedPipeline>,
}
