//! `gridrun predict`: apply a saved model (best_model.bin or its
//! best_model.json manifest) to a CSV.

use crate::data::read_features_csv;
use crate::models;
use crate::results::model_file::{self, ModelMeta};
use anyhow::{anyhow, bail, Context, Result};
use std::io::Write;
use std::path::Path;

/// What to write besides the prediction.
#[derive(Debug, Default, Clone)]
pub struct PredictOptions {
    /// One probability column per class after the prediction.
    pub proba: bool,
    /// Input columns copied through (e.g. an id), before the prediction.
    pub keep: Vec<String>,
}

/// Writes one CSV row per input row: kept columns, the prediction (class
/// label or value), then class probabilities when asked; with a header.
pub fn predict(
    model_path: &Path,
    data: &Path,
    options: &PredictOptions,
    out: &mut dyn Write,
) -> Result<usize> {
    let loaded = model_file::load(model_path)?;
    let saved = &loaded.meta;
    let model = models::find(&saved.model)
        .ok_or_else(|| anyhow!("{}: unknown model `{}`", model_path.display(), saved.model))?;
    if options.proba && (saved.classes.is_none() || !model.gives_proba()) {
        bail!(
            "--proba: {} gives no class probabilities ({})",
            model_path.display(),
            if saved.classes.is_none() {
                "a regression model".to_string()
            } else {
                format!("{} does not", saved.model)
            }
        );
    }
    let fitted = &loaded.fitted;
    let kept = read_columns(data, &options.keep)?;
    let mut x = read_features_csv(
        data,
        &saved.feature_names,
        &saved.feature_kinds,
        &saved.na_values,
    )?;
    let rows: Vec<usize> = (0..x.nrows()).collect();
    if let Some(pipeline) = &saved.preprocess {
        // the in-fold preprocessing, fitted on all rows with the refit
        x = pipeline.transform(x.view(), &rows);
    }
    let prediction = fitted.predict(x.view(), &rows).map_err(|e| anyhow!(e))?;
    let proba = match (&prediction.proba, options.proba) {
        (Some(p), true) => Some(p),
        (None, true) => bail!("--proba: the model returned no probabilities"),
        _ => None,
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header(saved, options))?;
    for (i, v) in prediction.values.iter().enumerate() {
        let mut record: Vec<String> = kept.iter().map(|column| column[i].clone()).collect();
        record.push(match &saved.classes {
            Some(classes) => classes
                .get(*v as usize)
                .map_or("?", String::as_str)
                .to_string(),
            None => v.to_string(),
        });
        if let Some(p) = proba {
            record.extend(p.row(i).iter().map(|x| x.to_string()));
        }
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(prediction.values.len())
}

fn header(saved: &ModelMeta, options: &PredictOptions) -> Vec<String> {
    let mut h = options.keep.clone();
    h.push(saved.target_name.clone());
    if options.proba {
        if let Some(classes) = &saved.classes {
            h.extend(classes.iter().map(|c| format!("proba_{c}")));
        }
    }
    h
}

/// The named columns of a CSV, as text, one Vec per column.
fn read_columns(path: &Path, names: &[String]) -> Result<Vec<Vec<String>>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let index: Vec<usize> = names
        .iter()
        .map(|n| {
            headers
                .iter()
                .position(|h| h.trim() == n)
                .ok_or_else(|| anyhow!("{}: --keep {n}: no such column", path.display()))
        })
        .collect::<Result<_>>()?;
    let mut columns = vec![Vec::new(); names.len()];
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: cannot read", path.display()))?;
        for (column, &c) in columns.iter_mut().zip(&index) {
            column.push(record.get(c).unwrap_or("").to_string());
        }
    }
    Ok(columns)
}
