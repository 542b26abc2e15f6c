//! `lathe runs tag RUN TAG…`: add tags to a run, or remove them with `--remove`.

use super::{or_none, short};
use crate::cli::output;
use crate::error::Result;
use crate::experiments::Store;

pub(super) fn tag(store: &Store, run: &str, tags: &[String], remove: bool) -> Result<i32> {
    let id = store.resolve(run)?;
    store.curate(|c| {
        if remove {
            c.remove_tags(&id, tags);
            Ok(())
        } else {
            c.add_tags(&id, tags)
        }
    })?;
    let tags = store
        .curation()?
        .meta(&id)
        .map(|m| m.tags.iter().cloned().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    output::emitln(&format!("{}: tags {}", short(&id), or_none(&tags)))?;
    Ok(0)
}
