//! A study on screen: each configuration's folds as they run, and the
//! leaderboard they fill in. Fed by the search's events; knows nothing of
//! drawing.

use std::time::{Duration, Instant};

use crate::train::Task;
use crate::train::algorithms::{self, Params};
use crate::train::metrics::greater_is_better;
use crate::train::record::{RunRecord, RunStatus};
use crate::train::search::{SearchEvent, SearchOutcome};
use crate::train::spec::Prepared;

/// What the search is about to do, sent once `prepare()` accepted the form.
#[derive(Debug, Clone)]
pub struct Plan {
    pub task: Task,
    pub metric: String,
    pub folds: usize,
    /// Algorithm id and its non-default hyperparameters, per configuration.
    pub configs: Vec<(&'static str, String)>,
    pub threads: usize,
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn of(prep: &Prepared) -> Self {
        Self {
            task: prep.task,
            metric: prep.metric.clone(),
            folds: prep.split.folds.len(),
            configs: prep
                .configs
                .iter()
                .map(|c| {
                    (
                        c.algorithm.id,
                        params_text(c.algorithm.id, prep.task, &c.params),
                    )
                })
                .collect(),
            threads: prep.jobs,
            warnings: prep.warnings.clone(),
        }
    }
}

/// One fold of one configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum FoldState {
    Pending,
    Running,
    Done(f64),
    Failed(String),
    /// Never ran: cancelled, out of time, or another fold failed.
    Skipped(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refit {
    No,
    Running,
    Done,
}

#[derive(Debug, Clone)]
pub struct ConfigRow {
    pub algorithm: &'static str,
    pub params: String,
    pub folds: Vec<FoldState>,
    pub record: Option<Box<RunRecord>>,
    pub refit: Refit,
}

impl ConfigRow {
    /// Mean of the optimised metric: the run's, or over the folds done so far.
    pub fn score(&self, metric: &str) -> Option<f64> {
        if let Some(r) = &self.record {
            return r.mean(metric).filter(|v| !v.is_nan());
        }
        let done: Vec<f64> = self
            .folds
            .iter()
            .filter_map(|f| match f {
                FoldState::Done(v) if !v.is_nan() => Some(*v),
                _ => None,
            })
            .collect();
        (!done.is_empty()).then(|| done.iter().sum::<f64>() / done.len() as f64)
    }

    /// Why the run did not finish, once it is known.
    pub fn failure(&self) -> Option<String> {
        if let Some(r) = &self.record {
            return (r.status != RunStatus::Finished).then(|| match &r.reason {
                Some(why) => format!("{}: {why}", r.status.name()),
                None => r.status.name().to_owned(),
            });
        }
        self.folds.iter().find_map(|f| match f {
            FoldState::Failed(why) => Some(format!("failed: {why}")),
            _ => None,
        })
    }

    /// On the leaderboard: a fold is done, or the run is recorded.
    pub fn shown(&self) -> bool {
        self.record.is_some() || self.folds.iter().any(|f| !matches!(f, FoldState::Pending))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Refitting,
    Finished,
    Cancelled,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Study {
    pub id: Option<String>,
    pub plan: Plan,
    pub configs: Vec<ConfigRow>,
    pub total: usize,
    pub done: usize,
    pub failed: usize,
    pub started: Instant,
    pub ended: Option<Duration>,
    pub phase: Phase,
}

impl Study {
    pub fn new(plan: Plan) -> Self {
        let configs = plan
            .configs
            .iter()
            .map(|(a, p)| ConfigRow {
                algorithm: a,
                params: p.clone(),
                folds: vec![FoldState::Pending; plan.folds],
                record: None,
                refit: Refit::No,
            })
            .collect::<Vec<_>>();
        Self {
            id: None,
            total: configs.len() * plan.folds,
            configs,
            plan,
            done: 0,
            failed: 0,
            started: Instant::now(),
            ended: None,
            phase: Phase::Running,
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.phase, Phase::Running | Phase::Refitting)
    }

    pub fn elapsed(&self) -> Duration {
        self.ended.unwrap_or_else(|| self.started.elapsed())
    }

    /// Time left, from the pace so far.
    pub fn eta(&self) -> Option<Duration> {
        if self.done == 0 || self.done >= self.total {
            return None;
        }
        let per = self.elapsed().as_secs_f64() / self.done as f64;
        Some(Duration::from_secs_f64(
            per * (self.total - self.done) as f64,
        ))
    }

    pub fn apply(&mut self, event: SearchEvent) {
        match event {
            SearchEvent::Started { study_id, jobs, .. } => {
                self.id = Some(study_id);
                self.total = jobs;
            }
            SearchEvent::JobStarted { config, fold } => {
                if let Some(f) = self.fold(config, fold) {
                    *f = FoldState::Running;
                }
            }
            SearchEvent::JobFinished {
                config,
                fold,
                score,
                ..
            } => {
                self.done += 1;
                let Some(f) = self.fold(config, fold) else {
                    return;
                };
                // A job that never started was skipped, not failed.
                let ran = *f == FoldState::Running;
                *f = match score {
                    Ok(v) => FoldState::Done(v),
                    Err(why) if ran => FoldState::Failed(why),
                    Err(why) => FoldState::Skipped(why),
                };
                if matches!(f, FoldState::Failed(_)) {
                    self.failed += 1;
                }
            }
            SearchEvent::RunFinished { config, record } => {
                if let Some(c) = self.configs.get_mut(config) {
                    c.record = Some(record);
                }
            }
            SearchEvent::Refitting { config } => {
                self.phase = Phase::Refitting;
                if let Some(c) = self.configs.get_mut(config) {
                    c.refit = Refit::Running;
                }
            }
            SearchEvent::Refitted { config, record } => {
                if let Some(c) = self.configs.get_mut(config) {
                    c.record = Some(record);
                    c.refit = Refit::Done;
                }
            }
        }
    }

    fn fold(&mut self, config: usize, fold: usize) -> Option<&mut FoldState> {
        self.configs.get_mut(config)?.folds.get_mut(fold)
    }

    /// The search returned: its records are final (refit failures included).
    pub fn finish(&mut self, outcome: &SearchOutcome) {
        for run in &outcome.runs {
            if let Some(i) = outcome
                .study
                .run_ids
                .iter()
                .position(|id| *id == run.run_id)
                && let Some(c) = self.configs.get_mut(i)
            {
                c.record = Some(Box::new(run.clone()));
                if c.refit == Refit::Running {
                    c.refit = Refit::No;
                }
            }
        }
        self.id = Some(outcome.study.study_id.clone());
        self.end(if outcome.cancelled {
            Phase::Cancelled
        } else {
            Phase::Finished
        });
    }

    pub fn end(&mut self, phase: Phase) {
        self.phase = phase;
        self.ended.get_or_insert_with(|| self.started.elapsed());
        for c in &mut self.configs {
            for f in &mut c.folds {
                if matches!(f, FoldState::Pending | FoldState::Running) {
                    *f = FoldState::Skipped(phase_word(phase).to_owned());
                }
            }
        }
    }

    /// Rows of the leaderboard, best first by the optimised metric; runs
    /// without a score (failed, cancelled) last.
    pub fn ranking(&self) -> Vec<usize> {
        let metric = &self.plan.metric;
        let greater = greater_is_better(metric);
        let mut rows: Vec<usize> = (0..self.configs.len())
            .filter(|&i| self.configs[i].shown())
            .collect();
        let key = |i: &usize| {
            let c = &self.configs[*i];
            match c.score(metric) {
                Some(v) if c.failure().is_none() => {
                    if greater {
                        v
                    } else {
                        -v
                    }
                }
                _ => f64::NEG_INFINITY,
            }
        };
        rows.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.cmp(b)));
        rows
    }

    /// The best finished value of a leaderboard column (`"tt"`: fit time).
    pub fn best(&self, metric: &str) -> Option<f64> {
        let greater = metric != "tt" && greater_is_better(metric);
        self.configs
            .iter()
            .filter_map(|c| c.record.as_ref())
            .filter(|r| r.status == RunStatus::Finished)
            .filter_map(|r| column_value(r, metric))
            .filter(|v| !v.is_nan())
            .reduce(|a, b| if (b > a) == greater { b } else { a })
    }

    /// Runs by status: finished, failed, cancelled.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for r in self.configs.iter().filter_map(|c| c.record.as_ref()) {
            match r.status {
                RunStatus::Finished => n.0 += 1,
                RunStatus::Failed => n.1 += 1,
                RunStatus::Cancelled => n.2 += 1,
            }
        }
        n
    }
}

/// A leaderboard cell's number: a metric's mean, or `"tt"` the fit seconds.
pub fn column_value(r: &RunRecord, metric: &str) -> Option<f64> {
    if metric == "tt" {
        Some(r.timing.fit_s)
    } else {
        r.mean(metric)
    }
}

fn phase_word(p: Phase) -> &'static str {
    match p {
        Phase::Failed => "the search failed",
        _ => "cancelled",
    }
}

/// PyCaret-style columns (as `lathe train` prints them), plus the optimised
/// metric when it is not one of them.
pub fn columns(task: Task, metric: &str) -> Vec<(String, &'static str)> {
    let fixed = crate::train::leaderboard_columns(task);
    let mut out: Vec<(String, &'static str)> =
        fixed.iter().map(|(h, m)| ((*h).to_owned(), *m)).collect();
    let known = crate::train::metrics::CLASSIFICATION_METRICS
        .iter()
        .chain(crate::train::metrics::REGRESSION_METRICS)
        .find(|m| **m == metric)
        .copied();
    if let Some(m) = known
        && !out.iter().any(|(_, k)| *k == m)
    {
        out.push((truncate_header(m), m));
    }
    out.push(("TT".to_owned(), "tt"));
    out
}

fn truncate_header(m: &str) -> String {
    m.chars().take(8).collect()
}

/// Hyperparameters that differ from the algorithm's defaults, as `k=v`.
pub fn params_text(id: &str, task: Task, params: &Params) -> String {
    algorithms::params_text(id, task, params)
}
