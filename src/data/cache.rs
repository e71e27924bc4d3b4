//! The binary cache format and its memory-mapped reader.
//!
//! Layout (little-endian): `MAGIC` | x: n_rows x n_features f64, row-major |
//! y: n_rows f64 | header JSON | header length u64. The header goes last so
//! the importer can stream rows straight into the file without knowing their
//! number in advance; x starts at byte 8, so the f64s are aligned in the map.

use crate::models::TargetKind;
use anyhow::{bail, Context, Result};
use memmap2::Mmap;
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

#[cfg(not(target_endian = "little"))]
compile_error!("the dataset cache stores little-endian f64s and is mapped as-is");

pub const MAGIC: &[u8; 8] = b"GRIDRUN\x01";

/// What a cache file holds, without the numbers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CacheHeader {
    pub n_rows: usize,
    pub n_features: usize,
    pub feature_names: Vec<String>,
    pub target_name: String,
    pub target: TargetKind,
    /// Class labels as written in the CSV, in class-index order (sorted).
    pub classes: Option<Vec<String>>,
    /// The CSV it came from.
    pub source: PathBuf,
    /// blake3 of the CSV's bytes (and of the column roles when set):
    /// identifies the data in task keys.
    pub fingerprint: String,
    /// Per feature: numbers, or category codes (index into `categories`).
    #[serde(default)]
    pub feature_kinds: Vec<FeatureKind>,
    /// Per feature: how many cells are missing (stored as NaN).
    #[serde(default)]
    pub missing: Vec<usize>,
    /// Columns left out by `dataset.drop`.
    #[serde(default)]
    pub dropped: Vec<String>,
    /// The texts read as missing.
    #[serde(default)]
    pub na_values: Vec<String>,
    /// Things a person should know before trusting results (identifier-like
    /// columns, numbers with a stray text), printed before every run.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// What a feature column holds in the cache.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FeatureKind {
    Numeric,
    /// Codes 0..n index `categories` (sorted); NaN is missing.
    Categorical {
        categories: Vec<String>,
    },
}

impl FeatureKind {
    pub fn is_categorical(&self) -> bool {
        matches!(self, FeatureKind::Categorical { .. })
    }
}

impl CacheHeader {
    /// The stand-in header of a command task without `[dataset]`.
    pub fn no_data() -> CacheHeader {
        CacheHeader {
            n_rows: 0,
            n_features: 0,
            feature_names: Vec::new(),
            target_name: String::new(),
            target: TargetKind::Regression,
            classes: None,
            source: PathBuf::new(),
            fingerprint: "no-data".into(),
            feature_kinds: Vec::new(),
            missing: Vec::new(),
            dropped: Vec::new(),
            na_values: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The feature kinds, numeric for a cache written before kinds existed.
    pub fn kinds(&self) -> Vec<FeatureKind> {
        if self.feature_kinds.len() == self.n_features {
            self.feature_kinds.clone()
        } else {
            vec![FeatureKind::Numeric; self.n_features]
        }
    }

    /// (column, missing count) for every feature with missing cells.
    pub fn missing_columns(&self) -> Vec<(&str, usize)> {
        self.feature_names
            .iter()
            .zip(&self.missing)
            .filter(|(_, &n)| n > 0)
            .map(|(name, &n)| (name.as_str(), n))
            .collect()
    }

    fn x_bytes(&self) -> usize {
        self.n_rows * self.n_features * 8
    }
}

/// A memory-mapped cache file.
pub struct Dataset {
    /// Lets passes over the rows drop the pages they are done with; declared
    /// before `map` so it is unregistered before the unmapping.
    _pages: super::pages::Registered,
    map: Mmap,
    pub header: CacheHeader,
}

impl Dataset {
    pub fn open(path: &Path) -> Result<Dataset> {
        let file = File::open(path)
            .with_context(|| format!("{}: cannot open the dataset cache", path.display()))?;
        let header = read_header_from(&file, path)?;
        // SAFETY: the cache is written once to a temporary name and renamed
        // into place, never modified afterwards, so the mapping stays valid.
        let map = unsafe { Mmap::map(&file) }
            .with_context(|| format!("{}: cannot map", path.display()))?;
        let needed = 8 + header.x_bytes() + header.n_rows * 8;
        if map.len() < needed {
            bail!(
                "{}: cache is truncated ({} bytes, {} needed): delete it to rebuild",
                path.display(),
                map.len(),
                needed
            );
        }
        Ok(Dataset {
            _pages: super::pages::register(&map),
            map,
            header,
        })
    }

    fn floats(&self, offset: usize, count: usize) -> &[f64] {
        let bytes = &self.map[offset..offset + count * 8];
        // SAFETY: the map is page-aligned and offsets are multiples of 8, so
        // the pointer is aligned for f64; length checked in `open`.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f64>(), count) }
    }

    /// All features, row-major.
    pub fn x(&self) -> ArrayView2<'_, f64> {
        let h = &self.header;
        ArrayView2::from_shape(
            (h.n_rows, h.n_features),
            self.floats(8, h.n_rows * h.n_features),
        )
        .expect("shape checked in open")
    }

    pub fn y(&self) -> ArrayView1<'_, f64> {
        let h = &self.header;
        ArrayView1::from(self.floats(8 + h.x_bytes(), h.n_rows))
    }
}

/// Reads only the header (for the coordinator, which never maps the data).
pub fn read_header(path: &Path) -> Result<CacheHeader> {
    let file = File::open(path)
        .with_context(|| format!("{}: cannot open the dataset cache", path.display()))?;
    read_header_from(&file, path)
}

fn read_header_from(mut file: &File, path: &Path) -> Result<CacheHeader> {
    let bad = || {
        format!(
            "{}: not a gridrun dataset cache (delete it to rebuild)",
            path.display()
        )
    };
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).with_context(bad)?;
    if &magic != MAGIC {
        bail!(bad());
    }
    let len = file.seek(SeekFrom::End(-8)).with_context(bad)?;
    let mut n = [0u8; 8];
    file.read_exact(&mut n).with_context(bad)?;
    let header_len = u64::from_le_bytes(n);
    if header_len > len {
        bail!(bad());
    }
    file.seek(SeekFrom::Start(len - header_len))
        .with_context(bad)?;
    let mut json = vec![0u8; header_len as usize];
    file.read_exact(&mut json).with_context(bad)?;
    serde_json::from_slice(&json).with_context(bad)
}
