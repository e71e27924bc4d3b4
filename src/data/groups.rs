//! The column named by `[dataset] groups`: read from the CSV into one integer
//! code per row, numbered in sorted label order (numbers by value when every
//! label is a number, as pandas reads such a column, else text by code
//! point), which is the order of numpy's `np.unique` that scikit-learn's
//! group splitters work in. Stored as JSON beside the dataset cache; the
//! column is never a feature.

use super::spec::{DatasetSpec, GroupsColumn, TargetColumn};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Each row's group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCodes {
    /// The column's header.
    pub column: String,
    /// The distinct labels in sorted order: code i is labels[i].
    pub labels: Vec<String>,
    /// One code per data row.
    pub codes: Vec<u32>,
}

impl GroupCodes {
    /// Numbers labels as `np.unique` orders them; `labels` are the trimmed
    /// cells in row order.
    pub fn from_labels(column: &str, labels: &[&str]) -> GroupCodes {
        let mut first_seen: HashMap<&str, u32> = HashMap::new();
        let mut texts: Vec<&str> = Vec::new();
        let seen: Vec<u32> = labels
            .iter()
            .map(|&label| {
                *first_seen.entry(label).or_insert_with(|| {
                    texts.push(label);
                    texts.len() as u32 - 1
                })
            })
            .collect();
        let numbers: Option<Vec<f64>> = texts.iter().map(|t| t.parse::<f64>().ok()).collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        match &numbers {
            Some(v) => order.sort_by(|&a, &b| v[a].total_cmp(&v[b])),
            None => order.sort_by(|&a, &b| texts[a].cmp(texts[b])),
        }
        // "1" and "1.0" are one group, as they are one number.
        let same = |a: usize, b: usize| numbers.as_ref().is_some_and(|v| v[a] == v[b]);
        let mut rank = vec![0u32; texts.len()];
        let mut sorted_labels: Vec<String> = Vec::new();
        for (i, &t) in order.iter().enumerate() {
            if i == 0 || !same(order[i - 1], t) {
                sorted_labels.push(texts[t].to_string());
            }
            rank[t] = sorted_labels.len() as u32 - 1;
        }
        GroupCodes {
            column: column.to_string(),
            labels: sorted_labels,
            codes: seen.into_iter().map(|c| rank[c as usize]).collect(),
        }
    }
}

/// Where the codes for the cache at `cache` live.
pub fn groups_path(cache: &Path) -> PathBuf {
    cache.with_extension("groups.json")
}

/// Reads the codes stored beside a cache.
pub fn load_groups(cache: &Path) -> Result<GroupCodes> {
    let path = groups_path(cache);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read the group codes", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not gridrun group codes (delete it to rebuild)",
            path.display()
        )
    })
}

/// Makes sure the codes for `spec`'s group column are stored beside the
/// cache (written to a temporary name and renamed, like the cache).
pub(super) fn prepare(spec: &DatasetSpec, cache: &Path, n_rows: usize) -> Result<()> {
    if spec.groups.is_none() || load_groups(cache).is_ok_and(|g| g.codes.len() == n_rows) {
        return Ok(());
    }
    let groups = read_groups(spec)?;
    if groups.codes.len() != n_rows {
        bail!(
            "{}: {} group cells for {n_rows} data rows (the file changed while it was read?)",
            spec.path.display(),
            groups.codes.len()
        );
    }
    let path = groups_path(cache);
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(&groups)?)
        .with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("{}: cannot rename", path.display()))
}

/// Reads `spec`'s group column from its CSV (one column, streamed).
pub fn read_groups(spec: &DatasetSpec) -> Result<GroupCodes> {
    let path = &spec.path;
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let column = column_index(spec, &headers)?
        .ok_or_else(|| anyhow!("{}: no `groups` in [dataset]", path.display()))?;
    let mut cells: Vec<String> = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: cannot read", path.display()))?;
        let cell = record.get(column).unwrap_or("").trim();
        if is_missing(cell) {
            let line = record.position().map_or(0, |p| p.line());
            bail!(
                "{}:{line}: group column `{}`: missing value `{cell}` (every row needs a group)",
                path.display(),
                headers[column]
            );
        }
        cells.push(cell.to_string());
    }
    let labels: Vec<&str> = cells.iter().map(String::as_str).collect();
    Ok(GroupCodes::from_labels(&headers[column], &labels))
}

/// The 0-based index of the group column among `headers`, checked against
/// the target column; None when `[dataset]` names no groups.
pub fn column_index(spec: &DatasetSpec, headers: &[String]) -> Result<Option<usize>> {
    let Some(groups) = &spec.groups else {
        return Ok(None);
    };
    let file = spec.path.display();
    let index = match groups {
        GroupsColumn::Index(i) if *i < headers.len() => *i,
        GroupsColumn::Index(i) => bail!(
            "{file}: dataset.groups: column index {i} is out of range (the file has {} columns, 0-based)",
            headers.len()
        ),
        GroupsColumn::Name(n) => headers.iter().position(|h| h == n).ok_or_else(|| {
            anyhow!(
                "{file}: dataset.groups: no column named `{n}` (columns: {})",
                headers.join(", ")
            )
        })?,
    };
    let target = match &spec.target {
        TargetColumn::Last => headers.len().checked_sub(1),
        TargetColumn::Index(i) => Some(*i),
        TargetColumn::Name(n) => headers.iter().position(|h| h == n),
    };
    if target == Some(index) {
        bail!(
            "{file}: dataset.groups: column `{}` is the target; the groups must be another column",
            headers[index]
        );
    }
    if headers.len() < 3 {
        bail!(
            "{file}: dataset.groups: no feature column is left besides the target and the groups"
        );
    }
    Ok(Some(index))
}

/// A cell that holds no group (the texts the CSV importer takes as missing).
fn is_missing(cell: &str) -> bool {
    cell.is_empty()
        || matches!(
            cell.to_ascii_lowercase().as_str(),
            "na" | "nan" | "null" | "none" | "?"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value_and_text_by_code_point() {
        let g = GroupCodes::from_labels("g", &["10", "9", "1.0", "1", "-2"]);
        assert_eq!(g.labels, vec!["-2", "1.0", "9", "10"]);
        assert_eq!(g.codes, vec![3, 2, 1, 1, 0]);
        let g = GroupCodes::from_labels("g", &["b", "B", "a10", "a9", "b"]);
        assert_eq!(g.labels, vec!["B", "a10", "a9", "b"]);
        assert_eq!(g.codes, vec![3, 0, 1, 2, 3]);
    }

    fn spec(dir: &Path, csv: &str, groups: GroupsColumn) -> DatasetSpec {
        let path = dir.join("d.csv");
        std::fs::write(&path, csv).unwrap();
        DatasetSpec {
            path,
            target: TargetColumn::Last,
            task: None,
            groups: Some(groups),
            drop: vec![],
            categorical: vec![],
            na_values: None,
        }
    }

    #[test]
    fn reads_the_column_and_reports_bad_cells() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(
            dir.path(),
            "a,site,y\n1,x,0\n2,y,1\n3,x,0\n",
            GroupsColumn::Name("site".into()),
        );
        let g = read_groups(&s).unwrap();
        assert_eq!((g.column.as_str(), g.codes), ("site", vec![0, 1, 0]));
        let s = spec(
            dir.path(),
            "a,site,y\n1,x,0\n2,,1\n",
            GroupsColumn::Index(1),
        );
        let e = read_groups(&s).unwrap_err().to_string();
        assert!(
            e.ends_with("d.csv:3: group column `site`: missing value `` (every row needs a group)"),
            "{e}"
        );
        let s = spec(dir.path(), "a,b,y\n1,2,0\n", GroupsColumn::Index(2));
        let e = read_groups(&s).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "dataset.groups: column `y` is the target; the groups must be another column"
            ),
            "{e}"
        );
        let s = spec(dir.path(), "a,b,y\n1,2,0\n", GroupsColumn::Name("c".into()));
        let e = read_groups(&s).unwrap_err().to_string();
        assert!(
            e.ends_with("dataset.groups: no column named `c` (columns: a, b, y)"),
            "{e}"
        );
    }
}
