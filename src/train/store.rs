//! The run store: `.lathe/runs/<run-id>/` folders and `.lathe/studies/`.
//!
//! A run folder is written complete under a temporary name and renamed into
//! place, so a reader (or a second lathe process) sees a whole run or none.
//! Run ids are ULIDs: unique across processes and sorted by time.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::config::write_atomic;
use crate::error::{Error, Result};
use crate::project::Project;
use crate::train::record::{RUN_FORMAT_VERSION, RunRecord, StudyRecord};

/// File names inside a run folder.
pub const RUN_FILE: &str = "run.json";
pub const MODEL_FILE: &str = "model.json.gz";

/// The project's store of runs and studies.
#[derive(Debug, Clone)]
pub struct Store {
    pub runs_dir: PathBuf,
    pub studies_dir: PathBuf,
}

/// `count` new ULIDs in creation order. Each takes the next millisecond of
/// the clock, so that ids made together still differ in their time part and
/// a short prefix tells them apart.
pub fn new_ids(count: usize) -> Vec<String> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    (0..count)
        .map(|i| {
            let random: u128 = rand::random::<u128>() & ((1u128 << 80) - 1);
            ulid::Ulid::from_parts(ms + i as u64, random).to_string()
        })
        .collect()
}

/// How many characters of a run id the tables show.
pub const SHORT_ID: usize = 12;

impl Store {
    pub fn open(project: &Project) -> Self {
        Self::at(&project.state_dir())
    }

    /// A store in a `.lathe` folder.
    pub fn at(state_dir: &Path) -> Self {
        Self {
            runs_dir: state_dir.join("runs"),
            studies_dir: state_dir.join("studies"),
        }
    }

    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.runs_dir.join(run_id)
    }

    /// Write a new run folder atomically: run.json and, when given, the model.
    pub fn create_run(&self, record: &RunRecord, model_json: Option<&[u8]>) -> Result<()> {
        let final_dir = self.run_dir(&record.run_id);
        let tmp = self
            .runs_dir
            .join(format!(".tmp-{}-{}", record.run_id, std::process::id()));
        let result = (|| -> Result<()> {
            std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, &e))?;
            if let Some(bytes) = model_json {
                write_synced(&tmp.join(MODEL_FILE), &gzip(bytes)?)?;
            }
            write_synced(&tmp.join(RUN_FILE), &to_json(record)?)?;
            std::fs::rename(&tmp, &final_dir).map_err(|e| Error::io(&final_dir, &e))?;
            if let Ok(d) = std::fs::File::open(&self.runs_dir) {
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    /// Replace a run's record (and model, when given) in place, atomically per file.
    pub fn update_run(&self, record: &RunRecord, model_json: Option<&[u8]>) -> Result<()> {
        let dir = self.run_dir(&record.run_id);
        if let Some(bytes) = model_json {
            write_atomic(&dir.join(MODEL_FILE), &gzip(bytes)?)?;
        }
        write_atomic(&dir.join(RUN_FILE), &to_json(record)?)
    }

    pub fn write_study(&self, study: &StudyRecord) -> Result<()> {
        write_atomic(
            &self.studies_dir.join(format!("{}.json", study.study_id)),
            &to_json(study)?,
        )
    }

    pub fn read_run(&self, run_id: &str) -> Result<RunRecord> {
        let path = self.run_dir(run_id).join(RUN_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
        let record: RunRecord = serde_json::from_str(&text).map_err(|e| {
            Error::input(format!("not a lathe run record: {e}"))
                .at(&path)
                .line(e.line() as u64)
                .column(e.column() as u64)
        })?;
        if record.format_version > RUN_FORMAT_VERSION {
            return Err(Error::input(format!(
                "run format version {} is newer than this lathe's {RUN_FORMAT_VERSION}",
                record.format_version
            ))
            .at(&path)
            .hint("upgrade lathe to read it"));
        }
        Ok(record)
    }

    /// The run's model JSON (uncompressed), when it has one.
    pub fn read_model(&self, run_id: &str) -> Result<Vec<u8>> {
        let path = self.run_dir(run_id).join(MODEL_FILE);
        let f = std::fs::File::open(&path).map_err(|e| Error::io(&path, &e))?;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(f)
            .read_to_end(&mut out)
            .map_err(|e| Error::input(format!("damaged model file: {e}")).at(&path))?;
        Ok(out)
    }

    /// Ids of every stored run, oldest first.
    pub fn run_ids(&self) -> Result<Vec<String>> {
        let mut ids = self.run_folders()?;
        ids.retain(|id| self.run_dir(id).join(RUN_FILE).is_file());
        Ok(ids)
    }

    /// Names of every run folder, complete or not, oldest first (temporary
    /// folders of runs being written are left out).
    pub fn run_folders(&self) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.runs_dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&self.runs_dir, &e)),
        };
        let mut ids: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every readable run, oldest first (unreadable ones are skipped and returned as errors).
    pub fn list(&self) -> Result<(Vec<RunRecord>, Vec<Error>)> {
        let mut runs = Vec::new();
        let mut bad = Vec::new();
        for id in self.run_ids()? {
            match self.read_run(&id) {
                Ok(r) => runs.push(r),
                Err(e) => bad.push(e),
            }
        }
        Ok((runs, bad))
    }

    /// The run id that `name` names: a run id, a unique (case-insensitive)
    /// prefix of one, or `@alias`.
    pub fn resolve(&self, name: &str) -> Result<String> {
        if let Some(alias) = name.strip_prefix('@') {
            let cur = self.curation()?;
            let id = cur.aliases.get(alias).ok_or_else(|| {
                Error::usage(format!("no alias '{alias}'")).hint("`lathe runs alias` lists them")
            })?;
            if !self.run_dir(id).is_dir() {
                let why = if cur.is_deleted(id) {
                    format!("run {id} was deleted; `lathe runs restore {id}` brings it back")
                } else {
                    format!("run {id} is not in the store")
                };
                return Err(Error::usage(format!(
                    "alias '{alias}' points to a run that is gone: {why}"
                ))
                .hint(format!(
                    "point it elsewhere with `lathe runs alias RUN {alias}`"
                )));
            }
            return Ok(id.clone());
        }
        let prefix = name;
        let p = prefix.to_ascii_uppercase();
        if p.is_empty() {
            return Err(Error::usage("give a run id (or a unique prefix of one)"));
        }
        let matches: Vec<String> = self
            .run_ids()?
            .into_iter()
            .filter(|id| id.starts_with(&p))
            .collect();
        match matches.len() {
            1 => Ok(matches.into_iter().next().unwrap_or_default()),
            0 => Err(
                Error::usage(format!("no run '{prefix}' in {}", self.runs_dir.display()))
                    .hint("`lathe runs list` shows the runs"),
            ),
            n => Err(Error::usage(format!(
                "'{prefix}' names {n} runs ({}…); give more characters",
                matches
                    .iter()
                    .take(3)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    let mut out =
        serde_json::to_vec_pretty(v).map_err(|e| Error::internal(format!("JSON: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// gzip at a fixed level with no timestamp: equal input, equal bytes.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(6));
    enc.write_all(bytes)
        .and_then(|_| enc.finish())
        .map_err(|e| Error::internal(format!("gzip: {e}")))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path, &e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(path, &e))
}
