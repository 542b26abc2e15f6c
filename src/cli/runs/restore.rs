//! `lathe runs restore RUN…`: bring deleted runs back from the trash, named by an id prefix.

use crate::cli::output;
use crate::error::{Error, Result};
use crate::experiments::Store;

pub(super) fn restore(store: &Store, runs: &[String]) -> Result<i32> {
    let trashed = store.trashed()?;
    let mut ids = Vec::new();
    for r in runs {
        let p = r.to_ascii_uppercase();
        let m: Vec<&str> = trashed
            .iter()
            .map(|d| d.run_id.as_str())
            .filter(|id| id.starts_with(&p))
            .collect();
        match m.as_slice() {
            [one] => ids.push((*one).to_owned()),
            [] => {
                return Err(Error::usage(format!("no deleted run '{r}' in the trash")));
            }
            _ => return Err(Error::usage(format!("'{r}' names several deleted runs"))),
        }
    }
    store.restore_runs(&ids)?;
    output::emitln(&format!("restored {} run(s)", ids.len()))?;
    Ok(0)
}
