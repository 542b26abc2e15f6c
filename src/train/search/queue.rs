//! The job queue the worker threads share: every (configuration, fold) job longest first, taken
//! one at a time; a job is run or skipped (cancelled, time budget, a failed sibling fold), and
//! the last fold of a configuration turns its results into a stored run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::fold::{ConfigState, JobState, fit_eval, job_seed, metric_of};
use super::summary::build_record;
use super::{SearchContext, SearchEvent, SearchObserver};
use crate::error::{Error, Result};
use crate::jobs::{CancelToken, panic_message};
use crate::train::record::{RunRecord, now_rfc3339};
use crate::train::spec::Prepared;

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

/// What every job of a search reads: the prepared search, where its runs go and who hears of
/// them, the cancel token, the study's and the runs' ids, and when the search started.
pub(super) struct Shared<'a> {
    pub(super) prep: &'a Prepared,
    pub(super) ctx: &'a SearchContext,
    pub(super) observer: &'a dyn SearchObserver,
    pub(super) cancel: &'a CancelToken,
    pub(super) study_id: &'a str,
    pub(super) run_ids: &'a [String],
    pub(super) wall: Instant,
}

/// The jobs of a search and what the worker threads share while they run them: the queue
/// (taken in [`job_order`]), each configuration's fold states, the finished runs' records,
/// the jobs' summed time and the first error the store gave.
pub(super) struct JobQueue<'a> {
    shared: Shared<'a>,
    order: Vec<(usize, usize, f64)>,
    next: AtomicUsize,
    states: Vec<Mutex<ConfigState>>,
    records: Mutex<Vec<Option<RunRecord>>>,
    jobs_s: Mutex<f64>,
    store_error: Mutex<Option<Error>>,
}

impl<'a> JobQueue<'a> {
    pub(super) fn new(shared: Shared<'a>) -> Self {
        let prep = shared.prep;
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
            shared,
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
    pub(super) fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::SeqCst);
            let Some(&(c, f, _)) = self.order.get(i) else {
                break;
            };
            let (state, score, secs) = match self.skip_reason(c) {
                Some(reason) => (JobState::Skipped(reason.clone()), Err(reason), 0.0),
                None => self.run_job(c, f),
            };
            self.shared.observer.event(SearchEvent::JobFinished {
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
        if self.shared.cancel.is_cancelled() {
            Some("cancelled".to_owned())
        } else if let Some(b) = self.shared.prep.spec.time_budget_s
            && self.shared.wall.elapsed().as_secs_f64() > b
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
        let prep = self.shared.prep;
        {
            let mut st = self.states[c].lock().unwrap_or_else(|p| p.into_inner());
            st.started.get_or_insert_with(now_rfc3339);
        }
        self.shared
            .observer
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
            self.shared.prep,
            self.shared.ctx,
            self.shared.study_id,
            &self.shared.run_ids[c],
            c,
            state,
        );
        if let Some(store) = &self.shared.ctx.store
            && let Err(e) = store.create_run(&record, None)
        {
            let mut slot = self.store_error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert(e);
        }
        self.shared.observer.event(SearchEvent::RunFinished {
            config: c,
            record: Box::new(record.clone()),
        });
        self.records.lock().unwrap_or_else(|p| p.into_inner())[c] = Some(record);
    }

    /// After the last job: the first store error, or the runs in configuration order and the
    /// jobs' summed seconds.
    pub(super) fn finish(self) -> Result<(Vec<RunRecord>, f64)> {
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
