//! What the leaderboard needs of every run, read fast.
//!
//! A `run.json` holds curves, the spec and the lineage: tens of kilobytes. The
//! leaderboard needs a few hundred bytes of each, so their summaries are kept
//! in a cache, `.lathe/runs/.index.json`, keyed by run id and checked against
//! the size and modification time of each `run.json`: a run written or
//! rewritten since is read again; a run that is gone is dropped. The cache is
//! only ever a copy — deleting it costs one slow load — so two processes that
//! both rewrite it lose nothing.

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::write_atomic;
use crate::error::Result;
use crate::train::Task;
use crate::train::algorithms::Params;
use crate::train::record::{RunRecord, RunStatus, json_float};
use crate::train::store::{RUN_FILE, Store};

const INDEX_FILE: &str = ".index.json";
/// Bumped when [`RunSummary`] changes: an older cache is rebuilt.
const INDEX_VERSION: u32 = 1;

/// Mean and standard deviation of a metric over the folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    #[serde(with = "json_float")]
    pub mean: f64,
    #[serde(with = "json_float")]
    pub std: f64,
}

/// The leaderboard's view of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: String,
    pub study_id: String,
    pub algorithm: String,
    pub task: Task,
    pub target: String,
    pub params: Params,
    pub status: RunStatus,
    #[serde(default)]
    pub reason: Option<String>,
    /// The metric the search optimised.
    pub metric: String,
    pub metrics: BTreeMap<String, MeanStd>,
    /// Mean fit time per fold, seconds.
    pub fit_s: f64,
    pub started: String,
    pub data: String,
    pub data_fingerprint: String,
    pub has_model: bool,
}

impl RunSummary {
    pub fn of(r: &RunRecord) -> Self {
        Self {
            run_id: r.run_id.clone(),
            study_id: r.study_id.clone(),
            algorithm: r.algorithm.clone(),
            task: r.task,
            target: r.target.clone(),
            params: r.params.clone(),
            status: r.status,
            reason: r.reason.clone(),
            metric: r.metric.clone(),
            metrics: r
                .metrics
                .iter()
                .map(|(k, m)| {
                    (
                        k.clone(),
                        MeanStd {
                            mean: m.mean,
                            std: m.std,
                        },
                    )
                })
                .collect(),
            fit_s: r.timing.fit_s,
            started: r.started.clone(),
            data: r.lineage.data.clone(),
            data_fingerprint: r.lineage.data_fingerprint.clone(),
            has_model: r.has_model,
        }
    }
}

/// One run folder as the leaderboard sees it: a summary, or why it cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEntry {
    Ok(Box<RunSummary>),
    /// A folder in `.lathe/runs/` whose run.json is missing, corrupt or too new.
    Damaged {
        run_id: String,
        reason: String,
    },
}

impl RunEntry {
    pub fn run_id(&self) -> &str {
        match self {
            Self::Ok(s) => &s.run_id,
            Self::Damaged { run_id, .. } => run_id,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached {
    size: u64,
    mtime_ns: u128,
    summary: RunSummary,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    runs: BTreeMap<String, Cached>,
}

impl Store {
    /// Every run folder, oldest first: summaries of the readable runs and the
    /// reasons of the damaged ones. Refreshes the cache when anything changed.
    pub fn entries(&self) -> Result<Vec<RunEntry>> {
        let folders = self.run_folders()?;
        let index_path = self.runs_dir.join(INDEX_FILE);
        let mut index: IndexFile = std::fs::read(&index_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|i: &IndexFile| i.version == INDEX_VERSION)
            .unwrap_or_default();
        let stamps: Vec<Option<(u64, u128)>> = folders
            .par_iter()
            .map(|id| {
                let meta = std::fs::metadata(self.run_dir(id).join(RUN_FILE)).ok()?;
                let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
                Some((meta.len(), mtime.as_nanos()))
            })
            .collect();
        let fresh: Vec<Option<std::result::Result<Cached, String>>> = folders
            .par_iter()
            .zip(&stamps)
            .map(|(id, stamp)| {
                let (size, mtime_ns) = match stamp {
                    Some(s) => *s,
                    None => {
                        return Some(Err(
                            "no run.json: the run folder is incomplete or damaged".to_owned()
                        ));
                    }
                };
                match index.runs.get(id) {
                    Some(c) if c.size == size && c.mtime_ns == mtime_ns => None,
                    _ => Some(
                        self.read_run(id)
                            .map(|r| Cached {
                                size,
                                mtime_ns,
                                summary: RunSummary::of(&r),
                            })
                            .map_err(|e| e.to_string()),
                    ),
                }
            })
            .collect();
        let mut changed = index.runs.len() != folders.len();
        let mut out = Vec::with_capacity(folders.len());
        let mut keep = BTreeMap::new();
        for (id, f) in folders.iter().zip(fresh) {
            match f {
                None => {
                    if let Some(c) = index.runs.remove(id) {
                        out.push(RunEntry::Ok(Box::new(c.summary.clone())));
                        keep.insert(id.clone(), c);
                    }
                }
                Some(Ok(c)) => {
                    changed = true;
                    out.push(RunEntry::Ok(Box::new(c.summary.clone())));
                    keep.insert(id.clone(), c);
                }
                Some(Err(reason)) => out.push(RunEntry::Damaged {
                    run_id: id.clone(),
                    reason,
                }),
            }
        }
        if changed || !index.runs.is_empty() {
            let file = IndexFile {
                version: INDEX_VERSION,
                runs: keep,
            };
            // Best effort: a read-only project still lists its runs.
            if let Ok(bytes) = serde_json::to_vec(&file) {
                let _ = write_atomic(&index_path, &bytes);
            }
        }
        Ok(out)
    }
}
