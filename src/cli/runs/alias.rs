//! `lathe runs alias`: point an alias (champion, challenger, …) at a run, remove one, or list
//! them and their history. Pointing `champion` elsewhere keeps the run it pointed to as
//! `previous`.

use clap::Args;
use serde_json::json;

use super::{JSON_VERSION, short, to_json};
use crate::cli::output;
use crate::error::{Error, Result};
use crate::experiments::Store;

#[derive(Debug, Args)]
pub struct AliasArgs {
    /// The run, and the alias to point at it.
    #[arg(num_args = 0..=2, value_names = ["RUN", "NAME"])]
    pub args: Vec<String>,
    /// Remove this alias.
    #[arg(long, value_name = "NAME", conflicts_with = "args")]
    pub remove: Option<String>,
    /// Show who pointed each alias where, and when.
    #[arg(long)]
    pub history: bool,
    #[arg(long)]
    pub json: bool,
}

pub(super) fn alias(store: &Store, a: &AliasArgs) -> Result<i32> {
    if let Some(name) = &a.remove {
        let prev = store.curate(|c| c.remove_alias(name))?;
        output::emitln(&format!("removed alias '{name}' (was {})", short(&prev)))?;
        return Ok(0);
    }
    match a.args.as_slice() {
        [run, name] => {
            let id = store.resolve(run)?;
            // `champion` keeps the one it replaces as `previous`.
            let prev = if name == crate::experiments::curation::CHAMPION {
                store.curate(|c| c.promote(&id))?
            } else {
                store.curate(|c| c.set_alias(name, &id))?
            };
            output::emitln(&match prev {
                Some(p) if p != id => format!("{name} → {} (was {})", short(&id), short(&p)),
                _ => format!("{name} → {}", short(&id)),
            })?;
            Ok(0)
        }
        [] => {
            let cur = store.curation()?;
            if a.json {
                output::emitln(&to_json(&json!({
                    "lathe_json": JSON_VERSION,
                    "aliases": cur.aliases,
                    "history": cur.alias_history,
                })))?;
                return Ok(0);
            }
            if a.history {
                let rows: Vec<Vec<String>> = cur
                    .alias_history
                    .iter()
                    .map(|e| {
                        vec![
                            e.at.clone(),
                            e.alias.clone(),
                            e.run_id.as_deref().map_or("(removed)", short).to_owned(),
                            e.previous.as_deref().map_or("—", short).to_owned(),
                            e.by.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::emit(&output::table(
                    &["when", "alias", "run", "was", "by"],
                    &rows,
                    &[],
                ))?;
                return Ok(0);
            }
            if cur.aliases.is_empty() {
                output::emitln("no aliases: `lathe runs alias RUN champion` sets one")?;
                return Ok(0);
            }
            let rows: Vec<Vec<String>> = cur
                .aliases
                .iter()
                .map(|(alias, id)| {
                    let state = if store.run_dir(id).is_dir() {
                        String::new()
                    } else if cur.is_deleted(id) {
                        "run deleted".to_owned()
                    } else {
                        "run missing".to_owned()
                    };
                    vec![alias.clone(), short(id).to_owned(), state]
                })
                .collect();
            output::emit(&output::table(&["alias", "run", ""], &rows, &[]))?;
            Ok(0)
        }
        _ => Err(Error::usage(
            "give a run and an alias name: lathe runs alias RUN NAME",
        )),
    }
}
