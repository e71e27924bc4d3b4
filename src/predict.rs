//! `gridrun predict`: apply a saved best_model.json to a CSV.

use crate::data::read_features_csv;
use crate::models;
use crate::results::best::SavedModel;
use anyhow::{anyhow, Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes one prediction per row (class label or value), with a header.
pub fn predict(model_path: &Path, data: &Path, out: &mut dyn Write) -> Result<usize> {
    let text = std::fs::read_to_string(model_path)
        .with_context(|| format!("{}: cannot read", model_path.display()))?;
    let saved: SavedModel = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}: not a gridrun best_model.json: {e}",
            model_path.display()
        )
    })?;
    let model = models::find(&saved.model)
        .ok_or_else(|| anyhow!("{}: unknown model `{}`", model_path.display(), saved.model))?;
    let fitted = model
        .load(&saved.fitted)
        .map_err(|e| anyhow!("{}: {e}", model_path.display()))?;
    let mut x = read_features_csv(
        data,
        &saved.feature_names,
        &saved.feature_kinds,
        &saved.na_values,
    )?;
    let all: Vec<usize> = (0..x.nrows()).collect();
    if let Some(pipeline) = &saved.preprocess {
        x = pipeline.transform(x.view(), &all);
    }
    let rows = all;
    let prediction = fitted.predict(x.view(), &rows).map_err(|e| anyhow!(e))?;
    writeln!(out, "{}", saved.target_name)?;
    for v in &prediction.values {
        match &saved.classes {
            Some(classes) => writeln!(
                out,
                "{}",
                classes.get(*v as usize).map_or("?", String::as_str)
            )?,
            None => writeln!(out, "{v}")?,
        }
    }
    Ok(prediction.values.len())
}
