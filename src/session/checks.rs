//! What is checked before any task runs: the dataset path, the model and
//! metrics against the target, the folds against the data; and the data
//! fingerprint results are valid for.

use crate::config::{Config, CvKind};
use crate::data::{self, CacheHeader};
use crate::metrics;
use crate::models;
use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;

/// An empty `path` or a folder is named with its key, before any work.
pub(super) fn check_dataset_path(config: &Config) -> Result<()> {
    let Some(dataset) = &config.dataset else {
        return Ok(());
    };
    let path = &dataset.path;
    if path.is_dir() {
        bail!(
            "{}: dataset.path: {} is a folder, not a CSV file",
            config.path.display(),
            path.display()
        );
    }
    Ok(())
}

/// Everything about the data that a config error can be: model and metrics
/// against the target (then the data's header is shown), then the folds
/// against the rows.
pub(super) fn check_data(
    config: &Config,
    cache: &Path,
    header: &CacheHeader,
    quiet: bool,
) -> Result<()> {
    if config.task.is_none() {
        check_compatible(config, header)?;
        crate::report::data_header(config, header, quiet);
    }
    if config.dataset.is_some() {
        check_folds(config, cache, header)?;
        crate::folds::check_on_data(&config.cv, cache, header)
            .map_err(|e| anyhow!("{}: cv: {e:#}", config.path.display()))?;
    }
    Ok(())
}

/// The data fingerprint a result is valid for: the dataset's, plus the
/// folds file's content for predefined folds (its path is in the task id,
/// its content is not).
pub(super) fn run_fingerprint(config: &Config, header: &CacheHeader) -> Result<String> {
    let Some(file) = &config.cv.folds_file else {
        return Ok(header.fingerprint.clone());
    };
    let bytes = std::fs::read(file)
        .with_context(|| format!("{}: cannot read the folds file", file.display()))?;
    let hash = blake3::hash(&bytes).to_hex();
    Ok(format!("{}+folds-{}", header.fingerprint, &hash[..16]))
}

/// Folds that cannot all have test rows (more folds than rows, or than the
/// rows of the smallest class for stratified folds) are a config error.
fn check_folds(config: &Config, cache: &Path, header: &CacheHeader) -> Result<()> {
    let cv = &config.cv;
    let file = config.path.display();
    if matches!(cv.kind, CvKind::Holdout | CvKind::Predefined) {
        return Ok(());
    }
    if cv.folds > header.n_rows {
        bail!(
            "{file}: cv.folds: {} folds but {} has only {} rows",
            cv.folds,
            header.source.display(),
            header.n_rows
        );
    }
    let stratified = matches!(
        cv.kind,
        CvKind::StratifiedKfold | CvKind::RepeatedStratifiedKfold
    );
    let Some(n_classes) = header.target.n_classes().filter(|_| stratified) else {
        return Ok(());
    };
    let data = data::Dataset::open(cache)?;
    let mut counts = vec![0usize; n_classes];
    for &y in data.y() {
        if let Some(c) = counts.get_mut(y as usize) {
            *c += 1;
        }
    }
    let (class, &smallest) = counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .min_by_key(|(_, &n)| n)
        .unwrap_or((0, &0));
    if cv.folds > smallest {
        let name = header
            .classes
            .as_ref()
            .and_then(|c| c.get(class).cloned())
            .unwrap_or_else(|| class.to_string());
        bail!(
            "{file}: cv.folds: {} stratified folds but class `{name}` has only {smallest} rows (every fold needs every class); use at most {smallest} folds or kind = \"kfold\"",
            cv.folds
        );
    }
    Ok(())
}

/// Rejects a model or metric that cannot handle this target, before any task runs.
fn check_compatible(config: &Config, header: &CacheHeader) -> Result<()> {
    let file = config.path.display();
    for kind in config.kinds() {
        check_model_fits(config, kind, header)?;
    }
    for setting in &config.settings {
        let model = models::find(config.model_of(setting)).context("unknown model")?;
        let (_, params) = models::split_kind(&config.full_params(setting));
        if let Err((key, why)) = model.check(&params, header.target) {
            let table = if config.grid_keys.contains(&key) {
                "grid"
            } else {
                "model"
            };
            bail!("{file}: {table}.{key}: {why}");
        }
    }
    if let Some(folds_file) = &config.cv.folds_file {
        crate::folds::check_predefined(folds_file, header.n_rows)?;
    }
    crate::preprocess::check_before_run(config, header)
}

/// A model kind that cannot handle the target or give what a metric needs.
fn check_model_fits(config: &Config, kind: &str, header: &CacheHeader) -> Result<()> {
    let model = models::find(kind).context("unknown model")?;
    let file = config.path.display();
    if let Err(why) = model.supports(header.target) {
        bail!(
            "{file}: model.kind: {why} (target `{}` of {})",
            header.target_name,
            header.source.display()
        );
    }
    for m in &config.metrics {
        if let Err(why) = metrics::check_target(m, header.target) {
            bail!("{file}: scoring.metrics: {why}");
        }
        if metrics::needs_proba(m) && !model.gives_proba() {
            bail!(
                "{file}: scoring.metrics: {m} needs class probabilities, which {} does not give",
                model.name()
            );
        }
    }
    Ok(())
}
