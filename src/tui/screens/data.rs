//! The Data screen: load a file in the background (first rows at once, then
//! the whole file), browse it in a virtual-scrolling table, sort, search and
//! jump, and read each column's profile and the schema's verdicts.
//!
//! State and updates live here; drawing is in `data/render.rs`.

mod render;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use crossterm::event::{KeyCode, KeyEvent};
use polars::prelude::{DataFrame, SortMultipleOptions};

use crate::data::{self, CheckResult, LoadOptions, Loaded, LogicalType, Profile, Schema};
use crate::error::{Error, Result};
use crate::jobs::{CancelToken, ChannelProgress, JobUpdate, Throttled, run_in_background};
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
    schema: Option<PathBuf>,
}

/// A running background job.
pub struct Job {
    pub id: u64,
    pub stage: String,
    pub fraction: Option<f64>,
    pub cancel: CancelToken,
    pub started: std::time::Instant,
}

pub struct DataScreen {
    tx: Sender<Event>,
    pub path: Option<PathBuf>,
    pending: Option<Pending>,
    /// The path as shown: relative to the project folder when inside it.
    pub shown_path: String,
    options: LoadOptions,
    schema: Option<PathBuf>,
    pub loaded: Option<Loaded>,
    /// The frame as sorted by the user; `None` shows file order.
    pub sorted: Option<DataFrame>,
    pub sort: Option<(usize, bool)>,
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
            schema: None,
            loaded: None,
            sorted: None,
            sort: None,
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
        self.project = Some(project.clone());
        self.sources = project
            .file
            .sources
            .iter()
            .map(|s| (s.name.clone(), project.resolve(&s.path)))
            .collect();
        if let Some((_, path)) = self.sources.first().cloned() {
            self.open(path, Some(project));
        }
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

    fn start_job(&mut self, stage: &str) -> (u64, CancelToken) {
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
        let mut schema = None;
        if let Some((p, s)) = source {
            options.types = s.types.clone();
            schema = s.schema.as_ref().map(|f| p.resolve(f));
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
        let (id, cancel) = self.start_job("reading the first rows");
        let tx = self.tx.clone();
        let done_tx = tx.clone();
        let spawned = run_in_background(
            "load",
            move || load_job(&tx, id, &path, &options, schema.as_deref(), &cancel),
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

    pub fn tick(&mut self) {}

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
                    self.status = format!("cancelled: {}", j.stage);
                }
            }
            (_, Action::Close) => self.search = None,
            _ => {}
        }
        self.clamp();
    }

    /// A key while a text field has focus.
    pub fn type_key(&mut self, key: KeyEvent) {
        let Some((kind, text)) = &mut self.input else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.input = None,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL) =>
            {
                text.push(c)
            }
            KeyCode::Enter => {
                let (kind, text) = (*kind, text.clone());
                self.input = None;
                match kind {
                    InputKind::Search if !text.is_empty() => {
                        self.search = Some(text);
                        self.start_search();
                    }
                    InputKind::Jump => match text.trim().replace('_', "").parse::<usize>() {
                        Ok(n) if n >= 1 => {
                            self.row = n - 1;
                            self.clamp();
                        }
                        _ => self.status = format!("'{text}' is not a row number"),
                    },
                    InputKind::Search => {}
                    InputKind::Type => self.set_type(&text),
                }
            }
            _ => {}
        }
    }

    /// Override the selected column's type and reload the file with it.
    fn set_type(&mut self, text: &str) {
        let ty: LogicalType = match text.trim().parse() {
            Ok(t) => t,
            Err(e) => {
                self.status = e;
                return;
            }
        };
        let (Some(path), Some(name)) = (self.path.clone(), self.column_name(self.col)) else {
            return;
        };
        self.overrides
            .entry(path.clone())
            .or_default()
            .insert(name.clone(), ty);
        self.trying = Some((path.clone(), name.clone()));
        let (row, col) = (self.row, self.col);
        let project = self.project.clone();
        self.open(path, project.as_ref());
        self.status = format!("reading '{name}' as {ty}");
        // Reopening the same file keeps the place.
        self.keep = Some((row, col));
    }

    /// The name of column `i` of the frame on screen.
    pub fn column_name(&self, i: usize) -> Option<String> {
        self.frame()?
            .get_column_names()
            .get(i)
            .map(|n| n.to_string())
    }

    fn start_sort(&mut self) {
        let Some(l) = &self.loaded else { return };
        if !l.complete {
            self.status = "wait for the whole file to load before sorting".into();
            return;
        }
        let next = match self.sort {
            Some((c, false)) if c == self.col => Some((c, true)),
            Some((c, true)) if c == self.col => None,
            _ => Some((self.col, false)),
        };
        self.sort = next;
        let Some((col, descending)) = next else {
            self.sorted = None;
            self.status = "file order".into();
            return;
        };
        let df = l.frame.clone();
        let name = df.get_column_names()[col].to_string();
        self.status = format!(
            "sorted by '{name}' {}",
            if descending {
                "descending"
            } else {
                "ascending"
            }
        );
        let (id, _) = self.start_job("sorting");
        let tx = self.tx.clone();
        let _ = run_in_background(
            "sort",
            move || {
                let opts = SortMultipleOptions::default()
                    .with_order_descending(descending)
                    .with_nulls_last(true)
                    .with_maintain_order(true);
                Ok(df.sort([name.as_str()], opts)?)
            },
            move |r| Self::send(&tx, id, JobMsg::Sorted(r)),
        );
    }

    fn start_search(&mut self) {
        let (Some(df), Some(q)) = (self.frame().cloned(), self.search.clone()) else {
            return;
        };
        let from = self.row + 1;
        let (id, cancel) = self.start_job(&format!("searching for '{q}'"));
        let tx = self.tx.clone();
        let _ = run_in_background(
            "search",
            move || find(&df, &q, from, &cancel),
            move |r| {
                Self::send(&tx, id, JobMsg::Found(r));
            },
        );
    }
}

/// The background load: preview, whole file, profile, checks.
fn load_job(
    tx: &Sender<Event>,
    id: u64,
    path: &Path,
    options: &LoadOptions,
    schema: Option<&Path>,
    cancel: &CancelToken,
) -> Result<()> {
    let send = |m: JobMsg| DataScreen::send(tx, id, m);
    let mut preview = data::preview(path, options, PREVIEW_ROWS)?;
    let loaded = if preview.frame.height() < PREVIEW_ROWS {
        // The preview already holds the whole file.
        preview.complete = true;
        preview
    } else {
        send(JobMsg::Preview(Ok(preview)));
        cancel.check()?;
        send(JobMsg::Progress(JobUpdate {
            stage: "reading the whole file".into(),
            fraction: None,
        }));
        data::load(path, options)?
    };
    cancel.check()?;
    let frame = loaded.frame.clone();
    send(JobMsg::Loaded(Ok(loaded)));
    let ptx = tx.clone();
    let progress = Throttled::new(ChannelProgress::new(ptx, move |u| {
        Event::Job(id, JobMsg::Progress(u))
    }));
    let profile = data::profile(&frame, cancel, &progress)?;
    let checks =
        schema.map(|s| Schema::load(s).map(|schema| data::validate(&frame, &profile, &schema)));
    send(JobMsg::Profiled(Ok((profile, checks))));
    Ok(())
}

/// The first row at or after `from` (wrapping) where any cell contains `q`, ignoring case.
fn find(df: &DataFrame, q: &str, from: usize, cancel: &CancelToken) -> Result<Option<usize>> {
    let q = q.to_lowercase();
    let n = df.height();
    let mut best: Option<usize> = None;
    for col in df.columns() {
        cancel.check()?;
        let text = col.cast(&polars::prelude::DataType::String)?;
        let ca = text.str()?;
        let hit = |r: usize| ca.get(r).is_some_and(|v| v.to_lowercase().contains(&q));
        // Rows are ranked by distance from `from`, wrapping around.
        let found = (from..n).chain(0..from.min(n)).find(|&r| hit(r));
        if let Some(r) = found {
            let key = |r: usize| (r + n - from.min(n)) % n.max(1);
            if best.is_none_or(|b| key(r) < key(b)) {
                best = Some(r);
            }
        }
    }
    Ok(best)
}
