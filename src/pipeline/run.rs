//! `lathe pipeline run`: the steps in order, each through its step's core.
//!
//! ```text
//!   load + check [pipeline] ─▶ lock ─▶ (drift?) ─▶ data · validate · labels
//!        ─▶ key = H(data fingerprint, label state, spec hash, lathe version)
//!        ─▶ already done? stop ─▶ train ─▶ gate ─▶ bundle ─▶ promote
//! ```
//!
//! Safety comes from the order and from the steps' own atomic writes: runs
//! and bundles are written beside their place and renamed in, the champion
//! moves in one atomic replace of the curation file, and only after the gate
//! passed in this same run. A run killed anywhere leaves at most finished
//! runs or a finished, unpromoted bundle; its record stays `running` and is
//! marked interrupted by the next run.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::bundle::export::{ExportOptions, export};
use crate::error::{Error, ErrorKind, Result};
use crate::experiments::Store;
use crate::experiments::curation::CHAMPION;
use crate::jobs::{CancelToken, NoProgress};
use crate::pipeline::state::{self, DoneEntry, Outcome, PipelineRecord, step};
use crate::pipeline::{gate, inputs, spec};
use crate::project::Project;
use crate::train::{self, search};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Check the newest batch for drift first; retrain only when it drifted.
    pub when_drift: bool,
    /// Wait for another pipeline on the project instead of refusing.
    pub wait: bool,
    /// Training threads (default: the train spec's, or every core).
    pub jobs: Option<usize>,
    /// The static lathe-serve for the bundle (default: the spec's, then the usual places).
    pub server_binary: Option<PathBuf>,
}

/// Run the project's pipeline; the record says how it ended, errors after
/// the start included (errors that stop it before it starts — a bad
/// `[pipeline]`, another pipeline holding the lock — are returned as errors).
pub fn run(
    project: &Project,
    opts: &RunOptions,
    on_step: &dyn Fn(&str),
    cancel: &CancelToken,
) -> Result<PipelineRecord> {
    let valid = spec::load(project)?;
    super::validate::preflight(project, &valid, opts)?;
    let _lock = state::lock(project, opts.wait)?;
    state::mark_interrupted(project)?;
    let mut rec = PipelineRecord {
        format_version: state::RECORD_FORMAT_VERSION,
        id: crate::train::store::new_ids(1).concat(),
        started: crate::util::now_rfc3339(),
        finished: None,
        outcome: Outcome::Running,
        summary: String::new(),
        key: None,
        steps: Vec::new(),
        candidate: None,
        champion_before: None,
        champion_after: None,
        bundle: None,
        gate: None,
        lathe_version: crate::VERSION.to_owned(),
    };
    state::write_record(project, &rec)?;
    let result = steps(project, &valid, opts, &mut rec, on_step, cancel);
    let (outcome, summary) = match result {
        Ok(end) => end,
        Err(e) if e.kind == ErrorKind::Cancelled => (Outcome::Cancelled, "cancelled".to_owned()),
        // Once started, an error is a recorded outcome (exit 2), so --json still has a record.
        Err(e) => (Outcome::Error, e.to_string()),
    };
    rec.outcome = outcome;
    rec.summary = summary;
    rec.finished = Some(crate::util::now_rfc3339());
    state::write_record(project, &rec)?;
    Ok(rec)
}

fn steps(
    project: &Project,
    p: &spec::ValidPipeline,
    opts: &RunOptions,
    rec: &mut PipelineRecord,
    on_step: &dyn Fn(&str),
    cancel: &CancelToken,
) -> Result<(Outcome, String)> {
    let store = Store::open(project);
    let champion = match store.curation()?.aliases.get(CHAMPION) {
        Some(id) => Some(store.read_run(id)?),
        None => None,
    };
    rec.champion_before = champion.as_ref().map(|c| c.run_id.clone());
    rec.champion_after = rec.champion_before.clone();

    if opts.when_drift || p.has("drift") {
        let drifted = step(project, rec, "drift", on_step, || {
            super::drift::check(project, p, champion.as_ref(), cancel)
        })?;
        if let Some(why) = drifted {
            return Ok((Outcome::NothingToDo, why));
        }
    }

    let mut g = step(project, rec, "data", on_step, || {
        let g = inputs::gather(project, p, p.has("validate"), cancel)?;
        let detail = format!(
            "{} inputs, {} rows: {}",
            g.inputs.len(),
            g.frame.height(),
            g.inputs
                .iter()
                .map(|i| format!("{} ({})", i.name, i.rows))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok((g, "pass".to_owned(), detail))
    })?;
    if p.has("validate") {
        let failed = g.failed_checks.len();
        let detail = if failed == 0 {
            format!("{} checks passed", g.checks_run)
        } else {
            g.failed_checks
                .iter()
                .take(5)
                .map(|(input, c)| format!("{input}: {} ({})", c.check, c.detail))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let verdict = if failed == 0 { "pass" } else { "fail" };
        step(project, rec, "validate", on_step, || {
            Ok(((), verdict.to_owned(), detail.clone()))
        })?;
        if failed > 0 {
            return Ok((
                Outcome::Failed,
                format!("{failed} data checks failed: {detail}"),
            ));
        }
    }
    if p.has("labels") {
        let mut detail = match &p.label_file {
            Some((f, _)) => format!("{} labels from {}", g.relabelled, f.display()),
            None => "labels from the data's target column".to_owned(),
        };
        if let Some(i) = g.inputs.iter().find(|i| i.name.starts_with("labels of ")) {
            detail.push_str(&format!(
                "; {} rows from the label journal ({})",
                i.rows, i.name
            ));
        }
        step(project, rec, "labels", on_step, || {
            Ok(((), "pass".to_owned(), detail))
        })?;
    }

    let fingerprint = crate::data::fingerprint::scan(&g.frame, cancel, &NoProgress)?.fingerprint;
    let key = {
        let mut h = Sha256::new();
        for part in [&fingerprint, &g.label_state, &p.spec_hash, crate::VERSION] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    };
    rec.key = Some(key.clone());
    if let Some(prev) = state::done(project, &key)? {
        let outcome = if prev.outcome == Outcome::Failed {
            Outcome::Failed
        } else {
            Outcome::NothingToDo
        };
        return Ok((
            outcome,
            format!(
                "nothing to do: the same data, labels and spec were handled by pipeline run {} ({})",
                prev.run, prev.summary
            ),
        ));
    }

    // Train.
    let (path, options) = inputs::training_file(project, p, &mut g, &fingerprint)?;
    drop(g);
    let mut tspec = p.train.clone();
    tspec.data = Some(path.display().to_string());
    if opts.jobs.is_some() {
        tspec.jobs = opts.jobs;
    }
    let (prep, outcome) = step(project, rec, "train", on_step, || {
        let prep = train::load_and_prepare(&tspec, &path, &options)?;
        super::validate::check_gate_metric(p, &prep)?;
        let lineage = train::lineage(&prep, Some(&project.root), cancel)?;
        let ctx = search::SearchContext {
            store: Some(store.clone()),
            lineage,
            refit: true,
        };
        let outcome = search::run(&prep, &ctx, &search::Quiet, cancel)?;
        if outcome.cancelled {
            return Err(Error::cancelled());
        }
        let detail = format!(
            "{} configuration{} on {} rows in {:.1} s",
            outcome.runs.len(),
            if outcome.runs.len() == 1 { "" } else { "s" },
            prep.frame.height(),
            outcome.elapsed_s
        );
        Ok(((prep, outcome), "pass".to_owned(), detail))
    })?;
    let cand = gate::candidate(&outcome.runs, &prep.metric)
        .ok_or_else(|| Error::input("no configuration finished training; nothing to gate"))?
        .clone();
    rec.candidate = Some(cand.run_id.clone());

    if p.has("gate") {
        let report = step(project, rec, "gate", on_step, || {
            let r = gate::evaluate(p, &prep, &cand, champion.as_ref(), cancel)?;
            let detail = r
                .checks
                .iter()
                .map(|c| {
                    format!(
                        "{} {}: {}",
                        if c.passed { "✓" } else { "✗" },
                        c.check,
                        c.detail
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let verdict = if r.passed { "pass" } else { "fail" };
            Ok((r, verdict.to_owned(), detail))
        })?;
        rec.gate = serde_json::to_value(&report).ok();
        if !report.passed {
            let why = rec
                .steps
                .last()
                .map(|s| s.detail.clone())
                .unwrap_or_default();
            let summary = format!("the gate failed; nothing promoted: {why}");
            state::mark_done(project, &key, done_entry(rec, Outcome::Failed, &summary))?;
            return Ok((Outcome::Failed, summary));
        }
    }
    drop(prep);

    if p.has("bundle") {
        let b = &p.spec.bundle;
        let eo = ExportOptions {
            name: b.name.as_ref().map(|n| n.get_ref().clone()),
            server_binary: opts
                .server_binary
                .clone()
                .or_else(|| b.server_binary.as_ref().map(|p| project.resolve(p))),
            sign: b.sign.as_ref().map(|s| project.resolve(s)),
            oci: b.oci,
            ..ExportOptions::default()
        };
        let done = step(project, rec, "bundle", on_step, || {
            let d = export(project, &store, &cand.run_id, &eo, &NoProgress)?;
            let detail = format!("{} {} in {}", d.name, d.version, d.dir.display());
            Ok((d, "pass".to_owned(), detail))
        })?;
        rec.bundle = Some(done.dir);
    }
    if p.has("promote") {
        let before = step(project, rec, "promote", on_step, || {
            let before = store.curate(|c| c.promote(&cand.run_id))?;
            let detail = match &before {
                Some(b) if *b != cand.run_id => {
                    format!("champion → {} (previous: {b})", cand.run_id)
                }
                _ => format!("champion → {}", cand.run_id),
            };
            Ok((before, "pass".to_owned(), detail))
        })?;
        rec.champion_before = before;
        rec.champion_after = Some(cand.run_id.clone());
    }
    let summary = match (p.has("promote"), &rec.bundle) {
        (true, _) => format!("new champion {} ({})", cand.run_id, cand.algorithm),
        (false, Some(b)) => format!("candidate {} bundled in {}", cand.run_id, b.display()),
        (false, None) => format!("candidate {} trained", cand.run_id),
    };
    state::mark_done(project, &key, done_entry(rec, Outcome::Done, &summary))?;
    Ok((Outcome::Done, summary))
}

fn done_entry(rec: &PipelineRecord, outcome: Outcome, summary: &str) -> DoneEntry {
    DoneEntry {
        run: rec.id.clone(),
        outcome,
        summary: summary.to_owned(),
    }
}
