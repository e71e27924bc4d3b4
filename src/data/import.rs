//! CSV to binary cache, streamed: memory stays flat whatever the file's size
//! (the coordinator does this and must not grow with the dataset).
//!
//! The file is read in windows of chunks parsed in parallel (chunks.rs) and
//! merged in file order. The pass surveys every feature column (numbers,
//! text, missing cells, distinct values) and writes numbers and NaN for
//! missing cells; only when some column turns out categorical does a second
//! pass write its category codes.

use super::cache::{read_header, CacheHeader, FeatureKind, MAGIC};
use super::chunks::{parse_window, ChunkOut, ChunkPlan, Codes, TargetChunk};
use super::roles::ColumnRoles;
use super::spec::{DatasetSpec, TaskHint};
use super::survey::{Cell, ColumnSurvey, NaValues, MAX_CATEGORIES};
use crate::models::TargetKind;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Most distinct labels a class target may have before we call it an error.
const MAX_CLASSES: usize = 10_000;
/// An all-integer target with at most this many distinct values is taken as classes.
const MAX_AUTO_CLASSES: usize = 100;
/// Cell texts that mean "missing" unless `dataset.na_values` says otherwise
/// (compared case-insensitively; an empty cell is always missing).
pub const DEFAULT_NA_VALUES: &[&str] = &["NA", "N/A", "NaN", "null", "None"];

/// Where the cache for this dataset lives under `cache_dir`: keyed by the
/// CSV's path, size and modification time, and the column roles.
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
        "{}|{}|{}|{}|v2",
        abs.display(),
        meta.len(),
        mtime,
        roles_key(spec)
    );
    let hash = blake3::hash(key.as_bytes()).to_hex();
    let stem = spec
        .path
        .file_stem()
        .map_or("data".into(), |s| s.to_string_lossy().into_owned());
    Ok(cache_path_in(cache_dir, &stem, &hash))
}

fn cache_path_in(cache_dir: &Path, stem: &str, hash: &str) -> PathBuf {
    cache_dir.join(format!("{stem}-{}.bin", &hash[..16]))
}

/// Everything in [dataset] that changes what the cache holds, besides the file.
fn roles_key(spec: &DatasetSpec) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        spec.target, spec.task, spec.drop, spec.categorical, spec.na_values, spec.groups
    )
}

/// Makes sure the cache for `spec` exists in `cache_dir` and returns its path
/// and header. Parses the CSV only when there is no valid cache yet.
pub fn prepare(spec: &DatasetSpec, cache_dir: &Path) -> Result<(PathBuf, CacheHeader)> {
    prepare_in_chunks(spec, cache_dir, CHUNK_BYTES)
}

/// [`prepare`] with chunks of about `chunk_bytes` (tests use tiny ones).
fn prepare_in_chunks(
    spec: &DatasetSpec,
    cache_dir: &Path,
    chunk_bytes: usize,
) -> Result<(PathBuf, CacheHeader)> {
    let path = cache_path(spec, cache_dir)?;
    if let Ok(header) = read_header(&path) {
        return Ok((path, header));
    }
    std::fs::create_dir_all(cache_dir)
        .with_context(|| format!("{}: cannot create", cache_dir.display()))?;
    // Unique temporary name, renamed into place: concurrent shards sharing a
    // folder never see a half-written cache.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = Importer::new(spec, chunk_bytes).and_then(|importer| importer.write(&tmp));
    release_freed_memory();
    match result {
        Ok(header) => {
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("{}: cannot rename the cache", path.display()))?;
            Ok((path, header))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            // The CSV's own errors name it; a bare I/O error is the cache's
            // writing (a full disk, a file size limit).
            match e.downcast_ref::<std::io::Error>() {
                Some(_) => Err(e.context(format!(
                    "{}: cannot write the dataset cache",
                    path.display()
                ))),
                None => Err(e),
            }
        }
    }
}

/// glibc keeps what the import freed (its windows, the parsing threads'
/// arenas) mapped in the coordinator for the whole run; hand it back.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The na_values in force for a dataset.
pub fn na_values_of(spec: &DatasetSpec) -> Vec<String> {
    spec.na_values
        .clone()
        .unwrap_or_else(|| DEFAULT_NA_VALUES.iter().map(|s| s.to_string()).collect())
}

/// Reads a CSV's feature columns (for `predict`) as the cache stores them:
/// numbers, category codes (-1 for a category the model never saw), NaN
/// for missing cells. `kinds` empty: every column numeric.
pub fn read_features_csv(
    path: &Path,
    feature_names: &[String],
    kinds: &[FeatureKind],
    na_values: &[String],
) -> Result<ndarray::Array2<f64>> {
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
    let codes: Vec<Option<HashMap<&str, f64>>> = (0..columns.len())
        .map(|j| match kinds.get(j) {
            Some(FeatureKind::Categorical { categories }) => Some(
                categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i as f64))
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    let na = NaValues::new(na_values);
    let mut values = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        for (j, (&c, name)) in columns.iter().zip(feature_names).enumerate() {
            let raw = record.get(c).unwrap_or("");
            let v = match (na.classify(raw), &codes[j]) {
                (Cell::Missing, _) => f64::NAN,
                (_, Some(codes)) => codes.get(raw.trim()).copied().unwrap_or(-1.0),
                (Cell::Number(v), None) if v.is_finite() => v,
                (_, None) => bail!(
                    "{}:{}: column `{name}`: `{}` is not a finite number",
                    path.display(),
                    record_line(path, &record),
                    raw.trim()
                ),
            };
            values.push(v);
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

/// The 1-based file line where the record starting at byte `offset` is:
/// counted from the bytes themselves, so CRLF, LF and quoted line breaks
/// all count right. The csv reader can place a record's start on the `\n`
/// of the previous line's CRLF, so line breaks right at `offset` count too.
/// Only called to report an error.
pub fn line_at(path: &Path, offset: u64) -> u64 {
    let Ok(file) = File::open(path) else { return 0 };
    let mut reader = std::io::BufReader::new(file);
    let mut line = 1;
    let mut buf = Vec::new();
    let mut read = 0u64;
    while read < offset {
        buf.clear();
        let n = (&mut reader)
            .take(offset - read)
            .read_until(b'\n', &mut buf)
            .unwrap_or(0);
        if n == 0 {
            return line;
        }
        read += n as u64;
        line += u64::from(buf.last() == Some(&b'\n'));
    }
    let mut byte = [0u8; 1];
    while reader.read_exact(&mut byte).is_ok() && matches!(byte[0], b'\r' | b'\n') {
        line += u64::from(byte[0] == b'\n');
    }
    line
}

fn record_line(path: &Path, record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| line_at(path, p.byte()))
}

fn csv_error(path: &Path, e: csv::Error) -> anyhow::Error {
    let line = e
        .position()
        .map(|p| format!(":{}", line_at(path, p.byte())))
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

/// Bytes of CSV per chunk parsed on one thread: small, so that the threads
/// finish a window's chunks at nearly the same time.
const CHUNK_BYTES: usize = 1 << 18;
/// Chunks read ahead per thread: enough to keep every thread busy, few
/// enough to keep the coordinator's memory flat (a window of 4 MiB a
/// thread).
const CHUNKS_PER_THREAD: usize = 16;

/// Reads the CSV in windows of chunks parsed in parallel, merges them in
/// file order, then writes x into the cache and y into side files. One pass
/// when every feature is numeric; a file with categorical columns is read
/// once more to write their codes (the codes are only known at the end).
struct Importer<'a> {
    spec: &'a DatasetSpec,
    headers: Vec<String>,
    roles: ColumnRoles,
    na: NaValues,
    /// Where the first data row starts (after the header line).
    data_start: u64,
    chunk_bytes: usize,
}

/// Classification or regression; for classes, the sorted labels and the map
/// from first-appearance code to class index.
type TargetDecision = (TargetKind, Option<Vec<String>>, Option<Vec<u32>>);

/// What the target column looked like, merged chunk by chunk in file order.
struct TargetStats {
    /// label -> first-appearance code; None once there are too many labels.
    labels: Option<HashMap<String, u32>>,
    all_numeric: bool,
    all_integer: bool,
    /// The label (and its record's offset) that made `labels` overflow.
    overflow: Option<(String, u64)>,
    first_text: Option<(String, u64)>,
    first_missing: Option<u64>,
}

/// What the survey decided about the features.
struct Survey {
    kinds: Vec<FeatureKind>,
    /// For categorical features: label -> code (index in sorted order).
    codes: Vec<Option<HashMap<String, f64>>>,
    missing: Vec<usize>,
    warnings: Vec<String>,
}

/// The first pass's tallies.
struct FirstPass {
    columns: Vec<ColumnSurvey>,
    target: TargetStats,
    n_rows: usize,
    csv_hash: String,
}

impl<'a> Importer<'a> {
    fn new(spec: &'a DatasetSpec, chunk_bytes: usize) -> Result<Self> {
        let path = &spec.path;
        let mut reader = csv_reader(path)?;
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let data_start = reader.position().byte();
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
        let roles = ColumnRoles::resolve(spec, &headers)?;
        Ok(Importer {
            spec,
            headers,
            roles,
            na: NaValues::new(&na_values_of(spec)),
            data_start,
            chunk_bytes: chunk_bytes.max(1),
        })
    }

    fn feature_name(&self, j: usize) -> &str {
        &self.headers[self.roles.features[j]]
    }

    /// Reads the data rows window by window (while one window is parsed,
    /// the one before is handed over and the next read and hashed) and hands every chunk, in file order,
    /// to `on_chunk`. `track` says which columns' labels to collect from the
    /// start; a column also gets them from the window after its first text.
    /// Returns the blake3 hash of the whole file.
    fn each_chunk(
        &self,
        codes: Option<&Codes>,
        mut track: Vec<bool>,
        mut on_chunk: impl FnMut(ChunkOut) -> Result<()> + Send,
    ) -> Result<blake3::Hash> {
        let path = &self.spec.path;
        let read_error = |e: std::io::Error| anyhow!("{}: cannot read: {e}", path.display());
        let mut file =
            File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
        let mut hasher = blake3::Hasher::new();
        let mut head = vec![0u8; self.data_start as usize];
        file.read_exact(&mut head).map_err(read_error)?;
        hasher.update(&head);
        let window = self.chunk_bytes * CHUNKS_PER_THREAD * rayon::current_num_threads();
        // Two buffers take turns: one window is parsed from one while the
        // next is read into the other (no allocation, no copy of a window).
        let (mut current, mut next) = (Vec::new(), Vec::new());
        read_block(&mut file, &mut current, window, &mut hasher).map_err(read_error)?;
        let mut carry = Vec::new();
        let mut base = self.data_start;
        // Parsed but not yet handed over: written while the next window is parsed.
        let mut pending: Vec<ChunkOut> = Vec::new();
        loop {
            let eof = current.len() - CARRY_ROOM < window;
            let joined;
            let buf: &[u8] = match CARRY_ROOM.checked_sub(carry.len()) {
                Some(at) => {
                    current[at..CARRY_ROOM].copy_from_slice(&carry);
                    &current[at..]
                }
                // A record longer than the room: the window is copied behind it.
                None => {
                    joined = [&carry[..], &current[CARRY_ROOM..]].concat();
                    &joined
                }
            };
            let plan = ChunkPlan {
                n_columns: self.headers.len(),
                features: &self.roles.features,
                target: self.roles.target,
                na: &self.na,
                track_labels: &track,
                codes,
            };
            let ((chunks, consumed), (read, handed)) = rayon::join(
                || parse_window(buf, base, eof, self.chunk_bytes, &plan),
                || {
                    let handed = self.hand_over(std::mem::take(&mut pending), &mut on_chunk);
                    let read = match eof || handed.is_err() {
                        true => Ok(()),
                        false => read_block(&mut file, &mut next, window, &mut hasher),
                    };
                    (read, handed)
                },
            );
            handed?;
            for chunk in &chunks {
                for (t, survey) in track.iter_mut().zip(&chunk.surveys) {
                    *t |= survey.texts > 0;
                }
            }
            pending = chunks;
            carry = buf[consumed..].to_vec();
            base += consumed as u64;
            if eof {
                self.hand_over(pending, &mut on_chunk)?;
                return Ok(hasher.finalize());
            }
            read.map_err(read_error)?;
            std::mem::swap(&mut current, &mut next);
        }
    }

    /// Hands parsed chunks to `on_chunk` in file order; the first malformed
    /// record in the file is the error.
    fn hand_over(
        &self,
        chunks: Vec<ChunkOut>,
        on_chunk: &mut impl FnMut(ChunkOut) -> Result<()>,
    ) -> Result<()> {
        let path = &self.spec.path;
        for chunk in chunks {
            if let Some((offset, message)) = &chunk.csv_error {
                bail!("{}:{}: {message}", path.display(), line_at(path, *offset));
            }
            on_chunk(chunk)?;
        }
        Ok(())
    }

    /// Pass one: every feature column's statistics, x written to `x_out`
    /// (text cells as NaN until the codes pass), y to the side files.
    fn first_pass(
        &self,
        x_out: &mut (impl Write + Send),
        y_codes: &mut (impl Write + Send),
        y_values: &mut (impl Write + Send),
    ) -> Result<FirstPass> {
        let mut columns: Vec<ColumnSurvey> = self
            .roles
            .forced_categorical
            .iter()
            .map(|&forced| ColumnSurvey::new(forced))
            .collect();
        let mut target = TargetStats::new();
        let mut n_rows = 0;
        let hash = self.each_chunk(None, self.roles.forced_categorical.clone(), |chunk| {
            write_floats(x_out, &chunk.x)?;
            let remap = target.merge(&chunk.target);
            let codes: Vec<u8> = chunk
                .target
                .codes
                .iter()
                .flat_map(|&c| {
                    remap
                        .get(c as usize)
                        .copied()
                        .unwrap_or(u32::MAX)
                        .to_le_bytes()
                })
                .collect();
            y_codes.write_all(&codes)?;
            write_floats(y_values, &chunk.target.values)?;
            for (column, survey) in columns.iter_mut().zip(chunk.surveys) {
                column.merge(survey);
            }
            n_rows += chunk.rows;
            Ok(())
        })?;
        self.complete_labels(&mut columns)?;
        Ok(FirstPass {
            columns,
            target,
            n_rows,
            csv_hash: hash.to_hex().to_string(),
        })
    }

    /// A column seen as numbers in some chunks and text in later ones is
    /// categorical, but the numbers' labels were not collected: one more
    /// pass collects them (only for such mixed columns).
    fn complete_labels(&self, columns: &mut [ColumnSurvey]) -> Result<()> {
        let needed: Vec<bool> = columns
            .iter()
            .map(|c| !c.numeric() && !c.labels_complete && c.labels.is_some())
            .collect();
        if !needed.contains(&true) {
            return Ok(());
        }
        let mut merged: Option<Vec<ColumnSurvey>> = None;
        self.each_chunk(None, needed.clone(), |chunk| {
            match &mut merged {
                None => merged = Some(chunk.surveys),
                Some(all) => all
                    .iter_mut()
                    .zip(chunk.surveys)
                    .for_each(|(a, b)| a.merge(b)),
            }
            Ok(())
        })?;
        for ((column, again), needed) in columns
            .iter_mut()
            .zip(merged.unwrap_or_default())
            .zip(needed)
        {
            if needed {
                column.labels = again.labels;
                column.labels_complete = true;
            }
        }
        Ok(())
    }

    /// Decides each feature's kind from its statistics.
    fn decide_features(&self, columns: &[ColumnSurvey], n_rows: usize) -> Result<Survey> {
        let path = &self.spec.path;
        let mut out = Survey {
            kinds: Vec::new(),
            codes: Vec::new(),
            missing: columns.iter().map(|c| c.missing).collect(),
            warnings: Vec::new(),
        };
        for (j, survey) in columns.iter().enumerate() {
            let forced = self.roles.forced_categorical[j];
            if let Some(w) = self.id_warning(j, survey, n_rows) {
                out.warnings.push(w);
            }
            if forced || !survey.numeric() {
                if !forced && survey.numbers >= 9 * survey.texts {
                    out.warnings.push(self.mostly_numeric_warning(j, survey));
                }
                let (categories, codes) = self.categories(j, survey)?;
                out.kinds.push(FeatureKind::Categorical { categories });
                out.codes.push(Some(codes));
            } else {
                if let Some((cell, offset)) = &survey.first_infinite {
                    bail!(
                        "{}:{}: column `{}`: `{cell}` is not a finite number",
                        path.display(),
                        line_at(path, *offset),
                        self.feature_name(j)
                    );
                }
                out.kinds.push(FeatureKind::Numeric);
                out.codes.push(None);
            }
        }
        Ok(out)
    }
    fn id_warning(&self, j: usize, survey: &ColumnSurvey, n_rows: usize) -> Option<String> {
        if !survey.looks_like_id(n_rows) {
            return None;
        }
        let name = self.feature_name(j);
        let how = if survey.numeric() {
            "integers all different"
        } else {
            "texts all different"
        };
        Some(format!(
            "column `{name}` looks like a row identifier ({how}, one per row): a model can memorise it and score too well; if it is one, add drop = [\"{name}\"] to [dataset]"
        ))
    }

    fn mostly_numeric_warning(&self, j: usize, survey: &ColumnSurvey) -> String {
        let (text, offset) = survey.first_text.clone().unwrap_or_default();
        format!(
            "column `{}` holds numbers except {} text cell(s), first `{text}` on line {}: taken as categorical (if `{text}` means missing, add it to na_values in [dataset])",
            self.feature_name(j),
            survey.texts,
            line_at(&self.spec.path, offset)
        )
    }

    /// A categorical column's labels in sorted order (numerically when they
    /// are all numbers), and each label's code.
    fn categories(
        &self,
        j: usize,
        survey: &ColumnSurvey,
    ) -> Result<(Vec<String>, HashMap<String, f64>)> {
        let Some(labels) = &survey.labels else {
            let name = self.feature_name(j);
            bail!(
                "{}: column `{name}` is categorical with over {MAX_CATEGORIES} distinct values (an identifier or free text?): drop it with drop = [\"{name}\"] in [dataset]",
                self.spec.path.display()
            );
        };
        let mut sorted: Vec<String> = labels.iter().cloned().collect();
        if survey.numeric() {
            sorted.sort_by(|a, b| {
                let (x, y) = (a.parse::<f64>(), b.parse::<f64>());
                x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0)).then(a.cmp(b))
            });
        } else {
            sorted.sort();
        }
        let codes = sorted
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i as f64))
            .collect();
        Ok((sorted, codes))
    }

    /// Writes the cache: pass one, the decisions, and for categorical
    /// columns the codes pass over x.
    fn write(self, out_path: &Path) -> Result<CacheHeader> {
        let path = self.spec.path.clone();
        let out = File::create(out_path)
            .with_context(|| format!("{}: cannot create", out_path.display()))?;
        // x comes in chunks of ~100 kB and more, which a buffer no larger
        // than them passes straight to the file (no copy into the buffer).
        let mut x_out = BufWriter::with_capacity(1 << 16, WriteBehind::new(out));
        x_out.write_all(MAGIC)?;
        let mut y_codes = BufWriter::new(tempfile::tempfile()?);
        let mut y_values = BufWriter::new(tempfile::tempfile()?);
        let first = self.first_pass(&mut x_out, &mut y_codes, &mut y_values)?;
        let n_rows = first.n_rows;
        let survey = self.decide_features(&first.columns, n_rows)?;
        let target_name = self.headers[self.roles.target].clone();
        first.target.first_error(&path, &target_name)?;
        if n_rows < 2 {
            bail!(
                "{}: needs at least 2 data rows, found {n_rows}",
                path.display()
            );
        }
        let (target, classes, remap) = first.target.decide(self.spec.task, &path, &target_name)?;
        let n_features = self.roles.features.len();
        if survey.codes.iter().any(Option::is_some) {
            x_out.seek(SeekFrom::Start(MAGIC.len() as u64))?;
            self.each_chunk(Some(&survey.codes), vec![false; n_features], |chunk| {
                write_floats(&mut x_out, &chunk.x).map_err(Into::into)
            })?;
        }
        append_targets(&mut x_out, y_codes, y_values, remap.as_deref())?;
        let header = CacheHeader {
            n_rows,
            n_features,
            feature_names: (0..n_features)
                .map(|j| self.feature_name(j).to_string())
                .collect(),
            target_name,
            target,
            classes,
            source: path,
            fingerprint: fingerprint(&first.csv_hash, self.spec),
            feature_kinds: survey.kinds,
            missing: survey.missing,
            dropped: self
                .roles
                .dropped
                .iter()
                .map(|&c| self.headers[c].clone())
                .collect(),
            na_values: na_values_of(self.spec),
            warnings: survey.warnings,
        };
        let json = serde_json::to_vec(&header)?;
        x_out.write_all(&json)?;
        x_out.write_all(&(json.len() as u64).to_le_bytes())?;
        let out = x_out.into_inner().map_err(|e| e.into_error())?;
        out.file.sync_all()?;
        Ok(header)
    }
}

/// Room left before each window for the end of the window before (the
/// start of a record that window cut): a record longer than this costs a
/// copy of the window.
const CARRY_ROOM: usize = 1 << 16;

/// Reads up to `len` bytes (fewer only at the end of the file) into `buf`
/// after CARRY_ROOM bytes of room, hashing them; `buf`'s memory is reused from window to window.
fn read_block(
    file: &mut File,
    buf: &mut Vec<u8>,
    len: usize,
    hasher: &mut blake3::Hasher,
) -> std::io::Result<()> {
    buf.resize(CARRY_ROOM, 0);
    buf.reserve(len);
    file.take(len as u64).read_to_end(buf)?;
    hasher.update(&buf[CARRY_ROOM..]);
    Ok(())
}

/// Bytes written to the cache between two hand-overs to the disk.
const WRITE_BEHIND: u64 = 8 << 20;

/// The cache file, its written pages handed to the disk every WRITE_BEHIND
/// bytes without waiting (sync_file_range): the disk writes while the
/// import goes on, and the final fsync waits for the last few pages only
/// (not ~0.2 s for a 400 MB cache with both cores idle).
struct WriteBehind {
    file: File,
    /// Where the next write goes.
    pos: u64,
    /// Written from here to `pos` and not yet handed to the disk.
    pending_from: u64,
}

impl WriteBehind {
    fn new(file: File) -> WriteBehind {
        WriteBehind {
            file,
            pos: 0,
            pending_from: 0,
        }
    }

    /// Starts the disk writing the pending pages. Only a hint: errors
    /// surface at the fsync.
    fn hand_to_disk(&mut self) {
        if self.pos <= self.pending_from {
            return;
        }
        #[cfg(target_os = "linux")]
        // SAFETY: sync_file_range only reads the descriptor and the numbers.
        unsafe {
            use std::os::fd::AsRawFd;
            libc::sync_file_range(
                self.file.as_raw_fd(),
                self.pending_from as libc::off64_t,
                (self.pos - self.pending_from) as libc::off64_t,
                libc::SYNC_FILE_RANGE_WRITE,
            );
        }
        self.pending_from = self.pos;
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.pos += n as u64;
        if self.pos >= self.pending_from + WRITE_BEHIND {
            self.hand_to_disk();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Seek for WriteBehind {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.hand_to_disk();
        self.pos = self.file.seek(to)?;
        self.pending_from = self.pos;
        Ok(self.pos)
    }
}

/// Writes f64s as the cache stores them (little-endian, checked in cache.rs).
fn write_floats(out: &mut impl Write, values: &[f64]) -> std::io::Result<()> {
    // SAFETY: an f64 is 8 plain bytes with no padding; the slice covers
    // exactly the values' memory.
    let bytes = unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    };
    out.write_all(bytes)
}

/// The CSV's hash; with column roles set in [dataset], combined with them,
/// so that dropping a column or changing na_values never reuses old results.
fn fingerprint(csv_hash: &str, spec: &DatasetSpec) -> String {
    if spec.drop.is_empty() && spec.categorical.is_empty() && spec.na_values.is_none() {
        return csv_hash[..32].to_string();
    }
    let key = format!("{csv_hash}|{}", roles_key(spec));
    blake3::hash(key.as_bytes()).to_hex()[..32].to_string()
}

impl TargetStats {
    fn new() -> TargetStats {
        TargetStats {
            labels: Some(HashMap::new()),
            all_numeric: true,
            all_integer: true,
            overflow: None,
            first_text: None,
            first_missing: None,
        }
    }

    /// Adds the next chunk's target; returns the map from the chunk's label
    /// codes to first-appearance codes over the whole file (u32::MAX once
    /// there are too many labels).
    fn merge(&mut self, chunk: &TargetChunk) -> Vec<u32> {
        self.all_numeric &= chunk.all_numeric;
        self.all_integer &= chunk.all_integer;
        if self.first_text.is_none() {
            self.first_text.clone_from(&chunk.first_text);
        }
        self.first_missing = self.first_missing.or(chunk.first_missing);
        let mut remap = Vec::with_capacity(chunk.labels.len());
        for (label, offset) in &chunk.labels {
            let Some(labels) = &mut self.labels else {
                remap.push(u32::MAX);
                continue;
            };
            let next = labels.len() as u32;
            remap.push(*labels.entry(label.clone()).or_insert(next));
            if labels.len() > MAX_CLASSES {
                self.labels = None;
                self.overflow = Some((label.clone(), *offset));
            }
        }
        remap
    }

    /// The error a row-by-row reader stops at first: a missing target, or a
    /// non-number once there are too many labels to be classes.
    fn first_error(&self, path: &Path, column: &str) -> Result<()> {
        let too_many = match (&self.overflow, &self.first_text) {
            (Some(overflow), Some(text)) => Some(if text.1 > overflow.1 { text } else { overflow }),
            _ => None,
        };
        if let Some(missing) = self.first_missing {
            if too_many.is_none_or(|(_, offset)| missing < *offset) {
                bail!(
                    "{}:{}: target column `{column}`: missing value",
                    path.display(),
                    line_at(path, missing)
                );
            }
        }
        if let Some((cell, offset)) = too_many {
            bail!(
                "{}:{}: target column `{column}`: `{cell}` is not a number, and there are over {MAX_CLASSES} distinct labels",
                path.display(),
                line_at(path, *offset)
            );
        }
        Ok(())
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
    use crate::data::spec::TargetColumn;
    use crate::data::{Dataset, FeatureKind};

    fn spec(dir: &Path, csv: &str) -> DatasetSpec {
        let path = dir.join("d.csv");
        std::fs::write(&path, csv).unwrap();
        DatasetSpec {
            path,
            target: TargetColumn::Last,
            task: None,
            groups: None,
            drop: vec![],
            categorical: vec![],
            na_values: None,
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
        let s = spec(dir.path(), "a,b,y\n1,2,0\n3,inf,1\n");
        let e = prepare(&s, &dir.path().join("c")).unwrap_err().to_string();
        assert!(
            e.ends_with("d.csv:3: column `b`: `inf` is not a finite number"),
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
    fn line_numbers_are_file_lines_with_crlf_and_lf() {
        for end in ["\n", "\r\n"] {
            let dir = tempfile::tempdir().unwrap();
            let text = ["a,b,y", "1,2,0", "\"x\ny\",3,1", "3,4,1", "5,-inf,0", ""].join(end);
            let s = spec(dir.path(), &text);
            let e = prepare(&s, &dir.path().join("c")).unwrap_err().to_string();
            // The quoted cell spans lines 3-4, so the bad row is line 6.
            assert!(
                e.ends_with("d.csv:6: column `b`: `-inf` is not a finite number"),
                "{end:?}: {e}"
            );
        }
    }

    #[test]
    fn missing_cells_become_nan_and_text_columns_categories() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(
            dir.path(),
            "a,color,y\n1,red,0\nNA,blue,1\n3,,1\nnull,red,0\n",
        );
        let (path, header) = prepare(&s, &dir.path().join("c")).unwrap();
        assert_eq!(header.missing, vec![2, 1]);
        assert_eq!(
            header.feature_kinds,
            vec![
                FeatureKind::Numeric,
                FeatureKind::Categorical {
                    categories: vec!["blue".into(), "red".into()]
                }
            ]
        );
        let d = Dataset::open(&path).unwrap();
        let x = d.x();
        assert_eq!(x.row(0).to_vec(), vec![1.0, 1.0]);
        assert!(x[[1, 0]].is_nan() && x[[1, 1]] == 0.0);
        assert!(x[[2, 1]].is_nan() && x[[3, 0]].is_nan());
    }

    #[test]
    fn drop_and_forced_categorical_and_na_values() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec(dir.path(), "id,size,n,y\n1,10,-1,0\n2,2,5,1\n3,10,7,1\n");
        s.drop = vec![crate::data::spec::ColumnRef::Name("id".into())];
        s.categorical = vec![crate::data::spec::ColumnRef::Index(1)];
        s.na_values = Some(vec!["-1".into()]);
        let (path, header) = prepare(&s, &dir.path().join("c")).unwrap();
        assert_eq!(header.feature_names, vec!["size", "n"]);
        assert_eq!(header.dropped, vec!["id"]);
        assert_eq!(
            header.feature_kinds[0],
            FeatureKind::Categorical {
                categories: vec!["2".into(), "10".into()]
            }
        );
        let d = Dataset::open(&path).unwrap();
        assert_eq!(d.x()[[0, 0]], 1.0);
        assert!(d.x()[[0, 1]].is_nan());
        assert_eq!(header.missing, vec![0, 1]);
    }

    #[test]
    fn identifier_columns_are_warned_about() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("customer_id,x,y\n");
        for i in 0..12 {
            text.push_str(&format!("{},{},{}\n", 1000 + i, i % 3, i % 2));
        }
        let (_, header) = prepare(&spec(dir.path(), &text), &dir.path().join("c")).unwrap();
        assert_eq!(header.warnings.len(), 1, "{:?}", header.warnings);
        assert!(
            header.warnings[0].starts_with("column `customer_id` looks like a row identifier"),
            "{:?}",
            header.warnings
        );
        assert!(header.warnings[0].contains("drop = [\"customer_id\"]"));
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

    /// A file with every kind of cell: numbers, missing cells, a text column,
    /// a column of numbers that turns to text late (its labels need another
    /// pass), quoted cells with commas and line breaks, CRLF line ends.
    fn varied_csv(rows: usize) -> String {
        let mut text = String::from("id,x,color,late,y\r\n");
        for i in 0..rows {
            let x = if i % 7 == 3 {
                "NA".to_string()
            } else {
                format!("{}.{}", i % 13, i)
            };
            let color = match i % 4 {
                0 => "\"red, dark\"".to_string(),
                1 => "\"two\nlines\"".to_string(),
                2 => String::new(),
                _ => "blue".to_string(),
            };
            let late = if i == rows - 3 {
                "many".to_string()
            } else {
                (i % 5).to_string()
            };
            text.push_str(&format!("{},{x},{color},{late},{}\r\n", 1000 + i, i % 3));
        }
        text
    }

    #[test]
    fn any_chunk_size_writes_the_same_cache_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(dir.path(), &varied_csv(400));
        let mut caches = Vec::new();
        for (k, chunk_bytes) in [CHUNK_BYTES, 1, 40, 333].into_iter().enumerate() {
            let cache = dir.path().join(format!("c{k}"));
            let (path, header) = prepare_in_chunks(&s, &cache, chunk_bytes).unwrap();
            caches.push((std::fs::read(path).unwrap(), header));
        }
        let (first, header) = &caches[0];
        assert_eq!(header.n_rows, 400);
        assert!(
            header.feature_kinds[2].is_categorical() && header.feature_kinds[3].is_categorical()
        );
        assert_eq!(header.missing, vec![0, 57, 100, 0]);
        assert!(header.warnings[0].starts_with("column `id` looks like a row identifier"));
        for (bytes, h) in &caches[1..] {
            assert_eq!(h, header);
            assert!(bytes == first, "cache bytes differ with smaller chunks");
        }
    }

    /// A plain file (no quotes, no CR: the windows' fast paths) of printed
    /// doubles, integers, missing cells and a column that turns to text.
    fn plain_csv(rows: usize) -> (String, Vec<Vec<String>>) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut text = String::from("a,b,c,late,y\n");
        let mut cells = Vec::new();
        for i in 0..rows {
            let row = vec![
                format!("{}", rng.random_range(-10.0..10.0)),
                format!("{:e}", rng.random::<f64>() * 1e-12),
                match i % 9 {
                    4 => "NA".to_string(),
                    _ => (i as i64 - 500).to_string(),
                },
                match i == rows - 2 {
                    true => "word".to_string(),
                    false => format!("{}.5", i % 4),
                },
            ];
            text.push_str(&format!("{},{}\n", row.join(","), i % 3));
            cells.push(row);
        }
        (text, cells)
    }

    #[test]
    fn plain_files_import_alike_in_any_chunks_with_std_values() {
        let dir = tempfile::tempdir().unwrap();
        let (text, cells) = plain_csv(3000);
        let s = spec(dir.path(), &text);
        let mut caches = Vec::new();
        for (k, chunk_bytes) in [CHUNK_BYTES, 1, 7, 100, 5000].into_iter().enumerate() {
            let cache = dir.path().join(format!("c{k}"));
            let (path, header) = prepare_in_chunks(&s, &cache, chunk_bytes).unwrap();
            caches.push((std::fs::read(&path).unwrap(), header, path));
        }
        let (first, header, path) = &caches[0];
        assert_eq!(header.missing, vec![0, 0, 333, 0]);
        assert!(header.feature_kinds[3].is_categorical());
        let d = Dataset::open(path).unwrap();
        for (i, row) in cells.iter().enumerate() {
            for (j, cell) in row.iter().take(3).enumerate() {
                let got = d.x()[[i, j]];
                match cell.parse::<f64>() {
                    Ok(v) => assert_eq!(got.to_bits(), v.to_bits(), "{cell}"),
                    Err(_) => assert!(got.is_nan(), "{cell}"),
                }
            }
        }
        for (bytes, h, _) in &caches[1..] {
            assert_eq!(h, header);
            assert!(bytes == first, "cache bytes differ with smaller chunks");
        }
    }

    #[test]
    fn records_longer_than_the_carry_room_import_alike_in_any_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("a,note,y\n");
        for i in 0..40 {
            // Every tenth note is longer than the room before a window.
            let note = if i % 10 == 3 {
                "n".repeat(CARRY_ROOM + 5000 + i)
            } else {
                format!("n{i}")
            };
            text.push_str(&format!("{i}.25,{note},{}\n", i % 2));
        }
        let s = spec(dir.path(), &text);
        let mut caches = Vec::new();
        for (k, chunk_bytes) in [CHUNK_BYTES, 7, 5000, CARRY_ROOM].into_iter().enumerate() {
            let cache = dir.path().join(format!("c{k}"));
            let (path, header) = prepare_in_chunks(&s, &cache, chunk_bytes).unwrap();
            assert_eq!(header.n_rows, 40);
            caches.push((std::fs::read(path).unwrap(), header));
        }
        for (bytes, header) in &caches[1..] {
            assert_eq!(header, &caches[0].1);
            assert!(
                bytes == &caches[0].0,
                "cache bytes differ with smaller chunks"
            );
        }
    }

    #[test]
    fn errors_in_later_chunks_name_their_file_line() {
        let dir = tempfile::tempdir().unwrap();
        let good: Vec<String> = (0..300)
            .map(|i| format!("{i}.5,\"q\n{i}\",{}", i % 2))
            .collect();
        // Every row spans two lines, so row r (0-based) starts on line 2 + 2r.
        let cases = [
            (120, "1,\"q\",1,9", "row has 4 fields, the header has 3"),
            (
                250,
                "-inf,\"q\",1",
                "column `a`: `-inf` is not a finite number",
            ),
            (299, "2,\"q\",", "target column `y`: missing value"),
        ];
        for (row, bad, message) in cases {
            let mut lines = good.clone();
            lines[row] = bad.to_string();
            let line = 2 + 2 * row;
            let text = format!("a,b,y\n{}\n", lines.join("\n"));
            let s = spec(dir.path(), &text);
            for chunk_bytes in [CHUNK_BYTES, 50] {
                let e = prepare_in_chunks(&s, &dir.path().join("c"), chunk_bytes)
                    .unwrap_err()
                    .to_string();
                assert!(
                    e.ends_with(&format!("d.csv:{line}: {message}")),
                    "{chunk_bytes}: {e}"
                );
            }
        }
    }
}
