//! `[preprocess]`: resolved into fixed `preprocess.*` parameters of every
//! setting (so they are part of each task's id, and of best.json), unless
//! the grid varies them. Defaults serve the model: scaling only for models
//! that want it (linear ones).

use super::raw::RawPreprocess;
use super::{ConfigError, Resolver};
use crate::models::Model;
use crate::params::{ParamValue, Params};
use crate::preprocess::{self, Step};
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn preprocess(
        &self,
        raw: RawPreprocess,
        model: &dyn Model,
        grid_keys: &[String],
    ) -> Result<Params, ConfigError> {
        let mut fixed = Params::new();
        for (step, value) in [
            (Step::Impute, raw.impute),
            (Step::Scale, raw.scale),
            (Step::Encode, raw.encode),
        ] {
            let key = step.param_key();
            let in_grid = grid_keys.contains(&key);
            match (value, in_grid) {
                (Some(v), true) => {
                    return Err(self.loc.at(
                        v.span(),
                        &format!("preprocess.{}", step.name()),
                        format!("is set in [grid] too (as {key}): set it in one place"),
                    ))
                }
                (Some(v), false) => {
                    self.check_choice(step, &v)?;
                    fixed.insert(key, ParamValue::Str(v.into_inner()));
                }
                (None, true) => {}
                (None, false) => {
                    fixed.insert(
                        key,
                        ParamValue::Str(preprocess::default_for(step, model).into()),
                    );
                }
            }
        }
        Ok(fixed)
    }

    fn check_choice(&self, step: Step, value: &Spanned<String>) -> Result<(), ConfigError> {
        if step.choices().contains(&value.get_ref().as_str()) {
            return Ok(());
        }
        Err(self.loc.at(
            value.span(),
            &format!("preprocess.{}", step.name()),
            format!(
                "`{}` is not one of {}",
                value.get_ref(),
                step.choices().join(", ")
            ),
        ))
    }
}
