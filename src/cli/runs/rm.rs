//! `lathe runs rm RUN…`: delete runs to the trash, after asking (`--yes` does not ask);
//! `lathe runs restore` brings them back until gc.

use super::{confirm, resolve_all, short};
use crate::cli::output;
use crate::error::Result;
use crate::experiments::Store;

pub(super) fn rm(store: &Store, runs: &[String], yes: bool) -> Result<i32> {
    let ids = resolve_all(store, runs)?;
    if !yes && !confirm(&format!("delete {} run(s) to the trash?", ids.len()))? {
        output::emitln("nothing deleted")?;
        return Ok(0);
    }
    store.delete_runs(&ids)?;
    output::emitln(&format!(
        "deleted {} run(s); `lathe runs restore {}` brings them back until `lathe runs gc`",
        ids.len(),
        ids.iter().map(|i| short(i)).collect::<Vec<_>>().join(" ")
    ))?;
    Ok(0)
}
