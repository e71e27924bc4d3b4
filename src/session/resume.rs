//! Resuming: what earlier runs into the same folder left that this run can
//! build on, and moving aside what belongs to another plan.

use crate::batch::shard::ShardSpec;
use crate::output_dir::OutputDir;
use crate::results::journal::{self, Previous, ReuseKey};
use crate::results::supersede;
use anyhow::Result;
use std::path::Path;

/// The reusable records of earlier runs (none with `fresh`), after moving
/// aside those of another plan; says what it did unless quiet. `own`: the
/// shard (None: the whole folder) and the journal this run rewrites.
pub(super) fn previous(
    out: &OutputDir,
    (shard, own): (Option<ShardSpec>, &Path),
    key: &ReuseKey,
    fresh: bool,
    quiet: bool,
) -> Result<Previous> {
    if fresh {
        return Ok(Previous::default());
    }
    let previous = journal::previous(out.path(), own, key)?;
    let previous = supersede_earlier(previous, out, (shard, own))?;
    if let (Some(note), false) = (&previous.note, quiet) {
        crate::errln!("gridrun: {note}");
    }
    Ok(previous)
}

/// Earlier results of another plan or other data are moved aside (never
/// silently dropped) and the user is told, even with --quiet. A full run
/// moves every journal and output; a shard only its own journal.
fn supersede_earlier(
    mut prev: Previous,
    out: &OutputDir,
    (shard, own): (Option<ShardSpec>, &Path),
) -> Result<Previous> {
    let whole_folder = shard.is_none();
    let superseded = prev.superseded_own
        + if whole_folder {
            prev.superseded_elsewhere
        } else {
            0
        };
    if superseded == 0 {
        return Ok(prev);
    }
    let journals = if whole_folder {
        out.journals()
    } else {
        vec![own.to_path_buf()]
    };
    let aside = supersede::move_aside(out.path(), &journals, whole_folder)?;
    if whole_folder {
        // Reusable records of moved journals now live in this run's journal.
        let moved = std::mem::take(&mut prev.elsewhere);
        prev.own.extend(moved);
    }
    crate::errln!(
        "gridrun: {}: {superseded} earlier results are of a different plan (other settings, folds or data) and are superseded by this run; moved them to {} ({} results reused)",
        out.path().display(),
        aside.display(),
        prev.own.len() + prev.elsewhere.len()
    );
    Ok(prev)
}
