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

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_xoshiro::Xoshiro256PlusPlus;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::jobs::{CancelToken, panic_message};
use crate::train::algorithms::{self, Model, Predictions, TargetRef};
use crate::train::features::{FittedPipeline, RawTable};
use crate::train::metrics::{self, Curve};
use crate::train::model::FittedModel;
use crate::train::record::{
    Lineage, MetricSummary, RUN_FORMAT_VERSION, Residuals, RunRecord, RunStatus, StudyRecord,
    Threshold, Timing, now_rfc3339,
};
use crate::train::spec::{Config, Prepared, TargetData};
use crate::train::store::{Store, new_ids};

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

/// One fold's evaluation of one configuration.
#[derive(Debug, Clone)]
struct FoldResult {
    scores: Vec<(&'static str, f64)>,
    confusion: Option<Vec<Vec<u64>>>,
    /// Validation rows and the positive class's probability (binary with
    /// probabilities) or the predicted value (regression).
    valid_rows: Vec<usize>,
    p1: Option<Vec<f64>>,
    fit_s: f64,
    predict_s: f64,
}

enum JobState {
    Pending,
    Done(FoldResult),
    Failed(String),
    Skipped(String),
}

struct ConfigState {
    jobs: Vec<JobState>,
    started: Option<String>,
    failed: bool,
}

/// Seed of a job: the study seed, the configuration's identity and the fold.
pub fn job_seed(seed: u64, config: &Config, fold: usize) -> u64 {
    let identity = format!(
        "{}|{}",
        config.algorithm.id,
        serde_json::to_string(&config.params).unwrap_or_default()
    );
    let h = Sha256::digest(identity.as_bytes());
    let mut x = seed ^ u64::from_le_bytes(h[..8].try_into().unwrap_or([0; 8]));
    x ^= (fold as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Seed of the refit on all training rows.
pub fn refit_seed(seed: u64, config: &Config) -> u64 {
    job_seed(seed, config, usize::MAX - 1)
}

fn target_ref<'a>(t: &'a TargetData, buf: &'a mut TargetBuf, rows: &[usize]) -> TargetRef<'a> {
    match t {
        TargetData::Classes { y, classes } => {
            buf.classes = rows.iter().map(|&r| y[r]).collect();
            TargetRef::Classes(&buf.classes, classes.len())
        }
        TargetData::Values(v) => {
            buf.values = rows.iter().map(|&r| v[r]).collect();
            TargetRef::Values(&buf.values)
        }
    }
}

#[derive(Default)]
struct TargetBuf {
    classes: Vec<usize>,
    values: Vec<f64>,
}

/// Fit `config` on `train` rows, and score it on `eval` rows.
fn fit_eval(
    prep: &Prepared,
    raw: &RawTable,
    config: &Config,
    train: &[usize],
    eval: &[usize],
    seed: u64,
) -> Result<(FittedPipeline, Model, FoldResult)> {
    let full_rank = config.algorithm.id == "linear_regression";
    let pipeline = FittedPipeline::fit(raw, train, &prep.spec.preprocess, full_rank)?;
    let x = pipeline.transform(raw, train)?;
    let mut buf = TargetBuf::default();
    let y = target_ref(&prep.target_data, &mut buf, train);
    let t0 = Instant::now();
    let model = algorithms::fit(config.algorithm, &config.params, &x, y, seed)?;
    let fit_s = t0.elapsed().as_secs_f64();
    drop(x);
    let result = if eval.is_empty() {
        FoldResult {
            scores: Vec::new(),
            confusion: None,
            valid_rows: Vec::new(),
            p1: None,
            fit_s,
            predict_s: 0.0,
        }
    } else {
        let xv = pipeline.transform(raw, eval)?;
        let t1 = Instant::now();
        let pred = model.predict(&xv, prep.target_data.n_classes())?;
        let predict_s = t1.elapsed().as_secs_f64();
        let mut r = score(prep, &pred, eval);
        r.fit_s = fit_s;
        r.predict_s = predict_s;
        r
    };
    Ok((pipeline, model, result))
}

/// Time and scores of one fit on `train` rows scored on `eval` rows (for benchmarks).
#[derive(Debug, Clone)]
pub struct FitScore {
    pub fit_s: f64,
    pub predict_s: f64,
    pub scores: Vec<(&'static str, f64)>,
}

/// Fit `config` on rows `train` and score it on rows `eval`, as one job of a search does.
pub fn fit_and_score(
    prep: &Prepared,
    config: &Config,
    train: &[usize],
    eval: &[usize],
) -> Result<FitScore> {
    let seed = job_seed(prep.spec.validation.seed, config, 0);
    let (_, _, r) = fit_eval(prep, &prep.raw, config, train, eval, seed)?;
    Ok(FitScore {
        fit_s: r.fit_s,
        predict_s: r.predict_s,
        scores: r.scores,
    })
}

fn score(prep: &Prepared, pred: &Predictions, rows: &[usize]) -> FoldResult {
    let mut r = FoldResult {
        scores: Vec::new(),
        confusion: None,
        valid_rows: rows.to_vec(),
        p1: None,
        fit_s: 0.0,
        predict_s: 0.0,
    };
    match (&prep.target_data, pred) {
        (TargetData::Classes { y, classes }, Predictions::Classes { labels, proba }) => {
            let truth: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
            let k = classes.len();
            r.scores = metrics::classification_scores(&truth, labels, proba.as_deref(), k);
            r.confusion = Some(metrics::confusion_matrix(&truth, labels, k));
            if k == 2 {
                r.p1 = proba
                    .as_ref()
                    .map(|p| (0..labels.len()).map(|i| p[i * 2 + 1]).collect());
            }
        }
        (TargetData::Values(v), Predictions::Values(pred)) => {
            let truth: Vec<f64> = rows.iter().map(|&i| v[i]).collect();
            r.scores = metrics::regression_scores(&truth, pred);
            r.p1 = Some(pred.clone());
        }
        _ => {}
    }
    r
}

fn metric_of(scores: &[(&'static str, f64)], name: &str) -> f64 {
    scores
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(f64::NAN, |(_, v)| *v)
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
    let queue = JobQueue::new(prep, ctx, observer, cancel, &study_id, &run_ids, wall);
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

/// Every (configuration, fold, cost) job, longest first by the cost estimate; ties in
/// configuration and fold order, so the order is deterministic.
fn job_order(prep: &Prepared) -> Vec<(usize, usize, f64)> {
    let n_folds = prep.split.folds.len();
    let rows = prep.split.folds.first().map_or(0, |f| f.train.len());
    let mut order: Vec<(usize, usize, f64)> = Vec::with_capacity(prep.configs.len() * n_folds);
    for (c, cfg) in prep.configs.iter().enumerate() {
        let cost = cfg
            .algorithm
            .cost(&cfg.params, rows, prep.raw.features.len());
        for f in 0..n_folds {
            order.push((c, f, cost));
        }
    }
    order.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    order
}

/// The search's own rayon pool of `jobs` threads, named `lathe-train-<i>`.
fn thread_pool(jobs: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("lathe-train-{i}"))
        .build()
        .map_err(|e| Error::internal(format!("thread pool: {e}")))
}

/// The jobs of a search and what the worker threads share while they run them: the queue
/// (taken in [`job_order`]), each configuration's fold states, the finished runs' records,
/// the jobs' summed time and the first error the store gave.
struct JobQueue<'a> {
    prep: &'a Prepared,
    ctx: &'a SearchContext,
    observer: &'a dyn SearchObserver,
    cancel: &'a CancelToken,
    study_id: &'a str,
    run_ids: &'a [String],
    wall: Instant,
    order: Vec<(usize, usize, f64)>,
    next: AtomicUsize,
    states: Vec<Mutex<ConfigState>>,
    records: Mutex<Vec<Option<RunRecord>>>,
    jobs_s: Mutex<f64>,
    store_error: Mutex<Option<Error>>,
}

impl<'a> JobQueue<'a> {
    fn new(
        prep: &'a Prepared,
        ctx: &'a SearchContext,
        observer: &'a dyn SearchObserver,
        cancel: &'a CancelToken,
        study_id: &'a str,
        run_ids: &'a [String],
        wall: Instant,
    ) -> Self {
        let n_configs = prep.configs.len();
        let n_folds = prep.split.folds.len();
        let states: Vec<Mutex<ConfigState>> = (0..n_configs)
            .map(|_| {
                Mutex::new(ConfigState {
                    jobs: (0..n_folds).map(|_| JobState::Pending).collect(),
                    started: None,
                    failed: false,
                })
            })
            .collect();
        Self {
            prep,
            ctx,
            observer,
            cancel,
            study_id,
            run_ids,
            wall,
            order: job_order(prep),
            next: AtomicUsize::new(0),
            states,
            records: Mutex::new(vec![None; n_configs]),
            jobs_s: Mutex::new(0.0f64),
            store_error: Mutex::new(None),
        }
    }

    /// One worker thread: take the next job off the queue, run or skip it, and finish its
    /// configuration when that was its last fold; until the queue is empty.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::SeqCst);
            let Some(&(c, f, _)) = self.order.get(i) else {
                break;
            };
            let (state, score, secs) = match self.skip_reason(c) {
                Some(reason) => (JobState::Skipped(reason.clone()), Err(reason), 0.0),
                None => self.run_job(c, f),
            };
            self.observer.event(SearchEvent::JobFinished {
                config: c,
                fold: f,
                score,
                seconds: secs,
            });
            let mut st = self.states[c].lock().unwrap_or_else(|p| p.into_inner());
            if matches!(state, JobState::Failed(_)) {
                st.failed = true;
            }
            st.jobs[f] = state;
            if st.jobs.iter().all(|j| !matches!(j, JobState::Pending)) {
                self.finish_config(c, &st);
            }
        }
    }

    /// Why a job of configuration `c` must not start: the search was cancelled, the time
    /// budget is spent, or another fold of the configuration failed.
    fn skip_reason(&self, c: usize) -> Option<String> {
        if self.cancel.is_cancelled() {
            Some("cancelled".to_owned())
        } else if let Some(b) = self.prep.spec.time_budget_s
            && self.wall.elapsed().as_secs_f64() > b
        {
            Some(format!("time budget of {b} s reached"))
        } else if self.states[c].lock().map(|s| s.failed).unwrap_or(true) {
            Some("another fold of this configuration failed".to_owned())
        } else {
            None
        }
    }

    /// Fit configuration `c` on fold `f`'s training rows and score its validation rows: the
    /// job's state, its optimised metric (or why it failed) and its seconds. A learner's
    /// error or panic fails the job, never the search.
    fn run_job(&self, c: usize, f: usize) -> (JobState, std::result::Result<f64, String>, f64) {
        let prep = self.prep;
        {
            let mut st = self.states[c].lock().unwrap_or_else(|p| p.into_inner());
            st.started.get_or_insert_with(now_rfc3339);
        }
        self.observer
            .event(SearchEvent::JobStarted { config: c, fold: f });
        let t = Instant::now();
        let cfg = &prep.configs[c];
        let fold = &prep.split.folds[f];
        let seed = job_seed(prep.spec.validation.seed, cfg, f);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            fit_eval(prep, &prep.raw, cfg, &fold.train, &fold.valid, seed)
        }));
        let secs = t.elapsed().as_secs_f64();
        *self.jobs_s.lock().unwrap_or_else(|p| p.into_inner()) += secs;
        match outcome {
            Ok(Ok((_, _, r))) => {
                let m = metric_of(&r.scores, &prep.metric);
                (JobState::Done(r), Ok(m), secs)
            }
            Ok(Err(e)) => {
                let why = e.message.clone();
                (JobState::Failed(why.clone()), Err(why), secs)
            }
            Err(p) => {
                let why = format!("the learner crashed: {}", panic_message(&*p));
                (JobState::Failed(why.clone()), Err(why), secs)
            }
        }
    }

    /// Every fold of configuration `c` has ended: build its run record, store it (keeping the
    /// first store error for the end), announce it and keep it.
    fn finish_config(&self, c: usize, state: &ConfigState) {
        let record = build_record(
            self.prep,
            self.ctx,
            self.study_id,
            &self.run_ids[c],
            c,
            state,
        );
        if let Some(store) = &self.ctx.store
            && let Err(e) = store.create_run(&record, None)
        {
            let mut slot = self.store_error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert(e);
        }
        self.observer.event(SearchEvent::RunFinished {
            config: c,
            record: Box::new(record.clone()),
        });
        self.records.lock().unwrap_or_else(|p| p.into_inner())[c] = Some(record);
    }

    /// After the last job: the first store error, or the runs in configuration order and the
    /// jobs' summed seconds.
    fn finish(self) -> Result<(Vec<RunRecord>, f64)> {
        if let Some(e) = self
            .store_error
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
        {
            return Err(e);
        }
        let runs: Vec<RunRecord> = self
            .records
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .into_iter()
            .flatten()
            .collect();
        Ok((
            runs,
            self.jobs_s.into_inner().unwrap_or_else(|p| p.into_inner()),
        ))
    }
}

/// Refit the best finished configuration of each algorithm on all training rows, in parallel
/// on the search's pool. A failed refit leaves the cross-validated run, with the reason.
fn refit_best(
    prep: &Prepared,
    ctx: &SearchContext,
    observer: &dyn SearchObserver,
    pool: &rayon::ThreadPool,
    runs: &mut [RunRecord],
) -> Result<()> {
    let best = best_per_algorithm(prep, runs);
    let refits: Vec<(usize, Result<RunRecord>)> = pool.install(|| {
        use rayon::prelude::*;
        best.par_iter()
            .map(|&c| {
                observer.event(SearchEvent::Refitting { config: c });
                let r = catch_unwind(AssertUnwindSafe(|| refit(prep, ctx, &runs[c], c)))
                    .unwrap_or_else(|p| {
                        Err(Error::internal(format!(
                            "refit crashed: {}",
                            panic_message(&*p)
                        )))
                    });
                (c, r)
            })
            .collect()
    });
    for (c, r) in refits {
        match r {
            Ok(rec) => {
                observer.event(SearchEvent::Refitted {
                    config: c,
                    record: Box::new(rec.clone()),
                });
                runs[c] = rec;
            }
            Err(e) => {
                tracing::warn!("refit of run {} failed: {}", runs[c].run_id, e.message);
                runs[c].reason = Some(format!("refit on all training rows failed: {}", e.message));
                if let Some(store) = &ctx.store {
                    store.update_run(&runs[c], None)?;
                }
            }
        }
    }
    Ok(())
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

/// Index (in `runs`, which is in configuration order) of the best finished
/// run of each algorithm, by the optimised metric.
fn best_per_algorithm(prep: &Prepared, runs: &[RunRecord]) -> Vec<usize> {
    let greater = metrics::greater_is_better(&prep.metric);
    let mut best: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        if r.status != RunStatus::Finished {
            continue;
        }
        let Some(v) = r.mean(&prep.metric).filter(|v| !v.is_nan()) else {
            continue;
        };
        let better = |old: f64| if greater { v > old } else { v < old };
        match best.get(r.algorithm.as_str()) {
            Some(&(_, old)) if !better(old) => {}
            _ => {
                best.insert(&r.algorithm, (i, v));
            }
        }
    }
    best.values().map(|&(i, _)| i).collect()
}

fn build_record(
    prep: &Prepared,
    ctx: &SearchContext,
    study_id: &str,
    run_id: &str,
    c: usize,
    st: &ConfigState,
) -> RunRecord {
    let cfg = &prep.configs[c];
    let done: Vec<&FoldResult> = st
        .jobs
        .iter()
        .filter_map(|j| match j {
            JobState::Done(r) => Some(r),
            _ => None,
        })
        .collect();
    let failure = st.jobs.iter().find_map(|j| match j {
        JobState::Failed(why) => Some(why.clone()),
        _ => None,
    });
    let skipped = st.jobs.iter().find_map(|j| match j {
        JobState::Skipped(why) => Some(why.clone()),
        _ => None,
    });
    let (status, reason) = match (failure, skipped) {
        (Some(why), _) => (RunStatus::Failed, Some(why)),
        (None, Some(why)) => (RunStatus::Cancelled, Some(why)),
        (None, None) => (RunStatus::Finished, None),
    };
    let mut metrics_map = BTreeMap::new();
    if let Some(first) = done.first() {
        for (name, _) in &first.scores {
            let folds: Vec<f64> = done.iter().map(|r| metric_of(&r.scores, name)).collect();
            metrics_map.insert((*name).to_owned(), MetricSummary::of(folds));
        }
    }
    let confusion =
        done.iter()
            .filter_map(|r| r.confusion.as_ref())
            .fold(None::<Vec<Vec<u64>>>, |acc, m| match acc {
                None => Some(m.clone()),
                Some(mut a) => {
                    for (ra, rm) in a.iter_mut().zip(m) {
                        for (x, y) in ra.iter_mut().zip(rm) {
                            *x += y;
                        }
                    }
                    Some(a)
                }
            });
    // Validation scores of every fold together: curves and the decision threshold.
    let (mut roc, mut pr, mut threshold) = (None, None, None);
    if let (TargetData::Classes { y, .. }, true) = (
        &prep.target_data,
        !done.is_empty() && done.iter().all(|r| r.p1.is_some()),
    ) {
        let mut truth = Vec::new();
        let mut score = Vec::new();
        for r in &done {
            truth.extend(r.valid_rows.iter().map(|&i| y[i] == 1));
            score.extend_from_slice(r.p1.as_deref().unwrap_or_default());
        }
        roc = Some(thin(metrics::roc_curve(&truth, &score)));
        pr = Some(thin(metrics::precision_recall_curve(&truth, &score)));
        if let Some(m) = &prep.threshold_metric
            && let Some((value, s)) = metrics::best_threshold(&truth, &score, m)
        {
            threshold = Some(Threshold {
                metric: m.clone(),
                value,
                score: s,
            });
        }
    }
    let residuals = match &prep.target_data {
        TargetData::Values(v) if !done.is_empty() && done.iter().all(|r| r.p1.is_some()) => {
            let mut predicted = Vec::new();
            let mut residual = Vec::new();
            for r in &done {
                for (&i, &p) in r.valid_rows.iter().zip(r.p1.as_deref().unwrap_or_default()) {
                    predicted.push(p);
                    residual.push(v[i] - p);
                }
            }
            Some(Residuals::thinned(predicted, residual, 400))
        }
        _ => None,
    };
    let n = done.len().max(1) as f64;
    RunRecord {
        format_version: RUN_FORMAT_VERSION,
        run_id: run_id.to_owned(),
        study_id: study_id.to_owned(),
        algorithm: cfg.algorithm.id.to_owned(),
        engine: cfg.algorithm.engine.to_owned(),
        engine_version: engine_version(cfg.algorithm.engine, &ctx.lineage),
        task: prep.task,
        target: prep.target.clone(),
        classes: prep.target_data.classes().to_vec(),
        params: cfg.params.clone(),
        status,
        reason,
        metric: prep.metric.clone(),
        metrics: metrics_map,
        holdout_metrics: None,
        confusion_matrix: confusion,
        threshold,
        roc,
        pr,
        residuals,
        importance: Vec::new(),
        timing: Timing {
            fit_s: done.iter().map(|r| r.fit_s).sum::<f64>() / n,
            predict_s: done.iter().map(|r| r.predict_s).sum::<f64>() / n,
            total_s: done.iter().map(|r| r.fit_s + r.predict_s).sum(),
        },
        has_model: false,
        model_sha256: None,
        model_bytes: None,
        started: st.started.clone().unwrap_or_else(now_rfc3339),
        finished: now_rfc3339(),
        spec: prep.spec.clone(),
        lineage: Lineage {
            seed: prep.spec.validation.seed,
            ..ctx.lineage.clone()
        },
    }
}

fn engine_version(engine: &str, lineage: &Lineage) -> String {
    let krate = if engine.starts_with("linfa") {
        "linfa"
    } else {
        engine
    };
    lineage.engines.get(krate).cloned().unwrap_or_default()
}

/// At most ~200 points of a curve (first and last kept), with finite thresholds for JSON.
fn thin(c: Curve) -> Curve {
    let n = c.x.len();
    let step = n.div_ceil(200).max(1);
    let keep: Vec<usize> = (0..n).filter(|i| i % step == 0 || *i + 1 == n).collect();
    let pick = |v: &[f64]| -> Vec<f64> { keep.iter().filter_map(|&i| v.get(i).copied()).collect() };
    let thresholds = keep
        .iter()
        .filter_map(|&i| c.thresholds.get(i).copied())
        .map(|t| if t.is_finite() { t } else { f64::MAX })
        .collect();
    Curve {
        x: pick(&c.x),
        y: pick(&c.y),
        thresholds,
    }
}

/// Refit configuration `c` on all training rows; score it on the hold-out;
/// compute permutation importance; store the model.
fn refit(prep: &Prepared, ctx: &SearchContext, run: &RunRecord, c: usize) -> Result<RunRecord> {
    let cfg = &prep.configs[c];
    let threshold = run.threshold.as_ref().map(|t| t.value);
    let (bytes, holdout, importance) = fit_final(prep, cfg, threshold)?;
    let mut rec = run.clone();
    rec.holdout_metrics = holdout;
    rec.importance = importance;
    rec.has_model = true;
    rec.model_sha256 = Some(hex::encode(Sha256::digest(&bytes)));
    rec.model_bytes = Some(bytes.len() as u64);
    if let Some(store) = &ctx.store {
        store.update_run(&rec, Some(&bytes))?;
    }
    Ok(rec)
}

/// The deterministic final fit of a configuration: the model file's bytes,
/// hold-out metrics and permutation importances.
#[allow(clippy::type_complexity)]
pub fn fit_final(
    prep: &Prepared,
    cfg: &Config,
    threshold: Option<f64>,
) -> Result<(Vec<u8>, Option<BTreeMap<String, f64>>, Vec<(String, f64)>)> {
    let raw: &RawTable = &prep.raw;
    let seed = refit_seed(prep.spec.validation.seed, cfg);
    let holdout = &prep.split.holdout;
    let (pipeline, model, result) = fit_eval(prep, raw, cfg, &prep.split.train, holdout, seed)?;
    let holdout_metrics = (!holdout.is_empty()).then(|| {
        result
            .scores
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(n, v)| ((*n).to_owned(), *v))
            .collect()
    });
    let importance = if holdout.is_empty() {
        Vec::new()
    } else {
        permutation_importance(prep, &pipeline, &model, holdout, seed)?
    };
    let file = FittedModel {
        format_version: 1,
        algorithm: cfg.algorithm.id.to_owned(),
        task: prep.task,
        target: prep.target.clone(),
        classes: prep.target_data.classes().to_vec(),
        pipeline,
        model,
        threshold,
    };
    let bytes = crate::train::model::canonical_json(&file)?;
    Ok((bytes, holdout_metrics, importance))
}

/// Drop of the optimised metric when one input column's values are shuffled
/// (mean of 3 shuffles, on at most 2,000 hold-out rows).
fn permutation_importance(
    prep: &Prepared,
    pipeline: &FittedPipeline,
    model: &Model,
    rows: &[usize],
    seed: u64,
) -> Result<Vec<(String, f64)>> {
    const MAX_ROWS: usize = 2000;
    const REPEATS: usize = 3;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x1A7E);
    let mut sample = rows.to_vec();
    if sample.len() > MAX_ROWS {
        sample.shuffle(&mut rng);
        sample.truncate(MAX_ROWS);
        sample.sort_unstable();
    }
    let small = prep.raw.subset(&sample);
    let local: Vec<usize> = (0..sample.len()).collect();
    let k = prep.target_data.n_classes();
    let eval = |table: &RawTable| -> Result<f64> {
        let x = pipeline.transform(table, &local)?;
        let pred = model.predict(&x, k)?;
        Ok(metric_of(&score(prep, &pred, &sample).scores, &prep.metric))
    };
    let base = eval(&small)?;
    let sign = if metrics::greater_is_better(&prep.metric) {
        1.0
    } else {
        -1.0
    };
    let mut out = Vec::with_capacity(small.features.len());
    for (j, f) in small.features.iter().enumerate() {
        let mut total = 0.0;
        for _ in 0..REPEATS {
            let mut order = local.clone();
            order.shuffle(&mut rng);
            total += base - eval(&small.with_permuted(j, &local, &order))?;
        }
        let v = sign * total / REPEATS as f64;
        out.push((f.name.clone(), if v.is_finite() { v } else { 0.0 }));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(out)
}
