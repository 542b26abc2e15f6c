//! The Drift screen: pick a reference and a current source of the project,
//! compare them in the background (`crate::drift::compare`, with the
//! project's `drift.toml` when it has one), and read the verdict — a table of
//! the checked columns, most drifted first, with reference and current
//! mini-histograms, the summary and the dataset verdict; the selected
//! column's overlaid histograms and ECDFs (or category shares) beside it.
//! A key writes the HTML report and the charts into the project folder.
//!
//! Like the Train screen, the job reports on its own channel and the app
//! drains it (`poll`); a failed comparison leaves the last result on screen.
//! The job is `drift/jobs.rs`; drawing is `drift/render.rs` (layout, table),
//! `drift/head.rs` (pickers, summary) and `drift/charts.rs` (the column's
//! charts, mini-histograms).

mod charts;
mod head;
mod jobs;
mod render;

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::mpsc::Sender;

use crate::data::LoadOptions;
use crate::drift::{DriftReport, DriftSpec};
use crate::error::{Error, ErrorKind};
use crate::project::Project;
use crate::tui::event::Event;
use crate::tui::keymap::Action;

pub use jobs::Kind as JobKind;

/// The spec file a project keeps at its root.
pub const SPEC_FILE: &str = "drift.toml";
/// Where the export goes, inside the project folder.
pub const REPORT_FILE: &str = "drift-report.html";
pub const CHARTS_DIR: &str = "drift-charts";

/// A source of the project, as the pickers offer it.
#[derive(Debug, Clone)]
pub struct Pick {
    pub name: String,
    pub path: PathBuf,
    /// The path as shown: relative to the project folder when inside it.
    pub shown: String,
    options: LoadOptions,
}

/// A finished comparison and what it compared.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: DriftReport,
    pub reference: Pick,
    pub current: Pick,
    pub spec: DriftSpec,
    /// The spec file used, as shown; `None` for the defaults.
    pub spec_file: Option<String>,
    /// What the loads warned about, per file.
    pub warnings: Vec<String>,
    /// With a model (the run selected on the Experiments screen): mean
    /// |SHAP| per column on both sides, and why it is missing when it is.
    pub shap: Option<crate::drift::shap::ShapDrift>,
    pub shap_note: Option<String>,
}

pub struct DriftScreen {
    tx: Sender<Event>,
    project: Option<Project>,
    pub sources: Vec<Pick>,
    /// Indices into `sources`.
    pub reference: usize,
    pub current: usize,
    /// The project's `drift.toml`, when it has one (checked again at each start).
    pub spec_path: Option<PathBuf>,
    /// The run whose model explains the drift (the Experiments screen's
    /// selected run with a stored model), set by the app at each start.
    pub model_run: Option<String>,
    pub outcome: Option<Outcome>,
    job: Option<jobs::Handle>,
    /// Selected row of the column table.
    pub row: usize,
    pub offset: Cell<usize>,
    /// Rows visible in the table at the last draw, for paging.
    pub page: Cell<usize>,
    /// The selected column's charts fill the screen.
    pub zoom: bool,
    pub status: String,
}

impl DriftScreen {
    pub fn new(tx: Sender<Event>) -> Self {
        Self {
            tx,
            project: None,
            sources: Vec::new(),
            reference: 0,
            current: 0,
            spec_path: None,
            model_run: None,
            outcome: None,
            job: None,
            row: 0,
            offset: Cell::new(0),
            page: Cell::new(10),
            zoom: false,
            status: String::new(),
        }
    }

    /// Offer `project`'s sources: the first as reference, a fresh batch as current.
    pub fn set_project(&mut self, project: &Project) {
        self.job = None;
        self.outcome = None;
        self.zoom = false;
        self.row = 0;
        self.offset.set(0);
        self.status.clear();
        self.sources = project
            .file
            .sources
            .iter()
            .map(|s| {
                let path = project.resolve(&s.path);
                let shown = path
                    .strip_prefix(&project.root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                Pick {
                    name: s.name.clone(),
                    shown,
                    path,
                    options: LoadOptions {
                        types: s.types.clone(),
                        ..LoadOptions::default()
                    },
                }
            })
            .collect();
        self.reference = 0;
        let names: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
        self.current = default_current(&names, self.reference);
        self.project = Some(project.clone());
        self.spec_path = self.find_spec();
    }

    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    /// What is running, its stage, how far (0–1) and for how long.
    pub fn job_state(&self) -> Option<(JobKind, &str, f64, f64)> {
        self.job.as_ref().map(|j| {
            (
                j.kind,
                j.stage.as_str(),
                j.fraction,
                j.started.elapsed().as_secs_f64(),
            )
        })
    }

    fn find_spec(&self) -> Option<PathBuf> {
        let p = self.project.as_ref()?.root.join(SPEC_FILE);
        p.is_file().then_some(p)
    }

    /// The pickers name another pair than the result on screen.
    pub fn picks_changed(&self) -> bool {
        let (Some(o), Some(r), Some(c)) = (
            &self.outcome,
            self.sources.get(self.reference),
            self.sources.get(self.current),
        ) else {
            return false;
        };
        o.reference.path != r.path || o.current.path != c.path
    }

    /// An action of this screen; an error to show in a dialog.
    pub fn action(&mut self, a: Action) -> Option<Error> {
        let rows = self.outcome.as_ref().map_or(0, |o| o.report.columns.len());
        let page = self.page.get().max(1);
        match a {
            Action::Start => return self.start().err(),
            Action::Export => return self.export().err(),
            Action::Reference => self.cycle(true),
            Action::Current => self.cycle(false),
            Action::Cancel => self.cancel(),
            Action::Up => self.row = self.row.saturating_sub(1),
            Action::Down => self.row += 1,
            Action::PageUp => self.row = self.row.saturating_sub(page),
            Action::PageDown => self.row += page,
            Action::Top => self.row = 0,
            Action::Bottom => self.row = usize::MAX,
            Action::Edit if rows > 0 => self.zoom = !self.zoom,
            Action::Close => self.zoom = false,
            _ => {}
        }
        self.row = self.row.min(rows.saturating_sub(1));
        None
    }

    fn cycle(&mut self, reference: bool) {
        let n = self.sources.len();
        if n == 0 {
            self.status = "this project lists no sources in lathe.toml".into();
            return;
        }
        let slot = if reference {
            &mut self.reference
        } else {
            &mut self.current
        };
        *slot = (*slot + 1) % n;
        self.status = if self.reference == self.current {
            "reference and current are the same source: nothing can drift".into()
        } else {
            String::new()
        };
    }

    fn start(&mut self) -> Result<(), Error> {
        if self.busy() {
            self.status = "a job is running: wait for it, or cancel it first".into();
            return Ok(());
        }
        let (Some(reference), Some(current)) = (
            self.sources.get(self.reference),
            self.sources.get(self.current),
        ) else {
            return Err(no_sources(self.project.is_some()));
        };
        let req = jobs::CompareRequest {
            reference: reference.clone(),
            current: current.clone(),
            spec_file: self.find_spec(),
            model: self
                .project
                .as_ref()
                .zip(self.model_run.clone())
                .map(|(p, id)| (crate::experiments::Store::open(p), id)),
        };
        self.spec_path = req.spec_file.clone();
        let handle = jobs::compare(req, self.tx.clone())
            .map_err(|e| Error::internal(format!("cannot start the comparison: {e}")))?;
        self.job = Some(handle);
        self.status.clear();
        Ok(())
    }

    fn export(&mut self) -> Result<(), Error> {
        if self.busy() {
            self.status = "a job is running: wait for it, or cancel it first".into();
            return Ok(());
        }
        let Some(outcome) = &self.outcome else {
            self.status = "nothing to export yet: compare two sources first".into();
            return Ok(());
        };
        let project = self.project.as_ref().ok_or_else(|| {
            Error::usage("the report is written into the project folder, and there is none open")
        })?;
        let req = jobs::ExportRequest {
            outcome: outcome.clone(),
            root: project.root.clone(),
        };
        let handle = jobs::export(req, self.tx.clone())
            .map_err(|e| Error::internal(format!("cannot start the export: {e}")))?;
        self.job = Some(handle);
        self.status.clear();
        Ok(())
    }

    /// Stop the running job at once; its late results are dropped with it.
    fn cancel(&mut self) {
        match self.job.take() {
            None => self.status = "nothing is running".into(),
            Some(j) => {
                // Dropping the handle cancels the work and closes its channel.
                self.status = match j.kind {
                    JobKind::Compare => "comparison cancelled; the last result stays",
                    JobKind::Export => "export cancelled; files already written stay",
                }
                .into();
            }
        }
    }

    /// Apply the job's queued messages; an error to show in a dialog.
    pub fn poll(&mut self) -> Option<Error> {
        let msgs = self.job.as_mut()?.drain();
        let mut shown = None;
        for m in msgs {
            if let Some(e) = self.on_msg(m) {
                shown = Some(e);
            }
        }
        shown
    }

    fn on_msg(&mut self, msg: jobs::Msg) -> Option<Error> {
        match msg {
            // `drain` applied it to the handle already.
            jobs::Msg::Stage(..) => {}
            jobs::Msg::Compared(Ok(outcome)) => {
                self.job = None;
                // Stay on the same column when it is still there.
                let selected = self
                    .outcome
                    .as_ref()
                    .and_then(|o| o.report.columns.get(self.row))
                    .map(|c| c.name.clone());
                self.row = selected
                    .and_then(|n| outcome.report.columns.iter().position(|c| c.name == n))
                    .unwrap_or(0);
                self.offset.set(0);
                if outcome.report.columns.is_empty() {
                    self.zoom = false;
                }
                self.status = outcome
                    .warnings
                    .first()
                    .map(|w| format!("warning: {w}"))
                    .unwrap_or_default();
                self.outcome = Some(*outcome);
            }
            jobs::Msg::Exported(Ok(done)) => {
                self.job = None;
                self.status = format!(
                    "report written to {} (charts: {} SVG + {} PNG in {}/)",
                    done.html.display(),
                    done.svgs,
                    done.pngs,
                    CHARTS_DIR
                );
            }
            jobs::Msg::Compared(Err(e)) | jobs::Msg::Exported(Err(e)) => {
                self.job = None;
                if e.kind == ErrorKind::Cancelled {
                    self.status = "cancelled".into();
                    return None;
                }
                self.status = format!("error: {}", e.message);
                return Some(e);
            }
        }
        None
    }
}

/// The current batch by default: a source named like a fresh batch, else the second.
fn default_current(names: &[&str], reference: usize) -> usize {
    for want in ["drift", "fresh", "current"] {
        if let Some(i) = names
            .iter()
            .enumerate()
            .position(|(i, n)| i != reference && n.to_lowercase().contains(want))
        {
            return i;
        }
    }
    if names.len() > 1 && reference == 0 {
        1
    } else {
        0
    }
}

fn no_sources(has_project: bool) -> Error {
    if has_project {
        Error::usage("this project lists no sources to compare")
            .hint("add [[sources]] entries to its lathe.toml (name and path)")
    } else {
        Error::usage("drift compares two sources of a project, and there is none open")
            .hint("open a project with the file picker, or make one in this folder")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_default_is_a_fresh_batch_then_the_second_source() {
        let names = ["reference", "unlabelled", "fresh-stable", "fresh-drift"];
        assert_eq!(default_current(&names, 0), 3);
        assert_eq!(default_current(&["a", "b", "c"], 0), 1);
        assert_eq!(default_current(&["a"], 0), 0);
        assert_eq!(default_current(&["train", "current"], 0), 1);
    }
}
