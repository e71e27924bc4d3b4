//! In-fold preprocessing: impute, scale and encode, fitted on each fold's
//! training rows only and applied to its test rows (scikit-learn's
//! Pipeline + ColumnTransformer), saved with the refit model so `predict`
//! applies the same steps.
//!
//! The settings travel as `preprocess.impute`, `preprocess.scale` and
//! `preprocess.encode` parameters of every setting, so they can be grid
//! axes and are part of each task's id.

mod check;
mod pipeline;

pub use check::{check_before_run, describe_run};
pub use pipeline::{FittedPipeline, Prepared};

use crate::models::{self, Model};
use crate::params::{ParamReader, ParamValue, Params};
use serde::{Deserialize, Serialize};

/// Parameter names start with this.
pub const PREFIX: &str = "preprocess.";

/// The three steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Impute,
    Scale,
    Encode,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Impute, Step::Scale, Step::Encode];

    pub fn name(self) -> &'static str {
        match self {
            Step::Impute => "impute",
            Step::Scale => "scale",
            Step::Encode => "encode",
        }
    }

    pub fn param_key(self) -> String {
        format!("{PREFIX}{}", self.name())
    }

    pub fn choices(self) -> &'static [&'static str] {
        match self {
            Step::Impute => &["none", "mean", "median", "most_frequent", "constant"],
            Step::Scale => &["none", "standard", "minmax", "robust"],
            Step::Encode => &["onehot", "ordinal", "none"],
        }
    }
}

/// What a model gets when the config does not say: scaling only for the
/// models that want it; no imputation (missing values are an error unless
/// the model takes them); one-hot categories.
pub fn default_for(step: Step, model: &dyn Model) -> &'static str {
    match step {
        Step::Impute => "none",
        Step::Scale if model.wants_scaling() => "standard",
        Step::Scale => "none",
        Step::Encode => "onehot",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    None,
    Mean,
    Median,
    MostFrequent,
    /// 0 for numbers (scikit-learn's default fill_value).
    Constant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    None,
    Standard,
    Minmax,
    Robust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encode {
    Onehot,
    Ordinal,
    None,
}

/// One setting's preprocessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub impute: Impute,
    pub scale: Scale,
    pub encode: Encode,
}

impl Settings {
    /// Reads the `preprocess.*` parameters (absent: nothing applied).
    pub fn from_params(params: &Params) -> Result<Settings, String> {
        // Every task asks: answer the common case without building JSON.
        if !params.keys().any(|k| k.starts_with(PREFIX)) {
            return Ok(Settings {
                impute: Impute::None,
                scale: Scale::None,
                encode: Encode::Onehot,
            });
        }
        let p = ParamReader(params);
        let read = |step: Step, default: &'static str| -> Result<String, String> {
            match p.get(&step.param_key()) {
                // "none" in the config reads as Python's None.
                Some(ParamValue::None) => Ok("none".into()),
                _ => Ok(p.str(&step.param_key(), default)?.to_string()),
            }
        };
        let parse = |step: Step, text: String| -> Result<serde_json::Value, String> {
            if step.choices().contains(&text.as_str()) {
                Ok(serde_json::Value::String(text))
            } else {
                Err(format!(
                    "{}: `{text}` is not one of {}",
                    step.param_key(),
                    step.choices().join(", ")
                ))
            }
        };
        let value = |step: Step, default| parse(step, read(step, default)?);
        let settings = serde_json::json!({
            "impute": value(Step::Impute, "none")?,
            "scale": value(Step::Scale, "none")?,
            "encode": value(Step::Encode, "onehot")?,
        });
        serde_json::from_value(settings).map_err(|e| e.to_string())
    }

    /// "impute mean, scale standard, encode onehot"
    pub fn describe(&self) -> String {
        let name = |v: serde_json::Value| v.as_str().unwrap_or("?").to_string();
        format!(
            "impute {}, scale {}, encode {}",
            name(serde_json::json!(self.impute)),
            name(serde_json::json!(self.scale)),
            name(serde_json::json!(self.encode))
        )
    }
}

/// The parameters a model sees: a setting without its `preprocess.*` keys.
pub fn model_params(params: &Params) -> Params {
    params
        .iter()
        .filter(|(k, _)| !k.starts_with(PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Checks a setting's keys: `preprocess.*` against the step choices, the
/// rest against the model (the first problem as (key, message)).
pub fn validate(model: &dyn Model, params: &Params) -> Result<(), (String, String)> {
    for (key, value) in params {
        let Some(name) = key.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(step) = Step::ALL.into_iter().find(|s| s.name() == name) else {
            return Err((
                key.clone(),
                "unknown preprocessing step (known: preprocess.impute, preprocess.scale, preprocess.encode)".into(),
            ));
        };
        match value {
            ParamValue::None if step.choices().contains(&"none") => {}
            ParamValue::Str(s) if step.choices().contains(&s.as_str()) => {}
            other => {
                return Err((
                    key.clone(),
                    format!("`{other}` is not one of {}", step.choices().join(", ")),
                ))
            }
        }
    }
    models::validate(model, &model_params(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_params_and_defaults() {
        let mut p = Params::new();
        p.insert("C".into(), ParamValue::Float(1.0));
        p.insert("preprocess.scale".into(), ParamValue::Str("robust".into()));
        let s = Settings::from_params(&p).unwrap();
        assert_eq!(s.scale, Scale::Robust);
        assert_eq!(s.impute, Impute::None);
        assert_eq!(s.encode, Encode::Onehot);
        assert_eq!(s.describe(), "impute none, scale robust, encode onehot");
        assert_eq!(model_params(&p).len(), 1);
        p.insert("preprocess.scale".into(), ParamValue::Str("zscore".into()));
        assert!(Settings::from_params(&p).is_err());
    }

    #[test]
    fn no_preprocess_keys_read_as_each_step_at_its_default() {
        let mut spelled = Params::new();
        for (step, value) in [("impute", "none"), ("scale", "none"), ("encode", "onehot")] {
            spelled.insert(format!("{PREFIX}{step}"), ParamValue::Str(value.into()));
        }
        let mut other = Params::new();
        other.insert("id".into(), ParamValue::Int(3));
        assert_eq!(
            Settings::from_params(&other).unwrap(),
            Settings::from_params(&spelled).unwrap()
        );
    }

    #[test]
    fn validate_checks_both_kinds_of_keys() {
        let model = models::find("logistic_regression").unwrap();
        let mut p = Params::new();
        p.insert("preprocess.scale".into(), ParamValue::Str("zscore".into()));
        let (key, msg) = validate(model, &p).unwrap_err();
        assert_eq!(key, "preprocess.scale");
        assert!(msg.contains("none, standard, minmax, robust"), "{msg}");
        let mut p = Params::new();
        p.insert("preprocess.colour".into(), ParamValue::Str("x".into()));
        assert!(validate(model, &p)
            .unwrap_err()
            .1
            .contains("unknown preprocessing step"));
    }
}
