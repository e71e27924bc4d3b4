//! The `[task]` table: your own command as the task. Read and checked when
//! the config is read (placeholders, the program, the `inputs` files), so a
//! mistake is a config error before anything runs.

use super::template::Template;
use super::{ConfigError, DatasetSpec, Locator};
use crate::params::Params;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// `[task]` exactly as written, with spans for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub command: Spanned<Vec<Spanned<String>>>,
    pub workdir: Option<Spanned<PathBuf>>,
    pub inputs: Option<Vec<Spanned<PathBuf>>>,
    pub metrics_from: Option<Spanned<String>>,
    pub refit_command: Option<Spanned<Vec<Spanned<String>>>>,
    /// Fixed hyperparameters, like the keys after `kind` in `[model]`.
    pub params: Option<super::ParamTable>,
}

/// Placeholders gridrun fills for every task.
pub const BUILTIN: [&str; 10] = [
    "fold",
    "repeat",
    "seed",
    "task_id",
    "data",
    "train_rows",
    "test_rows",
    "out",
    "params_json",
    "threads",
];
/// Placeholders that need `[dataset]`.
const NEED_DATA: [&str; 3] = ["data", "train_rows", "test_rows"];
/// Placeholders a refit (one run on all rows) has no value for.
const PER_FOLD: [&str; 4] = ["fold", "repeat", "train_rows", "test_rows"];

/// Where a command's metrics come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsFrom {
    /// The last stdout line that is a JSON object.
    Stdout,
    /// A JSON file (path template, relative to the workdir).
    File(Template),
}

/// A resolved `[task]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandSpec {
    pub argv: Vec<Template>,
    pub refit_argv: Option<Vec<Template>>,
    /// Absolute.
    pub workdir: PathBuf,
    pub metrics_from: MetricsFrom,
    /// As written (relative to the workdir).
    pub inputs: Vec<PathBuf>,
    /// Hash of the template, the metrics source, the inputs' content and the
    /// data file's content: part of every task id.
    pub identity: String,
}

impl CommandSpec {
    /// Every placeholder name the command and metrics_from use.
    pub fn used_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.argv.iter().flat_map(Template::names).collect();
        if let MetricsFrom::File(t) = &self.metrics_from {
            names.extend(t.names());
        }
        names
    }
}

/// Reads `[task]`: `keys` are the hyperparameter names (fixed and grid).
pub fn resolve(
    raw: &RawTask,
    loc: &Locator,
    base: &Path,
    keys: &[String],
    dataset: Option<&DatasetSpec>,
) -> Result<CommandSpec, ConfigError> {
    for key in keys {
        if BUILTIN.contains(&key.as_str()) {
            return Err(loc.whole(
                Some(&format!("grid.{key}")),
                format!("`{key}` is a placeholder gridrun fills ({{{key}}}); name the hyperparameter differently"),
            ));
        }
    }
    let workdir = match &raw.workdir {
        Some(w) => super::tidy(base.join(w.get_ref())),
        None => base.to_path_buf(),
    };
    let workdir = std::path::absolute(&workdir).unwrap_or(workdir);
    if !workdir.is_dir() {
        let span = raw.workdir.as_ref().map_or(0..0, |w| w.span());
        return Err(loc.at(
            span,
            "task.workdir",
            format!("{} is not a folder", workdir.display()),
        ));
    }
    let check = Checker {
        loc,
        keys,
        has_data: dataset.is_some(),
    };
    let argv = check.argv(&raw.command, "task.command", false)?;
    check_program(&argv[0], &raw.command.get_ref()[0], &workdir, loc)?;
    let refit_argv = match &raw.refit_command {
        Some(r) => {
            let argv = check.argv(r, "task.refit_command", true)?;
            check_program(&argv[0], &r.get_ref()[0], &workdir, loc)?;
            Some(argv)
        }
        None => None,
    };
    let metrics_from = match &raw.metrics_from {
        None => MetricsFrom::Stdout,
        Some(m) if m.get_ref() == "stdout" => MetricsFrom::Stdout,
        Some(m) => MetricsFrom::File(check.template(m, "task.metrics_from", false)?),
    };
    let inputs = match &raw.inputs {
        Some(list) => {
            for input in list {
                if !workdir.join(input.get_ref()).is_file() {
                    return Err(loc.at(
                        input.span(),
                        "task.inputs",
                        format!(
                            "{} is not a file (inputs are relative to the workdir, {})",
                            input.get_ref().display(),
                            workdir.display()
                        ),
                    ));
                }
            }
            list.iter().map(|i| i.get_ref().clone()).collect()
        }
        None => default_inputs(&argv, &workdir),
    };
    let identity = identity(&argv, &metrics_from, &inputs, &workdir, dataset)
        .map_err(|e| loc.whole(Some("task.inputs"), e))?;
    Ok(CommandSpec {
        argv,
        refit_argv,
        workdir,
        metrics_from,
        inputs,
        identity,
    })
}

/// Fixed hyperparameters from `[task.params]`.
pub fn fixed_params(raw: &RawTask, loc: &Locator) -> Result<Params, ConfigError> {
    let mut fixed = Params::new();
    for (key, value) in raw.params.iter().flatten() {
        let dotted = format!("task.params.{}", key.get_ref());
        let v =
            crate::grid::scalar(value.get_ref()).map_err(|m| loc.at(value.span(), &dotted, m))?;
        fixed.insert(key.get_ref().clone(), v);
    }
    Ok(fixed)
}

struct Checker<'a> {
    loc: &'a Locator<'a>,
    keys: &'a [String],
    has_data: bool,
}

impl Checker<'_> {
    fn argv(
        &self,
        raw: &Spanned<Vec<Spanned<String>>>,
        key: &str,
        refit: bool,
    ) -> Result<Vec<Template>, ConfigError> {
        if raw.get_ref().is_empty() || raw.get_ref()[0].get_ref().trim().is_empty() {
            return Err(self.loc.at(
                raw.span(),
                key,
                "is empty: give the program and its arguments, e.g. [\"python3\", \"train.py\", \"--C\", \"{C}\"]",
            ));
        }
        raw.get_ref()
            .iter()
            .map(|arg| self.template(arg, key, refit))
            .collect()
    }

    fn template(
        &self,
        raw: &Spanned<String>,
        key: &str,
        refit: bool,
    ) -> Result<Template, ConfigError> {
        let t = Template::parse(raw.get_ref()).map_err(|m| self.loc.at(raw.span(), key, m))?;
        for name in t.names() {
            let known = self.keys.iter().any(|k| k == name) || BUILTIN.contains(&name);
            if !known {
                let mut all: Vec<&str> = self.keys.iter().map(String::as_str).collect();
                all.extend(BUILTIN);
                return Err(self.loc.at(
                    raw.span(),
                    key,
                    format!(
                        "unknown placeholder {{{name}}} (known: {}; {{{{ and }}}} for literal braces)",
                        all.join(", ")
                    ),
                ));
            }
            if NEED_DATA.contains(&name) && !self.has_data {
                return Err(self.loc.at(
                    raw.span(),
                    key,
                    format!("{{{name}}} needs a [dataset] (gridrun makes the folds from it)"),
                ));
            }
            if refit && PER_FOLD.contains(&name) {
                return Err(self.loc.at(
                    raw.span(),
                    key,
                    format!("{{{name}}} has no value in a refit (one run on all rows)"),
                ));
            }
        }
        Ok(t)
    }
}

/// The program must exist and be executable (when its name is literal).
fn check_program(
    program: &Template,
    raw: &Spanned<String>,
    workdir: &Path,
    loc: &Locator,
) -> Result<(), ConfigError> {
    if program.names().next().is_some() {
        return Ok(());
    }
    let name = program.render(&|_| None);
    let found = if name.contains('/') {
        let path = workdir.join(&name);
        match executable(&path) {
            Ok(()) => return Ok(()),
            Err(why) => Err(format!(
                "program `{name}` {why} (relative to the workdir, {})",
                workdir.display()
            )),
        }
    } else {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let hits: Vec<PathBuf> = std::env::split_paths(&path_var)
            .map(|dir| dir.join(&name))
            .filter(|p| p.is_file())
            .collect();
        if hits.iter().any(|p| executable(p).is_ok()) {
            return Ok(());
        }
        match hits.first() {
            Some(p) => Err(format!(
                "program `{name}` ({}) is not executable",
                p.display()
            )),
            None => Err(format!("program `{name}` not found on PATH")),
        }
    };
    found.map_err(|m| loc.at(raw.span(), "task.command", m))
}

fn executable(path: &Path) -> Result<(), &'static str> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Err(_) => Err("not found"),
        Ok(m) if !m.is_file() => Err("is not a file"),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => Err("is not executable"),
        Ok(_) => Ok(()),
    }
}

/// Without `inputs`: every literal argument naming a file in the workdir
/// (the script), so editing it re-runs its tasks.
fn default_inputs(argv: &[Template], workdir: &Path) -> Vec<PathBuf> {
    argv.iter()
        .filter(|t| t.names().next().is_none())
        .map(|t| PathBuf::from(t.source().replace("{{", "{").replace("}}", "}")))
        .filter(|p| !p.as_os_str().is_empty() && workdir.join(p).is_file())
        .collect()
}

fn identity(
    argv: &[Template],
    metrics_from: &MetricsFrom,
    inputs: &[PathBuf],
    workdir: &Path,
    dataset: Option<&DatasetSpec>,
) -> Result<String, String> {
    let mut h = blake3::Hasher::new();
    let sources: Vec<&str> = argv.iter().map(Template::source).collect();
    h.update(
        serde_json::to_string(&sources)
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update(
        serde_json::to_string(metrics_from)
            .unwrap_or_default()
            .as_bytes(),
    );
    for input in inputs {
        let path = workdir.join(input);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        h.update(input.to_string_lossy().as_bytes());
        h.update(blake3::hash(&bytes).as_bytes());
    }
    if let Some(d) = dataset {
        let mut data = blake3::Hasher::new();
        std::fs::File::open(&d.path)
            .and_then(|mut f| std::io::copy(&mut f, &mut data))
            .map_err(|e| format!("{}: cannot read: {e}", d.path.display()))?;
        h.update(data.finalize().as_bytes());
        h.update(format!("{:?}{:?}", d.target, d.task).as_bytes());
    }
    Ok(format!("command:{}", &h.finalize().to_hex()[..16]))
}

/// Grid keys no placeholder uses: a warning before the run.
pub fn unused_keys(spec: &CommandSpec, grid_keys: &[String]) -> Vec<String> {
    let used = spec.used_names();
    grid_keys
        .iter()
        .filter(|k| !used.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Direction of each metric: false for losses.
pub type Directions = BTreeMap<String, bool>;

/// The `model` of a config whose tasks are commands.
pub const MODEL_NAME: &str = "command";

/// What a command task's hyperparameters are checked against at config
/// time: any name and value (the command checks its own arguments). Not in
/// the model registry; its tasks never reach `fit`.
pub struct AnyParams;
pub static ANY_PARAMS: AnyParams = AnyParams;

impl crate::models::Model for AnyParams {
    fn name(&self) -> &'static str {
        MODEL_NAME
    }
    fn summary(&self) -> &'static str {
        "your own command ([task])"
    }
    fn params(&self) -> &'static [crate::models::ParamSpec] {
        &[]
    }
    fn accepts_any_params(&self) -> bool {
        true
    }
    fn fit(
        &self,
        _params: &crate::params::Params,
        _train: &crate::models::TrainSet,
    ) -> std::result::Result<Box<dyn crate::models::Fitted>, String> {
        Err("a command task runs its command, not a built-in model".into())
    }
}
