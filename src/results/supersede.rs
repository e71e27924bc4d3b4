//! Earlier results of a different plan in the output folder are never
//! silently replaced: before a run drops them, they are moved into
//! `superseded-<UTC time>/` inside the folder, and the run says so.

use crate::output_dir::OutputDir;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Moves `journals` and, when `all_outputs`, every other output of an
/// earlier run into a new `superseded-*` folder; returns that folder.
pub fn move_aside(dir: &Path, journals: &[PathBuf], all_outputs: bool) -> Result<PathBuf> {
    let out = OutputDir::new(dir);
    let aside = fresh_folder(&out)?;
    let mut files: Vec<PathBuf> = journals.to_vec();
    if all_outputs {
        files.extend(out.run_outputs());
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

fn fresh_folder(out: &OutputDir) -> Result<PathBuf> {
    let stamp = super::lock::utc_now().replace(':', "");
    for n in 0.. {
        let path = out.superseded(&stamp, n);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("{}: cannot create", path.display())),
        }
    }
    unreachable!("some numbered folder name is free")
}
