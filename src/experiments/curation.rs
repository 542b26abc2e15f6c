//! What people add to runs after training: names, tags, notes, archive marks,
//! aliases (with their history) and the trash of deleted runs.
//!
//! A run's `run.json` is the record of what happened and is never edited by
//! curation; everything here lives in one file, `.lathe/experiments.json`, so
//! the leaderboard reads it once however many runs there are. Every change is
//! a read–modify–write under an exclusive lock on `.lathe/experiments.lock`
//! followed by an atomic replace, so two lathe processes curating the same
//! project never lose each other's changes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::write_atomic;
use crate::error::{Error, Result};
use crate::train::record::now_rfc3339;
use crate::train::store::Store;

/// Version of `experiments.json`; a newer one is refused.
pub const CURATION_FORMAT_VERSION: u32 = 1;
pub const CURATION_FILE: &str = "experiments.json";
const LOCK_FILE: &str = "experiments.lock";
/// The alias of the model in production; [`Curation::promote`] moves it.
pub const CHAMPION: &str = "champion";
/// The champion before the last promotion.
pub const PREVIOUS: &str = "previous";
/// Deleted run folders wait here until `lathe runs gc` (or `restore`).
pub const TRASH_DIR: &str = "trash";

/// What people added to one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub tags: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    /// `lathe runs gc` removed its model and files; run.json stays.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub collected: bool,
}

impl RunMeta {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One change of an alias: who pointed it where, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasEvent {
    pub alias: String,
    /// The run it points to from now on (None: the alias was removed).
    pub run_id: Option<String>,
    /// The run it pointed to before.
    pub previous: Option<String>,
    pub at: String,
    pub by: Option<String>,
}

/// A deleted run, restorable until `gc` empties the trash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deleted {
    pub run_id: String,
    pub at: String,
    pub by: Option<String>,
}

/// The content of `.lathe/experiments.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curation {
    pub format_version: u32,
    #[serde(default)]
    pub runs: BTreeMap<String, RunMeta>,
    /// Alias → run id; one run per alias.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    #[serde(default)]
    pub alias_history: Vec<AliasEvent>,
    #[serde(default)]
    pub deleted: Vec<Deleted>,
}

impl Default for Curation {
    fn default() -> Self {
        Self {
            format_version: CURATION_FORMAT_VERSION,
            runs: BTreeMap::new(),
            aliases: BTreeMap::new(),
            alias_history: Vec::new(),
            deleted: Vec::new(),
        }
    }
}

/// The user lathe records as the author of a change.
pub fn current_user() -> Option<String> {
    ["LATHE_USER", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

impl Curation {
    pub fn meta(&self, run_id: &str) -> Option<&RunMeta> {
        self.runs.get(run_id)
    }

    fn meta_mut(&mut self, run_id: &str) -> &mut RunMeta {
        self.runs.entry(run_id.to_owned()).or_default()
    }

    /// Aliases that point to `run_id`, sorted.
    pub fn aliases_of(&self, run_id: &str) -> Vec<String> {
        self.aliases
            .iter()
            .filter(|(_, r)| *r == run_id)
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// Alias → runs, inverted once for a whole table.
    pub fn aliases_by_run(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (alias, run) in &self.aliases {
            out.entry(run.as_str()).or_default().push(alias.as_str());
        }
        out
    }

    pub fn is_deleted(&self, run_id: &str) -> bool {
        self.deleted.iter().any(|d| d.run_id == run_id)
    }

    /// Point `alias` at `run_id`; returns the run it pointed to before.
    pub fn set_alias(&mut self, alias: &str, run_id: &str) -> Result<Option<String>> {
        check_alias(alias)?;
        let previous = self.aliases.insert(alias.to_owned(), run_id.to_owned());
        if previous.as_deref() != Some(run_id) {
            self.alias_history.push(AliasEvent {
                alias: alias.to_owned(),
                run_id: Some(run_id.to_owned()),
                previous: previous.clone(),
                at: now_rfc3339(),
                by: current_user(),
            });
        }
        Ok(previous)
    }

    /// Make `run_id` the champion, keeping the run it replaces as `previous`
    /// (one change of the curation, so never a half-done promotion); returns
    /// the champion before.
    pub fn promote(&mut self, run_id: &str) -> Result<Option<String>> {
        let before = self.aliases.get(CHAMPION).cloned();
        if let Some(b) = before.as_deref().filter(|b| *b != run_id) {
            self.set_alias(PREVIOUS, b)?;
        }
        self.set_alias(CHAMPION, run_id)?;
        Ok(before)
    }

    /// Remove `alias`; returns the run it pointed to.
    pub fn remove_alias(&mut self, alias: &str) -> Result<String> {
        let previous = self.aliases.remove(alias).ok_or_else(|| {
            Error::usage(format!("no alias '{alias}'")).hint("`lathe runs alias` lists them")
        })?;
        self.alias_history.push(AliasEvent {
            alias: alias.to_owned(),
            run_id: None,
            previous: Some(previous.clone()),
            at: now_rfc3339(),
            by: current_user(),
        });
        Ok(previous)
    }

    pub fn add_tags(&mut self, run_id: &str, tags: &[String]) -> Result<()> {
        for t in tags {
            check_tag(t)?;
        }
        self.meta_mut(run_id).tags.extend(tags.iter().cloned());
        Ok(())
    }

    pub fn remove_tags(&mut self, run_id: &str, tags: &[String]) {
        let m = self.meta_mut(run_id);
        for t in tags {
            m.tags.remove(t);
        }
        self.tidy(run_id);
    }

    /// Set (or with an empty text, clear) the note.
    pub fn set_note(&mut self, run_id: &str, note: &str) {
        let note = note.trim();
        self.meta_mut(run_id).note = (!note.is_empty()).then(|| note.to_owned());
        self.tidy(run_id);
    }

    /// Set (or with an empty text, clear) the display name.
    pub fn set_name(&mut self, run_id: &str, name: &str) -> Result<()> {
        let name = name.trim();
        if name.chars().any(char::is_control) {
            return Err(Error::usage("a run name cannot contain control characters"));
        }
        self.meta_mut(run_id).name = (!name.is_empty()).then(|| name.to_owned());
        self.tidy(run_id);
        Ok(())
    }

    pub fn set_archived(&mut self, run_id: &str, archived: bool) {
        self.meta_mut(run_id).archived = archived;
        self.tidy(run_id);
    }

    fn tidy(&mut self, run_id: &str) {
        if self.runs.get(run_id).is_some_and(RunMeta::is_empty) {
            self.runs.remove(run_id);
        }
    }
}

/// Alias names: a letter, then letters, digits, `-` or `_`; at most 64.
pub fn check_alias(alias: &str) -> Result<()> {
    let ok = alias.len() <= 64
        && alias.starts_with(|c: char| c.is_ascii_alphabetic())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!("'{alias}' is not a valid alias name"))
            .hint("start with a letter; use letters, digits, '-' and '_' (at most 64)"))
    }
}

/// Tags: no spaces or commas, at most 64 characters.
pub fn check_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 64
        && !tag
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!("'{tag}' is not a valid tag"))
            .hint("a tag is one word of at most 64 characters, without spaces or commas"))
    }
}

impl Store {
    fn state_dir(&self) -> PathBuf {
        self.runs_dir
            .parent()
            .map_or_else(|| PathBuf::from(".lathe"), Path::to_path_buf)
    }

    pub fn curation_path(&self) -> PathBuf {
        self.state_dir().join(CURATION_FILE)
    }

    pub fn trash_dir(&self) -> PathBuf {
        self.state_dir().join(TRASH_DIR)
    }

    /// The curation as it is now (no lock: a snapshot for reading).
    pub fn curation(&self) -> Result<Curation> {
        read_curation(&self.curation_path())
    }

    /// Change the curation under the project's lock: read, apply `f`, write
    /// atomically. When `f` fails nothing is written.
    pub fn curate<R>(&self, f: impl FnOnce(&mut Curation) -> Result<R>) -> Result<R> {
        let _lock = self.lock()?;
        let path = self.curation_path();
        let mut cur = read_curation(&path)?;
        let before = cur.clone();
        let out = f(&mut cur)?;
        if cur != before {
            let mut bytes = serde_json::to_vec_pretty(&cur)
                .map_err(|e| Error::internal(format!("JSON: {e}")))?;
            bytes.push(b'\n');
            write_atomic(&path, &bytes)?;
        }
        Ok(out)
    }

    /// The project's exclusive lock for changes to runs and curation; held
    /// until the returned file is dropped. Blocks while another process holds it.
    pub fn lock(&self) -> Result<std::fs::File> {
        let dir = self.state_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
        let path = dir.join(LOCK_FILE);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, &e))?;
        f.lock().map_err(|e| Error::io(&path, &e))?;
        Ok(f)
    }

    /// Move runs to the trash (restorable with [`Store::restore_runs`]).
    pub fn delete_runs(&self, run_ids: &[String]) -> Result<()> {
        let trash = self.trash_dir();
        std::fs::create_dir_all(&trash).map_err(|e| Error::io(&trash, &e))?;
        self.curate(|cur| {
            for id in run_ids {
                let from = self.run_dir(id);
                let to = trash.join(id);
                std::fs::rename(&from, &to).map_err(|e| Error::io(&from, &e))?;
                cur.deleted.push(Deleted {
                    run_id: id.clone(),
                    at: now_rfc3339(),
                    by: current_user(),
                });
            }
            Ok(())
        })
    }

    /// Bring deleted runs back from the trash.
    pub fn restore_runs(&self, run_ids: &[String]) -> Result<()> {
        self.curate(|cur| {
            for id in run_ids {
                let from = self.trash_dir().join(id);
                if !from.is_dir() {
                    return Err(Error::usage(format!("run '{id}' is not in the trash"))
                        .hint("`lathe runs gc` empties the trash for good"));
                }
                let to = self.run_dir(id);
                std::fs::rename(&from, &to).map_err(|e| Error::io(&from, &e))?;
                cur.deleted.retain(|d| &d.run_id != id);
            }
            Ok(())
        })
    }

    /// Ids of the runs in the trash, oldest deletion first.
    pub fn trashed(&self) -> Result<Vec<Deleted>> {
        let cur = self.curation()?;
        Ok(cur
            .deleted
            .into_iter()
            .filter(|d| self.trash_dir().join(&d.run_id).is_dir())
            .collect())
    }
}

fn read_curation(path: &Path) -> Result<Curation> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Curation::default()),
        Err(e) => return Err(Error::io(path, &e)),
    };
    let cur: Curation = serde_json::from_str(&text).map_err(|e| {
        Error::input(format!("not a lathe experiments file: {e}"))
            .at(path)
            .line(e.line() as u64)
            .column(e.column() as u64)
    })?;
    if cur.format_version > CURATION_FORMAT_VERSION {
        return Err(Error::input(format!(
            "experiments file format version {} is newer than this lathe's {CURATION_FORMAT_VERSION}",
            cur.format_version
        ))
        .at(path)
        .hint("upgrade lathe to read it"));
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_points_at_one_run_and_keeps_its_history() {
        let mut c = Curation::default();
        assert_eq!(c.set_alias("champion", "A").ok(), Some(None));
        assert_eq!(
            c.set_alias("champion", "B").ok(),
            Some(Some("A".to_owned()))
        );
        // Setting it to the run it already names changes nothing.
        assert_eq!(
            c.set_alias("champion", "B").ok(),
            Some(Some("B".to_owned()))
        );
        assert_eq!(c.aliases_of("B"), vec!["champion".to_owned()]);
        assert!(c.aliases_of("A").is_empty());
        assert_eq!(c.alias_history.len(), 2);
        assert_eq!(c.alias_history[1].previous.as_deref(), Some("A"));
        assert_eq!(c.remove_alias("champion").ok().as_deref(), Some("B"));
        assert!(c.remove_alias("champion").is_err());
        assert_eq!(c.alias_history.len(), 3);
        assert!(c.set_alias("1st", "A").is_err());
        assert!(c.set_alias("has space", "A").is_err());
    }

    #[test]
    fn promoting_keeps_the_champion_it_replaces_as_previous() {
        let mut c = Curation::default();
        assert_eq!(c.promote("A").ok(), Some(None));
        assert_eq!(c.aliases.get(PREVIOUS), None);
        assert_eq!(c.promote("B").ok(), Some(Some("A".to_owned())));
        assert_eq!(c.aliases.get(CHAMPION).map(String::as_str), Some("B"));
        assert_eq!(c.aliases.get(PREVIOUS).map(String::as_str), Some("A"));
        // Promoting the champion again leaves `previous` alone.
        assert_eq!(c.promote("B").ok(), Some(Some("B".to_owned())));
        assert_eq!(c.aliases.get(PREVIOUS).map(String::as_str), Some("A"));
    }

    #[test]
    fn empty_metadata_is_not_kept() {
        let mut c = Curation::default();
        c.add_tags("A", &["baseline".to_owned()])
            .unwrap_or_default();
        c.set_note("A", "  first try ");
        assert_eq!(
            c.meta("A").and_then(|m| m.note.as_deref()),
            Some("first try")
        );
        c.set_note("A", "");
        c.remove_tags("A", &["baseline".to_owned()]);
        assert!(c.runs.is_empty());
        assert!(c.add_tags("A", &["two words".to_owned()]).is_err());
    }
}
