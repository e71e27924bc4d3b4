//! Fold files for command tasks: gridrun's fold plan (the same folds the
//! built-in models get) written once per repeat x fold as 0-based data-row
//! indexes, one per line, shared by every setting.

use crate::config::CvSpec;
use crate::data::Dataset;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn file_name(repeat: u32, fold: u32, which: &str) -> String {
    format!("repeat{repeat}-fold{fold}.{which}")
}

/// Writes the fold files of `cv` on the cached dataset into a folder named
/// by the plan and the data (so a changed plan never reads stale files);
/// returns the folder and (train, test) sizes per repeat x fold.
pub fn write(cv: &CvSpec, cache: &Path, output: &Path) -> Result<(PathBuf, Vec<(usize, usize)>)> {
    let data = Dataset::open(cache)?;
    let key = blake3::hash(
        format!("{}{}", serde_json::to_string(cv)?, data.header.fingerprint).as_bytes(),
    );
    let dir = crate::output_dir::OutputDir::new(output).folds_dir(&key.to_hex()[..16]);
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let y = data.y().to_vec();
    let groups = crate::folds::load_groups_for(cv, cache)?;
    let fold_data = crate::folds::FoldData {
        y: &y,
        target: data.header.target,
        groups: groups.as_ref(),
    };
    let mut sizes = Vec::with_capacity(cv.repeats * cv.folds);
    for repeat in 0..cv.repeats {
        let plan = crate::folds::build(cv, &fold_data, repeat)?;
        for fold in 0..cv.folds as u32 {
            let split = plan.split(fold);
            for (which, rows) in [("train", &split.train), ("test", &split.test)] {
                let path = dir.join(file_name(repeat as u32, fold, which));
                if !path.exists() {
                    write_rows(&path, rows)?;
                }
            }
            sizes.push((split.train.len(), split.test.len()));
        }
    }
    Ok((dir, sizes))
}

/// Written to a temporary name and renamed: shards sharing the folder never
/// see half a file.
fn write_rows(path: &Path, rows: &[usize]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut text = Vec::with_capacity(rows.len() * 6);
    for r in rows {
        writeln!(text, "{r}")?;
    }
    std::fs::write(&tmp, text).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
}
