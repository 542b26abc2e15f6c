//! `lathe runs gc`: free the disk space of runs nobody needs any more.
//!
//! Collected are the models and other files of **archived** runs that no
//! alias and no bundle refers to (their `run.json` stays, so the leaderboard
//! and comparisons keep them), and the folders of deleted runs in the trash.
//! [`plan`] says what would go and how much it frees; [`apply`] does it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::train::store::{RUN_FILE, Store};

/// One thing gc would remove.
#[derive(Debug, Clone, Serialize)]
pub struct GcItem {
    pub run_id: String,
    /// "archived" (files other than run.json) or "deleted" (the whole folder).
    pub kind: &'static str,
    pub paths: Vec<PathBuf>,
    pub bytes: u64,
}

/// An archived run gc keeps, and why.
#[derive(Debug, Clone, Serialize)]
pub struct GcKept {
    pub run_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct GcPlan {
    pub items: Vec<GcItem>,
    pub kept: Vec<GcKept>,
}

impl GcPlan {
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.bytes).sum()
    }
}

/// What gc would remove now.
pub fn plan(store: &Store) -> Result<GcPlan> {
    let cur = store.curation()?;
    let bundles = bundle_runs(
        &store
            .runs_dir
            .parent()
            .unwrap_or(Path::new("."))
            .join("bundles"),
    );
    let mut out = GcPlan::default();
    for (id, meta) in &cur.runs {
        if !meta.archived || meta.collected || !store.run_dir(id).is_dir() {
            continue;
        }
        let aliases = cur.aliases_of(id);
        if !aliases.is_empty() {
            out.kept.push(GcKept {
                run_id: id.clone(),
                reason: format!("alias {}", aliases.join(", ")),
            });
            continue;
        }
        if let Some(b) = bundles.iter().find(|(r, _)| r == id) {
            out.kept.push(GcKept {
                run_id: id.clone(),
                reason: format!("bundle {}", b.1.display()),
            });
            continue;
        }
        let dir = store.run_dir(id);
        let mut paths = Vec::new();
        let mut bytes = 0;
        for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, &e))? {
            let e = e.map_err(|e| Error::io(&dir, &e))?;
            if e.file_name() == RUN_FILE {
                continue;
            }
            bytes += size_of(&e.path());
            paths.push(e.path());
        }
        if !paths.is_empty() {
            paths.sort();
            out.items.push(GcItem {
                run_id: id.clone(),
                kind: "archived",
                paths,
                bytes,
            });
        }
    }
    for d in store.trashed()? {
        let path = store.trash_dir().join(&d.run_id);
        out.items.push(GcItem {
            run_id: d.run_id.clone(),
            kind: "deleted",
            bytes: size_of(&path),
            paths: vec![path],
        });
    }
    Ok(out)
}

/// Remove what `plan` lists (re-checked under the project lock, so a run
/// aliased or restored in the meantime is left alone). Returns bytes freed.
pub fn apply(store: &Store, planned: &GcPlan) -> Result<u64> {
    let fresh = plan(store)?;
    let still: BTreeSet<(&str, &str)> = fresh
        .items
        .iter()
        .map(|i| (i.run_id.as_str(), i.kind))
        .collect();
    let mut freed = 0;
    store.curate(|cur| {
        for item in &planned.items {
            if !still.contains(&(item.run_id.as_str(), item.kind)) {
                continue;
            }
            for p in &item.paths {
                let r = if p.is_dir() {
                    std::fs::remove_dir_all(p)
                } else {
                    std::fs::remove_file(p)
                };
                match r {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(p, &e)),
                }
            }
            freed += item.bytes;
            match item.kind {
                "deleted" => cur.deleted.retain(|d| d.run_id != item.run_id),
                _ => {
                    if let Some(m) = cur.runs.get_mut(&item.run_id) {
                        m.collected = true;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(freed)
}

/// (run id, bundle folder) of every bundle under `dir` (their `bundle.json`
/// names the run they were exported from).
fn bundle_runs(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.file_name() == "bundle.json"
                && let Ok(text) = std::fs::read_to_string(&p)
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                && let Some(run) = v.get("run_id").and_then(|r| r.as_str())
            {
                out.push((run.to_owned(), d.clone()));
            }
        }
    }
    out
}

fn size_of(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|es| es.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}
