//! `[dataset]`: the file and the role of its columns (target, drop,
//! categorical). Column names are checked against the CSV's header when it
//! is imported (`crate::data::roles`); here only their form.

use super::raw::{self, RawTarget};
use super::{tidy, ColumnRef, ConfigError, DatasetSpec, Resolver, TargetColumn, TaskHint};
use toml::Spanned;

impl Resolver<'_> {
    pub(super) fn dataset(&self, d: raw::RawDataset) -> Result<DatasetSpec, ConfigError> {
        let target = match d.target {
            None => TargetColumn::Last,
            Some(t) => match t.into_inner() {
                RawTarget::Index(i) => TargetColumn::Index(i),
                RawTarget::Name(n) => TargetColumn::Name(n),
            },
        };
        let task = match d.task {
            None => None,
            Some(t) => Some(match t.get_ref().as_str() {
                "classification" => TaskHint::Classification,
                "regression" => TaskHint::Regression,
                other => {
                    return Err(self.loc.at(
                        t.span(),
                        "dataset.task",
                        format!("`{other}` is not classification or regression"),
                    ))
                }
            }),
        };
        let drop = self.columns(d.drop, "dataset.drop")?;
        let categorical = self.columns(d.categorical, "dataset.categorical")?;
        if let Some(both) = drop.iter().find(|c| categorical.contains(c)) {
            return Err(self.loc.whole(
                Some("dataset.categorical"),
                format!("column {both} is also in dataset.drop: give it one role"),
            ));
        }
        let na_values = d.na_values.map(Spanned::into_inner);
        Ok(DatasetSpec {
            path: tidy(self.base.join(d.path)),
            target,
            task,
            drop,
            categorical,
            na_values,
        })
    }

    /// A list of column names or indices, each named once.
    fn columns(
        &self,
        list: Option<Vec<Spanned<RawTarget>>>,
        key: &str,
    ) -> Result<Vec<ColumnRef>, ConfigError> {
        let mut out = Vec::new();
        for item in list.unwrap_or_default() {
            let span = item.span();
            let column = match item.into_inner() {
                RawTarget::Index(i) => ColumnRef::Index(i),
                RawTarget::Name(n) => ColumnRef::Name(n),
            };
            if out.contains(&column) {
                return Err(self
                    .loc
                    .at(span, key, format!("column {column} is listed twice")));
            }
            out.push(column);
        }
        Ok(out)
    }
}
