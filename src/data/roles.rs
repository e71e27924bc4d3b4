//! Which CSV column plays which role: the target, dropped columns, columns
//! forced to be categorical, and the features (every other column). One
//! more role (e.g. a groups column) is one more field here and in
//! [`ColumnRoles::resolve`].

use super::spec::{ColumnRef, DatasetSpec, TargetColumn};
use anyhow::{anyhow, bail, Result};
use std::path::Path;

/// Column indices into the CSV header, resolved and checked.
#[derive(Debug, Clone)]
pub struct ColumnRoles {
    pub target: usize,
    pub dropped: Vec<usize>,
    /// Feature columns, in file order.
    pub features: Vec<usize>,
    /// For each feature: forced categorical by `dataset.categorical`.
    pub forced_categorical: Vec<bool>,
}

impl ColumnRoles {
    pub fn resolve(spec: &DatasetSpec, headers: &[String]) -> Result<ColumnRoles> {
        let path = &spec.path;
        let target = match &spec.target {
            TargetColumn::Last => headers.len() - 1,
            TargetColumn::Index(i) if *i < headers.len() => *i,
            TargetColumn::Index(i) => bail!(
                "{}: target column index {i} is out of range (the file has {} columns, 0-based)",
                path.display(),
                headers.len()
            ),
            TargetColumn::Name(n) => headers.iter().position(|h| h == n).ok_or_else(|| {
                anyhow!(
                    "{}: no column named `{n}` for the target (columns: {})",
                    path.display(),
                    headers.join(", ")
                )
            })?,
        };
        let dropped = find_all(path, headers, &spec.drop, "dataset.drop", target)?;
        let categorical = find_all(
            path,
            headers,
            &spec.categorical,
            "dataset.categorical",
            target,
        )?;
        // The group column (group CV kinds) is never a feature either.
        let groups = super::groups::column_index(spec, headers)?;
        let features: Vec<usize> = (0..headers.len())
            .filter(|&c| c != target && !dropped.contains(&c) && Some(c) != groups)
            .collect();
        if features.is_empty() {
            bail!(
                "{}: dataset.drop: no feature column is left (only the target `{}`)",
                path.display(),
                headers[target]
            );
        }
        let forced_categorical = features.iter().map(|c| categorical.contains(c)).collect();
        Ok(ColumnRoles {
            target,
            dropped,
            features,
            forced_categorical,
        })
    }
}

/// Resolves the columns listed under `key`; none may be the target.
fn find_all(
    path: &Path,
    headers: &[String],
    refs: &[ColumnRef],
    key: &str,
    target: usize,
) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for r in refs {
        let index = match r {
            ColumnRef::Index(i) if *i < headers.len() => *i,
            ColumnRef::Index(i) => bail!(
                "{}: {key}: column index {i} is out of range (the file has {} columns, 0-based)",
                path.display(),
                headers.len()
            ),
            ColumnRef::Name(n) => headers.iter().position(|h| h == n).ok_or_else(|| {
                anyhow!(
                    "{}: {key}: no column named `{n}` (columns: {})",
                    path.display(),
                    headers.join(", ")
                )
            })?,
        };
        if index == target {
            bail!(
                "{}: {key}: `{}` is the target column",
                path.display(),
                headers[index]
            );
        }
        if out.contains(&index) {
            bail!(
                "{}: {key}: column `{}` is listed twice",
                path.display(),
                headers[index]
            );
        }
        out.push(index);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec(drop: Vec<ColumnRef>, categorical: Vec<ColumnRef>) -> DatasetSpec {
        DatasetSpec {
            path: PathBuf::from("d.csv"),
            target: TargetColumn::Last,
            task: None,
            groups: None,
            drop,
            categorical,
            na_values: None,
        }
    }

    fn headers() -> Vec<String> {
        ["id", "a", "color", "y"].map(String::from).to_vec()
    }

    #[test]
    fn drop_by_name_and_index() {
        let r = ColumnRoles::resolve(
            &spec(
                vec![ColumnRef::Name("id".into())],
                vec![ColumnRef::Index(1)],
            ),
            &headers(),
        )
        .unwrap();
        assert_eq!(r.target, 3);
        assert_eq!(r.features, vec![1, 2]);
        assert_eq!(r.forced_categorical, vec![true, false]);
    }

    #[test]
    fn unknown_and_target_columns_are_errors() {
        let e = ColumnRoles::resolve(
            &spec(vec![ColumnRef::Name("nope".into())], vec![]),
            &headers(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "d.csv: dataset.drop: no column named `nope` (columns: id, a, color, y)"
        );
        let e = ColumnRoles::resolve(&spec(vec![], vec![ColumnRef::Name("y".into())]), &headers())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "d.csv: dataset.categorical: `y` is the target column");
    }
}
