//! The Experiments screen's explanation of one run (SHAP values, computed by
//! `crate::experiments::explain` off the UI thread): the global view — mean
//! |SHAP| per column beside the run's permutation importance, and a
//! beeswarm of the sampled rows' values coloured by the feature's value —
//! and the row view, one row's waterfall. Tab switches them.
//!
//! Each job has its own channel and a cancel token that its handle's drop
//! sets (like the Drift screen's jobs): closing the view, leaving the
//! screen, or asking for another row drops the job and its late messages.
//! Drawing is `explain_render.rs`.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use crossterm::event::KeyEvent;

use crate::error::{Error, ErrorKind, Result};
use crate::experiments::Store;
use crate::experiments::explain::{Global, RunData, Waterfall};
use crate::jobs::{CancelToken, run_in_background};
use crate::project::Project;
use crate::tui::event::Event;
use crate::tui::keymap::Action;
use crate::tui::text::Typed;

/// Which half of the view is on show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Global,
    Row,
}

/// What a job tells the view.
enum Msg {
    Stage(String),
    Loaded(Result<Arc<RunData>>),
    Global(Result<Global>),
    Row(Result<Waterfall>),
}

/// A running job; dropping it cancels the work and closes its channel.
pub struct Job {
    rx: Receiver<Msg>,
    cancel: CancelToken,
    pub stage: String,
    pub started: Instant,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn spawn(
    name: &str,
    stage: &str,
    wake: Option<Sender<Event>>,
    work: impl FnOnce(&dyn Fn(Msg), &CancelToken) -> Result<()> + Send + 'static,
) -> Result<Job> {
    let (tx, rx) = channel();
    let cancel = CancelToken::new();
    let job = Job {
        rx,
        cancel: cancel.clone(),
        stage: stage.to_owned(),
        started: Instant::now(),
    };
    let send = move |m: Msg| {
        // A closed channel means the view dropped the job: nothing to tell.
        if tx.send(m).is_ok()
            && let Some(w) = &wake
        {
            let _ = w.send(Event::Tick);
        }
    };
    let done = send.clone();
    run_in_background(
        name,
        move || work(&send, &cancel),
        move |r: Result<()>| {
            if let Err(e) = r {
                done(Msg::Loaded(Err(e)));
            }
        },
    )
    .map_err(|e| Error::internal(format!("cannot start the explanation: {e}")))?;
    Ok(job)
}

/// One run explained.
pub struct ExplainView {
    pub run_id: String,
    pub algorithm: String,
    /// The run's permutation importance, per column.
    pub importance: Vec<(String, f64)>,
    pub pane: Pane,
    pub data: Option<Arc<RunData>>,
    pub global: Option<Global>,
    /// The data row of the row view (0-based).
    pub row: usize,
    pub waterfall: Option<Waterfall>,
    /// A row number being typed.
    pub input: Option<String>,
    /// First line shown of the pane's list.
    pub scroll: usize,
    /// Lines of the list at the last draw, for paging.
    pub page: Cell<usize>,
    pub load: Option<Job>,
    pub row_job: Option<Job>,
    wake: Option<Sender<Event>>,
}

impl ExplainView {
    /// Start loading run `run_id` and computing its global view.
    pub fn open(
        project: &Project,
        store: &Store,
        run_id: &str,
        algorithm: &str,
        wake: Option<Sender<Event>>,
    ) -> Result<Self> {
        let importance = store.read_run(run_id)?.importance;
        let (p, s, id) = (project.clone(), store.clone(), run_id.to_owned());
        let load = spawn(
            "explain",
            "reading the model and its data",
            wake.clone(),
            move |send, cancel| {
                let data = Arc::new(RunData::load(&p, &s, &id)?);
                cancel.check()?;
                send(Msg::Loaded(Ok(data.clone())));
                send(Msg::Stage(format!(
                    "explaining {} of {} rows",
                    data.raw.rows.min(crate::train::explain::GLOBAL_ROWS),
                    data.raw.rows
                )));
                send(Msg::Global(data.global(cancel)));
                Ok(())
            },
        )?;
        Ok(Self {
            run_id: run_id.to_owned(),
            algorithm: algorithm.to_owned(),
            importance,
            pane: Pane::Global,
            data: None,
            global: None,
            row: 0,
            waterfall: None,
            input: None,
            scroll: 0,
            page: Cell::new(10),
            load: Some(load),
            row_job: None,
            wake,
        })
    }

    pub fn busy(&self) -> bool {
        self.load.is_some() || self.row_job.is_some()
    }

    /// The stage of what runs, and for how long.
    pub fn job_state(&self) -> Option<(&str, f64)> {
        self.load
            .as_ref()
            .or(self.row_job.as_ref())
            .map(|j| (j.stage.as_str(), j.started.elapsed().as_secs_f64()))
    }

    /// Rows of the data (once read).
    pub fn rows(&self) -> usize {
        self.data.as_ref().map_or(0, |d| d.raw.rows)
    }

    /// Explain the current row in the background (dropping a running row job).
    fn explain_row(&mut self) -> Result<()> {
        let Some(data) = self.data.clone() else {
            return Ok(());
        };
        if self.waterfall.as_ref().is_some_and(|w| w.row == self.row) {
            self.row_job = None;
            return Ok(());
        }
        let row = self.row;
        self.row_job = None;
        self.row_job = Some(spawn(
            "explain-row",
            &format!("explaining row {}", row + 1),
            self.wake.clone(),
            move |send, _| {
                send(Msg::Row(data.waterfall(row)));
                Ok(())
            },
        )?);
        Ok(())
    }

    /// Apply the jobs' messages; an error for a dialog, and whether the view
    /// can stay (a run that cannot be read closes it).
    pub fn poll(&mut self) -> (Option<Error>, bool) {
        let mut msgs = Vec::new();
        for job in [&mut self.load, &mut self.row_job].into_iter().flatten() {
            for m in job.rx.try_iter() {
                match m {
                    Msg::Stage(s) => job.stage = s,
                    other => msgs.push(other),
                }
            }
        }
        let mut shown = None;
        for m in msgs {
            match m {
                Msg::Stage(_) => {}
                Msg::Loaded(Ok(d)) => {
                    self.data = Some(d);
                    if self.pane == Pane::Row
                        && let Err(e) = self.explain_row()
                    {
                        shown = Some(e);
                    }
                }
                Msg::Loaded(Err(e)) | Msg::Global(Err(e)) => {
                    self.load = None;
                    if e.kind == ErrorKind::Cancelled {
                        continue;
                    }
                    if self.data.is_none() {
                        return (Some(e), false);
                    }
                    shown = Some(e);
                }
                Msg::Global(Ok(g)) => {
                    self.load = None;
                    self.global = Some(g);
                }
                Msg::Row(r) => {
                    self.row_job = None;
                    match r {
                        Ok(w) => self.waterfall = Some(w),
                        Err(e) => shown = Some(e),
                    }
                }
            }
        }
        (shown, true)
    }

    pub fn typing(&self) -> bool {
        self.input.is_some()
    }

    /// A key while the row number is typed.
    pub fn type_key(&mut self, key: KeyEvent) -> Result<()> {
        let Some(text) = &mut self.input else {
            return Ok(());
        };
        match crate::tui::text::edit(text, &key) {
            Typed::Cancel => self.input = None,
            Typed::Editing => {}
            Typed::Submit => {
                let text = text.trim().to_owned();
                self.input = None;
                let n: usize = text.parse().map_err(|_| {
                    Error::usage(format!("'{text}' is not a row number"))
                        .hint("type a number from 1 to the data's row count")
                })?;
                let rows = self.rows();
                if n == 0 || (rows > 0 && n > rows) {
                    return Err(Error::usage(format!(
                        "row {n} is not in the data: it has rows 1 to {rows}"
                    )));
                }
                self.row = n - 1;
                self.pane = Pane::Row;
                return self.explain_row();
            }
        }
        Ok(())
    }

    /// An action; `false` closes the view.
    pub fn action(&mut self, a: Action) -> Result<bool> {
        let page = self.page.get().max(1);
        let last = self.rows().saturating_sub(1);
        match (a, self.pane) {
            (Action::Close | Action::Explain, _) => return Ok(false),
            (Action::Cancel, _) => {
                if self.load.is_some() {
                    return Ok(false);
                }
                self.row_job = None;
            }
            (Action::FocusNext | Action::FocusPrev, Pane::Global) => {
                self.pane = Pane::Row;
                self.scroll = 0;
                return self.explain_row().map(|()| true);
            }
            (Action::FocusNext | Action::FocusPrev, Pane::Row) => {
                self.pane = Pane::Global;
                self.scroll = 0;
            }
            (Action::Jump, _) => self.input = Some(String::new()),
            (Action::Up, Pane::Global) => self.scroll = self.scroll.saturating_sub(1),
            (Action::Down, Pane::Global) => self.scroll += 1,
            (Action::PageUp, _) => self.scroll = self.scroll.saturating_sub(page),
            (Action::PageDown, _) => self.scroll += page,
            (Action::Top, Pane::Global) => self.scroll = 0,
            (Action::Up | Action::Down | Action::Top | Action::Bottom, Pane::Row) => {
                self.row = match a {
                    Action::Up => self.row.saturating_sub(1),
                    Action::Down => (self.row + 1).min(last),
                    Action::Top => 0,
                    _ => last,
                };
                self.scroll = 0;
                return self.explain_row().map(|()| true);
            }
            _ => {}
        }
        let lines = match self.pane {
            Pane::Global => self.global.as_ref().map_or(0, |g| g.columns.len()),
            Pane::Row => self.waterfall.as_ref().map_or(0, |w| w.steps.len()),
        };
        self.scroll = self.scroll.min(lines.saturating_sub(1));
        Ok(true)
    }
}
