//! `lathe runs note RUN TEXT`: set a run's note (an empty text clears it).

use crate::error::Result;
use crate::experiments::Store;

pub(super) fn note(store: &Store, run: &str, text: &str) -> Result<i32> {
    let id = store.resolve(run)?;
    store.curate(|c| {
        c.set_note(&id, text);
        Ok(())
    })?;
    Ok(0)
}
