//! The Data screen: load a file in the background (first rows at once, then
//! the whole file), browse it in a virtual-scrolling table, sort, search and
//! jump, and read each column's profile and the schema's verdicts.
//!
//! State and updates live here; drawing is in `data/render.rs`.

mod input;
mod jobs;
mod render;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

use polars::prelude::DataFrame;

use crate::data::schema::SchemaSpec;
use crate::data::{CheckResult, LoadOptions, Loaded, LogicalType, Profile};
use crate::error::Error;
use crate::jobs::{CancelToken, run_in_background};
use crate::project::Project;
use crate::tui::event::{Event, JobMsg};
use crate::tui::keymap::Action;

/// Rows read for the first screen, before the whole file is in.
pub const PREVIEW_ROWS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Table,
    Columns,
    Checks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Search,
    Jump,
    /// A type for the selected column.
    Type,
}

/// A file being opened, shown once its first rows arrive.
struct Pending {
    path: PathBuf,
    shown: String,
    options: LoadOptions,
    schema: SchemaSpec,
}

/// A running background job.
pub struct Job {
    pub id: u64,
    pub stage: String,
    pub fraction: Option<f64>,
    pub cancel: CancelToken,
    pub started: std::time::Instant,
    /// A load-and-profile job; sorting and searching wait for it.
    pub load: bool,
}

pub struct DataScreen {
    tx: Sender<Event>,
    pub path: Option<PathBuf>,
    pending: Option<Pending>,
    /// The path as shown: relative to the project folder when inside it.
    pub shown_path: String,
    options: LoadOptions,
    schema: SchemaSpec,
    pub loaded: Option<Loaded>,
    /// The frame as sorted by the user; `None` shows file order.
    pub sorted: Option<DataFrame>,
    pub sort: Option<(usize, bool)>,
    sort_pending: Option<(usize, bool)>,
    pub profile: Option<Profile>,
    pub checks: Option<Vec<CheckResult>>,
    pub job: Option<Job>,
    next_id: u64,
    pub row: usize,
    pub row_offset: Cell<usize>,
    pub col: usize,
    pub check: usize,
    pub focus: Pane,
    pub input: Option<(InputKind, String)>,
    pub search: Option<String>,
    pub status: String,
    /// Rows visible in the table at the last draw, for paging.
    pub page: Cell<usize>,
    /// Sources of the project, shown when nothing is open yet.
    pub sources: Vec<(String, PathBuf)>,
    project: Option<Project>,
    /// Type overrides the user set in this session, per file.
    overrides: BTreeMap<PathBuf, BTreeMap<String, LogicalType>>,
    /// The override being tried; dropped again if the reload fails.
    trying: Option<(PathBuf, String)>,
    /// Row and column to return to when the pending file is the same one reloaded.
    keep: Option<(usize, usize)>,
}

impl DataScreen {
    pub fn new(tx: Sender<Event>) -> Self {
        Self {
            tx,
            path: None,
            pending: None,
            shown_path: String::new(),
            options: LoadOptions::default(),
            schema: SchemaSpec::default(),
            loaded: None,
            sorted: None,
            sort: None,
            sort_pending: None,
            profile: None,
            checks: None,
            job: None,
            next_id: 0,
            row: 0,
            row_offset: Cell::new(0),
            col: 0,
            check: 0,
            focus: Pane::Table,
            input: None,
            search: None,
            status: String::new(),
            page: Cell::new(20),
            sources: Vec::new(),
            project: None,
            overrides: BTreeMap::new(),
            trying: None,
            keep: None,
        }
    }

    /// Show the project's sources; open the first one.
    pub fn set_project(&mut self, project: &Project) {
        self.use_project(project);
        if let Some((_, path)) = self.sources.first().cloned() {
            self.open(path, Some(project));
        }
    }

    /// Work in `project` from now on, without reopening anything.
    pub fn use_project(&mut self, project: &Project) {
        self.project = Some(project.clone());
        self.sources = project
            .file
            .sources
            .iter()
            .map(|s| (s.name.clone(), project.resolve(&s.path)))
            .collect();
    }

    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    pub fn typing(&self) -> bool {
        self.input.is_some()
    }

    /// The frame being shown: sorted view or file order.
    pub fn frame(&self) -> Option<&DataFrame> {
        self.sorted
            .as_ref()
            .or(self.loaded.as_ref().map(|l| &l.frame))
    }

    /// True while a file is being loaded or profiled.
    pub fn loading(&self) -> bool {
        self.job.as_ref().is_some_and(|j| j.load)
    }

    fn start_job(&mut self, stage: &str, load: bool) -> (u64, CancelToken) {
        if let Some(j) = &self.job {
            j.cancel.cancel();
        }
        self.next_id += 1;
        let cancel = CancelToken::new();
        self.job = Some(Job {
            id: self.next_id,
            stage: stage.to_owned(),
            fraction: None,
            cancel: cancel.clone(),
            started: std::time::Instant::now(),
            load,
        });
        (self.next_id, cancel)
    }

    fn send(tx: &Sender<Event>, id: u64, msg: JobMsg) {
        let _ = tx.send(Event::Job(id, msg));
    }

    /// Open `path`: preview first, then the whole file, then its profile.
    pub fn open(&mut self, path: PathBuf, project: Option<&Project>) {
        let source = project.and_then(|p| p.source_for_path(&path).map(|s| (p, s)));
        let mut options = LoadOptions::default();
        let mut schema = SchemaSpec::default();
        if let Some((p, s)) = source {
            options.types = s.types.clone();
            schema = p.schema_spec(s);
        }
        if let Some(user) = self.overrides.get(&path) {
            options.types.extend(user.clone());
        }
        let shown = project
            .and_then(|p| path.strip_prefix(&p.root).ok())
            .unwrap_or(&path)
            .display()
            .to_string();
        self.keep = None;
        // What is on screen stays until the new file's first rows arrive, so
        // a file that fails to load loses nothing.
        self.pending = Some(Pending {
            path: path.clone(),
            shown,
            options: options.clone(),
            schema: schema.clone(),
        });
        let (id, cancel) = self.start_job("reading the first rows", true);
        let tx = self.tx.clone();
        let done_tx = tx.clone();
        let spawned = run_in_background(
            "load",
            move || jobs::load_job(&tx, id, &path, &options, &schema, &cancel),
            move |r| {
                if let Err(e) = r {
                    Self::send(&done_tx, id, JobMsg::Profiled(Err(e)));
                }
            },
        );
        if let Err(e) = spawned {
            self.job = None;
            self.status = format!("cannot start the load: {e}");
        }
    }

    /// Switch to the file being opened: its first rows have arrived.
    fn take_pending(&mut self) {
        let Some(p) = self.pending.take() else { return };
        self.path = Some(p.path);
        self.shown_path = p.shown;
        self.options = p.options;
        self.schema = p.schema;
        self.sorted = None;
        self.sort = None;
        self.profile = None;
        self.checks = None;
        (self.row, self.col) = self.keep.take().unwrap_or((0, 0));
        self.check = 0;
        self.row_offset.set(0);
        self.search = None;
    }

    /// A job's message; returns an error to show in a dialog.
    pub fn on_job(&mut self, id: u64, msg: JobMsg) -> Option<Error> {
        if self.job.as_ref().is_none_or(|j| j.id != id) {
            return None; // cancelled or superseded
        }
        match msg {
            JobMsg::Progress(u) => {
                if let Some(j) = &mut self.job {
                    j.stage = u.stage;
                    j.fraction = u.fraction;
                }
            }
            JobMsg::Preview(Ok(l)) => {
                self.take_pending();
                self.status = format!(
                    "showing the first {} rows while the whole file loads",
                    l.frame.height()
                );
                self.loaded = Some(l);
            }
            JobMsg::Loaded(Ok(l)) => {
                self.take_pending();
                self.status = match l.warnings.first() {
                    Some(w) => format!("warning: {w}"),
                    None => format!("loaded {} rows", l.frame.height()),
                };
                self.loaded = Some(l);
                self.clamp();
            }
            JobMsg::Profiled(Ok((p, checks))) => {
                self.trying = None;
                self.profile = Some(p);
                self.job = None;
                match checks {
                    Some(Ok(c)) => {
                        let failed = c.iter().filter(|c| !c.passed).count();
                        if failed > 0 {
                            self.status = format!("{failed} of {} data checks failed", c.len());
                        }
                        self.checks = Some(c);
                    }
                    Some(Err(e)) => return Some(e),
                    None => {}
                }
            }
            JobMsg::Sorted(Ok(df)) => {
                self.sorted = Some(df);
                self.sort = self.sort_pending.take();
                self.job = None;
            }
            JobMsg::Found(Ok(found)) => {
                self.job = None;
                match found {
                    Some(r) => {
                        self.row = r;
                        self.status = format!("match in row {}", r + 1);
                    }
                    None => {
                        self.status =
                            format!("no match for '{}'", self.search.clone().unwrap_or_default())
                    }
                }
            }
            JobMsg::Preview(Err(e))
            | JobMsg::Loaded(Err(e))
            | JobMsg::Profiled(Err(e))
            | JobMsg::Sorted(Err(e))
            | JobMsg::Found(Err(e)) => {
                self.job = None;
                self.pending = None;
                self.keep = None;
                if let Some((path, col)) = self.trying.take()
                    && let Some(map) = self.overrides.get_mut(&path)
                {
                    map.remove(&col);
                }
                if e.kind == crate::error::ErrorKind::Cancelled {
                    self.status = "cancelled".into();
                    return None;
                }
                self.status = format!("error: {}", e.message);
                return Some(e);
            }
        }
        None
    }

    fn rows(&self) -> usize {
        self.frame().map_or(0, DataFrame::height)
    }

    fn cols(&self) -> usize {
        self.frame().map_or(0, DataFrame::width)
    }

    fn clamp(&mut self) {
        self.row = self.row.min(self.rows().saturating_sub(1));
        self.col = self.col.min(self.cols().saturating_sub(1));
    }

    pub fn action(&mut self, a: Action) {
        let page = self.page.get().max(1);
        match (self.focus, a) {
            (_, Action::FocusNext) => {
                self.focus = match self.focus {
                    Pane::Table => Pane::Columns,
                    Pane::Columns if self.checks.is_some() => Pane::Checks,
                    _ => Pane::Table,
                }
            }
            (_, Action::FocusPrev) => {
                self.focus = match self.focus {
                    Pane::Table if self.checks.is_some() => Pane::Checks,
                    Pane::Table => Pane::Columns,
                    Pane::Columns => Pane::Table,
                    Pane::Checks => Pane::Columns,
                }
            }
            (Pane::Checks, Action::Up) => self.check = self.check.saturating_sub(1),
            (Pane::Checks, Action::Down) => {
                let n = self.checks.as_ref().map_or(0, Vec::len);
                self.check = (self.check + 1).min(n.saturating_sub(1));
            }
            (Pane::Columns, Action::PageUp) => self.col = self.col.saturating_sub(page),
            (Pane::Columns, Action::PageDown) => self.col += page,
            (Pane::Columns, Action::Top) => self.col = 0,
            (Pane::Columns, Action::Bottom) => self.col = self.cols().saturating_sub(1),
            (Pane::Columns, Action::Up) | (_, Action::Left) => {
                self.col = self.col.saturating_sub(1)
            }
            (Pane::Columns, Action::Down) | (_, Action::Right) => self.col += 1,
            (_, Action::Up) => self.row = self.row.saturating_sub(1),
            (_, Action::Down) => self.row += 1,
            (_, Action::PageUp) => self.row = self.row.saturating_sub(page),
            (_, Action::PageDown) => self.row += page,
            (_, Action::Top) => self.row = 0,
            (_, Action::Bottom) => self.row = self.rows().saturating_sub(1),
            (_, Action::Sort) => self.start_sort(),
            (_, Action::Search) => {
                self.input = Some((InputKind::Search, self.search.clone().unwrap_or_default()))
            }
            (_, Action::Jump) => self.input = Some((InputKind::Jump, String::new())),
            (_, Action::SetType) => {
                if let Some(c) = self.frame().and_then(|df| df.columns().get(self.col)) {
                    let current = LogicalType::of(c.dtype()).name().to_owned();
                    self.input = Some((InputKind::Type, current));
                }
            }
            (_, Action::SearchNext) => self.start_search(),
            (_, Action::Cancel) => {
                if let Some(j) = self.job.take() {
                    j.cancel.cancel();
                    self.pending = None;
                    self.sort_pending = None;
                    self.status = format!("cancelled: {}", j.stage);
                }
            }
            (_, Action::Close) => self.search = None,
            _ => {}
        }
        self.clamp();
    }
}
