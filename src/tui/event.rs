//! The event channel: terminal input, ticks, job results and quit requests,
//! all on one std mpsc channel read by the UI thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;

use polars::prelude::DataFrame;

use crate::data::{CheckResult, Loaded, Profile};
use crate::error::{Error, Result};
use crate::jobs::JobUpdate;

/// Everything the UI thread reacts to.
pub enum Event {
    Tick,
    Terminal(crossterm::event::Event),
    Job(u64, JobMsg),
    /// SIGTERM or SIGHUP: leave cleanly.
    Quit,
}

/// What a background job reports; `u64` in [`Event::Job`] is the job's id,
/// so results of a cancelled or superseded job are recognised and dropped.
pub enum JobMsg {
    Progress(JobUpdate),
    Preview(Result<Loaded>),
    Loaded(Result<Loaded>),
    Profiled(Result<(Profile, Option<Result<Vec<CheckResult>>>)>),
    Sorted(Result<DataFrame>),
    Found(Result<Option<usize>>),
}

/// Turn SIGTERM and SIGHUP into [`Event::Quit`] on their own thread, so the
/// app leaves cleanly even when the input thread is stuck on a dead terminal.
/// The returned flag is also set, for the input thread to stop.
pub fn watch_signals(tx: Sender<Event>) -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])
    .map_err(|e| Error::internal(format!("cannot watch signals: {e}")))?;
    let seen = Arc::clone(&flag);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                seen.store(true, Ordering::Relaxed);
                let _ = tx.send(Event::Quit);
            }
        })
        .map_err(|e| Error::internal(format!("cannot watch signals: {e}")))?;
    Ok(flag)
}

/// Read terminal input on its own thread; tick four times a second.
pub fn spawn_input(tx: Sender<Event>, quit: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            loop {
                if quit.load(Ordering::Relaxed) {
                    let _ = tx.send(Event::Quit);
                    return;
                }
                let event = match crossterm::event::poll(Duration::from_millis(250)) {
                    Ok(true) => match crossterm::event::read() {
                        Ok(e) => Event::Terminal(e),
                        Err(_) => Event::Quit,
                    },
                    Ok(false) => Event::Tick,
                    // The terminal is gone (e.g. the SSH connection dropped).
                    Err(_) => Event::Quit,
                };
                let quit_now = matches!(event, Event::Quit);
                if tx.send(event).is_err() || quit_now {
                    return;
                }
            }
        });
}
