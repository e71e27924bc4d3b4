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
            Some(t) => {
                let span = t.span();
                match self.column_ref(t.into_inner(), span, "dataset.target")? {
                    ColumnRef::Index(i) => TargetColumn::Index(i),
                    ColumnRef::Name(n) => TargetColumn::Name(n),
                }
            }
        };
        if d.path.get_ref().as_os_str().is_empty() {
            return Err(self.loc.at(
                d.path.span(),
                "dataset.path",
                "is empty: give the CSV file's path",
            ));
        }
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
        let groups = self.groups(d.groups, &target)?;
        Ok(DatasetSpec {
            path: tidy(self.base.join(d.path.get_ref())),
            target,
            task,
            groups,
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
            let column = self.column_ref(item.into_inner(), span.clone(), key)?;
            if out.contains(&column) {
                return Err(self
                    .loc
                    .at(span, key, format!("column {column} is listed twice")));
            }
            out.push(column);
        }
        Ok(out)
    }

    /// A column name or 0-based index; anything else names the key.
    fn column_ref(
        &self,
        raw: RawTarget,
        span: std::ops::Range<usize>,
        key: &str,
    ) -> Result<ColumnRef, ConfigError> {
        match raw {
            RawTarget::Index(i) if i >= 0 => Ok(ColumnRef::Index(i as usize)),
            RawTarget::Name(n) => Ok(ColumnRef::Name(n)),
            RawTarget::Index(i) => Err(self.loc.at(
                span,
                key,
                format!("{i} is not a column: give a column name or a 0-based column index"),
            )),
            RawTarget::Other(v) => Err(self.loc.at(
                span,
                key,
                format!("{v} is not a column: give a column name or a 0-based column index"),
            )),
        }
    }
}
