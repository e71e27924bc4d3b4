//! The plan: every grid setting x repeat x fold is one task with a stable id.

use crate::config::Config;
use crate::folds::subsample::Subsample;
use crate::params::{canonical_json, describe, ParamValue, Params};
use crate::strategy::halving::Resource;
use serde::{Deserialize, Serialize};

/// One train-and-score job. Small, so it travels to workers as a descriptor:
/// never with data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Content hash of (model, full params, CV plan, repeat, fold): the same
    /// task has the same id in every run, on every machine.
    pub id: TaskId,
    /// Index into [`Plan::settings`].
    pub setting: usize,
    pub repeat: u32,
    pub fold: u32,
}

impl Task {
    /// Seed for the model's own randomness, derived from the task id (which
    /// includes the config's seed), so results never depend on scheduling.
    pub fn seed(&self) -> u64 {
        u64::from_str_radix(&self.id[..16], 16).unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Grid settings (without fixed params), in grid order.
    pub settings: Vec<Params>,
    pub folds: usize,
    pub repeats: usize,
    /// Setting-major: all folds of setting 0, then setting 1, ...
    pub tasks: Vec<Task>,
    /// A round of successive halving (None: grid or random search).
    pub round: Option<RoundInfo>,
}

/// Which round of successive halving a plan is, with how many resources.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundInfo {
    /// From 0 (scikit-learn's `iter`).
    pub iter: usize,
    pub n_resources: u64,
    pub resource: Resource,
    /// Rows of the dataset (the resources of n_samples are a share of them).
    pub n_samples: u64,
}

impl Plan {
    pub fn build(config: &Config) -> Plan {
        Self::with_settings(config, config.settings.clone(), None)
    }

    /// One round of successive halving: `settings` each evaluated with the
    /// round's resources (part of every task id).
    pub fn for_round(config: &Config, settings: Vec<Params>, round: RoundInfo) -> Plan {
        Self::with_settings(config, settings, Some(round))
    }

    fn with_settings(config: &Config, settings: Vec<Params>, round: Option<RoundInfo>) -> Plan {
        let cv = &config.cv;
        let mut cv_key = cv.identity(config.dataset.as_ref().and_then(|d| d.groups.as_ref()));
        if let Some(r) = round.as_ref().filter(|r| r.resource == Resource::NSamples) {
            cv_key.push_str(&format!("\nn_samples={}", r.n_resources));
        }
        let mut tasks = Vec::with_capacity(settings.len() * cv.folds * cv.repeats);
        for (s, setting) in settings.iter().enumerate() {
            // A command task's identity covers its template, inputs and data.
            // A setting of one of several models hashes as the same setting of
            // a one-model config: same ids, same seeds, same scores.
            let full = with_resource(config.full_params(setting), &round);
            let (kind, params) = crate::models::split_kind(&full);
            let model_key = config.task.as_ref().map_or_else(
                || kind.unwrap_or(&config.model).to_string(),
                |t| t.identity.clone(),
            );
            let params = canonical_json(&params);
            let mut key = TaskKey::new(&model_key, &params, &cv_key);
            for repeat in 0..cv.repeats as u32 {
                for fold in 0..cv.folds as u32 {
                    let id = key.id(repeat, fold);
                    tasks.push(Task {
                        id,
                        setting: s,
                        repeat,
                        fold,
                    });
                }
            }
        }
        Plan {
            settings,
            folds: cv.folds,
            repeats: cv.repeats,
            tasks,
            round,
        }
    }

    /// What the model of setting `s` gets: the fixed hyperparameters, the
    /// setting's, and a hyperparameter resource's value this round.
    pub fn task_params(&self, config: &Config, s: usize) -> Params {
        with_resource(config.full_params(&self.settings[s]), &self.round)
    }

    /// The share of the rows a round on n_samples uses.
    pub fn subsample(&self, config: &Config) -> Option<Subsample> {
        let r = self.round.as_ref()?;
        (r.resource == Resource::NSamples && r.n_resources < r.n_samples).then(|| Subsample {
            fraction: r.n_resources as f64 / r.n_samples as f64,
            seed: config.search.seed,
        })
    }

    /// "5 folds x 16 settings = 80 tasks" (with repeats when there are any).
    pub fn summary(&self) -> String {
        let repeats = if self.repeats > 1 {
            format!(" x {} repeats", self.repeats)
        } else {
            String::new()
        };
        let folds = if self.folds == 1 {
            "1 split".to_string()
        } else {
            format!("{} folds", self.folds)
        };
        let settings = if self.settings.len() == 1 {
            "setting"
        } else {
            "settings"
        };
        format!(
            "{folds} x {} {settings}{repeats} = {} tasks",
            self.settings.len(),
            self.tasks.len()
        )
    }

    /// "models: random_forest (4 settings), knn (7 settings)" for a config
    /// of several models (None for one).
    pub fn models_line(&self, config: &Config) -> Option<String> {
        if config.models.is_empty() {
            return None;
        }
        let counts: Vec<String> = config
            .kinds()
            .into_iter()
            .map(|kind| {
                let n = self
                    .settings
                    .iter()
                    .filter(|s| crate::models::kind_of(s) == Some(kind))
                    .count();
                format!("{kind} ({n} setting{})", if n == 1 { "" } else { "s" })
            })
            .collect();
        Some(format!("models: {}", counts.join(", ")))
    }

    /// One line per setting, for `gridrun plan`.
    pub fn setting_lines(&self) -> Vec<String> {
        let width = self.settings.len().to_string().len();
        self.settings
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (kind, rest) = crate::models::split_kind(s);
                let text = match (kind, rest.is_empty()) {
                    (None, true) => "(model defaults)".to_string(),
                    (None, false) => describe(s),
                    (Some(kind), true) => format!("{kind}: (model defaults)"),
                    (Some(kind), false) => format!("{kind}: {}", describe(&rest)),
                };
                format!("{:>width$}  {text}", i + 1)
            })
            .collect()
    }
}

fn with_resource(mut params: Params, round: &Option<RoundInfo>) -> Params {
    if let Some(RoundInfo {
        resource: Resource::Param(name),
        n_resources,
        ..
    }) = round
    {
        params.insert(name.clone(), ParamValue::Int(*n_resources as i64));
    }
    params
}

/// The hashed text of a setting's task ids, `model\nparams\ncv\nrepeat\nfold`,
/// with the setting's part written once: a plan of a million tasks hashes
/// a million keys, but formats only the repeat and fold of each.
struct TaskKey {
    text: String,
    setting_len: usize,
}

impl TaskKey {
    fn new(model: &str, params: &str, cv: &str) -> TaskKey {
        let text = format!("{model}\n{params}\n{cv}\n");
        TaskKey {
            setting_len: text.len(),
            text,
        }
    }

    fn id(&mut self, repeat: u32, fold: u32) -> TaskId {
        use std::fmt::Write;
        self.text.truncate(self.setting_len);
        let _ = write!(self.text, "{repeat}\n{fold}");
        let mut id = [0u8; 16];
        id.copy_from_slice(&blake3::hash(self.text.as_bytes()).to_hex().as_bytes()[..16]);
        TaskId(id)
    }
}

/// A task id: 16 lowercase hex digits, kept inline (a plan of a million
/// tasks holds no million small strings). Reads as a `&str`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId([u8; 16]);

impl TaskId {
    pub fn as_str(&self) -> &str {
        // Always ASCII hex (made by `TaskKey::id` or checked on reading).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for TaskId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq<String> for TaskId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<TaskId> for String {
    fn eq(&self, other: &TaskId) -> bool {
        self == other.as_str()
    }
}

impl Serialize for TaskId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::str::FromStr for TaskId {
    type Err = String;
    fn from_str(text: &str) -> Result<TaskId, String> {
        let bytes: [u8; 16] = text
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 16]| b.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| format!("`{text}` is not a task id"))?;
        Ok(TaskId(bytes))
    }
}

impl<'de> Deserialize<'de> for TaskId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TaskId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(extra: &str) -> Config {
        let src = format!(
            "[dataset]\npath = \"d.csv\"\n[model]\nkind = \"linfa_decision_tree\"\n[grid]\nmax_depth = [2, 4, 8, \"none\"]\ncriterion = [\"gini\", \"entropy\"]\n{extra}"
        );
        Config::parse(Path::new("c.toml"), &src).unwrap()
    }

    #[test]
    fn tasks_are_settings_times_folds_times_repeats() {
        let plan = Plan::build(&config("[cv]\nfolds = 5\n"));
        assert_eq!(plan.tasks.len(), 8 * 5);
        assert_eq!(plan.summary(), "5 folds x 8 settings = 40 tasks");
        let plan = Plan::build(&config(
            "[cv]\nkind = \"repeated_stratified_kfold\"\nfolds = 3\nrepeats = 2\n",
        ));
        assert_eq!(plan.tasks.len(), 8 * 3 * 2);
        assert_eq!(
            plan.summary(),
            "3 folds x 8 settings x 2 repeats = 48 tasks"
        );
        assert_eq!(plan.setting_lines().len(), 8);
    }

    #[test]
    fn ids_are_unique_and_stable() {
        let a = Plan::build(&config(""));
        let b = Plan::build(&config(""));
        assert_eq!(a.tasks, b.tasks);
        let mut ids: Vec<_> = a.tasks.iter().map(|t| t.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.tasks.len());
    }

    #[test]
    fn a_setting_of_several_models_has_its_one_model_id_and_kind() {
        let several = "[dataset]\npath = \"d.csv\"\n[[model]]\nkind = \"decision_tree\"\ngrid = { max_depth = [3] }\n[[model]]\nkind = \"random_forest\"\ngrid = { max_depth = [3] }\n";
        let plan = Plan::build(&Config::parse(Path::new("c.toml"), several).unwrap());
        assert_eq!(plan.tasks.len(), 2 * 5);
        // The same max_depth of two kinds: different tasks.
        assert_ne!(plan.tasks[0].id, plan.tasks[5].id);
        for (i, kind) in ["decision_tree", "random_forest"].iter().enumerate() {
            let one = format!("[dataset]\npath = \"d.csv\"\n[model]\nkind = \"{kind}\"\n[grid]\nmax_depth = [3]\n");
            let alone = Plan::build(&Config::parse(Path::new("c.toml"), &one).unwrap());
            assert_eq!(
                alone.tasks[..],
                plan.tasks[i * 5..(i + 1) * 5]
                    .iter()
                    .map(|t| Task {
                        setting: 0,
                        ..t.clone()
                    })
                    .collect::<Vec<_>>()[..]
            );
        }
    }

    #[test]
    fn ids_hash_the_same_text_as_ever() {
        // Ids in journals written by earlier versions must still match.
        let mut key = TaskKey::new("debug", "{\"id\":3}", "kfold 5");
        for (repeat, fold) in [(0, 0), (0, 4), (12, 3), (3, 12)] {
            let text = format!("debug\n{{\"id\":3}}\nkfold 5\n{repeat}\n{fold}");
            let hex = blake3::hash(text.as_bytes()).to_hex();
            assert_eq!(key.id(repeat, fold).as_str(), &hex[..16]);
        }
    }

    #[test]
    fn ids_depend_on_content_not_position() {
        // The same cell in a reordered grid keeps its id.
        let a = Plan::build(&config(""));
        let src = "[dataset]\npath = \"d.csv\"\n[model]\nkind = \"linfa_decision_tree\"\n[grid]\ncriterion = [\"entropy\", \"gini\"]\nmax_depth = [\"none\", 8]\n";
        let b = Plan::build(&Config::parse(Path::new("c.toml"), src).unwrap());
        for t in &b.tasks {
            assert!(a.tasks.iter().any(|u| u.id == t.id));
        }
        let c = Plan::build(&config("[cv]\nseed = 7\n"));
        assert!(c.tasks.iter().all(|t| a.tasks.iter().all(|u| u.id != t.id)));
    }
}
