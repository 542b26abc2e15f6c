//! The training job: `prepare()`, the lineage and the search on background
//! threads, reported to the UI thread.
//!
//! Messages go down the screen's own channel (one per job, so a finished or
//! abandoned job's late messages are dropped with its receiver); each one
//! wakes the event loop with an [`Event::Tick`], at most one outstanding at
//! a time. A ticker wakes it ten times a second while the job runs, so the
//! clock, the gauge and the ETA move even while every thread is in a fit.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use polars::prelude::DataFrame;

use super::board::Plan;
use crate::error::Result;
use crate::jobs::{CancelToken, run_in_background};
use crate::train::search::{self, SearchContext, SearchEvent, SearchObserver, SearchOutcome};
use crate::train::spec::{self, TrainSpec};
use crate::train::store::Store;
use crate::tui::event::Event;

/// How often the ticker wakes the UI while training (≥ 10 frames a second).
const FRAME: Duration = Duration::from_millis(100);

/// What the training job tells the screen.
pub enum TrainMsg {
    /// `prepare()` accepted the request.
    Prepared(Plan),
    Search(SearchEvent),
    /// The job ended: the outcome, or why it could not run.
    Done(Result<Box<SearchOutcome>>),
}

/// The sending side: the message channel plus the wake-up of the event loop.
#[derive(Clone)]
struct Outbox {
    tx: Sender<TrainMsg>,
    wake: Sender<Event>,
    /// A wake-up is queued and the UI has not drained the channel since.
    pending: Arc<AtomicBool>,
}

impl Outbox {
    fn send(&self, msg: TrainMsg) {
        // A closed channel means the screen dropped the job; nothing to tell.
        let _ = self.tx.send(msg);
        if !self.pending.swap(true, Ordering::SeqCst) {
            let _ = self.wake.send(Event::Tick);
        }
    }
}

impl SearchObserver for Outbox {
    fn event(&self, event: SearchEvent) {
        self.send(TrainMsg::Search(event));
    }
}

/// The UI thread's handle on a running job.
pub struct Handle {
    rx: Receiver<TrainMsg>,
    pending: Arc<AtomicBool>,
    running: Arc<AtomicBool>,
    pub cancel: CancelToken,
}

impl Handle {
    /// Every message queued so far.
    pub fn drain(&self) -> Vec<TrainMsg> {
        // Cleared before reading: a message sent after this wakes the loop again.
        self.pending.store(false, Ordering::SeqCst);
        self.rx.try_iter().collect()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Nobody listens any more: stop the work and the ticker.
        self.cancel.cancel();
        self.running.store(false, Ordering::SeqCst);
    }
}

/// Everything the job needs, owned.
pub struct Request {
    pub spec: TrainSpec,
    pub frame: DataFrame,
    pub path: PathBuf,
    pub project_root: PathBuf,
    pub store: Store,
}

/// Start training on background threads.
pub fn spawn(req: Request, wake: Sender<Event>) -> std::io::Result<Handle> {
    let (tx, rx) = channel();
    let outbox = Outbox {
        tx,
        wake: wake.clone(),
        pending: Arc::new(AtomicBool::new(false)),
    };
    let cancel = CancelToken::new();
    let running = Arc::new(AtomicBool::new(true));
    let handle = Handle {
        rx,
        pending: Arc::clone(&outbox.pending),
        running: Arc::clone(&running),
        cancel: cancel.clone(),
    };
    let ticking = Arc::clone(&running);
    std::thread::Builder::new()
        .name("lathe-train-ticker".into())
        .spawn(move || {
            while ticking.load(Ordering::SeqCst) {
                std::thread::sleep(FRAME);
                if wake.send(Event::Tick).is_err() {
                    return;
                }
            }
        })?;
    let done = outbox.clone();
    run_in_background(
        "train",
        move || work(req, &outbox, &cancel),
        move |r| {
            running.store(false, Ordering::SeqCst);
            done.send(TrainMsg::Done(r.map(Box::new)));
        },
    )?;
    Ok(handle)
}

fn work(req: Request, outbox: &Outbox, cancel: &CancelToken) -> Result<SearchOutcome> {
    let prep = spec::prepare(&req.spec, req.frame, &req.path)?;
    outbox.send(TrainMsg::Prepared(Plan::of(&prep)));
    cancel.check()?;
    let lineage = crate::train::lineage(&prep, Some(&req.project_root), cancel)?;
    let ctx = SearchContext {
        store: Some(req.store),
        lineage,
        refit: true,
    };
    search::run(&prep, &ctx, outbox, cancel)
}
