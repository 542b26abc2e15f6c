//! The Train screen: a form (target, task, folds, seed, jobs, algorithms
//! with their grids) over the table open on the Data screen; start runs
//! `prepare()` and the search in the background and shows each
//! configuration's folds, the overall progress with an ETA, and a
//! leaderboard that fills in as folds finish. Runs go to the project's
//! store like `lathe train`'s.
//!
//! The screen never waits for the job: state changes only when the UI
//! thread drains the job's messages (`poll`). The form is `train/form.rs`,
//! the study `train/board.rs`, the job `train/jobs.rs`; drawing is in
//! `train/render.rs` (layout, form) and `train/results.rs` (jobs, leaderboard).

mod board;
mod form;
mod jobs;
mod render;
mod results;

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use polars::prelude::DataFrame;

pub use board::{ConfigRow, FoldState, Phase, Plan, Study};
pub use form::{AlgoRow, Field, Form};

use super::data::DataScreen;
use crate::error::{Error, ErrorKind};
use crate::project::Project;
use crate::train::store::Store;
use crate::tui::event::Event;
use crate::tui::keymap::Action;

/// Which part of the screen takes the arrow keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Form,
    Board,
}

/// What the app must do after an action of this screen.
#[derive(Debug)]
pub enum Reply {
    Nothing,
    /// Show this error in a dialog.
    Error(Error),
    /// Ask whether to stop the running search.
    AskStop,
    /// Ask whether to drop this many rows without a target, then train.
    AskDropNulls(usize),
    /// Ask whether to run a search of this many jobs (more than 10,000).
    AskLargeSearch(usize),
}

/// The table the form is filled from: the Data screen's loaded file.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub path: PathBuf,
    pub shown: String,
    pub complete: bool,
    pub shape: (usize, usize),
}

pub struct TrainScreen {
    tx: Sender<Event>,
    pub form: Form,
    pub source: Option<Source>,
    frame: Option<DataFrame>,
    pub study: Option<Study>,
    job: Option<jobs::Handle>,
    /// A stop was asked for; the running fits are finishing.
    pub stopping: bool,
    pub focus: Pane,
    /// Selected leaderboard row.
    pub board_row: usize,
    pub status: String,
    project: Option<Project>,
    /// Where the runs go, as shown.
    runs_shown: String,
}

impl TrainScreen {
    pub fn new(tx: Sender<Event>) -> Self {
        Self {
            tx,
            form: Form::default(),
            source: None,
            frame: None,
            study: None,
            job: None,
            stopping: false,
            focus: Pane::Form,
            board_row: 0,
            status: String::new(),
            project: None,
            runs_shown: String::new(),
        }
    }

    pub fn set_project(&mut self, project: &Project) {
        self.project = Some(project.clone());
    }

    /// A search (or its preparation) is running.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    pub fn typing(&self) -> bool {
        self.form.input.is_some()
    }

    /// Follow the file open on the Data screen. Cheap when nothing changed.
    pub fn sync(&mut self, data: &DataScreen) {
        let Some(l) = &data.loaded else {
            self.source = None;
            self.frame = None;
            return;
        };
        let now = Source {
            path: l.path.clone(),
            shown: data.shown_path.clone(),
            complete: l.complete,
            shape: l.frame.shape(),
        };
        if self.source.as_ref() == Some(&now) {
            return;
        }
        self.form.set_frame(&l.frame);
        self.frame = Some(l.frame.clone());
        self.source = Some(now);
    }

    /// Start training with the form's request on the Data screen's table.
    /// Rows without a target and very large searches are asked about first;
    /// `drop_nulls` and `large` are the user's yes to those questions.
    pub fn start(&mut self, drop_nulls: bool, large: bool) -> Reply {
        match self.try_start(drop_nulls, large) {
            Ok(reply) => reply,
            Err(e) => Reply::Error(e),
        }
    }

    fn try_start(&mut self, drop_nulls: bool, large: bool) -> Result<Reply, Error> {
        if self.busy() {
            self.status = "a search is running: cancel it first, or wait for it to end".into();
            return Ok(Reply::Nothing);
        }
        let (Some(src), Some(frame)) = (&self.source, &self.frame) else {
            return Err(Error::usage("no data to train on")
                .hint("open a file on the Data screen (or with the file picker) first"));
        };
        if !src.complete {
            self.status = "wait for the whole file to load before training".into();
            return Ok(Reply::Nothing);
        }
        let project = self.project.as_ref().ok_or_else(|| {
            Error::usage("training stores its runs in a project, and there is none open")
                .hint("make one in this folder, or open one with the file picker")
        })?;
        let mut spec = self.form.spec(&src.path)?;
        let nulls = spec
            .target
            .as_deref()
            .and_then(|t| frame.column(t).ok())
            .map_or(0, |c| c.null_count());
        if nulls > 0 && !drop_nulls {
            return Ok(Reply::AskDropNulls(nulls));
        }
        spec.drop_null_target = drop_nulls;
        let jobs = self.form.configs() * self.form.folds;
        if jobs > crate::train::spec::LARGE_SEARCH_JOBS && !large {
            return Ok(Reply::AskLargeSearch(jobs));
        }
        spec.confirm_large = large;
        let store = Store::open(project);
        self.runs_shown = store
            .runs_dir
            .strip_prefix(&project.root)
            .unwrap_or(&store.runs_dir)
            .display()
            .to_string();
        let req = jobs::Request {
            spec,
            frame: frame.clone(),
            path: src.path.clone(),
            project_root: project.root.clone(),
            store,
        };
        let handle = jobs::spawn(req, self.tx.clone())
            .map_err(|e| Error::internal(format!("cannot start training: {e}")))?;
        self.job = Some(handle);
        self.stopping = false;
        self.status = "checking the request…".into();
        Ok(Reply::Nothing)
    }

    /// Stop the search (after the user confirmed): running fits finish,
    /// pending jobs are cancelled, finished runs are kept.
    pub fn stop(&mut self) {
        if let Some(j) = &self.job {
            j.cancel.cancel();
            self.stopping = true;
            self.status = "stopping: the running fits finish, the rest are cancelled".into();
        }
    }

    /// Apply the job's queued messages; an error to show in a dialog.
    pub fn poll(&mut self) -> Option<Error> {
        let msgs = self.job.as_ref()?.drain();
        let mut shown = None;
        for m in msgs {
            if let Some(e) = self.on_msg(m) {
                shown = Some(e);
            }
        }
        shown
    }

    fn on_msg(&mut self, msg: jobs::TrainMsg) -> Option<Error> {
        match msg {
            jobs::TrainMsg::Prepared(plan) => {
                self.status = plan
                    .warnings
                    .first()
                    .map(|w| format!("warning: {w}"))
                    .unwrap_or_default();
                self.study = Some(Study::new(plan));
                self.board_row = 0;
            }
            jobs::TrainMsg::Search(e) => {
                if let Some(s) = &mut self.study {
                    s.apply(e);
                }
            }
            jobs::TrainMsg::Done(Ok(outcome)) => {
                self.job = None;
                if let Some(s) = &mut self.study {
                    s.finish(&outcome);
                    let (ok, failed, cancelled) = s.counts();
                    let n = outcome.runs.len();
                    let mut what = format!("{n} runs");
                    if failed > 0 {
                        what.push_str(&format!(" ({failed} failed)"));
                    }
                    self.status = if outcome.cancelled {
                        format!(
                            "study {} cancelled: {ok} of {n} runs finished, {cancelled} cancelled; stored in {}",
                            outcome.study.study_id, self.runs_shown
                        )
                    } else {
                        format!(
                            "study {}: {what} in {:.1} s, stored in {}",
                            outcome.study.study_id, outcome.elapsed_s, self.runs_shown
                        )
                    };
                }
            }
            jobs::TrainMsg::Done(Err(e)) => {
                self.job = None;
                // A study this job began ends here; an older one stays as it was.
                if let Some(s) = &mut self.study
                    && s.running()
                {
                    s.end(if e.kind == ErrorKind::Cancelled {
                        Phase::Cancelled
                    } else {
                        Phase::Failed
                    });
                }
                if e.kind == ErrorKind::Cancelled {
                    self.status = "cancelled before the search started; nothing stored".into();
                    return None;
                }
                self.status = format!("error: {}", e.message);
                return Some(e);
            }
        }
        None
    }

    pub fn action(&mut self, a: Action) -> Reply {
        match (self.focus, a) {
            (_, Action::Start) => return self.start(false, false),
            (_, Action::Close | Action::Cancel) if self.busy() && !self.stopping => {
                return Reply::AskStop;
            }
            (_, Action::Cancel) if !self.busy() => self.status = "no search is running".into(),
            (_, Action::FocusNext | Action::FocusPrev) => {
                self.focus = match self.focus {
                    Pane::Form if self.study.is_some() => Pane::Board,
                    _ => Pane::Form,
                }
            }
            (Pane::Form, Action::Up) => self.form.move_cursor(-1),
            (Pane::Form, Action::Down) => self.form.move_cursor(1),
            (Pane::Form, Action::PageUp) => self.form.move_cursor(-10),
            (Pane::Form, Action::PageDown) => self.form.move_cursor(10),
            (Pane::Form, Action::Top) => self.form.cursor = 0,
            (Pane::Form, Action::Bottom) => self.form.move_cursor(isize::MAX),
            (Pane::Form, Action::Left) => self.form.adjust(-1, self.frame.as_ref()),
            (Pane::Form, Action::Right) => self.form.adjust(1, self.frame.as_ref()),
            (Pane::Form, Action::Toggle) => self.form.toggle(),
            (Pane::Form, Action::Edit) if self.form.field() == Field::Task => {
                self.form.adjust(1, self.frame.as_ref())
            }
            (Pane::Form, Action::Edit) => self.form.begin_edit(),
            (Pane::Board, Action::Up) => self.board_row = self.board_row.saturating_sub(1),
            (Pane::Board, Action::Down) => self.board_row += 1,
            (Pane::Board, Action::Top) => self.board_row = 0,
            (Pane::Board, Action::Bottom) => self.board_row = usize::MAX,
            _ => {}
        }
        let rows = self.study.as_ref().map_or(0, |s| s.ranking().len());
        self.board_row = self.board_row.min(rows.saturating_sub(1));
        Reply::Nothing
    }

    /// A key while a text field has focus; a bad value comes back as an error.
    pub fn type_key(&mut self, key: KeyEvent) -> Option<Error> {
        let input = self.form.input.as_mut()?;
        match key.code {
            KeyCode::Esc => self.form.input = None,
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                input.text.push(c)
            }
            KeyCode::Enter => {
                if let Err(e) = self.form.commit(self.frame.as_ref()) {
                    return Some(e);
                }
            }
            _ => {}
        }
        None
    }
}
