//! Datasets: a CSV is parsed once into a binary cache file, which every
//! worker memory-maps (one copy in the page cache, however many workers).

mod cache;
mod chunks;
mod groups;
mod import;
mod number;
pub mod pages;
pub mod roles;
pub mod spec;
mod survey;

pub use cache::{CacheHeader, Dataset, FeatureKind};
pub use groups::{groups_path, load_groups, read_groups, GroupCodes};
pub use import::{cache_path, line_at, na_values_of, read_features_csv, DEFAULT_NA_VALUES};

use anyhow::Result;
use std::path::{Path, PathBuf};

/// Makes sure the cache for `spec` (and the group codes, when `[dataset]`
/// names a group column) exist in `cache_dir`; returns the cache's path and
/// header. Parses the CSV only when there is no valid cache yet.
pub fn prepare(spec: &spec::DatasetSpec, cache_dir: &Path) -> Result<(PathBuf, CacheHeader)> {
    let (path, header) = import::prepare(spec, cache_dir)?;
    groups::prepare(spec, &path, header.n_rows)?;
    Ok((path, header))
}

/// [`prepare`] for a config that may have no `[dataset]` (a command task):
/// then no cache and a stand-in header.
pub fn prepare_optional(
    spec: Option<&spec::DatasetSpec>,
    cache_dir: &Path,
) -> Result<(PathBuf, CacheHeader)> {
    match spec {
        Some(d) => prepare(d, cache_dir),
        None => Ok((PathBuf::new(), CacheHeader::no_data())),
    }
}
