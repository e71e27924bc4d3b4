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
    pub model: Option<Spanned<RawModels>>,
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

/// `[model]` (one table) or `[[model]]` (several).
pub enum RawModels {
    One(ParamTable),
    Several(Vec<Spanned<RawModelEntry>>),
}

/// One `[[model]]` table: `kind`, fixed hyperparameters, and `grid` (an
/// inline table, a `[model.grid]` table or `[[model.grid]]` sub-grids).
pub struct RawModelEntry {
    pub(super) params: ParamTable,
    pub(super) grid: Option<Spanned<Grid>>,
}

impl<'de> Deserialize<'de> for RawModels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ModelsVisitor)
    }
}

struct ModelsVisitor;

impl<'de> Visitor<'de> for ModelsVisitor {
    type Value = RawModels;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a [model] table or [[model]] tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawModels, A::Error> {
        let table = ParamTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(RawModels::One(table))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawModels, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = seq.next_element::<Spanned<RawModelEntry>>()? {
            entries.push(entry);
        }
        Ok(RawModels::Several(entries))
    }
}

impl<'de> Deserialize<'de> for RawModelEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = RawModelEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a [[model]] table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawModelEntry, A::Error> {
        let mut entry = RawModelEntry {
            params: ParamTable::new(),
            grid: None,
        };
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            if key.get_ref() == "grid" {
                entry.grid = Some(map.next_value()?);
            } else {
                entry.params.insert(key, map.next_value()?);
            }
        }
        Ok(entry)
    }
}
