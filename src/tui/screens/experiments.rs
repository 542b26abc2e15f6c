//! The Experiments screen: the leaderboard of every run in the project,
//! sorted and filtered, the best value of each metric column marked, failed
//! and cancelled runs dimmed with their reason; curation (tags, note, name,
//! alias, archive, delete with undo); and the comparison of marked runs
//! (`compare` below), which shows only what differs, metrics with deltas and
//! Weka's significance marks against a base run, per-fold scores, confusion
//! matrices and curves.
//!
//! Everything goes through `crate::experiments`, like `lathe runs`. The
//! store is read when the screen is shown and after each change; with the
//! run index that takes milliseconds for thousands of runs.
//! Drawing is `experiments/render.rs` (leaderboard, detail) and
//! `experiments/compare.rs` (the comparison); `experiments/pipeline.rs` is
//! the history of the project's pipeline runs; `experiments/explain.rs`
//! (drawn by `explain_render.rs`) is a run's SHAP explanation, global and
//! per row, computed off the UI thread.

mod compare;
mod explain;
mod explain_render;
mod pipeline;
mod render;

pub use explain::{ExplainView, Pane as ExplainPane};
pub use pipeline::PipelineView;

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;

use crate::tui::text::Typed;

use crate::error::{Error, Result};
use crate::experiments::compare::{Comparison, DEFAULT_ALPHA};
use crate::experiments::leaderboard::{Filter, Leaderboard, SortKey};
use crate::experiments::{RunRecord, Store};
use crate::project::Project;
use crate::tui::event::Event;
use crate::tui::keymap::Action;

/// Where `export` writes, inside the project folder.
pub const EXPORT_DIR: &str = "experiments-export";
/// How long a delete can be undone from the screen (the trash keeps it until gc).
pub const UNDO_WINDOW: Duration = Duration::from_secs(60);

/// A column the cursor can sort by: age, algorithm, each metric, fit time, status.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Age,
    Algorithm,
    Metric(usize),
    Fit,
    Status,
}

/// What a text field is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Tag,
    Note,
    Rename,
    Alias,
}

impl InputKind {
    pub fn prompt(self) -> &'static str {
        match self {
            Self::Filter => "filter (words, tag:T algo:A status:S fp:P archived:yes)",
            Self::Tag => "tags (-tag removes)",
            Self::Note => "note (empty clears)",
            Self::Rename => "name (empty clears)",
            Self::Alias => "alias (champion, challenger, …; -name removes)",
        }
    }
}

/// Sections of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Settings,
    Metrics,
    Folds,
    Confusion,
    Curves,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Settings,
        Section::Metrics,
        Section::Folds,
        Section::Confusion,
        Section::Curves,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Settings => "Settings",
            Self::Metrics => "Metrics",
            Self::Folds => "Folds",
            Self::Confusion => "Confusion",
            Self::Curves => "Curves",
        }
    }
}

/// Runs being compared.
pub struct CompareView {
    pub records: Vec<RunRecord>,
    pub names: Vec<Option<String>>,
    pub cmp: Comparison,
    /// Every setting, not only those that differ.
    pub all: bool,
    pub section: Section,
    /// The run column under the cursor (the next base).
    pub col: usize,
    pub scroll: usize,
    /// The metric whose folds the Folds section shows.
    pub metric: usize,
}

/// A question for the app to ask.
#[derive(Debug)]
pub enum Reply {
    Nothing,
    Error(Error),
    AskDelete(usize),
}

impl From<Result<()>> for Reply {
    fn from(r: Result<()>) -> Self {
        match r {
            Ok(()) => Self::Nothing,
            Err(e) => Self::Error(e),
        }
    }
}

/// What the last undoable change was.
#[derive(Debug, Clone)]
enum Undo {
    Deleted(Vec<String>, Instant),
    Archived(Vec<String>, bool),
}

pub struct ExperimentsScreen {
    store: Option<Store>,
    project_root: Option<PathBuf>,
    project: Option<Project>,
    /// Wakes the event loop when a background job has news.
    wake: Option<Sender<Event>>,
    /// The selected run's explanation, when shown.
    pub explain: Option<ExplainView>,
    pub board: Leaderboard,
    /// Row indices shown, filtered and sorted.
    pub view: Vec<usize>,
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    /// The column under the cursor.
    pub col: usize,
    pub row: usize,
    pub offset: Cell<usize>,
    pub page: Cell<usize>,
    /// Run ids marked for comparison, in marking order.
    pub marked: Vec<String>,
    pub compare: Option<CompareView>,
    /// The pipeline runs' history, when shown.
    pub pipeline: Option<PipelineView>,
    pub input: Option<(InputKind, String)>,
    pub status: String,
    undo: Option<Undo>,
    /// How long the last load took.
    pub load_ms: f64,
    /// Damaged run folders at the last load.
    pub damaged: usize,
}

impl ExperimentsScreen {
    pub fn new() -> Self {
        Self {
            store: None,
            project_root: None,
            project: None,
            wake: None,
            explain: None,
            board: Leaderboard {
                metrics: Vec::new(),
                rows: Vec::new(),
            },
            view: Vec::new(),
            filter: Filter::default(),
            sort: SortKey::Started,
            descending: true,
            col: 0,
            row: 0,
            offset: Cell::new(0),
            page: Cell::new(10),
            marked: Vec::new(),
            compare: None,
            pipeline: None,
            input: None,
            status: String::new(),
            undo: None,
            load_ms: 0.0,
            damaged: 0,
        }
    }

    /// Background jobs (explanations) wake the event loop through `tx`.
    pub fn with_events(mut self, tx: Sender<Event>) -> Self {
        self.wake = Some(tx);
        self
    }

    pub fn set_project(&mut self, project: &Project) {
        self.store = Some(Store::open(project));
        self.project_root = Some(project.root.clone());
        self.project = Some(project.clone());
        self.explain = None;
        self.marked.clear();
        self.compare = None;
        self.pipeline = None;
        self.undo = None;
        self.row = 0;
        self.offset.set(0);
        self.status.clear();
        if let Err(e) = self.reload() {
            self.status = e.to_string();
        }
    }

    /// Read the store again, keeping the cursor on the same run.
    pub fn reload(&mut self) -> Result<()> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let t = Instant::now();
        let selected = self.selected().map(|r| r.run_id.clone());
        let entries = store.entries()?;
        let cur = store.curation()?;
        self.board = Leaderboard::build(&entries, &cur);
        self.damaged = self
            .board
            .rows
            .iter()
            .filter(|r| r.status == crate::experiments::leaderboard::RowStatus::Damaged)
            .count();
        self.marked
            .retain(|id| self.board.rows.iter().any(|r| &r.run_id == id));
        // A metric sort whose column is gone falls back to time.
        if let SortKey::Metric(m) = &self.sort
            && !self.board.metrics.contains(m)
        {
            self.sort = SortKey::Started;
            self.descending = true;
        }
        self.refresh_view();
        if let Some(id) = selected
            && let Some(pos) = self
                .view
                .iter()
                .position(|&i| self.board.rows[i].run_id == id)
        {
            self.row = pos;
        }
        self.clamp();
        self.load_ms = t.elapsed().as_secs_f64() * 1e3;
        Ok(())
    }

    fn refresh_view(&mut self) {
        self.view = self.board.view(&self.filter, &self.sort, self.descending);
    }

    fn clamp(&mut self) {
        self.row = self.row.min(self.view.len().saturating_sub(1));
        self.col = self.col.min(self.columns().len().saturating_sub(1));
    }

    /// The sortable columns in display order.
    pub fn columns(&self) -> Vec<Column> {
        let mut c = vec![Column::Age, Column::Algorithm];
        c.extend((0..self.board.metrics.len()).map(Column::Metric));
        c.extend([Column::Fit, Column::Status]);
        c
    }

    fn sort_key(&self, c: &Column) -> SortKey {
        match c {
            Column::Age => SortKey::Started,
            Column::Algorithm => SortKey::Algorithm,
            Column::Metric(i) => SortKey::Metric(self.board.metrics[*i].clone()),
            Column::Fit => SortKey::FitTime,
            Column::Status => SortKey::Status,
        }
    }

    pub fn selected(&self) -> Option<&crate::experiments::leaderboard::Row> {
        self.view.get(self.row).map(|&i| &self.board.rows[i])
    }

    /// The marked runs, or the selected one when none is marked.
    fn targets(&self) -> Vec<String> {
        if self.marked.is_empty() {
            self.selected()
                .map(|r| vec![r.run_id.clone()])
                .unwrap_or_default()
        } else {
            self.marked.clone()
        }
    }

    pub fn typing(&self) -> bool {
        self.input.is_some() || self.explain.as_ref().is_some_and(ExplainView::typing)
    }

    /// An explanation job is running.
    pub fn busy(&self) -> bool {
        self.explain.as_ref().is_some_and(ExplainView::busy)
    }

    /// Apply the explanation jobs' news; an error to show in a dialog.
    pub fn poll(&mut self) -> Option<Error> {
        let v = self.explain.as_mut()?;
        let (err, keep) = v.poll();
        if !keep {
            self.explain = None;
        }
        err
    }

    /// The user left the screen: a running explanation is cancelled (one
    /// already computed stays on show).
    pub fn leave(&mut self) {
        if let Some(v) = &mut self.explain {
            v.row_job = None;
            if v.load.is_some() {
                self.explain = None;
                self.status = "explanation cancelled (left the screen)".to_owned();
            }
        }
    }

    /// Explain the selected run: its global view, computed in the background.
    fn open_explain(&mut self) -> Result<()> {
        let (Some(store), Some(project)) = (&self.store, &self.project) else {
            return Ok(());
        };
        let Some(r) = self.selected() else {
            self.status = "no run selected".to_owned();
            return Ok(());
        };
        if !r.has_model {
            return Err(Error::usage(format!(
                "run {} has no stored model to explain",
                r.short_id()
            ))
            .hint("only the best configuration of each algorithm is refitted and stored; pick a run whose detail line says 'model stored'"));
        }
        let label = r.name.clone().unwrap_or_else(|| r.algorithm.clone());
        self.explain = Some(ExplainView::open(
            project,
            store,
            &r.run_id.clone(),
            &label,
            self.wake.clone(),
        )?);
        self.status.clear();
        Ok(())
    }

    /// A key while a text field has focus.
    pub fn type_key(&mut self, key: KeyEvent) -> Reply {
        if let Some(v) = &mut self.explain
            && v.typing()
        {
            return v.type_key(key).into();
        }
        let Some((kind, text)) = &mut self.input else {
            return Reply::Nothing;
        };
        match crate::tui::text::edit(text, &key) {
            Typed::Cancel => self.input = None,
            Typed::Editing => {}
            Typed::Submit => {
                let (kind, text) = (*kind, text.clone());
                self.input = None;
                return self.submit(kind, &text).into();
            }
        }
        Reply::Nothing
    }

    fn submit(&mut self, kind: InputKind, text: &str) -> Result<()> {
        if kind == InputKind::Filter {
            self.filter = Filter::from_query(text)?;
            self.refresh_view();
            self.row = 0;
            self.clamp();
            self.status = if self.filter.is_empty() {
                "filter cleared".to_owned()
            } else {
                format!("{} run(s) match", self.view.len())
            };
            return Ok(());
        }
        let Some(store) = self.store.clone() else {
            return Ok(());
        };
        let ids = self.targets();
        if ids.is_empty() {
            self.status = "no run selected".to_owned();
            return Ok(());
        }
        match kind {
            InputKind::Tag => {
                let (remove, add): (Vec<String>, Vec<String>) = text
                    .split([' ', ','])
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .partition(|w| w.starts_with('-'));
                let remove: Vec<String> = remove.iter().map(|w| w[1..].to_owned()).collect();
                store.curate(|c| {
                    for id in &ids {
                        c.add_tags(id, &add)?;
                        c.remove_tags(id, &remove);
                    }
                    Ok(())
                })?;
                self.status = format!("tagged {} run(s)", ids.len());
            }
            InputKind::Note => {
                store.curate(|c| {
                    for id in &ids {
                        c.set_note(id, text);
                    }
                    Ok(())
                })?;
                self.status = "note saved".to_owned();
            }
            InputKind::Rename => {
                let id = &ids[0];
                store.curate(|c| c.set_name(id, text))?;
                self.status = "name saved".to_owned();
            }
            InputKind::Alias => {
                let name = text.trim();
                if let Some(gone) = name.strip_prefix('-') {
                    store.curate(|c| c.remove_alias(gone).map(|_| ()))?;
                    self.status = format!("removed alias '{gone}'");
                } else {
                    let id = &ids[0];
                    let prev = store.curate(|c| c.set_alias(name, id))?;
                    self.status = match prev {
                        Some(p) if &p != id => format!(
                            "{name} → {} (was {})",
                            &id[..12.min(id.len())],
                            &p[..12.min(p.len())]
                        ),
                        _ => format!("{name} → {}", &id[..12.min(id.len())]),
                    };
                }
            }
            InputKind::Filter => {}
        }
        self.reload()
    }

    fn prompt(&mut self, kind: InputKind) {
        let text = match kind {
            InputKind::Filter if self.filter.is_empty() => String::new(),
            InputKind::Filter => self.filter.to_query() + " ",
            InputKind::Note => self
                .selected()
                .and_then(|r| r.note.clone())
                .unwrap_or_default(),
            InputKind::Rename => self
                .selected()
                .and_then(|r| r.name.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        self.input = Some((kind, text));
    }

    /// An action of this screen.
    pub fn action(&mut self, a: Action) -> Reply {
        if let Some(v) = &mut self.explain {
            return match v.action(a) {
                Ok(true) => Reply::Nothing,
                Ok(false) => {
                    self.explain = None;
                    Reply::Nothing
                }
                Err(e) => Reply::Error(e),
            };
        }
        if self.compare.is_some() {
            return self.compare_action(a);
        }
        if let Some(v) = &mut self.pipeline {
            if a == Action::Start {
                return self.open_pipeline().into();
            }
            if !v.action(a) {
                self.pipeline = None;
            }
            return Reply::Nothing;
        }
        let page = self.page.get().max(1);
        match a {
            Action::Up => self.row = self.row.saturating_sub(1),
            Action::Down => self.row += 1,
            Action::PageUp => self.row = self.row.saturating_sub(page),
            Action::PageDown => self.row += page,
            Action::Top => self.row = 0,
            Action::Bottom => self.row = usize::MAX,
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col += 1,
            Action::Sort => self.sort_by_cursor(),
            Action::Search => self.prompt(InputKind::Filter),
            Action::Toggle => self.toggle_mark(),
            Action::Edit => return self.open_compare().into(),
            Action::Start => {
                let r = self.reload();
                if r.is_ok() {
                    self.status = format!(
                        "{} runs read in {:.0} ms",
                        self.board.rows.len(),
                        self.load_ms
                    );
                }
                return r.into();
            }
            Action::Tag => self.prompt(InputKind::Tag),
            Action::Note => self.prompt(InputKind::Note),
            Action::Rename => self.prompt(InputKind::Rename),
            Action::Alias => self.prompt(InputKind::Alias),
            Action::Archive => return self.archive().into(),
            Action::Delete => {
                let n = self.targets().len();
                if n > 0 {
                    return Reply::AskDelete(n);
                }
            }
            Action::Undo => return self.undo().into(),
            Action::Export => return self.export().into(),
            Action::Pipeline => return self.open_pipeline().into(),
            Action::Explain => return self.open_explain().into(),
            Action::Close => {
                if !self.marked.is_empty() {
                    self.marked.clear();
                    self.status = "marks cleared".to_owned();
                } else if !self.filter.is_empty() {
                    self.filter = Filter::default();
                    self.refresh_view();
                    self.status = "filter cleared".to_owned();
                }
            }
            _ => {}
        }
        self.clamp();
        Reply::Nothing
    }

    fn sort_by_cursor(&mut self) {
        let Some(c) = self.columns().get(self.col).cloned() else {
            return;
        };
        let key = self.sort_key(&c);
        if key == self.sort {
            self.descending = !self.descending;
        } else {
            self.descending = key.default_descending();
            self.sort = key;
        }
        let selected = self.selected().map(|r| r.run_id.clone());
        self.refresh_view();
        if let Some(id) = selected
            && let Some(pos) = self
                .view
                .iter()
                .position(|&i| self.board.rows[i].run_id == id)
        {
            self.row = pos;
        }
        self.status = format!(
            "sorted by {} {}",
            self.sort.label(),
            if self.descending { "↓" } else { "↑" }
        );
    }

    fn toggle_mark(&mut self) {
        let Some(id) = self.selected().map(|r| r.run_id.clone()) else {
            return;
        };
        if let Some(pos) = self.marked.iter().position(|m| *m == id) {
            self.marked.remove(pos);
        } else {
            self.marked.push(id);
        }
        self.row += 1;
        self.status = format!("{} marked; Enter compares them", self.marked.len());
    }

    fn archive(&mut self) -> Result<()> {
        let Some(store) = self.store.clone() else {
            return Ok(());
        };
        let ids = self.targets();
        let Some(first) = ids.first() else {
            return Ok(());
        };
        // One key both ways: archive unless the first target is archived.
        let archived = !self
            .board
            .rows
            .iter()
            .any(|r| &r.run_id == first && r.archived);
        store.curate(|c| {
            for id in &ids {
                c.set_archived(id, archived);
            }
            Ok(())
        })?;
        self.status = format!(
            "{} {} run(s){}",
            if archived { "archived" } else { "unarchived" },
            ids.len(),
            if archived && !self.filter.archived {
                " (hidden; filter archived:yes shows them)"
            } else {
                ""
            }
        );
        self.undo = Some(Undo::Archived(ids, archived));
        self.marked.clear();
        self.reload()
    }

    /// Delete the marked (or selected) runs; the app asked first.
    pub fn delete(&mut self) -> Reply {
        let Some(store) = self.store.clone() else {
            return Reply::Nothing;
        };
        let ids = self.targets();
        if let Err(e) = store.delete_runs(&ids) {
            return Reply::Error(e);
        }
        self.status = format!(
            "deleted {} run(s) to the trash; u undoes it (for {} s)",
            ids.len(),
            UNDO_WINDOW.as_secs()
        );
        self.undo = Some(Undo::Deleted(ids, Instant::now()));
        self.marked.clear();
        self.reload().into()
    }

    fn undo(&mut self) -> Result<()> {
        let Some(store) = self.store.clone() else {
            return Ok(());
        };
        match self.undo.take() {
            Some(Undo::Deleted(ids, at)) if at.elapsed() <= UNDO_WINDOW => {
                store.restore_runs(&ids)?;
                self.status = format!("restored {} run(s)", ids.len());
            }
            Some(Undo::Deleted(ids, _)) => {
                self.status = format!(
                    "too late to undo here; `lathe runs restore {}` still can until gc",
                    ids.iter()
                        .map(|i| &i[..12.min(i.len())])
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                return Ok(());
            }
            Some(Undo::Archived(ids, archived)) => {
                store.curate(|c| {
                    for id in &ids {
                        c.set_archived(id, !archived);
                    }
                    Ok(())
                })?;
                self.status = format!(
                    "{} {} run(s) again",
                    if archived { "unarchived" } else { "archived" },
                    ids.len()
                );
            }
            None => {
                self.status = "nothing to undo".to_owned();
                return Ok(());
            }
        }
        self.reload()
    }

    /// Write the table as CSV, Markdown and JSON, and the charts, into the project.
    fn export(&mut self) -> Result<()> {
        let (Some(store), Some(root)) = (&self.store, &self.project_root) else {
            return Ok(());
        };
        let dir = root.join(EXPORT_DIR);
        let write = |name: &str, text: String| {
            crate::config::write_atomic(&dir.join(name), text.as_bytes())
        };
        write("leaderboard.csv", self.board.to_csv(&self.view))?;
        write("leaderboard.md", self.board.to_markdown(&self.view))?;
        let json = serde_json::to_string_pretty(&self.board.to_json(&self.view))
            .map_err(|e| Error::internal(e.to_string()))?;
        write("leaderboard.json", json + "\n")?;
        let records: Vec<RunRecord> = self
            .view
            .iter()
            .filter_map(|&i| store.read_run(&self.board.rows[i].run_id).ok())
            .collect();
        let charts = crate::experiments::charts::write_all(&records, &dir.join("charts"))?;
        self.status = format!(
            "wrote leaderboard.csv/.md/.json and {} chart files to {}",
            charts.len(),
            EXPORT_DIR
        );
        Ok(())
    }

    /// Show (or read again) the pipeline runs' history.
    fn open_pipeline(&mut self) -> Result<()> {
        let Some(root) = &self.project_root else {
            return Ok(());
        };
        let row = self.pipeline.as_ref().map_or(0, |v| v.row);
        let mut v = PipelineView::load(root)?;
        v.row = row.min(v.runs.len().saturating_sub(1));
        self.pipeline = Some(v);
        Ok(())
    }

    fn open_compare(&mut self) -> Result<()> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        if self.marked.len() < 2 {
            self.status = "mark two or more runs with Space, then Enter compares them".to_owned();
            return Ok(());
        }
        let records = self
            .marked
            .iter()
            .map(|id| store.read_run(id))
            .collect::<Result<Vec<_>>>()?;
        let names: Vec<Option<String>> = self
            .marked
            .iter()
            .map(|id| {
                self.board
                    .rows
                    .iter()
                    .find(|r| &r.run_id == id)
                    .and_then(|r| r.name.clone())
            })
            .collect();
        let cmp = crate::experiments::compare::compare(&records, &names, 0, DEFAULT_ALPHA)?;
        let metric = cmp
            .metrics
            .iter()
            .position(|m| m.name == cmp.metric)
            .unwrap_or(0);
        self.status.clear();
        self.compare = Some(CompareView {
            records,
            names,
            cmp,
            all: false,
            section: Section::Settings,
            col: 0,
            scroll: 0,
            metric,
        });
        Ok(())
    }

    fn compare_action(&mut self, a: Action) -> Reply {
        let Some(v) = &mut self.compare else {
            return Reply::Nothing;
        };
        let n = v.records.len();
        match a {
            Action::Close | Action::Edit => self.compare = None,
            Action::FocusNext | Action::FocusPrev => {
                let i = Section::ALL
                    .iter()
                    .position(|s| *s == v.section)
                    .unwrap_or(0);
                let k = Section::ALL.len();
                let j = if a == Action::FocusNext {
                    (i + 1) % k
                } else {
                    (i + k - 1) % k
                };
                v.section = Section::ALL[j];
                v.scroll = 0;
            }
            Action::Left => v.col = v.col.saturating_sub(1),
            Action::Right => v.col = (v.col + 1).min(n - 1),
            Action::Up if v.section == Section::Folds => v.metric = v.metric.saturating_sub(1),
            Action::Down if v.section == Section::Folds => {
                v.metric = (v.metric + 1).min(v.cmp.metrics.len().saturating_sub(1));
            }
            Action::Up => v.scroll = v.scroll.saturating_sub(1),
            Action::Down => v.scroll += 1,
            Action::PageUp => v.scroll = v.scroll.saturating_sub(10),
            Action::PageDown => v.scroll += 10,
            Action::Top => v.scroll = 0,
            Action::ShowAll => {
                v.all = !v.all;
                v.scroll = 0;
            }
            Action::Reference => {
                match crate::experiments::compare::compare(&v.records, &v.names, v.col, v.cmp.alpha)
                {
                    Ok(c) => {
                        self.status = format!("base: {}", c.labels[c.base]);
                        v.cmp = c;
                    }
                    Err(e) => return Reply::Error(e),
                }
            }
            _ => {}
        }
        Reply::Nothing
    }
}

impl Default for ExperimentsScreen {
    fn default() -> Self {
        Self::new()
    }
}
