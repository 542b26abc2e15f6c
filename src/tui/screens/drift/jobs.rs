//! The Drift screen's background jobs: load both sources and compare them,
//! or write the report. Each job has its own channel, so a cancelled job's
//! late messages are dropped with its receiver; every message wakes the
//! event loop with an [`Event::Tick`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use super::{CHARTS_DIR, Outcome, Pick, REPORT_FILE};
use crate::drift::{self, DriftSpec, report};
use crate::error::{Error, Result};
use crate::jobs::{CancelToken, run_in_background};
use crate::tui::event::Event;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Compare,
    Export,
}

/// What the files of an export are.
#[derive(Debug, Clone)]
pub struct Exported {
    pub html: PathBuf,
    pub svgs: usize,
    pub pngs: usize,
}

/// What a job tells the screen.
pub enum Msg {
    /// A new stage began, this far (0–1) through the job.
    Stage(String, f64),
    Compared(Result<Box<Outcome>>),
    Exported(Result<Exported>),
}

#[derive(Clone)]
struct Outbox {
    tx: Sender<Msg>,
    wake: Sender<Event>,
}

impl Outbox {
    fn send(&self, msg: Msg) {
        // A closed channel means the screen dropped the job; nothing to tell.
        if self.tx.send(msg).is_ok() {
            let _ = self.wake.send(Event::Tick);
        }
    }

    fn stage(&self, what: String, fraction: f64) {
        self.send(Msg::Stage(what, fraction));
    }
}

/// The UI thread's handle on a running job; dropping it cancels the job.
pub struct Handle {
    rx: Receiver<Msg>,
    cancel: CancelToken,
    pub kind: Kind,
    pub stage: String,
    pub fraction: f64,
    pub started: Instant,
}

impl Handle {
    /// The messages queued so far; stage changes are applied here.
    pub fn drain(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        for m in self.rx.try_iter() {
            match m {
                Msg::Stage(s, f) => {
                    self.stage = s;
                    self.fraction = f;
                }
                other => out.push(other),
            }
        }
        out
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn spawn<T: Send + 'static>(
    kind: Kind,
    stage: &str,
    wake: Sender<Event>,
    work: impl FnOnce(&Outbox, &CancelToken) -> Result<T> + Send + 'static,
    wrap: impl FnOnce(Result<T>) -> Msg + Send + 'static,
) -> std::io::Result<Handle> {
    let (tx, rx) = channel();
    let outbox = Outbox { tx, wake };
    let cancel = CancelToken::new();
    let handle = Handle {
        rx,
        cancel: cancel.clone(),
        kind,
        stage: stage.to_owned(),
        fraction: 0.0,
        started: Instant::now(),
    };
    let done = outbox.clone();
    let name = match kind {
        Kind::Compare => "drift",
        Kind::Export => "drift-export",
    };
    run_in_background(
        name,
        move || work(&outbox, &cancel),
        move |r| done.send(wrap(r)),
    )?;
    Ok(handle)
}

/// Everything a comparison needs, owned.
pub struct CompareRequest {
    pub reference: Pick,
    pub current: Pick,
    /// The project's `drift.toml`; `None` uses Evidently's defaults.
    pub spec_file: Option<PathBuf>,
    /// A run whose stored model says what the drift means to it.
    pub model: Option<(crate::experiments::Store, String)>,
}

/// Load both sources and compare them on a background thread.
pub fn compare(req: CompareRequest, wake: Sender<Event>) -> std::io::Result<Handle> {
    let first = format!("reading {}", req.reference.name);
    spawn(
        Kind::Compare,
        &first,
        wake,
        move |out, cancel| run_compare(req, out, cancel).map(Box::new),
        Msg::Compared,
    )
}

fn run_compare(req: CompareRequest, out: &Outbox, cancel: &CancelToken) -> Result<Outcome> {
    let spec = match &req.spec_file {
        Some(p) => DriftSpec::load(p)?,
        None => DriftSpec::default(),
    };
    let (r, c) = (&req.reference, &req.current);
    out.stage(format!("reading {}", r.name), 0.0);
    let reference = crate::data::load(&r.path, &r.options)?;
    cancel.check()?;
    out.stage(format!("reading {}", c.name), 0.3);
    let current = crate::data::load(&c.path, &c.options)?;
    cancel.check()?;
    out.stage(format!("comparing {} with {}", c.name, r.name), 0.6);
    let report = drift::compare(&reference.frame, &current.frame, &spec, cancel)
        .map_err(|e| locate(e, r, c))?;
    let (shap, shap_note) = match &req.model {
        None => (None, None),
        Some((store, id)) => {
            out.stage("mean |SHAP| on both sides".into(), 0.8);
            match model_shap(store, id, &reference.frame, &current.frame, cancel) {
                Ok(s) => (Some(s), None),
                Err(e) if e.kind == crate::error::ErrorKind::Cancelled => return Err(e),
                Err(e) => (
                    None,
                    Some(format!(
                        "no SHAP change for run {}: {}",
                        &id[..12.min(id.len())],
                        e.message
                    )),
                ),
            }
        }
    };
    let warnings = [(r, &reference.warnings), (c, &current.warnings)]
        .into_iter()
        .flat_map(|(p, ws)| ws.iter().map(move |w| format!("{}: {w}", p.shown)))
        .collect();
    Ok(Outcome {
        report,
        reference: req.reference,
        current: req.current,
        spec,
        spec_file: req
            .spec_file
            .as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned()),
        warnings,
        shap,
        shap_note,
    })
}

/// Mean |SHAP| of run `id`'s model on both frames.
fn model_shap(
    store: &crate::experiments::Store,
    id: &str,
    reference: &polars::prelude::DataFrame,
    current: &polars::prelude::DataFrame,
    cancel: &CancelToken,
) -> Result<crate::drift::shap::ShapDrift> {
    use crate::drift::shap;
    let model = crate::train::model::FittedModel::from_json(&store.read_model(id)?)?;
    let r = shap::raw_of_frame(&model, reference)
        .map_err(|e| Error::input(format!("reference: {}", e.message)))?;
    let c = shap::raw_of_frame(&model, current)
        .map_err(|e| Error::input(format!("current: {}", e.message)))?;
    shap::compare(&model, &r, &c, cancel)
}

/// Name the file a comparison error is about ("the current data has no rows").
fn locate(e: Error, r: &Pick, c: &Pick) -> Error {
    if e.path.is_some() {
        return e;
    }
    if e.message.contains("current data") {
        e.at(&c.path)
    } else if e.message.contains("reference data") {
        e.at(&r.path)
    } else {
        e
    }
}

/// Everything an export needs, owned.
pub struct ExportRequest {
    pub outcome: Outcome,
    /// The project folder: the report and the charts go there.
    pub root: PathBuf,
}

/// Write `drift-report.html` and `drift-charts/` (SVG and PNG) in the background.
pub fn export(req: ExportRequest, wake: Sender<Event>) -> std::io::Result<Handle> {
    spawn(
        Kind::Export,
        "writing the HTML report",
        wake,
        move |out, cancel| run_export(&req, out, cancel),
        Msg::Exported,
    )
}

fn run_export(req: &ExportRequest, out: &Outbox, cancel: &CancelToken) -> Result<Exported> {
    let o = &req.outcome;
    let label = |p: &Pick| format!("{} ({})", p.name, p.shown);
    let page = report::html(&o.report, &label(&o.reference), &label(&o.current))?;
    let html = req.root.join(REPORT_FILE);
    crate::config::write_atomic(&html, page.as_bytes())?;
    cancel.check()?;
    let dir = req.root.join(CHARTS_DIR);
    out.stage("drawing the SVG charts".into(), 0.3);
    let svgs = report::write_svgs(&o.report, &dir)?.len();
    cancel.check()?;
    out.stage("drawing the PNG charts".into(), 0.5);
    let pngs = report::write_pngs(&o.report, &dir)?.len();
    Ok(Exported { html, svgs, pngs })
}
