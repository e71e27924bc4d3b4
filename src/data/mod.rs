//! Datasets: a CSV is parsed once into a binary cache file, which every
//! worker memory-maps (one copy in the page cache, however many workers).

mod cache;
mod import;

pub use cache::{CacheHeader, Dataset};
pub use import::{cache_path, prepare, read_features_csv};
