//! Datasets: a CSV is parsed once into a binary cache file, which every
//! worker memory-maps (one copy in the page cache, however many workers).

mod cache;
mod import;
pub mod roles;
mod survey;

pub use cache::{CacheHeader, Dataset, FeatureKind};
pub use import::{
    cache_path, line_at, na_values_of, prepare, read_features_csv, DEFAULT_NA_VALUES,
};
