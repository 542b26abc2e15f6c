//! `lathe runs rename RUN NAME`: give a run a display name (an empty name clears it).

use crate::error::Result;
use crate::experiments::Store;

pub(super) fn rename(store: &Store, run: &str, name: &str) -> Result<i32> {
    let id = store.resolve(run)?;
    store.curate(|c| c.set_name(&id, name))?;
    Ok(0)
}
