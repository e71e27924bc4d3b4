//! CSV to binary cache, streamed: memory stays flat whatever the file's size
//! (the coordinator does this and must not grow with the dataset).

use super::cache::{read_header, CacheHeader, MAGIC};
use crate::config::{DatasetSpec, TargetColumn, TaskHint};
use crate::models::TargetKind;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Most distinct labels a class target may have before we call it an error.
const MAX_CLASSES: usize = 10_000;
/// An all-integer target with at most this many distinct values is taken as classes.
const MAX_AUTO_CLASSES: usize = 100;

/// Where the cache for this dataset lives under `cache_dir`: keyed by the
/// CSV's path, size and modification time, and the target choice.
pub fn cache_path(spec: &DatasetSpec, cache_dir: &Path) -> Result<PathBuf> {
    let meta = std::fs::metadata(&spec.path)
        .with_context(|| format!("{}: cannot read the dataset", spec.path.display()))?;
    let abs = std::fs::canonicalize(&spec.path).unwrap_or_else(|_| spec.path.clone());
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let key = format!(
        "{}|{}|{}|{:?}|{:?}|v1{}",
        abs.display(),
        meta.len(),
        mtime,
        spec.target,
        spec.task,
        spec.groups
            .as_ref()
            .map_or(String::new(), |g| format!("|groups {g:?}"))
    );
    let hash = blake3::hash(key.as_bytes()).to_hex();
    let stem = spec
        .path
        .file_stem()
        .map_or("data".into(), |s| s.to_string_lossy().into_owned());
    Ok(cache_dir.join(format!("{stem}-{}.bin", &hash[..16])))
}

/// Makes sure the cache for `spec` exists in `cache_dir` and returns its path
/// and header. Parses the CSV only when there is no valid cache yet.
pub fn prepare(spec: &DatasetSpec, cache_dir: &Path) -> Result<(PathBuf, CacheHeader)> {
    let path = cache_path(spec, cache_dir)?;
    if let Ok(header) = read_header(&path) {
        return Ok((path, header));
    }
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("{}: cannot create", cache_dir.display()))?;
    // Unique temporary name, renamed into place: concurrent shards sharing a
    // folder never see a half-written cache.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = Importer::new(spec)?.write(&tmp);
    match result {
        Ok(header) => {
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("{}: cannot rename the cache", path.display()))?;
            Ok((path, header))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Reads a CSV's feature columns (for `predict`), skipping `skip` if present.
pub fn read_features_csv(path: &Path, feature_names: &[String]) -> Result<ndarray::Array2<f64>> {
    let mut reader = csv_reader(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let columns: Vec<usize> = feature_names
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| {
                    anyhow!(
                        "{}: column `{name}` the model was trained on is missing",
                        path.display()
                    )
                })
        })
        .collect::<Result<_>>()?;
    let mut values = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        let line = record.position().map_or(0, |p| p.line());
        for (&c, name) in columns.iter().zip(feature_names) {
            values.push(parse_cell(path, line, name, record.get(c).unwrap_or(""))?);
        }
        rows += 1;
    }
    Ok(ndarray::Array2::from_shape_vec(
        (rows, columns.len()),
        values,
    )?)
}

fn csv_reader(path: &Path) -> Result<csv::Reader<HashingReader>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let hashing = HashingReader {
        inner: file,
        hasher: blake3::Hasher::new(),
    };
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(hashing))
}

fn csv_error(path: &Path, e: csv::Error) -> anyhow::Error {
    let line = e
        .position()
        .map(|p| format!(":{}", p.line()))
        .unwrap_or_default();
    let msg = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("row has {len} fields, the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    anyhow!("{}{line}: {msg}", path.display())
}

fn parse_cell(path: &Path, line: u64, column: &str, cell: &str) -> Result<f64> {
    let cell = cell.trim();
    if cell.is_empty()
        || matches!(
            cell.to_ascii_lowercase().as_str(),
            "na" | "nan" | "null" | "none" | "?"
        )
    {
        bail!("{}:{line}: column `{column}`: missing value `{cell}` (gridrun needs every feature filled in)", path.display());
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => bail!(
            "{}:{line}: column `{column}`: `{cell}` is not a finite number",
            path.display()
        ),
        Err(_) => bail!(
            "{}:{line}: column `{column}`: `{cell}` is not a number (features must be numeric)",
            path.display()
        ),
    }
}

/// Hashes the bytes as the CSV parser reads them (the dataset fingerprint).
struct HashingReader {
    inner: File,
    hasher: blake3::Hasher,
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// One pass over the CSV, writing x into the cache and y into side files.
struct Importer<'a> {
    spec: &'a DatasetSpec,
    reader: csv::Reader<HashingReader>,
    feature_names: Vec<String>,
    feature_columns: Vec<usize>,
    target_column: usize,
    target_name: String,
}

/// Classification or regression; for classes, the sorted labels and the map
/// from first-appearance code to class index.
type TargetDecision = (TargetKind, Option<Vec<String>>, Option<Vec<u32>>);

/// What the target column looked like, gathered while streaming.
struct TargetStats {
    /// label -> first-appearance code; None once there are too many labels.
    labels: Option<HashMap<String, u32>>,
    all_numeric: bool,
    all_integer: bool,
}

impl<'a> Importer<'a> {
    fn new(spec: &'a DatasetSpec) -> Result<Self> {
        let path = &spec.path;
        let mut reader = csv_reader(path)?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut names = std::collections::HashSet::new();
        if let Some(dup) = headers.iter().find(|h| !names.insert(h.as_str())) {
            bail!(
                "{}:1: column name `{dup}` appears twice (columns are found by name)",
                path.display()
            );
        }
        if headers.len() < 2 {
            bail!(
                "{}:1: need a header with at least one feature column and a target column",
                path.display()
            );
        }
        let target_column = match &spec.target {
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
        let groups_column = super::groups::column_index(spec, &headers)?;
        let feature_columns: Vec<usize> = (0..headers.len())
            .filter(|&c| c != target_column && Some(c) != groups_column)
            .collect();
        let feature_names = feature_columns
            .iter()
            .map(|&c| headers[c].clone())
            .collect();
        Ok(Importer {
            spec,
            reader,
            feature_names,
            feature_columns,
            target_column,
            target_name: headers[target_column].clone(),
        })
    }

    fn write(mut self, out_path: &Path) -> Result<CacheHeader> {
        let path = self.spec.path.clone();
        let out = File::create(out_path)
            .with_context(|| format!("{}: cannot create", out_path.display()))?;
        let mut x_out = BufWriter::with_capacity(1 << 20, out);
        x_out.write_all(MAGIC)?;
        let mut y_codes = BufWriter::new(tempfile::tempfile()?);
        let mut y_values = BufWriter::new(tempfile::tempfile()?);
        let mut stats = TargetStats {
            labels: Some(HashMap::new()),
            all_numeric: true,
            all_integer: true,
        };
        let mut record = csv::StringRecord::new();
        let mut n_rows = 0usize;
        while self
            .reader
            .read_record(&mut record)
            .map_err(|e| csv_error(&path, e))?
        {
            let line = record.position().map_or(0, |p| p.line());
            for (&c, name) in self.feature_columns.iter().zip(&self.feature_names) {
                let v = parse_cell(&path, line, name, &record[c])?;
                x_out.write_all(&v.to_le_bytes())?;
            }
            let (code, value) = stats.observe(
                &path,
                line,
                &self.target_name,
                record[self.target_column].trim(),
            )?;
            y_codes.write_all(&code.to_le_bytes())?;
            y_values.write_all(&value.to_le_bytes())?;
            n_rows += 1;
        }
        if n_rows < 2 {
            bail!(
                "{}: needs at least 2 data rows, found {n_rows}",
                path.display()
            );
        }
        let (target, classes, remap) = stats.decide(self.spec.task, &path, &self.target_name)?;
        append_targets(&mut x_out, y_codes, y_values, remap.as_deref())?;
        let header = CacheHeader {
            n_rows,
            n_features: self.feature_names.len(),
            feature_names: self.feature_names,
            target_name: self.target_name,
            target,
            classes,
            source: path,
            fingerprint: self.reader.into_inner().hasher.finalize().to_hex()[..32].to_string(),
        };
        let json = serde_json::to_vec(&header)?;
        x_out.write_all(&json)?;
        x_out.write_all(&(json.len() as u64).to_le_bytes())?;
        x_out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(header)
    }
}

impl TargetStats {
    /// Records one target cell: its label code and numeric value (NaN if none).
    fn observe(&mut self, path: &Path, line: u64, column: &str, cell: &str) -> Result<(u32, f64)> {
        if cell.is_empty() {
            bail!(
                "{}:{line}: target column `{column}`: missing value",
                path.display()
            );
        }
        let value = cell.parse::<f64>().ok().filter(|v| v.is_finite());
        match value {
            Some(v) => self.all_integer &= v.fract() == 0.0,
            None => {
                self.all_numeric = false;
                self.all_integer = false;
            }
        }
        let code = match &mut self.labels {
            Some(labels) => {
                let next = labels.len() as u32;
                let code = *labels.entry(cell.to_string()).or_insert(next);
                if labels.len() > MAX_CLASSES {
                    self.labels = None;
                }
                code
            }
            None => u32::MAX,
        };
        if self.labels.is_none() && !self.all_numeric {
            bail!("{}:{line}: target column `{column}`: `{cell}` is not a number, and there are over {MAX_CLASSES} distinct labels", path.display());
        }
        Ok((code, value.unwrap_or(f64::NAN)))
    }

    /// Classification or regression; for classes, the sorted labels and the
    /// map from first-appearance code to class index.
    fn decide(self, hint: Option<TaskHint>, path: &Path, column: &str) -> Result<TargetDecision> {
        let few = self
            .labels
            .as_ref()
            .is_some_and(|l| l.len() <= MAX_AUTO_CLASSES);
        let classify = match hint {
            Some(TaskHint::Classification) => true,
            Some(TaskHint::Regression) if !self.all_numeric => bail!("{}: target column `{column}` holds non-numeric labels; it cannot be a regression target", path.display()),
            Some(TaskHint::Regression) => false,
            None => !self.all_numeric || (self.all_integer && few),
        };
        if !classify {
            return Ok((TargetKind::Regression, None, None));
        }
        let labels = self.labels.ok_or_else(|| anyhow!("{}: target column `{column}` has over {MAX_CLASSES} distinct values: too many classes", path.display()))?;
        let mut sorted: Vec<(String, u32)> = labels.into_iter().collect();
        if self.all_numeric {
            sorted.sort_by(|a, b| {
                a.0.parse::<f64>()
                    .unwrap_or(0.0)
                    .total_cmp(&b.0.parse::<f64>().unwrap_or(0.0))
            });
        } else {
            sorted.sort();
        }
        if sorted.len() < 2 {
            bail!(
                "{}: target column `{column}` has a single class; nothing to learn",
                path.display()
            );
        }
        let mut remap = vec![0u32; sorted.len()];
        for (index, (_, code)) in sorted.iter().enumerate() {
            remap[*code as usize] = index as u32;
        }
        let names = sorted.into_iter().map(|(label, _)| label).collect();
        Ok((
            TargetKind::Classification {
                n_classes: remap.len(),
            },
            Some(names),
            Some(remap),
        ))
    }
}

/// Appends y (class indices or values) after x.
fn append_targets(
    out: &mut impl Write,
    codes: BufWriter<File>,
    values: BufWriter<File>,
    remap: Option<&[u32]>,
) -> Result<()> {
    let source = match remap {
        Some(_) => codes,
        None => values,
    };
    let mut file = source.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    let mut reader = std::io::BufReader::new(file);
    let mut buf = [0u8; 8];
    match remap {
        Some(remap) => {
            let mut code = [0u8; 4];
            while reader.read_exact(&mut code).is_ok() {
                let class = remap[u32::from_le_bytes(code) as usize];
                out.write_all(&f64::from(class).to_le_bytes())?;
            }
        }
        None => {
            while reader.read_exact(&mut buf).is_ok() {
                out.write_all(&buf)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    fn spec(dir: &Path, csv: &str) -> DatasetSpec {
        let path = dir.join("d.csv");
        std::fs::write(&path, csv).unwrap();
        DatasetSpec {
            path,
            target: TargetColumn::Last,
            task: None,
            groups: None,
        }
    }

    #[test]
    fn string_labels_become_sorted_classes() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(dir.path(), "a,b,label\n1,2,zebra\n3,4.5,ant\n5,6,zebra\n");
        let (path, header) = prepare(&s, &dir.path().join("cache")).unwrap();
        assert_eq!(header.classes, Some(vec!["ant".into(), "zebra".into()]));
        let d = Dataset::open(&path).unwrap();
        assert_eq!(d.y().to_vec(), vec![1.0, 0.0, 1.0]);
        assert_eq!(d.x().row(1).to_vec(), vec![3.0, 4.5]);
        assert_eq!(header.feature_names, vec!["a", "b"]);
    }

    #[test]
    fn float_target_is_regression() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(dir.path(), "a,y\n1,0.5\n2,1.5\n3,2.25\n");
        let (path, header) = prepare(&s, &dir.path().join("c")).unwrap();
        assert_eq!(header.target, TargetKind::Regression);
        assert_eq!(
            Dataset::open(&path).unwrap().y().to_vec(),
            vec![0.5, 1.5, 2.25]
        );
    }

    #[test]
    fn target_by_name_in_the_middle() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec(dir.path(), "a,cls,b\n1,1,2\n3,0,4\n");
        s.target = TargetColumn::Name("cls".into());
        let (path, header) = prepare(&s, &dir.path().join("c")).unwrap();
        assert_eq!(header.feature_names, vec!["a", "b"]);
        let d = Dataset::open(&path).unwrap();
        assert_eq!(d.x().row(0).to_vec(), vec![1.0, 2.0]);
        assert_eq!(d.y().to_vec(), vec![1.0, 0.0]);
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(dir.path(), "a,b,y\n1,2,0\n3,,1\n");
        let e = prepare(&s, &dir.path().join("c")).unwrap_err().to_string();
        assert!(
            e.ends_with(
                "d.csv:3: column `b`: missing value `` (gridrun needs every feature filled in)"
            ),
            "{e}"
        );
        let s = spec(dir.path(), "a,b,y\n1,2,0\n3,x,1\n");
        let e = prepare(&s, &dir.path().join("c")).unwrap_err().to_string();
        assert!(
            e.contains("d.csv:3: column `b`: `x` is not a number"),
            "{e}"
        );
        let s = spec(dir.path(), "a,b,y\n1,2,0\n3,1\n");
        let e = prepare(&s, &dir.path().join("c")).unwrap_err().to_string();
        assert!(
            e.contains("d.csv:3: row has 2 fields, the header has 3"),
            "{e}"
        );
    }

    #[test]
    fn cache_is_reused_and_fingerprinted() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(dir.path(), "a,y\n1,0\n2,1\n");
        let (p1, h1) = prepare(&s, &dir.path().join("c")).unwrap();
        let (p2, h2) = prepare(&s, &dir.path().join("c")).unwrap();
        assert_eq!(p1, p2);
        assert_eq!(h1, h2);
        assert_eq!(h1.fingerprint.len(), 32);
    }
}
