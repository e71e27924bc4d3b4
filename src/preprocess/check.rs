//! Before any task runs: settings that cannot work on this data are
//! errors, and the run header says what will be applied.

use super::{Encode, Impute, Settings, Step};
use crate::config::Config;
use crate::data::CacheHeader;
use crate::models;
use anyhow::{bail, Result};

/// Categorical columns with no encoder, and missing values for a model that
/// cannot take them with no imputer, are errors naming every column.
pub fn check_before_run(config: &Config, header: &CacheHeader) -> Result<()> {
    let file = config.path.display();
    let categorical = categorical_names(header);
    let missing = header.missing_columns();
    for setting in &config.settings {
        let params = config.full_params(setting);
        let settings = Settings::from_params(&params).map_err(anyhow::Error::msg)?;
        let kind = config.model_of(setting);
        let model = models::find(kind).expect("validated model");
        let native = model.native_categories(&super::model_params(&models::split_kind(&params).1));
        if let Some(most) = native {
            check_cardinality(config, header, kind, most)?;
        }
        if settings.encode == Encode::None && !categorical.is_empty() && native.is_none() {
            bail!(
                "{file}: {}: columns {} of {} are categorical (not numbers, or in dataset.categorical), and encode = \"none\" gives a model no way to use them: set encode = \"onehot\" or \"ordinal\", or drop them in [dataset]",
                key_of(config, Step::Encode),
                categorical.join(", "),
                header.source.display()
            );
        }
        if settings.impute == Impute::None && !missing.is_empty() && !model.handles_missing() {
            let list: Vec<String> = missing.iter().map(|(c, n)| format!("{c} {n}")).collect();
            bail!(
                "{file}: {}: {} cannot take missing values and no imputer is set; {} has missing values in {} column(s): {} (set impute = \"mean\", \"median\", \"most_frequent\" or \"constant\" in [preprocess])",
                key_of(config, Step::Impute),
                kind,
                header.source.display(),
                list.len(),
                list.join(", ")
            );
        }
    }
    Ok(())
}

/// A model splitting categories natively takes at most `most` per column
/// (scikit-learn's max_bins check, made before any task runs).
fn check_cardinality(config: &Config, header: &CacheHeader, kind: &str, most: usize) -> Result<()> {
    for (name, feature) in header.feature_names.iter().zip(header.kinds()) {
        if let crate::data::FeatureKind::Categorical { categories } = feature {
            if categories.len() > most {
                bail!(
                    "{}: max_bins: categorical column {name} of {} has {} categories, more than max_bins = {most} allows for {kind}'s native categorical splits: set categorical_features = \"none\" to encode it instead, or drop it in [dataset]",
                    config.path.display(),
                    header.source.display(),
                    categories.len()
                );
            }
        }
    }
    Ok(())
}

/// Where a step's setting comes from, for messages.
fn key_of(config: &Config, step: Step) -> String {
    if config.grid_keys.contains(&step.param_key()) {
        format!("grid.{}", step.param_key())
    } else {
        step.param_key()
    }
}

fn categorical_names(header: &CacheHeader) -> Vec<String> {
    header
        .feature_names
        .iter()
        .zip(header.kinds())
        .filter(|(_, k)| k.is_categorical())
        .map(|(n, _)| n.clone())
        .collect()
}

/// The run header's lines about the data and its preprocessing.
pub fn describe_run(config: &Config, header: &CacheHeader) -> Vec<String> {
    let mut lines = vec![format!(
        "data: {}: {} rows, {} features, target `{}`{}",
        header.source.display(),
        header.n_rows,
        header.n_features,
        header.target_name,
        if header.dropped.is_empty() {
            String::new()
        } else {
            format!("; dropped: {}", header.dropped.join(", "))
        }
    )];
    let categorical: Vec<String> = header
        .feature_names
        .iter()
        .zip(header.kinds())
        .filter_map(|(n, k)| match k {
            crate::data::FeatureKind::Categorical { categories } => {
                Some(format!("{n} ({})", categories.len()))
            }
            crate::data::FeatureKind::Numeric => None,
        })
        .collect();
    if !categorical.is_empty() {
        lines.push(format!(
            "categorical columns (every non-numeric column, and dataset.categorical): {}",
            categorical.join(", ")
        ));
    }
    let missing = header.missing_columns();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|(c, n)| format!("{c} {n}")).collect();
        lines.push(format!(
            "missing values (empty, {}): {}",
            header.na_values.join(", "),
            list.join(", ")
        ));
    }
    lines.push(format!(
        "preprocessing, fitted on each fold's training rows: {}",
        describe_steps(config)
    ));
    let native = config.settings.iter().any(|setting| {
        let (_, params) = models::split_kind(&config.full_params(setting));
        models::find(config.model_of(setting))
            .is_some_and(|m| m.native_categories(&super::model_params(&params)).is_some())
    });
    if native && !categorical.is_empty() {
        lines.push(
            "categorical columns split natively (categorical_features = \"from_dtype\"): no encoding for them, unknown categories count as missing".into(),
        );
    }
    lines
}

/// "impute mean, scale standard (default for logistic_regression), encode
/// onehot"; a step the grid varies is shown as its values.
fn describe_steps(config: &Config) -> String {
    // Several models: each kind has its own defaults (shown as values).
    let model = models::find(&config.model);
    Step::ALL
        .iter()
        .map(|&step| {
            let key = step.param_key();
            let values: Vec<String> = {
                let mut v: Vec<String> = config
                    .settings
                    .iter()
                    .filter_map(|s| config.full_params(s).get(&key).map(|p| p.to_string()))
                    .collect();
                v.dedup();
                v.sort();
                v.dedup();
                v
            };
            let text = if config.grid_keys.contains(&key) {
                format!("{} [grid: {}]", step.name(), values.join(", "))
            } else {
                format!("{} {}", step.name(), values.join(", "))
            };
            if step == Step::Scale
                && !config.grid_keys.contains(&key)
                && model.is_some_and(|model| {
                    values == [super::default_for(step, model)] && model.wants_scaling()
                })
            {
                format!("{text} (default for {})", config.model)
            } else {
                text
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
