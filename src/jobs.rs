//! Long-running work: progress reporting and cancellation.
//!
//! A job (load, profile, later train, drift, export) reports through a
//! push-style [`Progress`] sink and polls a [`CancelToken`]. Front-ends
//! decide what progress looks like: the CLI draws a bar on stderr when it is
//! a terminal, the TUI turns updates into events on its channel. Updates are
//! throttled to about ten a second so a fast loop cannot flood a front-end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Shared flag that asks a job to stop at its next check.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The shared flag, for a signal handler to set.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }

    /// `Err(Cancelled)` once cancelled: call it between units of work.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::cancelled())
        } else {
            Ok(())
        }
    }
}

/// One progress report: which stage, and how far (0.0–1.0) when known.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUpdate {
    pub stage: String,
    pub fraction: Option<f64>,
}

/// Receives progress reports. Implementations must be cheap: jobs call
/// [`Progress::update`] often and rely on the sink to throttle.
pub trait Progress: Send + Sync {
    fn update(&self, update: JobUpdate);
}

/// A sink that ignores progress, for tests and quiet runs.
pub struct NoProgress;

impl Progress for NoProgress {
    fn update(&self, _update: JobUpdate) {}
}

/// Wraps a sink and passes on at most one update per interval, plus every
/// change of stage and the final 100 %.
pub struct Throttled<P> {
    inner: P,
    interval: Duration,
    last: std::sync::Mutex<(Option<Instant>, String)>,
}

impl<P: Progress> Throttled<P> {
    pub fn new(inner: P) -> Self {
        Self {
            inner,
            interval: Duration::from_millis(100),
            last: std::sync::Mutex::new((None, String::new())),
        }
    }
}

impl<P: Progress> Progress for Throttled<P> {
    fn update(&self, update: JobUpdate) {
        let now = Instant::now();
        let pass = {
            let Ok(mut last) = self.last.lock() else {
                return;
            };
            let due = last
                .0
                .is_none_or(|t| now.duration_since(t) >= self.interval);
            let new_stage = last.1 != update.stage;
            let done = update.fraction.is_some_and(|f| f >= 1.0);
            if due || new_stage || done {
                *last = (Some(now), update.stage.clone());
                true
            } else {
                false
            }
        };
        if pass {
            self.inner.update(update);
        }
    }
}

/// A sink that sends updates down a channel (the TUI's event loop).
pub struct ChannelProgress<T: Send> {
    tx: std::sync::Mutex<Sender<T>>,
    wrap: Box<dyn Fn(JobUpdate) -> T + Send + Sync>,
}

impl<T: Send> ChannelProgress<T> {
    pub fn new(tx: Sender<T>, wrap: impl Fn(JobUpdate) -> T + Send + Sync + 'static) -> Self {
        Self {
            tx: std::sync::Mutex::new(tx),
            wrap: Box::new(wrap),
        }
    }
}

impl<T: Send> Progress for ChannelProgress<T> {
    fn update(&self, update: JobUpdate) {
        if let Ok(tx) = self.tx.lock() {
            // A closed channel means the front-end is gone; nothing to tell.
            let _ = tx.send((self.wrap)(update));
        }
    }
}

/// Helper for jobs: report `stage` at `done` of `total`.
pub fn report(progress: &dyn Progress, stage: &str, done: usize, total: usize) {
    let fraction = if total == 0 {
        None
    } else {
        Some(done as f64 / total as f64)
    };
    progress.update(JobUpdate {
        stage: stage.to_owned(),
        fraction,
    });
}

/// The first line of a panic's message.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown failure".to_owned());
    text.lines().next().unwrap_or_default().to_owned()
}

/// Run `work` on a new thread; its result is handed to `done` on that thread.
/// A panic inside the work becomes an internal error instead of killing the app.
pub fn run_in_background<T, W, D>(name: &str, work: W, done: D) -> std::io::Result<()>
where
    T: Send + 'static,
    W: FnOnce() -> Result<T> + Send + 'static,
    D: FnOnce(Result<T>) + Send + 'static,
{
    std::thread::Builder::new()
        .name(format!("lathe-{name}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_owned());
                    Err(Error::internal(format!(
                        "the job failed unexpectedly: {what}"
                    )))
                });
            done(result);
        })
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Collect(Mutex<Vec<JobUpdate>>);
    impl Progress for &Collect {
        fn update(&self, u: JobUpdate) {
            self.0.lock().unwrap().push(u);
        }
    }

    #[test]
    fn throttle_keeps_stage_changes_and_completion() {
        let c = Collect(Mutex::new(Vec::new()));
        let t = Throttled::new(&c);
        for i in 0..=1000 {
            report(&t, "reading", i, 1000);
        }
        report(&t, "profiling", 0, 10);
        let got = c.0.lock().unwrap();
        assert!(
            got.len() < 10,
            "throttled to a few updates, got {}",
            got.len()
        );
        assert_eq!(got[0].fraction, Some(0.0));
        assert!(got.iter().any(|u| u.fraction == Some(1.0)));
        assert_eq!(got.last().unwrap().stage, "profiling");
    }

    #[test]
    fn cancel_token_is_shared() {
        let a = CancelToken::new();
        let b = a.clone();
        assert!(a.check().is_ok());
        b.cancel();
        assert_eq!(
            a.check().unwrap_err().kind,
            crate::error::ErrorKind::Cancelled
        );
    }
}
