//! `lathe runs archive RUN…`: hide runs from the leaderboard (`list --all` shows them) and
//! let gc free their models; `--undo` brings them back.

use super::resolve_all;
use crate::cli::output;
use crate::error::Result;
use crate::experiments::Store;

pub(super) fn archive(store: &Store, runs: &[String], undo: bool) -> Result<i32> {
    let ids = resolve_all(store, runs)?;
    store.curate(|c| {
        for id in &ids {
            c.set_archived(id, !undo);
        }
        Ok(())
    })?;
    output::emitln(&format!(
        "{} {} run(s)",
        if undo { "unarchived" } else { "archived" },
        ids.len()
    ))?;
    Ok(0)
}
