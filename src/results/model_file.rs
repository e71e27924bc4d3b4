//! best_model.bin: the best setting refit on all rows, written by the worker
//! that fitted it (the coordinator never holds the model), and
//! best_model.json: its small human-readable manifest.
//!
//! The .bin is self-contained: a fixed header (magic, format version, the
//! two section lengths, the BLAKE3 hash of both sections), the model's
//! description as JSON (kind, params, classes, features, preprocessing),
//! then the fitted model's own bytes (the tree models pack themselves; see
//! `estimators::Packable`). Reading checks all of it, so a truncated,
//! damaged or foreign file is a one-line error, never a wrong prediction.

use crate::data::FeatureKind;
use crate::models::{self, Fitted, TargetKind};
use crate::params::Params;
use crate::preprocess::FittedPipeline;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const BIN_FILE_NAME: &str = "best_model.bin";
pub const MANIFEST_FILE_NAME: &str = "best_model.json";
pub const FORMAT: &str = "gridrun-model";
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"GRDRNMDL";
/// Magic, version, two lengths, hash.
const HEADER_LEN: usize = 8 + 4 + 8 + 8 + 32;

/// Everything `gridrun predict` needs besides the fitted model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMeta {
    pub model: String,
    pub params: Params,
    pub feature_names: Vec<String>,
    pub target_name: String,
    pub target: TargetKind,
    pub classes: Option<Vec<String>>,
    /// How each input column is read: numbers or categories (by label).
    #[serde(default)]
    pub feature_kinds: Vec<FeatureKind>,
    /// Cell texts read as missing.
    #[serde(default)]
    pub na_values: Vec<String>,
    /// The preprocessing fitted on all rows, applied before the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<FittedPipeline>,
}

/// best_model.json: what the .bin holds, and how to check it is that file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub model_file: String,
    pub model_file_bytes: u64,
    pub model_file_blake3: String,
    #[serde(flatten)]
    pub meta: ModelMeta,
}

/// What writing the model produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Written {
    pub bytes: u64,
    pub blake3: String,
    pub seconds: f64,
}

/// Writes best_model.bin, then its manifest, into `dir` (each atomically:
/// a crash leaves the old pair or a manifest whose hash no longer matches,
/// which `read` reports).
pub fn write(dir: &Path, meta: &ModelMeta, model: &[u8]) -> Result<Written> {
    let clock = Instant::now();
    let meta_json = serde_json::to_vec(meta)?;
    let hash = content_hash(&meta_json, model);
    let mut file = Vec::with_capacity(HEADER_LEN + meta_json.len() + model.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(&(meta_json.len() as u64).to_le_bytes());
    file.extend_from_slice(&(model.len() as u64).to_le_bytes());
    file.extend_from_slice(hash.as_bytes());
    file.extend_from_slice(&meta_json);
    file.extend_from_slice(model);
    super::atomic::write(&dir.join(BIN_FILE_NAME), &file)?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        model_file: BIN_FILE_NAME.into(),
        model_file_bytes: file.len() as u64,
        model_file_blake3: hash.to_hex().to_string(),
        meta: meta.clone(),
    };
    super::atomic::write(
        &dir.join(MANIFEST_FILE_NAME),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(Written {
        bytes: file.len() as u64,
        blake3: manifest.model_file_blake3,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

fn content_hash(meta: &[u8], model: &[u8]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(meta);
    hasher.update(model);
    hasher.finalize()
}

/// A saved model, ready to predict.
pub struct Loaded {
    pub meta: ModelMeta,
    pub fitted: Box<dyn Fitted>,
}

/// Reads a model: best_model.bin itself, its manifest (the .bin beside it,
/// checked against the manifest's size and hash), or a best_model.json of
/// gridrun before 0.2 (the whole model as JSON).
pub fn load(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let (meta, model, bin_path) = if bytes.starts_with(MAGIC) {
        let (meta, model) = parse_bin(path, &bytes)?;
        (meta, model, path.to_path_buf())
    } else {
        return load_json(path, &bytes);
    };
    let kind = models::find(&meta.model)
        .ok_or_else(|| anyhow!("{}: unknown model `{}`", bin_path.display(), meta.model))?;
    let fitted = kind
        .load_bytes(model)
        .map_err(|e| anyhow!("{}: {e}", bin_path.display()))?;
    Ok(Loaded { meta, fitted })
}

/// A manifest (or an old whole-model JSON).
fn load_json(path: &Path, bytes: &[u8]) -> Result<Loaded> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| {
        anyhow!(
            "{}: not a gridrun model (neither best_model.bin nor its best_model.json)",
            path.display()
        )
    })?;
    if value.get("fitted").is_some() {
        return load_legacy(path, value);
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| {
        anyhow!(
            "{}: not a gridrun best_model.json manifest: {e}",
            path.display()
        )
    })?;
    if manifest.format != FORMAT || manifest.format_version > FORMAT_VERSION {
        bail!(
            "{}: model format `{}` version {}; this gridrun reads `{FORMAT}` up to version {FORMAT_VERSION} (written by a newer gridrun?)",
            path.display(),
            manifest.format,
            manifest.format_version
        );
    }
    let bin = bin_beside(path, &manifest.model_file);
    let bin_bytes = std::fs::read(&bin).with_context(|| {
        format!(
            "{}: cannot read the model file named by {}",
            bin.display(),
            path.display()
        )
    })?;
    let hash_ok = bin_bytes.len() >= HEADER_LEN
        && blake3::Hash::from_bytes(header_hash(&bin_bytes))
            .to_hex()
            .as_str()
            == manifest.model_file_blake3;
    if bin_bytes.len() as u64 != manifest.model_file_bytes || !hash_ok {
        bail!(
            "{}: does not match {} ({} bytes, the manifest says {}; or another hash): the two files are from different runs, or one is damaged",
            bin.display(),
            path.display(),
            bin_bytes.len(),
            manifest.model_file_bytes
        );
    }
    let loaded = load(&bin)?;
    Ok(loaded)
}

/// The .bin a manifest names: a plain file name, beside the manifest.
fn bin_beside(manifest: &Path, name: &str) -> PathBuf {
    let file = Path::new(name).file_name().unwrap_or(name.as_ref());
    manifest.with_file_name(file)
}

fn header_hash(bytes: &[u8]) -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&bytes[28..HEADER_LEN]);
    hash
}

/// Checks the header and the hash; returns the description and the model's bytes.
fn parse_bin<'a>(path: &Path, bytes: &'a [u8]) -> Result<(ModelMeta, &'a [u8])> {
    let name = path.display();
    if bytes.len() < HEADER_LEN {
        bail!(
            "{name}: truncated model file: {} bytes, shorter than its header",
            bytes.len()
        );
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into()?);
    if version > FORMAT_VERSION {
        bail!("{name}: model file format version {version}; this gridrun reads up to version {FORMAT_VERSION} (written by a newer gridrun?)");
    }
    let meta_len = u64::from_le_bytes(bytes[12..20].try_into()?);
    let model_len = u64::from_le_bytes(bytes[20..28].try_into()?);
    let expected = (HEADER_LEN as u64)
        .checked_add(meta_len)
        .and_then(|n| n.checked_add(model_len));
    if expected != Some(bytes.len() as u64) {
        bail!(
            "{name}: truncated or damaged model file: {} bytes, its header says {}",
            bytes.len(),
            expected.map_or("more than exist".to_string(), |n| n.to_string())
        );
    }
    let meta_end = HEADER_LEN + meta_len as usize;
    let (meta_json, model) = (&bytes[HEADER_LEN..meta_end], &bytes[meta_end..]);
    if content_hash(meta_json, model).as_bytes() != &header_hash(bytes) {
        bail!("{name}: damaged model file: its content does not match the hash in its header");
    }
    let meta: ModelMeta = serde_json::from_slice(meta_json)
        .map_err(|e| anyhow!("{name}: malformed model description: {e}"))?;
    Ok((meta, model))
}

/// best_model.json as gridrun wrote it before best_model.bin: the whole
/// model as JSON.
fn load_legacy(path: &Path, value: serde_json::Value) -> Result<Loaded> {
    let saved: super::best::SavedModel = serde_json::from_value(value)
        .map_err(|e| anyhow!("{}: not a gridrun best_model.json: {e}", path.display()))?;
    let kind = models::find(&saved.model)
        .ok_or_else(|| anyhow!("{}: unknown model `{}`", path.display(), saved.model))?;
    let fitted = kind
        .load(&saved.fitted)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let meta = ModelMeta {
        model: saved.model,
        params: saved.params,
        feature_names: saved.feature_names,
        target_name: saved.target_name,
        target: saved.target,
        classes: saved.classes,
        feature_kinds: saved.feature_kinds,
        na_values: saved.na_values,
        preprocess: saved.preprocess,
    };
    Ok(Loaded { meta, fitted })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ModelMeta {
        ModelMeta {
            model: "debug".into(),
            params: Params::new(),
            feature_names: vec!["a".into()],
            target_name: "y".into(),
            target: TargetKind::Regression,
            classes: None,
            feature_kinds: vec![FeatureKind::Numeric],
            na_values: vec![],
            preprocess: None,
        }
    }

    fn written() -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let model = br#"{"mean":1.5}"#;
        write(dir.path(), &meta(), model).unwrap();
        let bytes = std::fs::read(dir.path().join(BIN_FILE_NAME)).unwrap();
        (dir, bytes)
    }

    fn error(path: &Path) -> String {
        match load(path) {
            Ok(_) => panic!("{} loaded", path.display()),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn every_damage_is_a_one_line_error_naming_the_file() {
        let (dir, bytes) = written();
        let bin = dir.path().join(BIN_FILE_NAME);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (bytes[..bytes.len() - 3].to_vec(), "truncated or damaged"),
            (bytes[..20].to_vec(), "shorter than its header"),
            (
                {
                    let mut b = bytes.clone();
                    let last = b.len() - 2;
                    b[last] ^= 1;
                    b
                },
                "does not match the hash",
            ),
            (
                {
                    let mut b = bytes.clone();
                    b[8] = 9;
                    b
                },
                "format version 9",
            ),
            (b"PK\x03\x04 a zip file".to_vec(), "not a gridrun model"),
        ];
        for (damaged, expected) in cases {
            std::fs::write(&bin, &damaged).unwrap();
            let e = error(&bin);
            assert!(e.contains(expected), "{e}");
            assert!(e.contains(BIN_FILE_NAME) && !e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn the_manifest_catches_a_bin_of_another_run() {
        let (dir, bytes) = written();
        let manifest = dir.path().join(MANIFEST_FILE_NAME);
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains("\"format\": \"gridrun-model\""), "{text}");
        assert!(text.contains("\"feature_names\""), "{text}");
        let mut damaged = bytes.clone();
        let last = damaged.len() - 2;
        damaged[last] ^= 1;
        std::fs::write(dir.path().join(BIN_FILE_NAME), &damaged).unwrap();
        assert!(error(&manifest).contains("does not match the hash in its header"));
        let other = tempfile::tempdir().unwrap();
        write(other.path(), &meta(), br#"{"mean":2.5}"#).unwrap();
        std::fs::copy(
            other.path().join(BIN_FILE_NAME),
            dir.path().join(BIN_FILE_NAME),
        )
        .unwrap();
        let e = error(&manifest);
        assert!(e.contains("different runs, or one is damaged"), "{e}");
        std::fs::remove_file(dir.path().join(BIN_FILE_NAME)).unwrap();
        assert!(error(&manifest).contains("cannot read the model file"));
    }
}
