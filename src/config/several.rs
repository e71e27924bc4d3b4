//! `[[model]]`: several model kinds in one config, each with its own fixed
//! hyperparameters and grid. Every setting then names its kind as the
//! `model` parameter (scikit-learn's `param_model` column), and each model's
//! grid tables become sub-grids of one search with a one-value `model` axis:
//! scikit-learn's list of dicts, so grid search runs their union and random
//! search picks a table uniformly, then draws its values.

use super::raw::{ParamTable, RawConfig, RawModels};
use super::search::ParsedSearch;
use super::{ConfigError, Resolver};
use crate::models::{self, KIND_PARAM};
use crate::params::{ParamValue, Params};
use crate::strategy::random::{Dimension, Domain};
use std::ops::Range;

/// One model kind of a `[[model]]` config and what every one of its
/// settings gets besides the grid (its `[[model]]` keys and preprocessing).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelEntry {
    pub kind: String,
    pub fixed: Params,
}

/// What `[[model]]` tables resolve to.
pub(super) struct SeveralModels {
    /// The kinds, for people: "random_forest, logistic_regression".
    pub label: String,
    pub entries: Vec<ModelEntry>,
    pub grid_keys: Vec<String>,
    pub settings: Vec<Params>,
    pub search: super::SearchSpec,
}

impl Resolver<'_> {
    /// Resolves `[[model]]` tables (None for a `[model]` or `[task]` config).
    pub(super) fn several_models(
        &self,
        raw: &mut RawConfig,
        cv_seed: u64,
    ) -> Result<Option<SeveralModels>, ConfigError> {
        let Some(RawModels::Several(tables)) = raw.model.as_ref().map(|m| m.get_ref()) else {
            return Ok(None);
        };
        let span = raw.model.as_ref().map_or(0..0, |m| m.span());
        self.refuse_mixing(raw, span.clone())?;
        if tables.is_empty() {
            return Err(self
                .loc
                .at(span, "model", "needs at least one [[model]] table"));
        }
        let raw_search = raw.search.take().unwrap_or_default();
        let raw_preprocess = raw.preprocess.take().unwrap_or_default();
        let mut entries: Vec<ModelEntry> = Vec::new();
        let mut space = Vec::new();
        let mut keys = std::collections::BTreeSet::from([KIND_PARAM.to_string()]);
        let mut search = None;
        for table in tables {
            let (kind, mut fixed) = self.model(table.span(), &table.get_ref().params)?;
            self.refuse_repeated_kind(&entries, &kind, &table.get_ref().params)?;
            let model = models::find(&kind).expect("checked in self.model");
            let parsed = self.search(raw_search.clone(), model, &fixed, cv_seed)?;
            let grid_tables = table
                .get_ref()
                .grid
                .as_ref()
                .map_or(&[][..], |g| g.get_ref());
            let (subgrids, model_keys) = self.grid(grid_tables, model, &fixed, &parsed)?;
            fixed.extend(self.preprocess(raw_preprocess.clone(), model, &model_keys)?);
            space.extend(subgrids.into_iter().map(|axes| with_kind_axis(&kind, axes)));
            keys.extend(model_keys);
            entries.push(ModelEntry { kind, fixed });
            search = Some(parsed);
        }
        let search: ParsedSearch = search.expect("at least one table");
        let (settings, search) = self.settings(search, &space)?;
        Ok(Some(SeveralModels {
            label: entries
                .iter()
                .map(|e| e.kind.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            entries,
            grid_keys: keys.into_iter().collect(),
            settings,
            search,
        }))
    }

    /// `[[model]]` tables bring their own grids and stand for `[model]`.
    fn refuse_mixing(&self, raw: &RawConfig, span: Range<usize>) -> Result<(), ConfigError> {
        if raw.task.is_some() {
            return Err(self.loc.at(
                span,
                "task",
                "a config has [[model]] tables (built-in models) or [task] (your own command), not both",
            ));
        }
        if let Some(grid) = &raw.grid {
            let at = grid
                .iter()
                .flat_map(|t| t.keys())
                .next()
                .map_or(span, |k| k.span());
            return Err(self.loc.at(
                at,
                "grid",
                "a top-level [grid] cannot be used with [[model]] tables: give each model its own grid (`grid = { ... }` or [model.grid] inside its [[model]] table)",
            ));
        }
        Ok(())
    }

    /// Each kind once: its settings are told apart by the kind alone.
    fn refuse_repeated_kind(
        &self,
        entries: &[ModelEntry],
        kind: &str,
        table: &ParamTable,
    ) -> Result<(), ConfigError> {
        if !entries.iter().any(|e| e.kind == kind) {
            return Ok(());
        }
        let at = table
            .iter()
            .find(|(k, _)| k.get_ref() == "kind")
            .map_or(0..0, |(_, v)| v.span());
        Err(self.loc.at(
            at,
            "model.kind",
            format!("`{kind}` has another [[model]] table already: give one table several grids with [[model.grid]] (and fixed values as one-value lists)"),
        ))
    }
}

/// The model's sub-grid with the one-value axis naming its kind.
fn with_kind_axis(kind: &str, axes: Vec<Dimension>) -> Vec<Dimension> {
    let mut out = vec![Dimension {
        name: KIND_PARAM.to_string(),
        domain: Domain::List(vec![ParamValue::Str(kind.to_string())]),
    }];
    out.extend(axes);
    // The sampler draws the keys of a sub-grid in name order.
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// TOML itself refuses `[model]` beside `[[model]]` ("duplicate key"): say
/// what is wrong, at the second of the two headers.
pub(super) fn toml_error(loc: &super::Locator, source: &str, err: &toml::de::Error) -> ConfigError {
    let header_at = |header: &str| {
        let mut offset = 0;
        for line in source.split_inclusive('\n') {
            if line.split('#').next().unwrap_or("").trim() == header {
                return Some(offset);
            }
            offset += line.len();
        }
        None
    };
    match (header_at("[model]"), header_at("[[model]]")) {
        (Some(one), Some(several)) if err.message().contains("duplicate key") => {
            let at = one.max(several);
            loc.at(
                at..at + 1,
                "model",
                "a config has one [model] table or [[model]] tables (several models), not both",
            )
        }
        _ => loc.from_toml(err),
    }
}
