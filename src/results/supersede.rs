//! Earlier results of a different plan in the output folder are never
//! silently replaced: before a run drops them, they are moved into
//! `superseded-<UTC time>/` inside the folder, and the run says so.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// What a run writes into its folder, journals excepted (they are passed in).
const OUTPUTS: &[&str] = &[
    "cv_results.csv",
    "best.json",
    "best_model.json",
    "best_model.bin",
    "timeline.svg",
    "run.json",
    "config.json",
];

/// Moves `journals` and, when `all_outputs`, every other output of an
/// earlier run into a new `superseded-*` folder; returns that folder.
pub fn move_aside(dir: &Path, journals: &[PathBuf], all_outputs: bool) -> Result<PathBuf> {
    let aside = fresh_folder(dir)?;
    let mut files: Vec<PathBuf> = journals.to_vec();
    if all_outputs {
        files.extend(OUTPUTS.iter().map(|n| dir.join(n)));
        files.extend(shard_run_infos(dir));
    }
    for file in files.iter().filter(|f| f.exists()) {
        let Some(name) = file.file_name() else {
            continue;
        };
        std::fs::rename(file, aside.join(name)).with_context(|| {
            format!(
                "{}: cannot move aside into {}",
                file.display(),
                aside.display()
            )
        })?;
    }
    Ok(aside)
}

fn fresh_folder(dir: &Path) -> Result<PathBuf> {
    let stamp = super::lock::utc_now().replace(':', "");
    for n in 0.. {
        let name = match n {
            0 => format!("superseded-{stamp}"),
            n => format!("superseded-{stamp}-{n}"),
        };
        let path = dir.join(name);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("{}: cannot create", path.display())),
        }
    }
    unreachable!("some numbered folder name is free")
}

/// run.shard-I-of-N.json files.
fn shard_run_infos(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("run.shard-") && n.ends_with(".json"))
                })
                .collect()
        })
        .unwrap_or_default()
}
