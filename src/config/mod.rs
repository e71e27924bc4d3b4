//! The TOML config: parsed with spans, validated against the model's
//! hyperparameters, resolved into a [`Config`] before any task runs.

mod cv;
mod dataset;
mod error;
mod preprocess;
mod raw;
mod search;
mod several;
pub mod task;
pub mod template;

pub use crate::data::spec::{ColumnRef, DatasetSpec, GroupsColumn, TargetColumn, TaskHint};
pub use crate::folds::spec::{CvKind, CvSpec};
pub use error::{one_line, ConfigError, Locator};
pub use raw::ParamTable;
pub use search::{Method, SearchSpec};
pub use several::ModelEntry;

use crate::grid;
use crate::models;
use crate::params::Params;
use crate::strategy::random::Dimension;
use raw::RawConfig;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Most tasks a plan may have (a plan is held in memory).
const MAX_TASKS: usize = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Process,
    Thread,
    Serial,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "process" => Ok(Backend::Process),
            "thread" => Ok(Backend::Thread),
            "serial" => Ok(Backend::Serial),
            _ => Err(format!("`{s}` is not a backend (process, thread, serial)")),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunSpec {
    /// 0 = one per core.
    pub jobs: usize,
    pub backend: Backend,
    pub output: PathBuf,
    /// Re-runs of a task whose worker crashed or timed out.
    pub retries: usize,
    /// Per-task time limit in seconds.
    pub timeout: Option<f64>,
    /// Per-worker memory cap in bytes.
    pub max_memory: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub path: PathBuf,
    pub name: String,
    /// Optional only for command tasks.
    pub dataset: Option<DatasetSpec>,
    /// The model kind; with `[[model]]` tables the kinds, for people.
    pub model: String,
    /// Hyperparameters set in [model] for every setting.
    pub fixed: Params,
    /// `[[model]]`: every kind with its fixed hyperparameters (empty with
    /// one [model]); each setting then names its kind as the `model` key.
    #[serde(default)]
    pub models: Vec<ModelEntry>,
    /// Names of the hyperparameters the grid varies, sorted.
    pub grid_keys: Vec<String>,
    /// Settings (without the fixed ones): grid points in grid order, or the
    /// random draws in draw order.
    pub settings: Vec<Params>,
    /// How the settings were chosen ([search]).
    #[serde(default)]
    pub search: SearchSpec,
    pub cv: CvSpec,
    pub metrics: Vec<String>,
    /// The metric that ranks settings and picks the best one.
    pub refit: String,
    /// Whether the best setting is refit on all rows and saved
    /// (`[scoring] refit = false` or `--no-refit` turn it off).
    #[serde(default = "yes")]
    pub refit_best: bool,
    pub run: RunSpec,
    /// `[task]`: your own command runs each task (model is then "command").
    #[serde(default)]
    pub task: Option<task::CommandSpec>,
    /// Metrics where smaller is better (losses a command reports).
    #[serde(default)]
    pub greater_is_better: std::collections::BTreeMap<String, bool>,
}

impl Config {
    /// A setting with the fixed hyperparameters added: what the model gets.
    /// The dataset, which every config but a command task's has.
    pub fn data(&self) -> anyhow::Result<&DatasetSpec> {
        self.dataset
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{}: no [dataset]", self.path.display()))
    }

    pub fn full_params(&self, setting: &Params) -> Params {
        let kind = self.model_of(setting);
        let fixed = self
            .models
            .iter()
            .find(|e| e.kind == kind)
            .map_or(&self.fixed, |e| &e.fixed);
        let mut p = fixed.clone();
        p.extend(setting.iter().map(|(k, v)| (k.clone(), v.clone())));
        p
    }

    /// The model kind a setting is for.
    pub fn model_of<'a>(&'a self, setting: &'a Params) -> &'a str {
        models::kind_of(setting).unwrap_or(&self.model)
    }

    /// Every model kind of the config, in config order.
    pub fn kinds(&self) -> Vec<&str> {
        if self.models.is_empty() {
            vec![self.model.as_str()]
        } else {
            self.models.iter().map(|e| e.kind.as_str()).collect()
        }
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            position: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(path, &source)
    }

    pub fn parse(path: &Path, source: &str) -> Result<Config, ConfigError> {
        let loc = Locator::new(path, source);
        let raw: RawConfig =
            toml::from_str(source).map_err(|e| several::toml_error(&loc, source, &e))?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Resolver {
            loc: &loc,
            base: &base,
        }
        .resolve(raw, path)
    }
}

/// Turns the raw, spanned config into a checked [`Config`].
struct Resolver<'a> {
    loc: &'a Locator<'a>,
    base: &'a Path,
}

impl Resolver<'_> {
    fn resolve(&self, mut raw: RawConfig, path: &Path) -> Result<Config, ConfigError> {
        let cv_seed = raw.cv.as_ref().and_then(|c| c.seed).unwrap_or(0);
        let several = self.several_models(&mut raw, cv_seed)?;
        let (model_name, mut fixed, grid_keys, settings, search, models) = match several {
            Some(s) => (
                s.label,
                Params::new(),
                s.grid_keys,
                s.settings,
                s.search,
                s.entries,
            ),
            None => {
                let (model_name, fixed, model) = self.model_or_task(&raw)?;
                let search = self.search(raw.search.unwrap_or_default(), model, &fixed, cv_seed)?;
                let tables = raw.grid.as_deref().unwrap_or(&[]);
                let (space, grid_keys) = self.grid(tables, model, &fixed, &search)?;
                let (settings, search) = self.settings(search, &space)?;
                (model_name, fixed, grid_keys, settings, search, Vec::new())
            }
        };
        let dataset = match raw.dataset {
            Some(d) => Some(self.dataset(d)?),
            None if raw.task.is_some() => None,
            None => return Err(self.loc.whole(None, "missing field `dataset`")),
        };
        if raw.task.is_none() && models.is_empty() {
            let model = models::find(&model_name).expect("checked in self.model");
            fixed.extend(self.preprocess(raw.preprocess.unwrap_or_default(), model, &grid_keys)?);
        }
        let cv = match &dataset {
            None => self.cv_without_data(raw.cv)?,
            Some(d) => self.cv(raw.cv.unwrap_or_default(), d)?,
        };
        let tasks = settings
            .len()
            .saturating_mul(cv.folds)
            .saturating_mul(cv.repeats);
        if tasks > MAX_TASKS {
            return Err(self.loc.whole(
                Some("grid"),
                format!(
                    "the plan has {tasks} tasks (settings x folds x repeats); at most {MAX_TASKS}"
                ),
            ));
        }
        let (metrics, (refit, refit_best), greater_is_better) =
            self.scoring(raw.scoring.unwrap_or_default(), raw.task.is_some())?;
        let name = raw.name.unwrap_or_else(|| stem(path));
        let run = self.run(raw.run.unwrap_or_default(), &name)?;
        let task = match &raw.task {
            Some(t) => {
                let mut keys: Vec<String> = fixed.keys().cloned().collect();
                keys.extend(grid_keys.iter().cloned());
                Some(task::resolve(
                    t,
                    self.loc,
                    self.base,
                    &keys,
                    dataset.as_ref(),
                )?)
            }
            None => None,
        };
        Ok(Config {
            path: path.to_path_buf(),
            name,
            dataset,
            model: model_name,
            fixed,
            models,
            grid_keys,
            settings,
            search,
            cv,
            metrics,
            refit,
            refit_best,
            run,
            task,
            greater_is_better,
        })
    }

    /// `[model]` (a built-in model) or `[task]` (your own command): one of
    /// them. A command task's hyperparameters are checked against a model
    /// that accepts any name and value.
    #[allow(clippy::type_complexity)]
    fn model_or_task(
        &self,
        raw: &RawConfig,
    ) -> Result<(String, Params, &'static dyn models::Model), ConfigError> {
        match (&raw.model, &raw.task) {
            (Some(m), Some(_)) => Err(self.loc.at(
                m.span(),
                "task",
                "a config has [model] (a built-in model) or [task] (your own command), not both",
            )),
            (Some(m), None) => {
                let raw::RawModels::One(table) = m.get_ref() else {
                    unreachable!("[[model]] tables are resolved by several_models")
                };
                let (name, fixed) = self.model(m.span(), table)?;
                let model = models::find(&name).expect("checked in self.model");
                Ok((name, fixed, model))
            }
            (None, Some(t)) => Ok((
                task::MODEL_NAME.to_string(),
                task::fixed_params(t, self.loc)?,
                &task::ANY_PARAMS,
            )),
            (None, None) => Err(self.loc.whole(
                None,
                "missing field `model` (or a [task] running your own command)",
            )),
        }
    }

    fn model(
        &self,
        span: std::ops::Range<usize>,
        table: &ParamTable,
    ) -> Result<(String, Params), ConfigError> {
        let kind_key = table.keys().find(|k| k.get_ref() == "kind");
        let Some(kind_key) = kind_key else {
            return Err(self.loc.at(
                span,
                "model",
                format!("`kind` is required (one of {})", models::names().join(", ")),
            ));
        };
        let kind_value = &table[kind_key];
        let name = kind_value
            .get_ref()
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(model) = models::find(&name) else {
            return Err(self.loc.at(
                kind_value.span(),
                "model.kind",
                format!(
                    "unknown model `{name}` (known: {})",
                    models::names().join(", ")
                ),
            ));
        };
        let mut fixed = Params::new();
        for (key, value) in table {
            if key.get_ref() == "kind" {
                continue;
            }
            if key.get_ref() == "grid" {
                return Err(self.loc.at(
                    key.span(),
                    "model.grid",
                    "a grid inside the model table is for [[model]] tables (several models); with one [model], write [grid]",
                ));
            }
            let dotted = format!("model.{}", key.get_ref());
            let v =
                grid::scalar(value.get_ref()).map_err(|m| self.loc.at(value.span(), &dotted, m))?;
            let mut one = Params::new();
            one.insert(key.get_ref().clone(), v.clone());
            models::validate(model, &one).map_err(|(_, m)| self.loc.at(key.span(), &dotted, m))?;
            fixed.insert(key.get_ref().clone(), v);
        }
        Ok((name, fixed))
    }

    fn grid(
        &self,
        tables: &[ParamTable],
        model: &dyn models::Model,
        fixed: &Params,
        search: &search::ParsedSearch,
    ) -> Result<(Vec<Vec<Dimension>>, Vec<String>), ConfigError> {
        let mut subgrids = Vec::new();
        let mut keys = std::collections::BTreeSet::new();
        for table in tables {
            let mut axes = Vec::new();
            for (key, value) in table {
                let dotted = format!("grid.{}", key.get_ref());
                if fixed.contains_key(key.get_ref()) {
                    return Err(self.loc.at(
                        key.span(),
                        &dotted,
                        "is set in [model] too: set it in one place",
                    ));
                }
                let domain = self.domain(key, value, model, search)?;
                keys.insert(key.get_ref().clone());
                axes.push(Dimension {
                    name: key.get_ref().clone(),
                    domain,
                });
            }
            let settings = axes
                .iter()
                .try_fold(1usize, |n, a| n.checked_mul(a.domain.len()))
                .filter(|&n| n <= grid::MAX_SETTINGS);
            if settings.is_none() {
                let first = table.keys().next().map_or(0..0, |k| k.span());
                return Err(self.loc.at(
                    first,
                    "grid",
                    format!(
                        "more than {} settings in one grid table",
                        grid::MAX_SETTINGS
                    ),
                ));
            }
            subgrids.push(axes);
        }
        if subgrids.is_empty() {
            subgrids.push(Vec::new());
        }
        Ok((subgrids, keys.into_iter().collect()))
    }

    /// A command task without data: `[cv]` only numbers the folds and
    /// repeats ({fold}, {repeat}); without it, one task per setting.
    fn cv_without_data(&self, c: Option<raw::RawCv>) -> Result<CvSpec, ConfigError> {
        let c = c.unwrap_or_default();
        let count = |v: &Option<Spanned<usize>>, key: &str, max: usize| match v {
            Some(n) if *n.get_ref() < 1 || *n.get_ref() > max => {
                Err(self
                    .loc
                    .at(n.span(), key, format!("must be from 1 to {max}")))
            }
            Some(n) => Ok(*n.get_ref()),
            None => Ok(1),
        };
        Ok(CvSpec {
            kind: CvKind::Kfold,
            folds: count(&c.folds, "cv.folds", cv::MAX_FOLDS)?,
            repeats: count(&c.repeats, "cv.repeats", cv::MAX_REPEATS)?,
            shuffle: false,
            seed: c.seed.unwrap_or(0),
            test_size: 0.25,
            folds_file: None,
            test_rows: None,
            gap: 0,
            max_train_size: None,
        })
    }

    #[allow(clippy::type_complexity)]
    fn scoring(
        &self,
        s: raw::RawScoring,
        command: bool,
    ) -> Result<
        (
            Vec<String>,
            (String, bool),
            std::collections::BTreeMap<String, bool>,
        ),
        ConfigError,
    > {
        let metrics: Vec<Spanned<String>> = s
            .metrics
            .unwrap_or_else(|| vec![Spanned::new(0..0, "accuracy".to_string())]);
        if metrics.is_empty() {
            return Err(self
                .loc
                .whole(Some("scoring.metrics"), "needs at least one metric"));
        }
        for m in &metrics {
            if command && m.get_ref().trim().is_empty() {
                return Err(self
                    .loc
                    .at(m.span(), "scoring.metrics", "a metric key is empty"));
            }
            if !command && !crate::metrics::is_known(m.get_ref()) {
                return Err(self.loc.at(
                    m.span(),
                    "scoring.metrics",
                    format!(
                        "unknown metric `{}` (known: {})",
                        m.get_ref(),
                        crate::metrics::NAMES.join(", ")
                    ),
                ));
            }
        }
        let names: Vec<String> = metrics.iter().map(|m| m.get_ref().clone()).collect();
        let (refit, refit_best) = match s.refit.map(|r| (r.span(), r.into_inner())) {
            Some((span, raw::RawRefit::Metric(m))) if !names.contains(&m) => {
                return Err(self.loc.at(
                    span,
                    "scoring.refit",
                    format!("`{m}` is not one of the metrics"),
                ))
            }
            Some((_, raw::RawRefit::Metric(m))) => (m, true),
            Some((_, raw::RawRefit::Flag(refit))) => (names[0].clone(), refit),
            None => (names[0].clone(), true),
        };
        let directions = s
            .greater_is_better
            .map_or_else(Default::default, |g| g.into_inner());
        if let Some(key) = directions.keys().find(|k| !names.contains(k)) {
            return Err(self.loc.whole(
                Some("scoring.greater_is_better"),
                format!("`{key}` is not one of the metrics"),
            ));
        }
        Ok((names, (refit, refit_best), directions))
    }

    fn run(&self, r: raw::RawRun, name: &str) -> Result<RunSpec, ConfigError> {
        let timeout = match &r.timeout {
            None => None,
            Some(t) => match crate::units::parse_duration(t.get_ref()) {
                Ok(s) if s > 0.0 => Some(s),
                Ok(_) => return Err(self.loc.at(t.span(), "run.timeout", "must be more than 0")),
                Err(m) => return Err(self.loc.at(t.span(), "run.timeout", m)),
            },
        };
        let max_memory = match &r.max_memory {
            None => None,
            Some(m) => Some(
                crate::units::parse_bytes(m.get_ref())
                    .map_err(|e| self.loc.at(m.span(), "run.max_memory", e))?,
            ),
        };
        Ok(RunSpec {
            jobs: r.jobs.unwrap_or(0),
            backend: r.backend.unwrap_or(Backend::Process),
            output: tidy(
                self.base
                    .join(r.output.unwrap_or_else(|| PathBuf::from("runs").join(name))),
            ),
            retries: r.retries.unwrap_or(0),
            timeout,
            max_memory,
        })
    }
}

/// `configs/../runs/x` -> `runs/x`: lexical, so it works before the folder exists.
pub(crate) fn tidy(path: PathBuf) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) =>
            {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or("gridrun".into(), |s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests;

fn yes() -> bool {
    true
}
