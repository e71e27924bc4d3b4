//! The config exactly as written, with spans for error messages.

use super::{Backend, CvKind};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use toml::Spanned;

/// A table of hyperparameters, each key and value with its position.
pub type ParamTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub name: Option<String>,
    pub dataset: Option<RawDataset>,
    /// `[model]`, or `[[model]]` tables (several models).
    pub model: Option<Spanned<super::several::RawModels>>,
    /// Your own command as the task (instead of `[model]`).
    pub task: Option<super::task::RawTask>,
    pub grid: Option<Grid>,
    pub search: Option<super::search::RawSearch>,
    pub cv: Option<RawCv>,
    pub scoring: Option<RawScoring>,
    pub run: Option<RawRun>,
    pub preprocess: Option<RawPreprocess>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDataset {
    pub path: Spanned<PathBuf>,
    pub target: Option<Spanned<RawTarget>>,
    pub task: Option<Spanned<String>>,
    pub groups: Option<Spanned<RawTarget>>,
    pub drop: Option<Vec<Spanned<RawTarget>>>,
    pub categorical: Option<Vec<Spanned<RawTarget>>>,
    pub na_values: Option<Spanned<Vec<String>>>,
}

/// `[preprocess]`: each key may also be a grid axis as `preprocess.KEY`.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawPreprocess {
    pub impute: Option<Spanned<String>>,
    pub scale: Option<Spanned<String>>,
    pub encode: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawTarget {
    Index(i64),
    Name(String),
    /// Anything else, reported as such (not as serde's untagged-enum text).
    Other(toml::Value),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawCv {
    pub kind: Option<Spanned<CvKind>>,
    pub folds: Option<Spanned<usize>>,
    pub repeats: Option<Spanned<usize>>,
    pub shuffle: Option<bool>,
    pub seed: Option<u64>,
    pub test_size: Option<Spanned<f64>>,
    pub folds_file: Option<Spanned<PathBuf>>,
    pub gap: Option<Spanned<usize>>,
    pub max_train_size: Option<Spanned<usize>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawScoring {
    pub metrics: Option<Vec<Spanned<String>>>,
    pub refit: Option<Spanned<RawRefit>>,
    /// Per metric key: false for losses (command tasks report their own keys).
    pub greater_is_better: Option<Spanned<std::collections::BTreeMap<String, bool>>>,
}

/// scikit-learn's `refit`: the metric that picks the best setting, or
/// whether to refit it on all rows at all.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawRefit {
    Flag(bool),
    Metric(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub jobs: Option<usize>,
    pub backend: Option<Backend>,
    pub output: Option<PathBuf>,
    pub retries: Option<usize>,
    pub timeout: Option<Spanned<String>>,
    pub max_memory: Option<Spanned<String>>,
}

/// `[grid]` (one table) or `[[grid]]` (several sub-grids, like a list of
/// dicts in scikit-learn's param_grid). A hand-written visitor rather than an
/// untagged enum, because untagged enums lose the spans.
pub struct Grid(Vec<ParamTable>);

impl std::ops::Deref for Grid {
    type Target = [ParamTable];
    fn deref(&self) -> &[ParamTable] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Grid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(GridVisitor)
    }
}

struct GridVisitor;

impl<'de> Visitor<'de> for GridVisitor {
    type Value = Grid;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a [grid] table or [[grid]] tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Grid, A::Error> {
        let table = ParamTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Grid(vec![table]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Grid, A::Error> {
        let mut tables = Vec::new();
        while let Some(t) = seq.next_element::<ParamTable>()? {
            tables.push(t);
        }
        Ok(Grid(tables))
    }
}
