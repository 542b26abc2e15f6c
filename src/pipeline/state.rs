//! The pipeline's state in `.lathe/pipeline/`: the lock, the run records
//! and the record of finished work.
//!
//! - `pipeline.lock`: held (an OS file lock, released when the process ends,
//!   even by SIGKILL) for the whole run; a second pipeline on the project
//!   refuses at once, or waits with `--wait`. The file names its holder.
//! - `runs/<id>.json`: one record per pipeline run, every step's verdict and
//!   timing; written when the run starts and replaced atomically when it
//!   ends. A run left `running` by a killed process is shown as interrupted.
//! - `done.json`: the idempotence key of every run that finished its work,
//!   with its outcome, so the same inputs and spec make no new work.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::write_atomic;
use crate::error::{Error, ErrorKind, Result};
use crate::project::Project;

pub const PIPELINE_DIR: &str = "pipeline";
const LOCK_FILE: &str = "pipeline.lock";
const DONE_FILE: &str = "done.json";
/// Version of the run record format.
pub const RECORD_FORMAT_VERSION: u32 = 1;

/// How a pipeline run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still running, or killed while running (no later record).
    Running,
    /// A new champion was promoted (or a model trained, bundled, with no promote step).
    Done,
    /// Nothing to do: same inputs as before, or no drift.
    NothingToDo,
    /// A data check or the gate failed; nothing was promoted.
    Failed,
    /// An error stopped it.
    Error,
    Cancelled,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Done | Self::NothingToDo => 0,
            Self::Failed => 1,
            Self::Cancelled => 130,
            Self::Running | Self::Error => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::NothingToDo => "nothing to do",
            Self::Failed => "failed",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One step's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: String,
    /// `pass`, `fail`, `skip`, `error`.
    pub verdict: String,
    pub seconds: f64,
    pub detail: String,
}

/// `.lathe/pipeline/runs/<id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineRecord {
    pub format_version: u32,
    pub id: String,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    pub outcome: Outcome,
    pub summary: String,
    /// The idempotence key, once the inputs are known.
    #[serde(default)]
    pub key: Option<String>,
    pub steps: Vec<StepRecord>,
    #[serde(default)]
    pub candidate: Option<String>,
    #[serde(default)]
    pub champion_before: Option<String>,
    #[serde(default)]
    pub champion_after: Option<String>,
    #[serde(default)]
    pub bundle: Option<PathBuf>,
    #[serde(default)]
    pub gate: Option<serde_json::Value>,
    pub lathe_version: String,
}

/// The held pipeline lock; released on drop (or when the process dies).
pub struct Lock {
    _file: std::fs::File,
}

pub fn dir(project: &Project) -> PathBuf {
    project.state_dir().join(PIPELINE_DIR)
}

/// Take the project's pipeline lock: at once, or waiting for it.
pub fn lock(project: &Project, wait: bool) -> Result<Lock> {
    let d = dir(project);
    std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, &e))?;
    let path = d.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, &e))?;
    if wait {
        file.lock().map_err(|e| Error::io(&path, &e))?;
    } else {
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(Error::usage(format!(
                    "another pipeline is running on this project{}",
                    if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" ({holder})")
                    }
                ))
                .at(&path)
                .hint("wait for it, or run with --wait to start when it ends"));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, &e)),
        }
    }
    let _ = file.set_len(0);
    let _ = writeln!(
        file,
        "pid {} since {}",
        std::process::id(),
        crate::util::now_rfc3339()
    );
    Ok(Lock { _file: file })
}

fn runs_dir(project: &Project) -> PathBuf {
    dir(project).join("runs")
}

/// Write (or replace) a run record atomically.
pub fn write_record(project: &Project, r: &PipelineRecord) -> Result<()> {
    let path = runs_dir(project).join(format!("{}.json", r.id));
    let mut bytes = serde_json::to_vec_pretty(r).map_err(|e| Error::internal(e.to_string()))?;
    bytes.push(b'\n');
    write_atomic(&path, &bytes)
}

/// Every readable run record, newest first. A run still `running` while
/// no pipeline holds the lock was interrupted; `running_now` says whether one does.
pub fn history(project: &Project) -> Result<Vec<PipelineRecord>> {
    let d = runs_dir(project);
    let entries = match std::fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&d, &e)),
    };
    let mut out: Vec<PipelineRecord> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| std::fs::read(&p).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    out.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(out)
}

/// Mark records left `running` by a killed pipeline (call with the lock held).
pub fn mark_interrupted(project: &Project) -> Result<()> {
    for mut r in history(project)? {
        if r.outcome == Outcome::Running {
            r.outcome = Outcome::Error;
            r.summary = format!("interrupted: the process ended during '{}'", last_step(&r));
            write_record(project, &r)?;
        }
    }
    Ok(())
}

fn last_step(r: &PipelineRecord) -> String {
    r.steps
        .last()
        .map_or_else(|| "start".to_owned(), |s| s.step.clone())
}

/// A finished piece of work: the run that did it and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneEntry {
    pub run: String,
    pub outcome: Outcome,
    pub summary: String,
}

fn done_path(project: &Project) -> PathBuf {
    dir(project).join(DONE_FILE)
}

/// What an earlier run did with this key, if one finished it.
pub fn done(project: &Project, key: &str) -> Result<Option<DoneEntry>> {
    Ok(read_done(&done_path(project))?.remove(key))
}

/// Remember that `key`'s work finished (call with the lock held).
pub fn mark_done(project: &Project, key: &str, entry: DoneEntry) -> Result<()> {
    let path = done_path(project);
    let mut all = read_done(&path)?;
    all.insert(key.to_owned(), entry);
    let bytes = serde_json::to_vec_pretty(&all).map_err(|e| Error::internal(e.to_string()))?;
    write_atomic(&path, &bytes)
}

fn read_done(path: &Path) -> Result<BTreeMap<String, DoneEntry>> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| {
            Error::new(ErrorKind::Input, format!("damaged pipeline state: {e}"))
                .at(path)
                .hint("delete it: the next run redoes the work it recorded")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(Error::io(path, &e)),
    }
}

/// Times a step and records its verdict.
pub fn step<T>(
    project: &Project,
    rec: &mut PipelineRecord,
    name: &str,
    on_step: &dyn Fn(&str),
    f: impl FnOnce() -> Result<(T, String, String)>,
) -> Result<T> {
    on_step(name);
    let t0 = Instant::now();
    let out = f();
    let seconds = t0.elapsed().as_secs_f64();
    let (value, verdict, detail) = match out {
        Ok((v, verdict, detail)) => (Ok(v), verdict, detail),
        Err(e) => {
            let d = e.message.clone();
            (Err(e), "error".to_owned(), d)
        }
    };
    rec.steps.push(StepRecord {
        step: name.to_owned(),
        verdict,
        seconds,
        detail,
    });
    // The record shows each finished step at once (a killed run shows where it was).
    write_record(project, rec)?;
    value
}
