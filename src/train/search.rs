//! The parallel search: jobs = configuration × fold on a rayon pool.
//!
//! The feature table is read once ([`RawTable`], shared by reference); each
//! job fits the preprocessing pipeline and the learner on its fold's training
//! rows and scores the validation rows. Jobs start longest-first (by a cost
//! estimate) from a shared queue, so two threads finish together. Each job's
//! seed comes from the study seed, the configuration (algorithm and
//! hyperparameters) and the fold, never from the thread that runs it, so the
//! results are the same with any number of threads, and a rerun of one
//! configuration reproduces its model.
//!
//! A failed job (a solver error, even a panic in a learner) fails its run
//! with the reason; the others go on. Cancelling stops new jobs from
//! starting; finished runs keep their results. At the end the best
//! configuration of each algorithm is refitted on all training rows, scored
//! on the hold-out, and given permutation importances.
//!
//! [`run`] reads as its stages: `announce` the ids, the `queue` of jobs on the
//! search's thread pool (each job in `fold`, each finished configuration's
//! record in `summary`), the `refit` of the best per algorithm, `write_study`.
//!
//! [`RawTable`]: crate::train::features::RawTable

use std::time::Instant;

use crate::error::{Error, Result};
use crate::jobs::CancelToken;
use crate::train::record::{
    Lineage, RUN_FORMAT_VERSION, RunRecord, RunStatus, StudyRecord, now_rfc3339,
};
use crate::train::spec::Prepared;
use crate::train::store::{Store, new_ids};

mod fold;
mod queue;
mod refit;
mod summary;

pub use fold::{FitScore, fit_and_score, job_seed, refit_seed};
pub use refit::fit_final;

use queue::{JobQueue, Shared};
use refit::refit_best;

/// What a search tells its front-end while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchEvent {
    /// The run ids (one per configuration, in configuration order) and the job count.
    Started {
        study_id: String,
        run_ids: Vec<String>,
        jobs: usize,
    },
    JobStarted {
        config: usize,
        fold: usize,
    },
    /// A job ended: the optimised metric on its fold, or why it did not run or failed.
    JobFinished {
        config: usize,
        fold: usize,
        score: std::result::Result<f64, String>,
        seconds: f64,
    },
    /// All folds of a configuration ended; its record is stored.
    RunFinished {
        config: usize,
        record: Box<RunRecord>,
    },
    /// Refitting the best configuration of an algorithm on all training rows.
    Refitting {
        config: usize,
    },
    Refitted {
        config: usize,
        record: Box<RunRecord>,
    },
}

/// Receives search events; called from the search's worker threads.
pub trait SearchObserver: Send + Sync {
    fn event(&self, event: SearchEvent);
}

/// An observer that ignores everything.
pub struct Quiet;

impl SearchObserver for Quiet {
    fn event(&self, _event: SearchEvent) {}
}

/// The result of a search.
#[derive(Debug, Clone)]
pub struct SearchOutcome {
    pub study: StudyRecord,
    pub runs: Vec<RunRecord>,
    /// Wall time of the whole search, and the sum of its jobs' times.
    pub elapsed_s: f64,
    pub jobs_s: f64,
    pub cancelled: bool,
}

/// Where the search stores its runs, and the lineage they share.
pub struct SearchContext {
    /// None: compute only (a rerun compares, a benchmark measures).
    pub store: Option<Store>,
    pub lineage: Lineage,
    /// Refit the best configuration of each algorithm at the end.
    pub refit: bool,
}

/// Run the search described by `prep`.
pub fn run(
    prep: &Prepared,
    ctx: &SearchContext,
    observer: &dyn SearchObserver,
    cancel: &CancelToken,
) -> Result<SearchOutcome> {
    let started_at = now_rfc3339();
    let wall = Instant::now();
    let (study_id, run_ids) = announce(prep, ctx, observer)?;
    let queue = JobQueue::new(Shared {
        prep,
        ctx,
        observer,
        cancel,
        study_id: &study_id,
        run_ids: &run_ids,
        wall,
    });
    let pool = thread_pool(prep.jobs)?;
    pool.scope(|s| {
        for _ in 0..prep.jobs {
            s.spawn(|_| queue.work());
        }
    });
    let (mut runs, jobs_s) = queue.finish()?;
    let cancelled = cancel.is_cancelled();
    if ctx.refit && !cancelled {
        refit_best(prep, ctx, observer, &pool, &mut runs)?;
    }
    let study = write_study(prep, ctx, study_id, started_at, run_ids, cancelled)?;
    Ok(SearchOutcome {
        study,
        runs,
        elapsed_s: wall.elapsed().as_secs_f64(),
        jobs_s,
        cancelled,
    })
}

/// Allocate the study's id and one run id per configuration, announce them with the job count
/// (configurations × folds), and make sure the store's runs folder exists.
fn announce(
    prep: &Prepared,
    ctx: &SearchContext,
    observer: &dyn SearchObserver,
) -> Result<(String, Vec<String>)> {
    let n_configs = prep.configs.len();
    let n_folds = prep.split.folds.len();
    let ids = new_ids(n_configs + 1);
    let study_id = ids[0].clone();
    let run_ids: Vec<String> = ids[1..].to_vec();
    observer.event(SearchEvent::Started {
        study_id: study_id.clone(),
        run_ids: run_ids.clone(),
        jobs: n_configs * n_folds,
    });
    if let Some(store) = &ctx.store {
        std::fs::create_dir_all(&store.runs_dir).map_err(|e| Error::io(&store.runs_dir, &e))?;
    }
    Ok((study_id, run_ids))
}

/// The search's own rayon pool of `jobs` threads, named `lathe-train-<i>`.
fn thread_pool(jobs: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("lathe-train-{i}"))
        .build()
        .map_err(|e| Error::internal(format!("thread pool: {e}")))
}

/// The study's record, written to the store, with the run index brought up to date.
fn write_study(
    prep: &Prepared,
    ctx: &SearchContext,
    study_id: String,
    started: String,
    run_ids: Vec<String>,
    cancelled: bool,
) -> Result<StudyRecord> {
    let study = StudyRecord {
        format_version: RUN_FORMAT_VERSION,
        study_id,
        started,
        finished: now_rfc3339(),
        spec: prep.spec.clone(),
        run_ids,
        status: if cancelled {
            RunStatus::Cancelled
        } else {
            RunStatus::Finished
        },
    };
    if let Some(store) = &ctx.store {
        store.write_study(&study)?;
        // Bring the run index up to date now, so the leaderboard opens warm.
        // Best effort: the index is a cache and is rebuilt when it is stale.
        let _ = store.entries();
    }
    Ok(study)
}
